/*
 * cmd_task.c - "duban task ...": supervised tasks (督办事项), each with a
 * deadline, a leading official, owners, a team, a supervisor and a rule set
 * that says when to remind whom.  WHO is a phone number, a name only one
 * person has, or #ID; a task is named by its code (T12) or #ID.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "base/i18n.h"
#include "store/store_reply.h"
#include "store/store_digest.h"
#include "store/store_series.h"
#include "core/ctx.h"
#include "core/import.h"
#include "core/task.h"
#include "core/sched.h"
#include "core/series.h"
#include "base/array.h"
#include "base/clock.h"
#include "base/zone.h"

/* Print why an action refused; "rules" is the --rules option here. */
static int
action_err(const struct duban_ctx *x, int rc, const char *field)
{
	if (field && strcmp(field, "rules") == 0)
		return cli_err(cli_store_exit(rc), _("--rules: %s"), x->err);
	return cli_action_err(x, rc);
}

/* A --deadline value: a date (the end of that day) or a date and time; 0, or -1 after saying why. */
static int
parse_deadline(const char *s, int64_t *deadline)
{
	if (time_parse_local(s, true, deadline) == 0)
		return 0;
	cli_err(EXIT_USAGE, _("--deadline \"%s\": expected \"YYYY-MM-DD\" or \"YYYY-MM-DD HH:MM\""), s);
	return -1;
}

/* ---- task add ---------------------------------------------------------------- */

/* ---- length warnings ------------------------------------------------------------------ */

static void
length_warning(void *arg, const char *tmpl, unsigned parts)
{
	fprintf(stderr, _("duban: warning: %s: its \"%s\" reminders need %u SMS parts each "
			  "(%u times the cost); a shorter title keeps them to one\n"),
		(const char *)arg, tmpl, parts, parts);
}

/* Say when t's reminders will cost more than one SMS part each. */
static void
length_warnings(struct cli *c, const struct task *t)
{
	struct sched s;
	struct task full = { 0 };
	char err[256];

	if (c->rules == NULL || c->tmpls == NULL || cli_sched_init(c, &s) != 0 ||
	    store_task_find(c->st, t->code, &full) != STORE_OK)
		return;
	if (sched_length_check(&s, &full, full.lead_name ? full.lead_name : "", length_warning,
			       full.code, err, sizeof(err)) != 0)
		fprintf(stderr, _("duban: warning: %s: %s\n"), full.code, err);
	task_clear(&full);
}

static const char task_add_help[] = N_(
	"usage: duban task add --title TITLE --deadline \"YYYY-MM-DD[ HH:MM]\" --lead WHO\n"
	"                      [--owner WHO]... [--member WHO]... [--team GROUP]\n"
	"                      [--supervisor WHO] [--rules SET] [--code CODE] [--detail TEXT]\n"
	"       duban task add --title TITLE --every week|month|quarter|year --day N --lead WHO ...\n"
	"\n"
	"Add a supervised task.  A deadline without a time means the end of that day\n"
	"(23:59) in the configured time zone.  The task gets the next free code T<n>\n"
	"unless --code is given; officials reply with it (\"完成T12\").  --team names a\n"
	"group whose members count as members of the task, as the group changes.\n"
	"--rules names a rule set of rules_dir (default: \"default\").\n"
	"\n"
	"--every makes it recurring (每月5日前报送: --every month --day 5): each\n"
	"occurrence is a task of its own, coded by its period (T12-2008-12, T12-2009-Q1,\n"
	"T12-2009, T12-2009-01-05 for a week), due on --day (1 to 28 of the month; for\n"
	"week 1 Monday to 7 Sunday) at 23:59, the first this period or, when that has\n"
	"passed, the next (--deadline gives the first).  When one is done or its\n"
	"deadline passes the scheduler adds the next, with the same title and people.\n"
	"duban task series list | stop CODE | change CODE --day N.\n");

