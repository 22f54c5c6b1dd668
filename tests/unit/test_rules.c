/*
 * test_rules.c - unit tests of reminder rule sets (gateway/rules.c):
 * exact plans (fire times, keys and expiries) in Asia/Shanghai and across a
 * DST change in America/New_York, quiet hours and workdays, and every
 * load-time error with its FILE:LINE.  Rule and template files are written
 * into mkdtemp directories that each test removes again; the shipped
 * rules/ and templates/ are loaded from next to the build directory.
 */
#include "unit.h"

#include <dirent.h>
#include <limits.h>
#include <time.h>
#include <unistd.h>

#include "core/rules.h"
#include "core/tmpl.h"
#include "base/buf.h"
#include "base/diag.h"
#include "base/zone.h"

/* The default set of the design, as in rules/default.cfg. */
static const char DEFAULT_SET[] =
	"default = {\n"
	"  workdays_only = false;\n"
	"  before = (\n"
	"    { offset = \"7d\"; at = \"09:00\"; to = [ \"lead\", \"owner\" ]; template = \"reminder\"; },\n"
	"    { offset = \"3d\"; at = \"09:00\"; to = [ \"lead\", \"owner\", \"member\" ]; template = \"reminder\"; },\n"
	"    { offset = \"1d\"; at = \"09:00\"; to = [ \"lead\", \"owner\", \"member\" ]; template = \"reminder\"; },\n"
	"    { offset = \"0d\"; at = \"08:00\"; to = [ \"lead\", \"owner\", \"member\" ]; template = \"due_today\"; }\n"
	"  );\n"
	"  overdue  = { every = \"1d\"; at = \"09:00\"; max = 5; to = [ \"lead\", \"owner\" ]; template = \"overdue\"; };\n"
	"  escalate = { after = \"2d\"; at = \"09:30\"; to = [ \"supervisor\", \"lead\" ]; template = \"escalation\"; };\n"
	"};\n";

static const struct quiet_hours CONFIG_QUIET = { true, 21 * 60, 8 * 60 };

/* What a test works with: a template directory and a rules directory. */
struct fixture {
	char tdir[32];
	char rdir[32];
	struct tmpl_set *tmpls;
	struct rules *rules;
	struct diag diag;
};

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_true(fputs(text, fp) >= 0);
	assert_int_equal(fclose(fp), 0);
}

static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[PATH_MAX];

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		assert_int_equal(unlink(path), 0);
	}
	closedir(d);
	assert_int_equal(rmdir(dir), 0);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct diag d = { 0 };

	if (f == NULL || time_set_zone("Asia/Shanghai") != 0)
		return -1;
	memcpy(f->tdir, "/tmp/duban-tmpl.XXXXXX", sizeof("/tmp/duban-tmpl.XXXXXX"));
	memcpy(f->rdir, "/tmp/duban-rules.XXXXXX", sizeof("/tmp/duban-rules.XXXXXX"));
	if (mkdtemp(f->tdir) == NULL || mkdtemp(f->rdir) == NULL)
		return -1;
	write_file(f->tdir, "reminder.txt", "{{person.name}}：{{task.title}}还有{{task.days_left}}天\n");
	write_file(f->tdir, "due_today.txt", "{{task.title}}今天到期\n");
	write_file(f->tdir, "overdue.txt", "{{task.title}}已超期{{task.days_overdue}}天\n");
	write_file(f->tdir, "escalation.txt", "督办：{{task.lead}}\n");
	write_file(f->tdir, "notice_t.txt", "{{var.text}}\n");
	write_file(f->tdir, "notice_title.txt", "{{notice.title}}\n");
	if (tmpl_set_load_dir(f->tdir, &f->tmpls, &d) != 0) {
		diag_print(&d, stderr);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	rules_free(f->rules);
	tmpl_set_free(f->tmpls);
	diag_clear(&f->diag);
	remove_dir(f->tdir);
	remove_dir(f->rdir);
	free(f);
	return 0;
}

/* Write text as DIR/a.cfg and load the directory; it must succeed. */
static const struct rules *load_ok(struct fixture *f, const char *text)
{
	rules_free(f->rules);
	f->rules = NULL;
	write_file(f->rdir, "a.cfg", text);
	if (rules_load_dir(f->rdir, f->tmpls, &f->rules, &f->diag) != 0) {
		diag_print(&f->diag, stderr);
		fail_msg("rules did not load");
	}
	assert_int_equal(f->diag.n, 0);
	return f->rules;
}

/*
 * Loading the directory must fail with exactly these messages
 * (NULL-terminated); "@" at the start of one stands for the rules
 * directory, "%" anywhere for the template directory.
 */
static void expect_load_errors(struct fixture *f, ...)
{
	struct rules *r = NULL;
	const char *want;
	size_t i = 0;
	va_list ap;

	assert_int_equal(rules_load_dir(f->rdir, f->tmpls, &r, &f->diag), -1);
	assert_null(r);
	va_start(ap, f);
	while ((want = va_arg(ap, const char *)) != NULL) {
		char full[1024];
		struct buf b;

		buf_init(&b, sizeof(full));
		for (const char *p = want; *p; p++) {
			if (*p == '@' && p == want)
				assert_int_equal(buf_adds(&b, f->rdir), 0);
			else if (*p == '%')
				assert_int_equal(buf_adds(&b, f->tdir), 0);
			else
				assert_int_equal(buf_add(&b, p, 1), 0);
		}
		if (i >= f->diag.n) {
			diag_print(&f->diag, stderr);
			fail_msg("missing error \"%s\"", b.data);
		}
		if (strcmp(f->diag.line[i], b.data) != 0) {
			diag_print(&f->diag, stderr);
			fail_msg("error %zu:\n  got  %s\n  want %s", i, f->diag.line[i], b.data);
		}
		buf_free(&b);
		i++;
	}
	va_end(ap);
	if (i != f->diag.n) {
		diag_print(&f->diag, stderr);
		fail_msg("%zu errors, expected %zu", f->diag.n, i);
	}
	diag_clear(&f->diag);
}

