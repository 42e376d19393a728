#!/usr/bin/env bash
# tests/proxy/fcrdns.sh - the proxy's client name is forward-confirmed
# reverse DNS on the resolver (tests/dns/fakedns.py): a PROXY header names
# each client, and a rule logs session.client_name and session.client_ptr
# at connect and at MAIL. Confirmed (PTR, then A back to the address),
# unconfirmed (the PTR name's A is another address), no PTR, a PTR server
# that never answers (unknown within timeouts.lookups), IPv6, and the
# loopback client (localhost, no lookup). The upstream (Postfix's Received:
# line through XCLIENT is in postfix.sh) gets the message each time.
# Then the lookup runs beside the connect phase: with a PTR answered after
# 1.5 s and a DNS list answered after 0.3 s, the greeting comes after the
# list's answer, not after both, and the HELO rule that reads the name
# waits for the rest of its lookup and sees it confirmed.
. "$top_srcdir/tests/proxy/lib.sh"
. "$top_srcdir/tests/dns/peers.sh"
dns_peers_start || exit 1
start_sink up

cat >"$T/names.lua" <<'EOL'
local pg = require "phasegate"
pg.on("connect", function(s)
  pg.log.info("connect addr=%s name=%s ptr=%s", s.client_addr,
    s.client_name, tostring(s.client_ptr))
end)
pg.on("mail", function(tx, sender)
  local s = tx.session
  pg.log.info("mail addr=%s name=%s ptr=%s", s.client_addr, s.client_name,
    tostring(s.client_ptr))
end)
EOL
start_pg 'proxy_protocol = true, proxy_from = { "127.0.0.1" }' \
	"filters = { { script = \"$T/names.lua\" } }
dns = { servers = { \"127.0.0.1:$FAKE_PORT\" }, timeout = \"300ms\", attempts = 1 }
timeouts = { lookups = \"2s\" }"

session() {	# session "PROXY header" : one message, print smtpc's verdict
	{
		echo "send b\"$1\\r\\n\""
		echo 'expect 220'
		echo 'send b"EHLO c.example\r\n"'
		echo 'expect 250'
		echo 'send b"MAIL FROM:<a@example.com>\r\n"'
		echo 'expect 250'
		echo 'send b"RCPT TO:<b@example.org>\r\n"'
		echo 'expect 250'
		echo 'send b"DATA\r\n"'
		echo 'expect 354'
		echo 'send b"Subject: hi\r\n\r\nbody\r\n.\r\n"'
		echo 'expect 250'
		echo 'send b"QUIT\r\n"'
		echo 'expect 221'
	} | smtpc >"$T/out" 2>&1
	local rc=$?
	[ $rc = 0 ] || cat "$T/out"
	return $rc
}

check_names() {	# check_names WHAT ADDR NAME PTR
	assert "$1: connect sees name $3, ptr $4" \
		grep -q "connect addr=$2 name=$3 ptr=$4\$" "$T/pg.log"
	assert "$1: MAIL sees the same" \
		grep -q "mail addr=$2 name=$3 ptr=$4\$" "$T/pg.log"
}

assert "confirmed: delivered" session "PROXY TCP4 192.0.2.2 127.0.0.1 4000 25"
check_names confirmed 192.0.2.2 host.good.test host.good.test
assert "the summary line names the client" \
	grep -q 'client=host.good.test\[192.0.2.2\]' "$T/pg.log"

assert "unconfirmed: delivered" session "PROXY TCP4 192.0.2.3 127.0.0.1 4000 25"
check_names unconfirmed 192.0.2.3 unknown liar.good.test

assert "no PTR: delivered" session "PROXY TCP4 192.0.2.4 127.0.0.1 4000 25"
check_names "no PTR" 192.0.2.4 unknown unknown

t0=$(date +%s%N)
assert "PTR timeout: delivered" session "PROXY TCP4 192.0.2.5 127.0.0.1 4000 25"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check_names "PTR timeout" 192.0.2.5 unknown unknown
# the resolver gives up after 300 ms; the bound is timeouts.lookups (2 s)
# plus a generous margin for a loaded machine, not a rate
assert "PTR timeout: the session waited less than 10 s ($ms ms)" test "$ms" -lt 10000

assert "IPv6 confirmed: delivered" \
	session "PROXY TCP6 2001:db8::1 ::1 4000 25"
check_names "IPv6 confirmed" 2001:db8::1 v6host.good.test v6host.good.test

assert "loopback: delivered" session "PROXY TCP4 127.0.0.1 127.0.0.1 4000 25"
check_names loopback 127.0.0.1 localhost localhost
assert_eq "every message at the sink" "$(count up)" 6
stop_pg

printf 'client slow.test any SCORE 1 SLOW_LISTED\n' >"$T/slow.zones"
cat >"$T/helo.lua" <<'EOL'
local pg = require "phasegate"
pg.on("helo", function(s, helo)
  pg.log.info("helo name=%s ptr=%s", s.client_name, tostring(s.client_ptr))
end)
EOL
start_pg 'proxy_protocol = true, proxy_from = { "127.0.0.1" }' \
	"filters = { { plugin = \"dnsbl\", zones = \"$T/slow.zones\" },
  { script = \"$T/helo.lua\" } }
dns = { servers = { \"127.0.0.1:$FAKE_PORT\" }, timeout = \"3s\", attempts = 1 }
timeouts = { lookups = \"4s\" }"
t0=$(date +%s%N)
printf '%s\n' 'send b"PROXY TCP4 192.0.2.6 127.0.0.1 4000 25\r\n"' 'expect 220' \
	'send b"QUIT\r\n"' 'expect 221' | smtpc >"$T/out" 2>&1
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
assert "slow PTR: greeted" grep -q '<<< 220' "$T/out"
# one after the other: 1,500 ms (PTR) + the A + 300 ms (the list) at least
assert "slow PTR: the greeting did not wait for the name ($ms ms < 1600)" \
	test "$ms" -lt 1600
# the PTR's TTL is 0: the next session looks it up again
assert "slow PTR: delivered" session "PROXY TCP4 192.0.2.6 127.0.0.1 4000 25"
assert "slow PTR: the HELO rule waited for the name and saw it confirmed" \
	grep -q 'helo name=slowptr.good.test ptr=slowptr.good.test$' "$T/pg.log"
assert "slow PTR: the summary line names it, with the list's symbol" \
	grep -q 'client=slowptr.good.test\[192.0.2.6\].*SLOW_LISTED' "$T/pg.log"
stop_pg
finish
