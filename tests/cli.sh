#!/usr/bin/env bash
# tests/cli.sh - the command line: --help and -h of every subcommand print
# its usage on stdout and exit 0; a bad argument is exit 1 with the usage on
# stderr; --version names the version, the plugin ABI, the plugin directory
# and the versions of the Lua, PCRE2 and Hyperscan libraries it runs with.
. "$top_srcdir/tests/lib.sh"

run() {	# run ARGS...: sets $out, $err, $rc
	out=$("$PHASEGATE" "$@" 2>"$T/err") && rc=0 || rc=$?
	err=$(cat "$T/err")
}

for cmd in serve configtest check; do
	for h in --help -h; do
		run "$cmd" "$h"
		assert_eq "$cmd $h: exit 0" "$rc" 0
		assert "$cmd $h: usage on stdout" grep -q "^usage: phasegate $cmd -c FILE" <<<"$out"
		assert_eq "$cmd $h: nothing on stderr" "$err" ""
	done
done
run serve --help
assert "serve --help: names the signals" grep -q "USR1 reopens the log" <<<"$out"
assert "serve --help: names the exit statuses" grep -q "1 configuration error" <<<"$out"
run configtest --help
assert "configtest --help: names the exit statuses" grep -q "Exit: 0 valid, 1 invalid" <<<"$out"
run check --help
# every option check takes is named by phasegate --help too
opts=$(grep -o -- '--[a-z-]*\|\[-[a-z]\]' <<<"$out" | tr -d '[]' | sort -u)
top=$("$PHASEGATE" --help)
for o in $opts; do
	[ "$o" = --help ] && continue
	assert "phasegate --help names check's $o" grep -q -- "$o" <<<"$top"
done
assert "check --help: names the exit statuses" grep -q "3 discarded, 4 error" <<<"$out"
for h in --help -h help; do
	run "$h"
	assert_eq "phasegate $h: exit 0" "$rc" 0
	assert "phasegate $h: every command" bash -c 'grep -q "phasegate serve" <<<"$1" &&
		grep -q "phasegate check" <<<"$1" && grep -q "phasegate configtest" <<<"$1"' _ "$out"
done

# bad arguments: exit 1, the reason and the usage on stderr, nothing on stdout
run serve --bogus
assert_eq "serve --bogus: exit 1" "$rc" 1
assert "serve --bogus: named" grep -q "unknown argument --bogus" <<<"$err"
assert "serve --bogus: usage on stderr" grep -q "^usage: phasegate serve" <<<"$err"
assert_eq "serve --bogus: nothing on stdout" "$out" ""
run configtest
assert_eq "configtest without -c: exit 1" "$rc" 1
assert "configtest without -c: says so" grep -q "\-c FILE is required" <<<"$err"
run frobnicate
assert_eq "unknown command: exit 1" "$rc" 1
assert "unknown command: named" grep -q "unknown command frobnicate" <<<"$err"
run
assert_eq "no command: exit 1" "$rc" 1

# one prefix: every error of the command line starts with "phasegate: "
printf 'filters = {}\n' > "$T/none.conf"
printf 'filters = { { plugin = "/nonexistent/x.so" } }\n' > "$T/bad.conf"
for args in "serve --bogus" "configtest" "configtest --bogus" "check --bogus" \
    "check -c $T/none.conf" "check $T/none.conf" "check -c $T/none.conf --show nothing x" \
    "check -c $T/bad.conf /etc/hostname" "configtest -c $T/bad.conf" \
    "configtest -c $T/missing.conf" "serve -c $T/bad.conf" "frobnicate"; do
	run $args
	assert "'$args': errors start with 'phasegate: '" \
		bash -c '! grep -v "^usage: \|^       phasegate \|^  \|^phasegate COMMAND\|^phasegate: " <<<"$1" &&
		grep -q "^phasegate: " <<<"$1"' _ "$err"
done
run check --bogus
assert "check --bogus: named, as serve does" grep -q "^phasegate: check: --bogus: unknown argument" <<<"$err"

# check: every message file is looked at before any phase runs
printf 'filters = { { plugin = "%s", connect = "continue" } }\n' \
	"$top_builddir/tests/plugins/.libs/pg_test_all.so" > "$T/one.conf"