/* Local time "YYYY-MM-DD HH:MM" in the current zone as UTC seconds. */
static int64_t L(const char *s)
{
	int64_t t;

	if (time_parse_local(s, false, &t) != 0)
		fail_msg("bad time %s", s);
	return t;
}

/* UTC wall time as seconds. */
static int64_t U(int y, int m, int d, int h, int mi)
{
	struct tm tm = { 0 };

	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	return (int64_t)timegm(&tm);
}

/* Check one fire: key, local send time and local expiry. */
static void expect_fire(const struct fire *fi, const char *key, const char *at, const char *exp)
{
	char got_at[32], got_exp[32];

	time_fmt_local(fi->at, got_at, sizeof(got_at));
	time_fmt_local(fi->expires, got_exp, sizeof(got_exp));
	if (strcmp(fi->key, key) != 0 || fi->at != L(at) || fi->expires != L(exp))
		fail_msg("got %s at %s expires %s, want %s at %s expires %s", fi->key, got_at,
			 got_exp, key, at, exp);
}

static void test_default_plan(void **state)
{
	struct fixture *f = *state;
	const struct rule_set *rs;
	struct fire out[32];
	size_t n = 0;

	load_ok(f, DEFAULT_SET);
	rs = rules_find(f->rules, "default");
	assert_non_null(rs);
	assert_int_equal(rs->nbefore, 4);
	assert_true(rs->has_overdue);
	assert_int_equal(rs->overdue_max, 5);
	assert_true(rs->has_escalate);
	assert_false(rs->has_quiet);
	assert_false(rs->workdays_only);
	assert_string_equal(rs->before[0].key, "b7d");
	assert_int_equal(rs->before[0].at, 9 * 60);
	assert_int_equal(rs->before[0].line, 4);
	assert_int_equal(rules_plan_size(rs), 10);

	assert_int_equal(rules_plan(rs, L("2008-12-31 23:59"), &CONFIG_QUIET, out, 32, &n), 0);
	assert_int_equal(n, 10);
	expect_fire(&out[0], "b7d", "2008-12-24 09:00", "2008-12-28 09:00");
	expect_fire(&out[1], "b3d", "2008-12-28 09:00", "2008-12-30 09:00");
	expect_fire(&out[2], "b1d", "2008-12-30 09:00", "2008-12-31 08:00");
	expect_fire(&out[3], "b0d", "2008-12-31 08:00", "2008-12-31 23:59");
	expect_fire(&out[4], "o1", "2009-01-01 09:00", "2009-01-02 09:00");
	expect_fire(&out[5], "o2", "2009-01-02 09:00", "2009-01-03 09:00");
	expect_fire(&out[6], "e", "2009-01-02 09:30", "2009-01-03 09:30");
	expect_fire(&out[7], "o3", "2009-01-03 09:00", "2009-01-04 09:00");
	expect_fire(&out[8], "o4", "2009-01-04 09:00", "2009-01-05 09:00");
	expect_fire(&out[9], "o5", "2009-01-05 09:00", "2009-01-06 09:00");

	assert_int_equal(out[0].kind, STEP_BEFORE);
	assert_int_equal(out[0].roles, ROLE_LEAD | ROLE_OWNER);
	assert_string_equal(out[0].template, "reminder");
	assert_int_equal(out[1].roles, ROLE_LEAD | ROLE_OWNER | ROLE_MEMBER);
	assert_string_equal(out[3].template, "due_today");
	assert_int_equal(out[4].kind, STEP_OVERDUE);
	assert_string_equal(out[4].template, "overdue");
	assert_int_equal(out[6].kind, STEP_ESCALATE);
	assert_int_equal(out[6].roles, ROLE_SUPERVISOR | ROLE_LEAD);
	assert_string_equal(out[6].template, "escalation");
	/* Shanghai has no DST: 09:00 local is 01:00Z. */
	assert_int_equal(out[0].at, U(2008, 12, 24, 1, 0));

	/* Too small an array: -1 and the size needed. */
	assert_int_equal(rules_plan(rs, L("2008-12-31 23:59"), NULL, out, 9, &n), -1);
	assert_int_equal(n, 10);
}

static void test_month_end_leap_year(void **state)
{
	struct fixture *f = *state;
	const struct rule_set *rs;
	struct fire out[16];
	size_t n;

	load_ok(f, DEFAULT_SET);
	rs = rules_find(f->rules, "default");
	assert_int_equal(rules_plan(rs, L("2008-03-02 17:00"), &CONFIG_QUIET, out, 16, &n), 0);
	expect_fire(&out[0], "b7d", "2008-02-24 09:00", "2008-02-28 09:00");
	expect_fire(&out[1], "b3d", "2008-02-28 09:00", "2008-03-01 09:00");
	expect_fire(&out[2], "b1d", "2008-03-01 09:00", "2008-03-02 08:00");
	expect_fire(&out[3], "b0d", "2008-03-02 08:00", "2008-03-02 17:00");
	/* Repeats after a deadline on the 28th: the 29th exists in 2008. */
	assert_int_equal(rules_plan(rs, L("2008-02-28 17:00"), &CONFIG_QUIET, out, 16, &n), 0);
	expect_fire(&out[4], "o1", "2008-02-29 09:00", "2008-03-01 09:00");
	expect_fire(&out[5], "o2", "2008-03-01 09:00", "2008-03-02 09:00");
	expect_fire(&out[6], "e", "2008-03-01 09:30", "2008-03-02 09:30");
	/* And not in 2009. */
	assert_int_equal(rules_plan(rs, L("2009-03-02 17:00"), &CONFIG_QUIET, out, 16, &n), 0);
	expect_fire(&out[0], "b7d", "2009-02-23 09:00", "2009-02-27 09:00");
}

