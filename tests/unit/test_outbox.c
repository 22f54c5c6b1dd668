/*
 * test_outbox.c - the outbox's actions on a real database: a manual
 * message (the number normalized, linked to its holder, refused when they
 * opted out unless urgent, the text measured against sms.max_parts, a
 * template rendered for the holder, the input at fault named), the
 * client's ref queued once (the same request again is the first message,
 * another under the same ref is refused naming it), a file of messages
 * all or nothing, retry and cancel with their rules, and every change
 * written with its audit event or not at all (an event that cannot be
 * written takes the change back).
 *
 * The checks of what is on disk use a second SQLite connection, as another
 * process would see the file.
 */
#include "unit.h"

#include <limits.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/phone.h"
#include "base/diag.h"
#include "base/zone.h"
#include "core/config.h"
#include "core/ctx.h"
#include "core/outbox.h"
#include "core/tmpl.h"
#include "store/store.h"

struct fixture {
	char dir[64];
	char path[PATH_MAX];
	struct store *st;
	struct duban_config *cfg;
	struct tmpl_set *tmpls;
	struct duban_ctx x;
	int64_t farmer, opted; /* 陈宝根 15068766188; 林阿昌 13957608929 opted out */
};

static void
write_file(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(fp = fopen(path, "w"));
	fputs(text, fp);
	fclose(fp);
}

static int64_t
add_person(struct store *st, const char *name, const char *phone)
{
	struct person p = { .name = (char *)name, .phone = (char *)phone, .kind = "farmer" };
	int64_t id = 0;

	assert_int_equal(store_person_add(st, &p, &id), STORE_OK);
	return id;
}

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char err[512], tdir[PATH_MAX];
	struct diag d = { 0 };

	if (fx == NULL)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "%s", "/tmp/duban-test-outbox.XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	snprintf(fx->path, sizeof(fx->path), "%s/duban.db", fx->dir);
	if (store_open(fx->path, true, &fx->st, err, sizeof(err)) != STORE_OK)
		return -1;
	snprintf(tdir, sizeof(tdir), "%s/tpl", fx->dir);
	if (mkdir(tdir, 0700) != 0)
		return -1;
	write_file(tdir, "hello.txt", "{{person.name}}您好：请于{{var.date}}前报送材料。\n");
	write_file(tdir, "plain.txt", "请于{{var.date}}前报送材料。\n");
	write_file(tdir, "reminder.txt", "{{task.title}}将于{{task.deadline}}到期。\n");
	if (tmpl_set_load_dir(tdir, &fx->tmpls, &d) != 0)
		return -1;
	if ((fx->cfg = config_defaults()) == NULL)
		return -1;
	free(fx->cfg->signature);
	fx->cfg->signature = strdup("小雄镇人民政府");
	fx->farmer = add_person(fx->st, "陈宝根", "+8615068766188");
	fx->opted = add_person(fx->st, "林阿昌", "+8613957608929");
	assert_int_equal(store_person_set_optout(fx->st, fx->opted, 1228870800), STORE_OK);
	fx->x = (struct duban_ctx){ .st = fx->st, .cfg = fx->cfg, .tmpls = fx->tmpls,
				    .actor = "test" };
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[PATH_MAX + 16];

	store_close(fx->st);
	tmpl_set_free(fx->tmpls);
	config_free(fx->cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	if (system(cmd) != 0)
		return -1;
	free(fx);
	return 0;
}

/* Run sql on a connection of its own: an integer, or a text compared by the caller. */
static int64_t
count(struct fixture *fx, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int64_t v;

	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static void
exec(struct fixture *fx, const char *sql)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_close(db);
}

/* Nothing of any kind was written: no message, no event. */
static void
assert_nothing(struct fixture *fx)
{
	assert_int_equal(count(fx, "SELECT (SELECT count(*) FROM message) + "
				   "(SELECT count(*) FROM event)"),
			 0);
}

