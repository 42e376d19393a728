#!/usr/bin/env bash
# tests/milter/sendmail.sh - phasegate as the milter of a real Sendmail 8.17
# (Debian's sendmail-bin, unpacked into a private root, never installed),
# with docs/sendmail.md's INPUT_MAIL_FILTER and macro lines, relaying to
# smtp-sink -d and driven by swaks: a message delivered with the headers a
# regex rule and a script added (the script sees Sendmail's queue id), a
# recipient refused by a script with phasegate's code and text, a message
# refused by a regex rule, a multi-line reply with a '%' intact.
#
# How Sendmail runs beside Postfix (/work/shared/notes/test-peers.md):
# `apt-get download` of sendmail-bin sendmail-base sendmail-cf liblockfile1
# libwrap0 into a cache directory ($PHASEGATE_CACHE, default
# ~/.cache/phasegate; downloaded once), `dpkg -x` into a private root,
# the setgid bit dropped (ld.so would ignore LD_LIBRARY_PATH), a .mc built
# with m4 against the unpacked cf/ tree; then, inside `unshare -m -u`, the
# private tree bind-mounted on /mnt (Sendmail refuses files below the
# world-writable /tmp), a qualified host name (or Sendmail waits 60 s), a
# tmpfs on /dev whose /dev/log is a socket this test reads (Sendmail's
# syslog), and `sendmail -bD`.
# Skipped (77) only where Sendmail cannot be had: not root (unshare,
# mount), a tool missing, or no network for apt-get download and no cache.
. "$top_srcdir/tests/lib.sh"
M=$top_srcdir/tests/milter
[ "$(id -u)" = 0 ] || { echo "needs root (unshare -m, mount): skip"; exit 77; }
for t in unshare m4 swaks smtp-sink dpkg apt-get; do
	command -v $t >/dev/null || { echo "$t not installed (./bootstrap deps): skip"; exit 77; }
done
getent passwd postfix >/dev/null || { echo "no postfix user for smtp-sink -u: skip"; exit 77; }

# the packages: from the cache, else downloaded into it
PKGS="sendmail-bin sendmail-base sendmail-cf liblockfile1 libwrap0"
cache=${PHASEGATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/phasegate}/sendmail
have_debs() {
	local p
	for p in $PKGS; do ls "$cache/${p}_"*.deb >/dev/null 2>&1 || return 1; done
}
if ! have_debs; then
	mkdir -p "$cache"
	(cd "$cache" && apt-get download $PKGS) >"$T/apt.log" 2>&1 ||
		{ apt-get update -q && (cd "$cache" && apt-get download $PKGS); } >>"$T/apt.log" 2>&1
	have_debs || { echo "Sendmail cannot be had: apt-get download $PKGS failed" \
		"(no network?) and $cache has no copy:"; tail -3 "$T/apt.log"; exit 77; }
fi
S=$T/sm	# bind-mounted on /mnt inside the namespace
mkdir -p "$S/root"
for p in $PKGS; do dpkg -x "$(ls "$cache/${p}_"*.deb | tail -1)" "$S/root"; done
SM=/usr/libexec/sendmail/sendmail
chmod g-s "$S/root$SM"

mport=$(free_port); smport=$(free_port); sport=$(free_port)
chmod 755 "$T"
mkdir -p "$T/sink" && chown postfix "$T/sink"
spawn smtp-sink -u postfix -d "$T/sink/%H%M%S" -c "127.0.0.1:$sport" 100 >"$T/sink.log" 2>&1

cat >"$T/pg.conf" <<EOT
milter = { listen = "inet:$mport@127.0.0.1" }
filters = {
  { plugin = "regex", rules = "$M/filters/sendmail.rules" },
  { script = "$M/filters/postfix.lua" },
}
EOT
spawn "$PHASEGATE" serve -c "$T/pg.conf" >"$T/pg.log" 2>&1
for i in $(seq 100); do grep -q serving "$T/pg.log" && break; sleep 0.1; done