static void test_hour_offsets(void **state)
{
	struct fixture *f = *state;
	struct fire out[8];
	size_t n;

	load_ok(f, "h36 = { before = ( { offset = \"36h\"; to = [ \"lead\" ]; template = \"reminder\"; } ); };\n"
		   "h36at = { before = ( { offset = \"36h\"; at = \"09:00\"; to = [ \"lead\" ]; template = \"reminder\"; } ); };\n"
		   "d1h12 = { before = ( { offset = \"1d12h\"; to = [ \"lead\" ]; template = \"reminder\"; },\n"
		   "                     { offset = \"90m\"; to = [ \"owner\" ]; template = \"due_today\"; } ); };\n");
	assert_int_equal(rules_count(f->rules), 3);
	assert_string_equal(rules_at(f->rules, 0)->name, "d1h12"); /* sorted by name */
	assert_null(rules_at(f->rules, 3));

	assert_int_equal(rules_plan(rules_find(f->rules, "h36"), L("2008-12-31 23:59"), NULL, out, 8, &n), 0);
	assert_int_equal(n, 1);
	expect_fire(&out[0], "b36h", "2008-12-30 11:59", "2008-12-31 23:59");
	assert_int_equal(out[0].at, L("2008-12-31 23:59") - 36 * 3600);

	/* With at: that instant's date, at the time given. */
	assert_int_equal(rules_plan(rules_find(f->rules, "h36at"), L("2008-12-31 23:59"), NULL, out, 8, &n), 0);
	expect_fire(&out[0], "b36h", "2008-12-30 09:00", "2008-12-31 23:59");
	assert_int_equal(rules_plan(rules_find(f->rules, "h36at"), L("2008-12-31 06:00"), NULL, out, 8, &n), 0);
	expect_fire(&out[0], "b36h", "2008-12-29 09:00", "2008-12-31 06:00");

	/* Keys are the offset's canonical spelling. */
	assert_int_equal(rules_plan(rules_find(f->rules, "d1h12"), L("2008-12-31 23:59"), NULL, out, 8, &n), 0);
	assert_int_equal(n, 2);
	expect_fire(&out[0], "b1d12h", "2008-12-30 11:59", "2008-12-31 22:29");
	expect_fire(&out[1], "b1h30m", "2008-12-31 22:29", "2008-12-31 23:59");
}

static void test_dst(void **state)
{
	struct fixture *f = *state;
	const struct rule_set *rs;
	struct fire out[16];
	size_t n;

	load_ok(f, DEFAULT_SET);
	rs = rules_find(f->rules, "default");
	assert_int_equal(time_set_zone("America/New_York"), 0);
	/* DST ended on 2008-11-02 at 02:00; the deadline is in EST (UTC-5). */
	int64_t deadline = L("2008-11-03 12:00");
	assert_int_equal(deadline, U(2008, 11, 3, 17, 0));
	assert_int_equal(rules_plan(rs, deadline, NULL, out, 16, &n), 0);
	assert_string_equal(out[0].key, "b7d");
	assert_int_equal(out[0].at, U(2008, 10, 27, 13, 0)); /* 09:00 EDT */
	assert_string_equal(out[2].key, "b1d");
	assert_int_equal(out[2].at, U(2008, 11, 2, 14, 0)); /* 09:00 EST */
	/* The 3d step fires 2008-10-31 09:00 EDT and lasts until the 1d one. */
	assert_int_equal(out[1].at, U(2008, 10, 31, 13, 0));
	assert_int_equal(out[1].expires, U(2008, 11, 2, 14, 0));

	/* Without at: the deadline's time of day on the calendar day, not 7*24h. */
	load_ok(f, "noat = { before = ( { offset = \"7d\"; to = [ \"lead\" ]; template = \"reminder\"; },\n"
		   "                    { offset = \"24h\"; to = [ \"lead\" ]; template = \"reminder\"; } ); };\n");
	rs = rules_find(f->rules, "noat");
	assert_int_equal(rules_plan(rs, deadline, NULL, out, 16, &n), 0);
	assert_int_equal(out[0].at, U(2008, 10, 27, 16, 0)); /* 12:00 EDT */
	assert_int_equal(out[1].at, deadline - 24 * 3600);   /* 11:00 EST the day before */
	assert_int_equal(time_set_zone("Asia/Shanghai"), 0);
}

