/*
 * main.c - the duban command line: global options, loading the
 * configuration, and handing over to a command.  Only this file and
 * start-up code may exit the process.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "base/version.h"
#include "base/i18n.h"
#include "base/log.h"
#include "core/ctx.h"
#include "core/route.h"
#include "core/rules.h"
#include "core/tmpl.h"
#include "store/store.h"
#include "base/diag.h"
#include "base/clock.h"
#include "base/zone.h"
#include "base/i18n.h"
#include "base/utf8.h"

#ifndef DUBAN_LOCALEDIR
#define DUBAN_LOCALEDIR "/usr/local/share/locale"
#endif

static int cmd_init(struct cli *c, int argc, char **argv);
static int cmd_config(struct cli *c, int argc, char **argv);

static const struct cli_cmd commands[] = {
	{ "init", cmd_init, N_("create the database, or migrate it to this version") },
	{ "config", cmd_config, N_("check the configuration (config check)") },
	{ "person", cmd_person, N_("people: add, list, show, update, merge, remove, import, optout, optin") },
	{ "group", cmd_group, N_("groups: add, list, show, remove, add-member, remove-member") },
	{ "task", cmd_task, N_("supervised tasks: add, list, show, done, cancel, reopen, update, import") },
	{ "tick", cmd_tick, N_("run the scheduler once: queue the reminders that are due") },
	{ "outbox", cmd_outbox, N_("the outbox: list, show, retry, cancel") },
	{ "template", cmd_template, N_("message templates: list, preview") },
	{ "notice", cmd_notice, N_("policy notices: send, list, show, cancel, resend, approve") },
	{ "report", cmd_report, N_("reports: tasks, overdue, people, delivery") },
	{ "send", cmd_send, N_("queue a message to a phone number (or a file of them)") },
	{ "dispatch", cmd_dispatch, N_("send what is due through the providers, then exit") },
	{ "run", cmd_run, N_("the daemon: scheduler, dispatcher and HTTP server") },
	{ "token", cmd_token, N_("API tokens of the HTTP server: new, list, revoke") },
	{ "inbox", cmd_inbox, N_("replies (SMS back to duban) for staff: list, read") },
	{ "provider", cmd_provider, N_("providers: list (halted or not), resume a halted one") },
	{ "backup", cmd_backup, N_("copy the database to a file, consistent while the daemon runs") },
	{ "restore", cmd_restore, N_("replace the database by a backup (the daemon stopped)") },
	{ "staff", cmd_staff, N_("accounts of the staff console: add, list, passwd, disable") },
	{ "calendar", cmd_calendar, N_("the holiday calendar: list, add, remove (the town's own days)") },
	{ NULL, NULL, NULL },
};

static void
usage(FILE *fp)
{
	fprintf(fp,
		_("usage: duban [-c FILE] [--format table|csv|json] COMMAND [ARGS]\n"
		"\n"
		"duban reminds officials of their deadlines and sends notices by SMS.\n"
		"\n"
		"Options:\n"
		"  -c, --config FILE   configuration file (else $DUBAN_CONFIG, else ./duban.cfg,\n"
		"                      else /etc/duban/duban.cfg, else built-in defaults)\n"
		"  --format FMT        output of list/show commands: table (default), csv, json\n"
		"  -h, --help          this help; \"duban COMMAND --help\" for a command's\n"
		"  --version           print the version\n"
		"\n"
		"Commands:\n"));
	for (const struct cli_cmd *k = commands; k->name; k++)
		fprintf(fp, "  %-10s %s\n", k->name, _(k->summary));
	fprintf(fp,
		_("\n"
		"Environment:\n"
		"  DUBAN_CONFIG  configuration file when -c is not given\n"
		"  DUBAN_NOW     replaces the clock: local time \"YYYY-MM-DD HH:MM[:SS]\"\n"
		"  LANG          the language: zh_CN.UTF-8 (or none set) Chinese, C English;\n"
		"                the configuration's language = \"zh\"|\"en\" wins\n"
		"\n"
		"Exit status: 0 success, 1 failure at run time, 2 bad usage or bad input.\n"));
}

/*
 * Where the catalogues are: $DUBAN_LOCALEDIR, else "locale" beside the
 * binary (build/locale while developing), else the installed
 * PREFIX/share/locale.  Writes into buf (size n) when it builds the path.
 */
