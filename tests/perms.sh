#!/usr/bin/env bash
# tests/perms.sh - a configuration, script or plugin that every user may
# change is refused at load (configtest, check, serve, and a SIGHUP reload,
# which keeps the running configuration): writable by others, or in a
# directory writable by others without the sticky bit. A sticky directory
# such as /tmp is fine. docs/production.md says why refused, not warned.
. "$top_srcdir/tests/lib.sh"
plugin=$top_builddir/tests/plugins/.libs/pg_test_all.so
[ -f "$plugin" ] || make -C "$top_builddir" tests/plugins/pg_test_all.la >/dev/null 2>&1
msg=$top_srcdir/examples/mail/ham-01-newsletter.eml
[ -f "$msg" ] || msg=$(ls "$top_srcdir"/examples/mail/*.eml | head -1)

d=$T/conf
mkdir -m 0755 "$d"
cp "$plugin" "$d/p.so"
chmod 0755 "$d/p.so"
printf 'local pg = require "phasegate"\npg.on("connect", function() end)\n' > "$d/r.lua"
printf 'filters = {\n  { script = "r.lua" },\n  { plugin = "%s/p.so" },\n}\n' "$d" > "$d/pg.conf"
chmod 0644 "$d/r.lua" "$d/pg.conf"

ok() {	# ok DESC: configtest passes
	out=$("$PHASEGATE" configtest -c "$d/pg.conf" 2>&1)
	assert_eq "$1: configtest exit 0 (${out//$'\n'/ })" "$?" 0
}
refused() {	# refused DESC PATTERN: configtest, check and serve refuse it, saying PATTERN
	out=$("$PHASEGATE" configtest -c "$d/pg.conf" 2>&1)
	assert_eq "$1: configtest exit 1" "$?" 1
	assert "$1: configtest says why (${out//$'\n'/ })" grep -q -- "$2" <<<"$out"
	out=$("$PHASEGATE" check -c "$d/pg.conf" "$msg" 2>&1)
	assert_eq "$1: check exit 4" "$?" 4
	assert "$1: check says why" grep -q -- "$2" <<<"$out"
}
ok "owner-writable files"
chmod 0666 "$d/pg.conf"
refused "a world-writable configuration" "pg.conf: writable by every user (mode 0666): refused (chmod o-w "
chmod 0644 "$d/pg.conf"
chmod 0646 "$d/r.lua"
refused "a world-writable script" "pg.conf:2: script r.lua: .*r.lua: writable by every user (mode 0646)"
chmod 0644 "$d/r.lua"
chmod 0777 "$d/p.so"
refused "a world-writable plugin" "pg.conf:3: plugin .*p.so: writable by every user (mode 0777)"
chmod 0755 "$d/p.so"
chmod 0777 "$d"
refused "a world-writable directory" "pg.conf: its directory $d is writable by every user (mode 0777): refused (chmod o-w or +t $d)"
chmod 1777 "$d"
ok "a sticky world-writable directory (as /tmp)"
chmod 0755 "$d"
ok "back to owner-writable"
# a module the script requires is code too
mkdir -m 0755 "$d/lib"
printf 'return { x = 1 }\n' > "$d/lib/m.lua"
chmod 0666 "$d/lib/m.lua"
printf 'lua = { path = "lib" }\n' >> "$d/pg.conf"
printf 'local pg = require "phasegate"\nlocal m = require "m"\npg.on("connect", function() end)\n' > "$d/r.lua"
refused "a world-writable module" "require 'm': .*m.lua: writable by every user (mode 0666)"
chmod 0644 "$d/lib/m.lua"
ok "an owner-writable module"

# a reload with a world-writable script keeps the running configuration
if command -v miltertest >/dev/null; then
	port=$(free_port)
	printf 'milter = { listen = "inet:%s@127.0.0.1" }\n' "$port" >> "$d/pg.conf"
	"$PHASEGATE" serve -c "$d/pg.conf" 2>"$T/serve.log" &
	pid=$!
	_pids="$_pids $pid"
	for i in $(seq 100); do grep -q "serving" "$T/serve.log" && break; sleep 0.05; done
	chmod 0666 "$d/r.lua"
	kill -HUP $pid
	for i in $(seq 100); do grep -q "keeping the running" "$T/serve.log" && break; sleep 0.05; done
	assert "reload: a world-writable script is refused, the running configuration kept" \
		grep -q "reload: .*r.lua: writable by every user.*keeping the running configuration" "$T/serve.log"
	kill -TERM $pid; wait $pid
	assert_eq "serve: still stops cleanly" "$?" 0
	"$PHASEGATE" serve -c "$d/pg.conf" 2>"$T/serve2.log"
	assert_eq "serve: a world-writable script at start: exit 1" "$?" 1
fi
finish
