/*
 * test_civil.c - the Gregorian arithmetic checked against the C library's
 * UTC conversions from 1600 to 2400 (leap centuries included), the
 * normalisation of out-of-range months and days, and local calendar days
 * between instants: in Shanghai, across DST changes (an hour in New York
 * and Berlin, half an hour on Lord Howe Island) and across the day Samoa
 * skipped when it moved west of the date line.
 */
#include "unit.h"

#include <time.h>

#include "base/civil.h"
#include "base/zone.h"

static void
test_known_days(void **state)
{
	(void)state;
	assert_int_equal(civil_to_days(1970, 1, 1), 0);
	assert_int_equal(civil_to_days(1969, 12, 31), -1);
	assert_int_equal(civil_to_days(2000, 3, 1), 11017);
	assert_int_equal(civil_to_days(2008, 12, 31), 14244);
	assert_int_equal(civil_to_days(1600, 1, 1), -135140);
	/* months and days out of range normalise, as mktime does */
	assert_int_equal(civil_to_days(2008, 13, 1), civil_to_days(2009, 1, 1));
	assert_int_equal(civil_to_days(2008, 0, 1), civil_to_days(2007, 12, 1));
	assert_int_equal(civil_to_days(2009, -11, 1), civil_to_days(2008, 1, 1));
	assert_int_equal(civil_to_days(2008, 3, 0), civil_to_days(2008, 2, 29));
	assert_int_equal(civil_to_days(2007, 3, 0), civil_to_days(2007, 2, 28));
	assert_int_equal(civil_to_days(2008, 1, 367), civil_to_days(2009, 1, 1));
	assert_int_equal(civil_to_days(2008, 12, 31 + 40), civil_to_days(2009, 2, 9));
	assert_int_equal(civil_to_days(2008, 2, -1), civil_to_days(2008, 1, 30));
	/* weekdays: the epoch was a Thursday, 2008-12-31 a Wednesday */
	assert_int_equal(civil_weekday(0), 4);
	assert_int_equal(civil_weekday(-1), 3);
	assert_int_equal(civil_weekday(-7), 4);
	assert_int_equal(civil_weekday(14244), 3);
}

/* Every day from 1600 to 2400 against timegm and gmtime_r, both ways. */
static void
test_against_libc(void **state)
{
	(void)state;
	for (int64_t days = civil_to_days(1600, 1, 1); days < civil_to_days(2400, 1, 1); days++) {
		time_t tt = (time_t)(days * 86400 + 45296); /* 12:34:56 */
		struct tm g, mine;
		int64_t y;
		int m, d;

		gmtime_r(&tt, &g);
		civil_from_days(days, &y, &m, &d);
		if (y != g.tm_year + 1900 || m != g.tm_mon + 1 || d != g.tm_mday)
			fail_msg("day %lld: %lld-%d-%d, libc %d-%d-%d", (long long)days, (long long)y,
				 m, d, g.tm_year + 1900, g.tm_mon + 1, g.tm_mday);
		assert_int_equal(civil_to_days(y, m, d), days);
		assert_int_equal(civil_weekday(days), g.tm_wday);
		civil_from_seconds((int64_t)tt, &mine);
		assert_int_equal(mine.tm_year, g.tm_year);
		assert_int_equal(mine.tm_mon, g.tm_mon);
		assert_int_equal(mine.tm_mday, g.tm_mday);
		assert_int_equal(mine.tm_hour, 12);
		assert_int_equal(mine.tm_min, 34);
		assert_int_equal(mine.tm_sec, 56);
		assert_int_equal(mine.tm_wday, g.tm_wday);
		assert_int_equal(mine.tm_yday, g.tm_yday);
		assert_int_equal(mine.tm_gmtoff, 0);
	}
	/* the second before midnight and midnight, before and after 1970 */
	struct tm tm;
	civil_from_seconds(-1, &tm);
	assert_int_equal(tm.tm_year, 69);
	assert_int_equal(tm.tm_mday, 31);
	assert_int_equal(tm.tm_hour, 23);
	assert_int_equal(tm.tm_sec, 59);
	civil_from_seconds(-86400, &tm);
	assert_int_equal(tm.tm_mday, 31);
	assert_int_equal(tm.tm_hour, 0);
}

static int64_t
at(const char *s)
{
	int64_t t;

	if (time_parse_local(s, false, &t) != 0)
		fail_msg("bad time %s", s);
	return t;
}

