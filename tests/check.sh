#!/usr/bin/env bash
# tests/check.sh - `phasegate check` end to end: verdicts and exit codes,
# scores, changes applied byte-exactly (-o), JSON, and bad input of every
# kind giving a verdict or a clear error with bounded memory.
. "$top_srcdir/tests/lib.sh"
D=$top_srcdir/tests/data/check
export PHASEGATE_PLUGIN_DIR="$top_builddir/tests/plugins/.libs:${PHASEGATE_PLUGIN_DIR:-}"

pgcheck() {	# pgcheck CONF ARGS... ; sets $out and $rc
	out=$("$PHASEGATE" check -c "$D/$1" "${@:2}" 2>"$T/stderr") && rc=0 || rc=$?
}

# verdicts and exit codes
pgcheck pass.conf -o "$T/out.eml" "$D/ham.eml"
assert_eq "pass: exit 0" "$rc" 0
assert "pass: unchanged message is byte-exact" cmp -s "$T/out.eml" "$D/ham.eml"
assert "pass: result line" grep -q '^result   accept$' <<<"$out"
assert "pass: envelope from Return-Path" grep -q '^mail     <alice@example.com>' <<<"$out"
assert "pass: recipient from To" grep -q '^rcpt     <bob@example.org>' <<<"$out"

pgcheck rcpt.conf --rcpt nobody@example.org --rcpt bob@example.org "$D/ham.eml"
assert_eq "rcpt: one refused, one passes: accepted" "$rc" 0
assert "rcpt: the refusal is shown with its filter" \
	grep -q 'rcpt     <nobody@example.org> *reject    550 5.1.1 <nobody@example.org>: no such user (by test_all)' <<<"$out"
pgcheck rcpt.conf --rcpt nobody@example.org "$D/ham.eml"
assert_eq "rcpt: every recipient refused: exit 1" "$rc" 1
assert "rcpt: no DATA after every recipient refused" bash -c "! grep -q '^data' <<<'$out'"

pgcheck spam.conf "$D/ham.eml"
assert_eq "spam: score over reject: exit 1" "$rc" 1
assert "spam: rejected by actions" grep -q 'eom .*reject    550 5.7.1 Message rejected as spam (by actions)' <<<"$out"
assert "spam: symbol listed" grep -q 'TEST_BIG *16.00  (test_all)' <<<"$out"

pgcheck tempfail.conf "$D/ham.eml"
assert_eq "tempfail at DATA: exit 2" "$rc" 2
assert "tempfail: reply" grep -q '^result   tempfail 452 4.3.1 spool full' <<<"$out"

pgcheck discard.conf "$D/ham.eml"
assert_eq "discard: exit 3" "$rc" 3

pgcheck broken.conf "$D/ham.eml"
assert_eq "filter error: on_error tempfail: exit 2" "$rc" 2
assert "filter error: logged with filter and phase" \
	grep -q 'filter test_all: eom: the filter fell over (on_error tempfail)' "$T/stderr"
assert "filter error: the reason on the phase line" \
	grep -q 'eom .*\[error: test_all: the filter fell over\]' <<<"$out"
# a script adding headers in a loop: stopped at the cap of changes one
# message may collect (MSG_CHANGES_MAX), as an error of that filter
pgcheck flood.conf "$D/ham.eml"
assert_eq "changes past the cap: on_error reject: exit 1" "$rc" 1
assert "changes past the cap: a filter error that says why" \
	grep -q 'filter flood.lua: eom: .*add_header: too many changes to one message (at most 10000' "$T/stderr"
assert "changes past the cap: 10000 kept, not one more" \
	test "$(grep -c 'add_header *X-Flood' <<<"$out")" = 10000
pgcheck broken.conf --json "$D/ham.eml"
assert "filter error: the reason in the JSON" \
	grep -q '"phase":"eom",[^}]*"error":true,"why":"test_all: the filter fell over"' <<<"$out"
pgcheck broken.conf --json --show text,urls,parts "$D/content.eml"
assert_eq "filter error with --show --json: exit 2" "$rc" 2
assert "filter error with --show --json: the reason in the JSON beside the content" bash -c "
	grep -q '\"phase\":\"eom\",[^}]*\"error\":true,\"why\":\"test_all: the filter fell over\"' <<<'$out' &&
	grep -q '\"parts\":\[{\"type\":\"text/plain\"' <<<'$out' &&
	grep -q '\"urls\":\[{\"url\":\"http://bad.example.net/x\"' <<<'$out'"

