/*
 * re - a thin PCRE2 wrapper shared by the regex plugin and Lua's pg.regex
 *
 * Depends on libc and libpcre2-8 only (no log.h, no xmalloc.h), so the
 * regex plugin can compile it into itself and link against nothing of the
 * host.
 *
 * A struct re is compiled once (JIT-compiled when PCRE2 has JIT) and is
 * read-only afterwards: any number of threads may match with the same
 * struct re at the same time. Matching needs scratch space (PCRE2 match
 * data); pass your own struct re_md, or NULL to use one cached per thread
 * (grown on demand, freed at thread exit or by re_thread_release()).
 *
 * Input is untrusted: patterns and subjects may be any bytes. With the 'u'
 * flag an invalid UTF-8 subject never crashes or errors: invalid sequences
 * simply cannot match (PCRE2_MATCH_INVALID_UTF).
 *
 * Errors: re_compile() returns NULL and writes a one-line reason into err,
 * e.g. "missing closing parenthesis at offset 4" or "unknown flag 'q'".
 * re_find() and re_match() return a negative PCRE2 error code (match limit,
 * no memory, ...), which re_strerror() turns into text.
 */
#ifndef RE_H
#define RE_H

#include <stddef.h>

/* A compiled pattern: opaque, immutable, shareable across threads. */
struct re;

/* Match scratch space: one per thread at a time (not shareable). */
struct re_md;

/* Offset of a capture group that did not take part in the match. */
#define RE_UNSET	(~(size_t)0)

/* Room for a reason from re_compile(); longer reasons are truncated. */
#define RE_ERR_MAX	256

/* re_compile() options (a bit mask; 0 is the normal case). */
#define RE_OPT_NOJIT		0x0001	/* do not JIT-compile (for tests, benchmarks) */
#define RE_OPT_NOPREFILTER	0x0002	/* never use the Hyperscan prefilter */
#define RE_OPT_PREFILTER	0x0004	/* use it whatever the subject's length (tests) */

/*
 * Subjects of this many bytes or more are first scanned by the pattern's
 * Hyperscan prefilter, when phasegate was built with Hyperscan and the
 * pattern has one (re_prefiltered()); shorter ones go to PCRE2 directly.
 * The prefilter changes no result, only how fast "no match" is known.
 */
#define RE_PREFILTER_MIN	1024

/*
 * re_compile - compile a pattern
 *
 * pattern/len: the pattern bytes, exactly len of them (NUL bytes are
 * allowed inside). flags: a string of flag letters, or NULL or "" for none:
 *	i	caseless
 *	m	multiline (^ and $ match at line ends)
 *	s	dotall (. matches newline)
 *	x	extended (whitespace and # comments in the pattern ignored)
 *	u	UTF-8 pattern and subjects, Unicode properties for \w \d \b
 *		and caseless matching
 * Any other letter is an error ("unknown flag 'q'"). Repeated letters are
 * allowed. opts: RE_OPT_* bits.
 *
 * Returns the compiled pattern, or NULL with a reason in err (errlen bytes,
 * at least 1; RE_ERR_MAX is always enough). A pattern error reads as PCRE2's
 * message followed by " at offset N" (N: the byte offset in the pattern
 * where PCRE2 stopped). The pattern text is copied.
 */
struct re	*re_compile(const char *pattern, size_t len, const char *flags,
		    unsigned opts, char *err, size_t errlen);

/* re_free - free a compiled pattern; re_free(NULL) does nothing. */
void		 re_free(struct re *);

/* re_captures - the number of capture groups (0 when the pattern has none). */
size_t		 re_captures(const struct re *);

/*
 * re_group_index - the number of the named group "name" ((?<name>...)),
 * or -1 when the pattern has no such group.
 */
int		 re_group_index(const struct re *, const char *name);

/* re_jit - 1 when the pattern runs JIT-compiled, 0 when interpreted. */
int		 re_jit(const struct re *);

