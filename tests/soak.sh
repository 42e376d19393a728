#!/usr/bin/env bash
# tests/soak.sh - a soak through both front ends (issue 11): SOAK_MESSAGES
# (default 20,000) messages, each with its own number, through the proxy to
# smtp-sink (each one stored once: none lost, none duplicated, counted at
# the sink) and through the milter (each end of message answered with its
# own message's verdict), with a Lua rule and a plugin on every message;
# memory stays flat: the resident size at the end is within SOAK_RSS_SLACK
# percent (default 25) plus 8 MiB of what it was after a quarter of the
# messages. `make soak` runs 200,000.
. "$top_srcdir/tests/proxy/lib.sh"
N=${SOAK_MESSAGES:-20000}
CONC=${SOAK_SESSIONS:-8}
SLACK=${SOAK_RSS_SLACK:-25}
SOAK="/usr/bin/python3 $top_srcdir/tests/soak.py"
# in an ASan build, freed memory waits in a quarantine of up to 256 MiB,
# which reads as growth here: no quarantine for the soak (the other tests
# keep it); ignored by a build without ASan
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:thread_local_quarantine_size_kb=0"

cat >"$T/soak.lua" <<'EOL'
local pg = require "phasegate"
pg.on("eom", function(tx)
  tx.vars.seen = (tx:header("Subject") or "")
  if not tx.vars.seen:find("^soak%-%d+$") then
    return pg.reject("550 5.7.1 not a soak message")
  end
end)
EOL

# flat KB_QUARTER KB_END - the end within SLACK% + 8 MiB of the quarter
flat() {
	[ "$1" -gt 0 ] && [ "$2" -le $(( $1 + $1 * SLACK / 100 + 8192 )) ]
}

# --- the proxy, to smtp-sink dumping each message into a file ---
mkdir "$T/dump"
SINK_PORT=$(free_port)
u=""
[ "$(id -u)" = 0 ] && u="-u root"
spawn smtp-sink $u -d "$T/dump/%M%S." "127.0.0.1:$SINK_PORT" 1000
SINK_PID=$!
wait_port "$SINK_PORT"
start_pg "max_sessions_per_client = 0" "filters = { { script = \"$T/soak.lua\" },
    { plugin = \"pg_test_all\", add_header = \"X-Soak: 1\" } }"
s0=$(date +%s%N)
out=$($SOAK proxy "$PG_PORT" "$N" "$CONC" "$PG_PID")
rc=$?
ms=$(( ($(date +%s%N) - s0) / 1000000 ))
echo "# proxy: $out in $ms ms ($(( N * 1000 / (ms > 0 ? ms : 1) )) messages/s)"
assert "proxy: every one of $N messages got 250" test $rc = 0
sleep 0.5
cnt=$($SOAK count "$T/dump" "$N")
rc=$?
echo "# sink: $cnt"
assert "proxy: each stored once at the sink (none lost, none duplicated)" test $rc = 0
q=$(sed -n 's/.*rss_quarter=\([0-9]*\).*/\1/p' <<<"$out")
e=$(sed -n 's/.*rss_end=\([0-9]*\).*/\1/p' <<<"$out")
assert "proxy: flat memory (${q:-0} KiB at a quarter, ${e:-0} KiB at the end)" flat "${q:-0}" "${e:-0}"
assert "proxy: no warning in the log" bash -c "! grep -q 'warning' '$T/pg.log'"
stop_pg
kill "$SINK_PID"; wait "$SINK_PID" 2>/dev/null
rm -rf "$T/dump"

# --- the milter, as an MTA would talk to it ---
port=$(free_port)
printf 'milter = { listen = "inet:%s@127.0.0.1" }\nfilters = { { script = "%s" } }\n' \
	"$port" "$top_srcdir/tests/milter/filters/verdicts.lua" >"$T/m.conf"
spawn "$PHASEGATE" serve -c "$T/m.conf" >"$T/m.log" 2>&1
MPID=$!
wait_port "$port"
s0=$(date +%s%N)
out=$($SOAK milter "$port" "$N" "$CONC" "$MPID")
rc=$?
ms=$(( ($(date +%s%N) - s0) / 1000000 ))
echo "# milter: $out in $ms ms ($(( N * 1000 / (ms > 0 ? ms : 1) )) messages/s)"
assert "milter: each of $N messages answered once, with its own verdict" test $rc = 0
q=$(sed -n 's/.*rss_quarter=\([0-9]*\).*/\1/p' <<<"$out")
e=$(sed -n 's/.*rss_end=\([0-9]*\).*/\1/p' <<<"$out")
assert "milter: flat memory (${q:-0} KiB at a quarter, ${e:-0} KiB at the end)" flat "${q:-0}" "${e:-0}"
assert "milter: no warning in the log" bash -c "! grep -q 'warning' '$T/m.log'"
kill "$MPID"; wait "$MPID" 2>/dev/null
finish
