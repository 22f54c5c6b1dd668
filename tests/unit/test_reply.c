/*
 * test_reply.c - SMS replies (core/reply.c).  Their text: normalizing
 * (full-width letters and digits, every kind of space, trailing
 * punctuation) and classifying (TD/T/退订/N, 收到/1/好, 完成/办结 + code,
 * anything else).  What they do, through the same actions as the command
 * line: 完成 from an owner closes the task as from its lead, from the
 * supervisor it waits for staff, a cancelled task stays cancelled; TD and
 * "duban person optout" are one action (whichever comes second changes
 * nothing); the audit log names the sender; a text that is not UTF-8
 * stores nothing; an array of replies is applied whole or not at all.
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

/*
 * The grammar of the README's table, row by row: each form with the
 * command and codes (and note) it means.
 */
static void
expect_codes(const char *text, enum reply_cmd cmd, const char *codes, const char *note)
{
	struct reply_command r;
	char got[256] = "";

	reply_parse(text, &r);
	for (size_t i = 0; i < r.ncodes; i++) {
		if (i)
			strncat(got, " ", sizeof(got) - strlen(got) - 1);
		strncat(got, r.codes[i], sizeof(got) - strlen(got) - 1);
	}
	if (r.cmd != cmd || strcmp(got, codes) != 0)
		fail_msg("\"%s\": got %s [%s], want %s [%s]", text, reply_cmd_name(r.cmd), got,
			 reply_cmd_name(cmd), codes);
	if (note != NULL)
		assert_string_equal(r.note, note);
}

