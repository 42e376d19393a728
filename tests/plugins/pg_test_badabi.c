/*
 * pg_test_badabi - a plugin built for an ABI this phasegate does not speak;
 * the host must refuse it without calling anything in it.
 */
#include <stdlib.h>

#include <phasegate/plugin.h>

static int
bad_init(const struct pg_host *h, const struct pg_options *o, void **st,
    char *err, size_t errlen)
{
	abort();	/* never reached: the host refuses the descriptor */
}

const struct pg_plugin phasegate_plugin = {
	.abi = PG_PLUGIN_ABI + 98,
	.size = sizeof(struct pg_plugin),
	.name = "badabi",
	.init = bad_init,
};
