#!/usr/bin/env bash
# tests/store/hostile.sh - a Redis that accepts and never answers: the
# calls fail at store.timeout (on_error), and sessions that do not use the
# store are not held up meanwhile; a Redis that closes after every
# command: every call still works (a closed pooled connection is seen
# before use and replaced); one that closes a pooled connection at the
# next command without a reply: the command goes again on a new one.
. "$top_srcdir/tests/proxy/lib.sh"
. "$top_srcdir/tests/store/lib.sh"

start_fake() {	# start_fake MODE -> FAKE_PORT
	rm -f "$T/fake.port"
	spawn /usr/bin/python3 "$top_srcdir/tests/store/fakeredis.py" "$T/fake.port" "$1"
	FAKE_PID=$!
	local i
	for i in $(seq 1 100); do [ -f "$T/fake.port" ] && break; sleep 0.05; done
	FAKE_PORT=$(cat "$T/fake.port")
}
mail_code() {	# mail_code SENDER -> the MAIL reply's code
	printf '%s\n' 'expect 220' 'send b"EHLO c.example\r\n"' 'expect 250' \
		"send b\"MAIL FROM:<$1>\\r\\n\"" 'expect 2 4 5' 'send b"QUIT\r\n"' |
		/usr/bin/python3 "$top_srcdir/tests/proxy/smtpc.py" "$PG_PORT" 2>&1 |
		grep '^<<< ' | grep -v '^<<< 250-' | sed -n '3s/^<<< \([0-9]*\).*/\1/p'
}
cat >"$T/slow.lua" <<'EOL'
local pg = require "phasegate"
pg.on("mail", function(tx, sender)
  if sender:find("^slow@") then pg.store.incr("n:" .. sender, 1, 60) end
end)
EOL

start_sink up
start_fake silent
start_pg "" "filters = { { script = \"$T/slow.lua\" } }
store = { redis = \"127.0.0.1:$FAKE_PORT\", timeout = \"8s\", pool = 4 }"
# 8 sessions park in the store (twice the pool); one that does not use it passes at once
slow=""
for i in 1 2 3 4 5 6 7 8; do
	( mail_code slow@example.com >"$T/slow.$i.tmp"; mv "$T/slow.$i.tmp" "$T/slow.$i" ) &
	slow="$slow $!"
done
sleep 0.5
mail_code fast@example.com >"$T/fast"
done_slow=$(ls "$T" | grep -c "^slow\.[0-9]$")
assert_eq "a session without the store passes while the others wait" "$(cat "$T/fast")" 250
assert_eq "and the waiting ones are still waiting" "$done_slow" 0
# shellcheck disable=SC2086
wait $slow
cat "$T"/slow.[0-9]
assert_eq "the store calls fail at store.timeout: on_error tempfails" \
	"$(cat "$T"/slow.[0-9] | sort | uniq -c | awk '{print $1, $2}')" "8 451"
assert "the timeout is logged" grep -q "store: redis.*timed out" "$T/pg.log"
stop_pg
kill "$FAKE_PID"; wait "$FAKE_PID" 2>/dev/null
: >"$T/pg.log"

start_fake closer
start_pg "" "filters = { { script = \"$T/slow.lua\" } }
store = { redis = \"127.0.0.1:$FAKE_PORT\", timeout = \"5s\", pool = 2 }"
codes=""
for i in 1 2 3 4 5 6; do codes="$codes $(mail_code slow@example.com)"; done
assert_eq "a server that closes after every command: every call works" \
	"$codes" " 250 250 250 250 250 250"
assert "nothing logged as a failure" [ "$(grep -c 'store: redis' "$T/pg.log")" = 0 ]
stop_pg
kill "$FAKE_PID"; wait "$FAKE_PID" 2>/dev/null
: >"$T/pg.log"

# a pooled connection that looks alive but is closed at the next command,
# without a reply byte: the command goes once more on a new connection
start_fake oneshot
start_pg "" "filters = { { script = \"$T/slow.lua\" } }
store = { redis = \"127.0.0.1:$FAKE_PORT\", timeout = \"5s\", pool = 1 }"
codes=""
for i in 1 2 3 4; do codes="$codes $(mail_code slow@example.com)"; done
assert_eq "a stale pooled connection: the command is sent again, every call works" \
	"$codes" " 250 250 250 250"
assert "nothing logged as a failure" [ "$(grep -c 'store: redis' "$T/pg.log")" = 0 ]
finish
