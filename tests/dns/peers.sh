# tests/dns/peers.sh - the tests' DNS servers for shell tests; source it
# after tests/lib.sh. dns_peers_start starts rbldnsd with the zones of
# tests/data/dns and tests/dns/fakedns.py in front of it (lib.sh's spawn:
# stopped by PID at exit) and sets RBL_PORT and FAKE_PORT; [DELAY_MS]
# makes fakedns forward to rbldnsd after that long.

# dns_ask PORT NAME - whether the server at PORT answers an A query for NAME
dns_ask() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import socket, struct, sys
port, name = int(sys.argv[1]), sys.argv[2]
q = struct.pack('>HHHHHH', 0x1234, 0x0100, 1, 0, 0, 0) + b''.join(
    bytes([len(l)]) + l.encode() for l in name.split('.')) + b'\0' + struct.pack('>HH', 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.2)
for _ in range(25):
    try:
        s.sendto(q, ('127.0.0.1', port))
        s.recv(512)
        sys.exit(0)
    except OSError:
        pass
sys.exit(1)
PY
}

dns_peers_start() {
	local delay=${1:-0} z user=()
	mkdir -p "$T/dns"
	chmod 755 "$T" "$T/dns"
	for z in bl.zone bl6.zone dbl.zone gen.zone; do
		cp "$top_srcdir/tests/data/dns/$z" "$T/dns/$z"
		chmod 644 "$T/dns/$z"
	done
	RBL_PORT=$(free_port)
	FAKE_PORT=$(free_port)
	[ "$(id -u)" -eq 0 ] && user=(-u nobody)
	spawn rbldnsd -n -b "127.0.0.1/$RBL_PORT" -w "$T/dns" "${user[@]}" \
		bl.test:ip4set:bl.zone bl6.test:ip6trie:bl6.zone \
		dbl.test:dnset:dbl.zone example.test:generic:gen.zone \
		>"$T/dns/rbldnsd.log" 2>&1
	spawn /usr/bin/python3 "$top_srcdir/tests/dns/fakedns.py" --port "$FAKE_PORT" \
		--upstream "127.0.0.1:$RBL_PORT" --delay "$delay" >"$T/dns/fakedns.log" 2>&1
	dns_ask "$RBL_PORT" example.test && dns_ask "$FAKE_PORT" www.good.test || {
		echo "DNS test servers did not start:"; cat "$T/dns/"*.log
		return 1
	}
}
