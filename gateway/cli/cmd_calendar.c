/*
 * cmd_calendar.c - "duban calendar ...": the holiday calendar that
 * workdays_only rule sets and {{task.workdays_left}} count with: the State
 * Council's days shipped in the calendar file, and the town's own days
 * (core/calendar.c's actions) over them.  Also the calendar's part of
 * "duban config check".
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/calendar.h"
#include "core/ctx.h"
#include "core/rules.h"
#include "base/civil.h"
#include "base/clock.h"
#include "base/i18n.h"
#include "base/zone.h"
#include "store/store_calendar.h"

static const char calendar_help[] = N_(
	"usage: duban calendar list [--year YYYY] [--format table|csv|json]\n"
	"       duban calendar add DATE holiday|workday [--name TEXT]\n"
	"       duban calendar remove DATE [holiday|workday]\n"
	"\n"
	"The days that are not plain weekdays: the State Council's holidays (放假) and\n"
	"the weekend days it makes working days (调休上班), shipped in the file the\n"
	"configuration's 'calendar' key names (calendar/cn.cfg), and the town's own days\n"
	"kept in the database, which win over the file's (a local festival: add DATE\n"
	"holiday --name 庙会; a Saturday the town works: add DATE workday).  A day not\n"
	"listed is a working day from Monday to Friday.  Rule sets with workdays_only\n"
	"send a reminder due before a deadline on the working day before a day off, and\n"
	"one due after it on the working day after.\n"
	"\n"
	"list      the listed days of one year (default: this year), with their weekday,\n"
	"          kind (holiday or workday), name and source (state or town)\n"
	"add       list DATE (YYYY-MM-DD) as the town's holiday or working day\n"
	"remove    drop the town's entry for DATE (the shipped day, if any, applies again)\n");

/* 'e' words: JSON keeps Sun..Sat whatever the language; a table and CSV say them in
 * the language, as they do kind and source (一 under 星期). */
static const char *const weekday_names[] = { NC_("value", "Sun"), NC_("value", "Mon"),
					     NC_("value", "Tue"), NC_("value", "Wed"),
					     NC_("value", "Thu"), NC_("value", "Fri"),
					     NC_("value", "Sat") };

static int
cal_list(struct cli *c, int argc, char **argv)
{
	static const char *const h[] = { NC_("column", "date"), NC_("column", "weekday"),
					 NC_("column", "kind"), NC_("calendar", "name"),
					 NC_("column", "source") };
	struct calendar *cal = NULL;
	struct table *t;
	struct tm now;
	long year;
	int code, rc;
	char *end;

	time_local(time_now(), &now);
	year = now.tm_year + 1900;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--year") == 0 && i + 1 < argc) {
			year = strtol(argv[i + 1], &end, 10);
			if (*argv[i + 1] == '\0' || *end != '\0' || year < 1970 || year > 2199)
				return cli_err(EXIT_USAGE, _("--year must be a year such as 2009"));
			memmove(&argv[i], &argv[i + 2], (size_t)(argc - i - 1) * sizeof(char *));
			argc -= 2;
			i--;
		}
	}
	if (cli_format_args(c, argc, argv, "calendar list", calendar_help, true, NULL, &code) != 0)
		return code;
	if (cli_store(c) == NULL || (t = table_new(5, h, "seeee")) == NULL)
		return EXIT_FAIL;
	table_set_context(t, "calendar"); /* a day's name is 名称, not a person's 姓名 */
	rc = calendar_with_town(c->cfg->calendar, c->st, &cal);
	for (size_t i = 0; rc == STORE_OK && i < calendar_count(cal); i++) {
		const struct cal_day *d = calendar_at(cal, i);
		int64_t y;
		int m, dd;
		char date[16];

		civil_from_days(d->date, &y, &m, &dd);
		if (y != year)
			continue;
		const char *cells[] = { calendar_fmt_date(d->date, date, sizeof(date)),
					weekday_names[civil_weekday(d->date)],
					d->kind == CAL_HOLIDAY ? NC_("value", "holiday")
								: NC_("value", "workday"),
					d->name,
					d->town ? NC_("value", "town") : NC_("value", "state") };
		if (table_add(t, cells) != 0)
			rc = STORE_ERROR;
	}
	calendar_free(cal);
	return cli_print_table(c, t, rc);
}

