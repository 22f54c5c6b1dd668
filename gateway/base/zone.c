/*
 * zone.c - time zones read from TZif files (RFC 8536), and local time in
 * the configured one.
 *
 * A zone is loaded whole into a struct that never changes afterwards: the
 * transition instants with the type (UTC offset, DST or not) each one
 * starts, and the footer's POSIX TZ rule for the instants after the last
 * of them.  The configured zone is one atomic pointer.  time_set_zone()
 * builds the new struct completely, then publishes it with a release
 * store; a conversion loads the pointer once (acquire) and reads only
 * that struct, so a reload on SIGHUP needs no lock on the readers' side
 * and cannot be seen half done.  A struct once published is never freed
 * while the process runs, since a reader may still be using it: every one
 * stays on a list, and setting a zone equal to one already on it
 * publishes that one again.  Memory thus grows only when the zone really
 * changes (a new name, or a new tzdata), which happens a handful of times
 * in a daemon's life.
 *
 * Nothing here calls setenv("TZ") or the C library's local-time
 * functions: TZ is process-wide state that no thread may change while
 * another reads it, and glibc re-parses the POSIX rule on every
 * conversion past a zone's last transition, which for Asia/Shanghai is
 * every instant since 1991.  Here an offset is a few comparisons (a
 * binary search inside the table, the rule's two change instants past it).
 */
#include "base/zone.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/civil.h"

#define ZONE_FILE_MAX (256 * 1024) /* real TZif files are under 4 KiB */
#define FOOTER_MAX 256
#define UTOFF_MIN (-89999)         /* RFC 8536: -24:59:59 .. +25:59:59 */
#define UTOFF_MAX 93599
#define RULE_HOURS_MAX 167         /* RFC 8536's extension of a rule's time */

/* What a transition switches to: local = UTC + utoff. */
struct zone_type {
	int32_t utoff;
	bool isdst;
};

/* The day of a POSIX TZ rule change and its local time of day. */
struct rule_date {
	enum { DATE_JULIAN1, DATE_JULIAN0, DATE_MWD } kind;
	int month, week, day; /* Mm.w.d; Jn and n keep n in day */
	int32_t secs;         /* local time of day of the change, may be < 0 or > 24 h */
};

/* A POSIX TZ string: standard time, and DST between start and end. */
struct rule {
	int32_t std_off, dst_off; /* seconds east of UTC */
	bool has_dst;
	struct rule_date start, end;
};

struct zone {
	struct zone *kept;          /* the next older published zone (zone_state) */
	char *name;
	size_t ntrans;
	int64_t *trans;             /* ascending */
	uint8_t *trans_type;        /* index into types of what trans[i] starts */
	size_t ntypes;
	struct zone_type *types;
	struct zone_type before;    /* in force before trans[0], or always when ntrans is 0 */
	bool has_rule;              /* the footer, in force from trans[ntrans - 1] on */
	struct rule rule;
};

/* UTC needs no file: no transitions, offset 0 always. */
static const struct zone zone_utc = { .name = "UTC" };

/*
 * The configured zone.  current is what every conversion reads; kept
 * lists every zone ever published (newest first), which both keeps them
 * alive and lets an unchanged zone be published again instead of copied.
 * lock serialises the writers; readers never take it.
 */
static struct {
	pthread_mutex_t lock;
	_Atomic(const struct zone *) current;
	struct zone *kept;
} zone_state = { PTHREAD_MUTEX_INITIALIZER, &zone_utc, NULL };

/* ---- reading a TZif file ---------------------------------------------------------- */

