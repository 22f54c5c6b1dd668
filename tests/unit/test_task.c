/*
 * test_task.c - the actions on tasks (core/task.c) on a real database.
 * The transition table whole: every status a task can have times every
 * verb, by staff (what the table allows, "already" writing nothing, the
 * refusals with their sentence) and by a person replying by SMS (only the
 * lead or an owner, recorded as who closed it); adding a task (people
 * resolved, every refusal naming its field, nothing written when refused)
 * and changing it (roles replaced, people removed, the team, a new
 * deadline cancelling the unsent reminders); acknowledging a reminder.
 */
#include "unit.h"
#include "base/clock.h"
#include "unit_db.h"

#include <limits.h>
#include <sqlite3.h>

#include "core/ctx.h"
#include "core/task.h"
#include "store/store.h"
#include "base/array.h"
#include "base/zone.h"

struct fixture {
	char dir[64];
	char path[PATH_MAX];
	struct store *st;
	struct duban_ctx x;
	int64_t lead, owner, member, sup, stranger, team;
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
	snprintf(fx->dir, sizeof(fx->dir), "%s", "/tmp/duban-test-task.XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	snprintf(fx->path, sizeof(fx->path), "%s/duban.db", fx->dir);
	if (store_open(fx->path, true, &fx->st, err, sizeof(err)) != STORE_OK)
		return -1;
	fx->lead = add_person(fx->st, "郑秀兰", "+8617768096319");
	fx->owner = add_person(fx->st, "邵长发", "+8613857612345");
	fx->member = add_person(fx->st, "陈宝根", "+8615068766188");
	fx->sup = add_person(fx->st, "林志远", "+8613905761111");
	fx->stranger = add_person(fx->st, "王素琴", "+8613957608929");
	if (store_group_add(fx->st, "村两委-梅岙塘村", "", &fx->team) != STORE_OK)
		return -1;
	fx->x.st = fx->st;
	fx->x.actor = "test";
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[PATH_MAX + 16];

	store_close(fx->st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", fx->dir);
	if (system(cmd) != 0)
		return -1;
	free(fx);
	return 0;
}

static int64_t
raw_int(struct fixture *fx, const char *sql)
{
	return unit_sql_int(fx->path, sql);
}

static void
expect_sql(struct fixture *fx, const char *sql, const char *want)
{
	unit_expect_sql(fx->path, sql, want);
}

/* T1: lead, owner, member and supervisor; returns its id. */
static int64_t
add_t1(struct fixture *fx)
{
	struct task t = { .title = "梅岙塘农田改造工程", .deadline = 2000000000 };
	struct assignee a[] = { { fx->lead, "lead" },
				{ fx->owner, "owner" },
				{ fx->member, "member" },
				{ fx->sup, "supervisor" } };
	int64_t id;

	assert_int_equal(store_task_add(fx->st, &t, a, ARRAY_LEN(a), &id, NULL), STORE_OK);
	return id;
}

/* Put task id in state s directly, as if it had got there before. */
static void
force_state(struct fixture *fx, int64_t id, enum task_state s)
{
	assert_int_equal(store_task_set_status(fx->st, id, task_state_name(s), 0, 0), STORE_OK);
}

static int64_t
events(struct fixture *fx)
{
	return raw_int(fx, "SELECT count(*) FROM event");
}

/* ---- the table -------------------------------------------------------------------- */

static void
test_rule_table(void **state)
{
	static const struct {
		enum task_state from;
		enum task_verb verb;
		enum task_outcome oc;
		enum task_state to;
	} want[] = {
		{ TASK_OPEN, TASK_VERB_DONE, TASK_CHANGED, TASK_DONE },
		{ TASK_OPEN, TASK_VERB_CANCEL, TASK_CHANGED, TASK_CANCELLED },
		{ TASK_OPEN, TASK_VERB_REOPEN, TASK_ALREADY, TASK_OPEN },
		{ TASK_DONE, TASK_VERB_DONE, TASK_ALREADY, TASK_DONE },
		{ TASK_DONE, TASK_VERB_CANCEL, TASK_REFUSED, TASK_DONE },
		{ TASK_DONE, TASK_VERB_REOPEN, TASK_CHANGED, TASK_OPEN },
		{ TASK_CANCELLED, TASK_VERB_DONE, TASK_REFUSED, TASK_CANCELLED },
		{ TASK_CANCELLED, TASK_VERB_CANCEL, TASK_ALREADY, TASK_CANCELLED },
		{ TASK_CANCELLED, TASK_VERB_REOPEN, TASK_CHANGED, TASK_OPEN },
	};
	enum task_state s;

	(void)state;
	assert_int_equal(ARRAY_LEN(want), TASK_NSTATES * TASK_NVERBS);
	for (size_t i = 0; i < ARRAY_LEN(want); i++) {
		enum task_state to;
		enum task_outcome oc = task_rule(want[i].from, want[i].verb, &to);
		if (oc != want[i].oc || to != want[i].to)
			fail_msg("%s, %s: got %d -> %s", task_state_name(want[i].from),
				 task_verb_name(want[i].verb), oc, task_state_name(to));
	}
	for (int i = 0; i < TASK_NSTATES; i++) {
		assert_int_equal(task_state_parse(task_state_name((enum task_state)i), &s), 0);
		assert_int_equal(s, i);
	}
	assert_int_equal(task_state_parse("overdue", &s), -1);
	assert_string_equal(task_verb_name(TASK_VERB_CANCEL), "cancel");
}

/* Every status times every verb through the action, by staff. */
static void
test_staff_transitions(void **state)
{
	static int (*const act[TASK_NVERBS])(struct duban_ctx *, const char *, struct task *,
					     enum task_outcome *) = {
		[TASK_VERB_DONE] = task_done,
		[TASK_VERB_CANCEL] = task_cancel,
		[TASK_VERB_REOPEN] = task_reopen,
	};
	struct fixture *fx = *state;
	int64_t id = add_t1(fx);
	char sql[200];

	for (int from = 0; from < TASK_NSTATES; from++)
		for (int verb = 0; verb < TASK_NVERBS; verb++) {
			struct task t = { 0 };
			enum task_state to;
			enum task_outcome oc, want = task_rule((enum task_state)from,
							       (enum task_verb)verb, &to);
			int64_t before;
			int rc;

			force_state(fx, id, (enum task_state)from);
			before = events(fx);
			rc = act[verb](&fx->x, "t1", &t, &oc);
			assert_int_equal(oc, want);
			assert_int_equal(rc, want == TASK_REFUSED ? ACTION_INVALID : ACTION_OK);
			/* the task as it is now, whatever happened */
			assert_string_equal(t.code, "T1");
			assert_string_equal(t.status, task_state_name(to));
			snprintf(sql, sizeof(sql), "SELECT status FROM task WHERE id = %lld",
				 (long long)id);
			expect_sql(fx, sql, task_state_name(to));
			/* one audit event when it changed, none otherwise */
			assert_int_equal(events(fx) - before, want == TASK_CHANGED);
			if (want == TASK_CHANGED) {
				snprintf(sql, sizeof(sql),
					 "SELECT action || ' ' || object || ' ' || actor FROM event "
					 "ORDER BY id DESC LIMIT 1");
				char e[64];
				snprintf(e, sizeof(e), "task.%s T1 test",
					 task_verb_name((enum task_verb)verb));
				expect_sql(fx, sql, e);
			}
			if (want == TASK_REFUSED)
				assert_non_null(strstr(fx->x.err, "reopen it first"));
			task_clear(&t);
		}
	/* done by staff: when, and nobody as who */
	force_state(fx, id, TASK_OPEN);
	{
		struct task t = { 0 };
		enum task_outcome oc;
		assert_int_equal(task_done(&fx->x, "#1", &t, &oc), ACTION_OK);
		assert_true(t.done_at > 0);
		task_clear(&t);
	}
	assert_int_equal(raw_int(fx, "SELECT done_by IS NULL FROM task"), 1);
}

static void
test_refusal_sentences(void **state)
{
	struct fixture *fx = *state;
	int64_t id = add_t1(fx);
	struct task t = { 0 };
	enum task_outcome oc;

	force_state(fx, id, TASK_CANCELLED);
	assert_int_equal(task_done(&fx->x, "T1", &t, &oc), ACTION_INVALID);
	assert_int_equal(oc, TASK_REFUSED);
	assert_string_equal(fx->x.err, "T1 is cancelled: reopen it first to mark it done");
	task_clear(&t);
	force_state(fx, id, TASK_DONE);
	assert_int_equal(task_cancel(&fx->x, "T1", NULL, &oc), ACTION_INVALID);
	assert_string_equal(fx->x.err, "T1 is done: reopen it first to cancel it");
	/* no such task */
	assert_int_equal(task_done(&fx->x, "T99", &t, &oc), ACTION_NOTFOUND);
	assert_non_null(strstr(fx->x.err, "T99"));
	assert_null(t.code);
}

/* Who may do it by SMS: the lead or an owner, from every status. */
static void
test_sms_permission(void **state)
{
	struct fixture *fx = *state;
	int64_t id = add_t1(fx);
	const int64_t may[] = { fx->lead, fx->owner };
	const int64_t may_not[] = { fx->member, fx->sup, fx->stranger };

	for (int from = 0; from < TASK_NSTATES; from++) {
		for (size_t i = 0; i < ARRAY_LEN(may_not); i++) {
			struct task t = { 0 };
			enum task_outcome oc;
			int64_t before;

			force_state(fx, id, (enum task_state)from);
			before = events(fx);
			assert_int_equal(store_begin(fx->st), STORE_OK);
			assert_int_equal(task_transition(&fx->x, "T1", TASK_VERB_DONE, may_not[i],
							 "by SMS reply", &t, &oc),
					 ACTION_INVALID);
			store_rollback(fx->st);
			assert_int_equal(oc, TASK_FORBIDDEN);
			assert_int_equal(t.id, id); /* the task is told even so */
			assert_string_equal(fx->x.err,
					    "only the lead or an owner of T1 may mark it done");
			assert_int_equal(events(fx), before);
			task_clear(&t);
		}
		for (size_t i = 0; i < ARRAY_LEN(may); i++) {
			enum task_state to;
			enum task_outcome oc,
				want = task_rule((enum task_state)from, TASK_VERB_DONE, &to);
			int rc;

			force_state(fx, id, (enum task_state)from);
			assert_int_equal(store_begin(fx->st), STORE_OK);
			rc = task_transition(&fx->x, "T1", TASK_VERB_DONE, may[i], "by SMS reply",
					     NULL, &oc);
			assert_int_equal(oc, want);
			assert_int_equal(rc, want == TASK_REFUSED ? ACTION_INVALID : ACTION_OK);
			assert_int_equal(store_commit(fx->st), STORE_OK);
			if (want == TASK_CHANGED) {
				char sql[96];
				snprintf(sql, sizeof(sql),
					 "SELECT done_by = %lld FROM task WHERE id = %lld",
					 (long long)may[i], (long long)id);
				assert_int_equal(raw_int(fx, sql), 1);
				expect_sql(fx, "SELECT detail FROM event ORDER BY id DESC LIMIT 1",
					   "by SMS reply");
			}
		}
	}
}

/* Closing a task cancels its unsent reminders; reopening plans again. */
static void
test_reminders_follow(void **state)
{
	struct fixture *fx = *state;
	int64_t id = add_t1(fx), mid;
	struct message m = { .person = fx->lead,
			     .phone = "+8617768096319",
			     .body = "提醒",
			     .encoding = "UCS-2",
			     .parts = 1,
			     .kind = "reminder",
			     .task = id,
			     .priority = PRIO_REMINDER };
	enum task_outcome oc;

	assert_int_equal(store_msg_add(fx->st, &m, &mid), STORE_OK);
	assert_int_equal(task_done(&fx->x, "T1", NULL, &oc), ACTION_OK);
	expect_sql(fx, "SELECT status || ' ' || last_error FROM message", "cancelled task done");
	assert_int_equal(raw_int(fx, "SELECT next_fire IS NULL FROM task"), 1);
	assert_int_equal(task_reopen(&fx->x, "T1", NULL, &oc), ACTION_OK);
	assert_int_equal(raw_int(fx, "SELECT next_fire FROM task"), 0);
	assert_int_equal(raw_int(fx, "SELECT done_at IS NULL FROM task"), 1);
}

/* ---- add and update ------------------------------------------------------------------ */

static void
expect_add_refused(struct fixture *fx, const struct task_new *n, int rc, const char *field,
		   const char *words)
{
	struct task t = { 0 };
	const char *f = "unset";
	int64_t before = raw_int(fx, "SELECT count(*) FROM task");

	assert_int_equal(task_add(&fx->x, n, &t, &f), rc);
	if (field)
		assert_string_equal(f, field);
	else
		assert_null(f);
	if (strstr(fx->x.err, words) == NULL)
		fail_msg("\"%s\" does not say \"%s\"", fx->x.err, words);
	assert_null(t.code);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM task"), before);
}

static void
test_add(void **state)
{
	struct fixture *fx = *state;
	const char *owners[] = { "13857612345" }, *members[] = { "陈宝根" };
	struct task_new n = { .title = "庙峙村道路硬化",
			      .deadline = 2000000000,
			      .lead = "郑秀兰",
			      .owners = owners,
			      .nowners = 1,
			      .members = members,
			      .nmembers = 1,
			      .supervisor = "#4",
			      .team = "村两委-梅岙塘村" };
	struct task t = { 0 };
	const char *f;

	assert_int_equal(task_add(&fx->x, &n, &t, &f), ACTION_OK);
	assert_string_equal(t.code, "T1");
	assert_string_equal(t.lead_name, "郑秀兰");
	assert_string_equal(t.team_name, "村两委-梅岙塘村");
	assert_string_equal(t.rule_set, "default");
	assert_string_equal(t.status, "open");
	task_clear(&t);
	expect_sql(fx,
		   "SELECT group_concat(role || ':' || person, ',') FROM "
		   "(SELECT role, person FROM assignment ORDER BY person)",
		   "lead:1,owner:2,member:3,supervisor:4");
	expect_sql(fx, "SELECT action || ' ' || object || ' ' || detail FROM event",
		   "task.add T1 庙峙村道路硬化");

	/* refusals, each naming its field, nothing written */
	n.code = "T1";
	expect_add_refused(fx, &n, ACTION_EXISTS, "code", "already exists");
	n.code = NULL;
	n.lead = "查无此人";
	expect_add_refused(fx, &n, ACTION_NOTFOUND, "lead", "nobody is called");
	n.lead = "郑秀兰";
	owners[0] = "13900000000";
	expect_add_refused(fx, &n, ACTION_NOTFOUND, "owners", "13900000000");
	owners[0] = "13857612345";
	members[0] = "#99";
	expect_add_refused(fx, &n, ACTION_NOTFOUND, "members", "#99");
	members[0] = "陈宝根";
	n.supervisor = "nobody";
	expect_add_refused(fx, &n, ACTION_NOTFOUND, "supervisor", "nobody");
	n.supervisor = NULL;
	n.team = "无此组";
	expect_add_refused(fx, &n, ACTION_NOTFOUND, "team", "team: no group called");
	n.team = NULL;
	n.title = "";
	expect_add_refused(fx, &n, ACTION_INVALID, "title", "title");
	n.title = "x";
	n.deadline = 0;
	expect_add_refused(fx, &n, ACTION_INVALID, "deadline", "deadline");
	n.deadline = 2000000000;
	n.lead = NULL;
	expect_add_refused(fx, &n, ACTION_INVALID, "lead", "lead");
	n.lead = "郑秀兰";
	n.code = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	expect_add_refused(fx, &n, ACTION_INVALID, "code", "too long");
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM event"), 1);
	/* a person named twice in one role is assigned once */
	n.code = NULL;
	owners[0] = "邵长发";
	members[0] = "邵长发";
	assert_int_equal(task_add(&fx->x, &n, NULL, NULL), ACTION_OK);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM assignment WHERE task = 2"), 3);
}

static void
test_update(void **state)
{
	struct fixture *fx = *state;
	int64_t id = add_t1(fx), mid;
	struct task_role people[] = { { "王素琴", "owner" }, { "林志远", "member" } };
	const char *removes[] = { "15068766188" };
	struct task_edit e = { .people = people, .npeople = 2, .remove = removes, .nremove = 1 };
	struct message m = { .person = fx->lead,
			     .phone = "+8617768096319",
			     .body = "提醒",
			     .encoding = "UCS-2",
			     .parts = 1,
			     .kind = "reminder",
			     .task = id,
			     .priority = PRIO_REMINDER };
	struct task t = { 0 };
	const char *f;
	char dl[24];

	assert_int_equal(store_msg_add(fx->st, &m, &mid), STORE_OK);
	/* roles: owner replaced, supervisor also a member now, the member removed */
	assert_int_equal(task_update(&fx->x, "T1", &e, &t, &f), ACTION_OK);
	task_clear(&t);
	expect_sql(fx,
		   "SELECT group_concat(role || ':' || person, ',') FROM "
		   "(SELECT role, person FROM assignment ORDER BY person, role)",
		   "lead:1,member:4,supervisor:4,owner:5");
	expect_sql(fx, "SELECT status FROM message", "queued"); /* no new deadline: kept */
	/* the team, then a new deadline: the unsent reminder is stale */
	memset(&e, 0, sizeof(e));
	e.team = "村两委-梅岙塘村";
	e.deadline = 2000086400;
	e.title = "梅岙塘农田改造（二期）";
	assert_int_equal(task_update(&fx->x, "T1", &e, &t, &f), ACTION_OK);
	assert_string_equal(t.team_name, "村两委-梅岙塘村");
	assert_string_equal(t.title, "梅岙塘农田改造（二期）");
	assert_int_equal(t.deadline, 2000086400);
	task_clear(&t);
	expect_sql(fx, "SELECT status || ' ' || last_error FROM message", "cancelled task changed");
	expect_sql(fx, "SELECT detail FROM event WHERE action = 'task.update' ORDER BY id DESC",
		   time_fmt_local(2000086400, dl, sizeof(dl)));
	/* no team any more */
	memset(&e, 0, sizeof(e));
	e.team = "";
	assert_int_equal(task_update(&fx->x, "T1", &e, &t, &f), ACTION_OK);
	assert_null(t.team_name);
	task_clear(&t);
	/* refusals name their field and change nothing */
	e.team = "无此组";
	assert_int_equal(task_update(&fx->x, "T1", &e, &t, &f), ACTION_NOTFOUND);
	assert_string_equal(f, "team");
	e.team = NULL;
	people[0].who = "查无此人";
	e.people = people;
	e.npeople = 1;
	assert_int_equal(task_update(&fx->x, "T1", &e, &t, &f), ACTION_NOTFOUND);
	assert_string_equal(f, "owners");
	e.npeople = 0;
	removes[0] = "查无此人";
	e.remove = removes;
	e.nremove = 1;
	assert_int_equal(task_update(&fx->x, "T1", &e, &t, &f), ACTION_NOTFOUND);
	assert_string_equal(f, "remove");
	e.nremove = 0;
	e.title = "";
	assert_int_equal(task_update(&fx->x, "T1", &e, &t, &f), ACTION_INVALID);
	assert_string_equal(f, "title");
	e.title = NULL;
	assert_int_equal(task_update(&fx->x, "T9", &e, &t, &f), ACTION_NOTFOUND);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM event WHERE action = 'task.update'"), 3);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM assignment WHERE role = 'owner'"), 1);
}

