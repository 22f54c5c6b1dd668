/*
 * store_token.c - the SQL of API tokens kept in the database
 * (store_token.h).
 */
#include "store/store_token.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "base/clock.h"

#define TOKEN_COLS "id, name, sha256, routes, created_by, created_at, revoked_at"

void
api_token_clear(struct api_token *t)
{
	if (t == NULL)
		return;
	free(t->name);
	free(t->sha256);
	free(t->routes);
	free(t->created_by);
	memset(t, 0, sizeof(*t));
}

/* Fill *out from TOKEN_COLS. */
static int
token_row(sqlite3_stmt *s, struct api_token *out)
{
	memset(out, 0, sizeof(*out));
	out->id = sqlite3_column_int64(s, 0);
	out->name = store_col_str(s, 1);
	out->sha256 = store_col_str(s, 2);
	out->routes = store_col_str(s, 3);
	out->created_by = store_col_str(s, 4);
	out->created_at = sqlite3_column_int64(s, 5);
	out->revoked_at = sqlite3_column_int64(s, 6);
	if (!out->name || !out->sha256 || !out->routes || !out->created_by) {
		api_token_clear(out);
		return STORE_ERROR;
	}
	return STORE_OK;
}

int
store_token_add(struct store *st, const struct api_token *t, int64_t *id)
{
	static const char sql[] =
		"INSERT INTO api_token (name, sha256, routes, created_by, created_at) "
		"VALUES (?1, ?2, ?3, ?4, ?5)";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	store_bind_text(s, 1, t->name);
	store_bind_text(s, 2, t->sha256);
	store_bind_text(s, 3, t->routes);
	store_bind_text(s, 4, t->created_by);
	sqlite3_bind_int64(s, 5, t->created_at ? t->created_at : time_now());
	rc = store_step_insert(st, s, "adding an API token", id);
	if (rc == STORE_EXISTS)
		snprintf(st->err, sizeof(st->err), "API token \"%s\" exists", t->name);
	return rc;
}

int
store_token_by_hash(struct store *st, const char *sha256, struct api_token *out)
{
	static const char sql[] = "SELECT " TOKEN_COLS " FROM api_token WHERE sha256 = ?1";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	memset(out, 0, sizeof(*out));
	if (s == NULL)
		return STORE_ERROR;
	store_bind_text(s, 1, sha256);
	rc = store_step_row(st, s, "reading an API token", "no such API token");
	if (rc == STORE_OK)
		rc = token_row(s, out);
	sqlite3_reset(s);
	return rc;
}

int
store_token_each(struct store *st, int (*fn)(void *arg, const struct api_token *t), void *arg)
{
	static const char sql[] = "SELECT " TOKEN_COLS " FROM api_token ORDER BY name";
	sqlite3_stmt *s = store_stmt(st, sql);
	struct api_token t;
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int stop;
		if (token_row(s, &t) != STORE_OK) {
			sqlite3_reset(s);
			return store_fail(st, "reading API tokens");
		}
		stop = fn(arg, &t);
		api_token_clear(&t);
		if (stop)
			break;
	}
	return store_rows_end(st, s, rc, "listing API tokens");
}

int
store_token_revoke(struct store *st, const char *name, int64_t at)
{
	static const char sql[] = "UPDATE api_token SET revoked_at = ?2 "
				  "WHERE name = ?1 AND revoked_at IS NULL";
	sqlite3_stmt *s = store_stmt(st, sql);

	if (s == NULL)
		return STORE_ERROR;
	store_bind_text(s, 1, name);
	sqlite3_bind_int64(s, 2, at ? at : time_now());
	return store_step_update(st, s, "revoking an API token", "no API token \"%s\" in use",
				 name);
}
