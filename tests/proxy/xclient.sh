#!/usr/bin/env bash
# tests/proxy/xclient.sh - the open relay of issue 15 closed: a private
# Postfix upstream that relays for mynetworks (127.0.0.1, where phasegate
# connects from) refuses a client at 127.0.0.2 directly, and refuses it
# through phasegate too when it authorizes our XCLIENT. Without
# smtpd_authorized_xclient_hosts, xclient = true is the documented hazard
# (Postfix relays, a warning is logged once), and xclient = "required"
# answers 421 instead of relaying; an upstream that offers XCLIENT and
# refuses it (smtp-sink -r XCLIENT) gets the same 421.
. "$top_srcdir/tests/proxy/lib.sh"
. "$top_srcdir/tests/milter/pflib.sh"
logged() {	# logged PATTERN [N]: N lines of pg.log match it (default 1), within 5 s
	local i
	for i in $(seq 50); do
		[ "$(grep -c -- "$1" "$T/pg.log")" -ge "${2:-1}" ] && return 0
		sleep 0.1
	done
	return 1
}
pf_usable || { echo "needs root and postfix: skip"; exit 77; }
command -v swaks >/dev/null || { echo "swaks not installed: skip"; exit 77; }

start_sink up
chmod 755 "$T"	# the postfix user works below it
relay='mynetworks = 127.0.0.1/32
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination'
pf_up() {	# pf_up DIR PORT MORE_MAIN_CF: a Postfix relaying to the sink
	local try
	for try in 1 2 3; do
		pf_start "$1" "$2" "$SINK_PORT" "" "$3" >"$1.log" 2>&1 && return 0
		pf_stop "$1"
		sleep 1
	done
	cat "$1.log"; echo "postfix did not start"; exit 1
}
pa=$(free_port); pb=$(free_port)
pf_up "$T/pfa" "$pa" "$relay
smtpd_authorized_xclient_hosts = 127.0.0.1"
pf_up "$T/pfb" "$pb" "$relay"
trap 'pf_stop "$T/pfa"; pf_stop "$T/pfb"; _cleanup' EXIT
sink=$SINK_PORT

send() {	# send PORT RCPT OUT: swaks from 127.0.0.2
	swaks --server "127.0.0.1:$1" --local-interface 127.0.0.2 \
		--from a@example.com --to "$2" --helo outside.example \
		--body "relay test" >"$3" 2>&1
}

# directly: Postfix refuses to relay for 127.0.0.2
send "$pa" victim@elsewhere.test "$T/direct.out"
assert "directly: Postfix refuses to relay for the outside client" \
	grep -q '^<\*\* *554 5.7.1 .*Relay access denied' "$T/direct.out"

# through phasegate, Postfix authorizing our XCLIENT: refused the same way
SINK_PORT=$pa
start_pg 'xclient = true' ''
send "$PG_PORT" victim@elsewhere.test "$T/xc.out"
assert "through phasegate (XCLIENT): relay refused as directly" \
	grep -q '^<\*\* *554 5.7.1 .*Relay access denied' "$T/xc.out"
send "$PG_PORT" b@example.org "$T/xcok.out"
assert "through phasegate (XCLIENT): mail for a relay domain queued" \
	grep -q '^<-  250 2.0.0 Ok: queued' "$T/xcok.out"
pf_wait_queue "$T/pfa" 10
sleep 0.3
assert "Postfix saw the client's own address" \
	grep -rq '^Received: from outside.example (unknown \[127.0.0.2\])' "$T/up"
stop_pg

# behind a relay (xforward_from): XCLIENT waits for the client XFORWARD
# names, so Postfix refuses to relay for it although the relay is ours
start_pg 'xclient = "required", xforward_from = { "127.0.0.1" }' ''
smtpc >"$T/xf.out" 2>&1 <<'EOS'
expect 220
send b"EHLO relay.example\r\n"
expect 250
send b"XFORWARD NAME=[UNAVAILABLE] ADDR=127.0.0.2 PORT=4000 HELO=outside.example\r\n"
expect 250
send b"MAIL FROM:<a@example.com>\r\n"
expect 250
send b"RCPT TO:<victim@elsewhere.test>\r\n"
expect 554 5.7.1
send b"QUIT\r\n"
expect 221
EOS
assert "XFORWARD then XCLIENT: Postfix refuses to relay for the named client" test $? = 0
stop_pg

# Postfix NOT authorizing us, xclient = true: the hazard docs/proxy.md names
SINK_PORT=$pb
start_pg 'xclient = true' ''
send "$PG_PORT" victim@elsewhere.test "$T/open1.out"
send "$PG_PORT" victim2@elsewhere.test "$T/open2.out"
assert "without smtpd_authorized_xclient_hosts Postfix sees 127.0.0.1 and relays" \
	grep -q '^<-  250 2.0.0 Ok: queued' "$T/open1.out"
logged 'xclient = true but the upstream does not offer XCLIENT' || true
assert_eq "the missing XCLIENT is logged once per generation" \
	"$(grep -c 'xclient = true but the upstream does not offer XCLIENT' "$T/pg.log")" 1
stop_pg

# xclient = "required": the session tempfails instead of relaying
: >"$T/pg.log"
rm -rf "$T/up"; mkdir -p "$T/up"
pf_wait_queue "$T/pfb" 10
rm -f "$T"/up/*
start_pg 'xclient = "required"' ''
send "$PG_PORT" victim@elsewhere.test "$T/req.out"
assert "xclient = required, not authorized: 421 4.7.0 at EHLO" \
	grep -q '^<\*\* *421 4.7.0 .*does not accept XCLIENT' "$T/req.out"
assert "xclient = required: no MAIL reached Postfix" \
	bash -c "! grep -q 'MAIL FROM' '$T/req.out'"
assert "xclient = required: logged" \
	logged 'does not offer XCLIENT (xclient = "required"'
sleep 0.5
assert_eq "xclient = required: nothing relayed" "$(find "$T/up" -type f | wc -l)" 0
stop_pg

# the same behind a relay: the 421 comes at MAIL, and the session ends
start_pg 'xclient = "required", xforward_from = { "127.0.0.1" }' ''
smtpc >"$T/xfreq.out" 2>&1 <<'EOS'
expect 220
send b"EHLO relay.example\r\n"
expect 250
send b"XFORWARD ADDR=127.0.0.2 HELO=outside.example\r\n"
expect 250
send b"MAIL FROM:<a@example.com>\r\n"
expect 421 4.7.0
EOS
assert "xclient = required behind a relay: 421 4.7.0 at MAIL" test $? = 0
stop_pg

# an upstream that offers XCLIENT and refuses it: 421 too
SINK_PORT=$sink
start_sink up2 -r XCLIENT
start_pg 'xclient = "required"' ''
printf 'expect 220\nsend b"EHLO c.example\\r\\n"\nexpect 421 4.7.0\n' | smtpc >"$T/ref.out" 2>&1
assert "an upstream refusing XCLIENT: 421 4.7.0" test $? = 0
assert "the refusal logged" logged 'upstream refused XCLIENT: 4'
finish
