/*
 * test_csv.c - unit tests of the CSV reader and writer (gateway/csv.c).
 *
 * Inputs are built in memory; the GB18030 byte strings were produced with
 * `printf '...' | iconv -f UTF-8 -t GB18030 | xxd -i`.  Files are only used
 * to test csv_open_file itself, as temporary files removed at the end.
 */
#include "unit.h"

#include <errno.h>
#include <time.h>
#include <unistd.h>

#include "base/csv.h"

/* "姓名,电话\n张三,13800138000\n" in GB18030 */
static const char GB_ROSTER[] =
	"\xd0\xd5\xc3\xfb,\xb5\xe7\xbb\xb0\n"
	"\xd5\xc5\xc8\xfd,13800138000\n";
#define GB_BOM "\x84\x31\x95\x33"              /* U+FEFF in GB18030 */
#define GB_ZHONG "\xd6\xd0"                     /* 中 */
#define GB_U20000 "\x95\x32\x82\x36"            /* 𠀀, a four-byte sequence */

static struct csv_reader *open_len(const char *data, size_t len, const char *enc)
{
	struct csv_reader *r = NULL;
	char err[256] = "";

	if (csv_open_mem("t.csv", data, len, enc, &r, err, sizeof(err)) != 0)
		fail_msg("csv_open_mem: %s", err);
	assert_non_null(r);
	return r;
}

static struct csv_reader *open_str(const char *s, const char *enc)
{
	return open_len(s, strlen(s), enc);
}

/* Read one record and check its line and fields (a NULL-terminated list). */
static void expect_row(struct csv_reader *r, long line, ...)
{
	struct csv_row row;
	char err[256] = "";
	const char *want;
	size_t i = 0;
	va_list ap;

	if (csv_read(r, &row, err, sizeof(err)) != 1)
		fail_msg("expected a row at line %ld, got error/end: %s", line, err);
	assert_int_equal(row.line, line);
	va_start(ap, line);
	while ((want = va_arg(ap, const char *)) != NULL) {
		assert_true(i < row.n);
		assert_string_equal(row.field[i], want);
		i++;
	}
	va_end(ap);
	assert_int_equal(row.n, i);
}

static void expect_end(struct csv_reader *r)
{
	struct csv_row row;
	char err[256] = "";

	assert_int_equal(csv_read(r, &row, err, sizeof(err)), 0);
	assert_int_equal(csv_read(r, &row, err, sizeof(err)), 0);   /* and stays there */
}

static void expect_error(struct csv_reader *r, const char *msg)
{
	struct csv_row row;
	char err[256] = "";

	assert_int_equal(csv_read(r, &row, err, sizeof(err)), -1);
	assert_string_equal(err, msg);
}

static void expect_open_error(const char *data, size_t len, const char *enc, const char *msg)
{
	struct csv_reader *r = (void *)&r;      /* any non-NULL value: must be reset */
	char err[256] = "";

	assert_int_equal(csv_open_mem("t.csv", data, len, enc, &r, err, sizeof(err)), -1);
	assert_null(r);
	assert_string_equal(err, msg);
}

static void test_lf_and_crlf(void **state)
{
	struct csv_reader *r;

	(void)state;
	r = open_str("a,b,c\nd,e,f\n", NULL);
	assert_string_equal(csv_encoding(r), "UTF-8");
	expect_row(r, 1, "a", "b", "c", NULL);
	expect_row(r, 2, "d", "e", "f", NULL);
	expect_end(r);
	csv_close(r);

	r = open_str("a,b\r\nc,d\r\ne\nf\r\n", NULL);
	expect_row(r, 1, "a", "b", NULL);
	expect_row(r, 2, "c", "d", NULL);
	expect_row(r, 3, "e", NULL);
	expect_row(r, 4, "f", NULL);
	expect_end(r);
	csv_close(r);

	/* A CR not followed by LF is data, and CR CR LF keeps the first CR. */
	r = open_str("a\rb,c\r\r\n", NULL);
	expect_row(r, 1, "a\rb", "c\r", NULL);
	expect_end(r);
	csv_close(r);
}

