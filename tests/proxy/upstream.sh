#!/usr/bin/env bash
# tests/proxy/upstream.sh - never lose, never lie: the upstream's 4xx/5xx at
# every phase reach the client; upstream down at connect gives a 421
# greeting; an upstream that vanishes or closes mid-DATA gives the client a
# 4xx, never 250; a client that goes away mid-DATA sends nothing upstream.
. "$top_srcdir/tests/proxy/lib.sh"

full='expect 220
send b"EHLO c.example\r\n"
expect 250
send b"MAIL FROM:<a@example.com>\r\n"
expect 250
send b"RCPT TO:<b@example.org>\r\n"
expect 250
send b"DATA\r\n"
expect 354
send b"Subject: x\r\n\r\nbody\r\n.\r\n"
expect 250'

# upstream refusals at each phase are relayed as they are
for cmd in MAIL RCPT DATA .; do
	for opt in -r -f; do
		start_sink "up$opt$cmd" $opt "$cmd"
		start_pg "" ""
		[ $opt = -r ] && want=4 || want=5
		script=$(sed "0,/^send b\"$( [ "$cmd" = . ] && echo 'Subject' || echo "$cmd")/s//&/" <<<"$full")
		# cut the dialogue after the refused command and expect the class
		# the proxy answers DATA itself (354) and sends DATA upstream only
		# after the message: the upstream's DATA refusal comes after the dot
		case $cmd in
		MAIL) n=5 ;; RCPT) n=7 ;; DATA|.) n=11 ;;
		esac
		{ head -n $((n - 1)) <<<"$script"; echo "expect $want"; } | smtpc >"$T/out" 2>&1
		assert "upstream $opt $cmd: relayed ${want}xx" test $? = 0
		stop_pg
		kill "$SINK_PID"; wait "$SINK_PID" 2>/dev/null
	done
done

# upstream down at connect: 421 greeting
SINK_PORT=$(free_port)
start_pg "" ""
printf 'expect 421 4.3.0\nexpect_close\n' | smtpc >"$T/out" 2>&1
assert "upstream down: 421 4.3.0 greeting and close" test $? = 0
stop_pg

# upstream closes without a reply after the final dot: the client gets 4xx
start_sink upq -q .
start_pg "" ""
{ sed '$d' <<<"$full"; echo "expect 4"; } | smtpc >"$T/out" 2>&1
assert "upstream vanishes after the dot: 4xx, not 250" test $? = 0
stop_pg
kill "$SINK_PID"; wait "$SINK_PID" 2>/dev/null

# upstream killed while the client is in DATA
start_sink upk
start_pg "" ""
{
	sed -n '1,9p' <<<"$full"
	echo 'send b"Subject: x\r\n\r\nfirst part\r\n"'
	echo 'sleep 0.5'
	echo 'send b"second part\r\n.\r\n"'
	echo 'expect 4'
} | smtpc >"$T/out" 2>&1 &
cpid=$!
sleep 0.3
{ kill -9 "$SINK_PID"; wait "$SINK_PID"; } 2>/dev/null
wait $cpid
assert "upstream killed mid-DATA: the client gets 4xx" test $? = 0
assert "upstream killed mid-DATA: no part of the message went up" \
	bash -c "! grep -rq 'part' '$T/upk'"
stop_pg

# an upstream that stalls past timeouts.upstream: 421 4.4.2, quickly
start_sink ups -W mail:4
start_pg "" 'timeouts = { upstream = "1s" }'
s0=$(date +%s)
{ sed -n '1,4p' <<<"$full"; echo 'expect 421 4.4.2'; echo 'expect_close'; } | smtpc >"$T/out" 2>&1
assert "upstream stalls at MAIL: 421 4.4.2 and close" test $? = 0
assert "after the upstream timeout, not the upstream's delay" test $(( $(date +%s) - s0 )) -le 3
stop_pg
kill "$SINK_PID"; wait "$SINK_PID" 2>/dev/null

# the client goes away mid-DATA: nothing upstream
start_sink upc
start_pg "" ""
{ sed -n '1,9p' <<<"$full"; echo 'send b"Subject: x\r\n\r\nhalf a mess"'; echo 'close'; } | smtpc >"$T/out" 2>&1
sleep 0.3
assert_eq "client gone mid-DATA: nothing upstream" "$(count upc)" 0
# and a client that ends in the middle of a command line
printf 'expect 220\nsend b"EHLO c.example\\r\\nMAIL FROM:<a@exa"\nclose\n' | smtpc >"$T/out" 2>&1
assert_eq "client gone mid-command: nothing upstream" "$(count upc)" 0
stop_pg
finish
