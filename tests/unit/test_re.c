/*
 * test_re - unit tests of the PCRE2 wrapper (host/re.c)
 *
 * Table-driven: compile errors with PCRE2's message and offset, flag
 * letters, captures, UTF-8, start offsets, and every match row run both
 * JIT-compiled and interpreted with the same expected result. A threaded
 * test matches one shared pattern from several threads with the per-thread
 * scratch space. The Hyperscan prefilter (when built with it) is checked
 * differentially: every pattern of a table of constructs, run with the
 * prefilter forced on and with it off, over many generated subjects, must
 * give the same result and offsets; long subjects use it by themselves.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <pcre2.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "re.h"

#define S(lit)	lit, sizeof(lit) - 1

/* Compile errors: the exact reason text. */
static const struct {
	const char	*pattern;
	const char	*flags;
	const char	*err;
} badrows[] = {
	{ "(abc", "", "missing closing parenthesis at offset 4" },
	{ "abc)", "", "unmatched closing parenthesis at offset 3" },
	{ "[z-a]", "", "range out of order in character class at offset 3" },
	{ "a{3,1}", "", "numbers out of order in {} quantifier at offset 5" },
	{ "ab\\", "", "\\ at end of pattern at offset 3" },
	{ "*a", "", "quantifier does not follow a repeatable item at offset 0" },
	{ "(?<n>a)(?<n>b)", "", "two named subpatterns have the same name (PCRE2_DUPNAMES not set) at offset 12" },
	{ "\xff", "u", "UTF-8 error: illegal byte (0xfe or 0xff) at offset 0" },
	{ "abc", "q", "unknown flag 'q'" },
	{ "abc", "iZ", "unknown flag 'Z'" },
	{ "abc", "g", "unknown flag 'g'" },
	{ "abc", "i\x01", "unknown flag \\x01" },
};

static void
test_compile_errors(void **state)
{
	char err[RE_ERR_MAX];
	struct re *re;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(badrows) / sizeof(badrows[0]); i++) {
		memset(err, 'X', sizeof(err));
		re = re_compile(badrows[i].pattern, strlen(badrows[i].pattern),
		    badrows[i].flags, 0, err, sizeof(err));
		if (re != NULL)
			fail_msg("row %zu: /%s/%s compiled", i, badrows[i].pattern,
			    badrows[i].flags);
		if (strcmp(err, badrows[i].err) != 0)
			fail_msg("row %zu: got \"%s\", want \"%s\"", i, err,
			    badrows[i].err);
	}
}

/* A short err buffer truncates, never overflows; NULL err is allowed. */
static void
test_compile_errbuf(void **state)
{
	char err[8 + 1];

	(void)state;
	memset(err, 'X', sizeof(err));
	assert_null(re_compile(S("(abc"), "", 0, err, 8));
	assert_string_equal(err, "missing");
	assert_int_equal(err[8], 'X');
	assert_null(re_compile(S("(abc"), "", 0, NULL, 0));
	assert_null(re_compile(NULL, 3, "", 0, err, sizeof(err)));
}

/* Match rows: expected rc and up to 3 capture pairs (-1: RE_UNSET). */
struct mrow {
	const char	*pattern;
	size_t		 plen;
	const char	*flags;
	const char	*subject;
	size_t		 slen;
	size_t		 start;
	int		 notempty;
	int		 rc;
	long		 ov[6];
};