/* ---- acknowledging ------------------------------------------------------------------- */

static void
test_ack(void **state)
{
	struct fixture *fx = *state;
	int64_t id = add_t1(fx), mid, msg, task;
	struct message m = { .person = fx->lead,
			     .phone = "+8617768096319",
			     .body = "提醒",
			     .encoding = "UCS-2",
			     .parts = 1,
			     .kind = "reminder",
			     .task = id,
			     .priority = PRIO_REMINDER };
	struct send_result r = {
		.outcome = SEND_SENT, .attempt = "accepted", .at = 1000, .http_status = 200
	};

	assert_int_equal(store_begin(fx->st), STORE_OK);
	assert_int_equal(task_ack_reminder(&fx->x, fx->lead, "by SMS reply", &msg, &task),
			 ACTION_NOTFOUND);
	store_rollback(fx->st);
	assert_int_equal(store_msg_add(fx->st, &m, &mid), STORE_OK);
	r.id = mid;
	snprintf(r.provider, sizeof(r.provider), "sim");
	snprintf(r.provider_ref, sizeof(r.provider_ref), "sim-1");
	assert_int_equal(store_record_results(fx->st, &r, 1), STORE_OK);
	assert_int_equal(store_begin(fx->st), STORE_OK);
	assert_int_equal(task_ack_reminder(&fx->x, fx->lead, "by SMS reply", &msg, &task),
			 ACTION_OK);
	assert_int_equal(store_commit(fx->st), STORE_OK);
	assert_int_equal(msg, mid);
	assert_int_equal(task, id);
	assert_int_equal(raw_int(fx, "SELECT acked_at > 0 FROM message"), 1);
	expect_sql(fx, "SELECT action || ' ' || object || ' ' || detail FROM event",
		   "message.ack #1 by SMS reply");
}

