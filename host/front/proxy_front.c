/*
 * proxy_front - the SMTP proxy front end: one listener, its sessions
 *
 * Public: proxy_front_new(), proxy_front_start(), proxy_front_stop(),
 * proxy_front_free(), proxy_front_reload_tls().
 *
 * TLS: the listener's contexts (tls.h) are made here and shared by its
 * sessions; SIGHUP reads the certificate files again
 * (proxy_front_reload_tls(), on the main thread; a bad file keeps the
 * running certificate).
 *
 * The listen address is parsed by addr (every form the milter takes:
 * HOST:PORT, [ADDRESS]:PORT, inet:/inet6:, a unix socket path) and bound
 * by listen, which accepts on a fiber and runs each client session
 * (proxy_session_run()) in a fiber of its own. The listener keeps the
 * fair shares (listen.h): over max_sessions, over max_sessions_per_client
 * for its address, or with no descriptors left for a session, a client
 * gets 421 without a session; from 90% of max_sessions on, each new client
 * ends the session that has waited longest for its own client (it says
 * 421). The stop is listen's: stop accepting, a
 * grace of PROXY_FRONT_GRACE_MS for sessions in the middle of a command
 * or a message, then every session ends.
 *
 * Errors: a bad address or a bind failure is reported to the caller with
 * the configuration's file and line; nothing after the start stops the
 * daemon.
 */
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "config.h"
#include "listen.h"
#include "log.h"
#include "proxy_front.h"
#include "proxy_session.h"
#include "tls.h"

#define PF_BACKLOG	1024

struct proxy_front {
	struct proxy_session_conf conf;	/* what its sessions share */
	struct listener		*l;
	char			 where[300];	/* the listen address, for the log */
	char			 hostname[256];
	struct proxy_front	*next;		/* every front, for the TLS reload */
};

/* the fronts made, for proxy_front_reload_tls() (the main thread's) */
static struct proxy_front *fronts;

/* session - a listen_session_fn: one client session */
static void
session(void *arg, int fd, const struct sockaddr *peer, socklen_t peerlen,
    const struct conn_stop *stop)
{
	struct proxy_front *pf = arg;

	proxy_session_run(&pf->conf, fd, peer, peerlen, stop);
}

/*
 * turn_away - a listen_refuse_fn: 421 without a session (max_sessions,
 * max_sessions_per_client, no descriptors or memory left)
 */
