/*
 * store_redis - the Redis backend of the store
 *
 * Public: store_redis_new(), store_redis_backend(), store_redis_same().
 *
 * Each operation is one command on the pool of host/lib/redis.c with one
 * deadline (now + store.timeout) for all of it. incr is EVAL of INCR_LUA:
 * the server caches the compiled script by its digest, so each call is
 * one round trip with ~200 bytes of script text; we chose EVAL over
 * MULTI/EXEC because "set the ttl only when the key is new" needs a read
 * between the two writes, which MULTI cannot do without WATCH and retries.
 *
 * Backends live as long as the process (a reload that changes the server
 * makes a new one and the old one stays for sessions still using it).
 */

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "clock.h"
#include "log.h"
#include "redis.h"
#include "store.h"
#include "store_redis.h"

#define BURST_MS	10000

static const char INCR_LUA[] =
    "local new = redis.call('EXISTS', KEYS[1]) == 0\n"
    "local v = redis.call('INCRBY', KEYS[1], ARGV[1])\n"
    "if new and tonumber(ARGV[2]) > 0 then\n"
    "  redis.call('PEXPIRE', KEYS[1], ARGV[2])\n"
    "end\n"
    "return v\n";

struct store_redis {
	struct store_backend b;
	struct redis	*r;
	char		*server, *prefix, *password;
	int		 db;
	uint64_t	 timeout_ms;
	unsigned	 pool;
	pthread_mutex_t	 lock;		/* the burst log */
	uint64_t	 last_log;
	unsigned long	 suppressed;
	int		 failing;
};

/* note_failure - log the first failure of a burst, count the others */
static void
note_failure(struct store_redis *sr, const char *op, const char *why)
{
	uint64_t t = clock_ms();
	unsigned long n;

	pthread_mutex_lock(&sr->lock);
	sr->failing = 1;
	if (sr->last_log != 0 && t - sr->last_log < BURST_MS) {
		sr->suppressed++;
		pthread_mutex_unlock(&sr->lock);
		return;
	}
	n = sr->suppressed;
	sr->suppressed = 0;
	sr->last_log = t;
	pthread_mutex_unlock(&sr->lock);
	if (n > 0)
		log_warnx("store: redis %s: %s: %s (and %lu more failures"
		    " in the last %d s)", sr->server, op, why, n,
		    BURST_MS / 1000);
	else
		log_warnx("store: redis %s: %s: %s", sr->server, op, why);
}

/* note_success - after failures, say once that it works again */
static void
note_success(struct store_redis *sr)
{
	unsigned long n;

	if (!sr->failing)	/* racy read: at worst one late message */
		return;
	pthread_mutex_lock(&sr->lock);
	if (!sr->failing) {
		pthread_mutex_unlock(&sr->lock);
		return;
	}
	sr->failing = 0;
	n = sr->suppressed;
	sr->suppressed = 0;
	sr->last_log = 0;
	pthread_mutex_unlock(&sr->lock);
	log_info("store: redis %s: working again (%lu failures not logged)",
	    sr->server, n);
}

/* cmd - one command; the reply (not an error reply) or NULL with errno */
static redisReply *
cmd(struct store_redis *sr, const char *op, int argc, const char **argv,
    const size_t *argvlen)
{
	redisReply *rep;
	char err[256];

	if ((rep = redis_command(sr->r, argc, argv, argvlen,
	    clock_ms() + sr->timeout_ms, err, sizeof(err))) == NULL) {
		int e = errno == ETIMEDOUT ? ETIMEDOUT : EIO;

		note_failure(sr, op, err);
		errno = e;
		return NULL;
	}
	if (rep->type == REDIS_REPLY_ERROR) {
		int notint = strstr(rep->str, "not an integer") != NULL ||
		    strstr(rep->str, "overflow") != NULL;

		if (!notint)
			note_failure(sr, op, rep->str);
		freeReplyObject(rep);
		errno = notint ? EINVAL : EIO;
		return NULL;
	}
	note_success(sr);
	return rep;
}

/* full_key - prefix + key, malloc'd; NULL with errno */
static char *
full_key(struct store_redis *sr, const char *key, size_t klen, size_t *len)
{
	size_t plen = strlen(sr->prefix);
	char *k;

	if (key == NULL) {
		errno = EINVAL;
		return NULL;
	}
	if (klen > STORE_REDIS_MAX - plen) {
		errno = E2BIG;
		return NULL;
	}
	if ((k = malloc(plen + klen + 1)) == NULL)
		return NULL;
	memcpy(k, sr->prefix, plen);
	memcpy(k + plen, key, klen);
	*len = plen + klen;
	return k;
}

