/*
 * test_log.c - the process log: its lines, its levels, the mode of its
 * file (created 0600 whatever the umask, an existing wider one narrowed to
 * 0640 with a warning in it), reopening after the file was moved without
 * leaking a descriptor, going back to standard error, and threads logging
 * while another keeps reopening the file, as the HTTP and dispatcher
 * threads do while the daemon reloads on SIGHUP: every line arrives, whole,
 * in one of the files.  Built with -fsanitize=thread (make tsan), this is
 * also the data-race check of the log.
 */
#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <regex.h>
#include <stdatomic.h>
#include <sys/stat.h>

#include "base/log.h"
#include "base/zone.h"

#define WRITERS 4
#define LINES_EACH 3000
#define MIN_REOPENS 200

static char dir[64];

static void
path_of(char *out, size_t len, const char *name)
{
	assert_true((size_t)snprintf(out, len, "%s/%s", dir, name) < len);
}

/* The whole of a (small) file, NUL-terminated, in buf. */
static size_t
slurp(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return buf[0] = '\0', 0;
	n = fread(buf, 1, cap - 1, f);
	buf[n] = '\0';
	fclose(f);
	return n;
}

static mode_t
mode_of(const char *path)
{
	struct stat sb;

	assert_int_equal(stat(path, &sb), 0);
	return sb.st_mode & 07777;
}

static int
open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "%s", "/tmp/duban-log.XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	log_close();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_lines_and_levels(void **state)
{
	char path[128], buf[4096];
	regex_t re;

	(void)state;
	path_of(path, sizeof(path), "lines.log");
	assert_int_equal(log_open("unit", path, LOG_INFO), 0);
	log_info("hello %d", 1);
	log_debug("not at info");
	errno = ENOENT;
	log_warn("opening %s", "x.csv");
	assert_int_equal(errno, ENOENT); /* logging leaves errno as it was */
	log_warnx("plain");
	assert_true(log_enabled(LOG_INFO));
	assert_false(log_enabled(LOG_DEBUG));
	log_close();
	slurp(path, buf, sizeof(buf));
	assert_int_equal(regcomp(&re,
				 "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[+-][0-9]{2}:[0-9]{2} unit info: hello 1\n"
				 "[^ ]+ unit warn: opening x.csv: No such file or directory\n"
				 "[^ ]+ unit warn: plain\n$",
				 REG_EXTENDED),
			 0);
	assert_int_equal(regexec(&re, buf, 0, NULL, 0), 0);
	regfree(&re);
}

/*
 * A line's time is local time in the configured zone with its offset,
 * as everything else a person reads: Shanghai is +08:00 all year, and
 * the hour is UTC's plus eight.
 */
static void
test_local_time_with_offset(void **state)
{
	char path[128], buf[512], want[16];
	struct tm tm;
	time_t before;

	(void)state;
	assert_int_equal(time_set_zone("Asia/Shanghai"), 0);
	path_of(path, sizeof(path), "local.log");
	assert_int_equal(log_open("unit", path, LOG_INFO), 0);
	before = time(NULL) + 8 * 3600;
	log_info("local");
	log_close();
	slurp(path, buf, sizeof(buf));
	gmtime_r(&before, &tm);
	strftime(want, sizeof(want), "T%H:", &tm);
	assert_non_null(strstr(buf, "+08:00 unit info: local\n"));
	/* the hour, unless the clock turned it between the two readings */
	assert_true(strstr(buf, want) != NULL || strstr(buf, ":00:0") != NULL);
	assert_int_equal(time_set_zone("UTC"), 0);
}

static void
test_long_line_is_cut_but_whole(void **state)
{
	char path[128], big[6000], buf[8192];
	size_t n;

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	path_of(path, sizeof(path), "long.log");
	assert_int_equal(log_open("unit", path, LOG_INFO), 0);
	log_info("%s", big);
	log_info("after");
	log_close();
	n = slurp(path, buf, sizeof(buf));
	assert_true(n < 3000);
	assert_non_null(strstr(buf, "xxx\n"));
	assert_non_null(strstr(buf, " unit info: after\n"));
}

static void
test_created_private(void **state)
{
	char path[128];
	mode_t old = umask(0);

	(void)state;
	path_of(path, sizeof(path), "new.log");
	assert_int_equal(log_open("unit", path, LOG_INFO), 0);
	umask(old);
	log_info("x");
	assert_int_equal(mode_of(path), 0600);
}

static void
test_existing_narrowed(void **state)
{
	char path[128], buf[4096];
	int fd;

	(void)state;
	path_of(path, sizeof(path), "wide.log");
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(chmod(path, 0666), 0);
	assert_int_equal(log_open("unit", path, LOG_INFO), 0);
	assert_int_equal(mode_of(path), 0640);
	slurp(path, buf, sizeof(buf));
	assert_non_null(strstr(buf, "had mode 0666; narrowed to 0640"));

	/* 0640 is what an operator may choose: it stays, and nothing is said. */
	assert_int_equal(truncate(path, 0), 0);
	assert_int_equal(log_open("unit", path, LOG_INFO), 0);
	assert_int_equal(mode_of(path), 0640);
	assert_int_equal(slurp(path, buf, sizeof(buf)), 0);

	/* 0644, what an older duban created: others lose their read. */
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(log_open("unit", path, LOG_INFO), 0);
	assert_int_equal(mode_of(path), 0640);
}

