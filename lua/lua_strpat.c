/*
 * lua_strpat - string.find, string.match, string.gmatch and string.gsub
 * for scripts, with Lua 5.4's pattern language and results, but a matcher
 * that checks the call's deadline as it goes.
 *
 * Public (to lua/): lb_strpat_open().
 *
 * Lua's own matcher runs in C where the instruction hook never fires: a
 * pattern like "(.-)x(.-)y" failing on a 64 KiB body runs for tens of
 * seconds and timeouts.script cannot stop it. This matcher is a plain
 * backtracking matcher like Lua's (same classes, sets, quantifiers,
 * captures, %b, %f, back-references, anchors) that counts its steps and,
 * every LB_PAT_CHECK steps, asks lb_deadline_check() whether the call is
 * out of time; a runaway match therefore ends as "script timed out" like
 * any endless loop. Recursion is bounded (LB_PAT_DEPTH). Errors (malformed
 * patterns) are raised with luaL_error, as Lua does.
 */

#include <ctype.h>
#include <string.h>

#include "lua_int.h"

#define LB_PAT_CAPS	32
#define LB_PAT_DEPTH	200
#define LB_PAT_CHECK	1024
#define CAP_OPEN	(-1)
#define CAP_POSITION	(-2)
#define ESC		'%'
#define SPECIALS	"^$*+?.([%-"

struct pat {
	const char	*src;		/* subject */
	const char	*src_end;
	const char	*pat_end;
	lua_State	*L;
	int		 depth;		/* recursion left */
	unsigned	 steps;
	int		 ncap;
	struct {
		const char	*at;
		ptrdiff_t	 len;	/* CAP_OPEN, CAP_POSITION or length */
	} cap[LB_PAT_CAPS];
};

static const char *match(struct pat *, const char *, const char *);

/* step - count work; look at the clock now and then */
static void
step(struct pat *m)
{
	if (++m->steps % LB_PAT_CHECK == 0)
		lb_deadline_check(m->L);
}

/* item_end - the end of the single-character item at p */
static const char *
item_end(struct pat *m, const char *p)
{
	char c = *p++;

	if (c == ESC) {
		if (p >= m->pat_end)
			luaL_error(m->L, "malformed pattern (ends with '%%')");
		return p + 1;
	}
	if (c == '[') {
		if (p < m->pat_end && *p == '^')
			p++;
		do {	/* the first ']' after '[' or '[^' is a member */
			if (p >= m->pat_end)
				luaL_error(m->L,
				    "malformed pattern (missing ']')");
			c = *p++;
			if (c == ESC && p < m->pat_end)
				p++;
		} while (p >= m->pat_end || *p != ']');
		return p + 1;
	}
	return p;
}

/* in_class - c against a %x class letter */
static int
in_class(int c, int cl)
{
	int r;

	switch (tolower(cl)) {
	case 'a': r = isalpha(c); break;
	case 'c': r = iscntrl(c); break;
	case 'd': r = isdigit(c); break;
	case 'g': r = isgraph(c); break;
	case 'l': r = islower(c); break;
	case 'p': r = ispunct(c); break;
	case 's': r = isspace(c); break;
	case 'u': r = isupper(c); break;
	case 'w': r = isalnum(c); break;
	case 'x': r = isxdigit(c); break;
	case 'z': r = c == 0; break;	/* deprecated in Lua, still there */
	default: return cl == c;
	}
	if (isupper(cl))
		r = !r;
	return r != 0;
}

/* in_set - c against the set [..] from p (at '[') to close (at ']') */
static int
in_set(int c, const char *p, const char *close)
{
	int yes = 1;

	if (*++p == '^') {
		yes = 0;
		p++;
	}
	while (p < close) {
		if (*p == ESC) {
			p++;
			if (in_class(c, (unsigned char)*p))
				return yes;
			p++;
		} else if (p[1] == '-' && p + 2 < close) {
			if ((unsigned char)p[0] <= c &&
			    c <= (unsigned char)p[2])
				return yes;
			p += 3;
		} else {
			if ((unsigned char)*p == c)
				return yes;
			p++;
		}
	}
	return !yes;
}

/* one - whether the byte at s matches the item p..ep */
static int
one(struct pat *m, const char *s, const char *p, const char *ep)
{
	int c;

	if (s >= m->src_end)
		return 0;
	c = (unsigned char)*s;
	switch (*p) {
	case '.':
		return 1;
	case ESC:
		return in_class(c, (unsigned char)p[1]);
	case '[':
		return in_set(c, p, ep - 1);
	default:
		return (unsigned char)*p == c;
	}
}

