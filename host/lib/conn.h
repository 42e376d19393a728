/*
 * conn - one buffered connection over a non-blocking socket, for fibers
 *
 * The shape of OpenSMTPD's io/iobuf, in the blocking style fibers allow:
 * a call that must wait parks the calling fiber on the descriptor
 * (fiber_wait()) and returns when it is done, the deadline passed, the
 * peer went away or the daemon stops. Every call that may wait takes an
 * absolute deadline (a clock_ms() value, 0: none), so a caller can give a
 * whole command or a whole DATA phase one deadline rather than each read
 * its own timeout.
 *
 * Input: one buffer (size given at conn_new(), 64 KiB by default), filled
 * by one read() at a time. A codec that parses a byte stream itself uses
 * conn_fill() / conn_data() / conn_consume(); line and block readers are
 * conn_read_line() and conn_read_block(). Output: one buffer that
 * collects conn_write()s and is sent by conn_flush() (or when full), so
 * that many small writes become one send(). No allocation per call.
 *
 * The byte layer under the buffers is a small table (struct conn_ops):
 * plain recv()/send() by default; a TLS layer sets its own with
 * conn_set_ops() (its read may want the socket writable, and the other way
 * round; it may hold decrypted bytes the socket no longer shows).
 *
 * Stopping: connections that share a struct conn_stop (a listener's
 * sessions) learn of a stop at their next wait. A wait marked CONN_IDLE
 * (the caller holds no partial request) ends at once with CONN_STOPPING;
 * any other wait goes on until the stop's grace period ends, then ends
 * with CONN_STOPPING as well. A stop may have a parent (one session's
 * stop under its listener's): it stops when either does, so a listener
 * can end one session (listen.h: a session closed to make room) the way
 * it ends them all.
 *
 * A conn belongs to one fiber at a time (the session's); it owns its
 * descriptor and closes it in conn_free(). Nothing here logs: failures are
 * returned, with the reason in conn_error().
 */
#ifndef CONN_H
#define CONN_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "addr.h"

#define CONN_BUF_DEFAULT	(64 * 1024)

/* what a call came to */
enum conn_status {
	CONN_OK = 0,
	CONN_EOF,	/* the peer closed; nothing unread is buffered */
	CONN_SHORT,	/* the peer closed in the middle of a line or a block:
			 * what came is still buffered (conn_data()) */
	CONN_TIMEOUT,	/* the deadline passed */
	CONN_STOPPING,	/* the daemon stops (struct conn_stop) */
	CONN_TOOLONG,	/* no line end within the maximum, or a block larger
			 * than the buffer; the bytes stay buffered */
	CONN_ERROR	/* I/O error or no memory: conn_error() says which;
			 * every later call returns it too */
};

/* flags of the reading calls */
#define CONN_IDLE	0x1	/* between requests: a stop ends the wait at once */
#define CONN_STRIP_CR	0x2	/* conn_read_line(): a CR before the LF is not part of the line */
#define CONN_NOWAIT	0x4	/* conn_fill(): one read, no wait: CONN_TIMEOUT when
				 * nothing came (has the peer said anything?) */

/*
 * The byte layer. read and write return a count (> 0), 0 for the peer's
 * end (read only), or -1 with errno; with EAGAIN they set *want to
 * FIBER_IN or FIBER_OUT (fiber.h): what the socket must become before
 * the call is tried again. pending: bytes the layer holds that the socket
 * no longer shows (NULL: none). close: end the layer before the socket
 * is closed (NULL: nothing). error: the reason of the layer's last failure
 * (read or write returned -1 with an errno other than EAGAIN), for
 * conn_error() (NULL: strerror(errno)).
 */
struct conn_ops {
	ssize_t		(*read)(void *ctx, int fd, void *buf, size_t len,
			    unsigned *want);
	ssize_t		(*write)(void *ctx, int fd, const void *buf, size_t len,
			    unsigned *want);
	size_t		(*pending)(void *ctx);
	void		(*close)(void *ctx);
	const char	*(*error)(void *ctx);
};

struct conn;
struct conn_stop;

/*
 * conn_new - a connection over fd (non-blocking; it becomes the conn's),
 * with input and output buffers of rsize and wsize bytes (0: 64 KiB; the
 * output buffer is allocated at the first write). NULL (ENOMEM, fd left
 * open) on failure.
 */
struct conn	*conn_new(int fd, size_t rsize, size_t wsize);
/*
 * conn_connect - connect to a (a name is resolved on a helper thread,
 * fiber_offload()) before deadline, each address in turn; TCP_NODELAY.
 * NULL with the reason in err, and errno set when a system call failed
 * (EMFILE/ENFILE: no descriptor left).
 */