static void
test_parse_id(void **state)
{
	int64_t id = 0;

	(void)state;
	assert_int_equal(outbox_parse_id("12", &id), 0);
	assert_int_equal(id, 12);
	assert_int_equal(outbox_parse_id("#7", &id), 0);
	assert_int_equal(id, 7);
	assert_int_equal(outbox_parse_id("N7", &id), -1);
	assert_int_equal(outbox_parse_id("#", &id), -1);
	assert_int_equal(outbox_parse_id("0", &id), -1);
	assert_int_equal(outbox_parse_id("12x", &id), -1);
	assert_int_equal(outbox_parse_id("", &id), -1);
}

static void
test_send(void **state)
{
	struct fixture *fx = *state;
	struct outbox_req rq = { .to = "138-0013-8000", .text = "会议通知：明天上午9点开会" };
	struct outbox_queued q;
	struct message m;
	char masked[PHONE_MAX], sql[256];

	assert_int_equal(outbox_send(&fx->x, &rq, &q), ACTION_OK);
	assert_false(q.duplicate);
	assert_string_equal(q.phone, "+8613800138000");
	assert_int_equal(q.parts, 1);
	assert_string_equal(q.encoding, "UCS-2");
	assert_int_equal(store_msg_get(fx->st, q.id, &m), STORE_OK);
	assert_string_equal(m.kind, "manual");
	assert_string_equal(m.status, "queued");
	assert_int_equal(m.priority, PRIO_MANUAL);
	assert_int_equal(m.person, 0);
	assert_false(m.urgent);
	message_clear(&m);
	/* the event names the number masked, never in full */
	phone_mask("+8613800138000", masked, sizeof(masked));
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM event WHERE actor = 'test' AND action = 'message.send' "
		 "AND object = '#1' AND detail = '%s' AND instr(detail, '*') > 0",
		 masked);
	assert_int_equal(count(fx, sql), 1);

	/* a number of the people list is linked to its holder */
	rq = (struct outbox_req){ .to = "150 6876 6188", .text = "x" };
	assert_int_equal(outbox_send(&fx->x, &rq, &q), ACTION_OK);
	assert_int_equal(count(fx, "SELECT person FROM message WHERE id = 2"), fx->farmer);
	assert_int_equal(count(fx, "SELECT parts FROM message WHERE id = 2"), 1);
}

static void
test_send_opted_out(void **state)
{
	struct fixture *fx = *state;
	struct outbox_req rq = { .to = "13957608929", .text = "通知" };
	struct outbox_queued q;

	assert_int_equal(outbox_send(&fx->x, &rq, &q), ACTION_INVALID);
	assert_int_equal(q.fault, OUTBOX_IN_TO);
	assert_non_null(strstr(fx->x.err, "林阿昌 opted out"));
	assert_nothing(fx);
	rq.urgent = true;
	assert_int_equal(outbox_send(&fx->x, &rq, &q), ACTION_OK);
	assert_int_equal(count(fx, "SELECT count(*) FROM message WHERE urgent = 1 AND priority = 0"),
			 1);
}

