#!/usr/bin/env bash
# tests/deb.sh - the Debian package (docs/debian.md): `dpkg-buildpackage -b
# -us -uc` in a copy of the source tree (never in it: dh cleans and
# autoreconfs), the exact file lists of phasegate and phasegate-dev, the
# conffiles, the maintainer scripts; then a real install with dpkg -i
# (the phasegate user made, the spool owned by it, `phasegate configtest -c
# /etc/phasegate/phasegate.conf` and `check` with the installed plugins,
# serve started as root dropping to phasegate with a unix socket in
# /run/phasegate, a milter session, the socket removed at stop),
# and a purge that leaves nothing behind. Where installing is not safe (not
# root, systemd running as init, which would start the service, or a
# phasegate already installed) the packages are unpacked with dpkg-deb -x
# and checked there instead (PG_DEB_NO_INSTALL=1 asks for that too).
#
# Takes about 1.5 minutes on 2 busy cores (the build). Skipped in the
# sanitizer build (the package does not depend on the build's flags: it is
# built and checked once per suite run) and where dpkg-buildpackage or
# debhelper is missing (./bootstrap deps installs them).
. "$top_srcdir/tests/lib.sh"
command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null ||
	{ echo "dpkg-buildpackage or debhelper not installed (./bootstrap deps)"; exit 77; }
case $(sed -n 's/^CFLAGS = //p' "$top_builddir/Makefile") in
*-fsanitize=*) echo "sanitizer build: the package is checked in the plain build"; exit 77 ;;
esac
arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
version=$(sed -n 's/^PACKAGE_VERSION = //p' "$top_builddir/Makefile")
debver=$(dpkg-parsechangelog -l "$top_srcdir/debian/changelog" -S Version)
assert_eq "debian/changelog has the version configure.ac has" "$debver" "$version"

# the source: what git tracks (and new files not ignored), or the tree
# without build directories
src=$T/src/phasegate-$version
mkdir -p "$src"
if git -C "$top_srcdir" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$top_srcdir" && git ls-files -co --exclude-standard -z |
		xargs -0 tar -cf - --no-recursion) | tar -C "$src" -xf -
else
	tar -C "$top_srcdir" --exclude=./build --exclude='./build-*' --exclude=./.git \
		--exclude=./autom4te.cache --exclude='*.o' --exclude='*.lo' -cf - . | tar -C "$src" -xf -
fi
(cd "$src" && DEB_BUILD_OPTIONS="nocheck parallel=2" dpkg-buildpackage -b -us -uc) \
	>"$T/build.log" 2>&1
rc=$?
assert_eq "dpkg-buildpackage -b -us -uc: exit 0" "$rc" 0
[ "$rc" = 0 ] || { tail -40 "$T/build.log"; finish; }
deb=$T/src/phasegate_${debver}_$(dpkg --print-architecture).deb
devdeb=$T/src/phasegate-dev_${debver}_$(dpkg --print-architecture).deb
assert "phasegate .deb built" test -s "$deb"
assert "phasegate-dev .deb built" test -s "$devdeb"

files() {	# files DEB: the regular files and links it holds, sorted
	dpkg-deb -c "$1" | awk '$1 !~ /^d/ { sub(/^\./, "", $6); print $6 }' | sort
}
cat > "$T/want" <<EOF2
/etc/phasegate/phasegate.conf
/etc/phasegate/regex.rules
/etc/phasegate/rules/rules.lua
/lib/systemd/system/phasegate.service
/usr/bin/phasegate
/usr/lib/$arch/phasegate/dnsbl.so
/usr/lib/$arch/phasegate/regex.so
/usr/lib/sysusers.d/phasegate.conf
/usr/lib/tmpfiles.d/phasegate.conf
/usr/share/doc/phasegate/changelog.gz
/usr/share/doc/phasegate/copyright
/usr/share/man/man5/phasegate.conf.5.gz
/usr/share/man/man7/phasegate-lua.7.gz
/usr/share/man/man8/phasegate.8.gz
EOF2
sort -o "$T/want" "$T/want"
files "$deb" > "$T/got"
assert "phasegate: the packaged files, exactly" diff -u "$T/want" "$T/got"
assert "phasegate: the spool directory" bash -c "dpkg-deb -c '$deb' | grep -q ' ./var/spool/phasegate/\$'"
cat > "$T/want" <<EOF2
/usr/include/phasegate/plugin.h
/usr/lib/$arch/pkgconfig/phasegate.pc
/usr/share/doc/phasegate-dev/changelog.gz
/usr/share/doc/phasegate-dev/copyright
EOF2
sort -o "$T/want" "$T/want"
files "$devdeb" > "$T/got"
assert "phasegate-dev: the packaged files, exactly" diff -u "$T/want" "$T/got"
dpkg-deb -e "$deb" "$T/ctl"
assert_eq "the configuration is conffiles" "$(cat "$T/ctl/conffiles")" \
	"$(printf '/etc/phasegate/phasegate.conf\n/etc/phasegate/regex.rules\n/etc/phasegate/rules/rules.lua')"
