/*
 * store_inbound.c - replies (MO): the staff's inbox of what people sent
 * back, stored once per provider reference, with what duban did about
 * each one.
 */
#include "store/store_int.h"
#include "base/clock.h"

#include <stdlib.h>
#include <string.h>
#include <stdio.h>

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
	bool added;
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
	if ((rc = store_step_changed(st, s, "storing a reply", &added)) != STORE_OK)
		return rc;
	if (added) {
		*id = sqlite3_last_insert_rowid(st->db);
		return STORE_OK;
	}
	*id = 0;
	if ((s = store_stmt(st, existing)) == NULL)
		return STORE_ERROR;
	store_bind_text(s, 1, in->provider);
	store_bind_text(s, 2, in->provider_ref);
	if ((rc = store_step_row(st, s, "finding a duplicate reply", NULL)) == STORE_OK)
		*id = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc != STORE_OK)
		return rc;
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

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, id);
	store_bind_text(s, 2, action);
	store_bind_text(s, 3, status);
	return store_step_update(st, s, "updating a reply", "no reply #%lld", (long long)id);
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
		in.provider_ref = store_col_opt(s, 2);
		in.phone = store_col_str(s, 3);
		in.person = sqlite3_column_int64(s, 4);
		in.person_name = store_col_opt(s, 5);
		in.text = store_col_str(s, 6);
		in.received_at = sqlite3_column_int64(s, 7);
		in.action = store_col_str(s, 8);
		in.status = store_col_str(s, 9);
		int stop = fn(arg, &in);
		inbound_clear(&in);
		if (stop)
			break;
	}
	return store_rows_end(st, s, rc, "listing replies");
}
