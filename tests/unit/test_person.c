/*
 * test_person.c - the actions on people and groups (core/person.c) on a
 * real database: the one kind parser; adding a person (the number
 * normalized, a number in use naming its holder, groups made when
 * missing); changing one (name, title, org, kind and a new number, which
 * must be free); removal refused while assigned; opting out and in, once
 * (a second time writes nothing); groups and membership, all or none.
 * Every refusal writes nothing, not even its audit event.
 */
#include "unit.h"
#include "unit_db.h"

#include <limits.h>
#include <sqlite3.h>

#include "base/phone.h"
#include "core/ctx.h"
#include "core/person.h"
#include "store/store.h"

struct fixture {
	char dir[64];
	char path[PATH_MAX];
	struct store *st;
	struct duban_ctx x;
};

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char err[512];

	if (fx == NULL)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "%s", "/tmp/duban-test-person.XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	snprintf(fx->path, sizeof(fx->path), "%s/duban.db", fx->dir);
	if (store_open(fx->path, true, &fx->st, err, sizeof(err)) != STORE_OK)
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

static int64_t
events(struct fixture *fx)
{
	return raw_int(fx, "SELECT count(*) FROM event");
}

static int64_t
add(struct fixture *fx, const char *name, const char *phone)
{
	struct person_new n = { .name = name, .phone = phone, .kind = "official" };
	int64_t id;

	if (person_add(&fx->x, &n, &id, NULL) != ACTION_OK)
		fail_msg("person_add %s: %s", name, fx->x.err);
	return id;
}

static void
test_kind(void **state)
{
	(void)state;
	assert_true(person_kind_valid("official"));
	assert_true(person_kind_valid("farmer"));
	assert_true(person_kind_valid("enterprise"));
	assert_true(person_kind_valid("other"));
	assert_false(person_kind_valid("boss"));
	assert_false(person_kind_valid(""));
	/* as a spreadsheet has them: any case, Chinese, blanks around */
	assert_string_equal(person_kind_canon("Official"), "official");
	assert_string_equal(person_kind_canon("FARMER"), "farmer");
	assert_string_equal(person_kind_canon(" 干部 "), "official");
	assert_string_equal(person_kind_canon("村干部"), "official");
	assert_string_equal(person_kind_canon("村民"), "farmer");
	assert_string_equal(person_kind_canon("企业"), "enterprise");
	assert_string_equal(person_kind_canon("其它"), "other");
	assert_null(person_kind_canon("干事"));
	assert_null(person_kind_canon("officials"));
}

static void
test_add(void **state)
{
	struct fixture *fx = *state;
	const char *groups[] = { "村两委-小雄村", "测试组" };
	struct person_new n = { .name = "  李明 ",
				.phone = "+86 138-0013-8000",
				.title = "村会计",
				.org = "小雄村",
				.groups = groups,
				.ngroups = 2 };
	char phone[PHONE_MAX];
	int64_t id, before;

	assert_int_equal(person_add(&fx->x, &n, &id, phone), ACTION_OK);
	assert_string_equal(phone, "+8613800138000");
	expect_sql(fx, "SELECT name || '|' || phone || '|' || kind FROM person",
		   "李明|+8613800138000|other");
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM member"), 2);
	expect_sql(fx, "SELECT action || ' ' || object || ' ' || detail FROM event",
		   "person.add +8613800138000 李明");

	before = events(fx);
	n.name = "冒名";
	n.phone = "13800138000";
	assert_int_equal(person_add(&fx->x, &n, &id, phone), ACTION_EXISTS);
	assert_non_null(strstr(fx->x.err, "李明"));
	assert_int_equal(id, 0);
	n.phone = "1380013";
	assert_int_equal(person_add(&fx->x, &n, &id, NULL), ACTION_INVALID);
	assert_non_null(strstr(fx->x.err, "phone \"1380013\""));
	n.phone = "13511110010";
	n.kind = "boss";
	assert_int_equal(person_add(&fx->x, &n, &id, NULL), ACTION_INVALID);
	assert_non_null(strstr(fx->x.err, "boss"));
	n.kind = NULL;
	n.name = "   ";
	assert_int_equal(person_add(&fx->x, &n, &id, NULL), ACTION_INVALID);
	assert_int_equal(events(fx), before);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM person"), 1);
}

