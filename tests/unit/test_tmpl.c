/*
 * test_tmpl.c - unit tests of message templates (gateway/tmpl.c): parsing,
 * every filter, every load-time error with its line, rendering errors and
 * bounds, and loading directories (temporary ones made with mkdtemp, plus
 * the shipped templates/ found next to the build directory).
 *
 * Times are in Asia/Shanghai; 2008-12-31 23:59 is a Wednesday (星期三).
 */
#include "unit.h"

#include <dirent.h>
#include <limits.h>
#include <unistd.h>

#include "base/sms.h"
#include "core/tmpl.h"
#include "base/array.h"
#include "base/buf.h"
#include "base/diag.h"
#include "base/zone.h"

static int64_t T0; /* 2008-12-31 23:59 local */

static int setup(void **state)
{
	(void)state;
	if (time_set_zone("Asia/Shanghai") != 0)
		return -1;
	T0 = time_from_local(2008, 12, 31, 23, 59, 0);
	return 0;
}

/* Variables of a typical reminder. */
static struct tmpl_kv std_kv[] = {
	{ "person.name", { TMPL_STR, "王建国", 0, 0 } },
	{ "task.code", { TMPL_STR, "T12", 0, 0 } },
	{ "task.title", { TMPL_STR, "梅岙塘农田改造工程", 0, 0 } },
	{ "task.lead", { TMPL_STR, "陈纪平", 0, 0 } },
	{ "task.days_left", { TMPL_INT, NULL, 7, 0 } },
	{ "task.hours_left", { TMPL_INT, NULL, 168, 0 } },
	{ "task.days_overdue", { TMPL_INT, NULL, 3, 0 } },
	{ "task.deadline", { TMPL_TIME, NULL, 0, 0 } }, /* set to T0 by render() */
	{ "notice.title", { TMPL_STR, "政策性农业保险", 0, 0 } },
	{ "var.deadline", { TMPL_STR, "3月31日", 0, 0 } },
	{ "var.contact", { TMPL_STR, "镇农办87654321", 0, 0 } },
};

static struct tmpl *parse_ok(const char *text)
{
	struct diag d = { 0 };
	struct tmpl *t = NULL;

	if (tmpl_parse("t", "t.txt", text, &t, &d) != 0) {
		diag_print(&d, stderr);
		fail_msg("tmpl_parse failed on \"%s\"", text);
	}
	assert_int_equal(d.n, 0);
	diag_clear(&d);
	return t;
}

/* Parse and render text with std_kv; the result, malloc'd. */
static char *render(const char *text)
{
	struct tmpl *t = parse_ok(text);
	struct tmpl_table tab = { std_kv, ARRAY_LEN(std_kv) };
	struct buf b;
	char err[256] = "";

	std_kv[7].v.t = T0;
	buf_init(&b, 4096);
	if (tmpl_render(t, tmpl_lookup_table, &tab, &b, err, sizeof(err)) != 0)
		fail_msg("render: %s", err);
	tmpl_free(t);
	return buf_steal(&b);
}

static void expect_render(const char *text, const char *want)
{
	char *got = render(text);
	assert_string_equal(got, want);
	free(got);
}

/* Parsing text must fail with exactly the messages given (NULL-terminated). */
static void expect_errors(const char *text, ...)
{
	struct diag d = { 0 };
	struct tmpl *t = NULL;
	const char *want;
	size_t i = 0;
	va_list ap;

	assert_int_equal(tmpl_parse("t", "t.txt", text, &t, &d), -1);
	assert_null(t);
	va_start(ap, text);
	while ((want = va_arg(ap, const char *)) != NULL) {
		if (i >= d.n)
			fail_msg("missing error \"%s\"", want);
		assert_string_equal(d.line[i], want);
		i++;
	}
	va_end(ap);
	if (i != d.n) {
		diag_print(&d, stderr);
		fail_msg("%zu errors, expected %zu", d.n, i);
	}
	diag_clear(&d);
}

