/*
 * mime_bench - the cost per message of the content rules see, in process
 * with the real core: the MIME tree + tx:text() + tx:urls() (content.c on
 * a transaction's msg), and a whole session through the example rules
 * (examples/rules/rules.lua, which read tx:text(), tx:urls(), tx:from(),
 * tx:subject()), for three messages: 4 KiB plain text, 64 KiB
 * multipart/alternative (text + quoted-printable HTML with links), 2 MiB
 * with a PDF and a zip attachment (base64; attachments not decoded). Also
 * the peak RSS one message of each size adds (each size in a child).
 *
 * usage: mime_bench [TOP_SRCDIR]	prints microseconds per message (CPU time)
 * MIME_BENCH_ONLY=0|1|2 runs one size; MIME_BENCH_ITERS=N runs each N
 * times (for valgrind --tool=callgrind, whose instruction counts are
 * repeatable under load); MIME_BENCH_WRITE=DIR also writes the messages
 * there (bench/gmime_bench.c reads them); MIME_BENCH_RULES_ONLY=1 times
 * the sessions only (for perf record).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "chain.h"
#include "config.h"
#include "content.h"
#include "log.h"
#include "lua_bridge.h"
#include "plugin_load.h"
#include "msg.h"
#include "run.h"
#include "tx.h"

/*
 * under callgrind --collect-atstart=no, only the timed loops are counted
 * (not the warm-ups, which compile the rules' regexes)
 */
#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#endif
#endif
#ifndef CALLGRIND_TOGGLE_COLLECT
#define CALLGRIND_TOGGLE_COLLECT
#endif

static const char head[] =
    "Received: from mail.example.org (mail.example.org [192.0.2.10])\r\n"
    "\tby mx.example.net (Postfix) with ESMTPS id 4YbC1a2bCdz3yb\r\n"
    "\tfor <bob@example.net>; Mon, 23 Nov 2026 10:00:04 +0000 (UTC)\r\n"
    "Date: Mon, 23 Nov 2026 11:00:00 +0100\r\n"
    "From: =?UTF-8?Q?Alice_Exampl=C3=A9?= <alice@example.org>\r\n"
    "To: Bob Builder <bob@example.net>\r\n"
    "Subject: =?UTF-8?B?TWludXRlcyBvZiB0aGUgcHJvamVjdCBtZWV0aW5n?=\r\n"
    "Message-ID: <20261123100000.GA1234@example.org>\r\n"
    "MIME-Version: 1.0\r\n";

static const char *words[] = {
	"the", "project", "meeting", "agreed", "that", "release", "schedule",
	"moves", "to", "December", "and", "we", "will", "review", "open",
	"issues", "on", "Thursday", "please", "send", "your", "notes",
	"before", "noon", "see", "https://wiki.example.org/minutes", "for",
	"details", "budget", "server", "migration", "mail", "filter",
};

struct buf {
	char	*p;
	size_t	 len, cap;
};

static void
add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
adds(struct buf *b, const char *s)
{
	add(b, s, strlen(s));
}

/* text - about n bytes of wrapped words */
static void
text(struct buf *b, size_t n, unsigned seed)
{
	size_t start = b->len, col = 0, i = seed;

	while (b->len - start < n) {
		const char *w = words[(i * 7 + i / 3) % (sizeof(words) /
		    sizeof(words[0]))];

		i++;
		if (col + strlen(w) > 72) {
			adds(b, "\r\n");
			col = 0;
		} else if (col > 0) {
			adds(b, " ");
			col++;
		}
		adds(b, w);
		col += strlen(w);
	}
	adds(b, "\r\n");
}

/* html_qp - about n bytes of HTML with links, quoted-printable (lines cut with "=") */
static void
html_qp(struct buf *b, size_t n)
{
	struct buf h = { 0 };
	size_t i, col = 0;
	char line[160];

	adds(&h, "<html><head><style>p { margin: 0 }</style></head><body>");
	for (i = 0; h.len < n; i++) {
		snprintf(line, sizeof(line), "<p>Item %zu: the release schedule "
		    "moves to <b>December</b> &amp; we review issues. <a href=\""
		    "https://wiki.example.org/page/%zu\">details</a></p>\n", i, i);
		adds(&h, line);
	}
	adds(&h, "</body></html>\n");
	for (i = 0; i < h.len; i++) {
		char c = h.p[i];

		if (c == '\n') {
			adds(b, "\r\n");
			col = 0;
			continue;
		}
		if (col >= 74) {
			adds(b, "=\r\n");
			col = 0;
		}
		if (c == '=') {
			adds(b, "=3D");
			col += 3;
		} else {
			add(b, &c, 1);
			col++;
		}
	}
	free(h.p);
}

