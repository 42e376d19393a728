/*
 * rdns - the client's name from the DNS (PTR), with a small cache
 *
 * Public: rdns_name(). See rdns.h. The table is shared by every session
 * under one mutex, held only to copy an entry in or out (never across the
 * lookup). A name longer than the slot holds is not cached. Nothing here
 * fails: a lookup that fails is "unknown", as Postfix says.
 */
#include <netdb.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "fiber.h"
#include "rdns.h"

struct slot {
	char		addr[64];	/* "" when free */
	char		name[256];
	uint64_t	expires;	/* ms, clock_ms() */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot slots[RDNS_SLOTS];

struct lookup {
	const struct sockaddr	*sa;
	socklen_t		 salen;
	char			*name;
	size_t			 namelen;
};

/* lookup - getnameinfo() for a name (on a helper thread: it may block) */
static void
lookup(void *arg)
{
	struct lookup *lk = arg;

	if (getnameinfo(lk->sa, lk->salen, lk->name, lk->namelen, NULL, 0,
	    NI_NAMEREQD) != 0)
		snprintf(lk->name, lk->namelen, "unknown");
}

/* hash - FNV-1a of the address text */
static size_t
hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % RDNS_SLOTS;
}

void
rdns_name(const struct sockaddr *sa, socklen_t salen, const char *addr,
    char *name, size_t namelen)
{
	struct lookup lk = { sa, salen, name, namelen };
	struct slot *sl = &slots[hash(addr)];
	uint64_t now = clock_ms();
	int hit = 0;

	pthread_mutex_lock(&lock);
	if (strcmp(sl->addr, addr) == 0 && now < sl->expires &&
	    strlen(sl->name) < namelen) {
		memcpy(name, sl->name, strlen(sl->name) + 1);
		hit = 1;
	}
	pthread_mutex_unlock(&lock);
	if (hit)
		return;
	fiber_offload(lookup, &lk);
	if (strlen(addr) >= sizeof(sl->addr) || strlen(name) >= sizeof(sl->name))
		return;
	pthread_mutex_lock(&lock);
	memcpy(sl->addr, addr, strlen(addr) + 1);
	memcpy(sl->name, name, strlen(name) + 1);
	sl->expires = clock_ms() + RDNS_TTL_S * 1000;
	pthread_mutex_unlock(&lock);
}
