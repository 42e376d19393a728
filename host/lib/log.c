/*
 * log - logging to stderr, a file or syslog, after OpenSMTPD's log.c
 *
 * Thread-safe: one line is formatted into a local buffer and written with a
 * single write(2) (stderr, file) or syslog(3) call. Messages are not
 * escaped here: callers escape untrusted text with log_escape(); a line
 * end that is left in a message all the same (a multi-line reply) becomes
 * one space (CRLF, CR or LF alike), so one record is one physical line.
 *
 * The log file (log_open_file()) is reopened by log_reopen() (SIGUSR1,
 * logrotate): the new descriptor is dup2()ed over the one writers use, so
 * a write in flight goes to the old file or the new, never nowhere.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static enum log_target target = LOG_TARGET_STDERR;
static _Atomic int log_verbose;
static int log_stamps;
static int log_fd = -1;		/* LOG_TARGET_FILE */
static char *log_path;

void
log_init(enum log_target t, int verbose)
{
	target = t;
	log_verbose = verbose;
	if (t == LOG_TARGET_SYSLOG)
		openlog("phasegate", LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void
log_set_level(int level)
{
	log_verbose = level - LOG_LEVEL_INFO;
}

int
log_level_parse(const char *s)
{
	static const char *names[] = { "error", "warning", "info", "debug" };
	int i;

	for (i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

void
log_set_timestamps(int on)
{
	log_stamps = on;
}

/* open_log - the log file, appended, close-on-exec */
static int
open_log(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

int
log_open_file(const char *path)
{
	char *p;
	int fd;

	if ((p = strdup(path)) == NULL)
		return -1;
	if ((fd = open_log(path)) == -1) {
		free(p);
		return -1;
	}
	if (log_fd != -1) {	/* a second call: the new file over the old */
		(void)dup2(fd, log_fd);
		close(fd);
	} else
		log_fd = fd;
	free(log_path);
	log_path = p;
	target = LOG_TARGET_FILE;
	return 0;
}

int
log_reopen(void)
{
	int fd;

	if (target != LOG_TARGET_FILE || log_path == NULL)
		return 0;
	if ((fd = open_log(log_path)) == -1)
		return -1;
	if (dup2(fd, log_fd) == -1) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	close(fd);
	return 0;
}

/* stamp - "2026-12-03T06:51:45.123+0000 " into buf; its length */
static int
stamp(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char zone[8];
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (localtime_r(&ts.tv_sec, &tm) == NULL)
		return 0;
	n = (int)strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	if (strftime(zone, sizeof(zone), "%z", &tm) == 0)
		zone[0] = '\0';
	n += snprintf(buf + n, len - n, ".%03ld%s ", ts.tv_nsec / 1000000, zone);
	return n;
}

/*
 * one_line - a line end left in s[from..n) (CRLF, CR or LF) becomes one
 * space; the new length
 */
static int
one_line(char *s, int from, int n)
{
	int i, o = from;

	for (i = from; i < n; i++) {
		if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')
			continue;
		s[o++] = s[i] == '\r' || s[i] == '\n' ? ' ' : s[i];
	}
	s[o] = '\0';
	return o;
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
	int n, start;

	if (level < LOG_LEVEL_ERR || level > LOG_LEVEL_DEBUG)
		level = LOG_LEVEL_ERR;
	if (level > LOG_LEVEL_INFO + log_verbose)
		return;
	if (target == LOG_TARGET_SYSLOG) {
		vsnprintf(buf, sizeof(buf), fmt, ap);
		(void)one_line(buf, 0, (int)strlen(buf));
		syslog(prio[level], "%s", buf);
		return;
	}
	n = log_stamps ? stamp(buf, 64) : 0;
	n += snprintf(buf + n, sizeof(buf) - n, "phasegate: %s: ", name[level]);
	start = n;
	vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	n = one_line(buf, start, (int)strlen(buf));
	buf[n++] = '\n';
	(void)!write(target == LOG_TARGET_FILE ? log_fd : STDERR_FILENO,
	    buf, n);
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
