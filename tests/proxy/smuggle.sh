#!/usr/bin/env bash
# tests/proxy/smuggle.sh - SMTP smuggling: every bare-LF/bare-CR end-of-data
# variant with a second MAIL/RCPT/DATA hidden in the body is refused with
# 550 5.5.2 and never gives a second (or any) upstream message; bare LF in a
# command is refused; with bare_newline = "normalize" a bare LF is a line end
# and the upstream still gets canonical CRLF. Also RFC 2920 pipelining.
. "$top_srcdir/tests/proxy/lib.sh"

start_sink up
start_pg "" ""

hidden='MAIL FROM:<evil@attacker.example>\r\nRCPT TO:<victim@example.org>\r\nDATA\r\nSubject: smuggled\r\n\r\nevil\r\n'
for v in '\n.\n' '\n.\r\n' '\r\n.\n' '\r.\r' '\r\n.\r' '\r\n.\r\r\n' '\n..\n'; do
	rm -f "$T"/up/*
	smtpc >"$T/out" 2>&1 <<EOS
expect 220
send b"EHLO c.example\r\n"
expect 250
send b"MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n"
expect 250, 250, 354
send b"Subject: s\r\n\r\nbody$v$hidden.\r\n"
expect 550 5.5.2
send b"QUIT\r\n"
expect 221
EOS
	assert "smuggling $v: refused with 550 5.5.2" test $? = 0
	assert_eq "smuggling $v: nothing upstream" "$(count up)" 0
done

# after a refused message the session still works and sends exactly one
rm -f "$T"/up/*
smtpc >"$T/out" 2>&1 <<EOS
expect 220
send b"EHLO c.example\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n"
expect 250, 250, 250, 354
send b"Subject: s\r\n\r\nbody\n.\n$hidden.\r\n"
expect 550 5.5.2
send b"MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n"
expect 250, 250, 354
send b"Subject: good\r\n\r\nfine\r\n.\r\n"
expect 250
EOS
assert "a good message after a refused one" test $? = 0
assert_eq "exactly one message upstream" "$(count up)" 1
assert "it is the good one" grep -q '^Subject: good' "$T"/up/*

# bare LF or CR in a command
printf 'expect 220\nsend b"EHLO c.example\\n"\nexpect 550 5.5.2\nexpect_close\n' | smtpc >"$T/out" 2>&1
assert "bare LF in a command: 550 5.5.2 and close" test $? = 0
printf 'expect 220\nsend b"EHLO c.ex\\rample\\r\\n"\nexpect 550 5.5.2\n' | smtpc >"$T/out" 2>&1
assert "bare CR in a command: 550 5.5.2" test $? = 0

# pipelining: one packet, replies in order; DATA with no recipient
smtpc >"$T/out" 2>&1 <<'EOS'
expect 220
send b"EHLO c.example\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nRCPT TO:<c@example.org>\r\nRCPT TO:<>\r\nRSET\r\nMAIL FROM:<a@example.com>\r\nDATA\r\nNOOP\r\n"
expect 250, 250, 250, 250, 501, 250, 250, 554 5.5.1, 250
EOS
assert "pipelined group: replies in order" test $? = 0
stop_pg

start_pg "" 'filters = { { plugin = "pg_test_all", rcpt = "reject 550 5.1.1 nope" } }'
smtpc >"$T/out" 2>&1 <<'EOS'
expect 220
send b"EHLO c.example\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\nQUIT\r\n"
expect 250, 250, 550 5.1.1 nope, 554 5.5.1, 221
EOS
assert "pipelined: DATA after no accepted recipient gets 554 5.5.1" test $? = 0
stop_pg

# normalize: bare LF ends lines; the upstream gets canonical CRLF
rm -f "$T"/up/*
start_pg 'bare_newline = "normalize"' ""
smtpc >"$T/out" 2>&1 <<'EOS'
expect 220
send b"EHLO c.example\nMAIL FROM:<a@example.com>\nRCPT TO:<b@example.org>\nDATA\n"
expect 250, 250, 250, 354
send b"Subject: n\n\nline1\nline2\r\n..dot\n.\n"
expect 250
send b"QUIT\n"
expect 221
EOS
assert "normalize: bare LF accepted as line end" test $? = 0
assert_eq "normalize: one message" "$(count up)" 1
body "$(ls "$T"/up/* | head -1)" | grep -v '^Received:\|^	' >"$T/got"
printf 'Subject: n\n\nline1\nline2\n.dot\n' >"$T/want"
assert "normalize: content as meant" cmp "$T/got" "$T/want"
smtpc >"$T/out" 2>&1 <<'EOS'
expect 220
send b"EHLO c.example\nMAIL FROM:<a@example.com>\nRCPT TO:<b@example.org>\nDATA\n"
expect 250, 250, 250, 354
send b"Subject: n\n\nbare\rCR\n.\n"
expect 550 5.5.2
EOS
assert "normalize: a bare CR is still refused" test $? = 0
# HELO/EHLO arguments follow the address rule: no control characters go
# upstream (an ESC sequence would reach the upstream's logs and terminals)
smtpc >"$T/out" 2>&1 <<'EOS'
expect 220
send b"EHLO a\x1b[31m.example\r\n"
expect 501 5.5.4
send b"HELO a.example\x07\r\n"
expect 501 5.5.4
send b"EHLO c.example\r\n"
expect 250
send b"QUIT\r\n"
expect 221
EOS
assert "EHLO/HELO with control characters: 501, then a good EHLO works" test $? = 0
finish