static void test_last_line_without_newline(void **state)
{
	struct csv_reader *r;

	(void)state;
	r = open_str("a,b\nc,d", NULL);
	expect_row(r, 1, "a", "b", NULL);
	expect_row(r, 2, "c", "d", NULL);
	expect_end(r);
	csv_close(r);

	r = open_str("a,\"q,1\"", NULL);
	expect_row(r, 1, "a", "q,1", NULL);
	expect_end(r);
	csv_close(r);

	r = open_str("a,", NULL);
	expect_row(r, 1, "a", "", NULL);
	expect_end(r);
	csv_close(r);
}

static void test_quoted_fields(void **state)
{
	struct csv_reader *r;

	(void)state;
	r = open_str("\"a,b\",\"say \"\"hi\"\"\",plain,\"\"\"\"\n"
	             "\"\",\"  spaced  \",\"\"\"x\"\"\"\r\n", NULL);
	expect_row(r, 1, "a,b", "say \"hi\"", "plain", "\"", NULL);
	expect_row(r, 2, "", "  spaced  ", "\"x\"", NULL);
	expect_end(r);
	csv_close(r);
}

static void test_embedded_newlines_keep_line_numbers(void **state)
{
	struct csv_reader *r;

	(void)state;
	r = open_str("id,note\n"
	             "1,\"line one\nline two\r\nline three\rstill three\"\n"
	             "2,\"x\n\n\ny\",z\r\n"
	             "\n"
	             "3,after\n", NULL);
	expect_row(r, 1, "id", "note", NULL);
	expect_row(r, 2, "1", "line one\nline two\r\nline three\rstill three", NULL);
	expect_row(r, 5, "2", "x\n\n\ny", "z", NULL);
	expect_row(r, 10, "3", "after", NULL);
	expect_end(r);
	csv_close(r);
}

static void test_empty_fields(void **state)
{
	struct csv_reader *r;

	(void)state;
	r = open_str(",,\n\"\",x,\n,\n", NULL);
	expect_row(r, 1, "", "", "", NULL);
	expect_row(r, 2, "", "x", "", NULL);
	expect_row(r, 3, "", "", NULL);
	expect_end(r);
	csv_close(r);
}

static void test_ragged_rows(void **state)
{
	struct csv_reader *r;

	(void)state;
	r = open_str("name,phone,town\nzhang\nli,139,xia,extra,more\nwang,137\n", NULL);
	expect_row(r, 1, "name", "phone", "town", NULL);
	expect_row(r, 2, "zhang", NULL);
	expect_row(r, 3, "li", "139", "xia", "extra", "more", NULL);
	expect_row(r, 4, "wang", "137", NULL);
	expect_end(r);
	csv_close(r);
}

static void test_blank_lines_skipped(void **state)
{
	struct csv_reader *r;

	(void)state;
	/* Only truly empty lines are skipped; spaces make a one-field record. */
	r = open_str("\n\r\na\n\n\nb\n  \n\"\"\n\n", NULL);
	expect_row(r, 3, "a", NULL);
	expect_row(r, 6, "b", NULL);
	expect_row(r, 7, "  ", NULL);
	expect_row(r, 8, "", NULL);
	expect_end(r);
	csv_close(r);
}

static void test_empty_input(void **state)
{
	struct csv_reader *r;

	(void)state;
	r = open_len("", 0, NULL);
	assert_string_equal(csv_encoding(r), "UTF-8");
	expect_end(r);
	csv_close(r);

	r = open_str("\xEF\xBB\xBF", NULL);
	expect_end(r);
	csv_close(r);

	r = open_str("\n\r\n\n", NULL);
	expect_end(r);
	csv_close(r);

	r = open_len("", 0, "gb18030");
	assert_string_equal(csv_encoding(r), "GB18030");
	expect_end(r);
	csv_close(r);
}