/* The counts of a TZif header, and the version byte. */
struct tzif_head {
	unsigned char version;
	uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t
be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

static int
read_head(const unsigned char *p, size_t len, struct tzif_head *h)
{
	if (len < 44 || memcmp(p, "TZif", 4) != 0)
		return -1;
	h->version = p[4];
	h->isutcnt = be32(p + 20);
	h->isstdcnt = be32(p + 24);
	h->leapcnt = be32(p + 28);
	h->timecnt = be32(p + 32);
	h->typecnt = be32(p + 36);
	h->charcnt = be32(p + 40);
	return 0;
}

/* Bytes of the data block after a header, with tsize-byte times (4 or 8). */
static uint64_t
block_size(const struct tzif_head *h, unsigned tsize)
{
	return (uint64_t)h->timecnt * (tsize + 1) + (uint64_t)h->typecnt * 6 + h->charcnt +
	       (uint64_t)h->leapcnt * (tsize + 4) + h->isstdcnt + h->isutcnt;
}

/* "NAME: why" into err, when the caller wants it. */
static void
set_err(char *err, size_t errlen, const char *name, const char *why)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s: %s", name, why);
}

/*
 * Fill z's table from the data block at p (tsize-byte times), checking
 * every index and count.  Returns 0, or -1 with *why.
 */
static int
read_block(struct zone *z, const struct tzif_head *h, const unsigned char *p, unsigned tsize,
	   const char **why)
{
	const unsigned char *idx = p + (size_t)h->timecnt * tsize;
	const unsigned char *ttinfo = idx + h->timecnt;

	if (h->typecnt == 0 || h->typecnt > 256 || h->charcnt == 0 ||
	    h->isstdcnt > h->typecnt || h->isutcnt > h->typecnt) {
		*why = "impossible counts in its header";
		return -1;
	}
	if (h->leapcnt != 0) {
		*why = "leap-second zones are not supported";
		return -1;
	}
	z->ntrans = h->timecnt;
	z->ntypes = h->typecnt;
	z->trans = calloc(h->timecnt ? h->timecnt : 1, sizeof(*z->trans));
	z->trans_type = calloc(h->timecnt ? h->timecnt : 1, 1);
	z->types = calloc(h->typecnt, sizeof(*z->types));
	if (z->trans == NULL || z->trans_type == NULL || z->types == NULL) {
		*why = "out of memory";
		return -1;
	}
	for (size_t i = 0; i < z->ntrans; i++) {
		z->trans[i] = tsize == 8 ? be64(p + i * 8) : (int32_t)be32(p + i * 4);
		z->trans_type[i] = idx[i];
		if (idx[i] >= h->typecnt || (i > 0 && z->trans[i] <= z->trans[i - 1])) {
			*why = "transitions out of order or of no type";
			return -1;
		}
	}
	for (size_t i = 0; i < z->ntypes; i++) {
		const unsigned char *t = ttinfo + i * 6;
		int32_t off = (int32_t)be32(t);
		if (off < UTOFF_MIN || off > UTOFF_MAX || t[4] > 1 || t[5] >= h->charcnt) {
			*why = "a local time type out of range";
			return -1;
		}
		z->types[i] = (struct zone_type){ off, t[4] == 1 };
	}
	/* glibc's choice before the first transition: the first standard-time
	 * type, or type 0 if all are DST (RFC 8536 says type 0). */
	z->before = z->types[0];
	for (size_t i = 0; i < z->ntypes; i++)
		if (!z->types[i].isdst) {
			z->before = z->types[i];
			break;
		}
	return 0;
}

/* ---- POSIX TZ rules (the footer) ----------------------------------------------------- */

/* A zone abbreviation: 3 or more letters, or <...> of letters, digits, '+', '-'. */
static int
rule_name(const char **sp)
{
	const char *s = *sp;
	size_t n = 0;

	while (isalpha((unsigned char)s[n]))
		n++;
	if (n >= 3) {
		*sp = s + n;
		return 0;
	}
	if (*s++ != '<')
		return -1;
	for (n = 0; isalnum((unsigned char)s[n]) || s[n] == '+' || s[n] == '-'; n++)
		;
	if (s[n] != '>' || n < 3)
		return -1;
	*sp = s + n + 1;
	return 0;
}

