/*
 * duration.h - spans of time as rules write them: "7d", "36h", "90m",
 * "30s", "1d12h".  Days are kept apart from the rest because a day in
 * local time is a calendar day (23 or 25 hours across a DST change), not
 * 86400 seconds; the scheduler adds them with the zone's calendar.
 */
#ifndef DUBAN_DURATION_H
#define DUBAN_DURATION_H

#include <stdint.h>

struct duration {
	long days;
	long seconds;
};
/* Parse a duration; 0, or -1 (empty, no unit, unknown unit, overflow). */
int duration_parse(const char *s, struct duration *out);
/* Total seconds assuming 24-hour days (for retry policies and the like). */
int64_t duration_seconds(const struct duration *d);

#endif
