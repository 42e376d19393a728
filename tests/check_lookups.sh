#!/usr/bin/env bash
# tests/check_lookups.sh - `phasegate check` and the DNS (issue 13):
# --client looks up the client's names as the proxy does (PTR, forward
# confirmation) against tests/dns/fakedns.py: confirmed, unconfirmed, no
# PTR, a PTR server that never answers; --no-dns and --client-name; -v
# lists every lookup (the client's and each filter's: type, name, answer
# or error, time, filter) and --json has them; the list is bounded.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/dns/peers.sh"
dns_peers_start || exit 1

printf 'From: a@example.org\r\nSubject: hi\r\n\r\nhello\r\n' > "$T/m.eml"
cat >"$T/names.lua" <<'EOL'
local pg = require "phasegate"
pg.on("connect", function(s)
  pg.log.warn("client name=%s ptr=%s", s.client_name, tostring(s.client_ptr))
  pg.dns.a("www.good.test")
  pg.dns.a("nx.bad.test")
  pg.dns.mx("example.test")
  pg.dnsbl(s.client_addr, { "listall.test", "wild255.test" })
end)
EOL
cat >"$T/c.conf" <<EOC
filters = { { script = "$T/names.lua" } }
dns = { servers = { "127.0.0.1:$FAKE_PORT" }, timeout = "300ms", attempts = 1 }
timeouts = { lookups = "2s" }
EOC

pgcheck() {	# pgcheck ARGS... ; sets $out, $err and $rc
	out=$("$PHASEGATE" check -c "$T/c.conf" "$@" 2>"$T/stderr") && rc=0 || rc=$?
	err=$(cat "$T/stderr")
}

names() {	# names WHAT NAME PTR ARGS...
	local what=$1 name=$2 ptr=$3
	shift 3
	pgcheck "$@" "$T/m.eml"
	assert_eq "$what: accepted" "$rc" 0
	assert "$what: the rule sees name=$name ptr=$ptr" \
		grep -q "client name=$name ptr=$ptr\$" <<<"$err"
	assert "$what: the connect line names $name" \
		grep -q "^connect  $name \[" <<<"$out"
}
names confirmed host.good.test host.good.test --client 192.0.2.2
names "IPv6 confirmed" v6host.good.test v6host.good.test --client 2001:db8::1
names unconfirmed unknown liar.good.test --client 192.0.2.3
names "no PTR" unknown unknown --client 192.0.2.4
names "PTR timeout" unknown unknown --client 192.0.2.5
names "default client" localhost localhost
names "--no-dns" unknown unknown --client 192.0.2.2 --no-dns
names "--no-dns --client-name" mx.example mx.example --client 192.0.2.2 \
	--no-dns --client-name mx.example
names "--client-name" given.example host.good.test --client 192.0.2.2 \
	--client-name given.example

# -v: every lookup, in order
pgcheck --client 192.0.2.3 -v "$T/m.eml"
assert "-v: the client's lookup" grep -q \
	'^lookup   fcrdns 192.0.2.3 -> name=unknown ptr=liar.good.test ([0-9]* ms, --client)$' <<<"$out"
assert "-v: an answer" grep -q \
	'^lookup   A      www.good.test -> 192.0.2.80 ([0-9]* ms, names.lua)$' <<<"$out"
assert "-v: an error" grep -q \
	'^lookup   A      nx.bad.test -> error: nxdomain ([0-9]* ms, names.lua)$' <<<"$out"
assert "-v: the MX query" grep -q '^lookup   MX     example.test -> ' <<<"$out"
assert "-v: a listing, with its TXT" grep -q \
	'^lookup   dnsbl  192.0.2.3 in listall.test -> 127.0.0.2 "listed for testing" (' <<<"$out"
assert "-v: a wildcard 127.255.255.x list is an error, not a listing" grep -q \
	'^lookup   dnsbl  192.0.2.3 in wild255.test -> error: badcode (' <<<"$out"
assert_eq "-v: six lookups" "$(grep -c '^lookup ' <<<"$out")" 6
pgcheck --client 192.0.2.3 "$T/m.eml"
assert "without -v: no lookup lines" bash -c "! grep -q '^lookup' <<<\"\$1\"" _ "$out"
pgcheck --client 192.0.2.3 --no-dns -v "$T/m.eml"
assert "--no-dns -v: no client lookup" bash -c "! grep -q 'fcrdns' <<<\"\$1\"" _ "$out"

# --json
pgcheck --client 192.0.2.2 --json "$T/m.eml"
assert "--json: the lookups, each with type, name, zone, answer, error, ms, filter" \
	/usr/bin/python3 -c '
import json, sys
r = json.loads(sys.argv[1])
l = r["lookups"]
assert r["lookups_not_shown"] == 0
assert l[0] == dict(type="fcrdns", name="192.0.2.2", zone=None,
    answer="name=host.good.test ptr=host.good.test (confirmed)", error=None,
    ms=l[0]["ms"], filter="--client"), l[0]
a = [x for x in l if x["type"] == "A" and x["name"] == "www.good.test"][0]
assert a["answer"] == "192.0.2.80" and a["error"] is None and a["filter"] == "names.lua"
n = [x for x in l if x["name"] == "nx.bad.test"][0]
assert n["answer"] is None and n["error"] == "nxdomain"
z = [x for x in l if x["zone"] == "wild255.test"][0]
assert z["type"] == "dnsbl" and z["error"] == "badcode" and z["name"] == "192.0.2.2"
assert all(isinstance(x["ms"], int) for x in l)
' "$out"

# many lookups: the list keeps 1,000 and counts the rest
cat >"$T/many.lua" <<'EOL'
local pg = require "phasegate"
pg.on("connect", function(s)
  for i = 1, 1500 do pg.dns.a("h" .. i .. ".good.test") end
end)
EOL
cat >"$T/many.conf" <<EOC
filters = { { script = "$T/many.lua" } }
dns = { servers = { "127.0.0.1:$FAKE_PORT" }, timeout = "300ms", attempts = 1 }
timeouts = { lookups = "30s", script = "30s" }
EOC
out=$("$PHASEGATE" check -c "$T/many.conf" --no-dns -v "$T/m.eml" 2>/dev/null); rc=$?
assert_eq "1,500 lookups: accepted" "$rc" 0
assert_eq "1,500 lookups: 1,000 lines" "$(grep -c '^lookup   A ' <<<"$out")" 1000
assert "1,500 lookups: the rest counted" grep -q '^lookup   \.\.\. 500 more not shown$' <<<"$out"
finish