static void test_literals_and_tags(void **state)
{
	(void)state;
	expect_render("纯文本", "纯文本");
	expect_render("{{person.name}}", "王建国");
	expect_render("您好，{{ person.name }}！编号{{task.code  }}。", "您好，王建国！编号T12。");
	expect_render("{{\tperson.name\t}}{{task.code}}", "王建国T12");
	/* One trailing newline dropped (LF or CRLF), inner ones kept. */
	expect_render("第一行\n第二行\n", "第一行\n第二行");
	expect_render("第一行\r\n", "第一行");
	expect_render("两个换行\n\n", "两个换行\n");
	/* Braces that open no tag are literal, and so is a stray "}}". */
	expect_render("a { b } c }} d", "a { b } c }} d");
	expect_render("{person.name}", "{person.name}");
	/* Integers, negative ones too. */
	expect_render("还有{{task.days_left}}天/{{ task.hours_left }}小时", "还有7天/168小时");
	/* A filter with spaces around the bar. */
	expect_render("{{ task.deadline | md }}", "12月31日");
	/* var.* names and notice.title. */
	expect_render("{{notice.title}}：{{var.deadline}}前，{{var.contact}}",
		      "政策性农业保险：3月31日前，镇农办87654321");
	struct tmpl *t = parse_ok("x");
	assert_string_equal(tmpl_name(t), "t");
	tmpl_free(t);
	tmpl_free(NULL);
}

static void test_filters(void **state)
{
	(void)state;
	expect_render("{{task.deadline}}", "2008-12-31 23:59");
	expect_render("{{task.deadline|date}}", "2008年12月31日");
	expect_render("{{task.deadline|datetime}}", "2008年12月31日 23:59");
	expect_render("{{task.deadline|time}}", "23:59");
	expect_render("{{task.deadline|weekday}}", "星期三");
	expect_render("{{task.deadline|md}}", "12月31日");
}

/* max:N shortens text to N characters, the last one "…", and only when it must. */
static void test_max_filter(void **state)
{
	(void)state;
	/* 梅岙塘农田改造工程 is 9 characters. */
	expect_render("{{task.title|max:9}}", "梅岙塘农田改造工程");
	expect_render("{{task.title|max:20}}", "梅岙塘农田改造工程");
	expect_render("{{task.title|max:8}}", "梅岙塘农田改造…");
	expect_render("{{ task.title | max:5 }}。", "梅岙塘农…。");
	expect_render("{{task.title|max:2}}", "梅…");
	expect_render("{{task.code|max:2}}", "T…");
	/* Characters, not bytes: 3 ASCII letters fit max:3 as 3 Chinese ones do. */
	expect_render("{{task.code|max:3}}", "T12");
	expect_errors("{{task.title|max:1}}",
		      "t.txt:1: filter 'max:1': max takes a number of characters from 2 to 1000",
		      NULL);
	expect_errors("{{task.title|max:}}",
		      "t.txt:1: filter 'max:': max takes a number of characters from 2 to 1000",
		      NULL);
	expect_errors("{{task.title|max:x9}}",
		      "t.txt:1: filter 'max:x9': max takes a number of characters from 2 to 1000",
		      NULL);
	expect_errors("{{task.deadline|max:5}}",
		      "t.txt:1: filter 'max:5' needs text, not 'task.deadline'", NULL);
	expect_errors("{{task.days_left|max:5}}",
		      "t.txt:1: filter 'max:5' needs text, not 'task.days_left'", NULL);
}

