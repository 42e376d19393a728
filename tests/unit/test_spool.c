/*
 * test_spool - the spool: memory up to the limit, then an unlinked file;
 * reads across the memory/file boundary; a 10 MB body in little memory;
 * errors (bad directory, out of memory) that keep what was stored.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>
#include <cmocka.h>

#include "spool.h"
#include "xmalloc.h"

/* pattern - the byte at offset off of the test stream */
static unsigned char
pattern(off_t off)
{
	return (unsigned char)((off * 7 + (off >> 13)) & 0xff);
}

static void
fill(unsigned char *p, off_t off, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = pattern(off + (off_t)i);
}

/* check_read - read [off, off+n) and compare against the pattern */
static void
check_read(struct spool *s, off_t off, size_t n)
{
	unsigned char *got = malloc(n + 1), *want = malloc(n + 1);
	ssize_t r;

	r = spool_read(s, off, got, n);
	assert_int_equal(r, (ssize_t)n);
	fill(want, off, n);
	assert_memory_equal(got, want, n);
	free(got);
	free(want);
}

/*
 * rss_checked - memory numbers mean something: not under valgrind (its
 * preload library is in LD_PRELOAD) nor a sanitizer (shadow memory).
 */
static int
rss_checked(void)
{
	const char *pre = getenv("LD_PRELOAD");

#if defined(__SANITIZE_ADDRESS__)
	return 0;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
	return 0;
#endif
#endif
	if (getenv("PG_NO_RSS_CHECK") != NULL)
		return 0;
	return pre == NULL || strstr(pre, "vgpreload") == NULL;
}

