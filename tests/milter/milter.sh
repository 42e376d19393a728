#!/usr/bin/env bash
# tests/milter/milter.sh - the milter front end against miltertest (the
# MTA side, Lua-scripted): every phase x verdict with custom replies,
# per-recipient reject, script errors, every change, negotiation, macros,
# abort then another message, header verdicts held, the spool limits of
# the configuration; rawmta.py: packets
# split over reads, pipelined, oversized and malformed, commands out of
# order and negotiated away (EOH after NOEOH); and the daemon around it: bad listen specs
# and sockets in use are configuration errors, SIGHUP leaves the milter
# listening, SIGTERM stops cleanly. Skipped (77) without miltertest.
. "$top_srcdir/tests/lib.sh"
command -v miltertest >/dev/null || { echo "miltertest not installed: skip"; exit 77; }
M=$top_srcdir/tests/milter
export PHASEGATE_PLUGIN_DIR="$top_builddir/tests/plugins/.libs:${PHASEGATE_PLUGIN_DIR:-}"

# serve CONFFILE - start phasegate serve; $spid, log in CONFFILE.log
serve() {
	spawn "$PHASEGATE" serve -c "$1" >"$1.log" 2>&1
	spid=$!
}

# stop - SIGTERM the server; $stop_rc is its exit status
stop() {
	kill "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null && stop_rc=0 || stop_rc=$?
}

# mt NAME SCRIPT ARGS... - run a miltertest script, one assertion
mt() {
	local name=$1 script=$2
	shift 2
	if miltertest "$@" -s "$M/mt/$script" >"$T/$name.out" 2>&1; then
		assert "miltertest $name" true
	else
		sed 's/^/# /' "$T/$name.out"
		assert "miltertest $name" false
	fi
	grep -c '^ok - ' "$T/$name.out" | sed "s/^/# $name: /;s/$/ checks passed/"
}

# conf FILE FILTERS [EXTRA] - a configuration with a milter on a free port
conf() {
	port=$(free_port)
	sock="inet:$port@127.0.0.1"
	printf 'milter = { listen = "%s" }\nfilters = { %s }\n%s\n' "$sock" "$2" "${3:-}" >"$1"
}

# verdicts, script errors, per-recipient reject, abort
conf "$T/v.conf" "{ script = \"$M/filters/verdicts.lua\" }"
serve "$T/v.conf"
mt verdicts verdicts.lua -D sock="$sock"
mt abort abort.lua -D sock="$sock"
# raw protocol: a packet over many reads, many packets in one read, bad packets
if /usr/bin/python3 "$M/rawmta.py" 127.0.0.1 "$port" >"$T/raw.out" 2>&1; then
	assert "raw MTA: split, pipelined, bad packets" true
else
	sed 's/^/# /' "$T/raw.out"
	assert "raw MTA: split, pipelined, bad packets" false
fi
grep -c '^ok - ' "$T/raw.out" | sed "s/^/# raw: /;s/$/ checks passed/"
assert "oversized packet: logged" grep -q "over the limit" "$T/v.conf.log"
assert "malformed packet: logged" grep -q "unknown command" "$T/v.conf.log"
assert "out of order: logged" grep -q "command 'R' RCPT outside an envelope.*protocol error" "$T/v.conf.log"
# SIGHUP is serve's (a reload), not libmilter's: the listener stays
kill -HUP "$spid"
sleep 0.3
mt after-sighup abort.lua -D sock="$sock"
assert "SIGHUP: configuration reloaded" grep -q "reload: new configuration" "$T/v.conf.log"
assert "SIGHUP: the milter did not stop" bash -c "! grep -q 'listener on .* stopped' '$T/v.conf.log'"
start=$(date +%s%N)
stop
assert_eq "SIGTERM: clean exit" "$stop_rc" 0
assert "SIGTERM: stopped within 2 s" test $(( ($(date +%s%N) - start) / 1000000 )) -lt 2000
assert "no warning from the milter but the bad packets" bash -c \
	"! grep 'warning: milter' '$T/v.conf.log' | grep -v 'connection closed'"

# a header verdict held until end of message (end of header negotiated away)
conf "$T/h.conf" "{ script = \"$M/filters/hold.lua\" }"
serve "$T/h.conf"
mt hold hold.lua -D sock="$sock"
# and end of header sent anyway: a protocol error for that connection only
if /usr/bin/python3 "$M/rawmta.py" 127.0.0.1 "$port" away >"$T/away.out" 2>&1; then
	assert "raw MTA: EOH after NOEOH closes that connection only" true
else
	sed 's/^/# /' "$T/away.out"
	assert "raw MTA: EOH after NOEOH closes that connection only" false
fi
assert "EOH after NOEOH: logged as a protocol error" \
	grep -q "command 'N' negotiated away (NOEOH): protocol error" "$T/h.conf.log"
