/*
 * store_history.c - what happened to one message after it was queued:
 * every send attempt, the delivery reports matched to it, and the replies
 * its recipient sent back to it.  Read-only; what "duban outbox show"
 * prints.
 */
#include "store/store.h"
#include "store/store_int.h"

int
store_msg_attempts(struct store *st, int64_t id,
		   int (*fn)(void *arg, const struct msg_attempt *a), void *arg)
{
	static const char sql[] =
		"SELECT at, provider, coalesce(http_status, 0), result, error, coalesce(latency_ms, 0) "
		"FROM attempt WHERE message = ? ORDER BY at, id";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct msg_attempt a = {
			.at = sqlite3_column_int64(s, 0),
			.provider = (const char *)sqlite3_column_text(s, 1),
			.http_status = sqlite3_column_int(s, 2),
			.result = (const char *)sqlite3_column_text(s, 3),
			.error = (const char *)sqlite3_column_text(s, 4),
			.latency_ms = sqlite3_column_int64(s, 5),
		};
		if (fn(arg, &a))
			break;
	}
	return store_rows_end(st, s, rc, "reading attempts");
}

int
store_msg_reports(struct store *st, int64_t id,
		  int (*fn)(void *arg, const struct msg_report *r), void *arg)
{
	static const char sql[] = "SELECT received_at, provider, status, error FROM dlr "
				  "WHERE message = ? ORDER BY received_at, id";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct msg_report r = {
			.received_at = sqlite3_column_int64(s, 0),
			.provider = (const char *)sqlite3_column_text(s, 1),
			.status = (const char *)sqlite3_column_text(s, 2),
			.error = (const char *)sqlite3_column_text(s, 3),
		};
		if (fn(arg, &r))
			break;
	}
	return store_rows_end(st, s, rc, "reading delivery reports");
}

int
store_msg_replies(struct store *st, int64_t id, size_t max,
		  int (*fn)(void *arg, const struct inbound *in), void *arg)
{
	static const char sql[] =
		"WITH m AS (SELECT phone, coalesce(sent_at, created_at) AS since, id FROM message "
		"           WHERE id = ?1), "
		"n AS (SELECT min(coalesce(x.sent_at, x.created_at)) AS until FROM message x, m "
		"      WHERE x.phone = m.phone AND x.id > m.id) "
		"SELECT i.id, i.provider, i.provider_ref, i.phone, coalesce(i.person, 0), p.name, "
		"       i.text, i.received_at, i.action, i.status "
		"FROM inbound i JOIN m ON i.phone = m.phone LEFT JOIN person p ON p.id = i.person, n "
		"WHERE i.received_at >= m.since AND (n.until IS NULL OR i.received_at < n.until) "
		"ORDER BY i.received_at, i.id LIMIT ?2";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, max ? (int64_t)max : -1);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct inbound in = {
			.id = sqlite3_column_int64(s, 0),
			.provider = (char *)sqlite3_column_text(s, 1),
			.provider_ref = (char *)sqlite3_column_text(s, 2),
			.phone = (char *)sqlite3_column_text(s, 3),
			.person = sqlite3_column_int64(s, 4),
			.person_name = (char *)sqlite3_column_text(s, 5),
			.text = (char *)sqlite3_column_text(s, 6),
			.received_at = sqlite3_column_int64(s, 7),
			.action = (char *)sqlite3_column_text(s, 8),
			.status = (char *)sqlite3_column_text(s, 9),
		};
		if (fn(arg, &in))
			break;
	}
	return store_rows_end(st, s, rc, "reading replies");
}
