/*
 * store_outbox.c - the staff console's reads of the outbox
 * (store_outbox.h): a search by number or name, and one message's
 * attempts and delivery reports.
 */
#include "store/store_outbox.h"

#include "store/store_int.h"

int
store_attempt_each(struct store *st, int64_t msg,
		   int (*fn)(void *arg, const struct attempt_row *a), void *arg)
{
	static const char sql[] = "SELECT at, provider, result, error, coalesce(http_status, 0), "
				  "coalesce(latency_ms, 0) FROM attempt WHERE message = ?1 "
				  "ORDER BY at, id";
	sqlite3_stmt *s = store_stmt(st, sql);
	struct attempt_row a;
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, msg);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		a.at = sqlite3_column_int64(s, 0);
		a.provider = (const char *)sqlite3_column_text(s, 1);
		a.result = (const char *)sqlite3_column_text(s, 2);
		a.error = (const char *)sqlite3_column_text(s, 3);
		a.http_status = sqlite3_column_int(s, 4);
		a.latency_ms = sqlite3_column_int64(s, 5);
		if (fn(arg, &a) != 0)
			break;
	}
	return store_rows_end(st, s, rc, "reading a message's attempts");
}

int
store_msg_dlr_each(struct store *st, int64_t msg, int (*fn)(void *arg, const struct dlr_row *d),
		   void *arg)
{
	static const char sql[] = "SELECT received_at, provider, status, error FROM dlr "
				  "WHERE message = ?1 ORDER BY received_at, id";
	sqlite3_stmt *s = store_stmt(st, sql);
	struct dlr_row d;
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, msg);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		d.received_at = sqlite3_column_int64(s, 0);
		d.provider = (const char *)sqlite3_column_text(s, 1);
		d.status = (const char *)sqlite3_column_text(s, 2);
		d.error = (const char *)sqlite3_column_text(s, 3);
		if (fn(arg, &d) != 0)
			break;
	}
	return store_rows_end(st, s, rc, "reading a message's delivery reports");
}

int
store_outbox_search(struct store *st, const char *q, const char *status, size_t limit,
		    int64_t *ids, size_t *n)
{
	static const char sql[] =
		"SELECT m.id FROM message m LEFT JOIN person p ON p.id = m.person "
		"WHERE (?1 IS NULL OR instr(m.phone, ?1) OR instr(p.name, ?1)) "
		"  AND (?2 IS NULL OR m.status = ?2) "
		"ORDER BY m.id DESC LIMIT ?3";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	*n = 0;
	if (s == NULL)
		return STORE_ERROR;
	store_bind_text(s, 1, q);
	store_bind_text(s, 2, status);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && *n < limit)
		ids[(*n)++] = sqlite3_column_int64(s, 0);
	return store_rows_end(st, s, rc, "searching the outbox");
}
