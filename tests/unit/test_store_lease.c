/*
 * test_store_lease.c - the lease without limits (store_lease's SELECT and
 * UPDATE): rows handed out in (priority, not_before) order, no more than
 * asked, each with its number, text and values, marked 'sending' with its
 * lease in the database; rows past expires_at expired and counted, never
 * handed out; quiet hours hold all but urgent rows and replies; a second
 * lease hands out the rest and nothing twice; and the results given to a
 * lease commit with it; the rows of one accepted batch request are
 * recorded together, each with its own attempt and reference, and a row
 * deleted meanwhile is left out instead of failing the batch; a row whose
 * text is gone (message_text) is failed, never handed out as an empty SMS,
 * and a second row with the same dedupe key leaves no text behind.
 */
#include "unit.h"
#include "unit_db.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "base/clock.h"

struct fx {
	char dir[64], path[PATH_MAX];
	struct store *st;
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	char err[256];

	snprintf(fx->dir, sizeof(fx->dir), "%s/lease-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
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
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", fx->path, i == 0 ? "" : i == 1 ? "-wal" : "-shm");
		unlink(p);
	}
	rmdir(fx->dir);
	free(fx);
	return 0;
}

static int64_t
queue(struct fx *fx, const char *phone, const char *kind, int prio, int64_t not_before,
      int64_t expires_at, bool urgent)
{
	struct message m = { 0 };
	int64_t id = 0;

	m.phone = (char *)phone;
	m.body = "请于12月20日前到村委会登记";
	m.encoding = "UCS-2";
	m.parts = 1;
	m.kind = (char *)kind;
	m.priority = prio;
	m.not_before = not_before;
	m.expires_at = expires_at;
	m.urgent = urgent;
	m.template_name = "insurance";
	m.params = "{\"aliyun\":[\"12月20日\"]}";
	assert_int_equal(store_msg_add(fx->st, &m, &id), STORE_OK);
	return id;
}

/* Lease up to max rows at now; their ids into ids, *exp the expired. */
static size_t
lease(struct fx *fx, int64_t now, size_t max, bool quiet, int64_t *ids, size_t *exp,
      const struct send_result *res, size_t nres)
{
	struct lease_msg *out[16];
	struct lease_opts o = { .now = now, .lease_until = now + 600, .max = max, .quiet = quiet };
	size_t n = 0;

	assert_true(max <= 16);
	assert_int_equal(store_lease(fx->st, &o, res, nres, out, &n, exp), STORE_OK);
	for (size_t i = 0; i < n; i++) {
		ids[i] = out[i]->id;
		assert_string_equal(out[i]->body, "请于12月20日前到村委会登记");
		assert_string_equal(out[i]->template_name, "insurance");
		assert_string_equal(out[i]->params, "{\"aliyun\":[\"12月20日\"]}");
		assert_true(out[i]->ucs2);
		assert_int_equal(strncmp(out[i]->phone, "+86138", 6), 0);
		free(out[i]);
	}
	return n;
}

static void
order_max_and_marks(void **state)
{
	struct fx *fx = *state;
	int64_t now = time_now(), ids[16];
	int64_t n1 = queue(fx, "+8613800000001", "notice", 30, now - 50, 0, false);
	int64_t n2 = queue(fx, "+8613800000002", "notice", 30, now - 60, 0, false);
	int64_t r1 = queue(fx, "+8613800000003", "reminder", 10, now - 10, 0, false);
	int64_t later = queue(fx, "+8613800000004", "reminder", 10, now + 3600, 0, false);
	size_t exp = 99;
	char sql[256], want[128];

	/* The reminder first, then the older notice; no more than two. */
	assert_int_equal(lease(fx, now, 2, false, ids, &exp, NULL, 0), 2);
	assert_int_equal(exp, 0);
	assert_int_equal(ids[0], r1);
	assert_int_equal(ids[1], n2);
	snprintf(sql, sizeof(sql),
		 "SELECT group_concat(id || ':' || status || ':' || coalesce(lease_until - %lld, '-'), ',') "
		 "FROM (SELECT * FROM message ORDER BY id)", (long long)now);
	snprintf(want, sizeof(want), "%lld:queued:-,%lld:sending:600,%lld:sending:600,%lld:queued:-",
		 (long long)n1, (long long)n2, (long long)r1, (long long)later);
	unit_expect_sql(fx->path, sql, want);
	/* The rest that is due, nothing leased twice, the row not yet due left. */
	assert_int_equal(lease(fx, now, 16, false, ids, &exp, NULL, 0), 1);
	assert_int_equal(ids[0], n1);
	assert_int_equal(lease(fx, now, 16, false, ids, &exp, NULL, 0), 0);
	assert_int_equal(unit_sql_int(fx->path, "SELECT count(*) FROM message WHERE status = 'sending'"), 3);
}

