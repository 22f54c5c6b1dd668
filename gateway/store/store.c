/*
 * store.c - opening the database, migrating its schema, transactions, the
 * prepared-statement cache, the audit log, the meta table and a ping of
 * the file for health checks.
 *
 * Connection settings: WAL (readers never block the writer), foreign keys
 * on, a busy timeout so that the CLI and the daemon wait for each other,
 * and synchronous=FULL so that a committed status survives a power cut as
 * well as a crash; writers batch rows per transaction to pay for that.
 *
 * The WAL on a small disk.  SQLite's own checkpoints copy the WAL into the
 * database but never shrink its file, and once a write failed for space
 * (SQLITE_FULL) its frames hold that space: the disk stays full, and a
 * checkpoint that needs the database file to grow fails as well.  So a
 * connection whose write failed for space, or whose commit left the WAL
 * past storage.wal_max, checkpoints with TRUNCATE as soon as it is out of
 * its transaction, and again before its next write while that fails
 * (waiting briefly for readers, at most once a second): when space comes
 * back, the next write finds the WAL empty, without a restart.
 */
#include "store/store_int.h"
#include "base/i18n.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/str.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define BUSY_TIMEOUT_MS 10000
#define CHECKPOINT_BUSY_MS 200    /* a checkpoint waits this long for readers */
#define CHECKPOINT_RETRY_MS 1000  /* and is tried again after this when it failed */

/* The WAL size past which a commit checkpoints (store_set_wal_max), for every connection. */
static _Atomic int64_t wal_max = STORE_WAL_MAX_DEFAULT;

void
store_set_wal_max(int64_t bytes)
{
	atomic_store(&wal_max, bytes > 0 ? bytes : STORE_WAL_MAX_DEFAULT);
}

int
store_schema(void)
{
	return store_schema_version;
}

const char *
store_errmsg(const struct store *st)
{
	return st ? st->err : "no database";
}

/* Note a write that failed for space, so that the WAL is checkpointed before the next. */
static void
note_full(struct store *st)
{
	if ((sqlite3_extended_errcode(st->db) & 0xff) == SQLITE_FULL)
		st->full = true;
}

int
store_fail(struct store *st, const char *what)
{
	snprintf(st->err, sizeof(st->err), "%s: %s", what, sqlite3_errmsg(st->db));
	note_full(st);
	return STORE_ERROR;
}

/*
 * Checkpoint the WAL into the database and truncate it to nothing, for
 * why; outside a transaction only.  Waits CHECKPOINT_BUSY_MS for readers;
 * when it fails it is not tried again for CHECKPOINT_RETRY_MS.  Leaves
 * st->err alone: it runs after a failure whose words the caller wants.
 */
static void
checkpoint(struct store *st, const char *why)
{
	int64_t now = time_mono_ms();
	int rc;

	if (!sqlite3_get_autocommit(st->db) || now < st->ckpt_next_ms)
		return;
	sqlite3_busy_timeout(st->db, CHECKPOINT_BUSY_MS);
	rc = sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
	if (rc == SQLITE_OK) {
		if (st->full || st->ckpt_failing)
			log_info("database %s: %s: the WAL is checkpointed and truncated", st->path,
				 why);
		st->full = st->ckpt_failing = false;
		st->ckpt_next_ms = 0;
		return;
	}
	/* Busy: readers, or another connection checkpointing - ordinary, not worth a warning. */
	if ((rc & 0xff) == SQLITE_BUSY)
		log_debug("database %s: %s; the checkpoint waits for readers: %s", st->path, why,
			  sqlite3_errstr(rc));
	else if (!st->ckpt_failing)
		log_warnx("database %s: %s, but checkpointing the WAL failed (tried again "
			  "before the next write): %s",
			  st->path, why, sqlite3_errstr(rc));
	st->ckpt_failing = (rc & 0xff) != SQLITE_BUSY;
	st->ckpt_next_ms = now + CHECKPOINT_RETRY_MS;
}

/* Checkpoint when a write failed for space, or when the WAL is past wal_max. */
static void
wal_tend(struct store *st)
{
	struct stat sb;

	if (st->full)
		checkpoint(st, "a write failed: the disk is full");
	else if (stat(st->wal_path, &sb) == 0 && sb.st_size > atomic_load(&wal_max))
		checkpoint(st, "the WAL is larger than storage.wal_max");
}