static void
test_grammar_table(void **state)
{
	(void)state;
	/* 完成 / 办结 with one code or several, the code before or after the verb */
	expect_codes("完成T3", REPLY_DONE, "T3", NULL);
	expect_codes("完成 T3 T4", REPLY_DONE, "T3 T4", NULL);
	expect_codes("完成T3、T4", REPLY_DONE, "T3 T4", NULL);
	expect_codes("完成T3,T4，T5", REPLY_DONE, "T3 T4 T5", NULL);
	expect_codes("完成T3和T4", REPLY_DONE, "T3 T4", NULL);
	expect_codes("完成T3T4", REPLY_DONE, "T3 T4", NULL);
	expect_codes("办结 T12", REPLY_DONE, "T12", NULL);
	expect_codes("T3已完成", REPLY_DONE, "T3", NULL);
	expect_codes("已完成T3", REPLY_DONE, "T3", NULL);
	expect_codes("T3完成", REPLY_DONE, "T3", NULL);
	expect_codes("T3 T4 已办结。", REPLY_DONE, "T3 T4", NULL);
	expect_codes("ｔ３已完成！", REPLY_DONE, "T3", NULL);
	expect_codes("完成 T12-2008-12", REPLY_DONE, "T12-2008-12", NULL);
	/* 收到: the last reminder or digest, or the tasks named */
	expect_codes("收到", REPLY_ACK, "", NULL);
	expect_codes("已收到", REPLY_ACK, "", NULL);
	expect_codes("收到T3", REPLY_ACK, "T3", NULL);
	expect_codes("T3收到", REPLY_ACK, "T3", NULL);
	expect_codes("收到 T3 T4", REPLY_ACK, "T3 T4", NULL);
	/* 进展: a dated note on the task, as written */
	expect_codes("进展 T3 已完成土方", REPLY_PROGRESS, "T3", "已完成土方");
	expect_codes("进展T3：已完成土方，还差路面 2 公里", REPLY_PROGRESS, "T3",
		     "已完成土方，还差路面 2 公里");
	expect_codes("进度 ｔ３ 50%", REPLY_PROGRESS, "T3", "50%");
	/* not commands */
	expect_codes("完成", REPLY_OTHER, "", NULL);
	expect_codes("进展 T3", REPLY_OTHER, "", NULL);
	expect_codes("完成 T3 T4 T5 T6 T7 T8 T9 T10 T11", REPLY_OTHER, "", NULL);
	expect_codes("完成T3了吗", REPLY_OTHER, "", NULL);
	expect_codes("T3 和 T4 还没完成", REPLY_OTHER, "", NULL);
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

/* A second task of the same lead, due later: T2. */
static int64_t
add_t2(struct fixture *fx)
{
	struct task t = { .title = "庙峙村道路硬化", .deadline = 2000100000 };
	struct assignee a[] = { { fx->lead, "lead" } };
	int64_t id;

	assert_int_equal(store_task_add(fx->st, &t, a, 1, &id, NULL), STORE_OK);
	return id;
}

/* The answer to reply ref. */
static void
expect_answer(struct fixture *fx, const char *ref, const char *want)
{
	char sql[256];

	snprintf(sql, sizeof(sql),
		 "SELECT x.body " UNIT_MSG
		 "JOIN inbound i ON m.dedupe_key = 'reply:ans:' || i.id "
		 "WHERE i.provider_ref = '%s'", ref);
	expect_sql(fx, sql, want);
}

static void
test_done_several(void **state)
{
	struct fixture *fx = *state;
	struct reply_result res;

	add_t2(fx);
	mo(fx, "17768096319", "完成 T1 T2", "mo-1", &res);
	assert_string_equal(res.action, "done");
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM task WHERE status = 'done'"), 2);
	expect_answer(fx, "mo-1", "已收到：T1、T2已标记为办结，相关提醒停止。");
	/* the reply is linked to both tasks it closed */
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM reply_task"), 2);
	/* one closed already, one unknown */
	mo(fx, "17768096319", "完成T1、T9", "mo-2", &res);
	assert_string_equal(res.action, "done-no-task");
	expect_answer(fx, "mo-2", "T1此前已办结，无需再回复。未找到事项T9，请回复“完成”加事项编号。");
	expect_sql(fx, "SELECT status FROM inbound WHERE provider_ref = 'mo-2'", "new");
}

static void
test_done_forms(void **state)
{
	struct fixture *fx = *state;
	struct reply_result res;

	add_t2(fx);
	mo(fx, "17768096319", "T1已完成", "mo-1", &res);
	assert_string_equal(res.action, "done");
	expect_answer(fx, "mo-1", "已收到：T1“梅岙塘农田改造工程”已标记为办结，相关提醒停止。");
	/* an unknown code: what to send instead, with one of the sender's open tasks */
	mo(fx, "17768096319", "已完成T9", "mo-2", &res);
	assert_string_equal(res.action, "done-no-task");
	expect_answer(fx, "mo-2", "未找到事项T9，请回复“完成”加事项编号，如“完成T2”。");
	mo(fx, "17768096319", "T2完成", "mo-3", &res);
	assert_string_equal(res.action, "done");
	/* text that is no command: answered, with how to close a task */
	mo(fx, "13857612345", "土方下周才能完", "mo-4", &res);
	assert_string_equal(res.action, "inbox");
	expect_answer(fx, "mo-4", "您的回复已转镇党政办。");
	/* a number nobody has */
	mo(fx, "13957600009", "完成T1", "mo-5", &res);
	assert_string_equal(res.action, "done-unknown");
	expect_answer(fx, "mo-5", "本号码未在镇督办平台登记，您的回复已转镇党政办。");
}

static void
test_progress(void **state)
{
	struct fixture *fx = *state;
	struct reply_result res;

	mo(fx, "13857612345", "进展 T1 已完成土方", "mo-1", &res);
	assert_string_equal(res.action, "progress");
	expect_answer(fx, "mo-1", "已记录T1的进展，谢谢。");
	expect_sql(fx, "SELECT p.name || ' ' || n.text FROM task_note n JOIN person p ON p.id = n.person",
		   "邵长发 已完成土方");
	expect_sql(fx, "SELECT status FROM task", "open");
	/* someone not on the task cannot add to it */
	add_person(fx->st, "王素琴", "+8613957608929");
	mo(fx, "13957608929", "进展T1：都好了", "mo-2", &res);
	assert_string_equal(res.action, "progress-no-task");
	expect_answer(fx, "mo-2", "未找到事项T1，请回复“进展”加事项编号。");
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM task_note"), 1);
}

static void
test_ack_codes(void **state)
{
	struct fixture *fx = *state;
	struct reply_result res;
	struct message m = { .person = fx->lead, .phone = "+8617768096319", .body = "x",
			     .encoding = "UCS-2", .parts = 1, .kind = "reminder", .task = fx->task,
			     .status = "queued" };
	int64_t id;

	assert_int_equal(store_msg_add(fx->st, &m, &id), STORE_OK);
	mo(fx, "17768096319", "收到T1", "mo-1", &res);
	/* queued, not sent yet: nothing to acknowledge */
	assert_string_equal(res.action, "ack-none");
	expect_answer(fx, "mo-1", "T1暂无需要确认的提醒。");
	char sql[160];
	snprintf(sql, sizeof(sql), "UPDATE message SET status = 'sent', sent_at = 1 WHERE id = %lld",
		 (long long)id);
	assert_int_equal(raw_int(fx, sql), -1);
	mo(fx, "17768096319", "T1收到", "mo-2", &res);
	assert_string_equal(res.action, "ack");
	assert_int_equal(res.message, id);
	expect_answer(fx, "mo-2", "已确认收到T1的督办提醒。");
	mo(fx, "17768096319", "收到", "mo-3", &res);
	assert_string_equal(res.action, "ack");
	expect_answer(fx, "mo-3", "已确认收到T1的督办提醒。");
}

/* An auto-responder answering every answer: at most 5 answers an hour. */
static void
test_answer_limit(void **state)
{
	struct fixture *fx = *state;
	struct reply_result res;
	char ref[16];

	for (int i = 0; i < 8; i++) {
		snprintf(ref, sizeof(ref), "mo-%d", i);
		mo(fx, "17768096319", "自动回复：我正在开会", ref, &res);
		assert_string_equal(res.action, "inbox");
		assert_true(res.limited == (i >= REPLY_ANSWERS_PER_HOUR));
	}
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM message WHERE kind = 'reply'"),
			 REPLY_ANSWERS_PER_HOUR);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM inbound"), 8);
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
	/* answered: why not, and that staff will see it */
	assert_true(res.reply > 0);
	expect_sql(fx, "SELECT phone || ' ' || body " UNIT_MSG "WHERE kind = 'reply'",
		   "+8613905761111 您不是T1的牵头领导或责任人，不能办结，已转镇党政办。");
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
	/* closed already, as before: nothing for the sender to do, and told so */
	assert_string_equal(res.action, "done-already");
	expect_sql(fx, "SELECT body " UNIT_MSG "WHERE kind = 'reply'", "T1已撤销，无需办结。");
	expect_sql(fx, "SELECT status FROM task", "cancelled");
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM event WHERE action = 'task.done'"), 0);
}