static int
r_incr(void *ctx, const char *key, size_t klen, int64_t n, double ttl,
    int64_t *result)
{
	struct store_redis *sr = ctx;
	const char *argv[6];
	size_t argvlen[6];
	char nbuf[32], tbuf[32];
	redisReply *rep;
	char *k;
	int rc = -1;

	if ((k = full_key(sr, key, klen, &argvlen[3])) == NULL)
		return -1;
	snprintf(nbuf, sizeof(nbuf), "%" PRId64, n);
	snprintf(tbuf, sizeof(tbuf), "%.0f", ttl > 0 ? ceil(ttl * 1000) : 0);
	argv[0] = "EVAL";
	argv[1] = INCR_LUA;
	argv[2] = "1";
	argv[3] = k;
	argv[4] = nbuf;
	argv[5] = tbuf;
	argvlen[0] = 4;
	argvlen[1] = sizeof(INCR_LUA) - 1;
	argvlen[2] = 1;
	argvlen[4] = strlen(nbuf);
	argvlen[5] = strlen(tbuf);
	if ((rep = cmd(sr, "incr", 6, argv, argvlen)) != NULL) {
		if (rep->type == REDIS_REPLY_INTEGER) {
			*result = rep->integer;
			rc = 0;
		} else {
			note_failure(sr, "incr", "unexpected reply type");
			errno = EIO;
		}
		freeReplyObject(rep);
	}
	free(k);
	return rc;
}

/* decode - a stored value's bytes to v */
static int
decode(const char *p, size_t len, struct pg_store_value *v)
{
	char *end;

	memset(v, 0, sizeof(*v));
	if (len > 0 && len < 32 && memchr(p, '\0', len) == NULL) {
		errno = 0;
		v->i = strtoll(p, &end, 10);
		if (end == p + len && errno == 0 && !(p[0] == '+' ||
		    (p[0] == '0' && len > 1) || (p[0] == '-' && len > 1 &&
		    p[1] == '0'))) {
			v->type = PG_STORE_INT;
			return 0;
		}
		v->d = strtod(p, &end);
		if (end == p + len && strspn(p, "+-0123456789.eEinfatyINFATY") ==
		    len && p[0] != ' ') {
			v->i = 0;
			v->type = PG_STORE_NUM;
			return 0;
		}
	}
	if (len >= 2 && p[0] == 's' && p[1] == ':') {
		p += 2;
		len -= 2;
	}
	if ((v->s = malloc(len + 1)) == NULL)
		return -1;
	memcpy(v->s, p, len);
	v->s[len] = '\0';
	v->len = len;
	v->i = 0;
	v->d = 0;
	v->type = PG_STORE_STR;
	return 0;
}

static int
r_get(void *ctx, const char *key, size_t klen, struct pg_store_value *v)
{
	struct store_redis *sr = ctx;
	const char *argv[2];
	size_t argvlen[2];
	redisReply *rep;
	char *k;
	int rc = -1;

	memset(v, 0, sizeof(*v));
	if ((k = full_key(sr, key, klen, &argvlen[1])) == NULL)
		return -1;
	argv[0] = "GET";
	argv[1] = k;
	argvlen[0] = 3;
	if ((rep = cmd(sr, "get", 2, argv, argvlen)) != NULL) {
		if (rep->type == REDIS_REPLY_NIL)
			rc = 0;
		else if (rep->type == REDIS_REPLY_STRING)
			rc = decode(rep->str, rep->len, v);
		else {
			note_failure(sr, "get", "unexpected reply type");
			errno = EIO;
		}
		freeReplyObject(rep);
	}
	free(k);
	return rc;
}

/* encode - v as stored bytes into buf (numbers) or a malloc'd *alloc */
static const char *
encode(const struct pg_store_value *v, char *buf, size_t size, size_t *len,
    char **alloc)
{
	*alloc = NULL;
	if (v->type == PG_STORE_INT)
		snprintf(buf, size, "%" PRId64, v->i);
	else if (v->type == PG_STORE_NUM) {
		snprintf(buf, size, "%.17g", v->d);
		if (strspn(buf, "-0123456789") == strlen(buf))
			strncat(buf, ".0", size - strlen(buf) - 1);
	} else {
		if (v->len > STORE_REDIS_MAX - 2) {
			errno = E2BIG;
			return NULL;
		}
		if ((*alloc = malloc(v->len + 2)) == NULL)
			return NULL;
		memcpy(*alloc, "s:", 2);
		memcpy(*alloc + 2, v->s, v->len);
		*len = v->len + 2;
		return *alloc;
	}
	*len = strlen(buf);
	return buf;
}