static void
expired_counted_never_handed_out(void **state)
{
	struct fx *fx = *state;
	int64_t now = time_now(), ids[16];
	int64_t gone = queue(fx, "+8613800000001", "notice", 30, now - 100, now - 1, false);
	int64_t ok = queue(fx, "+8613800000002", "notice", 30, now - 100, now + 3600, false);
	size_t exp = 0;
	char sql[160];

	assert_int_equal(lease(fx, now, 16, false, ids, &exp, NULL, 0), 1);
	assert_int_equal(ids[0], ok);
	assert_int_equal(exp, 1);
	snprintf(sql, sizeof(sql),
		 "SELECT status || '|' || (lease_until IS NULL) || '|' || (final_at = %lld) || '|' || last_error "
		 "FROM message WHERE id = %lld", (long long)now, (long long)gone);
	unit_expect_sql(fx->path, sql, "expired|1|1|expired before it could be sent");
	/* Only expired rows due: counted, nothing handed out, nothing left. */
	queue(fx, "+8613800000003", "notice", 30, now - 100, now - 5, false);
	assert_int_equal(lease(fx, now, 16, false, ids, &exp, NULL, 0), 0);
	assert_int_equal(exp, 1);
	assert_int_equal(unit_sql_int(fx->path, "SELECT count(*) FROM message WHERE status = 'queued'"), 0);
}

static void
quiet_hours_hold_all_but_urgent_and_replies(void **state)
{
	struct fx *fx = *state;
	int64_t now = time_now(), ids[16];
	int64_t notice = queue(fx, "+8613800000001", "notice", 30, now - 10, 0, false);
	int64_t urgent = queue(fx, "+8613800000002", "manual", 0, now - 10, 0, true);
	int64_t reply = queue(fx, "+8613800000003", "reply", 20, now - 10, 0, false);
	size_t exp = 0;

	assert_int_equal(lease(fx, now, 16, true, ids, &exp, NULL, 0), 2);
	assert_int_equal(ids[0], urgent);
	assert_int_equal(ids[1], reply);
	assert_int_equal(unit_sql_int(fx->path, "SELECT count(*) FROM message WHERE status = 'queued'"), 1);
	/* Quiet hours over: the notice goes. */
	assert_int_equal(lease(fx, now, 16, false, ids, &exp, NULL, 0), 1);
	assert_int_equal(ids[0], notice);
}

static void
results_commit_with_the_lease(void **state)
{
	struct fx *fx = *state;
	int64_t now = time_now(), ids[16];
	int64_t a = queue(fx, "+8613800000001", "notice", 30, now - 10, 0, false);
	struct send_result r;
	size_t exp = 0;
	char sql[160];

	assert_int_equal(lease(fx, now, 16, false, ids, &exp, NULL, 0), 1);
	int64_t b = queue(fx, "+8613800000002", "notice", 30, now - 10, 0, false);
	memset(&r, 0, sizeof(r));
	r.id = a;
	r.outcome = SEND_SENT;
	r.attempt = "accepted";
	r.at = now;
	r.http_status = 200;
	snprintf(r.provider, sizeof(r.provider), "aliyun");
	snprintf(r.provider_ref, sizeof(r.provider_ref), "biz-1");
	assert_int_equal(lease(fx, now, 16, false, ids, &exp, &r, 1), 1);
	assert_int_equal(ids[0], b);
	snprintf(sql, sizeof(sql),
		 "SELECT status || '|' || provider_ref || '|' || (SELECT count(*) FROM attempt WHERE message = %lld) "
		 "FROM message WHERE id = %lld", (long long)a, (long long)a);
	unit_expect_sql(fx->path, sql, "sent|biz-1|1");
}

