# tests/lib.sh - helpers for the shell tests; source it.
#   T             a temporary directory, removed at exit
#   spawn CMD...  start a background process, remembered for cleanup (PID in $!)
#   free_port     print a free TCP port on 127.0.0.1
#   assert DESC CMD...      count one assertion: CMD must succeed
#   assert_eq DESC GOT WANT
#   finish        print the count; exit 1 if any assertion failed
set -u
: "${top_srcdir:?run me through make check}"
: "${top_builddir:?run me through make check}"
PHASEGATE=${PHASEGATE:-$top_builddir/phasegate}
T=$(mktemp -d "${TMPDIR:-/tmp}/pgtest.XXXXXX")
_pids=""
_n=0
_failed=0

_cleanup() {
	local p
	for p in $_pids; do kill "$p" 2>/dev/null; done
	for p in $_pids; do wait "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap _cleanup EXIT

spawn() {
	"$@" &
	_pids="$_pids $!"
}

free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

assert() {
	local desc=$1; shift
	_n=$((_n + 1))
	if "$@"; then
		echo "ok $_n - $desc"
	else
		echo "not ok $_n - $desc"
		_failed=$((_failed + 1))
	fi
}

assert_eq() {
	_n=$((_n + 1))
	if [ "$2" = "$3" ]; then
		echo "ok $_n - $1"
	else
		echo "not ok $_n - $1: got '$2', want '$3'"
		_failed=$((_failed + 1))
	fi
}

finish() {
	echo "$((_n - _failed)) of $_n assertions passed"
	[ "$_failed" -eq 0 ] || exit 1
	exit 0
}
