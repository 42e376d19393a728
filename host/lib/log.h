/*
 * log - the daemon's logging, after OpenSMTPD's log.h
 *
 * log_warn() appends strerror(errno), log_warnx() does not. fatal() and
 * fatalx() are for startup and broken invariants only. Text that comes from
 * clients, plugins or scripts goes through log_escape() first.
 */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>
#include <stddef.h>

enum log_target {
	LOG_TARGET_STDERR = 0,
	LOG_TARGET_SYSLOG
};

void	log_init(enum log_target, int verbose);
void	log_set_verbose(int);
int	log_get_verbose(void);
void	log_warn(const char *, ...) __attribute__((__format__(__printf__, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((__format__(__printf__, 1, 2)));
void	log_info(const char *, ...) __attribute__((__format__(__printf__, 1, 2)));
void	log_debug(const char *, ...) __attribute__((__format__(__printf__, 1, 2)));
void	log_msg_level(int level, const char *, ...) __attribute__((__format__(__printf__, 2, 3)));
void	log_vmsg(int level, const char *, va_list) __attribute__((__format__(__printf__, 2, 0)));
void	fatal(const char *, ...) __attribute__((__format__(__printf__, 1, 2), __noreturn__));
void	fatalx(const char *, ...) __attribute__((__format__(__printf__, 1, 2), __noreturn__));

/* log levels for log_vmsg(), same numbers as enum pg_log_level */
#define LOG_LEVEL_ERR	0
#define LOG_LEVEL_WARN	1
#define LOG_LEVEL_INFO	2
#define LOG_LEVEL_DEBUG	3

/*
 * log_escape - copy src (len bytes) into dst (dstlen bytes, NUL-terminated),
 * escaping control and 8-bit bytes as \xNN and backslash as \\; truncates
 * with "..." when dst is too small. Returns dst.
 */
char	*log_escape(char *dst, size_t dstlen, const char *src, size_t len);

#endif /* LOG_H */
