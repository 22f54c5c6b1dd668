/*
 * calendar.c - loading the holiday calendar and asking it about days.
 * The shipped file is read once with the configuration and validated
 * whole (every date real, each day listed once, a holiday's range in
 * order and at most a month long); a scheduler pass lays the town's own
 * days of the database over a copy.  Days are kept sorted by date, so a
 * question is a binary search: a plan asks a few dozen.
 */
#include "core/calendar.h"

#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cfgval.h"
#include "base/civil.h"
#include "base/str.h"
#include "base/utf8.h"
#include "base/clock.h"
#include "base/zone.h"
#include "base/i18n.h"
#include "core/ctx.h"
#include "store/store_calendar.h"

struct calendar {
	struct cal_day *d; /* sorted by date, each date once */
	size_t n, cap;
	int first, last;   /* years of the shipped blocks */
};

static int
cal_push(struct calendar *c, const struct cal_day *day)
{
	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 512;
		struct cal_day *nd = realloc(c->d, ncap * sizeof(*nd));
		if (nd == NULL)
			return -1;
		c->d = nd;
		c->cap = ncap;
	}
	c->d[c->n++] = *day;
	return 0;
}

static int
cmp_day(const void *a, const void *b)
{
	const struct cal_day *x = a, *y = b;

	return (x->date > y->date) - (x->date < y->date);
}

int
calendar_parse_date(const char *s, int32_t *days)
{
	int64_t y, yy;
	int m, d;

	if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return -1;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1970 || y > 2199 || m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	int64_t n = civil_to_days(y, m, d);
	int mm, dd;
	civil_from_days(n, &yy, &mm, &dd);
	if (yy != y || mm != m || dd != d)
		return -1; /* 02-30 */
	*days = (int32_t)n;
	return 0;
}

const char *
calendar_fmt_date(int32_t days, char *out, size_t outlen)
{
	int64_t y;
	int m, d;

	civil_from_days(days, &y, &m, &d);
	snprintf(out, outlen, "%04lld-%02d-%02d", (long long)y, m, d);
	return out;
}

const char *
calendar_kind_name(enum cal_kind k)
{
	return k == CAL_HOLIDAY ? "holiday" : "workday";
}

/* ---- loading ------------------------------------------------------------ */

/* The string element i of list e, or NULL with a problem reported. */
static const char *
elem_str(struct cfgval *cv, const config_setting_t *e, int i, const char *what)
{
	const config_setting_t *s = config_setting_get_elem(e, (unsigned)i);
	const char *v = s ? config_setting_get_string(s) : NULL;

	if (v == NULL)
		cfgval_error(cv, e, "expected %s as a string", what);
	return v;
}

static void
add_day(struct cfgval *cv, struct calendar *c, const config_setting_t *e, int32_t date,
	enum cal_kind kind, const char *name)
{
	struct cal_day day = { .date = date, .kind = kind };

	if (strlen(name) >= sizeof(day.name) || !utf8_valid(name, strlen(name))) {
		cfgval_error(cv, e, "a day's name must be UTF-8 text of at most %zu bytes",
			     sizeof(day.name) - 1);
		return;
	}
	memcpy(day.name, name, strlen(name) + 1);
	if (cal_push(c, &day) != 0)
		cfgval_error(cv, e, "out of memory");
}

/* One entry of holidays: ( name, first, last ) or of workdays: ( name, day ). */
static void
parse_entry(struct cfgval *cv, struct calendar *c, const config_setting_t *e, enum cal_kind kind)
{
	int want = kind == CAL_HOLIDAY ? 3 : 2;
	const char *name, *a, *b;
	int32_t from, to;

	if ((config_setting_type(e) != CONFIG_TYPE_LIST &&
	     config_setting_type(e) != CONFIG_TYPE_ARRAY) ||
	    config_setting_length(e) != want) {
		cfgval_error(cv, e, kind == CAL_HOLIDAY
					    ? "a holiday is ( \"name\", \"first day\", \"last day\" )"
					    : "a working day is ( \"name\", \"YYYY-MM-DD\" )");
		return;
	}
	if ((name = elem_str(cv, e, 0, "the name")) == NULL ||
	    (a = elem_str(cv, e, 1, "a date")) == NULL)
		return;
	b = kind == CAL_HOLIDAY ? elem_str(cv, e, 2, "a date") : a;
	if (b == NULL)
		return;
	if (calendar_parse_date(a, &from) != 0 || calendar_parse_date(b, &to) != 0) {
		cfgval_error(cv, e, "\"%s\" is not a date YYYY-MM-DD",
			     calendar_parse_date(a, &from) != 0 ? a : b);
		return;
	}
	if (to < from || to - from > 31) {
		cfgval_error(cv, e, "holiday %s..%s: the last day must follow the first, within a month",
			     a, b);
		return;
	}
	for (int32_t d = from; d <= to; d++)
		add_day(cv, c, e, d, kind, name);
}

