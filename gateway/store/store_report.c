/*
 * store_report.c - the queries behind "duban report": tasks with their
 * reminders and latest reply, each leading official's record, and what
 * the outbox sent per kind and provider.  Rows stream to a callback with
 * strings borrowed from SQLite, so a report costs no copies.
 */
#include "store/store_int.h"

#include <string.h>

/*
 * The replies about task t: those that acted on it (reply_task: closed it,
 * acknowledged its reminder, added a note; not a text that merely holds
 * its code), and acknowledgements of its reminders.  Columns: at, txt.
 */
#define REPLIES                                                                               \
	"SELECT i.received_at AS at, coalesce(p.name, '') || ': ' || i.text AS txt "            \
	"FROM reply_task rt JOIN inbound i ON i.id = rt.inbound "                                \
	"LEFT JOIN person p ON p.id = i.person WHERE rt.task = t.id "                            \
	"UNION ALL "                                                                             \
	"SELECT m.acked_at, coalesce(p.name, '') || ': acknowledged' "                           \
	"FROM message m LEFT JOIN person p ON p.id = m.person "                                   \
	"WHERE m.task = t.id AND m.acked_at IS NOT NULL"

/* Sent on their own, or listed in a digest that was sent. */
#define SENT_OF_KIND(k)                                                                       \
	"(SELECT count(*) FROM message m WHERE m.task = t.id AND m.kind = '" k "' "              \
	"  AND (m.status IN ('sent', 'delivered') OR EXISTS (SELECT 1 FROM digest_item di "      \
	"       JOIN message dm ON dm.id = di.digest WHERE di.item = m.id "                      \
	"         AND dm.status IN ('sent', 'delivered'))))"

int
store_report_tasks(struct store *st, bool overdue_only, int64_t now,
		   int (*fn)(void *arg, const struct report_task *r), void *arg)
{
	static const char sql[] =
		"SELECT t.id, t.code, t.title, t.status, "
		"  (SELECT p.name FROM assignment a JOIN person p ON p.id = a.person "
		"   WHERE a.task = t.id AND a.role = 'lead' ORDER BY a.person LIMIT 1), "
		"  (SELECT group_concat(name, '、') FROM (SELECT p.name FROM assignment a "
		"   JOIN person p ON p.id = a.person WHERE a.task = t.id AND a.role = 'supervisor' "
		"   ORDER BY a.person)), "
		"  t.deadline, coalesce(t.done_at, 0), " SENT_OF_KIND("reminder") ", "
		SENT_OF_KIND("escalation") ", "
		"  (SELECT at FROM (" REPLIES ") ORDER BY at DESC, txt LIMIT 1), "
		"  (SELECT txt FROM (" REPLIES ") ORDER BY at DESC, txt LIMIT 1) "
		"FROM task t WHERE (?1 = 0 OR (t.status = 'open' AND t.deadline < ?2)) "
		"ORDER BY t.deadline, t.id";
	sqlite3_stmt *s = store_stmt(st, sql);
	struct report_task r;
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int(s, 1, overdue_only);
	sqlite3_bind_int64(s, 2, now);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&r, 0, sizeof(r));
		r.id = sqlite3_column_int64(s, 0);
		r.code = (const char *)sqlite3_column_text(s, 1);
		r.title = (const char *)sqlite3_column_text(s, 2);
		r.status = (const char *)sqlite3_column_text(s, 3);
		r.lead = (const char *)sqlite3_column_text(s, 4);
		r.supervisor = (const char *)sqlite3_column_text(s, 5);
		r.deadline = sqlite3_column_int64(s, 6);
		r.done_at = sqlite3_column_int64(s, 7);
		r.reminders = sqlite3_column_int64(s, 8);
		r.escalations = sqlite3_column_int64(s, 9);
		r.reply_at = sqlite3_column_int64(s, 10);
		r.reply = (const char *)sqlite3_column_text(s, 11);
		if (fn(arg, &r) != 0)
			break;
	}
	return store_rows_end(st, s, rc, "reporting tasks");
}

