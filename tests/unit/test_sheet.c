/*
 * test_sheet.c - spreadsheets as Excel writes them: the four ways a date
 * is written and Excel's serial numbers (and what is no date), list
 * separators, a header under other names with unknown and empty columns,
 * and problems said once with their rows.
 */
#include "unit.h"

#include "core/sheet.h"

/* sheet_date of in, or "ERR" */
static const char *
date(const char *in)
{
	static char out[32];
	return sheet_date(in, out, sizeof(out)) == 0 ? out : "ERR";
}

static void
test_dates(void **state)
{
	(void)state;
	assert_string_equal(date("2008-12-31"), "2008-12-31");
	assert_string_equal(date("2008/12/31"), "2008-12-31");
	assert_string_equal(date("2008.12.31"), "2008-12-31");
	assert_string_equal(date("2008年12月31日"), "2008-12-31");
	assert_string_equal(date("2008/1/5"), "2008-01-05");
	assert_string_equal(date("2008年1月5号"), "2008-01-05");
	assert_string_equal(date(" 2008-12-31 17:00 "), "2008-12-31 17:00");
	assert_string_equal(date("2008/12/31 9:30:15"), "2008-12-31 09:30");
	assert_string_equal(date("20081231"), "2008-12-31");
	assert_string_equal(date("39813"), "2008-12-31");       /* Excel's serial number */
	assert_string_equal(date("39813.75"), "2008-12-31 18:00");
	assert_string_equal(date("2008"), "ERR");               /* a year is no date */
	assert_string_equal(date("2008-12/31"), "ERR");         /* one separator throughout */
	assert_string_equal(date("2008-13-01"), "ERR");
	assert_string_equal(date("2008-12-31 25:00"), "ERR");
	assert_string_equal(date("年底前"), "ERR");
	assert_string_equal(date(""), "ERR");
}

static void
test_list(void **state)
{
	char s[] = "镇领导班子、个私经济服务站；农户-小雄村,企业，其他;末";
	(void)state;
	sheet_list(s);
	assert_string_equal(s, "镇领导班子;个私经济服务站;农户-小雄村;企业;其他;末");
}

static void
test_header(void **state)
{
	static const struct sheet_col cols[] = {
		{ "name|姓名|名字", true }, { "phone|手机|手机号码|联系电话", true }, { "kind|类别", false },
	};
	const char *f1[] = { "序号", " 姓名 ", "手机号码", "", "备注", "KIND" };
	struct csv_row row = { .n = 6, .field = f1, .line = 1 };
	struct sheet_header_info info;
	struct diag d = { 0 };
	int map[8];
	(void)state;

	assert_int_equal(sheet_header("x.csv", &row, cols, 3, map, 8, &info, &d), 0);
	assert_int_equal(map[0], -1);
	assert_int_equal(map[1], 0);
	assert_int_equal(map[2], 1);
	assert_int_equal(map[3], -1);
	assert_int_equal(map[5], 2);
	assert_string_equal(info.ignored, "序号, 备注"); /* named once; the empty one not at all */
	const char *f2[] = { "名字", "联系电话", "name" };
	row = (struct csv_row){ .n = 3, .field = f2, .line = 1 };
	assert_int_equal(sheet_header("x.csv", &row, cols, 3, map, 8, &info, &d), -1);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.line[0], "x.csv:1: column \"name\" appears twice");
	diag_clear(&d);
	const char *f3[] = { "姓名", "备注" };
	row = (struct csv_row){ .n = 2, .field = f3, .line = 2 };
	assert_int_equal(sheet_header("x.csv", &row, cols, 3, map, 8, &info, &d), -1);
	assert_string_equal(d.line[0], "x.csv:2: missing column \"phone\"");
	diag_clear(&d);
}

static void
test_problems(void **state)
{
	struct sheet_problems sp = { 0 };
	struct diag d = { 0 };
	(void)state;

	sheet_problem(&sp, 3, "kind \"%s\"", "干事");
	sheet_problem(&sp, 4, "phone \"%s\"", "12345");
	sheet_problem(&sp, 5, "kind \"%s\"", "干事");
	sheet_problem(&sp, 9, "kind \"%s\"", "干事");
	assert_int_equal(sheet_problems_count(&sp), 2);
	sheet_problems_flush(&sp, "p.csv", &d);
	assert_int_equal(d.n, 2);
	assert_string_equal(d.line[0], "p.csv:3: rows 3, 5, 9: kind \"干事\"");
	assert_string_equal(d.line[1], "p.csv:4: phone \"12345\"");
	assert_int_equal(sheet_problems_count(&sp), 0);
	diag_clear(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_problems),
	};
	return cmocka_run_group_tests_name("sheet", tests, NULL, NULL);
}
