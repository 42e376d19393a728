#!/usr/bin/env bash
# tests/man.sh - the man pages phasegate(8), phasegate.conf(5) and
# phasegate-lua(7): each renders with `man -l` (groff's warnings on) and
# passes `mandoc -T lint` without a warning; phasegate.conf(5) has every key
# of docs/configuration.md's tables, in the section of its table, and no key
# those tables lack, and every such key is a string the configuration
# parser (host/core) knows; phasegate-lua(7) has every function and field
# docs/lua-api.md documents (the list tests/unit/test_lua_docs holds to the
# code), and no other.
. "$top_srcdir/tests/lib.sh"
M=$top_srcdir/docs/man
PAGES="phasegate.8 phasegate.conf.5 phasegate-lua.7"

for p in $PAGES; do
	out=$(MANWIDTH=80 man --warnings -l "$M/$p" 2>"$T/err")
	assert "$p: man -l renders it" grep -q "^NAME" <<<"$out"
	assert_eq "$p: man -l: no warning" "$(cat "$T/err")" ""
	assert "$p: its NAME line" grep -q "^ *${p%.*} .* " <<<"$out"
	if command -v mandoc >/dev/null; then
		assert_eq "$p: mandoc -T lint: no warning" "$(mandoc -T lint -W warning "$M/$p" 2>&1)" ""
	else
		echo "# mandoc not installed (./bootstrap deps installs it): lint not run"
	fi
done

# the configuration keys: docs/configuration.md's "### `section`" headings
# and the "| `key` |" rows of their tables, against phasegate.conf(5)'s
# ".Ss section" and ".It Ic key" lines
/usr/bin/python3 - "$top_srcdir/docs/configuration.md" "$M/phasegate.conf.5" "$top_srcdir/host/core" <<'PY' >"$T/keys"
import glob, re, sys
doc, man, core = sys.argv[1:4]

def doc_keys():
    keys, section = set(), None
    for line in open(doc, encoding="utf-8"):
        m = re.match(r"### `(\w+)`", line)
        if m:
            section = m.group(1); keys.add((section, None)); continue
        if line.startswith("## "):
            section = None
        m = re.match(r"\| `(\w+)` \|", line)
        if m and section:
            keys.add((section, m.group(1)))
    return keys

def man_keys():
    keys, section, in_keys = set(), None, False
    for line in open(man, encoding="utf-8"):
        if line.startswith(".Sh "):
            in_keys = line.strip() == ".Sh KEYS"; section = None; continue
        if not in_keys:
            continue
        m = re.match(r"\.Ss (\w+)\s*$", line)
        if m:
            section = m.group(1); keys.add((section, None)); continue
        m = re.match(r"\.It Ic (\w+)", line)
        if m and section:
            keys.add((section, m.group(1)))
    return keys

code = "".join(open(f, encoding="utf-8").read() for f in glob.glob(core + "/*.c"))
d, m = doc_keys(), man_keys()
print("documented", len(d))
name = lambda k: k[0] if k[1] is None else k[0] + "." + k[1]
for k in sorted(d - m, key=name):
    print("missing in phasegate.conf(5):", name(k))
for k in sorted(m - d, key=name):
    print("in phasegate.conf(5) but not in docs/configuration.md:", name(k))
for k in sorted(d, key=name):
    if '"%s"' % (k[1] or k[0]) not in code:
        print("documented but no parser in host/core knows the string:", name(k))
PY
n=$(sed -n 's/^documented //p' "$T/keys")
assert "configuration.md: its tables were read ($n keys and sections)" test "${n:-0}" -ge 30
assert "phasegate.conf(5): every key, and only those: $(grep -v '^documented' "$T/keys" | tr '\n' ';')" \
	test "$(grep -vc '^documented' "$T/keys")" -eq 0

# the Lua API: docs/lua-api.md's "### `name" headings against
# phasegate-lua(7)'s ".It Fn name" and ".It Va name" lines
/usr/bin/python3 - "$top_srcdir/docs/lua-api.md" "$M/phasegate-lua.7" <<'PY' >"$T/lua"
import re, sys
doc, man = sys.argv[1:3]
d = {re.split(r"[(` ]", l[5:])[0] for l in open(doc, encoding="utf-8") if l.startswith("### `")}
m = {mm.group(1) for l in open(man, encoding="utf-8")
     for mm in [re.match(r"\.It (?:Fn|Va) (\S+)", l)] if mm}
print("documented", len(d))
for n in sorted(d - m):
    print("missing in phasegate-lua(7):", n)
for n in sorted(m - d):
    print("in phasegate-lua(7) but not in docs/lua-api.md:", n)
PY
n=$(sed -n 's/^documented //p' "$T/lua")
assert "lua-api.md: its reference was read ($n names)" test "${n:-0}" -ge 50
assert "phasegate-lua(7): every function and field, and only those: $(grep -v '^documented' "$T/lua" | tr '\n' ';')" \
	test "$(grep -vc '^documented' "$T/lua")" -eq 0

# the cross references resolve to the three pages
for p in $PAGES; do
	for x in $(sed -n 's/^\.Xr \(phasegate[^ ]*\) \([0-9]\).*/\1.\2/p' "$M/$p"); do
		assert "$p: .Xr $x is one of the pages" test -f "$M/$x"
	done
done
finish
