/*
 * test_store_disk.c - the database on a disk that fills up.  A write that
 * fails for space (SQLITE_FULL) leaves its frames in the WAL, holding the
 * space; the store must then checkpoint and truncate the WAL, write again
 * as soon as space comes back - on the same connection, without a
 * restart - and lose nothing that was committed.  A commit that leaves
 * the WAL past storage.wal_max truncates it too; store_disk says where the
 * database stands.
 *
 * The small disk is a test VFS, built into this binary only and made
 * SQLite's default so that store_open uses it: it passes everything to
 * the real one, except that a write growing the database and its WAL
 * (together) past disk.cap fails with SQLITE_FULL, as the unix VFS
 * answers ENOSPC.  tests/integration/t_disk_full.sh runs the real binary
 * on a real small filesystem (a tmpfs) where the machine lets it mount one.
 */
#include "unit.h"

#include <limits.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"

/* ---- a small disk --------------------------------------------------------------------- */

static struct {
	sqlite3_vfs vfs;
	sqlite3_vfs *real;
	sqlite3_io_methods io;
	int64_t cap;        /* bytes the database and its WAL may take; 0: no limit */
	char db[PATH_MAX];  /* the database counted */
	char wal[PATH_MAX + 8];
	int refused;        /* writes refused for space */
} disk;

/* An open file: ours, then the real VFS's right after it. */
struct tfile {
	sqlite3_file base;
	sqlite3_file *real;
};

static int64_t
file_size(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 ? (int64_t)sb.st_size : 0;
}

static int
t_write(sqlite3_file *f, const void *buf, int amt, sqlite3_int64 off)
{
	sqlite3_file *r = ((struct tfile *)f)->real;
	sqlite3_int64 size = 0;

	if (disk.cap > 0 && r->pMethods->xFileSize(r, &size) == SQLITE_OK && off + amt > size &&
	    file_size(disk.db) + file_size(disk.wal) + (off + amt - size) > disk.cap) {
		disk.refused++;
		return SQLITE_FULL;
	}
	return r->pMethods->xWrite(r, buf, amt, off);
}

static int
t_close(sqlite3_file *f)
{
	sqlite3_file *r = ((struct tfile *)f)->real;
	return r->pMethods->xClose(r);
}

#define REAL(f) (((struct tfile *)(f))->real)
static int t_read(sqlite3_file *f, void *b, int n, sqlite3_int64 o) { return REAL(f)->pMethods->xRead(REAL(f), b, n, o); }
static int t_truncate(sqlite3_file *f, sqlite3_int64 n) { return REAL(f)->pMethods->xTruncate(REAL(f), n); }
static int t_sync(sqlite3_file *f, int fl) { return REAL(f)->pMethods->xSync(REAL(f), fl); }
static int t_size(sqlite3_file *f, sqlite3_int64 *n) { return REAL(f)->pMethods->xFileSize(REAL(f), n); }
static int t_lock(sqlite3_file *f, int l) { return REAL(f)->pMethods->xLock(REAL(f), l); }
static int t_unlock(sqlite3_file *f, int l) { return REAL(f)->pMethods->xUnlock(REAL(f), l); }
static int t_reserved(sqlite3_file *f, int *o) { return REAL(f)->pMethods->xCheckReservedLock(REAL(f), o); }
static int t_fcntl(sqlite3_file *f, int op, void *a) { return REAL(f)->pMethods->xFileControl(REAL(f), op, a); }
static int t_sector(sqlite3_file *f) { return REAL(f)->pMethods->xSectorSize(REAL(f)); }
static int t_dev(sqlite3_file *f) { return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f)); }
static int t_shmmap(sqlite3_file *f, int i, int sz, int ext, void volatile **p) { return REAL(f)->pMethods->xShmMap(REAL(f), i, sz, ext, p); }
static int t_shmlock(sqlite3_file *f, int o, int n, int fl) { return REAL(f)->pMethods->xShmLock(REAL(f), o, n, fl); }
static void t_shmbarrier(sqlite3_file *f) { REAL(f)->pMethods->xShmBarrier(REAL(f)); }
static int t_shmunmap(sqlite3_file *f, int del) { return REAL(f)->pMethods->xShmUnmap(REAL(f), del); }

