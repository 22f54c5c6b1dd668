/*
 * test_reply.c - SMS replies (core/reply.c).  Their text: normalizing
 * (full-width letters and digits, every kind of space, trailing
 * punctuation) and classifying (TD/T/退订/N, 收到/1/好, 完成/办结 + code,
 * anything else).  What they do, through the same actions as the command
 * line: 完成 from an owner closes the task as from its lead, from the
 * supervisor it waits for staff, a cancelled task stays cancelled; TD and
 * "duban person optout" are one action (whichever comes second changes
 * nothing); the audit log names the sender; a text that is not UTF-8
 * stores nothing.
 */
#include "unit.h"
#include "unit_db.h"

#include <limits.h>
#include <sqlite3.h>

#include "base/log.h"
#include "core/config.h"
#include "core/ctx.h"
#include "core/person.h"
#include "core/reply.h"
#include "core/task.h"
#include "store/store.h"
#include "base/array.h"

/* ---- parsing -------------------------------------------------------------------------- */

static void
expect_norm(const char *in, const char *want)
{
	char out[256];

	assert_int_equal(reply_normalize(in, out, sizeof(out)), 0);
	assert_string_equal(out, want);
}

static void
test_normalize(void **state)
{
	(void)state;
	expect_norm("td", "TD");
	expect_norm("ＴＤ", "TD");
	expect_norm(" 完成　Ｔ１２ ", "完成T12");
	expect_norm("收到。", "收到");
	expect_norm("好！！", "好");
	expect_norm("1.", "1");
	expect_norm("\xC2\xA0退订\xE2\x80\x8B", "退订"); /* no-break and zero-width spaces */
	expect_norm("办结 t3~", "办结T3");
	expect_norm("", "");
	/* punctuation inside stays */
	expect_norm("好，收到", "好,收到");
	char out[8];
	assert_int_equal(reply_normalize("\xff\xfe", out, sizeof(out)), -1); /* not UTF-8 */
	assert_int_equal(reply_normalize("一二三四五六七八", out, sizeof(out)),
			 -1); /* too long */
}

static void
expect_cmd(const char *text, enum reply_cmd cmd, const char *code)
{
	struct reply_command r;

	reply_parse(text, &r);
	if (r.cmd != cmd)
		fail_msg("\"%s\": got %s, want %s", text, reply_cmd_name(r.cmd),
			 reply_cmd_name(cmd));
	if (code)
		assert_string_equal(r.code, code);
}

static void
test_parse_reply(void **state)
{
	(void)state;
	expect_cmd("TD", REPLY_OPTOUT, NULL);
	expect_cmd("td", REPLY_OPTOUT, NULL);
	expect_cmd("Ｔ", REPLY_OPTOUT, NULL);
	expect_cmd("退订", REPLY_OPTOUT, NULL);
	expect_cmd(" n ", REPLY_OPTOUT, NULL);
	expect_cmd("退订。", REPLY_OPTOUT, NULL);
	expect_cmd("收到", REPLY_ACK, NULL);
	expect_cmd("1", REPLY_ACK, NULL);
	expect_cmd("１", REPLY_ACK, NULL);
	expect_cmd("好", REPLY_ACK, NULL);
	expect_cmd("收到！", REPLY_ACK, NULL);
	expect_cmd("完成 T12", REPLY_DONE, "T12");
	expect_cmd("完成T12", REPLY_DONE, "T12");
	expect_cmd("办结 T12", REPLY_DONE, "T12");
	expect_cmd("完成　ｔ１２。", REPLY_DONE, "T12");
	expect_cmd("完成：T7", REPLY_DONE, "T7");
	expect_cmd("办结 MAT-3", REPLY_DONE, "MAT-3");
	/* everything else: the inbox */
	expect_cmd("完成", REPLY_OTHER, NULL);
	expect_cmd("完成了吗", REPLY_OTHER, NULL);
	expect_cmd("TDD", REPLY_OTHER, NULL);
	expect_cmd("11", REPLY_OTHER, NULL);
	expect_cmd("好的，明天去", REPLY_OTHER, NULL);
	expect_cmd("请问补贴什么时候发？", REPLY_OTHER, NULL);
	expect_cmd("", REPLY_OTHER, NULL);
	expect_cmd("   ", REPLY_OTHER, NULL);
	expect_cmd("\xff", REPLY_OTHER, NULL);
}

/* ---- acting on replies ------------------------------------------------------------------ */

struct fixture {
	char dir[64];
	char path[PATH_MAX];
	struct store *st;
	struct duban_config *cfg;
	struct duban_ctx x;
	int64_t lead, owner, sup, task;
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
	struct task t = { .title = "梅岙塘农田改造工程", .deadline = 2000000000 };
	char err[512];

	if (fx == NULL)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "%s", "/tmp/duban-test-reply.XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	snprintf(fx->path, sizeof(fx->path), "%s/duban.db", fx->dir);
	if (store_open(fx->path, true, &fx->st, err, sizeof(err)) != STORE_OK)
		return -1;
	log_open("test", NULL, LOG_WARN);
	if ((fx->cfg = config_defaults()) == NULL)
		return -1;
	fx->lead = add_person(fx->st, "郑秀兰", "+8617768096319");
	fx->owner = add_person(fx->st, "邵长发", "+8613857612345");
	fx->sup = add_person(fx->st, "林志远", "+8613905761111");
	{
		struct assignee a[] = { { fx->lead, "lead" },
					{ fx->owner, "owner" },
					{ fx->sup, "supervisor" } };
		if (store_task_add(fx->st, &t, a, ARRAY_LEN(a), &fx->task, NULL) != STORE_OK)
			return -1;
	}
	fx->x.st = fx->st;
	fx->x.cfg = fx->cfg;
	fx->x.actor = "front-end";
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
	return unit_sql_int(fx->path, sql);
}

