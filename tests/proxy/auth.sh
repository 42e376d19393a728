#!/usr/bin/env bash
# tests/proxy/auth.sh - the AUTH relay (issue 15) against tests/tls/tlssink.py,
# a test-owned upstream that offers AUTH PLAIN LOGIN over TLS and accepts
# alice/secret (chosen over a Postfix with Dovecot SASL: no SASL daemon to
# configure as root in a test). AUTH is not offered before STARTTLS (530),
# is offered as the upstream offers it after; PLAIN with an initial
# response, PLAIN and LOGIN with 334 continuations, a wrong password (535,
# no session.auth), AUTH twice and inside a transaction (503), swaks --auth;
# session.auth in Lua, "with ESMTPSA" in Received:, the upstream saw the
# login; the password and the base64 answers never in phasegate's log;
# auth_loopback offers AUTH in plaintext to a loopback client.
. "$top_srcdir/tests/proxy/lib.sh"
command -v openssl >/dev/null 2>&1 || { echo "openssl not installed: skip"; exit 77; }
C=$T/certs
bash "$top_srcdir/tests/tls/mkcerts.sh" "$C"
mkdir -p "$T/ts"
SINK_PORT=$(free_port)
spawn /usr/bin/python3 "$top_srcdir/tests/tls/tlssink.py" "$SINK_PORT" "$T/ts" \
	"$C/chain.crt" "$C/server.key" auth
wait_port "$SINK_PORT"
cat >"$T/auth.lua" <<'EOL'
local pg = require "phasegate"
pg.on("eom", function(tx)
  tx:add_header("X-Seen-Auth", tostring(tx.session.auth))
end)
EOL
tls="tls = { cert = \"$C/chain.crt\", key = \"$C/server.key\" }, upstream_tls = \"encrypt\","
start_pg "$tls auth = true," "filters = { { script = \"$T/auth.lua\" } }"

plain=$(printf '\0alice\0secret' | base64)
bad=$(printf '\0alice\0wrong' | base64)
u=$(printf alice | base64)
p=$(printf secret | base64)
msg='MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n'

smtpc >"$T/out" 2>&1 <<EOS
expect 220
send b"EHLO c.example\r\n"
expect 250
send b"AUTH PLAIN $plain\r\n"
expect 530 5.7.0
send b"STARTTLS\r\n"
expect 220
tls
send b"EHLO c.example\r\n"
expect 250
send b"AUTH PLAIN $bad\r\n"
expect 535
send b"AUTH PLAIN $plain\r\n"
expect 235
send b"AUTH PLAIN $plain\r\n"
expect 503 5.5.1
send b"$msg"
expect 250, 250, 354
send b"Subject: authenticated\r\n\r\nhi\r\n.\r\n"
expect 250
send b"QUIT\r\n"
expect 221
EOS
assert "530 before TLS, 535, 235, 503 twice, a message" test $? = 0
assert_eq "AUTH offered once (after TLS), as the upstream offers it" \
	"$(grep -c '^<<< 250.AUTH PLAIN LOGIN$' "$T/out")" 1
m=$(ls -t "$T"/ts/*.eml | head -1)
assert "the upstream authenticated alice" grep -q '^X-Sink-Auth: alice' "$m"
assert "session.auth in Lua" grep -q '^X-Seen-Auth: alice' "$m"
assert "Received: with ESMTPSA" grep -q '(phasegate) with ESMTPSA' "$m"

# PLAIN and LOGIN with continuations; AUTH inside a transaction
smtpc >"$T/out" 2>&1 <<EOS
expect 220
send b"STARTTLS\r\n"
expect 220
tls
send b"EHLO c.example\r\n"
expect 250
send b"MAIL FROM:<a@example.com>\r\n"
expect 250
send b"AUTH LOGIN\r\n"
expect 503 5.5.1
send b"RSET\r\n"
expect 250
send b"AUTH LOGIN\r\n"
expect 334 VXNlcm5hbWU6
send b"$u\r\n"
expect 334 UGFzc3dvcmQ6
send b"$p\r\n"
expect 235
send b"QUIT\r\n"
expect 221
EOS
assert "AUTH LOGIN with continuations; 503 inside a transaction" test $? = 0
smtpc >"$T/out" 2>&1 <<EOS
expect 220
send b"STARTTLS\r\n"
expect 220
tls
send b"EHLO c.example\r\n"
expect 250
send b"AUTH PLAIN\r\n"
expect 334
send b"$plain\r\n"
expect 235
send b"QUIT\r\n"
expect 221
EOS
assert "AUTH PLAIN with a continuation" test $? = 0
swaks --server 127.0.0.1 --port "$PG_PORT" --tls --auth PLAIN --auth-user alice \
	--auth-password secret --from a@example.com --to b@example.org >"$T/swaks" 2>&1
assert "swaks --tls --auth PLAIN" test $? = 0
swaks --server 127.0.0.1 --port "$PG_PORT" --tls --auth LOGIN --auth-user alice \
	--auth-password secret --from a@example.com --to b@example.org >"$T/swaks" 2>&1
assert "swaks --tls --auth LOGIN" test $? = 0
assert "logins are logged" grep -q 'AUTH PLAIN: authenticated as alice' "$T/pg.log"
assert "the failure is logged" grep -q 'AUTH PLAIN: the upstream said 535' "$T/pg.log"
assert "no password in the log" sh -c "! grep -q 'secret\|$plain\|$p' '$T/pg.log'"
stop_pg

# auth_loopback: AUTH in plaintext to a loopback client (the upstream over TLS offers it)
start_pg "$tls auth = true, auth_loopback = true," ""
smtpc >"$T/out" 2>&1 <<EOS
expect 220
send b"EHLO c.example\r\n"
expect 250
send b"AUTH PLAIN $plain\r\n"
expect 235
EOS
assert "auth_loopback: AUTH without TLS from 127.0.0.1" test $? = 0
stop_pg

# no auth configured: not offered, 502
start_pg "$tls" ""
printf 'expect 220\nsend b"STARTTLS\\r\\n"\nexpect 220\ntls\nsend b"EHLO c\\r\\n"\nexpect 250\nsend b"AUTH PLAIN %s\\r\\n"\nexpect 502\n' "$plain" |
	smtpc >"$T/out" 2>&1
assert "auth = false: 502 and AUTH not offered" test $? = 0
assert "auth = false: not offered" sh -c "! grep -q '250.AUTH' '$T/out'"
stop_pg
finish
