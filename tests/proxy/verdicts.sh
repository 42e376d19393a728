#!/usr/bin/env bash
# tests/proxy/verdicts.sh - reject, tempfail, discard and accept at every
# phase with custom replies (the test plugin pg_test_all); per-recipient
# reject while the others pass; a header added by a filter arrives upstream;
# envelope changes replayed upstream.
. "$top_srcdir/tests/proxy/lib.sh"

start_sink up

# dialogue up to and including the command of phase $1; expect $2 there
dialogue() {
	local phase=$1 want=$2
	{
		if [ "$phase" = connect ]; then
			echo 'expect 220'; echo 'send b"EHLO c.example\r\n"'; echo "expect $want"
			echo 'send b"MAIL FROM:<a@example.com>\r\n"'; echo "expect $want"
			return
		fi
		echo 'expect 220'
		echo 'send b"EHLO c.example\r\n"'
		[ "$phase" = helo ] && { echo "expect $want"; echo 'send b"MAIL FROM:<a@example.com>\r\n"'; echo "expect $want"; return; }
		echo 'expect 250'
		echo 'send b"MAIL FROM:<a@example.com>\r\n"'
		[ "$phase" = mail ] && { echo "expect $want"; return; }
		echo 'expect 250'
		echo 'send b"RCPT TO:<b@example.org>\r\n"'
		[ "$phase" = rcpt ] && { echo "expect $want"; echo 'send b"DATA\r\n"'; echo 'expect 554 5.5.1'; return; }
		echo 'expect 250'
		echo 'send b"DATA\r\n"'
		[ "$phase" = data ] && { echo "expect $want"; return; }
		echo 'expect 354'
		echo 'send b"Subject: hello\r\nX-A: b\r\n\r\nbody\r\n.\r\n"'
		echo "expect $want"
		echo 'send b"QUIT\r\n"'
		echo 'expect 221'
	}
}

for phase in connect helo mail rcpt data header eom; do
	for verdict in reject tempfail; do
		[ $verdict = reject ] && code="554 5.7.9" || code="453 4.7.9"
		rm -f "$T"/up/*
		start_pg "" "filters = { { plugin = \"pg_test_all\", $phase = \"$verdict $code no $phase for you\" } }"
		dialogue $phase "$code no $phase for you" | smtpc >"$T/out" 2>&1
		assert "$verdict at $phase: custom reply" test $? = 0
		assert_eq "$verdict at $phase: nothing upstream" "$(count up)" 0
		stop_pg
	done
	for verdict in discard accept; do
		rm -f "$T"/up/*
		if [ $verdict = discard ] && { [ $phase = connect ] || [ $phase = helo ]; }; then
			# the chain calls that a filter error: on_error (tempfail)
			start_pg "" "filters = { { plugin = \"pg_test_all\", $phase = \"discard\" } }"
			dialogue $phase 451 | smtpc >"$T/out" 2>&1
			assert "discard at $phase: a filter error, 451" test $? = 0
			assert_eq "discard at $phase: nothing upstream" "$(count up)" 0
			stop_pg
			continue
		fi
		start_pg "" "filters = { { plugin = \"pg_test_all\", $phase = \"$verdict\" } }"
		dialogue all 250 | smtpc >"$T/out" 2>&1
		assert "$verdict at $phase: the client gets 250" test $? = 0
		[ $verdict = discard ] && n=0 || n=1
		assert_eq "$verdict at $phase: $n message(s) upstream" "$(count up)" $n
		stop_pg
	done
done

# per-recipient reject; a header added at eom arrives upstream
rm -f "$T"/up/*
start_pg "" 'filters = { { plugin = "pg_test_all", rcpt = "reject 550 5.1.1 <nobody@example.org>: no such user", match = "nobody@", add_header = "X-Added: by the test plugin" } }'
smtpc >"$T/out" 2>&1 <<'EOS'
expect 220
send b"EHLO c.example\r\n"
expect 250
send b"MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nRCPT TO:<nobody@example.org>\r\nRCPT TO:<c@example.org>\r\nDATA\r\n"
expect 250, 250, 550 5.1.1 <nobody@example.org>: no such user, 250, 354
send b"Subject: x\r\n\r\nbody\r\n.\r\n"
expect 250
EOS
assert "per-recipient reject, the others pass" test $? = 0
assert_eq "one message upstream" "$(count up)" 1
f=$(ls "$T"/up/* | head -1)
assert "the refused recipient is not upstream" bash -c "! grep -q nobody '$f'"
assert_eq "the two others are" "$(grep -c '^X-Rcpt-Args:' "$f")" 2
assert "header added by the filter arrives upstream" grep -q '^X-Added: by the test plugin$' "$f"
stop_pg

# envelope changes: add_rcpt, del_rcpt, change_sender
rm -f "$T"/up/*
start_pg "" 'filters = { { plugin = "pg_test_all", add_rcpt = "archive@example.org", del_rcpt = "b@example.org", change_sender = "bounces@example.com" } }'
swaks --server "127.0.0.1:$PG_PORT" --from a@example.com --to b@example.org,c@example.org \
	--body "envelope" >"$T/swaks.out" 2>&1
assert "envelope changes: accepted" grep -q "^<-  250 .*Ok" <(tail -4 "$T/swaks.out")
f=$(ls "$T"/up/* | head -1)
assert "changed sender upstream" grep -q '^X-Mail-Args: <bounces@example.com>' "$f"
assert "added recipient upstream" grep -q '^X-Rcpt-Args: <archive@example.org>' "$f"
assert "deleted recipient not upstream" bash -c "! grep -q '^X-Rcpt-Args: <b@example.org>' '$f'"
assert "kept recipient upstream" grep -q '^X-Rcpt-Args: <c@example.org>' "$f"
# the replayed envelope keeps each recipient's DSN parameters
rm -f "$T"/up/*
smtpc >"$T/out" 2>&1 <<'EOS'
expect 220
send b"EHLO c.example\r\n"
expect 250
send b"MAIL FROM:<a@example.com> RET=HDRS ENVID=e1\r\n"
expect 250
send b"RCPT TO:<b@example.org>\r\n"
expect 250
send b"RCPT TO:<c@example.org> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;c@example.org\r\n"
expect 250
send b"DATA\r\n"
expect 354
send b"Subject: dsn\r\n\r\nbody\r\n.\r\n"
expect 250
send b"QUIT\r\n"
expect 221
EOS
assert "DSN dialogue" test $? -eq 0
f=$(ls "$T"/up/* | head -1)
assert "replayed recipient keeps NOTIFY and ORCPT" \
	grep -q '^X-Rcpt-Args: <c@example.org> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;c@example.org' "$f"
assert "changed sender without new parameters: the original ones" \
	grep -q '^X-Mail-Args: <bounces@example.com> RET=HDRS ENVID=e1' "$f"
stop_pg

# a filter error follows on_error
rm -f "$T"/up/*
start_pg "" 'on_error = "reject"
filters = { { plugin = "pg_test_all", eom = "error boom" } }'
dialogue eom "550" | smtpc >"$T/out" 2>&1
assert "filter error with on_error = reject: 5xx" test $? = 0
assert_eq "filter error: nothing upstream" "$(count up)" 0
finish
