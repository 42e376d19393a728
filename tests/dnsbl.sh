#!/usr/bin/env bash
# tests/dnsbl.sh - the dnsbl plugin through `phasegate check`, against
# rbldnsd (tests/data/dns) and tests/dns/fakedns.py on loopback: client
# addresses (IPv4, IPv6) at connect or per recipient, HELO and sender
# domains, body links (URIBL), scores shown as symbols, refusals with the
# configured reply, and broken or dead lists logged, never hits.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/dns/peers.sh"
D=$top_srcdir/tests/data
dns_peers_start || exit 1

conf() {	# conf NAME [extra filter options] - a configuration into $T/NAME.conf
	cat > "$T/$1.conf" <<CONF
filters = { { plugin = "dnsbl", zones = "$D/dnsbl/test.zones" ${2:-} } }
actions = { add_header = 5, reject = 15 }
dns = { servers = { "127.0.0.1:$FAKE_PORT" }, timeout = "400ms", attempts = 1 }
timeouts = { lookups = "3s" }
CONF
}
conf connect
conf rcpt ', client_at = "rcpt", allow_rcpt = "postmaster abuse@example.org"'

pgcheck() {	# pgcheck CONF ARGS... ; sets $out and $rc
	out=$("$PHASEGATE" check -c "$T/$1.conf" "${@:2}" 2>"$T/stderr") && rc=0 || rc=$?
}

printf 'From: a@example.org\r\nSubject: hello\r\n\r\nSee http://www.spam.example/offer now.\r\n' > "$T/uribl.eml"
printf 'From: a@example.org\r\nSubject: hello\r\n\r\nClick https://a.Evil.Example./x\r\n' > "$T/uribl-reject.eml"
printf 'From: a@example.org\r\nSubject: hello\r\n\r\nNothing here, http://ham.example/.\r\n' > "$T/ham.eml"

pgcheck connect --client 192.0.2.99 "$T/ham.eml"
assert_eq "listed client: scored, accepted" "$rc" 0
assert "listed client: the symbol and its zone" grep -q 'RBL_BL *4.50  (dnsbl)' <<<"$out"
assert "listed client: the detail names subject, zone and code" \
	grep -q 'RBL_BL .*192.0.2.99 in bl.test (127.0.0.2)' <<<"$out"
assert "a list answering 127.0.0.1 for everything: an error, not a hit" bash -c "
	grep -q 'dnsbl: 192.0.2.99 in all.test: badcode' '$T/stderr' && ! grep -q RBL_BROKEN <<<'$out'"
assert "a list that never answers: a timeout, not a hit" bash -c "
	grep -q 'dnsbl: 192.0.2.99 in drop.test: timeout' '$T/stderr' && ! grep -q RBL_DEAD <<<'$out'"

pgcheck connect --client 192.0.2.100 "$T/ham.eml"
assert_eq "REJECT client: exit 1" "$rc" 1
assert "REJECT client: refused at connect with the configured reply" \
	grep -q '^connect .*reject    554 5.7.1 Spam source \[192.0.2.100\] listed at bl.test; Spam source 192.0.2.100 (by dnsbl)' <<<"$out"

pgcheck connect --client 10.1.2.3 "$T/ham.eml"
assert_eq "TEMPFAIL client (a code range): exit 2" "$rc" 2
assert "TEMPFAIL client: 451 with the code" grep -q 'tempfail 451 4.7.1 Dynamic range \[10.1.2.3\] (127.0.0.4)' <<<"$out"

pgcheck connect --client 2001:db8::99 "$T/ham.eml"
assert "IPv6 client: nibbles, scored" grep -q 'RBL_BL6 *3.00' <<<"$out"

pgcheck connect --client 192.0.2.1 --helo www.evil.example --from alice@spam.example "$T/ham.eml"
assert_eq "helo and sender listed: accepted" "$rc" 0
assert "helo and sender: both symbols" bash -c "
	grep -q 'HELO_DBL *2.00' <<<'$out' && grep -q 'SENDER_DBL *2.50' <<<'$out'"

pgcheck connect --client 192.0.2.1 "$T/uribl.eml"
assert "body link: www.spam.example asked as spam.example too, scored" \
	grep -q 'URIBL_DBL *5.00' <<<"$out"
pgcheck connect --client 192.0.2.1 --json "$T/uribl.eml"
assert "json: the symbol with its detail" /usr/bin/python3 -c '
import json, sys
o = json.loads(sys.argv[1])
s = [x for x in o["symbols"] if x["symbol"] == "URIBL_DBL"]
assert s and s[0]["score"] == 5, o["symbols"]
' "$out"
pgcheck connect --client 192.0.2.1 "$T/uribl-reject.eml"
assert_eq "body link listed with code &1: rejected at eom" "$rc" 1
assert "body REJECT: the reply" grep -q 'eom .*reject    554 5.7.1 Message contains a link listed at dbl.test (127.0.1.3)' <<<"$out"
pgcheck connect --client 192.0.2.1 "$T/ham.eml"
assert "nothing listed: no symbols" bash -c "! grep -qE 'RBL_|DBL' <<<'$out'"

