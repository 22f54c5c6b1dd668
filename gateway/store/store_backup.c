/*
 * store_backup.c - copies of the database: `duban backup` and `duban
 * restore` through SQLite's online backup API, the automatic copy taken
 * before `duban init` migrates (and before a restore), and their rotation.
 *
 * These work on paths, with connections of their own, not on an open
 * struct store: a backup must be possible of a database this duban cannot
 * open (an older schema, before an upgrade migrates it), and a restore of
 * one onto a machine that has no database yet.  The backup API copies the
 * pages of one read transaction: in WAL mode the daemon goes on committing
 * meanwhile, and the copy holds exactly what was committed when it began.
 */
#include "store/store_int.h"
#include "base/i18n.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define COPY_BUSY_MS 10000 /* how long a copy waits for a writer's lock */
#define BACKUP_NAME ".backup-"

/* Open path (never created), with a busy timeout; NULL after wording err. */
static sqlite3 *
open_db(const char *path, int flags, char *err, size_t errlen)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, db ? sqlite3_errmsg(db) : _("cannot open"));
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, COPY_BUSY_MS);
	return db;
}

/* One integer of a pragma ("PRAGMA user_version"): 0, or -1 with err worded. */
static int
pragma_int(sqlite3 *db, const char *path, const char *sql, int *out, char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	int rc = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW) {
		*out = sqlite3_column_int(s, 0);
		rc = 0;
	} else {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
	}
	sqlite3_finalize(s);
	return rc;
}

/* PRAGMA integrity_check says "ok": 0, else -1 with its first finding in err. */
static int
check_whole(sqlite3 *db, const char *path, char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	int rc = -1;

	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
	} else {
		const char *r = (const char *)sqlite3_column_text(s, 0);
		if (r != NULL && strcmp(r, "ok") == 0)
			rc = 0;
		else
			snprintf(err, errlen, _("%s: integrity check failed: %s"), path, r ? r : "?");
	}
	sqlite3_finalize(s);
	return rc;
}

/* Copy every page of from into to: 0, or -1 with err worded. */
static int
copy_pages(sqlite3 *to, sqlite3 *from, const char *what, char *err, size_t errlen)
{
	sqlite3_backup *b = sqlite3_backup_init(to, "main", from, "main");
	int rc, waited = 0;

	if (b == NULL) {
		snprintf(err, errlen, "%s: %s", what, sqlite3_errmsg(to));
		return -1;
	}
	/* All pages in one step: one read transaction, so one consistent state. */
	while ((rc = sqlite3_backup_step(b, -1)) == SQLITE_BUSY || rc == SQLITE_LOCKED) {
		if (waited >= COPY_BUSY_MS)
			break;
		sqlite3_sleep(50);
		waited += 50;
	}
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "%s: %s", what, sqlite3_errstr(rc));
		return -1;
	}
	if (sqlite3_errcode(to) != SQLITE_OK && sqlite3_errcode(to) != SQLITE_DONE) {
		snprintf(err, errlen, "%s: %s", what, sqlite3_errmsg(to));
		return -1;
	}
	return 0;
}

