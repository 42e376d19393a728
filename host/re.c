/*
 * re - a thin PCRE2 wrapper shared by the regex plugin and Lua's pg.regex
 *
 * Public: re_compile(), re_free(), re_captures(), re_group_index(),
 * re_jit(), re_pattern(), re_flags(), re_find(), re_match(),
 * re_strerror(), re_md_new(), re_md_free(), re_thread_release().
 *
 * Uses libc, pthreads and libpcre2-8 only: the regex plugin compiles this
 * file into itself, so nothing here may call into the host.
 *
 * Ownership: a struct re owns its pcre2_code and a copy of the pattern
 * text; after re_compile() it is never written again, so concurrent
 * re_find() calls on one struct re are safe. The per-thread scratch space
 * is owned by the thread (a pthread key destructor frees it at thread
 * exit; re_thread_release() frees it earlier).
 *
 * Trust: patterns and subjects are untrusted bytes. PCRE2 bounds the work
 * of one match (its match and depth limits); hitting them is a negative
 * return, never a crash. Failures: NULL plus a reason (compile), a negative
 * PCRE2 code (match); nothing here logs or exits.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <pcre2.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "re.h"

struct re {
	pcre2_code	*code;
	size_t		 ncap;		/* capture groups, not counting group 0 */
	int		 jit;
	char		*pattern;	/* copy of the source, NUL-terminated */
	size_t		 len;
	char		 flags[8];	/* canonical flag letters, "imsxu" order */
};

struct re_md {
	pcre2_match_data *md;
	uint32_t	 pairs;		/* ovector pairs md has room for */
};

static pthread_once_t	tls_once = PTHREAD_ONCE_INIT;
static pthread_key_t	tls_key;
static int		tls_ok;
/* Mirror of the key's value, so leak checkers see it as reachable. */
static __thread struct re_md *tls_md;

/* tls_destroy - pthread key destructor: free a thread's scratch space */
static void
tls_destroy(void *p)
{
	re_md_free(p);
}

/* tls_init - create the key for per-thread scratch space, once */
static void
tls_init(void)
{
	tls_ok = pthread_key_create(&tls_key, tls_destroy) == 0;
}

/* tls_get - the calling thread's scratch space, created on first use */
static struct re_md *
tls_get(void)
{
	struct re_md *md;

	if (tls_md != NULL)
		return tls_md;
	pthread_once(&tls_once, tls_init);
	if ((md = re_md_new()) == NULL)
		return NULL;
	if (tls_ok && pthread_setspecific(tls_key, md) != 0) {
		re_md_free(md);
		return NULL;
	}
	/* Without a key (never seen in practice) the block lives until exit. */
	tls_md = md;
	return md;
}

/* md_reserve - make md room for pairs ovector pairs; 0 or -1 */
static int
md_reserve(struct re_md *md, uint32_t pairs)
{
	pcre2_match_data *nmd;

	if (md->md != NULL && md->pairs >= pairs)
		return 0;
	if (pairs < 10)
		pairs = 10;
	if ((nmd = pcre2_match_data_create(pairs, NULL)) == NULL)
		return -1;
	pcre2_match_data_free(md->md);
	md->md = nmd;
	md->pairs = pairs;
	return 0;
}

struct re_md *
re_md_new(void)
{
	struct re_md *md;

	if ((md = calloc(1, sizeof(*md))) == NULL)
		return NULL;
	if (md_reserve(md, 10) == -1) {
		free(md);
		return NULL;
	}
	return md;
}

void
re_md_free(struct re_md *md)
{
	if (md == NULL)
		return;
	pcre2_match_data_free(md->md);
	free(md);
}

void
re_thread_release(void)
{
	struct re_md *md = tls_md;

	if (md == NULL)
		return;
	tls_md = NULL;
	if (tls_ok)
		(void)pthread_setspecific(tls_key, NULL);
	re_md_free(md);
}

/* parse_flags - flag letters to PCRE2 options; -1 with a reason on error */
static int
parse_flags(const char *flags, uint32_t *options, char canon[8],
    char *err, size_t errlen)
{
	static const struct {
		char		 letter;
		uint32_t	 options;
	} table[] = {
		{ 'i', PCRE2_CASELESS },
		{ 'm', PCRE2_MULTILINE },
		{ 's', PCRE2_DOTALL },
		{ 'x', PCRE2_EXTENDED },
		{ 'u', PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF },
	};
	unsigned seen = 0;
	size_t i, n = 0;
	const char *p;

	*options = 0;
	for (p = flags ? flags : ""; *p != '\0'; p++) {
		for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
			if (table[i].letter == *p)
				break;
		if (i == sizeof(table) / sizeof(table[0])) {
			if ((unsigned char)*p >= 0x21 && (unsigned char)*p < 0x7f)
				snprintf(err, errlen, "unknown flag '%c'", *p);
			else
				snprintf(err, errlen, "unknown flag \\x%02x",
				    (unsigned char)*p);
			return -1;
		}
		*options |= table[i].options;
		seen |= 1u << i;
	}
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (seen & (1u << i))
			canon[n++] = table[i].letter;
	canon[n] = '\0';
	return 0;
}