# message content (docs/mime.md): every Lua content function on a nested
# multipart with base64, QP HTML, RFC 2047/2231 names and a zip
pgcheck content.conf "$D/content.eml"
for sym in LUA_SUBJECT_AT_HEADER LUA_PARTS LUA_PART_FIELDS LUA_PART_TEXT LUA_HTML_TEXT \
	LUA_PART_CONTENT LUA_FILENAME LUA_DETECTED LUA_SIZE LUA_PART_HEADER LUA_NOT_ARCHIVE \
	LUA_ARCHIVE LUA_TX_TEXT LUA_HEADER_DECODED LUA_FROM LUA_URLS LUA_URL_TEXT_HOST \
	LUA_PART_TOSTRING LUA_PART_READONLY LUA_URL_PAIRS LUA_URL_TOSTRING LUA_URL_READONLY \
	LUA_URL_SEALED; do
	assert "content: $sym" grep -q "^  $sym " <<<"$out"
done
pgcheck content.conf -v "$D/content.eml"
assert "content: a part kept past its call is refused" grep -q 'LUA_PART_STALE ok' "$T/stderr"
assert "content: a link kept past its call is refused" grep -q 'LUA_URL_STALE ok' "$T/stderr"
pgcheck pass.conf --show parts,text,urls "$D/content.eml"
assert_eq "show: exit 0" "$rc" 0
assert "show parts: the tree with decoded names, detected type and members" bash -c "
	grep -q '^  1     text/plain charset=utf-8 base64 ' <<<'$out' &&
	grep -q '^  2     text/html charset=iso-8859-1 quoted-printable ' <<<'$out' &&
	grep -q '^  3   application/zip base64 .* attachment filename=\"été.zip\" detected=application/zip' <<<'$out' &&
	grep -q '^      member dir/tool.exe 102 bytes' <<<'$out'"
assert "show text: HTML rendered, hidden text dropped" bash -c "
	grep -q '^  | Café special' <<<'$out' && ! grep -q secret <<<'$out'"
assert "show urls: normalised, with domain, part, text and the host it shows" bash -c "
	grep -q '^  http://bad.example.net/x domain=example.net part=1$' <<<'$out' &&
	grep -q '^  http://evil.example.com/login domain=example.com part=2 text=\"https://www.paypal.com/\" shows=www.paypal.com' <<<'$out'"
pgcheck pass.conf --json --show urls,parts,text "$D/content.eml"
assert "show json: parts, text and urls members" bash -c "
	grep -q '\"parts\":\[{\"type\":\"text/plain\"' <<<'$out' &&
	grep -q '\"archive\":\[{\"name\":\"readme.txt\",\"size\":9,\"encrypted\":false}' <<<'$out' &&
	grep -q '\"text\":\"Plain words' <<<'$out' &&
	grep -q '\"text_host\":\"www.paypal.com\",\"part\":2' <<<'$out'"
# an archive member's encryption flag (a zip made with zip -P: one member locked, one not)
pgcheck pass.conf --json --show parts "$D/encrypted-zip.eml"
assert "show json: a zip's encrypted member flagged, the open one not" \
	grep -q '"archive":\[{"name":"note.txt","size":13,"encrypted":true},{"name":"open.txt","size":6,"encrypted":false}\]' <<<"$out"
pgcheck pass.conf --show parts "$D/encrypted-zip.eml"
assert "show parts: the encrypted member marked" grep -q '^      member note.txt 13 bytes encrypted$' <<<"$out"
pgcheck pass.conf --show nothing "$D/ham.eml"
assert_eq "show: an unknown view is an error" "$rc" 4

pgcheck score.conf -o "$T/score.eml" "$D/ham.eml"
assert_eq "score below reject: accepted" "$rc" 0
assert "score: X-Spam headers added, forged X-Spam-Flag removed" bash -c "
	grep -c '^X-Spam-Flag: YES' '$T/score.eml' | grep -qx 1 &&
	grep -q '^X-Spam-Status: Yes, score=6.5 required=5.0 tests=TEST_MEDIUM' '$T/score.eml' &&
	grep -q '^X-Checked: yes' '$T/score.eml'"

pgcheck changes.conf -o "$T/changed.eml" "$D/ham.eml"
assert_eq "changes: accepted" "$rc" 0
assert "changes: output bytes as expected" cmp "$T/changed.eml" "$D/ham.changed.eml"
assert "changes: envelope changes listed" bash -c "
	grep -q '  add_rcpt *<archive@example.org>' <<<'$out' &&
	grep -q '  change_sender *<bounces@example.com>' <<<'$out' &&
	grep -q '  quarantine *held for review' <<<'$out'"

