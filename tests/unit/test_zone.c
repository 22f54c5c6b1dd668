/*
 * test_zone.c - the clock and local-time conversions (checked against the C
 * library across zones with and without daylight saving), times of day and
 * durations.
 */
#include "unit.h"

#include <time.h>

#include "base/duration.h"
#include "base/zone.h"

static const char *const zones[] = { "Asia/Shanghai", "America/New_York", "Europe/London",
				     "Australia/Lord_Howe", "Asia/Kathmandu", "UTC" };

/* time_local agrees with localtime_r everywhere, 1969 to 2049. */
static void
test_local_matches_libc(void **state)
{
	(void)state;
	for (size_t z = 0; z < sizeof(zones) / sizeof(zones[0]); z++) {
		assert_int_equal(time_set_zone(zones[z]), 0);
		for (int64_t t = -86400 * 400; t < 86400LL * 365 * 80; t += 86400 * 3 + 3607) {
			struct tm a, b;
			time_t tt = (time_t)t;
			localtime_r(&tt, &a);
			time_local(t, &b);
			assert_int_equal(a.tm_year, b.tm_year);
			assert_int_equal(a.tm_mon, b.tm_mon);
			assert_int_equal(a.tm_mday, b.tm_mday);
			assert_int_equal(a.tm_hour, b.tm_hour);
			assert_int_equal(a.tm_min, b.tm_min);
			assert_int_equal(a.tm_wday, b.tm_wday);
			assert_int_equal(a.tm_yday, b.tm_yday);
			/* and back; a wall-clock time that happens twice gives the earlier */
			int64_t mine = time_from_local(a.tm_year + 1900, a.tm_mon + 1, a.tm_mday,
						       a.tm_hour, a.tm_min, a.tm_sec);
			if (mine != t) {
				struct tm e;
				time_local(mine, &e);
				assert_true(mine < t);
				assert_int_equal(e.tm_hour, a.tm_hour);
				assert_int_equal(e.tm_min, a.tm_min);
				assert_int_equal(e.tm_mday, a.tm_mday);
			}
			/* out-of-range days normalise as mktime does */
			struct tm d = a;
			d.tm_mday += 40;
			d.tm_isdst = -1;
			assert_int_equal((int64_t)mktime(&d),
					 time_from_local(a.tm_year + 1900, a.tm_mon + 1, a.tm_mday + 40,
							 a.tm_hour, a.tm_min, a.tm_sec));
		}
	}
}

static int64_t
utc(int y, int m, int d, int h, int mi)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi };
	return (int64_t)timegm(&tm);
}

/* Spring forward: a time in the gap moves forward; fall back: the earlier instant. */
static void
test_dst_gap_and_overlap(void **state)
{
	(void)state;
	assert_int_equal(time_set_zone("America/New_York"), 0);
	/* 2008-03-09 02:30 does not exist: read as EST, i.e. 03:30 EDT = 07:30Z */
	assert_int_equal(time_from_local(2008, 3, 9, 2, 30, 0), utc(2008, 3, 9, 7, 30));
	/* 2008-11-02 01:30 happens twice: the first, EDT = 05:30Z */
	assert_int_equal(time_from_local(2008, 11, 2, 1, 30, 0), utc(2008, 11, 2, 5, 30));
	/* a calendar day across the change is 23 hours */
	assert_int_equal(time_from_local(2008, 3, 9, 9, 0, 0) - time_from_local(2008, 3, 8, 9, 0, 0),
			 23 * 3600);
	assert_int_equal(time_set_zone("Asia/Shanghai"), 0);
	assert_int_equal(time_from_local(2008, 12, 31, 23, 59, 0), utc(2008, 12, 31, 15, 59));
	assert_int_equal(time_from_local(2008, 13, 1, 0, 0, 0), utc(2008, 12, 31, 16, 0));
}

static void
test_parse_local(void **state)
{
	int64_t t;
	(void)state;
	assert_int_equal(time_set_zone("Asia/Shanghai"), 0);
	assert_int_equal(time_parse_local("2008-12-31", true, &t), 0);
	assert_int_equal(t, utc(2008, 12, 31, 15, 59));
	assert_int_equal(time_parse_local("2008-12-31", false, &t), 0);
	assert_int_equal(t, utc(2008, 12, 30, 16, 0));
	assert_int_equal(time_parse_local("2008-12-31 09:30", true, &t), 0);
	assert_int_equal(t, utc(2008, 12, 31, 1, 30));
	assert_int_equal(time_parse_local("2008-02-30", true, &t), -1);
	assert_int_equal(time_parse_local("2008-12-31 24:00", true, &t), -1);
	assert_int_equal(time_parse_local("31/12/2008", true, &t), -1);
	assert_int_equal(time_parse_local("2008-12-31 9:30x", true, &t), -1);
}

static void
test_hhmm_and_duration(void **state)
{
	int m;
	struct duration d;
	(void)state;
	assert_int_equal(time_parse_hhmm("08:00", &m), 0);
	assert_int_equal(m, 480);
	assert_int_equal(time_parse_hhmm("9:05", &m), 0);
	assert_int_equal(m, 545);
	assert_int_equal(time_parse_hhmm("25:00", &m), -1);
	assert_int_equal(time_parse_hhmm("09:60", &m), -1);
	assert_int_equal(time_parse_hhmm("0900", &m), -1);
	assert_int_equal(duration_parse("1d12h", &d), 0);
	assert_int_equal(d.days, 1);
	assert_int_equal(d.seconds, 43200);
	assert_int_equal(duration_parse("36h", &d), 0);
	assert_int_equal(duration_seconds(&d), 129600);
	assert_int_equal(duration_parse("7", &d), -1);
	assert_int_equal(duration_parse("d", &d), -1);
	assert_int_equal(duration_parse("3y", &d), -1);
	assert_int_equal(duration_parse("", &d), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_local_matches_libc),
		cmocka_unit_test(test_dst_gap_and_overlap),
		cmocka_unit_test(test_parse_local),
		cmocka_unit_test(test_hhmm_and_duration),
	};
	return cmocka_run_group_tests_name("zone", tests, NULL, NULL);
}
