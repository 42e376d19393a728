#!/usr/bin/env bash
# tests/proxy/load.sh - 200 concurrent sessions x 5 messages (smtp-source
# -d: several messages per connection) all delivered and counted, then 200
# sessions with one message each.
. "$top_srcdir/tests/proxy/lib.sh"
command -v smtp-source >/dev/null 2>&1 || { echo "smtp-source not installed: skip"; exit 77; }

SINK_PORT=$(free_port)
u=""
[ "$(id -u)" = 0 ] && u="-u root"
spawn smtp-sink $u -c -m 1000 "127.0.0.1:$SINK_PORT" 1000 >"$T/sink.out"
SINK_PID=$!
wait_port "$SINK_PORT"
start_pg "max_sessions = 1000, max_sessions_per_client = 0" 'filters = { { plugin = "pg_test_all", add_header = "X-Load: 1" } }'

smtp-source -s 200 -m 1000 -d -l 2048 -f a@example.com -t b@example.org \
	"127.0.0.1:$PG_PORT" >"$T/src.out" 2>&1
assert "smtp-source: 200 sessions x 5 messages, no error" test $? = 0
smtp-source -s 200 -m 200 -l 4096 -f a@example.com -t b@example.org \
	"127.0.0.1:$PG_PORT" >>"$T/src.out" 2>&1
assert "smtp-source: 200 sessions x 1 message, no error" test $? = 0
sleep 0.5
# one summary line per message (msglog.h): passed, and the upstream's 250
delivered=$(grep -Ec 'msg qid=.* result=accept .* upstream="250 ' "$T/pg.log")
assert_eq "every message delivered upstream (phasegate's count)" "$delivered" 1200
# smtp-sink -c prints running counters (flushed now and then): wait for the last
for i in $(seq 1 50); do
	got=$(tr '\r' '\n' <"$T/sink.out" | sed -n 's/.*mesg=\([0-9]*\).*/\1/p' | tail -1)
	[ "${got:-0}" -ge 1200 ] && break
	sleep 0.1
done
assert_eq "every message counted by the upstream" "$got" 1200
assert "no error in the log" bash -c "! grep -q 'warning' '$T/pg.log'"
finish