static void test_quiet_hours(void **state)
{
	struct fixture *f = *state;
	struct fire out[8];
	size_t n;

	load_ok(f,
		"late = { quiet_hours = { from = \"21:00\"; to = \"08:00\"; };\n"
		"         before = ( { offset = \"1d\"; at = \"22:30\"; to = [ \"lead\" ]; template = \"reminder\"; } ); };\n"
		"early = { before = ( { offset = \"0d\"; at = \"06:00\"; to = [ \"lead\" ]; template = \"due_today\"; } ); };\n"
		"noon = { quiet_hours = { from = \"12:00\"; to = \"14:00\"; };\n"
		"         before = ( { offset = \"0d\"; at = \"13:00\"; to = [ \"lead\" ]; template = \"due_today\"; } ); };\n"
		"off = { quiet_hours = { from = \"21:00\"; to = \"08:00\"; enabled = false; };\n"
		"        before = ( { offset = \"0d\"; at = \"06:00\"; to = [ \"lead\" ]; template = \"due_today\"; } ); };\n");

	/* 22:30 inside a window that wraps midnight: 08:00 the next day. */
	assert_int_equal(rules_plan(rules_find(f->rules, "late"), L("2008-12-31 23:59"), NULL, out, 8, &n), 0);
	expect_fire(&out[0], "b1d", "2008-12-31 08:00", "2008-12-31 23:59");
	/* 06:00, the morning part of the window: 08:00 the same day. */
	assert_int_equal(rules_plan(rules_find(f->rules, "early"), L("2008-12-31 23:59"), &CONFIG_QUIET, out, 8, &n), 0);
	expect_fire(&out[0], "b0d", "2008-12-31 08:00", "2008-12-31 23:59");
	/* Without quiet hours it stays. */
	assert_int_equal(rules_plan(rules_find(f->rules, "early"), L("2008-12-31 23:59"), NULL, out, 8, &n), 0);
	expect_fire(&out[0], "b0d", "2008-12-31 06:00", "2008-12-31 23:59");
	/* A window within one day. */
	assert_int_equal(rules_plan(rules_find(f->rules, "noon"), L("2008-12-31 23:59"), &CONFIG_QUIET, out, 8, &n), 0);
	expect_fire(&out[0], "b0d", "2008-12-31 14:00", "2008-12-31 23:59");
	/* The set's own (disabled) quiet hours override the configuration's. */
	assert_int_equal(rules_plan(rules_find(f->rules, "off"), L("2008-12-31 23:59"), &CONFIG_QUIET, out, 8, &n), 0);
	expect_fire(&out[0], "b0d", "2008-12-31 06:00", "2008-12-31 23:59");
	/* 08:00 itself is not quiet, 07:59 is. */
	struct quiet_hours q = CONFIG_QUIET;
	q.to = 6 * 60 + 1;
	assert_int_equal(rules_plan(rules_find(f->rules, "early"), L("2008-12-31 23:59"), &q, out, 8, &n), 0);
	expect_fire(&out[0], "b0d", "2008-12-31 06:01", "2008-12-31 23:59");
	q.to = 6 * 60;
	assert_int_equal(rules_plan(rules_find(f->rules, "early"), L("2008-12-31 23:59"), &q, out, 8, &n), 0);
	expect_fire(&out[0], "b0d", "2008-12-31 06:00", "2008-12-31 23:59");
}

static void test_workdays_only(void **state)
{
	struct fixture *f = *state;
	const struct rule_set *rs;
	struct fire out[8];
	size_t n;

	load_ok(f, "wd = { workdays_only = true;\n"
		   "  before = ( { offset = \"1d\"; at = \"09:00\"; to = [ \"lead\" ]; template = \"reminder\"; },\n"
		   "             { offset = \"0d\"; at = \"22:30\"; to = [ \"lead\" ]; template = \"due_today\"; } ); };\n");
	rs = rules_find(f->rules, "wd");
	assert_true(rs->workdays_only);
	/* Deadline Monday 2008-12-29: the Sunday step moves to Friday the 26th. */
	assert_int_equal(rules_plan(rs, L("2008-12-29 23:59"), NULL, out, 8, &n), 0);
	expect_fire(&out[0], "b1d", "2008-12-26 09:00", "2008-12-29 22:30");
	expect_fire(&out[1], "b0d", "2008-12-29 22:30", "2008-12-29 23:59");
	/* Deadline Sunday 2008-12-28: Saturday's step moves to Friday; quiet
	 * hours come first and move Sunday 22:30 to Monday 08:00, a workday. */
	assert_int_equal(rules_plan(rs, L("2008-12-28 23:59"), &CONFIG_QUIET, out, 8, &n), 0);
	expect_fire(&out[0], "b1d", "2008-12-26 09:00", "2008-12-29 08:00");
	expect_fire(&out[1], "b0d", "2008-12-29 08:00", "2008-12-29 09:00");
	/* Saturday 22:30 -> quiet -> Sunday 08:00 -> workdays -> Friday 08:00. */
	assert_int_equal(rules_plan(rs, L("2008-12-27 23:59"), &CONFIG_QUIET, out, 8, &n), 0);
	expect_fire(&out[0], "b0d", "2008-12-26 08:00", "2008-12-26 09:00");
	expect_fire(&out[1], "b1d", "2008-12-26 09:00", "2008-12-27 23:59");
	/* Midweek nothing moves. */
	assert_int_equal(rules_plan(rs, L("2008-12-31 23:59"), NULL, out, 8, &n), 0);
	expect_fire(&out[0], "b1d", "2008-12-30 09:00", "2008-12-31 22:30");
}

static void test_workdays_after_deadline(void **state)
{
	struct fixture *f = *state;
	const struct rule_set *rs;
	struct fire out[8];
	size_t n;

	load_ok(f, "wd2 = { workdays_only = true;\n"
		   "  before = ( { offset = \"0d\"; at = \"08:00\"; to = [ \"lead\" ]; template = \"due_today\"; } );\n"
		   "  overdue = { every = \"1d\"; at = \"09:00\"; max = 3; to = [ \"lead\" ]; template = \"overdue\"; };\n"
		   "  escalate = { after = \"1d\"; at = \"09:30\"; to = [ \"supervisor\" ]; template = \"escalation\"; }; };\n");
	rs = rules_find(f->rules, "wd2");
	/* Deadline Friday 2008-12-26: repeats and the escalation falling on the
	 * weekend move forward to Monday, never back before the deadline. */
	assert_int_equal(rules_plan(rs, L("2008-12-26 23:59"), NULL, out, 8, &n), 0);
	assert_int_equal(n, 5);
	for (size_t i = 0; i < n; i++)
		assert_true(out[i].kind == STEP_BEFORE || out[i].at > L("2008-12-26 23:59"));
	expect_fire(&out[0], "b0d", "2008-12-26 08:00", "2008-12-26 23:59");
	assert_int_equal(out[1].at, L("2008-12-29 09:00"));
	assert_int_equal(out[2].at, L("2008-12-29 09:00"));
	assert_int_equal(out[3].at, L("2008-12-29 09:00"));
	assert_int_equal(out[4].at, L("2008-12-29 09:30"));
}

