#!/usr/bin/env bash
# tests/socket.sh - a unix listener's socket_mode and socket_group (milter
# and proxy), who can connect with them, the socket given to `user =` and
# removed at stop after the privilege drop, a directory the user could not
# remove it from refused by serve and configtest (nothing left behind),
# `user` and `socket_group` checked by configtest; the proxy's `hostname` in
# its greeting, its Received: line and its replies.
. "$top_srcdir/tests/proxy/lib.sh"

wait_sock() {	# wait_sock PATH: until something listens there (5 s)
	local i
	for i in $(seq 1 100); do
		/usr/bin/python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' \
			"$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}
stop() {	# stop PID: SIGTERM, wait; sets rc
	kill -TERM "$1"
	wait "$1"
	rc=$?
}
me=$(id -un)
mygroup=$(id -gn)

# --- hostname: the greeting, Received: and a reply --------------------------
start_sink up
start_pg 'hostname = "mx.test.example"' ''
printf 'expect 220\nsend b"EHLO client.example\\r\\n"\nexpect 250\nsend b"MAIL FROM:<a@b.example>\\r\\n"\nexpect 250\nsend b"RCPT TO:<c@d.example>\\r\\n"\nexpect 250\nsend b"DATA\\r\\n"\nexpect 354\nsend b"Subject: hostname\\r\\n\\r\\nbody\\r\\n.\\r\\n"\nexpect 250\nsend b"QUIT\\r\\n"\nexpect 221\n' |
	smtpc >"$T/c.out" 2>&1
assert "hostname: a message through the proxy" test $? = 0
assert "hostname: the upstream's greeting passes as it is" grep -q "^<<< 220 .*ESMTP" "$T/c.out"
f=$(find "$T/up" -type f | head -1)
assert "hostname: our Received: line names it" grep -q "by mx.test.example (phasegate) with ESMTP" "$f"
# a client waiting at the stop is told 421 with the name
/usr/bin/python3 - "$PG_PORT" >"$T/stop.out" 2>&1 <<'EOF' &
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
f = s.makefile("rb")
print(f.readline().decode().rstrip(), flush=True)
print(f.readline().decode().rstrip(), flush=True)
EOF
client=$!
for i in $(seq 100); do grep -q '^220' "$T/stop.out" && break; sleep 0.05; done
stop "$PG_PID"
wait $client
assert "hostname: the 421 at stop names it" grep -q "^421 4.3.2 mx.test.example Service shutting down" "$T/stop.out"
# phasegate's own greeting (no upstream to relay) names it
up=$SINK_PORT
SINK_PORT=$(free_port)	# nothing listens there
start_pg 'hostname = "mx.test.example"' ''
printf 'expect 421\n' | smtpc >"$T/c2.out" 2>&1
assert "hostname: the 421 for an upstream not reachable names it" \
	grep -q "^<<< 421 4.3.0 mx.test.example Service not available" "$T/c2.out"
stop_pg
start_pg '' ''
printf 'expect 421\n' | smtpc >"$T/c3.out" 2>&1
assert "hostname: by default the machine's name ($(hostname))" \
	grep -q "^<<< 421 4.3.0 $(hostname) Service not available" "$T/c3.out"
stop_pg
SINK_PORT=$up

# --- socket_mode and socket_group -----------------------------------------
d=$(mktemp -d /tmp/pgsock.XXXXXX)
chmod 0755 "$d"
spool=$(mktemp -d /tmp/pgspool.XXXXXX)
chmod 0777 "$spool"
trap '_cleanup; rm -rf "$d" "$spool"' EXIT
printf 'spool = { dir = "%s" }\nmilter = { listen = "unix:%s/m.sock", socket_mode = "0660", socket_group = "%s" }\nfilters = {}\n' \
	"$spool" "$d" "$mygroup" > "$T/m.conf"
"$PHASEGATE" serve -c "$T/m.conf" 2>"$T/m.log" &
pid=$!
assert "milter: listens on the unix socket" wait_sock "$d/m.sock"
assert_eq "milter: socket_mode and socket_group applied" "$(stat -c '%A %G' "$d/m.sock")" "srw-rw---- $mygroup"
stop $pid
assert_eq "milter: SIGTERM: exit 0" "$rc" 0
assert "milter: the socket is removed at stop" test ! -e "$d/m.sock"

printf 'smtp = { { listen = "unix:%s/p.sock", upstream = "127.0.0.1:%s", socket_mode = "0600" } }\nfilters = {}\n' \
	"$d" "$SINK_PORT" > "$T/p.conf"
"$PHASEGATE" serve -c "$T/p.conf" 2>"$T/p.log" &
pid=$!
assert "proxy: listens on the unix socket" wait_sock "$d/p.sock"
assert_eq "proxy: socket_mode applied" "$(stat -c '%A' "$d/p.sock")" "srw-------"
stop $pid
assert "proxy: the socket is removed at stop" test ! -e "$d/p.sock"

# configtest: the accounts exist
printf 'user = "no-such-user-pg"\nmilter = { listen = "unix:%s/m.sock",\n  socket_group = "no-such-group-pg" }\nfilters = {}\n' "$d" > "$T/acct.conf"
out=$("$PHASEGATE" configtest -c "$T/acct.conf" 2>&1); rc=$?
assert_eq "configtest: unknown user and group: exit 1" "$rc" 1
assert "configtest: the user named" grep -q "acct.conf: user no-such-user-pg: no such user" <<<"$out"
assert "configtest: the group named, with its line" grep -q "acct.conf:3: milter.socket_group no-such-group-pg: no such group" <<<"$out"
"$PHASEGATE" serve -c "$T/acct.conf" >/dev/null 2>&1
assert_eq "serve: unknown user and group: exit 1 before binding" "$?" 1
assert "serve: nothing bound" test ! -e "$d/m.sock"

# --- as root: who may connect, the drop, the removal at stop ---------------
if [ "$(id -u)" != 0 ] || ! id nobody >/dev/null 2>&1 || ! getent group nogroup >/dev/null ||
    ! id daemon >/dev/null 2>&1 || ! command -v setpriv >/dev/null; then
	echo "# the privilege drop cases need root, users nobody and daemon, group nogroup, setpriv"
	finish
fi
chown nobody "$d"
printf 'user = "nobody"\nspool = { dir = "%s" }\nmilter = { listen = "unix:%s/m.sock", socket_mode = "0660", socket_group = "nogroup" }\nfilters = {}\n' \
	"$spool" "$d" > "$T/drop.conf"
out=$("$PHASEGATE" configtest -c "$T/drop.conf" 2>&1)
assert_eq "drop: configtest: OK (${out//$'\n'/ })" "$?" 0
"$PHASEGATE" serve -c "$T/drop.conf" 2>"$T/drop.log" &
pid=$!
assert "drop: listens" wait_sock "$d/m.sock"
assert_eq "drop: the socket is the user's, in socket_group, mode 0660" \
	"$(stat -c '%A %U %G' "$d/m.sock")" "srw-rw---- nobody nogroup"
try() {	# try UID GID: connect to the socket as that user and group
	setpriv --reuid="$1" --regid="$2" --clear-groups /usr/bin/python3 -c \
		'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' "$d/m.sock" 2>/dev/null
}
assert "drop: a process in socket_group connects" try daemon nogroup
refused() { ! try "$@"; }
assert "drop: a process outside it does not" refused daemon daemon
stop $pid
assert_eq "drop: SIGTERM: exit 0" "$rc" 0
assert "drop: the socket is removed at stop, after the privilege drop" test ! -e "$d/m.sock"

# a directory the user could not remove the socket from: refused at once
chown root "$d"
out=$("$PHASEGATE" configtest -c "$T/drop.conf" 2>&1)
assert_eq "root-owned directory: configtest exit 1" "$?" 1
assert "root-owned directory: configtest says why and how to fix it" \
	grep -q "user nobody could not remove the socket at stop: its directory $d must be writable by nobody (install -d -o nobody $d" <<<"$out"
"$PHASEGATE" serve -c "$T/drop.conf" 2>"$T/drop2.log"
assert_eq "root-owned directory: serve exit 1" "$?" 1
assert "root-owned directory: serve says why" grep -q "could not remove the socket at stop" "$T/drop2.log"
assert "root-owned directory: no socket left behind" test ! -e "$d/m.sock"
# a directory writable by the user's group (nobody's is nogroup) is enough
if [ "$(id -gn nobody)" = nogroup ]; then
	chgrp nogroup "$d"; chmod 0770 "$d"
	out=$("$PHASEGATE" configtest -c "$T/drop.conf" 2>&1)
	assert_eq "directory writable by the user's group: configtest OK (${out//$'\n'/ })" "$?" 0
fi
finish
