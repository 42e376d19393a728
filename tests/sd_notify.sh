#!/usr/bin/env bash
# tests/sd_notify.sh - phasegate under systemd: `phasegate serve` speaks
# the notify protocol to $NOTIFY_SOCKET as Type=notify expects:
# READY=1 once it serves, RELOADING=1 with MONOTONIC_USEC then READY=1 on
# SIGHUP, STOPPING=1 on SIGTERM; a path socket and an abstract one (@name).
# The socket is a stand-in (tests/notify.py), so no systemd needs to run.
. "$top_srcdir/tests/lib.sh"

# notify_run SOCKET: serve with NOTIFY_SOCKET=SOCKET through start, HUP, TERM
notify_run() {
	local sock=$1 out=$T/notify.$2 i pid rc
	/usr/bin/python3 "$top_srcdir/tests/notify.py" "$sock" "$out" &
	_pids="$_pids $!"
	for i in $(seq 100); do [ -s "$out.ready" ] && break; sleep 0.05; done
	: >>"$out"
	port=$(free_port)
	printf 'milter = { listen = "inet:%s@127.0.0.1" }\nfilters = {}\n' "$port" > "$T/pg.conf"
	NOTIFY_SOCKET=$sock "$PHASEGATE" serve -c "$T/pg.conf" 2>"$T/serve.log" &
	pid=$!
	_pids="$_pids $pid"
	for i in $(seq 100); do grep -q "READY=1" "$out" && break; sleep 0.1; done
	assert "$2: READY=1 once serving" grep -q "READY=1" "$out"
	assert "$2: ... after the listener is up" grep -q "serving" "$T/serve.log"
	assert_eq "$2: one message so far" "$(wc -l < "$out")" 1
	t0=$(/usr/bin/python3 -c 'import time; print(time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000)')
	kill -HUP $pid
	for i in $(seq 100); do [ "$(wc -l < "$out")" -ge 3 ] && break; sleep 0.1; done
	assert "$2: HUP: RELOADING=1 first" bash -c "sed -n 2p '$out' | grep -q ' RELOADING=1|MONOTONIC_USEC=[0-9]*$'"
	usec=$(sed -n '2s/.*MONOTONIC_USEC=//p' "$out")
	recv=$(sed -n '2s/ .*//p' "$out")
	assert "$2: HUP: MONOTONIC_USEC is the monotonic clock at the reload" \
		test -n "$usec" -a "${usec:-0}" -ge "$t0" -a "${usec:-0}" -le "${recv:-0}"
	assert "$2: HUP: then READY=1" bash -c "sed -n 3p '$out' | grep -q ' READY=1$'"
	assert "$2: HUP: the reload happened in between" grep -q "reload: new configuration" "$T/serve.log"
	kill -TERM $pid
	rc=124
	for i in $(seq 100); do
		if ! kill -0 $pid 2>/dev/null; then wait $pid; rc=$?; break; fi
		sleep 0.1
	done
	assert_eq "$2: TERM: exit 0" "$rc" 0
	assert "$2: TERM: STOPPING=1, the last message" bash -c "sed -n '\$p' '$out' | grep -q ' STOPPING=1$'"
	assert_eq "$2: four messages in all" "$(wc -l < "$out")" 4
}
notify_run "$T/notify.sock" path
notify_run "@pgtest-notify-$$-$RANDOM" abstract

# a NOTIFY_SOCKET nobody listens on: a warning, and serving goes on
port=$(free_port)
printf 'milter = { listen = "inet:%s@127.0.0.1" }\nfilters = {}\n' "$port" > "$T/pg.conf"
NOTIFY_SOCKET=$T/nobody.sock "$PHASEGATE" serve -c "$T/pg.conf" 2>"$T/serve.log" &
pid=$!
_pids="$_pids $pid"
for i in $(seq 100); do grep -q "serving" "$T/serve.log" && break; sleep 0.1; done
sleep 0.2
assert "no one at NOTIFY_SOCKET: warned" grep -q "cannot notify the service manager" "$T/serve.log"
assert "no one at NOTIFY_SOCKET: still serving" kill -0 $pid
kill -TERM $pid; wait $pid 2>/dev/null

finish
