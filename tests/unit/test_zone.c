/*
 * test_zone.c - the clock and local-time conversions (checked against the C
 * library across zones with and without daylight saving), times of day and
 * durations.
 */
#include "unit.h"

#include <ftw.h>
#include <sys/stat.h>
#include <time.h>

#include "base/duration.h"
#include "base/zone.h"

static const char *const zones[] = { "Asia/Shanghai", "America/New_York", "Europe/London",
				     "Australia/Lord_Howe", "Asia/Kathmandu", "UTC" };

/*
 * Point the C library at zone too, for the tests that compare with it.
 * Only tests do this, and only while no other thread runs: duban itself
 * never sets TZ.
 */
static void
libc_zone(const char *zone)
{
	assert_int_equal(setenv("TZ", zone, 1), 0);
	tzset();
}

/* time_local agrees with localtime_r everywhere, 1969 to 2049. */
static void
test_local_matches_libc(void **state)
{
	(void)state;
	for (size_t z = 0; z < sizeof(zones) / sizeof(zones[0]); z++) {
		libc_zone(zones[z]);
		assert_int_equal(time_set_zone(zones[z]), 0);
		for (int64_t t = -86400 * 400; t < 86400LL * 365 * 80; t += 86400 * 3 + 3607) {
			struct tm a, b;
			time_t tt = (time_t)t;
			localtime_r(&tt, &a);
			time_local(t, &b);
			assert_int_equal(a.tm_year, b.tm_year);
			assert_int_equal(a.tm_mon, b.tm_mon);
			assert_int_equal(a.tm_mday, b.tm_mday);
			assert_int_equal(a.tm_hour, b.tm_hour);
			assert_int_equal(a.tm_min, b.tm_min);
			assert_int_equal(a.tm_wday, b.tm_wday);
			assert_int_equal(a.tm_yday, b.tm_yday);
			/* and back; a wall-clock time that happens twice gives the earlier */
			int64_t mine = time_from_local(a.tm_year + 1900, a.tm_mon + 1, a.tm_mday,
						       a.tm_hour, a.tm_min, a.tm_sec);
			if (mine != t) {
				struct tm e;
				time_local(mine, &e);
				assert_true(mine < t);
				assert_int_equal(e.tm_hour, a.tm_hour);
				assert_int_equal(e.tm_min, a.tm_min);
				assert_int_equal(e.tm_mday, a.tm_mday);
			}
			/* out-of-range days normalise as mktime does */
			struct tm d = a;
			d.tm_mday += 40;
			d.tm_isdst = -1;
			assert_int_equal((int64_t)mktime(&d),
					 time_from_local(a.tm_year + 1900, a.tm_mon + 1, a.tm_mday + 40,
							 a.tm_hour, a.tm_min, a.tm_sec));
		}
	}
}

static int64_t
utc(int y, int m, int d, int h, int mi)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi };
	return (int64_t)timegm(&tm);
}

/* Spring forward: a time in the gap moves forward; fall back: the earlier instant. */
static void
test_dst_gap_and_overlap(void **state)
{
	(void)state;
	assert_int_equal(time_set_zone("America/New_York"), 0);
	/* 2008-03-09 02:30 does not exist: read as EST, i.e. 03:30 EDT = 07:30Z */
	assert_int_equal(time_from_local(2008, 3, 9, 2, 30, 0), utc(2008, 3, 9, 7, 30));
	/* 2008-11-02 01:30 happens twice: the first, EDT = 05:30Z */
	assert_int_equal(time_from_local(2008, 11, 2, 1, 30, 0), utc(2008, 11, 2, 5, 30));
	/* a calendar day across the change is 23 hours */
	assert_int_equal(time_from_local(2008, 3, 9, 9, 0, 0) - time_from_local(2008, 3, 8, 9, 0, 0),
			 23 * 3600);
	assert_int_equal(time_set_zone("Asia/Shanghai"), 0);
	assert_int_equal(time_from_local(2008, 12, 31, 23, 59, 0), utc(2008, 12, 31, 15, 59));
	assert_int_equal(time_from_local(2008, 13, 1, 0, 0, 0), utc(2008, 12, 31, 16, 0));
}

