/*
 * store_http.c - the HTTP server's part of the store: delivery reports
 * (recorded once, applied to their message now or, through the trigger of
 * schema v2, when the dispatcher records the provider reference), replies
 * (MO) and what they act on (acknowledging a reminder, who may close a
 * task), client references of messages, and the counts /metrics exports.
 * The server has a connection of its own; nothing here keeps state.
 */
#include "store/store_int.h"
#include "base/str.h"
#include "base/clock.h"

#include <stdlib.h>
#include <string.h>
#include <stdio.h>

const long store_latency_bounds_ms[STORE_LATENCY_BUCKETS] = {
	25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000,
};

/* duban's own reference "duban-ID" -> ID, else 0. */
static int64_t
own_ref_id(const char *ref)
{
	long v;

	if (strncmp(ref, "duban-", 6) != 0 || parse_long(ref + 6, 1, INT32_MAX, &v) != 0)
		return 0;
	return v;
}

/* The sent (or later) message of provider with reference ref: *id 0 when none. */
static int
dlr_find(struct store *st, const char *provider, const char *ref, int64_t *id, char *status,
	 size_t statuslen)
{
	static const char sql[] =
		"SELECT id, status FROM message WHERE provider_ref = ?2 AND provider = ?1 "
		"UNION ALL "
		"SELECT id, status FROM message WHERE id = ?3 AND provider = ?1 "
		"  AND provider_ref IS NOT NULL "
		"LIMIT 1";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	*id = 0;
	status[0] = '\0';
	if (s == NULL)
		return STORE_ERROR;
	store_bind_text(s, 1, provider);
	store_bind_text(s, 2, ref);
	sqlite3_bind_int64(s, 3, own_ref_id(ref));
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(s, 0);
		snprintf(status, statuslen, "%s", (const char *)sqlite3_column_text(s, 1));
	}
	sqlite3_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? STORE_OK
						     : store_fail(st, "finding a report's message");
}

static int
dlr_insert(struct store *st, const char *provider, const char *ref, const char *status,
	   const char *error, int64_t at, int64_t msg, bool *inserted)
{
	static const char sql[] =
		"INSERT INTO dlr (provider, provider_ref, status, error, received_at, message) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
		"ON CONFLICT (provider, provider_ref, status) DO NOTHING";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	store_bind_text(s, 1, provider);
	store_bind_text(s, 2, ref);
	store_bind_text(s, 3, status);
	store_bind_text(s, 4, error);
	sqlite3_bind_int64(s, 5, at);
	store_bind_opt_i64(s, 6, msg, msg != 0);
	if ((rc = store_step_done(st, s, "recording a delivery report")) != STORE_OK)
		return rc;
	*inserted = sqlite3_changes(st->db) > 0;
	return STORE_OK;
}

static int
dlr_apply(struct store *st, int64_t msg, const char *status, const char *error, int64_t at,
	  bool *applied)
{
	static const char sql[] = "UPDATE message SET status = ?2, final_at = ?3, last_error = ?4 "
				  "WHERE id = ?1 AND status = 'sent'";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, msg);
	store_bind_text(s, 2, status);
	sqlite3_bind_int64(s, 3, at);
	store_bind_text(s, 4, strcmp(status, "failed") == 0 ? error : NULL);
	if ((rc = store_step_done(st, s, "applying a delivery report")) != STORE_OK)
		return rc;
	*applied = sqlite3_changes(st->db) > 0;
	return STORE_OK;
}

int
store_dlr_record(struct store *st, const char *provider, const char *ref, const char *status,
		 const char *error, int64_t at, struct dlr_outcome *out)
{
	bool inserted = false, final;
	int rc;

	memset(out, 0, sizeof(*out));
	final = strcmp(status, "delivered") == 0 || strcmp(status, "failed") == 0;
	if (!final && strcmp(status, "pending") != 0) {
		snprintf(st->err, sizeof(st->err), "unknown delivery status \"%s\"", status);
		return STORE_INVALID;
	}
	if ((rc = store_begin(st)) != STORE_OK)
		return rc;
	if ((rc = dlr_find(st, provider, ref, &out->message, out->was, sizeof(out->was))) !=
		    STORE_OK ||
	    (rc = dlr_insert(st, provider, ref, status, error, at, out->message, &inserted)) !=
		    STORE_OK)
		goto fail;
	out->duplicate = !inserted;
	if (inserted && final && out->message != 0 &&
	    (rc = dlr_apply(st, out->message, status, error, at, &out->applied)) != STORE_OK)
		goto fail;
	return store_commit(st);
fail:
	store_rollback(st);
	return rc;
}

/* ---- replies ---------------------------------------------------------------- */

void
inbound_clear(struct inbound *in)
{
	if (in == NULL)
		return;
	free(in->provider);
	free(in->provider_ref);
	free(in->phone);
	free(in->person_name);
	free(in->text);
	free(in->action);
	free(in->status);
	memset(in, 0, sizeof(*in));
}