static void
test_optout_one_action(void **state)
{
	struct fixture *fx = *state;
	struct reply_result res;
	bool changed;

	/* the clerk first, then the reply: no second opt-out; told it stands */
	assert_int_equal(person_optout(&fx->x, "郑秀兰", NULL, &changed), ACTION_OK);
	assert_true(changed);
	mo(fx, "17768096319", "TD", "mo-1", &res);
	assert_string_equal(res.action, "optout-again");
	assert_true(res.reply > 0);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM event WHERE action = 'person.optout'"), 1);
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

/* Run sql on the database with a connection of the test's own. */
static void
raw_exec(struct fixture *fx, const char *sql)
{
	sqlite3 *db;
	char *msg = NULL;

	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg ? msg : "?");
	sqlite3_close(db);
}

/* What the three replies of an array did, or did not do: TD, 完成T1, 收到. */
static const char state_sql[] =
	"SELECT (SELECT count(*) FROM inbound) || ' ' || "
	"(SELECT count(*) FROM person WHERE opted_out_at IS NOT NULL) || ' ' || "
	"(SELECT status FROM task WHERE code = 'T1') || ' ' || "
	"(SELECT count(*) FROM message) || ' ' || "
	"(SELECT count(*) FROM event WHERE actor LIKE 'sms:%')";

