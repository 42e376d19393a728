#!/usr/bin/env bash
# tests/proxy/xforward.sh - phasegate behind a real Postfix as its
# smtpd_proxy_filter, with xforward_from = { "127.0.0.1" }: Postfix sees
# XFORWARD offered and sends the real client; filters see the client at
# 127.0.0.2 and its own HELO (the shipped rules' HELO_LOCALHOST catches a
# client claiming our name), the XFORWARD line goes on to an upstream
# that offers it (Postfix's re-injecting smtpd); a client outside xforward_from is not
# offered XFORWARD and is refused it, bad attributes get 501.
. "$top_srcdir/tests/proxy/lib.sh"
. "$top_srcdir/tests/milter/pflib.sh"
logged() {	# logged PATTERN [N]: N lines of pg.log match it (default 1), within 5 s
	local i
	for i in $(seq 50); do
		[ "$(grep -c -- "$1" "$T/pg.log")" -ge "${2:-1}" ] && return 0
		sleep 0.1
	done
	return 1
}
pf_usable || { echo "needs root and postfix: skip"; exit 77; }
command -v swaks >/dev/null || { echo "swaks not installed: skip"; exit 77; }

start_sink up
chmod 755 "$T"
# phasegate's upstream: Postfix's re-injection smtpd, which takes XFORWARD
reinj=$(free_port)
sink=$SINK_PORT
# the shipped rules, with only 127.0.0.1 (Postfix) counted as ours
sed 's/internal_prefixes = { "10.", "192.168.", "127." }/internal_prefixes = { "127.0.0.1" }/' \
	"$top_srcdir/examples/rules/rules.lua" >"$T/rules.lua"
grep -q 'internal_prefixes = { "127.0.0.1" }' "$T/rules.lua" || { echo "rules.lua changed"; exit 1; }
cat >"$T/seen.lua" <<'EOL'
local pg = require "phasegate"
pg.on("mail", function(tx, sender)
  local s = tx.session
  pg.log.info("seen addr=%s name=%s port=%d helo=%s", s.client_addr,
    s.client_name, s.client_port, tostring(s.helo))
end)
EOL
SINK_PORT=$reinj
start_pg 'xforward_from = { "127.0.0.1" }' "filters = { { script = \"$T/seen.lua\" }, { script = \"$T/rules.lua\" } }
actions = { add_header = 0.5 }"
pfport=$(free_port)
for try in 1 2 3; do
	pf_start "$T/pf" "$pfport" "$sink" "" "mynetworks = 127.0.0.1/32
smtpd_proxy_filter = 127.0.0.1:$PG_PORT
smtpd_proxy_options = speed_adjust" "127.0.0.1:$reinj inet n - n - - smtpd
  -o smtpd_proxy_filter= -o smtpd_authorized_xforward_hosts=127.0.0.1" >"$T/pfstart.log" 2>&1 && break
	[ $try = 3 ] && { cat "$T/pfstart.log"; echo "postfix did not start"; exit 1; }
	pf_stop "$T/pf"
	sleep 1
done
trap 'pf_stop "$T/pf"; _cleanup' EXIT

swaks --server "127.0.0.1:$pfport" --local-interface 127.0.0.2 \
	--from a@example.com --to b@example.org --helo mx.example.net \
	--body "forged helo" >"$T/s1.out" 2>&1
