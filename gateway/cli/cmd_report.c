/*
 * cmd_report.c - "duban report tasks|overdue|people|delivery": the town's
 * reports as an aligned table, CSV (UTF-8 with BOM, for Excel) or JSON.
 * What each column means is said in the --help of each report; report.c
 * computes the rows.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "base/i18n.h"
#include "core/report.h"
#include "base/str.h"
#include "base/clock.h"
#include "base/zone.h"

static const char tasks_help[] = N_(
	"usage: duban report tasks [--format table|csv|json]\n"
	"\n"
	"Every task, by deadline: its code, title, lead (牵头领导), deadline and\n"
	"status (open, overdue = open with the deadline passed, done, cancelled),\n"
	"when it was done, and\n"
	"  days_overdue      an overdue task: calendar days from the deadline's date to\n"
	"                    today; a task done late: to the day it was done (a part of\n"
	"                    a day counts as one)\n"
	"  days_early        a task done in time: calendar days from the day it was\n"
	"                    done to the deadline's date (0: on the day)\n"
	"  reminders_sent    reminders a provider accepted (escalations_sent: the same\n"
	"                    for escalations to the supervisor)\n"
	"  last_reply        the latest reply about it: an assignee's SMS naming its\n"
	"                    code, or an acknowledgement of one of its reminders\n"
	"DUBAN_NOW replaces the clock.\n");

static const char overdue_help[] = N_(
	"usage: duban report overdue [--format table|csv|json]\n"
	"\n"
	"The open tasks whose deadline has passed, most overdue first: lead,\n"
	"supervisor, deadline, days overdue (calendar days, at least 1), reminders\n"
	"and escalations sent, and the latest reply.\n");

static const char people_help[] = N_(
	"usage: duban report people [--year YYYY] [--format table|csv|json]\n"
	"\n"
	"The annual responsibility review (年度项目落实责任考核): for everyone who\n"
	"leads or owns a task, the tasks they lead (cancelled ones left out), how many\n"
	"were done on time (by the deadline) and late, how many are open and not yet\n"
	"due, and how many are overdue now; then the same of the tasks they own\n"
	"(责任人): tasks_owned, owned_on_time, owned_late, owned_open, owned_overdue.\n"
	"tasks_led = done_on_time + done_late + open + overdue.  Only tasks whose\n"
	"deadline falls in --year (default: this year).\n");

static const char delivery_help[] = N_(
	"usage: duban report delivery [--from DATE] [--to DATE] [--format table|csv|json]\n"
	"\n"
	"What the outbox did, per kind of message (reminder, escalation, notice,\n"
	"manual, reply) and provider, for the messages queued from --from (00:00 of\n"
	"that day, or \"YYYY-MM-DD HH:MM\") up to --to (a date includes that whole\n"
	"day): messages, waiting (queued or being sent), sent (accepted by the\n"
	"provider, delivered or not), delivered (confirmed by a delivery report),\n"
	"failed, expired, cancelled (or skipped), parts_sent, the SMS parts of the\n"
	"sent ones, and parts_billed, the parts the provider said it billed for\n"
	"them (Tencent's Fee, Aliyun's sms_size; 0 when it says nothing) - what the\n"
	"town pays for.  A message never tried has no provider.  The last line is\n"
	"the total.\n");

static int
add_row(void *arg, const char *const *cells)
{
	return table_add(arg, cells);
}

/* DATE or "DATE HH:MM" as UTC seconds; a bare date as --to means the next day's 00:00. */
static int
parse_bound(const char *s, bool to, int64_t *out)
{
	struct tm tm;

	if (time_parse_local(s, false, out) != 0)
		return -1;
	if (to && strlen(s) == 10) {
		time_local(*out, &tm);
		*out = time_from_local(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday + 1, 0, 0, 0);
	}
	return 0;
}

