#!/usr/bin/env bash
# tests/proxy/dnsbl.sh - the dnsbl plugin in the SMTP proxy (phasegate
# serve, sessions as fibers): a client listed in a DNS list is refused at
# connect with the configured reply (every command gets it, nothing goes
# upstream); with client_at = "rcpt" only the recipients not in allow_rcpt
# are refused and the message reaches the upstream; a list that never
# answers costs at most timeouts.lookups and refuses nothing.
. "$top_srcdir/tests/proxy/lib.sh"
. "$top_srcdir/tests/dns/peers.sh"
dns_peers_start || exit 1
start_sink up

zones() {	# zones FILE LINE
	echo "$2" > "$T/$1"
}
dnsconf="dns = { servers = { \"127.0.0.1:$FAKE_PORT\" }, timeout = \"500ms\", attempts = 1 }"

# the loopback client (127.0.0.1) is listed in listall.test
zones listed.zones 'client listall.test any REJECT 554 5.7.1 Client [$subject] listed at $zone$txt'
start_pg "" "filters = { { plugin = \"dnsbl\", zones = \"$T/listed.zones\" } }
$dnsconf"
{
	echo 'expect 220'
	echo 'send b"EHLO c.example\r\n"'
	echo 'expect 554 5.7.1 Client [127.0.0.1] listed at listall.test; listed for testing'
	echo 'send b"MAIL FROM:<a@example.com>\r\n"'
	echo 'expect 554 5.7.1 Client [127.0.0.1]'
	echo 'send b"QUIT\r\n"'
	echo 'expect 221'
} | smtpc >"$T/out" 2>&1
assert "listed client: refused at connect, every command gets the reply" test $? = 0 ||
	cat "$T/out"
assert_eq "listed client: nothing upstream" "$(count up)" 0
stop_pg

# per recipient: postmaster still gets the mail
start_pg "" "filters = { { plugin = \"dnsbl\", zones = \"$T/listed.zones\",
  client_at = \"rcpt\", allow_rcpt = \"postmaster\" } }
$dnsconf"
{
	echo 'expect 220'
	echo 'send b"EHLO c.example\r\n"'
	echo 'expect 250'
	echo 'send b"MAIL FROM:<a@example.com>\r\n"'
	echo 'expect 250'
	echo 'send b"RCPT TO:<bob@example.org>\r\n"'
	echo 'expect 554 5.7.1 Client [127.0.0.1] listed at listall.test'
	echo 'send b"RCPT TO:<postmaster@example.org>\r\n"'
	echo 'expect 250'
	echo 'send b"DATA\r\n"'
	echo 'expect 354'
	echo 'send b"Subject: hello\r\n\r\nbody\r\n.\r\n"'
	echo 'expect 250'
	echo 'send b"QUIT\r\n"'
	echo 'expect 221'
} | smtpc >"$T/out" 2>&1
assert "client_at rcpt: bob refused, postmaster accepted" test $? = 0 || cat "$T/out"
assert_eq "client_at rcpt: the message reached the upstream" "$(count up)" 1
stop_pg
rm -f "$T"/up/*

# a dead list: the session waits at most timeouts.lookups, then goes on
zones dead.zones 'client drop.test any REJECT'
start_pg "" "filters = { { plugin = \"dnsbl\", zones = \"$T/dead.zones\" } }
$dnsconf
timeouts = { lookups = \"300ms\" }"
t0=$(date +%s%N)
{
	echo 'expect 220'
	echo 'send b"EHLO c.example\r\n"'
	echo 'expect 250'
	echo 'send b"MAIL FROM:<a@example.com>\r\n"'
	echo 'expect 250'
	echo 'send b"RCPT TO:<bob@example.org>\r\n"'
	echo 'expect 250'
	echo 'send b"DATA\r\n"'
	echo 'expect 354'
	echo 'send b"Subject: hello\r\n\r\nbody\r\n.\r\n"'
	echo 'expect 250'
	echo 'send b"QUIT\r\n"'
	echo 'expect 221'
} | smtpc >"$T/out" 2>&1
rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
assert "dead list: the session goes on" test $rc = 0 || cat "$T/out"
assert "dead list: within the lookup budget ($ms ms)" test "$ms" -lt 2000
assert_eq "dead list: delivered" "$(count up)" 1
assert "dead list: the timeout is logged" grep -q 'dnsbl: 127.0.0.1 in drop.test: timeout' "$T/pg.log"
stop_pg
rm -f "$T"/up/*

# the results in the message's summary line: a SCORE hit as a symbol (with
# the zone and code in the detail at info), a refusal by the dnsbl filter
printf '%s\n' 'client listall.test any SCORE 3 RBL_ALL' \
	'body listall.test any REJECT 554 5.7.1 Link listed at $zone' >"$T/score.zones"
start_pg "" "filters = { { plugin = \"dnsbl\", zones = \"$T/score.zones\" } }
$dnsconf"
msg() {	# msg BODY
	{
		echo 'expect 220'
		echo 'send b"EHLO c.example\r\n"'
		echo 'expect 250'
		echo 'send b"MAIL FROM:<a@example.com>\r\n"'
		echo 'expect 250'
		echo 'send b"RCPT TO:<bob@example.org>\r\n"'
		echo 'expect 250'
		echo 'send b"DATA\r\n"'
		echo 'expect 354'
		echo "send b\"Subject: hello\\r\\n\\r\\n$1\\r\\n.\\r\\n\""
		echo "expect $2"
		echo 'send b"QUIT\r\n"'
		echo 'expect 221'
	} | smtpc >"$T/out" 2>&1
}
msg "nothing here" 250
assert "scored: delivered" test $? = 0 || cat "$T/out"
assert "scored: the summary line has the dnsbl symbol" \
	grep -q '^.* info: msg .*result=accept .*symbols=RBL_ALL(3.00)' "$T/pg.log"
assert "scored: the hit is logged at info with subject and zone" \
	grep -q 'info: .*dnsbl: 127.0.0.1 listed in listall.test (127.0.0.2)' "$T/pg.log"
msg "see http://www.spam.example/x" "554 5.7.1 Link listed at listall.test"
assert "URIBL reject: refused" test $? = 0 || cat "$T/out"
assert "URIBL reject: the summary line names the dnsbl filter and its reply" \
	grep -q 'info: msg .*result=reject phase=eom by=dnsbl reply="554 5.7.1 Link listed at listall.test"' "$T/pg.log"
stop_pg
finish
