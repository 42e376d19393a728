/*
 * fuzz_smtp_replay - main() for the fuzz targets when built without
 * libFuzzer: run LLVMFuzzerTestOneInput() over every file named on the
 * command line (directories are walked one level), or, with no argument,
 * over $top_srcdir/tests/fuzz/corpus/FUZZ_NAME. Exits 0 when all ran.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* run_file - one input file; -1 when it cannot be read */
static int
run_file(const char *path)
{
	FILE *f;
	uint8_t *buf;
	size_t n, cap = 1 << 20;
	int rc = 0;

	if ((f = fopen(path, "rb")) == NULL) {
		perror(path);
		return -1;
	}
	if ((buf = malloc(cap)) == NULL) {
		fclose(f);
		return -1;
	}
	n = fread(buf, 1, cap, f);
	if (ferror(f))
		rc = -1;
	else
		LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	fclose(f);
	return rc;
}

/* run_path - a file, or every regular file in a directory */
static int
run_path(const char *path, unsigned *count)
{
	struct stat st;
	struct dirent *de;
	DIR *d;
	char p[4096];
	int rc = 0;

	if (stat(path, &st) < 0) {
		perror(path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		(*count)++;
		return run_file(path);
	}
	if ((d = opendir(path)) == NULL) {
		perror(path);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", path, de->d_name);
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
			(*count)++;
			if (run_file(p) < 0)
				rc = -1;
		}
	}
	closedir(d);
	return rc;
}

int
main(int argc, char **argv)
{
	char def[4096];
	const char *top = getenv("top_srcdir");
	unsigned count = 0;
	int i, rc = 0;

	if (argc < 2) {
		snprintf(def, sizeof(def), "%s/tests/fuzz/corpus/%s",
		    top ? top : ".", FUZZ_NAME);
		rc = run_path(def, &count);
	}
	for (i = 1; i < argc; i++)
		if (run_path(argv[i], &count) < 0)
			rc = -1;
	printf("%s: %u inputs\n", FUZZ_NAME, count);
	return rc < 0 || count == 0 ? 1 : 0;
}
