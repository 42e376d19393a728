/*
 * lua_conf_lines - where the keys of a Lua configuration are written
 *
 * Public: lua_conf_lines_scan(), lua_conf_lines_free(),
 * lua_conf_lines_return_line(), lua_conf_lines_returned(),
 * lua_conf_lines_add_global(), lua_conf_lines_globals(),
 * lua_conf_lines_kid(), lua_conf_lines_line(), lua_conf_lines_order().
 *
 * Lua keeps no line numbers for table constructors, so they are found
 * here from the text. A small tokenizer (strings and comments skipped)
 * splits it; the scanner then notes every top-level "name = ...",
 * "name.a[1] = ...", "local name = ..." and the top-level "return { ... }"
 * or "return name", and inside every constructor "key =", "[literal] ="
 * and list entries, giving each key its line and its position in the
 * file (a shape). The sandbox's __newindex hook (lua_conf.c) tells which
 * assignment set a global last; lua_conf_lines_add_global() matches it.
 *
 * Trust: the text is the postmaster's and has already been run by Lua,
 * which refused what is not Lua; the scanner does not judge it and never
 * reads past the tokens (odd text only loses lines).
 *
 * Ownership: the scan owns every shape; shapes built later (the globals,
 * a returned local, "a.b.c = v" steps merged into them) borrow the scanned
 * arrays and keep their own copies in a pool, all freed by
 * lua_conf_lines_free(). Errors: out of memory only (pg_*() allocation):
 * lua_conf_lines_scan() returns NULL, the others -1.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lua_conf_lines.h"
#include "xmalloc.h"

#define SCAN_DEPTH_MAX	64		/* nesting of constructors scanned for lines */
#define PATH_STEPS_MAX	32		/* steps of "a.b.c = v" noted */

/* Tokens of the line scanner. */
enum { T_EOF, T_NAME, T_STRING, T_NUMBER, T_PUNCT };

struct tok {
	int		 type;
	int		 line;
	size_t		 off;
	size_t		 len;
	int		 simple;	/* T_STRING: no escapes, body is off+1..len-2 */
};

struct toks {
	const char	*src;
	struct tok	*v;
	size_t		 n;
	size_t		 cap;
};

/* One entry of a table constructor found in the text. */
struct lua_conf_shape {
	char		*key;		/* NULL: list entry (index) or unknown */
	long long	 index;		/* list index; 0 with key NULL: unknown */
	int		 line;
	size_t		 order;		/* token number: position in the file */
	int		 has_ctor;	/* the value is written as { ... } */
	int		 via_path;	/* a step of "a.b.c = v", not a value */
	struct lua_conf_shape *kids;
	size_t		 nkids;
};

/*
 * A statement "name = ..." found in the text, or "name.key[2].x = ..." (a
 * path: value.kids[0] is the first step, each step has one kid, the last
 * one is the value assigned).
 */
struct assign {
	char		*name;
	int		 line;
	size_t		 order;
	int		 is_path;
	int		 is_local;	/* "local name = ..." */
	struct lua_conf_shape value;	/* value.has_ctor when written as { ... } */
};

struct lua_conf_lines {
	struct assign	*assigns;
	size_t		 nassigns;
	size_t		 capassigns;
	struct lua_conf_shape ret;	/* "return { ... }" at top level */
	int		 has_ret;
	int		 ret_line;	/* the top-level return */
	char		*ret_name;	/* "return name": its shape is name's */
	size_t		 ret_order;
	struct lua_conf_shape local;	/* the shape of "return name" (borrowed) */
	int		 has_local;
	struct lua_conf_shape globals;	/* its own kids array, capglobals long */
	size_t		 capglobals;
	void		**pool;		/* arrays and keys made after the scan */
	size_t		 npool;
	size_t		 cappool;
	int		 oom;		/* an allocation failed */
};

/* ---------------------------------------------------------------- */
/* Tokenizer: just enough Lua to find keys and their lines.          */

