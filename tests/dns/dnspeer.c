/*
 * dnspeer - start and stop the tests' DNS servers (see dnspeer.h)
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dnspeer.h"

static const char *const zones[] = { "bl.zone", "bl6.zone", "dbl.zone",
    "gen.zone" };

/* free_port - a port free for UDP and TCP on 127.0.0.1 */
static int
free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int u, t, port, i;

	for (i = 0; i < 50; i++) {
		if ((u = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
			return -1;
		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (bind(u, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
		    getsockname(u, (struct sockaddr *)&sa, &len) == -1) {
			close(u);
			return -1;
		}
		port = ntohs(sa.sin_port);
		t = socket(AF_INET, SOCK_STREAM, 0);
		if (t != -1 && bind(t, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			close(t);
			close(u);
			return port;
		}
		if (t != -1)
			close(t);
		close(u);
	}
	return -1;
}

/* copy - src into dst, readable by everyone (rbldnsd runs as nobody) */
static int
copy(const char *src, const char *dst)
{
	char buf[8192];
	ssize_t n;
	int in, out;

	if ((in = open(src, O_RDONLY)) == -1)
		return -1;
	if ((out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1) {
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			n = -1;
	close(in);
	close(out);
	return n == 0 ? 0 : -1;
}

/* spawn - run argv with stdout/stderr into log; the PID or -1 */
static int
spawn(char *const argv[], const char *log)
{
	pid_t pid = fork();
	int fd;

	if (pid != 0)
		return (int)pid;
	if ((fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644)) != -1) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	execvp(argv[0], argv);
	_exit(127);
}

/* ask - a UDP query for qname/type to port; the answer's length or -1 */
static int
ask(int port, const char *qname, int type, unsigned char *ans, size_t len,
    int ms)
{
	unsigned char q[300];
	struct sockaddr_in sa;
	struct pollfd pfd;
	size_t n = 12;
	const char *p = qname, *dot;
	ssize_t r;
	int fd;

	memset(q, 0, sizeof(q));
	q[0] = 0x12; q[1] = 0x34; q[2] = 0x01; q[5] = 1;
	while (*p) {
		dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		q[n++] = (unsigned char)l;
		memcpy(q + n, p, l);
		n += l;
		p += l + (dot ? 1 : 0);
	}
	q[n++] = 0;
	q[n++] = 0; q[n++] = (unsigned char)type;
	q[n++] = 0; q[n++] = 1;
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	(void)sendto(fd, q, n, 0, (struct sockaddr *)&sa, sizeof(sa));
	pfd.fd = fd;
	pfd.events = POLLIN;
	r = -1;
	if (poll(&pfd, 1, ms) == 1)
		r = recv(fd, ans, len, 0);
	close(fd);
	return (int)r;
}

/* ready - the server at port answers qname within a few seconds */
static int
ready(int port, const char *qname)
{
	unsigned char ans[512];
	int i;

	for (i = 0; i < 100; i++)
		if (ask(port, qname, 1, ans, sizeof(ans), 50) > 0)
			return 1;
	return 0;
}

int
dnspeer_start(struct dnspeer *p, const char *srcdir, int delay_ms)
{
	char src[1024], dst[1024], bind[64], log[1024], pid[1024];
	char up[64], port[16], delay[16], script[1024];
	char *rbl_argv[32], *fake_argv[16];
	size_t i;
	int n = 0;

	memset(p, 0, sizeof(*p));
	snprintf(p->dir, sizeof(p->dir), "/tmp/pgdns.XXXXXX");
	if (mkdtemp(p->dir) == NULL || chmod(p->dir, 0755) == -1) {
		perror("dnspeer: mkdtemp");
		return -1;
	}
	for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		snprintf(src, sizeof(src), "%s/tests/data/dns/%s", srcdir, zones[i]);
		snprintf(dst, sizeof(dst), "%s/%s", p->dir, zones[i]);
		if (copy(src, dst) == -1) {
			fprintf(stderr, "dnspeer: cannot copy %s\n", src);
			return -1;
		}
	}
	if ((p->rbl_port = free_port()) == -1 || (p->fake_port = free_port()) == -1)
		return -1;
	snprintf(bind, sizeof(bind), "127.0.0.1/%d", p->rbl_port);
	snprintf(log, sizeof(log), "%s/rbldnsd.log", p->dir);
	snprintf(pid, sizeof(pid), "%s/rbldnsd.pid", p->dir);
	rbl_argv[n++] = "rbldnsd";
	rbl_argv[n++] = "-n";
	rbl_argv[n++] = "-b";
	rbl_argv[n++] = bind;
	rbl_argv[n++] = "-w";
	rbl_argv[n++] = p->dir;
	if (getuid() == 0) {	/* rbldnsd would run as root otherwise */
		rbl_argv[n++] = "-u";
		rbl_argv[n++] = "nobody";
	}
	rbl_argv[n++] = "bl.test:ip4set:bl.zone";
	rbl_argv[n++] = "bl6.test:ip6trie:bl6.zone";
	rbl_argv[n++] = "dbl.test:dnset:dbl.zone";
	rbl_argv[n++] = "example.test:generic:gen.zone";
	rbl_argv[n] = NULL;
	if ((p->rbl_pid = spawn(rbl_argv, log)) == -1 ||
	    !ready(p->rbl_port, "example.test")) {
		fprintf(stderr, "dnspeer: rbldnsd did not start (see %s)\n", log);
		dnspeer_stop(p);
		return -1;
	}
	snprintf(script, sizeof(script), "%s/tests/dns/fakedns.py", srcdir);
	snprintf(port, sizeof(port), "%d", p->fake_port);
	snprintf(up, sizeof(up), "127.0.0.1:%d", p->rbl_port);
	snprintf(delay, sizeof(delay), "%d", delay_ms);
	snprintf(log, sizeof(log), "%s/fakedns.log", p->dir);
	n = 0;
	fake_argv[n++] = "/usr/bin/python3";
	fake_argv[n++] = script;
	fake_argv[n++] = "--port";
	fake_argv[n++] = port;
	fake_argv[n++] = "--upstream";
	fake_argv[n++] = up;
	fake_argv[n++] = "--delay";
	fake_argv[n++] = delay;
	fake_argv[n] = NULL;
	if ((p->fake_pid = spawn(fake_argv, log)) == -1 ||
	    !ready(p->fake_port, "www.good.test")) {
		fprintf(stderr, "dnspeer: fakedns.py did not start (see %s)\n", log);
		dnspeer_stop(p);
		return -1;
	}
	snprintf(p->rbl_server, sizeof(p->rbl_server), "127.0.0.1:%d", p->rbl_port);
	snprintf(p->fake_server, sizeof(p->fake_server), "127.0.0.1:%d",
	    p->fake_port);
	return 0;
}

/* reap - stop pid and wait for it */
static void
reap(int pid)
{
	int i;

	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	for (i = 0; i < 200; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

void
dnspeer_stop(struct dnspeer *p)
{
	char cmd[600];

	reap(p->fake_pid);
	reap(p->rbl_pid);
	p->fake_pid = p->rbl_pid = 0;
	if (p->dir[0] != '\0' && strncmp(p->dir, "/tmp/pgdns.", 11) == 0) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", p->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "dnspeer: cannot remove %s\n", p->dir);
	}
	p->dir[0] = '\0';
}

long
dnspeer_queries(const struct dnspeer *p)
{
	unsigned char ans[513];
	const char *k = "queries=";
	int n, i;

	memset(ans, 0, sizeof(ans));
	n = ask(p->fake_port, "stats.test", 16, ans, sizeof(ans) - 1, 1000);

	for (i = 0; i + 8 < n; i++)
		if (memcmp(ans + i, k, 8) == 0)
			return strtol((const char *)ans + i + 8, NULL, 10);
	return -1;
}
