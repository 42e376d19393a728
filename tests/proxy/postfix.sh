#!/usr/bin/env bash
# tests/proxy/postfix.sh - a private Postfix smtpd as the upstream (relaying
# to smtp-sink): XCLIENT hands it the real client's HELO (no Received: of
# ours), its capabilities are filtered (SIZE is the smaller limit, XCLIENT
# hidden), smuggling attempts never reach it as a second message, and a
# pipelined group goes through.
. "$top_srcdir/tests/proxy/lib.sh"
. "$top_srcdir/tests/milter/pflib.sh"
pf_usable || { echo "needs root and postfix: skip"; exit 77; }

start_sink up
chmod 755 "$T"	# the postfix user works below it
pfport=$(free_port)
# pf_start's master sometimes fails to start while other instances run: retry
for try in 1 2 3; do
	pf_start "$T/pf" "$pfport" "$SINK_PORT" "" "smtpd_authorized_xclient_hosts = 127.0.0.0/8
message_size_limit = 10240000
smtpd_forbid_bare_newline = normalize
smtpd_forbid_bare_newline_exclusions =" >"$T/pfstart.log" 2>&1 && break
	[ $try = 3 ] && { cat "$T/pfstart.log"; echo "postfix did not start"; exit 1; }
	pf_stop "$T/pf"
	sleep 1
done
trap 'pf_stop "$T/pf"; _cleanup' EXIT
real_sink=$SINK_PORT
SINK_PORT=$pfport	# phasegate's upstream is Postfix
start_pg 'xclient = true, max_message_size = "5M"' ''

printf 'expect 220\nsend b"EHLO c.example\\r\\n"\nexpect 250\n' | smtpc >"$T/ehlo" 2>&1
assert "Postfix greeting relayed" grep -q '^<<< 220 mx.test.example' "$T/ehlo"
assert "EHLO: SIZE is the smaller limit" grep -q '^<<< 250.SIZE 5242880' "$T/ehlo"
assert "EHLO: XCLIENT not offered to the client" bash -c "! grep -q XCLIENT '$T/ehlo'"

swaks --server "127.0.0.1:$PG_PORT" --from a@example.com --to b@example.org \
	--helo real-client.example --body "through postfix" >"$T/swaks.out" 2>&1
assert "accepted through Postfix" grep -q '^<-  250 2.0.0 Ok: queued as' "$T/swaks.out"
# phasegate's summary line takes Postfix's queue id from its answer
qid=$(sed -n 's/^<-  250 2.0.0 Ok: queued as \([0-9A-Za-z]*\).*/\1/p' "$T/swaks.out")
for i in $(seq 50); do grep -q "msg qid=${qid:-none} " "$T/pg.log" && break; sleep 0.1; done
assert "summary line with the upstream Postfix's queue id $qid" grep -Eq \
	"msg qid=${qid:-none} session=pg-[0-9a-f-]+ frontend=smtp .* result=accept .* upstream=\"250 2\.0\.0 Ok: queued as ${qid:-none}\"\$" "$T/pg.log"
pf_wait_queue "$T/pf" 10
sleep 0.3
f=$(ls "$T"/up/* | head -1)
assert "delivered by Postfix to the sink" test -n "$f"
assert "Postfix saw the real client's HELO (XCLIENT)" grep -q '^Received: from real-client.example (localhost \[127.0.0.1\])' "$f"
assert "no Received: line of ours with XCLIENT" bash -c "! grep -q '(phasegate)' '$f'"

# smuggling through to Postfix: the hidden message never arrives
rm -f "$T"/up/*
smtpc >"$T/out" 2>&1 <<'EOS'
expect 220
send b"EHLO c.example\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n"
expect 250, 250, 250, 354
send b"Subject: s\r\n\r\nbody\n.\nMAIL FROM:<evil@example.com>\r\nRCPT TO:<victim@example.org>\r\nDATA\r\nSubject: smuggled\r\n\r\nevil\r\n.\r\n"
expect 550 5.5.2
send b"MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nRCPT TO:<c@example.org>\r\nDATA\r\n"
expect 250, 250, 250, 354
send b"Subject: fine\r\n\r\npipelined\r\n.\r\nQUIT\r\n"
expect 250 2.0.0 Ok: queued, 221
EOS
assert "smuggling refused, then a pipelined message queued" test $? = 0
pf_wait_queue "$T/pf" 10
sleep 0.3
assert_eq "exactly one message at the sink" "$(find "$T/up" -type f | wc -l)" 1
assert "no smuggled message" bash -c "! grep -rq smuggled '$T/up'"
finish
