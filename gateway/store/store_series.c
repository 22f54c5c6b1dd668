/*
 * store_series.c - the task_series table and the copying of an occurrence.
 */
#include "store/store_series.h"
#include "store/store_int.h"

#include <string.h>

int
store_series_add(struct store *st, const char *code, const char *every, int day, int64_t now,
		 int64_t *id)
{
	static const char sql[] =
		"INSERT INTO task_series (code, every, day, created_at) VALUES (?1, ?2, ?3, ?4)";
	sqlite3_stmt *s = store_stmt(st, sql);

	if (s == NULL)
		return STORE_ERROR;
	store_bind_text(s, 1, code);
	store_bind_text(s, 2, every);
	sqlite3_bind_int(s, 3, day);
	sqlite3_bind_int64(s, 4, now);
	return store_step_insert(st, s, "adding a series", id);
}

int
store_series_attach(struct store *st, int64_t task, int64_t series, const char *code)
{
	static const char sql[] = "UPDATE task SET series = ?2, code = ?3 WHERE id = ?1";
	sqlite3_stmt *s = store_stmt(st, sql);

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, task);
	sqlite3_bind_int64(s, 2, series);
	store_bind_text(s, 3, code);
	return store_step_update(st, s, "starting a series", "no task #%lld", (long long)task);
}

int
store_series_each(struct store *st, bool active_due, int64_t now,
		  int (*fn)(void *arg, const struct series_row *r), void *arg)
{
	static const char sql[] =
		"SELECT s.id, s.code, s.every, s.day, s.status, t.id, t.deadline, t.code, t.status "
		"FROM task_series s JOIN task t ON t.id = (SELECT id FROM task WHERE series = s.id "
		"  ORDER BY deadline DESC, id DESC LIMIT 1) "
		"WHERE ?1 = 0 OR (s.status = 'active' AND (t.status != 'open' OR t.deadline < ?2)) "
		"ORDER BY s.code";
	sqlite3_stmt *s = store_stmt(st, sql);
	struct series_row r;
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int(s, 1, active_due);
	sqlite3_bind_int64(s, 2, now);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&r, 0, sizeof(r));
		r.id = sqlite3_column_int64(s, 0);
		r.code = (const char *)sqlite3_column_text(s, 1);
		r.every = (const char *)sqlite3_column_text(s, 2);
		r.day = sqlite3_column_int(s, 3);
		r.status = (const char *)sqlite3_column_text(s, 4);
		r.last = sqlite3_column_int64(s, 5);
		r.last_deadline = sqlite3_column_int64(s, 6);
		r.last_code = (const char *)sqlite3_column_text(s, 7);
		r.last_status = (const char *)sqlite3_column_text(s, 8);
		if (fn(arg, &r) != 0) {
			rc = SQLITE_NOMEM;
			break;
		}
	}
	return store_rows_end(st, s, rc, "reading series");
}

int
store_series_next(struct store *st, int64_t from, const char *code, int64_t deadline,
		  int64_t now, int64_t *id)
{
	static const char task[] =
		"INSERT INTO task (code, title, detail, deadline, status, rule_set, team, next_fire, "
		"  created_at, updated_at, series) "
		"SELECT ?2, title, detail, ?3, 'open', rule_set, team, 0, ?4, ?4, series "
		"FROM task WHERE id = ?1";
	static const char people[] =
		"INSERT INTO assignment (task, person, role) "
		"SELECT ?2, person, role FROM assignment WHERE task = ?1";
	sqlite3_stmt *s = store_stmt(st, task);
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, from);
	store_bind_text(s, 2, code);
	sqlite3_bind_int64(s, 3, deadline);
	sqlite3_bind_int64(s, 4, now);
	if ((rc = store_step_insert(st, s, "adding an occurrence", id)) != STORE_OK)
		return rc;
	if ((s = store_stmt(st, people)) == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, from);
	sqlite3_bind_int64(s, 2, *id);
	return store_step_done(st, s, "adding an occurrence's people");
}

int
store_series_set(struct store *st, const char *code, const char *status, int day)
{
	static const char sql[] =
		"UPDATE task_series SET status = coalesce(?2, status), "
		"  day = CASE WHEN ?3 > 0 THEN ?3 ELSE day END WHERE code = ?1 COLLATE NOCASE";
	sqlite3_stmt *s = store_stmt(st, sql);

	if (s == NULL)
		return STORE_ERROR;
	store_bind_text(s, 1, code);
	store_bind_text(s, 2, status);
	sqlite3_bind_int(s, 3, day);
	return store_step_update(st, s, "changing a series", "no series %s", code);
}
