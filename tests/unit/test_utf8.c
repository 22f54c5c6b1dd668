/*
 * test_utf8.c - the one UTF-8 decoder: every kind of malformed input with
 * the reason it gets, the boundaries between sequence lengths and around
 * the surrogates and U+10FFFF, every 1- to 3-byte sequence (and the 4-byte
 * ones that matter) against the Unicode Standard's table of well-formed
 * sequences, and what its callers (phone numbers, SMS parts, CSV files,
 * display width) make of malformed text.
 */
#include "unit.h"

#include "base/csv.h"
#include "base/phone.h"
#include "base/sms.h"
#include "base/utf8.h"

/* Decode exactly the len bytes of s: want their length and code point. */
static void
expect_cp(const char *s, size_t len, uint32_t want)
{
	uint32_t cp = 0xDEADBEEF;

	assert_int_equal(utf8_decode(s, len, &cp), (int)len);
	assert_int_equal(cp, want);
	assert_true(utf8_valid(s, len));
}

/* The bytes of s (len of them) are refused with err, and *cp is untouched. */
static void
expect_err(const char *s, size_t len, int err)
{
	uint32_t cp = 0xDEADBEEF;

	assert_int_equal(utf8_decode(s, len, &cp), err);
	assert_int_equal(cp, 0xDEADBEEF);
	assert_false(utf8_valid(s, len));
	assert_int_equal(utf8_valid_len(s, len), 0);
}

static void
test_boundaries(void **state)
{
	(void)state;
	expect_cp("\x00", 1, 0x0000);
	expect_cp("\x7F", 1, 0x007F);
	expect_cp("\xC2\x80", 2, 0x0080);
	expect_cp("\xDF\xBF", 2, 0x07FF);
	expect_cp("\xE0\xA0\x80", 3, 0x0800);
	expect_cp("\xED\x9F\xBF", 3, 0xD7FF);
	expect_cp("\xEE\x80\x80", 3, 0xE000);
	expect_cp("\xEF\xBF\xBF", 3, 0xFFFF);
	expect_cp("\xF0\x90\x80\x80", 4, 0x10000);
	expect_cp("\xF4\x8F\xBF\xBF", 4, 0x10FFFF);
	expect_cp("镇", 3, 0x9547);
	expect_cp("\xF0\x9F\x98\x80", 4, 0x1F600);
	/* one past each edge */
	expect_err("\xF4\x90\x80\x80", 4, UTF8_TOO_BIG);
	expect_err("\xED\xA0\x80", 3, UTF8_SURROGATE);
	expect_err("\xED\xBF\xBF", 3, UTF8_SURROGATE);
	/* only the first character is decoded */
	uint32_t cp;
	assert_int_equal(utf8_decode("a镇", 4, &cp), 1);
	assert_int_equal(cp, 'a');
	assert_int_equal(utf8_decode("镇a", 4, &cp), 3);
	assert_int_equal(cp, 0x9547);
}

