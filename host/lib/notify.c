/*
 * notify - the sd_notify(3) protocol, without libsystemd
 *
 * Public: notify_send(), notify_reloading().
 *
 * A unit of Type=notify (contrib/systemd/phasegate.service) passes the
 * path of a unix datagram socket in $NOTIFY_SOCKET; the daemon sends it
 * newline-separated assignments: READY=1 once it serves, RELOADING=1 (with
 * MONOTONIC_USEC) and READY=1 around a reload, STOPPING=1 as it stops.
 * The protocol is systemd's stable interface (the same few lines sd_notify
 * runs), so phasegate does not link libsystemd for it. A path starting with
 * '@' names an abstract socket. Without $NOTIFY_SOCKET nothing is sent.
 *
 * The variable is read at every call, not cached: serve sends a handful of
 * messages in a process's life. Uses libc only; never logs: the caller
 * decides whether a failure matters (it does not stop the daemon).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "notify.h"

int
notify_send(const char *state)
{
	struct sockaddr_un sun;
	const char *path = getenv("NOTIFY_SOCKET");
	size_t len;
	ssize_t n;
	int fd, saved;

	if (path == NULL || *path == '\0')
		return 0;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(sun.sun_path)) {
		errno = EINVAL;
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, len);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';	/* abstract: no NUL at the end */
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	n = sendto(fd, state, strlen(state), MSG_NOSIGNAL,
	    (struct sockaddr *)&sun,
	    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
	    (path[0] == '/')));
	saved = errno;
	close(fd);
	if (n == -1) {
		errno = saved;
		return -1;
	}
	return 1;
}

int
notify_reloading(void)
{
	struct timespec ts;
	char buf[64];

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return notify_send("RELOADING=1");
	snprintf(buf, sizeof(buf), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000ULL);
	return notify_send(buf);
}
