/*
 * zone.h - local time in the configured time zone.  duban reads the zone
 * itself from the system's TZif file (/usr/share/zoneinfo/NAME, or under
 * $TZDIR) instead of setting TZ for the C library, so that the zone can
 * change on a reload while other threads convert times: the zone is an
 * immutable struct, time_set_zone() publishes a new one with one atomic
 * store, and every conversion loads it once and uses only that one.
 *
 * Local time follows the C library's (glibc's) reading of the file: the
 * table of transitions, the first standard-time type before the first
 * transition, and the file's POSIX TZ rule ("CST-8", "EST5EDT,M3.2.0,
 * M11.1.0") for every instant from the last transition on.  Leap-second
 * ("right/") zones are refused: duban's UTC seconds are POSIX seconds.
 */
#ifndef DUBAN_ZONE_H
#define DUBAN_ZONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* A time zone as read from its TZif file; immutable, never freed once in use. */
struct zone;

/*
 * Make zone (an IANA name such as "Asia/Shanghai", or "UTC", which needs
 * no file) the one every local-time function below uses, from the next
 * call on, in every thread.  Safe to call while other threads convert
 * times; calls are serialised.  Setting the zone in force again (a reload
 * that does not change it) publishes the same struct.  Returns 0, or -1
 * if there is no such zone or its file is not a valid TZif file (the zone
 * in force stays).  Until the first call the zone is UTC.
 */
int time_set_zone(const char *zone);
/*
 * 0 if zone names a time zone duban can use (a TZif file under the
 * zoneinfo directory, or "UTC"); -1 with err saying why not ("not a TZif
 * file", "No such file or directory", ...).
 */
int zone_check(const char *zone, char *err, size_t errlen);
/* True if zone_check() accepts zone. */
bool time_zone_exists(const char *zone);

/*
 * The zone in force (never NULL; valid for the life of the process).  A
 * function that converts several times loads it once, so that a reload
 * in between cannot give it half of one zone and half of another.
 */
const struct zone *zone_current(void);
/* The UTC offset of zone z at instant t, in seconds east of UTC. */
long zone_offset(const struct zone *z, int64_t t);

/*
 * Parse local "YYYY-MM-DD", "YYYY-MM-DD HH:MM" or "YYYY-MM-DD HH:MM:SS".
 * A date alone means end_of_day ? 23:59 : 00:00.  Returns 0 and UTC
 * seconds, or -1 (bad form, impossible date, or a local time that does not
 * exist).
 */
int time_parse_local(const char *s, bool end_of_day, int64_t *out);
/* Format UTC seconds as local "YYYY-MM-DD HH:MM" into out (>= 20 bytes). */
const char *time_fmt_local(int64_t t, char *out, size_t outlen);
/*
 * Broken-down local time of t; tm_gmtoff is the zone's offset then and
 * tm_isdst whether that is daylight saving time; tm_zone is NULL.
 */
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