int
store_report_people(struct store *st, int64_t from, int64_t to, int64_t now,
		    int (*fn)(void *arg, const struct report_person *r), void *arg)
{
	static const char sql[] =
		"SELECT p.id, p.name, p.title, p.org, "
		"  sum(a.role = 'lead'), "
		"  sum(a.role = 'lead' AND t.status = 'done' AND t.done_at <= t.deadline), "
		"  sum(a.role = 'lead' AND t.status = 'done' AND t.done_at > t.deadline), "
		"  sum(a.role = 'lead' AND t.status = 'open' AND t.deadline >= ?3), "
		"  sum(a.role = 'lead' AND t.status = 'open' AND t.deadline < ?3), "
		"  sum(a.role = 'owner'), "
		"  sum(a.role = 'owner' AND t.status = 'done' AND t.done_at <= t.deadline), "
		"  sum(a.role = 'owner' AND t.status = 'done' AND t.done_at > t.deadline), "
		"  sum(a.role = 'owner' AND t.status = 'open' AND t.deadline >= ?3), "
		"  sum(a.role = 'owner' AND t.status = 'open' AND t.deadline < ?3) "
		"FROM assignment a JOIN task t ON t.id = a.task JOIN person p ON p.id = a.person "
		"WHERE a.role IN ('lead', 'owner') AND t.status != 'cancelled' "
		"  AND (?1 = 0 OR t.deadline >= ?1) AND (?2 = 0 OR t.deadline < ?2) "
		"GROUP BY p.id ORDER BY p.id";
	sqlite3_stmt *s = store_stmt(st, sql);
	struct report_person r;
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, from);
	sqlite3_bind_int64(s, 2, to);
	sqlite3_bind_int64(s, 3, now);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&r, 0, sizeof(r));
		r.id = sqlite3_column_int64(s, 0);
		r.name = (const char *)sqlite3_column_text(s, 1);
		r.title = (const char *)sqlite3_column_text(s, 2);
		r.org = (const char *)sqlite3_column_text(s, 3);
		r.led = sqlite3_column_int64(s, 4);
		r.on_time = sqlite3_column_int64(s, 5);
		r.late = sqlite3_column_int64(s, 6);
		r.open = sqlite3_column_int64(s, 7);
		r.overdue = sqlite3_column_int64(s, 8);
		r.owned = sqlite3_column_int64(s, 9);
		r.o_on_time = sqlite3_column_int64(s, 10);
		r.o_late = sqlite3_column_int64(s, 11);
		r.o_open = sqlite3_column_int64(s, 12);
		r.o_overdue = sqlite3_column_int64(s, 13);
		if (fn(arg, &r) != 0)
			break;
	}
	return store_rows_end(st, s, rc, "reporting people");
}

int
store_report_delivery(struct store *st, int64_t from, int64_t to,
		      int (*fn)(void *arg, const struct report_delivery *r), void *arg)
{
	static const char sql[] =
		"SELECT kind, coalesce(provider, '') AS prov, count(*), "
		"  sum(status IN ('queued', 'sending')), sum(status IN ('sent', 'delivered')), "
		"  sum(status = 'delivered'), sum(status = 'failed'), sum(status = 'expired'), "
		"  sum(status IN ('cancelled', 'skipped')), "
		"  coalesce(sum(CASE WHEN status IN ('sent', 'delivered') THEN parts END), 0), "
		"  coalesce(sum((SELECT a.billed FROM attempt a WHERE a.message = message.id "
		"    AND a.result = 'accepted' ORDER BY a.id DESC LIMIT 1)), 0) "
		"FROM message WHERE (?1 = 0 OR created_at >= ?1) AND (?2 = 0 OR created_at < ?2) "
		"GROUP BY kind, prov ORDER BY kind, prov";
	sqlite3_stmt *s = store_stmt(st, sql);
	struct report_delivery r;
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, from);
	sqlite3_bind_int64(s, 2, to);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		r.kind = (const char *)sqlite3_column_text(s, 0);
		r.provider = (const char *)sqlite3_column_text(s, 1);
		r.messages = sqlite3_column_int64(s, 2);
		r.waiting = sqlite3_column_int64(s, 3);
		r.sent = sqlite3_column_int64(s, 4);
		r.delivered = sqlite3_column_int64(s, 5);
		r.failed = sqlite3_column_int64(s, 6);
		r.expired = sqlite3_column_int64(s, 7);
		r.cancelled = sqlite3_column_int64(s, 8);
		r.parts = sqlite3_column_int64(s, 9);
		r.billed = sqlite3_column_int64(s, 10);
		if (fn(arg, &r) != 0)
			break;
	}
	return store_rows_end(st, s, rc, "reporting delivery");
}