/* Digits of hh[:mm[:ss]] (hours up to max_h) into seconds.  0 or -1. */
static int
rule_hms(const char **sp, long max_h, bool clamp, long *secs)
{
	const char *s = *sp;
	long part[3] = { 0, 0, 0 };
	int i = 0;

	if (!isdigit((unsigned char)*s))
		return -1;
	for (;;) {
		long v = 0;
		while (isdigit((unsigned char)*s)) {
			v = v * 10 + (*s++ - '0');
			if (v > 100000)
				return -1;
		}
		part[i++] = v;
		if (i == 3 || s[0] != ':' || !isdigit((unsigned char)s[1]))
			break;
		s++;
	}
	if (clamp) { /* as glibc reads an offset */
		part[0] = part[0] > 24 ? 24 : part[0];
		part[1] = part[1] > 59 ? 59 : part[1];
		part[2] = part[2] > 59 ? 59 : part[2];
	} else if (part[0] > max_h || part[1] > 59 || part[2] > 59) {
		return -1;
	}
	*secs = part[0] * 3600 + part[1] * 60 + part[2];
	*sp = s;
	return 0;
}

/* A POSIX offset ("8", "-8", "+5:30") as seconds east of UTC: POSIX counts west. */
static int
rule_offset(const char **sp, int32_t *off)
{
	const char *s = *sp;
	long sign = -1, v;

	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? 1 : -1;
	if (rule_hms(&s, 24, true, &v) != 0)
		return -1;
	*off = (int32_t)(sign * v);
	*sp = s;
	return 0;
}

static int
rule_num(const char **sp, int min, int max, int *out)
{
	const char *s = *sp;
	long v = 0;

	if (!isdigit((unsigned char)*s))
		return -1;
	while (isdigit((unsigned char)*s)) {
		v = v * 10 + (*s++ - '0');
		if (v > max)
			return -1;
	}
	if (v < min)
		return -1;
	*out = (int)v;
	*sp = s;
	return 0;
}

/* "Jn", "n" or "Mm.w.d", then an optional "/time" (default 02:00). */
static int
rule_date(const char **sp, struct rule_date *r)
{
	const char *s = *sp;
	long secs = 7200, sign = 1;

	if (*s == 'J') {
		s++;
		r->kind = DATE_JULIAN1;
		if (rule_num(&s, 1, 365, &r->day) != 0)
			return -1;
	} else if (*s == 'M') {
		s++;
		r->kind = DATE_MWD;
		if (rule_num(&s, 1, 12, &r->month) != 0 || *s++ != '.' ||
		    rule_num(&s, 1, 5, &r->week) != 0 || *s++ != '.' ||
		    rule_num(&s, 0, 6, &r->day) != 0)
			return -1;
	} else {
		r->kind = DATE_JULIAN0;
		if (rule_num(&s, 0, 365, &r->day) != 0)
			return -1;
	}
	if (*s == '/') {
		s++;
		if (*s == '+' || *s == '-')
			sign = *s++ == '-' ? -1 : 1;
		if (rule_hms(&s, RULE_HOURS_MAX, false, &secs) != 0)
			return -1;
	}
	r->secs = (int32_t)(sign * secs);
	*sp = s;
	return 0;
}

/*
 * Parse a POSIX TZ string as glibc's __tzset_parse_tz reads a TZif footer:
 * std offset [dst [offset] [,start[/time],end[/time]]], DST one hour
 * ahead when its offset is left out, and the US rules when the rules are.
 * 0, or -1 when any of it is malformed.
 */