static void
expect_sql(struct fixture *fx, const char *sql, const char *want)
{
	unit_expect_sql(fx->path, sql, want);
}

static void
mo(struct fixture *fx, const char *from, const char *text, const char *id,
   struct reply_result *res)
{
	struct reply_in in = { .provider = "sim", .ref = id, .from = from, .text = text };

	if (reply_receive(&fx->x, &in, res) != ACTION_OK)
		fail_msg("reply_receive: %s", fx->x.err);
	assert_string_equal(fx->x.actor, "front-end"); /* the caller's, given back */
}

static void
test_done_by_owner(void **state)
{
	struct fixture *fx = *state;
	struct reply_result res;

	mo(fx, "13857612345", "办结 T1", "mo-1", &res);
	assert_string_equal(res.action, "done");
	assert_int_equal(res.task, fx->task);
	assert_true(res.reply > 0);
	expect_sql(fx, "SELECT p.name FROM task t JOIN person p ON p.id = t.done_by", "邵长发");
	expect_sql(fx, "SELECT actor || ' ' || action || ' ' || object || ' ' || detail FROM event",
		   "sms:邵长发 task.done T1 by SMS reply");
	expect_sql(fx, "SELECT status FROM inbound", "handled");
}

static void
test_done_by_supervisor(void **state)
{
	struct fixture *fx = *state;
	struct reply_result res;

	mo(fx, "13905761111", "完成T1", "mo-1", &res);
	assert_string_equal(res.action, "done-refused");
	assert_int_equal(res.task, fx->task);
	assert_int_equal(res.reply, 0);
	expect_sql(fx, "SELECT status FROM task", "open");
	expect_sql(fx, "SELECT status FROM inbound", "new");
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM event"), 0);
}

static void
test_done_cancelled(void **state)
{
	struct fixture *fx = *state;
	struct reply_result res;
	enum task_outcome oc;

	assert_int_equal(task_cancel(&fx->x, "T1", NULL, &oc), ACTION_OK);
	mo(fx, "17768096319", "完成 T1", "mo-1", &res);
	/* closed already, as before: nothing for the sender to do, no confirmation */
	assert_string_equal(res.action, "done-already");
	assert_int_equal(res.reply, 0);
	expect_sql(fx, "SELECT status FROM task", "cancelled");
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM event WHERE action = 'task.done'"), 0);
}

static void
test_optout_one_action(void **state)
{
	struct fixture *fx = *state;
	struct reply_result res;
	bool changed;

	/* the clerk first, then the reply: no second opt-out, no confirmation */
	assert_int_equal(person_optout(&fx->x, "郑秀兰", NULL, &changed), ACTION_OK);
	assert_true(changed);
	mo(fx, "17768096319", "TD", "mo-1", &res);
	assert_string_equal(res.action, "optout-again");
	assert_int_equal(res.reply, 0);
	/* opted in by the clerk, out again by SMS: confirmed */
	assert_int_equal(person_optin(&fx->x, "郑秀兰", NULL, &changed), ACTION_OK);
	mo(fx, "17768096319", "退订", "mo-2", &res);
	assert_string_equal(res.action, "optout");
	assert_true(res.reply > 0);
	expect_sql(fx,
		   "SELECT actor || ' ' || object || ' ' || detail FROM event "
		   "WHERE action = 'person.optout' ORDER BY id DESC",
		   "sms:郑秀兰 +8617768096319 by SMS reply");
	/* and the clerk after the reply: already */
	assert_int_equal(person_optout(&fx->x, "郑秀兰", NULL, &changed), ACTION_OK);
	assert_false(changed);
}

static void
test_not_utf8(void **state)
{
	struct fixture *fx = *state;
	struct reply_in in = { .provider = "sim", .ref = "x", .from = "17768096319",
			       .text = "\xff\xfe" };
	struct reply_result res;

	assert_int_equal(reply_receive(&fx->x, &in, &res), ACTION_INVALID);
	assert_non_null(strstr(fx->x.err, "UTF-8"));
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM inbound"), 0);
}

static void
test_mark_read(void **state)
{
	struct fixture *fx = *state;
	struct reply_result a, b;
	int64_t ids[2];

	mo(fx, "17768096319", "路灯坏了", "mo-1", &a);
	mo(fx, "13857612345", "明天去", "mo-2", &b);
	ids[0] = a.inbound;
	ids[1] = 99;
	assert_int_equal(reply_mark_read(&fx->x, ids, 2), ACTION_NOTFOUND);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM inbound WHERE status = 'read'"), 0);
	ids[1] = b.inbound;
	assert_int_equal(reply_mark_read(&fx->x, ids, 2), ACTION_OK);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM inbound WHERE status = 'read'"), 2);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM event WHERE action = 'reply.read' "
				     "AND actor = 'front-end'"),
			 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_parse_reply),
		cmocka_unit_test_setup_teardown(test_done_by_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_done_by_supervisor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_done_cancelled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_optout_one_action, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_utf8, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mark_read, setup, teardown),
	};
	return cmocka_run_group_tests_name("reply", tests, NULL, NULL);
}
