/*
 * confwalk - the typed getters of the configuration loader (confwalk.h)
 */
#include <sys/socket.h>

#include <arpa/inet.h>

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "confwalk.h"
#include "units.h"
#include "xmalloc.h"

/* confwalk_fail - write "file:line: message" into err; returns -1 */
int
confwalk_fail(struct confwalk *w, int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (w->errlen == 0)
		return -1;
	if (line > 0)
		n = snprintf(w->err, w->errlen, "%s:%d: ", w->file, line);
	else
		n = snprintf(w->err, w->errlen, "%s: ", w->file);
	if (n < 0 || (size_t)n >= w->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(w->err + n, w->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* oom - the error for an allocation that failed; returns -1 */
int
confwalk_oom(struct confwalk *w)
{
	return confwalk_fail(w, 0, "out of memory");
}

/* sub_path - "parent.key", "parent[i]" or "key" at the top */
void
confwalk_sub_path(char *buf, size_t len, const char *parent,
    const struct lua_conf_node *n)
{
	if (n->key == NULL)
		snprintf(buf, len, "%s[%lld]", parent, n->index);
	else if (parent[0] == '\0')
		snprintf(buf, len, "%s", n->key);
	else
		snprintf(buf, len, "%s.%s", parent, n->key);
}

/* unknown - the error for a key nobody expects */
int
confwalk_unknown(struct confwalk *w, const char *path,
    const struct lua_conf_node *n)
{
	char k[CONFWALK_PATH_LEN];

	if (n->key != NULL)
		snprintf(k, sizeof(k), "key '%s'", n->key);
	else
		snprintf(k, sizeof(k), "list entry [%lld]", n->index);
	if (path[0] == '\0')
		return confwalk_fail(w, n->line, "unknown %s", k);
	return confwalk_fail(w, n->line, "unknown %s in %s", k, path);
}

/* want_type - check a node's type */
int
confwalk_want_type(struct confwalk *w, const char *path,
    const struct lua_conf_node *n, enum lua_conf_type type, const char *what)
{
	if (n->type == type)
		return 0;
	return confwalk_fail(w, n->line, "%s: expected %s, got %s", path, what,
	    lua_conf_type_name(n));
}

/* get_string - a string without NUL bytes, duplicated into *out */
int
confwalk_get_string(struct confwalk *w, const char *path,
    const struct lua_conf_node *n, char **out)
{
	if (confwalk_want_type(w, path, n, LUA_CONF_STRING, "a string") == -1)
		return -1;
	if (strlen(n->str) != n->len)
		return confwalk_fail(w, n->line, "%s: contains a NUL byte", path);
	if (n->len == 0)
		return confwalk_fail(w, n->line, "%s: must not be empty", path);
	free(*out);
	if ((*out = pg_strdup(n->str)) == NULL)
		return confwalk_oom(w);
	return 0;
}

/* get_bool - a boolean */
int
confwalk_get_bool(struct confwalk *w, const char *path,
    const struct lua_conf_node *n, int *out)
{
	if (confwalk_want_type(w, path, n, LUA_CONF_BOOLEAN, "true or false") == -1)
		return -1;
	*out = n->boolean;
	return 0;
}

/* get_size - "50M" or a number of bytes */
int
confwalk_get_size(struct confwalk *w, const char *path,
    const struct lua_conf_node *n, uint64_t *out)
{
	if (n->type == LUA_CONF_NUMBER) {
		if (!n->isint || n->ival < 0)
			return confwalk_fail(w, n->line, "%s: bad size %s", path, n->str);
		*out = (uint64_t)n->ival;
		return 0;
	}
	if (n->type != LUA_CONF_STRING)
		return confwalk_fail(w, n->line, "%s: expected a size such as \"50M\", "
		    "got %s", path, lua_conf_type_name(n));
	if (strlen(n->str) != n->len || units_parse_size(n->str, out) == -1) {
		if (errno == ERANGE)
			return confwalk_fail(w, n->line, "%s: size '%s' is too large",
			    path, n->str);
		return confwalk_fail(w, n->line, "%s: bad size '%s'", path, n->str);
	}
	return 0;
}

/* get_duration - "5m", "200ms" or a number of seconds, into ms */
int
confwalk_get_duration(struct confwalk *w, const char *path,
    const struct lua_conf_node *n, uint64_t *out)
{
	if (n->type == LUA_CONF_NUMBER) {
		if (!isfinite(n->num) || n->num < 0 || n->num > 1e15)
			return confwalk_fail(w, n->line, "%s: bad duration %s", path,
			    n->str);
		*out = (uint64_t)llround(n->num * 1000.0);
	} else if (n->type != LUA_CONF_STRING) {
		return confwalk_fail(w, n->line, "%s: expected a duration such as "
		    "\"5m\", got %s", path, lua_conf_type_name(n));
	} else if (strlen(n->str) != n->len ||
	    units_parse_duration(n->str, out) == -1) {
		if (errno == ERANGE)
			return confwalk_fail(w, n->line, "%s: duration '%s' is too long",
			    path, n->str);
		return confwalk_fail(w, n->line, "%s: bad duration '%s'", path, n->str);
	}
	if (*out == 0)
		return confwalk_fail(w, n->line, "%s: must be longer than 0", path);
	return 0;
}

/* get_count - a whole number in min..UINT_MAX */
int
confwalk_get_count(struct confwalk *w, const char *path,
    const struct lua_conf_node *n, unsigned min, unsigned *out)
{
	if (confwalk_want_type(w, path, n, LUA_CONF_NUMBER, "a number") == -1)
		return -1;
	if (!n->isint && !(isfinite(n->num) && n->num == floor(n->num)))
		return confwalk_fail(w, n->line, "%s: expected a whole number, got %s",
		    path, n->str);
	if (n->num < min || n->num > UINT_MAX)
		return confwalk_fail(w, n->line, "%s: %s is out of range (%u to %u)",
		    path, n->str, min, UINT_MAX);
	*out = (unsigned)n->num;
	return 0;
}

/* get_score - a finite number */
int
confwalk_get_score(struct confwalk *w, const char *path,
    const struct lua_conf_node *n, double *out)
{
	if (confwalk_want_type(w, path, n, LUA_CONF_NUMBER, "a number") == -1)
		return -1;
	if (!isfinite(n->num))
		return confwalk_fail(w, n->line, "%s: %s is not a finite number", path,
		    n->str);
	*out = n->num;
	return 0;
}

/* get_verdict - "tempfail", "accept" or "reject" */
int
confwalk_get_verdict(struct confwalk *w, const char *path,
    const struct lua_conf_node *n, enum pg_verdict *out)
{
	if (confwalk_want_type(w, path, n, LUA_CONF_STRING, "a string") == -1)
		return -1;
	if (strcmp(n->str, "tempfail") == 0)
		*out = PG_TEMPFAIL;
	else if (strcmp(n->str, "accept") == 0)
		*out = PG_ACCEPT;
	else if (strcmp(n->str, "reject") == 0)
		*out = PG_REJECT;
	else
		return confwalk_fail(w, n->line, "%s: '%s' is not one of tempfail, "
		    "accept, reject", path, n->str);
	return 0;
}

/* want_table - a table of named keys */
int
confwalk_want_table(struct confwalk *w, const char *path,
    const struct lua_conf_node *n)
{
	return confwalk_want_type(w, path, n, LUA_CONF_TABLE, "a table");
}

/* want_list - a table of entries [1]..[n] and nothing else */
int
confwalk_want_list(struct confwalk *w, const char *path,
    const struct lua_conf_node *n, const char *example)
{
	size_t i;

	if (confwalk_want_type(w, path, n, LUA_CONF_TABLE, "a list of tables") == -1)
		return -1;
	for (i = 0; i < n->nkids; i++) {
		const struct lua_conf_node *k = &n->kids[i];

		if (k->key != NULL)
			return confwalk_fail(w, k->line, "unknown key '%s' in %s "
			    "(a list: %s = { %s, ... })", k->key, path, path,
			    example);
		if (k->index != (long long)i + 1)
			return confwalk_fail(w, k->line, "%s: entry [%lld] follows "
			    "entry [%zu]: the list has a hole", path, k->index, i);
	}
	return 0;
}

/*
 * check_addr - an address key: addr.h's grammar with flags (ADDR_*); 0, or
 * -1 with "PATH: bad WHAT 'SPEC': reason"
 */
int
confwalk_check_addr(struct confwalk *w, const char *path,
    const struct lua_conf_node *k, const char *what, unsigned flags)
{
	struct addr a;
	char why[256];

	if (addr_parse(k->str, flags, &a, why, sizeof(why)) == 0)
		return 0;
	return confwalk_fail(w, k->line, "%s: bad %s '%s': %s", path, what, k->str, why);
}