static void test_utf8_bom_stripped(void **state)
{
	struct csv_reader *r;

	(void)state;
	r = open_str("\xEF\xBB\xBF" "name,phone\n\xE5\xBC\xA0\xE4\xB8\x89,138\n", NULL);
	assert_string_equal(csv_encoding(r), "UTF-8");
	expect_row(r, 1, "name", "phone", NULL);
	expect_row(r, 2, "张三", "138", NULL);
	expect_end(r);
	csv_close(r);

	r = open_str("\xEF\xBB\xBF\"q\"\n", "UTF-8");
	expect_row(r, 1, "q", NULL);
	expect_end(r);
	csv_close(r);

	/* Only a leading BOM is a BOM. */
	r = open_str("a\n\xEF\xBB\xBF" "b\n", "utf8");
	expect_row(r, 1, "a", NULL);
	expect_row(r, 2, "\xEF\xBB\xBF" "b", NULL);
	csv_close(r);
}

static void test_gb18030_auto_detected(void **state)
{
	struct csv_reader *r;

	(void)state;
	r = open_str(GB_ROSTER, NULL);
	assert_string_equal(csv_encoding(r), "GB18030");
	expect_row(r, 1, "姓名", "电话", NULL);
	expect_row(r, 2, "张三", "13800138000", NULL);
	expect_end(r);
	csv_close(r);

	/* GB18030's own BOM, a four-byte character, a quoted field. */
	r = open_str(GB_BOM GB_U20000 ",\"" GB_ZHONG ",\"\"" GB_ZHONG "\"\"\"\n", "auto");
	assert_string_equal(csv_encoding(r), "GB18030");
	expect_row(r, 1, "𠀀", "中,\"中\"", NULL);
	expect_end(r);
	csv_close(r);

	/* Plain ASCII is valid UTF-8, so auto picks UTF-8. */
	r = open_str("a,b\n", "AUTO");
	assert_string_equal(csv_encoding(r), "UTF-8");
	csv_close(r);
}

static void test_gb18030_explicit_and_aliases(void **state)
{
	static const char *const names[] = { "gb18030", "GB18030", "gbk", "GBK", "gb2312" };
	struct csv_reader *r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		r = open_str(GB_ROSTER, names[i]);
		assert_string_equal(csv_encoding(r), "GB18030");
		expect_row(r, 1, "姓名", "电话", NULL);
		expect_row(r, 2, "张三", "13800138000", NULL);
		expect_end(r);
		csv_close(r);
	}
	/* Explicit GB18030 on ASCII text still says GB18030. */
	r = open_str("x,y\n", "gbk");
	assert_string_equal(csv_encoding(r), "GB18030");
	expect_row(r, 1, "x", "y", NULL);
	csv_close(r);
}

static void test_encoding_errors(void **state)
{
	(void)state;
	expect_open_error(GB_ROSTER, strlen(GB_ROSTER), "utf-8",
	                  "t.csv: not valid UTF-8 at byte 0 (line 1)");
	/* 0xFF is never valid in GB18030; a lead byte needs a trail byte. */
	expect_open_error("ab\ncd,\xd0\xd5\xff\n", 10, NULL,
	                  "t.csv: not valid GB18030 at byte 8 (line 2)");
	expect_open_error("ab\n\xd0\x0a", 5, "gb18030",
	                  "t.csv: not valid GB18030 at byte 3 (line 2)");
	expect_open_error("ab\n\n\xd0", 5, "gbk",          /* truncated at the end */
	                  "t.csv: not valid GB18030 at byte 4 (line 3)");
	expect_open_error("a,b\n", 4, "big5",
	                  "t.csv: unknown encoding \"big5\" (use auto, utf-8 or gb18030)");
	expect_open_error("\xff\xfe" "a\0,\0", 6, NULL,
	                  "t.csv: UTF-16 is not supported; save the file as CSV UTF-8");
}