static void
test_update(void **state)
{
	struct fixture *fx = *state;
	int64_t a = add(fx, "李明", "13800138000"), before;
	struct person_edit e = { .title = "村主任", .kind = "other" };
	struct person p = { 0 };

	add(fx, "陈宝根", "15068766188");
	assert_int_equal(person_update(&fx->x, "李明", &e, &p), ACTION_OK);
	assert_int_equal(p.id, a);
	assert_string_equal(p.title, "村主任");
	assert_string_equal(p.kind, "other");
	assert_string_equal(p.phone, "+8613800138000"); /* unchanged */
	person_clear(&p);
	/* a new number, as typed, and a new name */
	e = (struct person_edit){ .name = " 李明华 ", .phone = "139 0576 1111" };
	assert_int_equal(person_update(&fx->x, "#1", &e, &p), ACTION_OK);
	assert_string_equal(p.name, "李明华");
	assert_string_equal(p.phone, "+8613905761111");
	assert_string_equal(p.title, "村主任");
	person_clear(&p);
	expect_sql(fx, "SELECT action || ' ' || object || ' ' || detail FROM event ORDER BY id DESC",
		   "person.update +8613905761111 李明华");
	/* refused: the number someone else has, a bad number, a bad kind, nobody */
	before = events(fx);
	e = (struct person_edit){ .phone = "150-6876-6188" };
	assert_int_equal(person_update(&fx->x, "#1", &e, &p), ACTION_EXISTS);
	assert_non_null(strstr(fx->x.err, "陈宝根"));
	assert_null(p.name);
	e = (struct person_edit){ .phone = "12" };
	assert_int_equal(person_update(&fx->x, "#1", &e, NULL), ACTION_INVALID);
	e = (struct person_edit){ .kind = "boss" };
	assert_int_equal(person_update(&fx->x, "#1", &e, NULL), ACTION_INVALID);
	e = (struct person_edit){ .name = "" };
	assert_int_equal(person_update(&fx->x, "#1", &e, NULL), ACTION_INVALID);
	e = (struct person_edit){ .title = "x" };
	assert_int_equal(person_update(&fx->x, "查无此人", &e, NULL), ACTION_NOTFOUND);
	assert_int_equal(events(fx), before);
	expect_sql(fx, "SELECT phone || ' ' || kind FROM person WHERE id = 1",
		   "+8613905761111 other");
	/* the store alone: no such id */
	assert_int_equal(store_person_update(fx->st, 99, &(struct person){ .title = "x" }),
			 STORE_NOTFOUND);
}

static void
test_remove(void **state)
{
	struct fixture *fx = *state;
	int64_t a = add(fx, "李明", "13800138000");
	struct task t = { .title = "测试", .deadline = 2000000000 };
	struct assignee as = { a, "lead" };
	struct person p = { 0 };
	int64_t tid;

	assert_int_equal(store_task_add(fx->st, &t, &as, 1, &tid, NULL), STORE_OK);
	assert_int_equal(person_remove(&fx->x, "李明", &p), ACTION_INVALID);
	assert_non_null(strstr(fx->x.err, "T1 (lead)"));
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM person"), 1);
	assert_int_equal(store_task_unassign(fx->st, tid, a, NULL), STORE_OK);
	assert_int_equal(person_remove(&fx->x, "138 0013 8000", &p), ACTION_OK);
	assert_string_equal(p.name, "李明");
	person_clear(&p);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM person"), 0);
	expect_sql(fx, "SELECT action || ' ' || object FROM event ORDER BY id DESC",
		   "person.remove +8613800138000");
	assert_int_equal(person_remove(&fx->x, "李明", NULL), ACTION_NOTFOUND);
}

