/*
 * store_calendar.h - the town's own days of the calendar (calendar_day):
 * local festivals it rests on, weekend days it works.  The shipped State
 * Council days are a file (calendar/cn.cfg); these are what "duban
 * calendar add" writes over them.
 */
#ifndef DUBAN_STORE_CALENDAR_H
#define DUBAN_STORE_CALENDAR_H

#include <stdint.h>

#include "store/store.h"

/*
 * Add or replace the town's day date ("YYYY-MM-DD"), kind "holiday" or
 * "workday", name (may be "").  *replaced (may be NULL) says whether the
 * date was already listed.  STORE_OK or STORE_ERROR.
 */
int store_cal_put(struct store *st, const char *date, const char *kind, const char *name,
		  int64_t now, bool *replaced);
/* Remove the town's day date: STORE_OK, STORE_NOTFOUND or STORE_ERROR.
 * *kind (may be NULL) gets the kind it had: "holiday" or "workday"
 * (static). */
int store_cal_remove(struct store *st, const char *date, const char **kind);
/* Call fn for every town day in date order; fn returns non-zero to stop
 * (then STORE_ERROR).  STORE_OK or STORE_ERROR. */
int store_cal_list(struct store *st,
		   int (*fn)(void *arg, const char *date, const char *kind, const char *name),
		   void *arg);

/* The latest deadline of an open task: *deadline (UTC seconds; 0 when
 * none) and *code (its task's code, the caller frees; NULL when none).
 * STORE_OK or STORE_ERROR. */
int store_cal_latest_deadline(struct store *st, int64_t *deadline, char **code);

#endif