static int
cal_add(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct duban_ctx x;
	const char *name = "";
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'n': name = optarg; break;
		case 'h':
		default: return cli_show_help(calendar_help, ch == 'h');
		}
	}
	if (optind + 2 != argc)
		return cli_err(EXIT_USAGE,
			       _("usage: duban calendar add DATE holiday|workday [--name TEXT]"));
	if (cli_ctx(c, &x) != 0)
		return EXIT_FAIL;
	if ((rc = calendar_day_put(&x, argv[optind], argv[optind + 1], name)) != ACTION_OK)
		return cli_action_err(&x, rc);
	bool holiday = strcmp(argv[optind + 1], "holiday") == 0;
	if (*name)
		printf(holiday ? _("%s is now the town's holiday %s\n")
			       : _("%s is now the town's workday %s\n"), argv[optind], name);
	else
		printf(holiday ? _("%s is now the town's holiday\n") : _("%s is now the town's workday\n"),
		       argv[optind]);
	return EXIT_OK;
}

static int
cal_remove(struct cli *c, int argc, char **argv)
{
	struct duban_ctx x;
	int rc;

	if (cli_want_help(argc, argv, calendar_help))
		return EXIT_OK;
	if (argc != 2 && argc != 3)
		return cli_err(EXIT_USAGE, _("usage: duban calendar remove DATE [holiday|workday]"));
	if (cli_ctx(c, &x) != 0)
		return EXIT_FAIL;
	if ((rc = calendar_day_remove(&x, argv[1], argc == 3 ? argv[2] : NULL)) != ACTION_OK)
		return cli_action_err(&x, rc);
	printf(_("removed the town's day %s\n"), argv[1]);
	return EXIT_OK;
}

int
cmd_calendar(struct cli *c, int argc, char **argv)
{
	static const struct cli_cmd cmds[] = {
		{ "list", cal_list, NULL },
		{ "add", cal_add, NULL },
		{ "remove", cal_remove, NULL },
		{ NULL, NULL, NULL },
	};
	return cli_dispatch(c, argc, argv, cmds, calendar_help);
}

int
cli_calendar_check(struct cli *c)
{
	int first, last, warned = 0;
	int64_t deadline;
	char *code = NULL, when[24];
	struct tm tm;

	calendar_years(c->cfg->calendar, &first, &last);
	for (size_t i = 0; c->cfg->calendar == NULL && i < rules_count(c->rules); i++)
		if (rules_at(c->rules, i)->workdays_only) {
			fprintf(stderr, _("duban: warning: rule set '%s' has workdays_only but no "
					  "calendar is configured: only Saturdays and Sundays are days off "
					  "(set calendar = \"calendar/cn.cfg\")\n"),
				rules_at(c->rules, i)->name);
			warned++;
			break;
		}
	/* The database is looked at only when there is one: check creates nothing. */
	if (access(c->cfg->database, F_OK) != 0 || cli_store(c) == NULL)
		return warned;
	if (store_cal_latest_deadline(c->st, &deadline, &code) != STORE_OK || code == NULL) {
		free(code);
		return warned;
	}
	time_local(deadline, &tm);
	if (c->cfg->calendar != NULL && tm.tm_year + 1900 > last) {
		fprintf(stderr, _("duban: warning: %s: the calendar ends with %d, but task %s is due "
				  "%s: add the State Council's days of %d (workdays_only cannot "
				  "know its holidays)\n"),
			c->cfg->calendar_file, last, code,
			time_fmt_local(deadline, when, sizeof(when)), tm.tm_year + 1900);
		warned++;
	}
	free(code);
	return warned;
}
