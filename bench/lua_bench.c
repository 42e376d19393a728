/*
 * lua_bench - in-process cost per message of Lua rules: every phase of a
 * whole session (connect .. eom, close) through the Lua bridge with the
 * test host, for a rule that walks the body's words in Lua and for a
 * 100-regex body rule set, on 4 KiB and 64 KiB messages. The bundled
 * rules read the message content (the MIME layer of the real core), which
 * the test host has not: bench/mime_bench measures them.
 *
 * usage: lua_bench [TOP_SRCDIR]	prints microseconds per message
 * (LUA_BENCH_ONLY=words skips the regex sets, for profiling)
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lua_bridge.h"
#include "test_lua_host.h"

static const char header[] =
    "Received: from mail.example.org (mail.example.org [192.0.2.10])\r\n"
    "\tby mx.example.net (Postfix) with ESMTPS id 4YbC1a2bCdz3yb\r\n"
    "\tfor <bob@example.net>; Mon, 23 Nov 2026 10:00:04 +0000 (UTC)\r\n"
    "Date: Mon, 23 Nov 2026 11:00:00 +0100\r\n"
    "From: Alice Example <alice@example.org>\r\n"
    "To: Bob Builder <bob@example.net>\r\n"
    "Subject: Minutes of the project meeting\r\n"
    "Message-ID: <20261123100000.GA1234@example.org>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n";

static const char *words[] = {
	"the", "project", "meeting", "agreed", "that", "release", "schedule",
	"moves", "to", "December", "and", "we", "will", "review", "open",
	"issues", "on", "Thursday", "please", "send", "your", "notes",
	"before", "noon", "see", "https://wiki.example.org/minutes", "for",
	"details", "budget", "server", "migration", "mail", "filter",
};

/* make_message - a plain text message of about size bytes */
static char *
make_message(size_t size, size_t *len)
{
	char *m = malloc(size + 256);
	size_t n = strlen(header), col = 0, i = 0;

	memcpy(m, header, n);
	while (n < size) {
		const char *w = words[(i * 7 + i / 3) % (sizeof(words) /
		    sizeof(words[0]))];
		size_t wl = strlen(w);

		i++;
		if (col + wl > 72) {
			memcpy(m + n, "\r\n", 2);
			n += 2;
			col = 0;
		} else if (col > 0)
			m[n++] = ' ', col++;
		memcpy(m + n, w, wl);
		n += wl;
		col += wl;
	}
	memcpy(m + n, "\r\n", 3);
	*len = n + 2;
	return m;
}

