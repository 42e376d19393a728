/*
 * fuzz_addr - libFuzzer target for the address parser: the first byte
 * picks the flags, the rest is the spec. Checks what a caller relies on:
 * an accepted address has a family, an absolute path of bounded length or
 * a decimal port from 1 to 65535 and a host of literal or name bytes; the
 * flags hold (a dialled address has a host, ADDR_HOSTPORT gives no unix
 * socket); a refusal has a reason; and what addr_format() prints parses
 * back to the same host, port or path.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* check_inet - a host and port as addr.h promises them */
static void
check_inet(const struct addr *a, unsigned flags)
{
	unsigned long port;
	char *end;

	if (a->path[0] != '\0' || a->port[0] < '1' || a->port[0] > '9')
		abort();
	port = strtoul(a->port, &end, 10);
	if (*end != '\0' || port < 1 || port > 65535)
		abort();
	if (strlen(a->host) > ADDR_HOST_MAX ||
	    strspn(a->host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789-_.:") != strlen(a->host))
		abort();
	if ((flags & ADDR_CONNECT) && a->host[0] == '\0')
		abort();
}

/* check_round_trip - addr_format() of a parses back to the same address */
static void
check_round_trip(const struct addr *a)
{
	struct addr b;
	char shown[400], err[256];

	addr_format(a, shown, sizeof(shown));
	if (a->family != AF_UNIX && a->host[0] == '\0')
		return;		/* "*:25", "0.0.0.0:25": another spelling */
	if (addr_parse(shown, 0, &b, err, sizeof(err)) != 0 ||
	    strcmp(a->host, b.host) != 0 || strcmp(a->port, b.port) != 0 ||
	    strcmp(a->path, b.path) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct addr a;
	char *s, err[256];
	unsigned flags;

	if (size < 1 || size > 4096)
		return 0;
	if ((s = malloc(size)) == NULL)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	flags = data[0] & (ADDR_CONNECT | ADDR_HOSTPORT);
	err[0] = '\0';
	if (addr_parse(s, flags, &a, err, sizeof(err)) == 0) {
		if (a.family == AF_UNIX) {
			if ((flags & ADDR_HOSTPORT) || a.path[0] != '/' ||
			    strlen(a.path) > ADDR_PATH_MAX || a.host[0] != '\0' ||
			    a.port[0] != '\0')
				abort();
		} else if (a.family == AF_INET || a.family == AF_INET6 ||
		    a.family == AF_UNSPEC)
			check_inet(&a, flags);
		else
			abort();
		check_round_trip(&a);
	} else if (err[0] == '\0')
		abort();
	free(s);
	return 0;
}
