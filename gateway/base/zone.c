/*
 * zone.c - the clock and local time in the configured zone.
 *
 * The clock is the one piece of process-wide state here: DUBAN_NOW names a
 * local time that replaces "now" for tests and demos.  It is read once; after
 * that the replaced clock runs on at real speed, so a daemon started with
 * DUBAN_NOW behaves like one started at that moment.
 */
#include "base/zone.h"

#include <ctype.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/array.h"
#include "base/civil.h"

/*
 * The replaced clock: offset added to the real clock, read once.  The
 * offset cache is shared by the daemon's thread and the HTTP server's:
 * each slot is one atomic word holding its bucket and its offset, so a
 * reader sees either a whole entry or none.
 */
static struct {
	bool read;
	bool bad;
	int64_t offset;
	_Atomic unsigned zone_gen, cache_gen; /* the offset cache belongs to one zone */
	_Atomic uint64_t slot[4096];          /* (bucket + 1) << 32 | (uint32_t)offset; 0 = empty */
} clock_state;

bool
time_zone_exists(const char *zone)
{
	char path[PATH_MAX];
	const char *dir = getenv("TZDIR");
	struct stat st;

	if (zone == NULL || *zone == '\0' || zone[0] == '/' || strstr(zone, "..") != NULL)
		return false;
	for (const char *p = zone; *p; p++)
		if (!isalnum((unsigned char)*p) && strchr("/_-+", *p) == NULL)
			return false;
	if (dir == NULL || *dir == '\0')
		dir = "/usr/share/zoneinfo";
	if (snprintf(path, sizeof(path), "%s/%s", dir, zone) >= (int)sizeof(path))
		return false;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int
time_set_zone(const char *zone)
{
	if (strcmp(zone, "UTC") != 0 && !time_zone_exists(zone))
		return -1;
	if (setenv("TZ", zone, 1) != 0)
		return -1;
	tzset();
	atomic_fetch_add(&clock_state.zone_gen, 1);
	clock_state.read = false; /* DUBAN_NOW is local: reread in the new zone */
	return 0;
}

static int
parse_fields(const char *s, int *y, int *mo, int *d, int *h, int *mi, int *sec, bool *has_time)
{
	int n = 0;
	char tail;

	*h = *mi = *sec = 0;
	*has_time = false;
	if (sscanf(s, "%4d-%2d-%2d%n", y, mo, d, &n) != 3 || n != 10)
		return -1;
	if (s[n] == '\0')
		return 0;
	s += n;
	if (sscanf(s, " %2d:%2d:%2d%c", h, mi, sec, &tail) == 3) {
		/* with seconds */
	} else if (*sec = 0, sscanf(s, " %2d:%2d%c", h, mi, &tail) == 2) {
		/* without */
	} else {
		return -1;
	}
	if (s[0] != ' ' && s[0] != 'T')
		return -1;
	*has_time = true;
	return 0;
}

int
time_parse_local(const char *s, bool end_of_day, int64_t *out)
{
	int y, mo, d, h, mi, sec;
	bool has_time;
	struct tm tm;

	if (s == NULL || parse_fields(s, &y, &mo, &d, &h, &mi, &sec, &has_time) != 0)
		return -1;
	if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 ||
	    h > 23 || mi > 59 || sec > 59 || h < 0 || mi < 0 || sec < 0)
		return -1;
	if (!has_time && end_of_day) {
		h = 23;
		mi = 59;
	}
	int64_t t = time_from_local(y, mo, d, h, mi, sec);
	time_local(t, &tm);
	/* Reject 2008-02-30 (normalised to March) and nonexistent times. */
	if (tm.tm_year + 1900 != y || tm.tm_mon + 1 != mo || tm.tm_mday != d)
		return -1;
	*out = t;
	return 0;
}

/*
 * The zone's UTC offset at instant t, memoised in 15-minute buckets.
 *
 * glibc recomputes a zone's rule for every conversion past the last
 * transition of its table (all of this century for Asia/Shanghai), which
 * made the scheduler spend a fifth of its time in localtime_r.  A bucket is
 * cached only when the offset is the same at both of its ends, so a
 * transition inside one is always computed exactly.
 */
