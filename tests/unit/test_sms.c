/*
 * test_sms.c - sms_measure at every part boundary of GSM-7 and UCS-2, the
 * two-septet extension characters and surrogate pairs that must not be split
 * across parts, the signature the provider prepends, and strict UTF-8.
 */
#include "unit.h"

#include "base/sms.h"

#define BIG 4096

static const char ZH[] = "中";        /* one BMP code point, 3 bytes */
static const char EMOJI[] = "\xF0\x9F\x98\x80"; /* U+1F600, a surrogate pair */
static const char EURO[] = "€";

/* Append n copies of s to buf (which holds a string), staying within BIG. */
static void add(char *buf, const char *s, size_t n)
{
	size_t len = strlen(buf), slen = strlen(s), i;

	assert_true(len + n * slen < BIG);
	for (i = 0; i < n; i++, len += slen)
		memcpy(buf + len, s, slen);
	buf[len] = '\0';
}

static void measure(const char *text, const char *sig, struct sms_info *info)
{
	char err[128] = "";
	int rc = sms_measure(text, sig, info, err, sizeof(err));

	if (rc != 0)
		print_error("sms_measure failed: %s\n", err);
	assert_int_equal(rc, 0);
}

/* n copies of s measure as (enc, units, chars, parts). */
static void expect_repeat(const char *s, size_t n, enum sms_encoding enc, size_t units,
			  size_t chars, unsigned parts)
{
	char buf[BIG] = "";
	struct sms_info info;

	add(buf, s, n);
	measure(buf, NULL, &info);
	assert_int_equal(info.encoding, enc);
	assert_int_equal(info.units, units);
	assert_int_equal(info.chars, chars);
	assert_int_equal(info.parts, parts);
}

static void test_empty(void **state)
{
	struct sms_info info;

	(void)state;
	measure("", NULL, &info);
	assert_int_equal(info.encoding, SMS_GSM7);
	assert_int_equal(info.units, 0);
	assert_int_equal(info.chars, 0);
	assert_int_equal(info.parts, 1);
	measure("", "", &info);
	assert_int_equal(info.encoding, SMS_GSM7);
	assert_int_equal(info.units, 0);
	assert_int_equal(info.parts, 1);
}

static void test_gsm_boundaries(void **state)
{
	(void)state;
	expect_repeat("a", 1, SMS_GSM7, 1, 1, 1);
	expect_repeat("a", 160, SMS_GSM7, 160, 160, 1);
	expect_repeat("a", 161, SMS_GSM7, 161, 161, 2);
	expect_repeat("a", 306, SMS_GSM7, 306, 306, 2);
	expect_repeat("a", 307, SMS_GSM7, 307, 307, 3);
	expect_repeat("a", 459, SMS_GSM7, 459, 459, 3);
	expect_repeat("a", 460, SMS_GSM7, 460, 460, 4);
}

static void test_gsm_extension(void **state)
{
	char buf[BIG] = "";
	struct sms_info info;

	(void)state;
	/* 159 plain + euro = 161 septets: two parts */
	add(buf, "a", 159);
	add(buf, EURO, 1);
	measure(buf, NULL, &info);
	assert_int_equal(info.encoding, SMS_GSM7);
	assert_int_equal(info.units, 161);
	assert_int_equal(info.chars, 160);
	assert_int_equal(info.parts, 2);

	/* 158 plain + euro = 160 septets: still one */
	buf[0] = '\0';
	add(buf, "a", 158);
	add(buf, EURO, 1);
	measure(buf, NULL, &info);
	assert_int_equal(info.units, 160);
	assert_int_equal(info.parts, 1);

	/* every extension character counts two */
	measure("^{}\\[~]|\f€", NULL, &info);
	assert_int_equal(info.encoding, SMS_GSM7);
	assert_int_equal(info.units, 20);
	assert_int_equal(info.chars, 10);

	expect_repeat(EURO, 80, SMS_GSM7, 160, 80, 1);
	expect_repeat(EURO, 81, SMS_GSM7, 162, 81, 2);
	/* 76 pairs fill 152 of a 153-septet part; 153 pairs need 3 parts, not 2 */
	expect_repeat("{", 153, SMS_GSM7, 306, 153, 3);
	expect_repeat("{", 152, SMS_GSM7, 304, 152, 2);
}

static void test_gsm_escape_not_split(void **state)
{
	char buf[BIG] = "";
	struct sms_info info;

	(void)state;
	/* 152 + [2] + 152 = 306 septets, which divides into 2 parts of 153, but the
	 * escape pair would straddle septets 153/154: part 1 ends after 152 */
	add(buf, "a", 152);
	add(buf, EURO, 1);
	add(buf, "a", 152);
	measure(buf, NULL, &info);
	assert_int_equal(info.units, 306);
	assert_int_equal(info.parts, 3);

	/* the same pair one septet earlier fits: 151 + [2] + 153 = 306 in 2 parts */
	buf[0] = '\0';
	add(buf, "a", 151);
	add(buf, EURO, 1);
	add(buf, "a", 153);
	measure(buf, NULL, &info);
	assert_int_equal(info.units, 306);
	assert_int_equal(info.parts, 2);
}

