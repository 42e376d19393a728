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
 *
 * Prefilter (built with Hyperscan, RE_HYPERSCAN): a search of a subject of
 * RE_PREFILTER_MIN bytes or more first scans it with a Hyperscan database
 * of the same pattern compiled in prefilter mode, which reports a superset
 * of the pattern's matches at many times PCRE2's speed; no report means no
 * match, and PCRE2 runs only when there is one. The database is compiled
 * on the first such search (not at re_compile(): most patterns never see a
 * long subject), once per process for each (flags, pattern): struct re
 * objects with the same source share it (reference counted). A pattern
 * Hyperscan cannot take, or one whose meaning might differ between the two
 * engines (the 'u' and 'x' flags, \G, (* verbs, NUL bytes), or a PCRE2
 * built with a newline other than LF, simply has no prefilter. The only
 * state a struct re gains after re_compile() is that lazily built,
 * lock-protected pointer, so concurrent re_find() calls stay safe.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <limits.h>
#include <pcre2.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef RE_HYPERSCAN
#include <hs.h>
#endif

#include "re.h"

/* prefilter states of a struct re */
#define PF_UNTRIED	0	/* not built yet: built at the first long subject */
#define PF_READY	1
#define PF_NONE		2	/* none: every search runs PCRE2 alone */

struct pf;

struct re {
	pcre2_code	*code;
	size_t		 ncap;		/* capture groups, not counting group 0 */
	int		 jit;
	char		*pattern;	/* copy of the source, NUL-terminated */
	size_t		 len;
	char		 flags[8];	/* canonical flag letters, "imsxu" order */
	unsigned	 opts;		/* RE_OPT_* */
	atomic_int	 pf_state;	/* PF_* */
	struct pf	*pf;		/* set before pf_state becomes PF_READY */
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

#ifdef RE_HYPERSCAN
/* --- the Hyperscan prefilter --- */

/*
 * A prefilter database of one or more patterns (a struct re's, a set's),
 * shared by every user of the same patterns in the same order: each
 * interpreter of a script compiles the script's patterns, and compiling a
 * database takes milliseconds. Reference counted, under pf_lock.
 */
struct pf {
	struct pf	*next;
	char		*key;		/* per member: flags '/' pattern '\0' */
	size_t		 klen;
	hs_database_t	*db;		/* id = the member's index */
	unsigned char	*in_db;		/* which members it holds */
	unsigned	 refs;
};

static pthread_mutex_t	pf_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pf	*pf_all;
static int		 pf_usable = -1;	/* -1: not asked yet */
static pthread_once_t	pf_key_once = PTHREAD_ONCE_INIT;
static pthread_key_t	pf_key;
static int		pf_key_ok;
/*
 * Scan scratch: pf_proto is grown to fit every database built (under
 * pf_lock, then pf_gen moves on); a thread clones it when its own copy is
 * older than pf_gen. (hs_alloc_scratch() on every scan would be simpler,
 * but it costs more than a scan of a few KiB.)
 */
static hs_scratch_t	*pf_proto;
static atomic_uint	 pf_gen;
static __thread unsigned tls_gen;
/* Mirror of the key's value, so leak checkers see it as reachable. */
static __thread hs_scratch_t *tls_scratch;

static unsigned		 pf_hs_flags(const struct re *);
static hs_scratch_t	*pf_scratch(void);

/* pf_scratch_destroy - pthread key destructor: a thread's scan scratch */
static void
pf_scratch_destroy(void *p)
{
	hs_free_scratch(p);
}

static void
pf_key_init(void)
{
	pf_key_ok = pthread_key_create(&pf_key, pf_scratch_destroy) == 0;
}

/*
 * pf_platform - whether prefilters may be used at all: Hyperscan runs on
 * this CPU, and PCRE2's newline is LF as Hyperscan's is (with CR or CRLF
 * newlines ^ $ and . would mean other things in the two engines).
 * Called with pf_lock held.
 */
static int
pf_platform(void)
{
	uint32_t nl = 0;

	if (pf_usable == -1)
		pf_usable = hs_valid_platform() == HS_SUCCESS &&
		    pcre2_config(PCRE2_CONFIG_NEWLINE, &nl) >= 0 &&
		    nl == PCRE2_NEWLINE_LF;
	return pf_usable;
}

/* pf_eligible - whether re's source means the same to both engines */
static int
pf_eligible(const struct re *re)
{
	if (re->opts & RE_OPT_NOPREFILTER)
		return 0;
	/* UTF and Unicode properties: the two engines' case folding and
	 * classes could differ; extended syntax: comment rules could */
	if (strchr(re->flags, 'u') != NULL || strchr(re->flags, 'x') != NULL)
		return 0;
	/* NUL inside (Hyperscan takes a C string), \G (the start offset),
	 * (*VERB) and (*LF)-style settings PCRE2 alone knows */
	if (memchr(re->pattern, '\0', re->len) != NULL ||
	    strstr(re->pattern, "\\G") != NULL ||
	    strstr(re->pattern, "(*") != NULL)
		return 0;
	return 1;
}

/* pf_free - a database nobody uses */
static void
pf_free(struct pf *pf)
{
	if (pf->db != NULL)
		hs_free_database(pf->db);
	free(pf->in_db);
	free(pf->key);
	free(pf);
}

/*
 * pf_compile - compile pf's eligible members (in_db) into one database; a
 * member Hyperscan refuses is left out (PCRE2 alone searches it) and the
 * rest compiled again. 0, or -1 when there is no database.
 */
static int
pf_compile(struct pf *pf, struct re *const *res, size_t n)
{
	hs_compile_error_t *cerr;
	const char **exprs;
	unsigned *flags, *ids;
	size_t i, k;
	int rc = -1;

	exprs = calloc(n, sizeof(*exprs));
	flags = calloc(n, sizeof(*flags));
	ids = calloc(n, sizeof(*ids));
	if (exprs == NULL || flags == NULL || ids == NULL)
		goto out;
	for (;;) {
		for (i = k = 0; i < n; i++)
			if (pf->in_db[i]) {
				exprs[k] = res[i]->pattern;
				flags[k] = pf_hs_flags(res[i]);
				ids[k++] = (unsigned)i;
			}
		if (k == 0)
			goto out;
		cerr = NULL;
		if (hs_compile_multi(exprs, flags, ids, (unsigned)k,
		    HS_MODE_BLOCK, NULL, &pf->db, &cerr) == HS_SUCCESS)
			break;
		pf->db = NULL;
		/* the member it names goes to PCRE2 alone; without a name,
		 * give up the database */
		if (cerr == NULL || cerr->expression < 0 ||
		    (size_t)cerr->expression >= k) {
			hs_free_compile_error(cerr);
			goto out;
		}
		pf->in_db[ids[cerr->expression]] = 0;
		hs_free_compile_error(cerr);
	}
	if (hs_alloc_scratch(pf->db, &pf_proto) != HS_SUCCESS)
		goto out;
	atomic_fetch_add(&pf_gen, 1);
	rc = 0;
out:
	free(exprs);
	free(flags);
	free(ids);
	return rc;
}

/*
 * pf_get - the database of the patterns res[0..n), found or compiled, with
 * a reference for the caller; NULL when there is none (no member Hyperscan
 * takes, no memory). Called with pf_lock held.
 */
static struct pf *
pf_get(struct re *const *res, size_t n)
{
	struct pf *pf;
	size_t i, klen = 0, o, fl;
	char *key;

	if (n == 0 || n > UINT_MAX || !pf_platform())
		return NULL;
	/* every member's flags and source (which may hold NULs: compared
	 * with memcmp, and such a member stays out of the database) */
	for (i = 0; i < n; i++)
		klen += strlen(res[i]->flags) + 1 + res[i]->len + 1;
	if ((key = malloc(klen)) == NULL)
		return NULL;
	for (i = o = 0; i < n; i++) {
		fl = strlen(res[i]->flags);
		memcpy(key + o, res[i]->flags, fl);
		o += fl;
		key[o++] = '/';
		memcpy(key + o, res[i]->pattern, res[i]->len);
		o += res[i]->len;
		key[o++] = '\0';
	}
	for (pf = pf_all; pf != NULL; pf = pf->next)
		if (pf->klen == klen && memcmp(pf->key, key, klen) == 0) {
			free(key);
			pf->refs++;
			return pf;
		}
	if ((pf = calloc(1, sizeof(*pf))) == NULL) {
		free(key);
		return NULL;
	}
	pf->key = key;
	pf->klen = klen;
	if ((pf->in_db = calloc(n, 1)) == NULL) {
		pf_free(pf);
		return NULL;
	}
	for (i = 0; i < n; i++)
		pf->in_db[i] = pf_eligible(res[i]);
	if (pf_compile(pf, res, n) == -1) {
		pf_free(pf);
		return NULL;
	}
	pf->refs = 1;
	pf->next = pf_all;
	pf_all = pf;
	return pf;
}

/* pf_put - drop a reference to pf (NULL: none) */
static void
pf_put(struct pf *pf)
{
	struct pf **pp;

	if (pf == NULL)
		return;
	pthread_mutex_lock(&pf_lock);
	if (--pf->refs == 0) {
		for (pp = &pf_all; *pp != NULL; pp = &(*pp)->next)
			if (*pp == pf) {
				*pp = pf->next;
				break;
			}
		pf_free(pf);
	}
	pthread_mutex_unlock(&pf_lock);
}

/*
 * pf_build - the first long subject of a pattern or set (state, *pfp) finds
 * or compiles the database of res[0..n); PF_READY or PF_NONE
 */
static int
pf_build(atomic_int *state, struct pf **pfp, struct re *const *res, size_t n)
{
	int st;

	pthread_mutex_lock(&pf_lock);
	/* another thread may have built it meanwhile */
	if ((st = atomic_load(state)) == PF_UNTRIED) {
		*pfp = pf_get(res, n);
		st = *pfp != NULL ? PF_READY : PF_NONE;
		atomic_store(state, st);
	}
	pthread_mutex_unlock(&pf_lock);
	return st;
}

/*
 * pf_scratch - the calling thread's scan scratch, fit for every database
 * built so far; NULL on no memory
 */
static hs_scratch_t *
pf_scratch(void)
{
	hs_scratch_t *s = NULL;

	if (tls_scratch != NULL && tls_gen == atomic_load(&pf_gen))
		return tls_scratch;
	/* a database is newer than this thread's scratch */
	pthread_once(&pf_key_once, pf_key_init);
	pthread_mutex_lock(&pf_lock);
	if (pf_proto == NULL || hs_clone_scratch(pf_proto, &s) != HS_SUCCESS) {
		pthread_mutex_unlock(&pf_lock);
		return NULL;
	}
	tls_gen = atomic_load(&pf_gen);
	pthread_mutex_unlock(&pf_lock);
	if (tls_scratch != NULL)
		hs_free_scratch(tls_scratch);
	tls_scratch = s;
	if (pf_key_ok)
		(void)pthread_setspecific(pf_key, s);
	return s;
}

/* pf_hs_flags - Hyperscan flags for re's flag letters, in prefilter mode */
static unsigned
pf_hs_flags(const struct re *re)
{
	unsigned flags = HS_FLAG_PREFILTER | HS_FLAG_SINGLEMATCH |
	    HS_FLAG_ALLOWEMPTY;

	if (strchr(re->flags, 'i') != NULL)
		flags |= HS_FLAG_CASELESS;
	if (strchr(re->flags, 'm') != NULL)
		flags |= HS_FLAG_MULTILINE;
	if (strchr(re->flags, 's') != NULL)
		flags |= HS_FLAG_DOTALL;
	return flags;
}

/* pf_hit - scan callback: the first report is enough */
static int
pf_hit(unsigned int id, unsigned long long from, unsigned long long to,
    unsigned int flags, void *ctx)
{
	(void)id;
	(void)from;
	(void)to;
	(void)flags;
	*(int *)ctx = 1;
	return 1;	/* stop scanning */
}

/*
 * pf_may_match - 0 when the prefilter proves that re matches nowhere in
 * subject, 1 when PCRE2 must look (a report, no prefilter, or any failure)
 */
static int
pf_may_match(const struct re *cre, const char *subject, size_t len)
{
	struct re *re = (struct re *)cre;	/* only pf and pf_state change */
	hs_scratch_t *s;
	hs_error_t e;
	int hit = 0, state = atomic_load(&re->pf_state);

	if (state == PF_UNTRIED)
		state = pf_build(&re->pf_state, &re->pf, &re, 1);
	if (state != PF_READY || len > UINT_MAX || (s = pf_scratch()) == NULL)
		return 1;
	e = hs_scan(re->pf->db, subject, (unsigned int)len, 0, s, pf_hit, &hit);
	if (e != HS_SUCCESS && e != HS_SCAN_TERMINATED)
		return 1;
	return hit;
}
#endif /* RE_HYPERSCAN */

void
re_thread_release(void)
{
	struct re_md *md = tls_md;

#ifdef RE_HYPERSCAN
	if (tls_scratch != NULL) {
		if (pf_key_ok)
			(void)pthread_setspecific(pf_key, NULL);
		hs_free_scratch(tls_scratch);
		tls_scratch = NULL;
	}
#endif
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
	re->opts = opts;
	atomic_init(&re->pf_state, PF_UNTRIED);
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
#ifdef RE_HYPERSCAN
	pf_put(re->pf);
#endif
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

/* find - re_find(), with the pattern's own prefilter or without it */
static int
find(const struct re *re, const char *subject, size_t len, size_t start,
    size_t *ovec, size_t npairs, int notempty_atstart, struct re_md *md,
    int prefilter)
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
#ifdef RE_HYPERSCAN
	/* a match from start is a match in the whole subject: when the
	 * prefilter finds none there, there is none */
	if (prefilter && (len >= RE_PREFILTER_MIN ||
	    (re->opts & RE_OPT_PREFILTER)) && !pf_may_match(re, subject, len))
		return 0;
#else
	(void)prefilter;
#endif
	if (md == NULL && (md = tls_get()) == NULL)
		return PCRE2_ERROR_NOMEMORY;
	if (re->ncap + 1 > UINT32_MAX / 2 ||
	    md_reserve(md, (uint32_t)re->ncap + 1) == -1)
		return PCRE2_ERROR_NOMEMORY;
	/*
	 * A JIT-compiled pattern goes to pcre2_jit_match() directly, which
	 * skips pcre2_match()'s argument checks (done above) and costs less
	 * than half as much per call: it counts when a rule runs on every
	 * line of a body. It never checks UTF-8, which is right: 'u'
	 * patterns are compiled with PCRE2_MATCH_INVALID_UTF.
	 */
	if (re->jit)
		rc = pcre2_jit_match(re->code, (PCRE2_SPTR)subject, len, start,
		    notempty_atstart ? PCRE2_NOTEMPTY_ATSTART : 0, md->md, NULL);
	else
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
re_find(const struct re *re, const char *subject, size_t len, size_t start,
    size_t *ovec, size_t npairs, int notempty_atstart, struct re_md *md)
{
	return find(re, subject, len, start, ovec, npairs, notempty_atstart,
	    md, 1);
}

/* --- sets --- */

struct re_set {
	struct re	**res;		/* not owned */
	size_t		 n;
	unsigned	 opts;
	atomic_int	 state;		/* PF_*: the set's database */
	struct pf	*pf;		/* set before state becomes PF_READY */
};

struct re_set *
re_set_new(struct re *const *res, size_t n, unsigned opts)
{
	struct re_set *set;

	if ((set = calloc(1, sizeof(*set))) == NULL ||
	    (set->res = calloc(n ? n : 1, sizeof(*set->res))) == NULL) {
		free(set);
		return NULL;
	}
	if (n > 0)
		memcpy(set->res, res, n * sizeof(*res));
	set->n = n;
	set->opts = opts;
	atomic_init(&set->state, PF_UNTRIED);
	return set;
}

void
re_set_free(struct re_set *set)
{
	if (set == NULL)
		return;
#ifdef RE_HYPERSCAN
	pf_put(set->pf);
#endif
	free(set->res);
	free(set);
}

#ifdef RE_HYPERSCAN

/* set_hit - scan callback: mark the member the report names */
static int
set_hit(unsigned int id, unsigned long long from, unsigned long long to,
    unsigned int flags, void *ctx)
{
	(void)from;
	(void)to;
	(void)flags;
	((unsigned char *)ctx)[id] = 1;
	return 0;	/* go on: other members may match too */
}
#endif /* RE_HYPERSCAN */

int
re_set_match(struct re_set *set, const char *subject, size_t len,
    size_t start, unsigned char *hit, struct re_md *md)
{
	size_t i;
	int rc, nhit = 0, scanned = 0;

	if (subject == NULL) {
		if (len != 0)
			return PCRE2_ERROR_NULL;
		subject = "";
	}
	if (start > len)
		return PCRE2_ERROR_BADOFFSET;
	memset(hit, 0, set->n);
#ifdef RE_HYPERSCAN
	if ((len >= RE_PREFILTER_MIN || (set->opts & RE_OPT_PREFILTER)) &&
	    !(set->opts & RE_OPT_NOPREFILTER) && len <= UINT_MAX) {
		hs_scratch_t *s;
		int state = atomic_load(&set->state);
		hs_error_t e;

		if (state == PF_UNTRIED)
			state = pf_build(&set->state, &set->pf, set->res,
			    set->n);
		/* one scan marks the candidates among the members it holds */
		if (state == PF_READY && (s = pf_scratch()) != NULL) {
			e = hs_scan(set->pf->db, subject, (unsigned int)len, 0,
			    s, set_hit, hit);
			scanned = e == HS_SUCCESS || e == HS_SCAN_TERMINATED;
			if (!scanned)
				memset(hit, 0, set->n);
		}
	}
#endif
	for (i = 0; i < set->n; i++) {
#ifdef RE_HYPERSCAN
		/* a member the scan covered and did not report cannot match */
		if (scanned && set->pf->in_db[i] && !hit[i])
			continue;
#endif
		rc = find(set->res[i], subject, len, start, NULL, 0, 0, md,
		    !scanned);
		if (rc < 0)
			return rc;
		hit[i] = (unsigned char)rc;
		nhit += rc;
	}
	return nhit;
}

int
re_match(const struct re *re, const char *subject, size_t len,
    struct re_md *md)
{
	return re_find(re, subject, len, 0, NULL, 0, 0, md);
}

int
re_prefiltered(const struct re *cre)
{
#ifdef RE_HYPERSCAN
	struct re *re = (struct re *)cre;
	int state = atomic_load(&re->pf_state);

	if (state == PF_UNTRIED)
		state = pf_build(&re->pf_state, &re->pf, &re, 1);
	return state == PF_READY;
#else
	(void)cre;
	return 0;
#endif
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
