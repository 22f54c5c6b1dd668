/*
 * test_backoff.c - the dispatcher's policies: exponential backoff with
 * full and equal jitter stays within its bounds (and uses them), the token
 * bucket holds a rate over simulated time and saves up no more than its
 * burst, and the end of quiet hours is found across midnight.
 */
#include "unit.h"

#include "core/dispatch.h"
#include "base/zone.h"

static void
backoff_full_jitter_bounds(void **state)
{
	struct retry_policy p = { 10, 1000, 30000, JITTER_FULL };
	uint64_t rng = 12345;

	(void)state;
	for (int n = 1; n <= 10; n++) {
		long cap = 1000L << (n - 1), lo = cap, hi = 0;
		if (cap > 30000)
			cap = 30000;
		for (int i = 0; i < 2000; i++) {
			long w = dispatch_backoff_ms(&p, n, &rng);
			assert_true(w >= 0 && w <= cap);
			if (w < lo)
				lo = w;
			if (w > hi)
				hi = w;
		}
		/* Full jitter spreads over the whole range. */
		assert_true(lo < cap / 10);
		assert_true(hi > cap - cap / 10);
	}
}

static void
backoff_equal_jitter_bounds(void **state)
{
	struct retry_policy p = { 10, 200, 5000, JITTER_EQUAL };
	uint64_t rng = 99;

	(void)state;
	for (int n = 1; n <= 12; n++) {
		long cap = n > 5 ? 5000 : 200L << (n - 1);
		for (int i = 0; i < 2000; i++) {
			long w = dispatch_backoff_ms(&p, n, &rng);
			assert_true(w >= cap / 2 && w <= cap);
		}
	}
}

static void
backoff_huge_attempts_capped(void **state)
{
	struct retry_policy p = { 100, 1000, 300000, JITTER_FULL };
	uint64_t rng = 7;

	(void)state;
	for (int i = 0; i < 1000; i++)
		assert_true(dispatch_backoff_ms(&p, 100, &rng) <= 300000);
}

static void
bucket_holds_rate(void **state)
{
	struct bucket b;
	int64_t t = 1000000;
	long taken = 0;

	(void)state;
	dispatch_bucket_init(&b, 50, 5, t);
	/* Take greedily every millisecond for 10 simulated seconds. */
	for (int ms = 0; ms < 10000; ms++, t++)
		while (dispatch_bucket_take(&b, t))
			taken++;
	/* 50/s for 10 s plus the initial burst, give or take one token. */
	assert_true(taken >= 500 && taken <= 500 + 5 + 1);
}

static void
bucket_burst_limit_and_wait(void **state)
{
	struct bucket b;
	int64_t t = 0;
	int n = 0;

	(void)state;
	dispatch_bucket_init(&b, 10, 3, t);
	t += 60000; /* a minute idle saves up no more than the burst */
	while (dispatch_bucket_take(&b, t))
		n++;
	assert_int_equal(n, 3);
	assert_int_equal(dispatch_bucket_wait_ms(&b, t), 100);
	assert_false(dispatch_bucket_take(&b, t + 99));
	assert_int_equal(dispatch_bucket_wait_ms(&b, t + 99), 1);
	assert_true(dispatch_bucket_take(&b, t + 100));
}

static void
bucket_unlimited(void **state)
{
	struct bucket b;

	(void)state;
	dispatch_bucket_init(&b, 0, 1, 0);
	for (int i = 0; i < 100000; i++)
		assert_true(dispatch_bucket_take(&b, 0));
	assert_int_equal(dispatch_bucket_wait_ms(&b, 0), 0);
}

static void
bucket_fractional_rate(void **state)
{
	struct bucket b;
	int64_t t = 0;

	(void)state;
	dispatch_bucket_init(&b, 0.5, 1, t);
	assert_true(dispatch_bucket_take(&b, t));
	assert_int_equal(dispatch_bucket_wait_ms(&b, t + 1000), 1000);
	assert_false(dispatch_bucket_take(&b, t + 1999));
	assert_true(dispatch_bucket_take(&b, t + 2000));
}

static void
quiet_until_wraps_midnight(void **state)
{
	struct quiet_hours q = { true, 21 * 60, 8 * 60 };
	int64_t t, end, want;

	(void)state;
	assert_int_equal(time_set_zone("Asia/Shanghai"), 0);
	assert_int_equal(time_parse_local("2026-03-10 22:30", false, &t), 0);
	assert_int_equal(time_parse_local("2026-03-11 08:00", false, &want), 0);
	end = dispatch_quiet_until(&q, t);
	assert_true(end == want);
	assert_int_equal(time_parse_local("2026-03-11 07:59:30", false, &t), 0);
	assert_true(dispatch_quiet_until(&q, t) == want);
	assert_int_equal(time_parse_local("2026-03-11 08:00", false, &t), 0);
	assert_true(dispatch_quiet_until(&q, t) == 0);
	assert_int_equal(time_parse_local("2026-03-11 20:59", false, &t), 0);
	assert_true(dispatch_quiet_until(&q, t) == 0);
	/* Month end: 31 March 23:00 ends on 1 April. */
	assert_int_equal(time_parse_local("2026-03-31 23:00", false, &t), 0);
	assert_int_equal(time_parse_local("2026-04-01 08:00", false, &want), 0);
	assert_true(dispatch_quiet_until(&q, t) == want);
}

static void
quiet_until_same_day_and_off(void **state)
{
	struct quiet_hours q = { true, 12 * 60, 14 * 60 };
	struct quiet_hours off = { false, 21 * 60, 8 * 60 };
	int64_t t, want;

	(void)state;
	assert_int_equal(time_set_zone("Asia/Shanghai"), 0);
	assert_int_equal(time_parse_local("2026-05-01 12:10", false, &t), 0);
	assert_int_equal(time_parse_local("2026-05-01 14:00", false, &want), 0);
	assert_true(dispatch_quiet_until(&q, t) == want);
	assert_true(dispatch_quiet_until(&off, t) == 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(backoff_full_jitter_bounds),
		cmocka_unit_test(backoff_equal_jitter_bounds),
		cmocka_unit_test(backoff_huge_attempts_capped),
		cmocka_unit_test(bucket_holds_rate),
		cmocka_unit_test(bucket_burst_limit_and_wait),
		cmocka_unit_test(bucket_unlimited),
		cmocka_unit_test(bucket_fractional_rate),
		cmocka_unit_test(quiet_until_wraps_midnight),
		cmocka_unit_test(quiet_until_same_day_and_off),
	};
	return cmocka_run_group_tests_name("backoff", tests, NULL, NULL);
}
