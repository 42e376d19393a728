/*
 * milter_front - phasegate as a milter: the listener and the connections
 *
 * Public: milter_front_new(), milter_front_start(), milter_front_stop(),
 * milter_front_free().
 *
 * The listen spec is parsed by addr and bound by listen, which accepts on
 * a fiber and runs each MTA connection in a fiber of its own. A
 * connection reads what the MTA sends through its conn (64 KiB reads),
 * decodes every complete packet (milter_proto.h), hands each command to
 * its stage (milter_stage.h), which queues the replies, and writes them in
 * one send() when no further complete packet is buffered (the MTA waits
 * for our reply, except at stages negotiated without one). No thread
 * hand-off per command, no poll thread: on a busy daemon a worker goes
 * from one connection to the next without sleeping.
 *
 * The decoder, the reply buffer and the stage object of a connection that
 * ended are kept (up to MF_CACHE of them, buffers up to MF_KEEP) for the
 * next one: a milter connection per SMTP session is the common case.
 *
 * Stopping (listen's protocol, MILTER_FRONT_GRACE_MS): a connection is
 * idle for the stop when no message is in progress and no packet is half
 * read; it is closed at once. One in a message may finish it; at the end
 * of the grace it is closed too, and the MTA applies its
 * milter_default_action to that message (Postfix: tempfail by default;
 * the client retries).
 *
 * Trust: everything from the MTA is untrusted; a malformed or oversized
 * packet ends that connection with a logged error. Timeouts: MF_IDLE_MS
 * between packets (libmilter's), the configuration's command timeout for a
 * packet begun (counted from its first bytes: an MTA stalled or trickling
 * mid-packet is cut) and for a reply the MTA does not take.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "clock.h"
#include "config.h"
#include "conn.h"
#include "listen.h"
#include "log.h"
#include "milter_front.h"
#include "milter_proto.h"
#include "milter_stage.h"

#define MF_READ		65536	/* the input buffer: one read */
#define MF_WBUF		4096	/* replies; larger ones go out directly */
#define MF_IDLE_MS	(7210ULL * 1000)	/* between commands: libmilter's default */
#define MF_BACKLOG	128
#define MF_CACHE	64	/* connection shells kept for reuse */
#define MF_KEEP		(256 * 1024)	/* buffers kept with a shell, at most */

/* what a connection reuses from the one before */
struct mf_shell {
	struct milter_proto_dec	*dec;
	struct milter_proto_buf	 out;
	struct milter_stage	*st;
};

struct milter_front {
	struct listener		*l;
	char			*spec;		/* as configured, for the log */
	uint64_t		 write_ms;	/* a reply the MTA does not take */
	pthread_mutex_t		 lock;		/* the cache */
	struct mf_shell		*cache[MF_CACHE];
	size_t			 ncache;
};

/* one MTA connection, on its fiber's stack */
struct mf_conn {
	struct milter_front	*mf;
	struct mf_shell		*sh;
	struct conn		*c;
	char			 peer[80];	/* the MTA, for the log */
	int			 tcp;		/* TCP (not a unix socket) */
	int			 unacked;	/* read since the last reply */
	uint64_t		 pkt_dl;	/* a packet begun must be whole by then (0: none) */
};

/* shell_free - a shell and its buffers */
static void
shell_free(struct mf_shell *sh)
{
	if (sh == NULL)
		return;
	milter_proto_dec_free(sh->dec);
	milter_proto_buf_free(&sh->out);
	milter_stage_free(sh->st);
	free(sh);
}

/* shell_get - a shell from the cache, or a new one; NULL: ENOMEM */
static struct mf_shell *
shell_get(struct milter_front *mf)
{
	struct mf_shell *sh = NULL;

	pthread_mutex_lock(&mf->lock);
	if (mf->ncache > 0)
		sh = mf->cache[--mf->ncache];
	pthread_mutex_unlock(&mf->lock);
	if (sh != NULL)
		return sh;
	if ((sh = calloc(1, sizeof(*sh))) == NULL)
		return NULL;
	if ((sh->dec = milter_proto_dec_new(NULL)) == NULL ||
	    (sh->st = milter_stage_new()) == NULL) {
		shell_free(sh);
		return NULL;
	}
	return sh;
}

/*
 * shell_put - keep a shell (its connection ended) for the next connection:
 * allocating and freeing its buffers per connection costs more than the
 * connection's own work
 */
static void
shell_put(struct milter_front *mf, struct mf_shell *sh)
{
	milter_proto_dec_reset(sh->dec, MF_KEEP);
	milter_proto_buf_reset(&sh->out);
	if (sh->out.size > MF_KEEP)
		milter_proto_buf_free(&sh->out);
	pthread_mutex_lock(&mf->lock);
	if (mf->ncache < MF_CACHE) {
		mf->cache[mf->ncache++] = sh;
		sh = NULL;
	}
	pthread_mutex_unlock(&mf->lock);
	shell_free(sh);
}

