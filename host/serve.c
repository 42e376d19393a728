/*
 * serve - `phasegate serve`: run the front ends the configuration names
 *
 * Public: serve_main().
 * Signals: SIGTERM, SIGINT, SIGHUP, SIGUSR1 and SIGUSR2 are blocked first
 * thing, before any thread is started (threads inherit the mask), and the
 * main thread takes them with sigwait(): SIGTERM/SIGINT stop cleanly,
 * SIGHUP loads the configuration again and publishes a new chain
 * generation for new sessions (gen.h; listeners stay as they were, and a
 * change only a restart applies is logged as "restart needed", see
 * config_diff.h; running sessions finish on the old generation), SIGUSR1
 * reopens the log
 * (reopen_log()), SIGUSR2 is ignored; none of them kills the process. A
 * configuration that fails to load on SIGHUP is logged with the reason and
 * the old one stays: the whole load path (config_load, chain_load, plugin
 * init) returns its errors, out of memory included, and never exits.
 *
 * The log: stderr with timestamps, syslog or a file (log_apply()), at
 * log_level (-v: debug), the level applied again at each reload. The
 * stats listener (stats_front.h) starts after the other front ends and
 * stops with them; reloads are counted (metrics.h).
 *
 * systemd (Type=notify, notify.h): READY=1 once every listener is up,
 * RELOADING=1 and READY=1 around a SIGHUP reload, STOPPING=1 at stop.
 *
 * Process tuning lives here and nowhere else (docs/architecture.md):
 * SIGPIPE ignored (a peer that goes away is an EPIPE), glibc malloc
 * thresholds fixed, the descriptor soft limit raised to the hard limit
 * (both logged, with a warning when the proxy's max_sessions may need
 * more).
 */
#include <errno.h>
#include <grp.h>
#include <malloc.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chain.h"
#include "config.h"
#include "config_diff.h"
#include "fiber.h"
#include "gen.h"
#include "listen.h"
#include "log.h"
#include "metrics.h"
#include "milter_front.h"
#include "notify.h"
#include "privs.h"
#include "proxy_front.h"
#include "serve.h"
#include "spool.h"
#include "stats_front.h"

/* a session's stack: reserved, only touched pages count (filters run on it) */
#define SERVE_FIBER_STACK	(256 * 1024)

/*
 * glibc malloc, for a daemon whose sessions come and go: a session frees
 * buffers of 64 KiB (its read buffer, the spool's tail) when it ends, and
 * with the default thresholds every such free may hand the top of a
 * worker's arena back to the kernel (madvise, which on a VM means a TLB
 * shoot-down on every CPU) and the next session fault it in again. Keep up
 * to SERVE_TRIM_MAX free at the top of an arena, grow arenas in steps of
 * SERVE_TOP_PAD, and serve blocks below SERVE_MMAP_MIN (a message spooled
 * in memory) from the arenas (a fixed threshold: glibc's sliding one rises
 * only after such a block was freed).
 */
#define SERVE_TRIM_MAX	(32 * 1024 * 1024)
#define SERVE_TOP_PAD	(1024 * 1024)
#define SERVE_MMAP_MIN	(2 * 1024 * 1024)

/*
 * fd_check - report the descriptor limits (soft was raised from was) and
 * warn when the proxy's max_sessions need more than the limit allows
 */
static void
fd_check(const struct config *cfg, const struct rlimit *rl, rlim_t was)
{
	unsigned long long need = LISTEN_FD_SPARE;
	size_t i;

	log_info("descriptors: soft limit %llu%s, hard limit %llu",
	    (unsigned long long)rl->rlim_cur, rl->rlim_cur != was ?
	    " (raised to the hard limit)" : "",
	    (unsigned long long)rl->rlim_max);
	for (i = 0; i < cfg->nsmtp; i++)
		need += (unsigned long long)cfg->smtp[i].max_sessions *
		    PROXY_FRONT_FDS_PER_SESSION;
	if (cfg->nsmtp > 0 && rl->rlim_cur != RLIM_INFINITY &&
	    need > rl->rlim_cur)
		log_warnx("descriptors: the smtp listeners' max_sessions may "
		    "need %llu descriptors (%d a session: client, upstream, a "
		    "spool file), more than the limit of %llu: clients beyond "
		    "it get 421 4.3.2; raise the hard limit (systemd "
		    "LimitNOFILE=, ulimit -Hn) or lower max_sessions", need,
		    PROXY_FRONT_FDS_PER_SESSION,
		    (unsigned long long)rl->rlim_cur);
}

