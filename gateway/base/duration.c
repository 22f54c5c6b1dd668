/*
 * duration.c - parsing durations.  Each number is bounded while it is
 * read, so "99999999999999d" is refused rather than wrapping.
 */
#include "base/duration.h"

#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>

int
duration_parse(const char *s, struct duration *out)
{
	struct duration d = { 0, 0 };
	bool any = false;

	if (s == NULL)
		return -1;
	while (*s != '\0') {
		long v = 0;
		int digits = 0;
		while (isdigit((unsigned char)*s)) {
			if (v > 100000000L)
				return -1;
			v = v * 10 + (*s++ - '0');
			digits++;
		}
		if (digits == 0)
			return -1;
		switch (*s++) {
		case 'w': d.days += 7 * v; break;
		case 'd': d.days += v; break;
		case 'h': d.seconds += v * 3600; break;
		case 'm': d.seconds += v * 60; break;
		case 's': d.seconds += v; break;
		default: return -1;
		}
		if (d.days > 100000 || d.seconds > 100000L * 86400)
			return -1;
		any = true;
	}
	if (!any)
		return -1;
	*out = d;
	return 0;
}

int64_t
duration_seconds(const struct duration *d)
{
	return (int64_t)d->days * 86400 + d->seconds;
}
