#!/usr/bin/env bash
# tests/install.sh - `make install DESTDIR=...` from this build tree: the
# exact list of installed files (binary, plugin without its .la, header,
# .pc, man pages, systemd unit, tmpfiles.d and sysusers.d entries, the
# configuration with the sample rules, the spool directory), no libtool
# warning; the installed configuration passes configtest with the installed
# plugin; a second install keeps a changed configuration byte for byte and
# puts back a deleted one; uninstall removes everything but what was changed.
. "$top_srcdir/tests/lib.sh"
R=$T/root

mk() {	# mk ARGS...: make in the build tree, outside the running make's jobserver
	MAKEFLAGS= make --no-print-directory -C "$top_builddir" "$@"
}
var() {	# var NAME: a make variable of the build, expanded
	mk -s -f Makefile -f - print-var V="$1" <<<'print-var: ; @echo $($(V))'
}
for v in bindir pkglibdir includedir libdir mandir pgconfdir pgspooldir \
    systemdsystemunitdir tmpfilesdir sysusersdir; do
	eval "$v=\$(var $v)"
done

mk install DESTDIR="$R" >"$T/install.log" 2>&1
assert_eq "make install: exit 0" "$?" 0
assert "make install: no libtool warning (no 'libtool --finish' to remember)" \
	bash -c "! grep -i 'warning\|--finish' '$T/install.log'"

cat > "$T/want" <<EOF2
$bindir/phasegate
$pkglibdir/dnsbl.so
$pkglibdir/regex.so
$includedir/phasegate/plugin.h
$libdir/pkgconfig/phasegate.pc
$mandir/man8/phasegate.8
$mandir/man5/phasegate.conf.5
$mandir/man7/phasegate-lua.7
$systemdsystemunitdir/phasegate.service
$tmpfilesdir/phasegate.conf
$sysusersdir/phasegate.conf
$pgconfdir/phasegate.conf
$pgconfdir/regex.rules
$pgconfdir/rules/rules.lua
$pgspooldir/
EOF2
list() {	# list: the files under $R, and its empty directories with a /
	(cd "$R" && find . \( -type f -o -type l \) | sed 's|^\.||'
	 cd "$R" && find . -type d -empty | sed 's|^\.||; s|$|/|') | sort
}
sort "$T/want" -o "$T/want"
list > "$T/got"
assert "the installed files, exactly" diff -u "$T/want" "$T/got"
assert_eq "the spool directory: mode 0750" "$(stat -c %a "$R$pgspooldir")" 750
assert "the unit names the installed binary and configuration" \
	grep -qx "ExecStart=$bindir/phasegate serve -c $pgconfdir/phasegate.conf" "$R$systemdsystemunitdir/phasegate.service"
assert "the configuration names the installed spool" grep -q "dir = \"$pgspooldir\"" "$R$pgconfdir/phasegate.conf"

# the installed configuration, plugin and scripts work together
# (configtest checks that the spool can take a file: point it at the staged
# spool directory, which is the installed one under DESTDIR)
sed "s|dir = \"$pgspooldir\"|dir = \"$R$pgspooldir\"|" "$R$pgconfdir/phasegate.conf" >"$T/staged.conf"
cp "$T/staged.conf" "$R$pgconfdir/staged.conf"
out=$(PHASEGATE_PLUGIN_DIR=$R$pkglibdir "$R$bindir/phasegate" configtest -c "$R$pgconfdir/staged.conf" 2>&1)
assert_eq "installed: configtest exit 0" "$?" 0
rm -f "$R$pgconfdir/staged.conf"
assert "installed: configtest loads both filters" grep -q "configuration OK (2 filters)" <<<"$out"
out=$(PHASEGATE_PLUGIN_DIR=$R$pkglibdir "$R$bindir/phasegate" check -c "$R$pgconfdir/phasegate.conf" \
	"$top_srcdir/examples/mail/spam-01-pharmacy.eml" 2>&1)
assert_eq "installed: check rejects a sample spam" "$?" 1

# a second install over a changed configuration
echo '-- changed by the postmaster' >> "$R$pgconfdir/phasegate.conf"
cp "$R$pgconfdir/phasegate.conf" "$T/changed.conf"
printf 'header Subject /local rule/ REJECT\n' > "$R$pgconfdir/regex.rules"
rm "$R$pgconfdir/rules/rules.lua"
mk install DESTDIR="$R" >"$T/install2.log" 2>&1
assert_eq "second make install: exit 0" "$?" 0
assert "second install: the changed phasegate.conf is kept byte for byte" cmp "$T/changed.conf" "$R$pgconfdir/phasegate.conf"
assert_eq "second install: the changed regex.rules is kept" "$(cat "$R$pgconfdir/regex.rules")" "header Subject /local rule/ REJECT"
assert "second install: says what it kept" grep -q "keeping .*phasegate.conf as it is" "$T/install2.log"
assert "second install: a deleted rules.lua is put back" cmp "$top_srcdir/examples/rules/rules.lua" "$R$pgconfdir/rules/rules.lua"
list > "$T/got"
assert "second install: the same files" diff -u "$T/want" "$T/got"

# uninstall: everything goes but the files the postmaster changed
mk uninstall DESTDIR="$R" >"$T/uninstall.log" 2>&1
assert_eq "make uninstall: exit 0" "$?" 0
assert_eq "uninstall: only the changed files are left" \
	"$(cd "$R" && find . -type f | sed 's|^\.||' | sort | tr '\n' ' ')" \
	"$pgconfdir/phasegate.conf $pgconfdir/regex.rules "
finish
