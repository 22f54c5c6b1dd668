/*
 * store_staff.c - the SQL of staff accounts, console sessions and failed
 * logins (store_staff.h).
 */
#include "store/store_staff.h"

#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "store/store_int.h"
#include "base/clock.h"

#define STAFF_COLS "s.id, s.login, s.name, s.role, s.pw_hash, s.disabled_at, s.created_at"

void
staff_clear(struct staff *s)
{
	if (s == NULL)
		return;
	free(s->login);
	free(s->name);
	free(s->role);
	free(s->pw_hash);
	memset(s, 0, sizeof(*s));
}

/* Fill *out from STAFF_COLS starting at column c. */
static int
staff_row(sqlite3_stmt *s, int c, struct staff *out)
{
	memset(out, 0, sizeof(*out));
	out->id = sqlite3_column_int64(s, c);
	out->login = store_col_str(s, c + 1);
	out->name = store_col_str(s, c + 2);
	out->role = store_col_str(s, c + 3);
	out->pw_hash = store_col_str(s, c + 4);
	out->disabled_at = sqlite3_column_int64(s, c + 5);
	out->created_at = sqlite3_column_int64(s, c + 6);
	if (!out->login || !out->name || !out->role || !out->pw_hash) {
		staff_clear(out);
		return STORE_ERROR;
	}
	return STORE_OK;
}

int
store_staff_add(struct store *st, const struct staff *a, int64_t *id)
{
	static const char sql[] = "INSERT INTO staff (login, name, role, pw_hash, created_at) "
				  "VALUES (?1, ?2, ?3, ?4, ?5)";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	store_bind_text(s, 1, a->login);
	store_bind_text(s, 2, a->name);
	store_bind_text(s, 3, a->role);
	store_bind_text(s, 4, a->pw_hash);
	sqlite3_bind_int64(s, 5, a->created_at ? a->created_at : time_now());
	rc = store_step_insert(st, s, "adding a staff account", id);
	if (rc == STORE_EXISTS)
		snprintf(st->err, sizeof(st->err), "staff account \"%s\" exists", a->login);
	return rc;
}

int
store_staff_get(struct store *st, const char *login, struct staff *out)
{
	static const char sql[] = "SELECT " STAFF_COLS " FROM staff s WHERE s.login = ?1";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	store_bind_text(s, 1, login);
	rc = store_step_row(st, s, "reading a staff account", "no staff account \"%s\"", login);
	if (rc == STORE_OK)
		rc = staff_row(s, 0, out);
	sqlite3_reset(s);
	return rc;
}

int
store_staff_each(struct store *st, int (*fn)(void *arg, const struct staff *a), void *arg)
{
	static const char sql[] = "SELECT " STAFF_COLS " FROM staff s ORDER BY s.login";
	sqlite3_stmt *s = store_stmt(st, sql);
	struct staff a;
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int stop;
		if (staff_row(s, 0, &a) != STORE_OK) {
			sqlite3_reset(s);
			return store_fail(st, "reading staff accounts");
		}
		stop = fn(arg, &a);
		staff_clear(&a);
		if (stop)
			break;
	}
	return store_rows_end(st, s, rc, "listing staff accounts");
}

int
store_staff_set_password(struct store *st, int64_t id, const char *pw_hash)
{
	static const char sql[] = "UPDATE staff SET pw_hash = ?2 WHERE id = ?1";
	sqlite3_stmt *s = store_stmt(st, sql);

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, id);
	store_bind_text(s, 2, pw_hash);
	return store_step_update(st, s, "setting a password", "no staff account #%lld",
				 (long long)id);
}

int
store_staff_set_disabled(struct store *st, int64_t id, int64_t at)
{
	static const char sql[] = "UPDATE staff SET disabled_at = ?2 WHERE id = ?1";
	sqlite3_stmt *s = store_stmt(st, sql);

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, id);
	store_bind_opt_i64(s, 2, at, at != 0);
	return store_step_update(st, s, "disabling a staff account", "no staff account #%lld",
				 (long long)id);
}