static void test_expires(void **state)
{
	struct fixture *f = *state;
	const struct rule_set *rs;
	struct fire out[16];
	size_t n;

	load_ok(f,
		"x = {\n"
		"  before = ( { offset = \"2d\"; at = \"09:00\"; to = [ \"lead\" ]; template = \"reminder\"; expires = \"12h\"; },\n"
		"             { offset = \"4h\"; to = [ \"lead\" ]; template = \"due_today\"; },\n"
		"             { offset = \"0m\"; at = \"08:00\"; to = [ \"lead\" ]; template = \"due_today\"; } );\n"
		"  overdue = { every = \"12h\"; max = 2; to = [ \"owner\" ]; template = \"overdue\"; };\n"
		"  escalate = { after = \"1d6h\"; to = [ \"supervisor\" ]; template = \"escalation\"; expires = \"2d\"; };\n"
		"};\n");
	rs = rules_find(f->rules, "x");
	assert_true(rs->before[0].has_expires);
	assert_int_equal(rs->before[0].expires.seconds, 12 * 3600);
	assert_int_equal(rules_plan(rs, L("2008-12-31 17:00"), NULL, out, 16, &n), 0);
	assert_int_equal(n, 6);
	expect_fire(&out[0], "b2d", "2008-12-29 09:00", "2008-12-29 21:00");
	/* Send order is not list order: "0d at 08:00" comes before "4h", and
	 * each lasts until the next one in time. */
	expect_fire(&out[1], "b0d", "2008-12-31 08:00", "2008-12-31 13:00");
	expect_fire(&out[2], "b4h", "2008-12-31 13:00", "2008-12-31 17:00");
	expect_fire(&out[3], "o1", "2009-01-01 05:00", "2009-01-01 17:00");
	expect_fire(&out[4], "o2", "2009-01-01 17:00", "2009-01-02 05:00");
	/* after = "1d6h": a calendar day, then 6 hours; expires = "2d". */
	expect_fire(&out[5], "e", "2009-01-01 23:00", "2009-01-03 23:00");
	assert_string_equal(rs->before[2].key, "b0d"); /* "0m" is spelt "0d" */

	/* A step sent after an early deadline still lives an hour. */
	assert_int_equal(rules_plan(rs, L("2008-12-31 07:00"), NULL, out, 16, &n), 0);
	expect_fire(&out[1], "b4h", "2008-12-31 03:00", "2008-12-31 08:00");
	expect_fire(&out[2], "b0d", "2008-12-31 08:00", "2008-12-31 09:00");
}

static void test_roles(void **state)
{
	enum role r;

	(void)state;
	assert_int_equal(role_parse("lead", &r), 0);
	assert_int_equal(r, ROLE_LEAD);
	assert_int_equal(role_parse("owner", &r), 0);
	assert_int_equal(r, ROLE_OWNER);
	assert_int_equal(role_parse("member", &r), 0);
	assert_int_equal(r, ROLE_MEMBER);
	assert_int_equal(role_parse("supervisor", &r), 0);
	assert_int_equal(r, ROLE_SUPERVISOR);
	assert_int_equal(role_parse("Lead", &r), -1);
	assert_int_equal(role_parse("", &r), -1);
	assert_string_equal(role_name(ROLE_LEAD), "lead");
	assert_string_equal(role_name(ROLE_SUPERVISOR), "supervisor");
	assert_null(role_name((enum role)(ROLE_LEAD | ROLE_OWNER)));
	assert_null(role_name((enum role)0));
}

