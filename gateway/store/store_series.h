/*
 * store_series.h - recurring tasks (task_series): a series has a base code
 * (T12), a period (week, month, quarter, year) and a day; each occurrence
 * is a task of its own (T12-2008-12) pointing at it, a copy of the one
 * before with the next deadline.
 */
#ifndef DUBAN_STORE_SERIES_H
#define DUBAN_STORE_SERIES_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

/* A series as stored. */
struct series_row {
	int64_t id;
	const char *code, *every, *status; /* borrowed during the callback */
	int day;
	int64_t last;          /* its latest occurrence (by deadline) */
	int64_t last_deadline;
	const char *last_code, *last_status;
};

/* Add series code (every, day); *id its id.  STORE_EXISTS when the code is taken. */
int store_series_add(struct store *st, const char *code, const char *every, int day, int64_t now,
		     int64_t *id);
/* Make task id occurrence code of series (renames it).  STORE_OK, STORE_EXISTS or STORE_ERROR. */
int store_series_attach(struct store *st, int64_t task, int64_t series, const char *code);
/*
 * Call fn for each series (active_due: only active ones whose latest
 * occurrence is closed or past its deadline at now), by code.  fn returns
 * non-zero to stop (STORE_ERROR).
 */
int store_series_each(struct store *st, bool active_due, int64_t now,
		      int (*fn)(void *arg, const struct series_row *r), void *arg);
/* Copy task from (title, detail, rules, team, people) as occurrence code of
 * its series with deadline; *id the new task.  STORE_EXISTS when code is taken. */
int store_series_next(struct store *st, int64_t from, const char *code, int64_t deadline,
		      int64_t now, int64_t *id);
/* Set a series' status ("active", "stopped") and, when day > 0, its day.
 * STORE_NOTFOUND when no series has code. */
int store_series_set(struct store *st, const char *code, const char *status, int day);

#endif
