/*
 * store_calendar.c - the town's own calendar days.  A handful of rows:
 * the scheduler reads them all at the start of a pass.
 */
#include "store/store_calendar.h"
#include "store/store_int.h"

#include <string.h>

int
store_cal_put(struct store *st, const char *date, const char *kind, const char *name,
	      int64_t now, bool *replaced)
{
	static const char had[] = "SELECT 1 FROM calendar_day WHERE date = ?1";
	static const char sql[] =
		"INSERT INTO calendar_day (date, kind, name, created_at) VALUES (?1, ?2, ?3, ?4) "
		"ON CONFLICT (date) DO UPDATE SET kind = excluded.kind, name = excluded.name, "
		"  created_at = excluded.created_at";
	sqlite3_stmt *s = store_stmt(st, had);
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	store_bind_text(s, 1, date);
	rc = sqlite3_step(s);
	if (replaced != NULL)
		*replaced = rc == SQLITE_ROW;
	if (store_rows_end(st, s, rc, "reading the calendar") != STORE_OK)
		return STORE_ERROR;
	if ((s = store_stmt(st, sql)) == NULL)
		return STORE_ERROR;
	store_bind_text(s, 1, date);
	store_bind_text(s, 2, kind);
	store_bind_text(s, 3, name ? name : "");
	sqlite3_bind_int64(s, 4, now);
	return store_step_done(st, s, "adding a calendar day");
}

int
store_cal_remove(struct store *st, const char *date, const char **kind)
{
	static const char get[] = "SELECT kind FROM calendar_day WHERE date = ?1";
	static const char del[] = "DELETE FROM calendar_day WHERE date = ?1";
	sqlite3_stmt *s = store_stmt(st, get);
	bool holiday;
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	store_bind_text(s, 1, date);
	if ((rc = store_step_row(st, s, "reading the calendar", "%s is not one of the town's own days",
				 date)) != STORE_OK) {
		sqlite3_reset(s);
		return rc;
	}
	holiday = strcmp((const char *)sqlite3_column_text(s, 0), "holiday") == 0;
	sqlite3_reset(s);
	if (kind != NULL)
		*kind = holiday ? "holiday" : "workday";
	if ((s = store_stmt(st, del)) == NULL)
		return STORE_ERROR;
	store_bind_text(s, 1, date);
	return store_step_done(st, s, "removing a calendar day");
}

int
store_cal_list(struct store *st,
	       int (*fn)(void *arg, const char *date, const char *kind, const char *name),
	       void *arg)
{
	static const char sql[] = "SELECT date, kind, name FROM calendar_day ORDER BY date";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (fn(arg, (const char *)sqlite3_column_text(s, 0),
		       (const char *)sqlite3_column_text(s, 1),
		       (const char *)sqlite3_column_text(s, 2)) != 0) {
			rc = SQLITE_NOMEM;
			break;
		}
	return store_rows_end(st, s, rc, "reading the calendar");
}

int
store_cal_latest_deadline(struct store *st, int64_t *deadline, char **code)
{
	static const char sql[] =
		"SELECT deadline, code FROM task WHERE status = 'open' ORDER BY deadline DESC LIMIT 1";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	*deadline = 0;
	*code = NULL;
	if (s == NULL)
		return STORE_ERROR;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*deadline = sqlite3_column_int64(s, 0);
		if ((*code = store_col_str(s, 1)) == NULL)
			rc = SQLITE_NOMEM;
	}
	return store_rows_end(st, s, rc, "finding the latest deadline");
}
