/*
 * test_zone_threads.c - local-time conversions in several threads while
 * another thread keeps switching the zone, as the HTTP and database
 * threads convert times while the daemon reloads on SIGHUP.  Every result
 * must be exactly what one of the two zones gives (a conversion that saw
 * half of one zone and half of the other would give neither), and each
 * reader must see both zones.  Built with -fsanitize=thread, this is also
 * the data-race check of the clock and the zone.
 */
#include "unit.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "base/civil.h"
#include "base/clock.h"
#include "base/zone.h"

#define READERS 3
#define SAMPLES 64
#define MIN_SWITCHES 200
#define DEADLINE_MS 60000

static const char *const zone_name[2] = { "Asia/Shanghai", "America/New_York" };

/* What each zone gives for every sample, computed before any thread runs. */
static struct {
	int64_t t[SAMPLES];           /* instants, across both New York DST changes of 2008 */
	int wall[SAMPLES][6];         /* local wall times to convert back */
	struct {
		int64_t from_local[SAMPLES];
		char fmt[SAMPLES][24];
		long offset[SAMPLES];
		long days[SAMPLES];   /* civil_days_between(t[0], t[i]) */
		int parse_rc[SAMPLES];   /* time_parse_local of text[i], which may not */
		int64_t parsed[SAMPLES]; /* exist in the other zone (a DST gap) */
	} want[2];
	char text[SAMPLES][24];       /* strings to parse: zone 0's formatting */
} expect;

static struct {
	atomic_int readers_done;
	atomic_long wrong;
	atomic_long conversions;
	atomic_bool stop;
} shared;

/* Which zone's answer v is (0 or 1), or -1 for neither. */
static int
which64(int64_t v, int64_t a, int64_t b)
{
	return v == a ? 0 : v == b ? 1 : -1;
}

/* The answer pair (rc, v) is zone 0's or zone 1's for sample i. */
static bool
parsed_ok(int i, int rc, int64_t v)
{
	for (int z = 0; z < 2; z++)
		if (rc == expect.want[z].parse_rc[i] && (rc != 0 || v == expect.want[z].parsed[i]))
			return true;
	return false;
}

static void *
reader(void *arg)
{
	bool seen[2] = { false, false }, counted = false;
	long rounds = 0;

	(void)arg;
	while (!atomic_load(&shared.stop)) {
		long wrong = 0;
		for (int i = 0; i < SAMPLES; i++) {
			const int *w = expect.wall[i];
			struct tm tm;
			char buf[24];
			int64_t p = 0;
			int k, rc;

			k = which64(time_from_local(w[0], w[1], w[2], w[3], w[4], w[5]),
				    expect.want[0].from_local[i], expect.want[1].from_local[i]);
			if (k >= 0)
				seen[k] = true;
			else
				wrong++;

			time_local(expect.t[i], &tm);
			k = which64(tm.tm_gmtoff, expect.want[0].offset[i], expect.want[1].offset[i]);
			/* the fields must belong to the offset reported with them */
			if (k < 0 || civil_to_days(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday) * 86400 +
						 tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec !=
					     expect.t[i] + tm.tm_gmtoff)
				wrong++;

			time_fmt_local(expect.t[i], buf, sizeof(buf));
			if (strcmp(buf, expect.want[0].fmt[i]) != 0 &&
			    strcmp(buf, expect.want[1].fmt[i]) != 0)
				wrong++;

			if (which64(civil_days_between(expect.t[0], expect.t[i]),
				    expect.want[0].days[i], expect.want[1].days[i]) < 0)
				wrong++;

			rc = time_parse_local(expect.text[i], false, &p);
			if (!parsed_ok(i, rc, p))
				wrong++;

			if (time_now() <= 0)
				wrong++;
		}
		atomic_fetch_add(&shared.wrong, wrong);
		atomic_fetch_add_explicit(&shared.conversions, 6 * SAMPLES, memory_order_relaxed);
		if (!counted && ++rounds >= 20 && seen[0] && seen[1]) {
			counted = true;
			atomic_fetch_add(&shared.readers_done, 1);
		}
	}
	return NULL;
}

static void
prepare(void)
{
	for (int i = 0; i < SAMPLES; i++) {
		/* 2008-03-08 .. 2008-11-04 UTC, unevenly, many near 2008-03-09 and 2008-11-02 */
		int64_t base = i % 2 ? 1225605600 /* 2008-11-02 06:00Z */ : 1205046000 /* 03-09 07:00Z */;
		expect.t[i] = base + (int64_t)(i - SAMPLES / 2) * 2711;
	}
	for (int z = 0; z < 2; z++) {
		assert_int_equal(time_set_zone(zone_name[z]), 0);
		for (int i = 0; i < SAMPLES; i++) {
			struct tm tm;
			time_local(expect.t[i], &tm);
			if (z == 0) {
				int *w = expect.wall[i];
				/* New York's wall times around its changes, read in either zone */
				w[0] = 2008, w[1] = i % 2 ? 11 : 3, w[2] = i % 2 ? 2 : 9;
				w[3] = i % 4, w[4] = (i * 7) % 60, w[5] = i;
				time_fmt_local(expect.t[i], expect.text[i], sizeof(expect.text[i]));
			}
			const int *w = expect.wall[i];
			expect.want[z].from_local[i] = time_from_local(w[0], w[1], w[2], w[3], w[4], w[5]);
			expect.want[z].offset[i] = tm.tm_gmtoff;
			time_fmt_local(expect.t[i], expect.want[z].fmt[i], sizeof(expect.want[z].fmt[i]));
			expect.want[z].days[i] = civil_days_between(expect.t[0], expect.t[i]);
			expect.want[z].parse_rc[i] =
				time_parse_local(expect.text[i], false, &expect.want[z].parsed[i]);
		}
	}
	/* the two zones disagree on every sample, so a mixed answer shows */
	for (int i = 0; i < SAMPLES; i++) {
		assert_true(expect.want[0].from_local[i] != expect.want[1].from_local[i]);
		assert_true(expect.want[0].offset[i] != expect.want[1].offset[i]);
	}
}

static void
test_switch_while_converting(void **state)
{
	pthread_t th[READERS];
	long switches = 0;
	int64_t deadline;

	(void)state;
	if (!time_zone_exists(zone_name[0]) || !time_zone_exists(zone_name[1]))
		skip();
	prepare();
	(void)time_now(); /* reads DUBAN_NOW (unset here) before the threads */
	for (int i = 0; i < READERS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, reader, NULL), 0);
	deadline = time_mono_ms() + DEADLINE_MS;
	/* switch until every reader has seen both zones, and at least
	 * MIN_SWITCHES times; give up at the deadline */
	while ((atomic_load(&shared.readers_done) < READERS || switches < MIN_SWITCHES) &&
	       time_mono_ms() < deadline) {
		assert_int_equal(time_set_zone(zone_name[switches % 2]), 0);
		switches++;
	}
	atomic_store(&shared.stop, true);
	for (int i = 0; i < READERS; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	print_message("# %ld switches, %ld conversions\n", switches,
		      atomic_load(&shared.conversions));
	assert_int_equal(atomic_load(&shared.wrong), 0);
	assert_int_equal(atomic_load(&shared.readers_done), READERS);
	assert_int_equal(time_set_zone("Asia/Shanghai"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_switch_while_converting),
	};
	return cmocka_run_group_tests_name("zone_threads", tests, NULL, NULL);
}
