/*
 * test_str.c - bounded buffers (refused whole at the bound, never
 * truncated; cut back to take back a step), list splitting as
 * spreadsheets write lists, the names the configuration gives, and the
 * display width of Chinese text.
 */
#include "unit.h"

#include "base/buf.h"
#include "base/str.h"
#include "base/utf8.h"

static void
test_buf_bound(void **state)
{
	struct buf b;
	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_adds(&b, "12345"), 0);
	assert_int_equal(buf_adds(&b, "6789"), -1); /* refused whole, not truncated */
	assert_string_equal(b.data, "12345");
	assert_int_equal(buf_printf(&b, "%d", 678), 0);
	assert_string_equal(b.data, "12345678");
	assert_int_equal(buf_adds(&b, "9"), -1);
	buf_free(&b);
}

static void
test_buf_truncate(void **state)
{
	struct buf b;
	(void)state;
	buf_init(&b, 64);
	buf_truncate(&b, 0); /* nothing added yet: nothing to cut */
	assert_null(b.data);
	assert_int_equal(buf_adds(&b, "name="), 0);
	assert_int_equal(buf_adds(&b, "小雄"), 0);
	buf_truncate(&b, 5); /* take back the second step */
	assert_int_equal(b.len, 5);
	assert_string_equal(b.data, "name=");
	buf_truncate(&b, 9); /* past the end: as it was */
	assert_string_equal(b.data, "name=");
	assert_int_equal(buf_adds(&b, "x"), 0);
	assert_string_equal(b.data, "name=x");
	buf_free(&b);
}

static void
test_is_name(void **state)
{
	(void)state;
	assert_true(str_is_name("cn-mobile_2", 32));
	assert_true(str_is_name("abc", 4)); /* 3 bytes and the NUL fit in 4 */
	assert_false(str_is_name("abcd", 4));
	assert_false(str_is_name("", 32));
	assert_false(str_is_name("Ops", 32));   /* upper case */
	assert_false(str_is_name("a b", 32));   /* blank */
	assert_false(str_is_name("a.b", 32));
	assert_false(str_is_name("镇政府", 32)); /* not ASCII */
}

static void
test_items_and_width(void **state)
{
	char list[] = " 镇领导班子；党政办; ;个私经济服务站 ";
	char *cur = list, *it;
	(void)state;
	assert_non_null(it = str_next_item(&cur));
	assert_string_equal(it, "镇领导班子");
	assert_non_null(it = str_next_item(&cur));
	assert_string_equal(it, "党政办");
	assert_non_null(it = str_next_item(&cur));
	assert_string_equal(it, "个私经济服务站");
	assert_null(str_next_item(&cur));
	assert_int_equal(utf8_width("abc"), 3);
	assert_int_equal(utf8_width("小雄镇"), 6);
	assert_int_equal(utf8_width("T1 梅岙塘"), 9);
	assert_true(utf8_valid("小雄", 6));
	assert_false(utf8_valid("\xe5\xb0", 2));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_bound),
		cmocka_unit_test(test_buf_truncate),
		cmocka_unit_test(test_is_name),
		cmocka_unit_test(test_items_and_width),
	};
	return cmocka_run_group_tests_name("str", tests, NULL, NULL);
}
