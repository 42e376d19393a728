#!/usr/bin/env bash
# tests/store/api.sh - the pg.store API table (tests/unit/test_store) run
# against a real redis-server over TCP with AUTH and SELECT, and over its
# unix socket; the in-process run is the same program without a server.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/store/lib.sh"

start_redis --requirepass sekrit
export PG_TEST_REDIS_PASSWORD=sekrit
PG_TEST_REDIS=127.0.0.1:$REDIS_PORT "$top_builddir/tests/unit/test_store" >"$T/tcp.out" 2>&1
assert "API table over TCP with AUTH and SELECT" [ $? = 0 ]
grep -q "redis.*PASSED" "$T/tcp.out" || cat "$T/tcp.out"
assert "the redis group ran" grep -q "\[  PASSED  \] 4 test(s)" "$T/tcp.out"
# the keys are in db 3 under the prefix, integers as digits, strings tagged
assert_eq "db 3 holds the counter as digits" \
	"$(redis-cli -a sekrit --no-auth-warning -p "$REDIS_PORT" -n 3 GET test_store:t)" "1"
assert_eq "a string is tagged" \
	"$(redis-cli -a sekrit --no-auth-warning -p "$REDIS_PORT" -n 3 GET test_store:s)" "s:12"
assert_eq "nothing in db 0" \
	"$(redis-cli -a sekrit --no-auth-warning -p "$REDIS_PORT" -n 0 DBSIZE)" "0"
PG_TEST_REDIS=unix:$REDIS_SOCK "$top_builddir/tests/unit/test_store" >"$T/unix.out" 2>&1
assert "API table over the unix socket" [ $? = 0 ]
# a wrong password: every call fails with a clear error, no hang
PG_TEST_REDIS_PASSWORD=wrong PG_TEST_REDIS=unix:$REDIS_SOCK \
	timeout 20 "$top_builddir/tests/unit/test_store" >"$T/bad.out" 2>&1
assert "a wrong password fails the redis group" [ $? != 0 ]
assert "and says why" grep -q "AUTH" "$T/bad.out"
finish