assert "postinst: makes the user (sysusers or adduser)" \
	grep -q "systemd-sysusers phasegate.conf" "$T/ctl/postinst"
assert "postinst: tmpfiles for the spool and run directory" \
	grep -q "systemd-tmpfiles .*--create phasegate.conf" "$T/ctl/postinst"
assert "postinst: enables the unit" grep -q "deb-systemd-helper enable 'phasegate.service'" "$T/ctl/postinst"
assert "the unit names the packaged binary and configuration" bash -c \
	"dpkg-deb --fsys-tarfile '$deb' | tar -xOf - ./lib/systemd/system/phasegate.service |
	grep -qx 'ExecStart=/usr/bin/phasegate serve -c /etc/phasegate/phasegate.conf'"
assert "the depends name the libraries" bash -c \
	"dpkg-deb -f '$deb' Depends | grep -q 'liblua5.4-0.*libpcre2-8-0\|libpcre2-8-0.*liblua5.4-0'"

if command -v lintian >/dev/null; then
	lintian --tag-display-limit 0 "$T/src/phasegate_${debver}_$(dpkg --print-architecture).changes" \
		>"$T/lintian.log" 2>&1
	sed 's/^/# lintian: /' "$T/lintian.log" | grep -v 'root privileges'
	assert "lintian: no error" bash -c "! grep -q '^E: ' '$T/lintian.log'"
	assert "lintian: no warning" bash -c "! grep -q '^W: ' '$T/lintian.log'"
else
	echo "# lintian not installed: not run"
fi

sample=$top_srcdir/examples/mail/spam-01-pharmacy.eml
safe=yes
[ "$(id -u)" = 0 ] || safe="not root"
[ ! -d /run/systemd/system ] || safe="systemd runs as init (installing would start the service)"
dpkg-query -W -f='${Status}' phasegate 2>/dev/null | grep -q installed && safe="phasegate is installed here"
[ ! -e /usr/bin/phasegate ] || safe="/usr/bin/phasegate exists"
[ ! -e /etc/phasegate ] || safe="/etc/phasegate exists"
[ -z "${PG_DEB_NO_INSTALL:-}" ] || safe="PG_DEB_NO_INSTALL is set"

dpkg_locked() {	# dpkg_locked ARGS...: dpkg, waiting up to 2 minutes for its lock
	local i
	for i in $(seq 60); do
		dpkg "$@" >"$T/dpkg.log" 2>&1 && return 0
		grep -q "lock" "$T/dpkg.log" || { cat "$T/dpkg.log"; return 1; }
		sleep 2
	done
	cat "$T/dpkg.log"; return 1
}