static void
test_reopen_after_move(void **state)
{
	char path[128], moved[128], buf[4096];
	int fds;

	(void)state;
	path_of(path, sizeof(path), "rot.log");
	path_of(moved, sizeof(moved), "rot.log.1");
	assert_int_equal(log_open("unit", path, LOG_INFO), 0);
	log_info("first");
	fds = open_fds();
	for (int i = 0; i < 50; i++) {
		assert_int_equal(rename(path, moved), 0);
		assert_int_equal(log_open("unit", path, LOG_INFO), 0);
	}
	log_info("second");
	assert_int_equal(open_fds(), fds); /* the same one descriptor, reused */
	assert_int_equal(mode_of(path), 0600);
	slurp(path, buf, sizeof(buf));
	assert_non_null(strstr(buf, "second"));
	assert_null(strstr(buf, "first"));

	/* A file that cannot be opened: -1, and lines still go where they went. */
	assert_int_equal(log_open("unit", "/nonexistent/dir/x.log", LOG_INFO), -1);
	log_info("third");
	slurp(path, buf, sizeof(buf));
	assert_non_null(strstr(buf, "third"));
}

static void
test_back_to_stderr(void **state)
{
	char path[128], err[128], buf[4096];
	int saved = dup(STDERR_FILENO), fd;

	(void)state;
	path_of(path, sizeof(path), "f.log");
	path_of(err, sizeof(err), "stderr");
	fd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	assert_int_equal(log_open("unit", path, LOG_INFO), 0);
	dup2(fd, STDERR_FILENO);
	log_info("to the file");
	assert_int_equal(log_open("unit", NULL, LOG_INFO), 0);
	log_info("to stderr");
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fd);
	slurp(path, buf, sizeof(buf));
	assert_non_null(strstr(buf, "to the file"));
	assert_null(strstr(buf, "to stderr"));
	slurp(err, buf, sizeof(buf));
	assert_non_null(strstr(buf, "to stderr"));
	assert_null(strstr(buf, "to the file"));
}

/* ---- threads logging while the file is reopened --------------------------------- */

static struct {
	atomic_int done;
} shared;

static void *
writer(void *arg)
{
	int id = (int)(intptr_t)arg;

	for (int i = 0; i < LINES_EACH; i++)
		log_info("writer %d line %d %s", id, i, i % 2 ? "odd" : "even");
	atomic_fetch_add(&shared.done, 1);
	return NULL;
}

/* Count the writers' lines in path; every line must be whole. */
static void
count_lines(const char *path, int seen[WRITERS][LINES_EACH], long *lines)
{
	FILE *f = fopen(path, "r");
	char line[512];
	int id, n;
	char word[8];

	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		const char *p = strstr(line, " unit ");
		if (strstr(line, "writer ") == NULL)
			continue; /* a narrowing warning, say */
		assert_non_null(p);
		assert_int_equal(sscanf(p, " unit info: writer %d line %d %7s", &id, &n, word), 3);
		assert_true(id >= 0 && id < WRITERS && n >= 0 && n < LINES_EACH);
		assert_string_equal(word, n % 2 ? "odd" : "even");
		assert_int_equal(line[strlen(line) - 1], '\n');
		seen[id][n]++;
		(*lines)++;
	}
	fclose(f);
}

static void
test_threads_while_reopening(void **state)
{
	static int seen[WRITERS][LINES_EACH];
	char a[128], b[128];
	pthread_t th[WRITERS];
	long reopens = 0, lines = 0;

	(void)state;
	path_of(a, sizeof(a), "a.log");
	path_of(b, sizeof(b), "b.log");
	assert_int_equal(log_open("unit", a, LOG_INFO), 0);
	atomic_store(&shared.done, 0);
	for (int i = 0; i < WRITERS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, writer, (void *)(intptr_t)i), 0);
	/* Switch files, and levels, for as long as the writers write. */
	while (atomic_load(&shared.done) < WRITERS || reopens < MIN_REOPENS) {
		assert_int_equal(log_open("unit", reopens % 2 ? a : b, LOG_INFO), 0);
		log_enabled(LOG_DEBUG);
		reopens++;
	}
	for (int i = 0; i < WRITERS; i++)
		pthread_join(th[i], NULL);
	log_close();
	memset(seen, 0, sizeof(seen));
	count_lines(a, seen, &lines);
	count_lines(b, seen, &lines);
	assert_int_equal(lines, (long)WRITERS * LINES_EACH);
	for (int i = 0; i < WRITERS; i++)
		for (int n = 0; n < LINES_EACH; n++)
			assert_int_equal(seen[i][n], 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lines_and_levels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_local_time_with_offset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_line_is_cut_but_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_created_private, setup, teardown),
		cmocka_unit_test_setup_teardown(test_existing_narrowed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_after_move, setup, teardown),
		cmocka_unit_test_setup_teardown(test_back_to_stderr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads_while_reopening, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