/*
 * A provider's array of replies is applied in one transaction: all of
 * them, or - when one fails in the database half way - none, so the
 * provider's push of the same array again applies it whole, once.
 */
static void
test_receive_many(void **state)
{
	struct fixture *fx = *state;
	struct reply_in in[] = {
		{ .provider = "sim", .ref = "up-1", .from = "13857612345", .text = "TD" },
		{ .provider = "sim", .ref = "up-2", .from = "17768096319", .text = "完成T1" },
		{ .provider = "sim", .ref = "up-3", .from = "13905761111", .text = "收到" },
	};
	struct reply_result res[3];
	char before[64];
	sqlite3 *db;
	sqlite3_stmt *s;

	/* The third reply fails in the database (an error, not a constraint, which
	 * would read as a duplicate): the first two are undone. */
	raw_exec(fx, "CREATE TRIGGER fail_third BEFORE INSERT ON inbound "
		     "WHEN NEW.provider_ref = 'up-3' BEGIN SELECT abs(-9223372036854775807 - 1); END");
	assert_int_equal(reply_receive_many(&fx->x, in, 3, res), ACTION_ERROR);
	assert_non_null(strstr(fx->x.err, "reply 3 of 3: "));
	assert_non_null(strstr(fx->x.err, "integer overflow"));
	assert_string_equal(fx->x.actor, "front-end");
	expect_sql(fx, state_sql, "0 0 open 0 0");
	/* Pushed again, once the database is well: all three, together. */
	raw_exec(fx, "DROP TRIGGER fail_third");
	assert_int_equal(reply_receive_many(&fx->x, in, 3, res), ACTION_OK);
	assert_string_equal(res[0].action, "optout");
	assert_string_equal(res[1].action, "done");
	assert_int_equal(res[1].task, fx->task);
	assert_int_equal(strncmp(res[2].action, "ack", 3), 0);
	for (size_t i = 0; i < 3; i++)
		assert_false(res[i].duplicate);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM inbound"), 3);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM person WHERE opted_out_at IS NOT NULL "
				     "AND phone = '+8613857612345'"), 1);
	expect_sql(fx, "SELECT status FROM task WHERE code = 'T1'", "done");
	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, state_sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	snprintf(before, sizeof(before), "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(db);
	/* The same array a third time: every reply a duplicate, nothing changes. */
	assert_int_equal(reply_receive_many(&fx->x, in, 3, res), ACTION_OK);
	for (size_t i = 0; i < 3; i++)
		assert_true(res[i].duplicate);
	expect_sql(fx, state_sql, before);
	/* A text that is no UTF-8 anywhere in an array: refused before anything is written. */
	struct reply_in bad[] = {
		{ .provider = "sim", .ref = "up-4", .from = "13857612345", .text = "好" },
		{ .provider = "sim", .ref = "up-5", .from = "17768096319", .text = "\xff" },
	};
	assert_int_equal(reply_receive_many(&fx->x, bad, 2, res), ACTION_INVALID);
	assert_non_null(strstr(fx->x.err, "reply 2 of 2: "));
	expect_sql(fx, state_sql, before);
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
		cmocka_unit_test(test_grammar_table),
		cmocka_unit_test_setup_teardown(test_done_several, setup, teardown),
		cmocka_unit_test_setup_teardown(test_done_forms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_progress, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ack_codes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_answer_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_done_by_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_done_by_supervisor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_done_cancelled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_optout_one_action, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_utf8, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mark_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_receive_many, setup, teardown),
	};
	return cmocka_run_group_tests_name("reply", tests, NULL, NULL);
}
