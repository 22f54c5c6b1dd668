/*
 * calendar.h - which days are working days: the State Council's official
 * holidays and 调休 working weekend days (calendar/cn.cfg, loaded with the
 * configuration), then the town's own days kept in the database (duban
 * calendar add).  A day the calendar does not list is a working day from
 * Monday to Friday.  workdays_only rule sets and {{task.workdays_left}}
 * count with it.
 */
#ifndef DUBAN_CALENDAR_H
#define DUBAN_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/diag.h"
#include "store/store.h"

enum cal_kind { CAL_HOLIDAY, CAL_WORKDAY };

#define CAL_NAME_MAX 64 /* bytes of a day's name ("国庆节、中秋节") with its NUL */

/* One listed day. */
struct cal_day {
	int32_t date;               /* days since 1970-01-01 (civil_to_days) */
	enum cal_kind kind;
	bool town;                  /* from the database, not the shipped file */
	char name[CAL_NAME_MAX];
};

struct calendar;

/*
 * Load a calendar file (see calendar/cn.cfg for the format): every block
 * and day checked, problems reported as "FILE:LINE: message".  Returns 0
 * and a new calendar in *out (calendar_free), or -1 with *out untouched.
 */
int calendar_load_file(const char *path, struct calendar **out, struct diag *diag);

/*
 * A copy of base (NULL: an empty calendar) with the town's own days of
 * the database over it: a town day replaces a shipped one of the same
 * date.  Returns STORE_OK and *out (calendar_free), or the store's code.
 */
int calendar_with_town(const struct calendar *base, struct store *st, struct calendar **out);

void calendar_free(struct calendar *c);

/* Whether local date y-m-d (normalised: day 32 is fine) is a working day.
 * c may be NULL: Monday to Friday. */
bool calendar_is_workday(const struct calendar *c, int y, int m, int d);
/* The listed day of date (days since the epoch), or NULL.  Owned by c. */
const struct cal_day *calendar_find(const struct calendar *c, int32_t date);
/* Listed days in date order. */
size_t calendar_count(const struct calendar *c);
const struct cal_day *calendar_at(const struct calendar *c, size_t i);
/* The first and last year a shipped block covers (0 and 0 when none). */
void calendar_years(const struct calendar *c, int *first, int *last);
/*
 * Working days from the local day of from to the local day of to: the
 * working days after from's day up to and including to's day when to is
 * later (so a deadline tomorrow, a working day, is 1), minus the working
 * days after to's day up to and including from's when earlier (overdue).
 * At most ten years apart are counted; further is clamped.
 */
long calendar_workdays_between(const struct calendar *c, int64_t from, int64_t to);
/* A fingerprint of every listed day, to notice that plans must be redone. */
uint64_t calendar_fingerprint(const struct calendar *c);
/* Parse a real date "YYYY-MM-DD" (1970..2199) into days since the epoch:
 * 0, or -1. */
int calendar_parse_date(const char *s, int32_t *days);
/* Write days as "YYYY-MM-DD" into out (at least 11 bytes); returns out. */
const char *calendar_fmt_date(int32_t days, char *out, size_t outlen);
/* "holiday" or "workday" (stable, for scripts). */
const char *calendar_kind_name(enum cal_kind k);

/*
 * Actions (core/ctx.h): the town's own days.  calendar_day_put lists date
 * ("YYYY-MM-DD") as kind ("holiday" or "workday") with name (may be "";
 * at most CAL_NAME_MAX - 1 bytes of UTF-8), replacing the town's earlier
 * entry for it; the shipped days of that date are overridden, not changed.
 * calendar_day_remove drops the town's entry for date; kind (NULL: any)
 * must match it.  Both record their audit event ("calendar.add",
 * "calendar.remove").  ACTION_OK, ACTION_INVALID, ACTION_NOTFOUND or
 * ACTION_ERROR, with x->err.
 */
struct duban_ctx;
int calendar_day_put(struct duban_ctx *x, const char *date, const char *kind, const char *name);
int calendar_day_remove(struct duban_ctx *x, const char *date, const char *kind);

#endif
