/*
 * store_message.c - the outbox table, message by message: queuing a row
 * (a dedupe key or a client reference makes it idempotent), reading and
 * listing rows, finding one by its client reference, queuing one again
 * or cancelling it at a clerk's request, and acknowledging the reminder a
 * reply answers.  What the dispatcher does to rows in bulk (leases,
 * results) is store_lease.c's.
 */
#include "store/store_int.h"
#include "base/i18n.h"
#include "base/clock.h"

#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#define MSG_COLS                                                                            \
	"m.id, coalesce(m.person, 0), m.phone, x.body, m.encoding, m.parts, m.kind, "        \
	"coalesce(m.task, 0), coalesce(m.notice, 0), m.step, m.template, m.ref, m.dedupe_key, " \
	"m.priority, m.urgent, m.status, m.attempts, m.created_at, m.not_before, "           \
	"coalesce(m.expires_at, 0), coalesce(m.lease_until, 0), coalesce(m.sent_at, 0), "     \
	"coalesce(m.final_at, 0), coalesce(m.acked_at, 0), m.provider, m.provider_ref, "      \
	"CASE WHEN m.status = 'queued' AND m.wait_reason IS NOT NULL THEN m.wait_reason "        \
	"ELSE m.last_error END, p.name, t.code, x.params"
#define MSG_FROM " FROM message m LEFT JOIN message_text x ON x.id = m.text_id " \
		 "LEFT JOIN person p ON p.id = m.person LEFT JOIN task t ON t.id = m.task "

void
message_clear(struct message *m)
{
	if (m == NULL)
		return;
	free(m->phone);
	free(m->body);
	free(m->encoding);
	free(m->kind);
	free(m->step);
	free(m->template_name);
	free(m->ref);
	free(m->dedupe_key);
	free(m->status);
	free(m->provider);
	free(m->provider_ref);
	free(m->last_error);
	free(m->person_name);
	free(m->task_code);
	free(m->params);
	memset(m, 0, sizeof(*m));
}

static void
msg_row(sqlite3_stmt *s, struct message *m)
{
	memset(m, 0, sizeof(*m));
	m->id = sqlite3_column_int64(s, 0);
	m->person = sqlite3_column_int64(s, 1);
	m->phone = store_col_str(s, 2);
	m->body = store_col_str(s, 3);
	m->encoding = store_col_str(s, 4);
	m->parts = sqlite3_column_int(s, 5);
	m->kind = store_col_str(s, 6);
	m->task = sqlite3_column_int64(s, 7);
	m->notice = sqlite3_column_int64(s, 8);
	m->step = store_col_opt(s, 9);
	m->template_name = store_col_opt(s, 10);
	m->ref = store_col_opt(s, 11);
	m->dedupe_key = store_col_opt(s, 12);
	m->priority = sqlite3_column_int(s, 13);
	m->urgent = sqlite3_column_int(s, 14) != 0;
	m->status = store_col_str(s, 15);
	m->attempts = sqlite3_column_int(s, 16);
	m->created_at = sqlite3_column_int64(s, 17);
	m->not_before = sqlite3_column_int64(s, 18);
	m->expires_at = sqlite3_column_int64(s, 19);
	m->lease_until = sqlite3_column_int64(s, 20);
	m->sent_at = sqlite3_column_int64(s, 21);
	m->final_at = sqlite3_column_int64(s, 22);
	m->acked_at = sqlite3_column_int64(s, 23);
	m->provider = store_col_opt(s, 24);
	m->provider_ref = store_col_opt(s, 25);
	m->last_error = store_col_opt(s, 26);
	m->person_name = store_col_opt(s, 27);
	m->task_code = store_col_opt(s, 28);
	m->params = store_col_opt(s, 29);
}

/* The row queued with m's dedupe key or reference: STORE_EXISTS (*id, err), STORE_NOTFOUND. */
static int
msg_existing(struct store *st, const struct message *m, int64_t *id)
{
	static const char sql[] =
		"SELECT id FROM message WHERE (?1 IS NOT NULL AND dedupe_key = ?1) "
		"OR (?2 IS NOT NULL AND ref = ?2)";
	sqlite3_stmt *s;
	int rc;

	if (m->dedupe_key == NULL && m->ref == NULL)
		return STORE_NOTFOUND;
	if ((s = store_stmt(st, sql)) == NULL)
		return STORE_ERROR;
	store_bind_text(s, 1, m->dedupe_key);
	store_bind_text(s, 2, m->ref);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (id)
			*id = sqlite3_column_int64(s, 0);
		snprintf(st->err, sizeof(st->err), "message #%lld has the same %s",
			 (long long)sqlite3_column_int64(s, 0), m->ref ? "ref" : "dedupe key");
		sqlite3_reset(s);
		return STORE_EXISTS;
	}
	return store_rows_end(st, s, rc, "queuing a message") == STORE_OK ? STORE_NOTFOUND
									   : STORE_ERROR;
}

