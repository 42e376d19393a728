#!/usr/bin/env bash
# tests/milter/dnsbl.sh - the dnsbl plugin in the milter front end, against
# miltertest and the tests' DNS servers: a client the MTA reports as
# 192.0.2.100 (listed in bl.test with a REJECT rule) is refused at connect
# with the configured reply; 192.0.2.99 (a SCORE rule) passes and gets
# its X-Spam-Status; 192.0.2.1 (not listed) passes clean. Skipped (77)
# without miltertest.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/dns/peers.sh"
command -v miltertest >/dev/null || { echo "miltertest not installed: skip"; exit 77; }
dns_peers_start || exit 1
port=$(free_port)
cat > "$T/m.conf" <<CONF
milter = { listen = "inet:$port@127.0.0.1" }
filters = { { plugin = "dnsbl", zones = "$top_srcdir/tests/data/dnsbl/test.zones" } }
actions = { add_header = 4, reject = 15 }
dns = { servers = { "127.0.0.1:$FAKE_PORT" }, timeout = "400ms", attempts = 1 }
CONF
spawn "$PHASEGATE" serve -c "$T/m.conf" >"$T/m.log" 2>&1
if miltertest -D sock="inet:$port@127.0.0.1" -s "$top_srcdir/tests/milter/mt/dnsbl.lua" \
	>"$T/mt.out" 2>&1; then
	assert "miltertest dnsbl" true
else
	sed 's/^/# /' "$T/mt.out"; sed 's/^/# log: /' "$T/m.log"
	assert "miltertest dnsbl" false
fi
grep -c '^ok - ' "$T/mt.out" | sed 's/^/# /;s/$/ checks passed/'
assert "the hit is logged" grep -q 'dnsbl: 192.0.2.100 listed in bl.test (127.0.0.3)' "$T/m.log"
finish
