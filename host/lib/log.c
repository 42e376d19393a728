/*
 * log - logging to stderr or syslog, after OpenSMTPD's log.c
 *
 * Thread-safe: one line is formatted into a local buffer and written with a
 * single write(2) (stderr) or syslog(3) call. Messages are not escaped
 * here: callers escape untrusted text with log_escape().
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static enum log_target target = LOG_TARGET_STDERR;
static int log_verbose;

void
log_init(enum log_target t, int verbose)
{
	target = t;
	log_verbose = verbose;
	if (t == LOG_TARGET_SYSLOG)
		openlog("phasegate", LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void
log_set_verbose(int v)
{
	log_verbose = v;
}

int
log_get_verbose(void)
{
	return log_verbose;
}

void
log_vmsg(int level, const char *fmt, va_list ap)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	static const char *name[] = { "error", "warning", "info", "debug" };
	char buf[8192];
	int n;

	if (level < LOG_LEVEL_ERR || level > LOG_LEVEL_DEBUG)
		level = LOG_LEVEL_ERR;
	if ((level == LOG_LEVEL_DEBUG && log_verbose < 1) ||
	    (level == LOG_LEVEL_INFO && log_verbose < 0))
		return;
	if (target == LOG_TARGET_SYSLOG) {
		vsnprintf(buf, sizeof(buf), fmt, ap);
		syslog(prio[level], "%s", buf);
		return;
	}
	n = snprintf(buf, sizeof(buf), "phasegate: %s: ", name[level]);
	if (n < 0)
		return;
	vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	n = strlen(buf);
	buf[n++] = '\n';
	(void)!write(STDERR_FILENO, buf, n);
}

#define LOG_BODY(level)				\
	va_list ap;				\
	va_start(ap, fmt);			\
	log_vmsg(level, fmt, ap);		\
	va_end(ap)

void
log_warnx(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_WARN);
}

void
log_info(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_INFO);
}

void
log_debug(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_DEBUG);
}

void
log_msg_level(int level, const char *fmt, ...)
{
	LOG_BODY(level);
}

/*
 * log_with - log at level: prefix, the formatted message and, when err is
 * not 0, ": strerror(err)"
 */
static void
log_with(int level, const char *prefix, int err, const char *fmt, va_list ap)
    __attribute__((__format__(__printf__, 4, 0)));

static void
log_with(int level, const char *prefix, int err, const char *fmt, va_list ap)
{
	char buf[4096];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (err != 0)
		log_msg_level(level, "%s%s: %s", prefix, buf, strerror(err));
	else
		log_msg_level(level, "%s%s", prefix, buf);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	log_with(LOG_LEVEL_WARN, "", saved, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	log_with(LOG_LEVEL_ERR, "fatal: ", saved, fmt, ap);
	va_end(ap);
	exit(2);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_with(LOG_LEVEL_ERR, "fatal: ", 0, fmt, ap);
	va_end(ap);
	exit(2);
}

char *
log_escape(char *dst, size_t dstlen, const char *src, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	if (dstlen == 0)
		return dst;
	for (i = 0; i < len; i++) {
		unsigned char c = src[i];
		char esc[5];
		size_t n;

		if (c == '\\') {
			esc[0] = '\\'; esc[1] = '\\'; n = 2;
		} else if (c < 0x20 || c >= 0x7f) {
			esc[0] = '\\'; esc[1] = 'x';
			esc[2] = hex[c >> 4]; esc[3] = hex[c & 15]; n = 4;
		} else {
			esc[0] = c; n = 1;
		}
		if (o + n + 4 > dstlen) {	/* room for "..." and NUL */
			if (dstlen >= 4) {
				memcpy(dst + (o < dstlen - 4 ? o : dstlen - 4), "...", 4);
				return dst;
			}
			break;
		}
		memcpy(dst + o, esc, n);
		o += n;
	}
	dst[o < dstlen ? o : dstlen - 1] = '\0';
	return dst;
}