struct conn	*conn_connect(const struct addr *a, uint64_t deadline,
		    size_t rsize, size_t wsize, char *err, size_t errlen);
/* conn_free - end the layer, close the descriptor, free (NULL: nothing) */
void		 conn_free(struct conn *);
int		 conn_fd(const struct conn *);
/*
 * conn_set_shared - the connection will be used by one fiber after
 * another (a pool's): its descriptor is never kept in a fiber's watch list
 * (each wait registers it once); call it from the fiber that made it.
 */
void		 conn_set_shared(struct conn *);
/*
 * conn_set_ops - put a byte layer (TLS) under the buffers; ctx is the
 * layer's, closed by ops->close at conn_free(). -1 with EBUSY while input
 * is buffered (it came before the layer: STARTTLS must not take it as
 * protected) or output is queued.
 */
int		 conn_set_ops(struct conn *, const struct conn_ops *ops, void *ctx);
/* conn_set_stop - the stop this connection obeys (not owned; NULL: none) */
void		 conn_set_stop(struct conn *, const struct conn_stop *);

/* Input. Pointers returned stay valid until the next reading call. */

/* conn_fill - read at least one more byte into the input buffer */
enum conn_status conn_fill(struct conn *, uint64_t deadline, unsigned flags);
/* conn_data - the unread input; *len its length */
const char	*conn_data(const struct conn *, size_t *len);
/* conn_consume - n bytes of the unread input are used */
void		 conn_consume(struct conn *, size_t n);
/*
 * conn_discard - drop every unread byte (at STARTTLS: what the client
 * pipelined in plaintext must never be read as protected); the count
 */
size_t		 conn_discard(struct conn *);
/*
 * conn_read_line - the next line, of at most max bytes with its LF (0:
 * the input buffer's size). *line is NUL-terminated where the LF was (or
 * the CR, with CONN_STRIP_CR); *len does not count it.
 */
enum conn_status conn_read_line(struct conn *, size_t max, uint64_t deadline,
		    unsigned flags, const char **line, size_t *len);
/* conn_read_block - the next n bytes (n at most the input buffer's size) */
enum conn_status conn_read_block(struct conn *, size_t n, uint64_t deadline,
		    unsigned flags, const char **p);

/* Output. */

/* conn_write - queue n bytes; sends first when the buffer would overflow */
enum conn_status conn_write(struct conn *, const void *p, size_t n,
		    uint64_t deadline);
/* conn_printf - queue formatted text (at most the output buffer's size) */
enum conn_status conn_printf(struct conn *, uint64_t deadline,
		    const char *fmt, ...)
		    __attribute__((__format__(__printf__, 3, 4)));
/* conn_flush - send everything queued (what is not sent stays queued) */
enum conn_status conn_flush(struct conn *, uint64_t deadline);
/* conn_queued - bytes queued and not sent yet */
size_t		 conn_queued(const struct conn *);

/*
 * conn_wait - park until the socket is ready for events (FIBER_IN,
 * FIBER_OUT), with the deadline and stop rules of the calls above: for a
 * byte layer's handshake. CONN_OK may be spurious: try the I/O.
 */
enum conn_status conn_wait(struct conn *, unsigned events, uint64_t deadline,
		    unsigned flags);

/* conn_error - why the last call failed ("" when it did not) */
const char	*conn_error(const struct conn *);
/* conn_strstatus - "ok", "eof", "timeout", ... for logs */
const char	*conn_strstatus(enum conn_status);

/*
 * conn_stop - a stop shared by many connections. conn_stop_begin(): from
 * now on idle waits end at once and the others at grace_end (a clock_ms()
 * value); parked fibers are woken to see it. Called from any thread.
 * conn_stop_new_child(): a stop that also stops when parent (not owned)
 * does, carrying the owner's data (conn_stop_data()). conn_stop_set():
 * conn_stop_begin() without the wake-up, for a caller that wakes the one
 * fiber concerned itself (fiber_kick()). conn_stop_stopping(): the stop
 * or its parent has begun.
 */
struct conn_stop *conn_stop_new(void);
struct conn_stop *conn_stop_new_child(const struct conn_stop *parent,
		    void *data);
void		 conn_stop_free(struct conn_stop *);
void		 conn_stop_set(struct conn_stop *, uint64_t grace_end);
void		 conn_stop_begin(struct conn_stop *, uint64_t grace_end);
int		 conn_stop_stopping(const struct conn_stop *);
void		*conn_stop_data(const struct conn_stop *);

#endif /* CONN_H */