/* greedy - item*, item+ (s already past the required one) */
static const char *
greedy(struct pat *m, const char *s, const char *p, const char *ep)
{
	ptrdiff_t i = 0;
	const char *r;

	while (one(m, s + i, p, ep))
		i++;
	m->steps += (unsigned)(i / 64);
	for (; i >= 0; i--)
		if ((r = match(m, s + i, ep + 1)) != NULL)
			return r;
	return NULL;
}

/* lazy - item- */
static const char *
lazy(struct pat *m, const char *s, const char *p, const char *ep)
{
	const char *r;

	for (;;) {
		if ((r = match(m, s, ep + 1)) != NULL)
			return r;
		if (!one(m, s, p, ep))
			return NULL;
		s++;
	}
}

/* open_cap - start a capture (len CAP_OPEN or CAP_POSITION) */
static const char *
open_cap(struct pat *m, const char *s, const char *p, ptrdiff_t len)
{
	const char *r;

	if (m->ncap >= LB_PAT_CAPS)
		luaL_error(m->L, "too many captures");
	m->cap[m->ncap].at = s;
	m->cap[m->ncap].len = len;
	m->ncap++;
	if ((r = match(m, s, p)) == NULL)
		m->ncap--;
	return r;
}

/* close_cap - end the innermost open capture */
static const char *
close_cap(struct pat *m, const char *s, const char *p)
{
	const char *r;
	int k;

	for (k = m->ncap - 1; k >= 0; k--)
		if (m->cap[k].len == CAP_OPEN)
			break;
	if (k < 0)
		luaL_error(m->L, "invalid pattern capture");
	m->cap[k].len = s - m->cap[k].at;
	if ((r = match(m, s, p)) == NULL)
		m->cap[k].len = CAP_OPEN;
	return r;
}

/* balance - %bxy at s */
static const char *
balance(struct pat *m, const char *s, const char *p)
{
	int depth = 1;

	if (p + 1 >= m->pat_end)
		luaL_error(m->L, "malformed pattern (missing arguments to"
		    " '%%b')");
	if (s >= m->src_end || *s != p[0])
		return NULL;
	while (++s < m->src_end) {
		if (*s == p[1]) {
			if (--depth == 0)
				return s + 1;
		} else if (*s == p[0])
			depth++;
	}
	return NULL;
}

/* backref - %1..%9 at s */
static const char *
backref(struct pat *m, const char *s, int d)
{
	int k = d - '1';
	size_t len;

	if (k < 0 || k >= m->ncap || m->cap[k].len == CAP_OPEN)
		luaL_error(m->L, "invalid capture index %%%d", k + 1);
	len = (size_t)m->cap[k].len;
	if ((size_t)(m->src_end - s) >= len &&
	    memcmp(m->cap[k].at, s, len) == 0)
		return s + len;
	return NULL;
}

/* match - match pattern p against s; the end of the match or NULL */
static const char *
match(struct pat *m, const char *s, const char *p)
{
	const char *ep, *r = NULL;

	step(m);
	if (m->depth-- == 0)
		luaL_error(m->L, "pattern too complex");
	while (p < m->pat_end) {
		switch (*p) {
		case '(':
			if (p + 1 < m->pat_end && p[1] == ')')
				r = open_cap(m, s, p + 2, CAP_POSITION);
			else
				r = open_cap(m, s, p + 1, CAP_OPEN);
			goto out;
		case ')':
			r = close_cap(m, s, p + 1);
			goto out;
		case '$':
			if (p + 1 == m->pat_end) {
				r = s == m->src_end ? s : NULL;
				goto out;
			}
			break;
		case ESC:
			if (p + 1 >= m->pat_end)
				break;	/* item_end raises the error */
			if (p[1] == 'b') {
				if ((s = balance(m, s, p + 2)) == NULL)
					goto out;
				p += 4;
				continue;
			}
			if (p[1] == 'f') {
				int prev, cur;

				p += 2;
				if (p >= m->pat_end || *p != '[')
					luaL_error(m->L, "missing '[' after"
					    " '%%f' in pattern");
				ep = item_end(m, p);
				prev = s == m->src ? 0 : (unsigned char)s[-1];
				cur = s < m->src_end ? (unsigned char)*s : 0;
				if (in_set(prev, p, ep - 1) ||
				    !in_set(cur, p, ep - 1))
					goto out;
				p = ep;
				continue;
			}
			if (p[1] >= '0' && p[1] <= '9') {
				if ((s = backref(m, s, (unsigned char)p[1]))
				    == NULL)
					goto out;
				p += 2;
				continue;
			}
			break;
		}
		/* a single-character item, maybe with a quantifier */
		ep = item_end(m, p);
		if (!one(m, s, p, ep)) {
			if (ep < m->pat_end &&
			    (*ep == '*' || *ep == '?' || *ep == '-')) {
				p = ep + 1;
				continue;
			}
			r = NULL;
			goto out;
		}
		if (ep < m->pat_end) {
			switch (*ep) {
			case '?':
				if ((r = match(m, s + 1, ep + 1)) != NULL)
					goto out;
				p = ep + 1;
				continue;
			case '+':
				r = greedy(m, s + 1, p, ep);
				goto out;
			case '*':
				r = greedy(m, s, p, ep);
				goto out;
			case '-':
				r = lazy(m, s, p, ep);
				goto out;
			}
		}
		s++;
		p = ep;
	}
	r = s;
out:
	m->depth++;
	return r;
}

