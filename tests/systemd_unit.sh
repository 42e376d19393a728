#!/usr/bin/env bash
# tests/systemd_unit.sh - the shipped systemd files, as make generates them
# for this build: `systemd-analyze verify` finds nothing to say about the
# unit (ExecStart pointed at this build's binary, the installed path need
# not exist), `systemd-analyze security` rates it OK or better, and the
# sysusers.d and tmpfiles.d entries, applied to an empty root, create the
# phasegate user and group and the spool and run directories owned by them.
# Skipped where systemd's tools are not installed.
. "$top_srcdir/tests/lib.sh"
command -v systemd-analyze >/dev/null ||
	{ echo "systemd-analyze not installed (package systemd): nothing to verify the unit with"; exit 77; }
S=$top_builddir/contrib/systemd
spool=$(sed -n 's/^ReadWritePaths=//p' "$S/phasegate.service")

mkdir -p "$T/unit"
sed "s|^ExecStart=[^ ]*|ExecStart=$PHASEGATE|" "$S/phasegate.service" > "$T/unit/phasegate.service"
out=$(SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no "$T/unit/phasegate.service" 2>&1)
rc=$?
assert_eq "verify: exit 0" "$rc" 0
assert_eq "verify: no warning (an unknown or misspelt key is one)" "$out" ""
assert "unit: Type=notify with a reload by HUP" bash -c "
	grep -qx 'Type=notify' '$S/phasegate.service' &&
	grep -qx 'ExecReload=/bin/kill -HUP \$MAINPID' '$S/phasegate.service'"
want=$(MAKEFLAGS= make -s --no-print-directory -C "$top_builddir" -f Makefile -f - print-spool \
	<<<'print-spool: ; @echo $(pgspooldir)' 2>/dev/null)
assert_eq "unit: the spool is this installation's" "$spool" "$want"

out=$(systemd-analyze security --offline=yes "$T/unit/phasegate.service" 2>&1)
level=$(sed -n 's/.*Overall exposure level for phasegate.service: \([0-9.]*\) .*/\1/p' <<<"$out")
if [ -n "$level" ]; then
	assert "security: exposure $level is below 3.0 (OK)" awk -v l="$level" 'BEGIN { exit !(l < 3.0) }'
else
	echo "# systemd-analyze security --offline not supported here: $(tail -1 <<<"$out")"
fi

mkdir -p "$T/root/etc"
if command -v systemd-sysusers >/dev/null && command -v systemd-tmpfiles >/dev/null; then
	assert "sysusers: applies" systemd-sysusers --root="$T/root" "$S/phasegate.sysusers"
	assert "sysusers: a phasegate user with no login shell" \
		grep -q '^phasegate:x:[0-9]*:[0-9]*:phasegate mail filter:[^:]*:/usr/sbin/nologin$' "$T/root/etc/passwd"
	assert "sysusers: a phasegate group" grep -q '^phasegate:x:' "$T/root/etc/group"
	uid=$(awk -F: '$1 == "phasegate" { print $3 ":" $4 }' "$T/root/etc/passwd")
	assert "tmpfiles: applies" systemd-tmpfiles --root="$T/root" --create "$S/phasegate.tmpfiles"
	for d in "$spool" /run/phasegate; do
		assert_eq "tmpfiles: $d, 0750, owned by phasegate" \
			"$(stat -c '%a %u:%g' "$T/root$d" 2>&1)" "750 $uid"
	done
else
	echo "# systemd-sysusers or systemd-tmpfiles not installed: entries not applied"
fi
finish