#define U	-1L
static const struct mrow rows[] = {
	/* plain and flags */
	{ S("hello"), "", S("say hello"), 0, 0, 1, { 4, 9, U, U, U, U } },
	{ S("HELLO"), "", S("say hello"), 0, 0, 0, { 0 } },
	{ S("HELLO"), "i", S("say hello"), 0, 0, 1, { 4, 9, U, U, U, U } },
	{ S("^b$"), "", S("a\nb\nc"), 0, 0, 0, { 0 } },
	{ S("^b$"), "m", S("a\nb\nc"), 0, 0, 1, { 2, 3, U, U, U, U } },
	{ S("a.b"), "", S("a\nb"), 0, 0, 0, { 0 } },
	{ S("a.b"), "s", S("a\nb"), 0, 0, 1, { 0, 3, U, U, U, U } },
	{ S("a b  c # comment"), "x", S("xabc"), 0, 0, 1, { 1, 4, U, U, U, U } },
	{ S("a b c"), "", S("xabc"), 0, 0, 0, { 0 } },
	{ S("A.B"), "ismxu", S("a\nb"), 0, 0, 1, { 0, 3, U, U, U, U } },
	{ S("a"), "ii", S("A"), 0, 0, 1, { 0, 1, U, U, U, U } },
	/* captures */
	{ S("(\\d+)-(\\d+)"), "", S("tel 12-345."), 0, 0, 1, { 4, 10, 4, 6, 7, 10 } },
	{ S("(a)|(b)"), "", S("xb"), 0, 0, 1, { 1, 2, U, U, 1, 2 } },
	{ S("(a)(x)?"), "", S("a"), 0, 0, 1, { 0, 1, 0, 1, U, U } },
	{ S("(?<user>[^@]+)@(?<dom>.+)"), "", S("joe@example.org"), 0, 0, 1, { 0, 15, 0, 3, 4, 15 } },
	{ S("()"), "", S(""), 0, 0, 1, { 0, 0, 0, 0, U, U } },
	/* start offsets and empty matches */
	{ S("a"), "", S("aXa"), 1, 0, 1, { 2, 3, U, U, U, U } },
	{ S("^a"), "", S("aXa"), 1, 0, 0, { 0 } },
	{ S("x*"), "", S("ab"), 0, 0, 1, { 0, 0, U, U, U, U } },
	{ S("x*"), "", S("ab"), 0, 1, 1, { 1, 1, U, U, U, U } },
	{ S("a|"), "", S("ba"), 0, 1, 1, { 1, 2, U, U, U, U } },
	{ S("x"), "", S("ab"), 2, 0, 0, { 0 } },
	/* UTF-8 */
	{ S("^.$"), "", S("\xc3\xa9"), 0, 0, 0, { 0 } },
	{ S("^.$"), "u", S("\xc3\xa9"), 0, 0, 1, { 0, 2, U, U, U, U } },
	{ S("\\w+"), "", S("\xe6\x97\xa5\xe6\x9c\xac"), 0, 0, 0, { 0 } },
	{ S("\\w+"), "u", S("\xe6\x97\xa5\xe6\x9c\xac"), 0, 0, 1, { 0, 6, U, U, U, U } },
	{ S("\xc3\x89t\xc3\xa9"), "i", S("\xc3\xa9t\xc3\xa9"), 0, 0, 0, { 0 } },
	{ S("\xc3\x89t\xc3\xa9"), "iu", S("\xc3\xa9T\xc3\xa9"), 0, 0, 1, { 0, 5, U, U, U, U } },
	{ S("\\bfoo\\b"), "u", S("\xc3\xa9" "foo"), 0, 0, 0, { 0 } },
	{ S("\\bfoo\\b"), "", S("\xc3\xa9" "foo"), 0, 0, 1, { 2, 5, U, U, U, U } },
	/* invalid UTF-8 subject with 'u': no error, invalid bytes never match */
	{ S("b+"), "u", S("a\xff\xfe" "bb"), 0, 0, 1, { 3, 5, U, U, U, U } },
	{ S("a.b"), "u", S("a\xff" "b"), 0, 0, 0, { 0 } },
	{ S("\\xff"), "", S("a\xff" "b"), 0, 0, 1, { 1, 2, U, U, U, U } },
	/* NUL bytes in pattern and subject */
	{ "a\0b", 3, "", "xa\0b", 4, 0, 0, 1, { 1, 4, U, U, U, U } },
	{ S("a\\x00b"), "", "xa\0b", 4, 0, 0, 1, { 1, 4, U, U, U, U } },
	{ S("^$"), "", NULL, 0, 0, 0, 1, { 0, 0, U, U, U, U } },
	/* errors */
	{ S("a"), "", S("ab"), 3, 0, PCRE2_ERROR_BADOFFSET, { 0 } },
};
#undef U

