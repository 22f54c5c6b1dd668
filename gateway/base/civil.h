/*
 * civil.h - proleptic Gregorian date arithmetic on day and second counts
 * since 1970-01-01, and the number of local calendar days between two
 * instants.  Plain integer arithmetic (H. Hinnant's algorithms) instead of
 * timegm, gmtime_r and mktime, which the scheduler would call a dozen
 * times per task.
 */
#ifndef DUBAN_CIVIL_H
#define DUBAN_CIVIL_H

#include <stdint.h>
#include <time.h>

/*
 * Days since 1970-01-01 of the date y-m-d (m may be out of 1..12 and d out
 * of the month: both are normalised, as mktime does, so 2008-13-01 is
 * 2009-01-01 and 2008-03-00 is 2008-02-29).
 */
int64_t civil_to_days(int64_t y, int64_t m, int64_t d);
/* The date of day number days: *y, *m in 1..12 and *d in 1..31. */
void civil_from_days(int64_t days, int64_t *y, int *m, int *d);
/* The day of the week of day number days: 0 Sunday .. 6 Saturday. */
int civil_weekday(int64_t days);
/*
 * The broken-down time of t seconds since the epoch read as UTC (or as a
 * local wall clock shifted by its offset): every field of tm is set,
 * tm_gmtoff and tm_isdst to 0.
 */
void civil_from_seconds(int64_t t, struct tm *tm);
/*
 * Whole calendar days from the local date of instant from to the local
 * date of instant to, in the configured time zone (base/zone): an evening
 * and the next morning are 1 day apart, whatever the hours between them
 * (23 or 25 across a DST change); negative when to's date is earlier.
 * This is how reminders and reports count days ("已超期3天").
 */
long civil_days_between(int64_t from, int64_t to);

#endif