/* tune - the process-wide settings of a daemon, once, before any thread */
static void
tune(const struct config *cfg)
{
	struct rlimit rl;
	rlim_t was;

	signal(SIGPIPE, SIG_IGN);
	(void)mallopt(M_TRIM_THRESHOLD, SERVE_TRIM_MAX);
	(void)mallopt(M_TOP_PAD, SERVE_TOP_PAD);
	(void)mallopt(M_MMAP_THRESHOLD, SERVE_MMAP_MIN);
	/* a proxy session holds up to three descriptors, a milter connection two */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		was = rl.rlim_cur;
		if (rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			if (setrlimit(RLIMIT_NOFILE, &rl) == -1) {
				log_warn("cannot raise the descriptor limit");
				rl.rlim_cur = was;
			}
		}
		fd_check(cfg, &rl, was);
	}
}

/* drop_privileges - become user, after every listener is bound */
static int
drop_privileges(const char *user)
{
	struct passwd *pw;

	if (user == NULL)
		return 0;
	if ((pw = getpwnam(user)) == NULL) {
		log_warnx("user %s: no such user", user);
		return -1;
	}
	if (getuid() == pw->pw_uid)
		return 0;
	if (setgroups(1, &pw->pw_gid) == -1 || setgid(pw->pw_gid) == -1 ||
	    setuid(pw->pw_uid) == -1) {
		log_warn("cannot become user %s", user);
		return -1;
	}
	return 0;
}

/*
 * log_apply - the configuration's log target and level (-v on the command
 * line wins over log_level); 0, or -1 with the reason on stderr
 */
static int
log_apply(const struct config *cfg, int verbose)
{
	if (cfg->log_file != NULL) {
		if (log_open_file(cfg->log_file) == -1) {
			fprintf(stderr, "phasegate: %s: log %s: %s\n", cfg->file,
			    cfg->log_file, strerror(errno));
			return -1;
		}
	} else if (cfg->log_syslog)
		log_init(LOG_TARGET_SYSLOG, verbose);
	if (verbose <= 0)
		log_set_level(cfg->log_level);
	return 0;
}

/*
 * restart_needed - say what the new configuration changes that the
 * running front ends keep until a restart (config_diff.h)
 */
static void
restart_needed(const struct config *running, const struct config *next)
{
	char keys[1024];
	size_t n;

	if ((n = config_diff_restart(running, next, keys, sizeof(keys))) > 0)
		log_warnx("reload: restart needed: %s changed; the running "
		    "value%s stay%s until phasegate is restarted", keys,
		    n == 1 ? "" : "s", n == 1 ? "s" : "");
}

/*
 * reload - a new generation from the file; on any failure the old one stays
 * and the log says why ("reload: FILE:LINE: reason", "reload: FILE: out of
 * memory"). running: the configuration the front ends started with.
 */
static void
reload(const char *file, const struct config *running, int verbose)
{
	struct config *cfg;
	struct chain *c;
	char err[2048];

	if ((cfg = config_load(file, err, sizeof(err))) == NULL) {
		log_warnx("reload: %s (keeping the running configuration)", err);
		metrics_reload(0);
		return;
	}
	restart_needed(running, cfg);
	if (verbose <= 0)
		log_set_level(cfg->log_level);
	if ((c = chain_load(cfg, err, sizeof(err))) == NULL) {
		log_warnx("reload: %s (keeping the running configuration)", err);
		config_free(cfg);
		metrics_reload(0);
		return;
	}
	gen_publish(c);
	proxy_front_reload_tls();
	metrics_reload(1);
	log_info("reload: new configuration from %s in use for new sessions",
	    file);
	if (chain_filter_count(c) == 0)
		log_warnx("reload: %s: no filters: every message is accepted as "
		    "it is", file);
}

