/*
 * store_dlr.c - delivery reports: each recorded once per (provider,
 * reference, status), and applied to its message now or the moment the
 * dispatcher records the send (store_lease.c, match_waiting).  A
 * report may come before that record (the provider is quicker than the
 * dispatcher's commit), so it is kept - but only when it can be about a
 * request duban has made: one naming duban's own "duban-ID" is linked to
 * that message at once if a request for it has gone out, and ignored if
 * not (it would otherwise decide a message not yet queued); one naming
 * the provider's own id waits unlinked for at most dlr.keep_unmatched,
 * and at most dlr.max_unmatched of those wait at once, the oldest going
 * first.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>
#include <stdio.h>

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
	sqlite3_bind_int64(s, 3, store_ref_id(ref, "duban-")); /* duban's own reference */
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*id = sqlite3_column_int64(s, 0);
		snprintf(status, statuslen, "%s", (const char *)sqlite3_column_text(s, 1));
	}
	return store_rows_end(st, s, rc, "finding a report's message");
}

/*
 * Whether duban has sent a request for message id (it is being sent, or
 * was tried before): its status into status, "" when it has not, or when
 * there is no such message.
 */
static int
dlr_requested(struct store *st, int64_t id, char *status, size_t statuslen)
{
	static const char sql[] = "SELECT status FROM message "
				  "WHERE id = ?1 AND (status = 'sending' OR attempts > 0)";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	status[0] = '\0';
	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, id);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		snprintf(status, statuslen, "%s", (const char *)sqlite3_column_text(s, 0));
	return store_rows_end(st, s, rc, "finding a report's message");
}

/*
 * Store the report, linked to msg (0: none yet, waiting until
 * keep_until); *inserted false when it was stored before.  The same
 * report waiting unlinked while msg is known is no earlier copy: it was
 * left unlinked because it came before msg's request went out (planted,
 * or stale), and this one takes its place - else a plant would swallow
 * the real report.
 */
static int
dlr_insert(struct store *st, const char *provider, const char *ref, const char *status,
	   const char *error, int64_t at, int64_t msg, int64_t keep_until, int parts,
	   bool *inserted)
{
	static const char sql[] =
		"INSERT INTO dlr (provider, provider_ref, status, error, received_at, message, "
		"  keep_until, parts) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
		"ON CONFLICT (provider, provider_ref, status) DO UPDATE SET "
		"  error = excluded.error, received_at = excluded.received_at, "
		"  message = excluded.message, keep_until = NULL "
		"  WHERE dlr.message IS NULL AND excluded.message IS NOT NULL";
	sqlite3_stmt *s = store_stmt(st, sql);

	if (s == NULL)
		return STORE_ERROR;
	store_bind_text(s, 1, provider);
	store_bind_text(s, 2, ref);
	store_bind_text(s, 3, status);
	store_bind_text(s, 4, error);
	sqlite3_bind_int64(s, 5, at);
	store_bind_opt_i64(s, 6, msg, msg != 0);
	store_bind_opt_i64(s, 7, keep_until, msg == 0);
	store_bind_opt_i64(s, 8, parts, parts > 0);
	return store_step_changed(st, s, "recording a delivery report", inserted);
}

/*
 * Bound the reports that wait unlinked: those whose time ran out go
 * (*expired counts them), then the oldest beyond p->max_unmatched
 * (*dropped).  Both by the partial index dlr_unmatched, which holds only
 * the waiting ones: a few in normal running, however many were linked.
 */
static int
dlr_prune(struct store *st, int64_t now, const struct dlr_policy *p, int64_t *expired,
	  int64_t *dropped)
{
	static const char expire[] = "DELETE FROM dlr WHERE message IS NULL AND keep_until < ?1";
	static const char cap[] =
		"DELETE FROM dlr WHERE id IN (SELECT id FROM dlr WHERE message IS NULL "
		"  ORDER BY received_at, id "
		"  LIMIT max(0, (SELECT count(*) FROM dlr WHERE message IS NULL) - ?1))";
	sqlite3_stmt *s;
	int rc;

	if ((s = store_stmt(st, expire)) == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, now);
	if ((rc = store_step_done(st, s, "expiring delivery reports")) != STORE_OK)
		return rc;
	*expired = sqlite3_changes(st->db);
	if ((s = store_stmt(st, cap)) == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, p->max_unmatched);
	if ((rc = store_step_done(st, s, "capping delivery reports")) != STORE_OK)
		return rc;
	*dropped = sqlite3_changes(st->db);
	return STORE_OK;
}

