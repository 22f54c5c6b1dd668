/*
 * cmd_backup.c - `duban backup FILE` and `duban restore FILE`: a copy of
 * the database taken with SQLite's online backup API while the daemon
 * runs, and putting one back while it does not (store/store_backup.c);
 * and the automatic copy `duban init` takes before it migrates.
 */
#include <stdio.h>
#include <string.h>

#include "base/i18n.h"
#include "cli/cli.h"
#include "store/store.h"

static const char backup_help[] = N_(
	"usage: duban backup FILE\n"
	"\n"
	"Copy the database to FILE with SQLite's online backup API: one consistent\n"
	"snapshot of everything committed when the copy began, taken while the\n"
	"daemon and other commands go on working.  The copy is checked (PRAGMA\n"
	"integrity_check), written durably and renamed onto FILE, which is replaced\n"
	"if it exists; it is mode 0600 - it holds every phone number.  The database\n"
	"may be of an older schema (before an upgrade's duban init).\n");

static const char restore_help[] = N_(
	"usage: duban restore FILE\n"
	"\n"
	"Replace the database by the copy in FILE (made by duban backup).  Refused\n"
	"while a daemon (duban run) uses the database - stop it first - and when\n"
	"FILE fails its integrity check or was written by a newer duban.  The\n"
	"database as it was is kept first as an automatic backup beside it (see\n"
	"backup.keep); a copy of an older schema is migrated by duban init after.\n");

int
cmd_backup(struct cli *c, int argc, char **argv)
{
	struct store_copy_info info;
	char err[1024];
	int rc;

	if (cli_want_help(argc, argv, backup_help))
		return EXIT_OK;
	if (argc != 2 || argv[1][0] == '\0')
		return cli_err(EXIT_USAGE, "%s", _("usage: duban backup FILE"));
	rc = store_backup_file(c->cfg->database, argv[1], &info, err, sizeof(err));
	if (rc != STORE_OK)
		return cli_err(rc == STORE_INVALID ? EXIT_USAGE : EXIT_FAIL, "%s", err);
	printf(_("%s: backup of %s (schema %d, %lld bytes, integrity ok)\n"), argv[1],
	       c->cfg->database, info.schema, (long long)info.bytes);
	return EXIT_OK;
}

int
cmd_restore(struct cli *c, int argc, char **argv)
{
	struct store_copy_info info;
	struct store_lock *lock = NULL;
	char err[1024], prev[512], made[4200];
	int rc, v;

	if (cli_want_help(argc, argv, restore_help))
		return EXIT_OK;
	if (argc != 2 || argv[1][0] == '\0')
		return cli_err(EXIT_USAGE, "%s", _("usage: duban restore FILE"));
	/* Held until the end: no daemon starts on a half-restored database. */
	rc = store_lock_take(c->cfg->database, "duban restore", &lock, prev, sizeof(prev), err,
			     sizeof(err));
	if (rc == STORE_EXISTS)
		return cli_err(EXIT_FAIL, _("not restoring: %s; stop it first"), err);
	if (rc != STORE_OK)
		return cli_err(EXIT_FAIL, "%s", err);
	made[0] = '\0';
	if (store_file_version(c->cfg->database, &v, err, sizeof(err)) == STORE_OK && v > 0 &&
	    store_backup_auto(c->cfg->database, c->cfg->backup_keep, made, sizeof(made), err,
			      sizeof(err)) != STORE_OK) {
		store_lock_release(lock);
		return cli_err(EXIT_FAIL, _("not restoring: the database could not be saved first: %s"),
			       err);
	}
	rc = store_restore_file(c->cfg->database, argv[1], &info, err, sizeof(err));
	store_lock_release(lock);
	if (rc != STORE_OK)
		return cli_err(rc == STORE_INVALID ? EXIT_USAGE : EXIT_FAIL, "%s", err);
	if (made[0])
		printf(_("%s: the database as it was is saved as %s\n"), c->cfg->database, made);
	printf(_("%s: restored from %s (schema %d)\n"), c->cfg->database, argv[1], info.schema);
	if (info.schema < store_schema())
		printf(_("schema %d is older than this duban's %d: run \"duban init\" to migrate it\n"),
		       info.schema, store_schema());
	return EXIT_OK;
}

int
cli_init_backup(struct cli *c, char *made, size_t madelen)
{
	char err[1024];
	int v, rc;

	made[0] = '\0';
	rc = store_file_version(c->cfg->database, &v, err, sizeof(err));
	if (rc == STORE_NOTFOUND)
		return 0;
	if (rc != STORE_OK)
		return cli_err(EXIT_FAIL, "%s", err);
	if (v == 0 || v >= store_schema())
		return 0; /* nothing to migrate (a newer one is refused by init itself) */
	if (store_backup_auto(c->cfg->database, c->cfg->backup_keep, made, madelen, err,
			      sizeof(err)) != STORE_OK)
		return cli_err(EXIT_FAIL, _("not migrating: the backup before it failed: %s"), err);
	return 0;
}
