/*
 * test_callback.c - what providers tell duban, on a real database:
 * delivery reports applied once, kept when they come before the send is
 * recorded and applied when it is (one send or a batch), unknown references
 * kept; replies (through callback_mo to core/reply.c) stored once per
 * provider id, opting out with one confirmation, acknowledging the latest
 * reminder, closing a task only for its lead or an owner, and the rest
 * kept in the inbox and forwarded to the clerk.  Parsing a reply's text
 * is test_reply.c's.
 */
#include "unit.h"

#include <limits.h>
#include <sqlite3.h>
#include <unistd.h>

#include "server/callback.h"
#include "core/config.h"
#include "base/clock.h"
#include "base/log.h"
#include "provider/provider.h"
#include "store/store.h"
#include "base/array.h"
#include "base/diag.h"

/* ---- on a database ---------------------------------------------------------------------- */

struct fixture {
	char dir[64];
	char path[PATH_MAX];
	struct store *st;
	struct duban_config *cfg;
	struct provider_conf pc;
	int64_t lead, member, stranger_task;
};

static int64_t
add_person(struct store *st, const char *name, const char *phone)
{
	struct person p = { .name = (char *)name, .phone = (char *)phone, .kind = "official" };
	int64_t id = 0;

	assert_int_equal(store_person_add(st, &p, &id), STORE_OK);
	return id;
}

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char err[512];

	if (fx == NULL)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "%s", "/tmp/duban-test-callback.XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	snprintf(fx->path, sizeof(fx->path), "%s/duban.db", fx->dir);
	if (store_open(fx->path, true, &fx->st, err, sizeof(err)) != STORE_OK)
		return -1;
	log_open("test", NULL, LOG_WARN);
	if ((fx->cfg = config_defaults()) == NULL)
		return -1;
	fx->pc.name = "sim"; /* all that acting on a report or a reply reads of it */
	fx->lead = add_person(fx->st, "郑秀兰", "+8617768096319");
	fx->member = add_person(fx->st, "陈宝根", "+8615068766188");
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[PATH_MAX + 16];

	store_close(fx->st);
	config_free(fx->cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", fx->dir);
	if (system(cmd) != 0)
		return -1;
	free(fx);
	return 0;
}

