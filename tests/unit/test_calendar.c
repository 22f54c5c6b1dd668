/*
 * test_calendar.c - the holiday calendar: the shipped State Council days
 * (working days per year as the notices make them, 元旦 2009 and its 调休
 * Sunday), a bad file reported by line, the town's own days over the
 * shipped ones, and workdays_only planning with the calendar.
 */
#include "unit.h"
#include "unit_db.h"

#include <sys/stat.h>

#include "core/calendar.h"
#include "core/ctx.h"
#include "core/rules.h"
#include "base/civil.h"
#include "base/zone.h"

struct fixture {
	struct calendar *cal;
	char dir[64];
	char path[160];
};

static int64_t L(const char *s)
{
	int64_t t;

	if (time_parse_local(s, false, &t) != 0)
		fail_msg("bad time %s", s);
	return t;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct diag d = { 0 };
	char path[512];

	if (f == NULL || time_set_zone("Asia/Shanghai") != 0)
		return -1;
	unit_src_path(path, sizeof(path), "calendar/cn.cfg");
	if (calendar_load_file(path, &f->cal, &d) != 0) {
		diag_print(&d, stderr);
		return -1;
	}
	snprintf(f->dir, sizeof(f->dir), "%s", "/tmp/duban-test-cal.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/x.cfg", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char db[128];

	calendar_free(f->cal);
	unlink(f->path);
	snprintf(db, sizeof(db), "%s/duban.db", f->dir);
	unlink(db);
	snprintf(db, sizeof(db), "%s/duban.db-wal", f->dir);
	unlink(db);
	snprintf(db, sizeof(db), "%s/duban.db-shm", f->dir);
	unlink(db);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Working days from 1 January to 31 December of year y. */
static long
workdays_of(const struct calendar *c, int y)
{
	char a[32], b[32];

	snprintf(a, sizeof(a), "%d-12-31 12:00", y - 1);
	snprintf(b, sizeof(b), "%d-12-31 12:00", y);
	return calendar_workdays_between(c, L(a), L(b));
}

static void test_shipped_years(void **state)
{
	struct fixture *f = *state;
	int first, last;

	calendar_years(f->cal, &first, &last);
	assert_int_equal(first, 2008);
	assert_true(last >= 2026);
	/* 365 days less 104 weekend days less the statutory holidays: 11 days
	 * until 2024 (250 working days), 13 from 2025 (248).  2015 lost one
	 * more to 9月3日 (抗战胜利70周年), 2020 to the longer 春节 of the epidemic. */
	assert_int_equal(workdays_of(f->cal, 2009), 250);
	assert_int_equal(workdays_of(f->cal, 2010), 250);
	assert_int_equal(workdays_of(f->cal, 2015), 249);
	assert_int_equal(workdays_of(f->cal, 2020), 249);
	assert_int_equal(workdays_of(f->cal, 2025), 248);
	/* Without a calendar only weekends are off. */
	assert_int_equal(workdays_of(NULL, 2009), 261);
}

static void test_2009_new_year(void **state)
{
	struct fixture *f = *state;
	const struct cal_day *d;
	int32_t day;

	assert_true(calendar_is_workday(f->cal, 2008, 12, 31));
	assert_false(calendar_is_workday(f->cal, 2009, 1, 1));  /* 元旦, Thursday */
	assert_false(calendar_is_workday(f->cal, 2009, 1, 2));  /* Friday, off */
	assert_false(calendar_is_workday(f->cal, 2009, 1, 3));  /* Saturday */
	assert_true(calendar_is_workday(f->cal, 2009, 1, 4));   /* Sunday, 调休上班 */
	assert_true(calendar_is_workday(NULL, 2009, 1, 1));
	assert_false(calendar_is_workday(NULL, 2009, 1, 4));
	assert_int_equal(calendar_parse_date("2009-01-04", &day), 0);
	assert_int_equal(civil_weekday(day), 0);
	d = calendar_find(f->cal, day);
	assert_non_null(d);
	assert_int_equal(d->kind, CAL_WORKDAY);
	assert_string_equal(d->name, "元旦");
	/* 2008's 元旦 began in 2007; its 调休 Saturday too. */
	assert_false(calendar_is_workday(f->cal, 2007, 12, 31));
	assert_true(calendar_is_workday(f->cal, 2007, 12, 29));
	/* 2020: 春节 extended to 2 February (a Sunday that was to be worked). */
	assert_false(calendar_is_workday(f->cal, 2020, 1, 31));
	assert_false(calendar_is_workday(f->cal, 2020, 2, 1));
	assert_false(calendar_is_workday(f->cal, 2020, 2, 2));
	assert_true(calendar_is_workday(f->cal, 2020, 2, 3));
}

static void test_dates(void **state)
{
	int32_t d;
	char s[16];

	(void)state;
	assert_int_equal(calendar_parse_date("2008-02-29", &d), 0);
	assert_string_equal(calendar_fmt_date(d, s, sizeof(s)), "2008-02-29");
	assert_int_equal(calendar_parse_date("2009-02-29", &d), -1);
	assert_int_equal(calendar_parse_date("2009-1-4", &d), -1);
	assert_int_equal(calendar_parse_date("2009-01-04 ", &d), -1);
	assert_int_equal(calendar_parse_date("", &d), -1);
}

static void test_bad_file(void **state)
{
	struct fixture *f = *state;
	struct calendar *c = NULL;
	struct diag d = { 0 };
	FILE *fp = fopen(f->path, "w");

	assert_non_null(fp);
	fputs("calendar = (\n"
	      "  { year = 2009;\n"
	      "    holidays = ( ( \"元旦\", \"2009-01-01\", \"2009-01-03\" ),\n"
	      "                 ( \"春节\", \"2009-02-30\", \"2009-02-31\" ),\n"
	      "                 ( \"国庆\", \"2009-10-08\", \"2009-10-01\" ) );\n"
	      "    workdays = ( ( \"元旦\", \"2009-01-03\" ) );\n"
	      "    extra = 1; }\n"
	      ");\n", fp);
	fclose(fp);
	assert_int_equal(calendar_load_file(f->path, &c, &d), -1);
	assert_null(c);
	assert_int_equal(d.n, 4);
	char want[4][256];
	snprintf(want[0], sizeof(want[0]), "%s:4: \"2009-02-30\" is not a date YYYY-MM-DD", f->path);
	snprintf(want[1], sizeof(want[1]), "%s:5: holiday 2009-10-08..2009-10-01", f->path);
	snprintf(want[2], sizeof(want[2]), "%s:7: unknown key 'extra'", f->path);
	snprintf(want[3], sizeof(want[3]), "%s: 2009-01-03 is listed twice", f->path);
	for (int i = 0; i < 4; i++) {
		bool found = false;
		for (size_t k = 0; k < d.n; k++)
			found |= strncmp(d.line[k], want[i], strlen(want[i])) == 0;
		if (!found) {
			diag_print(&d, stderr);
			fail_msg("no \"%s\"", want[i]);
		}
	}
	diag_clear(&d);
}

static void test_town_days(void **state)
{
	struct fixture *f = *state;
	struct duban_ctx x = { .actor = "test" };
	struct calendar *c = NULL;
	char db[128], err[256];

	snprintf(db, sizeof(db), "%s/duban.db", f->dir);
	assert_int_equal(store_open(db, true, &x.st, err, sizeof(err)), STORE_OK);
	/* The town works on 元旦 2009 and rests on a Sunday that was worked. */
	assert_int_equal(calendar_day_put(&x, "2009-01-01", "workday", "值班"), ACTION_OK);
	assert_int_equal(calendar_day_put(&x, "2009-01-04", "holiday", ""), ACTION_OK);
	assert_int_equal(calendar_day_put(&x, "2009-03-15", "holiday", "庙会"), ACTION_OK);
	assert_int_equal(calendar_day_put(&x, "2009-03-15", "weekday", ""), ACTION_INVALID);
	assert_int_equal(calendar_day_put(&x, "2009-13-01", "holiday", ""), ACTION_INVALID);
	assert_int_equal(calendar_with_town(f->cal, x.st, &c), STORE_OK);
	assert_true(calendar_is_workday(c, 2009, 1, 1));
	assert_false(calendar_is_workday(c, 2009, 1, 4));
	assert_false(calendar_is_workday(c, 2009, 3, 15));
	assert_false(calendar_is_workday(c, 2009, 1, 2)); /* the shipped days stay */
	assert_true(calendar_find(c, civil_to_days(2009, 1, 1))->town);
	calendar_free(c);
	/* Removed: the State Council's day applies again; a wrong kind is refused. */
	assert_int_equal(calendar_day_remove(&x, "2009-01-01", "holiday"), ACTION_INVALID);
	assert_int_equal(calendar_day_remove(&x, "2009-01-01", "workday"), ACTION_OK);
	assert_int_equal(calendar_day_remove(&x, "2009-01-01", NULL), ACTION_NOTFOUND);
	assert_int_equal(calendar_with_town(f->cal, x.st, &c), STORE_OK);
	assert_false(calendar_is_workday(c, 2009, 1, 1));
	calendar_free(c);
	store_close(x.st);
	assert_int_equal(unit_sql_int(db, "SELECT count(*) FROM event WHERE action LIKE 'calendar.%'"), 4);
}

/* workdays_only with the calendar: 元旦 is no working day, the 调休 Sunday is. */
static void test_plan_workdays(void **state)
{
	struct fixture *f = *state;
	const struct rule_set *rs;
	struct rules *r = NULL;
	struct diag d = { 0 };
	struct fire out[8];
	size_t n;
	FILE *fp;
	char rdir[80];

	snprintf(rdir, sizeof(rdir), "%s/rules", f->dir);
	assert_int_equal(mkdir(rdir, 0700), 0);
	snprintf(f->path, sizeof(f->path), "%s/wd.cfg", rdir);
	fp = fopen(f->path, "w");
	assert_non_null(fp);
	fputs("wd = { workdays_only = true;\n"
	      "  before = ( { offset = \"1d\"; at = \"09:00\"; to = [ \"lead\" ]; template = \"r\"; } );\n"
	      "  overdue = { every = \"1d\"; at = \"09:00\"; max = 2; to = [ \"lead\" ]; template = \"o\"; }; };\n",
	      fp);
	fclose(fp);
	assert_int_equal(rules_load_dir(rdir, NULL, &r, &d), 0);
	rs = rules_find(r, "wd");
	/* Due Friday 2009-01-02 (a holiday): the day before is 元旦, so the
	 * reminder comes on Wednesday 12-31; the first repeat, due Saturday,
	 * waits for the 调休 Sunday 01-04, the second (Sunday) is sent then too. */
	assert_int_equal(rules_plan_cal(rs, L("2009-01-02 23:59"), NULL, f->cal, out, 8, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(out[0].at, L("2008-12-31 09:00"));
	assert_int_equal(out[1].at, L("2009-01-04 09:00"));
	assert_int_equal(out[2].at, L("2009-01-04 09:00"));
	/* Monday to Friday only: the reminder on 元旦, the repeats on Monday. */
	assert_int_equal(rules_plan_cal(rs, L("2009-01-02 23:59"), NULL, NULL, out, 8, &n), 0);
	assert_int_equal(out[0].at, L("2009-01-01 09:00"));
	assert_int_equal(out[1].at, L("2009-01-05 09:00"));
	/* Working days left: from 12-31 to Monday 01-05 are the Sunday and the Monday. */
	assert_int_equal(calendar_workdays_between(f->cal, L("2008-12-31 10:00"), L("2009-01-05 23:59")), 2);
	assert_int_equal(calendar_workdays_between(f->cal, L("2009-01-05 10:00"), L("2008-12-31 23:59")), -2);
	rules_free(r);
	unlink(f->path);
	rmdir(rdir);
	snprintf(f->path, sizeof(f->path), "%s/x.cfg", f->dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_shipped_years, setup, teardown),
		cmocka_unit_test_setup_teardown(test_2009_new_year, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_town_days, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan_workdays, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