/* The rest of task add, once its options are read. */
static int
task_add_run(struct cli *c, struct task_new *n, const char *deadline, const char *every,
	     long day)
{
	struct task t = { 0 };
	struct duban_ctx x;
	const char *field;
	char dl[24], occ[64] = "";
	int rc;

	if (every != NULL && series_every_ok(every) != 0)
		return cli_err(EXIT_USAGE, _("--every must be week, month, quarter or year"));
	if (every != NULL && (deadline != NULL ? parse_deadline(deadline, &n->deadline) != 0
			      : series_first_deadline(every, (int)day, time_now(), &n->deadline) != 0))
		return cli_err(EXIT_USAGE, _("--day must be 1 to 28 (--every week: 1 Monday to 7 Sunday)"));
	if (every == NULL && parse_deadline(deadline, &n->deadline) != 0)
		return EXIT_USAGE;
	if (every != NULL && n->code != NULL)
		return cli_err(EXIT_USAGE, _("a series gets its code T<n>; --code is for single tasks"));
	if (cli_ctx(c, &x) != 0)
		return EXIT_FAIL;
	if ((rc = task_add(&x, n, &t, &field)) != ACTION_OK)
		return action_err(&x, rc, field);
	if (every != NULL) {
		if ((rc = series_start(&x, t.code, every, (int)day, occ, sizeof(occ))) != ACTION_OK) {
			task_clear(&t);
			return cli_action_err(&x, rc);
		}
		free(t.code);
		t.code = strdup(occ);
	}
	time_fmt_local(t.deadline, dl, sizeof(dl));
	if (every != NULL)
		printf(_("added %s: %s (deadline %s; every %s on day %ld)\n"), t.code ? t.code : occ,
		       t.title, dl, C_("value", every), day);
	else
		printf(_("added %s: %s (deadline %s)\n"), t.code ? t.code : occ, t.title, dl);
	length_warnings(c, &t);
	task_clear(&t);
	return EXIT_OK;
}

static int
cmd_task_add(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "title", required_argument, NULL, 't' },  { "deadline", required_argument, NULL, 'd' },
		{ "lead", required_argument, NULL, 'l' },   { "owner", required_argument, NULL, 'o' },
		{ "member", required_argument, NULL, 'm' }, { "team", required_argument, NULL, 'T' },
		{ "supervisor", required_argument, NULL, 's' }, { "rules", required_argument, NULL, 'r' },
		{ "code", required_argument, NULL, 'c' },   { "detail", required_argument, NULL, 'D' },
		{ "every", required_argument, NULL, 'e' },  { "day", required_argument, NULL, 'y' },
		{ "help", no_argument, NULL, 'h' },         { NULL, 0, NULL, 0 },
	};
	struct task_new n = { 0 };
	const char *deadline = NULL, *owners[64], *members[64], *every = NULL;
	long day = 0;
	char *end;
	int ch;

	n.owners = owners;
	n.members = members;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 't': n.title = optarg; break;
		case 'd': deadline = optarg; break;
		case 'l': n.lead = optarg; break;
		case 'o':
			if (n.nowners == ARRAY_LEN(owners))
				return cli_err(EXIT_USAGE, _("too many --owner"));
			owners[n.nowners++] = optarg;
			break;
		case 'm':
			if (n.nmembers == ARRAY_LEN(members))
				return cli_err(EXIT_USAGE, _("too many --member"));
			members[n.nmembers++] = optarg;
			break;
		case 'T': n.team = optarg; break;
		case 's': n.supervisor = optarg; break;
		case 'r': n.rule_set = optarg; break;
		case 'c': n.code = optarg; break;
		case 'D': n.detail = optarg; break;
		case 'e': every = optarg; break;
		case 'y':
			day = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0')
				return cli_err(EXIT_USAGE, _("--day must be a number"));
			break;
		case 'h':
		default: return cli_show_help(task_add_help, ch == 'h');
		}
	}
	if (optind != argc)
		return cli_err(EXIT_USAGE, _("task add: unexpected argument \"%s\""), argv[optind]);
	if (n.title == NULL || *n.title == '\0' || (deadline == NULL && every == NULL) ||
	    n.lead == NULL)
		return cli_err(EXIT_USAGE, _("task add needs --title, --deadline (or --every and --day) and --lead"));
	if ((every == NULL) != (day == 0))
		return cli_err(EXIT_USAGE, _("--every and --day go together"));
	return task_add_run(c, &n, deadline, every, day);
}