static int64_t
raw_int(struct fixture *fx, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	int64_t v = -1;

	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static char *
raw_str(struct fixture *fx, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	char *v = NULL;

	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		v = strdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static void
expect_sql(struct fixture *fx, const char *sql, const char *want)
{
	char *got = raw_str(fx, sql);

	if (got == NULL || strcmp(got, want) != 0)
		fail_msg("%s: got \"%s\", want \"%s\"", sql, got ? got : "(null)", want);
	free(got);
}

/* Queue a message to person (kind) and, with ref, record it as sent by "sim". */
static int64_t
msg(struct fixture *fx, int64_t person, const char *phone, const char *kind, int64_t task,
    const char *ref, int64_t sent_at)
{
	struct message m = { .person = person,
			     .phone = (char *)phone,
			     .body = "提醒",
			     .encoding = "UCS-2",
			     .parts = 1,
			     .kind = (char *)kind,
			     .task = task,
			     .priority = PRIO_REMINDER };
	int64_t id;

	assert_int_equal(store_msg_add(fx->st, &m, &id), STORE_OK);
	if (ref) {
		struct send_result r = { .id = id,
					 .outcome = SEND_SENT,
					 .attempt = "accepted",
					 .at = sent_at,
					 .http_status = 200 };
		snprintf(r.provider, sizeof(r.provider), "sim");
		snprintf(r.provider_ref, sizeof(r.provider_ref), "%s", ref);
		assert_int_equal(store_record_results(fx->st, &r, 1), STORE_OK);
	}
	return id;
}

static void
dlr(struct fixture *fx, const char *ref, enum provider_dlr_state state, struct dlr_outcome *o)
{
	struct provider_dlr d = { .state = state };
	char err[256];

	snprintf(d.ref, sizeof(d.ref), "%s", ref);
	snprintf(d.reason, sizeof(d.reason), "%s",
		 state == PROVIDER_DLR_FAILED ? "UNDELIV 001" : "DELIVRD 000");
	assert_int_equal(callback_dlr(fx->st, fx->cfg, &fx->pc, &d, o, err, sizeof(err)), 0);
}

/* Lease every due row, as a dispatcher about to send them: how many. */
static size_t
lease_all(struct fixture *fx)
{
	struct lease_msg *out[16];
	struct lease_opts o = { .now = time_now() + 1, .lease_until = time_now() + 600, .max = 16 };
	size_t n = 0;

	assert_int_equal(store_lease(fx->st, &o, NULL, 0, out, &n, NULL), STORE_OK);
	for (size_t i = 0; i < n; i++)
		free(out[i]);
	return n;
}

/* Record message id as sent by "sim" with provider reference ref at time at. */
static void
sent(struct fixture *fx, int64_t id, const char *ref, int64_t at)
{
	struct send_result r = {
		.id = id, .outcome = SEND_SENT, .attempt = "accepted", .at = at, .http_status = 200
	};

	snprintf(r.provider, sizeof(r.provider), "sim");
	snprintf(r.provider_ref, sizeof(r.provider_ref), "%s", ref);
	assert_int_equal(store_record_results(fx->st, &r, 1), STORE_OK);
}

static void
test_dlr(void **state)
{
	struct fixture *fx = *state;
	struct dlr_outcome o;
	char sql[160];
	int64_t a = msg(fx, 0, "+8613800138000", "manual", 0, "sim-1", 1000);
	int64_t b = msg(fx, 0, "+8613800138001", "manual", 0, "sim-2", 1000);

	/* delivered, once */
	dlr(fx, "sim-1", PROVIDER_DLR_DELIVERED, &o);
	assert_int_equal(o.message, a);
	assert_true(o.applied);
	assert_false(o.duplicate);
	dlr(fx, "sim-1", PROVIDER_DLR_DELIVERED, &o);
	assert_true(o.duplicate);
	assert_false(o.applied);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM dlr WHERE provider_ref = 'sim-1'"), 1);
	snprintf(sql, sizeof(sql), "SELECT status FROM message WHERE id = %lld", (long long)a);
	expect_sql(fx, sql, "delivered");
	/* a later failure report does not undo it */
	dlr(fx, "sim-1", PROVIDER_DLR_FAILED, &o);
	assert_false(o.applied);
	expect_sql(fx, sql, "delivered");

	/* failed, with the reason */
	dlr(fx, "sim-2", PROVIDER_DLR_PENDING, &o);
	assert_false(o.applied);
	dlr(fx, "sim-2", PROVIDER_DLR_FAILED, &o);
	assert_true(o.applied);
	snprintf(sql, sizeof(sql),
		 "SELECT status || ': ' || last_error FROM message WHERE id = %lld", (long long)b);
	expect_sql(fx, sql, "failed: delivery report: UNDELIV 001");

	/* unknown: kept, nothing changes */
	dlr(fx, "sim-99", PROVIDER_DLR_DELIVERED, &o);
	assert_int_equal(o.message, 0);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM dlr WHERE provider_ref = 'sim-99' "
				     "AND message IS NULL"),
			 1);
}

static void
test_dlr_before_send(void **state)
{
	struct fixture *fx = *state;
	struct dlr_outcome o;
	struct send_result r = {
		.outcome = SEND_SENT, .attempt = "accepted", .at = 2000, .http_status = 200
	};
	char sql[160];
	int64_t a = msg(fx, 0, "+8613800138002", "manual", 0, NULL, 0);
	int64_t b = msg(fx, 0, "+8613800138003", "manual", 0, NULL, 0);

	/* the report comes first, twice */
	dlr(fx, "sim-7", PROVIDER_DLR_DELIVERED, &o);
	assert_int_equal(o.message, 0);
	dlr(fx, "sim-7", PROVIDER_DLR_DELIVERED, &o);
	assert_true(o.duplicate);
	/* then the dispatcher records the send: it is applied */
	r.id = a;
	snprintf(r.provider, sizeof(r.provider), "sim");
	snprintf(r.provider_ref, sizeof(r.provider_ref), "sim-7");
	assert_int_equal(store_record_results(fx->st, &r, 1), STORE_OK);
	snprintf(sql, sizeof(sql), "SELECT status FROM message WHERE id = %lld", (long long)a);
	expect_sql(fx, sql, "delivered");
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM dlr WHERE provider_ref = 'sim-7' "
				     "AND message IS NOT NULL"),
			 1);

	/* duban's own reference (a Kannel-style dlr-url), failure first: the
	 * request has gone out (the row is leased), its result not recorded */
	assert_int_equal(lease_all(fx), 1);
	snprintf(sql, sizeof(sql), "duban-%lld", (long long)b);
	dlr(fx, sql, PROVIDER_DLR_FAILED, &o);
	assert_int_equal(o.message, b); /* linked, not applied: not recorded as sent yet */
	assert_true(o.waiting);
	assert_false(o.applied);
	r.id = b;
	snprintf(r.provider_ref, sizeof(r.provider_ref), "sim-8");
	assert_int_equal(store_record_results(fx->st, &r, 1), STORE_OK);
	snprintf(sql, sizeof(sql), "SELECT status FROM message WHERE id = %lld", (long long)b);
	expect_sql(fx, sql, "failed");
	/* a report for another provider's message of the same reference is not it */
	fx->pc.name = "other";
	dlr(fx, "sim-7", PROVIDER_DLR_FAILED, &o);
	assert_int_equal(o.message, 0);
	fx->pc.name = "sim";
}

