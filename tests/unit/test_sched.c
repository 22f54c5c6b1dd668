/*
 * test_sched.c - the scheduler's passes and the database calls the
 * daemon's event loop still makes, while another connection holds the
 * write lock (as a sqlite3 shell, a backup or a CLI command would).  A
 * pass on the scheduler's thread is started without waiting and finishes
 * once the lock is free; a pass with nothing due takes no write lock; the
 * loop's data_version check, the opening of a connection (an engine
 * rebuilt on reload) and `duban dispatch`'s count of what is left read
 * without the lock.  Every "without the lock" here is proven by success:
 * the holder is this thread, so a call that needed the lock could only
 * fail with "database is locked" once its busy timeout ran out.  Also: a
 * change of the rules plans every open task again, in the pass; the steps
 * a task's timeline shows as still to come are those the passes send.
 */
#include "unit.h"

#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <time.h>

#include "base/array.h"
#include "base/diag.h"
#include "base/zone.h"
#include "core/config.h"
#include "core/rules.h"
#include "core/sched.h"
#include "core/tmpl.h"
#include "store/store.h"

/* 2033-05-18 11:33:20 +08, a deadline. */
#define DEADLINE 2000000000LL

struct fixture {
	char dir[64];
	char path[PATH_MAX];
	struct store *st;
	struct duban_config *cfg;
	struct tmpl_set *tmpls;
	struct rules *rules;
	struct sched s;
	sqlite3 *holder; /* another process, as far as SQLite can tell */
	atomic_int done;
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
	char err[512], tdir[PATH_MAX], rdir[PATH_MAX];
	struct diag diag = { 0 };
	int64_t id;

	if (fx == NULL)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "%s", "/tmp/duban-test-sched.XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	snprintf(fx->path, sizeof(fx->path), "%s/duban.db", fx->dir);
	if (time_set_zone("Asia/Shanghai") != 0 ||
	    store_open(fx->path, true, &fx->st, err, sizeof(err)) != STORE_OK ||
	    (fx->cfg = config_defaults()) == NULL)
		return -1;
	fx->cfg->quiet.enabled = false;
	unit_src_path(tdir, sizeof(tdir), "templates");
	unit_src_path(rdir, sizeof(rdir), "rules");
	if (tmpl_set_load_dir(tdir, &fx->tmpls, &diag) != 0 ||
	    rules_load_dir(rdir, fx->tmpls, &fx->rules, &diag) != 0) {
		diag_print(&diag, stderr);
		diag_clear(&diag);
		return -1;
	}
	struct assignee a[] = { { add_person(fx->st, "郑秀兰", "+8617768096319"), "lead" },
				{ add_person(fx->st, "邵长发", "+8613857612345"), "owner" } };
	struct task t = { .title = "梅岙塘农田改造工程", .deadline = DEADLINE };
	if (store_task_add(fx->st, &t, a, ARRAY_LEN(a), &id, NULL) != STORE_OK)
		return -1;
	fx->s = (struct sched){ fx->st, fx->cfg, fx->rules, fx->tmpls };
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[PATH_MAX + 16];

	if (fx->holder)
		sqlite3_close(fx->holder);
	store_close(fx->st);
	rules_free(fx->rules);
	tmpl_set_free(fx->tmpls);
	config_free(fx->cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", fx->dir);
	if (system(cmd) != 0)
		return -1;
	free(fx);
	return 0;
}

static void
exec_raw(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg ? msg : "?");
}

/* Another connection takes the write lock, with a change not yet committed. */
static void
hold_lock(struct fixture *fx)
{
	assert_int_equal(sqlite3_open(fx->path, &fx->holder), SQLITE_OK);
	exec_raw(fx->holder, "BEGIN IMMEDIATE; UPDATE task SET detail = coalesce(detail, '') || '.';");
}

static void
release_lock(struct fixture *fx)
{
	exec_raw(fx->holder, "COMMIT;");
	sqlite3_close(fx->holder);
	fx->holder = NULL;
}

