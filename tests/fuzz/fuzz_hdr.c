/*
 * fuzz_hdr - libFuzzer target for the header codec and the message model.
 *
 * The first 4 bytes of an input choose the limits and how the rest is cut
 * into pushes; the rest is the message. Checked on every input:
 *  - hdr: the fields, the separator and the body put together are the
 *    input, byte for byte; every field has a valid name and a colon;
 *  - msg: msg_output() with no changes is the input, byte for byte; with
 *    one added and one deleted header it still ends with the body.
 * A mismatch aborts, so the fuzzer reports it.
 *
 * Built with -DPG_FUZZ_STANDALONE it is a plain program that runs each
 * file named on its command line (directories: each file in them), or the
 * seed corpus under $top_srcdir/tests/fuzz/corpus/hdr, once: make check
 * runs it that way with any compiler.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hdr.h"
#include "msg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(e)	do { if (!(e)) { fprintf(stderr, "%s:%d: %s\n", \
			    __FILE__, __LINE__, #e); abort(); } } while (0)

struct buf {
	char	*p;
	size_t	 n;
	size_t	 cap;
};

static void
buf_add(struct buf *b, const void *p, size_t n)
{
	char *np;

	if (n == 0)
		return;
	if (b->n + n > b->cap) {
		CHECK((np = realloc(b->p, (b->n + n) * 2)) != NULL);
		b->p = np;
		b->cap = (b->n + n) * 2;
	}
	memcpy(b->p + b->n, p, n);
	b->n += n;
}

static int
buf_out(void *ctx, const void *p, size_t n)
{
	buf_add(ctx, p, n);
	return 0;
}

/* drain - take events; 1 once the header ended */
static int
drain(struct hdr_parser *p, struct buf *b)
{
	struct hdr_event ev;
	enum hdr_status st;

	while ((st = hdr_next(p, &ev)) != HDR_MORE) {
		if (st == HDR_FIELD) {
			CHECK(ev.raw_len >= ev.value_off);
			CHECK(ev.value_off > ev.name_len);
			CHECK(ev.raw[ev.value_off - 1] == ':');
			CHECK(hdr_name_valid(ev.raw, ev.name_len));
			buf_add(b, ev.raw, ev.raw_len);
			continue;
		}
		CHECK(st == HDR_END);
		CHECK(ev.sep_len <= 2);
		buf_add(b, ev.sep, ev.sep_len);
		buf_add(b, ev.rest, ev.rest_len);
		return 1;
	}
	return 0;
}

static void
fuzz_codec(const struct hdr_limits *lim, const char *d, size_t n, size_t chunk)
{
	struct hdr_parser *p;
	struct buf b = { NULL, 0, 0 };
	size_t off = 0, k, took;
	int ended = 0;

	CHECK((p = hdr_parser_new(lim)) != NULL);
	while (off < n && !ended) {
		k = n - off < chunk ? n - off : chunk;
		took = hdr_push(p, d + off, k);
		off += took;
		ended = drain(p, &b);
		CHECK(took > 0 || ended);
	}
	if (!ended) {
		hdr_push_eof(p);
		CHECK(drain(p, &b));
	}
	buf_add(&b, d + off, n - off);
	CHECK(b.n == n);
	CHECK(n == 0 || memcmp(b.p, d, n) == 0);
	free(b.p);
	hdr_parser_free(p);
}

