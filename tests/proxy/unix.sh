#!/usr/bin/env bash
# tests/proxy/unix.sh - the proxy listening on a unix socket: a message
# goes through it (the client taken as local: 127.0.0.1, localhost, as
# Postfix's smtpd does), a socket file left by a dead process is
# replaced, a file that is not a socket is a configuration error, and
# SIGTERM removes the socket.
. "$top_srcdir/tests/proxy/lib.sh"

sock=$T/pg.sock
conf() {	# conf LISTEN
	cat >"$T/pg.conf" <<EOC
smtp = { { listen = "$1", upstream = "127.0.0.1:$SINK_PORT" } }
EOC
}
wait_sock() {	# wait_sock PATH: until something listens there (5 s)
	local i
	for i in $(seq 1 100); do
		/usr/bin/python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' \
			"$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

start_sink up
# a socket file left behind by a process that died without removing it
/usr/bin/python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$sock"
assert "a stale socket file is there" test -S "$sock"
conf "unix:$sock"
spawn "$PHASEGATE" serve -c "$T/pg.conf" 2>"$T/pg.log"
PG_PID=$!
assert "serve listens on the unix socket (the stale one replaced)" wait_sock "$sock"
printf 'expect 220\nsend b"EHLO client.example\\r\\n"\nexpect 250\nsend b"MAIL FROM:<a@b.example>\\r\\n"\nexpect 250\nsend b"RCPT TO:<c@d.example>\\r\\n"\nexpect 250\nsend b"DATA\\r\\n"\nexpect 354\nsend b"Subject: over a unix socket\\r\\n\\r\\nbody\\r\\n.\\r\\n"\nexpect 250\nsend b"QUIT\\r\\n"\nexpect 221\n' |
	/usr/bin/python3 "$top_srcdir/tests/proxy/smtpc.py" "$sock" >"$T/c.out" 2>&1
assert "a message through the unix socket" test $? = 0
assert_eq "it reached the upstream" "$(count up)" 1
f=$(find "$T/up" -type f | head -1)
assert "our Received: names the client as local" \
	grep -q "Received: from client.example (localhost \[127.0.0.1\])" "$f"
grep -q "listening on unix:$sock" "$T/pg.log"
assert "the log names the unix socket" test $? = 0
kill "$PG_PID"
wait "$PG_PID"
assert_eq "SIGTERM: exit 0" "$?" 0
assert "SIGTERM: the socket file is removed" test ! -e "$sock"

# a file that is not a socket: refused, with the reason
: >"$sock"
"$PHASEGATE" serve -c "$T/pg.conf" 2>"$T/bad.log"
assert_eq "a regular file at the path: exit 1" "$?" 1
assert "says it is not a socket" grep -q "exists and is not a socket" "$T/bad.log"
assert "the file is left alone" test -f "$sock"
finish