/* What a provider's parameter bound to a template may use. */
static void test_kinds(void **state)
{
	struct tmpl *rem = parse_ok("{{task.title}}于{{task.deadline|md}}到期"),
		    *ntc = parse_ok("{{notice.title}}：{{var.deadline}}前登记"),
		    *any = parse_ok("{{person.name}}您好");

	(void)state;
	assert_int_equal(tmpl_kind(rem), TMPL_KIND_TASK);
	assert_int_equal(tmpl_kind(ntc), TMPL_KIND_NOTICE);
	assert_int_equal(tmpl_kind(any), TMPL_KIND_ANY);
	assert_true(tmpl_allows(rem, "task.code"));
	assert_true(tmpl_allows(rem, "person.name"));
	assert_true(tmpl_allows(rem, "now"));
	assert_false(tmpl_allows(rem, "var.deadline"));
	assert_false(tmpl_allows(rem, "notice.title"));
	assert_false(tmpl_allows(ntc, "task.code"));
	assert_true(tmpl_allows(ntc, "var.deadline"));
	assert_false(tmpl_allows(ntc, "var.contact")); /* not supplied with this template */
	assert_true(tmpl_allows(ntc, "notice.title"));
	assert_true(tmpl_allows(any, "person.title"));
	assert_false(tmpl_allows(any, "task.title"));
	assert_true(tmpl_uses(rem, "task.deadline"));
	assert_false(tmpl_uses(rem, "task.code"));
	tmpl_free(rem);
	tmpl_free(ntc);
	tmpl_free(any);
}

static void test_format_time(void **state)
{
	char out[64];
	int64_t t = time_from_local(2009, 1, 5, 8, 5, 0); /* a Monday */
	static const char *const wd[] = { "星期日", "星期一", "星期二", "星期三",
					   "星期四", "星期五", "星期六" };

	(void)state;
	assert_int_equal(tmpl_format_time(t, NULL, out, sizeof(out)), 0);
	assert_string_equal(out, "2009-01-05 08:05");
	assert_int_equal(tmpl_format_time(t, "date", out, sizeof(out)), 0);
	assert_string_equal(out, "2009年1月5日"); /* no zero padding in Chinese dates */
	assert_int_equal(tmpl_format_time(t, "datetime", out, sizeof(out)), 0);
	assert_string_equal(out, "2009年1月5日 08:05");
	assert_int_equal(tmpl_format_time(t, "time", out, sizeof(out)), 0);
	assert_string_equal(out, "08:05");
	assert_int_equal(tmpl_format_time(t, "md", out, sizeof(out)), 0);
	assert_string_equal(out, "1月5日");
	/* hm: the time of a deadline, none for one given as a date (23:59) */
	assert_int_equal(tmpl_format_time(t, "hm", out, sizeof(out)), 0);
	assert_string_equal(out, "08:05");
	assert_int_equal(tmpl_format_time(time_from_local(2008, 12, 31, 23, 59, 0), "hm", out,
					  sizeof(out)), 0);
	assert_string_equal(out, "");
	/* Every weekday, 2008-12-28 being a Sunday. */
	for (int i = 0; i < 7; i++) {
		int64_t d = time_from_local(2008, 12, 28 + i, 12, 0, 0);
		assert_int_equal(tmpl_format_time(d, "weekday", out, sizeof(out)), 0);
		assert_string_equal(out, wd[i]);
	}
	/* Local time of the process zone: the same instant in UTC. */
	assert_int_equal(time_set_zone("UTC"), 0);
	assert_int_equal(tmpl_format_time(T0, NULL, out, sizeof(out)), 0);
	assert_string_equal(out, "2008-12-31 15:59");
	assert_int_equal(time_set_zone("Asia/Shanghai"), 0);
	/* Unknown filter, too small a buffer. */
	assert_int_equal(tmpl_format_time(t, "year", out, sizeof(out)), -1);
	assert_int_equal(tmpl_format_time(t, NULL, out, 16), -1);
	assert_int_equal(tmpl_format_time(t, NULL, out, 17), 0);
}

