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
# The rate limit: one process, 52 messages from one client: messages 21 to
# 50 score RATE_HIGH, 51 and 52 are deferred at MAIL.
files=()
for i in $(seq 52); do files+=(ham-01-lunch.eml); done
out=$("$PHASEGATE" check -c "$conf" --from alice@example.org --rcpt bob@example.net \
	--helo mail.example.org --client 192.0.2.10 --client-name mail.example.org "${files[@]}" 2>&1)
high=$(printf '%s\n' "$out" | grep -c '^  RATE_HIGH')
temp=$(printf '%s\n' "$out" | grep -c '^result *tempfail')
if [ "$high" -ne 30 ] || [ "$temp" -ne 2 ] ||
   ! printf '%s\n' "$out" | grep -q '451 4.7.1 Too many messages from 192.0.2.10'; then
	echo "rate limit: $high RATE_HIGH (want 30), $temp tempfail (want 2)"
	fail=1
fi

[ "$n" -ge 20 ] || { echo "only $n samples"; fail=1; }
spam=$(ls spam-*.eml | wc -l) ham=$(ls ham-*.eml | wc -l)
[ "$spam" -ge 10 ] && [ "$ham" -ge 10 ] || { echo "need 10 spam and 10 ham"; fail=1; }
[ "$n" -eq $((spam + ham)) ] || { echo "EXPECTED lists $n of $((spam + ham)) samples"; fail=1; }
exit $fail
