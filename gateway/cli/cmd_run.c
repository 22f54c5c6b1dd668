/*
 * cmd_run.c - `duban run`: read its arguments, open the log file and the
 * database, and hand the configuration, rules and templates to the
 * daemon (server/daemon.c), taking back whatever a SIGHUP left in their
 * place so that main frees the right ones.
 */
#include "base/i18n.h"
#include "base/log.h"
#include "cli/cli.h"
#include "base/i18n.h"
#include "server/daemon.h"

static const char run_help[] = N_(
	"usage: duban run\n"
	"\n"
	"Run the daemon in the foreground: the scheduler queues reminders when they\n"
	"are due, the dispatcher sends whatever is due through the configured\n"
	"providers, and the HTTP server (when http is enabled) takes API requests.\n"
	"What the HTTP API queues, and tasks it changes, are picked up at once;\n"
	"messages other commands queue within dispatcher.poll_ms (half a second\n"
	"unless changed).  Logs go to stderr or log.file, one line per event, phone\n"
	"numbers masked; log.file is created 0600, and one that others may read is\n"
	"narrowed to 0640.\n"
	"\n"
	"Signals: SIGTERM or SIGINT stop leasing, let requests in flight finish\n"
	"(dispatcher.grace), commit and exit 0; a second one exits at once.  SIGHUP\n"
	"reloads the configuration, rules and templates if they are all valid, and\n"
	"otherwise logs why and keeps running on the previous ones; either way it\n"
	"reopens log.file, so that logrotate can move it.\n"
	"\n"
	"One daemon per database: run takes an instance lock (DATABASE.lock, which\n"
	"names the host and PID holding it); a second duban run on the same database\n"
	"says who holds it and exits 1.  The kernel lets go of the lock when its\n"
	"holder dies, so after kill -9 or a power cut the next run takes it over.\n"
	"Under systemd (Type=notify) it tells systemd when it is ready and when it\n"
	"reloads or stops, and logs to the journal with priorities.\n");

int
cmd_run(struct cli *c, int argc, char **argv)
{
	struct daemon_env env;
	struct store_lock *lock = NULL;
	char err[1024], prev[512];
	int rc;

	if (cli_want_help(argc, argv, run_help))
		return EXIT_OK;
	if (argc > 1)
		return cli_err(EXIT_USAGE, _("run takes no arguments"));
	if (cli_need_secrets(c) != 0)
		return EXIT_FAIL;
	if (c->cfg->log_file && log_open("duban", c->cfg->log_file, c->cfg->log_level) != 0)
		return cli_err(EXIT_FAIL, _("%s: cannot open the log file"), c->cfg->log_file);
	rc = store_lock_take(c->cfg->database, "duban run", &lock, prev, sizeof(prev), err,
			     sizeof(err));
	if (rc == STORE_EXISTS)
		return cli_err(EXIT_FAIL, _("not starting: %s"), err);
	if (rc != STORE_OK)
		return cli_err(EXIT_FAIL, "%s", err);
	if (prev[0])
		log_warnx("the instance lock of %s is taken over from a daemon that did not stop "
			  "cleanly (%s)", c->cfg->database, prev);
	if (cli_store(c) == NULL) {
		store_lock_release(lock);
		return EXIT_FAIL;
	}
	env = (struct daemon_env){ c->st, c->cfg, c->tmpls, c->rules };
	rc = daemon_run(&env, err, sizeof(err));
	store_lock_release(lock);
	/* A reload freed the ones c held: main frees the daemon's last. */
	c->cfg = env.cfg;
	c->tmpls = env.tmpls;
	c->rules = env.rules;
	if (rc == DAEMON_NOSTART)
		return cli_err(EXIT_FAIL, "%s", err);
	return rc == DAEMON_OK ? EXIT_OK : EXIT_FAIL;
}
