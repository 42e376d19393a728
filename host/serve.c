/*
 * serve - `phasegate serve`: run the front ends the configuration names
 *
 * Public: serve_main(), serve_chain_acquire(), serve_stopping().
 * Signals: SIGTERM, SIGINT and SIGHUP are blocked in every thread before
 * any is started (threads inherit the mask), and the main thread takes
 * them with sigwait(): SIGTERM/SIGINT stop cleanly, SIGHUP loads the
 * configuration again and makes a new chain generation for new sessions
 * (listeners stay as they were; running sessions finish on the old
 * generation). A configuration that fails to load on SIGHUP is logged and
 * the old one stays. SIGPIPE is ignored: a peer that goes away is an EPIPE.
 */
#include <errno.h>
#include <grp.h>
#if __has_include(<malloc.h>)
#include <malloc.h>
#endif
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chain.h"
#include "config.h"
#include "fiber.h"
#include "log.h"
#include "serve.h"

#if __has_include("milter_front.h")
#include "milter_front.h"
#define HAVE_MILTER_FRONT 1
#endif
#if __has_include("proxy_front.h")
#include "proxy_front.h"
#define HAVE_PROXY_FRONT 1
#endif

/* a session's stack: reserved, only touched pages count (filters run on it) */
#define SERVE_FIBER_STACK	(256 * 1024)

/*
 * glibc malloc, for a daemon whose sessions come and go: a session frees
 * buffers of 64 KiB (its read buffer, the spool's tail) when it ends, and
 * with the default thresholds every such free may hand the top of a
 * worker's arena back to the kernel (madvise, which on a VM means a TLB
 * shoot-down on every CPU) and the next session fault it in again. Keep up
 * to SERVE_TRIM_MAX free at the top of an arena, grow arenas in steps of
 * SERVE_TOP_PAD, and serve blocks below SERVE_MMAP_MIN from the arenas
 * (a fixed threshold: glibc's sliding one rises only after such a block was
 * freed).
 */
#define SERVE_TRIM_MAX	(32 * 1024 * 1024)
#define SERVE_TOP_PAD	(1024 * 1024)
#define SERVE_MMAP_MIN	(1024 * 1024)

static pthread_mutex_t chain_lock = PTHREAD_MUTEX_INITIALIZER;
static struct chain *current;
static atomic_int stopping;

struct chain *
serve_chain_acquire(void)
{
	struct chain *c;

	pthread_mutex_lock(&chain_lock);
	if ((c = current) != NULL)
		chain_ref(c);
	pthread_mutex_unlock(&chain_lock);
	return c;
}

int
serve_stopping(void)
{
	return atomic_load(&stopping);
}

