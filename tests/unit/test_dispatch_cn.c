/*
 * test_dispatch_cn.c - the send side of the Chinese cloud providers: which
 * class of verdict makes which next state of a row (dispatch_outcome), which
 * rows join one request (dispatch_joins: equal values up to the batch,
 * differing ones up to batch_distinct, never across a template or a
 * priority), and what the store makes of those states (a limited row waits
 * queued without a retry burned, a halted provider's attempt leaves its row
 * to the next provider, an accepted one records the text, parts and billed
 * parts), and duban's own per-number limit holding a row at lease time,
 * the more urgent kind taking the last slot.
 */
#include "unit.h"
#include "unit_db.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/dispatch.h"
#include "base/clock.h"

static struct provider_verdict
verdict(enum provider_result r)
{
	struct provider_verdict v;

	memset(&v, 0, sizeof(v));
	v.result = r;
	return v;
}

static void
outcome_per_class(void **state)
{
	struct provider_verdict v;

	(void)state;
	v = verdict(PROVIDER_ACCEPTED);
	assert_int_equal(dispatch_outcome(&v, 0, 3), SEND_SENT);
	v = verdict(PROVIDER_PERMANENT);
	assert_int_equal(dispatch_outcome(&v, 0, 3), SEND_FAILED);
	v = verdict(PROVIDER_TRANSIENT);
	assert_int_equal(dispatch_outcome(&v, 0, 3), SEND_RETRY);
	assert_int_equal(dispatch_outcome(&v, 2, 3), SEND_RETRY);
	assert_int_equal(dispatch_outcome(&v, 3, 3), SEND_FAILED); /* out of retries */
	/* Neither burns a retry, however many attempts came before. */
	v = verdict(PROVIDER_LIMITED);
	assert_int_equal(dispatch_outcome(&v, 0, 3), SEND_WAIT);
	assert_int_equal(dispatch_outcome(&v, 99, 3), SEND_WAIT);
	v = verdict(PROVIDER_HALTED);
	assert_int_equal(dispatch_outcome(&v, 0, 3), SEND_NOTE);
	assert_int_equal(dispatch_outcome(&v, 99, 3), SEND_NOTE);
}

static struct lease_msg
row(int64_t id, int prio, const char *tmpl, const char *params)
{
	struct lease_msg m;

	memset(&m, 0, sizeof(m));
	m.id = id;
	m.priority = prio;
	m.template_name = tmpl;
	m.params = params;
	m.phone = "+8613800138000";
	m.body = "x";
	return m;
}

static void
joins_equal_values_up_to_batch(void **state)
{
	struct lease_msg a = row(1, 30, "insurance", "{\"aliyun\":[\"12月20日\"]}");
	struct lease_msg b = row(2, 30, "insurance", "{\"aliyun\":[\"12月20日\"]}");
	bool distinct = false;

	(void)state;
	assert_true(dispatch_joins(&a, &b, 1, 1000, 100, &distinct));
	assert_false(distinct);
	assert_true(dispatch_joins(&a, &b, 999, 1000, 100, &distinct));
	assert_false(dispatch_joins(&a, &b, 1000, 1000, 100, &distinct)); /* full */
	/* Tencent: 200 equal, one each when they differ. */
	assert_true(dispatch_joins(&a, &b, 150, 200, 1, &distinct));
}

static void
joins_differing_values_up_to_distinct(void **state)
{
	struct lease_msg a = row(1, 30, "meeting", "{\"aliyun\":[\"张三\"]}");
	struct lease_msg b = row(2, 30, "meeting", "{\"aliyun\":[\"李四\"]}");
	struct lease_msg c = row(3, 30, "meeting", "{\"aliyun\":[\"张三\"]}");
	bool distinct = false;

	(void)state;
	/* Aliyun's SendBatchSms: 100 with values of their own. */
	assert_true(dispatch_joins(&a, &b, 1, 1000, 100, &distinct));
	assert_true(distinct);
	assert_true(dispatch_joins(&a, &c, 2, 1000, 100, &distinct)); /* stays a distinct batch */
	assert_false(dispatch_joins(&a, &c, 100, 1000, 100, &distinct));
	/* 150 equal rows already: a differing one cannot make it a SendBatchSms. */
	distinct = false;
	assert_false(dispatch_joins(&a, &b, 150, 1000, 100, &distinct));
	assert_false(distinct);
	/* Tencent: one request per person when values differ. */
	distinct = false;
	assert_false(dispatch_joins(&a, &b, 1, 200, 1, &distinct));
}