static long
zone_offset(int64_t t)
{
	enum { BUCKET = 900, SLOTS = 4096 };
	int64_t b = t >= 0 ? t / BUCKET : (t - BUCKET + 1) / BUCKET;
	/* Multiplicative hash: plain b % SLOTS made steps a whole number of
	 * days apart evict each other. */
	size_t slot = (size_t)(((uint64_t)b * 0x9E3779B97F4A7C15ULL) >> 52);
	/* Buckets outside 32 bits (years past 2100 and before 1970) are not cached. */
	bool cacheable = b >= 0 && b < (int64_t)UINT32_MAX;
	uint64_t tag = (uint64_t)(b + 1) << 32, e;
	unsigned gen = atomic_load_explicit(&clock_state.zone_gen, memory_order_acquire);
	struct tm tm, a, z;
	time_t tt = (time_t)t, ta = (time_t)(b * BUCKET), tz = (time_t)(b * BUCKET + BUCKET - 1);

	if (atomic_load_explicit(&clock_state.cache_gen, memory_order_acquire) != gen) {
		for (size_t i = 0; i < ARRAY_LEN(clock_state.slot); i++)
			atomic_store_explicit(&clock_state.slot[i], 0, memory_order_relaxed);
		atomic_store_explicit(&clock_state.cache_gen, gen, memory_order_release);
	} else if (cacheable &&
		   ((e = atomic_load_explicit(&clock_state.slot[slot], memory_order_relaxed)) >> 32) ==
			   tag >> 32) {
		return (long)(int32_t)(uint32_t)e;
	}
	localtime_r(&tt, &tm);
	localtime_r(&ta, &a);
	localtime_r(&tz, &z);
	if (cacheable && a.tm_gmtoff == z.tm_gmtoff && a.tm_gmtoff == tm.tm_gmtoff)
		atomic_store_explicit(&clock_state.slot[slot], tag | (uint32_t)(int32_t)tm.tm_gmtoff,
				      memory_order_relaxed);
	return tm.tm_gmtoff;
}

int64_t
time_from_local(int y, int m, int d, int h, int mi, int s)
{
	int64_t local, t;
	long o, o2;

	/* the wall-clock fields, normalised, as if UTC */
	local = civil_to_days(y, m, d) * 86400 + (int64_t)h * 3600 + (int64_t)mi * 60 + s;
	/*
	 * Find t with t + offset(t) == local, trying the offsets in force a
	 * day before and a day after (no zone changes twice within a day).
	 * A time that happens twice (clocks going back) takes the earlier
	 * instant; a time in a gap (clocks going forward) is read with the
	 * offset before the gap, so it moves forward, as mktime does.
	 */
	o = zone_offset(local - 86400);
	o2 = zone_offset(local + 86400);
	t = local - o;
	bool first = zone_offset(t) == o;
	int64_t t2 = local - o2;
	bool second = zone_offset(t2) == o2;
	if (first && second)
		return t < t2 ? t : t2;
	if (second)
		return t2;
	return t;
}

void
time_local(int64_t t, struct tm *tm)
{
	long off = zone_offset(t);

	civil_from_seconds(t + off, tm);
	tm->tm_gmtoff = off;
	tm->tm_isdst = -1; /* unknown here; nothing in duban reads it */
}

const char *
time_fmt_local(int64_t t, char *out, size_t outlen)
{
	struct tm tm;

	time_local(t, &tm);
	if (strftime(out, outlen, "%Y-%m-%d %H:%M", &tm) == 0 && outlen > 0)
		out[0] = '\0';
	return out;
}

static void
clock_read_env(void)
{
	const char *env = getenv("DUBAN_NOW");
	int64_t t;

	clock_state.read = true;
	clock_state.bad = false;
	clock_state.offset = 0;
	if (env == NULL || *env == '\0')
		return;
	if (time_parse_local(env, false, &t) != 0) {
		clock_state.bad = true;
		return;
	}
	clock_state.offset = t - (int64_t)time(NULL);
}

int
time_check_env(char *err, size_t errlen)
{
	if (!clock_state.read)
		clock_read_env();
	if (clock_state.bad) {
		snprintf(err, errlen,
			 "DUBAN_NOW=\"%s\": expected local time \"YYYY-MM-DD HH:MM[:SS]\"",
			 getenv("DUBAN_NOW"));
		return -1;
	}
	return 0;
}

int64_t
time_now(void)
{
	if (!clock_state.read)
		clock_read_env();
	return (int64_t)time(NULL) + clock_state.offset;
}

int64_t
time_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
time_parse_hhmm(const char *s, int *minutes)
{
	int h, m, n = 0;

	if (s == NULL || !isdigit((unsigned char)s[0]) ||
	    sscanf(s, "%2d:%2d%n", &h, &m, &n) != 2 || s[n] != '\0' ||
	    n < 4 || s[n - 3] != ':' || h < 0 || h > 23 || m < 0 || m > 59)
		return -1;
	*minutes = h * 60 + m;
	return 0;
}