static int r_del(void *, const char *, size_t);

static int
r_set(void *ctx, const char *key, size_t klen, const struct pg_store_value *v,
    double ttl)
{
	struct store_redis *sr = ctx;
	const char *argv[5];
	size_t argvlen[5];
	char nbuf[64], tbuf[32], *k, *alloc;
	redisReply *rep;
	int argc = 3;

	if (v->type == PG_STORE_NONE)
		return r_del(ctx, key, klen) == -1 ? -1 : 0;
	if (v->type == PG_STORE_STR && v->s == NULL && v->len > 0) {
		errno = EINVAL;
		return -1;
	}
	if ((argv[2] = encode(v, nbuf, sizeof(nbuf), &argvlen[2],
	    &alloc)) == NULL)
		return -1;
	if ((k = full_key(sr, key, klen, &argvlen[1])) == NULL) {
		free(alloc);
		return -1;
	}
	argv[0] = "SET";
	argv[1] = k;
	argvlen[0] = 3;
	if (ttl > 0) {
		snprintf(tbuf, sizeof(tbuf), "%.0f", ceil(ttl * 1000));
		argv[3] = "PX";
		argv[4] = tbuf;
		argvlen[3] = 2;
		argvlen[4] = strlen(tbuf);
		argc = 5;
	}
	rep = cmd(sr, "set", argc, argv, argvlen);
	free(k);
	free(alloc);
	if (rep == NULL)
		return -1;
	freeReplyObject(rep);
	return 0;
}

static int
r_del(void *ctx, const char *key, size_t klen)
{
	struct store_redis *sr = ctx;
	const char *argv[2];
	size_t argvlen[2];
	redisReply *rep;
	char *k;
	int rc = -1;

	if ((k = full_key(sr, key, klen, &argvlen[1])) == NULL)
		return -1;
	argv[0] = "DEL";
	argv[1] = k;
	argvlen[0] = 3;
	if ((rep = cmd(sr, "delete", 2, argv, argvlen)) != NULL) {
		rc = rep->type == REDIS_REPLY_INTEGER && rep->integer > 0;
		freeReplyObject(rep);
	}
	free(k);
	return rc;
}

static char *
dup_or_null(const char *s, int *bad)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		*bad = 1;
	return d;
}

struct store_redis *
store_redis_new(const struct store_redis_opts *o, char *err, size_t errlen)
{
	struct store_redis *sr;
	struct redis_opts ro;
	int bad = 0;

	memset(&ro, 0, sizeof(ro));
	if (addr_parse(o->server, ADDR_CONNECT, &ro.addr, err, errlen) == -1)
		return NULL;
	if ((sr = calloc(1, sizeof(*sr))) == NULL)
		goto nomem;
	sr->server = dup_or_null(o->server, &bad);
	sr->prefix = dup_or_null(o->prefix ? o->prefix : "", &bad);
	sr->password = dup_or_null(o->password, &bad);
	ro.password = o->password;
	ro.db = sr->db = o->db;
	ro.pool_max = sr->pool = o->pool;
	sr->timeout_ms = o->timeout_ms;
	if (bad || (sr->r = redis_new(&ro)) == NULL) {
		free(sr->server);
		free(sr->prefix);
		free(sr->password);
		free(sr);
		goto nomem;
	}
	pthread_mutex_init(&sr->lock, NULL);
	sr->b.name = "redis";
	sr->b.incr = r_incr;
	sr->b.get = r_get;
	sr->b.set = r_set;
	sr->b.del = r_del;
	sr->b.ctx = sr;
	return sr;
nomem:
	snprintf(err, errlen, "out of memory");
	return NULL;
}

const struct store_backend *
store_redis_backend(struct store_redis *sr)
{
	return &sr->b;
}

static int
same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

int
store_redis_same(const struct store_redis *sr, const struct store_redis_opts *o)
{
	return same_str(sr->server, o->server) &&
	    same_str(sr->prefix, o->prefix ? o->prefix : "") &&
	    same_str(sr->password, o->password) && sr->db == o->db &&
	    sr->timeout_ms == o->timeout_ms && sr->pool == o->pool;
}
