/*
 * civil.h - proleptic Gregorian date arithmetic on day and second counts
 * since 1970-01-01: plain integer arithmetic (H. Hinnant's algorithms)
 * instead of timegm and gmtime_r, which the scheduler would call a dozen
 * times per task.
 */
#ifndef DUBAN_CIVIL_H
#define DUBAN_CIVIL_H

#include <stdint.h>
#include <time.h>

/*
 * Days since 1970-01-01 of the date y-m-d (m may be out of 1..12 and d out
 * of the month: both are normalised, as mktime does).
 */
int64_t civil_to_days(int64_t y, int64_t m, int64_t d);
/*
 * The broken-down time of t seconds since the epoch read as UTC (or as a
 * local wall clock shifted by its offset): every field of tm is set,
 * tm_gmtoff and tm_isdst to 0.
 */
void civil_from_seconds(int64_t t, struct tm *tm);

#endif
