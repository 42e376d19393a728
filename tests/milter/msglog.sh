#!/usr/bin/env bash
# tests/milter/msglog.sh - the one summary line per message (DESIGN
# section 12) through the milter front end, driven by miltertest
# (mt/msglog.lua): accept, reject (a multi-line reply joined), tempfail
# and discard, each with the MTA's queue id from macro i, every field
# checked; a message accepted at RCPT (the MTA sends no more of it) is
# logged when its transaction ends; /metrics counts them by result. Skipped (77)
# without miltertest.
. "$top_srcdir/tests/lib.sh"
command -v miltertest >/dev/null || { echo "miltertest not installed: skip"; exit 77; }
M=$top_srcdir/tests/milter

port=$(free_port)
sock="inet:$port@127.0.0.1"
mp=$(free_port)
cat >"$T/pg.conf" <<EOC
milter = { listen = "$sock" }
stats = { listen = "127.0.0.1:$mp" }
filters = { { script = "$M/filters/msglog.lua" } }
actions = { reject = 15 }
EOC
spawn "$PHASEGATE" serve -c "$T/pg.conf" 2>"$T/pg.log"
spid=$!
if miltertest -D sock="$sock" -s "$M/mt/msglog.lua" >"$T/mt.out" 2>&1; then
	assert "miltertest msglog" true
else
	sed 's/^/# /' "$T/mt.out"
	assert "miltertest msglog" false
fi
for i in $(seq 100); do [ "$(grep -c 'msg qid=' "$T/pg.log")" -ge 6 ] && break; sleep 0.1; done
S="/usr/bin/python3 $top_srcdir/tests/proxy/scrape.py $mp value"
for r in reject tempfail discard; do
	assert_eq "metrics: one milter message with result $r" \
		"$($S "phasegate_messages_total{frontend=\"milter\",result=\"$r\"}")" 1
done
assert_eq "metrics: three accepted (one at RCPT)" \
	"$($S 'phasegate_messages_total{frontend="milter",result="accept"}')" 3
assert_eq "metrics: no proxy message" "$($S 'phasegate_messages_total{frontend="smtp",result="accept"}')" 0
assert_eq "metrics: the script's verdicts" \
	"$($S 'phasegate_filter_verdicts_total{filter="msglog.lua",verdict="reject"}')" 1
assert_eq "metrics: TEST_SYM five times" "$($S 'phasegate_symbols_total{symbol="TEST_SYM"}')" 5
assert_eq "metrics: five pg.store.incr (each end of message)" "$($S 'phasegate_store_ops_total{op="incr",result="ok"}')" 5
kill "$spid"; wait "$spid" 2>/dev/null
grep 'msg qid=' "$T/pg.log" | sed 's/^/# /'
assert_eq "six summary lines" "$(grep -c 'msg qid=' "$T/pg.log")" 6

ts='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}[+-][0-9]{4} phasegate: info: '
mid=' session=pg-[0-9a-f]{5}-[0-9a-f]{6} frontend=milter client=client\.example\[192\.0\.2\.9\]:[0-9]+ helo=helo\.example from=<alice@example\.com> rcpts=2 to=<bob@example\.org>,<carol@example\.org> size='
tail=' score=2\.50/15\.00 symbols=TEST_SYM\(2\.50\) time=[0-9]+\.[0-9]{3}ms filters=msglog\.lua:[0-9]+\.[0-9]{3}ms lookups=0/0ms$'
# size: "Subject:  accept\r\n\r\nbody\r\n" as the milter rebuilds it
for row in "Q1ACCEPT|26 result=accept phase=eom by=msglog\.lua reply=-" \
    "Q2REJECT|26 result=reject phase=eom by=msglog\.lua reply=\"554-5\.7\.9 first line 554 5\.7\.9 second line\"" \
    "Q3TEMPFAIL|28 result=tempfail phase=eom by=msglog\.lua reply=\"452 4\.7\.9 later\"" \
    "Q4DISCARD|27 result=discard phase=eom by=msglog\.lua reply=-"; do
	qid=${row%%|*}
	assert "$qid: every field" grep -Eq "${ts}msg qid=$qid$mid${row#*|}$tail" "$T/pg.log"
done
assert "Q5EARLY: accepted at RCPT, logged when its transaction ended" grep -Eq \
	"${ts}msg qid=Q5EARLY session=pg-[0-9a-f-]+ frontend=milter .* from=<alice@example\.com> rcpts=1 to=<early@example\.org> size=0 result=accept phase=rcpt by=msglog\.lua reply=- score=0\.00/15\.00 symbols=- " "$T/pg.log"
assert "Q6ACCEPT: the next message as usual" grep -q "msg qid=Q6ACCEPT .* result=accept phase=eom" "$T/pg.log"
finish