static void test_gsm_alphabet(void **state)
{
	static const char basic[] =
		"@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
	/* characters outside GSM 03.38 force UCS-2 */
	static const char *const non_gsm[] = {
		"`", "\t", "ç", "á", "ê", "Ü̈", "中", "【", "\x1b", "\x7f", "·", "α", "“",
	};
	struct sms_info info;
	size_t i;

	(void)state;
	/* the whole default alphabet but ESC: 127 code points, 1 septet each */
	measure(basic, NULL, &info);
	assert_int_equal(info.encoding, SMS_GSM7);
	assert_int_equal(info.chars, 127);
	assert_int_equal(info.units, 127);
	assert_int_equal(info.parts, 1);

	for (i = 0; i < sizeof(non_gsm) / sizeof(non_gsm[0]); i++) {
		char buf[64];

		snprintf(buf, sizeof(buf), "abc%s", non_gsm[i]);
		measure(buf, NULL, &info);
		if (info.encoding != SMS_UCS2)
			print_error("\"%s\" measured as GSM-7\n", non_gsm[i]);
		assert_int_equal(info.encoding, SMS_UCS2);
	}
	measure("Hello, world! 你好", NULL, &info);
	assert_int_equal(info.encoding, SMS_UCS2);
	assert_int_equal(info.units, 16);
	assert_int_equal(info.chars, 16);
}

static void test_ucs2_boundaries(void **state)
{
	(void)state;
	expect_repeat(ZH, 70, SMS_UCS2, 70, 70, 1);
	expect_repeat(ZH, 71, SMS_UCS2, 71, 71, 2);
	expect_repeat(ZH, 134, SMS_UCS2, 134, 134, 2);
	expect_repeat(ZH, 135, SMS_UCS2, 135, 135, 3);
	expect_repeat(ZH, 201, SMS_UCS2, 201, 201, 3);
	expect_repeat(ZH, 202, SMS_UCS2, 202, 202, 4);
}

static void test_ucs2_ascii_mixed(void **state)
{
	char buf[BIG] = "";
	struct sms_info info;

	(void)state;
	/* one non-GSM character makes all 160 ASCII letters count as UCS-2 */
	add(buf, "a", 159);
	add(buf, ZH, 1);
	measure(buf, NULL, &info);
	assert_int_equal(info.encoding, SMS_UCS2);
	assert_int_equal(info.units, 160);
	assert_int_equal(info.parts, 3);

	/* in UCS-2 an extension character is one unit, not two */
	measure("€中", NULL, &info);
	assert_int_equal(info.encoding, SMS_UCS2);
	assert_int_equal(info.units, 2);
}

static void test_emoji(void **state)
{
	char buf[BIG] = "";
	struct sms_info info;

	(void)state;
	measure(EMOJI, NULL, &info);
	assert_int_equal(info.encoding, SMS_UCS2);
	assert_int_equal(info.units, 2);
	assert_int_equal(info.chars, 1);
	assert_int_equal(info.parts, 1);

	expect_repeat(EMOJI, 35, SMS_UCS2, 70, 35, 1);
	expect_repeat(EMOJI, 36, SMS_UCS2, 72, 36, 2);
	/* 33 pairs fill 66 of 67 units per part: 67 emoji need 3 parts, not 2 */
	expect_repeat(EMOJI, 67, SMS_UCS2, 134, 67, 3);
	expect_repeat(EMOJI, 66, SMS_UCS2, 132, 66, 2);

	/* 69 + emoji = 71 units */
	add(buf, ZH, 69);
	add(buf, EMOJI, 1);
	measure(buf, NULL, &info);
	assert_int_equal(info.units, 71);
	assert_int_equal(info.chars, 70);
	assert_int_equal(info.parts, 2);
}

static void test_emoji_not_split(void **state)
{
	char buf[BIG] = "";
	struct sms_info info;

	(void)state;
	/* 66 + [2] + 66 = 134 units, which divides into 2 parts of 67, but the
	 * pair would straddle units 67/68: part 1 ends after 66 */
	add(buf, ZH, 66);
	add(buf, EMOJI, 1);
	add(buf, ZH, 66);
	measure(buf, NULL, &info);
	assert_int_equal(info.units, 134);
	assert_int_equal(info.chars, 133);
	assert_int_equal(info.parts, 3);

	/* one unit earlier the pair fits: 65 + [2] + 67 = 134 in 2 parts */
	buf[0] = '\0';
	add(buf, ZH, 65);
	add(buf, EMOJI, 1);
	add(buf, ZH, 67);
	measure(buf, NULL, &info);
	assert_int_equal(info.units, 134);
	assert_int_equal(info.parts, 2);
}

