#!/usr/bin/env bash
# tests/store/map.sh - pg.map through the proxy: a cidr map next to the
# configuration decides MAIL; the file is rewritten while sessions use it
# (each session sees the old or the new map, never an error, and the new
# one within a couple of seconds, without SIGHUP); a bad line keeps the old
# map and is logged with FILE:LINE; a map that does not load at start
# fails configtest; the domain, set and regex kinds from a script.
. "$top_srcdir/tests/proxy/lib.sh"

cat >"$T/map.lua" <<'EOL'
local pg = require "phasegate"
local nets = pg.map("nets.map", "cidr")
local doms = pg.map("doms.map", "domain")
local vips = pg.map("vips.map", "set")
local pats = pg.map("pats.map", "regex")
pg.on("mail", function(tx, sender)
  local d = sender:match("@(.+)$") or ""
  if doms:match(d) then return pg.reject("550 5.7.1 domain " .. tostring(doms:match(d))) end
  if pats:match(sender) then return pg.reject("550 5.7.1 pattern " .. pats:match(sender)) end
  if vips:match(sender) then return end
  local v = nets:match(tx.session.client_addr)
  if v then return pg.tempfail("451 4.7.1 net " .. tostring(v)) end
end)
EOL
printf '# loopback\n127.0.0.0/8 one\n' >"$T/nets.map"
printf 'blocked.example\n' >"$T/doms.map"
printf 'VIP@example.com\n' >"$T/vips.map"
printf '/^spam[0-9]+@/i numbered\n' >"$T/pats.map"
start_sink up
start_pg "" "filters = { { script = \"map.lua\" } }"

mail_reply() {	# mail_reply SENDER -> the MAIL reply line
	printf '%s\n' 'expect 220' 'send b"EHLO c.example\r\n"' 'expect 250' \
		"send b\"MAIL FROM:<$1>\\r\\n\"" 'expect 2 4 5' 'send b"QUIT\r\n"' |
		/usr/bin/python3 "$top_srcdir/tests/proxy/smtpc.py" "$PG_PORT" 2>&1 |
		grep '^<<< ' | grep -v '^<<< 250-' | sed -n '3s/^<<< //p'
}
assert_eq "cidr" "$(mail_reply a@example.com)" "451 4.7.1 net one"
assert_eq "domain: a name under the listed one" "$(mail_reply a@mx.Blocked.example)" \
	"550 5.7.1 domain true"
assert_eq "set: case-insensitive" "$(mail_reply vip@EXAMPLE.com | cut -c1-3)" 250
assert_eq "regex" "$(mail_reply SPAM42@example.net)" "550 5.7.1 pattern numbered"

# rewrite the map while sessions run: old or new, never anything else
( for i in $(seq 1 40); do mail_reply a@example.com; done >"$T/during" ) &
busy=$!
for v in two three four; do
	printf '127.0.0.0/8 %s\n127.0.0.1 %s-host\n' "$v" "$v" >"$T/nets.tmp"
	mv "$T/nets.tmp" "$T/nets.map"
	sleep 0.6
done
wait "$busy"
bad=$(grep -cv -E '^451 4.7.1 net (one|two-host|three-host|four-host)$' "$T/during")
assert_eq "every session saw a whole map" "$bad" 0
ok=no
for i in $(seq 1 30); do
	[ "$(mail_reply a@example.com)" = "451 4.7.1 net four-host" ] && { ok=yes; break; }
	sleep 0.2
done
assert_eq "the last version is in use, without SIGHUP" "$ok" yes
# a bad line keeps the old map
printf '127.0.0.1 five\n300.0.0.1 bad\n' >"$T/nets.tmp"; mv "$T/nets.tmp" "$T/nets.map"
sleep 1.5
assert_eq "a bad line keeps the old map" "$(mail_reply a@example.com)" "451 4.7.1 net four-host"
assert "and is logged with FILE:LINE" grep -q "nets.map:2: not an IPv4 or IPv6 address; keeping the old map" "$T/pg.log"
# replaced by a directory: the same
rm "$T/nets.map"; mkdir "$T/nets.map"
sleep 1.5
assert_eq "a directory in its place keeps the old map" "$(mail_reply a@example.com)" "451 4.7.1 net four-host"
assert "and says so" grep -q "nets.map: Is a directory; keeping the old map" "$T/pg.log"
stop_pg
# at start a map that does not load is a configuration error
"$PHASEGATE" configtest -c "$T/pg.conf" >"$T/ct" 2>&1
assert "configtest fails on a map that does not load" [ $? != 0 ]
assert "naming the map" grep -q "nets.map" "$T/ct"
finish