/* push_cap - capture k (or the whole match s..e when there are none) */
static void
push_cap(struct pat *m, int k, const char *s, const char *e)
{
	if (k >= m->ncap) {
		if (k != 0)
			luaL_error(m->L, "invalid capture index %%%d", k + 1);
		lua_pushlstring(m->L, s, (size_t)(e - s));
		return;
	}
	if (m->cap[k].len == CAP_OPEN)
		luaL_error(m->L, "unfinished capture");
	if (m->cap[k].len == CAP_POSITION)
		lua_pushinteger(m->L, (m->cap[k].at - m->src) + 1);
	else
		lua_pushlstring(m->L, m->cap[k].at, (size_t)m->cap[k].len);
}

/* push_caps - every capture; the whole match if none and s != NULL */
static int
push_caps(struct pat *m, const char *s, const char *e)
{
	int k, n = (m->ncap == 0 && s) ? 1 : m->ncap;

	luaL_checkstack(m->L, n, "too many captures");
	for (k = 0; k < n; k++)
		push_cap(m, k, s, e);
	return n;
}

/* init_pat - a matcher over subject s/ls and pattern p/lp */
static void
init_pat(struct pat *m, lua_State *L, const char *s, size_t ls,
    const char *p, size_t lp)
{
	m->L = L;
	m->src = s;
	m->src_end = s + ls;
	m->pat_end = p + lp;
	m->steps = 0;
}

/* reset - before each attempt */
static void
reset(struct pat *m)
{
	m->ncap = 0;
	m->depth = LB_PAT_DEPTH;
}

/* start_at - Lua 5.4's posrelatI */
static size_t
start_at(lua_Integer pos, size_t len)
{
	if (pos > 0)
		return (size_t)pos;
	if (pos == 0)
		return 1;
	if (pos < -(lua_Integer)len)
		return 1;
	return len + (size_t)pos + 1;
}

/* has_specials - whether p holds a magic character */
static int
has_specials(const char *p, size_t lp)
{
	size_t i;

	for (i = 0; i < lp; i++)
		if (strchr(SPECIALS, p[i]) != NULL && p[i] != '\0')
			return 1;
	return 0;
}

/* find_or_match - string.find (find = 1) and string.match */
static int
find_or_match(lua_State *L, int find)
{
	size_t ls, lp, init;
	const char *s = luaL_checklstring(L, 1, &ls);
	const char *p = luaL_checklstring(L, 2, &lp);
	const char *s1, *e;
	struct pat m;
	int anchor;

	init = start_at(luaL_optinteger(L, 3, 1), ls);
	if (init > ls + 1) {
		lua_pushnil(L);
		return 1;
	}
	if (find && (lua_toboolean(L, 4) || !has_specials(p, lp))) {
		const char *f = lp == 0 ? s + init - 1 :
		    memmem(s + init - 1, ls - init + 1, p, lp);

		if (f == NULL) {
			lua_pushnil(L);
			return 1;
		}
		lua_pushinteger(L, (f - s) + 1);
		lua_pushinteger(L, (lua_Integer)((f - s) + (ptrdiff_t)lp));
		return 2;
	}
	anchor = lp > 0 && *p == '^';
	if (anchor) {
		p++;
		lp--;
	}
	init_pat(&m, L, s, ls, p, lp);
	s1 = s + init - 1;
	do {
		reset(&m);
		if ((e = match(&m, s1, p)) != NULL) {
			if (find) {
				lua_pushinteger(L, (s1 - s) + 1);
				lua_pushinteger(L, e - s);
				return push_caps(&m, NULL, NULL) + 2;
			}
			return push_caps(&m, s1, e);
		}
	} while (s1++ < m.src_end && !anchor);
	lua_pushnil(L);
	return 1;
}

static int
lua_str_find(lua_State *L)
{
	return find_or_match(L, 1);
}

static int
lua_str_match(lua_State *L)
{
	return find_or_match(L, 0);
}