static void
joins_never_across_template_or_priority(void **state)
{
	struct lease_msg a = row(1, 30, "insurance", "{\"aliyun\":[\"1\"]}");
	struct lease_msg other = row(2, 30, "reminder", "{\"aliyun\":[\"1\"]}");
	struct lease_msg urgent = row(3, 10, "insurance", "{\"aliyun\":[\"1\"]}");
	struct lease_msg text = row(4, 30, NULL, NULL);
	bool distinct = false;

	(void)state;
	assert_false(dispatch_joins(&a, &other, 1, 1000, 100, &distinct));
	assert_false(dispatch_joins(&a, &urgent, 1, 1000, 100, &distinct));
	assert_false(dispatch_joins(&a, &text, 1, 1000, 100, &distinct));
	assert_false(distinct);
}

/* ---- the store's side: what each outcome writes ------------------------------------------ */

struct fx {
	char dir[64], path[PATH_MAX];
	struct store *st;
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	char err[256];

	snprintf(fx->dir, sizeof(fx->dir), "%s/dcn-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	snprintf(fx->path, sizeof(fx->path), "%s/duban.db", fx->dir);
	if (store_open(fx->path, true, &fx->st, err, sizeof(err)) != STORE_OK)
		return -1;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;
	char p[PATH_MAX + 8];

	store_close(fx->st);
	for (const char *sfx = ""; sfx; sfx = *sfx ? NULL : "-wal") {
		snprintf(p, sizeof(p), "%s%s", fx->path, sfx);
		unlink(p);
	}
	snprintf(p, sizeof(p), "%s-shm", fx->path);
	unlink(p);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

static int64_t
queue(struct fx *fx, const char *phone, const char *kind, int prio)
{
	struct message m = { 0 };
	int64_t id = 0;

	m.phone = (char *)phone;
	m.body = "测试";
	m.encoding = "UCS-2";
	m.parts = 1;
	m.kind = (char *)kind;
	m.priority = prio;
	assert_int_equal(store_msg_add(fx->st, &m, &id), STORE_OK);
	return id;
}

static size_t
lease(struct fx *fx, int per_hour, int64_t *ids, size_t max)
{
	struct lease_msg *out[16];
	struct lease_opts o = { .now = time_now() + 1, .lease_until = time_now() + 600, .max = 16,
				.per_hour = per_hour, .why_hour = "waiting: hour" };
	size_t n = 0;

	assert_int_equal(store_lease(fx->st, &o, NULL, 0, out, &n, NULL), STORE_OK);
	for (size_t i = 0; i < n; i++) {
		if (i < max)
			ids[i] = out[i]->id;
		free(out[i]);
	}
	return n;
}

static void
store_limited_waits_halted_stays(void **state)
{
	struct fx *fx = *state;
	int64_t a = queue(fx, "+8613800000001", "notice", 30), b = queue(fx, "+8613800000002", "notice", 30);
	int64_t ids[4], now = time_now();
	struct send_result r[2];
	char sql[256];

	assert_int_equal(lease(fx, 0, ids, 4), 2);
	memset(r, 0, sizeof(r));
	r[0] = (struct send_result){ .id = a, .outcome = SEND_WAIT, .attempt = "limited", .at = now,
				     .not_before = now + 3600 };
	snprintf(r[0].provider, sizeof(r[0].provider), "aliyun");
	snprintf(r[0].code, sizeof(r[0].code), "isv.BUSINESS_LIMIT_CONTROL");
	snprintf(r[0].error, sizeof(r[0].error), "waiting: aliyun limits this number");
	r[1] = (struct send_result){ .id = b, .outcome = SEND_NOTE, .attempt = "halted", .at = now };
	snprintf(r[1].provider, sizeof(r[1].provider), "aliyun");
	snprintf(r[1].code, sizeof(r[1].code), "isv.AMOUNT_NOT_ENOUGH");
	assert_int_equal(store_record_results(fx->st, r, 2), STORE_OK);
	snprintf(sql, sizeof(sql),
		 "SELECT status || ',' || attempts || ',' || (not_before - %lld) || ',' || wait_reason "
		 "FROM message WHERE id = %lld", (long long)now, (long long)a);
	unit_expect_sql(fx->path, sql, "queued,0,3600,waiting: aliyun limits this number");
	snprintf(sql, sizeof(sql), "SELECT result || ',' || code FROM attempt WHERE message = %lld",
		 (long long)a);
	unit_expect_sql(fx->path, sql, "limited,isv.BUSINESS_LIMIT_CONTROL");
	/* The halted provider's row stays this dispatcher's, for the next provider. */
	snprintf(sql, sizeof(sql), "SELECT status || ',' || attempts FROM message WHERE id = %lld",
		 (long long)b);
	unit_expect_sql(fx->path, sql, "sending,0");
	snprintf(sql, sizeof(sql), "SELECT result || ',' || code FROM attempt WHERE message = %lld",
		 (long long)b);
	unit_expect_sql(fx->path, sql, "halted,isv.AMOUNT_NOT_ENOUGH");
}

static void
store_accepted_keeps_text_parts_billed(void **state)
{
	struct fx *fx = *state;
	int64_t a = queue(fx, "+8613800000003", "notice", 30), ids[2], now = time_now();
	char text[] = "【小雄镇人民政府】请于12月20日前登记";
	struct send_result r = { .id = a, .outcome = SEND_SENT, .attempt = "accepted", .at = now,
				 .parts = 1, .billed = 1 };
	char sql[200];

	assert_int_equal(lease(fx, 0, ids, 2), 1);
	r.text = text;
	snprintf(r.provider, sizeof(r.provider), "tencent");
	snprintf(r.provider_ref, sizeof(r.provider_ref), "2019:12345");
	assert_int_equal(store_record_results(fx->st, &r, 1), STORE_OK);
	snprintf(sql, sizeof(sql),
		 "SELECT text || '|' || parts || '|' || billed FROM attempt WHERE message = %lld",
		 (long long)a);
	unit_expect_sql(fx->path, sql, "【小雄镇人民政府】请于12月20日前登记|1|1");
}

static void
local_limit_holds_and_urgent_first(void **state)
{
	struct fx *fx = *state;
	int64_t first = queue(fx, "+8613800000009", "manual", 20), ids[8], now = time_now();
	struct send_result r = { .id = first, .outcome = SEND_SENT, .attempt = "accepted", .at = now };
	char sql[200];

	assert_int_equal(lease(fx, 2, ids, 8), 1);
	snprintf(r.provider, sizeof(r.provider), "b");
	assert_int_equal(store_record_results(fx->st, &r, 1), STORE_OK);
	/* One slot left this hour: the notice was queued first, the reminder goes. */
	int64_t notice = queue(fx, "+8613800000009", "notice", 30);
	int64_t reminder = queue(fx, "+8613800000009", "reminder", 10);
	assert_int_equal(lease(fx, 2, ids, 8), 1);
	assert_int_equal(ids[0], reminder);
	snprintf(sql, sizeof(sql),
		 "SELECT status || ',' || wait_reason || ',' || (not_before > %lld) FROM message "
		 "WHERE id = %lld", (long long)now, (long long)notice);
	unit_expect_sql(fx->path, sql, "queued,waiting: hour,1");
	/* No limit: it is leased. */
	snprintf(sql, sizeof(sql), "UPDATE message SET not_before = 0 WHERE id = %lld", (long long)notice);
	assert_int_equal(unit_sql_int(fx->path, sql), -1);
	assert_int_equal(lease(fx, 0, ids, 8), 1);
	assert_int_equal(ids[0], notice);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(outcome_per_class),
		cmocka_unit_test(joins_equal_values_up_to_batch),
		cmocka_unit_test(joins_differing_values_up_to_distinct),
		cmocka_unit_test(joins_never_across_template_or_priority),
		cmocka_unit_test_setup_teardown(store_limited_waits_halted_stays, setup, teardown),
		cmocka_unit_test_setup_teardown(store_accepted_keeps_text_parts_billed, setup, teardown),
		cmocka_unit_test_setup_teardown(local_limit_holds_and_urgent_first, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