/* run_rows - every match row, with the given compile options */
static void
run_rows(unsigned opts)
{
	char err[RE_ERR_MAX];
	size_t ov[6];
	struct re *re;
	size_t i, k;
	int rc;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct mrow *r = &rows[i];

		re = re_compile(r->pattern, r->plen, r->flags, opts, err,
		    sizeof(err));
		if (re == NULL)
			fail_msg("row %zu: compile: %s", i, err);
		for (k = 0; k < 6; k++)
			ov[k] = 12345;
		rc = re_find(re, r->subject, r->slen, r->start, ov, 3,
		    r->notempty, NULL);
		if (rc != r->rc)
			fail_msg("row %zu (opts %u): rc %d, want %d", i, opts,
			    rc, r->rc);
		for (k = 0; k < 6; k++) {
			size_t want = r->rc == 1 ? (r->ov[k] < 0 ? RE_UNSET :
			    (size_t)r->ov[k]) : 12345;

			if (ov[k] != want)
				fail_msg("row %zu (opts %u): ov[%zu] = %zd, "
				    "want %zd", i, opts, k, (ssize_t)ov[k],
				    (ssize_t)want);
		}
		if (r->start == 0 && !r->notempty && r->rc >= 0)
			assert_int_equal(re_match(re, r->subject, r->slen,
			    NULL), r->rc);
		re_free(re);
	}
}

static void
test_match_jit(void **state)
{
	uint32_t jit = 0;
	char err[RE_ERR_MAX];
	struct re *re;

	(void)state;
	(void)pcre2_config(PCRE2_CONFIG_JIT, &jit);
	re = re_compile(S("a+b"), "", 0, err, sizeof(err));
	assert_non_null(re);
	/* JIT whenever the library has it (Debian's has). */
	assert_int_equal(re_jit(re), jit ? 1 : 0);
	re_free(re);
	run_rows(0);
}

static void
test_match_nojit(void **state)
{
	char err[RE_ERR_MAX];
	struct re *re;

	(void)state;
	re = re_compile(S("a+b"), "", RE_OPT_NOJIT, err, sizeof(err));
	assert_non_null(re);
	assert_int_equal(re_jit(re), 0);
	re_free(re);
	run_rows(RE_OPT_NOJIT);
}

/* Caller-owned scratch space gives the same answers; it grows as needed. */
static void
test_own_md(void **state)
{
	char err[RE_ERR_MAX];
	struct re_md *md;
	struct re *re;
	size_t ov[2 * 13];

	(void)state;
	md = re_md_new();
	assert_non_null(md);
	/* 12 groups: more than the initial room of the scratch space. */
	re = re_compile(S("(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(k)(l)"), "", 0,
	    err, sizeof(err));
	assert_non_null(re);
	assert_int_equal(re_captures(re), 12);
	assert_int_equal(re_find(re, S("xabcdefghijkl"), 0, ov, 13, 0, md), 1);
	assert_int_equal(ov[0], 1);
	assert_int_equal(ov[1], 13);
	assert_int_equal(ov[24], 12);
	assert_int_equal(ov[25], 13);
	/* Fewer pairs than groups: only those are written. */
	ov[2] = 999;
	assert_int_equal(re_find(re, S("xabcdefghijkl"), 0, ov, 1, 0, md), 1);
	assert_int_equal(ov[2], 999);
	re_free(re);
	re_md_free(md);
	re_md_free(NULL);
	re_free(NULL);
}