run check -c "$T/one.conf" "$top_srcdir/examples/mail/ham-01-lunch.eml" "$T/nope.eml" "$T/nope2.eml"
assert_eq "check, a missing file: exit 4" "$rc" 4
assert "check, a missing file: each named" bash -c 'grep -q "^phasegate: check: .*nope.eml: No such file" <<<"$1" &&
	grep -q "^phasegate: check: .*nope2.eml: No such file" <<<"$1"' _ "$err"
assert_eq "check, a missing file: no phase ran (no report)" "$out" ""
run check -c "$T/one.conf" "$T"
assert_eq "check, a directory: exit 4" "$rc" 4
assert "check, a directory: said" grep -q "^phasegate: check: $T: Is a directory" <<<"$err"
run check -c "$T/one.conf" <(cat "$top_srcdir/examples/mail/ham-01-lunch.eml")
assert_eq "check, a pipe (process substitution): read as a file" "$rc" 0

# zero filters: warned about by configtest, check and serve
run configtest -c "$T/none.conf"
assert_eq "configtest, no filters: still valid" "$rc" 0
assert "configtest, no filters: warned" grep -q "^phasegate: warning: .*none.conf: no filters: every message is accepted as it is" <<<"$err"
run check -c "$T/none.conf" "$top_srcdir/examples/mail/ham-01-lunch.eml"
assert_eq "check, no filters: accepted" "$rc" 0
assert "check, no filters: warned" grep -q "no filters: every message is accepted" <<<"$err"
run configtest -c "$T/one.conf"
assert_eq "configtest, one filter: nothing on stderr" "$err" ""
if command -v miltertest >/dev/null; then
	printf 'milter = { listen = "inet:%s@127.0.0.1" }\nfilters = {}\n' "$(free_port)" > "$T/serve.conf"
	"$PHASEGATE" serve -c "$T/serve.conf" 2>"$T/serve.log" &
	pid=$!
	for i in $(seq 100); do grep -q "serving" "$T/serve.log" && break; sleep 0.05; done
	kill -TERM $pid; wait $pid
	assert "serve, no filters: warned at start" grep -q "warning: .*serve.conf: no filters" "$T/serve.log"
fi

# --version
version=$(sed -n 's/^PACKAGE_VERSION = //p' "$top_builddir/Makefile")
run --version
assert_eq "--version: exit 0" "$rc" 0
assert "--version: version and ABI" grep -qx "phasegate $version (plugin ABI [0-9]*)" <<<"$out"
lua_v=$(lua5.4 -v 2>&1 | sed -n 's/^\(Lua [0-9.]*\) .*/\1/p')
assert "--version: the Lua library's release ($lua_v)" grep -qx "Lua: $lua_v" <<<"$out"
pcre_v=$(pkg-config --modversion libpcre2-8)
assert "--version: the PCRE2 library's version ($pcre_v)" grep -q "^PCRE2: $pcre_v [0-9-]* (JIT " <<<"$out"
if [ -n "$(sed -n 's/^HS_LIBS = //p' "$top_builddir/Makefile")" ]; then
	hs_v=$(pkg-config --modversion libhs)
	assert "--version: the Hyperscan library's version ($hs_v)" grep -q "^Hyperscan: $hs_v " <<<"$out"
else
	assert "--version: Hyperscan not built in" grep -q "^Hyperscan: not built in" <<<"$out"
fi
out=$(env -u PHASEGATE_PLUGIN_DIR "$PHASEGATE" --version)
pkglibdir=$(MAKEFLAGS= make -s --no-print-directory -C "$top_builddir" -f Makefile -f - print-pkglibdir <<<'print-pkglibdir: ; @echo $(pkglibdir)' 2>/dev/null)
assert_eq "--version: the build tree's plugins, then the built-in plugin directory" "$(sed -n 's/^plugin directory: //p' <<<"$out")" "$top_builddir/.libs:$pkglibdir"
out=$(PHASEGATE_PLUGIN_DIR=/x:/y "$PHASEGATE" --version)
assert "--version: PHASEGATE_PLUGIN_DIR shown when set" \
	grep -qx "plugin directory: /x:/y (from PHASEGATE_PLUGIN_DIR; built-in $pkglibdir)" <<<"$out"

# a build tree's binary finds the tree's own plugins with no environment
printf 'filters = { { plugin = "regex", rules = "%s" } }\n' \
	"$top_srcdir/examples/regex.rules" >"$T/tree.conf"
assert "a build tree's binary loads its regex plugin without PHASEGATE_PLUGIN_DIR" \
	env -u PHASEGATE_PLUGIN_DIR "$PHASEGATE" configtest -c "$T/tree.conf"
finish
