#!/usr/bin/env bash
# tests/milter/postfix.sh - phasegate as the milter of a private Postfix
# (its own config, queue and data under the test's temp dir, smtpd on
# loopback, relaying to smtp-sink -d), driven by swaks: a recipient
# refused with phasegate's code and text, a multi-line reply, headers added
# by a regex rule and by a script present in what smtp-sink stored, a
# script-added recipient and a changed sender delivered, a connect refusal,
# local submission through non_smtpd_milters, and Postfix's
# milter_default_action when phasegate is down.
# Skipped (77) unless run as root with postfix and swaks installed.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/milter/pflib.sh"
pf_usable && command -v swaks >/dev/null || {
	echo "needs root, postfix, smtp-sink and swaks: skip"; exit 77; }
M=$top_srcdir/tests/milter

mport=$(free_port); pport=$(free_port); sport=$(free_port)
chmod 755 "$T"	# the postfix user works below it
mkdir -p "$T/sink"
chown postfix "$T/sink"
spawn smtp-sink -u postfix -d "$T/sink/%H%M%S" -c "127.0.0.1:$sport" 100 >"$T/sink.log" 2>&1
cat >"$T/pg.conf" <<EOT
milter = { listen = "inet:$mport@127.0.0.1" }
filters = {
  { plugin = "regex", rules = "$M/filters/postfix.rules" },
  { script = "$M/filters/postfix.lua" },
}
EOT
spawn "$PHASEGATE" serve -c "$T/pg.conf" >"$T/pg.log" 2>&1
pg=$!
pf_start "$T/pf" "$pport" "$sport" "inet:127.0.0.1:$mport" 'non_smtpd_milters = $smtpd_milters' ||
	{ echo "postfix did not start"; exit 1; }
trap 'pf_stop "$T/pf"; _cleanup' EXIT

# send SUBJECT RCPTS... - swaks through Postfix; output in $out
send() {
	local subj=$1 to
	shift
	to=$(IFS=,; echo "$*")
	out=$(swaks --server "127.0.0.1:$pport" --from alice@example.com \
	    --to "$to" --h-Subject "$subj" --timeout 20 2>&1) || true
}

# stored SUBJECT - the file smtp-sink stored for that subject (waits)
stored() {
	local i f
	for i in $(seq 100); do
		f=$(grep -l "^Subject: $1\$" "$T"/sink/* 2>/dev/null | head -1)
		[ -n "$f" ] && { echo "$f"; return 0; }
		sleep 0.1
	done
	return 1
}

# every message first (Postfix delivers them in parallel), then the checks
send regex-me nobody@example.org bob@example.org
out1=$out
send add-rcpt bob@example.org
send change-sender bob@example.org
out=$out1
# local submission (sendmail(1) -> pickup -> cleanup) goes through
# non_smtpd_milters: no SMTP client, Postfix stands in with localhost
printf 'From: alice@example.com\nSubject: local-submit\n\nhello\n' |
	sendmail -C "$T/pf/etc" -f alice@example.com bob@example.org
assert "refused recipient: phasegate's code and text reach the client" \
	grep -qF '<** 550 5.1.1 <nobody@example.org>: no such user here (phasegate)' <<<"$out"
assert "the other recipient is accepted and the message queued" grep -q 'queued as' <<<"$out"
# phasegate's summary line (DESIGN section 12) carries Postfix's queue id
qid=$(sed -n 's/.*queued as \([0-9A-Za-z]*\).*/\1/p' <<<"$out" | head -1)
assert "summary line with Postfix's queue id $qid" grep -Eq \
	"phasegate: info: msg qid=${qid:-none} session=pg-[0-9a-f-]+ frontend=milter .* from=<alice@example\.com> rcpts=1 to=<bob@example\.org> .* result=accept phase=eom " "$T/pg.log"
f=$(stored regex-me) || f=/dev/null
assert "header from a regex rule in what smtp-sink stored" grep -q '^X-Regex-Rule: matched$' "$f"
assert "header from the script, one recipient, Postfix's queue id from {i}" \
	grep -Eq '^X-Phasegate-Script: recipients=1 id=[0-9A-F]{6,} auth=nil$' "$f"
assert "only the accepted recipient delivered" bash -c "grep -q '^X-Rcpt-Args: <bob@example.org>' '$f' && ! grep -q 'nobody@' <(grep X-Rcpt-Args '$f')"

f=$(stored add-rcpt) || f=/dev/null
assert "script-added recipient delivered" grep -q '^X-Rcpt-Args: <carol@example.net>' "$f"
assert "original recipient still delivered" grep -q '^X-Rcpt-Args: <bob@example.org>' "$f"

f=$(stored change-sender) || f=/dev/null
assert "changed sender used for delivery" grep -q '^X-Mail-Args: <bounces@example.com>' "$f"

f=$(stored local-submit) || f=/dev/null
assert "local submission (non_smtpd_milters) filtered too" \
	grep -Eq '^X-Phasegate-Script: recipients=1 id=[0-9A-F]{6,} auth=nil$' "$f"

send multi bob@example.org
assert "multi-line reply: first line" grep -qF '<** 554-5.7.1 first line of two' <<<"$out"
assert "multi-line reply: last line, '%' intact" grep -qF '<** 554 5.7.1 second line, 100% sure' <<<"$out"

# end of data does not wait for delayed ACKs (TCP_NODELAY on the milter
# socket): the script adds a header, so phasegate writes two packets at end
# of message; with Nagle each message took 40 ms or more
eod=$(/usr/bin/python3 - "$pport" <<'EOT'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
f = s.makefile("rb")
def reply():
    while True:
        l = f.readline()
        if len(l) < 4 or l[3:4] != b"-": return l
def cmd(c): s.sendall(c + b"\r\n"); return reply()
reply(); cmd(b"EHLO eod.example")
ts = []
for i in range(15):
    cmd(b"MAIL FROM:<alice@example.com>"); cmd(b"RCPT TO:<bob@example.org>"); cmd(b"DATA")
    s.sendall(b"Subject: eod\r\n\r\nbody\r\n"); t = time.perf_counter(); s.sendall(b".\r\n")
    r = reply(); ts.append(time.perf_counter() - t)
    if not r.startswith(b"250"): sys.exit("end of data: " + r.decode())
cmd(b"QUIT"); ts.sort(); print(int(ts[len(ts) // 2] * 1000))
EOT
) || eod=999
echo "# end of data, median over 15 messages: $eod ms"
assert "end of data with a header change: median under 30 ms (no delayed-ACK wait)" test "$eod" -lt 30

# a refusal at connect: Postfix answers with its own text (see docs/milter.md)
send arm-connect bob@example.org
send after-arm bob@example.org
assert "connect refusal: the session is refused" grep -q '^<\*\* 554 ' <<<"$out"
assert "connect refusal: nothing queued" bash -c "! grep -q 'queued as' <<<'$out'"

# phasegate down: Postfix applies milter_default_action = tempfail
kill "$pg"
wait "$pg" 2>/dev/null && rc=0 || rc=$?
assert_eq "phasegate stopped cleanly" "$rc" 0
send down bob@example.org
assert "phasegate down: Postfix's milter_default_action (tempfail)" grep -q '^<\*\* 451 4.7.1' <<<"$out"
assert "phasegate down: nothing queued" bash -c "! grep -q 'queued as' <<<'$out'"

finish