static void
test_send_refused(void **state)
{
	struct fixture *fx = *state;
	char *vars[] = { "date=12月20日" };
	char longtext[1200];
	struct outbox_queued q;
	struct outbox_req rq;
	size_t n = 0;

	while (n + 3 < sizeof(longtext) - 1) {
		memcpy(longtext + n, "长", 3);
		n += 3;
	}
	longtext[n] = '\0';
	rq = (struct outbox_req){ .to = "12345", .text = "x" };
	assert_int_equal(outbox_send(&fx->x, &rq, &q), ACTION_INVALID);
	assert_int_equal(q.fault, OUTBOX_IN_TO);
	rq = (struct outbox_req){ .to = "13800138000", .text = "" };
	assert_int_equal(outbox_send(&fx->x, &rq, &q), ACTION_INVALID);
	assert_int_equal(q.fault, OUTBOX_IN_TEXT);
	rq = (struct outbox_req){ .to = "13800138000", .text = longtext };
	assert_int_equal(outbox_send(&fx->x, &rq, &q), ACTION_INVALID);
	assert_int_equal(q.fault, OUTBOX_IN_TEXT);
	assert_non_null(strstr(fx->x.err, "sms.max_parts"));
	rq = (struct outbox_req){ .to = "13800138000" };
	assert_int_equal(outbox_send(&fx->x, &rq, &q), ACTION_INVALID);
	assert_int_equal(q.fault, OUTBOX_IN_TEXT);
	rq = (struct outbox_req){ .to = "13800138000", .text = "x", .template_name = "plain" };
	assert_int_equal(outbox_send(&fx->x, &rq, &q), ACTION_INVALID);
	assert_int_equal(q.fault, OUTBOX_IN_TEMPLATE);
	rq = (struct outbox_req){ .to = "13800138000", .text = "x", .vars = vars, .nvars = 1 };
	assert_int_equal(outbox_send(&fx->x, &rq, &q), ACTION_INVALID);
	assert_int_equal(q.fault, OUTBOX_IN_VARS);
	assert_nothing(fx);
}

static void
test_send_template(void **state)
{
	struct fixture *fx = *state;
	char *vars[] = { "date=12月20日" };
	struct outbox_req rq = { .to = "15068766188", .template_name = "hello", .vars = vars,
				 .nvars = 1 };
	struct outbox_queued q;
	struct message m;

	assert_int_equal(outbox_send(&fx->x, &rq, &q), ACTION_OK);
	assert_int_equal(store_msg_get(fx->st, q.id, &m), STORE_OK);
	assert_string_equal(m.body, "陈宝根您好：请于12月20日前报送材料。");
	assert_string_equal(m.template_name, "hello");
	assert_int_equal(m.person, fx->farmer);
	message_clear(&m);

	/* a template naming its recipient needs one */
	rq.to = "13800138000";
	assert_int_equal(outbox_send(&fx->x, &rq, &q), ACTION_INVALID);
	assert_non_null(strstr(fx->x.err, "person.name"));
	rq = (struct outbox_req){ .to = "13800138000", .template_name = "plain" };
	assert_int_equal(outbox_send(&fx->x, &rq, &q), ACTION_INVALID);
	assert_int_equal(q.fault, OUTBOX_IN_VARS);
	rq = (struct outbox_req){ .to = "13800138000", .template_name = "reminder" };
	assert_int_equal(outbox_send(&fx->x, &rq, &q), ACTION_INVALID);
	assert_int_equal(q.fault, OUTBOX_IN_TEMPLATE);
	assert_non_null(strstr(fx->x.err, "needs a task"));
	rq = (struct outbox_req){ .to = "13800138000", .template_name = "nope" };
	assert_int_equal(outbox_send(&fx->x, &rq, &q), ACTION_NOTFOUND);
	assert_int_equal(q.fault, OUTBOX_IN_TEMPLATE);
	assert_int_equal(count(fx, "SELECT count(*) FROM message"), 1);
}

