#!/usr/bin/env bash
# tests/example_conf.sh - examples/phasegate.conf (regex plugin and Lua
# rules together) gives every bundled sample the verdict examples/mail/EXPECTED
# names, with the envelope given there: what `./bootstrap example` shows.
. "$top_srcdir/tests/lib.sh"
cd "$top_srcdir"
while read -r file expect symbols dashes args; do
	case $file in ''|'#'*) continue ;; esac
	eval "set -- $args"
	out=$("$PHASEGATE" check -c examples/phasegate.conf "$@" "examples/mail/$file" 2>"$T/err")
	rc=$?
	got=$(sed -n 's/^result   \([a-z]*\).*/\1/p' <<<"$out")
	[ "$got" = accept ] && grep -q "add_header *X-Spam-Flag: YES" <<<"$out" && got=flag
	assert_eq "$file: $expect" "$got" "$expect"
	case $expect in reject) want=1 ;; *) want=0 ;; esac
	assert_eq "$file: exit status" "$rc" "$want"
	assert "$file: no filter error" test ! -s "$T/err"
done < examples/mail/EXPECTED
finish
