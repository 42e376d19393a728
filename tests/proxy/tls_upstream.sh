#!/usr/bin/env bash
# tests/proxy/tls_upstream.sh - TLS to the upstream (issue 15): each
# upstream_tls mode against tests/tls/tlssink.py (a test-owned upstream
# that offers STARTTLS and records the TLS version of each message),
# against smtp-sink (no STARTTLS: "may" goes on in plaintext, "encrypt" is
# 421 to the client and nothing goes upstream), "verify" with the right CA
# and name, a wrong name and the system's store (421, never a plaintext
# fallback); then a private Postfix with smtpd_tls_* as the upstream with
# "verify", and TLS on both sides (swaks --tls).
. "$top_srcdir/tests/proxy/lib.sh"
command -v openssl >/dev/null 2>&1 || { echo "openssl not installed: skip"; exit 77; }
C=$T/certs
bash "$top_srcdir/tests/tls/mkcerts.sh" "$C"

mkdir -p "$T/ts"
tsport=$(free_port)
spawn /usr/bin/python3 "$top_srcdir/tests/tls/tlssink.py" "$tsport" "$T/ts" \
	"$C/chain.crt" "$C/server.key"
wait_port "$tsport"
start_sink plain
plain_port=$SINK_PORT

send_one() {	# send_one: one message through phasegate; swaks's output in $T/swaks
	swaks --server 127.0.0.1 --port "$PG_PORT" --from a@example.com \
		--to b@example.org --header "Subject: up" "$@" >"$T/swaks" 2>&1
}
ts_count() { find "$T/ts" -name '*.eml' | wc -l; }
last_tls() { grep -h '^X-Sink-TLS:' $(ls -t "$T"/ts/*.eml | head -1) | tr -d '\r'; }

SINK_PORT=$tsport
for mode in none may encrypt; do
	n=$(ts_count)
	start_pg "upstream_tls = \"$mode\"," ""
	send_one
	assert "upstream_tls = $mode: delivered" test $? = 0
	assert_eq "upstream_tls = $mode: one more message" "$(ts_count)" $((n + 1))
	want="X-Sink-TLS: TLSv1.3"
	[ $mode = none ] && want="X-Sink-TLS: none"
	assert_eq "upstream_tls = $mode: the upstream's TLS" "$(last_tls)" "$want"
	stop_pg
done

# "may" and a handshake that fails after the upstream's 220: a new
# connection in plaintext (as Postfix's smtp client does); "encrypt": 421
mkdir -p "$T/bt"
btport=$(free_port)
spawn /usr/bin/python3 "$top_srcdir/tests/tls/tlssink.py" "$btport" "$T/bt" \
	"$C/chain.crt" "$C/server.key" badtls
wait_port "$btport"
SINK_PORT=$btport
start_pg "upstream_tls = \"may\"," ""
send_one
assert "may, the handshake fails: delivered" test $? = 0
assert_eq "may, the handshake fails: one message, in plaintext" \
	"$(grep -h '^X-Sink-TLS:' "$T"/bt/*.eml | tr -d '\r')" "X-Sink-TLS: none"
assert "may, the handshake fails: logged" grep -q 'upstream .*TLS handshake failed (upstream_tls = "may"): .*plaintext on a new connection' "$T/pg.log"
# (the port probe at start is a session too: one STARTTLS per session)
assert_eq "may: STARTTLS asked once a session, not on the new connection" \
	"$(grep -c '^STARTTLS' "$T/bt/commands.log")" \
	"$(grep -c 'plaintext on a new connection' "$T/pg.log")"
stop_pg
start_pg "upstream_tls = \"encrypt\"," ""
printf 'expect 421 4.7.0\n' | smtpc >"$T/out" 2>&1
assert "encrypt, the handshake fails: 421 4.7.0 at the greeting" test $? = 0
assert_eq "encrypt, the handshake fails: nothing delivered" "$(find "$T/bt" -name '*.eml' | wc -l)" 1
stop_pg
SINK_PORT=$tsport

n=$(ts_count)
start_pg "upstream_tls = \"verify\", upstream_ca = \"$C/ca.crt\", upstream_name = \"localhost\"," ""
send_one
assert "verify with the CA and the name: delivered" test $? = 0
assert_eq "verify: over TLS" "$(last_tls)" "X-Sink-TLS: TLSv1.3"
stop_pg
start_pg "upstream_tls = \"verify\", upstream_ca = \"$C/ca.crt\"," ""
send_one
assert "verify, the name from upstream (127.0.0.1, in the SAN): delivered" test $? = 0
stop_pg

n=$(ts_count)
start_pg "upstream_tls = \"verify\", upstream_ca = \"$C/ca.crt\", upstream_name = \"wrong.example\"," ""
printf 'expect 421 4.7.0\n' | smtpc >"$T/out" 2>&1
assert "verify, a wrong name: 421 4.7.0 at the greeting" test $? = 0
assert "the failure is logged" grep -q 'upstream .*TLS handshake failed (upstream_tls = "verify"): .*certificate verify failed' "$T/pg.log"
stop_pg
start_pg "upstream_tls = \"verify\"," ""
printf 'expect 421 4.7.0\n' | smtpc >"$T/out" 2>&1
assert "verify with the system's store (a test CA): 421" test $? = 0
stop_pg
assert_eq "nothing reached the upstream from the failures" "$(ts_count)" "$n"

# an upstream without STARTTLS
SINK_PORT=$plain_port
start_pg 'upstream_tls = "may",' ""
send_one
assert "may, no STARTTLS offered: plaintext" test $? = 0
assert_eq "may: delivered" "$(count plain)" 1
stop_pg
start_pg 'upstream_tls = "encrypt",' ""
printf 'expect 421 4.7.0\n' | smtpc >"$T/out" 2>&1
assert "encrypt, no STARTTLS offered: 421 4.7.0" test $? = 0
assert "logged" grep -q 'the upstream does not offer STARTTLS (upstream_tls = "encrypt")' "$T/pg.log"
assert_eq "encrypt: nothing delivered in plaintext" "$(count plain)" 1
stop_pg

# a private Postfix with TLS as the upstream
. "$top_srcdir/tests/milter/pflib.sh"
if pf_usable; then
	start_sink up
	chmod 755 "$T"
	pfport=$(free_port)
	for try in 1 2 3; do
		pf_start "$T/pf" "$pfport" "$SINK_PORT" "" "smtpd_tls_security_level = may
smtpd_tls_chain_files = $C/server.key, $C/chain.crt
smtpd_tls_received_header = yes" \
			"tlsmgr    unix  -       -       n       1000?   1       tlsmgr" >"$T/pfstart.log" 2>&1 && break
		[ $try = 3 ] && { cat "$T/pfstart.log"; echo "postfix did not start"; exit 1; }
		pf_stop "$T/pf"
		sleep 1
	done
	trap 'pf_stop "$T/pf"; _cleanup' EXIT
	SINK_PORT=$pfport
	start_pg "tls = { cert = \"$C/chain.crt\", key = \"$C/server.key\" },
	  upstream_tls = \"verify\", upstream_ca = \"$C/ca.crt\", upstream_name = \"localhost\"," ""
	send_one --tls
	assert "Postfix with TLS, verify, swaks --tls: accepted" grep -q '^<[-~]  250 2.0.0 Ok: queued as' "$T/swaks"
	pf_wait_queue "$T/pf" 10
	sleep 0.3
	f=$(ls "$T"/up/* 2>/dev/null | head -1)
	assert "delivered by Postfix" test -n "$f"
	assert "Postfix received it over TLS" grep -q '(using TLSv1.3 with cipher' "${f:-/dev/null}"
	assert "our Received: says ESMTPS" grep -q '(phasegate) with ESMTPS' "${f:-/dev/null}"
	stop_pg
else
	echo "# no private Postfix (needs root): its part skipped"
fi
finish