static void
test_send_ref(void **state)
{
	struct fixture *fx = *state;
	struct outbox_req rq = { .to = "15068766188", .text = "请明天上午到村委会领取补贴",
				 .ref = "oa-2008-0001" };
	struct outbox_queued q;
	int64_t first;

	assert_int_equal(outbox_send(&fx->x, &rq, &q), ACTION_OK);
	assert_false(q.duplicate);
	first = q.id;
	/* the same request again, the number typed another way: the first message */
	rq = (struct outbox_req){ .to = "+86 150-6876-6188", .text = "请明天上午到村委会领取补贴",
				  .ref = "oa-2008-0001" };
	assert_int_equal(outbox_send(&fx->x, &rq, &q), ACTION_OK);
	assert_true(q.duplicate);
	assert_int_equal(q.id, first);
	/* the same ref with another number, or another text: refused, naming the first */
	rq = (struct outbox_req){ .to = "13800138999", .text = "请明天上午到村委会领取补贴",
				  .ref = "oa-2008-0001" };
	assert_int_equal(outbox_send(&fx->x, &rq, &q), ACTION_EXISTS);
	assert_int_equal(q.fault, OUTBOX_IN_REF);
	assert_int_equal(q.id, first);
	assert_false(q.duplicate);
	assert_non_null(strstr(fx->x.err, "another number"));
	rq = (struct outbox_req){ .to = "15068766188", .text = "另一条", .ref = "oa-2008-0001" };
	assert_int_equal(outbox_send(&fx->x, &rq, &q), ACTION_EXISTS);
	assert_int_equal(q.id, first);
	assert_non_null(strstr(fx->x.err, "another text"));
	rq = (struct outbox_req){ .to = "15068766188", .template_name = "insurance",
				  .ref = "oa-2008-0001" };
	assert_int_equal(outbox_send(&fx->x, &rq, &q), ACTION_EXISTS);
	assert_non_null(strstr(fx->x.err, "another template"));
	/* before anything else is checked: a number that is none is another number */
	rq = (struct outbox_req){ .to = "12345", .ref = "oa-2008-0001" };
	assert_int_equal(outbox_send(&fx->x, &rq, &q), ACTION_EXISTS);
	assert_int_equal(q.fault, OUTBOX_IN_REF);
	assert_int_equal(count(fx, "SELECT count(*) FROM message"), 1);
	assert_int_equal(count(fx, "SELECT count(*) FROM event"), 1);
}

static void
test_send_file(void **state)
{
	struct fixture *fx = *state;
	struct outbox_file f;
	struct diag d = { 0 };
	char path[PATH_MAX - 128], detail[PATH_MAX];

	snprintf(path, sizeof(path), "%s/good.tsv", fx->dir);
	write_file(fx->dir, "good.tsv",
		   "\xEF\xBB\xBF# phone, text\n13800138000\t第一条\n\n150-6876-6188\t第二条\r\n");
	assert_int_equal(outbox_send_file(&fx->x, path, false, &d, &f), ACTION_OK);
	assert_int_equal(d.n, 0);
	assert_int_equal(f.count, 2);
	assert_int_equal(f.first, 1);
	assert_int_equal(f.last, 2);
	assert_int_equal(count(fx, "SELECT person FROM message WHERE id = 2"), fx->farmer);
	snprintf(detail, sizeof(detail),
		 "SELECT count(*) FROM event WHERE action = 'message.send-file' AND object = '%s' "
		 "AND detail = '2 messages'",
		 path);
	assert_int_equal(count(fx, detail), 1);

	/* one bad line and nothing is queued; every problem named with its line */
	snprintf(path, sizeof(path), "%s/bad.tsv", fx->dir);
	write_file(fx->dir, "bad.tsv", "13800138000\t好\n12345\t坏\n13957608929\t退订了\n");
	assert_int_equal(outbox_send_file(&fx->x, path, false, &d, &f), ACTION_INVALID);
	assert_int_equal(d.n, 2);
	assert_non_null(strstr(d.line[0], "bad.tsv:2:"));
	assert_non_null(strstr(d.line[1], "bad.tsv:3:"));
	assert_non_null(strstr(fx->x.err, "2 problems; nothing queued"));
	assert_int_equal(f.count, 0);
	diag_clear(&d);
	assert_int_equal(count(fx, "SELECT count(*) FROM message"), 2);
	assert_int_equal(count(fx, "SELECT count(*) FROM event"), 1);
}

