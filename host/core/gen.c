/*
 * gen - the chain generation new sessions get
 *
 * Public: gen_publish(), gen_acquire(). One pointer under a mutex, held
 * only to take or swap a reference; the old generation is released outside
 * it. Nothing here fails.
 */
#include <pthread.h>
#include <stddef.h>

#include "chain.h"
#include "gen.h"

static pthread_mutex_t gen_lock = PTHREAD_MUTEX_INITIALIZER;
static struct chain *gen_current;

void
gen_publish(struct chain *c)
{
	struct chain *old;

	pthread_mutex_lock(&gen_lock);
	old = gen_current;
	gen_current = c;
	pthread_mutex_unlock(&gen_lock);
	chain_unref(old);
}

struct chain *
gen_acquire(void)
{
	struct chain *c;

	pthread_mutex_lock(&gen_lock);
	if ((c = gen_current) != NULL)
		chain_ref(c);
	pthread_mutex_unlock(&gen_lock);
	return c;
}