static void
test_parse_local(void **state)
{
	int64_t t;
	(void)state;
	assert_int_equal(time_set_zone("Asia/Shanghai"), 0);
	assert_int_equal(time_parse_local("2008-12-31", true, &t), 0);
	assert_int_equal(t, utc(2008, 12, 31, 15, 59));
	assert_int_equal(time_parse_local("2008-12-31", false, &t), 0);
	assert_int_equal(t, utc(2008, 12, 30, 16, 0));
	assert_int_equal(time_parse_local("2008-12-31 09:30", true, &t), 0);
	assert_int_equal(t, utc(2008, 12, 31, 1, 30));
	assert_int_equal(time_parse_local("2008-02-30", true, &t), -1);
	assert_int_equal(time_parse_local("2008-12-31 24:00", true, &t), -1);
	assert_int_equal(time_parse_local("31/12/2008", true, &t), -1);
	assert_int_equal(time_parse_local("2008-12-31 9:30x", true, &t), -1);
}

static void
test_hhmm_and_duration(void **state)
{
	int m;
	struct duration d;
	(void)state;
	assert_int_equal(time_parse_hhmm("08:00", &m), 0);
	assert_int_equal(m, 480);
	assert_int_equal(time_parse_hhmm("9:05", &m), 0);
	assert_int_equal(m, 545);
	assert_int_equal(time_parse_hhmm("25:00", &m), -1);
	assert_int_equal(time_parse_hhmm("09:60", &m), -1);
	assert_int_equal(time_parse_hhmm("0900", &m), -1);
	assert_int_equal(duration_parse("1d12h", &d), 0);
	assert_int_equal(d.days, 1);
	assert_int_equal(d.seconds, 43200);
	assert_int_equal(duration_parse("36h", &d), 0);
	assert_int_equal(duration_seconds(&d), 129600);
	assert_int_equal(duration_parse("7", &d), -1);
	assert_int_equal(duration_parse("d", &d), -1);
	assert_int_equal(duration_parse("3y", &d), -1);
	assert_int_equal(duration_parse("", &d), -1);
}

/*
 * One zone against the C library: local fields, offset and DST flag at
 * every sample from t0 to t1 (step seconds apart), and the way back (a
 * wall-clock time that happens twice gives the earlier instant).
 * Returns the number of samples.
 */
static long
compare_with_libc(const char *zone, int64_t t0, int64_t t1, int64_t step)
{
	long n = 0;

	libc_zone(zone);
	assert_int_equal(time_set_zone(zone), 0);
	for (int64_t t = t0; t < t1; t += step, n++) {
		struct tm a, b;
		time_t tt = (time_t)t;
		localtime_r(&tt, &a);
		time_local(t, &b);
		if (a.tm_year != b.tm_year || a.tm_mon != b.tm_mon || a.tm_mday != b.tm_mday ||
		    a.tm_hour != b.tm_hour || a.tm_min != b.tm_min || a.tm_sec != b.tm_sec ||
		    a.tm_gmtoff != b.tm_gmtoff || a.tm_isdst != b.tm_isdst || a.tm_wday != b.tm_wday ||
		    a.tm_yday != b.tm_yday)
			fail_msg("%s at %lld: libc %04d-%02d-%02d %02d:%02d:%02d %+ld dst %d, "
				 "duban %04d-%02d-%02d %02d:%02d:%02d %+ld dst %d",
				 zone, (long long)t, a.tm_year + 1900, a.tm_mon + 1, a.tm_mday,
				 a.tm_hour, a.tm_min, a.tm_sec, a.tm_gmtoff, a.tm_isdst,
				 b.tm_year + 1900, b.tm_mon + 1, b.tm_mday, b.tm_hour, b.tm_min,
				 b.tm_sec, b.tm_gmtoff, b.tm_isdst);
		int64_t back = time_from_local(a.tm_year + 1900, a.tm_mon + 1, a.tm_mday, a.tm_hour,
					       a.tm_min, a.tm_sec);
		if (back != t) {
			struct tm e;
			time_local(back, &e);
			if (back > t || e.tm_hour != a.tm_hour || e.tm_min != a.tm_min ||
			    e.tm_mday != a.tm_mday)
				fail_msg("%s at %lld: back to %lld", zone, (long long)t,
					 (long long)back);
		}
	}
	return n;
}

static long zones_checked;

static int
check_one_zone(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	static const char *const skip_dirs[] = { "posix", "right" };
	const char *name = path + strlen("/usr/share/zoneinfo/");

	(void)st;
	(void)ftw;
	if (type != FTW_F)
		return 0;
	for (size_t i = 0; i < sizeof(skip_dirs) / sizeof(skip_dirs[0]); i++)
		if (strncmp(name, skip_dirs[i], strlen(skip_dirs[i])) == 0 &&
		    name[strlen(skip_dirs[i])] == '/')
			return 0;
	if (!time_zone_exists(name)) {
		/* zone.tab, tzdata.zi and the like; never a TZif file */
		char magic[4] = "";
		FILE *f = fopen(path, "rb");
		if (f != NULL && fread(magic, 1, 4, f) == 4 && memcmp(magic, "TZif", 4) == 0)
			fail_msg("%s is a TZif file, and refused", name);
		if (f != NULL)
			fclose(f);
		return 0;
	}
	/* 1800 to 2100, every 40 days and some hours */
	compare_with_libc(name, -5364662400LL, 4102444800LL, 86400 * 40 + 3607);
	zones_checked++;
	return 0;
}