static void
parse_block(struct cfgval *cv, struct calendar *c, const config_setting_t *g)
{
	static const char *const keys[] = { "year", "holidays", "workdays", NULL };
	static const char *const lists[] = { "holidays", "workdays" };
	long year;

	if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
		cfgval_error(cv, g, "each year is a group { year = ...; holidays = (...); workdays = (...); }");
		return;
	}
	cfgval_keys(cv, g, keys);
	int rc = cfgval_int(cv, g, "year", 1970, 2199, &year);
	if (rc == 0)
		cfgval_error(cv, g, "missing 'year'");
	if (rc != 1)
		return;
	if (c->first == 0 || year < c->first)
		c->first = (int)year;
	if (year > c->last)
		c->last = (int)year;
	for (int k = 0; k < 2; k++) {
		const config_setting_t *l = config_setting_get_member(g, lists[k]);
		if (l == NULL)
			continue;
		if (config_setting_type(l) != CONFIG_TYPE_LIST) {
			cfgval_error(cv, l, "'%s' must be a list ( ... )", lists[k]);
			continue;
		}
		for (int i = 0; i < config_setting_length(l); i++)
			parse_entry(cv, c, config_setting_get_elem(l, (unsigned)i),
				    k == 0 ? CAL_HOLIDAY : CAL_WORKDAY);
	}
}

int
calendar_load_file(const char *path, struct calendar **out, struct diag *diag)
{
	struct cfgval cv = { path, diag };
	struct calendar *c = calloc(1, sizeof(*c));
	const config_setting_t *root, *l;
	size_t before = diag->n;
	config_t cfg;
	char a[16];

	config_init(&cfg);
	if (c == NULL) {
		diag_add(diag, path, 0, "out of memory");
		goto out;
	}
	if (cfgval_read_file(&cv, &cfg, path) != 0)
		goto out;
	root = config_root_setting(&cfg);
	static const char *const keys[] = { "calendar", NULL };
	cfgval_keys(&cv, root, keys);
	l = config_setting_get_member(root, "calendar");
	if (l == NULL || config_setting_type(l) != CONFIG_TYPE_LIST) {
		diag_add(diag, path, 0, "expected calendar = ( { year = ...; ... }, ... );");
		goto out;
	}
	for (int i = 0; i < config_setting_length(l); i++)
		parse_block(&cv, c, config_setting_get_elem(l, (unsigned)i));
	if (c->n > 1)
		qsort(c->d, c->n, sizeof(*c->d), cmp_day);
	for (size_t i = 1; i < c->n; i++)
		if (c->d[i].date == c->d[i - 1].date)
			diag_add(diag, path, 0, "%s is listed twice",
				 calendar_fmt_date(c->d[i].date, a, sizeof(a)));
out:
	config_destroy(&cfg);
	if (diag->n != before) {
		calendar_free(c);
		return -1;
	}
	*out = c;
	return 0;
}

void
calendar_free(struct calendar *c)
{
	if (c == NULL)
		return;
	free(c->d);
	free(c);
}

/* ---- the town's days ------------------------------------------------------ */

struct town {
	struct calendar *c;
	size_t shipped; /* c->d[0..shipped) is sorted; town days are appended after */
};

static int
town_day(void *arg, const char *date, const char *kind, const char *name)
{
	struct town *tw = arg;
	struct cal_day day = { .town = true };
	struct cal_day *have;

	if (calendar_parse_date(date, &day.date) != 0)
		return 0; /* the table's CHECK admits 2009-02-30: not a day */
	day.kind = strcmp(kind, "holiday") == 0 ? CAL_HOLIDAY : CAL_WORKDAY;
	if (strlcpy_checked(day.name, name, sizeof(day.name)) != 0)
		day.name[0] = '\0';
	have = tw->shipped ? bsearch(&day, tw->c->d, tw->shipped, sizeof(day), cmp_day) : NULL;
	if (have != NULL) {
		*have = day;
		return 0;
	}
	return cal_push(tw->c, &day);
}

int
calendar_with_town(const struct calendar *base, struct store *st, struct calendar **out)
{
	struct calendar *c = calloc(1, sizeof(*c));
	struct town tw = { c, 0 };
	int rc;

	if (c == NULL)
		return STORE_ERROR;
	if (base != NULL) {
		c->first = base->first;
		c->last = base->last;
		for (size_t i = 0; i < base->n; i++)
			if (cal_push(c, &base->d[i]) != 0) {
				calendar_free(c);
				return STORE_ERROR;
			}
	}
	tw.shipped = c->n;
	if ((rc = store_cal_list(st, town_day, &tw)) != STORE_OK) {
		calendar_free(c);
		return rc;
	}
	if (c->n > 1)
		qsort(c->d, c->n, sizeof(*c->d), cmp_day);
	*out = c;
	return STORE_OK;
}

