/*
 * store_int.h - what the store_*.c files share and nothing else sees: the
 * store struct with its SQLite handle and prepared-statement cache, and
 * small helpers to bind, step and read statements, written once so that
 * each function says only its SQL and what a row means.  Every SQL
 * statement of duban lives in a store_*.c.
 */
#ifndef DUBAN_STORE_INT_H
#define DUBAN_STORE_INT_H

#include <sqlite3.h>

#include "store/store.h"

#define STORE_STMT_CACHE 128

struct store {
	sqlite3 *db;
	char *path;
	char *wal_path;       /* path "-wal": its size decides a checkpoint */
	bool full;            /* a write failed for space: checkpoint (TRUNCATE) before the next */
	bool ckpt_failing;    /* the last checkpoint failed (logged once, until one succeeds) */
	int64_t ckpt_next_ms; /* monotonic ms before which a failed checkpoint is not retried */
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
/*
 * Run a statement that returns no rows: STORE_OK, STORE_EXISTS on a
 * constraint failure, else STORE_ERROR (st->err from store_fail).
 */
int store_step_done(struct store *st, sqlite3_stmt *s, const char *what);
/*
 * Run s, an INSERT, as store_step_done; on success *id (when id is not
 * NULL) is the new row's id.
 */
int store_step_insert(struct store *st, sqlite3_stmt *s, const char *what, int64_t *id);
/*
 * Run s as store_step_done; *changed (when changed is not NULL) says
 * whether it changed a row, false when it failed.
 */
int store_step_changed(struct store *st, sqlite3_stmt *s, const char *what, bool *changed);
/*
 * Run s, an UPDATE or DELETE of the one row it names, as store_step_done;
 * STORE_NOTFOUND with st->err worded from the printf format notfound when
 * it changed no row.
 */
int store_step_update(struct store *st, sqlite3_stmt *s, const char *what, const char *notfound,
		      ...) __attribute__((format(printf, 4, 5)));
/*
 * Step s, a statement that selects at most one row.  STORE_OK: s stands
 * on the row for the caller to read.  No row: STORE_NOTFOUND with st->err
 * worded from the printf format notfound or, when notfound is NULL because
 * s always yields a row (an aggregate), store_fail(st, what) as for any
 * failure.  The caller resets s in every case, after reading the row.
 */
int store_step_row(struct store *st, sqlite3_stmt *s, const char *what, const char *notfound, ...)
	__attribute__((format(printf, 4, 5)));
/*
 * The end of reading s, given rc, the last sqlite3_step result: resets s
 * and returns STORE_OK when the rows ran out (SQLITE_DONE) or the caller
 * stopped on a row (SQLITE_ROW: a listing's callback said stop, or a row
 * was only looked for), else store_fail(st, what).
 */
int store_rows_end(struct store *st, sqlite3_stmt *s, int rc, const char *what);
/* Word st->err from the printf format fmt; returns STORE_NOTFOUND. */
int store_notfound(struct store *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * The id that text writes as prefix then a number 1..INT32_MAX ("#12" with
 * prefix "#", "duban-12" with "duban-"), else 0.
 */
int64_t store_ref_id(const char *text, const char *prefix);

/*
 * A person's columns, read by store_person_row from a statement selecting
 * them first from "person p".  In store_people.c.
 */
#define PERSON_COLS "p.id, p.name, p.phone, p.title, p.org, p.kind, p.opted_out_at, p.created_at"
/* Fill *p (groups NULL) from PERSON_COLS; STORE_ERROR, *p cleared, when out of memory. */
int store_person_row(sqlite3_stmt *s, struct person *p);

/*
 * A message's text and values (message_text, in store_message.c): add one
 * (body NULL: ""), *id its id; drop one nothing names (a row with its
 * dedupe key was queued before).
 */
int store_text_add(struct store *st, const char *body, const char *params, int64_t *id);
int store_text_drop(struct store *st, int64_t id);

#endif