/*
 * A batched request's reports (an Aliyun SmsReport array) can all come
 * before its rows are recorded: recording the batch applies each to its
 * own row - delivered with the parts it billed, failed with its error -
 * and leaves the rows that have no report sent.  With few reports waiting
 * they are matched from their side; with more waiting than the batch has
 * rows (unknown ones, planted), from the rows' side: the same outcome.
 */
static void
before_batch(struct fixture *fx, int unknown)
{
	struct dlr_policy pol = { .keep = 86400, .max_unmatched = 1000 };
	struct dlr_in in[2] = { { .ref = "biz-5:+8613800138011", .status = "delivered", .parts = 2 },
				{ .ref = "biz-5:+8613800138013", .status = "failed",
				  .error = "MOBILE_NOT_ON_SERVICE" } };
	struct dlr_outcome o[2];
	struct send_result r[10];
	int64_t id[10];
	char ref[32];

	for (int i = 0; i < unknown; i++) {
		struct dlr_in u = { .ref = ref, .status = "delivered" };
		snprintf(ref, sizeof(ref), "biz-0:+86139%08d", i);
		assert_int_equal(store_dlr_record_many(fx->st, "sim", &u, 1, 2001, &pol, o), STORE_OK);
	}
	for (int i = 0; i < 10; i++) {
		char phone[32];
		snprintf(phone, sizeof(phone), "+86138001380%02d", 10 + i);
		id[i] = msg(fx, 0, phone, "notice", 0, NULL, 0);
	}
	assert_int_equal(lease_all(fx), 10);
	assert_int_equal(store_dlr_record_many(fx->st, "sim", in, 2, 2005, &pol, o), STORE_OK);
	assert_true(o[0].waiting && o[1].waiting);
	memset(r, 0, sizeof(r));
	for (int i = 0; i < 10; i++) {
		r[i] = (struct send_result){ .id = id[i], .outcome = SEND_SENT, .attempt = "accepted",
					     .at = 2000, .http_status = 200, .parts = 2 };
		snprintf(r[i].provider, sizeof(r[i].provider), "sim");
		snprintf(r[i].provider_ref, sizeof(r[i].provider_ref), "biz-5:+86138001380%02d", 10 + i);
	}
	assert_int_equal(store_record_results(fx->st, r, 10), STORE_OK);
	expect_sql(fx, "SELECT group_concat(x, ',') FROM (SELECT m.phone || ' ' || m.status || ' ' "
		       "  || coalesce(m.last_error, '-') || ' ' || coalesce(a.billed, '-') AS x "
		       "FROM message m JOIN attempt a ON a.message = m.id "
		       "WHERE m.phone IN ('+8613800138010', '+8613800138011', '+8613800138013') ORDER BY m.id)",
		   "+8613800138010 sent - -,"
		   "+8613800138011 delivered - 2,"
		   "+8613800138013 failed MOBILE_NOT_ON_SERVICE -");
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM message WHERE status = 'sent'"), 8);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM dlr WHERE message IS NULL"), unknown);
}

static void
test_dlr_before_batch(void **state)
{
	before_batch(*state, 0);
}

static void
test_dlr_before_batch_many_waiting(void **state)
{
	before_batch(*state, 12);
}