# a symbol counts once: the highest score wins, the details are kept
pgcheck twice.conf --json "$D/ham.eml"
assert "twice: one symbol, 9 not 25, both details" /usr/bin/python3 -c '
import json, sys
o = json.loads(sys.argv[1])
assert o["result"] == "accept" and o["score"] == 9, o
assert [s["symbol"] for s in o["symbols"]] == ["DRUGS"], o
assert o["symbols"][0]["detail"] == "viagra; cialis; test", o
assert o["symbols"][0]["filter"] == "test_all", o
' "$out"

pgcheck score.conf --json "$D/ham.eml"
assert "json: one valid object with result, score and changes" /usr/bin/python3 -c '
import json, sys
o = json.loads(sys.argv[1])
assert o["result"] == "accept" and o["exit"] == 0, o
assert o["score"] == 6.5 and o["symbols"][0]["symbol"] == "TEST_MEDIUM", o
assert [c["name"] for c in o["changes"]][-1] == "X-Spam-Status", o
assert len(o["phases"]) == 7, o["phases"]
' "$out"

# errors: a bad configuration names file and line; a missing message is exit 4
pgcheck bad.conf "$D/ham.eml"
assert_eq "bad config: exit 4" "$rc" 4
assert "bad config: file and line" grep -q "bad.conf:5: .*scirpt" "$T/stderr"
pgcheck pass.conf "$T/does-not-exist.eml"
assert_eq "missing message: exit 4" "$rc" 4
assert "missing message: clear error" grep -q "does-not-exist.eml: No such file or directory" "$T/stderr"
out=$("$PHASEGATE" configtest -c "$D/bad.conf" 2>&1) && rc=0 || rc=$?
assert_eq "configtest bad: exit 1" "$rc" 1
out=$("$PHASEGATE" configtest -c "$D/pass.conf" 2>&1) && rc=0 || rc=$?
assert_eq "configtest good: exit 0" "$rc" 0

# bad input: each gives a verdict and comes out unchanged, byte for byte
: > "$T/empty.eml"
printf 'Subject: only headers\r\nFrom: a@b\r\n' > "$T/headers-only.eml"
printf 'this is not a header\r\nnor this\r\n' > "$T/no-separator.eml"
printf 'From: a@b\nSubject: bare LF\n\nbody\n.\nmore\n' > "$T/bare-lf.eml"
printf 'From: a@b\r\nSubject: nul \000 here\r\n\r\nbody \000\000 nul\r\n' > "$T/nul.eml"
printf 'From: \xe9l\xe8ve@b\r\nSubject: \xff\xfe 8-bit\r\n\r\n\xc3\xa9t\xc3\xa9\r\n' > "$T/8bit.eml"
/usr/bin/python3 -c '
import sys
d = sys.argv[1]
open(d + "/long-header.eml", "wb").write(b"From: a@b\r\nX-Long: " + b"x" * (2 << 20) + b"\r\nSubject: after\r\n\r\nbody\r\n")
open(d + "/many-headers.eml", "wb").write(b"".join(b"X-H%d: v\r\n" % i for i in range(100000)) + b"\r\nbody\r\n")
' "$T"
for f in empty headers-only no-separator bare-lf nul 8bit long-header many-headers; do
	pgcheck pass.conf -o "$T/$f.out" "$T/$f.eml"
	assert_eq "bad input $f: a verdict" "$rc" 0
	assert "bad input $f: unchanged bytes" cmp -s "$T/$f.eml" "$T/$f.out"
done
# a change on a message with bare LF line ends uses LF for the new field
pgcheck score.conf -o "$T/bare-lf.out" "$T/bare-lf.eml"
assert "bare LF: added fields end in LF" bash -c "grep -q \$'^X-Checked: yes\$' '$T/bare-lf.out' && ! grep -q \$'\\r' '$T/bare-lf.out'"

# memory stays bounded: a 64 MB body through the spool
/usr/bin/python3 -c '
import sys
with open(sys.argv[1], "wb") as f:
    f.write(b"From: a@b\r\nSubject: big\r\n\r\n")
    line = b"y" * 998 + b"\r\n"
    for i in range(64 * 1024 * 1024 // 1000):
        f.write(line)
' "$T/big.eml"
rss=$(ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=8" /usr/bin/python3 -c '
import resource, subprocess, sys
r = subprocess.run([sys.argv[1], "check", "-c", sys.argv[2], "-o", sys.argv[3], sys.argv[4]], stdout=subprocess.DEVNULL)
print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)
' "$PHASEGATE" "$D/pass.conf" "$T/big.out" "$T/big.eml")
read -r big_rc big_mb <<<"$rss"
assert_eq "64 MB message: accepted" "$big_rc" 0
assert "64 MB message: peak RSS ${big_mb} MB stays under 48 MB" test "$big_mb" -lt 48
assert "64 MB message: unchanged bytes" cmp -s "$T/big.eml" "$T/big.out"
finish
