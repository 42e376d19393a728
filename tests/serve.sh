#!/usr/bin/env bash
# tests/serve.sh - `phasegate serve`: configuration errors at start (exit 1
# with file and line), a listener that cannot bind, SIGHUP making a new
# generation for new sessions (and keeping the old one when the new
# configuration is broken), SIGTERM stopping cleanly (exit 0).
. "$top_srcdir/tests/lib.sh"
command -v miltertest >/dev/null || { echo "miltertest not installed"; exit 77; }
plugin=$top_builddir/tests/plugins/.libs/pg_test_all.so
port=$(free_port)

conf() {	# conf CONNECT-VERDICT: write the configuration
	printf 'milter = { listen = "inet:%s@127.0.0.1" }\nfilters = {\n  { plugin = "%s", connect = "%s" },\n}\n' \
		"$port" "$plugin" "$1" > "$T/pg.conf"
}

# errors at start
printf 'milter = { listen = "inet:%s@127.0.0.1" }\nfilters = {\n  { plugin = "%s", conect = "x" },\n}\n' \
	"$port" "$plugin" > "$T/bad.conf"
timeout 20 "$PHASEGATE" serve -c "$T/bad.conf" 2>"$T/err"; rc=$?
assert_eq "serve: bad plugin option: exit 1" "$rc" 1
assert "serve: names file, line and option" grep -q "bad.conf:3: .*unknown option \"conect\"" "$T/err"
printf 'filters = {}\nmilter = { listen = "inet:%s@127.0.0.1", backlog = 5 }\n' "$port" > "$T/bad2.conf"
timeout 20 "$PHASEGATE" serve -c "$T/bad2.conf" 2>"$T/err"; rc=$?
assert_eq "serve: unknown key: exit 1" "$rc" 1
assert "serve: unknown key named with file and line" grep -q "bad2.conf:2: .*backlog" "$T/err"
printf 'filters = {}\n' > "$T/none.conf"
timeout 20 "$PHASEGATE" serve -c "$T/none.conf" 2>"$T/err"; rc=$?
assert_eq "serve: no front end: exit 1" "$rc" 1
assert "serve: says what is missing" grep -q "no front end" "$T/err"

# a listener that cannot bind is a start-up error: a process of ours holds
# the port (it picks it itself, so no other test can take it in between)
/usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
open(sys.argv[1], "w").write(str(s.getsockname()[1])); time.sleep(30)' "$T/held" &
blocker=$!
for i in $(seq 50); do [ -s "$T/held" ] && break; sleep 0.1; done
held=$(cat "$T/held")
printf 'milter = { listen = "inet:%s@127.0.0.1" }\nfilters = {}\n' "$held" > "$T/held.conf"
timeout 20 "$PHASEGATE" serve -c "$T/held.conf" 2>"$T/err"; rc=$?
assert_eq "serve: port in use: exit 1" "$rc" 1
assert "serve: says it cannot bind" grep -qi "cannot bind\|in use" "$T/err"
kill $blocker; wait $blocker 2>/dev/null

# reload with SIGHUP; stop with SIGTERM
conf continue
"$PHASEGATE" serve -c "$T/pg.conf" 2>"$T/serve.log" &
pid=$!
_pids="$_pids $pid"
ask() { PORT=$port miltertest -s "$top_srcdir/tests/serve/connect.lua" 2>>"$T/mt.log"; }
assert_eq "generation 1: connect continues" "$(ask)" continue
conf "reject 554 5.7.1 generation two"
kill -HUP $pid
for i in $(seq 50); do grep -q "reload: new configuration" "$T/serve.log" && break; sleep 0.1; done
assert_eq "after SIGHUP: new sessions get generation 2" "$(ask)" replycode
printf 'filters = { { plugin = "%s", connect = "nonsense" } }\nmilter = { listen = "inet:%s@127.0.0.1" }\n' \
	"$plugin" "$port" > "$T/pg.conf"
kill -HUP $pid
for i in $(seq 50); do grep -q "keeping the running configuration" "$T/serve.log" && break; sleep 0.1; done
assert "a broken configuration on SIGHUP is logged" grep -q "reload: .*pg.conf:1: .*bad verdict.*keeping the running configuration" "$T/serve.log"
assert_eq "and the running generation stays" "$(ask)" replycode
kill -TERM $pid
rc=124
for i in $(seq 100); do
	if ! kill -0 $pid 2>/dev/null; then wait $pid; rc=$?; break; fi
	sleep 0.1
done
assert_eq "SIGTERM: clean stop, exit 0" "$rc" 0
assert "SIGTERM: logged" grep -q "stopping" "$T/serve.log"
finish