assert "through Postfix and phasegate: queued" grep -q '^<-  250 2.0.0 Ok' "$T/s1.out"
pf_wait_queue "$T/pf" 10
sleep 0.3
f=$(ls "$T"/up/* 2>/dev/null | head -1)
assert "delivered to the sink" test -n "$f"
assert "filters saw the real client and its HELO, not Postfix's" \
	logged 'seen addr=127.0.0.2 name=[^ ]* port=[1-9][0-9]* helo=mx.example.net'
assert "the shipped forged-HELO rule caught it (HELO_LOCALHOST)" \
	bash -c "grep -q '^X-Spam-Status: Yes' '$f' && grep -q HELO_LOCALHOST '$f'"
assert "phasegate's Received: line names the real client" \
	grep -q '^Received: from mx.example.net (unknown \[127.0.0.2\])' "$f"
assert "XFORWARD passed on: the re-injecting Postfix logged the real client" \
	grep -q 'client=localhost\[127.0.0.1\], orig_client=unknown\[127.0.0.2\]' "$T/pf/maillog"
assert "phasegate logged the client XFORWARD gave" \
	logged 'client [^ ]* \[127.0.0.2\]:[0-9]* (XFORWARD)'

# a client with an honest HELO: no HELO_LOCALHOST
rm -f "$T"/up/*
swaks --server "127.0.0.1:$pfport" --local-interface 127.0.0.2 \
	--from a@example.com --to b@example.org --helo client.example.org \
	--body "honest helo" >"$T/s2.out" 2>&1
pf_wait_queue "$T/pf" 10
sleep 0.3
f=$(ls "$T"/up/* 2>/dev/null | head -1)
assert "an honest HELO passes" bash -c "test -n '$f' && ! grep -q HELO_LOCALHOST '$f'"

# phasegate's own dialogue with a trusted client (127.0.0.1): offered,
# bad attributes 501, after MAIL 503, the identity at MAIL
smtpc >"$T/raw.out" 2>&1 <<'EOS'
expect 220
send b"EHLO postfix.example\r\n"
expect 250
send b"XFORWARD NAME=spike.example ADDR=BOGUS\r\n"
expect 501 5.5.4
send b"XFORWARD COLOR=blue\r\n"
expect 501 5.5.4
send b"XFORWARD NAME=client+2Eexample.org ADDR=IPv6:2001:db8::7 PORT=4711\r\n"
expect 250
send b"XFORWARD HELO=helo.example PROTO=ESMTP SOURCE=REMOTE IDENT=[UNAVAILABLE]\r\n"
expect 250
send b"MAIL FROM:<a@example.com>\r\n"
expect 250
send b"XFORWARD ADDR=192.0.2.1\r\n"
expect 503 5.5.1
send b"QUIT\r\n"
expect 221
EOS
assert "trusted client: 501 for bad attributes, 250, then 503 after MAIL" test $? = 0
assert "EHLO offers XFORWARD to a trusted client" grep -q '^<<< 250.XFORWARD NAME ADDR PORT PROTO HELO IDENT SOURCE' "$T/raw.out"
assert "the xtext-decoded identity at MAIL" \
	logged 'seen addr=2001:db8::7 name=client.example.org port=4711 helo=helo.example'

# a client without HELO (Postfix sends HELO=[UNAVAILABLE]): the relay's
# EHLO name is not taken for the client's
smtpc >"$T/nohelo.out" 2>&1 <<'EOS'
expect 220
send b"EHLO mx.example.net\r\n"
expect 250
send b"XFORWARD NAME=[UNAVAILABLE] ADDR=192.0.2.9 PORT=[UNAVAILABLE] HELO=[UNAVAILABLE]\r\n"
expect 250
send b"MAIL FROM:<a@example.com>\r\nQUIT\r\n"
expect 250, 221
EOS
assert "no HELO: accepted" test $? = 0
assert "no HELO: the session has none (not the relay's name)" \
	logged 'seen addr=192.0.2.9 name=unknown port=0 helo=nil'

# an untrusted client (127.0.0.2): not offered, refused
/usr/bin/python3 - "$PG_PORT" >"$T/untrusted.out" 2>&1 <<'EOP'
import socket, sys
s = socket.socket()
s.bind(("127.0.0.2", 0))
s.connect(("127.0.0.1", int(sys.argv[1])))
f = s.makefile("rb")
def reply():
    out = []
    while True:
        l = f.readline().decode()
        out.append(l.rstrip())
        if l[3:4] != "-":
            return out
print(reply())
s.sendall(b"EHLO outside.example\r\n"); print(reply())
s.sendall(b"XFORWARD ADDR=192.0.2.1\r\n"); print(reply())
s.sendall(b"QUIT\r\n"); print(reply())
EOP
assert "an untrusted client is not offered XFORWARD" bash -c "! grep -q XFORWARD.NAME '$T/untrusted.out'"
assert "an untrusted client's XFORWARD: 550 5.7.0" grep -q "550 5.7.0" "$T/untrusted.out"

# an upstream that takes only XFORWARD NAME ADDR gets only those, as they came
stop_pg
cat >"$T/xfup.py" <<'EOP'
import socket, sys, threading
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", int(sys.argv[1])))
srv.listen(8)
def serve(c):
    f = c.makefile("rb")
    c.sendall(b"220 xf.example ESMTP\r\n")
    for line in f:
        with open(sys.argv[2], "ab") as log:
            log.write(line)
        v = line[:4].upper()
        if v == b"EHLO":
            c.sendall(b"250-xf.example\r\n250 XFORWARD NAME ADDR\r\n")
        elif v == b"QUIT":
            c.sendall(b"221 bye\r\n")
            return
        else:
            c.sendall(b"250 ok\r\n")
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
EOP
SINK_PORT=$(free_port)
spawn /usr/bin/python3 "$T/xfup.py" "$SINK_PORT" "$T/xfup.log"
wait_port "$SINK_PORT"
: >"$T/xfup.log"
start_pg 'xforward_from = { "127.0.0.1" }' ''
smtpc >"$T/xfup.out" 2>&1 <<'EOS'
expect 220
send b"EHLO postfix.example\r\n"
expect 250
send b"XFORWARD NAME=spike+2Eexample ADDR=192.0.2.5 PORT=25 PROTO=ESMTP\r\n"
expect 250
send b"XFORWARD SOURCE=REMOTE PORT=26\r\n"
expect 250
send b"QUIT\r\n"
expect 221
EOS
assert "XFORWARD with the upstream's attributes: accepted" test $? = 0
assert_eq "the upstream got NAME and ADDR only, as they came" \
	"$(grep -a XFORWARD "$T/xfup.log" | tr -d '\r')" "XFORWARD NAME=spike+2Eexample ADDR=192.0.2.5"
finish