/* ---- task list / show ----------------------------------------------------------- */

static const char task_list_help[] = N_(
	"usage: duban task list [--status open|overdue|done|cancelled] [--format table|csv|json]\n"
	"\n"
	"List tasks by deadline.  overdue = open with the deadline passed; that list\n"
	"adds when the last reminder and the last escalation of each went out\n"
	"(last_reminder, last_escalation; on its own or in a digest; empty: never).\n");

/* An overdue list's row: the task's columns, then its last reminder and escalation. */
struct overdue_rows {
	struct table *tb;
	struct store *st;
};

static int
overdue_row_add(void *arg, const struct task *t)
{
	struct overdue_rows *o = arg;
	char id[24], dl[24], rem[24] = "", esc[24] = "";
	int64_t r, e;

	if (store_task_last_sent(o->st, t->id, "reminder", &r) != STORE_OK ||
	    store_task_last_sent(o->st, t->id, "escalation", &e) != STORE_OK)
		return -1;
	snprintf(id, sizeof(id), "%lld", (long long)t->id);
	time_fmt_local(t->deadline, dl, sizeof(dl));
	if (r)
		time_fmt_local(r, rem, sizeof(rem));
	if (e)
		time_fmt_local(e, esc, sizeof(esc));
	const char *cells[] = { id, t->code, t->title, dl, "overdue", t->lead_name ? t->lead_name : "",
				t->team_name ? t->team_name : "", t->rule_set, rem, esc };
	return table_add(o->tb, cells);
}

static int
task_row_add(void *arg, const struct task *t)
{
	struct table *tb = arg;
	char id[24], dl[24], done[24] = "";
	const char *status = t->status;

	snprintf(id, sizeof(id), "%lld", (long long)t->id);
	time_fmt_local(t->deadline, dl, sizeof(dl));
	if (t->done_at)
		time_fmt_local(t->done_at, done, sizeof(done));
	if (strcmp(status, "open") == 0 && t->deadline < time_now())
		status = "overdue";
	const char *cells[] = { id, t->code, t->title, dl, status, t->lead_name ? t->lead_name : "",
				t->team_name ? t->team_name : "", t->rule_set, done };
	return table_add(tb, cells);
}

static struct table *
task_table(void)
{
	static const char *const h[] = {
		NC_("column", "id"), NC_("column", "code"), NC_("column", "title"),
		NC_("column", "deadline"), NC_("column", "status"), NC_("column", "lead"),
		NC_("column", "team"), NC_("column", "rules"), NC_("column", "closed_at"),
	};
	return table_new(ARRAY_LEN(h), h, "isssesnsn");
}

static int
task_list(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "status", required_argument, NULL, 's' }, { "format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	struct task_filter f = { 0 };
	struct table *t;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			if (strcmp(optarg, "open") && strcmp(optarg, "overdue") && strcmp(optarg, "done") &&
			    strcmp(optarg, "cancelled"))
				return cli_err(EXIT_USAGE, _("--status must be open, overdue, done or cancelled"));
			f.status = optarg;
			break;
		case 'F':
			if (cli_format_opt(c, optarg, false) != 0)
				return EXIT_USAGE;
			break;
		case 'h':
		default: return cli_show_help(task_list_help, ch == 'h');
		}
	}
	if (optind != argc)
		return cli_err(EXIT_USAGE, _("task list: unexpected argument \"%s\""), argv[optind]);
	f.now = time_now();
	if (c->fmt == FMT_CSV) { /* what task import reads back (export.c) */
		if (cli_store(c) == NULL)
			return EXIT_FAIL;
		return cli_task_export(c, &f);
	}
	if (f.status != NULL && strcmp(f.status, "overdue") == 0) {
		static const char *const h[] = {
			NC_("column", "id"), NC_("column", "code"), NC_("column", "title"),
			NC_("column", "deadline"), NC_("column", "status"), NC_("column", "lead"),
			NC_("column", "team"), NC_("column", "rules"), NC_("column", "last_reminder"),
			NC_("column", "last_escalation"),
		};
		struct overdue_rows o = { NULL, cli_store(c) };
		if (o.st == NULL || (o.tb = table_new(ARRAY_LEN(h), h, "isssesnsnn")) == NULL)
			return EXIT_FAIL;
		rc = store_task_each(c->st, &f, overdue_row_add, &o);
		return cli_print_table(c, o.tb, rc);
	}
	if (cli_store(c) == NULL || (t = task_table()) == NULL)
		return EXIT_FAIL;
	rc = store_task_each(c->st, &f, task_row_add, t);
	return cli_print_table(c, t, rc);
}