/* b64 - n pseudo-random bytes starting with magic, base64 in 76-column lines */
static void
b64(struct buf *b, const char *magic, size_t n)
{
	static const char al[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned char *d = malloc(n);
	unsigned x = 12345;
	size_t i, col = 0;
	char q[4];

	for (i = 0; i < n; i++)
		d[i] = (unsigned char)((x = x * 1103515245 + 12345) >> 16);
	memcpy(d, magic, strlen(magic));
	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = (unsigned)d[i] << 16 | (unsigned)d[i + 1] << 8 | d[i + 2];

		q[0] = al[v >> 18];
		q[1] = al[(v >> 12) & 63];
		q[2] = al[(v >> 6) & 63];
		q[3] = al[v & 63];
		add(b, q, 4);
		if ((col += 4) == 76) {
			adds(b, "\r\n");
			col = 0;
		}
	}
	adds(b, "\r\n");
	free(d);
}

static char *
message(int kind, size_t *len)
{
	struct buf b = { 0 };

	adds(&b, head);
	if (kind == 0) {
		adds(&b, "Content-Type: text/plain; charset=utf-8\r\n\r\n");
		text(&b, 4096 - b.len - 2, 1);
	} else if (kind == 1) {
		adds(&b, "Content-Type: multipart/alternative; boundary=\"=_a\"\r\n"
		    "\r\n--=_a\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n");
		text(&b, 24 * 1024, 2);
		adds(&b, "--=_a\r\nContent-Type: text/html; charset=utf-8\r\n"
		    "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
		html_qp(&b, 64 * 1024 - b.len - 64);
		adds(&b, "--=_a--\r\n");
	} else {
		adds(&b, "Content-Type: multipart/mixed; boundary=\"=_m\"\r\n"
		    "\r\n--=_m\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n");
		text(&b, 2048, 3);
		adds(&b, "--=_m\r\nContent-Type: application/pdf; name=\"report.pdf\"\r\n"
		    "Content-Disposition: attachment; filename=\"report.pdf\"\r\n"
		    "Content-Transfer-Encoding: base64\r\n\r\n");
		b64(&b, "%PDF-1.4\n", 700 * 1024);
		adds(&b, "--=_m\r\nContent-Type: application/zip; name=\"data.zip\"\r\n"
		    "Content-Disposition: attachment; filename=\"data.zip\"\r\n"
		    "Content-Transfer-Encoding: base64\r\n\r\n");
		/* the zip fills the message up to 2 MiB */
		b64(&b, "PK\x03\x04", (2 * 1024 * 1024 - b.len) * 3 / 4 - 2048);
		adds(&b, "--=_m--\r\n");
	}
	*len = b.len;
	return b.p;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* content_once - tx and msg, then with use >= 1 the tree, 2 the text, 3 the links */
static void
content_once(const char *m, size_t len, int use)
{
	struct pg_tx *tx = tx_new(NULL, NULL);
	struct content *c;
	size_t n;

	msg_write(tx_msg(tx), m, len);
	msg_write_end(tx_msg(tx));
	if (use >= 1) {
		c = content_get(tx);
		(void)content_part_count(c);
		if (use >= 2)
			(void)content_text(c, &n);
		if (use >= 3)
			(void)content_url_count(c);
	}
	tx_free(tx);
}

/* session - one whole session through the chain */
static void
session(struct chain *ch, const char *m, size_t len, unsigned i)
{
	struct decision d;
	struct run *r;
	char ip[32];

	/* a new client each time: the rules' rate limit never starts */
	snprintf(ip, sizeof(ip), "198.18.%u.%u", (i >> 8) & 255, i & 255);
	r = run_new(ch, "check", ip, 25, "mail.example.org");
	run_connect(r, &d);
	run_helo(r, "mail.example.org", &d);
	run_mail(r, "alice@example.org", NULL, &d);
	run_rcpt(r, "bob@example.net", &d);
	run_data(r, &d);
	msg_write(tx_msg(run_tx(r)), m, len);
	msg_write_end(tx_msg(run_tx(r)));
	run_headers(r, &d);
	run_eom(r, &d);
	run_tx_end(r);
	run_free(r);
}

/* status_kb - a "Name:   N kB" line of /proc/self/status, or -1 */
static long
status_kb(const char *name)
{
	char line[256];
	long v = -1;
	FILE *fp = fopen("/proc/self/status", "r");

	if (fp == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, name, strlen(name)) == 0)
			v = strtol(line + strlen(name), NULL, 10);
	fclose(fp);
	return v;
}

/*
 * rss - in a child, one message's tree, text and links kept alive: how
 * much anonymous memory (heap: what the content allocates) and how much
 * file-backed memory (the mapped spool: page cache, shared and clean) the
 * process holds more than before. out[0] anon KiB, out[1] file KiB.
 */
static void
rss(const char *m, size_t len, long out[2])
{
	int fd[2];
	pid_t p;

	out[0] = out[1] = -1;
	if (pipe(fd) == -1 || (p = fork()) == -1)
		return;
	if (p == 0) {
		long a0 = status_kb("RssAnon:"), f0 = status_kb("RssFile:"), d[2];
		struct pg_tx *tx = tx_new(NULL, NULL);
		struct content *c;
		size_t n;

		msg_write(tx_msg(tx), m, len);
		msg_write_end(tx_msg(tx));
		c = content_get(tx);
		(void)content_text(c, &n);
		(void)content_url_count(c);
		d[0] = status_kb("RssAnon:") - a0;
		d[1] = status_kb("RssFile:") - f0;
		if (write(fd[1], d, sizeof(d)) != sizeof(d))
			_exit(1);
		_exit(0);
	}
	close(fd[1]);
	if (read(fd[0], out, 2 * sizeof(long)) != 2 * sizeof(long))
		out[0] = out[1] = -1;
	close(fd[0]);
	waitpid(p, NULL, 0);
}

int
main(int argc, char **argv)
{
	const char *top = argc > 1 ? argv[1] : ".", *names[] = { "4 KiB plain",
	    "64 KiB multipart/alternative", "2 MiB with PDF + zip" };
	int iters[] = { 20000, 2000, 200 };
	char conf[2048], err[1024];
	struct config *cfg;
	struct chain *ch;
	unsigned seq = 0;
	long kb[3][2];
	int k, i;

	plugin_builtin_add("lua", &lua_bridge_plugin);
	/* no summary line per message: the figures are the filtering's */
	log_set_level(LOG_LEVEL_WARN);
	snprintf(conf, sizeof(conf), "filters = { { script = '%s/examples/rules/"
	    "rules.lua' } }\nactions = { add_header = 5, reject = 12 }\n"
	    "spool = { dir = '/tmp' }\n"
	    /* under valgrind a handler takes 50 times as long: never killed */
	    "timeouts = { script = '60s' }\n", top);
	if ((cfg = config_load_string("bench.conf", conf, err, sizeof(err))) ==
	    NULL || (ch = chain_load(cfg, err, sizeof(err))) == NULL) {
		fprintf(stderr, "mime_bench: %s\n", err);
		return 1;
	}
	/* memory first, from a process that has run nothing yet */
	for (k = 0; k < 3; k++) {
		size_t len;
		char *m = message(k, &len);

		rss(m, len, kb[k]);
		free(m);
	}
	printf("%-29s %8s %7s %7s %7s %7s %8s %8s %6s %6s\n", "message", "bytes",
	    "msg", "tree", "+text", "+urls", "content", "rules", "anon", "file");
	for (k = 0; k < 3; k++) {
		const char *only = getenv("MIME_BENCH_ONLY"),
		    *it = getenv("MIME_BENCH_ITERS");
		size_t len;

		if (only != NULL && atoi(only) != k)
			continue;
		if (it != NULL && atoi(it) > 0)
			iters[k] = atoi(it);
		char *m = message(k, &len);
		const char *dir = getenv("MIME_BENCH_WRITE");
		double t0, t1, t[4];
		int u;

		if (dir != NULL) {	/* the messages, for other tools */
			char path[1024];
			FILE *fp;

			snprintf(path, sizeof(path), "%s/mime_bench_%d.eml", dir, k);
			if ((fp = fopen(path, "w")) != NULL) {
				fwrite(m, 1, len, fp);
				fclose(fp);
			}
		}

		for (i = 0; i < iters[k] / 10; i++)	/* warm up */
			content_once(m, len, 3);
		/* and the rules: the first regex set match compiles its prefilter */
		for (i = 0; i < iters[k] / 10 + 1; i++)
			session(ch, m, len, seq++);
		CALLGRIND_TOGGLE_COLLECT;
		for (u = 0; u < 4; u++) {
			t[u] = 0;
			if (getenv("MIME_BENCH_RULES_ONLY") != NULL)
				continue;
			t0 = now();
			for (i = 0; i < iters[k]; i++)
				content_once(m, len, u);
			t[u] = (now() - t0) / iters[k] * 1e6;
		}
		t0 = now();
		for (i = 0; i < iters[k]; i++)
			session(ch, m, len, seq++);
		t1 = now();
		CALLGRIND_TOGGLE_COLLECT;	/* off again: the next size's warm-up is not counted */
		printf("%-29s %8zu %7.1f %7.1f %7.1f %7.1f %8.1f %8.1f %6ld %6ld\n",
		    names[k], len, t[0], t[1] - t[0], t[2] - t[1], t[3] - t[2],
		    t[3] - t[0], (t1 - t0) / iters[k] * 1e6, kb[k][0], kb[k][1]);
		free(m);
	}
	printf("microseconds of CPU per message. msg: a transaction with the "
	    "message spooled (past 1 MiB a temp file); tree: the MIME tree;\n"
	    "+text: tx:text() on it; +urls: tx:urls() then; content: the three;"
	    " rules: a whole session with the example rules (all included);\n"
	    "anon, file: KiB of anonymous and of file-backed (the mapped spool) "
	    "memory one message's content holds\n");
	chain_unref(ch);
	return 0;
}