static void test_error_unterminated_quote(void **state)
{
	struct csv_reader *r;

	(void)state;
	r = open_str("a,b\nc,\"oops\nd,e\n", NULL);
	expect_row(r, 1, "a", "b", NULL);
	expect_error(r, "t.csv:2: field 2: unterminated quoted field");
	/* Resynchronised on the line after the opening quote. */
	expect_row(r, 3, "d", "e", NULL);
	expect_end(r);
	csv_close(r);

	r = open_str("\"", NULL);
	expect_error(r, "t.csv:1: field 1: unterminated quoted field");
	expect_end(r);
	csv_close(r);
}

static void test_error_stray_quote(void **state)
{
	struct csv_reader *r;

	(void)state;
	r = open_str("a,b\"c,d\r\ne,f\n", NULL);
	expect_error(r, "t.csv:1: field 2: stray quote in unquoted field");
	expect_row(r, 2, "e", "f", NULL);
	expect_end(r);
	csv_close(r);
}

static void test_error_text_after_quote(void **state)
{
	struct csv_reader *r;

	(void)state;
	r = open_str("\"ab\"c,d\nx\n", NULL);
	expect_error(r, "t.csv:1: field 1: text after closing quote");
	expect_row(r, 2, "x", NULL);
	expect_end(r);
	csv_close(r);

	r = open_str("a,\"x\ny\"z,\"w\"\nq\n", NULL);
	expect_error(r, "t.csv:2: field 2: text after closing quote "
	                "(quoted field opened on line 1)");
	expect_row(r, 3, "q", NULL);
	expect_end(r);
	csv_close(r);

	/* A lone CR after a closing quote is not a line ending. */
	r = open_str("\"a\"\rb\nc\n", NULL);
	expect_error(r, "t.csv:1: field 1: text after closing quote");
	expect_row(r, 2, "c", NULL);
	csv_close(r);
}

static void test_error_nul_byte(void **state)
{
	static const char data[] = "ok\na\0b,c\n\"x\0\"\nlast\n";
	struct csv_reader *r;

	(void)state;
	r = open_len(data, sizeof(data) - 1, NULL);
	expect_row(r, 1, "ok", NULL);
	expect_error(r, "t.csv:2: field 1: NUL byte");
	expect_error(r, "t.csv:3: field 1: NUL byte");
	expect_row(r, 4, "last", NULL);
	expect_end(r);
	csv_close(r);
}

/* A buffer of n bytes of c, NUL-terminated; the caller frees it. */
static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void test_field_too_long(void **state)
{
	char *max = repeat('x', CSV_FIELD_MAX), *over = repeat('y', CSV_FIELD_MAX + 1);
	char *quotes = repeat('"', 2 * CSV_FIELD_MAX), *data;
	struct csv_reader *r;
	size_t cap = 10 * CSV_FIELD_MAX;

	(void)state;
	data = malloc(cap);
	assert_non_null(data);
	/* line 1: exactly the limit; line 2: one over; lines 3-5: a quoted field
	 * that is over only once its newlines are counted and spans three lines;
	 * line 6: 4096 doubled quotes decode to exactly 4096 bytes. */
	snprintf(data, cap, "a,%s\nb,%s,c\n\"\n\n%s\",z\nd\n\"%s\"\n", max, over, max, quotes);
	r = open_str(data, NULL);
	expect_row(r, 1, "a", max, NULL);
	expect_error(r, "t.csv:2: field 2: too long (more than 4096 bytes)");
	expect_error(r, "t.csv:3: field 1: too long (more than 4096 bytes)");
	expect_row(r, 6, "d", NULL);            /* resumed after the whole bad record */
	memset(quotes, '"', CSV_FIELD_MAX);
	quotes[CSV_FIELD_MAX] = '\0';
	expect_row(r, 7, quotes, NULL);
	expect_end(r);
	csv_close(r);
	free(max);
	free(over);
	free(quotes);
	free(data);
}

