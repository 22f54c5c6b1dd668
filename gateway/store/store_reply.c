/*
 * store_reply.c - the tables SMS replies write besides the inbox:
 * reply_task (which tasks a reply acted on) and task_note (progress
 * notes), and the few reads the answers to replies need.
 */
#include "store/store_reply.h"
#include "store/store_int.h"

#include <string.h>

int
store_reply_link(struct store *st, int64_t inbound, int64_t task)
{
	static const char sql[] =
		"INSERT INTO reply_task (inbound, task) VALUES (?1, ?2) ON CONFLICT DO NOTHING";
	sqlite3_stmt *s = store_stmt(st, sql);

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, inbound);
	sqlite3_bind_int64(s, 2, task);
	return store_step_done(st, s, "linking a reply to its task");
}

int
store_note_add(struct store *st, int64_t task, int64_t person, int64_t inbound, int64_t at,
	       const char *text)
{
	static const char sql[] =
		"INSERT INTO task_note (task, person, inbound, at, text) VALUES (?1, ?2, ?3, ?4, ?5)";
	sqlite3_stmt *s = store_stmt(st, sql);

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, task);
	store_bind_opt_i64(s, 2, person, person != 0);
	store_bind_opt_i64(s, 3, inbound, inbound != 0);
	sqlite3_bind_int64(s, 4, at);
	store_bind_text(s, 5, text);
	return store_step_done(st, s, "adding a progress note");
}

int
store_note_each(struct store *st, int64_t task,
		int (*fn)(void *arg, int64_t at, const char *who, const char *text), void *arg)
{
	static const char sql[] =
		"SELECT n.at, coalesce(p.name, ''), n.text FROM task_note n "
		"LEFT JOIN person p ON p.id = n.person WHERE n.task = ?1 ORDER BY n.at, n.id";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, task);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (fn(arg, sqlite3_column_int64(s, 0), (const char *)sqlite3_column_text(s, 1),
		       (const char *)sqlite3_column_text(s, 2)) != 0) {
			rc = SQLITE_NOMEM;
			break;
		}
	return store_rows_end(st, s, rc, "reading a task's notes");
}

int
store_reply_each(struct store *st, int64_t task,
		 int (*fn)(void *arg, int64_t at, const char *who, const char *text,
			   const char *action),
		 void *arg)
{
	static const char sql[] =
		"SELECT i.received_at, coalesce(p.name, ''), i.text, coalesce(i.action, '') "
		"FROM reply_task r JOIN inbound i ON i.id = r.inbound "
		"LEFT JOIN person p ON p.id = i.person WHERE r.task = ?1 "
		"ORDER BY i.received_at, i.id";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, task);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (fn(arg, sqlite3_column_int64(s, 0), (const char *)sqlite3_column_text(s, 1),
		       (const char *)sqlite3_column_text(s, 2),
		       (const char *)sqlite3_column_text(s, 3)) != 0) {
			rc = SQLITE_NOMEM;
			break;
		}
	return store_rows_end(st, s, rc, "reading a task's replies");
}

int
store_ack_task(struct store *st, int64_t person, int64_t task, int64_t at, int64_t *msg)
{
	static const char sql[] =
		"UPDATE message SET acked_at = coalesce(acked_at, ?3) WHERE id = ("
		"  SELECT id FROM message WHERE person = ?1 AND task = ?2 "
		"    AND (kind = 'reminder' OR kind = 'escalation') "
		"    AND (status = 'sent' OR status = 'delivered') "
		"  ORDER BY sent_at DESC, id DESC LIMIT 1) "
		"RETURNING id";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	*msg = 0;
	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, person);
	sqlite3_bind_int64(s, 2, task);
	sqlite3_bind_int64(s, 3, at);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*msg = sqlite3_column_int64(s, 0);
		rc = sqlite3_step(s);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, "acknowledging a reminder");
	if (*msg == 0)
		return store_notfound(st, "no reminder of task #%lld went to person #%lld",
				      (long long)task, (long long)person);
	return STORE_OK;
}

int
store_reply_answers_since(struct store *st, const char *phone, int64_t since, int64_t *n)
{
	static const char sql[] =
		"SELECT count(*) FROM message WHERE phone = ?1 AND kind = 'reply' "
		"  AND created_at >= ?2 AND dedupe_key GLOB 'reply:ans:*'";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	*n = 0;
	if (s == NULL)
		return STORE_ERROR;
	store_bind_text(s, 1, phone);
	sqlite3_bind_int64(s, 2, since);
	rc = store_step_row(st, s, "counting answers to replies", NULL);
	if (rc == STORE_OK)
		*n = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return rc;
}

int
store_task_role(struct store *st, int64_t task, int64_t person, const char **role)
{
	static const char sql[] =
		"SELECT a.role FROM assignment a WHERE a.task = ?1 AND a.person = ?2 "
		"UNION ALL SELECT 'member' FROM task t JOIN member m ON m.grp = t.team "
		"  WHERE t.id = ?1 AND m.person = ?2";
	static const char *const order[] = { "lead", "owner", "supervisor", "member" };
	sqlite3_stmt *s = store_stmt(st, sql);
	size_t best = 4;
	int rc;

	*role = NULL;
	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, task);
	sqlite3_bind_int64(s, 2, person);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *r = (const char *)sqlite3_column_text(s, 0);
		for (size_t i = 0; i < best; i++)
			if (r && strcmp(r, order[i]) == 0)
				best = i;
	}
	if (best < 4)
		*role = order[best];
	return store_rows_end(st, s, rc, "reading a task's people");
}

int
store_person_open_code(struct store *st, int64_t person, char **code)
{
	static const char sql[] =
		"SELECT t.code FROM task t JOIN assignment a ON a.task = t.id "
		"WHERE a.person = ?1 AND t.status = 'open' ORDER BY t.deadline, t.id LIMIT 1";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	*code = NULL;
	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, person);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW && (*code = store_col_str(s, 0)) == NULL)
		rc = SQLITE_NOMEM;
	return store_rows_end(st, s, rc, "finding a person's open task");
}