static int
rule_parse(const char *s, struct rule *r)
{
	memset(r, 0, sizeof(*r));
	if (rule_name(&s) != 0 || rule_offset(&s, &r->std_off) != 0)
		return -1;
	r->dst_off = r->std_off;
	if (*s == '\0')
		return 0;
	if (rule_name(&s) != 0)
		return -1;
	r->has_dst = true;
	r->dst_off = r->std_off + 3600;
	if ((*s == '+' || *s == '-' || isdigit((unsigned char)*s)) && rule_offset(&s, &r->dst_off) != 0)
		return -1;
	if (*s == '\0' || (s[0] == ',' && s[1] == '\0')) {
		r->start = (struct rule_date){ DATE_MWD, 3, 2, 0, 7200 };
		r->end = (struct rule_date){ DATE_MWD, 11, 1, 0, 7200 };
		return 0;
	}
	if (*s++ != ',' || rule_date(&s, &r->start) != 0 || *s++ != ',' ||
	    rule_date(&s, &r->end) != 0 || *s != '\0')
		return -1;
	return 0;
}

static bool
is_leap(int64_t y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

/*
 * The instant of change d in year, read in local time of offset off (the
 * offset in force before the change), as glibc's compute_change has it:
 * years before 1970 count from 1970-01-01 (so a rule used then is off by
 * whole years, exactly as in the C library).
 */
static int64_t
rule_change(const struct rule_date *d, int64_t year, int32_t off)
{
	int64_t jan1 = civil_to_days(year, 1, 1);
	int64_t day = year > 1970 ? jan1 : 0;

	switch (d->kind) {
	case DATE_JULIAN1: /* 1..365, February 29 never counted */
		day += d->day - 1 + (d->day >= 60 && is_leap(year));
		break;
	case DATE_JULIAN0: /* 0..365 */
		day += d->day;
		break;
	case DATE_MWD: {
		int64_t first = civil_to_days(year, d->month, 1);
		int64_t mdays = civil_to_days(year, d->month + 1, 1) - first;
		int64_t md = d->day - civil_weekday(first);
		if (md < 0)
			md += 7;
		for (int i = 1; i < d->week && md + 7 < mdays; i++)
			md += 7; /* week 5: the last such weekday of the month */
		day += first - jan1 + md;
		break;
	}
	}
	return day * 86400 - off + d->secs;
}

/* The type a rule gives instant t, judged within t's UTC year (as glibc). */
static struct zone_type
rule_type(const struct rule *r, int64_t t)
{
	int64_t y;
	int m, d;

	if (!r->has_dst)
		return (struct zone_type){ r->std_off, false };
	civil_from_days(t >= 0 ? t / 86400 : -((-t + 86399) / 86400), &y, &m, &d);
	int64_t start = rule_change(&r->start, y, r->std_off);
	int64_t end = rule_change(&r->end, y, r->dst_off);
	/* DST across the new year (the southern hemisphere) when end < start */
	bool dst = start > end ? t < end || t >= start : t >= start && t < end;
	return (struct zone_type){ dst ? r->dst_off : r->std_off, dst };
}

/* ---- loading ------------------------------------------------------------------------ */

static void
zone_free(struct zone *z)
{
	if (z == NULL || z == &zone_utc)
		return;
	free(z->name);
	free(z->trans);
	free(z->trans_type);
	free(z->types);
	free(z);
}

/*
 * Build a zone from the TZif bytes p[0..len): the version 2+ (64-bit)
 * data when there is any, with its footer; a version 1 file's 32-bit data
 * otherwise.  0, or -1 with *why.
 */
static int
zone_parse(struct zone *z, const unsigned char *p, size_t len, const char **why)
{
	struct tzif_head h;
	unsigned tsize = 4;
	size_t off = 0;

	*why = "not a TZif file";
	if (read_head(p, len, &h) != 0 || block_size(&h, 4) > len - 44)
		return -1;
	if (h.version != 0) {
		off = 44 + (size_t)block_size(&h, 4);
		if (read_head(p + off, len - off, &h) != 0 || block_size(&h, 8) > len - off - 44)
			return -1;
		tsize = 8;
	}
	if (read_block(z, &h, p + off + 44, tsize, why) != 0)
		return -1;
	if (tsize == 4)
		return 0;

	/* The footer ends the file: "\n" TZ-string "\n"; an empty string means none. */
	const char *f = (const char *)p + off + 44 + (size_t)block_size(&h, 8);
	size_t n = len - (size_t)(f - (const char *)p);
	char tz[FOOTER_MAX];
	*why = "a malformed footer";
	if (n < 2 || f[0] != '\n' || f[n - 1] != '\n' || n - 2 >= sizeof(tz) ||
	    memchr(f + 1, '\n', n - 2) != NULL || memchr(f + 1, '\0', n - 2) != NULL)
		return -1;
	if (n == 2)
		return 0;
	memcpy(tz, f + 1, n - 2);
	tz[n - 2] = '\0';
	*why = "a footer that is not a POSIX TZ rule";
	if (rule_parse(tz, &z->rule) != 0)
		return -1;
	z->has_rule = true;
	return 0;
}

/* True if name may name a file under the zoneinfo directory. */
static bool
name_ok(const char *name)
{
	if (name == NULL || *name == '\0' || name[0] == '/' || strstr(name, "..") != NULL)
		return false;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && strchr("/_-+", *p) == NULL)
			return false;
	return true;
}

