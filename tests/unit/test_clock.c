/*
 * test_clock.c - the replaced clock: DUBAN_NOW is read once, as a local
 * time in the zone set before, runs on at real speed and is not moved by
 * a later change of zone (a reload); a bad DUBAN_NOW is reported and the
 * real clock used.  DUBAN_NOW is read once per process, so each case runs
 * in a child of its own.
 */
#include "unit.h"

#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/zone.h"

/* Run fn in a child process; its exit status must be 0. */
static void
in_child(int (*fn)(void))
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(fn());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static int
replaced_clock(void)
{
	char err[128];
	int64_t want = 1228096800; /* 2008-12-01 10:00 in Shanghai = 02:00Z */

	if (setenv("DUBAN_NOW", "2008-12-01 10:00", 1) != 0 || time_set_zone("Asia/Shanghai") != 0)
		return 1;
	if (time_check_env(err, sizeof(err)) != 0)
		return 2;
	int64_t t = time_now();
	if (t < want || t > want + 5)
		return 3;
	/* a reload into another zone keeps the instant: no second reading */
	if (time_set_zone("America/New_York") != 0)
		return 4;
	int64_t t2 = time_now();
	if (t2 < t || t2 > t + 5)
		return 5;
	/* nor does a change of DUBAN_NOW after it was read */
	if (setenv("DUBAN_NOW", "2030-01-01 00:00", 1) != 0 || time_now() > t + 5)
		return 6;
	return 0;
}

static int
bad_clock(void)
{
	char err[128] = "";
	int64_t real = (int64_t)time(NULL);

	if (setenv("DUBAN_NOW", "yesterday", 1) != 0 || time_set_zone("Asia/Shanghai") != 0)
		return 1;
	if (time_check_env(err, sizeof(err)) != -1 ||
	    strcmp(err, "DUBAN_NOW=\"yesterday\": expected local time \"YYYY-MM-DD HH:MM[:SS]\"") != 0)
		return 2;
	if (time_now() < real || time_now() > real + 5)
		return 3;
	return 0;
}

static int
real_clock(void)
{
	char err[128];
	int64_t real = (int64_t)time(NULL);

	if (unsetenv("DUBAN_NOW") != 0 || time_check_env(err, sizeof(err)) != 0)
		return 1;
	if (time_now() < real || time_now() > real + 5)
		return 2;
	int64_t m0 = time_mono_ms(), m1 = time_mono_ms();
	return m1 >= m0 ? 0 : 3;
}

static void
test_replaced(void **state)
{
	(void)state;
	if (!time_zone_exists("America/New_York"))
		skip();
	in_child(replaced_clock);
}

static void
test_bad(void **state)
{
	(void)state;
	in_child(bad_clock);
}

static void
test_real(void **state)
{
	(void)state;
	in_child(real_clock);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replaced),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_real),
	};
	return cmocka_run_group_tests_name("clock", tests, NULL, NULL);
}