static int
dlr_apply(struct store *st, int64_t msg, const char *status, const char *error, int64_t at,
	  bool *applied)
{
	static const char sql[] = "UPDATE message SET status = ?2, final_at = ?3, last_error = ?4 "
				  "WHERE id = ?1 AND status = 'sent'";
	sqlite3_stmt *s = store_stmt(st, sql);

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, msg);
	store_bind_text(s, 2, status);
	sqlite3_bind_int64(s, 3, at);
	store_bind_text(s, 4, strcmp(status, "failed") == 0 ? error : NULL);
	return store_step_changed(st, s, "applying a delivery report", applied);
}

/*
 * No sent message has ref: which one the report may wait for.  duban's own
 * "duban-ID" names its message, which must exist with a request gone out
 * (*link = ID, out->was its status), else the report is ignored; a
 * provider's id waits unlinked (*link 0).
 */
static int
dlr_early(struct store *st, const char *ref, struct dlr_outcome *out, int64_t *link)
{
	int64_t id = store_ref_id(ref, "duban-");
	int rc;

	*link = 0;
	out->waiting = true;
	if (id == 0)
		return STORE_OK;
	if ((rc = dlr_requested(st, id, out->was, sizeof(out->was))) != STORE_OK)
		return rc;
	if (out->was[0] == '\0') {
		out->waiting = false;
		out->ignored = true;
		return STORE_OK;
	}
	*link = out->message = id;
	return STORE_OK;
}

/* The parts a report says were billed, on its message's accepted attempt. */
static int
dlr_billed(struct store *st, int64_t msg, int parts)
{
	static const char sql[] =
		"UPDATE attempt SET billed = ?2 WHERE id = (SELECT max(id) FROM attempt "
		"  WHERE message = ?1 AND result = 'accepted') AND billed IS NULL";
	sqlite3_stmt *s = store_stmt(st, sql);

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, msg);
	sqlite3_bind_int(s, 2, parts);
	return store_step_done(st, s, "recording billed parts");
}

/* One report inside the caller's transaction. */
static int
dlr_one(struct store *st, const char *provider, const struct dlr_in *in, int64_t at,
	const struct dlr_policy *policy, struct dlr_outcome *out)
{
	bool inserted = false, final;
	int64_t link = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	final = strcmp(in->status, "delivered") == 0 || strcmp(in->status, "failed") == 0;
	if (!final && strcmp(in->status, "pending") != 0) {
		snprintf(st->err, sizeof(st->err), "unknown delivery status \"%s\"", in->status);
		return STORE_INVALID;
	}
	if ((rc = dlr_find(st, provider, in->ref, &out->message, out->was, sizeof(out->was))) !=
	    STORE_OK)
		return rc;
	if (out->message != 0)
		link = out->message;
	else if ((rc = dlr_early(st, in->ref, out, &link)) != STORE_OK)
		return rc;
	if (out->ignored)
		return STORE_OK; /* nothing written */
	if ((rc = dlr_insert(st, provider, in->ref, in->status, in->error, at, link,
			     at + policy->keep, in->parts, &inserted)) != STORE_OK)
		return rc;
	out->duplicate = !inserted;
	if (inserted && final && !out->waiting &&
	    (rc = dlr_apply(st, out->message, in->status, in->error, at, &out->applied)) != STORE_OK)
		return rc;
	if (inserted && in->parts > 0 && link != 0 && !out->waiting &&
	    (rc = dlr_billed(st, link, in->parts)) != STORE_OK)
		return rc;
	if (inserted && link == 0 &&
	    (rc = dlr_prune(st, at, policy, &out->expired, &out->dropped)) != STORE_OK)
		return rc;
	return STORE_OK;
}

int
store_dlr_record_many(struct store *st, const char *provider, const struct dlr_in *in,
		      size_t n, int64_t at, const struct dlr_policy *policy,
		      struct dlr_outcome *out)
{
	int rc;

	for (size_t i = 0; i < n; i++)
		if (strcmp(in[i].status, "delivered") != 0 && strcmp(in[i].status, "failed") != 0 &&
		    strcmp(in[i].status, "pending") != 0) {
			snprintf(st->err, sizeof(st->err), "unknown delivery status \"%s\"",
				 in[i].status);
			return STORE_INVALID;
		}
	if ((rc = store_begin(st)) != STORE_OK)
		return rc;
	for (size_t i = 0; i < n; i++)
		if ((rc = dlr_one(st, provider, &in[i], at, policy, &out[i])) != STORE_OK) {
			store_rollback(st);
			return rc;
		}
	return store_commit(st);
}

int
store_dlr_record(struct store *st, const char *provider, const char *ref, const char *status,
		 const char *error, int64_t at, const struct dlr_policy *policy,
		 struct dlr_outcome *out)
{
	const struct dlr_in in = { ref, status, error, 0 };

	return store_dlr_record_many(st, provider, &in, 1, at, policy, out);
}
