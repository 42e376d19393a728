#!/usr/bin/env bash
# tests/signals.sh - `phasegate serve` and its signals: USR1 reopens the log
# and USR2 is ignored, neither kills it (USR1 is OpenDKIM's reload signal and
# rspamd's log-reopen signal: one sent by habit must be harmless); it still
# accepts connections after them; HUP still reloads; TERM stops with exit 0.
. "$top_srcdir/tests/lib.sh"
port=$(free_port)
printf 'milter = { listen = "inet:%s@127.0.0.1" }\nfilters = {}\n' "$port" > "$T/pg.conf"

wait_log() {	# wait_log PATTERN: up to 10 s for PATTERN in the log
	local i
	for i in $(seq 100); do grep -q "$1" "$T/serve.log" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}
connects() {	# connects: the milter port takes a TCP connection
	/usr/bin/python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5).close()' "$port"
}

"$PHASEGATE" serve -v -c "$T/pg.conf" 2>"$T/serve.log" &
pid=$!
_pids="$_pids $pid"
assert "serving" wait_log "serving"

kill -USR1 $pid
assert "USR1: logged as reopening the log" wait_log "signal USR1: reopening the log"
assert "USR1: still running" kill -0 $pid
kill -USR2 $pid
assert "USR2: logged at debug level as ignored" wait_log "signal USR2: ignored"
assert "USR2: still running" kill -0 $pid
for i in 1 2 3; do kill -USR1 $pid; kill -USR2 $pid; done
sleep 0.2
assert "USR1 and USR2 again and again: still running" kill -0 $pid
assert "and still accepting connections" connects
kill -HUP $pid
assert "HUP after them: reloads" wait_log "reload: new configuration"

kill -TERM $pid
rc=124
for i in $(seq 100); do
	if ! kill -0 $pid 2>/dev/null; then wait $pid; rc=$?; break; fi
	sleep 0.1
done
assert_eq "TERM: clean stop, exit 0" "$rc" 0

# a signal during start-up does not kill it either: serve blocks them first
# thing (seen in /proc as soon as it is), and takes one sent then once it
# waits for signals. (While the main thread waits in sigwait() the kernel
# shows the awaited signals unblocked there; the other threads keep the mask.)
blocked() {	# blocked PID: SIGUSR1 (bit 10) is in some thread's blocked set
	local m
	for m in $(sed -n 's/^SigBlk:[[:space:]]*//p' /proc/$1/task/*/status 2>/dev/null); do
		(( (16#$m >> 9) & 1 )) && return 0
	done
	return 1
}
"$PHASEGATE" serve -c "$T/pg.conf" 2>"$T/serve.log" &
pid=$!
_pids="$_pids $pid"
for i in $(seq 500); do blocked $pid && break; sleep 0.01; done
assert "start-up: USR1 blocked at once" blocked $pid
kill -USR1 $pid
assert "USR1 at start-up: serving all the same" wait_log "serving"
assert "USR1 at start-up: still running" kill -0 $pid
assert "USR1 at start-up: taken once serving" wait_log "signal USR1: reopening the log"
kill -INT $pid
rc=124
for i in $(seq 100); do
	if ! kill -0 $pid 2>/dev/null; then wait $pid; rc=$?; break; fi
	sleep 0.1
done
assert_eq "INT: clean stop, exit 0" "$rc" 0
finish