/* Every zone of the system's tzdata agrees with the C library, 1800-2100. */
static void
test_every_zone_matches_libc(void **state)
{
	(void)state;
	if (getenv("TZDIR") != NULL || !time_zone_exists("America/New_York"))
		skip();
	assert_int_equal(nftw("/usr/share/zoneinfo", check_one_zone, 16, FTW_PHYS), 0);
	print_message("# %ld zones\n", zones_checked);
	assert_true(zones_checked > 300);
	assert_int_equal(time_set_zone("Asia/Shanghai"), 0);
}

/*
 * Past the last transition the footer's rule decides: hour by hour over
 * years where the table has ended (2037 on in "fat" files, earlier in
 * slim ones), and far out, in zones with northern and southern DST,
 * half-hour DST, negative DST (Dublin's winter "GMT" is its DST),
 * changes at 24:00 and 26:00 and at -1:00.
 */
static void
test_rules_match_libc(void **state)
{
	static const char *const rule_zones[] = {
		"America/New_York", "Europe/London",   "Australia/Lord_Howe", "America/Santiago",
		"Asia/Jerusalem",   "Pacific/Chatham", "Europe/Dublin",       "Australia/Sydney",
		"America/Nuuk",     "America/Havana",  "Africa/Casablanca",   "Asia/Shanghai",
		"America/Asuncion", "Asia/Gaza",
	};
	long n = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(rule_zones) / sizeof(rule_zones[0]); i++) {
		if (!time_zone_exists(rule_zones[i]))
			continue;
		/* 2036-01-01 to 2041-01-01, every hour and a few seconds */
		n += compare_with_libc(rule_zones[i], 2082758400LL, 2240611200LL, 3600 + 7);
		/* 2400 to 2402 */
		n += compare_with_libc(rule_zones[i], 13569465600LL, 13632624000LL, 3600 * 5 + 11);
	}
	assert_true(n > 100000);
	assert_int_equal(time_set_zone("Asia/Shanghai"), 0);
}

/* ---- TZif files made here ---------------------------------------------------------- */

static char tzdir[64];

static void
put32(FILE *f, uint32_t v)
{
	fputc((int)(v >> 24), f), fputc((int)(v >> 16 & 0xff), f);
	fputc((int)(v >> 8 & 0xff), f), fputc((int)(v & 0xff), f);
}

static void
put_head(FILE *f, char version, uint32_t timecnt, uint32_t typecnt, uint32_t charcnt,
	 uint32_t leapcnt)
{
	static const char zeros[15];
	fwrite("TZif", 1, 4, f);
	fputc(version, f);
	fwrite(zeros, 1, 15, f);
	put32(f, 0), put32(f, 0), put32(f, leapcnt), put32(f, timecnt), put32(f, typecnt);
	put32(f, charcnt);
}

/*
 * Write a version 2 file: an empty version 1 block, then one transition
 * at 1970-01-01 from type 0 (local mean time, utoff0) to type 1 (utoff1),
 * leapcnt leap records, and the footer (no newlines added when raw).
 */
static void
write_tzif(const char *name, int32_t utoff0, int32_t utoff1, uint32_t leapcnt,
	   const char *footer)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", tzdir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	put_head(f, '2', 0, 1, 4, 0);
	put32(f, 0), fputc(0, f), fputc(0, f), fwrite("LMT", 1, 4, f);
	put_head(f, '2', 1, 2, 8, leapcnt);
	put32(f, 0), put32(f, 0); /* the transition, 8 bytes */
	fputc(1, f);
	put32(f, (uint32_t)utoff0), fputc(0, f), fputc(0, f);
	put32(f, (uint32_t)utoff1), fputc(0, f), fputc(4, f);
	fwrite("LMT\0STD", 1, 8, f);
	for (uint32_t i = 0; i < leapcnt; i++)
		put32(f, 0), put32(f, 78796800u + i), put32(f, i + 1);
	fputs(footer, f);
	fclose(f);
}