static double
now(void)
{
	struct timespec ts;

	/* CPU time: the figures hold on a busy machine too */
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* bench - microseconds per message */
static double
bench(void *st, const char *msg, size_t len, int iters)
{
	struct pg_reply r;
	char phase[32], addr[32];
	double t0;
	int i;

	t0 = now();
	for (i = 0; i < iters; i++) {
		struct pg_session *s;
		struct pg_tx *tx;

		/* many clients, so the rate limit does not kick in */
		snprintf(addr, sizeof(addr), "198.18.%d.%d", (i >> 8) & 255,
		    i & 255);
		s = th_session_new(addr, "mail.example.org", NULL);
		tx = th_tx_new(s, "alice@example.org");
		th_tx_add_rcpt(tx, "bob@example.net");
		th_tx_message(tx, msg, len);
		if (th_run(&lua_bridge_plugin, st, s, tx, "mail.example.org",
		    phase, sizeof(phase), &r) == PG_ERROR) {
			fprintf(stderr, "error: %s\n", r.text);
			exit(1);
		}
		th_tx_free(tx);
		th_session_free(s);
	}
	return (now() - t0) * 1e6 / iters;
}

/* baseline - the same loop without the bridge (host work only) */
static double
baseline(const char *msg, size_t len, int iters)
{
	double t0 = now();
	int i;

	for (i = 0; i < iters; i++) {
		struct pg_session *s = th_session_new("198.18.0.1", NULL, NULL);
		struct pg_tx *tx = th_tx_new(s, "alice@example.org");

		th_tx_add_rcpt(tx, "bob@example.net");
		th_tx_message(tx, msg, len);
		th_tx_free(tx);
		th_session_free(s);
	}
	return (now() - t0) * 1e6 / iters;
}

static void *
load(const char *path)
{
	const char *kv[] = { "script", path, "timeout_ms", "10000", NULL };
	struct pg_options *o = th_options(kv);
	char err[1024];
	void *st = NULL;

	if (lua_bridge_plugin.init(&th_host, o, &st, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	th_options_free(o);
	return st;
}

/*
 * write_regex_rules - a script with 100 body regexes: tried one by one, or
 * (set) as one pg.regex_set
 */
static void
write_regex_rules(const char *path, int set)
{
	static const char *stems[] = { "offer", "deal", "winner", "prize",
	    "casino", "loan", "credit", "pills", "bitcoin", "invest" };
	FILE *fp = fopen(path, "w");
	int i;

	fprintf(fp, "local pg = require 'phasegate'\nlocal rules = {}\n");
	for (i = 0; i < 100; i++)
		fprintf(fp, "rules[%d] = { pg.regex([[\\b%s%d\\s+(now|today|"
		    "free|\\d+%%)\\b]], 'i'), 'RE_%d' }\n", i + 1,
		    stems[i % 10], i, i);
	if (set)
		fprintf(fp, "local list = {}\n"
		    "for i = 1, #rules do list[i] = rules[i][1] end\n"
		    "local all = pg.regex_set(list)\n"
		    "pg.on('eom', function(tx)\n"
		    "  for _, i in ipairs(all:match(tx:body())) do\n"
		    "    tx:score(1, rules[i][2])\n"
		    "  end\nend)\n");
	else
		fprintf(fp, "pg.on('eom', function(tx)\n"
		    "  local body = tx:body()\n"
		    "  for i = 1, #rules do\n"
		    "    if rules[i][1]:test(body) then tx:score(1, rules[i][2]) end\n"
		    "  end\nend)\n");
	fclose(fp);
}

/* write_word_rules - a rule that walks the body's words in Lua */
static void
write_word_rules(const char *path)
{
	FILE *fp = fopen(path, "w");

	fprintf(fp, "local pg = require 'phasegate'\n"
	    "local bad = { casino = true, winner = true, prize = true, "
	    "loan = true }\n"
	    "pg.on('eom', function(tx)\n"
	    "  local n, words = 0, 0\n"
	    "  for w in tx:body():gmatch('%%a+') do\n"
	    "    words = words + 1\n"
	    "    if #w > 3 and bad[w:lower()] then n = n + 1 end\n"
	    "  end\n"
	    "  if n > 3 and n * 20 > words then tx:score(1, 'WORDS') end\n"
	    "end)\n");
	fclose(fp);
}

int
main(int argc, char **argv)
{
	char words_path[] = "/tmp/lua_bench.XXXXXX";
	char regex_path[] = "/tmp/lua_bench.XXXXXX";
	char set_path[] = "/tmp/lua_bench.XXXXXX";
	static const size_t sizes[] = { 4096, 65536 };
	static const int iters[] = { 20000, 2000 };
	const char *only = getenv("LUA_BENCH_ONLY");
	void *st_words, *st_regex, *st_set;
	size_t k, len;
	int fd;

	(void)argc;
	(void)argv;
	if ((fd = mkstemp(words_path)) == -1)
		return 1;
	close(fd);
	if ((fd = mkstemp(regex_path)) == -1)
		return 1;
	close(fd);
	if ((fd = mkstemp(set_path)) == -1)
		return 1;
	close(fd);
	write_word_rules(words_path);
	write_regex_rules(regex_path, 0);
	write_regex_rules(set_path, 1);
	st_words = load(words_path);
	st_regex = load(regex_path);
	st_set = load(set_path);
	unlink(words_path);
	unlink(regex_path);
	unlink(set_path);

	printf("%-28s %10s %14s %14s\n", "rule set", "message", "us/message",
	    "host only");
	for (k = 0; k < 2; k++) {
		char *m = make_message(sizes[k], &len);
		double base, r1, r2, r3;

		bench(st_words, m, len, iters[k] / 10);	/* warm up the pool */
		base = baseline(m, len, iters[k]);
		r1 = bench(st_words, m, len, iters[k]);
		r2 = r3 = 0;
		if (only == NULL || strcmp(only, "words") != 0) {
			bench(st_regex, m, len, iters[k] / 10);
			r2 = bench(st_regex, m, len, iters[k]);
			bench(st_set, m, len, iters[k] / 10);
			r3 = bench(st_set, m, len, iters[k]);
		}
		printf("%-28s %7zu KiB %14.1f %14.1f\n", "words in Lua (gmatch)",
		    len / 1024, r1, base);
		printf("%-28s %7zu KiB %14.1f %14.1f\n", "100 body regexes",
		    len / 1024, r2, base);
		printf("%-28s %7zu KiB %14.1f %14.1f\n", "the same as a regex_set",
		    len / 1024, r3, base);
		free(m);
	}
	lua_bridge_plugin.fini(st_words);
	lua_bridge_plugin.fini(st_regex);
	lua_bridge_plugin.fini(st_set);
	return 0;
}
