#!/usr/bin/env bash
# tests/milter/stop.sh - the milter's stop (MILTER_FRONT_GRACE_MS): at
# SIGTERM a connection between messages is closed at once, one in the
# middle of a message gets its end of message answered and is closed
# after it, no new connection is taken, and phasegate exits 0 soon after.
# The MTA side is tests/milter/stopmta.py.
. "$top_srcdir/tests/lib.sh"
M=$top_srcdir/tests/milter

port=$(free_port)
printf 'milter = { listen = "inet:%s@127.0.0.1" }\nfilters = { { script = "%s" } }\n' \
	"$port" "$M/filters/verdicts.lua" >"$T/m.conf"
spawn "$PHASEGATE" serve -c "$T/m.conf" 2>"$T/m.log"
pid=$!
for i in $(seq 1 100); do
	(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
	sleep 0.05
done
s=$(date +%s%N)
/usr/bin/python3 "$M/stopmta.py" 127.0.0.1 "$port" "$pid" >"$T/mta.out" 2>&1
rc=$?
sed 's/^/# /' "$T/mta.out"
assert "the MTA side saw the stop protocol" test $rc = 0
wait "$pid"
assert_eq "phasegate exits 0" "$?" 0
e=$(date +%s%N)
assert "within the grace" test $(((e - s) / 1000000)) -lt 8000
assert "the log says it stopped listening" grep -q "milter: stopped listening" "$T/m.log"
finish