static void
write_file(const char *name, const void *data, size_t len)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", tzdir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static void
expect_refused(const char *name, const char *why)
{
	const struct zone *before = zone_current();
	char err[256];

	assert_false(time_zone_exists(name));
	assert_int_equal(zone_check(name, err, sizeof(err)), -1);
	if (strstr(err, why) == NULL)
		fail_msg("%s: \"%s\" lacks \"%s\"", name, err, why);
	assert_int_equal(time_set_zone(name), -1);
	assert_ptr_equal(zone_current(), before); /* the zone in force stays */
}

/* time_zone_exists() accepts TZif files only, and says why not. */
static void
test_refused(void **state)
{
	char cmd[256], path[128], *real = NULL;
	size_t len = 0;

	(void)state;
	/* the system's files: a directory, text files, names outside the tree */
	assert_true(time_zone_exists("Asia/Shanghai"));
	assert_true(time_zone_exists("UTC"));
	if (time_zone_exists("America/New_York")) {
		assert_false(time_zone_exists("America"));
		assert_false(time_zone_exists("zone.tab"));
		assert_false(time_zone_exists("tzdata.zi"));
		assert_false(time_zone_exists("iso3166.tab"));
	}
	assert_false(time_zone_exists("Asia/Nowhere"));
	assert_false(time_zone_exists("../../etc/passwd"));
	assert_false(time_zone_exists("/etc/passwd"));
	assert_false(time_zone_exists(""));
	assert_false(time_zone_exists(NULL));
	assert_false(time_zone_exists("Asia/Shang hai"));

	/* files made here */
	assert_int_equal(time_set_zone("Asia/Shanghai"), 0);
	snprintf(tzdir, sizeof(tzdir), "/tmp/duban-tz.XXXXXX");
	assert_non_null(mkdtemp(tzdir));
	FILE *f = fopen("/usr/share/zoneinfo/Asia/Shanghai", "rb");
	assert_non_null(f);
	real = malloc(1 << 16);
	len = fread(real, 1, 1 << 16, f);
	fclose(f);
	write_file("Copy", real, len);
	write_file("Truncated", real, len / 2);
	write_file("NoFooter", real, len - 3);
	write_file("Short", real, 30);
	write_file("Empty", "", 0);
	write_file("Text", "Asia/Shanghai\n", 14);
	real[0] = 'X';
	write_file("Magic", real, len);
	free(real);
	write_tzif("Good", 3600, 7200, 0, "\nAAA-2BBB,J60/2,300/25\n");
	write_tzif("Leap", 0, 0, 2, "\nUTC0\n");
	write_tzif("BadRule", 0, 3600, 0, "\nAAA-1BBB,M13.1.0,M10.5.0\n");
	write_tzif("BadName", 0, 3600, 0, "\nA-1\n");
	write_tzif("Trailing", 0, 3600, 0, "\nAAA-1\nxx");
	snprintf(path, sizeof(path), "%s/Dir", tzdir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(setenv("TZDIR", tzdir, 1), 0);

	assert_true(time_zone_exists("Copy"));
	assert_true(time_zone_exists("Good"));
	expect_refused("Truncated", "Truncated: not a TZif file");
	expect_refused("NoFooter", "NoFooter: a malformed footer");
	expect_refused("Short", "not a TZif file");
	expect_refused("Empty", "not a TZif file");
	expect_refused("Text", "not a TZif file");
	expect_refused("Magic", "not a TZif file");
	expect_refused("Dir", "not a TZif file");
	expect_refused("Missing", "Missing: No such file or directory");
	expect_refused("Leap", "leap-second zones are not supported");
	expect_refused("BadRule", "not a POSIX TZ rule");
	expect_refused("BadName", "not a POSIX TZ rule");
	expect_refused("Trailing", "a malformed footer");
	/* a copy converts like the original */
	assert_int_equal(time_set_zone("Copy"), 0);
	assert_int_equal(time_from_local(2008, 12, 31, 23, 59, 0), utc(2008, 12, 31, 15, 59));
	assert_int_equal(unsetenv("TZDIR"), 0);
	assert_int_equal(time_set_zone("Asia/Shanghai"), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tzdir);
	assert_int_equal(system(cmd), 0);
}

/*
 * Rules no real zone uses today, read by glibc and by duban from the same
 * made-up files: Julian days with and without February 29, changes at
 * negative times and past 24:00, DST all year, a "fall back" in spring.
 */
static void
test_made_up_rules(void **state)
{
	static const struct {
		const char *footer;
		int32_t utoff;
	} rules[] = {
		{ "\nAAA-2BBB,J60/2,J300/25\n", 7200 },
		{ "\nAAA-2BBB,59/0,300/-1\n", 7200 },
		{ "\nXXX-10YYY-11,M10.5.0/26,M3.1.0/-3\n", 36000 },
		{ "\n<+0330>-3:30<+0430>,J79/24,J263/24\n", 12600 },
		{ "\nEST5EDT,0/0,J365/25\n", -18000 },
		{ "\n<-03>3\n", -10800 },
		{ "\nAAA3BBB2:30,M4.5.6/1:30:15,M9.1.1/167\n", -10800 },
		{ "\nCET-1CEST,M3.5.0,M10.5.0/3\n", 3600 },
		{ "\nWET0WEST\n", 0 }, /* no rules: the US ones */
		{ "\nIST-1GMT0,M10.5.0,M3.5.0/1\n", 3600 },
	};
	char path[128], cmd[256];

	(void)state;
	snprintf(tzdir, sizeof(tzdir), "/tmp/duban-tz.XXXXXX");
	assert_non_null(mkdtemp(tzdir));
	assert_int_equal(setenv("TZDIR", tzdir, 1), 0);
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		char name[16];
		/* a new name each time: glibc does not reread a file of the same
		 * inode and modification second */
		snprintf(name, sizeof(name), "Rule%zu", i);
		write_tzif(name, 1234, rules[i].utoff, 0, rules[i].footer);
		snprintf(path, sizeof(path), "%s/%s", tzdir, name);
		if (!time_zone_exists(name))
			fail_msg("refused %s", rules[i].footer);
		/* glibc takes the file by its path; duban by its name under TZDIR */
		libc_zone(path);
		assert_int_equal(time_set_zone(name), 0);
		for (int64_t t = -86400 * 3; t < 86400LL * 365 * 70; t += 3600 * 5 + 13) {
			struct tm a, b;
			time_t tt = (time_t)t;
			localtime_r(&tt, &a);
			time_local(t, &b);
			if (a.tm_gmtoff != b.tm_gmtoff || a.tm_isdst != b.tm_isdst ||
			    a.tm_hour != b.tm_hour || a.tm_mday != b.tm_mday)
				fail_msg("%s at %lld: libc %+ld/%d, duban %+ld/%d", rules[i].footer,
					 (long long)t, a.tm_gmtoff, a.tm_isdst, b.tm_gmtoff,
					 b.tm_isdst);
		}
	}
	assert_int_equal(unsetenv("TZDIR"), 0);
	assert_int_equal(time_set_zone("Asia/Shanghai"), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tzdir);
	assert_int_equal(system(cmd), 0);
}

