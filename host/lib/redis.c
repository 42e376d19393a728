/*
 * redis - a small Redis client for fibers
 *
 * Public: redis_new(), redis_free(), redis_command(), redis_open().
 *
 * The pool is a list of idle connections and a count of open ones under
 * one mutex. redis_command() takes an idle connection (checked with a
 * read that does not wait: a closed or chattering one is dropped), or
 * opens one while fewer than pool_max are open, or parks on the pool's
 * wait list until a connection is handed back (fiber_park(); the one who
 * hands it back unparks the first waiter). One command is written whole
 * (conn_write + conn_flush), then input is fed to the connection's
 * redisReader until it has a reply.
 */

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "clock.h"
#include "conn.h"
#include "fiber.h"
#include "redis.h"

#define BACKOFF_MIN	100
#define BACKOFF_MAX	5000
#define RBUF		(16 * 1024)

struct rconn {
	struct conn	*c;
	redisReader	*rd;
	struct rconn	*next;
	int		 reused;	/* taken from the idle list */
	int		 stale;		/* roundtrip: closed before any reply byte */
};

struct waiter {
	struct fiber	*f;
	struct waiter	*next;
};

struct redis {
	pthread_mutex_t	 lock;
	struct addr	 addr;
	char		*password;
	int		 db;
	unsigned	 max;
	unsigned	 open;		/* idle, in use and being opened */
	struct rconn	*idle;
	struct waiter	*waiters;	/* first in, first woken */
	uint64_t	 down_until;	/* no connect before (clock_ms) */
	uint64_t	 backoff;
};

struct redis *
redis_new(const struct redis_opts *o)
{
	struct redis *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->addr = o->addr;
	if (o->password != NULL && (r->password = strdup(o->password)) == NULL) {
		free(r);
		return NULL;
	}
	r->db = o->db;
	r->max = o->pool_max ? o->pool_max : REDIS_POOL_DEFAULT;
	pthread_mutex_init(&r->lock, NULL);
	return r;
}

static void
rconn_free(struct rconn *rc)
{
	if (rc == NULL)
		return;
	conn_free(rc->c);
	if (rc->rd != NULL)
		redisReaderFree(rc->rd);
	free(rc);
}

void
redis_free(struct redis *r)
{
	struct rconn *rc;

	if (r == NULL)
		return;
	while ((rc = r->idle) != NULL) {
		r->idle = rc->next;
		rconn_free(rc);
	}
	pthread_mutex_destroy(&r->lock);
	free(r->password);
	free(r);
}

unsigned
redis_open(struct redis *r)
{
	unsigned n;

	pthread_mutex_lock(&r->lock);
	n = r->open;
	pthread_mutex_unlock(&r->lock);
	return n;
}

/* fail - errno e, the reason (what, and arg when not NULL) in err; NULL */
static void *
fail(int e, char *err, size_t errlen, const char *what, const char *arg)
{
	snprintf(err, errlen, "%s%s%s", what, arg ? ": " : "", arg ? arg : "");
	errno = e;
	return NULL;
}

/* status_fail - a conn_status as errno and err */
static void *
status_fail(struct rconn *rc, enum conn_status st, char *err, size_t errlen)
{
	if (st == CONN_TIMEOUT)
		return fail(ETIMEDOUT, err, errlen, "timed out", NULL);
	if (st == CONN_EOF || st == CONN_SHORT)
		return fail(EIO, err, errlen, "the server closed the"
		    " connection", NULL);
	return fail(EIO, err, errlen, *conn_error(rc->c) ?
	    conn_error(rc->c) : conn_strstatus(st), NULL);
}

