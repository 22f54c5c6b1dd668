/*
 * store_int.h - what the store_*.c files share and nothing else sees: the
 * store struct with its SQLite handle and prepared-statement cache, and
 * small binding helpers.  Every SQL statement of duban lives in a store_*.c.
 */
#ifndef DUBAN_STORE_INT_H
#define DUBAN_STORE_INT_H

#include <sqlite3.h>

#include "store/store.h"

#define STORE_STMT_CACHE 128

struct store {
	sqlite3 *db;
	char *path;
	struct {
		const char *sql; /* static string: the key is its address */
		sqlite3_stmt *stmt;
	} cache[STORE_STMT_CACHE];
	size_t ncache;
	char err[512];
};

extern const char *const store_migrations[];
extern const int store_schema_version;

/*
 * A prepared statement for sql (a string literal: cached by address),
 * reset and with bindings cleared.  NULL on error (message in st->err).
 */
sqlite3_stmt *store_stmt(struct store *st, const char *sql);
/* Set st->err from SQLite's last error, prefixed by what; returns -1. */
int store_fail(struct store *st, const char *what);
/* Bind helpers: text may be NULL (binds NULL); i64 0 binds 0. */
void store_bind_text(sqlite3_stmt *s, int i, const char *text);
void store_bind_opt_i64(sqlite3_stmt *s, int i, int64_t v, bool present);
/* A column as a fresh strdup ("" for NULL); NULL only when out of memory. */
char *store_col_str(sqlite3_stmt *s, int i);
/* A column as a fresh strdup, or NULL when it is NULL (or out of memory). */
char *store_col_opt(sqlite3_stmt *s, int i);
/* Run a statement that returns no rows: 0 or -1. */
int store_step_done(struct store *st, sqlite3_stmt *s, const char *what);

#endif