/*
 * Reports planted for messages duban has not sent decide nothing: one for
 * duban's id of a message not yet queued, or queued and never tried, is
 * ignored (not even stored); one for a provider id the provider has not
 * given yet is kept, but never applied to a send whose request went out
 * after it came.
 */
static void
test_dlr_planted(void **state)
{
	struct fixture *fx = *state;
	struct dlr_outcome o;
	char ref[32], sql[160];
	int64_t a = msg(fx, 0, "+8613800138004", "manual", 0, NULL, 0), b;

	snprintf(ref, sizeof(ref), "duban-%lld", (long long)a);
	dlr(fx, ref, PROVIDER_DLR_FAILED, &o);
	assert_true(o.ignored);
	assert_int_equal(o.message, 0);
	snprintf(ref, sizeof(ref), "duban-%lld", (long long)a + 1); /* the next message's */
	dlr(fx, ref, PROVIDER_DLR_DELIVERED, &o);
	assert_true(o.ignored);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM dlr"), 0);
	dlr(fx, "sim-500", PROVIDER_DLR_DELIVERED, &o); /* a provider id yet to be given */
	assert_true(o.waiting);
	assert_int_equal(o.message, 0);

	b = msg(fx, 0, "+8613800138005", "manual", 0, NULL, 0);
	assert_int_equal(b, a + 1);
	sent(fx, a, "sim-499", time_now() + 5);
	sent(fx, b, "sim-500", time_now() + 5); /* its request went out after the report came */
	snprintf(sql, sizeof(sql),
		 "SELECT group_concat(status, ' ') FROM message WHERE id IN (%lld, %lld)",
		 (long long)a, (long long)b);
	expect_sql(fx, sql, "sent sent");
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM dlr WHERE message IS NOT NULL"), 0);
	/* and the real reports still apply */
	snprintf(ref, sizeof(ref), "duban-%lld", (long long)a);
	dlr(fx, ref, PROVIDER_DLR_FAILED, &o);
	assert_true(o.applied);
	/* the same report as the plant: it takes the plant's place, not its duplicate */
	dlr(fx, "sim-500", PROVIDER_DLR_DELIVERED, &o);
	assert_false(o.duplicate);
	assert_true(o.applied);
	expect_sql(fx, sql, "failed delivered");
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM dlr WHERE message IS NULL"), 0);
}

/* Reports that wait for a send: dropped when their time runs out, and past the cap. */
#define WAITING                                      \
	"SELECT group_concat(provider_ref, ' ') FROM " \
	"(SELECT provider_ref FROM dlr WHERE message IS NULL ORDER BY id)"
static void
test_dlr_bounds(void **state)
{
	struct fixture *fx = *state;
	const struct dlr_policy p = { .keep = 100, .max_unmatched = 3 };
	struct dlr_outcome o;
	char ref[16];
	int64_t m;

	for (int i = 0; i < 4; i++) {
		snprintf(ref, sizeof(ref), "sim-%d", i);
		assert_int_equal(
			store_dlr_record(fx->st, "sim", ref, "delivered", NULL, 1000 + i, &p, &o),
			STORE_OK);
		assert_true(o.waiting);
		assert_int_equal(o.dropped, i == 3 ? 1 : 0);
	}
	expect_sql(fx, WAITING, "sim-1 sim-2 sim-3");
	/* at 1102 the report of 1001 has waited more than its 100 s */
	assert_int_equal(store_dlr_record(fx->st, "sim", "sim-9", "failed", "x", 1102, &p, &o),
			 STORE_OK);
	assert_int_equal(o.expired, 1);
	assert_int_equal(o.dropped, 0);
	expect_sql(fx, WAITING, "sim-2 sim-3 sim-9");
	/* a report linked to its message is not counted nor dropped */
	m = msg(fx, 0, "+8613800138006", "manual", 0, "sim-m", 900);
	assert_int_equal(store_dlr_record(fx->st, "sim", "sim-m", "delivered", NULL, 5000, &p, &o),
			 STORE_OK);
	assert_int_equal(o.message, m);
	assert_true(o.applied);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM dlr"), 4);
}

static void
mo(struct fixture *fx, const char *from, const char *text, const char *id,
   struct reply_result *res)
{
	struct provider_mo m = { 0 };
	char err[256];

