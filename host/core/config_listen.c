/*
 * config_listen - socket_mode, socket_group and hostname (config_listen.h)
 *
 * socket_mode is written as chmod takes it, a string of octal digits
 * ("0660"): a Lua number 0660 is six hundred and sixty, so a number is
 * refused with that reason. A mode without any write bit is refused too:
 * connecting to a unix socket takes write permission. socket_group is a
 * group name or number, looked up only when the socket is made (serve,
 * configtest), so that `check` runs with a production configuration on a
 * machine without that group. hostname goes into SMTP replies and the
 * Received: line as it is: letters, digits, '-' and '.' only, so that it
 * cannot break a reply or a header.
 */
#include <sys/socket.h>

#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "config_listen.h"

#define HOSTNAME_MAX	253

int
config_listen_sock_key(struct confwalk *w, const char *path,
    const struct lua_conf_node *k, struct config_sock *s)
{
	const char *key = k->key != NULL ? k->key : "", *p;
	unsigned long v;
	char *end;

	if (strcmp(key, "socket_group") == 0) {
		s->line = k->line;
		return confwalk_get_string(w, path, k, &s->group);
	}
	if (strcmp(key, "socket_mode") != 0)
		return 1;
	if (k->type == LUA_CONF_NUMBER)
		return confwalk_fail(w, k->line, "%s: write the mode as a string "
		    "of octal digits, as chmod takes it (\"0660\"): a Lua number "
		    "is decimal", path);
	if (confwalk_want_type(w, path, k, LUA_CONF_STRING, "a string") == -1)
		return -1;
	for (p = k->str; *p >= '0' && *p <= '7'; p++)
		;
	v = strtoul(k->str, &end, 8);
	if (*p != '\0' || p == k->str || p - k->str > 4 || v > 0777)
		return confwalk_fail(w, k->line, "%s: '%s' is not a mode such as "
		    "\"0660\" (octal, at most 0777)", path, k->str);
	if ((v & 0222) == 0)
		return confwalk_fail(w, k->line, "%s: '%s' lets nobody connect "
		    "(connecting to a unix socket takes write permission)",
		    path, k->str);
	s->mode = (unsigned)v;
	return 0;
}

int
config_listen_sock_check(struct confwalk *w, const char *where, int line,
    const char *listen, const struct config_sock *s)
{
	struct addr a;
	char why[256];

	if ((s->mode == 0 && s->group == NULL) || listen == NULL)
		return 0;
	if (addr_parse(listen, 0, &a, why, sizeof(why)) == 0 &&
	    a.family == AF_UNIX)
		return 0;
	return confwalk_fail(w, line, "%s: socket_mode and socket_group are for "
	    "a unix socket (listen = \"unix:/path\"), not %s", where, listen);
}

int
config_listen_hostname(struct confwalk *w, const char *path,
    const struct lua_conf_node *k, char **out)
{
	const char *p;

	if (confwalk_get_string(w, path, k, out) == -1)
		return -1;
	for (p = *out; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.'))
			break;
	if (*p != '\0' || p == *out || p - *out > HOSTNAME_MAX ||
	    **out == '.' || **out == '-' || strstr(*out, "..") != NULL)
		return confwalk_fail(w, k->line, "%s: '%s' is not a host name "
		    "(letters, digits, '-' and '.', at most %d characters)", path,
		    k->str, HOSTNAME_MAX);
	return 0;
}

void
config_listen_sock_free(struct config_sock *s)
{
	free(s->group);
	s->group = NULL;
}