/* re_pattern / re_flags - the source text and flag letters, as compiled. */
const char	*re_pattern(const struct re *, size_t *len);
const char	*re_flags(const struct re *);

/*
 * re_find - search subject[start..len) for the first match
 *
 * subject/len: the bytes to search (not NUL-terminated necessarily); the
 * search starts at byte offset start (lookbehind may see before it; ^ does
 * not match there unless start is 0 or after a newline with 'm').
 * ovec: room for npairs (start, end) offset pairs, filled in as
 * ovec[2*k], ovec[2*k+1] for group k (0: the whole match), offsets into
 * subject; groups that did not take part are RE_UNSET; pairs beyond the
 * pattern's groups are RE_UNSET too. ovec may be NULL when npairs is 0.
 * notempty_atstart: when non-zero, an empty match at start is not
 * accepted (PCRE2_NOTEMPTY_ATSTART): what gmatch-style loops need after an
 * empty match.
 * md: scratch space, or NULL for the calling thread's cached one.
 *
 * Returns 1 on a match, 0 on no match, or a negative PCRE2 error code
 * (e.g. match limit exceeded, no memory, start > len). On anything but a
 * match, ovec is left unchanged.
 */
int		 re_find(const struct re *, const char *subject, size_t len,
		    size_t start, size_t *ovec, size_t npairs,
		    int notempty_atstart, struct re_md *md);

/*
 * re_match - whether the pattern matches anywhere in subject/len:
 * 1 yes, 0 no, negative PCRE2 error code on failure. md as for re_find().
 */
int		 re_match(const struct re *, const char *subject, size_t len,
		    struct re_md *md);

/*
 * A set of compiled patterns searched together: with Hyperscan, one scan of
 * a long subject (RE_PREFILTER_MIN bytes or more) tells which members may
 * match (one prefilter database for all the eligible members, compiled on
 * the first long subject), and PCRE2 looks only at those; without it, or
 * for short subjects, each member is searched as by re_find(). Results are
 * exactly re_find()'s. Shareable across threads like a struct re.
 */
struct re_set;

/*
 * re_set_new - a set of the n patterns res[0..n) (not copied: they must
 * outlive the set). opts: RE_OPT_PREFILTER (scan whatever the subject's
 * length, for tests) or RE_OPT_NOPREFILTER. NULL on no memory.
 */
struct re_set	*re_set_new(struct re *const *res, size_t n, unsigned opts);

/* re_set_free - free a set (not its patterns); re_set_free(NULL) does nothing */
void		 re_set_free(struct re_set *);

/*
 * re_set_match - which members match somewhere in subject[start..len):
 * hit[i] (n bytes) becomes 1 or 0 for member i. Returns how many match, or
 * a negative PCRE2 error code from a member's search (hit is then partly
 * filled). md as for re_find().
 */
int		 re_set_match(struct re_set *, const char *subject, size_t len,
		    size_t start, unsigned char *hit, struct re_md *md);

/*
 * re_prefiltered - 1 when searches of long subjects with this pattern are
 * prefiltered by Hyperscan, else 0 (built without it, or the pattern is not
 * eligible: see re.c). Builds the prefilter if no search has yet.
 */
int		 re_prefiltered(const struct re *);

/*
 * re_strerror - the text of a negative code from re_find()/re_match(),
 * written into buf (len bytes) and returned.
 */
const char	*re_strerror(int code, char *buf, size_t len);

/*
 * re_md_new / re_md_free - scratch space owned by the caller, for a caller
 * that prefers not to use the per-thread cache. re_md_new() returns NULL on
 * no memory. A struct re_md fits any pattern (it grows on demand).
 */
struct re_md	*re_md_new(void);
void		 re_md_free(struct re_md *);

/*
 * re_thread_release - free the calling thread's cached scratch space now
 * (it is also freed when the thread exits). Harmless when there is none.
 */
void		 re_thread_release(void);

#endif /* RE_H */
