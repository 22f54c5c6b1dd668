/*
 * util.c - diagnostics lists, bounded buffers, string helpers and the clock.
 *
 * The clock is the one piece of process-wide state here: DUBAN_NOW names a
 * local time that replaces "now" for tests and demos.  It is read once; after
 * that the replaced clock runs on at real speed, so a daemon started with
 * DUBAN_NOW behaves like one started at that moment.
 */
#include "base/util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- diagnostics -------------------------------------------------------- */

void
diag_add(struct diag *d, const char *file, long line, const char *fmt, ...)
{
	char msg[1024], full[1400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (file != NULL && line > 0)
		snprintf(full, sizeof(full), "%s:%ld: %s", file, line, msg);
	else if (file != NULL)
		snprintf(full, sizeof(full), "%s: %s", file, msg);
	else
		snprintf(full, sizeof(full), "%s", msg);

	if (d->n == d->cap) {
		size_t ncap = d->cap ? d->cap * 2 : 8;
		char **nl = realloc(d->line, ncap * sizeof(*nl));
		if (nl == NULL) {
			d->n++; /* counted, text lost */
			return;
		}
		d->line = nl;
		d->cap = ncap;
	}
	d->line[d->n++] = strdup(full);
}

void
diag_print(const struct diag *d, FILE *fp)
{
	for (size_t i = 0; i < d->n && i < d->cap; i++)
		fprintf(fp, "%s\n", d->line[i] ? d->line[i] : "(out of memory)");
}

void
diag_clear(struct diag *d)
{
	for (size_t i = 0; i < d->n && i < d->cap; i++)
		free(d->line[i]);
	free(d->line);
	d->line = NULL;
	d->n = d->cap = 0;
}

/* ---- bounded buffer ----------------------------------------------------- */

void
buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->max = max;
}

int
buf_add(struct buf *b, const void *data, size_t len)
{
	if (len > b->max - b->len || b->len + len > b->max)
		return -1;
	if (b->len + len + 1 > b->cap) {
		size_t ncap = b->cap ? b->cap : 64;
		while (ncap < b->len + len + 1)
			ncap *= 2;
		char *nd = realloc(b->data, ncap);
		if (nd == NULL)
			return -1;
		b->data = nd;
		b->cap = ncap;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int
buf_adds(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	char small[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n < sizeof(small))
		return buf_add(b, small, (size_t)n);

	char *big = malloc((size_t)n + 1);
	if (big == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	int rc = buf_add(b, big, (size_t)n);
	free(big);
	return rc;
}

void
buf_free(struct buf *b)
{
	if (b == NULL)
		return;
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

char *
buf_steal(struct buf *b)
{
	char *d = b->data;
	if (d == NULL)
		d = strdup("");
	b->data = NULL;
	b->len = b->cap = 0;
	return d;
}

/* ---- strings ------------------------------------------------------------ */

char *
xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

int
parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
strlcpy_checked(char *dst, const char *src, size_t size)
{
	size_t n = strlen(src);
	if (n >= size)
		return -1;
	memcpy(dst, src, n + 1);
	return 0;
}

/* Decode one UTF-8 sequence at s (len bytes left); 0 on error. */
static size_t
utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	uint32_t c;
	size_t n;

	if (len == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	} else if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		c = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		c = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n > len)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((n == 2 && c < 0x80) || (n == 3 && c < 0x800) ||
	    (n == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

bool
utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;

	while (len > 0) {
		size_t n = utf8_decode(p, len, &cp);
		if (n == 0)
			return false;
		p += n;
		len -= n;
	}
	return true;
}

static bool
is_wide(uint32_t c)
{
	return (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0x303e) ||
	       (c >= 0x3041 && c <= 0x33ff) || (c >= 0x3400 && c <= 0x4dbf) ||
	       (c >= 0x4e00 && c <= 0x9fff) || (c >= 0xa000 && c <= 0xa4cf) ||
	       (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) ||
	       (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) ||
	       (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x1f300 && c <= 0x1faff) ||
	       (c >= 0x20000 && c <= 0x3fffd);
}

size_t
utf8_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), w = 0;
	uint32_t cp;

	while (len > 0) {
		size_t n = utf8_decode(p, len, &cp);
		if (n == 0) {
			n = 1;
			cp = '?';
		}
		w += is_wide(cp) ? 2 : 1;
		p += n;
		len -= n;
	}
	return w;
}

char *
str_next_item(char **cursor)
{
	static const char fullwidth[] = "\xef\xbc\x9b"; /* ； */

	while (*cursor != NULL) {
		char *item = *cursor, *semi = strchr(item, ';'), *fw = strstr(item, fullwidth);
		char *end = semi;
		size_t skip = 1;

		if (fw != NULL && (end == NULL || fw < end)) {
			end = fw;
			skip = 3;
		}
		if (end == NULL) {
			*cursor = NULL;
		} else {
			*end = '\0';
			*cursor = end + skip;
		}
		if (*str_trim(item) != '\0')
			return item;
	}
	return NULL;
}

char *
str_trim(char *s)
{
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	size_t i = 0;
	while (isspace((unsigned char)s[i]))
		i++;
	if (i > 0)
		memmove(s, s + i, n - i + 1);
	return s;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
dir_list(const char *dir, const char *suffix, char ***names, size_t *n, char *err, size_t errlen)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **v = NULL;
	size_t cnt = 0, cap = 0, slen = strlen(suffix);

	if (d == NULL) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len <= slen || strcmp(de->d_name + len - slen, suffix) != 0)
			continue;
		if (cnt == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			char **nv = realloc(v, ncap * sizeof(*nv));
			if (nv == NULL)
				goto nomem;
			v = nv;
			cap = ncap;
		}
		if ((v[cnt] = strdup(de->d_name)) == NULL)
			goto nomem;
		cnt++;
	}
	closedir(d);
	if (cnt > 1)
		qsort(v, cnt, sizeof(*v), cmp_names);
	*names = v;
	*n = cnt;
	return 0;
nomem:
	closedir(d);
	for (size_t i = 0; i < cnt; i++)
		free(v[i]);
	free(v);
	snprintf(err, errlen, "out of memory");
	return -1;
}

/* ---- time --------------------------------------------------------------- */

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
 * Days since 1970-01-01 of a proleptic Gregorian date (m may be out of
 * 1..12 and d out of the month: both are normalised), and back.  Plain
 * arithmetic (H. Hinnant's algorithms) instead of timegm and gmtime_r,
 * which the scheduler calls a dozen times per task.
 */
static int64_t
days_from_civil(int64_t y, int64_t m, int64_t d)
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

static void
civil_from_seconds(int64_t t, struct tm *tm)
{
	int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	int64_t secs = t - days * 86400;
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t y = yoe + era * 400;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t d = doy - (153 * mp + 2) / 5 + 1;
	int64_t m = mp < 10 ? mp + 3 : mp - 9;

	y += m <= 2;
	memset(tm, 0, sizeof(*tm));
	tm->tm_year = (int)(y - 1900);
	tm->tm_mon = (int)(m - 1);
	tm->tm_mday = (int)d;
	tm->tm_hour = (int)(secs / 3600);
	tm->tm_min = (int)(secs / 60 % 60);
	tm->tm_sec = (int)(secs % 60);
	tm->tm_wday = (int)(((days % 7) + 11) % 7); /* 1970-01-01 was a Thursday */
	tm->tm_yday = (int)(days - days_from_civil(y, 1, 1));
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
	local = days_from_civil(y, m, d) * 86400 + (int64_t)h * 3600 + (int64_t)mi * 60 + s;
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