	snprintf(m.from, sizeof(m.from), "%s", from);
	snprintf(m.text, sizeof(m.text), "%s", text);
	snprintf(m.ref, sizeof(m.ref), "%s", id ? id : "");
	if (callback_mo(fx->st, fx->cfg, &fx->pc, &m, res, err, sizeof(err)) != 0)
		fail_msg("callback_mo: %s", err);
}

static void
test_optout(void **state)
{
	struct fixture *fx = *state;
	struct reply_result res;

	mo(fx, "15068766188", "ＴＤ", "mo-1", &res);
	assert_int_equal(res.cmd, REPLY_OPTOUT);
	assert_string_equal(res.action, "optout");
	assert_int_equal(res.person, fx->member);
	assert_true(res.reply > 0);
	assert_true(raw_int(fx, "SELECT opted_out_at FROM person WHERE phone = '+8615068766188'") >
		    0);
	/* the same reply again: ignored */
	mo(fx, "15068766188", "ＴＤ", "mo-1", &res);
	assert_true(res.duplicate);
	/* another TD: no second opt-out, but an answer all the same */
	mo(fx, "+86 150 6876 6188", "退订", "mo-2", &res);
	assert_string_equal(res.action, "optout-again");
	assert_true(res.reply > 0);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM message WHERE kind = 'reply'"), 2);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM event WHERE action = 'person.optout'"), 1);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM inbound"), 2);
	expect_sql(fx, "SELECT actor FROM event WHERE action = 'person.optout'", "sms:陈宝根");
	/* someone duban does not know: kept for staff */
	mo(fx, "13912345678", "TD", "mo-3", &res);
	assert_string_equal(res.action, "optout-unknown");
	expect_sql(fx, "SELECT status FROM inbound WHERE provider_ref = 'mo-3'", "new");
}

static void
test_ack(void **state)
{
	struct fixture *fx = *state;
	struct reply_result res;
	int64_t old = msg(fx, fx->lead, "+8617768096319", "reminder", 0, "sim-a", 1000);
	int64_t latest = msg(fx, fx->lead, "+8617768096319", "escalation", 0, "sim-b", 2000);
	char sql[128];

	(void)old;
	mo(fx, "17768096319", "收到。", "mo-10", &res);
	assert_int_equal(res.cmd, REPLY_ACK);
	assert_string_equal(res.action, "ack");
	assert_int_equal(res.message, latest);
	snprintf(sql, sizeof(sql), "SELECT acked_at > 0 FROM message WHERE id = %lld",
		 (long long)latest);
	assert_int_equal(raw_int(fx, sql), 1);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM message WHERE acked_at IS NOT NULL"), 1);
	/* nothing to acknowledge */
	mo(fx, "15068766188", "1", "mo-11", &res);
	assert_string_equal(res.action, "ack-none");
}

static void
test_done(void **state)
{
	struct fixture *fx = *state;
	struct reply_result res;
	struct task t = { .title = "梅岙塘农田改造工程", .deadline = 2000000000 };
	struct assignee a[] = { { fx->lead, "lead" }, { fx->member, "member" } };
	int64_t id;
	char *code = NULL;

	assert_int_equal(store_task_add(fx->st, &t, a, 2, &id, &code), STORE_OK);
	/* a member may not close it */
	mo(fx, "15068766188",
	   "完成 "
	   "T1",
	   "mo-20", &res);
	assert_string_equal(code, "T1");
	assert_string_equal(res.action, "done-refused");
	expect_sql(fx, "SELECT status FROM task WHERE code = 'T1'", "open");
	expect_sql(fx, "SELECT status FROM inbound WHERE provider_ref = 'mo-20'", "new");
	/* the lead may, in full-width */
	mo(fx, "17768096319", "完成　ｔ１", "mo-21", &res);
	assert_string_equal(res.action, "done");
	assert_int_equal(res.task, id);
	assert_true(res.reply > 0);
	expect_sql(fx, "SELECT status FROM task WHERE code = 'T1'", "done");
	expect_sql(fx, "SELECT p.name FROM task t JOIN person p ON p.id = t.done_by", "郑秀兰");
	expect_sql(fx, "SELECT x.body " UNIT_MSG "WHERE kind = 'reply' AND task = 1",
		   "已收到：T1“梅岙塘农田改造工程”已标记为办结，相关提醒停止。");
	/* again: closed once, told so */
	mo(fx, "17768096319", "办结T1", "mo-22", &res);
	assert_string_equal(res.action, "done-already");
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM event WHERE action = 'task.done'"), 1);
	expect_sql(fx, "SELECT x.body " UNIT_MSG "WHERE kind = 'reply' ORDER BY m.id DESC",
		   "T1此前已办结，无需再回复。");
	/* no such task */
	mo(fx, "17768096319", "完成 T99", "mo-23", &res);
	assert_string_equal(res.action, "done-no-task");
	free(code);
}

