#!/usr/bin/env bash
# tests/proxy/stats.sh - the stats listener (DESIGN section 12): /health;
# /metrics scraped before and after a batch of N messages through the
# proxy (smtp-source), the counters move by exactly N (messages, sessions,
# symbols, filter verdicts); rejected messages are counted by result; the
# Prometheus text format's shape; keep-alive, pipelining and HEAD on one
# connection; 404, 405, 400, 505 for what is not served; a stats listen
# address in use is a configuration error.
. "$top_srcdir/tests/proxy/lib.sh"
command -v smtp-source >/dev/null 2>&1 || { echo "smtp-source not installed: skip"; exit 77; }
S="/usr/bin/python3 $top_srcdir/tests/proxy/scrape.py"
N=25

start_sink up
MP=$(free_port)
start_pg "" "stats = { listen = \"127.0.0.1:$MP\" }
filters = { { plugin = \"pg_test_all\", score = \"1 BATCH_SYM\", rcpt = \"reject 550 5.1.1 nobody\", match = \"nobody\" } }"
wait_port "$MP"

out=$($S "$MP" get /health)
assert "/health: 200" grep -q '^HTTP/1.1 200 OK' <<<"$out"
assert "/health: ok" grep -qx 'ok' <<<"$out"

v() { $S "$MP" value "$1"; }
acc='phasegate_messages_total{frontend="smtp",result="accept"}'
rej='phasegate_messages_total{frontend="smtp",result="reject"}'
ses='phasegate_sessions_total{frontend="smtp"}'
sym='phasegate_symbols_total{symbol="BATCH_SYM"}'
ver='phasegate_filter_verdicts_total{filter="test_all",verdict="reject"}'
hist='phasegate_message_filter_duration_seconds_count{frontend="smtp"}'
a0=$(v "$acc"); s0=$(v "$ses"); y0=$(v "$sym"); h0=$(v "$hist"); r0=$(v "$rej")

# N messages in N sessions (5 at a time)
smtp-source -s 5 -m $N -c -f a@example.com -t b@example.org "127.0.0.1:$PG_PORT" >/dev/null 2>&1
assert "smtp-source: $N messages sent" test $? = 0
for i in $(seq 50); do [ "$(count up)" -ge $N ] && break; sleep 0.1; done
assert_eq "the sink has them all" "$(count up)" $N
# the counters move when the session ends: wait for the last to close
for i in $(seq 100); do [ "$(v "$ses")" = $((s0 + N)) ] && break; sleep 0.1; done
assert_eq "messages accepted: +$N exactly" "$(v "$acc")" $((a0 + N))
assert_eq "sessions: +$N exactly" "$(v "$ses")" $((s0 + N))
assert_eq "symbol hits: +$N exactly" "$(v "$sym")" $((y0 + N))
assert_eq "filter-time histogram count: +$N" "$(v "$hist")" $((h0 + N))
assert_eq "no reject counted" "$(v "$rej")" "$r0"
assert_eq "no session open after the batch" "$(v 'phasegate_sessions_open{frontend="smtp"}')" 0

# a refused recipient is counted as a verdict, not as a message
printf 'expect 220\nsend b"EHLO c\\r\\n"\nexpect 250\nsend b"MAIL FROM:<a@example.com>\\r\\n"\nexpect 250\nsend b"RCPT TO:<nobody@example.org>\\r\\n"\nexpect 550\nsend b"QUIT\\r\\n"\nexpect 221\n' | smtpc >/dev/null 2>&1
for i in $(seq 50); do [ "$(v "$ver")" = 1 ] && break; sleep 0.1; done
assert_eq "a rcpt reject: the filter's verdict counted" "$(v "$ver")" 1
assert_eq "and no message counted for it" "$(v "$acc")" $((a0 + N))

# the text format: every sample line is NAME{LABELS} VALUE or NAME VALUE,
# every family has HELP and TYPE before its samples
$S "$MP" get /metrics >"$T/m"
assert "content type of the text format" grep -qi '^content-type: text/plain; version=0.0.4' "$T/m"
sed '1,/^$/d' "$T/m" >"$T/body"
assert "every line is a comment or a sample" test -z "$(grep -Ev '^(# (HELP|TYPE) [a-z_]+ .+|[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? [0-9.e+-]+)$' "$T/body")"
for fam in phasegate_sessions_total phasegate_sessions_open phasegate_messages_total \
    phasegate_message_filter_duration_seconds phasegate_filter_verdicts_total phasegate_symbols_total \
    phasegate_filter_errors_total phasegate_filter_timeouts_total phasegate_filter_duration_seconds \
    phasegate_lookups_total phasegate_store_ops_total phasegate_reloads_total phasegate_build_info; do
	assert "family $fam has a TYPE" grep -q "^# TYPE $fam " "$T/body"
done
assert "histogram buckets end at +Inf" grep -q 'phasegate_filter_duration_seconds_bucket{filter="test_all",le="+Inf"}' "$T/body"

# HTTP: keep-alive, pipelining, HEAD; what is not served
out=$($S "$MP" keepalive)
echo "$out" | sed 's/^/# /'
assert "keep-alive: two requests on one connection" test "$(grep -c '^HTTP/1.1 200 OK /' <<<"$out")" = 3
assert "HEAD: the length of a GET, no body" grep -q '^HTTP/1.1 200 OK HEAD /metrics True 0$' <<<"$out"
assert "404 for another path" grep -q '^HTTP/1.1 404' <<<"$($S "$MP" get /nothing)"
assert "405 for DELETE" grep -q '^HTTP/1.1 405' <<<"$($S "$MP" raw 'b"DELETE /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"')"
assert "400 for a body" grep -q '^HTTP/1.1 400' <<<"$($S "$MP" raw 'b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab"')"
assert "400 for no Host" grep -q '^HTTP/1.1 400' <<<"$($S "$MP" raw 'b"GET /metrics HTTP/1.1\r\n\r\n"')"
assert "505 for HTTP/2.0" grep -q '^HTTP/1.1 505' <<<"$($S "$MP" raw 'b"GET /metrics HTTP/2.0\r\n\r\n"')"
assert "431 for a huge head" grep -q '^HTTP/1.1 431' <<<"$($S "$MP" raw "b'GET / HTTP/1.1\\r\\nX: $(head -c 9000 /dev/zero | tr '\0' a)\\r\\n\\r\\n'")"
assert "and it still serves" grep -q '^HTTP/1.1 200' <<<"$($S "$MP" get /health)"
stop_pg

# the stats address in use: serve refuses to start, exit 1
printf 'smtp = { { listen = "127.0.0.1:%s", upstream = "127.0.0.1:%s" } }\nstats = { listen = "127.0.0.1:%s" }\n' \
	"$(free_port)" "$SINK_PORT" "$SINK_PORT" >"$T/busy.conf"
"$PHASEGATE" serve -c "$T/busy.conf" >"$T/busy.log" 2>&1
assert_eq "stats address in use: exit 1" "$?" 1
assert "and the reason" grep -q 'stats listen "127.0.0.1:[0-9]*": ' "$T/busy.log"
finish
