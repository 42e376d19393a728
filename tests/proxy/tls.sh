#!/usr/bin/env bash
# tests/proxy/tls.sh - TLS to clients (issue 15): STARTTLS offered only when
# configured, RFC 3207 restart (EHLO again, no transaction), the STARTTLS
# injection (plaintext pipelined behind STARTTLS discarded, never answered
# inside TLS: HELP, and MAIL/RCPT variants), STARTTLS twice, garbage instead
# of a ClientHello, a stalled handshake, a close in the middle of a record,
# renegotiation;
# swaks --tls and openssl s_client -starttls smtp (TLS 1.3, 1.2, 1.1 refused);
# session.tls in Lua and "with ESMTPS" in Received:; implicit_tls with swaks
# --tls-on-connect; configtest and SIGHUP with a bad certificate (the running
# one stays). Certificates from tests/tls/mkcerts.sh (openssl req).
. "$top_srcdir/tests/proxy/lib.sh"
command -v openssl >/dev/null 2>&1 || { echo "openssl not installed: skip"; exit 77; }
command -v swaks >/dev/null 2>&1 || { echo "swaks not installed: skip"; exit 77; }
C=$T/certs
bash "$top_srcdir/tests/tls/mkcerts.sh" "$C"
cp "$C/chain.crt" "$T/live.crt"

cat >"$T/tls.lua" <<'EOL'
local pg = require "phasegate"
pg.on("eom", function(tx)
  local t = tx.session.tls
  if t then
    tx:add_header("X-Seen-TLS", string.format("%s %s %d %s %s", tostring(t),
      t.cipher, t.bits, tostring(t.verified), t.version))
  else
    tx:add_header("X-Seen-TLS", "none")
  end
end)
EOL

start_sink up
start_pg "tls = { cert = \"$T/live.crt\", key = \"$C/server.key\" }," \
	"filters = { { script = \"$T/tls.lua\" } }