static void test_field_too_long_after_decoding(void **state)
{
	/* 1365 x 中 is 2730 bytes of GB18030 but 4095 of UTF-8; 1366 is 4098. */
	size_t n = 1366, i, len = 0;
	char *data = malloc(2 * (2 * n + 2) + 1);
	struct csv_reader *r;
	struct csv_row row;
	char err[256];

	(void)state;
	assert_non_null(data);
	for (i = 0; i < n - 1; i++, len += 2)
		memcpy(data + len, GB_ZHONG, 2);
	data[len++] = '\n';
	for (i = 0; i < n; i++, len += 2)
		memcpy(data + len, GB_ZHONG, 2);
	data[len++] = '\n';
	r = open_len(data, len, NULL);
	assert_string_equal(csv_encoding(r), "GB18030");
	assert_int_equal(csv_read(r, &row, err, sizeof(err)), 1);
	assert_int_equal(strlen(row.field[0]), 3 * (n - 1));
	expect_error(r, "t.csv:2: field 1: too long (more than 4096 bytes)");
	expect_end(r);
	csv_close(r);
	free(data);
}

static void test_too_many_fields(void **state)
{
	char data[1024];
	struct csv_reader *r;
	struct csv_row row;
	char err[256];
	size_t len = 0, i;

	(void)state;
	for (i = 0; i < CSV_FIELDS_MAX; i++)                /* 64 fields: fine */
		len += (size_t)snprintf(data + len, sizeof(data) - len, "%s%zu", i ? "," : "", i);
	len += (size_t)snprintf(data + len, sizeof(data) - len, "\n");
	for (i = 0; i < CSV_FIELDS_MAX + 1; i++)            /* 65: one too many */
		len += (size_t)snprintf(data + len, sizeof(data) - len, "%s\"%zu\"", i ? "," : "", i);
	len += (size_t)snprintf(data + len, sizeof(data) - len, "\r\nnext\n");
	assert_true(len < sizeof(data) - 1);

	r = open_str(data, NULL);
	assert_int_equal(csv_read(r, &row, err, sizeof(err)), 1);
	assert_int_equal(row.n, CSV_FIELDS_MAX);
	assert_string_equal(row.field[0], "0");
	assert_string_equal(row.field[63], "63");
	expect_error(r, "t.csv:2: too many fields (more than 64)");
	expect_row(r, 3, "next", NULL);
	expect_end(r);
	csv_close(r);
}

static void test_resync_collects_every_error(void **state)
{
	static const char data[] =
		"name,phone\n"                  /* 1 */
		"zhang,138\n"                   /* 2 */
		"li\"si,139\n"                  /* 3: stray quote */
		"wang,\"137\"x\n"               /* 4: text after quote */
		"zhao,\"136\n"                  /* 5: quote runs to the end */
		"qian,135\n"                    /* 6 */
		"\n"                            /* 7 */
		"sun,134\n";                   /* 8 */
	struct csv_reader *r;
	struct csv_row row;
	char err[256];
	long good[8], bad[8];
	size_t ngood = 0, nbad = 0;
	int rc;

	(void)state;
	r = open_str(data, NULL);
	while ((rc = csv_read(r, &row, err, sizeof(err))) != 0) {
		if (rc == 1) {
			assert_true(ngood < 8);
			good[ngood++] = row.line;
		} else {
			assert_true(nbad < 8);
			bad[nbad++] = strtol(err + strlen("t.csv:"), NULL, 10);
		}
	}
	csv_close(r);
	assert_int_equal(ngood, 4);
	assert_int_equal(good[0], 1);
	assert_int_equal(good[1], 2);
	assert_int_equal(good[2], 6);
	assert_int_equal(good[3], 8);
	assert_int_equal(nbad, 3);
	assert_int_equal(bad[0], 3);
	assert_int_equal(bad[1], 4);
	assert_int_equal(bad[2], 5);
}

