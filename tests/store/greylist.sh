#!/usr/bin/env bash
# tests/store/greylist.sh - examples/rules/greylist.lua through the proxy:
# first attempt 451 with a retry hint, a retry before the delay 451 again,
# after the delay 250; a network with auto_allow passed triplets passes
# new triplets at once. Run in-process, then with two instances sharing a
# redis-server (greylisted on one, passing on the other).
. "$top_srcdir/tests/proxy/lib.sh"
. "$top_srcdir/tests/store/lib.sh"

mkdir -p "$T/lua"
cat >"$T/lua/greylist_settings.lua" <<'EOL'
return { delay = 2, window = 60, auto_allow = 2 }
EOL
rcpt_code() {	# rcpt_code PORT RCPT -> the RCPT reply's first line
	printf '%s\n' 'expect 220' 'send b"EHLO c.example\r\n"' 'expect 250' \
		'send b"MAIL FROM:<a@example.com>\r\n"' 'expect 250' \
		"send b\"RCPT TO:<$2>\\r\\n\"" 'expect 2 4 5' 'send b"QUIT\r\n"' |
		/usr/bin/python3 "$top_srcdir/tests/proxy/smtpc.py" "$1" 2>&1 |
		grep '^<<< ' | grep -v '^<<< 250-' | sed -n '4s/^<<< //p'
}
run() {	# run LABEL PORT_FIRST PORT_RETRY
	local r
	r=$(rcpt_code "$2" b@example.org)
	assert "$1: first attempt greylisted with a hint ($r)" \
		[ "${r%% *}" = 451 ] && [[ "$r" == *"try again in 2 seconds"* ]]
	r=$(rcpt_code "$3" b@example.org)
	assert_eq "$1: too early: 451 again" "${r%% *}" 451
	sleep 2.2
	r=$(rcpt_code "$3" b@example.org)
	assert_eq "$1: after the delay: passes" "${r%% *}" 250
	assert_eq "$1: and keeps passing" "$(rcpt_code "$2" b@example.org | cut -c1-3)" 250
	r=$(rcpt_code "$2" c@example.org)
	assert_eq "$1: another triplet waits" "${r%% *}" 451
	sleep 2.2
	assert_eq "$1: passes after its delay" "$(rcpt_code "$3" c@example.org | cut -c1-3)" 250
	assert_eq "$1: two passes allow the network: a new triplet passes at once" \
		"$(rcpt_code "$2" d@example.org | cut -c1-3)" 250
}

start_sink up
lua="lua = { path = \"$T/lua\" }
filters = { { script = \"$top_srcdir/examples/rules/greylist.lua\" } }"
start_pg "" "$lua"
run in-process "$PG_PORT" "$PG_PORT"
stop_pg

start_redis
start_pg "" "$lua
store = { redis = \"unix:$REDIS_SOCK\", prefix = \"gl-test:\", timeout = \"5s\" }"
PORT_A=$PG_PORT
start_pg "" "$lua
store = { redis = \"unix:$REDIS_SOCK\", prefix = \"gl-test:\", timeout = \"5s\" }"
run "redis, two instances" "$PORT_A" "$PG_PORT"
assert "the triplets are in redis" [ "$(rcli --scan --pattern 'gl-test:gl:*|*' | wc -l)" -ge 2 ]
finish
