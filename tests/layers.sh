#!/usr/bin/env bash
# layers.sh - the build refuses an upward include (docs/architecture.md).
#
# Each layer's library is compiled with the include path of its own folder
# and the folders below it (Makefile.am: LIB_CPPFLAGS ... FRONT_CPPFLAGS).
# For every layer, a file that includes a header of its own layer and of
# every layer below must compile with that layer's flags, and a file that
# includes a header of a layer above must not. Then every #include "..."
# of every source file in a layer must name a header the layer can see.
set -u
: "${top_srcdir:?}" "${CC:?}"
h=$top_srcdir/host
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# one header of each layer
lib=fiber.h codec=smtp_cmd.h core=chain.h front=proxy_front.h lua=lua_int.h

try() {	# try FLAGS HEADER -> 0 when a file including HEADER compiles
	printf '#include "%s"\nint layers_probe;\n' "$2" >"$tmp/probe.c"
	# shellcheck disable=SC2086
	$CC $1 -fsyntax-only "$tmp/probe.c" 2>"$tmp/err"
}
expect() {	# expect ok|refused LAYER FLAGS HEADER
	if try "$3" "$4"; then got=ok; else got=refused; fi
	if [ "$got" = "$1" ]; then
		echo "ok: $2 including $4: $got"
	else
		echo "FAIL: $2 including $4: $got, want $1"; head -3 "$tmp/err"; fail=1
	fi
}

expect ok      lib   "$LAYER_FLAGS_LIB" $lib
expect refused lib   "$LAYER_FLAGS_LIB" $codec
expect refused lib   "$LAYER_FLAGS_LIB" $core
expect ok      codec "$LAYER_FLAGS_CODEC" $codec
expect ok      codec "$LAYER_FLAGS_CODEC" $lib
expect refused codec "$LAYER_FLAGS_CODEC" $core
expect refused codec "$LAYER_FLAGS_CODEC" $front
expect ok      core  "$LAYER_FLAGS_CORE" $core
expect ok      core  "$LAYER_FLAGS_CORE" $codec
expect refused core  "$LAYER_FLAGS_CORE" $front
expect refused core  "$LAYER_FLAGS_CORE" $lua
expect refused core  "$LAYER_FLAGS_CORE" serve.h
expect ok      front "$LAYER_FLAGS_FRONT" $front
expect ok      front "$LAYER_FLAGS_FRONT" $core
expect refused front "$LAYER_FLAGS_FRONT" serve.h
expect refused front "$LAYER_FLAGS_FRONT" lua_bridge.h
expect ok      lua   "$LAYER_FLAGS_LUA" $lua
expect ok      lua   "$LAYER_FLAGS_LUA" re.h
expect refused lua   "$LAYER_FLAGS_LUA" $core
expect refused lua   "$LAYER_FLAGS_LUA" $codec

# every quoted include of every source names a header its layer can see
for layer in lib codec core front lua luaconf; do
	case $layer in
	lib) dirs="$h/lib"; srcs="$h/lib" ;;
	codec) dirs="$h/lib $h/codec"; srcs="$h/codec" ;;
	core) dirs="$h/lib $h/codec $h/core $top_srcdir/lua/conf"; srcs="$h/core" ;;
	front) dirs="$h/lib $h/codec $h/core $h/front $top_srcdir/lua/conf"; srcs="$h/front" ;;
	lua) dirs="$h/lib $top_srcdir/lua"; srcs="$top_srcdir/lua" ;;
	luaconf) dirs="$h/lib $top_srcdir/lua/conf"; srcs="$top_srcdir/lua/conf" ;;
	esac
	for f in "$srcs"/*.[ch]; do
		for inc in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f"); do
			found=no
			for d in $dirs; do [ -f "$d/$inc" ] && found=yes; done
			if [ $found = no ]; then
				echo "FAIL: ${f#"$top_srcdir"/} includes $inc, not in its layer or below"
				fail=1
			fi
		done
	done
done
[ $fail = 0 ] && echo "layers: every include points down"
exit $fail