/* Setting the zone in force again publishes the same struct: a daemon
 * reloaded every hour does not grow. */
static void
test_same_zone_same_struct(void **state)
{
	(void)state;
	if (!time_zone_exists("America/New_York"))
		skip();
	assert_int_equal(time_set_zone("Asia/Shanghai"), 0);
	const struct zone *sh = zone_current();
	assert_int_equal(time_set_zone("Asia/Shanghai"), 0);
	assert_ptr_equal(zone_current(), sh);
	assert_int_equal(time_set_zone("America/New_York"), 0);
	const struct zone *ny = zone_current();
	assert_true(ny != sh);
	assert_int_equal(zone_offset(ny, utc(2008, 7, 1, 0, 0)), -4 * 3600);
	assert_int_equal(zone_offset(sh, utc(2008, 7, 1, 0, 0)), 8 * 3600); /* still usable */
	assert_int_equal(time_set_zone("Asia/Shanghai"), 0);
	assert_ptr_equal(zone_current(), sh);
	assert_int_equal(time_set_zone("America/New_York"), 0);
	assert_ptr_equal(zone_current(), ny);
	assert_int_equal(time_set_zone("UTC"), 0);
	assert_int_equal(zone_offset(zone_current(), utc(2008, 7, 1, 0, 0)), 0);
	assert_int_equal(time_set_zone("Asia/Shanghai"), 0);
	assert_ptr_equal(zone_current(), sh);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_local_matches_libc),
		cmocka_unit_test(test_dst_gap_and_overlap),
		cmocka_unit_test(test_parse_local),
		cmocka_unit_test(test_hhmm_and_duration),
		cmocka_unit_test(test_every_zone_matches_libc),
		cmocka_unit_test(test_rules_match_libc),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_made_up_rules),
		cmocka_unit_test(test_same_zone_same_struct),
	};
	return cmocka_run_group_tests_name("zone", tests, NULL, NULL);
}