sqlite3_stmt *
store_stmt(struct store *st, const char *sql)
{
	sqlite3_stmt *s = NULL;

	for (size_t i = 0; i < st->ncache; i++)
		if (st->cache[i].sql == sql) {
			s = st->cache[i].stmt;
			sqlite3_reset(s);
			sqlite3_clear_bindings(s);
			return s;
		}
	if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK) {
		store_fail(st, "prepare");
		return NULL;
	}
	if (st->ncache < STORE_STMT_CACHE) {
		st->cache[st->ncache].sql = sql;
		st->cache[st->ncache].stmt = s;
		st->ncache++;
	} else {
		/* Full cache: a design error, but stay correct by replacing the
		 * oldest entry (its statement is finalized). */
		sqlite3_finalize(st->cache[0].stmt);
		memmove(&st->cache[0], &st->cache[1], (STORE_STMT_CACHE - 1) * sizeof(st->cache[0]));
		st->cache[STORE_STMT_CACHE - 1].sql = sql;
		st->cache[STORE_STMT_CACHE - 1].stmt = s;
	}
	return s;
}

void
store_bind_text(sqlite3_stmt *s, int i, const char *text)
{
	if (text == NULL)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_text(s, i, text, -1, SQLITE_TRANSIENT);
}

void
store_bind_opt_i64(sqlite3_stmt *s, int i, int64_t v, bool present)
{
	if (present)
		sqlite3_bind_int64(s, i, v);
	else
		sqlite3_bind_null(s, i);
}

char *
store_col_str(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return strdup(t ? (const char *)t : "");
}

char *
store_col_opt(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? NULL : store_col_str(s, i);
}

int
store_step_done(struct store *st, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_DONE || rc == SQLITE_ROW) {
		sqlite3_reset(s);
		return STORE_OK;
	}
	store_fail(st, what);
	sqlite3_reset(s);
	if (rc == SQLITE_CONSTRAINT || (rc & 0xff) == SQLITE_CONSTRAINT)
		return STORE_EXISTS;
	return STORE_ERROR;
}

int
store_step_insert(struct store *st, sqlite3_stmt *s, const char *what, int64_t *id)
{
	int rc = store_step_done(st, s, what);

	if (rc == STORE_OK && id)
		*id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

int
store_step_changed(struct store *st, sqlite3_stmt *s, const char *what, bool *changed)
{
	int rc = store_step_done(st, s, what);

	if (changed)
		*changed = rc == STORE_OK && sqlite3_changes(st->db) > 0;
	return rc;
}

/* Word st->err from fmt and ap, for the not-found helpers; returns STORE_NOTFOUND. */
__attribute__((format(printf, 2, 0)))
static int
vnotfound(struct store *st, const char *fmt, va_list ap)
{
	vsnprintf(st->err, sizeof(st->err), fmt, ap);
	return STORE_NOTFOUND;
}

int
store_notfound(struct store *st, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vnotfound(st, fmt, ap);
	va_end(ap);
	return rc;
}

int
store_step_update(struct store *st, sqlite3_stmt *s, const char *what, const char *notfound, ...)
{
	va_list ap;
	bool changed;
	int rc = store_step_changed(st, s, what, &changed);

	if (rc != STORE_OK || changed)
		return rc;
	va_start(ap, notfound);
	rc = vnotfound(st, notfound, ap);
	va_end(ap);
	return rc;
}

int
store_step_row(struct store *st, sqlite3_stmt *s, const char *what, const char *notfound, ...)
{
	va_list ap;
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW)
		return STORE_OK;
	if (rc != SQLITE_DONE || notfound == NULL)
		return store_fail(st, what);
	va_start(ap, notfound);
	rc = vnotfound(st, notfound, ap);
	va_end(ap);
	return rc;
}

int
store_rows_end(struct store *st, sqlite3_stmt *s, int rc, const char *what)
{
	sqlite3_reset(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? STORE_OK : store_fail(st, what);
}

int64_t
store_ref_id(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);
	long v;

	if (strncmp(text, prefix, n) != 0 || parse_long(text + n, 1, INT32_MAX, &v) != 0)
		return 0;
	return v;
}

static int
exec(struct store *st, const char *sql, const char *what)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(st->err, sizeof(st->err), "%s: %s", what, msg ? msg : sqlite3_errmsg(st->db));
		sqlite3_free(msg);
		note_full(st);
		return STORE_ERROR;
	}
	return STORE_OK;
}