/* tok_push - append a token; -1 when out of memory */
static int
tok_push(struct toks *t, int type, int line, size_t off, size_t len, int simple)
{
	if (t->n == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 256;
		struct tok *nv = pg_realloc(t->v, ncap * sizeof(*nv));

		if (nv == NULL)
			return -1;
		t->v = nv;
		t->cap = ncap;
	}
	t->v[t->n].type = type;
	t->v[t->n].line = line;
	t->v[t->n].off = off;
	t->v[t->n].len = len;
	t->v[t->n].simple = simple;
	t->n++;
	return 0;
}

/* newline - step over one line break (\n, \r, \r\n, \n\r) */
static size_t
newline(const char *s, size_t len, size_t i, int *line)
{
	char c = s[i++];

	if (i < len && (s[i] == '\n' || s[i] == '\r') && s[i] != c)
		i++;
	(*line)++;
	return i;
}

/* long_bracket - at "[" "="* "[": level, or -1 when not a long bracket */
static int
long_bracket(const char *s, size_t len, size_t i)
{
	int level = 0;

	if (s[i] != '[')
		return -1;
	for (i++; i < len && s[i] == '='; i++)
		level++;
	return i < len && s[i] == '[' ? level : -1;
}

/* skip_long - skip a long string/comment body of the given level */
static size_t
skip_long(const char *s, size_t len, size_t i, int level, int *line)
{
	i += (size_t)level + 2;
	while (i < len) {
		if (s[i] == ']') {
			size_t j = i + 1;
			int l = 0;

			while (j < len && s[j] == '=') {
				j++;
				l++;
			}
			if (l == level && j < len && s[j] == ']')
				return j + 1;
			i++;
		} else if (s[i] == '\n' || s[i] == '\r')
			i = newline(s, len, i, line);
		else
			i++;
	}
	return len;
}

/* quoted_end - past the '...' or "..." string at i; *simple: no escapes */
static size_t
quoted_end(const char *s, size_t len, size_t i, int *line, int *simple)
{
	char q = s[i];

	*simple = 1;
	for (i++; i < len && s[i] != q; ) {
		if (s[i] == '\\') {
			*simple = 0;
			i++;
			if (i < len && (s[i] == '\n' || s[i] == '\r'))
				i = newline(s, len, i, line);
			else if (i < len)
				i++;
		} else if (s[i] == '\n' || s[i] == '\r') {
			return i;	/* unfinished string: Lua refused it already */
		} else
			i++;
	}
	return i < len ? i + 1 : i;
}

/* number_end - past the numeral at i (decimal, hex, exponents) */
static size_t
number_end(const char *s, size_t len, size_t i)
{
	size_t start = i;

	while (i < len) {
		char d = s[i];

		if ((d == '+' || d == '-') && i > start &&
		    strchr("eEpP", s[i - 1]) != NULL)
			i++;
		else if (d == '.' || d == '_' || (d >= '0' && d <= '9') ||
		    (d >= 'a' && d <= 'z') || (d >= 'A' && d <= 'Z'))
			i++;
		else
			break;
	}
	return i;
}

/* punct_len - the length of the operator at i: 3, 2 or 1 */
static size_t
punct_len(const char *s, size_t len, size_t i)
{
	static const char *ops2[] = { "==", "~=", "<=", ">=", "//", "::",
	    "..", "<<", ">>", NULL };
	int k;

	if (len - i >= 3 && memcmp(s + i, "...", 3) == 0)
		return 3;
	for (k = 0; ops2[k] != NULL; k++)
		if (len - i >= 2 && memcmp(s + i, ops2[k], 2) == 0)
			return 2;
	return 1;
}