/* roundtrip - one command on rc and its reply */
static redisReply *
roundtrip(struct rconn *rc, int argc, const char **argv, const size_t *argvlen,
    uint64_t deadline, char *err, size_t errlen)
{
	enum conn_status st;
	const char *p;
	char *cmd;
	long long n;
	size_t len;
	void *reply = NULL;
	int got = 0;

	rc->stale = 0;
	if ((n = redisFormatCommandArgv(&cmd, argc, argv, argvlen)) < 0)
		return fail(ENOMEM, err, errlen, "out of memory", NULL);
	st = conn_write(rc->c, cmd, (size_t)n, deadline);
	redisFreeCommand(cmd);
	if (st != CONN_OK || (st = conn_flush(rc->c, deadline)) != CONN_OK)
		return status_fail(rc, st, err, errlen);
	for (;;) {
		if (redisReaderGetReply(rc->rd, &reply) != REDIS_OK)
			return fail(EIO, err, errlen, "protocol error",
			    rc->rd->errstr);
		if (reply != NULL)
			return reply;
		if ((st = conn_fill(rc->c, deadline, 0)) != CONN_OK) {
			rc->stale = st == CONN_EOF && !got;
			return status_fail(rc, st, err, errlen);
		}
		got = 1;
		p = conn_data(rc->c, &len);
		if (redisReaderFeed(rc->rd, p, len) != REDIS_OK)
			return fail(ENOMEM, err, errlen, "out of memory", NULL);
		conn_consume(rc->c, len);
	}
}

/* hello - AUTH and SELECT on a new connection; 0 or -1 */
static int
hello(struct redis *r, struct rconn *rc, uint64_t deadline, char *err,
    size_t errlen)
{
	const char *argv[2];
	size_t argvlen[2];
	redisReply *rep;
	char db[16];
	int bad;

	for (int step = 0; step < 2; step++) {
		if (step == 0 && r->password == NULL)
			continue;
		if (step == 1 && r->db == 0)
			continue;
		argv[0] = step == 0 ? "AUTH" : "SELECT";
		if (step == 0)
			argv[1] = r->password;
		else {
			snprintf(db, sizeof(db), "%d", r->db);
			argv[1] = db;
		}
		argvlen[0] = strlen(argv[0]);
		argvlen[1] = strlen(argv[1]);
		if ((rep = roundtrip(rc, 2, argv, argvlen, deadline, err,
		    errlen)) == NULL)
			return -1;
		if ((bad = rep->type == REDIS_REPLY_ERROR))
			snprintf(err, errlen, "%s: %s", argv[0], rep->str);
		freeReplyObject(rep);
		if (bad) {
			errno = EIO;
			return -1;
		}
	}
	return 0;
}

/* dial - open and greet a connection (the slot in r->open is taken) */
static struct rconn *
dial(struct redis *r, uint64_t deadline, char *err, size_t errlen)
{
	struct rconn *rc;
	char why[256];

	if ((rc = calloc(1, sizeof(*rc))) == NULL ||
	    (rc->rd = redisReaderCreate()) == NULL) {
		rconn_free(rc);
		return fail(ENOMEM, err, errlen, "out of memory", NULL);
	}
	if ((rc->c = conn_connect(&r->addr, deadline, RBUF, RBUF, why,
	    sizeof(why))) == NULL) {
		rconn_free(rc);
		return fail(errno == ETIMEDOUT ? ETIMEDOUT : EIO, err, errlen,
		    "connect", why);
	}
	conn_set_shared(rc->c);
	if (hello(r, rc, deadline, err, errlen) == -1) {
		int e = errno;

		rconn_free(rc);
		errno = e;
		return NULL;
	}
	return rc;
}

/* alive - an idle connection still usable: nothing came, no close */
static int
alive(struct rconn *rc)
{
	size_t len;

	conn_data(rc->c, &len);
	return len == 0 && conn_fill(rc->c, 0, CONN_NOWAIT) == CONN_TIMEOUT;
}

/* wake_one - unpark the first waiter (the lock held) */
static void
wake_one(struct redis *r)
{
	struct waiter *w;

	if ((w = r->waiters) != NULL) {
		r->waiters = w->next;
		w->next = NULL;
		fiber_unpark(w->f);
	}
}