static int
t_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *outflags)
{
	struct tfile *t = (struct tfile *)f;
	int rc;

	(void)vfs;
	t->real = (sqlite3_file *)(t + 1);
	rc = disk.real->xOpen(disk.real, name, t->real, flags, outflags);
	t->base.pMethods = rc == SQLITE_OK && t->real->pMethods ? &disk.io : NULL;
	return rc;
}

/* Make the small disk SQLite's default VFS (once per process). */
static void
disk_install(void)
{
	static const sqlite3_io_methods io = {
		.iVersion = 2, /* no xFetch: every write goes through t_write */
		.xClose = t_close, .xRead = t_read, .xWrite = t_write, .xTruncate = t_truncate,
		.xSync = t_sync, .xFileSize = t_size, .xLock = t_lock, .xUnlock = t_unlock,
		.xCheckReservedLock = t_reserved, .xFileControl = t_fcntl, .xSectorSize = t_sector,
		.xDeviceCharacteristics = t_dev, .xShmMap = t_shmmap, .xShmLock = t_shmlock,
		.xShmBarrier = t_shmbarrier, .xShmUnmap = t_shmunmap,
	};

	if (disk.real != NULL)
		return;
	disk.real = sqlite3_vfs_find(NULL);
	assert_non_null(disk.real);
	disk.vfs = *disk.real;
	disk.vfs.pNext = NULL;
	disk.vfs.zName = "smalldisk";
	disk.vfs.szOsFile = (int)sizeof(struct tfile) + disk.real->szOsFile;
	disk.vfs.xOpen = t_open;
	disk.io = io;
	assert_int_equal(sqlite3_vfs_register(&disk.vfs, 1), SQLITE_OK);
}

/* ---- fixtures ------------------------------------------------------------------------- */

