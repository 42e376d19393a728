/*
 * redis - a small Redis client for fibers: a pool of connections shared by
 * sessions, one command and its reply at a time on each
 *
 * hiredis is used for its protocol part only (redisFormatCommandArgv() and
 * the redisReader): the bytes move over our own non-blocking connections
 * (conn.h), so a command parks only the calling fiber, and its deadline
 * covers the wait for a pooled connection, the connect, AUTH, SELECT, the
 * send and the reply. A fiber that finds every connection busy parks
 * (fiber_park()) until one is handed back. Outside a fiber (tests, check)
 * the same calls poll.
 *
 * Reconnection: a connection that failed (I/O error, timeout, a peer that
 * closed) is dropped, never reused; an idle one is checked before use (a
 * server that closes after every command is seen then, not as a failed
 * command); one that closes in the instant between that check and the
 * command, without a byte of reply, gets the command once more on another
 * connection. When connecting fails, further connects wait a backoff (100
 * ms doubling up to 5 s); commands in that time fail at once with EIO.
 * The first connect that works ends the backoff.
 *
 * Nothing here logs; failures return NULL with errno (ETIMEDOUT, EIO,
 * ENOMEM) and the reason in err.
 */
#ifndef REDIS_H
#define REDIS_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define REDIS_POOL_DEFAULT	16

struct redis_opts {
	struct addr	 addr;		/* TCP or unix socket */
	const char	*password;	/* NULL: no AUTH (copied) */
	int		 db;		/* SELECT when not 0 */
	unsigned	 pool_max;	/* 0: REDIS_POOL_DEFAULT */
};

struct redis;
struct redisReply;

/* redis_new - a pool (no connection yet); NULL with errno ENOMEM */
struct redis	*redis_new(const struct redis_opts *);
/* redis_free - close every idle connection; none may be in use */
void		 redis_free(struct redis *);
/*
 * redis_command - send argv (argc strings of argvlen bytes) and return its
 * reply, before deadline (clock_ms(); 0: none). The reply is the caller's
 * (freeReplyObject()); an error reply is a reply, not a failure. NULL
 * with errno and err on failure.
 */
struct redisReply *redis_command(struct redis *, int argc, const char **argv,
		    const size_t *argvlen, uint64_t deadline, char *err,
		    size_t errlen);
/* redis_open - connections open now (idle and in use) */
unsigned	 redis_open(struct redis *);

#endif /* REDIS_H */