if [ "$safe" = yes ]; then
	had_user=no
	id phasegate >/dev/null 2>&1 && had_user=yes
	exec 9>/tmp/phasegate-deb-test.lock
	flock 9
	dpkg_locked -i "$deb" "$devdeb"
	assert_eq "dpkg -i: exit 0" "$?" 0
	assert "installed: the phasegate user" bash -c "id phasegate >/dev/null"
	assert_eq "installed: the spool belongs to phasegate, mode 0750" \
		"$(stat -c '%U:%G %a' /var/spool/phasegate 2>&1)" "phasegate:phasegate 750"
	out=$(env -u PHASEGATE_PLUGIN_DIR /usr/bin/phasegate configtest -c /etc/phasegate/phasegate.conf 2>&1)
	assert_eq "installed: configtest -c /etc/phasegate/phasegate.conf: exit 0 ($out)" "$?" 0
	assert "installed: configtest loads both filters" grep -q "configuration OK (2 filters)" <<<"$out"
	out=$(env -u PHASEGATE_PLUGIN_DIR /usr/bin/phasegate --version)
	assert "installed: --version names the packaged plugin directory" \
		grep -qx "plugin directory: /usr/lib/$arch/phasegate" <<<"$out"
	env -u PHASEGATE_PLUGIN_DIR /usr/bin/phasegate check -c /etc/phasegate/phasegate.conf "$sample" >/dev/null 2>&1
	assert_eq "installed: check rejects a sample spam" "$?" 1
	assert "installed: man phasegate.conf finds the page" bash -c \
		"man -w phasegate.conf | grep -q /usr/share/man/man5/phasegate.conf.5.gz"
	assert "installed: pkg-config finds the header" bash -c \
		"pkg-config --cflags phasegate >/dev/null"
	# run it: started as root, the installed configuration with a unix
	# socket in the run directory and user = "phasegate"
	assert_eq "installed: the run directory belongs to phasegate" \
		"$(stat -c '%U %a' /run/phasegate 2>&1)" "phasegate 750"
	sed 's|^milter = { listen = "inet:8891@127.0.0.1" }|milter = { listen = "unix:/run/phasegate/t.sock", socket_mode = "0660" }\nuser = "phasegate"|' \
		/etc/phasegate/phasegate.conf > /etc/phasegate/deb-test.conf
	env -u PHASEGATE_PLUGIN_DIR /usr/bin/phasegate serve -c /etc/phasegate/deb-test.conf 2>"$T/serve.log" &
	pid=$!
	for i in $(seq 100); do grep -q "serving" "$T/serve.log" && break; sleep 0.1; done
	assert "installed: serve runs" grep -q "serving (milter unix:/run/phasegate/t.sock" "$T/serve.log"
	assert_eq "installed: serve runs as phasegate" "$(ps -o user= -p $pid)" phasegate
	assert_eq "installed: the socket is phasegate's, mode 0660" \
		"$(stat -c '%A %U' /run/phasegate/t.sock 2>&1)" "srw-rw---- phasegate"
	if command -v miltertest >/dev/null; then
		printf 'local c = mt.connect("unix:/run/phasegate/t.sock", 50, 0.1)\nif c == nil then error("no connect") end\nlocal e = mt.conninfo(c, "client.example", "192.0.2.1")\nif e ~= nil then error(e) end\nif mt.getreply(c) == SMFIR_CONTINUE then print("continue") end\nmt.disconnect(c)\n' > "$T/c.lua"
		assert_eq "installed: a milter session" "$(miltertest -s "$T/c.lua" 2>&1)" continue
	fi
	kill -TERM $pid; wait $pid
	assert_eq "installed: SIGTERM: exit 0" "$?" 0
	assert "installed: the socket is removed at stop (after the drop)" test ! -e /run/phasegate/t.sock
	rm -f /etc/phasegate/deb-test.conf
	echo '-- a local change' >> /etc/phasegate/phasegate.conf
	dpkg_locked -r phasegate-dev phasegate
	assert_eq "dpkg -r: exit 0" "$?" 0
	assert "removed: the binary is gone" test ! -e /usr/bin/phasegate
	assert "removed: the changed configuration stays (conffile)" \
		grep -q "a local change" /etc/phasegate/phasegate.conf
	dpkg_locked --purge phasegate-dev phasegate
	assert_eq "dpkg --purge: exit 0" "$?" 0
	assert "purged: /etc/phasegate is gone" test ! -e /etc/phasegate
	assert "purged: the spool is gone" test ! -e /var/spool/phasegate
	assert "purged: the run directory is gone" test ! -e /run/phasegate
	# the machine as it was: the user goes too when this test made it
	[ "$had_user" = yes ] || userdel phasegate 2>/dev/null
	flock -u 9
else
	echo "# not installed ($safe): unpacked with dpkg-deb -x instead"
	dpkg-deb -x "$deb" "$T/root"
	sed "s|dir = \"/var/spool/phasegate\"|dir = \"$T/spool\"|" "$T/root/etc/phasegate/phasegate.conf" \
		> "$T/root/etc/phasegate/local.conf"
	mkdir -p "$T/spool"
	out=$(PHASEGATE_PLUGIN_DIR=$T/root/usr/lib/$arch/phasegate "$T/root/usr/bin/phasegate" \
		configtest -c "$T/root/etc/phasegate/local.conf" 2>&1)
	assert_eq "unpacked: configtest: exit 0 ($out)" "$?" 0
	assert "unpacked: configtest loads both filters" grep -q "configuration OK (2 filters)" <<<"$out"
fi
finish