int
store_login_failures(struct store *st, const char *key, int64_t since, int64_t *count,
		     int64_t *last)
{
	static const char sql[] =
		"SELECT count(*), coalesce(max(at), 0) FROM login_attempt WHERE key = ?1 AND at >= ?2";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	store_bind_text(s, 1, key);
	sqlite3_bind_int64(s, 2, since);
	rc = store_step_row(st, s, "counting failed logins", NULL);
	if (rc == STORE_OK) {
		*count = sqlite3_column_int64(s, 0);
		*last = sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	return rc;
}

int
store_login_failure_add(struct store *st, const char *key, int64_t at, int64_t before)
{
	static const char add[] = "INSERT INTO login_attempt (key, at) VALUES (?1, ?2)";
	static const char old[] = "DELETE FROM login_attempt WHERE at < ?1";
	sqlite3_stmt *s = store_stmt(st, old);
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, before);
	if ((rc = store_step_done(st, s, "forgetting old failed logins")) != STORE_OK)
		return rc;
	if ((s = store_stmt(st, add)) == NULL)
		return STORE_ERROR;
	store_bind_text(s, 1, key);
	sqlite3_bind_int64(s, 2, at);
	return store_step_done(st, s, "recording a failed login");
}

int
store_login_failure_clear(struct store *st, const char *key)
{
	static const char sql[] = "DELETE FROM login_attempt WHERE key = ?1";
	sqlite3_stmt *s = store_stmt(st, sql);

	if (s == NULL)
		return STORE_ERROR;
	store_bind_text(s, 1, key);
	return store_step_done(st, s, "forgetting failed logins");
}

int
store_session_add(struct store *st, const unsigned char hash[32], int64_t staff,
		  const char *csrf, int64_t now)
{
	static const char sql[] = "INSERT INTO staff_session (hash, staff, csrf, created_at, "
				  "last_seen) VALUES (?1, ?2, ?3, ?4, ?4)";
	sqlite3_stmt *s = store_stmt(st, sql);

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_blob(s, 1, hash, 32, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, staff);
	store_bind_text(s, 3, csrf);
	sqlite3_bind_int64(s, 4, now);
	return store_step_done(st, s, "opening a session");
}

int
store_session_get(struct store *st, const unsigned char hash[32], struct staff_session *out)
{
	static const char sql[] = "SELECT " STAFF_COLS ", x.csrf, x.created_at, x.last_seen "
				  "FROM staff_session x JOIN staff s ON s.id = x.staff "
				  "WHERE x.hash = ?1";
	sqlite3_stmt *s = store_stmt(st, sql);
	const unsigned char *csrf;
	int rc;

	memset(out, 0, sizeof(*out));
	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_blob(s, 1, hash, 32, SQLITE_TRANSIENT);
	rc = store_step_row(st, s, "reading a session", "no such session");
	if (rc == STORE_OK && (rc = staff_row(s, 0, &out->who)) == STORE_OK) {
		csrf = sqlite3_column_text(s, 7);
		snprintf(out->csrf, sizeof(out->csrf), "%s", csrf ? (const char *)csrf : "");
		out->created_at = sqlite3_column_int64(s, 8);
		out->last_seen = sqlite3_column_int64(s, 9);
	}
	sqlite3_reset(s);
	return rc;
}

int
store_session_touch(struct store *st, const unsigned char hash[32], int64_t now)
{
	static const char sql[] = "UPDATE staff_session SET last_seen = ?2 WHERE hash = ?1";
	sqlite3_stmt *s = store_stmt(st, sql);

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_blob(s, 1, hash, 32, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, now);
	return store_step_done(st, s, "marking a session used");
}

int
store_session_delete(struct store *st, const unsigned char hash[32])
{
	static const char sql[] = "DELETE FROM staff_session WHERE hash = ?1";
	sqlite3_stmt *s = store_stmt(st, sql);

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_blob(s, 1, hash, 32, SQLITE_TRANSIENT);
	return store_step_done(st, s, "ending a session");
}

int
store_session_delete_staff(struct store *st, int64_t staff)
{
	static const char sql[] = "DELETE FROM staff_session WHERE staff = ?1";
	sqlite3_stmt *s = store_stmt(st, sql);

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, staff);
	return store_step_done(st, s, "ending a staff member's sessions");
}