static void test_load_errors_with_lines(void **state)
{
	(void)state;
	expect_errors("第一行\n第二行\n前{{ task.titel }}后",
		      "t.txt:3: unknown variable 'task.titel'", NULL);
	expect_errors("第一行\n第二行\n{{task.deadline|year}}",
		      "t.txt:3: unknown filter 'year' (expected date, datetime, time, weekday, md, hm or max:N)",
		      NULL);
	expect_errors("第一行\n第二行\n{{ person.name | date }}",
		      "t.txt:3: filter 'date' needs a time, not 'person.name'", NULL);
	expect_errors("第一行\n第二行\n{{task.days_left|md}}",
		      "t.txt:3: filter 'md' needs a time, not 'task.days_left'", NULL);
	expect_errors("第一行\n第二行\n{{var.deadline|date}}",
		      "t.txt:3: filter 'date' needs a time, not 'var.deadline'", NULL);
	expect_errors("第一行\n第二行\n{{ task.code 未闭合",
		      "t.txt:3: unclosed '{{'", NULL);
	expect_errors("第一行\n第二行\n{{}}", "t.txt:3: empty '{{}}'", NULL);
	expect_errors("第一行\n第二行\n{{   }}", "t.txt:3: empty '{{}}'", NULL);
	expect_errors("第一行\n第二行\n坏\xff字节", "t.txt:3: invalid UTF-8", NULL);
	expect_errors("第一行\n第二行\n截断\xe4\xb8", "t.txt:3: invalid UTF-8", NULL);
	expect_errors("第一行\n第二行\n{{var.bad-name}}",
		      "t.txt:3: unknown variable 'var.bad-name' (a name after 'var.' takes "
		      "letters, digits and _)",
		      NULL);
	expect_errors("第一行\n第二行\n{{var.}}",
		      "t.txt:3: unknown variable 'var.' (a name after 'var.' takes "
		      "letters, digits and _)",
		      NULL);
	expect_errors("第一行\n第二行\n{{task.deadline|date|md}}",
		      "t.txt:3: only one filter is allowed in '{{task.deadline|date|md}}'", NULL);
	expect_errors("", "t.txt: empty template", NULL);
	expect_errors("\n", "t.txt: empty template", NULL);
	/* A tag that spans lines is reported at its "{{", later lines still count. */
	expect_errors("{{ person.name\n}}\n{{ nope }}", "t.txt:3: unknown variable 'nope'", NULL);
	/* An unknown variable with an unknown filter: both said. */
	expect_errors("{{x|y}}", "t.txt:1: unknown variable 'x'",
		      "t.txt:1: unknown filter 'y' (expected date, datetime, time, weekday, md, hm or max:N)",
		      NULL);
}

static void test_all_errors_collected(void **state)
{
	(void)state;
	expect_errors("{{ who }}同志：\n"
		      "期限{{task.deadline|when}}，\n"
		      "{{person.name|date}}\n"
		      "{{ task.code 然后 {{ task.title }}\n"
		      "{{}}尾",
		      "t.txt:1: unknown variable 'who'",
		      "t.txt:2: unknown filter 'when' (expected date, datetime, time, weekday, md, hm or max:N)",
		      "t.txt:3: filter 'date' needs a time, not 'person.name'",
		      "t.txt:4: unclosed '{{'", "t.txt:5: empty '{{}}'", NULL);
	/* No file: the name is used. */
	struct diag d = { 0 };
	struct tmpl *t = NULL;
	assert_int_equal(tmpl_parse("nm", NULL, "{{x}}", &t, &d), -1);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.line[0], "nm:1: unknown variable 'x'");
	diag_clear(&d);
}

static int no_vars(void *ctx, const char *name, struct tmpl_value *out)
{
	(void)ctx;
	(void)name;
	(void)out;
	return -1;
}