static void test_signature(void **state)
{
	static const char SIG[] = "小雄镇人民政府";
	char buf[BIG] = "";
	struct sms_info info;

	(void)state;
	/* 【小雄镇人民政府】 is 9 units */
	measure("您好", SIG, &info);
	assert_int_equal(info.encoding, SMS_UCS2);
	assert_int_equal(info.units, 11);
	assert_int_equal(info.chars, 11);
	assert_int_equal(info.parts, 1);

	measure("", SIG, &info);
	assert_int_equal(info.units, 9);
	assert_int_equal(info.parts, 1);

	add(buf, ZH, 61);
	measure(buf, SIG, &info);
	assert_int_equal(info.units, 70);
	assert_int_equal(info.parts, 1);
	add(buf, ZH, 1);
	measure(buf, SIG, &info);
	assert_int_equal(info.units, 71);
	assert_int_equal(info.parts, 2);

	/* the signature forces UCS-2 on otherwise GSM text */
	measure("Meeting at 9", "Town", &info);
	assert_int_equal(info.encoding, SMS_UCS2);
	assert_int_equal(info.units, 6 + 12);
	assert_int_equal(info.chars, 18);

	/* the signature comes first, so it takes part in the packing */
	buf[0] = '\0';
	add(buf, ZH, 57);   /* 9 + 57 = 66 units, then the pair cannot fit */
	add(buf, EMOJI, 1);
	add(buf, ZH, 66);
	measure(buf, SIG, &info);
	assert_int_equal(info.units, 134);
	assert_int_equal(info.parts, 3);
}

static void expect_bad(const char *text, const char *sig, const char *want_err)
{
	struct sms_info info;
	char err[128] = "";

	assert_int_equal(sms_measure(text, sig, &info, err, sizeof(err)), -1);
	if (strstr(err, want_err) == NULL)
		print_error("err \"%s\" lacks \"%s\"\n", err, want_err);
	assert_non_null(strstr(err, want_err));
}

static void test_invalid_utf8(void **state)
{
	struct sms_info info;

	(void)state;
	expect_bad("abc\xC3", NULL, "text: invalid UTF-8 at byte offset 3 (truncated sequence)");
	expect_bad("\xE4\xB8", NULL, "byte offset 0 (truncated sequence)");
	expect_bad("ab\xF0\x9F\x98", NULL, "byte offset 2 (truncated sequence)");
	expect_bad("\xE4\xB8" "a", NULL, "byte offset 0 (truncated sequence)");
	expect_bad("中\x80", NULL, "byte offset 3 (unexpected continuation byte)");
	expect_bad("\xC0\x80", NULL, "byte offset 0 (overlong encoding)");
	expect_bad("\xC1\xBF", NULL, "overlong encoding");
	expect_bad("x\xE0\x80\xAF", NULL, "byte offset 1 (overlong encoding)");
	expect_bad("\xF0\x82\x82\xAC", NULL, "overlong encoding");
	expect_bad("\xED\xA0\x80", NULL, "surrogate");
	expect_bad("\xED\xBF\xBF", NULL, "surrogate");
	expect_bad("\xED\xA0\xBD\xED\xB8\x80", NULL, "surrogate"); /* CESU-8 emoji */
	expect_bad("\xF4\x90\x80\x80", NULL, "beyond U+10FFFF");
	expect_bad("\xF5\x80\x80\x80", NULL, "never valid");
	expect_bad("\xFF", NULL, "never valid");
	expect_bad("ok", "镇\xE4", "signature: invalid UTF-8 at byte offset 3");
	expect_bad("ok\xFE", "镇", "text: invalid UTF-8 at byte offset 2");

	/* the edges of the valid ranges pass */
	assert_int_equal(sms_measure("\xC2\x80\xED\x9F\xBF\xEE\x80\x80\xF4\x8F\xBF\xBF", NULL,
				     &info, NULL, 0), 0);
	assert_int_equal(info.units, 5);
	assert_int_equal(info.chars, 4);

	/* NULL arguments and a NULL err buffer are handled */
	assert_int_equal(sms_measure(NULL, NULL, &info, NULL, 0), -1);
	assert_int_equal(sms_measure("a", NULL, NULL, NULL, 0), -1);
	assert_int_equal(sms_measure("\xFF", NULL, &info, NULL, 0), -1);
}

static void test_encoding_name(void **state)
{
	(void)state;
	assert_string_equal(sms_encoding_name(SMS_GSM7), "GSM-7");
	assert_string_equal(sms_encoding_name(SMS_UCS2), "UCS-2");
	assert_string_equal(sms_encoding_name((enum sms_encoding)7), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_gsm_boundaries),
		cmocka_unit_test(test_gsm_extension),
		cmocka_unit_test(test_gsm_escape_not_split),
		cmocka_unit_test(test_gsm_alphabet),
		cmocka_unit_test(test_ucs2_boundaries),
		cmocka_unit_test(test_ucs2_ascii_mixed),
		cmocka_unit_test(test_emoji),
		cmocka_unit_test(test_emoji_not_split),
		cmocka_unit_test(test_signature),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_encoding_name),
	};

	return cmocka_run_group_tests_name("sms", tests, NULL, NULL);
}