static int64_t
raw_int(struct fixture *fx, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	int64_t v = -1;

	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static void
pass_ok(struct fixture *fx, int64_t now, struct sched_stats *stats)
{
	char err[512];
	int64_t next;

	*stats = (struct sched_stats){ 0 };
	if (sched_pass(&fx->s, now, stats, &next, err, sizeof(err)) != 0)
		fail_msg("%s", err);
}

/* The scheduler thread says a pass has ended (after its results can be collected). */
static pthread_mutex_t done_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done_cv = PTHREAD_COND_INITIALIZER;

static void
on_done(void *arg)
{
	struct fixture *fx = arg;

	pthread_mutex_lock(&done_mu);
	atomic_fetch_add(&fx->done, 1);
	pthread_cond_broadcast(&done_cv);
	pthread_mutex_unlock(&done_mu);
}

/* Wait until a pass has ended, at most seconds: true when one has. */
static bool
wait_done(struct fixture *fx, int seconds)
{
	struct timespec until;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += seconds;
	pthread_mutex_lock(&done_mu);
	while (atomic_load(&fx->done) == 0 && rc == 0)
		rc = pthread_cond_timedwait(&done_cv, &done_mu, &until);
	pthread_mutex_unlock(&done_mu);
	return atomic_load(&fx->done) > 0;
}

/* ---- the tests -------------------------------------------------------------------- */

static void
test_thread_pass_waits_for_the_lock_not_the_caller(void **state)
{
	struct fixture *fx = *state;
	struct sched_thread *t = NULL;
	struct sched_stats stats;
	int64_t next = 0;
	char err[512];
	int rc = -1;
	bool got = false;

	assert_int_equal(sched_init(&fx->s), 0);
	assert_int_equal(sched_thread_new(fx->path, on_done, fx, &t, err, sizeof(err)), 0);
	hold_lock(fx);
	/* The pass has work (a minute before the deadline every step before
	 * it is due) and needs the lock this thread holds: start hands it over. */
	assert_int_equal(sched_thread_start(t, &fx->s, DEADLINE - 60), 0);
	assert_true(sched_thread_busy(t));
	assert_int_equal(sched_thread_start(t, &fx->s, DEADLINE - 60), -1); /* one at a time */
	assert_false(sched_thread_collect(t, &rc, &stats, &next, err, sizeof(err)));
	release_lock(fx);
	assert_true(wait_done(fx, 20));
	got = sched_thread_collect(t, &rc, &stats, &next, err, sizeof(err));
	assert_true(got);
	if (rc != 0)
		fail_msg("%s", err);
	assert_int_equal(atomic_load(&fx->done), 1);
	assert_false(sched_thread_busy(t));
	assert_int_equal(stats.tasks, 1);
	/* The latest step for each of the two, the older ones skipped. */
	assert_int_equal(stats.queued, 2);
	assert_true(stats.skipped > 0);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM message WHERE status = 'queued'"), 2);
	/* Collected once. */
	assert_false(sched_thread_collect(t, &rc, &stats, &next, err, sizeof(err)));
	sched_thread_free(t);
	sched_thread_free(NULL);
}

static void
test_pass_with_nothing_due_takes_no_lock(void **state)
{
	struct fixture *fx = *state;
	struct sched_stats stats;

	assert_int_equal(sched_init(&fx->s), 0);
	pass_ok(fx, DEADLINE - 30 * 86400, &stats); /* plans the task, nothing due yet */
	assert_int_equal(stats.tasks, 1);
	assert_int_equal(stats.queued, 0);
	hold_lock(fx);
	pass_ok(fx, DEADLINE - 29 * 86400, &stats);
	assert_int_equal(stats.tasks, 0);
	release_lock(fx);
}

static void
test_loop_reads_take_no_lock(void **state)
{
	struct fixture *fx = *state;
	struct store *other = NULL;
	struct outbox_pending p;
	int64_t v0 = 0, v1 = 0, v2 = 0;
	char err[512];

	assert_int_equal(store_data_version(fx->st, &v0), STORE_OK);
	hold_lock(fx);
	/* The daemon's check every poll_ms. */
	assert_int_equal(store_data_version(fx->st, &v1), STORE_OK);
	assert_true(v1 == v0);
	/* An engine rebuilt on reload opens its connection. */
	if (store_open(fx->path, false, &other, err, sizeof(err)) != STORE_OK)
		fail_msg("%s", err);
	assert_int_equal(store_dispatch_tune(other), STORE_OK);
	/* duban dispatch --until-empty: is anything left? */
	assert_int_equal(store_outbox_pending(other, DEADLINE, false, &p), STORE_OK);
	release_lock(fx);
	assert_int_equal(store_data_version(fx->st, &v2), STORE_OK);
	assert_true(v2 != v1);
	store_close(other);
}

static void
test_changed_rules_plan_again_in_the_pass(void **state)
{
	struct fixture *fx = *state;
	struct sched_stats stats;
	int64_t fire;

	assert_int_equal(sched_init(&fx->s), 0);
	pass_ok(fx, DEADLINE - 30 * 86400, &stats);
	assert_int_equal(stats.tasks, 1);
	fire = raw_int(fx, "SELECT next_fire FROM task");
	assert_true(fire > DEADLINE - 30 * 86400);
	pass_ok(fx, DEADLINE - 29 * 86400, &stats);
	assert_int_equal(stats.tasks, 0);
	/* Quiet hours decide fire times: a change plans the task again, and
	 * sched_init alone writes nothing (it runs on the daemon's loop). */
	fx->cfg->quiet.enabled = true;
	fx->cfg->quiet.from = 8 * 60;
	fx->cfg->quiet.to = 10 * 60;
	hold_lock(fx);
	assert_int_equal(sched_init(&fx->s), 0);
	release_lock(fx);
	pass_ok(fx, DEADLINE - 29 * 86400, &stats);
	assert_int_equal(stats.tasks, 1);
	assert_true(raw_int(fx, "SELECT next_fire FROM task") != fire);
	pass_ok(fx, DEADLINE - 29 * 86400, &stats);
	assert_int_equal(stats.tasks, 0);
}

/* ---- the steps still to come (a task's timeline) ------------------------------------ */

struct upcoming {
	size_t n;
	int64_t at[RULES_MAX_FIRES];
	char key[RULES_MAX_FIRES][16];
};

static int
upcoming_row(void *arg, const struct fire *f)
{
	struct upcoming *u = arg;

	u->at[u->n] = f->at;
	snprintf(u->key[u->n], sizeof(u->key[0]), "%s", f->key);
	u->n++;
	return 0;
}

static void
upcoming(struct fixture *fx, int64_t now, struct upcoming *u)
{
	struct task t = { 0 };

	u->n = 0;
	assert_int_equal(store_task_find(fx->st, "T1", &t), STORE_OK);
	assert_int_equal(sched_task_upcoming(&fx->s, &t, now, upcoming_row, u), STORE_OK);
	task_clear(&t);
}

static void
test_upcoming_steps_are_what_the_passes_will_send(void **state)
{
	struct fixture *fx = *state;
	struct sched_stats stats;
	struct upcoming u;
	int64_t now = DEADLINE - 30 * 86400, first;

	assert_int_equal(sched_init(&fx->s), 0);
	pass_ok(fx, now, &stats);
	upcoming(fx, now, &u);
	/* default: 4 before the deadline, 5 overdue repeats, 1 escalation */
	assert_int_equal(u.n, 10);
	assert_string_equal(u.key[0], "b7d");
	assert_int_equal(u.at[0], raw_int(fx, "SELECT next_fire FROM task"));
	for (size_t i = 1; i < u.n; i++)
		assert_true(u.at[i - 1] <= u.at[i]);
	/* Its moment came but no pass ran yet: still to come. */
	first = u.at[0];
	upcoming(fx, first + 60, &u);
	assert_int_equal(u.n, 10);
	/* The pass sends it: no longer to come, and the next one is next_fire. */
	pass_ok(fx, first + 60, &stats);
	assert_true(stats.queued > 0);
	upcoming(fx, first + 60, &u);
	assert_int_equal(u.n, 9);
	assert_string_equal(u.key[0], "b3d");
	assert_int_equal(u.at[0], raw_int(fx, "SELECT next_fire FROM task"));
	/* A closed task has nothing to come. */
	assert_int_equal(store_task_set_status(fx->st, raw_int(fx, "SELECT id FROM task"), "done",
					       first + 120, 0),
			 STORE_OK);
	upcoming(fx, first + 120, &u);
	assert_int_equal(u.n, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_thread_pass_waits_for_the_lock_not_the_caller,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_pass_with_nothing_due_takes_no_lock, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_loop_reads_take_no_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changed_rules_plan_again_in_the_pass, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_upcoming_steps_are_what_the_passes_will_send,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