stop

# the configuration's spool limits: memory_max = 0 is a file for every
# body byte (here in a directory removed after start: serve refuses to
# start without a writable one), not "the default"
mkdir "$T/gone-dir"
conf "$T/s.conf" "{ script = \"$M/filters/hold.lua\" }" \
	"spool = { memory_max = 0, dir = \"$T/gone-dir\" }"
serve "$T/s.conf"
for i in $(seq 100); do grep -q "serving" "$T/s.conf.log" && break; sleep 0.05; done
rmdir "$T/gone-dir"
mt spool spool.lua -D sock="$sock"
stop
assert "spool failure: logged" grep -q "body: spool" "$T/s.conf.log"

# every change, scores and X-Spam-* headers
conf "$T/c.conf" '{ plugin = "pg_test_all", add_header = "X-Added: added", insert_header = "X-Top: top",
    change_header = "Subject: changed", delete_header = "X-Remove",
    add_rcpt = "carol@example.net", del_rcpt = "bob@example.org",
    change_sender = "new@example.com", replace_body = "new body\r\n",
    quarantine = "held for review", score = "6 TEST_SCORE" }' \
	'actions = { add_header = 5.0, tempfail = 10.0, reject = 15.0 }'
serve "$T/c.conf"
mt changes changes.lua -D sock="$sock"
stop

# negotiation follows the chain
conf "$T/n1.conf" '{ plugin = "pg_test_all" }'
serve "$T/n1.conf"
mt negotiate-all negotiate.lua -D sock="$sock" -D mode=all
stop
conf "$T/n2.conf" "{ plugin = \"regex\", rules = \"$top_srcdir/tests/data/regex/good.rules\" }"
serve "$T/n2.conf"
mt negotiate-regex negotiate.lua -D sock="$sock" -D mode=regex
stop
conf "$T/n3.conf" ''
serve "$T/n3.conf"
mt negotiate-empty negotiate.lua -D sock="$sock" -D mode=empty
stop

# macros, over a unix socket this time
printf 'milter = { listen = "unix:%s" }\nfilters = { { script = "%s" } }\n' \
	"$T/milter.sock" "$M/filters/macros.lua" >"$T/m.conf"
serve "$T/m.conf"
mt macros macros.lua -D sock="unix:$T/milter.sock"
# a second daemon on the same socket: refused, the first keeps it
timeout 20 "$PHASEGATE" serve -c "$T/m.conf" >"$T/m2.log" 2>&1 && rc=0 || rc=$?
assert_eq "unix socket in use: configuration error" "$rc" 1
assert "unix socket in use: clear message" grep -q 'socket in use by another process' "$T/m2.log"
mt macros-still macros.lua -D sock="unix:$T/milter.sock"
stop
assert_eq "unix socket: clean exit" "$stop_rc" 0
# a socket file left behind (libmilter leaves it when running as root, or
# after a crash) is stale: the next start takes it over
[ -S "$T/milter.sock" ] || /usr/bin/python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$T/milter.sock"
serve "$T/m.conf"
mt macros-stale-socket macros.lua -D sock="unix:$T/milter.sock"
stop
assert_eq "stale unix socket: clean exit" "$stop_rc" 0

# configuration errors at start, not a silent exit
conf "$T/busy.conf" ''
serve "$T/busy.conf"
mt busy-up negotiate.lua -D sock="$sock" -D mode=empty
timeout 20 "$PHASEGATE" serve -c "$T/busy.conf" >"$T/busy2.log" 2>&1 && rc=0 || rc=$?
assert_eq "port in use: exit 1" "$rc" 1
assert "port in use: says so" grep -q "cannot bind: Address already in use" "$T/busy2.log"
stop
for spec in "inet:127.0.0.1:8891" "tcp:8891@127.0.0.1" "inet:99999@127.0.0.1" "unix:"; do
	printf 'milter = { listen = "%s" }\n' "$spec" >"$T/bad.conf"
	timeout 20 "$PHASEGATE" serve -c "$T/bad.conf" >"$T/bad.log" 2>&1 && rc=0 || rc=$?
	assert_eq "listen \"$spec\": exit 1" "$rc" 1
	assert "listen \"$spec\": message names the spec" grep -qF -- "$spec" "$T/bad.log"
done
printf 'milter = { listen = "inet:%s@192.0.2.1" }\n' "$(free_port)" >"$T/bad.conf"
timeout 20 "$PHASEGATE" serve -c "$T/bad.conf" >"$T/bad.log" 2>&1 && rc=0 || rc=$?
assert_eq "address not on this host: exit 1" "$rc" 1
assert "address not on this host: says why" grep -q "Cannot assign requested address" "$T/bad.log"

finish
