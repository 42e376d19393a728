#!/bin/bash
# examples.sh - `phasegate check` over examples/mail with the bundled rules
# (examples/rules/rules.lua): each sample's verdict and exact symbol set must
# be what examples/mail/EXPECTED says. Also configtest of the rules.
set -u
: "${top_srcdir:?}" "${PHASEGATE:?}"
[ -x "$PHASEGATE" ] || { echo "no phasegate binary"; exit 77; }
conf="$top_srcdir/tests/lua/examples.conf"
cd "$top_srcdir/examples/mail" || exit 1

"$PHASEGATE" configtest -c "$conf" || { echo "configtest failed"; exit 1; }

fail=0 n=0
while read -r f verdict syms dash args; do
	case "$f" in ''|'#'*) continue ;; esac
	n=$((n + 1))
	out=$(eval "\"\$PHASEGATE\" check -c \"\$conf\" $args \"\$f\"" 2>&1)
	rc=$?
	got=$(printf '%s\n' "$out" | awk '/^score/{s=1;next} /^changes|^result/{s=0} s&&/^  [A-Z]/{print $1}' | sort | paste -sd, -)
	[ -n "$got" ] || got=-
	v=$(printf '%s\n' "$out" | awk '/^result/{print $2}')
	if [ "$v" = accept ] && printf '%s\n' "$out" | grep -q 'X-Spam-Flag: YES'; then
		v=flag
	fi
	case "$v:$rc" in accept:0|flag:0|reject:1|tempfail:2) ;; *)
		echo "$f: result '$v' with exit status $rc"; fail=1 ;;
	esac
	if [ "$v" != "$verdict" ] || [ "$got" != "$syms" ]; then
		echo "$f: got $v $got, want $verdict $syms"
		printf '%s\n' "$out" | sed 's/^/    /'
		fail=1
	fi
done < EXPECTED
[ "$n" -ge 20 ] || { echo "only $n samples"; fail=1; }
spam=$(ls spam-*.eml | wc -l) ham=$(ls ham-*.eml | wc -l)
[ "$spam" -ge 10 ] && [ "$ham" -ge 10 ] || { echo "need 10 spam and 10 ham"; fail=1; }
[ "$n" -eq $((spam + ham)) ] || { echo "EXPECTED lists $n of $((spam + ham)) samples"; fail=1; }
exit $fail
