/*
 * test_store.c - the database: creating it (0600, current schema),
 * reopening it (nothing to do), refusing what it must refuse (no file
 * without create, a database written by a newer duban, an unmigrated one
 * without create), migrating an empty SQLite file and a schema 2 one with
 * planted delivery reports, the connection settings
 * (WAL, foreign keys), and the store rules the CLI relies on: unique phone
 * numbers that name their holder, ambiguous names, every lookup or change
 * of a missing row naming what it looked for, membership changes saying
 * what they changed, task codes T1, T2 ..., a task's status change
 * cancelling its unsent reminders and resetting its next fire time, and
 * the outbox row by row: a client reference queued
 * once and found again, retry and cancel refusing what they must and
 * joining the caller's transaction.
 *
 * The checks of what is on disk use a second SQLite connection of their
 * own, as another process would see the file.
 */
#include "unit.h"

#include <limits.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"
#include "store/store_int.h" /* the migrations, to make an older database */

struct fixture {
	char dir[64];
	char path[PATH_MAX]; /* dir/duban.db */
	char err[1024];
	struct store *st;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "%s", "/tmp/duban-test-store.XXXXXX");
	if (mkdtemp(fx->dir) == NULL) {
		free(fx);
		return -1;
	}
	snprintf(fx->path, sizeof(fx->path), "%s/duban.db", fx->dir);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[PATH_MAX + 16];

	store_close(fx->st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	if (system(cmd) != 0)
		return -1;
	free(fx);
	return 0;
}

/* A fixture with a fresh database open. */
static int setup_open(void **state)
{
	struct fixture *fx;

	if (setup(state) != 0)
		return -1;
	fx = *state;
	if (store_open(fx->path, true, &fx->st, fx->err, sizeof(fx->err)) != STORE_OK) {
		print_error("store_open: %s\n", fx->err);
		return -1;
	}
	return 0;
}

/* ---- direct SQLite access, as another process ---------------------------- */

static sqlite3 *raw_open(const char *path)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL),
			 SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	return db;
}

static void raw_exec(const char *path, const char *sql)
{
	sqlite3 *db = raw_open(path);
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg ? msg : "?");
	sqlite3_close(db);
}