static int
user_version(struct store *st, int *v)
{
	sqlite3_stmt *s = NULL;
	int rc = STORE_ERROR;

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return store_fail(st, "reading the schema version");
	if (sqlite3_step(s) == SQLITE_ROW) {
		*v = sqlite3_column_int(s, 0);
		rc = STORE_OK;
	} else {
		store_fail(st, "reading the schema version");
	}
	sqlite3_finalize(s);
	return rc;
}

int
store_migrate(struct store *st, int *from, int *to)
{
	int v;
	char sql[64];

	if (store_begin(st) != STORE_OK)
		return STORE_ERROR;
	if (user_version(st, &v) != STORE_OK)
		goto fail;
	*from = v;
	if (v > store_schema_version) {
		snprintf(st->err, sizeof(st->err),
			 "%s was written by a newer duban (schema %d; this duban knows %d): "
			 "upgrade duban, do not downgrade a database",
			 st->path, v, store_schema_version);
		store_rollback(st);
		return STORE_INVALID;
	}
	for (; v < store_schema_version; v++)
		if (exec(st, store_migrations[v], "migrating the schema") != STORE_OK)
			goto fail;
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v);
	if (exec(st, sql, "setting the schema version") != STORE_OK)
		goto fail;
	*to = v;
	return store_commit(st);
fail:
	store_rollback(st);
	return STORE_ERROR;
}

mode_t
store_file_mode(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	struct stat sb;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else if ((size_t)(slash - path) < sizeof(dir))
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	else
		return 0600;
	return stat(dir, &sb) == 0 && (sb.st_mode & S_ISGID) ? 0660 : 0600;
}

/*
 * Create the file before SQLite does, so it never exists with a wider
 * mode: 0600, or 0660 in a setgid folder (store_file_mode), whatever the
 * umask.  SQLite gives its -wal and -shm files the database's mode.
 */