static void
batch_recorded_row_by_row_without_the_deleted_one(void **state)
{
	struct fx *fx = *state;
	int64_t now = time_now(), ids[16], gone;
	struct send_result r[10];
	size_t exp = 0;
	char sql[200];

	for (int i = 0; i < 10; i++) {
		snprintf(sql, sizeof(sql), "+86138000000%02d", i);
		queue(fx, sql, "notice", 30, now - 10, 0, false);
	}
	assert_int_equal(lease(fx, now, 16, false, ids, &exp, NULL, 0), 10);
	gone = ids[3];
	snprintf(sql, sizeof(sql), "DELETE FROM message WHERE id = %lld", (long long)gone);
	unit_sql_int(fx->path, sql);
	memset(r, 0, sizeof(r));
	for (int i = 0; i < 10; i++) {
		r[i].id = ids[i];
		r[i].outcome = SEND_SENT;
		r[i].attempt = "accepted";
		r[i].at = now;
		r[i].http_status = 200;
		r[i].parts = 1;
		r[i].text = "【小雄镇人民政府】请于12月20日前到村委会登记";
		snprintf(r[i].provider, sizeof(r[i].provider), "aliyun");
		snprintf(r[i].provider_ref, sizeof(r[i].provider_ref), "biz-9:+86138000000%02d", i);
	}
	assert_int_equal(store_record_results(fx->st, r, 10), STORE_OK);
	unit_expect_sql(fx->path, "SELECT count(*) || '|' || count(DISTINCT message) || '|' || sum(text = "
				  "'【小雄镇人民政府】请于12月20日前到村委会登记') FROM attempt", "9|9|9");
	unit_expect_sql(fx->path, "SELECT group_concat(status || ':' || provider_ref || ':' || attempts, ',') "
				  "FROM (SELECT * FROM message ORDER BY id)",
			"sent:biz-9:+8613800000000:1,sent:biz-9:+8613800000001:1,"
			"sent:biz-9:+8613800000002:1,sent:biz-9:+8613800000004:1,"
			"sent:biz-9:+8613800000005:1,sent:biz-9:+8613800000006:1,"
			"sent:biz-9:+8613800000007:1,sent:biz-9:+8613800000008:1,"
			"sent:biz-9:+8613800000009:1");
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM attempt WHERE message = %lld", (long long)gone);
	assert_int_equal(unit_sql_int(fx->path, sql), 0);
}

/* Remove the text of message id, as a hand edit of the database would. */
static void
drop_text(struct fx *fx, int64_t id)
{
	char sql[128];

	snprintf(sql, sizeof(sql),
		 "DELETE FROM message_text WHERE id = (SELECT text_id FROM message WHERE id = %lld)",
		 (long long)id);
	unit_sql_int(fx->path, sql);
}

static void
text_gone_failed_not_sent(void **state)
{
	struct fx *fx = *state;
	int64_t now = time_now(), ids[16];
	int64_t a = queue(fx, "+8613800000001", "notice", 30, now - 10, 0, false);
	int64_t b = queue(fx, "+8613800000002", "notice", 30, now - 10, 0, false);
	int64_t c = queue(fx, "+8613800000003", "notice", 30, now - 10, 0, false);
	struct lease_opts o = { .now = now, .lease_until = now + 600, .max = 16, .per_hour = 5 };
	struct lease_msg *out[16];
	size_t exp = 0, n = 0;
	char sql[256], want[256];

	/* the plain lease: the others go, a fails */
	drop_text(fx, a);
	assert_int_equal(lease(fx, now, 1, false, ids, &exp, NULL, 0), 0);
	assert_int_equal(lease(fx, now, 1, false, ids, &exp, NULL, 0), 1);
	assert_int_equal(ids[0], b);
	/* the lease under per-number limits: c fails */
	drop_text(fx, c);
	assert_int_equal(store_lease(fx->st, &o, NULL, 0, out, &n, &exp), STORE_OK);
	assert_int_equal(n, 0);
	snprintf(sql, sizeof(sql),
		 "SELECT group_concat(id || ':' || status || ':' || coalesce(last_error, '-') || ':' || "
		 "coalesce(lease_until, '-'), ',') FROM (SELECT * FROM message ORDER BY id)");
	snprintf(want, sizeof(want),
		 "%lld:failed:its text is missing from the database:-,%lld:sending:-:%lld,"
		 "%lld:failed:its text is missing from the database:-",
		 (long long)a, (long long)b, (long long)(now + 600), (long long)c);
	unit_expect_sql(fx->path, sql, want);
}

static void
same_dedupe_key_leaves_no_text(void **state)
{
	struct fx *fx = *state;
	struct message m = { .phone = "+8613800000001", .body = "提醒", .encoding = "UCS-2",
			     .parts = 1, .kind = "reminder", .priority = 10,
			     .dedupe_key = "r:1:2008-12-31:b7d:1" };
	int64_t first = 0, again = 0;

	assert_int_equal(store_msg_add(fx->st, &m, &first), STORE_OK);
	assert_int_equal(store_msg_add(fx->st, &m, &again), STORE_EXISTS);
	assert_int_equal(again, first);
	assert_int_equal(unit_sql_int(fx->path, "SELECT count(*) FROM message_text"), 1);
	unit_expect_sql(fx->path, "SELECT x.body " UNIT_MSG,
			"提醒");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(order_max_and_marks, setup, teardown),
		cmocka_unit_test_setup_teardown(text_gone_failed_not_sent, setup, teardown),
		cmocka_unit_test_setup_teardown(same_dedupe_key_leaves_no_text, setup, teardown),
		cmocka_unit_test_setup_teardown(expired_counted_never_handed_out, setup, teardown),
		cmocka_unit_test_setup_teardown(quiet_hours_hold_all_but_urgent_and_replies, setup, teardown),
		cmocka_unit_test_setup_teardown(results_commit_with_the_lease, setup, teardown),
		cmocka_unit_test_setup_teardown(batch_recorded_row_by_row_without_the_deleted_one, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