/* ---- questions ------------------------------------------------------------ */

const struct cal_day *
calendar_find(const struct calendar *c, int32_t date)
{
	struct cal_day key = { .date = date };

	if (c == NULL || c->n == 0)
		return NULL;
	return bsearch(&key, c->d, c->n, sizeof(*c->d), cmp_day);
}

static bool
day_is_workday(const struct calendar *c, int64_t days)
{
	const struct cal_day *d = calendar_find(c, (int32_t)days);
	int wd;

	if (d != NULL)
		return d->kind == CAL_WORKDAY;
	wd = civil_weekday(days);
	return wd != 0 && wd != 6;
}

bool
calendar_is_workday(const struct calendar *c, int y, int m, int d)
{
	return day_is_workday(c, civil_to_days(y, m, d));
}

size_t
calendar_count(const struct calendar *c)
{
	return c ? c->n : 0;
}

const struct cal_day *
calendar_at(const struct calendar *c, size_t i)
{
	return &c->d[i];
}

void
calendar_years(const struct calendar *c, int *first, int *last)
{
	*first = c ? c->first : 0;
	*last = c ? c->last : 0;
}

/* The local day number of instant t. */
static int64_t
local_day(int64_t t)
{
	struct tm tm;

	time_local(t, &tm);
	return civil_to_days(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

long
calendar_workdays_between(const struct calendar *c, int64_t from, int64_t to)
{
	int64_t a = local_day(from), b = local_day(to);
	long n = 0, sign = 1;

	if (b < a) {
		int64_t t = a;
		a = b;
		b = t;
		sign = -1;
	}
	if (b - a > 3660)
		b = a + 3660;
	for (int64_t d = a + 1; d <= b; d++)
		if (day_is_workday(c, d))
			n++;
	return sign * n;
}

uint64_t
calendar_fingerprint(const struct calendar *c)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; c != NULL && i < c->n; i++) {
		uint64_t x = (uint64_t)(uint32_t)c->d[i].date << 1 | (c->d[i].kind == CAL_WORKDAY);
		for (int b = 0; b < 8; b++) {
			h ^= (x >> (8 * b)) & 0xff;
			h *= 1099511628211ULL;
		}
	}
	return h;
}

/* ---- actions --------------------------------------------------------------- */

static bool
kind_ok(const char *kind)
{
	return kind != NULL && (strcmp(kind, "holiday") == 0 || strcmp(kind, "workday") == 0);
}

int
calendar_day_put(struct duban_ctx *x, const char *date, const char *kind, const char *name)
{
	char detail[160];
	int32_t d;
	bool replaced;
	int rc;

	if (calendar_parse_date(date, &d) != 0)
		return action_refuse(x, ACTION_INVALID, _("\"%s\" is not a date YYYY-MM-DD"), date);
	if (!kind_ok(kind))
		return action_refuse(x, ACTION_INVALID,
				     _("\"%s\": a day is either \"holiday\" or \"workday\""), kind);
	if (name == NULL)
		name = "";
	if (strlen(name) >= CAL_NAME_MAX || !utf8_valid(name, strlen(name)))
		return action_refuse(x, ACTION_INVALID,
				     _("--name must be UTF-8 text of at most %d bytes"), CAL_NAME_MAX - 1);
	if ((rc = store_begin(x->st)) != STORE_OK)
		return action_fail(x, rc);
	if ((rc = store_cal_put(x->st, date, kind, name, time_now(), &replaced)) != STORE_OK)
		return action_abort(x, rc);
	snprintf(detail, sizeof(detail), "%s%s%s%s", kind, *name ? " " : "", name,
		 replaced ? " (replaced)" : "");
	return action_commit(x, "calendar.add", date, detail);
}

int
calendar_day_remove(struct duban_ctx *x, const char *date, const char *kind)
{
	const char *had = NULL;
	int32_t d;
	int rc;

	if (calendar_parse_date(date, &d) != 0)
		return action_refuse(x, ACTION_INVALID, _("\"%s\" is not a date YYYY-MM-DD"), date);
	if (kind != NULL && !kind_ok(kind))
		return action_refuse(x, ACTION_INVALID,
				     _("\"%s\": a day is either \"holiday\" or \"workday\""), kind);
	if ((rc = store_begin(x->st)) != STORE_OK)
		return action_fail(x, rc);
	if ((rc = store_cal_remove(x->st, date, &had)) != STORE_OK)
		return action_abort(x, rc);
	if (kind != NULL && strcmp(kind, had) != 0) {
		store_rollback(x->st);
		return action_refuse(x, ACTION_INVALID,
				     _("%s is listed by the town as a %s, not a %s"), date, had,
				     kind);
	}
	return action_commit(x, "calendar.remove", date, had);
}