int
store_text_add(struct store *st, const char *body, const char *params, int64_t *id)
{
	static const char sql[] = "INSERT INTO message_text (body, params) VALUES (?1, ?2)";
	sqlite3_stmt *s = store_stmt(st, sql);

	if (s == NULL)
		return STORE_ERROR;
	store_bind_text(s, 1, body ? body : "");
	store_bind_text(s, 2, params);
	return store_step_insert(st, s, "storing a message's text", id);
}

int
store_text_drop(struct store *st, int64_t id)
{
	sqlite3_stmt *s = store_stmt(st, "DELETE FROM message_text WHERE id = ?1");

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, id);
	return store_step_done(st, s, "removing a message's text");
}

/*
 * Queue m: its text first (message_text), then the row naming it.  A row
 * with the same dedupe key or reference is looked for before anything is
 * written, so that a second tick writes nothing; if one appears in between
 * (another connection), the text just written is removed again.
 */
int
store_msg_add(struct store *st, const struct message *m, int64_t *id)
{
	static const char sql[] =
		"INSERT INTO message (person, phone, text_id, encoding, parts, kind, task, notice, step, "
		"  template, ref, dedupe_key, priority, urgent, status, created_at, not_before, "
		"  expires_at, final_at, last_error) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, "
		"        CASE WHEN ?15 = 'queued' THEN NULL ELSE ?16 END, ?19)";
	sqlite3_stmt *s;
	int64_t now = time_now(), text;
	int rc;

	if ((rc = msg_existing(st, m, id)) != STORE_NOTFOUND)
		return rc;
	if ((rc = store_text_add(st, m->body, m->params, &text)) != STORE_OK)
		return rc;
	if ((s = store_stmt(st, sql)) == NULL)
		return STORE_ERROR;
	store_bind_opt_i64(s, 1, m->person, m->person != 0);
	store_bind_text(s, 2, m->phone);
	sqlite3_bind_int64(s, 3, text);
	store_bind_text(s, 4, m->encoding);
	sqlite3_bind_int(s, 5, m->parts);
	store_bind_text(s, 6, m->kind);
	store_bind_opt_i64(s, 7, m->task, m->task != 0);
	store_bind_opt_i64(s, 8, m->notice, m->notice != 0);
	store_bind_text(s, 9, m->step);
	store_bind_text(s, 10, m->template_name);
	store_bind_text(s, 11, m->ref);
	store_bind_text(s, 12, m->dedupe_key);
	sqlite3_bind_int(s, 13, m->priority);
	sqlite3_bind_int(s, 14, m->urgent);
	store_bind_text(s, 15, m->status ? m->status : "queued");
	sqlite3_bind_int64(s, 16, m->created_at ? m->created_at : now);
	sqlite3_bind_int64(s, 17, m->not_before ? m->not_before : now);
	store_bind_opt_i64(s, 18, m->expires_at, m->expires_at != 0);
	store_bind_text(s, 19, m->last_error);
	if ((rc = store_step_insert(st, s, "queuing a message", id)) != STORE_EXISTS)
		return rc;
	/* a constraint: the same key queued meanwhile (found now), or another */
	if (store_text_drop(st, text) != STORE_OK || msg_existing(st, m, id) == STORE_ERROR)
		return STORE_ERROR;
	return STORE_EXISTS;
}

int
store_msg_get(struct store *st, int64_t id, struct message *out)
{
	static const char sql[] = "SELECT " MSG_COLS MSG_FROM "WHERE m.id = ?";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, id);
	if ((rc = store_step_row(st, s, "reading a message", _("no message #%lld"), (long long)id)) ==
	    STORE_OK)
		msg_row(s, out);
	sqlite3_reset(s);
	return rc;
}

int
store_msg_each(struct store *st, const struct msg_filter *f,
	       int (*fn)(void *arg, const struct message *m), void *arg)
{
	static const char sql[] =
		"SELECT " MSG_COLS MSG_FROM
		"WHERE (?1 IS NULL OR m.status = ?1) AND (?2 IS NULL OR m.kind = ?2) "
		"  AND (?3 = 0 OR m.task = ?3) AND (?4 = 0 OR m.notice = ?4) "
		"  AND (?6 = 0 OR m.person = ?6) AND (?7 = 0 OR m.created_at >= ?7) "
		"  AND (?8 = 0 OR m.created_at < ?8) AND (?9 IS NULL OR instr(x.body, ?9) > 0) "
		"  AND (?10 = 0 OR m.id IN (SELECT m2.id FROM message m2 "
		"    LEFT JOIN message_text x2 ON x2.id = m2.text_id "
		"    WHERE (?1 IS NULL OR m2.status = ?1) AND (?2 IS NULL OR m2.kind = ?2) "
		"      AND (?3 = 0 OR m2.task = ?3) AND (?4 = 0 OR m2.notice = ?4) "
		"      AND (?6 = 0 OR m2.person = ?6) AND (?7 = 0 OR m2.created_at >= ?7) "
		"      AND (?8 = 0 OR m2.created_at < ?8) AND (?9 IS NULL OR instr(x2.body, ?9) > 0) "
		"    ORDER BY m2.id DESC LIMIT ?5)) "
		"ORDER BY m.id LIMIT ?5";
	sqlite3_stmt *s = store_stmt(st, sql);
	struct message m;
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	store_bind_text(s, 1, f ? f->status : NULL);
	store_bind_text(s, 2, f ? f->kind : NULL);
	sqlite3_bind_int64(s, 3, f ? f->task : 0);
	sqlite3_bind_int64(s, 4, f ? f->notice : 0);
	sqlite3_bind_int64(s, 5, f && f->limit ? (int64_t)f->limit : -1);
	sqlite3_bind_int64(s, 6, f ? f->person : 0);
	sqlite3_bind_int64(s, 7, f ? f->from : 0);
	sqlite3_bind_int64(s, 8, f ? f->to : 0);
	store_bind_text(s, 9, f && f->text && *f->text ? f->text : NULL);
	sqlite3_bind_int(s, 10, f && f->newest && f->limit ? 1 : 0);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		msg_row(s, &m);
		int stop = fn(arg, &m);
		message_clear(&m);
		if (stop)
			break;
	}
	return store_rows_end(st, s, rc, "listing messages");
}