static int
show_person_line(void *arg, const struct person *p, const char *role)
{
	(void)arg;
	printf("  %-10s %s  %s  %s %s\n", C_("value", role), p->name, p->phone, p->org, p->title);
	return 0;
}

static int
show_msg_line(void *arg, const struct message *m)
{
	char at[24];
	(void)arg;
	printf("  #%-6lld %s  %-10s %-9s %s", (long long)m->id,
	       time_fmt_local(m->not_before, at, sizeof(at)), C_("value", m->kind),
	       C_("value", m->status),
	       m->person_name ? m->person_name : m->phone);
	/* a step sent in a digest, or why it was not sent */
	if (strcmp(m->status, "skipped") == 0 && m->last_error != NULL)
		printf("  (%s)", m->last_error);
	putchar('\n');
	return 0;
}

static const char task_show_help[] = N_(
	"usage: duban task show CODE [--format table|csv|json]\n"
	"\n"
	"Show a task: its deadline and status, who is responsible, the progress\n"
	"notes its people sent (\"进展 T3 ...\" by SMS) and the reminders queued or sent\n"
	"for it.\n");

/* One progress note: "  12-18 10:00 邵长发: 已完成土方". */
static int
show_note_line(void *arg, int64_t at, const char *who, const char *text)
{
	char when[24];

	(void)arg;
	printf("  %s %s%s%s\n", time_fmt_local(at, when, sizeof(when)), who, *who ? ": " : "", text);
	return 0;
}

static int
task_show(struct cli *c, int argc, char **argv)
{
	struct task t = { 0 };
	struct msg_filter mf = { 0 };
	const char *code;
	char dl[24];
	int rc;

	if (cli_format_args(c, argc, argv, "task show", task_show_help, false, &code, &rc) != 0)
		return rc;
	if (code == NULL)
		return cli_err(EXIT_USAGE, _("usage: duban task show CODE"));
	if (cli_store(c) == NULL)
		return EXIT_FAIL;
	if ((rc = store_task_find(c->st, code, &t)) != STORE_OK)
		return cli_store_err(c, rc);
	if (c->fmt != FMT_TABLE) {
		struct table *tb = task_table();
		if (tb == NULL || task_row_add(tb, &t) != 0) {
			table_free(tb);
			task_clear(&t);
			return EXIT_FAIL;
		}
		rc = cli_print_show(c, tb, SHOW_TASK, t.id);
		table_free(tb);
		task_clear(&t);
		return rc;
	}
	printf("%s  %s\n", t.code, t.title);
	printf(_("  deadline: %s\n  status:   %s%s\n  rules:    %s\n"),
	       time_fmt_local(t.deadline, dl, sizeof(dl)), C_("value", t.status),
	       strcmp(t.status, "open") == 0 && t.deadline < time_now() ? _(" (overdue)") : "",
	       t.rule_set);
	if (t.team_name)
		printf(_("  team:     %s\n"), t.team_name);
	if (*t.detail)
		printf(_("  detail:   %s\n"), t.detail);
	printf(_("people:\n"));
	rc = store_task_people(c->st, t.id, show_person_line, NULL);
	if (rc == STORE_OK) {
		printf(_("progress:\n"));
		rc = store_note_each(c->st, t.id, show_note_line, NULL);
	}
	printf(_("messages:\n"));
	mf.task = t.id;
	if (rc == STORE_OK)
		rc = store_msg_each(c->st, &mf, show_msg_line, NULL);
	if (rc != STORE_OK)
		cli_err(EXIT_FAIL, "%s", store_errmsg(c->st));
	task_clear(&t);
	return rc == STORE_OK ? EXIT_OK : EXIT_FAIL;
}