int
store_inbound_add(struct store *st, const struct inbound *in, int64_t *id)
{
	static const char sql[] =
		"INSERT INTO inbound (provider, provider_ref, phone, person, text, received_at, "
		"  action, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, coalesce(?8, 'new')) "
		"ON CONFLICT (provider, provider_ref) DO NOTHING";
	static const char existing[] =
		"SELECT id FROM inbound WHERE provider = ?1 AND provider_ref = ?2";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	store_bind_text(s, 1, in->provider);
	store_bind_text(s, 2, in->provider_ref);
	store_bind_text(s, 3, in->phone);
	store_bind_opt_i64(s, 4, in->person, in->person != 0);
	store_bind_text(s, 5, in->text);
	sqlite3_bind_int64(s, 6, in->received_at ? in->received_at : time_now());
	store_bind_text(s, 7, in->action);
	store_bind_text(s, 8, in->status);
	if ((rc = store_step_done(st, s, "storing a reply")) != STORE_OK)
		return rc;
	if (sqlite3_changes(st->db) > 0) {
		*id = sqlite3_last_insert_rowid(st->db);
		return STORE_OK;
	}
	if ((s = store_stmt(st, existing)) == NULL)
		return STORE_ERROR;
	store_bind_text(s, 1, in->provider);
	store_bind_text(s, 2, in->provider_ref);
	rc = sqlite3_step(s);
	*id = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	if (rc != SQLITE_ROW)
		return store_fail(st, "finding a duplicate reply");
	snprintf(st->err, sizeof(st->err), "reply %s/%s was received before (#%lld)", in->provider,
		 in->provider_ref ? in->provider_ref : "", (long long)*id);
	return STORE_EXISTS;
}

int
store_inbound_set(struct store *st, int64_t id, const char *action, const char *status)
{
	static const char sql[] =
		"UPDATE inbound SET action = coalesce(?2, action), status = coalesce(?3, status) "
		"WHERE id = ?1";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, id);
	store_bind_text(s, 2, action);
	store_bind_text(s, 3, status);
	if ((rc = store_step_done(st, s, "updating a reply")) != STORE_OK)
		return rc;
	if (sqlite3_changes(st->db) == 0) {
		snprintf(st->err, sizeof(st->err), "no reply #%lld", (long long)id);
		return STORE_NOTFOUND;
	}
	return STORE_OK;
}

int
store_inbound_each(struct store *st, const struct inbound_filter *f,
		   int (*fn)(void *arg, const struct inbound *in), void *arg)
{
	/* The newest `limit` rows, shown oldest first. */
	static const char sql[] =
		"SELECT * FROM ("
		"  SELECT i.id, i.provider, i.provider_ref, i.phone, coalesce(i.person, 0), "
		"p.name, "
		"    i.text, i.received_at, i.action, i.status "
		"  FROM inbound i LEFT JOIN person p ON p.id = i.person "
		"  WHERE (?1 IS NULL OR i.status = ?1) ORDER BY i.id DESC LIMIT ?2"
		") ORDER BY 1";
	sqlite3_stmt *s = store_stmt(st, sql);
	struct inbound in;
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	store_bind_text(s, 1, f ? f->status : NULL);
	sqlite3_bind_int64(s, 2, f && f->limit ? (int64_t)f->limit : -1);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&in, 0, sizeof(in));
		in.id = sqlite3_column_int64(s, 0);
		in.provider = store_col_str(s, 1);
		in.provider_ref =
			sqlite3_column_type(s, 2) == SQLITE_NULL ? NULL : store_col_str(s, 2);
		in.phone = store_col_str(s, 3);
		in.person = sqlite3_column_int64(s, 4);
		in.person_name =
			sqlite3_column_type(s, 5) == SQLITE_NULL ? NULL : store_col_str(s, 5);
		in.text = store_col_str(s, 6);
		in.received_at = sqlite3_column_int64(s, 7);
		in.action = store_col_str(s, 8);
		in.status = store_col_str(s, 9);
		int stop = fn(arg, &in);
		inbound_clear(&in);
		if (stop) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? STORE_OK : store_fail(st, "listing replies");
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
	if (*msg == 0) {
		snprintf(st->err, sizeof(st->err), "person #%lld has no reminder to acknowledge",
			 (long long)person);
		return STORE_NOTFOUND;
	}
	return STORE_OK;
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
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(st, "reading a task's assignments");
	*yes = rc == SQLITE_ROW;
	return STORE_OK;
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
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return STORE_OK;
	if (rc == SQLITE_DONE) {
		snprintf(st->err, sizeof(st->err), "no message with ref \"%s\"", ref);
		return STORE_NOTFOUND;
	}
	return store_fail(st, "finding a message by ref");
}