/* sid - the session id for the log */
static const char *
sid(const struct mf_conn *mc)
{
	return milter_stage_sid(mc->sh->st);
}

/* flush - write the queued replies; 0 or -1 (logged) */
static int
flush(struct mf_conn *mc)
{
	struct milter_proto_buf *out = &mc->sh->out;
	uint64_t dl = clock_deadline(mc->mf->write_ms);
	enum conn_status st;

	st = conn_write(mc->c, out->data, out->len, dl);
	if (st == CONN_OK)
		st = conn_flush(mc->c, dl);
	milter_proto_buf_reset(out);
	if (st == CONN_OK)
		return 0;
	if (st == CONN_TIMEOUT || st == CONN_STOPPING)
		log_warnx("milter: session %s: MTA %s: reply not taken within "
		    "%llu ms%s: connection closed", sid(mc), mc->peer,
		    (unsigned long long)mc->mf->write_ms,
		    st == CONN_STOPPING ? " (stopping)" : "");
	else
		log_warnx("milter: session %s: MTA %s: write: %s", sid(mc),
		    mc->peer, conn_error(mc->c));
	return -1;
}

/*
 * read_deadline - the deadline of the next read: MF_IDLE_MS between
 * packets; within a packet timeouts.command from when its first bytes
 * came, not from the last ones (an MTA stalled mid-packet is cut, however
 * it trickles)
 */
static uint64_t
read_deadline(struct mf_conn *mc)
{
	if (milter_proto_buffered(mc->sh->dec) == 0) {
		mc->pkt_dl = 0;
		return clock_deadline(MF_IDLE_MS);
	}
	if (mc->pkt_dl == 0)
		mc->pkt_dl = clock_deadline(mc->mf->write_ms);
	return mc->pkt_dl;
}

/* read_failed - log why a read ended the connection (once) */
static void
read_failed(struct mf_conn *mc, enum conn_status st, int idle)
{
	if (st == CONN_TIMEOUT && mc->pkt_dl != 0)
		log_warnx("milter: session %s: MTA %s: a packet not complete "
		    "within %llu ms: connection closed", sid(mc), mc->peer,
		    (unsigned long long)mc->mf->write_ms);
	else if (st == CONN_TIMEOUT)
		log_warnx("milter: session %s: MTA %s: idle for %llu s: "
		    "connection closed", sid(mc), mc->peer, MF_IDLE_MS / 1000);
	else if (st == CONN_STOPPING && !idle)
		log_warnx("milter: session %s: MTA %s: stopping in the middle "
		    "of a message: connection closed (the MTA applies its "
		    "default action)", sid(mc), mc->peer);
	else if (st == CONN_ERROR &&
	    strcmp(conn_error(mc->c), strerror(ECONNRESET)) != 0)
		log_warnx("milter: session %s: MTA %s: read: %s", sid(mc),
		    mc->peer, conn_error(mc->c));
	/* CONN_EOF, CONN_SHORT: the MTA closed */
}

/* read_more - wait for and decode more of what the MTA sends; 0 or -1 (end) */
static int
read_more(struct mf_conn *mc)
{
	struct mf_shell *sh = mc->sh;
	enum conn_status st;
	const char *p;
	size_t n;
	int idle;

	/* between messages, with nothing half read: a stop ends this at once */
	idle = !milter_stage_busy(sh->st) && milter_proto_buffered(sh->dec) == 0;
	st = conn_fill(mc->c, read_deadline(mc), idle ? CONN_IDLE : 0);
	if (st == CONN_OK) {
		p = conn_data(mc->c, &n);
		mc->unacked = 1;
		if (milter_proto_feed(sh->dec, p, n) == -1) {
			log_warn("milter: session %s: MTA %s: input", sid(mc),
			    mc->peer);
			return -1;
		}
		conn_consume(mc->c, n);
		return 0;
	}
	read_failed(mc, st, idle);
	return -1;
}

/* quick_ack - ACK what the MTA sent now, when nothing is answered */
static void
quick_ack(struct mf_conn *mc)
{
	int on = 1;

	/*
	 * An MTA that writes packets without TCP_NODELAY (Postfix) holds
	 * the next one until this ACK, which a delayed ACK would postpone
	 * by 40 ms.
	 */
	(void)setsockopt(conn_fd(mc->c), IPPROTO_TCP, TCP_QUICKACK, &on,
	    sizeof(on));
}

