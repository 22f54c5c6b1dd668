/*
 * store_digest.c - the digest_item table and the reads digests and the
 * daily cap need.
 */
#include "store/store_digest.h"
#include "store/store_int.h"

int
store_digest_link(struct store *st, int64_t item, int64_t digest)
{
	static const char sql[] = "INSERT INTO digest_item (item, digest) VALUES (?1, ?2)";
	sqlite3_stmt *s = store_stmt(st, sql);

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, item);
	sqlite3_bind_int64(s, 2, digest);
	return store_step_done(st, s, "recording a digest");
}

int
store_person_reminders_since(struct store *st, int64_t person, int64_t since, int64_t *n)
{
	static const char sql[] =
		"SELECT count(*) FROM message INDEXED BY message_person "
		"WHERE person = ?1 AND created_at >= ?2 "
		"  AND (kind = 'reminder' OR kind = 'escalation') "
		"  AND status NOT IN ('skipped', 'failed', 'cancelled', 'expired')";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	*n = 0;
	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, person);
	sqlite3_bind_int64(s, 2, since);
	rc = store_step_row(st, s, "counting a person's reminders", NULL);
	if (rc == STORE_OK)
		*n = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return rc;
}

int
store_task_acked(struct store *st, int64_t task, int64_t person, bool *acked)
{
	static const char sql[] =
		"SELECT EXISTS (SELECT 1 FROM message WHERE task = ?1 AND person = ?2 "
		"  AND acked_at IS NOT NULL)";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	*acked = false;
	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, task);
	sqlite3_bind_int64(s, 2, person);
	rc = store_step_row(st, s, "reading acknowledgements", NULL);
	if (rc == STORE_OK)
		*acked = sqlite3_column_int(s, 0) != 0;
	sqlite3_reset(s);
	return rc;
}

int
store_digest_ack(struct store *st, int64_t digest, int64_t at, int64_t inbound, char **codes)
{
	static const char ack[] =
		"UPDATE message SET acked_at = coalesce(acked_at, ?2) "
		"WHERE id IN (SELECT item FROM digest_item WHERE digest = ?1)";
	static const char link[] =
		"INSERT OR IGNORE INTO reply_task (inbound, task) SELECT DISTINCT ?2, m.task "
		"FROM digest_item d JOIN message m ON m.id = d.item "
		"WHERE d.digest = ?1 AND m.task IS NOT NULL";
	static const char list[] =
		"SELECT group_concat(code, '、') FROM (SELECT DISTINCT t.code AS code FROM digest_item d "
		"  JOIN message m ON m.id = d.item JOIN task t ON t.id = m.task "
		"  WHERE d.digest = ?1 ORDER BY t.id)";
	sqlite3_stmt *s = store_stmt(st, ack);
	int rc;

	*codes = NULL;
	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, digest);
	sqlite3_bind_int64(s, 2, at);
	if ((rc = store_step_done(st, s, "acknowledging a digest")) != STORE_OK)
		return rc;
	if (inbound != 0) {
		if ((s = store_stmt(st, link)) == NULL)
			return STORE_ERROR;
		sqlite3_bind_int64(s, 1, digest);
		sqlite3_bind_int64(s, 2, inbound);
		if ((rc = store_step_done(st, s, "linking a reply to its tasks")) != STORE_OK)
			return rc;
	}
	if ((s = store_stmt(st, list)) == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, digest);
	rc = store_step_row(st, s, "reading a digest", NULL);
	if (rc == STORE_OK)
		*codes = store_col_opt(s, 0);
	sqlite3_reset(s);
	return rc;
}

int
store_task_next_by(struct store *st, int64_t task, int64_t at)
{
	static const char sql[] =
		"UPDATE task SET next_fire = ?2 WHERE id = ?1 "
		"  AND (next_fire IS NULL OR next_fire > ?2)";
	sqlite3_stmt *s = store_stmt(st, sql);

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, task);
	sqlite3_bind_int64(s, 2, at);
	return store_step_done(st, s, "planning a task");
}

int
store_task_last_sent(struct store *st, int64_t task, const char *kind, int64_t *at)
{
	static const char sql[] =
		"SELECT max(coalesce(CASE WHEN m.status IN ('sent', 'delivered') THEN m.sent_at END, "
		"  (SELECT d.sent_at FROM digest_item di JOIN message d ON d.id = di.digest "
		"   WHERE di.item = m.id AND d.status IN ('sent', 'delivered')))) "
		"FROM message m WHERE m.task = ?1 AND m.kind = ?2";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	*at = 0;
	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, task);
	store_bind_text(s, 2, kind);
	rc = store_step_row(st, s, "reading a task's reminders", NULL);
	if (rc == STORE_OK)
		*at = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return rc;
}