static void
test_malformed(void **state)
{
	(void)state;
	/* stray continuation bytes */
	expect_err("\x80", 1, UTF8_CONTINUATION);
	expect_err("\xBF", 1, UTF8_CONTINUATION);
	expect_err("\x80\x80\x80", 3, UTF8_CONTINUATION);
	/* overlong forms, of every length */
	expect_err("\xC0\x80", 2, UTF8_OVERLONG);
	expect_err("\xC1\xBF", 2, UTF8_OVERLONG);
	expect_err("\xC0", 1, UTF8_OVERLONG); /* C0 is judged before its continuation */
	expect_err("\xE0\x80\x80", 3, UTF8_OVERLONG);
	expect_err("\xE0\x9F\xBF", 3, UTF8_OVERLONG);
	expect_err("\xF0\x80\x80\x80", 4, UTF8_OVERLONG);
	expect_err("\xF0\x8F\xBF\xBF", 4, UTF8_OVERLONG);
	/* surrogates, and a CESU-8 pair */
	expect_err("\xED\xA0\xBD\xED\xB8\x80", 6, UTF8_SURROGATE);
	expect_err("\xED\xB0\x80", 3, UTF8_SURROGATE);
	/* beyond U+10FFFF */
	expect_err("\xF4\xBF\xBF\xBF", 4, UTF8_TOO_BIG);
	/* bytes that never occur */
	expect_err("\xF5\x80\x80\x80", 4, UTF8_BAD_BYTE);
	expect_err("\xF8\x88\x80\x80\x80", 5, UTF8_BAD_BYTE);
	expect_err("\xFC\x84\x80\x80\x80\x80", 6, UTF8_BAD_BYTE);
	expect_err("\xFE", 1, UTF8_BAD_BYTE);
	expect_err("\xFF", 1, UTF8_BAD_BYTE);
	/* truncated: the text ends, or another byte comes first */
	uint32_t cp = 7;
	assert_int_equal(utf8_decode("", 0, &cp), UTF8_TRUNCATED); /* nothing to decode */
	assert_int_equal(cp, 7);
	expect_err("\xC2", 1, UTF8_TRUNCATED);
	expect_err("\xE4\xB8", 2, UTF8_TRUNCATED);
	expect_err("\xF0\x9F\x98", 3, UTF8_TRUNCATED);
	expect_err("\xE4\xB8" "a", 3, UTF8_TRUNCATED);
	expect_err("\xE4\x00\x80", 3, UTF8_TRUNCATED);
	expect_err("\xF0\x9F\xC2\x80", 4, UTF8_TRUNCATED);
	/* len is a hard limit: the byte after it is never read */
	expect_err("镇", 2, UTF8_TRUNCATED);
	/* truncation is found before the value is judged */
	expect_err("\xE0\x80", 2, UTF8_TRUNCATED);
	expect_err("\xED\xA0", 2, UTF8_TRUNCATED);
	expect_err("\xF4\x90\x80", 3, UTF8_TRUNCATED);
}

static void
test_strerror(void **state)
{
	(void)state;
	assert_string_equal(utf8_strerror(UTF8_TRUNCATED), "truncated sequence");
	assert_string_equal(utf8_strerror(UTF8_CONTINUATION), "unexpected continuation byte");
	assert_string_equal(utf8_strerror(UTF8_OVERLONG), "overlong encoding");
	assert_string_equal(utf8_strerror(UTF8_SURROGATE), "UTF-16 surrogate encoded in UTF-8");
	assert_string_equal(utf8_strerror(UTF8_TOO_BIG), "code point beyond U+10FFFF");
	assert_string_equal(utf8_strerror(UTF8_BAD_BYTE), "byte never valid in UTF-8");
	assert_string_equal(utf8_strerror(-99), "not UTF-8");
}

/*
 * Table 3-7 of the Unicode Standard, written as ranges of the second byte
 * per lead byte: the reference the decoder is checked against.  Returns
 * the sequence length the lead byte b0 starts (0: none) and the range of
 * its second byte in *lo..*hi.
 */
static int
well_formed_shape(unsigned b0, unsigned *lo, unsigned *hi)
{
	*lo = 0x80;
	*hi = 0xBF;
	if (b0 <= 0x7F)
		return 1;
	if (b0 >= 0xC2 && b0 <= 0xDF)
		return 2;
	if (b0 == 0xE0)
		return *lo = 0xA0, 3;
	if (b0 == 0xED)
		return *hi = 0x9F, 3;
	if (b0 >= 0xE1 && b0 <= 0xEF)
		return 3;
	if (b0 == 0xF0)
		return *lo = 0x90, 4;
	if (b0 == 0xF4)
		return *hi = 0x8F, 4;
	if (b0 >= 0xF1 && b0 <= 0xF3)
		return 4;
	return 0;
}

static bool
is_cont(unsigned b)
{
	return b >= 0x80 && b <= 0xBF;
}

/* Every sequence of 1 to 3 bytes, and 4-byte ones over all lead and second
 * bytes, is accepted exactly when table 3-7 says it is well formed, with the
 * code point its bits spell. */
