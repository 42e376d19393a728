#!/usr/bin/env bash
# tests/scenario/scenario.sh - the scenario table (scenarios.txt) through
# `phasegate check`, the milter front end behind a private Postfix, and the
# SMTP proxy; see scenario.py. Without root/Postfix the milter column is
# skipped (said in the output); without smtp-sink only check runs.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/milter/pflib.sh"
export PATH="$PATH:/usr/sbin:/usr/lib/postfix/sbin"
export PHASEGATE_PLUGIN_DIR="$top_builddir/tests/plugins/.libs:${PHASEGATE_PLUGIN_DIR:-}"
export T PHASEGATE

fronts=check
command -v smtp-sink >/dev/null && fronts="$fronts,proxy"
if pf_usable; then
	chmod 755 "$T"
	MILTER_PORT=$(free_port); PF_PORT=$(free_port); sport=$(free_port)
	PF_DIR=$T/pf; PF_SINK_DIR=$T/pf-sink
	mkdir -p "$PF_SINK_DIR"
	chown postfix "$PF_SINK_DIR"
	spawn smtp-sink -u postfix -d "$PF_SINK_DIR/%H%M%S." -c "127.0.0.1:$sport" 1000 >/dev/null 2>&1
	if pf_start "$PF_DIR" "$PF_PORT" "$sport" "inet:127.0.0.1:$MILTER_PORT"; then
		trap 'pf_stop "$PF_DIR"; _cleanup' EXIT
		fronts="$fronts,milter"
		export MILTER_PORT PF_PORT PF_DIR PF_SINK_DIR
	fi
else
	echo "# no private Postfix here (needs root and postfix): milter column skipped"
fi
echo "# front ends: $fronts"
/usr/bin/python3 "$top_srcdir/tests/scenario/scenario.py" --frontends "$fronts" "$@"
