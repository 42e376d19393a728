#!/usr/bin/env bash
# tests/proxy/limits.sh - command line length (500 5.5.2), SIZE= at MAIL and
# message size (552 5.3.4), too many recipients (452 4.5.3), mail loops
# (554 5.4.6), idle timeout (421 4.4.2), max_sessions (421 at connect), the
# client's own XCLIENT/XFORWARD refused, XCLIENT to an upstream that
# offers it, and hard_error_limit / junk_command_limit (421 4.7.0).
. "$top_srcdir/tests/proxy/lib.sh"

start_sink up
start_pg 'max_message_size = "2k", max_recipients = 3, max_hops = 3, max_sessions = 3, received = false' \
	'timeouts = { idle = "2s" }'

long=$(head -c 990 /dev/zero | tr '\0' x)
smtpc >"$T/out" 2>&1 <<EOS
expect 220
send b"EHLO c.example\r\n"
expect 250
send b"NOOP ${long}xxx\r\n"
expect 250
send b"NOOP ${long}xxxx\r\n"
expect 500 5.5.2
send b"NOOP\r\n"
expect 250
send b"MAIL FROM:<a@example.com> SIZE=4096\r\n"
expect 552 5.3.4
send b"XCLIENT ADDR=192.0.2.1\r\n"
expect 550 5.7.0
send b"XFORWARD ADDR=192.0.2.1\r\n"
expect 550 5.7.0
send b"VRFY root\r\n"
expect 502
send b"STARTTLS\r\n"
expect 502
send b"BDAT 10 LAST\r\n"
expect 502
send b"MAIL FROM:<a@example.com> SIZE=100\r\n"
expect 250
send b"RCPT TO:<r1@example.org>\r\nRCPT TO:<r2@example.org>\r\nRCPT TO:<r3@example.org>\r\nRCPT TO:<r4@example.org>\r\n"
expect 250, 250, 250, 452 4.5.3
send b"DATA\r\n"
expect 354
send b"Subject: big\r\n\r\n${long}\r\n${long}\r\n${long}\r\n.\r\n"
expect 552 5.3.4
send b"MAIL FROM:<a@example.com>\r\nRCPT TO:<r1@example.org>\r\nDATA\r\n"
expect 250, 250, 354
send b"Received: 1\r\nReceived: 2\r\nReceived: 3\r\nReceived: 4\r\nSubject: loop\r\n\r\nx\r\n.\r\n"
expect 554 5.4.6
send b"MAIL FROM:<a@example.com>\r\nRCPT TO:<r1@example.org>\r\nDATA\r\n"
expect 250, 250, 354
send b"Received: 1\r\nReceived: 2\r\nReceived: 3\r\nSubject: three hops\r\n\r\nx\r\n.\r\n"
expect 250
EOS
assert "limits in one session" test $? = 0
assert "command line of 998 octets accepted, 999 refused" grep -q '^<<< 500 5.5.2' "$T/out"
assert_eq "only the 3-hop message went upstream" "$(count up)" 1
printf 'expect 220\nsend b"EHLO x\\r\\n"\nexpect 250\n' | smtpc >"$T/ehlo" 2>&1
assert "EHLO: XCLIENT, XFORWARD and the like are not offered" \
	bash -c "! grep -Eq 'XCLIENT|XFORWARD|STARTTLS|CHUNKING|AUTH' '$T/ehlo'"

# idle timeout
s=$(date +%s)
printf 'expect 220\nsend b"EHLO c.example\\r\\n"\nexpect 250\nexpect 421 4.4.2\nexpect_close\n' | smtpc >"$T/out" 2>&1
assert "idle client: 421 4.4.2 and close" test $? = 0
e=$(date +%s)
assert "idle timeout after about 2 s" test $((e - s)) -ge 1 -a $((e - s)) -le 5

# max_sessions = 3: the fourth gets 421 at connect
bg=""
for i in 1 2 3; do
	printf 'expect 220\nsleep 2\nclose\n' | smtpc >/dev/null 2>&1 &
	bg="$bg $!"
done
sleep 0.8
printf 'expect 421\n' | smtpc >"$T/out" 2>&1
assert "over max_sessions: 421 at connect" test $? = 0
wait $bg
stop_pg
kill "$SINK_PID"; wait "$SINK_PID" 2>/dev/null

# XCLIENT: smtp-sink offers it; the upstream learns the real client's HELO
rm -rf "$T/up"
start_sink up
start_pg 'xclient = true' ''
swaks --server "127.0.0.1:$PG_PORT" --from a@example.com --to b@example.org \
	--helo real-client.example --body "xclient" >"$T/swaks.out" 2>&1
f=$(ls "$T"/up/* | head -1)
assert "XCLIENT: the upstream saw the client's HELO" grep -q '^X-Helo-Args: real-client.example' "$f"
assert "XCLIENT: no Received: line of ours" bash -c "! grep -q '(phasegate)' '$f'"
stop_pg

# hard_error_limit = 3, junk_command_limit = 2: the third error ends the
# session with 421 4.7.0; a message accepted starts the count again; NOOPs
# past the junk limit are errors
start_pg 'hard_error_limit = 3, junk_command_limit = 2' ''
smtpc >"$T/out" 2>&1 <<EOS
expect 220
send b"EHLO c.example\r\n"
expect 250
send b"RCPT TO:<r1@example.org>\r\n"
expect 503
send b"FOO\r\n"
expect 502
send b"MAIL FROM:<a@example.com>\r\nRCPT TO:<r1@example.org>\r\nDATA\r\n"
expect 250, 250, 354
send b"Subject: ok\r\n\r\nx\r\n.\r\n"
expect 250
send b"FOO\r\n"
expect 502
send b"BAR\r\n"
expect 502
send b"MAIL FROM:<bad\r\n"
expect 501, 421 4.7.0
expect_close
EOS
assert "hard_error_limit: two errors, a message, then three: 421 4.7.0 and closed" test $? = 0
assert "hard_error_limit: the reply" grep -q '^<<< 421 4.7.0 .* Error: too many errors' "$T/out"
assert "hard_error_limit: logged with the client" grep -q 'client .*: 3 errors: 421 sent, closing' "$T/pg.log"
smtpc >"$T/out" 2>&1 <<EOS
expect 220
send b"NOOP\r\nRSET\r\n"
expect 250, 250
send b"NOOP\r\nNOOP\r\nHELP\r\n"
expect 250, 250, 2, 421 4.7.0
expect_close
EOS
assert "junk_command_limit: 2 junk commands, then each is an error: the fifth ends it" test $? = 0
stop_pg
finish
