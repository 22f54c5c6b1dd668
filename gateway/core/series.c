/*
 * series.c - recurring tasks: the calendar arithmetic of their deadlines
 * and codes, and the actions that start, stop and advance a series.
 */
#include "core/series.h"

#include <stdio.h>
#include <string.h>

#include "base/civil.h"
#include "base/log.h"
#include "base/zone.h"
#include "store/store_series.h"

static int
months_of(const char *every)
{
	return strcmp(every, "month") == 0 ? 1 : strcmp(every, "quarter") == 0 ? 3
					   : strcmp(every, "year") == 0	  ? 12
										  : 0;
}

int
series_every_ok(const char *every)
{
	return every != NULL && (months_of(every) > 0 || strcmp(every, "week") == 0) ? 0 : -1;
}

int
series_first_deadline(const char *every, int day, int64_t now, int64_t *deadline)
{
	struct tm tm;
	int months;

	if (series_every_ok(every) != 0)
		return -1;
	time_local(now, &tm);
	months = months_of(every);
	if (months == 0) {
		if (day < 1 || day > 7)
			return -1;
		int64_t today = civil_to_days(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
		int wd = civil_weekday(today); /* 0 Sunday */
		int want = day % 7;
		int ahead = (want - wd + 7) % 7;
		*deadline = time_from_local(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday + ahead, 23,
					    59, 0);
		return 0;
	}
	if (day < 1 || day > 28)
		return -1;
	*deadline = time_from_local(tm.tm_year + 1900, tm.tm_mon + 1, day, 23, 59, 0);
	if (*deadline < now)
		*deadline = time_from_local(tm.tm_year + 1900, tm.tm_mon + 1 + months, day, 23, 59, 0);
	return 0;
}

int64_t
series_next_deadline(const char *every, int day, int64_t prev)
{
	struct tm tm;
	int months = months_of(every);

	time_local(prev, &tm);
	if (months == 0)
		return time_from_local(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday + 7, tm.tm_hour,
				       tm.tm_min, 0);
	return time_from_local(tm.tm_year + 1900, tm.tm_mon + 1 + months, day, tm.tm_hour,
			       tm.tm_min, 0);
}

int
series_code(const char *base, const char *every, int64_t deadline, char *out, size_t outlen)
{
	struct tm tm;
	int n, y, m;

	time_local(deadline, &tm);
	y = tm.tm_year + 1900;
	m = tm.tm_mon + 1;
	if (strcmp(every, "month") == 0)
		n = snprintf(out, outlen, "%s-%04d-%02d", base, y, m);
	else if (strcmp(every, "quarter") == 0)
		n = snprintf(out, outlen, "%s-%04d-Q%d", base, y, (m - 1) / 3 + 1);
	else if (strcmp(every, "year") == 0)
		n = snprintf(out, outlen, "%s-%04d", base, y);
	else
		n = snprintf(out, outlen, "%s-%04d-%02d-%02d", base, y, m, tm.tm_mday);
	return n > 0 && (size_t)n < outlen ? 0 : -1;
}

int
series_start(struct duban_ctx *x, const char *code, const char *every, int day, char *out,
	     size_t outlen)
{
	struct task t = { 0 };
	char occ[64], detail[64];
	int64_t id;
	int rc;

	if (series_every_ok(every) != 0)
		return action_refuse(x, ACTION_INVALID,
				     "--every must be week, month, quarter or year, not \"%s\"", every);
	if ((rc = store_begin(x->st)) != STORE_OK)
		return action_fail(x, rc);
	if ((rc = store_task_find(x->st, code, &t)) != STORE_OK)
		return action_abort(x, rc);
	if (series_code(t.code, every, t.deadline, occ, sizeof(occ)) != 0) {
		task_clear(&t);
		store_rollback(x->st);
		return action_refuse(x, ACTION_INVALID, "task code %s is too long for a series", code);
	}
	rc = store_series_add(x->st, t.code, every, day, t.created_at, &id);
	if (rc == STORE_OK)
		rc = store_series_attach(x->st, t.id, id, occ);
	task_clear(&t);
	if (rc != STORE_OK)
		return action_abort(x, rc);
	if (out != NULL)
		snprintf(out, outlen, "%s", occ);
	snprintf(detail, sizeof(detail), "every %s, day %d", every, day);
	return action_commit(x, "series.start", occ, detail);
}

int
series_set(struct duban_ctx *x, const char *code, bool stop, int day)
{
	char detail[32];
	int rc;

	if (!stop && (day < 1 || day > 28))
		return action_refuse(x, ACTION_INVALID, "--day must be 1 to 28 (a weekday 1 to 7)");
	if ((rc = store_begin(x->st)) != STORE_OK)
		return action_fail(x, rc);
	if ((rc = store_series_set(x->st, code, stop ? "stopped" : NULL, stop ? 0 : day)) != STORE_OK)
		return action_abort(x, rc);
	snprintf(detail, sizeof(detail), "day %d", day);
	return action_commit(x, stop ? "series.stop" : "series.change", code, stop ? NULL : detail);
}

/* The series due for a next occurrence, copied out of the listing. */
struct due {
	struct {
		int64_t last, last_deadline;
		char code[32], every[8];
		int day;
	} s[64];
	size_t n;
};

static int
collect_due(void *arg, const struct series_row *r)
{
	struct due *d = arg;

	if (d->n == sizeof(d->s) / sizeof(d->s[0]))
		return 0; /* the rest at the next pass */
	d->s[d->n].last = r->last;
	d->s[d->n].last_deadline = r->last_deadline;
	snprintf(d->s[d->n].code, sizeof(d->s[d->n].code), "%s", r->code);
	snprintf(d->s[d->n].every, sizeof(d->s[d->n].every), "%s", r->every);
	d->s[d->n].day = r->day;
	d->n++;
	return 0;
}

int
series_pending(struct store *st, int64_t now, bool *pending)
{
	struct due d = { .n = 0 };
	int rc = store_series_each(st, true, now, collect_due, &d);

	*pending = d.n > 0;
	return rc;
}

int
series_advance(struct store *st, int64_t now, size_t *added)
{
	struct due d = { .n = 0 };
	int rc;

	*added = 0;
	if ((rc = store_series_each(st, true, now, collect_due, &d)) != STORE_OK)
		return rc;
	for (size_t i = 0; i < d.n; i++) {
		int64_t dl = series_next_deadline(d.s[i].every, d.s[i].day, d.s[i].last_deadline);
		char code[64];
		int64_t id;

		if (series_code(d.s[i].code, d.s[i].every, dl, code, sizeof(code)) != 0)
			continue;
		rc = store_series_next(st, d.s[i].last, code, dl, now, &id);
		if (rc == STORE_EXISTS) { /* someone made that code: the series cannot go on */
			log_warnx("series %s: %s exists already; stopping the series", d.s[i].code, code);
			if ((rc = store_series_set(st, d.s[i].code, "stopped", 0)) != STORE_OK)
				return rc;
			continue;
		}
		if (rc != STORE_OK || (rc = store_event(st, "scheduler", "task.add", code,
							 "next of its series")) != STORE_OK)
			return rc;
		(*added)++;
	}
	return STORE_OK;
}