# links are read decoded (the MIME layer): base64 text, quoted-printable
# HTML whose href a raw-body regex would not find whole
b64=$(printf 'Best offer: http://www.spam.example/deal today.\r\n' | base64 -w 76)
printf 'From: a@example.org\r\nSubject: b64\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n' "$b64" > "$T/uribl-b64.eml"
printf 'From: a@example.org\r\nSubject: qp\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<p><a href=3D"https://login.ev=\r\nil.example/x">your bank</a></p>\r\n' > "$T/uribl-qp.eml"
assert "the raw bodies do not hold the names" bash -c "! grep -q 'spam.example' '$T/uribl-b64.eml' && ! grep -q 'evil.example' '$T/uribl-qp.eml'"
pgcheck connect --client 192.0.2.1 "$T/uribl-b64.eml"
assert "a link in a base64 text part: scored" grep -q 'URIBL_DBL *5.00' <<<"$out"
pgcheck connect --client 192.0.2.1 "$T/uribl-qp.eml"
assert_eq "a link in a QP HTML part, split by a soft break: rejected" "$rc" 1
assert "QP HTML link: the reply" grep -q 'reject    554 5.7.1 Message contains a link listed at dbl.test (127.0.1.3)' <<<"$out"

# skip_clients_file (cidr) and skip_names_file (domain): never asked
printf '# our own networks\n192.0.2.100/32\n2001:db8::/32 partner\n' > "$T/skip.cidr"
printf 'spam.example\n' > "$T/skip.domains"
conf skip ", skip_clients_file = \"$T/skip.cidr\", skip_names_file = \"$T/skip.domains\""
pgcheck skip --client 192.0.2.100 "$T/ham.eml"
assert_eq "skipped client (a REJECT listing): accepted" "$rc" 0
assert "skipped client: no lookup, no symbol" bash -c "! grep -q 'RBL_' <<<'$out' && ! grep -q 'bl.test' '$T/stderr'"
pgcheck skip --client 2001:db8::99 "$T/ham.eml"
assert "skipped IPv6 client: no symbol" bash -c "! grep -q 'RBL_BL6' <<<'$out'"
pgcheck skip --client 192.0.2.99 "$T/ham.eml"
assert "a client outside the map: still scored" grep -q 'RBL_BL *4.50' <<<"$out"
pgcheck skip --client 192.0.2.1 --helo www.spam.example --from alice@spam.example "$T/uribl-b64.eml"
assert "skipped names (and their subdomains): helo, sender, link not scored" bash -c "
	! grep -qE 'HELO_DBL|SENDER_DBL|URIBL_DBL' <<<'$out'"
pgcheck skip --client 192.0.2.1 "$T/uribl-qp.eml"
assert_eq "a name outside the map: still refused" "$rc" 1
conf skipbad ", skip_names_file = \"$T/nonexistent.domains\""
out=$("$PHASEGATE" configtest -c "$T/skipbad.conf" 2>&1) && rc=0 || rc=$?
assert_eq "a missing skip map: configtest exit 1" "$rc" 1
assert "a missing skip map: the option and the file" grep -q "skip_names_file: .*nonexistent.domains" <<<"$out"

# client_at = "rcpt": the refusal is per recipient; allow_rcpt still gets mail
pgcheck rcpt --client 192.0.2.100 --rcpt bob@example.org --rcpt postmaster@example.net \
	--rcpt Abuse@Example.org "$T/ham.eml"
assert_eq "rcpt mode: allowed recipients pass: accepted" "$rc" 0
assert "rcpt mode: bob refused with the reply" \
	grep -q 'rcpt     <bob@example.org> *reject    554 5.7.1 Spam source \[192.0.2.100\]' <<<"$out"
assert "rcpt mode: postmaster and abuse@example.org pass" bash -c "
	! grep -q 'rcpt     <postmaster@example.net> *reject' <<<'$out' &&
	! grep -q 'rcpt     <Abuse@Example.org> *reject' <<<'$out'"
pgcheck rcpt --client 192.0.2.100 --rcpt bob@example.org "$T/ham.eml"
assert_eq "rcpt mode: every recipient refused: exit 1" "$rc" 1

# configuration errors name the zones file and line
printf 'client bl.test 127.0.0.2 SCORE 1 OK\nclient bl.test 10.0.0.1 SCORE 1 X\n' > "$T/bad.zones"
cat > "$T/bad.conf" <<CONF
filters = { { plugin = "dnsbl", zones = "$T/bad.zones" } }
CONF
out=$("$PHASEGATE" configtest -c "$T/bad.conf" 2>&1) && rc=0 || rc=$?
assert_eq "bad zones: configtest exit 1" "$rc" 1
assert "bad zones: file and line" grep -q "bad.zones:2: code '10.0.0.1' is not in 127.0.0.0/8" <<<"$out"
cat > "$T/bad2.conf" <<CONF
filters = { { plugin = "dnsbl", zones = "$D/dnsbl/test.zones", client_at = "data" } }
CONF
out=$("$PHASEGATE" configtest -c "$T/bad2.conf" 2>&1) && rc=0 || rc=$?
assert "bad option: a clear error" grep -q "client_at: 'data' is not one of connect, rcpt" <<<"$out"
cat > "$T/example.conf" <<CONF
filters = { { plugin = "dnsbl", zones = "$top_srcdir/examples/dnsbl.zones" } }
CONF
out=$("$PHASEGATE" configtest -c "$T/example.conf" 2>&1) && rc=0 || rc=$?
assert_eq "examples/dnsbl.zones loads: $out" "$rc" 0
finish
