/*
 * store_task.c - supervised tasks (督办事项) and who is responsible for them.
 *
 * The store keeps one scheduler invariant itself, so that no caller can
 * forget it: whenever a task's status or deadline changes, its unsent
 * reminders are cancelled and its next_fire is reset (NULL for a closed
 * task, 0 = "plan again now" for an open one), in the same transaction as
 * the change.
 */
#include "store/store_int.h"
#include "base/i18n.h"
#include "base/str.h"
#include "base/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TASK_COLS                                                                     \
	"t.id, t.code, t.title, t.detail, t.status, t.rule_set, t.deadline, "          \
	"coalesce(t.team, 0), g.name, t.created_at, t.updated_at, coalesce(t.done_at, 0), " \
	"coalesce(t.next_fire, 0), "                                                   \
	"(SELECT p.name FROM assignment a JOIN person p ON p.id = a.person "           \
	"  WHERE a.task = t.id AND a.role = 'lead' ORDER BY a.person LIMIT 1)"
#define TASK_FROM " FROM task t LEFT JOIN grp g ON g.id = t.team "

void
task_clear(struct task *t)
{
	if (t == NULL)
		return;
	free(t->code);
	free(t->title);
	free(t->detail);
	free(t->status);
	free(t->rule_set);
	free(t->team_name);
	free(t->lead_name);
	memset(t, 0, sizeof(*t));
}

static int
task_row(sqlite3_stmt *s, struct task *t)
{
	memset(t, 0, sizeof(*t));
	t->id = sqlite3_column_int64(s, 0);
	t->code = store_col_str(s, 1);
	t->title = store_col_str(s, 2);
	t->detail = store_col_str(s, 3);
	t->status = store_col_str(s, 4);
	t->rule_set = store_col_str(s, 5);
	t->deadline = sqlite3_column_int64(s, 6);
	t->team = sqlite3_column_int64(s, 7);
	t->team_name = store_col_opt(s, 8);
	t->created_at = sqlite3_column_int64(s, 9);
	t->updated_at = sqlite3_column_int64(s, 10);
	t->done_at = sqlite3_column_int64(s, 11);
	t->next_fire = sqlite3_column_int64(s, 12);
	t->lead_name = store_col_opt(s, 13);
	if (!t->code || !t->title || !t->detail || !t->status || !t->rule_set) {
		task_clear(t);
		return STORE_ERROR;
	}
	return STORE_OK;
}

static int
next_code(struct store *st, char *out, size_t outlen)
{
	static const char sql[] =
		"SELECT coalesce(max(CAST(substr(code, 2) AS INTEGER)), 0) + 1 FROM ("
		"  SELECT code FROM task UNION ALL SELECT code FROM task_series) "
		"WHERE code GLOB 'T[0-9]*' AND (NOT substr(code, 2) GLOB '*[^0-9]*' "
		"  OR code GLOB 'T[0-9]*-[0-9][0-9][0-9][0-9]*')"; /* T12-2008-12: series T12 */
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	if ((rc = store_step_row(st, s, "choosing a task code", NULL)) == STORE_OK)
		snprintf(out, outlen, "T%lld", (long long)sqlite3_column_int64(s, 0));
	sqlite3_reset(s);
	return rc;
}

int
store_task_assign(struct store *st, int64_t id, const struct assignee *a, size_t na,
		  bool replace_roles)
{
	static const char del[] = "DELETE FROM assignment WHERE task = ? AND role = ?";
	static const char ins[] =
		"INSERT OR IGNORE INTO assignment (task, person, role) VALUES (?, ?, ?)";
	sqlite3_stmt *s;
	int rc;

	if (replace_roles)
		for (size_t i = 0; i < na; i++) {
			bool seen = false;
			for (size_t j = 0; j < i; j++)
				if (strcmp(a[j].role, a[i].role) == 0)
					seen = true;
			if (seen)
				continue;
			if ((s = store_stmt(st, del)) == NULL)
				return STORE_ERROR;
			sqlite3_bind_int64(s, 1, id);
			store_bind_text(s, 2, a[i].role);
			if ((rc = store_step_done(st, s, "replacing assignments")) != STORE_OK)
				return rc;
		}
	for (size_t i = 0; i < na; i++) {
		if ((s = store_stmt(st, ins)) == NULL)
			return STORE_ERROR;
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_int64(s, 2, a[i].person);
		store_bind_text(s, 3, a[i].role);
		if ((rc = store_step_done(st, s, "assigning a task")) != STORE_OK)
			return rc;
	}
	return STORE_OK;
}

