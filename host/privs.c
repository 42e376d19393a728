/*
 * privs - the user, the socket groups, and who can remove a socket (privs.h)
 *
 * A unix socket is removed at stop by the process as it is then: after a
 * privilege drop (`user =`, started as root), the user it became. That
 * takes write and search permission on the socket's directory (and, in a
 * sticky directory, owning the socket: listen.c gives the socket to the
 * user as it binds). So with a drop, each unix listener's directory is
 * checked before anything is bound, and a directory the user could not
 * remove the socket from is a configuration error, with the fix in the
 * message, rather than a socket left behind at every stop. The check reads
 * the mode bits for the user, its group and its supplementary groups (as
 * the kernel will, the process having no capability left after the drop);
 * ACLs are not read (docs/production.md).
 *
 * Trust: the configuration is checked already (config.c); the accounts
 * come from NSS (getpwnam, getgrnam, getgrouplist).
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "config.h"
#include "privs.h"

#define PRIVS_GROUPS_MAX	1024

/* group_exists - a socket_group that resolves (a name, or a number) */
static int
group_exists(const char *g)
{
	char *end;

	if (getgrnam(g) != NULL)
		return 1;
	return strtoul(g, &end, 10) > 0 && *end == '\0';
}

/* in_groups - gid is pw's group or one of its supplementary groups */
static int
in_groups(const struct passwd *pw, gid_t gid)
{
	gid_t groups[PRIVS_GROUPS_MAX];
	int i, n = PRIVS_GROUPS_MAX;

	if (gid == pw->pw_gid)
		return 1;
	if (getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) == -1)
		n = PRIVS_GROUPS_MAX;
	for (i = 0; i < n; i++)
		if (groups[i] == gid)
			return 1;
	return 0;
}

/*
 * removable - can pw remove a socket it owns from dir? From the mode bits
 * (wx for the owner, the group or others, as the kernel picks the class)
 */
static int
removable(const struct passwd *pw, const char *dir)
{
	struct stat st;
	mode_t need;

	if (stat(dir, &st) == -1)
		return 0;
	if (pw->pw_uid == 0)
		return 1;
	if (st.st_uid == pw->pw_uid)
		need = S_IWUSR | S_IXUSR;
	else if (in_groups(pw, st.st_gid))
		need = S_IWGRP | S_IXGRP;
	else
		need = S_IWOTH | S_IXOTH;
	return (st.st_mode & need) == need;
}

/* socket_dir - with a drop to pw: listen's directory lets pw remove it */
static int
socket_dir(const struct config *cfg, const struct passwd *pw,
    const char *listen, const char *where)
{
	struct addr a;
	char why[256], dir[sizeof(a.path)], *slash;

	if (listen == NULL || addr_parse(listen, 0, &a, why, sizeof(why)) == -1 ||
	    a.family != AF_UNIX)
		return 0;
	snprintf(dir, sizeof(dir), "%s", a.path);
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if (removable(pw, dir))
		return 0;
	fprintf(stderr, "phasegate: %s: %s %s: user %s could not remove the "
	    "socket at stop: its directory %s must be writable by %s (install -d "
	    "-o %s %s, or put the socket in /run/phasegate)\n", cfg->file, where,
	    listen, pw->pw_name, dir, pw->pw_name, pw->pw_name, dir);
	return -1;
}

/* groups_exist - every socket_group names a group; -1 when one does not */
static int
groups_exist(const struct config *cfg)
{
	int rc = 0;
	size_t i;

	if (cfg->milter_sock.group != NULL && !group_exists(cfg->milter_sock.group)) {
		fprintf(stderr, "phasegate: %s:%d: milter.socket_group %s: no such "
		    "group\n", cfg->file, cfg->milter_sock.line,
		    cfg->milter_sock.group);
		rc = -1;
	}
	for (i = 0; i < cfg->nsmtp; i++)
		if (cfg->smtp[i].sock.group != NULL &&
		    !group_exists(cfg->smtp[i].sock.group)) {
			fprintf(stderr, "phasegate: %s:%d: smtp[%zu].socket_group "
			    "%s: no such group\n", cfg->file,
			    cfg->smtp[i].sock.line, i + 1,
			    cfg->smtp[i].sock.group);
			rc = -1;
		}
	return rc;
}

int
privs_check(const struct config *cfg)
{
	struct passwd *pw;
	int rc = groups_exist(cfg);
	size_t i;

	if (cfg->user == NULL)
		return rc;
	if ((pw = getpwnam(cfg->user)) == NULL) {
		fprintf(stderr, "phasegate: %s: user %s: no such user\n", cfg->file,
		    cfg->user);
		return -1;
	}
	/* no drop (not root, or already that user): nothing changes at stop */
	if (geteuid() != 0 || getuid() == pw->pw_uid)
		return rc;
	if (socket_dir(cfg, pw, cfg->milter_listen, "milter.listen") == -1)
		rc = -1;
	for (i = 0; i < cfg->nsmtp; i++)
		if (socket_dir(cfg, pw, cfg->smtp[i].listen, "smtp listen") == -1)
			rc = -1;
	return rc;
}