/* fsync the file at path, and the folder holding it: 0, or -1 (errno). */
static int
sync_path(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	if (rc != 0)
		return -1;
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int
store_file_version(const char *path, int *v, char *err, size_t errlen)
{
	struct stat sb;
	sqlite3 *db;
	int rc;

	*v = 0;
	if (stat(path, &sb) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return errno == ENOENT ? STORE_NOTFOUND : STORE_ERROR;
	}
	if ((db = open_db(path, SQLITE_OPEN_READWRITE, err, errlen)) == NULL)
		return STORE_ERROR;
	rc = pragma_int(db, path, "PRAGMA user_version", v, err, errlen);
	sqlite3_close(db);
	return rc == 0 ? STORE_OK : STORE_ERROR;
}

/* A file to write a copy into, created 0600 (O_EXCL, whatever the umask); 0 or -1. */
static int
create_copy(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd < 0 || fchmod(fd, 0600) != 0) {
		snprintf(err, errlen, _("%s: cannot create: %s"), path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* Remove a half-written copy and the journal SQLite may have left beside it. */
static void
remove_copy(const char *tmp)
{
	char j[4216];

	unlink(tmp);
	snprintf(j, sizeof(j), "%s-journal", tmp);
	unlink(j);
}

int
store_backup_file(const char *db, const char *dest, struct store_copy_info *info, char *err,
		  size_t errlen)
{
	char tmp[4200];
	sqlite3 *src = NULL, *to = NULL;
	struct stat sb;
	int rc = STORE_ERROR, v = 0;

	memset(info, 0, sizeof(*info));
	if (stat(db, &sb) != 0) {
		snprintf(err, errlen, _("%s: no database here: %s"), db, strerror(errno));
		return STORE_NOTFOUND;
	}
	if ((src = open_db(db, SQLITE_OPEN_READWRITE, err, errlen)) == NULL)
		return STORE_ERROR;
	if (pragma_int(src, db, "PRAGMA user_version", &v, err, errlen) != 0)
		goto out;
	if (v == 0) {
		snprintf(err, errlen, _("%s: not a duban database (no schema)"), db);
		rc = STORE_INVALID;
		goto out;
	}
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", dest, (long)getpid()) >= sizeof(tmp)) {
		snprintf(err, errlen, _("%s: the name is too long"), dest);
		goto out;
	}
	if (create_copy(tmp, err, errlen) != 0)
		goto out;
	if ((to = open_db(tmp, SQLITE_OPEN_READWRITE, err, errlen)) == NULL ||
	    copy_pages(to, src, dest, err, errlen) != 0 ||
	    pragma_int(to, dest, "PRAGMA user_version", &info->schema, err, errlen) != 0 ||
	    check_whole(to, dest, err, errlen) != 0)
		goto fail;
	/* Out of WAL mode: the copy is one self-contained file. */
	if (sqlite3_exec(to, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", dest, sqlite3_errmsg(to));
		goto fail;
	}
	sqlite3_close(to);
	to = NULL;
	if (sync_path(tmp) != 0 || rename(tmp, dest) != 0 || sync_path(dest) != 0) {
		snprintf(err, errlen, "%s: %s", dest, strerror(errno));
		goto fail;
	}
	if (stat(dest, &sb) == 0)
		info->bytes = (int64_t)sb.st_size;
	rc = STORE_OK;
	goto out;
fail:
	sqlite3_close(to);
	to = NULL;
	remove_copy(tmp);
out:
	sqlite3_close(to);
	sqlite3_close(src);
	return rc;
}

/* Check that src is a whole duban database this duban can take: 0, or STORE_INVALID. */
static int
check_source(sqlite3 *src, const char *path, int *v, char *err, size_t errlen)
{
	if (pragma_int(src, path, "PRAGMA user_version", v, err, errlen) != 0 ||
	    check_whole(src, path, err, errlen) != 0)
		return STORE_INVALID;
	if (*v == 0) {
		snprintf(err, errlen, _("%s: not a duban database (no schema)"), path);
		return STORE_INVALID;
	}
	if (*v > store_schema_version) {
		snprintf(err, errlen,
			 _("%s was written by a newer duban (schema %d; this duban knows %d): "
			 "upgrade duban before restoring it"),
			 path, *v, store_schema_version);
		return STORE_INVALID;
	}
	return STORE_OK;
}

int
store_restore_file(const char *db, const char *src_path, struct store_copy_info *info, char *err,
		   size_t errlen)
{
	sqlite3 *src = NULL, *to = NULL;
	struct stat sb;
	int rc, fd;
	mode_t mode;

	memset(info, 0, sizeof(*info));
	if ((src = open_db(src_path, SQLITE_OPEN_READONLY, err, errlen)) == NULL)
		return STORE_ERROR;
	if ((rc = check_source(src, src_path, &info->schema, err, errlen)) != STORE_OK)
		goto out;
	rc = STORE_ERROR;
	if (stat(db, &sb) != 0) {
		mode = store_file_mode(db);
		fd = open(db, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
		if (fd < 0 || fchmod(fd, mode) != 0) {
			snprintf(err, errlen, _("%s: cannot create: %s"), db, strerror(errno));
			if (fd >= 0)
				close(fd);
			goto out;
		}
		close(fd);
	}
	if ((to = open_db(db, SQLITE_OPEN_READWRITE, err, errlen)) == NULL)
		goto out;
	if (sqlite3_exec(to, "PRAGMA journal_mode = WAL", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", db, sqlite3_errmsg(to));
		goto out;
	}
	if (copy_pages(to, src, db, err, errlen) != 0)
		goto out;
	/* Fold the WAL in, so that the file alone is the restored database. */
	sqlite3_wal_checkpoint_v2(to, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	if (stat(db, &sb) == 0)
		info->bytes = (int64_t)sb.st_size;
	rc = STORE_OK;
out:
	sqlite3_close(to);
	sqlite3_close(src);
	return rc;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Remove the oldest automatic backups of db (DB.backup-*, sorted by name,
 * which is by time) so that keep are left.  Best effort: 0, or -1 with err.
 */
static int
rotate(const char *db, int keep, char *err, size_t errlen)
{
	char dir[4096], prefix[512], path[4700];
	const char *slash = strrchr(db, '/'), *base = slash ? slash + 1 : db;
	char **names = NULL, **nn;
	size_t n = 0, cap = 0;
	struct dirent *e;
	DIR *d;
	int rc = 0;

	snprintf(dir, sizeof(dir), "%.*s", slash == NULL ? 1 : slash == db ? 1 : (int)(slash - db),
		 slash == NULL ? "." : db);
	snprintf(prefix, sizeof(prefix), "%s" BACKUP_NAME, base);
	if ((d = opendir(dir)) == NULL) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, prefix, strlen(prefix)) != 0 || strstr(e->d_name, ".tmp-"))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((nn = realloc(names, cap * sizeof(*names))) == NULL)
				break;
			names = nn;
		}
		if ((names[n] = strdup(e->d_name)) != NULL)
			n++;
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; i + (size_t)keep < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (unlink(path) != 0 && rc == 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			rc = -1;
		}
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

int
store_backup_auto(const char *db, int keep, char *made, size_t madelen, char *err, size_t errlen)
{
	struct store_copy_info info;
	struct timespec ts;
	struct tm tm;
	char stamp[32];
	int v, rc;

	if ((rc = store_file_version(db, &v, err, errlen)) != STORE_OK)
		return rc;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
	if ((size_t)snprintf(made, madelen, "%s" BACKUP_NAME "%s.%03ldZ-schema%d", db, stamp,
			     ts.tv_nsec / 1000000, v) >= madelen) {
		snprintf(err, errlen, _("%s: the name is too long for a backup beside it"), db);
		return STORE_ERROR;
	}
	if ((rc = store_backup_file(db, made, &info, err, errlen)) != STORE_OK)
		return rc;
	if (keep > 0 && rotate(db, keep, err, errlen) != 0)
		return STORE_ERROR;
	return STORE_OK;
}