/* set_chain - make c the generation new sessions get */
static void
set_chain(struct chain *c)
{
	struct chain *old;

	pthread_mutex_lock(&chain_lock);
	old = current;
	current = c;
	pthread_mutex_unlock(&chain_lock);
	chain_unref(old);
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

/* reload - a new generation from the file; the old one stays on failure */
static void
reload(const char *file)
{
	struct config *cfg;
	struct chain *c;
	char err[2048];

	if ((cfg = config_load(file, err, sizeof(err))) == NULL) {
		log_warnx("reload: %s (keeping the running configuration)", err);
		return;
	}
	if ((c = chain_load(cfg, err, sizeof(err))) == NULL) {
		log_warnx("reload: %s (keeping the running configuration)", err);
		config_free(cfg);
		return;
	}
	set_chain(c);
	log_info("reload: new configuration from %s in use for new sessions",
	    file);
}

int
serve_main(const char *file, int verbose)
{
	struct config *cfg;
	struct chain *c, *boot;
	sigset_t set;
	char err[2048];
	int sig, status = 0;
#ifdef HAVE_PROXY_FRONT
	struct proxy_front **proxies = NULL;
	size_t i, nproxies = 0;
#endif

	log_init(LOG_TARGET_STDERR, verbose);
	if ((cfg = config_load(file, err, sizeof(err))) == NULL) {
		fprintf(stderr, "phasegate: %s\n", err);
		return 1;
	}
	if (cfg->log_syslog)
		log_init(LOG_TARGET_SYSLOG, verbose);
	if ((c = chain_load(cfg, err, sizeof(err))) == NULL) {
		fprintf(stderr, "phasegate: %s\n", err);
		config_free(cfg);
		return 1;
	}
	/*
	 * The front ends keep pointers into this first configuration (their
	 * listeners, limits, timeouts): hold its generation until they stop,
	 * whatever reloads come in between.
	 */
	chain_ref(c);
	boot = c;
	set_chain(c);
	if (cfg->milter_listen == NULL && cfg->nsmtp == 0) {
		fprintf(stderr, "phasegate: %s: no front end: set milter = { "
		    "listen = ... } or smtp = { { listen = ..., upstream = ... } }\n",
		    cfg->file);
		set_chain(NULL);
		chain_unref(boot);
		return 1;
	}

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

#ifdef M_TRIM_THRESHOLD
	(void)mallopt(M_TRIM_THRESHOLD, SERVE_TRIM_MAX);
	(void)mallopt(M_TOP_PAD, SERVE_TOP_PAD);
	(void)mallopt(M_MMAP_THRESHOLD, SERVE_MMAP_MIN);
#endif
	/* every front end's sessions are fibers (fiber.h): one worker per CPU */
	if (fiber_start(0, SERVE_FIBER_STACK, err, sizeof(err)) == -1) {
		fprintf(stderr, "phasegate: %s\n", err);
		set_chain(NULL);
		chain_unref(boot);
		return 2;
	}

#ifdef HAVE_MILTER_FRONT
	if (cfg->milter_listen != NULL &&
	    milter_front_start(cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "phasegate: %s\n", err);
		fiber_stop();
		set_chain(NULL);
		chain_unref(boot);
		return 1;
	}
#else
	if (cfg->milter_listen != NULL) {
		fprintf(stderr, "phasegate: %s: this build has no milter front "
		    "end\n", cfg->file);
		fiber_stop();
		set_chain(NULL);
		chain_unref(boot);
		return 1;
	}
#endif
#ifdef HAVE_PROXY_FRONT
	proxies = calloc(cfg->nsmtp ? cfg->nsmtp : 1, sizeof(*proxies));
	for (i = 0; i < cfg->nsmtp; i++) {
		if ((proxies[i] = proxy_front_new(cfg, &cfg->smtp[i], err,
		    sizeof(err))) == NULL) {
			fprintf(stderr, "phasegate: %s\n", err);
			status = 1;
			goto stop;
		}
		nproxies++;
	}
#else
	if (cfg->nsmtp > 0) {
		fprintf(stderr, "phasegate: %s: this build has no SMTP proxy "
		    "front end\n", cfg->file);
		fiber_stop();
		set_chain(NULL);
		chain_unref(boot);
		return 1;
	}
#endif
	if (drop_privileges(cfg->user) == -1) {
		status = 1;
		goto stop;
	}
#ifdef HAVE_PROXY_FRONT
	for (i = 0; i < nproxies; i++)
		if (proxy_front_start(proxies[i]) == -1) {
			log_warnx("cannot start the SMTP listener %s",
			    cfg->smtp[i].listen);
			status = 2;
			goto stop;
		}
#endif
	log_info("phasegate %s serving (%s%s%s%zu SMTP listener%s)",
	    PACKAGE_VERSION, cfg->milter_listen ? "milter " : "",
	    cfg->milter_listen ? cfg->milter_listen : "",
	    cfg->milter_listen ? ", " : "", cfg->nsmtp,
	    cfg->nsmtp == 1 ? "" : "s");

	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			reload(file);
			continue;
		}
		log_info("signal %d: stopping", sig);
		break;
	}
stop:
	atomic_store(&stopping, 1);
#ifdef HAVE_PROXY_FRONT
	for (i = 0; i < nproxies; i++) {
		proxy_front_stop(proxies[i]);
		proxy_front_free(proxies[i]);
	}
	free(proxies);
#endif
#ifdef HAVE_MILTER_FRONT
	if (cfg->milter_listen != NULL)
		milter_front_stop();
#endif
	fiber_stop();
	set_chain(NULL);
	chain_unref(boot);
	return status;
}
