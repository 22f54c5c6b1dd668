/*
 * store_dlr.c - delivery reports: each recorded once per (provider,
 * reference, status), and applied to its message now or, through the
 * trigger of schema v2, the moment the dispatcher records the provider
 * reference the report names.
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

static int
dlr_insert(struct store *st, const char *provider, const char *ref, const char *status,
	   const char *error, int64_t at, int64_t msg, bool *inserted)
{
	static const char sql[] =
		"INSERT INTO dlr (provider, provider_ref, status, error, received_at, message) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
		"ON CONFLICT (provider, provider_ref, status) DO NOTHING";
	sqlite3_stmt *s = store_stmt(st, sql);

	if (s == NULL)
		return STORE_ERROR;
	store_bind_text(s, 1, provider);
	store_bind_text(s, 2, ref);
	store_bind_text(s, 3, status);
	store_bind_text(s, 4, error);
	sqlite3_bind_int64(s, 5, at);
	store_bind_opt_i64(s, 6, msg, msg != 0);
	return store_step_changed(st, s, "recording a delivery report", inserted);
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