struct fixture {
	char dir[64];
	char path[PATH_MAX];
	struct store *st;
};

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char err[512];

	if (fx == NULL)
		return -1;
	disk_install();
	snprintf(fx->dir, sizeof(fx->dir), "%s", "/tmp/duban-test-disk.XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	snprintf(fx->path, sizeof(fx->path), "%s/duban.db", fx->dir);
	snprintf(disk.db, sizeof(disk.db), "%s", fx->path);
	snprintf(disk.wal, sizeof(disk.wal), "%s-wal", fx->path);
	disk.cap = 0;
	disk.refused = 0;
	store_set_wal_max(0);
	if (store_open(fx->path, true, &fx->st, err, sizeof(err)) != STORE_OK) {
		print_error("store_open: %s\n", err);
		return -1;
	}
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[PATH_MAX + 16];

	store_close(fx->st);
	disk.cap = 0;
	store_set_wal_max(0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	if (system(cmd) != 0)
		return -1;
	free(fx);
	return 0;
}

/* The count of messages, read on a connection of its own. */
static int64_t
messages(struct fixture *fx)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int64_t n = -1;

	assert_int_equal(sqlite3_open_v2(fx->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM message", -1, &s, NULL),
			 SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

/*
 * Queue up to n messages of about 1 KB in one transaction: STORE_OK when
 * all committed, else the first failure (rolled back).
 */
static int
queue(struct fixture *fx, int n)
{
	static char body[1024];
	struct message m = { .phone = "+8613800138000", .body = body, .encoding = "GSM-7",
			     .parts = 7, .kind = "manual", .priority = PRIO_MANUAL };
	int64_t id;
	int rc;

	memset(body, 'x', sizeof(body) - 1);
	if ((rc = store_begin(fx->st)) != STORE_OK)
		return rc;
	for (int i = 0; i < n; i++)
		if ((rc = store_msg_add(fx->st, &m, &id)) != STORE_OK) {
			store_rollback(fx->st);
			return rc;
		}
	return store_commit(fx->st);
}

/* ---- the tests ------------------------------------------------------------------------ */

/* Checkpoint and truncate the WAL from a connection of its own, as another process would. */
static void
raw_checkpoint(struct fixture *fx)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open_v2(fx->path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	/* a read first: SQLite 3.40 opens the WAL of a new connection only then */
	assert_int_equal(sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
}

/* The database's page size, read from a connection of its own. */
static int64_t
page_size(struct fixture *fx)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int64_t n;

	assert_int_equal(sqlite3_open_v2(fx->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

/*
 * A transaction that fills the disk fails; its WAL frames do not keep the
 * space (the committed ones are in the database already, so the
 * checkpoint needs no room); the connection writes on, and everything
 * committed before is there.
 */
static void
test_full_then_room(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(queue(fx, 10), STORE_OK);
	raw_checkpoint(fx);
	disk.cap = file_size(disk.db) + file_size(disk.wal) + 300 * 1024;
	assert_int_equal(queue(fx, 2000), STORE_ERROR);
	assert_true(disk.refused > 0);
	if (strstr(store_errmsg(fx->st), "full") == NULL)
		fail_msg("the error does not say the disk is full: %s", store_errmsg(fx->st));
	/* the space the failed transaction took is free again */
	assert_int_equal(file_size(disk.wal), 0);
	assert_int_equal(messages(fx), 10);
	/* room for a small write even before any space comes back */
	assert_int_equal(queue(fx, 5), STORE_OK);
	disk.cap = 0;
	assert_int_equal(queue(fx, 100), STORE_OK);
	assert_int_equal(messages(fx), 115);
}

/*
 * When the checkpoint itself finds no room (the database file must grow
 * to take the committed frames), writes go on failing; once space comes
 * back the connection checkpoints before a later write and goes on.
 */
static void
test_checkpoint_waits_for_room(void **state)
{
	struct fixture *fx = *state;
	int64_t deadline, few;

	/* committed rows that are still only in the WAL */
	assert_int_equal(queue(fx, 400), STORE_OK);
	assert_true(file_size(disk.wal) > 300 * 1024);
	disk.cap = file_size(disk.db) + file_size(disk.wal) + 64 * 1024;
	assert_int_equal(queue(fx, 2000), STORE_ERROR);
	assert_true(file_size(disk.wal) > 0); /* the checkpoint could not copy it all */
	assert_int_equal(messages(fx), 400);
	disk.cap = 0;
	/* the retry is at most a second later: poll with a write until the WAL
	 * holds no more than that small write (a few pages: each write of one
	 * row adds six to eight, so the WAL must be emptied in the meantime) */
	few = 10 * page_size(fx);
	assert_true(few < 300 * 1024);
	deadline = (int64_t)time(NULL) + 5;
	while (file_size(disk.wal) > few && (int64_t)time(NULL) < deadline) {
		assert_int_equal(queue(fx, 1), STORE_OK);
		usleep(50 * 1000);
	}
	if (file_size(disk.wal) > few)
		fail_msg("the WAL still holds %lld bytes", (long long)file_size(disk.wal));
	assert_true(messages(fx) > 400);
}

/* A commit that leaves the WAL past the bound truncates it. */
static void
test_wal_max(void **state)
{
	struct fixture *fx = *state;
	struct store_disk d;

	store_set_wal_max(1 << 20);
	assert_int_equal(queue(fx, 3000), STORE_OK); /* about 3 MB of WAL */
	assert_int_equal(file_size(disk.wal), 0);
	assert_int_equal(messages(fx), 3000);
	assert_int_equal(store_disk(fx->st, &d), STORE_OK);
	assert_true(d.free > 0);
	assert_true(d.database > 3000 * 1024);
	assert_int_equal(d.wal, 0);
	assert_int_equal(d.wal_max, 1 << 20);
	/* below the bound the WAL is left to SQLite's own checkpoints */
	store_set_wal_max(0);
	assert_int_equal(queue(fx, 100), STORE_OK);
	assert_true(file_size(disk.wal) > 0);
	assert_int_equal(store_disk(fx->st, &d), STORE_OK);
	assert_int_equal(d.wal, file_size(disk.wal));
	assert_int_equal(d.wal_max, STORE_WAL_MAX_DEFAULT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_full_then_room, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checkpoint_waits_for_room, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wal_max, setup, teardown),
	};

	return cmocka_run_group_tests_name("store_disk", tests, NULL, NULL);
}
