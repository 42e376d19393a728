#!/usr/bin/env bash
# tests/proxy/stop.sh - SIGTERM: an idle session gets 421 4.3.2 at once, a
# session in the middle of DATA finishes its message (250 from the
# upstream) before it is told, and phasegate exits 0 soon after.
. "$top_srcdir/tests/proxy/lib.sh"

start_sink up
start_pg "" ""
printf 'expect 220\nsend b"EHLO x\\r\\n"\nexpect 250\nexpect 421 4.3.2\nexpect_close\n' |
	smtpc >"$T/idle.out" 2>&1 &
a=$!
printf 'expect 220\nsend b"EHLO x\\r\\nMAIL FROM:<a@b.example>\\r\\nRCPT TO:<c@d.example>\\r\\nDATA\\r\\n"\nexpect 250, 250, 250, 354\nsleep 1.5\nsend b"Subject: x\\r\\n\\r\\nbody\\r\\n.\\r\\n"\nexpect 250\nexpect_close\n' |
	smtpc >"$T/busy.out" 2>&1 &
b=$!
sleep 0.8
s=$(date +%s)
kill "$PG_PID"
wait "$PG_PID"
rc=$?
e=$(date +%s)
assert_eq "phasegate exits 0 on SIGTERM" "$rc" 0
assert "within the grace period" test $((e - s)) -le 5
wait $a
assert "idle session: 421 4.3.2 at once" test $? = 0
wait $b
assert "session in DATA: its message is finished with the upstream's 250" test $? = 0
assert_eq "the message arrived" "$(count up)" 1
finish