/* unwait - take w off the wait list when it is still on it (lock held) */
static void
unwait(struct redis *r, struct waiter *w)
{
	struct waiter **pp;

	for (pp = &r->waiters; *pp; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			return;
		}
}

/* park - wait on the list until woken or deadline (lock held, and again on return) */
static int
park(struct redis *r, uint64_t deadline)
{
	struct waiter w, **pp;

	w.f = fiber_current();
	w.next = NULL;
	for (pp = &r->waiters; *pp; pp = &(*pp)->next)
		;
	*pp = &w;
	pthread_mutex_unlock(&r->lock);
	fiber_park(deadline);
	pthread_mutex_lock(&r->lock);
	unwait(r, &w);
	return deadline != 0 && clock_ms() >= deadline ? -1 : 0;
}

/* acquire - a connection for one command, or NULL */
static struct rconn *
acquire(struct redis *r, uint64_t deadline, char *err, size_t errlen)
{
	struct rconn *rc;
	uint64_t t;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		if ((rc = r->idle) != NULL) {
			r->idle = rc->next;
			pthread_mutex_unlock(&r->lock);
			if (alive(rc)) {
				rc->reused = 1;
				return rc;
			}
			rconn_free(rc);
			pthread_mutex_lock(&r->lock);
			r->open--;
			continue;
		}
		if (r->open < r->max || fiber_current() == NULL)
			break;
		if (park(r, deadline) == -1) {
			pthread_mutex_unlock(&r->lock);
			return fail(ETIMEDOUT, err, errlen, "timed out"
			    " waiting for a pooled connection", NULL);
		}
	}
	if ((t = clock_ms()) < r->down_until) {
		pthread_mutex_unlock(&r->lock);
		return fail(EIO, err, errlen, "down (waiting to"
		    " reconnect)", NULL);
	}
	r->open++;
	pthread_mutex_unlock(&r->lock);
	rc = dial(r, deadline, err, errlen);
	pthread_mutex_lock(&r->lock);
	if (rc == NULL) {
		int e = errno;

		r->open--;
		r->backoff = r->backoff ? r->backoff * 2 : BACKOFF_MIN;
		if (r->backoff > BACKOFF_MAX)
			r->backoff = BACKOFF_MAX;
		r->down_until = clock_ms() + r->backoff;
		wake_one(r);
		errno = e;
	} else
		r->backoff = r->down_until = 0;
	pthread_mutex_unlock(&r->lock);
	return rc;
}

/* release - hand rc back (ok) or drop it, and wake a waiter */
static void
release(struct redis *r, struct rconn *rc, int ok)
{
	pthread_mutex_lock(&r->lock);
	if (ok) {
		rc->next = r->idle;
		r->idle = rc;
	} else
		r->open--;
	wake_one(r);
	pthread_mutex_unlock(&r->lock);
	if (!ok)
		rconn_free(rc);
}

struct redisReply *
redis_command(struct redis *r, int argc, const char **argv,
    const size_t *argvlen, uint64_t deadline, char *err, size_t errlen)
{
	struct rconn *rc;
	redisReply *rep;

	if ((rc = acquire(r, deadline, err, errlen)) == NULL)
		return NULL;
	rep = roundtrip(rc, argc, argv, argvlen, deadline, err, errlen);
	if (rep == NULL && rc->reused && rc->stale) {
		/*
		 * A pooled connection that the server closed (idle timeout,
		 * restart, a close right after its last reply) just after
		 * our check: it ended without a byte of reply, so the
		 * command is taken as not run and sent once more on another
		 * connection, as redis-py does for a stale pooled one. (Only
		 * a server killed between running a command and answering it
		 * would make an incr count twice.)
		 */
		release(r, rc, 0);
		if ((rc = acquire(r, deadline, err, errlen)) == NULL)
			return NULL;
		rep = roundtrip(rc, argc, argv, argvlen, deadline, err,
		    errlen);
	}
	release(r, rc, rep != NULL);
	return rep;
}