static void
test_inbox(void **state)
{
	struct fixture *fx = *state;
	struct reply_result res;

	mo(fx, "15068766188", "请问补贴什么时候发？", "mo-30", &res);
	assert_string_equal(res.action, "inbox");
	assert_int_equal(res.forward, 0); /* no clerk configured */
	assert_true(res.reply > 0);       /* the sender is answered all the same */
	fx->cfg->http.forward_to = strdup("+8613800138000");
	mo(fx, "15068766188", "路灯坏了", "mo-31", &res);
	assert_true(res.forward > 0);
	expect_sql(fx,
		   "SELECT phone || ' ' || x.body " UNIT_MSG
		   "WHERE dedupe_key LIKE 'reply:fwd:%'",
		   "+8613800138000 陈宝根(+8615068766188)回复：路灯坏了");
	/* an unreadable number is kept as it came */
	mo(fx, "10086", "hello", NULL, &res);
	assert_string_equal(res.action, "inbox");
	expect_sql(fx, "SELECT phone FROM inbound WHERE text = 'hello'", "10086");
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM inbound WHERE status = 'new'"), 3);
}

/* ---- the backends' readers and the configuration --------------------------------------- */

struct kv {
	const char *const *pairs; /* name, value, ..., NULL */
};

static int
kv_field(const struct provider_cb_req *r, const char *name, char *out, size_t outlen)
{
	const struct kv *kv = r->ctx;

	for (size_t i = 0; kv->pairs[i]; i += 2)
		if (strcmp(kv->pairs[i], name) == 0) {
			if (strlen(kv->pairs[i + 1]) >= outlen)
				return -1;
			memcpy(out, kv->pairs[i + 1], strlen(kv->pairs[i + 1]) + 1);
			return 0;
		}
	return -1;
}

static struct duban_config *
load(const char *text, struct diag *d)
{
	char path[] = "/tmp/duban-test-cb-cfg.XXXXXX";
	struct duban_config *c = NULL;
	int fd = mkstemp(path);
	FILE *fp = fd >= 0 ? fdopen(fd, "w") : NULL;

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	if (config_load_file(path, &c, d) != 0)
		c = NULL;
	unlink(path);
	return c;
}

