/*
 * gmime_bench - GMime 3 alone on the messages of mime_bench, for the
 * comparison in docs/mime.md: parse (from memory, no copy of the message),
 * every text part's text (charset converted; HTML not rendered), the
 * decoded Subject. Not built by make (GMime is not a dependency):
 *
 *	cc -O2 -o gmime_bench bench/gmime_bench.c $(pkg-config --cflags --libs gmime-3.0)
 *	MIME_BENCH_WRITE=/tmp build/bench/mime_bench . && ./gmime_bench /tmp/mime_bench_*.eml
 */
#include <gmime/gmime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static size_t seen;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void
part(GMimeObject *parent, GMimeObject *p, gpointer data)
{
	char *t;

	(void)parent;
	(void)data;
	if (GMIME_IS_TEXT_PART(p)) {
		t = g_mime_text_part_get_text((GMimeTextPart *)p);
		seen += t ? strlen(t) : 0;
		g_free(t);
	}
}

int
main(int argc, char **argv)
{
	int a, i, n;

	g_mime_init();
	for (a = 1; a < argc; a++) {
		FILE *f = fopen(argv[a], "rb");
		GByteArray *ba;
		long len;
		char *buf;
		double t0;

		if (f == NULL)
			continue;
		fseek(f, 0, SEEK_END);
		len = ftell(f);
		rewind(f);
		buf = malloc(len);
		if (fread(buf, 1, len, f) != (size_t)len)
			return 1;
		fclose(f);
		ba = g_byte_array_new_take((guint8 *)buf, len);
		n = len > 1000000 ? 200 : len > 10000 ? 2000 : 20000;
		t0 = now();
		for (i = 0; i < n; i++) {
			GMimeStream *s = g_mime_stream_mem_new_with_byte_array(ba);
			GMimeParser *p;
			GMimeMessage *m;
			const char *subj;

			g_mime_stream_mem_set_owner((GMimeStreamMem *)s, FALSE);
			p = g_mime_parser_new_with_stream(s);
			m = g_mime_parser_construct_message(p, NULL);
			if ((subj = g_mime_message_get_subject(m)) != NULL)
				seen += strlen(subj);
			g_mime_message_foreach(m, part, NULL);
			g_object_unref(m);
			g_object_unref(p);
			g_object_unref(s);
		}
		printf("%s %ld bytes: %.1f us per message\n", argv[a], len,
		    (now() - t0) / n);
	}
	return seen == 0;
}