/* Read the zone file of name into a new zone.  0, or -1 with err. */
static int
zone_load(const char *name, struct zone **out, char *err, size_t errlen)
{
	const char *dir = getenv("TZDIR"), *why = NULL;
	char path[PATH_MAX];
	unsigned char *data = NULL;
	struct zone *z = NULL;
	struct stat st;
	size_t len = 0;
	int fd = -1, rc = -1;

	*out = NULL;
	if (!name_ok(name)) {
		set_err(err, errlen, name ? name : "(null)", "not a zone name");
		return -1;
	}
	if (dir == NULL || *dir == '\0')
		dir = "/usr/share/zoneinfo";
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path)) {
		set_err(err, errlen, name, "name too long");
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) != 0) {
		set_err(err, errlen, name, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size < 44 || st.st_size > ZONE_FILE_MAX) {
		set_err(err, errlen, name, "not a TZif file");
		goto out;
	}
	if ((data = malloc((size_t)st.st_size)) == NULL || (z = calloc(1, sizeof(*z))) == NULL ||
	    (z->name = strdup(name)) == NULL) {
		set_err(err, errlen, name, "out of memory");
		goto out;
	}
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, data + len, (size_t)st.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			set_err(err, errlen, name, n < 0 ? strerror(errno) : "file shrank");
			goto out;
		}
		len += (size_t)n;
	}
	if (zone_parse(z, data, len, &why) != 0) {
		set_err(err, errlen, name, why);
		goto out;
	}
	*out = z;
	z = NULL;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(data);
	zone_free(z);
	return rc;
}

/* True if a and b convert every instant alike (and have the same name). */
static bool
zone_same(const struct zone *a, const struct zone *b)
{
	const struct rule *ra = &a->rule, *rb = &b->rule;

	if (strcmp(a->name, b->name) != 0 || a->ntrans != b->ntrans || a->ntypes != b->ntypes ||
	    a->before.utoff != b->before.utoff || a->before.isdst != b->before.isdst ||
	    a->has_rule != b->has_rule)
		return false;
	if (a->ntrans > 0 && (memcmp(a->trans, b->trans, a->ntrans * sizeof(*a->trans)) != 0 ||
			      memcmp(a->trans_type, b->trans_type, a->ntrans) != 0))
		return false;
	for (size_t i = 0; i < a->ntypes; i++)
		if (a->types[i].utoff != b->types[i].utoff || a->types[i].isdst != b->types[i].isdst)
			return false;
	if (!a->has_rule)
		return true;
	const struct rule_date *d[4] = { &ra->start, &rb->start, &ra->end, &rb->end };
	for (int i = 0; i < 4; i += 2)
		if (d[i]->kind != d[i + 1]->kind || d[i]->month != d[i + 1]->month ||
		    d[i]->week != d[i + 1]->week || d[i]->day != d[i + 1]->day ||
		    d[i]->secs != d[i + 1]->secs)
			return false;
	return ra->std_off == rb->std_off && ra->dst_off == rb->dst_off && ra->has_dst == rb->has_dst;
}