static void
test_readers(void **state)
{
	static const char cfg[] =
		"providers = (\n"
		"  { name = \"a\"; type = \"http\"; url = \"http://x/\"; callback_secret = "
		"\"0123456789abcdef\";\n"
		"    dlr = { ref = \"data.id\"; status = \"stat\"; delivered = ( \"OK\", 1 ); "
		"failed = [ \"BAD\" ]; };\n"
		"    mo = { from = \"mobile\"; text = \"content\"; }; },\n"
		"  { name = \"k\"; type = \"kannel\"; url = \"http://k/\"; username = \"u\"; "
		"password = \"p\"; }\n"
		");\n"
		"http = { listen = \"127.0.0.1:0\"; max_body = 4096; forward_to = \"138 0013 "
		"8000\";\n"
		"  tokens = ( { name = \"oa\"; sha256 = "
		"\"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\";\n"
		"               routes = [ \"messages\", \"tasks\" ]; } ); };\n";
	static const char *const dlr_ok[] = { "data.id", "m-1", "stat", "ok", NULL };
	static const char *const dlr_bad[] = { "data.id", "m-2", "stat", "BAD", NULL };
	static const char *const dlr_num[] = { "data.id", "m-3", "stat", "1", NULL };
	static const char *const dlr_missing[] = { "stat", "OK", NULL };
	static const char *const mo_ok[] = { "mobile", "13800138000", "content", "收到", NULL };
	static const char *const k_dlr[] = {
		"ref", "duban-5", "type", "2", "reason", "NACK", NULL
	};
	static const char *const k_mo[] = { "from", "+8613800138000", "text", "TD", "id", "u-1",
					    NULL };
	struct diag d = { 0 };
	struct duban_config *c = load(cfg, &d);
	struct kv kv;
	struct provider_cb_req r = { kv_field, &kv };
	struct provider_dlr out;
	struct provider_mo m;
	char err[256];

	(void)state;
	if (c == NULL) {
		diag_print(&d, stderr);
		fail_msg("the configuration was refused");
	}
	assert_string_equal(c->providers[0].callback_secret, "0123456789abcdef");
	assert_null(c->providers[1].callback_secret);
	assert_true(c->http.enabled);
	assert_int_equal(c->http.max_body, 4096);
	assert_string_equal(c->http.forward_to, "+8613800138000");
	assert_int_equal(c->http.ntokens, 1);
	assert_int_equal(c->http.tokens[0].routes, HTTP_ROUTE_MESSAGES | HTTP_ROUTE_TASKS);

	kv.pairs = dlr_ok;
	assert_int_equal(provider_dlr_parse(&c->providers[0], &r, &out, err, sizeof(err)), 0);
	assert_string_equal(out.ref, "m-1");
	assert_int_equal(out.state, PROVIDER_DLR_DELIVERED); /* words are case-insensitive */
	kv.pairs = dlr_bad;
	assert_int_equal(provider_dlr_parse(&c->providers[0], &r, &out, err, sizeof(err)), 0);
	assert_int_equal(out.state, PROVIDER_DLR_FAILED);
	kv.pairs = dlr_num;
	assert_int_equal(provider_dlr_parse(&c->providers[0], &r, &out, err, sizeof(err)), 0);
	assert_int_equal(out.state, PROVIDER_DLR_DELIVERED);
	kv.pairs = dlr_missing;
	assert_int_equal(provider_dlr_parse(&c->providers[0], &r, &out, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "data.id"));
	kv.pairs = mo_ok;
	assert_int_equal(provider_mo_parse(&c->providers[0], &r, &m, err, sizeof(err)), 0);
	assert_string_equal(m.from, "13800138000");
	assert_string_equal(m.text, "收到");
	assert_string_equal(m.ref, "");

	kv.pairs = k_dlr;
	assert_int_equal(provider_dlr_parse(&c->providers[1], &r, &out, err, sizeof(err)), 0);
	assert_string_equal(out.ref, "duban-5");
	assert_int_equal(out.state, PROVIDER_DLR_FAILED);
	assert_string_equal(out.reason, "kannel type 2: NACK");
	kv.pairs = k_mo;
	assert_int_equal(provider_mo_parse(&c->providers[1], &r, &m, err, sizeof(err)), 0);
	assert_string_equal(m.ref, "u-1");
	config_free(c);
}

static void
test_config_refused(void **state)
{
	static const char cfg[] =
		"providers = ( { name = \"a\"; type = \"http\"; url = \"http://x/\"; "
		"callback_secret = \"short\";\n"
		"    dlr = { colour = \"red\"; }; } );\n"
		"http = { listen = \"nowhere\"; max_body = 10; forward_to = \"12\";\n"
		"  tokens = ( { name = \"OA\"; sha256 = \"xyz\"; routes = [ \"everything\" ]; } ); "
		"};\n";
	static const char *const want[] = {
		"'callback_secret' must be 16 to 256", "unknown key 'colour'",  "'listen'",
		"'max_body' must be between",          "'forward_to'",          "token name \"OA\"",
		"'sha256' must be 64 hex digits",      "\"everything\" is not",
	};
	struct diag d = { 0 };
	struct duban_config *c = load(cfg, &d);

	(void)state;
	assert_null(c);
	for (size_t i = 0; i < ARRAY_LEN(want); i++) {
		bool found = false;
		for (size_t k = 0; k < d.n && k < d.cap; k++)
			if (d.line[k] && strstr(d.line[k], want[i]))
				found = true;
		if (!found) {
			diag_print(&d, stderr);
			fail_msg("no problem reported containing \"%s\"", want[i]);
		}
	}
	diag_clear(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dlr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dlr_before_send, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dlr_before_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dlr_before_batch_many_waiting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dlr_planted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dlr_bounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_optout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_done, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inbox, setup, teardown),
		cmocka_unit_test(test_readers),
		cmocka_unit_test(test_config_refused),
	};
	return cmocka_run_group_tests_name("callback", tests, NULL, NULL);
}