static void
test_info(void **state)
{
	char err[RE_ERR_MAX];
	struct re *re;
	size_t len;

	(void)state;
	re = re_compile(S("(?<user>[^@]+)@(?<dom>.+)|(x)"), "uxiui", 0, err,
	    sizeof(err));
	assert_non_null(re);
	assert_int_equal(re_captures(re), 3);
	assert_int_equal(re_group_index(re, "user"), 1);
	assert_int_equal(re_group_index(re, "dom"), 2);
	assert_int_equal(re_group_index(re, "nope"), -1);
	assert_int_equal(re_group_index(re, NULL), -1);
	assert_string_equal(re_pattern(re, &len), "(?<user>[^@]+)@(?<dom>.+)|(x)");
	assert_int_equal(len, strlen("(?<user>[^@]+)@(?<dom>.+)|(x)"));
	assert_string_equal(re_flags(re), "ixu");
	re_free(re);

	re = re_compile(S(""), NULL, 0, err, sizeof(err));
	assert_non_null(re);
	assert_int_equal(re_captures(re), 0);
	assert_string_equal(re_flags(re), "");
	assert_string_equal(re_pattern(re, NULL), "");
	re_free(re);
}

/* Catastrophic backtracking stops at PCRE2's match limit with an error. */
static void
test_match_limit(void **state)
{
	static const unsigned optset[] = { 0, RE_OPT_NOJIT };
	char err[RE_ERR_MAX], msg[128];
	char subject[64];
	struct re *re;
	size_t i;
	int rc;

	(void)state;
	memset(subject, 'a', sizeof(subject) - 1);
	subject[sizeof(subject) - 2] = '!';
	subject[sizeof(subject) - 1] = '\0';
	for (i = 0; i < 2; i++) {
		re = re_compile(S("^(\\w+\\s?)*$"), "", optset[i], err,
		    sizeof(err));
		assert_non_null(re);
		rc = re_match(re, subject, strlen(subject), NULL);
		assert_true(rc < 0);
		assert_string_equal(re_strerror(rc, msg, sizeof(msg)),
		    "match limit exceeded");
		re_free(re);
	}
	assert_string_equal(re_strerror(-9999, msg, sizeof(msg)),
	    "PCRE2 error -9999");
	assert_string_equal(re_strerror(PCRE2_ERROR_BADOFFSET, msg,
	    sizeof(msg)), "bad offset value");
}

/* Several threads share one pattern; each uses its own cached scratch. */
#define NTHREADS	4
#define NLOOPS		20000

static void *
worker(void *arg)
{
	const struct re *re = arg;
	char subject[64];
	size_t ov[4];
	long bad = 0;
	int i, n;

	for (i = 0; i < NLOOPS; i++) {
		n = snprintf(subject, sizeof(subject), "id=%d; user%d@host", i,
		    i * 7);
		if (re_find(re, subject, (size_t)n, 0, ov, 2, 0, NULL) != 1 ||
		    ov[2] != (size_t)(strchr(subject, 'u') - subject) ||
		    ov[3] != (size_t)(strchr(subject, '@') - subject))
			bad++;
		if (re_match(re, "nothing", 7, NULL) != 0)
			bad++;
	}
	re_thread_release();
	re_thread_release();	/* twice is harmless */
	return (void *)bad;
}

static void
test_threads(void **state)
{
	pthread_t t[NTHREADS];
	char err[RE_ERR_MAX];
	struct re *re;
	void *bad;
	int i;

	(void)state;
	re = re_compile(S("(user\\d+)@host"), "", 0, err, sizeof(err));
	assert_non_null(re);
	for (i = 0; i < NTHREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, worker, re), 0);
	for (i = 0; i < NTHREADS; i++) {
		assert_int_equal(pthread_join(t[i], &bad), 0);
		assert_int_equal((long)bad, 0);
	}
	re_free(re);
}

/*
 * The prefilter changes no result. Patterns: the constructs whose meaning
 * the two engines could read differently (anchors and newlines, classes
 * and \s's VT, word boundaries, case, dot, lookaround, back references,
 * inline options, quantifiers, empty matches), and the bundled rules' body
 * patterns. Subjects: random sequences of tokens those patterns care about.
 */
