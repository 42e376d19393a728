#!/usr/bin/env bash
# tests/serve.sh - `phasegate serve`: configuration errors at start (exit 1
# with file and line), a listener that cannot bind, SIGHUP making a new
# generation for new sessions (and keeping the old one, logging why, when
# the new configuration does not load: a bad option, a syntax error, a
# missing plugin, a script that does not compile, memory running out),
# SIGTERM stopping cleanly (exit 0).
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

# a spool directory the configured user cannot write: refused at start
# (after the privilege drop) and by configtest, not when a big message comes
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	mkdir -m 0700 "$T/rootonly"
	printf 'user = "nobody"\nspool = { dir = "%s" }\nmilter = { listen = "inet:%s@127.0.0.1" }\nfilters = {}\n' \
		"$T/rootonly" "$port" > "$T/spool.conf"
	timeout 20 "$PHASEGATE" serve -c "$T/spool.conf" 2>"$T/err"; rc=$?
	assert_eq "serve: unwritable spool: exit 1" "$rc" 1
	assert "serve: says spool.dir, the user and why" \
		grep -q "spool.dir $T/rootonly: cannot create a file there as user nobody: Permission denied" "$T/err"
	"$PHASEGATE" configtest -c "$T/spool.conf" >"$T/out" 2>"$T/err"; rc=$?
	assert_eq "configtest: unwritable spool: exit 1" "$rc" 1
	assert "configtest: says why" grep -q "cannot create a file there as user nobody" "$T/err"
	# (T itself is 0700: a spool for nobody must be reachable by nobody)
	open_spool=$(mktemp -d /tmp/pgspool.XXXXXX); chmod 0777 "$open_spool"
	sed -i "s|$T/rootonly|$open_spool|" "$T/spool.conf"
	"$PHASEGATE" configtest -c "$T/spool.conf" >"$T/out" 2>"$T/err"; rc=$?
	assert_eq "configtest: a spool nobody can write: OK" "$rc" 0
	rm -rf "$open_spool"
fi

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

# more reloads that fail: each is logged with its reason, and a session
# started after it still gets generation 2's verdict
kept=1
reload_fails() {	# reload_fails DESC LOG-PATTERN: SIGHUP, then check the log and a session
	kept=$((kept + 1))
	kill -HUP $pid
	for i in $(seq 100); do
		[ "$(grep -c "keeping the running configuration" "$T/serve.log")" -ge $kept ] && break
		sleep 0.1
	done
	assert "reload with $1: logged why" grep -q "reload: $2 (keeping the running configuration)" "$T/serve.log"
	assert_eq "reload with $1: new sessions keep the running generation" "$(ask)" replycode
}
milter_line="milter = { listen = \"inet:$port@127.0.0.1\" }"
printf '%s\nfilters = {\n  { plugin = "%s", connect = "continue" }\n' "$milter_line" "$plugin" > "$T/pg.conf"
reload_fails "a syntax error" ".*pg.conf:4: .*expected.*"
printf '%s\nfilters = {\n  { plugin = "/nonexistent/gone.so" },\n}\n' "$milter_line" > "$T/pg.conf"
reload_fails "a missing plugin" ".*pg.conf:3: plugin /nonexistent/gone.so: cannot load: .*"
printf 'local pg = require "phasegate"\npg.on("connect", function(s)\n  return pg.accept(\nend)\n' > "$T/broken.lua"
printf '%s\nfilters = {\n  { script = "broken.lua" },\n}\n' "$milter_line" > "$T/pg.conf"
reload_fails "a script that does not compile" ".*pg.conf:3: script broken.lua: .*broken.lua:4: .*"

# out of memory during the reload: the address space is capped just above
# what the daemon uses, and the new configuration builds a 12 MiB string
# (within the sandbox's 32 MiB cap: it is the process that runs out). Not
# under the sanitizers, whose shadow memory cannot live under such a cap.
vm=$(awk '/^VmSize:/ { print $2 }' /proc/$pid/status)
if [ "$vm" -lt $((1024 * 1024 * 1024)) ] && command -v prlimit >/dev/null; then
	printf '%s\nlocal big = string.rep("x", 12 * 1024 * 1024)\nfilters = {\n  { plugin = "%s", connect = "continue" },\n}\n' \
		"$milter_line" "$plugin" > "$T/pg.conf"
	prlimit --pid $pid --as=$(((vm + 8 * 1024) * 1024)):
	reload_fails "memory running out" ".*pg.conf: out of memory"
	prlimit --pid $pid --as=unlimited:
else
	echo "# out-of-memory reload not run: sanitizer build (VmSize $vm kB) or no prlimit"
fi

# and a good configuration still loads after all that
conf continue
kill -HUP $pid
for i in $(seq 50); do [ "$(grep -c "reload: new configuration" "$T/serve.log")" -ge 2 ] && break; sleep 0.1; done
assert_eq "a good reload after the failed ones: generation 3" "$(ask)" continue
kill -TERM $pid
rc=124
for i in $(seq 100); do
	if ! kill -0 $pid 2>/dev/null; then wait $pid; rc=$?; break; fi
	sleep 0.1
done
assert_eq "SIGTERM: clean stop, exit 0" "$rc" 0
assert "SIGTERM: logged" grep -q "stopping" "$T/serve.log"
finish
