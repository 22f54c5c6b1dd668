/*
 * series.h - recurring tasks: monthly reports (每月5日前报送) and the like.
 * A series (base code T12, every week, month, quarter or year, on a day)
 * has one open occurrence at a time, a task of its own for reminders,
 * replies and reports (T12-2008-12); when it is done or its deadline
 * passes, the scheduler adds the next, a copy with the next deadline.
 */
#ifndef DUBAN_SERIES_H
#define DUBAN_SERIES_H

#include <stddef.h>
#include <stdint.h>

#include "core/ctx.h"

/* "week" | "month" | "quarter" | "year": 0, or -1. */
int series_every_ok(const char *every);
/*
 * The first deadline of a series from now: day (month, quarter, year: the
 * day of the month, 1..28; week: the weekday, 1 Monday .. 7 Sunday) of
 * this period at 23:59 local time, or of the next one when it has passed.
 * 0, or -1 for a bad every or day.
 */
int series_first_deadline(const char *every, int day, int64_t now, int64_t *deadline);
/* The deadline after prev in the series (its time of day kept). */
int64_t series_next_deadline(const char *every, int day, int64_t prev);
/* The code of the occurrence of base due at deadline: T12-2008-12 (month),
 * T12-2009-Q1, T12-2009, T12-2009-01-05 (week).  0, or -1 when too long. */
int series_code(const char *base, const char *every, int64_t deadline, char *out, size_t outlen);

/*
 * Action: make task code (just added, with its first deadline) the first
 * occurrence of a new series called by its code: the task is renamed to
 * its occurrence code (T12 -> T12-2008-12), audit "series.start".
 * out (may be NULL) gets the occurrence code.  ACTION_OK or an error.
 */
int series_start(struct duban_ctx *x, const char *code, const char *every, int day, char *out,
		 size_t outlen);
/* Action: stop a series (no more occurrences; the open one stays), or
 * change its day (day > 0; from the next occurrence on). */
int series_set(struct duban_ctx *x, const char *code, bool stop, int day);
/*
 * In the caller's transaction: for every active series whose latest
 * occurrence is closed or past its deadline at now, add the next (audit
 * "task.add" by "scheduler"); *added counts them.  STORE_OK or an error.
 */
int series_advance(struct store *st, int64_t now, size_t *added);
/* Whether some series needs series_advance at now (a read). */
int series_pending(struct store *st, int64_t now, bool *pending);

#endif