static void test_missing_value(void **state)
{
	struct tmpl *t = parse_ok("{{person.name}}同志：{{task.code}}");
	struct tmpl_kv kv[] = { { "person.name", { TMPL_STR, "王建国", 0, 0 } } };
	struct tmpl_table tab = { kv, 1 };
	struct buf b;
	char err[256] = "";

	(void)state;
	buf_init(&b, 1000);
	assert_int_equal(buf_adds(&b, "前缀"), 0);
	assert_int_equal(tmpl_render(t, tmpl_lookup_table, &tab, &b, err, sizeof(err)), -1);
	assert_string_equal(err, "template t: no value for 'task.code'");
	/* Nothing half-rendered is left behind. */
	assert_string_equal(b.data, "前缀");
	assert_int_equal(b.len, strlen("前缀"));

	assert_int_equal(tmpl_render(t, no_vars, NULL, &b, err, sizeof(err)), -1);
	assert_string_equal(err, "template t: no value for 'person.name'");

	/* An empty or NULL string is no value either: never a blank. */
	kv[0].v.s = "";
	assert_int_equal(tmpl_render(t, tmpl_lookup_table, &tab, &b, err, sizeof(err)), -1);
	assert_string_equal(err, "template t: no value for 'person.name'");
	kv[0].v.s = NULL;
	assert_int_equal(tmpl_render(t, tmpl_lookup_table, &tab, &b, err, sizeof(err)), -1);
	tmpl_free(t);

	/* A filter on a value the caller supplied with another type. */
	t = parse_ok("{{task.deadline|date}}");
	struct tmpl_kv bad[] = { { "task.deadline", { TMPL_STR, "明天", 0, 0 } } };
	struct tmpl_table tb = { bad, 1 };
	assert_int_equal(tmpl_render(t, tmpl_lookup_table, &tb, &b, err, sizeof(err)), -1);
	assert_string_equal(err, "template t: 'task.deadline' is not a time");
	assert_string_equal(b.data, "前缀");
	tmpl_free(t);
	buf_free(&b);
}

static void test_bounded_output(void **state)
{
	struct tmpl *t = parse_ok("{{person.name}}同志，您好");
	struct tmpl_table tab = { std_kv, ARRAY_LEN(std_kv) };
	struct buf b;
	char err[256] = "";
	size_t need = strlen("王建国同志，您好");

	(void)state;
	buf_init(&b, need - 1);
	assert_int_equal(tmpl_render(t, tmpl_lookup_table, &tab, &b, err, sizeof(err)), -1);
	assert_string_equal(err, "template t: message longer than 23 bytes");
	assert_int_equal(b.len, 0);
	buf_free(&b);

	/* The variable itself overflowing. */
	buf_init(&b, 4);
	assert_int_equal(tmpl_render(t, tmpl_lookup_table, &tab, &b, err, sizeof(err)), -1);
	assert_int_equal(b.len, 0);
	buf_free(&b);

	/* Exactly at the bound fits. */
	buf_init(&b, need);
	assert_int_equal(tmpl_render(t, tmpl_lookup_table, &tab, &b, err, sizeof(err)), 0);
	assert_string_equal(b.data, "王建国同志，您好");
	/* Appending: a second render no longer fits and leaves the first. */
	assert_int_equal(tmpl_render(t, tmpl_lookup_table, &tab, &b, err, sizeof(err)), -1);
	assert_string_equal(b.data, "王建国同志，您好");
	buf_free(&b);
	tmpl_free(t);
}

static void collect(void *arg, const char *name)
{
	struct buf *b = arg;
	assert_int_equal(buf_printf(b, "%s;", name), 0);
}

static void test_prefixes_and_vars(void **state)
{
	struct tmpl *t = parse_ok("{{var.a}}{{person.name}}{{var.b}}{{var.a}}{{ var.c_1 }}");
	struct buf b;

	(void)state;
	assert_true(tmpl_uses_prefix(t, "var."));
	assert_true(tmpl_uses_prefix(t, "person."));
	assert_false(tmpl_uses_prefix(t, "task."));
	assert_false(tmpl_uses_prefix(t, "notice."));
	assert_string_equal(tmpl_find_prefix(t, "var."), "var.a");
	assert_null(tmpl_find_prefix(t, "task."));
	buf_init(&b, 100);
	tmpl_each_var(t, collect, &b);
	assert_string_equal(b.data, "var.a;var.b;var.c_1;");
	buf_free(&b);
	tmpl_free(t);

	t = parse_ok("{{task.code}}无自由变量");
	buf_init(&b, 100);
	tmpl_each_var(t, collect, &b);
	assert_int_equal(b.len, 0);
	assert_true(tmpl_uses_prefix(t, "task."));
	buf_free(&b);
	tmpl_free(t);
}

