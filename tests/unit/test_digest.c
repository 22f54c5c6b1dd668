/*
 * test_digest.c - the wording of a digest: the form with titles when it
 * costs no more parts than the short one, the short one otherwise, the
 * hint naming a task the person can close (else 收到), an escalation in
 * the lead's words and in the supervisor's, and a refusal past max_parts.
 */
#include "unit.h"

#include "core/digest.h"
#include "base/zone.h"

static int64_t L(const char *s)
{
	int64_t t;

	if (time_parse_local(s, false, &t) != 0)
		fail_msg("bad time %s", s);
	return t;
}

static void test_forms(void **state)
{
	struct digest_entry e[] = {
		{ .code = "T2", .title = "财务公开", .deadline = L("2008-12-30 23:59"),
		  .kind = STEP_BEFORE, .can_close = true },
		{ .code = "T3", .title = "冬修", .deadline = L("2008-12-29 23:59"),
		  .kind = STEP_BEFORE, .can_close = true },
		{ .code = "T5", .title = "总结", .deadline = L("2008-12-27 23:59"),
		  .kind = STEP_OVERDUE, .can_close = true },
	};
	struct sms_info info;
	struct buf b;

	(void)state;
	/* short titles fit in one part: they are kept */
	assert_int_equal(digest_render(e, 3, L("2008-12-29 09:00"), "小雄镇人民政府", 3, &b, &info), 0);
	assert_string_equal(b.data, "您有3项督办事项：T2“财务公开”明天到期；T3“冬修”今天到期；"
				    "T5“总结”已超期2天。回复“完成T2”办结。");
	assert_int_equal(info.parts, 1);
	buf_free(&b);
	/* long titles: the short form is one part less */
	e[0].title = e[1].title = e[2].title = "梅岙塘村至庙峙村道路硬化及沿线排水沟渠整治工程";
	assert_int_equal(digest_render(e, 3, L("2008-12-29 09:00"), "小雄镇人民政府", 3, &b, &info), 0);
	assert_string_equal(b.data, "您有3项督办事项：T2 明天到期；T3 今天到期；T5 已超期2天。回复“完成T2”办结。");
	assert_int_equal(info.parts, 1);
	buf_free(&b);
	/* more than max_parts even short: refused, the caller lists fewer */
	assert_int_equal(digest_render(e, 3, L("2008-12-29 09:00"), "小雄镇人民政府", 0, &b, &info), -1);
	buf_free(&b);
}

static void test_escalations(void **state)
{
	struct digest_entry e[] = {
		{ .code = "T1", .title = "a", .lead = "邵长发", .deadline = L("2008-12-26 23:59"),
		  .kind = STEP_ESCALATE },
		{ .code = "T4", .title = "b", .lead = "潘立新", .deadline = L("2008-12-27 23:59"),
		  .kind = STEP_ESCALATE },
	};
	struct sms_info info;
	struct buf b;

	(void)state;
	/* to the supervisor: who leads it, and 收到 (a supervisor closes nothing) */
	assert_int_equal(digest_render(e, 2, L("2008-12-29 09:30"), "", 3, &b, &info), 0);
	assert_string_equal(b.data, "您有2项督办事项：T1“a”邵长发牵头，已超期3天；T4“b”潘立新牵头，已超期2天。"
				    "回复“收到”确认。");
	buf_free(&b);
	/* to the lead: never the supervisor's words about himself */
	e[0].is_lead = e[1].is_lead = true;
	e[1].can_close = true;
	assert_int_equal(digest_render(e, 2, L("2008-12-29 09:30"), "", 3, &b, &info), 0);
	assert_string_equal(b.data, "您有2项督办事项：T1“a”已超期3天，已上报督办；T4“b”已超期2天，已上报督办。"
				    "回复“完成T4”办结。");
	buf_free(&b);
}

int
main(void)
{
	if (time_set_zone("Asia/Shanghai") != 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_escalations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