static void test_open_file(void **state)
{
	char path[] = "/tmp/duban-test-csv-XXXXXX";
	struct csv_reader *r = NULL;
	char err[512];
	FILE *fp;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	fp = fdopen(fd, "w");
	assert_non_null(fp);
	assert_int_equal(fputs(GB_ROSTER, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);

	assert_int_equal(csv_open_file(path, NULL, &r, err, sizeof(err)), 0);
	assert_string_equal(csv_encoding(r), "GB18030");
	expect_row(r, 1, "姓名", "电话", NULL);
	expect_row(r, 2, "张三", "13800138000", NULL);
	expect_end(r);
	csv_close(r);

	/* A sparse file one byte over the limit is refused before it is read. */
	assert_int_equal(truncate(path, (off_t)CSV_FILE_MAX + 1), 0);
	assert_int_equal(csv_open_file(path, NULL, &r, err, sizeof(err)), -1);
	assert_null(r);
	assert_non_null(strstr(err, ": too large (536870913 bytes, limit 536870912)"));
	assert_int_equal(strncmp(err, path, strlen(path)), 0);
	assert_int_equal(unlink(path), 0);

	assert_int_equal(csv_open_file(path, NULL, &r, err, sizeof(err)), -1);
	assert_null(r);
	assert_non_null(strstr(err, ": No such file or directory"));

	assert_int_equal(csv_open_file("/tmp", NULL, &r, err, sizeof(err)), -1);
	assert_string_equal(err, "/tmp: Is a directory");
	csv_close(NULL);
}

/* Run csv_write_field on s and return what it wrote (caller frees). */
static char *written_field(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	assert_non_null(fp);
	assert_int_equal(csv_write_field(fp, s), 0);
	assert_int_equal(fclose(fp), 0);
	return buf;
}

static void test_write_field_quoting(void **state)
{
	static const char *const cases[][2] = {
		{ "plain", "plain" },
		{ "", "" },
		{ "中文 短信", "中文 短信" },
		{ "a,b", "\"a,b\"" },
		{ "say \"hi\"", "\"say \"\"hi\"\"\"" },
		{ "\"", "\"\"\"\"" },
		{ "two\nlines", "\"two\nlines\"" },
		{ "cr\r", "\"cr\r\"" },
		{ " lead", "\" lead\"" },
		{ "trail ", "\"trail \"" },
		{ "\ttab", "\"\ttab\"" },
		{ "in side", "in side" },
	};
	size_t i;
	char *got;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = written_field(cases[i][0]);
		assert_string_equal(got, cases[i][1]);
		free(got);
	}
	got = written_field(NULL);
	assert_string_equal(got, "");
	free(got);
}

static void test_write_row_round_trip(void **state)
{
	static const char *const rows[][4] = {
		{ "姓名", "电话", "备注", NULL },
		{ "张三", "13800138000", "住 \"东村\", 3号", NULL },
		{ " 李四 ", "", "第一行\r\n第二行\n第三行", NULL },
		{ "", NULL, NULL, NULL },               /* one empty field */
		{ "a", "", NULL, NULL },
		{ "\"", ",", "\r", NULL },
	};
	size_t i, j, n, nrows = sizeof(rows) / sizeof(rows[0]);
	struct csv_reader *r;
	struct csv_row row;
	char *buf = NULL, err[256];
	size_t len = 0;
	FILE *fp;

	(void)state;
	fp = open_memstream(&buf, &len);
	assert_non_null(fp);
	for (i = 0; i < nrows; i++) {
		for (n = 0; rows[i][n] != NULL; n++)
			;
		assert_int_equal(csv_write_row(fp, rows[i], n), 0);
	}
	assert_int_equal(fclose(fp), 0);
	assert_non_null(strstr(buf, "\r\n\"\"\r\na,\r\n"));      /* "" for the lone empty field */
	assert_int_equal(memcmp(buf + len - 2, "\r\n", 2), 0);

	r = open_len(buf, len, NULL);
	for (i = 0; i < nrows; i++) {
		assert_int_equal(csv_read(r, &row, err, sizeof(err)), 1);
		for (n = 0; rows[i][n] != NULL; n++)
			;
		assert_int_equal(row.n, n);
		for (j = 0; j < n; j++)
			assert_string_equal(row.field[j], rows[i][j]);
	}
	expect_end(r);
	csv_close(r);
	free(buf);
}

