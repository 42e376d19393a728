#!/usr/bin/env bash
# tests/store/reload.sh - a SIGHUP that adds store.redis moves pg.store to
# Redis for the sessions that follow (and one that removes it moves it
# back); a Redis out of memory (maxmemory, noeviction) is a filter error
# for the write that does not fit (on_error), logged, while reads go on.
. "$top_srcdir/tests/proxy/lib.sh"
. "$top_srcdir/tests/store/lib.sh"

start_redis --maxmemory 2mb --maxmemory-policy noeviction
start_sink up
cat >"$T/count.lua" <<'EOL'
local pg = require "phasegate"
pg.on("mail", function(tx, sender)
  local n = pg.store.incr("count", 1, 3600)
  if sender:find("^big@") then
    pg.store.set("big:" .. tx.session.id, string.rep("x", 300000), 3600)
  end
  return pg.tempfail("451 4.7.1 count " .. n)
end)
EOL
mail_reply() {
	printf '%s\n' 'expect 220' 'send b"EHLO c.example\r\n"' 'expect 250' \
		"send b\"MAIL FROM:<$1>\\r\\n\"" 'expect 2 4 5' 'send b"QUIT\r\n"' |
		/usr/bin/python3 "$top_srcdir/tests/proxy/smtpc.py" "$PG_PORT" 2>&1 |
		grep '^<<< ' | grep -v '^<<< 250-' | sed -n '3s/^<<< //p'
}
start_pg "" "filters = { { script = \"$T/count.lua\" } }"
assert_eq "in-process: 1" "$(mail_reply a@example.com)" "451 4.7.1 count 1"
assert_eq "in-process: 2" "$(mail_reply a@example.com)" "451 4.7.1 count 2"
echo "store = { redis = \"127.0.0.1:$REDIS_PORT\", prefix = \"rl:\", timeout = \"5s\" }" >>"$T/pg.conf"
kill -HUP "$PG_PID"
ok=no
for i in $(seq 1 50); do
	[ "$(mail_reply a@example.com)" = "451 4.7.1 count 1" ] && { ok=yes; break; }
	sleep 0.1
done
assert_eq "after SIGHUP the count starts in Redis" "$ok" yes
assert_eq "and is there" "$(rcli GET rl:count)" 1
# Redis out of memory: the big writes fail as filter errors, counting goes on
codes=""
for i in 1 2 3 4 5 6 7 8 9 10; do codes="$codes $(mail_reply big@example.com | cut -c1-12)"; done
assert "a write that Redis refuses (OOM) is on_error's tempfail" \
	grep -q "451 4.3.0" <<<"$codes"
assert "logged" grep -q "store: redis.*OOM" "$T/pg.log"
grep "store: redis.*OOM" "$T/pg.log" | head -1
assert "earlier big writes did fit" grep -q "451 4.7.1" <<<"$codes"
# back to in-process
sed -i '/^store = /d' "$T/pg.conf"
kill -HUP "$PG_PID"
ok=no
for i in $(seq 1 50); do
	r=$(mail_reply a@example.com)
	[ "$r" = "451 4.7.1 count 3" ] && { ok=yes; break; }
	sleep 0.1
done
assert_eq "a SIGHUP without store.redis comes back to the in-process count" "$ok" yes
finish