/* spool_refused - say why spool.dir cannot take a message file */
static void
spool_refused(const struct config *cfg, int e)
{
	fprintf(stderr, "phasegate: %s: spool.dir %s: cannot create a file "
	    "there%s%s: %s\n", cfg->file, cfg->spool_dir,
	    cfg->user != NULL ? " as user " : "",
	    cfg->user != NULL ? cfg->user : "", strerror(e));
}

int
serve_check_spool(const struct config *cfg)
{
	pid_t pid;
	int st, e = 0;

	if (cfg->user == NULL || getuid() != 0) {
		if (spool_check_dir(cfg->spool_dir) == 0)
			return 0;
		spool_refused(cfg, errno);
		return -1;
	}
	/* as serve will run: in a child that drops privileges first */
	if ((pid = fork()) == -1) {
		fprintf(stderr, "phasegate: fork: %s\n", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		if (drop_privileges(cfg->user) == -1)
			_exit(255);
		_exit(spool_check_dir(cfg->spool_dir) == 0 ? 0 :
		    errno > 0 && errno < 255 ? errno : EIO);
	}
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (WIFEXITED(st) && WEXITSTATUS(st) != 255)
		e = WEXITSTATUS(st);
	if (e != 0)
		spool_refused(cfg, e);
	return -1;
}

/* The front ends serve runs. */
struct fronts {
	struct proxy_front **proxies;
	size_t		 nproxies;
	struct milter_front *milter;	/* NULL: none */
	struct stats_front *stats;	/* NULL: none */
};

/*
 * fronts_stop - stop every front end that was started, then free them:
 * all stop accepting at once and their graces run together
 */
static void
fronts_stop(struct fronts *f)
{
	size_t i;

	for (i = 0; i < f->nproxies; i++)
		proxy_front_stop(f->proxies[i]);
	milter_front_stop(f->milter);
	stats_front_stop(f->stats);
	for (i = 0; i < f->nproxies; i++)
		proxy_front_free(f->proxies[i]);
	free(f->proxies);
	milter_front_free(f->milter);
	stats_front_free(f->stats);
	memset(f, 0, sizeof(*f));
}

/*
 * fronts_start - bind every listener, drop privileges, start accepting;
 * 0, or the exit status (1 configuration, 2 runtime) with the reason told
 */
static int
fronts_start(const struct config *cfg, struct fronts *f)
{
	char err[2048];
	size_t i;

	if (cfg->milter_listen != NULL &&
	    (f->milter = milter_front_new(cfg, err, sizeof(err))) == NULL) {
		fprintf(stderr, "phasegate: %s\n", err);
		return 1;
	}
	if ((f->proxies = calloc(cfg->nsmtp + 1, sizeof(*f->proxies))) == NULL) {
		fprintf(stderr, "phasegate: out of memory\n");
		return 1;
	}
	for (i = 0; i < cfg->nsmtp; i++) {
		if ((f->proxies[i] = proxy_front_new(cfg, &cfg->smtp[i], err,
		    sizeof(err))) == NULL) {
			fprintf(stderr, "phasegate: %s\n", err);
			return 1;
		}
		f->nproxies++;
	}
	if (cfg->stats_listen != NULL &&
	    (f->stats = stats_front_new(cfg->stats_listen, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "phasegate: %s\n", err);
		return 1;
	}
	if (drop_privileges(cfg->user) == -1)
		return 1;
	if (spool_check_dir(cfg->spool_dir) == -1) {
		spool_refused(cfg, errno);
		return 1;
	}
	if (f->milter != NULL && milter_front_start(f->milter) == -1) {
		log_warnx("cannot start the milter listener %s",
		    cfg->milter_listen);
		return 2;
	}
	for (i = 0; i < f->nproxies; i++)
		if (proxy_front_start(f->proxies[i]) == -1) {
			log_warnx("cannot start the SMTP listener %s",
			    cfg->smtp[i].listen);
			return 2;
		}
	if (f->stats != NULL && stats_front_start(f->stats) == -1) {
		log_warnx("cannot start the stats listener %s",
		    cfg->stats_listen);
		return 2;
	}
	return 0;
}

/*
 * reopen_log - SIGUSR1: reopen the log file (`log = "/path"`), for
 * logrotate's postrotate; stderr and syslog have nothing to reopen. A
 * file that cannot be opened again (the user serve runs as may not
 * create it) is said in the old one, which stays.
 */
static void
reopen_log(void)
{
	if (log_reopen() == -1)
		log_warn("signal USR1: cannot reopen the log file (keeping "
		    "the old one)");
	log_info("signal USR1: reopening the log");
}

/*
 * wait_signals - HUP reloads, USR1 reopens the log, until TERM or INT;
 * running: the configuration the front ends run with
 */
static void
wait_signals(const char *file, const struct config *running, int verbose,
    sigset_t *set)
{
	int sig;

	for (;;) {
		if (sigwait(set, &sig) != 0)
			continue;
		switch (sig) {
		case SIGHUP:
			(void)notify_reloading();
			reload(file, running, verbose);
			(void)notify_send("READY=1");
			continue;
		case SIGUSR1:
			reopen_log();
			continue;
		case SIGUSR2:
			log_debug("signal USR2: ignored");
			continue;
		}
		(void)notify_send("STOPPING=1");
		log_info("signal %d: stopping", sig);
		return;
	}
}

int
serve_main(const char *file, int verbose)
{
	struct config *cfg;
	struct chain *c;
	struct fronts f = { NULL, 0, NULL, NULL };
	sigset_t set;
	char err[2048];
	int status;

	/* first: a signal during start-up must not take its default action */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	log_init(LOG_TARGET_STDERR, verbose);
	log_set_timestamps(1);
	if ((cfg = config_load(file, err, sizeof(err))) == NULL) {
		fprintf(stderr, "phasegate: %s\n", err);
		return 1;
	}
	if (log_apply(cfg, verbose) == -1) {
		config_free(cfg);
		return 1;
	}
	if (cfg->milter_listen == NULL && cfg->nsmtp == 0) {
		fprintf(stderr, "phasegate: %s: no front end: set milter = { "
		    "listen = ... } or smtp = { { listen = ..., upstream = ... } }\n",
		    cfg->file);
		config_free(cfg);
		return 1;
	}
	if (privs_check(cfg) == -1) {
		config_free(cfg);
		return 1;
	}
	if ((c = chain_load(cfg, err, sizeof(err))) == NULL) {
		fprintf(stderr, "phasegate: %s\n", err);
		config_free(cfg);
		return 1;
	}
	if (chain_filter_count(c) == 0)
		log_warnx("%s: no filters: every message is accepted as it is",
		    cfg->file);
	/*
	 * The front ends keep pointers into this first configuration (their
	 * listeners, limits, timeouts): hold its generation (c) until they
	 * stop, whatever reloads come in between.
	 */
	chain_ref(c);
	gen_publish(c);

	tune(cfg);

	/* every front end's sessions are fibers (fiber.h): one worker per CPU */
	if (fiber_start(0, SERVE_FIBER_STACK, err, sizeof(err)) == -1) {
		fprintf(stderr, "phasegate: %s\n", err);
		gen_publish(NULL);
		chain_unref(c);
		return 2;
	}
	if ((status = fronts_start(cfg, &f)) == 0) {
		log_info("phasegate %s serving (%s%s%s%zu SMTP listener%s)",
		    PACKAGE_VERSION, cfg->milter_listen ? "milter " : "",
		    cfg->milter_listen ? cfg->milter_listen : "",
		    cfg->milter_listen ? ", " : "", cfg->nsmtp,
		    cfg->nsmtp == 1 ? "" : "s");
		if (notify_send("READY=1") == -1)
			log_warn("cannot notify the service manager "
			    "($NOTIFY_SOCKET)");
		wait_signals(file, cfg, verbose, &set);
	}
	fronts_stop(&f);
	fiber_stop();
	gen_publish(NULL);
	chain_unref(c);
	return status;
}
