/*
 * test_phone.c - phone_normalize on every form a clerk or spreadsheet gives,
 * every rejection by its exact reason, masking, and the mobile predicate.
 */
#include "unit.h"

#include "base/phone.h"

static const char CN[] = "+8613800138000";

static void expect_ok(const char *in, const char *want)
{
	char out[PHONE_MAX];
	const char *reason = NULL;
	int rc = phone_normalize(in, out, sizeof(out), &reason);

	if (rc != 0)
		print_error("input \"%s\" rejected: %s\n", in, reason);
	assert_int_equal(rc, 0);
	assert_string_equal(out, want);
}

static void expect_reject(const char *in, const char *want_reason)
{
	char out[PHONE_MAX];
	const char *reason = NULL;
	int rc = phone_normalize(in, out, sizeof(out), &reason);

	if (rc == 0)
		print_error("input \"%s\" accepted as %s\n", in, out);
	assert_int_equal(rc, -1);
	assert_non_null(reason);
	assert_string_equal(reason, want_reason);
	assert_string_equal(out, "");
}

static void test_cn_forms(void **state)
{
	static const char *const forms[] = {
		"13800138000",
		"138-0013-8000",
		"138 0013 8000",
		"(138) 0013 8000",
		"(138)00138000",
		"+86 138 0013 8000",
		"+86-138-0013-8000",
		"+8613800138000",
		"+86 (138) 0013-8000",
		"(+86) 138 0013 8000",
		"8613800138000",
		"86 138 0013 8000",
		"008613800138000",
		"0086 138 0013 8000",
		"  13800138000  ",
		"\t13800138000\r\n",
		" +86 13800138000 ",
		"138--0013  8000",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++)
		expect_ok(forms[i], CN);
}

static void test_cn_fullwidth(void **state)
{
	(void)state;
	expect_ok("１３８００１３８０００", CN);
	expect_ok("＋８６１３８００１３８０００", CN);
	expect_ok("＋86 138 0013 8000", CN);
	expect_ok("138\u30000013\u30008000", CN);        /* ideographic space */
	expect_ok("\u3000１３８００１３８０００\u3000", CN);  /* leading/trailing */
	expect_ok("138－0013－8000", CN);                 /* full-width hyphen */
	expect_ok("＋８６－１３８－００１３－８０００", CN);
	expect_ok("（１３８）００１３８０００", CN);          /* full-width parens */
	expect_ok("138\u00a00013\u00a08000", CN);         /* no-break space */
	expect_ok("138\u20130013\u20138000", CN);         /* en dash */
	expect_ok("１38００13８000", CN);                 /* mixed widths */
}

static void test_cn_prefixes(void **state)
{
	(void)state;
	expect_ok("13000000000", "+8613000000000");
	expect_ok("19912345678", "+8619912345678");
	expect_ok("14712345678", "+8614712345678");
	expect_ok("+86 199 1234 5678", "+8619912345678");
}

static void test_foreign(void **state)
{
	(void)state;
	expect_ok("+44 7911 123456", "+447911123456");
	expect_ok("0044 7911 123456", "+447911123456");
	expect_ok("00447911123456", "+447911123456");
	expect_ok("+1 (415) 555-2671", "+14155552671");
	expect_ok("+49 151 12345678", "+4915112345678");
	expect_ok("＋８５２ ９１２３ ４５６７", "+85291234567");
	expect_ok("+852 1234 5678", "+85212345678");
}

static void test_reject_empty(void **state)
{
	char out[PHONE_MAX];
	const char *reason = NULL;

	(void)state;
	expect_reject("", "phone number is empty");
	expect_reject("   ", "phone number is empty");
	expect_reject("\u3000\t", "phone number is empty");
	expect_reject("--", "phone number is empty");
	assert_int_equal(phone_normalize(NULL, out, sizeof(out), &reason), -1);
	assert_string_equal(reason, "phone number is empty");
}

static void test_reject_letters(void **state)
{
	(void)state;
	expect_reject("1380013800O", "phone number contains letters");
	expect_reject("tel 13800138000", "phone number contains letters");
	expect_reject("1.38001380E+10", "phone number contains an invalid character '.'");
	expect_reject("1380013800ｏ", "phone number contains letters"); /* full-width o */
	expect_reject("13800138000 ext 12", "phone number contains letters");
}

static void test_reject_invalid_char(void **state)
{
	(void)state;
	expect_reject("13800138000.0", "phone number contains an invalid character '.'");
	expect_reject("138/0013/8000", "phone number contains an invalid character '/'");
	expect_reject("13800138000;", "phone number contains an invalid character ';'");
	expect_reject("#13800138000", "phone number contains an invalid character '#'");
	expect_reject("138_0013_8000", "phone number contains an invalid character '_'");
	expect_reject("'13800138000", "phone number contains an invalid character '''");
	expect_reject("\"13800138000\"", "phone number contains an invalid character '\"'");
	expect_reject("138\\00138000", "phone number contains an invalid character '\\'");
	expect_reject("138\x01" "00138000", "phone number contains an invalid control character");
	expect_reject("13800138000转1", "phone number contains an invalid non-ASCII character");
	expect_reject("138·0013·8000", "phone number contains an invalid non-ASCII character");
	expect_reject("138\xff" "00138000", "phone number is not valid UTF-8");
	expect_reject("138\xc0\xb0" "0138000", "phone number is not valid UTF-8");
}