static void
test_optout(void **state)
{
	struct fixture *fx = *state;
	struct person p = { 0 };
	bool changed;
	int64_t before;

	add(fx, "林阿昌", "13957608929");
	assert_int_equal(person_optout(&fx->x, "林阿昌", &p, &changed), ACTION_OK);
	assert_true(changed);
	assert_true(p.opted_out_at > 0);
	person_clear(&p);
	expect_sql(fx, "SELECT action || ' ' || object || ' ' || detail FROM event ORDER BY id DESC",
		   "person.optout +8613957608929 林阿昌");
	/* again: nothing changes, nothing is written */
	before = events(fx);
	assert_int_equal(person_optout(&fx->x, "林阿昌", &p, &changed), ACTION_OK);
	assert_false(changed);
	assert_true(p.opted_out_at > 0);
	person_clear(&p);
	assert_int_equal(events(fx), before);
	/* in, and in again */
	assert_int_equal(person_optin(&fx->x, "13957608929", NULL, &changed), ACTION_OK);
	assert_true(changed);
	assert_int_equal(raw_int(fx, "SELECT opted_out_at IS NULL FROM person"), 1);
	assert_int_equal(person_optin(&fx->x, "13957608929", NULL, &changed), ACTION_OK);
	assert_false(changed);
	assert_int_equal(events(fx), before + 1);
	assert_int_equal(person_optout(&fx->x, "查无此人", NULL, &changed), ACTION_NOTFOUND);
}

static void
note(void *arg, const struct person *p, bool changed)
{
	size_t *unchanged = arg;

	(void)p;
	if (!changed)
		(*unchanged)++;
}

static void
test_groups(void **state)
{
	struct fixture *fx = *state;
	const char *who[] = { "李明", "13957608929", "李明" };
	struct group g = { 0 };
	size_t changed, unchanged = 0;
	int64_t id, before;

	add(fx, "李明", "13800138000");
	add(fx, "林阿昌", "13957608929");
	assert_int_equal(group_add(&fx->x, "测试组", "integration test", &id), ACTION_OK);
	assert_int_equal(group_add(&fx->x, "测试组", "", &id), ACTION_EXISTS);
	assert_int_equal(id, 0);
	assert_int_equal(group_add(&fx->x, "", "", &id), ACTION_INVALID);
	assert_int_equal(group_members(&fx->x, "测试组", who, 3, true, note, &unchanged, &changed),
			 ACTION_OK);
	assert_int_equal(changed, 2);
	assert_int_equal(unchanged, 1); /* 李明 the second time */
	expect_sql(fx, "SELECT action || ' ' || object FROM event ORDER BY id DESC",
		   "group.add-member 测试组");
	/* all or none: one unknown person, nobody is removed */
	before = events(fx);
	who[1] = "查无此人";
	assert_int_equal(group_members(&fx->x, "测试组", who, 2, false, NULL, NULL, &changed),
			 ACTION_NOTFOUND);
	assert_int_equal(changed, 0);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM member"), 2);
	assert_int_equal(group_members(&fx->x, "无此组", who, 1, true, NULL, NULL, &changed),
			 ACTION_NOTFOUND);
	assert_int_equal(events(fx), before);
	assert_int_equal(group_members(&fx->x, "测试组", who, 1, false, NULL, NULL, &changed),
			 ACTION_OK);
	assert_int_equal(changed, 1);
	/* removing the group keeps its people */
	assert_int_equal(group_remove(&fx->x, "测试组", &g), ACTION_OK);
	assert_string_equal(g.name, "测试组");
	assert_int_equal(g.members, 1);
	group_clear(&g);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM person"), 2);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM member"), 0);
	assert_int_equal(group_remove(&fx->x, "测试组", &g), ACTION_NOTFOUND);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kind),
		cmocka_unit_test_setup_teardown(test_add, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_optout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_groups, setup, teardown),
	};
	return cmocka_run_group_tests_name("person", tests, NULL, NULL);
}
