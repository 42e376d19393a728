/*
 * test_lua_scripts - run every tests/lua/NAME.lua through the Lua bridge with
 * the test host, and check the expectations written in the script:
 *
 *	-- opt: key=value		extra init() option ($SRCDIR/... allowed)
 *	-- helo: NAME  -- sender: ADDR  -- rcpt: ADDR (repeatable)
 *	-- message: FILE		relative to tests/lua (default: built in)
 *	-- runs: N			run the message N times (default 1)
 *	-- init-error: TEXT		init() fails with TEXT in err
 *	-- runK: verdict PHASE VERDICT [REPLY]	run K ends in PHASE with VERDICT
 *	-- runK: error PHASE TEXT	run K is a filter error containing TEXT
 *	-- runK: changes TEXT		the recorded changes contain TEXT
 *	-- runK: symbols TEXT		the scores are exactly TEXT
 *	-- runK: log TEXT		the log contains TEXT
 *	-- runK: nolog TEXT		the log does not contain TEXT
 *	-- runK: maxms N  / minms N	run K takes less than / at least N ms
 *	-- dns: fake | rbl		lookups go to tests/dns/fakedns.py (which
 *					forwards to rbldnsd) or rbldnsd itself,
 *					started for the first script that asks
 *	-- lookups: MS			the per-callback lookup budget (5000)
 */
#include "config.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dnspeer.h"
#include "clock.h"
#include "fiber.h"
#include "lua_bridge.h"
#include "store.h"
#include "test_lua_host.h"

static const char default_msg[] =
    "Received: from mail.example.org (mail.example.org [192.0.2.10])\r\n"
    "\tby mx.example.net with ESMTP id 4XyZ1Q2abc\r\n"
    "From: Alice Example <alice@example.org>\r\n"
    "To: bob@example.net\r\n"
    "Subject: Lunch on Friday\r\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n"
    "Message-ID: <20261123100000.1234@example.org>\r\n"
    "\r\n"
    "Hi Bob,\r\n"
    "shall we have lunch on Friday? The usual place at noon.\r\n"
    "Alice\r\n";

static const char *srcdir;
static struct dnspeer peer;
static int peer_up;

/* use_dns - point lookups at the tests' servers, starting them once */
static void
use_dns(const char *which)
{
	if (!peer_up) {
		if (dnspeer_start(&peer, srcdir, 0) == -1)
			fail_msg("cannot start the DNS test servers");
		peer_up = 1;
	}
	assert_int_equal(th_dns_server(strcmp(which, "rbl") == 0 ?
	    peer.rbl_server : peer.fake_server), 0);
}

static const char *verdicts[] = { "continue", "accept", "reject",
    "tempfail", "discard", "error" };

/* trim - drop trailing white space in place */
static char *
trim(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\n' ||
	    s[n - 1] == '\r'))
		s[--n] = '\0';
	while (*s == ' ')
		s++;
	return s;
}

