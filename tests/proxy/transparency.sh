#!/usr/bin/env bash
# tests/proxy/transparency.sh - what the client sends is what the upstream
# stores: dot-stuffed lines, 8-bit and 998-octet lines, several
# transactions per session, 100 recipients, a 10 MB message; the EHLO
# capabilities are filtered; our Received: line when asked.
. "$top_srcdir/tests/proxy/lib.sh"

start_sink up
start_pg "received = false" ""

# a message with every awkward line
/usr/bin/python3 - "$T/msg.eml" <<'EOP'
import sys
l = [b"From: a@example.com", b"To: b@example.org", b"Subject: transparency",
     b"", b".", b"..", b".leading dot", b"...three", b" . ", b"8bit: \xe9\xe8\xff\x80",
     b"x" * 998, b"tab\there", b"", b"end"]
open(sys.argv[1], "wb").write(b"\r\n".join(l) + b"\r\n")
EOP
/usr/bin/python3 - "$T/msg.eml" "$T/stuffed" <<'EOP'
import sys
m = open(sys.argv[1], "rb").read()
out = b"".join((b"." + ln if ln.startswith(b".") else ln) + b"\r\n" for ln in m.split(b"\r\n")[:-1])
open(sys.argv[2], "wb").write(out + b".\r\n")
EOP
out=$(smtpc <<EOS
expect 220
send b"EHLO client.example\r\n"
expect 250
send b"MAIL FROM:<a@example.com> BODY=8BITMIME\r\n"
expect 250
send b"RCPT TO:<b@example.org>\r\n"
expect 250
send b"DATA\r\n"
expect 354
sendfile $T/stuffed
expect 250
send b"MAIL FROM:<a2@example.com>\r\n"
expect 250
send b"RCPT TO:<c@example.org>\r\n"
expect 250
send b"DATA\r\n"
expect 354
sendfile $T/stuffed
expect 250
send b"QUIT\r\n"
expect 221
EOS
)
rc=$?
assert_eq "two transactions in one session" "$rc" 0
assert "EHLO: PIPELINING passed on" grep -q "^<<< 250-PIPELINING" <<<"$out"
assert "EHLO: XCLIENT not offered to the client" bash -c "! grep -q XCLIENT <<<'$out'"
assert_eq "two messages upstream" "$(count up)" 2
tr -d '\r' <"$T/msg.eml" >"$T/msg.lf"
for f in "$T"/up/*; do
	body "$f" >"$T/got"
	assert "byte-exact message (dots, 8-bit, 998 octets)" cmp "$T/got" "$T/msg.lf"
done
rm -f "$T"/up/*

# 100 recipients and a 10 MB message through swaks
rcpts=$(seq -f "r%g@example.org" 1 100 | paste -sd,)
swaks --server "127.0.0.1:$PG_PORT" --from a@example.com --to "$rcpts" \
	--body "100 recipients" >"$T/swaks.out" 2>&1
assert "100 recipients accepted" grep -q "^<-  250 .*Ok" "$T/swaks.out"
f=$(ls "$T"/up/* | head -1)
assert_eq "100 recipients arrive" "$(grep -c '^X-Rcpt-Args:' "$f")" 100
rm -f "$T"/up/*
/usr/bin/python3 -c '
import sys
line = b"0123456789" * 9 + b"abcdefgh"
sys.stdout.buffer.write(b"Subject: big\r\n\r\n" + (line + b"\r\n") * (10 * 1024 * 1024 // 100))
' >"$T/big.eml"
swaks --server "127.0.0.1:$PG_PORT" --from a@example.com --to b@example.org \
	--data "@$T/big.eml" >"$T/swaks.out" 2>&1
assert "10 MB message accepted" grep -q "^<-  250 .*Ok" <(grep -v '^ ->' "$T/swaks.out")
f=$(ls "$T"/up/* | head -1)
body "$f" >"$T/got"
tr -d '\r' <"$T/big.eml" >"$T/big.lf"
assert "10 MB message byte-exact" cmp -s "$T/got" "$T/big.lf"
stop_pg

# with received = true (the default) our Received: line comes first
rm -f "$T"/up/*
start_pg "" ""
swaks --server "127.0.0.1:$PG_PORT" --from a@example.com --to b@example.org \
	--helo helo.example --body "trace" >"$T/swaks.out" 2>&1
f=$(ls "$T"/up/* | head -1)
body "$f" >"$T/got"
assert "Received: line for the real client" grep -q "^Received: from helo.example (.* \[127.0.0.1\])" "$T/got"
assert "Received: by phasegate" grep -q "by .* (phasegate) with ESMTP" "$T/got"
finish