# sendmail.mc: every path Sendmail opens under /mnt (m4 reads cf/ here); the milter lines as docs/sendmail.md has them
mkdir -p "$S/queue" "$S/etc"
chmod 700 "$S/queue"
: >"$S/etc/local-host-names"; : >"$S/etc/trusted-users"; : >"$S/etc/aliases"
{
	cat <<EOT
divert(-1)
divert(0)dnl
include(\`$S/root/usr/share/sendmail/cf/m4/cf.m4')dnl
VERSIONID(\`phasegate tests/milter/sendmail.sh')dnl
OSTYPE(\`linux')dnl
define(\`confCW_FILE', \`-o /mnt/etc/local-host-names')dnl
define(\`confCT_FILE', \`-o /mnt/etc/trusted-users')dnl
define(\`ALIAS_FILE', \`/mnt/etc/aliases')dnl
define(\`QUEUE_DIR', \`/mnt/queue')dnl
define(\`STATUS_FILE', \`/mnt/statistics')dnl
define(\`HELP_FILE', \`/mnt/root/usr/share/sendmail/cf/helpfile')dnl
define(\`confPID_FILE', \`/mnt/sendmail.pid')dnl
define(\`confDONT_PROBE_INTERFACES', \`True')dnl
define(\`confDELIVERY_MODE', \`background')dnl
define(\`confLOG_LEVEL', \`14')dnl
define(\`confMILTER_LOG_LEVEL', \`14')dnl
define(\`SMART_HOST', \`esmtp:[127.0.0.1]')dnl
define(\`ESMTP_MAILER_ARGS', \`TCP \$h $sport')dnl
FEATURE(\`accept_unresolvable_domains')dnl
FEATURE(\`nocanonify')dnl
DAEMON_OPTIONS(\`Port=$smport, Addr=127.0.0.1, Name=MTA')dnl
EOT
	# docs/sendmail.md's lines, with this test's port
	sed -n '/^INPUT_MAIL_FILTER/p; /^define(`confMILTER_MACROS_/p' "$top_srcdir/docs/sendmail.md" |
		sed "s/inet:8891@127.0.0.1/inet:$mport@127.0.0.1/"
	echo "MAILER(\`local')dnl"
	echo "MAILER(\`smtp')dnl"
} >"$S/sendmail.mc"
assert "the .mc has docs/sendmail.md's INPUT_MAIL_FILTER line" grep -q "^INPUT_MAIL_FILTER(\`phasegate', \`S=inet:$mport@127.0.0.1, F=T" "$S/sendmail.mc"
m4 "$S/sendmail.mc" >"$S/sendmail.cf" 2>"$T/m4.err"
assert "m4 builds sendmail.cf $(head -3 "$T/m4.err")" test -s "$S/sendmail.cf" -a ! -s "$T/m4.err"

# /dev/log: a datagram socket this test reads, bind-mounted into the namespace
/usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1])
open(sys.argv[1] + ".ready", "w").close()
with open(sys.argv[2], "ab", buffering=0) as f:
    while True: f.write(s.recv(65536).rstrip(b"\0\n") + b"\n")' "$S/devlog" "$T/maillog" &
_pids="$_pids $!"
for i in $(seq 50); do [ -e "$S/devlog.ready" ] && break; sleep 0.1; done

cat >"$S/run.sh" <<'EOT'
set -e
mount --make-rprivate /
hostname sm.test.example
mount --bind "$1" /mnt
mkdir -p /mnt/hostdev
mount --rbind /dev /mnt/hostdev
mount -t tmpfs -o mode=755 tmpfs /dev
for d in null zero urandom random tty; do
	touch /dev/$d && mount --bind /mnt/hostdev/$d /dev/$d
done
touch /dev/log && mount --bind /mnt/devlog /dev/log
export LD_LIBRARY_PATH=/mnt/root/usr/lib/x86_64-linux-gnu:/mnt/root/lib/x86_64-linux-gnu
exec /mnt/root/usr/libexec/sendmail/sendmail -C /mnt/sendmail.cf -bD -q30s
EOT
t0=$(date +%s.%N)
unshare -m -u bash "$S/run.sh" "$S" >"$T/sendmail.out" 2>&1 &
smpid=$!
_pids="$smpid $_pids"
up=no
for i in $(seq 150); do
	/usr/bin/python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' \
		"$smport" 2>/dev/null && { up=yes; break; }
	kill -0 $smpid 2>/dev/null || break
	sleep 0.1
