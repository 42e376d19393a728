/*
 * netlist - IP network lists (netlist.h)
 *
 * Public: netlist_new(), netlist_free(), netlist_add(), netlist_count(),
 * netlist_match(), netlist_match_sa().
 *
 * Every network is kept as 16 bytes and a prefix length, IPv4 in its
 * IPv4-mapped IPv6 form (::ffff:a.b.c.d/96+bits), so one comparison
 * serves both families and a mapped client address matches its IPv4
 * network. A lookup walks the list: it is meant for a few trusted
 * networks, not for a block list. Allocation with pg_*() (a reload runs
 * netlist_add()); the list is read-only once built, so sessions on any
 * thread may match against it.
 */
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netlist.h"
#include "xmalloc.h"

struct net {
	unsigned char	 a[16];
	unsigned	 bits;		/* 0..128 */
};

struct netlist {
	struct net	*v;
	size_t		 n;
};

static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0xff, 0xff };

struct netlist *
netlist_new(void)
{
	struct netlist *l = pg_calloc(1, sizeof(*l));

	if (l == NULL)
		errno = ENOMEM;
	return l;
}

void
netlist_free(struct netlist *l)
{
	if (l == NULL)
		return;
	free(l->v);
	free(l);
}

size_t
netlist_count(const struct netlist *l)
{
	return l != NULL ? l->n : 0;
}

/* to16 - a numeric address as 16 bytes (IPv4 mapped); *v4 set; 0 or -1 */
static int
to16(const char *s, unsigned char a[16], int *v4)
{
	if (inet_pton(AF_INET, s, a + 12) == 1) {
		memcpy(a, mapped, 12);
		*v4 = 1;
		return 0;
	}
	*v4 = 0;
	return inet_pton(AF_INET6, s, a) == 1 ? 0 : -1;
}

/* in_net - 1 when a is in the first bits of n */
static int
in_net(const unsigned char a[16], const unsigned char n[16], unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;
	unsigned char m;

	if (memcmp(a, n, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	m = (unsigned char)(0xff << (8 - rest));
	return (a[full] & m) == (n[full] & m);
}

/* host_bits_clear - 1 when no bit of a past the first bits is set */
static int
host_bits_clear(const unsigned char a[16], unsigned bits)
{
	unsigned i;

	for (i = bits; i < 128; i++)
		if (a[i / 8] & (0x80 >> (i % 8)))
			return 0;
	return 1;
}

/* parse_bits - "/N" after the address; -1 when not a number up to max */
static long
parse_bits(const char *s, unsigned max)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -1;
	v = strtol(s, &end, 10);
	return *end == '\0' && v >= 0 && v <= (long)max ? v : -1;
}

int
netlist_add(struct netlist *l, const char *spec, char *err, size_t errlen)
{
	char buf[64], *slash;
	struct net nt, *nv;
	size_t n = strlen(spec);
	long bits;
	int v4;

	if (n >= sizeof(buf) || n == 0) {
		snprintf(err, errlen, "'%s' is not a network", spec);
		return -1;
	}
	/* without the opening bracket, if any; the closing one is checked below */
	memcpy(buf, spec[0] == '[' ? spec + 1 : spec, spec[0] == '[' ? n : n + 1);
	if ((slash = strchr(buf, '/')) != NULL)
		*slash = '\0';
	if (spec[0] == '[') {
		char *rb = strchr(buf, ']');
		if (rb == NULL || rb[1] != '\0') {
			snprintf(err, errlen, "'%s' is not a network", spec);
			return -1;
		}
		*rb = '\0';
	}
	if (to16(buf, nt.a, &v4) == -1) {
		snprintf(err, errlen, "'%s' is not a numeric IP address or "
		    "network (ADDR or ADDR/BITS)", spec);
		return -1;
	}
	bits = slash ? parse_bits(slash + 1, v4 ? 32 : 128) : (v4 ? 32 : 128);
	if (bits < 0) {
		snprintf(err, errlen, "'%s': the prefix length is not 0 to %d",
		    spec, v4 ? 32 : 128);
		return -1;
	}
	nt.bits = (unsigned)bits + (v4 ? 96 : 0);
	/* host bits set: most likely a typo ("10.0.0.1/8") */
	if (!host_bits_clear(nt.a, nt.bits)) {
		snprintf(err, errlen, "'%s': bits set past the prefix length",
		    spec);
		return -1;
	}
	if ((nv = pg_realloc(l->v, (l->n + 1) * sizeof(*nv))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	l->v = nv;
	l->v[l->n++] = nt;
	return 0;
}

/* match16 - the list against 16 bytes */
static int
match16(const struct netlist *l, const unsigned char a[16])
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (in_net(a, l->v[i].a, l->v[i].bits))
			return 1;
	return 0;
}

int
netlist_match(const struct netlist *l, const char *addr)
{
	unsigned char a[16];
	int v4;

	if (l == NULL || addr == NULL || to16(addr, a, &v4) == -1)
		return 0;
	return match16(l, a);
}

int
netlist_match_sa(const struct netlist *l, const struct sockaddr *sa)
{
	unsigned char a[16];

	if (l == NULL)
		return 0;
	if (sa->sa_family == AF_INET) {
		memcpy(a, mapped, 12);
		memcpy(a + 12, &((const struct sockaddr_in *)(const void *)sa)->
		    sin_addr, 4);
	} else if (sa->sa_family == AF_INET6)
		memcpy(a, &((const struct sockaddr_in6 *)(const void *)sa)->
		    sin6_addr, 16);
	else
		return 0;
	return match16(l, a);
}