static int
run_report(struct cli *c, int argc, char **argv, enum report_kind k, const char *help)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'F' }, { "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },	    { "year", required_argument, NULL, 'y' },
		{ "help", no_argument, NULL, 'h' },	    { NULL, 0, NULL, 0 },
	};
	struct report_opts o = { .now = time_now() };
	struct report_columns cols;
	struct table *t;
	char err[512];
	long year;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		bool range = k == REPORT_DELIVERY, yearly = k == REPORT_PEOPLE;
		switch (ch) {
		case 'F':
			if (cli_format_opt(c, optarg, false) != 0)
				return EXIT_USAGE;
			break;
		case 'f':
		case 't':
			if (!range)
				return cli_err(EXIT_USAGE, _("report %s takes no --from/--to"), argv[0]);
			if (parse_bound(optarg, ch == 't', ch == 'f' ? &o.from : &o.to) != 0)
				return cli_err(EXIT_USAGE, _("--%s \"%s\": expected YYYY-MM-DD[ HH:MM]"),
					       ch == 'f' ? "from" : "to", optarg);
			break;
		case 'y':
			if (!yearly)
				return cli_err(EXIT_USAGE, _("report %s takes no --year"), argv[0]);
			if (parse_long(optarg, 1970, 9999, &year) != 0)
				return cli_err(EXIT_USAGE, _("--year must be a year such as 2008"));
			o.from = time_from_local((int)year, 1, 1, 0, 0, 0);
			o.to = time_from_local((int)year + 1, 1, 1, 0, 0, 0);
			break;
		case 'h':
		default: return cli_show_help(help, ch == 'h');
		}
	}
	if (optind != argc)
		return cli_err(EXIT_USAGE, _("report %s: unexpected argument \"%s\""), argv[0], argv[optind]);
	if (o.from && o.to && o.to <= o.from)
		return cli_err(EXIT_USAGE, _("--to must come after --from"));
	if (k == REPORT_PEOPLE && o.from == 0) {
		/* the review is yearly: this year unless told */
		struct tm tm;
		time_local(time_now(), &tm);
		o.from = time_from_local(tm.tm_year + 1900, 1, 1, 0, 0, 0);
		o.to = time_from_local(tm.tm_year + 1901, 1, 1, 0, 0, 0);
	}
	if (report_columns(k, &cols) != 0 || cli_store(c) == NULL)
		return EXIT_FAIL;
	if ((t = table_new(cols.n, cols.headers, cols.types)) != NULL && k == REPORT_PEOPLE)
		table_set_context(t, "person");
	if (t == NULL)
		return cli_err(EXIT_FAIL, _("out of memory"));
	rc = report_run(c->st, k, &o, add_row, t, err, sizeof(err));
	if (rc == 0 && table_print(t, c->fmt, stdout) != 0) {
		snprintf(err, sizeof(err), "%s", _("writing the report failed"));
		rc = -1;
	}
	table_free(t);
	return rc == 0 ? EXIT_OK : cli_err(EXIT_FAIL, "%s", err);
}

static int
report_tasks(struct cli *c, int argc, char **argv)
{
	return run_report(c, argc, argv, REPORT_TASKS, tasks_help);
}

static int
report_overdue(struct cli *c, int argc, char **argv)
{
	return run_report(c, argc, argv, REPORT_OVERDUE, overdue_help);
}

static int
report_people(struct cli *c, int argc, char **argv)
{
	return run_report(c, argc, argv, REPORT_PEOPLE, people_help);
}

static int
report_delivery(struct cli *c, int argc, char **argv)
{
	return run_report(c, argc, argv, REPORT_DELIVERY, delivery_help);
}

static const char report_help[] = N_(
	"usage: duban report tasks [--format F]\n"
	"       duban report overdue [--format F]\n"
	"       duban report people [--year YYYY] [--format F]\n"
	"       duban report delivery [--from DATE] [--to DATE] [--format F]\n"
	"\n"
	"The town's reports, as a table, or --format csv (UTF-8 with BOM: opens right\n"
	"in Excel) or json.  \"duban report REPORT --help\" says what each column means.\n");

int
cmd_report(struct cli *c, int argc, char **argv)
{
	static const struct cli_cmd cmds[] = {
		{ "tasks", report_tasks, NULL },   { "overdue", report_overdue, NULL },
		{ "people", report_people, NULL }, { "delivery", report_delivery, NULL },
		{ NULL, NULL, NULL },
	};
	return cli_dispatch(c, argc, argv, cmds, report_help);
}