static const struct {
	const char	*pattern;
	const char	*flags;
} pf_rows[] = {
	{ "^foo", "" }, { "^foo", "m" }, { "foo$", "" }, { "foo$", "m" },
	{ "\\Afoo", "" }, { "foo\\Z", "" }, { "foo\\z", "" }, { "^$", "m" },
	{ "^\\s*$", "m" }, { "o\\s+b", "" }, { "o\\s+b", "i" },
	{ "\\bbar\\b", "" }, { "\\Bar", "" }, { "\\bfoo\\b", "i" },
	{ "\\w+\\W\\d", "" }, { "[[:alpha:]]{3}[[:space:]]", "" },
	{ "f.o", "" }, { "f.o", "s" }, { "o.\\n", "s" }, { "a.b", "" },
	{ "[^a-z]{2}", "" }, { "[\\x80-\\xff]+", "" }, { "\\xff\\x80", "i" },
	{ "FOO|bar", "i" }, { "(?i)foo", "" }, { "(?s)o.b", "" },
	{ "(?m)^bar", "" }, { "(?=foo)f", "" }, { "(?<=o )b", "" },
	{ "(?<!x)foo", "" }, { "(o)\\1", "" }, { "(?<q>a|b)\\k<q>", "i" },
	{ "(?>fo+)o", "" }, { "fo++", "" }, { "f.*?r", "" }, { "o{2,3}", "" },
	{ "\\d{1,3}(\\.\\d{1,3}){3}", "" }, { "\\h\\v", "" },
	{ "\\R", "" }, { "\\N+", "" }, { "a*", "" }, { "x?", "" }, { "", "" },
	{ "\\Qa.b\\E", "" }, { "\\x41\\x{42}", "i" }, { "fo\\Ko", "" },
	{ "(a)?(?(1)b|foo)", "" }, { "\\t\\f\\r", "" },
	{ "[\\s\\S]o", "" }, { "\\bhttps?://[^/\\s]*\\.(xyz|top)(/|\\s|$)", "i" },
	{ "\\b(viagra|cialis|online\\s+pharmacy)\\b", "i" },
	{ "https?://\\d{1,3}(\\.\\d{1,3}){3}(:\\d+)?/", "i" },
	{ "\\b(bitcoin|btc)\\b.{0,80}\\b(wallet|address)\\b", "is" },
	{ "^Content-(Type|Disposition):.*name\\s*=\\s*\\S+\\.exe", "im" },
};

static const char *pf_tokens[] = {
	"a", "b", "A", "B", "o", "foo", "FOO", "bar", "Bar", "x", " ", "  ",
	"\n", "\r", "\r\n", "\t", "\v", "\f", ".", "-", "_", "/", ":", "=",
	"0", "9", "1.2.3.4", "\x80", "\xff", "\xc3\xa9", "viagra", "Cialis",
	"online", "pharmacy", "bitcoin", "BTC", "wallet", "address", "http://",
	"https://", "a.b", "x.xyz", ".top/", "Content-Type:", "name=", "v.exe",
	"AB", "\x00",
};

/* pf_subject - a random subject of up to 16 tokens into buf; its length */
static size_t
pf_subject(char *buf, size_t size, unsigned *seed)
{
	size_t n = 0, k, t, ntok = sizeof(pf_tokens) / sizeof(pf_tokens[0]);
	size_t count = (size_t)(rand_r(seed) % 17);

	for (k = 0; k < count; k++) {
		t = (size_t)rand_r(seed) % ntok;
		/* "\x00" is one NUL byte */
		if (pf_tokens[t][0] == '\0' || strcmp(pf_tokens[t], "\x00") == 0) {
			if (n + 1 < size)
				buf[n++] = '\0';
			continue;
		}
		if (n + strlen(pf_tokens[t]) >= size)
			break;
		memcpy(buf + n, pf_tokens[t], strlen(pf_tokens[t]));
		n += strlen(pf_tokens[t]);
	}
	return n;
}