static void test_write_errors(void **state)
{
	static const char *const fields[] = { "a,b", "c" };
	char small[4];
	FILE *fp;

	(void)state;
	fp = fmemopen(small, sizeof(small), "w");
	assert_non_null(fp);
	assert_int_equal(setvbuf(fp, NULL, _IONBF, 0), 0);     /* report errors at once */
	assert_int_equal(csv_write_row(fp, fields, 2), -1);
	assert_int_equal(csv_write_field(fp, "more than four bytes"), -1);
	fclose(fp);

	fp = fmemopen(small, sizeof(small), "w");
	assert_non_null(fp);
	errno = 0;
	assert_int_equal(csv_write_row(fp, fields, 0), -1);
	assert_int_equal(errno, EINVAL);
	fclose(fp);
}

static double cpu_seconds(void)
{
	struct timespec ts;

	assert_int_equal(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts), 0);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#if defined(__SANITIZE_ADDRESS__)
#define PARSE_LIMIT 3.0         /* sanitizers slow everything down ~5-10x */
#else
#define PARSE_LIMIT 0.3
#endif

static void test_parse_speed(void **state)
{
	const size_t nrows = 100000;
	size_t cap = nrows * 96, len = 0, i, count = 0;
	char *data = malloc(cap), err[256];
	struct csv_reader *r;
	struct csv_row row;
	double t0, elapsed;
	int rc;

	(void)state;
	assert_non_null(data);
	for (i = 0; i < nrows; i++)
		len += (size_t)snprintf(data + len, cap - len,
		                        "%zu,张%zu,1380013%04zu,东村,\"第%zu组, \"\"一\"\"\",2024-05-01\r\n",
		                        i, i, i % 10000, i % 17);
	assert_true(len < cap - 1);

	t0 = cpu_seconds();
	r = open_len(data, len, NULL);
	while ((rc = csv_read(r, &row, err, sizeof(err))) == 1) {
		assert_int_equal(row.n, 6);
		count++;
	}
	csv_close(r);
	elapsed = cpu_seconds() - t0;
	assert_int_equal(rc, 0);
	assert_int_equal(count, nrows);
	if (elapsed >= PARSE_LIMIT)
		fail_msg("100,000 rows took %.3f s of CPU (limit %.1f s)", elapsed, PARSE_LIMIT);
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lf_and_crlf),
		cmocka_unit_test(test_last_line_without_newline),
		cmocka_unit_test(test_quoted_fields),
		cmocka_unit_test(test_embedded_newlines_keep_line_numbers),
		cmocka_unit_test(test_empty_fields),
		cmocka_unit_test(test_ragged_rows),
		cmocka_unit_test(test_blank_lines_skipped),
		cmocka_unit_test(test_empty_input),
		cmocka_unit_test(test_utf8_bom_stripped),
		cmocka_unit_test(test_gb18030_auto_detected),
		cmocka_unit_test(test_gb18030_explicit_and_aliases),
		cmocka_unit_test(test_encoding_errors),
		cmocka_unit_test(test_error_unterminated_quote),
		cmocka_unit_test(test_error_stray_quote),
		cmocka_unit_test(test_error_text_after_quote),
		cmocka_unit_test(test_error_nul_byte),
		cmocka_unit_test(test_field_too_long),
		cmocka_unit_test(test_field_too_long_after_decoding),
		cmocka_unit_test(test_too_many_fields),
		cmocka_unit_test(test_resync_collects_every_error),
		cmocka_unit_test(test_open_file),
		cmocka_unit_test(test_write_field_quoting),
		cmocka_unit_test(test_write_row_round_trip),
		cmocka_unit_test(test_write_errors),
		cmocka_unit_test(test_parse_speed),
	};

	return cmocka_run_group_tests_name("csv", tests, NULL, NULL);
}