/* is_name_char - a letter, digit or '_' (digits not first: the caller's) */
static int
is_name_char(char c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/* lex - split the text into tokens; -1 when out of memory */
static int
lex(const char *s, size_t len, struct toks *t)
{
	size_t i = 0, start;
	int line = 1, l0, k, simple, rc;

	t->src = s;
	/* a first line starting with '#' is skipped, as by luaL_loadfile */
	if (len > 0 && s[0] == '#')
		while (i < len && s[i] != '\n' && s[i] != '\r')
			i++;
	while (i < len) {
		char c = s[i];

		start = i;
		l0 = line;
		rc = 0;
		if (c == '\n' || c == '\r') {
			i = newline(s, len, i, &line);
		} else if (c == ' ' || c == '\t' || c == '\f' || c == '\v') {
			i++;
		} else if (c == '-' && i + 1 < len && s[i + 1] == '-') {
			i += 2;
			if (i < len && (k = long_bracket(s, len, i)) >= 0)
				i = skip_long(s, len, i, k, &line);
			else
				while (i < len && s[i] != '\n' && s[i] != '\r')
					i++;
		} else if ((k = long_bracket(s, len, i)) >= 0) {
			i = skip_long(s, len, i, k, &line);
			rc = tok_push(t, T_STRING, l0, start, i - start, 0);
		} else if (c == '"' || c == '\'') {
			i = quoted_end(s, len, i, &line, &simple);
			rc = tok_push(t, T_STRING, l0, start, i - start, simple);
		} else if (is_name_char(c) && !(c >= '0' && c <= '9')) {
			while (i < len && is_name_char(s[i]))
				i++;
			rc = tok_push(t, T_NAME, line, start, i - start, 0);
		} else if ((c >= '0' && c <= '9') || (c == '.' && i + 1 < len &&
		    s[i + 1] >= '0' && s[i + 1] <= '9')) {
			i = number_end(s, len, i);
			rc = tok_push(t, T_NUMBER, line, start, i - start, 0);
		} else {
			i += punct_len(s, len, i);
			rc = tok_push(t, T_PUNCT, line, start, i - start, 0);
		}
		if (rc == -1)
			return -1;
	}
	return tok_push(t, T_EOF, line, len, 0, 0);
}

/* is - token j is the punctuation or name p */
static int
is(const struct toks *t, size_t j, const char *p)
{
	size_t n = strlen(p);

	return j < t->n && (t->v[j].type == T_PUNCT || t->v[j].type == T_NAME) &&
	    t->v[j].len == n && memcmp(t->src + t->v[j].off, p, n) == 0;
}

/* block_delta - +1 for a word that opens a block, -1 for one that closes */
static int
block_delta(const struct toks *t, size_t j)
{
	if (t->v[j].type != T_NAME)
		return 0;
	if (is(t, j, "function") || is(t, j, "if") || is(t, j, "do") ||
	    is(t, j, "repeat"))
		return 1;
	if (is(t, j, "end") || is(t, j, "until"))
		return -1;
	return 0;
}

/* bracket_delta - +1 for ( [ {, -1 for ) ] } */
static int
bracket_delta(const struct toks *t, size_t j)
{
	if (is(t, j, "(") || is(t, j, "[") || is(t, j, "{"))
		return 1;
	if (is(t, j, ")") || is(t, j, "]") || is(t, j, "}"))
		return -1;
	return 0;
}

/* skip_expr - from j, to the ',' ';' or '}' that ends a constructor entry */
static size_t
skip_expr(const struct toks *t, size_t j)
{
	int depth = 0, block = 0;

	for (; j < t->n && t->v[j].type != T_EOF; j++) {
		if (depth == 0 && block == 0 &&
		    (is(t, j, ",") || is(t, j, ";") || is(t, j, "}")))
			return j;
		depth += bracket_delta(t, j);
		block += block_delta(t, j);
		if (depth < 0)
			return j;
	}
	return j;
}

/* match_close - index of the bracket that closes the one at j */
static size_t
match_close(const struct toks *t, size_t j)
{
	int depth = 0;

	for (; j < t->n && t->v[j].type != T_EOF; j++) {
		depth += bracket_delta(t, j);
		if (depth == 0)
			return j;
	}
	return j;
}

/* shape_free - free what a shape owns */
static void
shape_free(struct lua_conf_shape *sh)
{
	size_t i;

	for (i = 0; i < sh->nkids; i++)
		shape_free(&sh->kids[i]);
	free(sh->kids);
	free(sh->key);
	sh->kids = NULL;
	sh->nkids = 0;
	sh->key = NULL;
}

/* integer_literal - a decimal integer token's value, or 0 */
static long long
integer_literal(const struct toks *t, size_t j)
{
	char buf[32];
	char *end;
	long long v;

	if (t->v[j].type != T_NUMBER || t->v[j].len >= sizeof(buf))
		return 0;
	memcpy(buf, t->src + t->v[j].off, t->v[j].len);
	buf[t->v[j].len] = '\0';
	errno = 0;
	v = strtoll(buf, &end, 10);
	return errno == 0 && *end == '\0' && v > 0 ? v : 0;
}

/* add_kid - append e to owner's kids (cap long); frees e and notes oom on failure */
static void
add_kid(struct lua_conf_lines *ln, struct lua_conf_shape *owner, size_t *cap,
    struct lua_conf_shape *e)
{
	if (owner->nkids == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		struct lua_conf_shape *nk = pg_realloc(owner->kids,
		    ncap * sizeof(*nk));

		if (nk == NULL) {
			ln->oom = 1;
			shape_free(e);
			return;
		}
		owner->kids = nk;
		*cap = ncap;
	}
	owner->kids[owner->nkids++] = *e;
}

/*
 * entry_key - the key of the constructor entry at j into e (a name, a
 * literal in brackets, or the next list index); returns the token where
 * its value starts. *known is 0 for a key that is not a literal.
 */
static size_t
entry_key(struct lua_conf_lines *ln, const struct toks *t, size_t j,
    struct lua_conf_shape *e, long long *counter, int *known)
{
	size_t k;

	*known = 1;
	if (t->v[j].type == T_NAME && is(t, j + 1, "=")) {
		if ((e->key = pg_strndup(t->src + t->v[j].off,
		    t->v[j].len)) == NULL) {
			ln->oom = 1;
			*known = 0;
		}
		return j + 2;
	}
	if (!is(t, j, "[")) {
		e->index = ++*counter;
		return j;
	}
	k = match_close(t, j);
	*known = 0;
	if (k != j + 2)
		return k + 2;		/* [expression] = v: not a literal */
	if (t->v[j + 1].type == T_STRING && t->v[j + 1].simple &&
	    t->v[j + 1].len >= 2) {
		if ((e->key = pg_strndup(t->src + t->v[j + 1].off + 1,
		    t->v[j + 1].len - 2)) == NULL)
			ln->oom = 1;
		*known = e->key != NULL;
	} else if ((e->index = integer_literal(t, j + 1)) > 0)
		*known = 1;
	return k + 2;
}

/* parse_ctor - record the entries of the constructor whose '{' is at j */
static size_t
parse_ctor(struct lua_conf_lines *ln, const struct toks *t, size_t j,
    struct lua_conf_shape *owner, int level)
{
	long long counter = 0;
	size_t cap = 0;

	owner->has_ctor = 1;
	if (level > SCAN_DEPTH_MAX)
		return match_close(t, j) + 1;
	for (j++; j < t->n && t->v[j].type != T_EOF && !is(t, j, "}"); ) {
		struct lua_conf_shape e;
		size_t v;
		int known;

		memset(&e, 0, sizeof(e));
		e.line = t->v[j].line;
		e.order = j;
		v = entry_key(ln, t, j, &e, &counter, &known);
		if (v < t->n && is(t, v, "{"))
			parse_ctor(ln, t, v, &e, level + 1);
		j = skip_expr(t, v < t->n ? v : t->n - 1);
		if (known)
			add_kid(ln, owner, &cap, &e);
		else
			shape_free(&e);
		if (is(t, j, ",") || is(t, j, ";"))
			j++;
		else if (!is(t, j, "}"))
			break;
	}
	return j + 1;
}

/* is_literal_key - "[ 'key' ]" or "[ 3 ]" at j */
static int
is_literal_key(const struct toks *t, size_t j)
{
	if (!is(t, j, "[") || !is(t, j + 2, "]"))
		return 0;
	if (t->v[j + 1].type == T_STRING)
		return t->v[j + 1].simple && t->v[j + 1].len >= 2;
	return integer_literal(t, j + 1) > 0;
}

/* path_step - the key of step "." NAME or "[literal]" at k into sh; next token */
static size_t
path_step(struct lua_conf_lines *ln, const struct toks *t, size_t k,
    struct lua_conf_shape *sh)
{
	if (is(t, k, ".")) {
		sh->key = pg_strndup(t->src + t->v[k + 1].off, t->v[k + 1].len);
		if (sh->key == NULL)
			ln->oom = 1;
		return k + 2;
	}
	if (t->v[k + 1].type == T_STRING) {
		sh->key = pg_strndup(t->src + t->v[k + 1].off + 1,
		    t->v[k + 1].len - 2);
		if (sh->key == NULL)
			ln->oom = 1;
	} else
		sh->index = integer_literal(t, k + 1);
	return k + 3;
}

/* record_assign - note "name = v" (steps 0) or "name.a[1] = v" at j */
static void
record_assign(struct lua_conf_lines *ln, const struct toks *t, size_t j,
    size_t eq, int steps, int is_local)
{
	struct assign a, *na;
	struct lua_conf_shape *cur;
	size_t k = j + 1;

	memset(&a, 0, sizeof(a));
	if ((a.name = pg_strndup(t->src + t->v[j].off, t->v[j].len)) == NULL)
		goto fail;
	a.line = t->v[j].line;
	a.order = j;
	a.is_path = steps > 0;
	a.is_local = is_local;
	cur = &a.value;
	while (steps-- > 0) {
		struct lua_conf_shape *step = pg_calloc(1, sizeof(*step));

		if (step == NULL)
			goto fail;
		cur->kids = step;
		cur->nkids = 1;
		step->line = a.line;
		step->order = j;
		step->via_path = steps > 0;
		k = path_step(ln, t, k, step);
		cur = step;
	}
	if (is(t, eq + 1, "{"))
		parse_ctor(ln, t, eq + 1, cur, 1);
	if (ln->nassigns == ln->capassigns) {
		size_t ncap = ln->capassigns ? ln->capassigns * 2 : 16;

		if ((na = pg_realloc(ln->assigns, ncap * sizeof(*na))) == NULL)
			goto fail;
		ln->assigns = na;
		ln->capassigns = ncap;
	}
	ln->assigns[ln->nassigns++] = a;
	return;
fail:
	ln->oom = 1;
	free(a.name);
	shape_free(&a.value);
}

/* scan_name - a top-level statement that starts with the name at j */
static void
scan_name(struct lua_conf_lines *ln, const struct toks *t, size_t j)
{
	size_t k = j + 1;
	int steps = 0;

	if (j > 0 && is(t, j - 1, "local")) {
		if (is(t, j + 1, "="))
			record_assign(ln, t, j, j + 1, 0, 1);
		return;
	}
	if (block_delta(t, j) != 0 || (j > 0 && (is(t, j - 1, ".") ||
	    is(t, j - 1, ":") || is(t, j - 1, ",") || is(t, j - 1, "for"))))
		return;
	for (;;) {
		if (is(t, k, ".") && t->v[k + 1].type == T_NAME)
			k += 2;
		else if (is_literal_key(t, k))
			k += 3;
		else
			break;
		steps++;
	}
	if (is(t, k, "=") && steps <= PATH_STEPS_MAX)
		record_assign(ln, t, j, k, steps, 0);
}

/* scan_return - the top-level "return" at j: "return { ... }" or "return name" */
static void
scan_return(struct lua_conf_lines *ln, const struct toks *t, size_t j)
{
	ln->ret_line = t->v[j].line;
	if (is(t, j + 1, "{")) {
		ln->has_ret = 1;
		parse_ctor(ln, t, j + 1, &ln->ret, 1);
	} else if (t->v[j + 1].type == T_NAME && block_delta(t, j + 1) == 0 &&
	    !is(t, j + 2, ".") && !is(t, j + 2, "[") && !is(t, j + 2, "(") &&
	    !is(t, j + 2, ":") && !is(t, j + 2, "{") &&
	    t->v[j + 2].type != T_STRING) {
		if ((ln->ret_name = pg_strndup(t->src + t->v[j + 1].off,
		    t->v[j + 1].len)) == NULL)
			ln->oom = 1;
		ln->ret_order = j;
	}
}

/* scan - find top-level assignments and "return {" with their shapes */
static void
scan(struct lua_conf_lines *ln, const struct toks *t)
{
	size_t j;
	int depth = 0, block = 0;

	for (j = 0; j < t->n && t->v[j].type != T_EOF && !ln->oom; j++) {
		if (depth == 0 && t->v[j].type == T_NAME)
			scan_name(ln, t, j);
		if (depth == 0 && block == 0 && is(t, j, "return") &&
		    ln->ret_line == 0)
			scan_return(ln, t, j);
		depth += bracket_delta(t, j);
		block += block_delta(t, j);
	}
}

struct lua_conf_lines *
lua_conf_lines_scan(const char *text, size_t len)
{
	struct lua_conf_lines *ln;
	struct toks t;

	if ((ln = pg_calloc(1, sizeof(*ln))) == NULL)
		return NULL;
	memset(&t, 0, sizeof(t));
	if (lex(text, len, &t) == -1)
		ln->oom = 1;
	else
		scan(ln, &t);
	free(t.v);
	if (ln->oom) {
		lua_conf_lines_free(ln);
		return NULL;
	}
	return ln;
}

void
lua_conf_lines_free(struct lua_conf_lines *ln)
{
	size_t i;

	if (ln == NULL)
		return;
	shape_free(&ln->ret);
	free(ln->ret_name);
	for (i = 0; i < ln->nassigns; i++) {
		free(ln->assigns[i].name);
		shape_free(&ln->assigns[i].value);
	}
	free(ln->assigns);
	free(ln->globals.kids);		/* its entries are borrowed */
	for (i = 0; i < ln->npool; i++)
		free(ln->pool[i]);
	free(ln->pool);
	free(ln);
}

/* ---------------------------------------------------------------- */
/* Shapes built after the scan.                                      */

/* pool_add - keep p until lua_conf_lines_free(); NULL (p freed) when out of memory */
static void *
pool_add(struct lua_conf_lines *ln, void *p)
{
	void **np;

	if (p != NULL && ln->npool == ln->cappool) {
		size_t ncap = ln->cappool ? ln->cappool * 2 : 16;

		if ((np = pg_realloc(ln->pool, ncap * sizeof(*np))) == NULL) {
			free(p);
			p = NULL;
		} else {
			ln->pool = np;
			ln->cappool = ncap;
		}
	}
	if (p == NULL) {
		ln->oom = 1;
		return NULL;
	}
	ln->pool[ln->npool++] = p;
	return p;
}

/* same_key - does sh stand for key (or list index when key is NULL) */
static int
same_key(const struct lua_conf_shape *sh, const char *key, long long index)
{
	if (key != NULL)
		return sh->key != NULL && strcmp(sh->key, key) == 0;
	return sh->key == NULL && sh->index == index;
}

/*
 * merge_path - add one step of "a.b.c = v" to dst: into the kid it names
 * when that kid is there and this is not the last step, else as a new kid
 * (the last one wins in lua_conf_lines_kid()). Arrays are copied, never
 * changed in place, since they may belong to a scanned constructor; the
 * copies go in the pool.
 */
static void
merge_path(struct lua_conf_lines *ln, struct lua_conf_shape *dst,
    const struct lua_conf_shape *src)
{
	struct lua_conf_shape *nk;
	size_t i, found = (size_t)-1;

	for (i = 0; i < dst->nkids; i++)
		if (same_key(&dst->kids[i], src->key, src->index))
			found = i;
	if ((nk = pool_add(ln, pg_calloc(dst->nkids + 1, sizeof(*nk)))) == NULL)
		return;
	if (dst->nkids > 0)
		memcpy(nk, dst->kids, dst->nkids * sizeof(*nk));
	dst->kids = nk;
	if (src->via_path && found != (size_t)-1) {
		merge_path(ln, &nk[found], &src->kids[0]);
		return;
	}
	nk[dst->nkids++] = *src;
}

/* find_assign - the scanned assignment of a global set at hook line */
static const struct assign *
find_assign(const struct lua_conf_lines *ln, const char *name, int line)
{
	const struct assign *best = NULL;
	size_t i;

	for (i = 0; i < ln->nassigns; i++) {
		const struct assign *a = &ln->assigns[i];

		if (a->is_path || a->is_local || strcmp(a->name, name) != 0 ||
		    (line > 0 && a->line > line))
			continue;
		if (best == NULL || a->line >= best->line)
			best = a;
	}
	return best;
}

/*
 * shape_of_local - for "local t = { ... } ... return t": ln->local borrows
 * t's constructor and gets the "t.key = v" statements in between
 */
static void
shape_of_local(struct lua_conf_lines *ln)
{
	const struct assign *base = NULL;
	size_t i;

	for (i = 0; i < ln->nassigns; i++) {
		const struct assign *a = &ln->assigns[i];

		if (!a->is_path && a->order < ln->ret_order &&
		    strcmp(a->name, ln->ret_name) == 0)
			base = a;
	}
	memset(&ln->local, 0, sizeof(ln->local));
	ln->has_local = 1;
	if (base != NULL && base->value.has_ctor) {
		ln->local.kids = base->value.kids;
		ln->local.nkids = base->value.nkids;
	}
	for (i = 0; i < ln->nassigns && !ln->oom; i++) {
		const struct assign *p = &ln->assigns[i];

		if (p->is_path && p->order < ln->ret_order &&
		    (base == NULL || p->order > base->order) &&
		    strcmp(p->name, ln->ret_name) == 0)
			merge_path(ln, &ln->local, &p->value.kids[0]);
	}
}

int
lua_conf_lines_return_line(const struct lua_conf_lines *ln)
{
	return ln->ret_line;
}

int
lua_conf_lines_returned(struct lua_conf_lines *ln,
    const struct lua_conf_shape **out)
{
	*out = NULL;
	if (ln->has_ret)
		*out = &ln->ret;
	else if (ln->ret_name != NULL) {
		if (!ln->has_local)
			shape_of_local(ln);
		*out = &ln->local;
	}
	return ln->oom ? -1 : 0;
}

int
lua_conf_lines_add_global(struct lua_conf_lines *ln, const char *name,
    int line)
{
	const struct assign *a = find_assign(ln, name, line);
	struct lua_conf_shape e, *nk;
	size_t i;

	memset(&e, 0, sizeof(e));
	e.key = a != NULL ? a->name : pool_add(ln, pg_strdup(name));
	e.line = a != NULL ? a->line : line;
	e.order = a != NULL ? a->order : (size_t)-1;
	if (a != NULL && a->value.has_ctor) {
		e.has_ctor = 1;
		e.kids = a->value.kids;
		e.nkids = a->value.nkids;
	}
	/* later "name.key = v" statements add their lines */
	for (i = 0; i < ln->nassigns && !ln->oom; i++) {
		const struct assign *p = &ln->assigns[i];

		if (p->is_path && strcmp(p->name, name) == 0 &&
		    (a == NULL || p->order > a->order))
			merge_path(ln, &e, &p->value.kids[0]);
	}
	if (ln->oom)
		return -1;
	if (ln->globals.nkids == ln->capglobals) {
		size_t ncap = ln->capglobals ? ln->capglobals * 2 : 16;

		if ((nk = pg_realloc(ln->globals.kids, ncap * sizeof(*nk))) == NULL) {
			ln->oom = 1;
			return -1;
		}
		ln->globals.kids = nk;
		ln->capglobals = ncap;
	}
	ln->globals.kids[ln->globals.nkids++] = e;
	return 0;
}

const struct lua_conf_shape *
lua_conf_lines_globals(const struct lua_conf_lines *ln)
{
	return &ln->globals;
}

const struct lua_conf_shape *
lua_conf_lines_kid(const struct lua_conf_shape *sh, const char *key,
    long long index)
{
	const struct lua_conf_shape *found = NULL;
	size_t i;

	if (sh == NULL)
		return NULL;
	for (i = 0; i < sh->nkids; i++)
		if (same_key(&sh->kids[i], key, index))
			found = &sh->kids[i];	/* the last one wins, as in Lua */
	return found;
}

int
lua_conf_lines_line(const struct lua_conf_shape *sh)
{
	return sh->line;
}

size_t
lua_conf_lines_order(const struct lua_conf_shape *sh)
{
	return sh->order;
}