timeouts = { command = \"2s\" }"

msg='MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n'

# STARTTLS offered, restart, a message over TLS
smtpc >"$T/out" 2>&1 <<EOS
expect 220
send b"EHLO c.example\r\n"
expect 250
send b"STARTTLS\r\n"
expect 220
tls
send b"MAIL FROM:<a@example.com>\r\n"
expect 503
send b"EHLO c.example\r\n"
expect 250
send b"$msg"
expect 250, 250, 354
send b"Subject: over tls\r\n\r\nhello\r\n.\r\n"
expect 250
send b"STARTTLS\r\n"
expect 554 5.5.1
send b"QUIT\r\n"
expect 221
EOS
assert "STARTTLS, EHLO again, a message, STARTTLS twice refused" test $? = 0
assert "STARTTLS offered before TLS" grep -q '^<<< 250-STARTTLS\|^<<< 250 STARTTLS' "$T/out"
assert_eq "STARTTLS offered once (not inside TLS)" "$(grep -c 'STARTTLS$' "$T/out")" 1
assert "TLS 1.3 negotiated" grep -q '^tls TLSv1.3 ' "$T/out"
assert_eq "one message upstream" "$(count up)" 1
m=$(ls "$T"/up/* | head -1)
assert "Received: says ESMTPS" grep -q 'by .* (phasegate) with ESMTPS' "$m"
assert "Received: names the cipher as Postfix does" \
	grep -Eq '^[[:space:]]+\(using TLSv1.3 with cipher TLS_[A-Z0-9_]+ \([0-9]+/[0-9]+ bits\)\)' "$m"
assert "session.tls in Lua: version, cipher, bits, verified" \
	grep -Eq '^X-Seen-TLS: TLSv1.3 TLS_[A-Z0-9_]+ (128|256) false TLSv1.3' "$m"

# the injection: HELP pipelined behind STARTTLS is never answered in TLS
rm -f "$T"/up/*
smtpc >"$T/out" 2>&1 <<EOS
expect 220
send b"EHLO c.example\r\n"
expect 250
send b"STARTTLS\r\nHELP\r\n"
expect 220
tls
send b"EHLO c.example\r\n"
expect 250
send b"QUIT\r\n"
expect 221
EOS
assert "STARTTLS\\r\\nHELP: no 214 inside TLS" test $? = 0
assert "no 214 at all" sh -c "! grep -q '^<<< 214' '$T/out'"
assert "the discarded bytes are logged" grep -q 'bytes sent after STARTTLS before TLS: discarded' "$T/pg.log"

# MAIL/RCPT pipelined behind STARTTLS: no transaction inside TLS
smtpc >"$T/out" 2>&1 <<EOS
expect 220
send b"EHLO c.example\r\nSTARTTLS\r\n${msg}Subject: injected\r\n\r\nx\r\n.\r\n"
expect 250, 220
tls
send b"EHLO c.example\r\n"
expect 250
send b"RCPT TO:<b@example.org>\r\n"
expect 503
send b"DATA\r\n"
expect 503
send b"QUIT\r\n"
expect 221
EOS
assert "STARTTLS\\r\\nMAIL\\r\\nRCPT\\r\\nDATA: nothing of it in TLS" test $? = 0
assert_eq "nothing upstream from the injection" "$(count up)" 0

# garbage instead of a ClientHello; a stall; a close in the middle of a record
printf 'expect 220\nsend b"EHLO c\\r\\nSTARTTLS\\r\\n"\nexpect 250, 220\nsend b"EHLO garbage\\r\\n"\nexpect_close\n' |
	smtpc >"$T/out" 2>&1
assert "garbage instead of a ClientHello: closed" test $? = 0
printf 'expect 220\nsend b"STARTTLS\\r\\n"\nexpect 220\nexpect_close\n' | smtpc >"$T/out" 2>&1
assert "a stalled handshake: closed after timeouts.command" test $? = 0
assert "the stall is logged" grep -q 'TLS handshake failed: TLS handshake timed out' "$T/pg.log"
printf 'expect 220\nsend b"STARTTLS\\r\\n"\nexpect 220\nsend b"\\x16\\x03\\x01\\x02\\x00\\x01\\x00"\nclose\n' |
	smtpc >"$T/out" 2>&1
sleep 0.3
assert_eq "failed handshakes logged" "$(grep -c 'TLS handshake failed' "$T/pg.log")" 3
assert_eq "nothing upstream" "$(count up)" 0

# swaks --tls, openssl s_client
swaks --server 127.0.0.1 --port "$PG_PORT" --tls --from a@example.com \
	--to b@example.org --header "Subject: swaks" >"$T/swaks" 2>&1
assert "swaks --tls through the proxy" test $? = 0
assert_eq "swaks's message upstream" "$(count up)" 1
# a 3 MB message over TLS arrives whole (partial TLS writes, many records)
rm -f "$T"/up/*
/usr/bin/python3 -c 'import sys
for i in range(60000): sys.stdout.write("line %07d abcdefghijklmnopqrstuvwxyz0123456789\r\n" % i)' >"$T/big"
swaks --server 127.0.0.1 --port "$PG_PORT" --tls --from a@example.com \
	--to b@example.org --body "$T/big" >"$T/swaks" 2>&1
assert "swaks --tls with 3 MB" test $? = 0
assert_eq "all 60000 lines upstream" "$(cat "$T"/up/* | grep -c '^line ')" 60000
assert "the last line too" grep -q '^line 0059999 ' "$T"/up/*
openssl s_client -starttls smtp -connect "127.0.0.1:$PG_PORT" -brief \
	-CAfile "$C/ca.crt" -verify_return_error </dev/null >"$T/s13" 2>&1
assert "s_client: TLSv1.3, chain verified" grep -q 'Protocol version: TLSv1.3' "$T/s13"
assert "s_client: verification OK" grep -q 'Verification: OK' "$T/s13"
openssl s_client -starttls smtp -connect "127.0.0.1:$PG_PORT" -brief -tls1_2 \
	</dev/null >"$T/s12" 2>&1
assert "s_client: TLSv1.2" grep -q 'Protocol version: TLSv1.2' "$T/s12"
openssl s_client -starttls smtp -connect "127.0.0.1:$PG_PORT" -brief -tls1_1 \
	</dev/null >"$T/s11" 2>&1
assert "s_client: TLSv1.1 refused" sh -c "! grep -q 'Protocol version' '$T/s11'"

# a client asking for renegotiation (TLS 1.2) is refused; the session ends, logged
(sleep 0.5; echo "EHLO x"; sleep 0.5; echo R; sleep 1; echo NOOP; sleep 0.5) |
	timeout 20 openssl s_client -starttls smtp -crlf -tls1_2 \
	-connect "127.0.0.1:$PG_PORT" >"$T/reneg" 2>&1
assert "renegotiation refused (no_renegotiation)" grep -q 'no renegotiation' "$T/reneg"
assert "no NOOP answered after it" sh -c "! grep -q '^250 2.0.0 Ok' '$T/reneg'"
for i in $(seq 1 30); do grep -q 'client .*: TLS: .*alert' "$T/pg.log" && break; sleep 0.1; done
assert "the failed session is logged" grep -q 'client .*: TLS: .*alert' "$T/pg.log"

# SIGHUP with a bad certificate: the running one stays
echo garbage >"$T/live.crt"
kill -HUP "$PG_PID"
for i in $(seq 1 50); do grep -q 'reload: .*keeping' "$T/pg.log" && break; sleep 0.1; done
assert "a bad certificate at reload is logged" grep -q "reload: .*live.crt.*keeping the running configuration" "$T/pg.log"
swaks --server 127.0.0.1 --port "$PG_PORT" --tls --from a@example.com \
	--to b@example.org >"$T/swaks" 2>&1
assert "the old certificate still serves" test $? = 0
cp "$C/chain.crt" "$T/live.crt"
kill -HUP "$PG_PID"
for i in $(seq 1 50); do grep -q 'certificate .* reloaded' "$T/pg.log" && break; sleep 0.1; done
assert "a good certificate is reloaded" grep -q "certificate $T/live.crt reloaded" "$T/pg.log"

# configtest loads the certificate
cat >"$T/bad.conf" <<EOC
smtp = { { listen = "127.0.0.1:1", upstream = "127.0.0.1:2",
  tls = { cert = "$C/server.crt", key = "$C/self.key" } } }
EOC
"$PHASEGATE" configtest -c "$T/bad.conf" >"$T/ct" 2>&1
assert "configtest: a key that does not match fails" test $? != 0
assert "configtest names the file and line" grep -Eq "bad.conf:2: smtp\[1\].tls: .*(does not match|mismatch)" "$T/ct"
stop_pg

# without tls: no STARTTLS offered, 502 to it
start_pg "" ""
printf 'expect 220\nsend b"EHLO c\\r\\n"\nexpect 250\nsend b"STARTTLS\\r\\n"\nexpect 502\n' | smtpc >"$T/out" 2>&1
assert "no tls: STARTTLS 502" test $? = 0
assert "no tls: not offered" sh -c "! grep -q STARTTLS '$T/out'"
stop_pg

# implicit TLS (port 465)
start_pg "tls = { cert = \"$C/chain.crt\", key = \"$C/server.key\" }, implicit_tls = true," ""
swaks --server 127.0.0.1 --port "$PG_PORT" --tls-on-connect --from a@example.com \
	--to b@example.org >"$T/swaks" 2>&1
assert "swaks --tls-on-connect through implicit_tls" test $? = 0
printf 'tls\nexpect 220\nsend b"EHLO c\\r\\n"\nexpect 250\nsend b"STARTTLS\\r\\n"\nexpect 554\n' | smtpc >"$T/out" 2>&1
assert "implicit TLS: greeting inside TLS, STARTTLS refused" test $? = 0
assert "implicit TLS: STARTTLS not offered" sh -c "! grep -q '250.STARTTLS' '$T/out'"
printf 'send b"EHLO plaintext\\r\\n"\nexpect_close\n' | smtpc >"$T/out" 2>&1
assert "implicit TLS: plaintext is closed" test $? = 0
stop_pg
finish
