/*
 * test_config - config_load() and config_load_string(), table-driven
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../host/config.h"

static void
test_minimal(void **state)
{
	char err[512];
	struct config *c;

	(void)state;
	c = config_load_string("t.conf", "milter = { listen = \"inet:8891@127.0.0.1\" }\n", err, sizeof(err));
	if (c == NULL)
		fail_msg("%s", err);
	assert_string_equal(c->milter_listen, "inet:8891@127.0.0.1");
	config_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
