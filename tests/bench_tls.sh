#!/usr/bin/env bash
# tests/bench_tls.sh - a smoke run of bench/tls and its load client
# bench/tls_load (issue 15's benchmark), tiny and not timed: 20 connections
# per row against the private Postfix with STARTTLS (and phasegate's proxy
# with TLS when this build has it), with and without session resumption,
# with TLS 1.3 and 1.2, and in plaintext; every connection completes, the
# resumed rows resume some handshakes, the full rows none, the plain row
# has no handshake, the CPU columns are numbers. Then the client's own
# errors: a refused connection counts as an error (exit 1), a bad option is
# a usage error (exit 2).
# Skipped (77) unless run as root with postfix, smtp-sink and openssl.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/milter/pflib.sh"
pf_usable && command -v openssl >/dev/null || {
	echo "needs root, postfix, smtp-sink and openssl: skip"; exit 77; }
LOAD=$top_builddir/bench/tls_load

N=20 SESSIONS=5 ROUNDS=1 "$top_srcdir/bench/tls" "$top_builddir" >"$T/out" 2>"$T/err"
rc=$?
cat "$T/out" "$T/err"
assert_eq "bench/tls exits 0" "$rc" 0
row() { awk -v s="$1" -v r="$2" '$1 == s && $2 == r' "$T/out"; }
field() { row "$1" "$2" | awk -v f="$3" '{ print $f }'; }
num() { echo "$1" | grep -Eq '^[0-9]+(\.[0-9]+)?$'; }

assert_eq "postfix, resumed: no errors" "$(field postfix resumed 8)" 0
assert_eq "postfix, full: no errors" "$(field postfix full 8)" 0
hs=$(field postfix resumed 7)
assert_eq "postfix, resumed: 20 handshakes" "$(( ${hs%/*} + ${hs#*/} ))" 20
assert "postfix, resumed: some handshakes resumed ($hs)" [ "${hs#*/}" -gt 0 ]
assert_eq "postfix, full: every handshake full" "$(field postfix full 7)" 20/0
hs=$(field postfix resumed12 7)
assert "postfix, TLS 1.2 resumed: some handshakes resumed ($hs)" [ "${hs#*/}" -gt 0 ]
assert_eq "postfix, TLS 1.2 resumed: no errors" "$(field postfix resumed12 8)" 0
assert_eq "postfix, TLS 1.2 full: every handshake full" "$(field postfix full12 7)" 20/0
assert_eq "postfix, plain: no errors" "$(field postfix plain 8)" 0
assert_eq "postfix, plain: no handshake" "$(field postfix plain 7)" 0/0
assert "postfix: a rate" num "$(field postfix resumed 3)"
assert "postfix: CPU ms per connection of smtpd" num "$(field postfix full 5)"
assert "postfix: CPU ms per connection of every process" num "$(field postfix full 6)"

if grep -q "no TLS in this build" "$T/out"; then
	echo "# phasegate has no TLS in this build: its row says so"
	assert "the phasegate rows say so" [ "$(grep -c '^phasegate .*no TLS in this build' "$T/out")" = 5 ]
else
	assert_eq "phasegate, resumed: no errors" "$(field phasegate resumed 8)" 0
	assert_eq "phasegate, full: no errors" "$(field phasegate full 8)" 0
	hs=$(field phasegate resumed 7)
	assert "phasegate, resumed: some handshakes resumed ($hs)" [ "${hs#*/}" -gt 0 ]
	assert_eq "phasegate, full: every handshake full" "$(field phasegate full 7)" 20/0
	hs=$(field phasegate resumed12 7)
	assert "phasegate, TLS 1.2 resumed: some handshakes resumed ($hs)" [ "${hs#*/}" -gt 0 ]
	assert_eq "phasegate, TLS 1.2 full: every handshake full" "$(field phasegate full12 7)" 20/0
	assert_eq "phasegate, plain: no errors" "$(field phasegate plain 8)" 0
	assert_eq "phasegate, plain: no handshake" "$(field phasegate plain 7)" 0/0
	assert "phasegate: CPU ms per connection" num "$(field phasegate full 5)"
fi

# nothing listens: every connection is an error, exit 1
dead=$(free_port)
"$LOAD" -c 2 -n 4 127.0.0.1 "$dead" >"$T/dead.out" 2>"$T/dead.err"
assert_eq "a refused connection: exit 1" "$?" 1
assert "a refused connection: counted" grep -q "ok=0 errors=4 " "$T/dead.out"
assert "a refused connection: said" grep -q "connect: Connection refused" "$T/dead.err"
"$LOAD" -c 0 127.0.0.1 25 >/dev/null 2>"$T/usage.err"
assert_eq "a bad option: exit 2" "$?" 2
assert "a bad option: said" grep -q "bad number: 0" "$T/usage.err"
finish
