/*
 * replay.c - the plain driver of the fuzz harnesses: feed every file named
 * on the command line (or found in a folder named there) to
 * LLVMFuzzerTestOneInput once, in name order, and print one TAP line.  A
 * crash, an abort or a sanitizer report ends the process, which the test
 * runner reports as a failure; a folder that does not exist is an error,
 * so a corpus cannot silently go missing.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#include "fuzz.h"

static int
run_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *buf = NULL;
	long len;
	int rc = -1;

	if (fp == NULL)
		goto out;
	if (fseek(fp, 0, SEEK_END) != 0 || (len = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) != 0)
		goto out;
	if ((buf = malloc(len > 0 ? (size_t)len : 1)) == NULL)
		goto out;
	if (len > 0 && fread(buf, 1, (size_t)len, fp) != (size_t)len)
		goto out;
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
	free(buf);
	if (fp)
		fclose(fp);
	return rc;
}

static int
by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Replay path (a file, or every regular file of a folder); adds to *n. */
static int
run_path(const char *path, long *n)
{
	struct dirent **ent = NULL;
	struct stat sb;
	int k, rc = 0;

	if (stat(path, &sb) != 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(sb.st_mode)) {
		(*n)++;
		return run_file(path);
	}
	if ((k = scandir(path, &ent, NULL, by_name)) < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (int i = 0; i < k; i++) {
		char file[4096];

		if (ent[i]->d_name[0] != '.' && rc == 0 &&
		    snprintf(file, sizeof(file), "%s/%s", path, ent[i]->d_name) < (int)sizeof(file) &&
		    stat(file, &sb) == 0 && S_ISREG(sb.st_mode)) {
			(*n)++;
			rc = run_file(file);
		}
		free(ent[i]);
	}
	free(ent);
	return rc;
}

int
main(int argc, char **argv)
{
	long n = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: replay NAME PATH...\n");
		return 2;
	}
	for (int i = 2; i < argc; i++)
		if (run_path(argv[i], &n) != 0) {
			printf("not ok - %s: replay failed at %s\n", argv[1], argv[i]);
			return 1;
		}
	printf("ok - %s: %ld inputs replayed\n", argv[1], n);
	return 0;
}
