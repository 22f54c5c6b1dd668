/*
 * zone.h - the clock (real or replaced by DUBAN_NOW) and local-time
 * conversions in the configured time zone.
 */
#ifndef DUBAN_ZONE_H
#define DUBAN_ZONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/*
 * Set the process time zone (an IANA name such as "Asia/Shanghai").  All
 * local-time functions below use it.  Returns 0, or -1 if no such zone is
 * installed.
 */
int time_set_zone(const char *zone);
/* True if the zone exists in the system's zoneinfo database. */
bool time_zone_exists(const char *zone);
/*
 * Now as UTC seconds: the real clock, or DUBAN_NOW (local time,
 * "YYYY-MM-DD HH:MM[:SS]") when set.  A bad DUBAN_NOW is reported by
 * time_check_env().
 */
int64_t time_now(void);
/* 0, or -1 with err when DUBAN_NOW is set but unreadable. */
int time_check_env(char *err, size_t errlen);
/* Monotonic milliseconds, for timers. */
int64_t time_mono_ms(void);
/*
 * Parse local "YYYY-MM-DD", "YYYY-MM-DD HH:MM" or "YYYY-MM-DD HH:MM:SS".
 * A date alone means end_of_day ? 23:59 : 00:00.  Returns 0 and UTC
 * seconds, or -1 (bad form, impossible date, or a local time that does not
 * exist).
 */
int time_parse_local(const char *s, bool end_of_day, int64_t *out);
/* Format UTC seconds as local "YYYY-MM-DD HH:MM" into out (>= 20 bytes). */
const char *time_fmt_local(int64_t t, char *out, size_t outlen);
/* Broken-down local time of t. */
void time_local(int64_t t, struct tm *tm);
/*
 * UTC seconds of the local wall-clock time y-m-d h:mi (normalising
 * out-of-range fields, DST-safe: a time in a spring-forward gap moves
 * forward, an ambiguous time takes the earlier instant).
 */
int64_t time_from_local(int y, int m, int d, int h, int mi, int s);
/* Parse "HH:MM" into minutes after midnight; 0 or -1 ("25:00", "9:60"). */
int time_parse_hhmm(const char *s, int *minutes);

#endif
