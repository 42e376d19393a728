/*
 * addr - one parser for every socket address of the configuration: the
 * SMTP proxy's listen and upstream addresses and the milter's listen spec
 *
 * The grammar (one for all of them):
 *
 *	HOST:PORT		127.0.0.1:25, mx.example.org:25, :25 (every address)
 *	[ADDRESS]:PORT		[::1]:25, [10.0.0.1]:25
 *	/PATH			a unix socket
 *	unix:/PATH, local:/PATH	a unix socket (libmilter)
 *	inet:PORT@HOST		libmilter: an IPv4 address or a name
 *	inet:PORT		libmilter: every IPv4 address
 *	inet6:PORT@HOST		libmilter: an IPv6 address (bare or in brackets) or a name
 *	inet6:PORT		libmilter: every IPv6 address
 *
 * Ports are decimal numbers from 1 to 65535, everywhere: service names
 * are not looked up (so the parser needs no NSS and says the same on
 * every machine) and ranges are refused. Socket paths are absolute. The
 * type words are case-insensitive. Hosts are IP literals or names of
 * letters, digits, '-', '_' and '.'; names are resolved by whoever binds
 * or connects, not here.
 *
 * Errors say what to write instead where a common mistake is recognised:
 * Postfix's milter form inet:HOST:PORT, an IPv6 address after inet:, an
 * IPv6 address without brackets in HOST:PORT.
 */
#ifndef ADDR_H
#define ADDR_H

#include <stddef.h>

#define ADDR_HOST_MAX	253	/* a DNS name */
#define ADDR_PATH_MAX	107	/* sizeof(sun_path) - 1 */

/* addr_parse() flags */
#define ADDR_CONNECT	0x1	/* it is dialled: "every address" forms are refused */
#define ADDR_HOSTPORT	0x2	/* only HOST:PORT and [ADDRESS]:PORT */

/* a parsed address: filled in by addr_parse() */
struct addr {
	int	 family;	/* AF_UNIX, AF_INET, AF_INET6; AF_UNSPEC: a name in HOST:PORT */
	char	 host[ADDR_HOST_MAX + 1];	/* inet: a literal (no brackets) or a name; "" every address */
	char	 port[6];	/* inet: "1" .. "65535" */
	char	 path[ADDR_PATH_MAX + 1];	/* unix */
};

/*
 * addr_parse - parse spec (with flags ADDR_*) into a. Returns 0, or -1
 * with the reason in err (without the spec: the caller says where it
 * came from). Pure: no DNS, no logging, no allocation.
 */
int		 addr_parse(const char *spec, unsigned flags, struct addr *a,
		    char *err, size_t errlen);
/*
 * addr_format - a for a log line: "127.0.0.1:25", "[::1]:25", "*:25",
 * "unix:/run/x.sock"; returns buf.
 */
const char	*addr_format(const struct addr *a, char *buf, size_t len);

#endif /* ADDR_H */
