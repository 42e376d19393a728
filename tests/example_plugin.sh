#!/usr/bin/env bash
# tests/example_plugin.sh - `make install` installs the binary, the ABI
# header, phasegate.pc and the shipped plugins; the example plugin builds
# out of tree with pkg-config alone and runs in phasegate check.
. "$top_srcdir/tests/lib.sh"
dest=$T/dest
make -s -C "$top_builddir" install DESTDIR="$dest" >"$T/install.log" 2>&1
assert "make install succeeds" test $? -eq 0
prefix=$(sed -n 's/^prefix=//p' "$top_builddir/phasegate.pc")
assert "installed: binary" test -x "$dest$prefix/bin/phasegate"
assert "installed: plugin.h" test -f "$dest$prefix/include/phasegate/plugin.h"
assert "installed: phasegate.pc" test -f "$dest$prefix/lib/pkgconfig/phasegate.pc"
assert "installed: regex plugin" test -f "$dest$prefix/lib/phasegate/regex.so"

cp "$top_srcdir/examples/plugin/fqdn_helo.c" "$top_srcdir/examples/plugin/Makefile" "$T/"
PKG_CONFIG_PATH="$dest$prefix/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$dest" \
	make -s -C "$T" CFLAGS="-O2 -Wall -Wextra -Werror" >"$T/build.log" 2>&1
assert "example plugin builds out of tree with pkg-config" test -f "$T/fqdn_helo.so"
assert "it needs no host symbol" bash -c "test -f '$T/fqdn_helo.so' && ! nm -D --undefined-only '$T/fqdn_helo.so' | grep -v -e GLIBC -e ' w ' | grep -q ."

printf 'filters = { { plugin = "%s/fqdn_helo.so" } }\n' "$T" > "$T/pg.conf"
printf 'From: a@example.com\r\nSubject: x\r\n\r\nbody\r\n' > "$T/m.eml"
out=$("$PHASEGATE" check -c "$T/pg.conf" --helo localhost "$T/m.eml" 2>&1); rc=$?
assert_eq "non-FQDN HELO refused" "$rc" 1
assert "with the plugin's reply" grep -q "504 5.5.2 Helo command rejected" <<<"$out"
"$PHASEGATE" check -c "$T/pg.conf" --helo mail.example.com -o "$T/out.eml" "$T/m.eml" >/dev/null 2>&1; rc=$?
assert_eq "FQDN HELO passes" "$rc" 0
assert "and the plugin's header is added" grep -q "^X-Helo-Checked: mail.example.com" "$T/out.eml"
printf 'filters = { { plugin = "%s/fqdn_helo.so", colour = "blue" } }\n' "$T" > "$T/bad.conf"
out=$("$PHASEGATE" configtest -c "$T/bad.conf" 2>&1); rc=$?
assert_eq "unknown plugin option: configtest fails" "$rc" 1
assert "naming file, line, plugin and reason" grep -q "bad.conf:1: plugin $T/fqdn_helo.so: unknown option \"colour\"" <<<"$out"
finish