static void
test_against_table(void **state)
{
	unsigned char s[4];
	uint32_t cp;
	unsigned lo, hi;

	(void)state;
	for (unsigned b0 = 0; b0 < 256; b0++) {
		int shape = well_formed_shape(b0, &lo, &hi);
		s[0] = (unsigned char)b0;
		if (shape == 1) {
			assert_int_equal(utf8_decode((char *)s, 1, &cp), 1);
			assert_int_equal(cp, b0);
			continue;
		}
		for (unsigned b1 = 0; b1 < 256; b1++) {
			s[1] = (unsigned char)b1;
			bool ok1 = shape > 1 && b1 >= lo && b1 <= hi;
			if (shape == 2) {
				int n = utf8_decode((char *)s, 2, &cp);
				assert_int_equal(n > 0, ok1);
				if (ok1)
					assert_int_equal(cp, ((b0 & 0x1F) << 6) | (b1 & 0x3F));
				continue;
			}
			for (unsigned b2 = 0; b2 < 256; b2++) {
				s[2] = (unsigned char)b2;
				bool ok2 = ok1 && is_cont(b2);
				if (shape == 3 || shape == 0) {
					int n = utf8_decode((char *)s, 3, &cp);
					assert_int_equal(n > 0, shape == 3 && ok2);
					if (n > 0)
						assert_int_equal(cp, ((b0 & 0x0F) << 12) |
									     ((b1 & 0x3F) << 6) | (b2 & 0x3F));
					continue;
				}
				/* 4 bytes: the last byte matters only as a continuation */
				for (unsigned b3 = 0x7F; b3 <= 0xC0; b3 += 0x41) {
					s[3] = (unsigned char)b3;
					int n = utf8_decode((char *)s, 4, &cp);
					assert_int_equal(n > 0, ok2 && is_cont(b3));
					if (n > 0)
						assert_int_equal(n, 4);
				}
			}
		}
	}
}

/* Encoding every scalar value and decoding it gives it back. */
static void
test_round_trip(void **state)
{
	char s[4];
	uint32_t cp;
	int n;

	(void)state;
	for (uint32_t c = 0; c <= 0x10FFFF; c++) {
		if (c >= 0xD800 && c <= 0xDFFF)
			continue;
		if (c < 0x80) {
			s[0] = (char)c, n = 1;
		} else if (c < 0x800) {
			s[0] = (char)(0xC0 | c >> 6), s[1] = (char)(0x80 | (c & 0x3F)), n = 2;
		} else if (c < 0x10000) {
			s[0] = (char)(0xE0 | c >> 12), s[1] = (char)(0x80 | (c >> 6 & 0x3F));
			s[2] = (char)(0x80 | (c & 0x3F)), n = 3;
		} else {
			s[0] = (char)(0xF0 | c >> 18), s[1] = (char)(0x80 | (c >> 12 & 0x3F));
			s[2] = (char)(0x80 | (c >> 6 & 0x3F)), s[3] = (char)(0x80 | (c & 0x3F)), n = 4;
		}
		if (utf8_decode(s, (size_t)n, &cp) != n || cp != c)
			fail_msg("U+%04X does not round-trip", (unsigned)c);
	}
}

static void
test_valid_len(void **state)
{
	(void)state;
	assert_int_equal(utf8_valid_len("小雄镇", 9), 9);
	assert_int_equal(utf8_valid_len("ab\xE5\xB0", 4), 2);
	assert_int_equal(utf8_valid_len("a\x80" "b", 3), 1);
	assert_int_equal(utf8_valid_len("小\xED\xA0\x80", 6), 3);
	assert_int_equal(utf8_valid_len("", 0), 0);
	assert_true(utf8_valid("小雄", 6));
	assert_false(utf8_valid("\xe5\xb0", 2));
	/* a NUL is a character, not the end */
	assert_true(utf8_valid("a\0b", 3));
}