static void test_lookup_table(void **state)
{
	struct tmpl_table tab = { std_kv, ARRAY_LEN(std_kv) };
	struct tmpl_value v;

	(void)state;
	assert_int_equal(tmpl_lookup_table(&tab, "task.code", &v), 0);
	assert_int_equal(v.type, TMPL_STR);
	assert_string_equal(v.s, "T12");
	assert_int_equal(tmpl_lookup_table(&tab, "task.days_left", &v), 0);
	assert_int_equal(v.i, 7);
	assert_int_equal(tmpl_lookup_table(&tab, "task", &v), -1);
	assert_int_equal(tmpl_lookup_table(&tab, "var.nope", &v), -1);
}

/* ---- directories -------------------------------------------------------- */

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

/* Remove a flat temporary directory and its files. */
static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[PATH_MAX];

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		assert_int_equal(unlink(path), 0);
	}
	closedir(d);
	assert_int_equal(rmdir(dir), 0);
}

static void test_load_dir(void **state)
{
	char dir[] = "/tmp/duban-tmpl.XXXXXX";
	struct diag d = { 0 };
	struct tmpl_set *s = NULL;

	(void)state;
	assert_non_null(mkdtemp(dir));
	write_file(dir, "reminder.txt", "{{person.name}}同志：{{task.title}}\n");
	write_file(dir, "due-today.txt", "今天到期\n");
	write_file(dir, "a_1.txt", "A\n");
	write_file(dir, "README", "not a template {{\n");  /* ignored: no .txt */
	write_file(dir, ".draft.txt", "{{ nope }}\n");     /* ignored: dotfile */
	if (tmpl_set_load_dir(dir, &s, &d) != 0) {
		diag_print(&d, stderr);
		fail_msg("load failed");
	}
	assert_int_equal(d.n, 0);
	assert_int_equal(tmpl_set_count(s), 3);
	assert_string_equal(tmpl_name(tmpl_set_at(s, 0)), "a_1");
	assert_string_equal(tmpl_name(tmpl_set_at(s, 1)), "due-today");
	assert_string_equal(tmpl_name(tmpl_set_at(s, 2)), "reminder");
	assert_null(tmpl_set_at(s, 3));
	assert_non_null(tmpl_set_get(s, "reminder"));
	assert_non_null(tmpl_set_get(s, "a_1"));
	assert_null(tmpl_set_get(s, "remind"));
	assert_null(tmpl_set_get(s, "zz"));
	assert_string_equal(tmpl_set_dir(s), dir);
	assert_true(tmpl_uses_prefix(tmpl_set_get(s, "reminder"), "task."));
	tmpl_set_free(s);
	tmpl_set_free(NULL);
	remove_dir(dir);

	/* An empty directory is an empty set; a missing one an error. */
	char empty[] = "/tmp/duban-tmpl.XXXXXX";
	assert_non_null(mkdtemp(empty));
	assert_int_equal(tmpl_set_load_dir(empty, &s, &d), 0);
	assert_int_equal(tmpl_set_count(s), 0);
	assert_null(tmpl_set_get(s, "reminder"));
	tmpl_set_free(s);
	remove_dir(empty);
	s = NULL;
	assert_int_equal(tmpl_set_load_dir(empty, &s, &d), -1);
	assert_null(s);
	assert_int_equal(d.n, 1);
	assert_non_null(strstr(d.line[0], "cannot open template directory"));
	diag_clear(&d);
}