static const char *
locale_dir(char *buf, size_t n)
{
	const char *env = getenv("DUBAN_LOCALEDIR");
	struct stat sb;
	ssize_t len;
	char *slash;

	if (env && *env)
		return env;
	if ((len = readlink("/proc/self/exe", buf, n - 1)) > 0 && (size_t)len < n - 8) {
		buf[len] = '\0';
		if ((slash = strrchr(buf, '/')) != NULL) {
			snprintf(slash + 1, n - (size_t)(slash + 1 - buf), "locale");
			if (stat(buf, &sb) == 0 && S_ISDIR(sb.st_mode))
				return buf;
		}
	}
	return DUBAN_LOCALEDIR;
}

/*
 * Refuse an argument that is not valid UTF-8 (a name typed on a GBK
 * terminal): stored, it would break every list that prints it.  Names the
 * option it is the value of, or its place.  0, or EXIT_USAGE after saying so.
 */
static int
check_utf8_args(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (utf8_valid(argv[i], strlen(argv[i])))
			continue;
		if (strncmp(argv[i], "--", 2) == 0 && strchr(argv[i], '=')) {
			int n = (int)(strchr(argv[i], '=') - argv[i]);
			return cli_err(EXIT_USAGE, _("the value of %.*s is not valid UTF-8 (is the "
						     "terminal set to GBK?): use a UTF-8 terminal; a file "
						     "in GBK is read with --encoding gb18030"), n, argv[i]);
		}
		if (i > 1 && strncmp(argv[i - 1], "-", 1) == 0 && argv[i - 1][1] != '\0')
			return cli_err(EXIT_USAGE, _("the value of %s is not valid UTF-8 (is the "
						     "terminal set to GBK?): use a UTF-8 terminal; a file "
						     "in GBK is read with --encoding gb18030"), argv[i - 1]);
		return cli_err(EXIT_USAGE, _("argument %d is not valid UTF-8 (is the terminal set to "
					     "GBK?): use a UTF-8 terminal; a file in GBK is read with "
					     "--encoding gb18030"), i);
	}
	return 0;
}