int
store_ping(struct store *st)
{
	/* Reads the schema from the file: a missing or unreadable file fails. */
	static const char sql[] = "SELECT count(*) FROM sqlite_master";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? STORE_OK : store_fail(st, "reading the database");
}

/* ---- metrics ------------------------------------------------------------------ */

int
store_metrics_messages(struct store *st,
		       int (*fn)(void *arg, const char *status, const char *kind, int64_t n),
		       void *arg)
{
	static const char sql[] =
		"SELECT status, kind, count(*) FROM message GROUP BY status, kind ORDER BY 1, 2";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (fn(arg, (const char *)sqlite3_column_text(s, 0),
		       (const char *)sqlite3_column_text(s, 1), sqlite3_column_int64(s, 2)) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? STORE_OK : store_fail(st, "counting messages");
}

int
store_metrics_providers(struct store *st, int (*fn)(void *arg, const struct provider_totals *t),
			void *arg)
{
	/* One pass over attempt; the bounds are store_latency_bounds_ms. */
	static const char sql[] =
		"WITH a AS ("
		"  SELECT provider,"
		"    count(*) FILTER (WHERE result = 'accepted') AS sent,"
		"    count(*) FILTER (WHERE result = 'transient') AS retried,"
		"    count(*) FILTER (WHERE result = 'permanent') AS rejected,"
		"    count(*) FILTER (WHERE latency_ms <= 25), count(*) FILTER (WHERE latency_ms "
		"<= 50),"
		"    count(*) FILTER (WHERE latency_ms <= 100), count(*) FILTER (WHERE latency_ms "
		"<= 250),"
		"    count(*) FILTER (WHERE latency_ms <= 500), count(*) FILTER (WHERE latency_ms "
		"<= 1000),"
		"    count(*) FILTER (WHERE latency_ms <= 2500), count(*) FILTER (WHERE latency_ms "
		"<= 5000),"
		"    count(*) FILTER (WHERE latency_ms <= 10000), count(*) FILTER (WHERE "
		"latency_ms <= 30000),"
		"    count(latency_ms) AS n, coalesce(sum(latency_ms), 0) AS total"
		"  FROM attempt GROUP BY provider),"
		"m AS (SELECT provider, count(*) FILTER (WHERE status = 'failed') AS failed,"
		"        count(*) FILTER (WHERE status = 'delivered') AS delivered"
		"      FROM message WHERE provider IS NOT NULL "
		"        AND (status = 'failed' OR status = 'delivered') GROUP BY provider) "
		"SELECT a.*, coalesce(m.failed, 0), coalesce(m.delivered, 0) "
		"FROM a LEFT JOIN m ON m.provider = a.provider ORDER BY a.provider";
	sqlite3_stmt *s = store_stmt(st, sql);
	struct provider_totals t;
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int c = 0;
		memset(&t, 0, sizeof(t));
		t.provider = (const char *)sqlite3_column_text(s, c++);
		t.sent = sqlite3_column_int64(s, c++);
		t.retried = sqlite3_column_int64(s, c++);
		t.rejected = sqlite3_column_int64(s, c++);
		for (int i = 0; i < STORE_LATENCY_BUCKETS; i++)
			t.le[i] = sqlite3_column_int64(s, c++);
		t.count = sqlite3_column_int64(s, c++);
		t.sum_ms = sqlite3_column_int64(s, c++);
		t.failed = sqlite3_column_int64(s, c++);
		t.delivered = sqlite3_column_int64(s, c++);
		if (fn(arg, &t) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? STORE_OK : store_fail(st, "counting attempts");
}

/* Rows (text, text, count) of a GROUP BY query sql (a static string), to fn. */
static int
each_pair_count(struct store *st, const char *sql, const char *what,
		int (*fn)(void *arg, const char *a, const char *b, int64_t n), void *arg)
{
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (fn(arg, (const char *)sqlite3_column_text(s, 0),
		       (const char *)sqlite3_column_text(s, 1), sqlite3_column_int64(s, 2)) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? STORE_OK : store_fail(st, what);
}

int
store_metrics_dlr(struct store *st,
		  int (*fn)(void *arg, const char *provider, const char *status, int64_t n),
		  void *arg)
{
	static const char sql[] = "SELECT provider, status, count(*) FROM dlr GROUP BY provider, "
				  "status ORDER BY 1, 2";

	return each_pair_count(st, sql, "counting delivery reports", fn, arg);
}

int
store_metrics_inbound(struct store *st,
		      int (*fn)(void *arg, const char *action, const char *status, int64_t n),
		      void *arg)
{
	static const char sql[] = "SELECT coalesce(action, ''), status, count(*) FROM inbound "
				  "GROUP BY 1, 2 ORDER BY 1, 2";

	return each_pair_count(st, sql, "counting replies", fn, arg);
}