static void
test_prefilter_same(void **state)
{
	char err[RE_ERR_MAX], subject[256];
	size_t i, j, len, start, ov1[8], ov2[8];
	struct re *on, *off;
	unsigned seed = 20261123;
	int r1, r2, used = 0;

	(void)state;
	for (i = 0; i < sizeof(pf_rows) / sizeof(pf_rows[0]); i++) {
		on = re_compile(pf_rows[i].pattern, strlen(pf_rows[i].pattern),
		    pf_rows[i].flags, RE_OPT_PREFILTER, err, sizeof(err));
		off = re_compile(pf_rows[i].pattern, strlen(pf_rows[i].pattern),
		    pf_rows[i].flags, RE_OPT_NOPREFILTER, err, sizeof(err));
		assert_non_null(on);
		assert_non_null(off);
		assert_int_equal(re_prefiltered(off), 0);
		used += re_prefiltered(on);
		for (j = 0; j < 3000; j++) {
			len = pf_subject(subject, sizeof(subject), &seed);
			start = len > 0 && j % 3 == 0 ? (size_t)rand_r(&seed) % len : 0;
			memset(ov1, 0xee, sizeof(ov1));
			memset(ov2, 0xee, sizeof(ov2));
			r1 = re_find(on, subject, len, start, ov1, 4, 0, NULL);
			r2 = re_find(off, subject, len, start, ov2, 4, 0, NULL);
			if (r1 != r2 || memcmp(ov1, ov2, sizeof(ov1)) != 0)
				fail_msg("/%s/%s on a %zu-byte subject from %zu: "
				    "%d with the prefilter, %d without",
				    pf_rows[i].pattern, pf_rows[i].flags, len,
				    start, r1, r2);
		}
		re_free(on);
		re_free(off);
	}
#ifdef RE_HYPERSCAN
	/* most of the table has a prefilter: the test tested something */
	assert_true(used >= 30);
#endif
}

/*
 * A set gives what its members give one by one: the whole table as one set
 * (members Hyperscan refuses included), scanning forced, over the same
 * kind of subjects, from the start and from an offset; then a set of none.
 */
static void
test_set_same(void **state)
{
	enum { N = sizeof(pf_rows) / sizeof(pf_rows[0]) };
	struct re *on[N], *off[N];
	struct re_set *set, *empty;
	unsigned char hit[N];
	char err[RE_ERR_MAX], subject[256];
	size_t i, j, len, start;
	unsigned seed = 42;
	int n, want, r;

	(void)state;
	for (i = 0; i < N; i++) {
		on[i] = re_compile(pf_rows[i].pattern, strlen(pf_rows[i].pattern),
		    pf_rows[i].flags, 0, err, sizeof(err));
		off[i] = re_compile(pf_rows[i].pattern,
		    strlen(pf_rows[i].pattern), pf_rows[i].flags,
		    RE_OPT_NOPREFILTER, err, sizeof(err));
		assert_non_null(on[i]);
		assert_non_null(off[i]);
	}
	assert_non_null(set = re_set_new(on, N, RE_OPT_PREFILTER));
	for (j = 0; j < 3000; j++) {
		len = pf_subject(subject, sizeof(subject), &seed);
		start = len > 0 && j % 3 == 0 ? (size_t)rand_r(&seed) % len : 0;
		n = re_set_match(set, subject, len, start, hit, NULL);
		assert_true(n >= 0);
		for (i = 0, want = 0; i < N; i++) {
			r = re_find(off[i], subject, len, start, NULL, 0, 0, NULL);
			assert_true(r >= 0);
			want += r;
			if (hit[i] != r)
				fail_msg("set member /%s/%s on a %zu-byte subject "
				    "from %zu: %d in the set, %d alone",
				    pf_rows[i].pattern, pf_rows[i].flags, len,
				    start, hit[i], r);
		}
		assert_int_equal(n, want);
	}
	re_set_free(set);
	assert_non_null(empty = re_set_new(NULL, 0, 0));
	assert_int_equal(re_set_match(empty, "abc", 3, 0, hit, NULL), 0);
	assert_int_equal(re_set_match(empty, "abc", 3, 4, hit, NULL),
	    PCRE2_ERROR_BADOFFSET);
	re_set_free(empty);
	re_set_free(NULL);
	for (i = 0; i < N; i++) {
		re_free(on[i]);
		re_free(off[i]);
	}
}