/* Every kind of problem in one file, all reported, each at its line. */
static void test_load_errors(void **state)
{
	struct fixture *f = *state;

	write_file(f->rdir, "a.cfg",
		/*  1 */ "bad = {\n"
		/*  2 */ "  colour = \"red\";\n"
		/*  3 */ "  workdays_only = \"yes\";\n"
		/*  4 */ "  quiet_hours = { from = \"25:00\"; to = \"08:00\"; };\n"
		/*  5 */ "  before = (\n"
		/*  6 */ "    { offset = \"7x\"; at = \"09:00\"; to = [ \"lead\" ]; template = \"reminder\"; },\n"
		/*  7 */ "    { offset = \"3d\"; at = \"9:60\"; to = [ \"lead\" ]; template = \"reminder\"; },\n"
		/*  8 */ "    { offset = \"2d\"; to = [ \"boss\" ]; template = \"reminder\"; },\n"
		/*  9 */ "    { offset = \"1d\"; to = [ ]; template = \"reminder\"; },\n"
		/* 10 */ "    { offset = \"1d\"; to = [ \"lead\" ]; template = \"nosuch\"; },\n"
		/* 11 */ "    { offset = \"12h\"; to = [ \"lead\" ]; template = \"notice_t\"; },\n"
		/* 12 */ "    { offset = \"10h\"; to = [ \"lead\" ]; template = \"notice_title\"; },\n"
		/* 13 */ "    { offset = \"8h\"; to = \"lead\"; template = \"reminder\"; },\n"
		/* 14 */ "    { offset = \"0d\"; to = [ \"lead\" ]; template = 5; when = 1; }\n"
		/* 15 */ "  );\n"
		/* 16 */ "  overdue = { every = \"12h\"; at = \"09:00\"; max = 0; to = [ \"owner\" ]; template = \"overdue\"; };\n"
		/* 17 */ "  escalate = { after = \"0d\"; to = [ \"supervisor\", \"supervisor\" ];\n"
		/* 18 */ "               template = \"escalation\"; expires = \"0m\"; };\n"
		/* 19 */ "};\n"
		/* 20 */ "empty = { workdays_only = true; };\n"
		/* 21 */ "scalar = 5;\n"
		/* 22 */ "order = { before = ( { offset = \"1d\"; to = [\"lead\"]; template = \"reminder\"; },\n"
		/* 23 */ "                     { offset = \"3d\"; to = [\"lead\"]; template = \"reminder\"; },\n"
		/* 24 */ "                     { offset = \"72h\"; to = [\"lead\"]; template = \"reminder\"; } ); };\n");
	expect_load_errors(f,
		"@/a.cfg:2: unknown key 'colour' in 'bad'",
		"@/a.cfg:3: 'workdays_only' must be true or false, not a string",
		"@/a.cfg:4: 'from' must be a time of day \"HH:MM\" (00:00-23:59), not \"25:00\"",
		"@/a.cfg:6: 'offset' must be a duration such as \"7d\", \"36h\", \"90m\" or \"1d12h\", not \"7x\"",
		"@/a.cfg:7: 'at' must be a time of day \"HH:MM\" (00:00-23:59), not \"9:60\"",
		"@/a.cfg:8: unknown role 'boss' (expected lead, owner, member or supervisor)",
		"@/a.cfg:9: 'to' must name at least one role",
		"@/a.cfg:10: unknown template 'nosuch' (%/nosuch.txt not found)",
		"@/a.cfg:11: template 'notice_t' uses 'var.text', which a reminder cannot supply "
		"(notice.* and var.* are for notices)",
		"@/a.cfg:12: template 'notice_title' uses 'notice.title', which a reminder cannot supply "
		"(notice.* and var.* are for notices)",
		"@/a.cfg:13: 'to' must be an array of roles such as [ \"lead\", \"owner\" ]",
		"@/a.cfg:14: unknown key 'when'",
		"@/a.cfg:14: 'template' must be a string, not an integer",
		"@/a.cfg:16: 'at' needs an 'every' of whole days (such as \"1d\"), not \"12h\"",
		"@/a.cfg:16: 'max' must be between 1 and 100, not 0",
		"@/a.cfg:17: 'after' must be longer than zero",
		"@/a.cfg:17: role 'supervisor' is listed twice in 'to'",
		"@/a.cfg:18: 'expires' must be longer than zero",
		"@/a.cfg:20: rule set 'empty' has no steps (give 'before', 'overdue' or 'escalate')",
		"@/a.cfg:21: 'scalar' must be a rule set, a group { before = ...; ... }",
		"@/a.cfg:23: steps must be in order, furthest first (offset \"3d\" comes after a nearer or equal one)",
		"@/a.cfg:24: steps must be in order, furthest first (offset \"72h\" comes after a nearer or equal one)",
		NULL);
}

/* Keys that must be there, and values out of range. */
static void test_missing_and_range(void **state)
{
	struct fixture *f = *state;

	write_file(f->rdir, "a.cfg",
		/*  1 */ "m = {\n"
		/*  2 */ "  before = ( { at = \"09:00\"; } );\n"
		/*  3 */ "  overdue = { every = \"1d\"; to = [ \"lead\" ]; template = \"overdue\"; };\n"
		/*  4 */ "  escalate = { after = \"400d\"; to = [ \"lead\" ]; template = \"escalation\"; };\n"
		/*  5 */ "  quiet_hours = { from = \"21:00\"; };\n"
		/*  6 */ "};\n"
		/*  7 */ "n = {\n"
		/*  8 */ "  before = { offset = \"1d\"; };\n"
		/*  9 */ "  overdue = ( 1 );\n"
		/* 10 */ "  escalate = { after = \"1d\"; at = \"09:00\"; to = [ \"lead\" ]; template = \"escalation\"; };\n"
		/* 11 */ "};\n"
		/* 12 */ "o = { overdue = { every = \"1d\"; max = 101; to = [ \"lead\" ]; template = \"overdue\"; }; };\n"
		/* 13 */ "p = { before = ( \"7d\" ); };\n"
		/* 14 */ "q = { before = ( ); };\n"
		/* 15 */ "r = { escalate = { after = \"1d\"; template = \"escalation\";\n"
		/* 16 */ "                   to = [ \"lead\",\n"
		/* 17 */ "                          \"boss\" ]; }; };\n");
	expect_load_errors(f,
		"@/a.cfg:2: missing 'offset' (a duration such as \"1d\")",
		"@/a.cfg:2: missing 'to' (the roles to remind, e.g. [ \"lead\", \"owner\" ])",
		"@/a.cfg:2: missing 'template' (the name of a file in templates/)",
		"@/a.cfg:3: missing 'max' (how many repeats, 1 to 100)",
		"@/a.cfg:4: 'after' must be at most 366 days",
		"@/a.cfg:5: quiet_hours needs both 'from' and 'to'",
		"@/a.cfg:8: 'before' must be a list ( { ... }, { ... } ) of steps",
		"@/a.cfg:9: 'overdue' must be a group { ... }, not a list ( ... )",
		"@/a.cfg:12: 'max' must be between 1 and 100, not 101",
		"@/a.cfg:13: each step of 'before' must be a group { offset = ...; ... }",
		"@/a.cfg:14: rule set 'q' has no steps (give 'before', 'overdue' or 'escalate')",
		"@/a.cfg:17: unknown role 'boss' (expected lead, owner, member or supervisor)",
		NULL);
}

