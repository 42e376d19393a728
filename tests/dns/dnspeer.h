/*
 * dnspeer - the DNS servers the tests run on loopback: rbldnsd with the
 * zones of tests/data/dns, and tests/dns/fakedns.py in front of it (its own
 * good.test / bad.test / all.test zones, everything else forwarded to
 * rbldnsd). Started by dnspeer_start(), stopped by PID in dnspeer_stop().
 */
#ifndef DNSPEER_H
#define DNSPEER_H

struct dnspeer {
	int	 rbl_port;	/* rbldnsd, UDP */
	int	 fake_port;	/* fakedns.py, UDP and TCP */
	int	 rbl_pid;
	int	 fake_pid;
	char	 dir[256];	/* zone copies, logs */
	char	 rbl_server[64];	/* "127.0.0.1:PORT" */
	char	 fake_server[64];
};

/*
 * dnspeer_start - both servers, answering; delay_ms: fakedns forwards to
 * rbldnsd after that long. 0, or -1 with a message on stderr.
 * srcdir: the source tree (tests/data/dns, tests/dns/fakedns.py).
 */
int	dnspeer_start(struct dnspeer *, const char *srcdir, int delay_ms);
void	dnspeer_stop(struct dnspeer *);
/* dnspeer_queries - how many queries fakedns has seen (its stats.test TXT) */
long	dnspeer_queries(const struct dnspeer *);

#endif