/* ---- done / cancel / reopen -------------------------------------------------------- */

static const char task_status_help[] = N_(
	"usage: duban task done CODE [--on DATE] | cancel CODE | reopen CODE\n"
	"\n"
	"Close a task as done or cancelled (its reminders stop, and those queued but\n"
	"not yet sent are cancelled), or reopen it (reminders resume from now).  A\n"
	"done task is not cancelled, nor a cancelled one marked done, without\n"
	"reopening it first.  --on records when the work was really done\n"
	"(\"2008-12-29\" or \"2008-12-29 16:00\", local time, not in the future) when it is\n"
	"entered later: the reports count on time or late by it.\n");

static int
cmd_task_set(struct cli *c, int argc, char **argv,
	     int (*act)(struct duban_ctx *, const char *, struct task *, enum task_outcome *))
{
	struct task t = { 0 };
	struct duban_ctx x;
	enum task_outcome oc;
	int rc;

	if (cli_want_help(argc, argv, task_status_help))
		return EXIT_OK;
	if (argc != 2)
		return cli_err(EXIT_USAGE, _("usage: duban task %s CODE"), argv[0]);
	if (cli_ctx(c, &x) != 0)
		return EXIT_FAIL;
	if ((rc = act(&x, argv[1], &t, &oc)) != ACTION_OK) {
		task_clear(&t); /* a refused task is told too */
		return cli_action_err(&x, rc);
	}
	if (oc == TASK_ALREADY)
		printf(_("%s is already %s\n"), t.code, C_("value", t.status));
	else if (strcmp(t.status, "open") == 0)
		printf(_("%s reopened: %s\n"), t.code, t.title);
	else
		printf(_("%s %s: %s\n"), t.code, C_("value", t.status), t.title);
	task_clear(&t);
	return EXIT_OK;
}

static int
cmd_task_done(struct cli *c, int argc, char **argv)
{
	struct task t = { 0 };
	struct duban_ctx x;
	enum task_outcome oc;
	char when[24];
	int64_t on;
	int rc;

	if (argc != 4 || strcmp(argv[2], "--on") != 0)
		return cmd_task_set(c, argc, argv, task_done);
	if (time_parse_local(argv[3], false, &on) != 0)
		return cli_err(EXIT_USAGE, _("--on must be a date YYYY-MM-DD or \"YYYY-MM-DD HH:MM\""));
	if (cli_ctx(c, &x) != 0)
		return EXIT_FAIL;
	if ((rc = task_done_on(&x, argv[1], on, &t, &oc)) != ACTION_OK) {
		task_clear(&t);
		return cli_action_err(&x, rc);
	}
	if (oc == TASK_ALREADY)
		printf(_("%s is already %s\n"), t.code, C_("value", t.status));
	else
		printf(_("%s done on %s: %s\n"), t.code, time_fmt_local(t.done_at, when, sizeof(when)),
		       t.title);
	task_clear(&t);
	return EXIT_OK;
}

static int
cmd_task_cancel(struct cli *c, int argc, char **argv)
{
	return cmd_task_set(c, argc, argv, task_cancel);
}

static int
cmd_task_reopen(struct cli *c, int argc, char **argv)
{
	return cmd_task_set(c, argc, argv, task_reopen);
}

/* ---- update ----------------------------------------------------------------------- */

static const char task_update_help[] = N_(
	"usage: duban task update CODE [--deadline D] [--title T] [--detail TEXT] [--rules SET]\n"
	"                         [--team GROUP | --no-team] [--lead WHO] [--owner WHO]...\n"
	"                         [--member WHO]... [--supervisor WHO] [--remove WHO]...\n"
	"\n"
	"Change a task.  A role given here (--lead, --owner, --member, --supervisor)\n"
	"replaces everyone who had that role; --remove takes a person off every role.\n"
	"A new deadline or rule set replans the reminders: those already sent stay\n"
	"sent, those queued but unsent are cancelled, future ones follow the change.\n");