static void test_syntax_error(void **state)
{
	struct fixture *f = *state;

	write_file(f->rdir, "a.cfg", "a = {\n  before = (\n    { offset = = \"1d\"; to = [ \"lead\" ]; }\n  );\n};\n");
	expect_load_errors(f, "@/a.cfg:3: syntax error", NULL);
}

static void test_duplicate_names(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX];
	const char *one = "x = { escalate = { after = \"1d\"; to = [ \"lead\" ]; template = \"escalation\"; }; };\n";

	/* In one file libconfig itself refuses the second. */
	write_file(f->rdir, "a.cfg", "x = { escalate = { after = \"1d\"; to = [ \"lead\" ]; template = \"escalation\"; }; };\n"
				     "\n"
				     "x = { escalate = { after = \"2d\"; to = [ \"lead\" ]; template = \"escalation\"; }; };\n");
	expect_load_errors(f, "@/a.cfg:3: duplicate setting name", NULL);

	/* Across files: both places named; files are read in name order. */
	write_file(f->rdir, "a.cfg", one);
	write_file(f->rdir, "b.cfg", "# the same name again\n\n\nx = { escalate = { after = \"2d\"; to = [ \"lead\" ]; template = \"escalation\"; }; };\n");
	snprintf(path, sizeof(path), "@/b.cfg:4: rule set 'x' is already defined at %s/a.cfg:1", f->rdir);
	expect_load_errors(f, path, NULL);
	snprintf(path, sizeof(path), "%s/b.cfg", f->rdir);
	assert_int_equal(unlink(path), 0);

	/* Other files than *.cfg are not read. */
	write_file(f->rdir, "b.cfg~", "not = a rule file");
	write_file(f->rdir, "README", "not a rule file");
	load_ok(f, one);
	assert_int_equal(rules_count(f->rules), 1);
	const struct rule_set *rs = rules_find(f->rules, "x");
	assert_non_null(rs);
	assert_int_equal(rs->line, 1);
	assert_non_null(strstr(rs->file, "/a.cfg"));
	assert_null(rules_find(f->rules, "y"));
}

static void test_empty_and_missing_dir(void **state)
{
	struct fixture *f = *state;
	struct rules *r = NULL;
	char none[PATH_MAX];

	/* No *.cfg at all: refused (a daemon without rules would never remind). */
	expect_load_errors(f, "@: no rule files (*.cfg) in this directory", NULL);
	/* A file with nothing in it. */
	write_file(f->rdir, "a.cfg", "# nothing yet\n");
	expect_load_errors(f, "@/a.cfg: no rule sets in this file", NULL);
	snprintf(none, sizeof(none), "%s/none", f->rdir);
	assert_int_equal(rules_load_dir(none, f->tmpls, &r, &f->diag), -1);
	assert_null(r);
	assert_int_equal(f->diag.n, 1);
	assert_non_null(strstr(f->diag.line[0], "cannot open rules directory"));
	diag_clear(&f->diag);
	/* Without a template set the template names go unchecked. */
	write_file(f->rdir, "a.cfg", "x = { escalate = { after = \"1d\"; to = [ \"lead\" ]; template = \"whatever\"; }; };\n");
	assert_int_equal(rules_load_dir(f->rdir, NULL, &r, &f->diag), 0);
	assert_int_equal(rules_count(r), 1);
	rules_free(r);
	rules_free(NULL);
}

/*
 * Write a.cfg with a small set on line 1 and, from line 2, set "big" of
 * nbefore before-steps (hours, furthest first), 100 overdue repeats and an
 * escalation: a plan of nbefore + 101 fire times.
 */
static void write_big_set(struct fixture *f, int nbefore)
{
	struct buf b;

	buf_init(&b, 64 * 1024);
	assert_int_equal(buf_adds(&b, "small = { escalate = { after = \"1d\"; to = [ \"lead\" ]; "
				      "template = \"escalation\"; }; };\n"
				      "big = {\n  before = (\n"), 0);
	for (int i = nbefore; i >= 1; i--)
		assert_int_equal(buf_printf(&b, "    { offset = \"%dh\"; to = [ \"lead\" ]; "
					    "template = \"reminder\"; }%s\n", i, i > 1 ? "," : ""), 0);
	assert_int_equal(buf_adds(&b, "  );\n"
				      "  overdue = { every = \"1d\"; max = 100; to = [ \"lead\" ]; "
				      "template = \"overdue\"; };\n"
				      "  escalate = { after = \"2d\"; to = [ \"supervisor\" ]; "
				      "template = \"escalation\"; };\n"
				      "};\n"), 0);
	write_file(f->rdir, "a.cfg", b.data);
	buf_free(&b);
}

/*
 * A set whose plan is longer than the scheduler's buffer is refused at
 * load, naming the set and its line; one that just fits loads and plans.
 */
static void test_plan_limit(void **state)
{
	struct fixture *f = *state;
	struct fire *out = calloc(RULES_MAX_FIRES, sizeof(*out));
	const struct rule_set *rs;
	size_t n;

	assert_non_null(out);
	assert_int_equal(RULES_MAX_FIRES, 256);
	write_big_set(f, 156);
	expect_load_errors(f,
		"@/a.cfg:2: rule set \"big\": 257 reminder times per task (156 before the deadline, "
		"100 overdue repeats, 1 escalation), more than 256; remove steps or lower overdue's max",
		NULL);

	write_big_set(f, 155);
	assert_int_equal(rules_load_dir(f->rdir, f->tmpls, &f->rules, &f->diag), 0);
	assert_int_equal(f->diag.n, 0);
	rs = rules_find(f->rules, "big");
	assert_non_null(rs);
	assert_int_equal(rules_plan_size(rs), RULES_MAX_FIRES);
	assert_int_equal(rules_plan(rs, L("2008-12-31 23:59"), &CONFIG_QUIET, out, RULES_MAX_FIRES, &n),
			 0);
	assert_int_equal(n, RULES_MAX_FIRES);
	free(out);
}