done
assert_eq "Sendmail 8.17 listens (after $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s)" "$up" yes
if [ $up != yes ]; then
	echo "# sendmail output:"; sed 's/^/#   /' "$T/sendmail.out"
	echo "# its log:"; sed 's/^/#   /' "$T/maillog"
	finish
fi
assert "Sendmail is 8.17" grep -q "starting daemon (8.17" "$T/maillog"

send() {	# send SUBJECT RCPTS...: swaks through Sendmail; output in $out
	local subj=$1 to
	shift
	to=$(IFS=,; echo "$*")
	out=$(swaks --server "127.0.0.1:$smport" --helo client.test.example --from alice@example.com \
	    --to "$to" --h-Subject "$subj" --timeout 30 2>&1) || true
	# what the client saw after EHLO, in the log
	grep -E '^ *<(-|\*\*) +[0-9]{3}[ -][0-9]\.' <<<"$out" | sed "s/^/# $subj: /"
}
stored() {	# stored SUBJECT: the file smtp-sink stored for it (waits)
	local i f
	for i in $(seq 150); do
		f=$(grep -l "^Subject: $1\$" "$T"/sink/* 2>/dev/null | head -1)
		[ -n "$f" ] && { echo "$f"; return 0; }
		sleep 0.1
	done
	return 1
}

send regex-me nobody@example.org bob@example.org
assert "a recipient refused by the script: phasegate's code and text reach the client" \
	grep -q '<\*\* 550 5.1.1 .*<nobody@example.org>: no such user here (phasegate)' <<<"$out"
assert "the other recipient is accepted and the message queued" grep -q '<-  250 2.0.0 .* Message accepted for delivery' <<<"$out"
f=$(stored regex-me) || f=/dev/null
assert "delivered to smtp-sink through Sendmail" grep -q '^Received: from client.test.example' "$f"
assert "header from the regex rule applied" grep -q '^X-Regex-Rule: matched$' "$f"
qid=$(sed -n 's/.*<-  250 2.0.0 \([0-9A-Za-z]*\) Message accepted.*/\1/p' <<<"$out")
assert "header from the script applied, with Sendmail's queue id ($qid) from {i}" \
	grep -q "^X-Phasegate-Script: recipients=1 id=${qid:-none} auth=nil\$" "$f"
assert "phasegate's summary line with Sendmail's queue id" grep -Eq \
	"phasegate: info: msg qid=${qid:-none} session=pg-[0-9a-f-]+ frontend=milter .* rcpts=1 to=<bob@example\.org> .* result=accept phase=eom " "$T/pg.log"
assert "only the accepted recipient delivered" bash -c "grep -q '^X-Rcpt-Args: <bob@example.org>' '$f' && ! grep -q 'nobody@' <(grep X-Rcpt-Args '$f')"

send reject-me bob@example.org
assert "a message refused by a regex rule: the client sees phasegate's reply" \
	grep -q '<\*\* 550 5.7.1 refused by a regex rule (phasegate)' <<<"$out"
send multi bob@example.org
assert "a multi-line reply keeps both lines and its '%'" bash -c "
	grep -q '<\*\* 554-5.7.1 first line of two' <<<'$out' &&
	grep -q '<\*\* 554 5.7.1 second line, 100% sure' <<<'$out'"
sleep 1
assert "no message refused by phasegate reached smtp-sink" bash -c "! grep -lq '^Subject: \(reject-me\|multi\)\$' '$T'/sink/* 2>/dev/null"
assert "Sendmail logged the milter's verdicts" grep -q "Milter: .*reject=550 5.7.1 refused by a regex rule" "$T/maillog"
assert "phasegate logged no error" bash -c "! grep -qi 'error\|warn' '$T/pg.log'"
f=$(stored regex-me) && sed -n '1,/^$/p' "$f" | sed 's/^/# stored: /'
finish
