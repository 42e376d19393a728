#!/usr/bin/env bash
# tests/milter/hostile.sh - the milter front end under a hostile or broken
# MTA side (issue 11), with rawmta.py: a packet begun and then stalled, or
# trickled a byte at a time, is cut at timeouts.command counted from its
# first bytes (not renewed per byte); a milter-only daemon raises its
# descriptor soft limit to the hard one and logs both; at its descriptor
# limit the excess is closed at once; one transaction's recipients are
# capped (452 4.5.3 past 10,000, logged once), logged once per burst (never a
# "Too many open files" line per attempt), and service recovers.
. "$top_srcdir/tests/proxy/lib.sh"	# tests/lib.sh and wait_port
command -v miltertest >/dev/null || { echo "miltertest not installed: skip"; exit 77; }
command -v prlimit >/dev/null || { echo "prlimit not installed: skip"; exit 77; }
M=$top_srcdir/tests/milter
RAW="/usr/bin/python3 $M/rawmta.py 127.0.0.1"

# serve CONFFILE [PREFIX...] - start phasegate serve; $spid, log in CONFFILE.log
serve() {
	local conf=$1
	shift
	spawn "$@" "$PHASEGATE" serve -c "$conf" >"$conf.log" 2>&1
	spid=$!
	wait_port "$port"
}

stop() {
	kill "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
}

# between LO HI VALUE - LO <= VALUE <= HI (decimals)
between() {
	/usr/bin/python3 -c "import sys; sys.exit(0 if $1 <= float('$3') <= $2 else 1)"
}

# conf FILE [EXTRA] - a milter on a free port running verdicts.lua
conf() {
	port=$(free_port)
	sock="inet:$port@127.0.0.1"
	printf 'milter = { listen = "%s" }\nfilters = { { script = "%s" } }\n%s\n' \
		"$sock" "$M/filters/verdicts.lua" "${2:-}" >"$1"
}

# --- 1. a packet stalled or trickled mid-way: cut at timeouts.command ---
conf "$T/t.conf" 'timeouts = { command = "2s" }'
serve "$T/t.conf"
out=$($RAW "$port" stall 0.4 12)
echo "$out" | sed 's/^/# /'
t=$(sed -n 's/^stalled: closed after \([0-9.]*\) s/\1/p' <<<"$out")
assert "a packet begun and stalled: closed" test -n "$t"
assert "... at timeouts.command (2 s)" between 1.8 4 "${t:-99}"
t=$(sed -n 's/^trickled: closed after \([0-9.]*\) s/\1/p' <<<"$out")
assert "a packet trickled a byte every 0.4 s: closed" test -n "$t"
assert "... at timeouts.command (2 s), not renewed per byte" between 1.8 4 "${t:-99}"
assert "each logged once, with the MTA" \
	test "$(grep -c 'a packet not complete within 2000 ms: connection closed' "$T/t.conf.log")" = 2
miltertest -s "$M/mt/abort.lua" -D sock="$sock" >"$T/mt1.out" 2>&1
assert "a well-behaved MTA is served meanwhile" test $? = 0
stop

# --- 2. recipients of one transaction: capped (MILTER_STAGE_RCPTS_MAX) ---
conf "$T/rc.conf"
serve "$T/rc.conf"
out=$($RAW "$port" rcpts 10002)
echo "# 10002 recipients in one transaction: $out"
assert "the first 10000 recorded" grep -q "^continued=10000 " <<<"$out"
assert "the rest get 452 4.5.3" grep -q "refused=2 last=452 4.5.3 Too many recipients" <<<"$out"
assert "logged once" test "$(grep -c 'more than 10000 recipients' "$T/rc.conf.log")" = 1
stop

# --- 3. the descriptor limits of a milter-only daemon ---
conf "$T/r.conf"
serve "$T/r.conf" prlimit --nofile=64:256
assert "startup log: the soft limit raised to the hard one, both reported" \
	grep -q "descriptors: soft limit 256 (raised to the hard limit), hard limit 256" "$T/r.conf.log"
stop

conf "$T/f.conf"
serve "$T/f.conf" prlimit --nofile=64:64
assert "startup log: both limits" grep -q "descriptors: soft limit 64, hard limit 64" "$T/f.conf.log"
$RAW "$port" hold 60 3 >"$T/hold.out" 2>&1
echo "# 60 MTA connections at a limit of 64 descriptors: $(cat "$T/hold.out")"
assert "some were served" grep -q "open=[1-9]" "$T/hold.out"
assert "the excess was closed at once" grep -q "refused=[1-9]" "$T/hold.out"
grep -m1 'no descriptors left' "$T/f.conf.log" | sed 's/^/# /'
assert "logged once per burst" test "$(grep -c 'no descriptors left' "$T/f.conf.log")" = 1
assert "no \"Too many open files\" line" bash -c "! grep -q 'Too many open files' '$T/f.conf.log'"
miltertest -s "$M/mt/abort.lua" -D sock="$sock" >"$T/mt2.out" 2>&1
rc=$?
[ $rc = 0 ] || sed 's/^/# /' "$T/mt2.out"
assert "served again once they left" test $rc = 0
stop

finish