/* templates = { role = ...; }: a role's own text for a step, checked at load. */
static void test_role_templates(void **state)
{
	struct fixture *f = *state;
	const struct rule_set *rs;
	struct fire out[8];
	size_t n;

	load_ok(f, "roles = {\n"
		   "  overdue = { every = \"1d\"; at = \"09:00\"; max = 1; to = [ \"lead\", \"owner\" ];\n"
		   "              template = \"overdue\"; templates = { owner = \"due_today\"; }; };\n"
		   "  escalate = { after = \"1d\"; to = [ \"supervisor\", \"lead\" ]; template = \"escalation\";\n"
		   "               templates = { lead = \"reminder\"; }; }; };\n");
	rs = rules_find(f->rules, "roles");
	assert_null(rs->overdue.by_role[0]);
	assert_string_equal(rs->overdue.by_role[1], "due_today");
	assert_string_equal(rs->escalate.by_role[0], "reminder");
	assert_int_equal(rules_plan(rs, L("2008-12-31 23:59"), NULL, out, 8, &n), 0);
	assert_string_equal(out[0].by_role[1], "due_today");
	assert_string_equal(out[1].by_role[0], "reminder");

	/* a role not in 'to', an unknown role, an unknown template */
	write_file(f->rdir, "default.cfg",
		/* 1 */ "bad = { escalate = { after = \"1d\"; to = [ \"supervisor\" ]; template = \"escalation\";\n"
		/* 2 */ "  templates = {\n"
		/* 3 */ "    lead = \"reminder\";\n"
		/* 4 */ "    boss = \"reminder\";\n"
		/* 5 */ "    supervisor = \"nosuch\"; }; }; };\n");
	expect_load_errors(f, "@/default.cfg:3: a template for 'lead', who is not in 'to'",
			   "@/default.cfg:4: unknown key 'boss' in 'templates'",
			   "@/default.cfg:5: unknown template 'nosuch' (%/nosuch.txt not found)", NULL);
}

/* rules/ and templates/ as shipped load together and plan as documented. */
static void test_shipped_rules(void **state)
{
	struct fixture *f = *state;
	char tdir[PATH_MAX], rdir[PATH_MAX];
	struct tmpl_set *ts = NULL;
	struct rules *r = NULL;
	struct fire out[32];
	size_t n;

	unit_src_path(tdir, sizeof(tdir), "templates");
	unit_src_path(rdir, sizeof(rdir), "rules");
	if (tmpl_set_load_dir(tdir, &ts, &f->diag) != 0 ||
	    rules_load_dir(rdir, ts, &r, &f->diag) != 0) {
		diag_print(&f->diag, stderr);
		fail_msg("shipped rules or templates do not load");
	}
	const struct rule_set *def = rules_find(r, "default");
	const struct rule_set *urg = rules_find(r, "urgent");
	assert_non_null(def);
	assert_non_null(urg);

	/* The shipped default set plans exactly like the design's. */
	assert_int_equal(rules_plan(def, L("2008-12-31 23:59"), &CONFIG_QUIET, out, 32, &n), 0);
	assert_int_equal(n, 10);
	expect_fire(&out[0], "b7d", "2008-12-24 09:00", "2008-12-28 09:00");
	expect_fire(&out[3], "b0d", "2008-12-31 08:00", "2008-12-31 23:59");
	expect_fire(&out[9], "o5", "2009-01-05 09:00", "2009-01-06 09:00");
	expect_fire(&out[6], "e", "2009-01-02 09:30", "2009-01-03 09:30");
	assert_int_equal(out[6].roles, ROLE_SUPERVISOR | ROLE_LEAD);
	assert_int_equal(out[4].roles, ROLE_LEAD | ROLE_OWNER);

	/* urgent: 2d, 1d, 4h, 0d; 10 repeats; escalation after a day. */
	assert_int_equal(rules_plan(urg, L("2008-12-31 17:00"), &CONFIG_QUIET, out, 32, &n), 0);
	assert_int_equal(n, 4 + 10 + 1);
	expect_fire(&out[0], "b2d", "2008-12-29 09:00", "2008-12-30 09:00");
	expect_fire(&out[1], "b1d", "2008-12-30 09:00", "2008-12-31 08:00");
	expect_fire(&out[2], "b0d", "2008-12-31 08:00", "2008-12-31 13:00");
	expect_fire(&out[3], "b4h", "2008-12-31 13:00", "2008-12-31 17:00");
	expect_fire(&out[4], "o1", "2009-01-01 09:00", "2009-01-02 09:00");
	expect_fire(&out[5], "e", "2009-01-01 09:30", "2009-01-02 09:30");
	expect_fire(&out[14], "o10", "2009-01-10 09:00", "2009-01-11 09:00");
	assert_int_equal(out[4].roles, ROLE_LEAD | ROLE_OWNER | ROLE_MEMBER);
	rules_free(r);
	tmpl_set_free(ts);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_default_plan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_month_end_leap_year, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hour_offsets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dst, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quiet_hours, setup, teardown),
		cmocka_unit_test_setup_teardown(test_workdays_after_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_workdays_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expires, setup, teardown),
		cmocka_unit_test_setup_teardown(test_roles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_and_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syntax_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_and_missing_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shipped_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_role_templates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan_limit, setup, teardown),
	};
	return cmocka_run_group_tests_name("rules", tests, NULL, NULL);
}