int
store_task_add(struct store *st, const struct task *t, const struct assignee *a, size_t na,
	       int64_t *id, char **code_out)
{
	static const char sql[] =
		"INSERT INTO task (code, title, detail, deadline, status, rule_set, team, next_fire, "
		"                  created_at, updated_at) VALUES (?, ?, ?, ?, 'open', ?, ?, 0, ?, ?)";
	char code[32];
	sqlite3_stmt *s;
	int64_t now = time_now(), tid;
	int rc;

	if (t->code && *t->code) {
		if (strlcpy_checked(code, t->code, sizeof(code)) != 0) {
			snprintf(st->err, sizeof(st->err), _("task code \"%s\" is too long"), t->code);
			return STORE_INVALID;
		}
	} else if ((rc = next_code(st, code, sizeof(code))) != STORE_OK) {
		return rc;
	}
	if ((s = store_stmt(st, sql)) == NULL)
		return STORE_ERROR;
	store_bind_text(s, 1, code);
	store_bind_text(s, 2, t->title);
	store_bind_text(s, 3, t->detail ? t->detail : "");
	sqlite3_bind_int64(s, 4, t->deadline);
	store_bind_text(s, 5, t->rule_set && *t->rule_set ? t->rule_set : "default");
	store_bind_opt_i64(s, 6, t->team, t->team != 0);
	sqlite3_bind_int64(s, 7, t->created_at ? t->created_at : now);
	sqlite3_bind_int64(s, 8, now);
	rc = store_step_insert(st, s, "adding a task", &tid);
	if (rc == STORE_EXISTS) {
		snprintf(st->err, sizeof(st->err), _("a task with code %s already exists"), code);
		return rc;
	}
	if (rc != STORE_OK)
		return rc;
	if ((rc = store_task_assign(st, tid, a, na, false)) != STORE_OK)
		return rc;
	if (id)
		*id = tid;
	if (code_out && (*code_out = strdup(code)) == NULL)
		return STORE_ERROR;
	return STORE_OK;
}

int
store_task_get(struct store *st, int64_t id, struct task *out)
{
	static const char sql[] = "SELECT " TASK_COLS TASK_FROM "WHERE t.id = ?";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, id);
	if ((rc = store_step_row(st, s, "reading a task", _("no task #%lld"), (long long)id)) == STORE_OK)
		rc = task_row(s, out);
	sqlite3_reset(s);
	return rc;
}

int
store_task_find(struct store *st, const char *code, struct task *out)
{
	static const char sql[] = "SELECT " TASK_COLS TASK_FROM "WHERE t.code = ? COLLATE NOCASE";
	sqlite3_stmt *s;
	int64_t id;
	int rc;

	if ((id = store_ref_id(code, "#")) != 0)
		return store_task_get(st, id, out);
	if ((s = store_stmt(st, sql)) == NULL)
		return STORE_ERROR;
	store_bind_text(s, 1, code);
	if ((rc = store_step_row(st, s, "finding a task", _("no task with code \"%s\""), code)) ==
	    STORE_OK)
		rc = task_row(s, out);
	sqlite3_reset(s);
	return rc;
}

int
store_task_each(struct store *st, const struct task_filter *f,
		int (*fn)(void *arg, const struct task *t), void *arg)
{
	static const char sql[] =
		"SELECT " TASK_COLS TASK_FROM
		"WHERE (?1 IS NULL OR (?1 = 'overdue' AND t.status = 'open' AND t.deadline < ?2) "
		"       OR t.status = ?1) "
		"  AND (?3 = 0 OR EXISTS (SELECT 1 FROM assignment a WHERE a.task = t.id AND a.person = ?3)) "
		"ORDER BY t.deadline, t.id";
	sqlite3_stmt *s = store_stmt(st, sql);
	struct task t;
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	store_bind_text(s, 1, f ? f->status : NULL);
	sqlite3_bind_int64(s, 2, f && f->now ? f->now : time_now());
	sqlite3_bind_int64(s, 3, f ? f->person : 0);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (task_row(s, &t) != STORE_OK) {
			rc = SQLITE_NOMEM;
			break;
		}
		int stop = fn(arg, &t);
		task_clear(&t);
		if (stop)
			break;
	}
	return store_rows_end(st, s, rc, "listing tasks");
}

int
store_task_people(struct store *st, int64_t task,
		  int (*fn)(void *arg, const struct person *p, const char *role), void *arg)
{
	static const char sql[] =
		"SELECT " PERSON_COLS ", a.role "
		"FROM assignment a JOIN person p ON p.id = a.person WHERE a.task = ?1 "
		"UNION ALL "
		"SELECT " PERSON_COLS ", 'member' "
		"FROM member m JOIN person p ON p.id = m.person "
		"WHERE m.grp = (SELECT team FROM task WHERE id = ?1)";
	sqlite3_stmt *s = store_stmt(st, sql);
	struct person p;
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, task);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (store_person_row(s, &p) != STORE_OK) {
			rc = SQLITE_NOMEM;
			break;
		}
		int stop = fn(arg, &p, (const char *)sqlite3_column_text(s, 8));
		person_clear(&p);
		if (stop)
			break;
	}
	return store_rows_end(st, s, rc, "listing a task's people");
}