static int
cmd_task_update(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "deadline", required_argument, NULL, 'd' }, { "title", required_argument, NULL, 't' },
		{ "detail", required_argument, NULL, 'D' },   { "rules", required_argument, NULL, 'r' },
		{ "team", required_argument, NULL, 'T' },     { "no-team", no_argument, NULL, 'N' },
		{ "lead", required_argument, NULL, 'l' },     { "owner", required_argument, NULL, 'o' },
		{ "member", required_argument, NULL, 'm' },   { "supervisor", required_argument, NULL, 's' },
		{ "remove", required_argument, NULL, 'R' },   { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct task_edit e = { 0 };
	struct task t = { 0 };
	struct task_role people[128];
	struct duban_ctx x;
	const char *removes[64], *dls = NULL, *field;
	bool no_team = false;
	int ch, rc;

	e.people = people;
	e.remove = removes;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': dls = optarg; break;
		case 't': e.title = optarg; break;
		case 'D': e.detail = optarg; break;
		case 'r': e.rule_set = optarg; break;
		case 'T': e.team = optarg; break;
		case 'N': no_team = true; break;
		case 'l': case 'o': case 'm': case 's':
			if (e.npeople == ARRAY_LEN(people))
				return cli_err(EXIT_USAGE, _("too many people"));
			people[e.npeople].who = optarg;
			people[e.npeople++].role = ch == 'l' ? "lead" : ch == 'o' ? "owner" : ch == 'm' ? "member" : "supervisor";
			break;
		case 'R':
			if (e.nremove == ARRAY_LEN(removes))
				return cli_err(EXIT_USAGE, _("too many --remove"));
			removes[e.nremove++] = optarg;
			break;
		case 'h':
		default: return cli_show_help(task_update_help, ch == 'h');
		}
	}
	if (optind + 1 != argc)
		return cli_err(EXIT_USAGE, _("usage: duban task update CODE [OPTIONS]"));
	if (dls && parse_deadline(dls, &e.deadline) != 0)
		return EXIT_USAGE;
	if (no_team)
		e.team = "";
	if (cli_ctx(c, &x) != 0)
		return EXIT_FAIL;
	if ((rc = task_update(&x, argv[optind], &e, &t, &field)) != ACTION_OK)
		return action_err(&x, rc, field);
	printf(_("updated %s\n"), t.code);
	task_clear(&t);
	return EXIT_OK;
}

/* ---- import ----------------------------------------------------------------------- */

/* The tasks an import added (ids above before) and the CLI, for their length warnings. */
struct imported {
	struct cli *c;
	int64_t before;
};

static int
max_id(void *arg, const struct task *t)
{
	int64_t *m = arg;

	if (t->id > *m)
		*m = t->id;
	return 0;
}

static int
warn_new(void *arg, const struct task *t)
{
	struct imported *im = arg;

	if (t->id > im->before)
		length_warnings(im->c, t);
	return 0;
}

static int
cmd_task_import(struct cli *c, int argc, char **argv)
{
	struct imported im = { c, 0 };
	struct task_filter all = { 0 };
	bool dry = false;
	int rc;

	for (int i = 1; i < argc; i++)
		dry = dry || strcmp(argv[i], "--dry-run") == 0 || strcmp(argv[i], "--help") == 0 ||
		      strcmp(argv[i], "-h") == 0;
	if (!dry && cli_store(c) != NULL &&
	    store_task_each(c->st, &all, max_id, &im.before) != STORE_OK)
		return cli_err(EXIT_FAIL, "%s", store_errmsg(c->st));
	rc = cli_task_import(c, argc, argv);
	/* Reminders that will cost two SMS parts or more: said now, per task. */
	if (rc == EXIT_OK && !dry && c->st != NULL)
		store_task_each(c->st, &all, warn_new, &im);
	return rc;
}

/* ---- dispatch ------------------------------------------------------------------- */

