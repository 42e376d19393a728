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
	LOG_TARGET_SYSLOG,
	LOG_TARGET_FILE		/* log_open_file() */
};

void	log_init(enum log_target, int verbose);
void	log_set_verbose(int);
int	log_get_verbose(void);
/*
 * log_set_level - the most verbose level written (LOG_LEVEL_*): the same
 * knob as log_set_verbose(), named (verbose = level - LOG_LEVEL_INFO)
 */
void	log_set_level(int level);
/* log_level_parse - "error", "warning", "info", "debug": LOG_LEVEL_*, or -1 */
int	log_level_parse(const char *);
/*
 * log_set_timestamps - 1: lines to stderr or a file start with the local
 * time, "2026-12-03T06:51:45.123+0000 " (serve sets it; check does not)
 */
void	log_set_timestamps(int);
/*
 * log_open_file - from now on log to path (appended, created 0640): 0, or
 * -1 with errno and the previous target kept. log_reopen(): open the path
 * again (logrotate moved it) and put the new file in place of the old in
 * one dup2(), so no line is lost or torn; 0, or -1 with errno and the old
 * file kept; 0 and nothing done when not logging to a file.
 */
int	log_open_file(const char *path);
int	log_reopen(void);
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