/* Long subjects go through the prefilter by themselves, with any offset. */
static void
test_prefilter_long(void **state)
{
	char err[RE_ERR_MAX], *subject;
	size_t ov[4], len = 64 * 1024, i;
	struct re *re, *re2;

	(void)state;
	assert_non_null(subject = malloc(len));
	for (i = 0; i < len; i++)
		subject[i] = "lorem ipsum dolor\r\n"[i % 19];
	re = re_compile(S("\\b(viagra|cialis)\\b"), "i", 0, err, sizeof(err));
	assert_non_null(re);
	assert_int_equal(re_find(re, subject, len, 0, ov, 2, 0, NULL), 0);
	memcpy(subject + 40000, " Cialis!", 8);
	assert_int_equal(re_find(re, subject, len, 0, ov, 2, 0, NULL), 1);
	assert_int_equal(ov[0], 40001);
	assert_int_equal(ov[3], 40007);
	assert_int_equal(re_find(re, subject, len, 40002, ov, 2, 0, NULL), 0);
	assert_int_equal(re_find(re, subject, len, 39000, ov, 2, 0, NULL), 1);
	/* a second struct re of the same source shares the database */
	re2 = re_compile(S("\\b(viagra|cialis)\\b"), "i", 0, err, sizeof(err));
	assert_non_null(re2);
	re_free(re);
	assert_int_equal(re_find(re2, subject, len, 0, ov, 2, 0, NULL), 1);
#ifdef RE_HYPERSCAN
	assert_int_equal(re_prefiltered(re2), 1);
#endif
	re_free(re2);
	/* not eligible: the 'u' flag, \G, NUL bytes */
	re = re_compile(S("\\bcialis"), "iu", 0, err, sizeof(err));
	assert_int_equal(re_prefiltered(re), 0);
	assert_int_equal(re_find(re, subject, len, 0, ov, 2, 0, NULL), 1);
	re_free(re);
	re = re_compile(S("\\Gcialis"), "i", 0, err, sizeof(err));
	assert_int_equal(re_prefiltered(re), 0);
	assert_int_equal(re_find(re, subject, len, 40001, ov, 2, 0, NULL), 1);
	re_free(re);
	re = re_compile(S("a\0b"), "", 0, err, sizeof(err));
	assert_int_equal(re_prefiltered(re), 0);
	re_free(re);
	/* a set on the long subject; a second set of the same members shares
	 * its database and outlives the first */
	{
		struct re *m[3];
		struct re_set *s1, *s2;
		unsigned char hit[3];

		m[0] = re_compile(S("\\b(viagra|cialis)\\b"), "i", 0, err,
		    sizeof(err));
		m[1] = re_compile(S("^lorem"), "m", 0, err, sizeof(err));
		m[2] = re_compile(S("\\bzzz\\b"), "", 0, err, sizeof(err));
		assert_non_null(s1 = re_set_new(m, 3, 0));
		assert_non_null(s2 = re_set_new(m, 3, 0));
		assert_int_equal(re_set_match(s1, subject, len, 0, hit, NULL), 2);
		assert_true(hit[0] && hit[1] && !hit[2]);
		assert_int_equal(re_set_match(s2, subject, len, 40002, hit,
		    NULL), 1);
		assert_true(!hit[0] && hit[1] && !hit[2]);
		re_set_free(s1);
		assert_int_equal(re_set_match(s2, subject, len, 0, hit, NULL), 2);
		re_set_free(s2);
		for (i = 0; i < 3; i++)
			re_free(m[i]);
	}
	free(subject);
	re_thread_release();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compile_errors),
		cmocka_unit_test(test_compile_errbuf),
		cmocka_unit_test(test_match_jit),
		cmocka_unit_test(test_match_nojit),
		cmocka_unit_test(test_own_md),
		cmocka_unit_test(test_info),
		cmocka_unit_test(test_match_limit),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_prefilter_same),
		cmocka_unit_test(test_prefilter_long),
		cmocka_unit_test(test_set_same),
	};
	int rc;

	rc = cmocka_run_group_tests(tests, NULL, NULL);
	re_thread_release();
	return rc;
}