static const char task_help[] = N_(
	"usage: duban task add --title T --deadline D --lead WHO [--owner WHO]... [--member WHO]...\n"
	"                      [--team GROUP] [--supervisor WHO] [--rules SET] [--code CODE]\n"
	"       duban task add --title T --every week|month|quarter|year --day N --lead WHO ...\n"
	"       duban task list [--status open|overdue|done|cancelled] [--format F]\n"
	"       duban task show CODE\n"
	"       duban task done CODE [--on DATE] | cancel CODE | reopen CODE\n"
	"       duban task series list | stop CODE | change CODE --day N\n"
	"       duban task update CODE [--deadline D] [--lead WHO] ... (see --help)\n"
	"       duban task import FILE [--encoding auto|utf-8|gb18030] [--dry-run]\n"
	"\n"
	"Supervised tasks (督办事项).  \"duban task SUBCOMMAND --help\" tells more.\n");

/* ---- series ------------------------------------------------------------------------ */

static const char series_help[] = N_(
	"usage: duban task series list [--format table|csv|json]\n"
	"       duban task series stop CODE\n"
	"       duban task series change CODE --day N\n"
	"\n"
	"Recurring tasks (task add --every): list each series with its period, day,\n"
	"status and latest occurrence; stop one (no more occurrences; the open one\n"
	"stays); change its day from the next occurrence on.\n");

static int
series_row_add(void *arg, const struct series_row *r)
{
	char day[8], dl[24];

	snprintf(day, sizeof(day), "%d", r->day);
	time_fmt_local(r->last_deadline, dl, sizeof(dl));
	const char *cells[] = { r->code, r->every, day, r->status, r->last_code, dl, r->last_status };
	return table_add(arg, cells);
}

static int
series_cmd(struct cli *c, int argc, char **argv)
{
	static const char *const h[] = { NC_("column", "code"),	  NC_("column", "every"),
					 NC_("column", "day"),	  NC_("column", "status"),
					 NC_("column", "latest"), NC_("column", "deadline"),
					 NC_("column", "latest_status") };
	struct duban_ctx x;
	struct table *t;
	char *end;
	int code, rc;

	if (argc >= 2 && strcmp(argv[1], "list") == 0) {
		if (cli_format_args(c, argc - 1, argv + 1, "task series list", series_help, true, NULL,
				    &code) != 0)
			return code;
		if (cli_store(c) == NULL || (t = table_new(ARRAY_LEN(h), h, "seiesse")) == NULL)
			return EXIT_FAIL;
		rc = store_series_each(c->st, false, 0, series_row_add, t);
		return cli_print_table(c, t, rc);
	}
	if (cli_want_help(argc, argv, series_help))
		return EXIT_OK;
	bool stop = argc == 3 && strcmp(argv[1], "stop") == 0;
	bool change = argc == 5 && strcmp(argv[1], "change") == 0 && strcmp(argv[3], "--day") == 0;
	if (!stop && !change)
		return cli_show_help(series_help, false);
	long day = change ? strtol(argv[4], &end, 10) : 0;
	if (change && (*argv[4] == '\0' || *end != '\0'))
		return cli_err(EXIT_USAGE, _("--day must be a number"));
	if (cli_ctx(c, &x) != 0)
		return EXIT_FAIL;
	if ((rc = series_set(&x, argv[2], stop, (int)day)) != ACTION_OK)
		return cli_action_err(&x, rc);
	if (stop)
		printf(_("stopped series %s\n"), argv[2]);
	else
		printf(_("series %s: from the next occurrence on day %ld\n"), argv[2], day);
	return EXIT_OK;
}

int
cmd_task(struct cli *c, int argc, char **argv)
{
	static const struct cli_cmd cmds[] = {
		{ "add", cmd_task_add, NULL },       { "list", task_list, NULL },
		{ "show", task_show, NULL },         { "done", cmd_task_done, NULL },
		{ "cancel", cmd_task_cancel, NULL }, { "reopen", cmd_task_reopen, NULL },
		{ "update", cmd_task_update, NULL }, { "import", cmd_task_import, NULL },
		{ "series", series_cmd, NULL },      { NULL, NULL, NULL },
	};
	return cli_dispatch(c, argc, argv, cmds, task_help);
}