static void test_reject_plus(void **state)
{
	static const char R[] = "'+' may appear only once, at the start of the number";

	(void)state;
	expect_reject("138+00138000", R);
	expect_reject("++8613800138000", R);
	expect_reject("+86+13800138000", R);
	expect_reject("86+13800138000", R);
	expect_reject("13800138000+", R);
	expect_reject("+＋8613800138000", R);
}

static void test_reject_parens(void **state)
{
	static const char R[] = "phone number has unbalanced parentheses";

	(void)state;
	expect_reject("(138 0013 8000", R);
	expect_reject("138) 0013 8000", R);
	expect_reject("((138)) 0013 8000", R);
}

static void test_reject_length(void **state)
{
	static const char SHORT[] =
		"phone number is too short (a Chinese mobile number has 11 digits)";
	static const char LONG[] =
		"phone number is too long (a Chinese mobile number has 11 digits)";

	(void)state;
	expect_reject("1380013800", SHORT);
	expect_reject("138 0013 800", SHORT);
	expect_reject("1", SHORT);
	expect_reject("138001380000", LONG);
	expect_reject("013800138000", LONG);
	expect_reject("1380013800012345678901234567890123456789", LONG);
}

static void test_reject_not_cn_mobile(void **state)
{
	static const char R[] = "not a Chinese mobile number (1[3-9]x...)";

	(void)state;
	expect_reject("10012345678", R);
	expect_reject("11012345678", R);
	expect_reject("12345678901", R);
	expect_reject("01012345678", R);  /* Beijing landline */
	expect_reject("0755-1234567", R); /* landline, 11 digits */
	expect_reject("23800138000", R);
	expect_reject("+86 12345678901", R);
	expect_reject("0086 010 12345678", R);
	expect_reject("8612345678901", R);
}

static void test_reject_cn_length(void **state)
{
	static const char R[] = "+86 must be followed by an 11-digit mobile number";

	(void)state;
	expect_reject("+86 138 0013 800", R);
	expect_reject("+86 138 0013 80000", R);
	expect_reject("+86 10 12345678", R);
	expect_reject("+86", R);
	expect_reject("0086 1380013800", R);
	expect_reject("861380013800", R);
	expect_reject("86138001380000", R);
}

static void test_reject_international(void **state)
{
	static const char SHORT[] =
		"international number is too short (E.164 needs at least 8 digits)";
	static const char LONG[] =
		"international number is too long (E.164 allows at most 15 digits)";
	static const char CC0[] = "country code cannot start with 0";

	(void)state;
	expect_reject("+", SHORT);
	expect_reject("+44 1234", SHORT);
	expect_reject("+4412345", SHORT);
	expect_reject("0044 12345", SHORT);
	expect_reject("00", SHORT);
	expect_reject("+44 1234 5678 9012 34", LONG);
	expect_reject("0044123456789012345", LONG);
	expect_reject("+1234567890123456789012345678901234567890", LONG);
	expect_reject("+0044 7911 123456", CC0);
	expect_reject("000447911123456", CC0);
}

static void test_boundaries_international(void **state)
{
	(void)state;
	expect_ok("+44123456", "+44123456");             /* 8 digits */
	expect_ok("+441234567890123", "+441234567890123"); /* 15 digits */
	expect_reject("+4412345", "international number is too short (E.164 needs at least 8 digits)");
	expect_reject("+4412345678901234",
		      "international number is too long (E.164 allows at most 15 digits)");
}

static void test_small_output(void **state)
{
	char out[8];
	const char *reason = NULL;

	(void)state;
	assert_int_equal(phone_normalize("13800138000", out, sizeof(out), &reason), -1);
	assert_string_equal(reason, "output buffer is too small for a phone number");
	assert_string_equal(out, "");
	assert_int_equal(phone_normalize("13800138000", NULL, 0, &reason), -1);
	assert_non_null(reason);
}

static void test_mask(void **state)
{
	char out[PHONE_MAX];

	(void)state;
	assert_string_equal(phone_mask(CN, out, sizeof(out)), "138****8000");
	assert_ptr_equal(phone_mask(CN, out, sizeof(out)), out);
	assert_string_equal(phone_mask("+4915112345678", out, sizeof(out)), "+4915*****5678");
	assert_string_equal(phone_mask("+447911123456", out, sizeof(out)), "+4479****3456");
	assert_string_equal(phone_mask("+441234567890123", out, sizeof(out)),
			    "+4412*******0123");
	assert_string_equal(phone_mask("+14155552671", out, sizeof(out)), "+1415***2671");
	/* short numbers keep fewer leading digits so 3 stay hidden */
	assert_string_equal(phone_mask("+44123456", out, sizeof(out)), "+4***3456");
	assert_string_equal(phone_mask("+4412345678", out, sizeof(out)), "+441***5678");
}

