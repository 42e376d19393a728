#!/usr/bin/env bash
# tests/proxy/msglog.sh - the one summary line per message (DESIGN section
# 12, host/core/msglog.c) through the SMTP proxy, for accept, reject,
# tempfail and discard: every field checked (timestamp, qid, session id
# that is no queue id, front end, client, HELO, sender, recipients, size,
# result, phase, filter, reply with a multi-line reply joined on one
# physical line, score/threshold, symbols, time, per-filter time, lookups,
# the upstream's reply for a message delivered); the queue id an upstream
# names ("queued as ID", tests/proxy/qidsink.py) becomes the line's qid;
# a reject at MAIL is a message refused at its phase; log_level = "warning"
# keeps the line out.
. "$top_srcdir/tests/proxy/lib.sh"

start_sink up

msg() {	# msg CODE: one message to two recipients, answered CODE; QUIT
	cat <<EOS
expect 220
send b"EHLO c.example\r\n"
expect 250
send b"MAIL FROM:<a@example.com>\r\n"
expect 250
send b"RCPT TO:<b@example.org>\r\n"
expect 250
send b"RCPT TO:<c@example.org>\r\n"
expect 250
send b"DATA\r\n"
expect 354
send b"Subject: hello\r\nX-A: b\r\n\r\nbody\r\n.\r\n"
expect $1
send b"QUIT\r\n"
expect 221
EOS
}

wait_line() {	# wait_line PATTERN: up to 10 s for PATTERN in the log
	local i
	for i in $(seq 100); do grep -Eq "$1" "$T/pg.log" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}

ts='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}[+-][0-9]{4} phasegate: info: '
head='msg qid=- session=pg-[0-9a-f]{5}-[0-9a-f]{6} frontend=smtp client=[^ ]*\[127\.0\.0\.1\]:[0-9]+ helo=c\.example from=<a@example\.com> rcpts=2 to=<b@example\.org>,<c@example\.org> size=32 '
tail=' score=3\.50/10\.00 symbols=TEST_SYM\(3\.50\) time=[0-9]+\.[0-9]{3}ms filters=test_all:[0-9]+\.[0-9]{3}ms lookups=0/0ms upstream='
sink_ok='"250 2\.0\.0 Ok"'	# smtp-sink's answer to the end of data

for case in "accept|result=accept phase=eom by=test_all reply=-" \
    "reject 554 5.7.9 first line\nsecond line|result=reject phase=eom by=test_all reply=\"554-5\.7\.9 first line 554 5\.7\.9 second line\"" \
    "tempfail 452 4.7.9 later|result=tempfail phase=eom by=test_all reply=\"452 4\.7\.9 later\"" \
    "discard|result=discard phase=eom by=test_all reply=-" \
    "continue|result=accept phase=eom by=- reply=-"; do
	verdict=${case%%|*}
	want=${case#*|}
	name=${verdict%% *}
	: >"$T/pg.log"
	start_pg "" "filters = { { plugin = \"pg_test_all\", eom = \"$verdict\", score = \"3.5 TEST_SYM\" } }
actions = { reject = 10, add_header = 3 }"
	code=250; [ $name = reject ] && code=554; [ $name = tempfail ] && code=452
	msg $code | smtpc >"$T/out" 2>&1
	assert "$name: the client got $code" test $? = 0
	assert "$name: the line" wait_line "msg qid="
	line=$(grep 'msg qid=' "$T/pg.log")
	echo "# $line"
	assert_eq "$name: exactly one line for the message" "$(grep -c 'msg qid=' "$T/pg.log")" 1
	up=-; [ $name = accept ] || [ $name = continue ] && up=$sink_ok
	assert "$name: every field" grep -Eq "$ts$head$want$tail$up\$" <<<"$line"
	assert "$name: no delivered or discarded line at info" \
		test "$(grep -Ec ': info: session .*(delivered|discarded)' "$T/pg.log")" = 0
	assert "$name: no other line says the verdict at info" \
		test "$(grep -c ': info: session .*: eom: ' "$T/pg.log")" = 0
	stop_pg
done

# a reject at MAIL: the message is refused at its phase, no recipients yet
: >"$T/pg.log"
start_pg "" 'filters = { { plugin = "pg_test_all", mail = "reject 550 5.7.1 not you" } }'
printf 'expect 220\nsend b"EHLO c.example\\r\\n"\nexpect 250\nsend b"MAIL FROM:<a@example.com>\\r\\n"\nexpect 550\nsend b"QUIT\\r\\n"\nexpect 221\n' | smtpc >"$T/out" 2>&1
assert "mail reject: the line" wait_line "msg qid="
assert "mail reject: its fields" grep -Eq "${ts}msg qid=- session=pg-[0-9a-f-]+ frontend=smtp .* from=<a@example\.com> rcpts=0 to=- size=0 result=reject phase=mail by=test_all reply=\"550 5\.7\.1 not you\" score=0\.00 symbols=- time=" "$T/pg.log"
stop_pg

# a message the proxy refuses itself (too big): its line, by phasegate
: >"$T/pg.log"
start_pg 'max_message_size = "1k"' 'filters = { { plugin = "pg_test_all" } }'
big=$(printf 'x%.0s' $(seq 70))
{ printf 'expect 220\nsend b"EHLO c.example\\r\\n"\nexpect 250\n'
  printf 'send b"MAIL FROM:<a@example.com>\\r\\n"\nexpect 250\n'
  printf 'send b"RCPT TO:<b@example.org>\\r\\n"\nexpect 250\n'
  printf 'send b"DATA\\r\\n"\nexpect 354\n'
  for i in $(seq 30); do printf 'send b"%s\\r\\n"\n' "$big"; done
  printf 'send b".\\r\\n"\nexpect 552\nsend b"QUIT\\r\\n"\nexpect 221\n'; } | smtpc >"$T/out" 2>&1
assert "too big: the client got 552" test $? = 0
assert "too big: the line" wait_line "msg qid="
assert "too big: refused by phasegate, with its reply" grep -Eq "${ts}msg qid=- session=pg-.* rcpts=1 to=<b@example\.org> size=[0-9]+ result=reject phase=eom by=phasegate reply=\"552 5\.3\.4 Error: message file too big\" .* upstream=-\$" "$T/pg.log"
stop_pg

# an upstream that names its queue id: the line's qid
QP=$(free_port)
/usr/bin/python3 "$top_srcdir/tests/proxy/qidsink.py" "$QP" &
_pids="$_pids $!"
wait_port "$QP"
SINK_PORT=$QP
: >"$T/pg.log"
start_pg "" 'filters = { { plugin = "pg_test_all" } }'
msg 250 | smtpc >"$T/out" 2>&1
assert "qid: the client got 250" test $? = 0
assert "qid: the line" wait_line "msg qid="
assert "qid: the upstream's queue id, and its reply" grep -Eq "${ts}msg qid=4XyZ1q2 session=pg-.* result=accept .* upstream=\"250 2\.0\.0 Ok: queued as 4XyZ1q2\"\$" "$T/pg.log"
stop_pg

# log_level = "warning": no summary lines, no info lines at all
: >"$T/pg.log"
start_pg "" 'filters = { { plugin = "pg_test_all" } }
log_level = "warning"'
msg 250 | smtpc >"$T/out" 2>&1
sleep 0.5
assert_eq "log_level warning: no info line" "$(grep -c ': info: ' "$T/pg.log")" 0
stop_pg
finish