static void
fuzz_msg(const struct msg_limits *lim, const char *d, size_t n, size_t chunk)
{
	struct msg_change add = { MSG_ADD_HEADER, "X-Fuzz", "a\n b", NULL, 0, "fuzz" };
	struct msg_change del = { MSG_DELETE_HEADER, "X-Fuzz", NULL, NULL, 1, "fuzz" };
	struct buf b = { NULL, 0, 0 };
	const char *name, *value, *raw;
	struct msg *m;
	size_t off, k, i;
	off_t bsize;

	CHECK((m = msg_new(lim)) != NULL);
	for (off = 0; off < n; off += k) {
		k = n - off < chunk ? n - off : chunk;
		CHECK(msg_write(m, d + off, k) == 0);
	}
	CHECK(msg_write_end(m) == 0);
	CHECK(msg_size(m) == (off_t)n);
	CHECK(msg_header_count(m) <= lim->count_max);
	for (i = 0; i < msg_header_count(m); i++) {
		CHECK(msg_header_at(m, i, &name, &value, &raw) == 0);
		CHECK(msg_header(m, name, 1) != NULL);
		CHECK(strchr(value, '\n') == NULL && strchr(value, '\r') == NULL);
	}
	CHECK(msg_output(m, buf_out, &b) == 0);
	CHECK(b.n == n);
	CHECK(n == 0 || memcmp(b.p, d, n) == 0);

	/*
	 * Add a field and delete the first of its name: without such a field
	 * before, that is the new one, and the bytes come back unchanged.
	 */
	CHECK(msg_change_add(m, &add) == 0);
	CHECK(msg_change_add(m, &del) == 0);
	b.n = 0;
	CHECK(msg_output(m, buf_out, &b) == 0);
	if (msg_header(m, "X-Fuzz", 1) == NULL) {
		CHECK(b.n == n);
		CHECK(n == 0 || memcmp(b.p, d, n) == 0);
	} else {
		CHECK(b.n >= (size_t)msg_body_size(m));
	}

	/*
	 * Changes chosen by the input's own bytes, on names the message has:
	 * the output must still end with the body, byte for byte.
	 */
	for (i = 0; i < 12 && i < n; i++) {
		struct msg_change c;
		unsigned char x = (unsigned char)d[i];
		size_t nh = msg_header_count(m);

		memset(&c, 0, sizeof(c));
		c.kind = (enum msg_change_kind)(x % 4);
		c.index = (size_t)(x >> 2) % 5 + (x & 0x80 ? 0 : 1);
		c.name = "X-Fuzz";
		if (nh > 0 && (x & 0x40))
			CHECK(msg_header_at(m, (size_t)(x >> 1) % nh, &c.name,
			    NULL, NULL) == 0);
		c.value = (x & 0x20) ? "v\r\n\tw" : (x & 0x10) ? NULL : "";
		if (c.kind == MSG_ADD_HEADER || c.kind == MSG_INSERT_HEADER) {
			if (c.value == NULL)
				c.value = "n";
		}
		if (c.index == 0 && (c.kind == MSG_CHANGE_HEADER ||
		    c.kind == MSG_DELETE_HEADER)) {
			CHECK(msg_change_add(m, &c) == -1);
			continue;
		}
		CHECK(msg_change_add(m, &c) == 0);
	}
	b.n = 0;
	CHECK(msg_output(m, buf_out, &b) == 0);
	bsize = msg_body_size(m);
	CHECK(b.n >= (size_t)bsize);
	if (bsize > 0)
		CHECK(memcmp(b.p + b.n - (size_t)bsize, d + n - (size_t)bsize,
		    (size_t)bsize) == 0);
	free(b.p);
	msg_free(m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hdr_limits hl;
	struct msg_limits ml;
	size_t chunk;

	if (size < 4)
		return 0;
	hl.field_max = 1 + (size_t)data[0] * 4;
	hl.header_max = 1 + (size_t)data[1] * 16;
	hl.count_max = (size_t)(data[2] & 0x3f);
	chunk = 1 + (size_t)data[3];
	if (data[0] == 0xff)
		hl.field_max = 64 * 1024;
	if (data[1] == 0xff)
		hl.header_max = 1024 * 1024;
	if (data[2] & 0x40)
		hl.count_max = 10000;
	data += 4;
	size -= 4;
	fuzz_codec(&hl, (const char *)data, size, chunk);

	msg_limits_default(&ml);
	ml.field_max = hl.field_max;
	ml.header_max = hl.header_max;
	ml.count_max = hl.count_max;
	ml.memory_max = (data[-1] & 1) ? 1024 * 1024 : 64;
	fuzz_msg(&ml, (const char *)data, size, chunk);
	return 0;
}

#ifdef PG_FUZZ_STANDALONE
#include <dirent.h>
#include <sys/stat.h>

static int nrun;

/* run_file - one input, as the fuzzer would give it */
static int
run_file(const char *path)
{
	struct stat st;
	uint8_t *d;
	FILE *f;
	size_t n;

	if ((f = fopen(path, "rb")) == NULL || fstat(fileno(f), &st) == -1) {
		perror(path);
		if (f != NULL)
			fclose(f);
		return -1;
	}
	d = malloc((size_t)st.st_size + 1);
	n = fread(d, 1, (size_t)st.st_size, f);
	fclose(f);
	LLVMFuzzerTestOneInput(d, n);
	/* and with each of a few other limit and chunk prefixes */
	if (n >= 4) {
		static const uint8_t pre[][4] = {
			{ 0xff, 0xff, 0x40, 0xff }, { 0xff, 0xff, 0x40, 0 },
			{ 2, 2, 1, 2 }, { 16, 4, 3, 6 },
		};
		size_t i;

		for (i = 0; i < sizeof(pre) / sizeof(pre[0]); i++) {
			memcpy(d, pre[i], 4);
			LLVMFuzzerTestOneInput(d, n);
		}
	}
	free(d);
	nrun++;
	return 0;
}

/* run_path - a file, or every file in a directory */
static int
run_path(const char *path)
{
	char sub[4096];
	struct dirent *de;
	struct stat st;
	int r = 0;
	DIR *dp;

	if (stat(path, &st) == -1) {
		perror(path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(path);
	if ((dp = opendir(path)) == NULL) {
		perror(path);
		return -1;
	}
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (run_path(sub) == -1)
			r = -1;
	}
	closedir(dp);
	return r;
}

int
main(int argc, char **argv)
{
	char path[4096];
	const char *top;
	int i, r = 0;

	if (argc > 1) {
		for (i = 1; i < argc; i++)
			if (run_path(argv[i]) == -1)
				r = 1;
	} else {
		top = getenv("top_srcdir");
		snprintf(path, sizeof(path), "%s/tests/fuzz/corpus/hdr",
		    top != NULL ? top : ".");
		if (run_path(path) == -1)
			r = 1;
	}
	if (nrun == 0) {
		fprintf(stderr, "fuzz_hdr: no input files\n");
		return 1;
	}
	printf("fuzz_hdr: %d inputs run, each with 5 limit settings\n", nrun);
	return r;
}
#endif
