#!/usr/bin/env bash
# tests/store/memcap.sh - issue 11 item 4: a script that fills pg.store is
# stopped at store.memory_max (a filter error: on_error tempfails), and
# the process stays bounded over 30 such messages (without the cap the
# same script grew the process by 1.6 GiB).
. "$top_srcdir/tests/proxy/lib.sh"

cat >"$T/fill.lua" <<'EOL'
local pg = require "phasegate"
local blob = string.rep("x", 60000)
pg.on("mail", function(tx, sender)
  for i = 1, 1000 do
    pg.store.set("fill:" .. tx.session.id .. ":" .. i, blob)
  end
end)
EOL
start_sink up
start_pg "" "filters = { { script = \"$T/fill.lua\" } }
store = { memory_max = \"16M\" }"
rss() { awk '/^VmRSS/ {print $2}' "/proc/$PG_PID/status"; }
mail_code() {
	printf '%s\n' 'expect 220' 'send b"EHLO c.example\r\n"' 'expect 250' \
		'send b"MAIL FROM:<a@example.com>\r\n"' 'expect 2 4 5' 'send b"QUIT\r\n"' |
		/usr/bin/python3 "$top_srcdir/tests/proxy/smtpc.py" "$PG_PORT" 2>&1 |
		grep '^<<< ' | grep -v '^<<< 250-' | sed -n '3s/^<<< \([0-9]*\).*/\1/p'
}
before=$(rss)
codes=""
for i in $(seq 1 30); do codes="$codes $(mail_code)"; done
after=$(rss)
assert_eq "every filling message is a filter error (tempfail)" \
	"$(echo $codes | tr ' ' '\n' | sort | uniq -c | awk '{print $1, $2}')" "30 451"
assert "the error names the cap" grep -q "store.memory_max reached" "$T/pg.log"
grow=$(( (after - before) / 1024 ))
echo "# RSS before ${before} kB, after ${after} kB: +${grow} MiB for 30 x 60 MB attempted"
assert "the process grew by less than 64 MiB ($grow MiB)" [ "$grow" -lt 64 ]
finish