int
store_msg_find_ref(struct store *st, const char *ref, int64_t *id)
{
	static const char sql[] = "SELECT id FROM message WHERE ref = ?1";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	*id = 0;
	if (s == NULL)
		return STORE_ERROR;
	store_bind_text(s, 1, ref);
	if ((rc = store_step_row(st, s, "finding a message by ref", _("no message with ref \"%s\""),
				 ref)) == STORE_OK)
		*id = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return rc;
}

/*
 * Shared by retry and cancel: check the status, then run sql(id, now,
 * text).  In the caller's transaction, so that the status read is the one
 * changed and the caller's audit event commits with the change.
 */
static int
msg_change(struct store *st, int64_t id, int64_t now, const char *text, const char *sql,
	   const char *const *allowed, const char *verb, char *old, size_t oldlen)
{
	char status[16] = "";
	struct message m;
	sqlite3_stmt *s;
	bool ok = false;
	int rc;

	if ((rc = store_msg_get(st, id, &m)) != STORE_OK)
		return rc;
	snprintf(status, sizeof(status), "%s", m.status ? m.status : "");
	message_clear(&m);
	if (old)
		snprintf(old, oldlen, "%s", status);
	for (const char *const *a = allowed; *a; a++)
		if (strcmp(*a, status) == 0)
			ok = true;
	if (!ok) {
		if (strcmp(status, "sending") == 0)
			snprintf(st->err, sizeof(st->err),
				 "message #%lld is being sent right now; look again in a moment",
				 (long long)id);
		else
			snprintf(st->err, sizeof(st->err), "message #%lld is %s: cannot %s it",
				 (long long)id, status, verb);
		return STORE_INVALID;
	}
	if ((s = store_stmt(st, sql)) == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, now);
	store_bind_text(s, 3, text);
	return store_step_done(st, s, verb);
}

int
store_msg_retry(struct store *st, int64_t id, int64_t now, char *old, size_t oldlen)
{
	static const char *const allowed[] = { "failed", "expired", "cancelled", "skipped",
					       "queued", NULL };
	static const char sql[] =
		"UPDATE message SET status = 'queued', attempts = 0, not_before = ?2, "
		"expires_at = CASE WHEN status = 'queued' THEN expires_at END, final_at = NULL, "
		"lease_until = NULL, last_error = ?3 "
		"WHERE id = ?1";

	return msg_change(st, id, now, NULL, sql, allowed, "retry", old, oldlen);
}

int
store_msg_cancel(struct store *st, int64_t id, int64_t now, const char *reason, char *old,
		 size_t oldlen)
{
	static const char *const allowed[] = { "queued", NULL };
	static const char sql[] =
		"UPDATE message SET status = 'cancelled', final_at = ?2, last_error = ?3, "
		"lease_until = NULL WHERE id = ?1";

	return msg_change(st, id, now, reason, sql, allowed, "cancel", old, oldlen);
}

int
store_ack_latest(struct store *st, int64_t person, int64_t at, int64_t *msg, int64_t *task)
{
	static const char sql[] =
		"UPDATE message SET acked_at = coalesce(acked_at, ?2) WHERE id = ("
		"  SELECT id FROM message WHERE person = ?1 "
		"    AND (kind = 'reminder' OR kind = 'escalation') "
		"    AND (status = 'sent' OR status = 'delivered') "
		"  ORDER BY sent_at DESC, id DESC LIMIT 1) "
		"RETURNING id, coalesce(task, 0)";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	*msg = *task = 0;
	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, person);
	sqlite3_bind_int64(s, 2, at);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*msg = sqlite3_column_int64(s, 0);
		*task = sqlite3_column_int64(s, 1);
		rc = sqlite3_step(s);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, "acknowledging a reminder");
	if (*msg == 0)
		return store_notfound(st, _("person #%lld has no reminder to acknowledge"),
				      (long long)person);
	return STORE_OK;
}