/* dialogue - commands and replies until the connection ends */
static void
dialogue(struct mf_conn *mc)
{
	struct mf_shell *sh = mc->sh;
	struct milter_proto_cmd cmd;
	int r;

	for (;;) {
		r = milter_proto_next(sh->dec, &cmd);
		if (r == MILTER_PROTO_OK) {
			r = milter_stage_dispatch(sh->st, &cmd);
			if (r == MILTER_STAGE_GO)
				continue;
			/* QUIT, or an error: what came before it is answered */
			(void)flush(mc);
			return;
		}
		if (r != MILTER_PROTO_MORE) {
			log_warnx("milter: session %s: MTA %s: %s: connection "
			    "closed", sid(mc), mc->peer,
			    milter_proto_error(sh->dec));
			return;
		}
		/* nothing complete left: the MTA waits for these replies */
		if (sh->out.len > 0) {
			if (flush(mc) == -1)
				return;
		} else if (mc->tcp && mc->unacked)
			quick_ack(mc);
		mc->unacked = 0;
		if (read_more(mc) == -1)
			return;
	}
}

/* peer_name - the MTA's address for the log */
static void
peer_name(const struct sockaddr *sa, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		inet_ntop(AF_INET, &in->sin_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(in->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(in6->sin6_port));
	} else
		snprintf(buf, len, "%s", "local");
}

/* session - a listen_session_fn: one MTA connection */
static void
session(void *arg, int fd, const struct sockaddr *peer, socklen_t peerlen,
    const struct conn_stop *stop)
{
	struct mf_conn mc;

	(void)peerlen;
	memset(&mc, 0, sizeof(mc));
	mc.mf = arg;
	peer_name(peer, mc.peer, sizeof(mc.peer));
	mc.tcp = peer->sa_family != AF_UNIX;
	if ((mc.sh = shell_get(mc.mf)) == NULL ||
	    (mc.c = conn_new(fd, MF_READ, MF_WBUF)) == NULL) {
		log_warn("milter: connection from %s", mc.peer);
		if (mc.sh != NULL)
			shell_put(mc.mf, mc.sh);
		close(fd);
		return;
	}
	conn_set_stop(mc.c, stop);
	milter_stage_begin(mc.sh->st, mc.peer, &mc.sh->out);
	dialogue(&mc);
	milter_stage_end(mc.sh->st);
	conn_free(mc.c);
	shell_put(mc.mf, mc.sh);
}

struct milter_front *
milter_front_new(const struct config *cfg, char *err, size_t errlen)
{
	struct milter_front *mf;
	struct listen_opts o;
	struct addr a;
	char why[256];

	if (addr_parse(cfg->milter_listen, 0, &a, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "milter listen \"%s\": %s",
		    cfg->milter_listen, why);
		return NULL;
	}
	if ((mf = calloc(1, sizeof(*mf))) == NULL ||
	    (mf->spec = strdup(cfg->milter_listen)) == NULL) {
		snprintf(err, errlen, "milter: %s", strerror(ENOMEM));
		free(mf);
		return NULL;
	}
	pthread_mutex_init(&mf->lock, NULL);
	mf->write_ms = cfg->timeout_command_ms > 0 ? cfg->timeout_command_ms :
	    300000;
	memset(&o, 0, sizeof(o));
	o.session = session;
	o.arg = mf;
	o.backlog = MF_BACKLOG;
	/* no room for a connection's descriptors: closed at once, and the
	 * MTA applies its default action, rather than fail mid-message */
	o.fds_per_session = MILTER_FRONT_FDS_PER_SESSION;
	o.sock_mode = cfg->milter_sock.mode;
	o.sock_group = cfg->milter_sock.group;
	o.sock_user = cfg->user;
	if ((mf->l = listen_open(&a, &o, why, sizeof(why))) == NULL) {
		snprintf(err, errlen, "milter listen \"%s\": %s",
		    cfg->milter_listen, why);
		pthread_mutex_destroy(&mf->lock);
		free(mf->spec);
		free(mf);
		return NULL;
	}
	return mf;
}

int
milter_front_start(struct milter_front *mf)
{
	if (listen_start(mf->l) == -1)
		return -1;
	log_info("milter: listening on %s", mf->spec);
	return 0;
}

void
milter_front_stop(struct milter_front *mf)
{
	if (mf == NULL)
		return;
	listen_stop_begin(mf->l, MILTER_FRONT_GRACE_MS);
	log_info("milter: stopped listening on %s", mf->spec);
}

void
milter_front_free(struct milter_front *mf)
{
	if (mf == NULL)
		return;
	listen_stop(mf->l, 0);		/* the wait only, when stopped already */
	if (listen_sessions(mf->l) > 0) {
		/* connections still hold mf: leave it (we are exiting anyway) */
		log_warnx("milter: %zu connections still busy at stop",
		    listen_sessions(mf->l));
		return;
	}
	listen_free(mf->l);
	while (mf->ncache > 0)
		shell_free(mf->cache[--mf->ncache]);
	pthread_mutex_destroy(&mf->lock);
	free(mf->spec);
	free(mf);
}