static void
run_script(void **state)
{
	const char *path = *state;
	char *text = th_read_file(path, NULL), *line, *save = NULL, *msg = NULL;
	const char *kv[64];
	char *rcpts[16], *helo = NULL, *sender = NULL, *init_error = NULL;
	char *checks[64];
	size_t nkv = 0, nrcpt = 0, nchecks = 0, msglen, i;
	int runs = 1, run;
	struct pg_options *opts;
	void *st = NULL;
	char err[1024], phase[32], mpath[1024], optbuf[1024];

	assert_non_null(text);
	kv[nkv++] = "script";
	kv[nkv++] = path;
	for (line = strtok_r(text, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save)) {
		char *v, *dollar;

		if (strncmp(line, "-- ", 3) != 0 || (v = strchr(line + 3, ':'))
		    == NULL)
			continue;
		*v++ = '\0';
		v = trim(v);
		line += 3;
		if (strcmp(line, "opt") == 0 && strchr(v, '=')) {
			char *eq = strchr(v, '=');

			*eq = '\0';
			kv[nkv++] = v;
			if ((dollar = strstr(eq + 1, "$SRCDIR")) != NULL) {
				snprintf(optbuf, sizeof(optbuf), "%.*s%s%s",
				    (int)(dollar - eq - 1), eq + 1, srcdir,
				    dollar + 7);
				kv[nkv++] = optbuf;
			} else
				kv[nkv++] = eq + 1;
		} else if (strcmp(line, "helo") == 0)
			helo = v;
		else if (strcmp(line, "sender") == 0)
			sender = v;
		else if (strcmp(line, "rcpt") == 0 && nrcpt < 16)
			rcpts[nrcpt++] = v;
		else if (strcmp(line, "message") == 0) {
			snprintf(mpath, sizeof(mpath), "%s/tests/lua/%s",
			    srcdir, v);
			msg = th_read_file(mpath, &msglen);
			assert_non_null(msg);
		} else if (strcmp(line, "runs") == 0)
			runs = atoi(v);
		else if (strcmp(line, "init-error") == 0)
			init_error = v;
		else if (strcmp(line, "dns") == 0)
			use_dns(v);
		else if (strcmp(line, "lookups") == 0)
			th_lookup_budget_ms = (uint64_t)atoll(v);
		else if (strncmp(line, "run", 3) == 0 && nchecks < 64) {
			/* keep "K kind rest" */
			v[-1] = ' ';
			v[-2] = line[3];
			checks[nchecks++] = v - 2;
		}
	}
	kv[nkv] = NULL;
	opts = th_options(kv);
	err[0] = '\0';
	if (init_error) {
		assert_int_equal(lua_bridge_plugin.init(&th_host, opts, &st,
		    err, sizeof(err)), -1);
		if (strstr(err, init_error) == NULL)
			fail_msg("init error '%s' lacks '%s'", err, init_error);
		th_options_free(opts);
		free(text);
		return;
	}
	if (lua_bridge_plugin.init(&th_host, opts, &st, err, sizeof(err)) != 0)
		fail_msg("init: %s", err);
	if (nrcpt == 0)
		rcpts[nrcpt++] = "bob@example.net";
	for (run = 1; run <= runs; run++) {
		struct pg_session *s = th_session_new("192.0.2.10",
		    "mail.example.org", NULL);
		struct pg_tx *tx = th_tx_new(s, sender ? sender :
		    "alice@example.org");
		struct pg_reply r;
		enum pg_verdict v;
		uint64_t t0, ms;

		th_log_clear();
		for (i = 0; i < nrcpt; i++)
			th_tx_add_rcpt(tx, rcpts[i]);
		if (msg)
			th_tx_message(tx, msg, msglen);
		else
			th_tx_message(tx, default_msg, sizeof(default_msg) - 1);
		t0 = clock_ms();
		v = th_run(&lua_bridge_plugin, st, s, tx,
		    helo ? helo : "mail.example.org", phase, sizeof(phase), &r);
		ms = clock_ms() - t0;
		for (i = 0; i < nchecks; i++) {
			char kind[16], a[64], b[64];
			const char *rest;
			int k, off = 0;

			if (sscanf(checks[i], "%d %15s %n", &k, kind, &off) < 2 ||
			    k != run)
				continue;
			rest = checks[i] + off;
			if (strcmp(kind, "verdict") == 0) {
				off = 0;
				a[0] = b[0] = '\0';
				sscanf(rest, "%63s %63s %n", a, b, &off);
				if (strcmp(a, "-") == 0)
					a[0] = '\0';
				if (strcmp(phase, a) != 0 ||
				    strcmp(verdicts[v], b) != 0 ||
				    (off > 0 && strstr(r.text, rest + off) ==
				    NULL))
					fail_msg("run %d: got %s %s '%s', want"
					    " %s", run, phase[0] ? phase : "-",
					    verdicts[v], r.text, rest);
			} else if (strcmp(kind, "error") == 0) {
				off = 0;
				sscanf(rest, "%63s %n", a, &off);
				if (v != PG_ERROR || strcmp(phase, a) != 0 ||
				    strstr(r.text, rest + off) == NULL)
					fail_msg("run %d: got %s %s '%s', want"
					    " error %s", run, phase,
					    verdicts[v], r.text, rest);
			} else if (strcmp(kind, "changes") == 0) {
				if (tx->changes == NULL ||
				    strstr(tx->changes, rest) == NULL)
					fail_msg("run %d: changes '%s' lack"
					    " '%s'", run, tx->changes ?
					    tx->changes : "", rest);
			} else if (strcmp(kind, "symbols") == 0) {
				if (strcmp(tx->symbols ? tx->symbols : "",
				    rest) != 0)
					fail_msg("run %d: symbols '%s', want"
					    " '%s'", run, tx->symbols ?
					    tx->symbols : "", rest);
			} else if (strcmp(kind, "log") == 0) {
				if (strstr(th_log(), rest) == NULL)
					fail_msg("run %d: log lacks '%s':\n%s",
					    run, rest, th_log());
			} else if (strcmp(kind, "nolog") == 0) {
				if (strstr(th_log(), rest) != NULL)
					fail_msg("run %d: log has '%s'", run,
					    rest);
			} else if (strcmp(kind, "maxms") == 0 ||
			    strcmp(kind, "minms") == 0) {
				uint64_t lim = (uint64_t)atoll(rest);

				if (kind[1] == 'a' ? ms >= lim : ms < lim)
					fail_msg("run %d took %llu ms, want %s %s",
					    run, (unsigned long long)ms, kind,
					    rest);
			} else
				fail_msg("unknown check '%s'", kind);
		}
		th_tx_free(tx);
		th_session_free(s);
	}
	lua_bridge_plugin.fini(st);
	th_options_free(opts);
	th_lookup_budget_ms = 5000;
	free(msg);
	free(text);
}

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
main(void)
{
	struct CMUnitTest tests[256];
	char *names[256], dir[1024];
	size_t n = 0, i;
	int rc;
	struct dirent *de;
	DIR *d;

	srcdir = getenv("top_srcdir") ? getenv("top_srcdir") : TOP_SRCDIR;
	snprintf(dir, sizeof(dir), "%s/tests/lua", srcdir);
	if ((d = opendir(dir)) == NULL) {
		fprintf(stderr, "cannot open %s\n", dir);
		return 1;
	}
	while ((de = readdir(d)) != NULL && n < 256) {
		size_t len = strlen(de->d_name);

		if (len > 4 && strcmp(de->d_name + len - 4, ".lua") == 0 &&
		    strncmp(de->d_name, "lib_", 4) != 0)
			names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp);
	for (i = 0; i < n; i++) {
		char *p = malloc(strlen(dir) + strlen(names[i]) + 2);

		sprintf(p, "%s/%s", dir, names[i]);
		memset(&tests[i], 0, sizeof(tests[i]));
		tests[i].name = names[i];
		tests[i].test_func = run_script;
		tests[i].initial_state = p;
	}
	rc = _cmocka_run_group_tests("lua scripts", tests, n, NULL, NULL);
	if (peer_up)
		dnspeer_stop(&peer);
	for (i = 0; i < n; i++) {
		free(names[i]);
		free((void *)tests[i].initial_state);
	}
	return rc;
}