/* The first column of the first row of sql as an integer (-1 for NULL). */
static int64_t raw_int(const char *path, const char *sql)
{
	sqlite3 *db = raw_open(path);
	sqlite3_stmt *s = NULL;
	int64_t v;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_type(s, 0) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static void raw_text(const char *path, const char *sql, char *out, size_t outlen)
{
	sqlite3 *db = raw_open(path);
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	snprintf(out, outlen, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(db);
}

static void expect_contains(const char *text, const char *part)
{
	if (strstr(text, part) == NULL)
		fail_msg("\"%s\" does not contain \"%s\"", text, part);
}

/* ---- opening and migrating ------------------------------------------------ */

static void test_create(void **state)
{
	struct fixture *fx = *state;
	struct stat sb;
	mode_t old = umask(0); /* the mode must not depend on the umask */

	assert_int_equal(store_open(fx->path, true, &fx->st, fx->err, sizeof(fx->err)), STORE_OK);
	umask(old);
	assert_non_null(fx->st);
	assert_int_equal(stat(fx->path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_true(store_schema() >= 1);
	assert_int_equal(raw_int(fx->path, "PRAGMA user_version"), store_schema());
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM sqlite_master WHERE name = 'person'"), 1);
}

static void test_reopen_is_noop(void **state)
{
	struct fixture *fx = *state;
	struct person p = { .name = "林志远", .phone = "+8613957608911", .kind = "official" };
	int from = -1, to = -1;
	int64_t id;

	assert_int_equal(store_open(fx->path, true, &fx->st, fx->err, sizeof(fx->err)), STORE_OK);
	assert_int_equal(store_person_add(fx->st, &p, &id), STORE_OK);
	store_close(fx->st);
	fx->st = NULL;

	/* With or without create, a current database opens as it is. */
	assert_int_equal(store_open(fx->path, true, &fx->st, fx->err, sizeof(fx->err)), STORE_OK);
	assert_int_equal(store_migrate(fx->st, &from, &to), STORE_OK);
	assert_int_equal(from, store_schema());
	assert_int_equal(to, store_schema());
	store_close(fx->st);
	fx->st = NULL;
	assert_int_equal(store_open(fx->path, false, &fx->st, fx->err, sizeof(fx->err)), STORE_OK);
	assert_int_equal(raw_int(fx->path, "PRAGMA user_version"), store_schema());
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM person"), 1);
}

static void test_missing_without_create(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(store_open(fx->path, false, &fx->st, fx->err, sizeof(fx->err)),
			 STORE_NOTFOUND);
	assert_null(fx->st);
	expect_contains(fx->err, fx->path);
	expect_contains(fx->err, "run \"duban init\"");
	assert_int_equal(access(fx->path, F_OK), -1); /* nothing created */
}

static void test_newer_refused(void **state)
{
	struct fixture *fx = *state;
	int from, to;

	assert_int_equal(store_open(fx->path, true, &fx->st, fx->err, sizeof(fx->err)), STORE_OK);
	store_close(fx->st);
	fx->st = NULL;
	raw_exec(fx->path, "PRAGMA user_version = 99");

	for (int create = 0; create <= 1; create++) {
		fx->err[0] = '\0';
		assert_int_equal(store_open(fx->path, create, &fx->st, fx->err, sizeof(fx->err)),
				 STORE_INVALID);
		assert_null(fx->st);
		expect_contains(fx->err, "newer duban");
		expect_contains(fx->err, "99");
	}
	assert_int_equal(raw_int(fx->path, "PRAGMA user_version"), 99); /* left alone */

	/* store_migrate on a connection that found a newer schema refuses too. */
	{
		char current[64];
		snprintf(current, sizeof(current), "PRAGMA user_version = %d", store_schema());
		raw_exec(fx->path, current);
	}
	assert_int_equal(store_open(fx->path, false, &fx->st, fx->err, sizeof(fx->err)), STORE_OK);
	raw_exec(fx->path, "PRAGMA user_version = 99");
	assert_int_equal(store_migrate(fx->st, &from, &to), STORE_INVALID);
	expect_contains(store_errmsg(fx->st), "newer duban");
	assert_int_equal(raw_int(fx->path, "PRAGMA user_version"), 99);
}

static void test_version_zero_migrates(void **state)
{
	struct fixture *fx = *state;

	/* An SQLite file that is not (yet) a duban database: user_version 0. */
	raw_exec(fx->path, "CREATE TABLE scratch (x INTEGER)");
	assert_int_equal(raw_int(fx->path, "PRAGMA user_version"), 0);

	assert_int_equal(store_open(fx->path, false, &fx->st, fx->err, sizeof(fx->err)),
			 STORE_INVALID);
	assert_null(fx->st);
	expect_contains(fx->err, "duban init");
	assert_int_equal(raw_int(fx->path, "PRAGMA user_version"), 0);

	assert_int_equal(store_open(fx->path, true, &fx->st, fx->err, sizeof(fx->err)), STORE_OK);
	assert_int_equal(raw_int(fx->path, "PRAGMA user_version"), store_schema());
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM sqlite_master WHERE name = 'task'"), 1);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM sqlite_master WHERE name = 'scratch'"), 1);
}

/*
 * Schema 3 takes back what schema 2 let anyone plant: unlinked reports for
 * duban's "duban-ID" of messages never tried are dropped, those of a
 * message whose request had gone out are linked to it, and a provider's
 * id keeps waiting, for a day.
 */
static void test_v3_drops_planted_reports(void **state)
{
	struct fixture *fx = *state;
	char sql[1024];

	raw_exec(fx->path, "PRAGMA journal_mode = WAL");
	raw_exec(fx->path, store_migrations[0]);
	raw_exec(fx->path, store_migrations[1]);
	raw_exec(fx->path, "PRAGMA user_version = 2");
	snprintf(sql, sizeof(sql),
		 "INSERT INTO message (id, phone, body, encoding, parts, kind, status, attempts, "
		 "  created_at, not_before) VALUES "
		 "(1, '+8613800138000', 'a', 'GSM-7', 1, 'manual', 'sending', 0, 1000, 1000),"
		 "(2, '+8613800138001', 'b', 'GSM-7', 1, 'manual', 'queued', 0, 1000, 1000),"
		 "(3, '+8613800138002', 'c', 'GSM-7', 1, 'manual', 'queued', 1, 1000, 1000);"
		 "INSERT INTO dlr (provider, provider_ref, status, received_at) VALUES "
		 "('sim', 'duban-1', 'delivered', 2000), ('sim', 'duban-2', 'failed', 2000),"
		 "('sim', 'duban-3', 'failed', 2000), ('sim', 'duban-4', 'failed', 2000),"
		 "('sim', 'duban-04', 'failed', 2000), ('sim', 'sim-9', 'delivered', 2000)");
	raw_exec(fx->path, sql);

	assert_int_equal(store_open(fx->path, true, &fx->st, fx->err, sizeof(fx->err)), STORE_OK);
	assert_int_equal(raw_int(fx->path, "PRAGMA user_version"), store_schema());
	raw_text(fx->path,
		 "SELECT group_concat(provider_ref || ':' || coalesce(message, '-') || ':' || "
		 "coalesce(keep_until, '-'), ' ') FROM (SELECT * FROM dlr ORDER BY id)",
		 sql, sizeof(sql));
	/* duban-04 is no id duban writes: a provider's, waiting like sim-9 */
	assert_string_equal(sql, "duban-1:1:- duban-3:3:- duban-04:-:88400 sim-9:-:88400");
	/* v10 moved each row's text into message_text: every one is still there */
	raw_text(fx->path,
		 "SELECT group_concat(m.id || '=' || x.body, ' ') FROM (SELECT * FROM message "
		 "ORDER BY id) m JOIN message_text x ON x.id = m.text_id",
		 sql, sizeof(sql));
	assert_string_equal(sql, "1=a 2=b 3=c");
}

static void test_wal_and_foreign_keys(void **state)
{
	struct fixture *fx = *state;
	struct person p = { .name = "王海斌", .phone = "+8613805710828" };
	struct group g = { 0 };
	char mode[32];
	int64_t id;

	raw_text(fx->path, "PRAGMA journal_mode", mode, sizeof(mode));
	assert_string_equal(mode, "wal");

	/* Foreign keys on: a membership of nobody is refused ... */
	assert_int_equal(store_group_find(fx->st, "镇领导班子", true, &g), STORE_OK);
	assert_int_not_equal(store_member_add(fx->st, g.id, 4242, NULL), STORE_OK);
	/* ... and removing a person cascades to their memberships. */
	assert_int_equal(store_person_add(fx->st, &p, &id), STORE_OK);
	assert_int_equal(store_member_add(fx->st, g.id, id, NULL), STORE_OK);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM member"), 1);
	assert_int_equal(store_person_remove(fx->st, id), STORE_OK);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM member"), 0);
	group_clear(&g);
}

/* ---- people ------------------------------------------------------------------ */

static void test_duplicate_phone(void **state)
{
	struct fixture *fx = *state;
	struct person a = { .name = "林志远", .phone = "+8613957608911", .title = "党委书记",
			    .org = "小雄镇", .kind = "official" };
	struct person b = { .name = "林雪梅", .phone = "+8613957608911", .kind = "official" };
	int64_t ida, idb = -7;

	assert_int_equal(store_person_add(fx->st, &a, &ida), STORE_OK);
	assert_true(ida > 0);
	assert_int_equal(store_person_add(fx->st, &b, &idb), STORE_EXISTS);
	assert_int_equal(idb, -7);
	expect_contains(store_errmsg(fx->st), "林志远");
	expect_contains(store_errmsg(fx->st), "+8613957608911");
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM person"), 1);
}

static void test_find_person(void **state)
{
	struct fixture *fx = *state;
	struct person a = { .name = "陈永福", .phone = "+8615068766208", .org = "小雄村" };
	struct person b = { .name = "陈永福", .phone = "+8613805717498", .org = "五支岙村" };
	struct person c = { .name = "张美娟", .phone = "+8613805715193" };
	struct person out = { 0 };
	int64_t ida, idb, idc;
	char who[32];

	assert_int_equal(store_person_add(fx->st, &a, &ida), STORE_OK);
	assert_int_equal(store_person_add(fx->st, &b, &idb), STORE_OK);
	assert_int_equal(store_person_add(fx->st, &c, &idc), STORE_OK);

	assert_int_equal(store_person_find(fx->st, "陈永福", &out), STORE_AMBIGUOUS);
	assert_null(out.name);
	expect_contains(store_errmsg(fx->st), "ambiguous");
	expect_contains(store_errmsg(fx->st), "小雄村");
	expect_contains(store_errmsg(fx->st), "五支岙村");

	assert_int_equal(store_person_find(fx->st, "张美娟", &out), STORE_OK);
	assert_int_equal(out.id, idc);
	assert_string_equal(out.phone, "+8613805715193");
	person_clear(&out);

	assert_int_equal(store_person_find(fx->st, "+8613805717498", &out), STORE_OK);
	assert_int_equal(out.id, idb);
	assert_string_equal(out.org, "五支岙村");
	assert_string_equal(out.kind, "other"); /* the default kind */
	person_clear(&out);

	snprintf(who, sizeof(who), "#%lld", (long long)ida);
	assert_int_equal(store_person_find(fx->st, who, &out), STORE_OK);
	assert_string_equal(out.phone, "+8615068766208");
	person_clear(&out);

	assert_int_equal(store_person_find(fx->st, "李明", &out), STORE_NOTFOUND);
	assert_int_equal(store_person_find(fx->st, "+8613800138000", &out), STORE_NOTFOUND);
	assert_int_equal(store_person_find(fx->st, "#999", &out), STORE_NOTFOUND);
}

/* Each lookup and change of a missing row says what it looked for, word for word. */
static void test_missing_rows_named(void **state)
{
	struct fixture *fx = *state;
	struct person out = { 0 };
	struct task t = { 0 };
	struct message m = { 0 };
	struct group g = { 0 };
	struct person edit = { .title = "村委委员" };
	int64_t id;

	assert_int_equal(store_person_get(fx->st, 999, &out), STORE_NOTFOUND);
	assert_string_equal(store_errmsg(fx->st), "no person #999");
	assert_int_equal(store_person_find(fx->st, "#998", &out), STORE_NOTFOUND);
	assert_string_equal(store_errmsg(fx->st), "no person #998");
	assert_int_equal(store_person_find(fx->st, "+8613800138000", &out), STORE_NOTFOUND);
	assert_string_equal(store_errmsg(fx->st), "nobody has the phone number +8613800138000");
	/* "#" without a number 1..INT32_MAX is a name like any other */
	assert_int_equal(store_person_find(fx->st, "#0", &out), STORE_NOTFOUND);
	assert_string_equal(store_errmsg(fx->st),
			    "nobody is called \"#0\" (give a name or a phone number)");
	assert_int_equal(store_person_find(fx->st, "#12x", &out), STORE_NOTFOUND);
	assert_string_equal(store_errmsg(fx->st),
			    "nobody is called \"#12x\" (give a name or a phone number)");
	assert_int_equal(store_person_update(fx->st, 997, &edit), STORE_NOTFOUND);
	assert_string_equal(store_errmsg(fx->st), "no person #997");
	assert_int_equal(store_person_remove(fx->st, 996), STORE_NOTFOUND);
	assert_string_equal(store_errmsg(fx->st), "no person #996");

	assert_int_equal(store_task_get(fx->st, 42, &t), STORE_NOTFOUND);
	assert_string_equal(store_errmsg(fx->st), "no task #42");
	assert_int_equal(store_task_find(fx->st, "#43", &t), STORE_NOTFOUND);
	assert_string_equal(store_errmsg(fx->st), "no task #43");
	assert_int_equal(store_task_find(fx->st, "T9", &t), STORE_NOTFOUND);
	assert_string_equal(store_errmsg(fx->st), "no task with code \"T9\"");
	assert_int_equal(store_task_find(fx->st, "#T9", &t), STORE_NOTFOUND);
	assert_string_equal(store_errmsg(fx->st), "no task with code \"#T9\"");
	assert_int_equal(store_task_update(fx->st, 44, 0, "x", NULL, NULL, -1), STORE_NOTFOUND);
	assert_string_equal(store_errmsg(fx->st), "no task #44");
	assert_int_equal(store_task_set_status(fx->st, 45, "done", 0, 0), STORE_NOTFOUND);
	assert_string_equal(store_errmsg(fx->st), "no task #45");

	assert_int_equal(store_msg_get(fx->st, 7, &m), STORE_NOTFOUND);
	assert_string_equal(store_errmsg(fx->st), "no message #7");
	assert_int_equal(store_msg_cancel(fx->st, 8, 1228870800, "x", NULL, 0), STORE_NOTFOUND);
	assert_string_equal(store_errmsg(fx->st), "no message #8");
	assert_int_equal(store_msg_find_ref(fx->st, "oa-9", &id), STORE_NOTFOUND);
	assert_string_equal(store_errmsg(fx->st), "no message with ref \"oa-9\"");
	assert_int_equal(id, 0);

	assert_int_equal(store_inbound_set(fx->st, 5, "done", NULL), STORE_NOTFOUND);
	assert_string_equal(store_errmsg(fx->st), "no reply #5");
	assert_int_equal(store_group_find(fx->st, "两委", false, &g), STORE_NOTFOUND);
	assert_string_equal(store_errmsg(fx->st), "no group called \"两委\"");
}

/* A person's update names the holder of a taken phone; a group's membership says what changed. */
static void test_update_and_members(void **state)
{
	struct fixture *fx = *state;
	struct person a = { .name = "林志远", .phone = "+8613957608911", .kind = "official" };
	struct person b = { .name = "林雪梅", .phone = "+8613957608912", .kind = "official" };
	struct person to_a = { .phone = "+8613957608911" };
	struct person bad_kind = { .kind = "martian" };
	struct group g = { 0 };
	int64_t ida, idb;
	bool changed;

	assert_int_equal(store_person_add(fx->st, &a, &ida), STORE_OK);
	assert_int_equal(store_person_add(fx->st, &b, &idb), STORE_OK);
	assert_int_equal(store_person_update(fx->st, idb, &to_a), STORE_EXISTS);
	expect_contains(store_errmsg(fx->st), "already belongs to 林志远");
	/* a constraint that is not the phone's is a plain failure */
	assert_int_equal(store_person_update(fx->st, idb, &bad_kind), STORE_ERROR);
	expect_contains(store_errmsg(fx->st), "updating a person: ");

	assert_int_equal(store_group_find(fx->st, "两委", true, &g), STORE_OK);
	assert_int_equal(store_member_add(fx->st, g.id, ida, &changed), STORE_OK);
	assert_true(changed);
	assert_int_equal(store_member_add(fx->st, g.id, ida, &changed), STORE_OK);
	assert_false(changed); /* already a member */
	assert_int_equal(store_member_remove(fx->st, g.id, idb, &changed), STORE_OK);
	assert_false(changed); /* never was */
	assert_int_equal(store_member_remove(fx->st, g.id, ida, &changed), STORE_OK);
	assert_true(changed);
	group_clear(&g);
	assert_int_equal(store_group_find(fx->st, "两委", false, &g), STORE_OK);
	assert_int_equal(g.members, 0);
	group_clear(&g);
}

/* ---- tasks ----------------------------------------------------------------- */

static int64_t add_lead(struct fixture *fx)
{
	struct person p = { .name = "郑秀兰", .phone = "+8617768096319", .kind = "official" };
	int64_t id;

	assert_int_equal(store_person_add(fx->st, &p, &id), STORE_OK);
	return id;
}

static int64_t add_task(struct fixture *fx, const char *code, const char *title, int64_t lead,
			char **code_out)
{
	struct task t = { .code = (char *)code, .title = (char *)title, .deadline = 1230739140 };
	struct assignee a = { lead, "lead" };
	int64_t id = 0;

	assert_int_equal(store_task_add(fx->st, &t, &a, 1, &id, code_out), STORE_OK);
	assert_true(id > 0);
	return id;
}

static void test_task_codes(void **state)
{
	struct fixture *fx = *state;
	int64_t lead = add_lead(fx);
	struct task t = { .title = "重复", .deadline = 1230739140 };
	struct task got = { 0 };
	char *code = NULL;

	add_task(fx, NULL, "梅岙塘农田改造工程", lead, &code);
	assert_string_equal(code, "T1");
	free(code);
	add_task(fx, "", "庙峙村内道路硬化", lead, &code);
	assert_string_equal(code, "T2");
	free(code);
	add_task(fx, "XS9", "山场小学宿舍楼扩建", lead, &code);
	assert_string_equal(code, "XS9");
	free(code);
	add_task(fx, NULL, "筹建联谊会", lead, &code);
	assert_string_equal(code, "T3");
	free(code);

	t.code = "T2";
	assert_int_equal(store_task_add(fx->st, &t, NULL, 0, NULL, NULL), STORE_EXISTS);
	expect_contains(store_errmsg(fx->st), "T2");

	assert_int_equal(store_task_find(fx->st, "t2", &got), STORE_OK); /* any case */
	assert_string_equal(got.title, "庙峙村内道路硬化");
	assert_string_equal(got.status, "open");
	assert_string_equal(got.rule_set, "default");
	assert_string_equal(got.lead_name, "郑秀兰");
	task_clear(&got);
}

static int64_t queue(struct fixture *fx, int64_t task, int64_t person, const char *kind,
		     const char *key)
{
	struct message m = { 0 };
	int64_t id = 0;

	m.person = person;
	m.phone = "+8617768096319";
	m.body = "【小雄镇人民政府】提醒";
	m.encoding = "UCS-2";
	m.parts = 1;
	m.kind = (char *)kind;
	m.task = task;
	m.dedupe_key = (char *)key;
	m.priority = PRIO_REMINDER;
	assert_int_equal(store_msg_add(fx->st, &m, &id), STORE_OK);
	return id;
}

static void expect_msg_status(struct fixture *fx, int64_t id, const char *status)
{
	struct message m = { 0 };

	assert_int_equal(store_msg_get(fx->st, id, &m), STORE_OK);
	assert_string_equal(m.status, status);
	message_clear(&m);
}

static int64_t next_fire(struct fixture *fx, int64_t task)
{
	char sql[96];

	snprintf(sql, sizeof(sql), "SELECT next_fire FROM task WHERE id = %lld", (long long)task);
	return raw_int(fx->path, sql);
}

static void test_status_changes(void **state)
{
	struct fixture *fx = *state;
	int64_t lead = add_lead(fx);
	int64_t t1 = add_task(fx, NULL, "梅岙塘农田改造工程", lead, NULL);
	int64_t t2 = add_task(fx, NULL, "庙峙村内道路硬化", lead, NULL);
	int64_t rem, esc, man, other;
	struct task got = { 0 };

	assert_int_equal(next_fire(fx, t1), 0); /* a new task is due for planning */
	rem = queue(fx, t1, lead, "reminder", "T1/before-1d/1");
	esc = queue(fx, t1, lead, "escalation", "T1/escalate/1");
	man = queue(fx, t1, lead, "manual", NULL);
	other = queue(fx, t2, lead, "reminder", "T2/before-1d/1");

	assert_int_equal(store_task_set_status(fx->st, t1, "done", 0, lead), STORE_OK);
	expect_msg_status(fx, rem, "cancelled");
	expect_msg_status(fx, esc, "cancelled");
	expect_msg_status(fx, man, "queued");   /* not a reminder: left alone */
	expect_msg_status(fx, other, "queued"); /* another task's */
	assert_int_equal(next_fire(fx, t1), -1);  /* NULL: nothing to plan */
	assert_int_equal(next_fire(fx, t2), 0);
	assert_int_equal(store_task_get(fx->st, t1, &got), STORE_OK);
	assert_string_equal(got.status, "done");
	assert_true(got.done_at > 0);
	task_clear(&got);

	assert_int_equal(store_task_set_status(fx->st, t1, "open", 0, 0), STORE_OK);
	assert_int_equal(next_fire(fx, t1), 0);
	expect_msg_status(fx, rem, "cancelled"); /* cancelled stays cancelled */
	assert_int_equal(store_task_get(fx->st, t1, &got), STORE_OK);
	assert_string_equal(got.status, "open");
	assert_int_equal(got.done_at, 0);
	task_clear(&got);

	assert_int_equal(store_task_set_status(fx->st, t2, "cancelled", 0, 0), STORE_OK);
	expect_msg_status(fx, other, "cancelled");
	assert_int_equal(next_fire(fx, t2), -1);

	assert_int_equal(store_task_set_status(fx->st, 4242, "done", 0, 0), STORE_NOTFOUND);
}

static void test_msg_ref_retry_cancel(void **state)
{
	struct fixture *fx = *state;
	struct message m = { .phone = "+8613800138000", .body = "x", .encoding = "GSM-7",
			     .parts = 1, .kind = "manual", .ref = "oa-1" };
	char old[16];
	int64_t id = 0, again = 0, found = 0;

	assert_int_equal(store_msg_add(fx->st, &m, &id), STORE_OK);
	assert_int_equal(store_msg_add(fx->st, &m, &again), STORE_EXISTS);
	assert_int_equal(again, id);
	assert_int_equal(store_msg_find_ref(fx->st, "oa-1", &found), STORE_OK);
	assert_int_equal(found, id);
	assert_int_equal(store_msg_find_ref(fx->st, "oa-2", &found), STORE_NOTFOUND);

	/* in the caller's transaction: a rollback takes the change back */
	assert_int_equal(store_begin(fx->st), STORE_OK);
	assert_int_equal(store_msg_cancel(fx->st, id, 1228870800, "by test", old, sizeof(old)),
			 STORE_OK);
	assert_string_equal(old, "queued");
	store_rollback(fx->st);
	expect_msg_status(fx, id, "queued");
	assert_int_equal(store_begin(fx->st), STORE_OK);
	assert_int_equal(store_msg_cancel(fx->st, id, 1228870800, "by test", NULL, 0), STORE_OK);
	assert_int_equal(store_commit(fx->st), STORE_OK);
	expect_msg_status(fx, id, "cancelled");
	assert_int_equal(store_msg_cancel(fx->st, id, 1228870800, "by test", old, sizeof(old)),
			 STORE_INVALID);
	assert_string_equal(old, "cancelled");
	assert_int_equal(store_msg_retry(fx->st, id, 1228870900, old, sizeof(old)), STORE_OK);
	expect_msg_status(fx, id, "queued");
	assert_int_equal(raw_int(fx->path, "SELECT not_before FROM message WHERE id = 1"), 1228870900);
	assert_int_equal(store_msg_retry(fx->st, 99, 1228870900, NULL, 0), STORE_NOTFOUND);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
#define TO(f) cmocka_unit_test_setup_teardown(f, setup_open, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_create),
		T(test_reopen_is_noop),
		T(test_missing_without_create),
		T(test_newer_refused),
		T(test_version_zero_migrates),
		T(test_v3_drops_planted_reports),
		TO(test_wal_and_foreign_keys),
		TO(test_duplicate_phone),
		TO(test_find_person),
		TO(test_missing_rows_named),
		TO(test_update_and_members),
		TO(test_task_codes),
		TO(test_status_changes),
		TO(test_msg_ref_retry_cancel),
	};

	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