/* What the callers report for malformed text: each keeps its own message. */
static void
test_callers(void **state)
{
	const char *reason;
	char out[32], err[160];
	struct sms_info info;
	struct csv_reader *r;

	(void)state;
	/* phone numbers: one sentence for every kind */
	const char *const bad_phones[] = { "138\xff" "00138000", "138\xc0\xb0" "0138000",
					   "1380013800\x80", "1380013800\xe4\xb8",
					   "138\xed\xa0\x80" "00138000", "138\xf4\x90\x80\x80" "0013800" };
	for (size_t i = 0; i < sizeof(bad_phones) / sizeof(bad_phones[0]); i++) {
		assert_int_equal(phone_normalize(bad_phones[i], out, sizeof(out), &reason), -1);
		assert_string_equal(reason, "phone number is not valid UTF-8");
	}
	/* full-width digits decode */
	assert_int_equal(phone_normalize("１３８００１３８０００", out, sizeof(out), &reason), 0);
	assert_string_equal(out, "+8613800138000");

	/* SMS texts: the reason and the byte offset */
	assert_int_equal(sms_measure("ab\xC0\x80", NULL, &info, err, sizeof(err)), -1);
	assert_string_equal(err, "text: invalid UTF-8 at byte offset 2 (overlong encoding)");
	assert_int_equal(sms_measure("通知\xED\xA0\x80", NULL, &info, err, sizeof(err)), -1);
	assert_string_equal(err,
			    "text: invalid UTF-8 at byte offset 6 (UTF-16 surrogate encoded in UTF-8)");
	assert_int_equal(sms_measure("ok", "镇\xF4\x90\x80\x80", &info, err, sizeof(err)), -1);
	assert_string_equal(err,
			    "signature: invalid UTF-8 at byte offset 3 (code point beyond U+10FFFF)");
	assert_int_equal(sms_measure("x\xBF", NULL, &info, err, sizeof(err)), -1);
	assert_string_equal(err,
			    "text: invalid UTF-8 at byte offset 1 (unexpected continuation byte)");
	assert_int_equal(sms_measure("x\xF8", NULL, &info, err, sizeof(err)), -1);
	assert_string_equal(err, "text: invalid UTF-8 at byte offset 1 (byte never valid in UTF-8)");
	assert_int_equal(sms_measure("收到\xE5", NULL, &info, err, sizeof(err)), -1);
	assert_string_equal(err, "text: invalid UTF-8 at byte offset 6 (truncated sequence)");
	assert_int_equal(sms_measure("\xF0\x9F\x98\x80 ok", NULL, &info, err, sizeof(err)), 0);
	assert_int_equal(info.units, 5); /* a surrogate pair and 3 */

	/* CSV: forced UTF-8 names the first bad byte and its line; auto falls
	 * back to GB18030 on the same bytes */
	static const char csv_bad[] = "name,phone\n张三,13800138000\n李\xED\xA0\x80,13800138001\n";
	assert_int_equal(csv_open_mem("t.csv", csv_bad, sizeof(csv_bad) - 1, "utf-8", &r, err,
				      sizeof(err)),
			 -1);
	assert_string_equal(err, "t.csv: not valid UTF-8 at byte 33 (line 3)");
	static const char csv_trunc[] = "a,b\n1,\xE4\xB8";
	assert_int_equal(csv_open_mem("t.csv", csv_trunc, sizeof(csv_trunc) - 1, "utf-8", &r, err,
				      sizeof(err)),
			 -1);
	assert_string_equal(err, "t.csv: not valid UTF-8 at byte 6 (line 2)");
	static const char csv_ok[] = "a,b\n\xF4\x8F\xBF\xBF,\xEF\xBF\xBF\n";
	assert_int_equal(csv_open_mem("t.csv", csv_ok, sizeof(csv_ok) - 1, "auto", &r, err,
				      sizeof(err)),
			 0);
	assert_string_equal(csv_encoding(r), "UTF-8");
	csv_close(r);

	/* display width: an invalid byte is one column */
	assert_int_equal(utf8_width("abc"), 3);
	assert_int_equal(utf8_width("小雄镇"), 6);
	assert_int_equal(utf8_width("a\xFF" "b"), 3);
	assert_int_equal(utf8_width("镇\xE4\xB8"), 4);
	assert_int_equal(utf8_width("\xC0\x80"), 2);
}

/* Text made safe for JSON: bad bytes and NULs replaced, never a cut character. */
static void
test_sanitize(void **state)
{
	char out[16];

	(void)state;
	assert_int_equal(utf8_sanitize("te\x89t", 4, out, sizeof(out)), 6);
	assert_string_equal(out, "te\xef\xbf\xbdt");
	assert_int_equal(utf8_sanitize("a\0b", 3, out, sizeof(out)), 5);
	assert_string_equal(out, "a\xef\xbf\xbd" "b");
	assert_true(utf8_valid(out, strlen(out)));
	/* "小雄镇" is 9 bytes: an 8-byte buffer holds two characters, not 2.3 */
	assert_int_equal(utf8_sanitize("小雄镇", 9, out, 8), 6);
	assert_string_equal(out, "小雄");
	assert_int_equal(utf8_sanitize("\xe5\xb0", 2, out, sizeof(out)), 6);
	assert_true(utf8_valid(out, strlen(out)));
	assert_int_equal(utf8_sanitize("x", 1, out, 1), 0);
	assert_string_equal(out, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_boundaries),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_against_table),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_valid_len),
		cmocka_unit_test(test_callers),
		cmocka_unit_test(test_sanitize),
	};
	return cmocka_run_group_tests_name("utf8", tests, NULL, NULL);
}