/* kib - a line of /proc/self/status, in KiB */
static long
kib(const char *key)
{
	char line[256];
	long v = -1;
	FILE *f;

	if ((f = fopen("/proc/self/status", "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, key, strlen(key)) == 0)
			v = strtol(line + strlen(key), NULL, 10);
	fclose(f);
	return v;
}

/* count_entries - files in dir (but . and ..) */
static int
count_entries(const char *dir)
{
	struct dirent *d;
	int n = 0;
	DIR *dp;

	assert_non_null(dp = opendir(dir));
	while ((d = readdir(dp)) != NULL)
		if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, ".."))
			n++;
	closedir(dp);
	return n;
}

/* 10 MB with 64 KiB in memory: memory stays small, bytes come back exact */
static void
test_big_small_memory(void **state)
{
	const size_t total = 10 * 1024 * 1024, chunk = 8192;
	unsigned char buf[8192];
	long rss0, hwm0, rss1, hwm1;
	char dir[] = "/tmp/test_spool.XXXXXX";
	struct spool *s;
	off_t off;

	(void)state;
	assert_non_null(mkdtemp(dir));
	rss0 = kib("VmRSS:");
	hwm0 = kib("VmHWM:");
	assert_non_null(s = spool_new(64 * 1024, dir));
	for (off = 0; off < (off_t)total; off += (off_t)chunk) {
		fill(buf, off, chunk);
		assert_int_equal(spool_write(s, buf, chunk), 0);
	}
	assert_int_equal(spool_size(s), (off_t)total);
	assert_false(spool_in_memory(s));
	/* the file has no name */
	assert_int_equal(count_entries(dir), 0);
	for (off = 0; off < (off_t)total; off += 65536 + 13)
		check_read(s, off, (size_t)((off_t)total - off < 65536 + 13 ?
		    (off_t)total - off : 65536 + 13));
	rss1 = kib("VmRSS:");
	hwm1 = kib("VmHWM:");
	print_message("RSS %ld -> %ld KiB, peak %ld -> %ld KiB\n", rss0, rss1,
	    hwm0, hwm1);
	if (rss0 > 0 && rss_checked()) {
		assert_true(rss1 - rss0 < 2048);
		assert_true(hwm1 - hwm0 < 2048);
	}
	spool_free(s);
	assert_int_equal(rmdir(dir), 0);
}

/* small content stays in memory; reads clip at the end */
static void
test_memory(void **state)
{
	struct spool *s;
	char buf[16];

	(void)state;
	assert_non_null(s = spool_new(100, NULL));
	assert_true(spool_in_memory(s));
	assert_int_equal(spool_size(s), 0);
	assert_int_equal(spool_read(s, 0, buf, sizeof(buf)), 0);
	assert_int_equal(spool_write(s, "hello ", 6), 0);
	assert_int_equal(spool_write(s, "", 0), 0);
	assert_int_equal(spool_write(s, "world", 5), 0);
	assert_int_equal(spool_size(s), 11);
	assert_true(spool_in_memory(s));
	assert_int_equal(spool_read(s, 0, buf, sizeof(buf)), 11);
	assert_memory_equal(buf, "hello world", 11);
	assert_int_equal(spool_read(s, 6, buf, 3), 3);
	assert_memory_equal(buf, "wor", 3);
	assert_int_equal(spool_read(s, 11, buf, 3), 0);
	assert_int_equal(spool_read(s, 1000, buf, 3), 0);
	errno = 0;
	assert_int_equal(spool_read(s, -1, buf, 3), -1);
	assert_int_equal(errno, EINVAL);
	spool_free(s);
	spool_free(NULL);
}

/* the write that passes memory_max moves everything to a file */
static void
test_boundary(void **state)
{
	static const size_t maxes[] = { 0, 1, 100, 4096, 70000 };
	static const size_t writes[] = { 1, 3, 99, 100, 101, 4095, 65536, 70001 };
	unsigned char *buf = malloc(300000);
	struct spool *s;
	size_t i, j, k;
	off_t off;

	(void)state;
	for (i = 0; i < sizeof(maxes) / sizeof(maxes[0]); i++) {
		assert_non_null(s = spool_new(maxes[i], "/tmp"));
		off = 0;
		for (k = 0; k < 3; k++) {
			for (j = 0; j < sizeof(writes) / sizeof(writes[0]); j++) {
				fill(buf, off, writes[j]);
				assert_int_equal(spool_write(s, buf, writes[j]), 0);
				off += (off_t)writes[j];
				assert_int_equal(spool_size(s), off);
				assert_int_equal(spool_in_memory(s),
				    (size_t)off <= maxes[i]);
				/* read the newest bytes (tail buffer) and a span */
				check_read(s, off - (off_t)writes[j], writes[j]);
			}
		}
		check_read(s, 0, (size_t)off);
		check_read(s, 1, (size_t)off - 2);
		spool_free(s);
	}
	free(buf);
}

/* truncate empties the spool, which then works again from memory */
static void
test_truncate(void **state)
{
	unsigned char buf[5000];
	struct spool *s;

	(void)state;
	assert_non_null(s = spool_new(1000, "/tmp"));
	fill(buf, 0, sizeof(buf));
	assert_int_equal(spool_write(s, buf, sizeof(buf)), 0);
	assert_false(spool_in_memory(s));
	assert_int_equal(spool_truncate(s), 0);
	assert_int_equal(spool_size(s), 0);
	assert_true(spool_in_memory(s));
	assert_int_equal(spool_read(s, 0, buf, 10), 0);
	assert_int_equal(spool_write(s, buf, 500), 0);
	assert_true(spool_in_memory(s));
	check_read(s, 0, 500);
	assert_int_equal(spool_write(s, buf + 500, 4500), 0);
	assert_false(spool_in_memory(s));
	check_read(s, 0, 5000);
	spool_free(s);
}

/* a directory that does not exist: the move fails, what was kept stays */
static void
test_bad_dir(void **state)
{
	unsigned char buf[100];
	struct spool *s;

	(void)state;
	fill(buf, 0, sizeof(buf));
	assert_non_null(s = spool_new(50, "/nonexistent/phasegate/spool"));
	assert_int_equal(spool_write(s, buf, 40), 0);
	errno = 0;
	assert_int_equal(spool_write(s, buf + 40, 20), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(spool_size(s), 40);
	assert_true(spool_in_memory(s));
	check_read(s, 0, 40);
	assert_int_equal(spool_write(s, buf + 40, 10), 0);
	check_read(s, 0, 50);
	spool_free(s);

	/* a file, not a directory */
	assert_non_null(s = spool_new(0, "/dev/null"));
	assert_int_equal(spool_write(s, buf, 1), -1);
	assert_int_equal(spool_size(s), 0);
	spool_free(s);
}

/*
 * The file cannot grow (RLIMIT_FSIZE stands in for a full disk): the write
 * fails with the system's errno, the error sticks, the bytes stored before
 * read back exactly, and truncate starts over.
 */
static void
test_file_full(void **state)
{
	struct rlimit old, lim;
	unsigned char buf[10000];
	struct spool *s;
	off_t off = 0, good;
	int r = 0, err = 0;

	(void)state;
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_IGN);
	lim = old;
	lim.rlim_cur = 150000;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	assert_non_null(s = spool_new(1000, "/tmp"));
	while (off < 400000) {
		fill(buf, off, sizeof(buf));
		if ((r = spool_write(s, buf, sizeof(buf))) == -1) {
			err = errno;
			break;
		}
		off += (off_t)sizeof(buf);
	}
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	assert_int_equal(r, -1);
	assert_int_equal(err, EFBIG);
	assert_false(spool_in_memory(s));
	good = off;
	assert_true(spool_size(s) >= good);
	check_read(s, 0, (size_t)good);
	errno = 0;
	assert_int_equal(spool_write(s, buf, 1), -1);
	assert_int_equal(errno, EFBIG);
	assert_int_equal(spool_truncate(s), 0);
	assert_int_equal(spool_write(s, buf, 10), 0);
	assert_int_equal(spool_size(s), 10);
	spool_free(s);
}

/* writes fail with ENOMEM and keep what was stored */
static void
test_nomem(void **state)
{
	unsigned char buf[10000];
	struct spool *s;
	unsigned long n;
	int ok;

	(void)state;
	pg_alloc_fail_after(1);
	errno = 0;
	assert_null(spool_new(100, "/tmp"));
	assert_int_equal(errno, ENOMEM);
	pg_alloc_fail_after(2);
	assert_null(spool_new(100, "/tmp"));
	pg_alloc_fail_after(0);

	fill(buf, 0, sizeof(buf));
	assert_non_null(s = spool_new(8000, "/tmp"));
	assert_int_equal(spool_write(s, buf, 10), 0);
	pg_alloc_fail_after(1);
	errno = 0;
	assert_int_equal(spool_write(s, buf + 10, 5000), -1);
	assert_int_equal(errno, ENOMEM);
	pg_alloc_fail_after(0);
	assert_int_equal(spool_size(s), 10);
	assert_int_equal(spool_write(s, buf + 10, 5000), 0);
	/* the move to a file needs the tail buffer */
	pg_alloc_fail_after(1);
	assert_int_equal(spool_write(s, buf + 5010, 4990), -1);
	assert_int_equal(errno, ENOMEM);
	pg_alloc_fail_after(0);
	assert_true(spool_in_memory(s));
	check_read(s, 0, 5010);
	assert_int_equal(spool_write(s, buf + 5010, 4990), 0);
	check_read(s, 0, 10000);
	spool_free(s);

	/* every allocation failing in turn: never a crash, never a wrong byte */
	for (n = 1; n < 20; n++) {
		s = spool_new(3000, "/tmp");
		pg_alloc_fail_after(n);
		ok = s != NULL && spool_write(s, buf, 2000) == 0 &&
		    spool_write(s, buf + 2000, 8000) == 0;
		pg_alloc_fail_after(0);
		if (ok)
			check_read(s, 0, 10000);
		spool_free(s);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		/* first, while the process is still small */
		cmocka_unit_test(test_big_small_memory),
		cmocka_unit_test(test_memory),
		cmocka_unit_test(test_boundary),
		cmocka_unit_test(test_truncate),
		cmocka_unit_test(test_bad_dir),
		cmocka_unit_test(test_file_full),
		cmocka_unit_test(test_nomem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