static void
test_days_between_shanghai(void **state)
{
	(void)state;
	assert_int_equal(time_set_zone("Asia/Shanghai"), 0);
	assert_int_equal(civil_days_between(at("2008-12-08 10:00"), at("2008-12-10 23:59")), 2);
	assert_int_equal(civil_days_between(at("2008-12-10 23:59"), at("2008-12-11 00:01")), 1);
	assert_int_equal(civil_days_between(at("2008-12-10 00:00"), at("2008-12-10 23:59")), 0);
	assert_int_equal(civil_days_between(at("2008-12-31 09:00"), at("2008-12-01 09:00")), -30);
	assert_int_equal(civil_days_between(at("2008-12-31 23:59"), at("2009-01-01 00:00")), 1);
	assert_int_equal(civil_days_between(at("2008-02-28 12:00"), at("2008-03-01 12:00")), 2);
	assert_int_equal(civil_days_between(at("2007-12-31 12:00"), at("2008-12-31 12:00")), 366);
	/* local dates, not UTC ones: 00:30 in Shanghai is the previous UTC day */
	assert_int_equal(civil_days_between(at("2008-12-10 07:59"), at("2008-12-10 08:01")), 0);
	assert_int_equal(civil_days_between(at("2008-12-09 23:30"), at("2008-12-10 00:30")), 1);
}

static void
test_days_between_dst(void **state)
{
	(void)state;
	if (!time_zone_exists("America/New_York") || !time_zone_exists("Europe/Berlin") ||
	    !time_zone_exists("Australia/Lord_Howe"))
		skip();
	assert_int_equal(time_set_zone("America/New_York"), 0);
	/* 2008-03-09 has 23 hours, 2008-11-02 has 25 */
	assert_int_equal(civil_days_between(at("2008-03-08 23:30"), at("2008-03-09 00:30")), 1);
	assert_int_equal(civil_days_between(at("2008-03-08 00:10"), at("2008-03-10 23:50")), 2);
	assert_int_equal(civil_days_between(at("2008-03-09 00:00"), at("2008-03-09 23:59")), 0);
	assert_int_equal(civil_days_between(at("2008-11-01 23:59"), at("2008-11-02 00:00")), 1);
	assert_int_equal(civil_days_between(at("2008-11-02 00:00"), at("2008-11-02 23:59")), 0);
	assert_int_equal(civil_days_between(at("2008-11-03 00:00"), at("2008-11-01 23:59")), -2);
	assert_int_equal(time_set_zone("Europe/Berlin"), 0);
	assert_int_equal(civil_days_between(at("2008-03-29 23:30"), at("2008-03-31 00:30")), 2);
	assert_int_equal(civil_days_between(at("2008-10-25 00:10"), at("2008-10-27 23:50")), 2);
	assert_int_equal(civil_days_between(at("2008-10-26 00:00"), at("2008-10-26 23:59")), 0);
	assert_int_equal(time_set_zone("Australia/Lord_Howe"), 0);
	/* half an hour forward on 2008-10-05, back on 2009-04-05 */
	assert_int_equal(civil_days_between(at("2008-10-04 23:45"), at("2008-10-05 00:15")), 1);
	assert_int_equal(civil_days_between(at("2009-04-04 12:00"), at("2009-04-06 12:00")), 2);
	assert_int_equal(time_set_zone("Asia/Shanghai"), 0);
}

/* Samoa went from UTC-10 to UTC+14 at the end of 2011-12-29: 2011-12-30
 * never happened there.  Noon on the 29th and noon on the 31st are 24 hours
 * apart but two calendar days, and the count says so. */
static void
test_days_between_skipped_day(void **state)
{
	(void)state;
	if (!time_zone_exists("Pacific/Apia"))
		skip();
	assert_int_equal(time_set_zone("Pacific/Apia"), 0);
	int64_t a = at("2011-12-29 12:00"), b = at("2011-12-31 12:00");
	assert_int_equal(b - a, 24 * 3600);
	assert_int_equal(civil_days_between(a, b), 2);
	assert_int_equal(civil_days_between(b, a), -2);
	assert_int_equal(civil_days_between(at("2011-12-29 23:59"), at("2011-12-31 00:00")), 2);
	assert_int_equal(time_set_zone("Asia/Shanghai"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_days),
		cmocka_unit_test(test_against_libc),
		cmocka_unit_test(test_days_between_shanghai),
		cmocka_unit_test(test_days_between_dst),
		cmocka_unit_test(test_days_between_skipped_day),
	};
	return cmocka_run_group_tests_name("civil", tests, NULL, NULL);
}