/* task done --on: the day the work was really done, entered later. */
static void
test_done_on(void **state)
{
	struct fixture *fx = *state;
	struct task t = { 0 };
	enum task_outcome oc;
	int64_t now = time_now();

	add_t1(fx);
	/* not in the future */
	assert_int_equal(task_done_on(&fx->x, "T1", now + 86400, &t, &oc), ACTION_INVALID);
	task_clear(&t);
	expect_sql(fx, "SELECT status FROM task", "open");
	assert_int_equal(events(fx), 0);
	assert_int_equal(task_done_on(&fx->x, "T1", now - 3 * 86400, &t, &oc), ACTION_OK);
	assert_int_equal(oc, TASK_CHANGED);
	assert_int_equal(t.done_at, now - 3 * 86400);
	task_clear(&t);
	assert_int_equal(raw_int(fx, "SELECT done_at FROM task"), now - 3 * 86400);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM event WHERE action = 'task.done' "
				     "AND detail LIKE 'done on %'"), 1);
	/* done already: nothing changes, not even the date */
	assert_int_equal(task_done_on(&fx->x, "T1", now - 86400, &t, &oc), ACTION_OK);
	assert_int_equal(oc, TASK_ALREADY);
	task_clear(&t);
	assert_int_equal(raw_int(fx, "SELECT done_at FROM task"), now - 3 * 86400);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule_table),
		cmocka_unit_test_setup_teardown(test_staff_transitions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusal_sentences, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sms_permission, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reminders_follow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_done_on, setup, teardown),
	};
	return cmocka_run_group_tests_name("task", tests, NULL, NULL);
}