struct re *
re_compile(const char *pattern, size_t len, const char *flags, unsigned opts,
    char *err, size_t errlen)
{
	char dummy[RE_ERR_MAX];
	PCRE2_UCHAR msg[RE_ERR_MAX];
	PCRE2_SIZE erroff;
	uint32_t options;
	uint32_t ncap;
	struct re *re;
	int errcode;

	if (err == NULL || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	if (pattern == NULL) {
		if (len != 0) {
			snprintf(err, errlen, "no pattern");
			return NULL;
		}
		pattern = "";
	}
	if ((re = calloc(1, sizeof(*re))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (parse_flags(flags, &options, re->flags, err, errlen) == -1) {
		free(re);
		return NULL;
	}
	re->code = pcre2_compile((PCRE2_SPTR)pattern, len, options, &errcode,
	    &erroff, NULL);
	if (re->code == NULL) {
		if (pcre2_get_error_message(errcode, msg, sizeof(msg)) ==
		    PCRE2_ERROR_BADDATA)
			snprintf((char *)msg, sizeof(msg), "error %d", errcode);
		snprintf(err, errlen, "%s at offset %zu", (char *)msg,
		    (size_t)erroff);
		free(re);
		return NULL;
	}
	if ((re->pattern = malloc(len + 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		re_free(re);
		return NULL;
	}
	memcpy(re->pattern, pattern, len);
	re->pattern[len] = '\0';
	re->len = len;
	(void)pcre2_pattern_info(re->code, PCRE2_INFO_CAPTURECOUNT, &ncap);
	re->ncap = ncap;
	/* No JIT (not built in, or no executable memory): interpret. */
	if (!(opts & RE_OPT_NOJIT) &&
	    pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE) == 0)
		re->jit = 1;
	return re;
}

void
re_free(struct re *re)
{
	if (re == NULL)
		return;
	pcre2_code_free(re->code);
	free(re->pattern);
	free(re);
}

size_t
re_captures(const struct re *re)
{
	return re->ncap;
}

int
re_group_index(const struct re *re, const char *name)
{
	int n;

	if (name == NULL)
		return -1;
	n = pcre2_substring_number_from_name(re->code, (PCRE2_SPTR)name);
	/* Duplicate names (?J) report PCRE2_ERROR_NOUNIQUESUBSTRING. */
	return n < 0 ? -1 : n;
}

int
re_jit(const struct re *re)
{
	return re->jit;
}

const char *
re_pattern(const struct re *re, size_t *len)
{
	if (len != NULL)
		*len = re->len;
	return re->pattern;
}

const char *
re_flags(const struct re *re)
{
	return re->flags;
}

int
re_find(const struct re *re, const char *subject, size_t len, size_t start,
    size_t *ovec, size_t npairs, int notempty_atstart, struct re_md *md)
{
	PCRE2_SIZE *ov;
	size_t k;
	int rc;

	if (subject == NULL) {
		if (len != 0)
			return PCRE2_ERROR_NULL;
		subject = "";
	}
	if (start > len)
		return PCRE2_ERROR_BADOFFSET;
	if (md == NULL && (md = tls_get()) == NULL)
		return PCRE2_ERROR_NOMEMORY;
	if (re->ncap + 1 > UINT32_MAX / 2 ||
	    md_reserve(md, (uint32_t)re->ncap + 1) == -1)
		return PCRE2_ERROR_NOMEMORY;
	/* pcre2_match() takes the JIT path by itself when there is one. */
	rc = pcre2_match(re->code, (PCRE2_SPTR)subject, len, start,
	    notempty_atstart ? PCRE2_NOTEMPTY_ATSTART : 0, md->md, NULL);
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (rc < 0)
		return rc;
	/* rc == 0 cannot happen: md has room for every group. */
	ov = pcre2_get_ovector_pointer(md->md);
	for (k = 0; k < npairs; k++) {
		if (rc > 0 && k < (size_t)rc) {
			ovec[2 * k] = ov[2 * k];
			ovec[2 * k + 1] = ov[2 * k + 1];
		} else {
			ovec[2 * k] = RE_UNSET;
			ovec[2 * k + 1] = RE_UNSET;
		}
	}
	return 1;
}

int
re_match(const struct re *re, const char *subject, size_t len,
    struct re_md *md)
{
	return re_find(re, subject, len, 0, NULL, 0, 0, md);
}

const char *
re_strerror(int code, char *buf, size_t len)
{
	if (buf == NULL || len == 0)
		return "";
	/* A too small buf gets a truncated text, which is fine. */
	if (pcre2_get_error_message(code, (PCRE2_UCHAR *)buf, len) ==
	    PCRE2_ERROR_BADDATA)
		snprintf(buf, len, "PCRE2 error %d", code);
	return buf;
}