int
zone_check(const char *zone, char *err, size_t errlen)
{
	struct zone *z;

	if (zone != NULL && strcmp(zone, "UTC") == 0)
		return 0;
	if (zone_load(zone, &z, err, errlen) != 0)
		return -1;
	zone_free(z);
	return 0;
}

bool
time_zone_exists(const char *zone)
{
	return zone_check(zone, NULL, 0) == 0;
}

int
time_set_zone(const char *zone)
{
	struct zone *z = NULL;
	const struct zone *pub = &zone_utc;

	if (zone == NULL)
		return -1;
	if (strcmp(zone, "UTC") != 0 && zone_load(zone, &z, NULL, 0) != 0)
		return -1;
	pthread_mutex_lock(&zone_state.lock);
	if (z != NULL) {
		struct zone *k = zone_state.kept;
		while (k != NULL && !zone_same(k, z))
			k = k->kept;
		if (k == NULL) {
			z->kept = zone_state.kept;
			zone_state.kept = z;
			k = z;
			z = NULL;
		}
		pub = k;
	}
	/* Everything pub points to was written before this store. */
	atomic_store_explicit(&zone_state.current, pub, memory_order_release);
	pthread_mutex_unlock(&zone_state.lock);
	zone_free(z); /* a copy of a zone already kept */
	return 0;
}

/* ---- conversions ---------------------------------------------------------------------- */

const struct zone *
zone_current(void)
{
	return atomic_load_explicit(&zone_state.current, memory_order_acquire);
}

static struct zone_type
zone_type_at(const struct zone *z, int64_t t)
{
	size_t lo, hi;

	if (z->ntrans == 0 || t < z->trans[0])
		return z->before;
	if (t >= z->trans[z->ntrans - 1])
		return z->has_rule ? rule_type(&z->rule, t) : z->types[z->trans_type[z->ntrans - 1]];
	/* trans[lo] <= t < trans[hi] */
	lo = 0;
	hi = z->ntrans - 1;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (t < z->trans[mid])
			hi = mid;
		else
			lo = mid;
	}
	return z->types[z->trans_type[lo]];
}

long
zone_offset(const struct zone *z, int64_t t)
{
	return zone_type_at(z, t).utoff;
}

static void
zone_local(const struct zone *z, int64_t t, struct tm *tm)
{
	struct zone_type ty = zone_type_at(z, t);

	civil_from_seconds(t + ty.utoff, tm);
	tm->tm_gmtoff = ty.utoff;
	tm->tm_isdst = ty.isdst;
}

static int64_t
zone_from_local(const struct zone *z, int y, int m, int d, int h, int mi, int s)
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
	o = zone_offset(z, local - 86400);
	o2 = zone_offset(z, local + 86400);
	t = local - o;
	bool first = zone_offset(z, t) == o;
	int64_t t2 = local - o2;
	bool second = zone_offset(z, t2) == o2;
	if (first && second)
		return t < t2 ? t : t2;
	if (second)
		return t2;
	return t;
}

void
time_local(int64_t t, struct tm *tm)
{
	zone_local(zone_current(), t, tm);
}

int64_t
time_from_local(int y, int m, int d, int h, int mi, int s)
{
	return zone_from_local(zone_current(), y, m, d, h, mi, s);
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
	const struct zone *z = zone_current();
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
	int64_t t = zone_from_local(z, y, mo, d, h, mi, sec);
	zone_local(z, t, &tm);
	/* Reject 2008-02-30 (normalised to March) and nonexistent times. */
	if (tm.tm_year + 1900 != y || tm.tm_mon + 1 != mo || tm.tm_mday != d)
		return -1;
	*out = t;
	return 0;
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
