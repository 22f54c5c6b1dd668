/*
 * unit_db.h - what the unit tests of the actions share about their
 * database: a fresh SQLite file in a private folder, reading one value
 * back with a connection of the test's own (so a test sees what was
 * committed, not what its store holds), and removing the folder.
 * Include after unit.h.
 */
#ifndef DUBAN_UNIT_DB_H
#define DUBAN_UNIT_DB_H

#include <sqlite3.h>

/* The first column of the first row of sql on database path as an integer (-1: no row). */
static inline int64_t
unit_sql_int(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	int64_t v = -1;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* Fail unless the first column of the first row of sql reads want. */
static inline void
unit_expect_sql(const char *path, const char *sql, const char *want)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	const char *got = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(s) == SQLITE_ROW)
		got = (const char *)sqlite3_column_text(s, 0);
	if (got == NULL || strcmp(got, want) != 0)
		fail_msg("%s: got \"%s\", want \"%s\"", sql, got ? got : "(null)", want);
	sqlite3_finalize(s);
	sqlite3_close(db);
}

#endif
