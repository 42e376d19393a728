# tests/proxy/lib.sh - helpers for the proxy integration tests; source it.
#   start_sink NAME [smtp-sink options]   an smtp-sink upstream dumping into $T/NAME;
#                                         sets SINK_PORT, SINK_PID
#   start_pg CONFIG-BODY                  phasegate serve with smtp = { listen, upstream =
#                                         SINK_PORT } plus CONFIG-BODY; sets PG_PORT, PG_PID
#                                         (PG_PREFIX: a command it runs under, e.g. prlimit)
#   smtpc < SCRIPT                        the raw client (tests/proxy/smtpc.py) on PG_PORT
#   count NAME                            messages the sink NAME stored
#   body FILE                             a stored message without smtp-sink's own lines
. "$top_srcdir/tests/lib.sh"
export PATH="$PATH:/usr/sbin:/usr/lib/postfix/sbin"
export PHASEGATE_PLUGIN_DIR="$top_builddir/tests/plugins/.libs:${PHASEGATE_PLUGIN_DIR:-}"
command -v smtp-sink >/dev/null 2>&1 || { echo "smtp-sink not installed: skip"; exit 77; }
[ -x "$PHASEGATE" ] || { echo "no phasegate binary"; exit 1; }
[ -f "$top_builddir/tests/plugins/.libs/pg_test_all.so" ] ||
	make -C "$top_builddir" tests/plugins/pg_test_all.la >/dev/null 2>&1 || true

wait_port() {	# wait_port PORT: until something listens (5 s)
	local i
	for i in $(seq 1 100); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
		sleep 0.05
	done
	echo "nothing listens on port $1" >&2
	return 1
}

start_sink() {
	local name=$1; shift
	local u=""
	[ "$(id -u)" = 0 ] && u="-u root"
	mkdir -p "$T/$name"
	SINK_PORT=$(free_port)
	spawn smtp-sink $u "$@" -d "$T/$name/%H%M%S." "127.0.0.1:$SINK_PORT" 1000
	SINK_PID=$!
	wait_port "$SINK_PORT"
}

start_pg() {	# start_pg "extra listener keys" "rest of the configuration"
	PG_PORT=$(free_port)
	cat >"$T/pg.conf" <<EOC
smtp = { { listen = "127.0.0.1:$PG_PORT", upstream = "127.0.0.1:$SINK_PORT", $1 } }
$2
EOC
	# PG_TEST_LOG=FILE keeps phasegate's stderr after the test (sanitizer runs)
	spawn ${PG_PREFIX:-} "$PHASEGATE" serve -c "$T/pg.conf" 2> >(tee -a "${PG_TEST_LOG:-/dev/null}" >>"$T/pg.log")
	PG_PID=$!
	wait_port "$PG_PORT"
}

stop_pg() {
	kill "$PG_PID" 2>/dev/null
	wait "$PG_PID" 2>/dev/null
}

smtpc() {
	/usr/bin/python3 "$top_srcdir/tests/proxy/smtpc.py" "$PG_PORT"
}

count() {
	sleep 0.1
	find "$T/$1" -type f | wc -l
}

body() {	# drop smtp-sink's X-* lines and its 3-line Received:
	/usr/bin/python3 - "$1" <<'EOP'
import sys
lines = open(sys.argv[1], "rb").read().split(b"\n")
i = 0
while i < len(lines) and lines[i].split(b":")[0] in (b"X-Client-Addr", b"X-Client-Proto",
        b"X-Helo-Args", b"X-Mail-Args", b"X-Rcpt-Args"):
    i += 1
if i < len(lines) and lines[i].startswith(b"Received: ") and b"smtp-sink" in lines[i + 1]:
    i += 3
# smtp-sink ends a dump with one or two empty lines, depending on how the
# end of data arrived: compare messages without their trailing line ends
sys.stdout.buffer.write(b"\n".join(lines[i:]).rstrip(b"\n") + b"\n")
EOP
}