/* Alibaba Cloud's per-number references carry the number: logs mask it. */
static void test_mask_ref(void **state)
{
	char out[128];

	(void)state;
	assert_string_equal(phone_mask_ref("9006197469364984^0:13800138000", out, sizeof(out)),
			    "9006197469364984^0:138****8000");
	assert_string_equal(phone_mask_ref("abc:4915112345678", out, sizeof(out)),
			    "abc:+4915*****5678");
	/* other references are copied as they are */
	assert_string_equal(phone_mask_ref("2019071210055700000000001", out, sizeof(out)),
			    "2019071210055700000000001");
	assert_string_equal(phone_mask_ref("duban-42", out, sizeof(out)), "duban-42");
	assert_string_equal(phone_mask_ref("a:b:12", out, sizeof(out)), "a:b:12");
	assert_string_equal(phone_mask_ref("x:1380013800x", out, sizeof(out)), "x:1380013800x");
}

static void test_mask_garbage(void **state)
{
	char out[PHONE_MAX], tiny[4], two[2];

	(void)state;
	assert_string_equal(phone_mask(NULL, out, sizeof(out)), "***");
	assert_string_equal(phone_mask("", out, sizeof(out)), "***");
	assert_string_equal(phone_mask("13800138000", out, sizeof(out)), "***");
	assert_string_equal(phone_mask("+86138001380a0", out, sizeof(out)), "***");
	assert_string_equal(phone_mask("+1234567", out, sizeof(out)), "***");
	assert_string_equal(phone_mask("+1234567890123456", out, sizeof(out)), "***");
	assert_string_equal(phone_mask("+0441234567", out, sizeof(out)), "***");
	assert_string_equal(phone_mask("++4412345678", out, sizeof(out)), "***");
	/* a buffer too small for the mask gets "***", never a partial number */
	assert_string_equal(phone_mask(CN, tiny, sizeof(tiny)), "***");
	assert_string_equal(phone_mask(CN, two, sizeof(two)), "");
	assert_null(phone_mask(CN, NULL, 0));
}

static void test_is_cn_mobile(void **state)
{
	(void)state;
	assert_true(phone_is_cn_mobile(CN));
	assert_true(phone_is_cn_mobile("+8619912345678"));
	assert_false(phone_is_cn_mobile("+8612345678901"));
	assert_false(phone_is_cn_mobile("+861380013800"));
	assert_false(phone_is_cn_mobile("+86138001380000"));
	assert_false(phone_is_cn_mobile("13800138000"));
	assert_false(phone_is_cn_mobile("+447911123456"));
	assert_false(phone_is_cn_mobile("+861380013800a"));
	assert_false(phone_is_cn_mobile(""));
	assert_false(phone_is_cn_mobile(NULL));
}

static void test_roundtrip(void **state)
{
	char out[PHONE_MAX], again[PHONE_MAX];
	const char *reason = NULL;

	(void)state;
	/* normalizing a normalized number is the identity */
	assert_int_equal(phone_normalize("138 0013 8000", out, sizeof(out), &reason), 0);
	assert_int_equal(phone_normalize(out, again, sizeof(again), &reason), 0);
	assert_string_equal(out, again);
	assert_true(phone_is_cn_mobile(out));
	assert_int_equal(phone_normalize("0044 7911 123456", out, sizeof(out), &reason), 0);
	assert_int_equal(phone_normalize(out, again, sizeof(again), &reason), 0);
	assert_string_equal(out, again);
	assert_false(phone_is_cn_mobile(out));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cn_forms),
		cmocka_unit_test(test_cn_fullwidth),
		cmocka_unit_test(test_cn_prefixes),
		cmocka_unit_test(test_foreign),
		cmocka_unit_test(test_reject_empty),
		cmocka_unit_test(test_reject_letters),
		cmocka_unit_test(test_reject_invalid_char),
		cmocka_unit_test(test_reject_plus),
		cmocka_unit_test(test_reject_parens),
		cmocka_unit_test(test_reject_length),
		cmocka_unit_test(test_reject_not_cn_mobile),
		cmocka_unit_test(test_reject_cn_length),
		cmocka_unit_test(test_reject_international),
		cmocka_unit_test(test_boundaries_international),
		cmocka_unit_test(test_small_output),
		cmocka_unit_test(test_mask),
		cmocka_unit_test(test_mask_ref),
		cmocka_unit_test(test_mask_garbage),
		cmocka_unit_test(test_is_cn_mobile),
		cmocka_unit_test(test_roundtrip),
	};

	return cmocka_run_group_tests_name("phone", tests, NULL, NULL);
}
