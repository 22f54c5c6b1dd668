/*
 * test_ctx.c - how an action stops (core/ctx.c) on a real database: a
 * refusal's sentence, cut at the context's bound; a store failure passed on
 * in the store's words, with the transaction left open (action_fail) or
 * rolled back (action_abort); and the end of a transaction, committed only
 * when the action succeeded (action_finish) or with the action's audit
 * event (action_commit), a failed commit said in the store's words.
 */
#include "unit.h"

#include <limits.h>
#include <sqlite3.h>

#include "core/ctx.h"
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
	snprintf(fx->dir, sizeof(fx->dir), "%s", "/tmp/duban-test-ctx.XXXXXX");
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

/* The audit events committed, as another connection sees them. */
static int64_t
events(struct fixture *fx)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	int64_t v = -1;

	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM event", -1, &s, NULL) != SQLITE_OK)
		fail_msg("%s", sqlite3_errmsg(db));
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* Open a transaction holding one audit event. */
static void
begin_with_event(struct fixture *fx)
{
	assert_int_equal(store_begin(fx->st), STORE_OK);
	assert_int_equal(store_event(fx->st, "test", "test.step", "X1", NULL), STORE_OK);
}

/* A store failure to pass on: a lookup of nobody. */
static int
store_failure(struct fixture *fx)
{
	struct person p = { 0 };
	int rc = store_person_find(fx->st, "#999", &p);

	assert_int_equal(rc, STORE_NOTFOUND);
	assert_true(*store_errmsg(fx->st) != '\0');
	person_clear(&p);
	return rc;
}

static void
test_refuse(void **state)
{
	struct fixture *fx = *state;
	char long_name[2 * ACTION_ERR_MAX];

	assert_int_equal(action_refuse(&fx->x, ACTION_INVALID, "task %s is %s", "T1", "done"),
			 ACTION_INVALID);
	assert_string_equal(fx->x.err, "task T1 is done");
	/* a sentence past the bound is cut, never overrun */
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_int_equal(action_refuse(&fx->x, ACTION_NOTFOUND, "no %s", long_name),
			 ACTION_NOTFOUND);
	assert_int_equal(strlen(fx->x.err), ACTION_ERR_MAX - 1);
	assert_memory_equal(fx->x.err, "no aaa", 6);
}

static void
test_fail_leaves_transaction(void **state)
{
	struct fixture *fx = *state;
	int rc;

	begin_with_event(fx);
	rc = store_failure(fx);
	assert_int_equal(action_fail(&fx->x, rc), STORE_NOTFOUND);
	assert_string_equal(fx->x.err, store_errmsg(fx->st));
	/* still open: the action that opened it decides */
	assert_int_equal(store_commit(fx->st), STORE_OK);
	assert_int_equal(events(fx), 1);
}

static void
test_abort_rolls_back(void **state)
{
	struct fixture *fx = *state;
	int rc;

	begin_with_event(fx);
	rc = store_failure(fx);
	assert_int_equal(action_abort(&fx->x, rc), STORE_NOTFOUND);
	assert_string_equal(fx->x.err, store_errmsg(fx->st));
	assert_int_equal(events(fx), 0);
	assert_int_not_equal(store_commit(fx->st), STORE_OK); /* nothing left to commit */
	/* and harmless when nothing is open */
	assert_int_equal(action_abort(&fx->x, ACTION_ERROR), ACTION_ERROR);
}

static void
test_finish(void **state)
{
	struct fixture *fx = *state;

	begin_with_event(fx);
	assert_int_equal(action_finish(&fx->x, ACTION_OK), ACTION_OK);
	assert_int_equal(events(fx), 1);
	/* a refusal rolls back and keeps its own sentence */
	begin_with_event(fx);
	action_refuse(&fx->x, ACTION_INVALID, "refused");
	assert_int_equal(action_finish(&fx->x, ACTION_INVALID), ACTION_INVALID);
	assert_string_equal(fx->x.err, "refused");
	assert_int_equal(events(fx), 1);
	/* a commit that fails says so in the store's words */
	fx->x.err[0] = '\0';
	assert_int_equal(action_finish(&fx->x, ACTION_OK), ACTION_ERROR);
	assert_string_equal(fx->x.err, store_errmsg(fx->st));
	assert_non_null(strstr(fx->x.err, "committing"));
}

static void
test_commit(void **state)
{
	struct fixture *fx = *state;

	begin_with_event(fx);
	assert_int_equal(action_commit(&fx->x, "test.done", "X1", "both"), ACTION_OK);
	assert_int_equal(events(fx), 2); /* the step's and the action's, together */
	/* nothing open to commit: the store's words, rolled back */
	fx->x.err[0] = '\0';
	assert_int_equal(action_commit(&fx->x, "test.done", "X2", NULL), ACTION_ERROR);
	assert_string_equal(fx->x.err, store_errmsg(fx->st));
	assert_non_null(strstr(fx->x.err, "committing"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_refuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fail_leaves_transaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_abort_rolls_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_finish, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit, setup, teardown),
	};
	return cmocka_run_group_tests_name("ctx", tests, NULL, NULL);
}