/* gmatch_next - upvalues: subject, pattern, position, last match end */
static int
gmatch_next(lua_State *L)
{
	size_t ls, lp;
	const char *s = lua_tolstring(L, lua_upvalueindex(1), &ls);
	const char *p = lua_tolstring(L, lua_upvalueindex(2), &lp);
	lua_Integer pos = lua_tointeger(L, lua_upvalueindex(3));
	lua_Integer last = lua_tointeger(L, lua_upvalueindex(4));
	const char *src, *e;
	struct pat m;

	init_pat(&m, L, s, ls, p, lp);
	for (src = s + pos; src <= m.src_end; src++) {
		reset(&m);
		if ((e = match(&m, src, p)) != NULL && e - s != last) {
			lua_pushinteger(L, e - s);
			lua_copy(L, -1, lua_upvalueindex(3));
			lua_replace(L, lua_upvalueindex(4));
			return push_caps(&m, src, e);
		}
	}
	return 0;
}

static int
lua_str_gmatch(lua_State *L)
{
	size_t ls;
	size_t init;

	luaL_checklstring(L, 1, &ls);
	luaL_checkstring(L, 2);
	/* 0-based; past the end means no match at all, as in Lua */
	init = start_at(luaL_optinteger(L, 3, 1), ls) - 1;
	if (init > ls)
		init = ls + 1;
	lua_settop(L, 2);
	lua_pushinteger(L, (lua_Integer)init);
	lua_pushinteger(L, -1);
	lua_pushcclosure(L, gmatch_next, 4);
	return 1;
}

/* add_repl - append the replacement for the match s..e */
static void
add_repl(struct pat *m, luaL_Buffer *b, const char *s, const char *e,
    int tr)
{
	lua_State *L = m->L;
	size_t lr, i;
	const char *r;

	switch (tr) {
	case LUA_TFUNCTION:
		lua_pushvalue(L, 3);
		lua_call(L, push_caps(m, s, e), 1);
		break;
	case LUA_TTABLE:
		push_cap(m, 0, s, e);
		lua_gettable(L, 3);
		break;
	default:	/* string or number */
		r = lua_tolstring(L, 3, &lr);
		for (i = 0; i < lr; i++) {
			if (r[i] != ESC) {
				luaL_addchar(b, r[i]);
				continue;
			}
			i++;
			if (i < lr && r[i] == ESC)
				luaL_addchar(b, ESC);
			else if (i < lr && r[i] >= '0' && r[i] <= '9') {
				if (r[i] == '0')
					luaL_addlstring(b, s, (size_t)(e - s));
				else {
					push_cap(m, r[i] - '1', s, e);
					luaL_tolstring(L, -1, NULL);
					lua_remove(L, -2);
					luaL_addvalue(b);
				}
			} else
				luaL_error(L, "invalid use of '%c' in"
				    " replacement string", ESC);
		}
		return;
	}
	if (!lua_toboolean(L, -1)) {
		lua_pop(L, 1);
		luaL_addlstring(b, s, (size_t)(e - s));
	} else if (!lua_isstring(L, -1))
		luaL_error(L, "invalid replacement value (a %s)",
		    luaL_typename(L, -1));
	else
		luaL_addvalue(b);
}

static int
lua_str_gsub(lua_State *L)
{
	size_t ls, lp;
	const char *src = luaL_checklstring(L, 1, &ls);
	const char *p = luaL_checklstring(L, 2, &lp);
	const char *last = NULL, *e;
	int tr = lua_type(L, 3);
	lua_Integer max = luaL_optinteger(L, 4, (lua_Integer)ls + 1), n = 0;
	int anchor, changed = 0;
	struct pat m;
	luaL_Buffer b;

	lb_cstack_check(L);
	luaL_argexpected(L, tr == LUA_TNUMBER || tr == LUA_TSTRING ||
	    tr == LUA_TFUNCTION || tr == LUA_TTABLE, 3,
	    "string/function/table");
	anchor = lp > 0 && *p == '^';
	if (anchor) {
		p++;
		lp--;
	}
	luaL_buffinit(L, &b);
	init_pat(&m, L, src, ls, p, lp);
	while (n < max) {
		reset(&m);
		if ((e = match(&m, src, p)) != NULL && e != last) {
			n++;
			add_repl(&m, &b, src, e, tr);
			src = last = e;
			changed = 1;
		} else if (src < m.src_end)
			luaL_addchar(&b, *src++);
		else
			break;
		if (anchor)
			break;
	}
	if (!changed)
		lua_pushvalue(L, 1);
	else {
		luaL_addlstring(&b, src, (size_t)(m.src_end - src));
		luaL_pushresult(&b);
	}
	lua_pushinteger(L, n);
	return 2;
}

void
lb_strpat_open(lua_State *L, int t)
{
	static const luaL_Reg f[] = {
		{ "find", lua_str_find },
		{ "match", lua_str_match },
		{ "gmatch", lua_str_gmatch },
		{ "gsub", lua_str_gsub },
		{ NULL, NULL }
	};

	t = lua_absindex(L, t);
	lua_pushvalue(L, t);
	luaL_setfuncs(L, f, 0);
	lua_pop(L, 1);
}
