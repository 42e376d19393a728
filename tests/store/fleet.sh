#!/usr/bin/env bash
# tests/store/fleet.sh - two `phasegate serve` instances share a rate limit
# through one redis-server (the limit holds across both); Redis killed in
# the middle of the run: MAIL is tempfailed by on_error, the failure is
# logged once for the burst, and when Redis is back the next messages pass
# again without a restart.
. "$top_srcdir/tests/proxy/lib.sh"
. "$top_srcdir/tests/store/lib.sh"

start_redis
start_sink up
cat >"$T/rate.lua" <<'EOL'
local pg = require "phasegate"
pg.on("mail", function(tx, sender)
  local n = pg.store.incr("rate:" .. tx.session.client_addr, 1, 3600)
  if n > 4 then return pg.tempfail("451 4.7.1 rate limit (" .. n .. ")") end
end)
EOL
conf="filters = { { script = \"$T/rate.lua\" } }
store = { redis = \"127.0.0.1:$REDIS_PORT\", prefix = \"fleet:\", timeout = \"5s\" }"
start_pg "" "$conf"; PORT_A=$PG_PORT; PID_A=$PG_PID; cp "$T/pg.conf" "$T/a.conf"
mv "$T/pg.log" "$T/a.log" 2>/dev/null
start_pg "" "$conf"; PORT_B=$PG_PORT; PID_B=$PG_PID

# the MAIL reply's code: the third reply line (220, EHLO's last, MAIL's)
mail_code() {
	printf '%s\n' 'expect 220' 'send b"EHLO c.example\r\n"' 'expect 250' \
		'send b"MAIL FROM:<a@example.com>\r\n"' 'expect 2 4 5' 'send b"QUIT\r\n"' |
		/usr/bin/python3 "$top_srcdir/tests/proxy/smtpc.py" "$1" 2>&1 |
		grep '^<<< ' | grep -v '^<<< 250-' | sed -n '3s/^<<< \([0-9]*\).*/\1/p'
}
codes=""
for p in $PORT_A $PORT_B $PORT_A $PORT_B $PORT_A $PORT_B; do
	codes="$codes $(mail_code "$p")"
done
assert_eq "the limit of 4 holds across both instances" "$codes" " 250 250 250 250 451 451"
assert_eq "one counter in redis" "$(rcli GET fleet:rate:127.0.0.1)" "6"
ttl=$(rcli TTL fleet:rate:127.0.0.1)
assert "it has the window's ttl" [ "$ttl" -gt 3500 ] && [ "$ttl" -le 3600 ]

# Redis goes away: on_error (tempfail) for every MAIL, one log line per burst
rcli DEL fleet:rate:127.0.0.1 >/dev/null
stop_redis
codes=""
for i in 1 2 3 4 5; do codes="$codes $(mail_code "$PORT_B")"; done
assert_eq "Redis down: tempfail by on_error" "$codes" " 451 451 451 451 451"
sleep 0.2
n=$(grep -c "store: redis" "$T/pg.log")
assert "the failure is logged once for the burst ($n lines)" [ "$n" -eq 1 ]
grep "store: redis" "$T/pg.log" | head -2

# back on the same port: the next messages pass without a restart
REDIS_PORT_WANT=$REDIS_PORT start_redis
ok=no
for i in $(seq 1 40); do
	if [ "$(mail_code "$PORT_B")" = 250 ]; then ok=yes; break; fi
	sleep 0.25
done
assert_eq "recovery without a restart" "$ok" yes
assert_eq "instance A too" "$(mail_code "$PORT_A")" 250
sleep 0.2
assert "recovery logged" grep -q "working again" "$T/pg.log"
kill -0 "$PID_A" && kill -0 "$PID_B"
assert "both instances still run" [ $? = 0 ]
finish