static void
test_retry_cancel(void **state)
{
	struct fixture *fx = *state;
	struct outbox_req rq = { .to = "13800138000", .text = "x" };
	struct outbox_queued q;
	char was[16];

	assert_int_equal(outbox_send(&fx->x, &rq, &q), ACTION_OK);
	fx->x.actor = "clerk";
	assert_int_equal(outbox_cancel(&fx->x, q.id, was, sizeof(was)), ACTION_OK);
	assert_string_equal(was, "queued");
	assert_int_equal(count(fx, "SELECT count(*) FROM message WHERE status = 'cancelled' "
				   "AND last_error = 'cancelled by clerk'"),
			 1);
	assert_int_equal(outbox_cancel(&fx->x, q.id, NULL, 0), ACTION_INVALID);
	assert_non_null(strstr(fx->x.err, "is cancelled: cannot cancel it"));
	assert_int_equal(outbox_retry(&fx->x, q.id, was, sizeof(was)), ACTION_OK);
	assert_string_equal(was, "cancelled");
	assert_int_equal(count(fx, "SELECT count(*) FROM message WHERE status = 'queued' "
				   "AND attempts = 0 AND last_error IS NULL"),
			 1);
	assert_int_equal(count(fx, "SELECT count(*) FROM event WHERE actor = 'clerk' AND "
				   "((action = 'message.cancel' AND detail IS NULL) OR "
				   "(action = 'message.retry' AND detail = 'cancelled')) AND object = '#1'"),
			 2);

	/* a message sent is never sent twice; one being sent is left alone */
	exec(fx, "UPDATE message SET status = 'sent'");
	assert_int_equal(outbox_retry(&fx->x, q.id, NULL, 0), ACTION_INVALID);
	exec(fx, "UPDATE message SET status = 'sending'");
	assert_int_equal(outbox_cancel(&fx->x, q.id, NULL, 0), ACTION_INVALID);
	assert_non_null(strstr(fx->x.err, "being sent right now"));
	assert_int_equal(outbox_retry(&fx->x, 99, NULL, 0), ACTION_NOTFOUND);
	assert_int_equal(count(fx, "SELECT count(*) FROM event"), 3);
}

/* An audit event that cannot be written takes the change back with it. */
static void
test_change_and_event_together(void **state)
{
	struct fixture *fx = *state;
	struct outbox_req rq = { .to = "13800138000", .text = "x" };
	struct outbox_queued q;
	struct outbox_file f;
	struct diag d = { 0 };
	char path[PATH_MAX];

	assert_int_equal(outbox_send(&fx->x, &rq, &q), ACTION_OK);
	exec(fx, "UPDATE message SET status = 'failed'");
	exec(fx, "CREATE TRIGGER no_events BEFORE INSERT ON event "
		 "BEGIN SELECT RAISE(ABORT, 'the audit log is full'); END");
	assert_true(outbox_retry(&fx->x, q.id, NULL, 0) < 0);
	assert_non_null(strstr(fx->x.err, "audit log is full"));
	assert_int_equal(count(fx, "SELECT count(*) FROM message WHERE status = 'failed'"), 1);
	exec(fx, "UPDATE message SET status = 'queued'");
	assert_true(outbox_cancel(&fx->x, q.id, NULL, 0) < 0);
	assert_int_equal(count(fx, "SELECT count(*) FROM message WHERE status = 'queued'"), 1);
	assert_true(outbox_send(&fx->x, &rq, &q) < 0);
	snprintf(path, sizeof(path), "%s/one.tsv", fx->dir);
	write_file(fx->dir, "one.tsv", "13800138000\t一条\n");
	assert_true(outbox_send_file(&fx->x, path, false, &d, &f) < 0);
	assert_non_null(strstr(fx->x.err, "nothing queued"));
	diag_clear(&d);
	assert_int_equal(count(fx, "SELECT count(*) FROM message"), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_id),
		cmocka_unit_test_setup_teardown(test_send, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_opted_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_template, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_ref, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retry_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_change_and_event_together, setup, teardown),
	};

	if (time_set_zone("Asia/Shanghai") != 0)
		return 1;
	return cmocka_run_group_tests_name("outbox", tests, NULL, NULL);
}
