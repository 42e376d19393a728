/*
 * proxy_name - the client's verified name, looked up beside its session
 * (proxy_name.h)
 *
 * Public: proxy_name_start(), proxy_name_wait().
 *
 * The lookup's fiber and the session's share one struct proxy_name: the
 * fiber writes the names, then says done under the mutex and unparks the
 * session if it waits; the session reads them once it has seen done under
 * the mutex. Each side drops its reference when it is through, the last
 * one frees: the session may give up waiting (a lookup that overran its
 * deadline) and end while the fiber still runs.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "fiber.h"
#include "log.h"
#include "lookup.h"
#include "proxy_name.h"

#define PROXY_NAME_SLACK_MS	2000	/* past the deadline: give up waiting */
#define PROXY_NAME_SERVERS	8	/* servers copied */

struct proxy_name {
	pthread_mutex_t	 mu;
	atomic_int	 refs;		/* the session and the lookup's fiber */
	int		 done;		/* under mu */
	struct fiber	*waiter;	/* under mu: the session, parked */
	struct lookup_conf lc;		/* its servers: the copies below */
	const char	*servers[PROXY_NAME_SERVERS];
	char		 server[PROXY_NAME_SERVERS][64];
	uint64_t	 deadline;
	char		 addr[64];
	char		 name[256];	/* the lookup's, read once done */
	char		 ptr[256];
};

/* name_unref - drop one reference; the last frees */
static void
name_unref(struct proxy_name *pn)
{
	if (atomic_fetch_sub(&pn->refs, 1) != 1)
		return;
	pthread_mutex_destroy(&pn->mu);
	free(pn);
}

/* name_run - the lookup's fiber */
static void
name_run(void *arg)
{
	struct proxy_name *pn = arg;

	if (lookup_fcrdns(&pn->lc, pn->addr, pn->deadline, pn->name,
	    sizeof(pn->name), pn->ptr, sizeof(pn->ptr)) == -1)
		log_debug("client %s: reverse lookup failed for now", pn->addr);
	pthread_mutex_lock(&pn->mu);
	pn->done = 1;
	if (pn->waiter != NULL)
		fiber_unpark(pn->waiter);
	pthread_mutex_unlock(&pn->mu);
	name_unref(pn);
}

/*
 * copy_conf - lc with its servers copied, as a lookup its session gave up
 * on may outlive the configuration they belong to; -1 when they do not fit
 * (more than PROXY_NAME_SERVERS: the caller looks up itself)
 */
static int
copy_conf(struct proxy_name *pn, const struct lookup_conf *lc)
{
	size_t i;

	pn->lc = *lc;
	if (lc->servers == NULL)
		return 0;
	if (lc->nservers > PROXY_NAME_SERVERS)
		return -1;
	for (i = 0; i < lc->nservers; i++) {
		if ((size_t)snprintf(pn->server[i], sizeof(pn->server[i]), "%s",
		    lc->servers[i]) >= sizeof(pn->server[i]))
			return -1;
		pn->servers[i] = pn->server[i];
	}
	pn->lc.servers = pn->servers;
	return 0;
}

struct proxy_name *
proxy_name_start(const struct lookup_conf *lc, const char *addr,
    uint64_t deadline)
{
	struct proxy_name *pn;

	if (fiber_current() == NULL || (pn = calloc(1, sizeof(*pn))) == NULL)
		return NULL;
	if (copy_conf(pn, lc) == -1 || pthread_mutex_init(&pn->mu, NULL) != 0) {
		free(pn);
		return NULL;
	}
	atomic_init(&pn->refs, 2);
	pn->deadline = deadline;
	snprintf(pn->addr, sizeof(pn->addr), "%s", addr);
	if (fiber_spawn(name_run, pn) == -1) {
		pthread_mutex_destroy(&pn->mu);
		free(pn);
		return NULL;
	}
	return pn;
}

void
proxy_name_wait(struct proxy_name *pn, char *name, size_t nlen, char *ptr,
    size_t plen)
{
	uint64_t limit = pn->deadline + PROXY_NAME_SLACK_MS;
	int done;

	pthread_mutex_lock(&pn->mu);
	while (!(done = pn->done) && clock_ms() < limit) {
		pn->waiter = fiber_current();
		pthread_mutex_unlock(&pn->mu);
		(void)fiber_park(limit);	/* may return early: look again */
		pthread_mutex_lock(&pn->mu);
	}
	pn->waiter = NULL;
	pthread_mutex_unlock(&pn->mu);
	if (!done)
		log_warnx("client %s: the name lookup overran its deadline",
		    pn->addr);
	snprintf(name, nlen, "%s", done ? pn->name : "unknown");
	snprintf(ptr, plen, "%s", done ? pn->ptr : "unknown");
	name_unref(pn);
}
