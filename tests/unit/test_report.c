/*
 * test_report.c - the day arithmetic of the reports: local calendar days
 * (an evening and the next morning are a day apart), days late (a part of
 * a day counts as one; on time is 0), across a DST change in a zone that
 * has one, and each report's columns and types agreeing in number.
 */
#include "unit.h"

#include "core/report.h"
#include "base/array.h"
#include "base/civil.h"
#include "base/zone.h"

static int64_t
at(const char *s)
{
	int64_t t;

	if (time_parse_local(s, false, &t) != 0)
		fail_msg("bad time %s", s);
	return t;
}

static void
test_calendar_days(void **state)
{
	(void)state;
	assert_int_equal(time_set_zone("Asia/Shanghai"), 0);
	assert_int_equal(civil_days_between(at("2008-12-08 10:00"), at("2008-12-10 23:59")), 2);
	assert_int_equal(civil_days_between(at("2008-12-10 23:59"), at("2008-12-11 00:01")), 1);
	assert_int_equal(civil_days_between(at("2008-12-10 00:00"), at("2008-12-10 23:59")), 0);
	assert_int_equal(civil_days_between(at("2008-12-31 09:00"), at("2008-12-01 09:00")), -30);
	assert_int_equal(civil_days_between(at("2008-12-31 23:59"), at("2009-01-01 00:00")), 1);
}

static void
test_days_late(void **state)
{
	(void)state;
	assert_int_equal(time_set_zone("Asia/Shanghai"), 0);
	assert_int_equal(report_days_late(at("2008-12-10 23:59"), at("2008-12-13 09:00")), 3);
	assert_int_equal(report_days_late(at("2008-12-20 12:00"), at("2008-12-20 15:00")), 1);
	assert_int_equal(report_days_late(at("2008-12-10 23:59"), at("2008-12-11 00:00")), 1);
	assert_int_equal(report_days_late(at("2008-12-10 23:59"), at("2008-12-10 23:59")), 0);
	assert_int_equal(report_days_late(at("2008-12-10 23:59"), at("2008-12-08 10:00")), 0);
}

static void
test_dst(void **state)
{
	(void)state;
	if (!time_zone_exists("Europe/Berlin"))
		fail_msg("zone Europe/Berlin is not installed (scripts/setup.sh installs tzdata)");
	assert_int_equal(time_set_zone("Europe/Berlin"), 0);
	/* 2008-03-30 has 23 hours in Berlin, 2008-10-26 has 25 */
	assert_int_equal(civil_days_between(at("2008-03-29 23:30"), at("2008-03-31 00:30")), 2);
	assert_int_equal(civil_days_between(at("2008-10-25 00:10"), at("2008-10-27 23:50")), 2);
	assert_int_equal(report_days_late(at("2008-03-29 23:59"), at("2008-03-30 23:00")), 1);
	assert_int_equal(time_set_zone("Asia/Shanghai"), 0);
}

static void
test_columns(void **state)
{
	const enum report_kind k[] = { REPORT_TASKS, REPORT_OVERDUE, REPORT_PEOPLE, REPORT_DELIVERY };
	struct report_columns c;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(k); i++) {
		assert_int_equal(report_columns(k[i], &c), 0);
		assert_int_equal(strlen(c.types), c.n);
		for (size_t j = 0; j < c.n; j++)
			assert_non_null(c.headers[j]);
	}
	assert_int_equal(report_columns((enum report_kind)99, &c), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_calendar_days),
		cmocka_unit_test(test_days_late),
		cmocka_unit_test(test_dst),
		cmocka_unit_test(test_columns),
	};

	return cmocka_run_group_tests_name("report", tests, NULL, NULL);
}