static void
turn_away(void *arg, int fd, enum listen_refusal why)
{
	struct proxy_front *pf = arg;
	char buf[300];
	int n;

	if (why == LISTEN_FULL)
		n = snprintf(buf, sizeof(buf), "421 4.3.2 %s Error: too many "
		    "sessions, try again later\r\n", pf->hostname);
	else if (why == LISTEN_CLIENT_FULL)
		n = snprintf(buf, sizeof(buf), "421 4.7.0 %s Error: too many "
		    "connections from your address\r\n", pf->hostname);
	else
		n = snprintf(buf, sizeof(buf), "421 4.3.2 %s Error: too busy, "
		    "try again later\r\n", pf->hostname);
	(void)send(fd, buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* tls_contexts - the listener's TLS contexts (tls, upstream_tls); 0 or -1 */
static int
tls_contexts(struct proxy_front *pf, const char *file, char *err,
    size_t errlen)
{
	const struct config_smtp *sc = pf->conf.sc;
	char why[512];

	if (sc->tls_cert != NULL && (pf->conf.tls = tls_server_new(sc->tls_cert,
	    sc->tls_key, sc->tls_ciphers, why, sizeof(why))) == NULL) {
		snprintf(err, errlen, "%s:%d: tls: %s", file, sc->tls_line, why);
		return -1;
	}
	if (sc->upstream_tls != CONFIG_UPTLS_NONE && (pf->conf.uptls =
	    tls_client_new(sc->upstream_tls == CONFIG_UPTLS_VERIFY ?
	    TLS_VERIFY_PEER : TLS_VERIFY_NONE, sc->upstream_ca, why,
	    sizeof(why))) == NULL) {
		snprintf(err, errlen, "%s:%d: upstream_tls: %s", file, sc->line,
		    why);
		tls_ctx_free(pf->conf.tls);
		return -1;
	}
	return 0;
}

struct proxy_front *
proxy_front_new(const struct config *cfg, const struct config_smtp *sc,
    char *err, size_t errlen)
{
	const char *file = cfg->file ? cfg->file : "config";
	struct listen_opts o;
	struct proxy_front *pf;
	struct addr a;
	char why[256];

	if (sc->listen == NULL || sc->upstream == NULL) {
		snprintf(err, errlen, "%s:%d: smtp listener needs listen and "
		    "upstream", file, sc->line);
		return NULL;
	}
	if (addr_parse(sc->listen, 0, &a, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "%s:%d: bad listen address %s: %s", file,
		    sc->line, sc->listen, why);
		return NULL;
	}
	if ((pf = calloc(1, sizeof(*pf))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (sc->hostname != NULL)
		snprintf(pf->hostname, sizeof(pf->hostname), "%s", sc->hostname);
	else if (gethostname(pf->hostname, sizeof(pf->hostname) - 1) != 0 ||
	    pf->hostname[0] == '\0')
		snprintf(pf->hostname, sizeof(pf->hostname), "localhost");
	pf->conf.cfg = cfg;
	pf->conf.sc = sc;
	pf->conf.hostname = pf->hostname;
	addr_format(&a, pf->where, sizeof(pf->where));
	memset(&o, 0, sizeof(o));
	o.session = session;
	o.refuse = turn_away;
	o.arg = pf;
	o.max_sessions = sc->max_sessions;
	o.max_per_client = sc->max_sessions_per_client;
	/* near full (90%), a new client ends the longest-waiting session */
	o.evict_at = sc->max_sessions - sc->max_sessions / 10;
	o.fds_per_session = PROXY_FRONT_FDS_PER_SESSION;
	o.backlog = PF_BACKLOG;
	o.sock_mode = sc->sock.mode;
	o.sock_group = sc->sock.group;
	o.sock_user = cfg->user;
	if (tls_contexts(pf, file, err, errlen) == -1) {
		free(pf);
		return NULL;
	}
	if ((pf->l = listen_open(&a, &o, why, sizeof(why))) == NULL) {
		snprintf(err, errlen, "%s:%d: listen %s: %s", file, sc->line,
		    sc->listen, why);
		tls_ctx_free(pf->conf.tls);
		tls_ctx_free(pf->conf.uptls);
		free(pf);
		return NULL;
	}
	pf->next = fronts;
	fronts = pf;
	return pf;
}

void
proxy_front_reload_tls(void)
{
	struct proxy_front *pf;
	char err[512];

	for (pf = fronts; pf != NULL; pf = pf->next) {
		if (pf->conf.tls == NULL)
			continue;
		if (tls_ctx_reload(pf->conf.tls, err, sizeof(err)) == -1)
			log_warnx("reload: smtp proxy %s: %s (keeping the "
			    "running certificate)", pf->where, err);
		else
			log_info("reload: smtp proxy %s: certificate %s "
			    "reloaded", pf->where, pf->conf.sc->tls_cert);
	}
}

int
proxy_front_start(struct proxy_front *pf)
{
	if (listen_start(pf->l) == -1)
		return -1;
	log_info("smtp proxy listening on %s, upstream %s", pf->where,
	    pf->conf.sc->upstream);
	return 0;
}

void
proxy_front_stop(struct proxy_front *pf)
{
	if (pf != NULL)
		listen_stop_begin(pf->l, PROXY_FRONT_GRACE_MS);
}

void
proxy_front_free(struct proxy_front *pf)
{
	struct proxy_front **pp;

	if (pf == NULL)
		return;
	listen_stop(pf->l, 0);		/* the wait only, when stopped already */
	if (listen_sessions(pf->l) > 0) {
		/* sessions still hold pf: leave it (we are exiting anyway) */
		log_warnx("smtp proxy %s: %zu sessions did not end", pf->where,
		    listen_sessions(pf->l));
		return;
	}
	listen_free(pf->l);
	for (pp = &fronts; *pp != NULL; pp = &(*pp)->next)
		if (*pp == pf) {
			*pp = pf->next;
			break;
		}
	tls_ctx_free(pf->conf.tls);
	tls_ctx_free(pf->conf.uptls);
	free(pf);
}