int
store_task_assigned(struct store *st, int64_t task,
		    int (*fn)(void *arg, const struct person *p, const char *role), void *arg)
{
	static const char sql[] = "SELECT " PERSON_COLS ", a.role "
				  "FROM assignment a JOIN person p ON p.id = a.person "
				  "WHERE a.task = ?1 ORDER BY a.role, p.id";
	sqlite3_stmt *s = store_stmt(st, sql);
	struct person p;
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, task);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (store_person_row(s, &p) != STORE_OK) {
			rc = SQLITE_NOMEM;
			break;
		}
		int stop = fn(arg, &p, (const char *)sqlite3_column_text(s, 8));
		person_clear(&p);
		if (stop)
			break;
	}
	return store_rows_end(st, s, rc, "listing a task's people");
}

/* Cancel the task's reminders that are queued but not yet sent. */
static int
cancel_unsent(struct store *st, int64_t task, const char *why)
{
	static const char sql[] =
		"UPDATE message SET status = 'cancelled', last_error = ?2, final_at = ?3 "
		"WHERE task = ?1 AND status = 'queued' AND kind IN ('reminder', 'escalation')";
	sqlite3_stmt *s = store_stmt(st, sql);

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, task);
	store_bind_text(s, 2, why);
	sqlite3_bind_int64(s, 3, time_now());
	return store_step_done(st, s, "cancelling reminders");
}

int
store_task_set_done_at(struct store *st, int64_t id, int64_t at)
{
	static const char sql[] = "UPDATE task SET done_at = ?2 WHERE id = ?1 AND status = 'done'";
	sqlite3_stmt *s = store_stmt(st, sql);

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, at);
	return store_step_update(st, s, "recording when a task was done", "task #%lld is not done",
				 (long long)id);
}

int
store_task_set_status(struct store *st, int64_t id, const char *status, int64_t at, int64_t by)
{
	static const char sql[] =
		"UPDATE task SET status = ?2, updated_at = ?3, "
		"  done_at = CASE WHEN ?2 = 'open' THEN NULL ELSE ?3 END, "
		"  done_by = CASE WHEN ?2 = 'done' AND ?4 != 0 THEN ?4 ELSE NULL END, "
		"  next_fire = CASE WHEN ?2 = 'open' THEN 0 ELSE NULL END "
		"WHERE id = ?1";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, id);
	store_bind_text(s, 2, status);
	sqlite3_bind_int64(s, 3, at ? at : time_now());
	sqlite3_bind_int64(s, 4, by);
	rc = store_step_update(st, s, "changing a task's status", _("no task #%lld"), (long long)id);
	if (rc != STORE_OK)
		return rc;
	if (strcmp(status, "open") != 0)
		return cancel_unsent(st, id, strcmp(status, "done") == 0 ? "task done" : "task cancelled");
	return STORE_OK;
}

int
store_task_update(struct store *st, int64_t id, int64_t deadline, const char *title,
		  const char *detail, const char *rule_set, int64_t team)
{
	static const char sql[] =
		"UPDATE task SET deadline = CASE WHEN ?2 = 0 THEN deadline ELSE ?2 END, "
		"  title = coalesce(?3, title), detail = coalesce(?4, detail), "
		"  rule_set = coalesce(?5, rule_set), "
		"  team = CASE WHEN ?6 < 0 THEN team WHEN ?6 = 0 THEN NULL ELSE ?6 END, "
		"  updated_at = ?7, next_fire = CASE WHEN status = 'open' THEN 0 ELSE NULL END "
		"WHERE id = ?1";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, deadline);
	store_bind_text(s, 3, title);
	store_bind_text(s, 4, detail);
	store_bind_text(s, 5, rule_set);
	sqlite3_bind_int64(s, 6, team);
	sqlite3_bind_int64(s, 7, time_now());
	if ((rc = store_step_update(st, s, "updating a task", _("no task #%lld"), (long long)id)) !=
	    STORE_OK)
		return rc;
	/* Reminders written for the old deadline or rules are stale news. */
	if (deadline != 0 || rule_set != NULL)
		return cancel_unsent(st, id, "task changed");
	return STORE_OK;
}

int
store_task_unassign(struct store *st, int64_t id, int64_t person, const char *role)
{
	static const char sql[] =
		"DELETE FROM assignment WHERE task = ? AND person = ? AND (?3 IS NULL OR role = ?3)";
	sqlite3_stmt *s = store_stmt(st, sql);

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, person);
	store_bind_text(s, 3, role);
	return store_step_done(st, s, "unassigning");
}

int
store_task_responsible(struct store *st, int64_t task, int64_t person, bool *yes)
{
	static const char sql[] = "SELECT 1 FROM assignment WHERE task = ?1 AND person = ?2 "
				  "AND (role = 'lead' OR role = 'owner')";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, task);
	sqlite3_bind_int64(s, 2, person);
	rc = sqlite3_step(s);
	*yes = rc == SQLITE_ROW;
	return store_rows_end(st, s, rc, "reading a task's assignments");
}
