#!/usr/bin/env bash
# tests/proxy/haproxy.sh - phasegate behind a real HAProxy (send-proxy-v2
# and send-proxy) on a listener with proxy_protocol = true: filters see
# the client HAProxy took, at connect and later; the PROXY header cases
# with a raw socket (an address outside proxy_from, no header, a
# malformed one, a LOCAL one); and upstream_proxy_protocol = v1/v2 to a
# private Postfix with smtpd_upstream_proxy_protocol = haproxy.
. "$top_srcdir/tests/proxy/lib.sh"
. "$top_srcdir/tests/milter/pflib.sh"
command -v haproxy >/dev/null || { echo "haproxy not installed: skip"; exit 77; }
command -v swaks >/dev/null || { echo "swaks not installed: skip"; exit 77; }

start_sink up
cat >"$T/seen.lua" <<'EOL'
local pg = require "phasegate"
pg.on("connect", function(s)
  pg.log.info("connect addr=%s port=%d", s.client_addr, s.client_port)
end)
pg.on("mail", function(tx, sender)
  pg.log.info("mail addr=%s", tx.session.client_addr)
end)
EOL
start_pg 'proxy_protocol = true, proxy_from = { "127.0.0.1" }' \
	"filters = { { script = \"$T/seen.lua\" } }"
h1=$(free_port); h2=$(free_port)
cat >"$T/haproxy.cfg" <<EOC
global
	maxconn 100
defaults
	mode tcp
	timeout connect 5s
	timeout client 30s
	timeout server 30s
frontend v2
	bind 127.0.0.1:$h1
	default_backend pgv2
backend pgv2
	server pg 127.0.0.1:$PG_PORT send-proxy-v2
frontend v1
	bind 127.0.0.1:$h2
	default_backend pgv1
backend pgv1
	server pg 127.0.0.1:$PG_PORT send-proxy
EOC
spawn haproxy -db -f "$T/haproxy.cfg" >"$T/haproxy.log" 2>&1
wait_port "$h1" && wait_port "$h2" || { cat "$T/haproxy.log"; exit 1; }

for v in 1 2; do
	port=$h1; [ $v = 1 ] && port=$h2
	swaks --server "127.0.0.1:$port" --local-interface 127.0.0.2 \
		--from a@example.com --to b@example.org --helo client.example \
		--body "via haproxy v$v" >"$T/v$v.out" 2>&1
	assert "PROXY v$v: delivered through HAProxy" grep -q '^<-  250 2.0.0 Ok' "$T/v$v.out"
done
sleep 0.3
assert_eq "both messages at the sink" "$(count up)" 2
assert_eq "filters saw the real client at connect, both times" \
	"$(grep -c 'connect addr=127.0.0.2 port=[1-9]' "$T/pg.log")" 2
assert_eq "and at MAIL" "$(grep -c 'mail addr=127.0.0.2' "$T/pg.log")" 2
assert "our Received: line names the real client" \
	grep -rq '^Received: from client.example (.*\[127.0.0.2\])' "$T/up"

raw() {	# raw SOURCE-ADDR PYTHON-BYTES: send them, print what comes back
	/usr/bin/python3 - "$PG_PORT" "$1" "$2" <<'EOP'
import socket, sys
s = socket.socket()
s.bind((sys.argv[2], 0))
s.connect(("127.0.0.1", int(sys.argv[1])))
s.settimeout(10)
s.sendall(eval(sys.argv[3]))
out = b""
try:
    while True:
        d = s.recv(4096)
        if not d:
            break
        out += d
        if b"221 " in out:
            break
except socket.timeout:
    out += b"<timeout>"
except ConnectionResetError:
    pass    # closed without reading what we sent: a reset, still no word
print(repr(out))
EOP
}
# a header from an address outside proxy_from: closed, nothing said
out=$(raw 127.0.0.2 'b"PROXY TCP4 192.0.2.1 192.0.2.2 1000 25\r\nQUIT\r\n"')
assert_eq "outside proxy_from: closed without a word" "$out" "b''"
assert "outside proxy_from: logged" grep -q 'connection from \[127.0.0.2\]:[0-9]*, which is not in proxy_from' "$T/pg.log"
# no header: the first line is not one
out=$(raw 127.0.0.1 'b"EHLO x\r\nQUIT\r\n"')
assert_eq "no PROXY header: closed" "$out" "b''"
assert "no PROXY header: logged" grep -q 'bad PROXY header from \[127.0.0.1\]:[0-9]*: not a PROXY protocol header' "$T/pg.log"
# a malformed one
out=$(raw 127.0.0.1 'b"PROXY TCP4 192.0.2.999 192.0.2.2 1000 25\r\nQUIT\r\n"')
assert_eq "malformed PROXY header: closed" "$out" "b''"
assert "malformed PROXY header: logged" grep -q 'bad PROXY header .*: v1: bad source address' "$T/pg.log"
# a good v1 header by hand: the session's client is the header's
out=$(raw 127.0.0.1 'b"PROXY TCP4 192.0.2.1 192.0.2.2 1000 25\r\nQUIT\r\n"')
assert "v1 by hand: greeting and QUIT" bash -c "grep -q '220 ' <<<\"\$1\" && grep -q '221 ' <<<\"\$1\"" _ "$out"
assert "v1 by hand: the client is 192.0.2.1:1000" grep -q 'connect addr=192.0.2.1 port=1000' "$T/pg.log"
# v2 LOCAL (a health check): the connection's own address
out=$(raw 127.0.0.1 'b"\r\n\r\n\x00\r\nQUIT\n\x20\x00\x00\x00QUIT\r\n"')
assert "v2 LOCAL: served as the connection itself" grep -q 'connect addr=127.0.0.1 port=' "$T/pg.log"

# upstream_proxy_protocol: a private Postfix that expects the header
if pf_usable; then
	chmod 755 "$T"
	stop_pg
	pfport=$(free_port)
	for try in 1 2 3; do
		pf_start "$T/pf" "$pfport" "$SINK_PORT" "" "smtpd_upstream_proxy_protocol = haproxy" \
			>"$T/pfstart.log" 2>&1 && break
		[ $try = 3 ] && { cat "$T/pfstart.log"; echo "postfix did not start"; exit 1; }
		pf_stop "$T/pf"; sleep 1
	done
	trap 'pf_stop "$T/pf"; _cleanup' EXIT
	sink=$SINK_PORT
	for v in v1 v2; do
		SINK_PORT=$pfport
		start_pg "upstream_proxy_protocol = \"$v\"" ''
		SINK_PORT=$sink
		swaks --server "127.0.0.1:$PG_PORT" --local-interface 127.0.0.2 \
			--from a@example.com --to b@example.org --helo client.example \
			--body "upstream proxy $v" >"$T/up$v.out" 2>&1
		assert "upstream_proxy_protocol = $v: Postfix took the message" \
			grep -q '^<-  250 2.0.0 Ok: queued' "$T/up$v.out"
		stop_pg
	done
	assert_eq "Postfix saw the real client in both headers" \
		"$(grep -c 'postfix/smtpd.*: client=unknown\[127.0.0.2\]' "$T/pf/maillog")" 2
else
	echo "# no private Postfix here: upstream_proxy_protocol not tried"
fi
finish