static int
create_private(const char *path, char *err, size_t errlen)
{
	mode_t mode = store_file_mode(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);

	if (fd < 0) {
		if (errno == EEXIST)
			return 0;
		snprintf(err, errlen, _("%s: cannot create: %s"), path, strerror(errno));
		return -1;
	}
	if (fchmod(fd, mode) != 0) {
		snprintf(err, errlen, "%s: cannot set its mode: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int
store_open(const char *path, bool create, struct store **out, char *err, size_t errlen)
{
	struct store *st = NULL;
	struct stat sb;
	char pragma[64];
	int v, from, to;

	*out = NULL;
	if (stat(path, &sb) != 0) {
		if (!create) {
			snprintf(err, errlen, _("%s: no database here (run \"duban init\" to create it)"), path);
			return STORE_NOTFOUND;
		}
		if (create_private(path, err, errlen) != 0)
			return STORE_ERROR;
		sb.st_size = 0;
	}
	st = calloc(1, sizeof(*st));
	if (st == NULL || (st->path = strdup(path)) == NULL ||
	    (st->wal_path = malloc(strlen(path) + 5)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	snprintf(st->wal_path, strlen(path) + 5, "%s-wal", path);
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, st->db ? sqlite3_errmsg(st->db) : "cannot open");
		goto fail;
	}
	sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(st->db, 1);
	/* journal_size_limit: a WAL that a checkpoint resets is cut back to wal_max. */
	snprintf(pragma, sizeof(pragma), "PRAGMA journal_size_limit = %lld;",
		 (long long)atomic_load(&wal_max));
	/* A new file gets 16 KiB pages (SQLite's default is 4 KiB): a batched
	 * notice rewrites thousands of neighbouring rows per commit, and a
	 * quarter as many WAL frames (two writes each) made bench/cn.sh 15-20 %
	 * faster; a row read costs one page either way.  An existing file keeps
	 * the size it was made with (docs/internals/dispatcher.md). */
	if ((create && sb.st_size == 0 &&
	     exec(st, "PRAGMA page_size = 16384;", "configuring the database") != STORE_OK) ||
	    exec(st, "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON;"
		     "PRAGMA synchronous = FULL; PRAGMA cache_size = -16384;",
		 "configuring the database") != STORE_OK ||
	    exec(st, pragma, "configuring the database") != STORE_OK ||
	    user_version(st, &v) != STORE_OK) {
		snprintf(err, errlen, "%s: %s", path, st->err);
		goto fail;
	}
	if (v > store_schema_version) {
		snprintf(err, errlen,
			 "%s was written by a newer duban (schema %d; this duban knows %d): "
			 "upgrade duban, do not downgrade a database",
			 path, v, store_schema_version);
		goto fail_invalid;
	}
	if (v < store_schema_version) {
		if (!create) {
			if (v == 0)
				snprintf(err, errlen, _("%s: not a duban database yet (run \"duban init\")"), path);
			else
				snprintf(err, errlen,
					 "%s: schema %d is older than this duban's %d (run \"duban init\" to migrate)",
					 path, v, store_schema_version);
			goto fail_invalid;
		}
		if (store_migrate(st, &from, &to) != STORE_OK) {
			snprintf(err, errlen, "%s", st->err);
			goto fail;
		}
	}
	*out = st;
	return STORE_OK;
fail_invalid:
	store_close(st);
	return STORE_INVALID;
fail:
	store_close(st);
	return STORE_ERROR;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	for (size_t i = 0; i < st->ncache; i++)
		sqlite3_finalize(st->cache[i].stmt);
	if (st->db)
		sqlite3_close(st->db);
	free(st->path);
	free(st->wal_path);
	free(st);
}

int
store_begin(struct store *st)
{
	sqlite3_stmt *s;

	if (st->full)
		wal_tend(st); /* the last write failed for space: make room first */
	s = store_stmt(st, "BEGIN IMMEDIATE");
	return s ? store_step_done(st, s, "starting a transaction") : STORE_ERROR;
}

int
store_commit(struct store *st)
{
	sqlite3_stmt *s = store_stmt(st, "COMMIT");
	int rc = s ? store_step_done(st, s, "committing") : STORE_ERROR;

	if (rc != STORE_OK) {
		store_rollback(st);
		return STORE_ERROR;
	}
	wal_tend(st);
	return STORE_OK;
}

void
store_rollback(struct store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	if (st->full)
		wal_tend(st);
}

int
store_disk(struct store *st, struct store_disk *out)
{
	struct statvfs vfs;
	struct stat sb;

	memset(out, 0, sizeof(*out));
	if (statvfs(st->path, &vfs) != 0 || stat(st->path, &sb) != 0) {
		snprintf(st->err, sizeof(st->err), "%s: %s", st->path, strerror(errno));
		return STORE_ERROR;
	}
	out->free = (int64_t)vfs.f_bavail * (int64_t)vfs.f_frsize;
	out->database = (int64_t)sb.st_size;
	if (stat(st->wal_path, &sb) == 0)
		out->wal = (int64_t)sb.st_size;
	out->wal_max = atomic_load(&wal_max);
	return STORE_OK;
}

int
store_data_version(struct store *st, int64_t *out)
{
	sqlite3_stmt *s = store_stmt(st, "PRAGMA data_version");
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	if ((rc = store_step_row(st, s, "data_version", NULL)) == STORE_OK)
		*out = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return rc;
}

int
store_event(struct store *st, const char *actor, const char *action, const char *object,
	    const char *detail)
{
	static const char sql[] =
		"INSERT INTO event (at, actor, action, object, detail) VALUES (?, ?, ?, ?, ?)";
	sqlite3_stmt *s = store_stmt(st, sql);

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, time_now());
	store_bind_text(s, 2, actor ? actor : "cli");
	store_bind_text(s, 3, action);
	store_bind_text(s, 4, object);
	store_bind_text(s, 5, detail);
	return store_step_done(st, s, "recording an event");
}

int
store_meta_get(struct store *st, const char *key, char **out)
{
	static const char sql[] = "SELECT value FROM meta WHERE key = ?";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	*out = NULL;
	if (s == NULL)
		return STORE_ERROR;
	store_bind_text(s, 1, key);
	if ((rc = store_step_row(st, s, "reading meta", "no meta key \"%s\"", key)) == STORE_OK)
		*out = store_col_str(s, 0);
	sqlite3_reset(s);
	return rc;
}

int
store_meta_set(struct store *st, const char *key, const char *value)
{
	static const char sql[] =
		"INSERT INTO meta (key, value) VALUES (?, ?) "
		"ON CONFLICT (key) DO UPDATE SET value = excluded.value";
	sqlite3_stmt *s = store_stmt(st, sql);

	if (s == NULL)
		return STORE_ERROR;
	store_bind_text(s, 1, key);
	store_bind_text(s, 2, value);
	return store_step_done(st, s, "writing meta");
}

int
store_ping(struct store *st)
{
	/* Reads the schema from the file: a missing or unreadable file fails. */
	static const char sql[] = "SELECT count(*) FROM sqlite_master";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	rc = store_step_row(st, s, "reading the database", NULL);
	sqlite3_reset(s);
	return rc;
}
