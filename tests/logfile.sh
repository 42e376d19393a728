#!/usr/bin/env bash
# tests/logfile.sh - log = "/path" and its signals: lines go to the file
# with timestamps; logrotate's way (move the file, SIGUSR1) puts new lines
# in a new file at the path and none is lost from the old; a SIGHUP that
# changes what only a restart applies (listen, stats, log, user) says
# "restart needed" and names it, and the old values stay in force;
# log_level changes with a reload; a log path that cannot be opened is a
# start-up error.
. "$top_srcdir/tests/lib.sh"
port=$(free_port)
log="$T/pg.log"
conf() {	# conf EXTRA: the configuration, with the log file
	printf 'milter = { listen = "inet:%s@127.0.0.1" }\nfilters = {}\nlog = "%s"\n%s\n' "$port" "$log" "$1" >"$T/pg.conf"
}
wait_in() {	# wait_in FILE PATTERN: up to 10 s
	local i
	for i in $(seq 100); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}
connects() {
	/usr/bin/python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5).close()' "$1"
}

conf ""
"$PHASEGATE" serve -c "$T/pg.conf" 2>"$T/stderr" &
pid=$!
_pids="$_pids $pid"
assert "serving, said in the log file" wait_in "$log" "serving"
assert "with a timestamp" grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{12}[+-][0-9]{4} phasegate: info: phasegate .* serving' "$log"
assert_eq "nothing on stderr" "$(wc -c <"$T/stderr")" 0

# logrotate: move, USR1, the next lines go to a new file
mv "$log" "$log.1"
kill -USR1 $pid
assert "USR1: the new file is made" wait_in "$log" "signal USR1: reopening the log"
assert "the old file is left as it was" grep -q "serving" "$log.1"
assert "and gets nothing new" test "$(grep -c 'USR1' "$log.1")" = 0
assert "still running" kill -0 $pid

# HUP with a changed listen, stats and log: restart needed, old values stay
printf 'milter = { listen = "inet:%s@127.0.0.1" }\nfilters = {}\nlog = "%s"\nstats = { listen = "127.0.0.1:%s" }\nlog_level = "debug"\n' \
	"$(free_port)" "$T/other.log" "$(free_port)" >"$T/pg.conf"
kill -HUP $pid
assert "HUP: restart needed, named" wait_in "$log" "reload: restart needed: milter.listen, log, stats.listen changed"
assert "HUP: the reload itself goes on" wait_in "$log" "reload: new configuration"
assert "the old milter address still listens" connects "$port"
assert "the log stays where it was" test ! -e "$T/other.log"
# log_level = "debug" took effect with the reload: USR2 is logged at debug
kill -USR2 $pid
assert "log_level debug applied by the reload" wait_in "$log" "signal USR2: ignored"

# HUP with nothing a restart needs: no such line
conf 'log_level = "info"'
n=$(grep -c 'restart needed' "$log")
kill -HUP $pid
sleep 0.2
assert "HUP again" wait_in "$log" "reload: new configuration"
for i in $(seq 50); do [ "$(grep -c 'reload: new configuration' "$log")" -ge 2 ] && break; sleep 0.1; done
assert_eq "same listen and log: no restart line" "$(grep -c 'restart needed' "$log")" "$n"

kill -TERM $pid
wait $pid
assert_eq "TERM: exit 0" "$?" 0

# a log file that cannot be opened: exit 1, the reason on stderr
printf 'milter = { listen = "inet:%s@127.0.0.1" }\nfilters = {}\nlog = "%s/no/such/dir/pg.log"\n' "$(free_port)" "$T" >"$T/bad.conf"
"$PHASEGATE" serve -c "$T/bad.conf" 2>"$T/bad.err"
assert_eq "unopenable log: exit 1" "$?" 1
assert "the reason" grep -q "log $T/no/such/dir/pg.log: No such file or directory" "$T/bad.err"
finish
