/*
 * civil.c - Gregorian calendar arithmetic.  Eras of 400 years (146097
 * days) make every computation a few divisions, valid for any year an
 * int64_t of days can hold.  Counting local calendar days is here too,
 * since it is date arithmetic once the zone has placed both instants on
 * the local calendar.
 */
#include "base/civil.h"

#include <string.h>

#include "base/zone.h"

/* floor(a / b) for b > 0: the day of a second before 1970 is negative. */
static int64_t
floor_div(int64_t a, int64_t b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

int64_t
civil_to_days(int64_t y, int64_t m, int64_t d)
{
	y += (m - 1 >= 0 ? (m - 1) / 12 : -((12 - m) / 12));
	m = ((m - 1) % 12 + 12) % 12 + 1;
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void
civil_from_days(int64_t days, int64_t *y, int *m, int *d)
{
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;

	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

int
civil_weekday(int64_t days)
{
	return (int)(((days % 7) + 11) % 7); /* 1970-01-01 was a Thursday */
}

void
civil_from_seconds(int64_t t, struct tm *tm)
{
	int64_t days = floor_div(t, 86400);
	int64_t secs = t - days * 86400;
	int64_t y;
	int m, d;

	civil_from_days(days, &y, &m, &d);
	memset(tm, 0, sizeof(*tm));
	tm->tm_year = (int)(y - 1900);
	tm->tm_mon = m - 1;
	tm->tm_mday = d;
	tm->tm_hour = (int)(secs / 3600);
	tm->tm_min = (int)(secs / 60 % 60);
	tm->tm_sec = (int)(secs % 60);
	tm->tm_wday = civil_weekday(days);
	tm->tm_yday = (int)(days - civil_to_days(y, 1, 1));
}

long
civil_days_between(int64_t from, int64_t to)
{
	const struct zone *z = zone_current(); /* one zone for both instants */

	return (long)(floor_div(to + zone_offset(z, to), 86400) -
		      floor_div(from + zone_offset(z, from), 86400));
}
