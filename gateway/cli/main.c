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

#include "cli/cli.h"
#include "base/log.h"
#include "core/ctx.h"
#include "core/rules.h"
#include "core/tmpl.h"
#include "store/store.h"
#include "base/diag.h"
#include "base/clock.h"
#include "base/zone.h"

#define DUBAN_VERSION "0.1.0"

static int cmd_init(struct cli *c, int argc, char **argv);
static int cmd_config(struct cli *c, int argc, char **argv);

static const struct cli_cmd commands[] = {
	{ "init", cmd_init, "create the database, or migrate it to this version" },
	{ "config", cmd_config, "check the configuration (config check)" },
	{ "person", cmd_person, "people: add, list, show, remove, import, optout, optin" },
	{ "group", cmd_group, "groups: add, list, show, remove, add-member, remove-member" },
	{ "task", cmd_task, "supervised tasks: add, list, show, done, cancel, reopen, update, import, series" },
	{ "calendar", cmd_calendar, "the holiday calendar: list, add, remove (the town's own days)" },
	{ "tick", cmd_tick, "run the scheduler once: queue the reminders that are due" },
	{ "outbox", cmd_outbox, "the outbox: list, retry, cancel" },
	{ "template", cmd_template, "message templates: list, preview" },
	{ "notice", cmd_notice, "policy notices: send, list, show, cancel, resend, approve" },
	{ "report", cmd_report, "reports: tasks, overdue, people, delivery" },
	{ "send", cmd_send, "queue a message to a phone number (or a file of them)" },
	{ "dispatch", cmd_dispatch, "send what is due through the providers, then exit" },
	{ "run", cmd_run, "the daemon: scheduler, dispatcher and HTTP server" },
	{ "token", cmd_token, "API tokens of the HTTP server: new" },
	{ "inbox", cmd_inbox, "replies (SMS back to duban) for staff: list, read" },
	{ NULL, NULL, NULL },
};

static void
usage(FILE *fp)
{
	fprintf(fp,
		"usage: duban [-c FILE] [--format table|csv|json] COMMAND [ARGS]\n"
		"\n"
		"duban reminds officials of their deadlines and sends notices by SMS.\n"
		"\n"
		"Options:\n"
		"  -c, --config FILE   configuration file (else $DUBAN_CONFIG, else ./duban.cfg,\n"
		"                      else built-in defaults)\n"
		"  --format FMT        output of list/show commands: table (default), csv, json\n"
		"  -h, --help          this help; \"duban COMMAND --help\" for a command's\n"
		"  --version           print the version\n"
		"\n"
		"Commands:\n");
	for (const struct cli_cmd *k = commands; k->name; k++)
		fprintf(fp, "  %-10s %s\n", k->name, k->summary);
	fprintf(fp,
		"\n"
		"Environment:\n"
		"  DUBAN_CONFIG  configuration file when -c is not given\n"
		"  DUBAN_NOW     replaces the clock: local time \"YYYY-MM-DD HH:MM[:SS]\"\n"
		"\n"
		"Exit status: 0 success, 1 failure at run time, 2 bad usage or bad input.\n");
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
	cli_err(EXIT_USAGE, "%s: unknown command \"%s\"", argv[0], argv[1]);
	return cli_show_help(group_help, false);
}

static const char init_help[] =
	"usage: duban init\n"
	"\n"
	"Create the database named by the configuration (mode 0600), or migrate an\n"
	"existing one to this version's schema.  A database written by a newer duban\n"
	"is refused.  Running it again is harmless.\n";

static int
cmd_init(struct cli *c, int argc, char **argv)
{
	char err[1024];
	struct store *st;
	int from = 0, to = 0;

	if (cli_want_help(argc, argv, init_help))
		return EXIT_OK;
	if (argc > 1)
		return cli_err(EXIT_USAGE, "init takes no arguments");
	if (store_open(c->cfg->database, true, &st, err, sizeof(err)) != STORE_OK)
		return cli_err(EXIT_FAIL, "%s", err);
	if (store_migrate(st, &from, &to) != STORE_OK) {
		cli_err(EXIT_FAIL, "%s", store_errmsg(st));
		store_close(st);
		return EXIT_FAIL;
	}
	printf("%s: schema version %d\n", c->cfg->database, to);
	store_close(st);
	return EXIT_OK;
}

static const char config_help[] =
	"usage: duban config check\n"
	"\n"
	"Validate the configuration, the rule files, the templates and the holiday\n"
	"calendar, report every problem as FILE:LINE: message, and exit 0 (all valid)\n"
	"or 1.  It warns (and still exits 0) when the calendar ends before the latest\n"
	"deadline of an open task, or a workdays_only rule set has no calendar.\n";

static int
cmd_config(struct cli *c, int argc, char **argv)
{
	if (cli_want_help(argc, argv, config_help))
		return EXIT_OK;
	if (argc != 2 || strcmp(argv[1], "check") != 0)
		return cli_show_help(config_help, false);
	/* main() loaded and validated everything before we got here. */
	cli_calendar_check(c);
	printf("%s: ok\n", c->cfg->path ? c->cfg->path : "built-in defaults");
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
	char err[256];
	int ch, rc;

	/* '+': stop at the first non-option, the command. */
	while ((ch = getopt_long(argc, argv, "+c:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': c.config_path = optarg; break;
		case 'F':
			if (cli_format_opt(&c, optarg, false) != 0)
				return EXIT_USAGE;
			break;
		case 'h': usage(stdout); return EXIT_OK;
		case 'V': printf("duban %s (schema %d)\n", DUBAN_VERSION, store_schema()); return EXIT_OK;
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
		cli_err(EXIT_USAGE, "unknown command \"%s\" (see duban --help)", argv[0]);
		return EXIT_USAGE;
	}

	if (config_load(c.config_path, &c.cfg, &diag) != 0) {
		diag_print(&diag, stderr);
		diag_clear(&diag);
		return EXIT_FAIL;
	}
	if (time_set_zone(c.cfg->timezone) != 0) {
		cli_err(EXIT_FAIL, "time zone \"%s\" is not installed", c.cfg->timezone);
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
	    rules_load_dir(c.cfg->rules_dir, c.tmpls, &c.rules, &diag) != 0) {
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
		rc = cli_err(EXIT_FAIL, "writing output failed");
	return rc;
out_fail:
	rules_free(c.rules);
	tmpl_set_free(c.tmpls);
	config_free(c.cfg);
	return EXIT_FAIL;
}
