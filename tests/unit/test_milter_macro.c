/*
 * test_milter_macro - the macros of a milter connection: kept per stage
 * from real 'D' packets (through the decoder), looked up as
 * smfi_getsymval() does (one-letter names with and without braces, the
 * latest stage first), stale stages cleared, a connect clearing all, a
 * 'D' for a command without a stage ignored.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "milter_macro.h"
#include "milter_proto.h"

/* set - one 'D' packet for command stage with payload p (n bytes) into mm */
static void
set(struct milter_macro *mm, int stage, const char *p, size_t n)
{
	struct milter_proto_dec *d;
	struct milter_proto_cmd cmd;
	unsigned char head[6];
	uint32_t len = (uint32_t)n + 2;

	head[0] = (unsigned char)(len >> 24);
	head[1] = (unsigned char)(len >> 16);
	head[2] = (unsigned char)(len >> 8);
	head[3] = (unsigned char)len;
	head[4] = 'D';
	head[5] = (unsigned char)stage;
	assert_non_null(d = milter_proto_dec_new(NULL));
	assert_int_equal(milter_proto_feed(d, head, sizeof(head)), 0);
	assert_int_equal(milter_proto_feed(d, p, n), 0);
	assert_int_equal(milter_proto_next(d, &cmd), MILTER_PROTO_OK);
	assert_int_equal(cmd.cmd, 'D');
	assert_int_equal(milter_macro_set(mm, &cmd), 0);
	milter_proto_dec_free(d);	/* the set keeps its own copy */
}

#define SET(mm, st, lit)	set(mm, st, lit, sizeof(lit) - 1)

static const struct {
	int	 cmd, stage;
} stages[] = {
	{ 'C', MILTER_PROTO_MAC_CONNECT }, { 'H', MILTER_PROTO_MAC_HELO },
	{ 'M', MILTER_PROTO_MAC_ENVFROM }, { 'R', MILTER_PROTO_MAC_ENVRCPT },
	{ 'T', MILTER_PROTO_MAC_DATA }, { 'E', MILTER_PROTO_MAC_EOM },
	{ 'N', MILTER_PROTO_MAC_EOH }, { 'L', -1 }, { 'B', -1 }, { 'Q', -1 },
	{ 'A', -1 }, { 'O', -1 },
};

static void
test_stages(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(stages) / sizeof(stages[0]); i++)
		assert_int_equal(milter_macro_stage(stages[i].cmd), stages[i].stage);
}

static void
test_lookup(void **state)
{
	struct milter_macro *mm;

	(void)state;
	assert_non_null(mm = milter_macro_new());
	assert_null(milter_macro_get(mm, "j"));
	SET(mm, 'C', "j\0mx.example\0{client_addr}\0" "192.0.2.1\0");
	SET(mm, 'M', "{i}\0ID1\0{auth_authen}\0alice\0");
	/* one-letter names both ways, braced names as sent */
	assert_string_equal(milter_macro_get(mm, "j"), "mx.example");
	assert_string_equal(milter_macro_get(mm, "{j}"), "mx.example");
	assert_string_equal(milter_macro_get(mm, "i"), "ID1");
	assert_string_equal(milter_macro_get(mm, "{i}"), "ID1");
	assert_string_equal(milter_macro_get(mm, "{client_addr}"), "192.0.2.1");
	assert_null(milter_macro_get(mm, "client_addr"));
	assert_null(milter_macro_get(mm, ""));
	assert_null(milter_macro_get(mm, NULL));
	/* the latest stage first */
	SET(mm, 'E', "i\0ID2\0");
	assert_string_equal(milter_macro_get(mm, "{i}"), "ID2");
	/* a stage's new macros replace its old ones */
	SET(mm, 'M', "{auth_authen}\0bob\0");
	assert_string_equal(milter_macro_get(mm, "{auth_authen}"), "bob");
	/* a command without a stage: ignored */
	SET(mm, 'L', "x\0y\0");
	assert_null(milter_macro_get(mm, "x"));
	/* stale stages go, earlier ones stay */
	milter_macro_clear(mm, MILTER_PROTO_MAC_ENVFROM);
	assert_null(milter_macro_get(mm, "{auth_authen}"));
	assert_null(milter_macro_get(mm, "i"));
	assert_string_equal(milter_macro_get(mm, "j"), "mx.example");
	/* a connect's macros clear every stage */
	SET(mm, 'H', "{tls_version}\0TLSv1.3\0");
	SET(mm, 'C', "j\0other.example\0");
	assert_null(milter_macro_get(mm, "{tls_version}"));
	assert_null(milter_macro_get(mm, "{client_addr}"));
	assert_string_equal(milter_macro_get(mm, "j"), "other.example");
	/* an empty 'D' for a stage empties it */
	SET(mm, 'C', "");
	assert_null(milter_macro_get(mm, "j"));
	milter_macro_free(mm);
	milter_macro_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stages),
		cmocka_unit_test(test_lookup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