static void test_load_dir_reports_every_file(void **state)
{
	char dir[] = "/tmp/duban-tmpl.XXXXXX";
	char want[PATH_MAX + 100];
	struct diag d = { 0 };
	struct tmpl_set *s = NULL;

	(void)state;
	assert_non_null(mkdtemp(dir));
	write_file(dir, "good.txt", "{{person.name}}\n");
	write_file(dir, "bad1.txt", "第一行\n{{ task.titel }}\n");
	write_file(dir, "bad2.txt", "一\n二\n{{task.code|date}}\n");
	write_file(dir, "Bad3.txt", "大写的名字\n");
	write_file(dir, "empty.txt", "\n");
	assert_int_equal(tmpl_set_load_dir(dir, &s, &d), -1);
	assert_null(s);
	if (d.n != 4) {
		diag_print(&d, stderr);
		fail_msg("%zu errors, expected 4", d.n);
	}
	/* In file name order (uppercase sorts first). */
	snprintf(want, sizeof(want),
		 "%s/Bad3.txt: template name 'Bad3' must be 1 to 64 of a-z, 0-9, _ and -", dir);
	assert_string_equal(d.line[0], want);
	snprintf(want, sizeof(want), "%s/bad1.txt:2: unknown variable 'task.titel'", dir);
	assert_string_equal(d.line[1], want);
	snprintf(want, sizeof(want), "%s/bad2.txt:3: filter 'date' needs a time, not 'task.code'",
		 dir);
	assert_string_equal(d.line[2], want);
	snprintf(want, sizeof(want), "%s/empty.txt: empty template", dir);
	assert_string_equal(d.line[3], want);
	diag_clear(&d);
	remove_dir(dir);
}

/* The shipped templates load, render without blanks and fit two SMS parts. */
static void test_shipped_templates(void **state)
{
	char dir[PATH_MAX];
	struct diag d = { 0 };
	struct tmpl_set *s = NULL;
	struct tmpl_table tab = { std_kv, ARRAY_LEN(std_kv) };
	static const char *const names[] = { "due_today", "escalation", "insurance", "overdue",
					     "reminder" };

	(void)state;
	std_kv[7].v.t = T0;
	unit_src_path(dir, sizeof(dir), "templates");
	if (tmpl_set_load_dir(dir, &s, &d) != 0) {
		diag_print(&d, stderr);
		fail_msg("shipped templates do not load");
	}
	for (size_t i = 0; i < ARRAY_LEN(names); i++)
		assert_non_null(tmpl_set_get(s, names[i]));
	for (size_t i = 0; i < tmpl_set_count(s); i++) {
		const struct tmpl *t = tmpl_set_at(s, i);
		struct sms_info info;
		struct buf b;
		char err[256] = "";

		buf_init(&b, 1000);
		if (tmpl_render(t, tmpl_lookup_table, &tab, &b, err, sizeof(err)) != 0)
			fail_msg("%s", err);
		assert_int_equal(sms_measure(b.data, "小雄镇人民政府", &info, err, sizeof(err)), 0);
		if (info.chars > 134)
			fail_msg("%s: %zu characters with the signature: %s", tmpl_name(t),
				 info.chars, b.data);
		/* Reminders can only use what a task supplies. */
		if (strcmp(tmpl_name(t), "insurance") != 0) {
			assert_false(tmpl_uses_prefix(t, "var."));
			assert_false(tmpl_uses_prefix(t, "notice."));
			assert_non_null(strstr(b.data, "回复“"));
		}
		buf_free(&b);
	}
	tmpl_set_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_literals_and_tags, setup),
		cmocka_unit_test_setup(test_filters, setup),
		cmocka_unit_test_setup(test_max_filter, setup),
		cmocka_unit_test_setup(test_kinds, setup),
		cmocka_unit_test_setup(test_format_time, setup),
		cmocka_unit_test_setup(test_load_errors_with_lines, setup),
		cmocka_unit_test_setup(test_all_errors_collected, setup),
		cmocka_unit_test_setup(test_missing_value, setup),
		cmocka_unit_test_setup(test_bounded_output, setup),
		cmocka_unit_test_setup(test_prefixes_and_vars, setup),
		cmocka_unit_test_setup(test_lookup_table, setup),
		cmocka_unit_test_setup(test_load_dir, setup),
		cmocka_unit_test_setup(test_load_dir_reports_every_file, setup),
		cmocka_unit_test_setup(test_shipped_templates, setup),
	};
	return cmocka_run_group_tests_name("tmpl", tests, NULL, NULL);
}
