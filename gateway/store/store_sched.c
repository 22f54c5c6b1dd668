/*
 * store_sched.c - the scheduler's queries.  A pass reads only tasks whose
 * indexed next_fire has come, so its cost follows what is due, not how
 * many tasks the town keeps.
 */
#include "store/store_int.h"

#include <string.h>

int
store_sched_due(struct store *st, int64_t now, int64_t *ids, size_t max, size_t *n)
{
	static const char sql[] =
		"SELECT id FROM task INDEXED BY task_next_fire "
		"WHERE next_fire IS NOT NULL AND next_fire <= ?1 AND status = 'open' "
		"ORDER BY next_fire LIMIT ?2";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	*n = 0;
	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int64(s, 2, (int64_t)max);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && *n < max)
		ids[(*n)++] = sqlite3_column_int64(s, 0);
	return store_rows_end(st, s, rc, "finding due tasks");
}

int
store_sched_keys(struct store *st, int64_t task, const char *prefix,
		 int (*fn)(void *arg, const char *key), void *arg)
{
	static const char sql[] =
		"SELECT dedupe_key FROM message WHERE task = ?1 AND dedupe_key IS NOT NULL "
		"AND substr(dedupe_key, 1, length(?2)) = ?2";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, task);
	store_bind_text(s, 2, prefix);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (fn(arg, (const char *)sqlite3_column_text(s, 0)) != 0) {
			rc = SQLITE_NOMEM;
			break;
		}
	return store_rows_end(st, s, rc, "reading a task's reminders");
}

int
store_task_set_next(struct store *st, int64_t task, int64_t next_fire)
{
	static const char sql[] = "UPDATE task SET next_fire = ?2 WHERE id = ?1";
	sqlite3_stmt *s = store_stmt(st, sql);

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, task);
	store_bind_opt_i64(s, 2, next_fire, next_fire != 0);
	return store_step_done(st, s, "planning a task");
}

int
store_sched_next(struct store *st, int64_t *next)
{
	static const char sql[] =
		"SELECT min(next_fire) FROM task INDEXED BY task_next_fire "
		"WHERE next_fire IS NOT NULL AND status = 'open'";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	rc = store_step_row(st, s, "finding the next fire time", NULL);
	*next = rc == STORE_OK ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	return rc;
}

int
store_sched_replan_all(struct store *st)
{
	static const char sql[] = "UPDATE task SET next_fire = 0 WHERE status = 'open'";
	sqlite3_stmt *s = store_stmt(st, sql);

	return s ? store_step_done(st, s, "replanning tasks") : STORE_ERROR;
}

int
store_sched_task(struct store *st, int64_t id, struct task *t)
{
	static const char sql[] =
		"SELECT code, title, rule_set, deadline, updated_at FROM task WHERE id = ?";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, id);
	memset(t, 0, sizeof(*t));
	if ((rc = store_step_row(st, s, "reading a task", "no task #%lld", (long long)id)) ==
	    STORE_OK) {
		t->id = id;
		t->code = store_col_str(s, 0);
		t->title = store_col_str(s, 1);
		t->rule_set = store_col_str(s, 2);
		t->deadline = sqlite3_column_int64(s, 3);
		t->updated_at = sqlite3_column_int64(s, 4);
		rc = t->code && t->title && t->rule_set ? STORE_OK : STORE_ERROR;
	}
	sqlite3_reset(s);
	return rc;
}