int
cli_err(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("duban: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

int
cli_store_exit(int rc)
{
	switch (rc) {
	case STORE_NOTFOUND:
	case STORE_AMBIGUOUS:
	case STORE_EXISTS:
	case STORE_INVALID: return EXIT_USAGE;
	default: return EXIT_FAIL;
	}
}

int
cli_store_err(struct cli *c, int rc)
{
	return cli_err(cli_store_exit(rc), "%s", store_errmsg(c->st));
}

int
cli_action_err(const struct duban_ctx *x, int rc)
{
	return cli_err(cli_store_exit(rc), "%s", x->err);
}

int
cli_ctx(struct cli *c, struct duban_ctx *x)
{
	if (cli_store(c) == NULL)
		return -1;
	memset(x, 0, sizeof(*x));
	x->st = c->st;
	x->cfg = c->cfg;
	x->rules = c->rules;
	x->tmpls = c->tmpls;
	x->actor = c->actor;
	return 0;
}

int
cli_need_secrets(struct cli *c)
{
	struct diag d = { 0 };

	if (config_need_secrets(c->cfg, &d) == 0)
		return 0;
	diag_print(&d, stderr);
	diag_clear(&d);
	return cli_err(EXIT_FAIL, "%s",
		       _("the providers' secrets are not all in the environment (see above); "
			 "commands that send need them"));
}

struct store *
cli_store(struct cli *c)
{
	char err[1024];

	if (c->st != NULL)
		return c->st;
	if (store_open(c->cfg->database, false, &c->st, err, sizeof(err)) != STORE_OK) {
		cli_err(EXIT_FAIL, "%s", err);
		return NULL;
	}
	return c->st;
}

/* The entry of table cmds named name, or NULL. */
static const struct cli_cmd *
find_cmd(const struct cli_cmd *cmds, const char *name)
{
	for (const struct cli_cmd *k = cmds; k->name; k++)
		if (strcmp(k->name, name) == 0)
			return k;
	return NULL;
}

int
cli_dispatch(struct cli *c, int argc, char **argv, const struct cli_cmd *cmds,
	     const char *group_help)
{
	const struct cli_cmd *sub;

	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		return cli_show_help(group_help, argc >= 2);
	}
	if ((sub = find_cmd(cmds, argv[1])) != NULL)
		return sub->run(c, argc - 1, argv + 1);
	cli_err(EXIT_USAGE, _("%s: unknown command \"%s\""), argv[0], argv[1]);
	return cli_show_help(group_help, false);
}

static const char init_help[] = N_(
	"usage: duban init\n"
	"\n"
	"Create the database named by the configuration (mode 0600, or 0660 in a\n"
	"setgid folder such as /var/lib/duban), or migrate an existing one to this\n"
	"version's schema.  Before migrating it copies the database beside it\n"
	"(DATABASE.backup-...-schemaN; the newest backup.keep are kept), and it\n"
	"refuses while a daemon (duban run) uses the database.  A database written\n"
	"by a newer duban is refused.  Running it again is harmless.\n");

static int
cmd_init(struct cli *c, int argc, char **argv)
{
	char err[1024], made[4200], prev[512];
	struct store_lock *lock = NULL;
	struct store *st = NULL;
	int from = 0, to = 0, rc;

	if (cli_want_help(argc, argv, init_help))
		return EXIT_OK;
	if (argc > 1)
		return cli_err(EXIT_USAGE, _("init takes no arguments"));
	/* A daemon of the previous version must not run on a migrated schema. */
	rc = store_lock_take(c->cfg->database, "duban init", &lock, prev, sizeof(prev), err,
			     sizeof(err));
	if (rc != STORE_OK)
		return cli_err(EXIT_FAIL, rc == STORE_EXISTS ? _("not migrating: %s; stop it first")
							     : "%s",
			       err);
	if (cli_init_backup(c, made, sizeof(made)) != 0) {
		store_lock_release(lock);
		return EXIT_FAIL;
	}
	if (made[0])
		printf(_("%s: backup before migrating: %s\n"), c->cfg->database, made);
	rc = store_open(c->cfg->database, true, &st, err, sizeof(err));
	if (rc == STORE_OK && store_migrate(st, &from, &to) != STORE_OK) {
		snprintf(err, sizeof(err), "%s", store_errmsg(st));
		rc = STORE_ERROR;
	}
	store_lock_release(lock);
	if (rc != STORE_OK) {
		store_close(st);
		return cli_err(EXIT_FAIL, "%s", err);
	}
	printf(_("%s: schema version %d\n"), c->cfg->database, to);
	store_close(st);
	return EXIT_OK;
}

static const char config_help[] = N_(
	"usage: duban config check [--providers]\n"
	"\n"
	"Validate the configuration, the rule files, the templates and the holiday\n"
	"calendar, report every problem as FILE:LINE: message, and exit 0 (all valid)\n"
	"or 1.  It warns (and still exits 0) when the calendar ends before the latest\n"
	"deadline of an open task, or a workdays_only rule set has no calendar.  The providers'\n"
	"secrets ({{env.NAME}}) are needed only by what sends (duban run, duban\n"
	"dispatch): one missing from the environment is a note here, and an error\n"
	"with --providers, which checks what the daemon would run with.\n");

static int
cmd_config(struct cli *c, int argc, char **argv)
{
	struct diag d = { 0 };
	bool providers = argc == 3 && strcmp(argv[2], "--providers") == 0;

	if (cli_want_help(argc, argv, config_help))
		return EXIT_OK;
	if ((argc != 2 && !providers) || strcmp(argv[1], "check") != 0)
		return cli_show_help(config_help, false);
	/* main() loaded and validated everything before we got here. */
	if (providers && cli_need_secrets(c) != 0)
		return EXIT_FAIL;
	if (config_need_secrets(c->cfg, &d) != 0) {
		for (size_t i = 0; i < d.n && i < d.cap; i++)
			printf(_("note: %s (needed by duban run and duban dispatch)\n"),
			       d.line[i] ? d.line[i] : "?");
		diag_clear(&d);
	}
	cli_calendar_check(c);
	printf(_("%s: ok\n"), c->cfg->path ? c->cfg->path : "built-in defaults");
	return EXIT_OK;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli c = { .fmt = FMT_TABLE, .actor = "cli" };
	struct diag diag = { 0 };
	char err[256], ldir[4096];
	const char *localedir = locale_dir(ldir, sizeof(ldir));
	int ch, rc;

	/* The environment's language now; the configuration's, once it is read. */
	i18n_setup(i18n_want_zh(NULL), localedir);
	if (check_utf8_args(argc, argv) != 0)
		return EXIT_USAGE;

	/* '+': stop at the first non-option, the command. */
	while ((ch = getopt_long(argc, argv, "+c:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': c.config_path = optarg; break;
		case 'F':
			if (cli_format_opt(&c, optarg, false) != 0)
				return EXIT_USAGE;
			break;
		case 'h': usage(stdout); return EXIT_OK;
		case 'V': printf(_("duban %s (schema %d)\n"), DUBAN_VERSION, store_schema()); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const struct cli_cmd *cmd = find_cmd(commands, argv[0]);
	if (cmd == NULL) {
		cli_err(EXIT_USAGE, _("unknown command \"%s\" (see duban --help)"), argv[0]);
		return EXIT_USAGE;
	}

	if (config_load(c.config_path, &c.cfg, &diag) != 0) {
		diag_print(&diag, stderr);
		diag_clear(&diag);
		return EXIT_FAIL;
	}
	if (c.cfg->language)
		i18n_setup(i18n_want_zh(c.cfg->language), localedir);
	if (time_set_zone(c.cfg->timezone) != 0) {
		cli_err(EXIT_FAIL, _("time zone \"%s\" is not installed"), c.cfg->timezone);
		goto out_fail;
	}
	if (time_check_env(err, sizeof(err)) != 0) {
		cli_err(EXIT_USAGE, "%s", err);
		config_free(c.cfg);
		return EXIT_USAGE;
	}
	if (log_open("duban", NULL, c.cfg->log_level) != 0)
		goto out_fail;
	store_set_wal_max(c.cfg->storage.wal_max);
	/* Rules and templates are part of the configuration: checked whole, now. */
	if (tmpl_set_load_dir(c.cfg->templates_dir, &c.tmpls, &diag) != 0 ||
	    rules_load_dir(c.cfg->rules_dir, c.tmpls, &c.rules, &diag) != 0 ||
	    route_check(c.cfg, c.tmpls, &diag) != 0) {
		diag_print(&diag, stderr);
		diag_clear(&diag);
		goto out_fail;
	}

	optind = 0; /* glibc: reinitialise getopt for the command */
	rc = cmd->run(&c, argc, argv);
	store_close(c.st);
	rules_free(c.rules);
	tmpl_set_free(c.tmpls);
	config_free(c.cfg);
	if (fflush(stdout) != 0 && rc == EXIT_OK)
		rc = cli_err(EXIT_FAIL, _("writing output failed"));
	return rc;
out_fail:
	rules_free(c.rules);
	tmpl_set_free(c.tmpls);
	config_free(c.cfg);
	return EXIT_FAIL;
}
