/*
 * store_provider.c - what duban remembers of a provider between requests
 * and processes: that it is halted (it refused everything: no balance,
 * credentials refused, a signature or template not approved), why, since
 * when, whether the alert for that halt was queued, and the last resume.
 * The dispatcher writes a halt and reads the table on every lease, so a
 * `duban provider resume` from another process reaches a running daemon;
 * /healthz and /metrics read it too.
 */
#include "store/store_int.h"

#include <stdio.h>
#include <string.h>

int
store_provider_halt(struct store *st, const char *provider, const char *code, const char *reason,
		    int64_t at, bool *first)
{
	static const char sql[] =
		"INSERT INTO provider_state (provider, halted_at, code, reason) VALUES (?1, ?2, ?3, ?4) "
		"ON CONFLICT (provider) DO UPDATE SET halted_at = excluded.halted_at, "
		"  code = excluded.code, reason = excluded.reason, alerted_at = NULL "
		"  WHERE provider_state.halted_at IS NULL";
	sqlite3_stmt *s = store_stmt(st, sql);
	bool changed = false;
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	store_bind_text(s, 1, provider);
	sqlite3_bind_int64(s, 2, at);
	store_bind_text(s, 3, code && code[0] ? code : NULL);
	store_bind_text(s, 4, reason);
	rc = store_step_changed(st, s, "recording a provider's halt", &changed);
	if (first)
		*first = changed;
	return rc;
}

int
store_provider_alerted(struct store *st, const char *provider, int64_t at)
{
	static const char sql[] = "UPDATE provider_state SET alerted_at = ?2 WHERE provider = ?1";
	sqlite3_stmt *s = store_stmt(st, sql);

	if (s == NULL)
		return STORE_ERROR;
	store_bind_text(s, 1, provider);
	sqlite3_bind_int64(s, 2, at);
	return store_step_done(st, s, "recording a provider's alert");
}

int
store_provider_resume(struct store *st, const char *provider, int64_t at, const char *actor,
		      bool *was)
{
	static const char sql[] =
		"UPDATE provider_state SET halted_at = NULL, resumed_at = ?2, resumed_by = ?3 "
		"WHERE provider = ?1 AND halted_at IS NOT NULL";
	sqlite3_stmt *s = store_stmt(st, sql);
	bool changed = false;
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	store_bind_text(s, 1, provider);
	sqlite3_bind_int64(s, 2, at);
	store_bind_text(s, 3, actor);
	rc = store_step_changed(st, s, "resuming a provider", &changed);
	if (was)
		*was = changed;
	return rc;
}

int
store_provider_each(struct store *st, int (*fn)(void *arg, const struct provider_state *p),
		    void *arg)
{
	static const char sql[] = "SELECT provider, halted_at, code, reason, alerted_at, "
				  "resumed_at, resumed_by FROM provider_state ORDER BY provider";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct provider_state p;
		const char *t;

		memset(&p, 0, sizeof(p));
		snprintf(p.name, sizeof(p.name), "%s", (const char *)sqlite3_column_text(s, 0));
		p.halted_at = sqlite3_column_int64(s, 1);
		if ((t = (const char *)sqlite3_column_text(s, 2)) != NULL)
			snprintf(p.code, sizeof(p.code), "%s", t);
		if ((t = (const char *)sqlite3_column_text(s, 3)) != NULL)
			snprintf(p.reason, sizeof(p.reason), "%s", t);
		p.alerted_at = sqlite3_column_int64(s, 4);
		p.resumed_at = sqlite3_column_int64(s, 5);
		if ((t = (const char *)sqlite3_column_text(s, 6)) != NULL)
			snprintf(p.resumed_by, sizeof(p.resumed_by), "%s", t);
		if (fn(arg, &p) != 0) {
			sqlite3_reset(s);
			return STORE_OK;
		}
	}
	return store_rows_end(st, s, rc, "reading providers' state");
}
