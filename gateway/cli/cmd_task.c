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
#include "base/csv.h"
#include "base/phone.h"
#include "core/rules.h"
#include "base/array.h"
#include "base/diag.h"
#include "base/str.h"
#include "base/clock.h"
#include "base/zone.h"

#define MAX_ASSIGNEES 256

/* Resolve WHO to a person id; prints the reason and returns a store rc. */
static int
resolve(struct cli *c, const char *who, int64_t *id, char *err, size_t errlen)
{
	struct person p = { 0 };
	int rc;

	rc = store_person_find(c->st, who, &p);
	if (rc == STORE_OK)
		*id = p.id;
	else
		snprintf(err, errlen, "%s", store_errmsg(c->st));
	person_clear(&p);
	return rc;
}

static int
check_rules(struct cli *c, const char *set, char *err, size_t errlen)
{
	if (set == NULL || *set == '\0' || c->rules == NULL || rules_find(c->rules, set))
		return 0;
	snprintf(err, errlen, "unknown rule set \"%s\" (sets are defined in %s/*.cfg)", set,
		 c->cfg->rules_dir);
	return -1;
}

struct people_args {
	struct assignee a[MAX_ASSIGNEES];
	size_t n;
};

/* Add WHO with role; 0 or a store rc with err set. */
static int
add_assignee(struct cli *c, struct people_args *pa, const char *who, const char *role, char *err,
	     size_t errlen)
{
	int64_t id;
	int rc;

	if (pa->n == MAX_ASSIGNEES) {
		snprintf(err, errlen, "more than %d people on one task", MAX_ASSIGNEES);
		return STORE_INVALID;
	}
	if ((rc = resolve(c, who, &id, err, errlen)) != STORE_OK)
		return rc;
	pa->a[pa->n].person = id;
	pa->a[pa->n].role = role;
	pa->n++;
	return STORE_OK;
}

/* Split "a;b;c" and add each with role. */
static int
add_list(struct cli *c, struct people_args *pa, const char *list, const char *role, char *err,
	 size_t errlen)
{
	char *copy = strdup(list), *cur = copy, *tok;
	int rc = STORE_OK;

	if (copy == NULL)
		return STORE_ERROR;
	while ((tok = str_next_item(&cur)) != NULL)
		if ((rc = add_assignee(c, pa, tok, role, err, errlen)) != STORE_OK)
			break;
	free(copy);
	return rc;
}

static int
team_id(struct cli *c, const char *name, int64_t *id, char *err, size_t errlen)
{
	struct group g = { 0 };
	int rc;

	if (name == NULL || *name == '\0') {
		*id = 0;
		return STORE_OK;
	}
	rc = store_group_find(c->st, name, false, &g);
	if (rc == STORE_OK)
		*id = g.id;
	else
		snprintf(err, errlen, "team: %s", store_errmsg(c->st));
	group_clear(&g);
	return rc;
}

/* ---- task add ---------------------------------------------------------------- */

static const char task_add_help[] =
	"usage: duban task add --title TITLE --deadline \"YYYY-MM-DD[ HH:MM]\" --lead WHO\n"
	"                      [--owner WHO]... [--member WHO]... [--team GROUP]\n"
	"                      [--supervisor WHO] [--rules SET] [--code CODE] [--detail TEXT]\n"
	"\n"
	"Add a supervised task.  A deadline without a time means the end of that day\n"
	"(23:59) in the configured time zone.  The task gets the next free code T<n>\n"
	"unless --code is given; officials reply with it (\"完成T12\").  --team names a\n"
	"group whose members count as members of the task, as the group changes.\n"
	"--rules names a rule set of rules_dir (default: \"default\").\n";

static int
task_add(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "title", required_argument, NULL, 't' },  { "deadline", required_argument, NULL, 'd' },
		{ "lead", required_argument, NULL, 'l' },   { "owner", required_argument, NULL, 'o' },
		{ "member", required_argument, NULL, 'm' }, { "team", required_argument, NULL, 'T' },
		{ "supervisor", required_argument, NULL, 's' }, { "rules", required_argument, NULL, 'r' },
		{ "code", required_argument, NULL, 'c' },   { "detail", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },         { NULL, 0, NULL, 0 },
	};
	struct task t = { 0 };
	struct people_args pa;
	const char *deadline = NULL, *lead = NULL, *team = NULL, *sup = NULL;
	const char *owners[64], *members[64];
	size_t no = 0, nm = 0;
	char err[600], *code = NULL;
	int64_t id;
	int ch, rc;

	pa.n = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 't': t.title = optarg; break;
		case 'd': deadline = optarg; break;
		case 'l': lead = optarg; break;
		case 'o':
			if (no == ARRAY_LEN(owners))
				return cli_err(EXIT_USAGE, "too many --owner");
			owners[no++] = optarg;
			break;
		case 'm':
			if (nm == ARRAY_LEN(members))
				return cli_err(EXIT_USAGE, "too many --member");
			members[nm++] = optarg;
			break;
		case 'T': team = optarg; break;
		case 's': sup = optarg; break;
		case 'r': t.rule_set = optarg; break;
		case 'c': t.code = optarg; break;
		case 'D': t.detail = optarg; break;
		case 'h': fputs(task_add_help, stdout); return EXIT_OK;
		default: fputs(task_add_help, stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc)
		return cli_err(EXIT_USAGE, "task add: unexpected argument \"%s\"", argv[optind]);
	if (t.title == NULL || *t.title == '\0' || deadline == NULL || lead == NULL)
		return cli_err(EXIT_USAGE, "task add needs --title, --deadline and --lead");
	if (time_parse_local(deadline, true, &t.deadline) != 0)
		return cli_err(EXIT_USAGE, "--deadline \"%s\": expected \"YYYY-MM-DD\" or \"YYYY-MM-DD HH:MM\"",
			       deadline);
	if (check_rules(c, t.rule_set, err, sizeof(err)) != 0)
		return cli_err(EXIT_USAGE, "--rules: %s", err);
	if (cli_store(c) == NULL)
		return EXIT_FAIL;
	if ((rc = store_begin(c->st)) != STORE_OK)
		goto fail;
	rc = add_assignee(c, &pa, lead, "lead", err, sizeof(err));
	for (size_t i = 0; rc == STORE_OK && i < no; i++)
		rc = add_assignee(c, &pa, owners[i], "owner", err, sizeof(err));
	for (size_t i = 0; rc == STORE_OK && i < nm; i++)
		rc = add_assignee(c, &pa, members[i], "member", err, sizeof(err));
	if (rc == STORE_OK && sup)
		rc = add_assignee(c, &pa, sup, "supervisor", err, sizeof(err));
	if (rc == STORE_OK)
		rc = team_id(c, team, &t.team, err, sizeof(err));
	if (rc != STORE_OK) {
		store_rollback(c->st);
		return cli_err(cli_store_exit(rc), "%s", err);
	}
	if ((rc = store_task_add(c->st, &t, pa.a, pa.n, &id, &code)) != STORE_OK ||
	    (rc = store_event(c->st, c->actor, "task.add", code, t.title)) != STORE_OK ||
	    (rc = store_commit(c->st)) != STORE_OK)
		goto fail;
	{
		char dl[24];
		printf("added %s: %s (deadline %s)\n", code, t.title,
		       time_fmt_local(t.deadline, dl, sizeof(dl)));
	}
	free(code);
	return EXIT_OK;
fail:
	free(code);
	store_rollback(c->st);
	return cli_err(cli_store_exit(rc), "%s", store_errmsg(c->st));
}

/* ---- task list / show ----------------------------------------------------------- */

static const char task_list_help[] =
	"usage: duban task list [--status open|overdue|done|cancelled] [--format table|csv|json]\n"
	"\n"
	"List tasks by deadline.  overdue = open with the deadline passed.\n";

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
	static const char *const h[] = { "id", "code", "title", "deadline", "status", "lead", "team",
					 "rules", "closed_at" };
	return table_new(ARRAY_LEN(h), h, "isssssnsn");
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
				return cli_err(EXIT_USAGE, "--status must be open, overdue, done or cancelled");
			f.status = optarg;
			break;
		case 'F':
			if (cli_parse_format(optarg, &c->fmt) != 0)
				return cli_err(EXIT_USAGE, "--format must be table, csv or json");
			break;
		case 'h': fputs(task_list_help, stdout); return EXIT_OK;
		default: fputs(task_list_help, stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc)
		return cli_err(EXIT_USAGE, "task list: unexpected argument \"%s\"", argv[optind]);
	if (cli_store(c) == NULL || (t = task_table()) == NULL)
		return EXIT_FAIL;
	f.now = time_now();
	rc = store_task_each(c->st, &f, task_row_add, t);
	if (rc == STORE_OK)
		table_print(t, c->fmt, stdout);
	else
		cli_err(EXIT_FAIL, "%s", store_errmsg(c->st));
	table_free(t);
	return rc == STORE_OK ? EXIT_OK : EXIT_FAIL;
}

static int
find_task(struct cli *c, const char *code, struct task *t)
{
	int rc = store_task_find(c->st, code, t);
	if (rc != STORE_OK)
		cli_err(cli_store_exit(rc), "%s", store_errmsg(c->st));
	return rc;
}

static int
show_person_line(void *arg, const struct person *p, const char *role)
{
	(void)arg;
	printf("  %-10s %s  %s  %s %s\n", role, p->name, p->phone, p->org, p->title);
	return 0;
}

static int
show_msg_line(void *arg, const struct message *m)
{
	char at[24];
	(void)arg;
	printf("  #%-6lld %s  %-10s %-9s %s\n", (long long)m->id,
	       time_fmt_local(m->not_before, at, sizeof(at)), m->kind, m->status,
	       m->person_name ? m->person_name : m->phone);
	return 0;
}

static const char task_show_help[] =
	"usage: duban task show CODE [--format table|csv|json]\n"
	"\n"
	"Show a task: its deadline and status, who is responsible, and the\n"
	"reminders queued or sent for it.\n";

static int
task_show(struct cli *c, int argc, char **argv)
{
	struct task t = { 0 };
	struct msg_filter mf = { 0 };
	const char *code = NULL;
	char dl[24];
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
			if (cli_parse_format(argv[++i], &c->fmt) != 0)
				return cli_err(EXIT_USAGE, "--format must be table, csv or json");
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			fputs(task_show_help, stdout);
			return EXIT_OK;
		} else if (code == NULL) {
			code = argv[i];
		} else {
			return cli_err(EXIT_USAGE, "task show: unexpected argument \"%s\"", argv[i]);
		}
	}
	if (code == NULL)
		return cli_err(EXIT_USAGE, "usage: duban task show CODE");
	if (cli_store(c) == NULL)
		return EXIT_FAIL;
	if ((rc = find_task(c, code, &t)) != STORE_OK)
		return cli_store_exit(rc);
	if (c->fmt != FMT_TABLE) {
		struct table *tb = task_table();
		if (tb == NULL || task_row_add(tb, &t) != 0) {
			table_free(tb);
			task_clear(&t);
			return EXIT_FAIL;
		}
		table_print(tb, c->fmt, stdout);
		table_free(tb);
		task_clear(&t);
		return EXIT_OK;
	}
	printf("%s  %s\n", t.code, t.title);
	printf("  deadline: %s\n  status:   %s%s\n  rules:    %s\n",
	       time_fmt_local(t.deadline, dl, sizeof(dl)), t.status,
	       strcmp(t.status, "open") == 0 && t.deadline < time_now() ? " (overdue)" : "", t.rule_set);
	if (t.team_name)
		printf("  team:     %s\n", t.team_name);
	if (*t.detail)
		printf("  detail:   %s\n", t.detail);
	printf("people:\n");
	rc = store_task_people(c->st, t.id, show_person_line, NULL);
	printf("messages:\n");
	mf.task = t.id;
	if (rc == STORE_OK)
		rc = store_msg_each(c->st, &mf, show_msg_line, NULL);
	if (rc != STORE_OK)
		cli_err(EXIT_FAIL, "%s", store_errmsg(c->st));
	task_clear(&t);
	return rc == STORE_OK ? EXIT_OK : EXIT_FAIL;
}

/* ---- done / cancel / reopen -------------------------------------------------------- */

static const char task_status_help[] =
	"usage: duban task done CODE | cancel CODE | reopen CODE\n"
	"\n"
	"Close a task as done or cancelled (its reminders stop, and those queued but\n"
	"not yet sent are cancelled), or reopen it (reminders resume from now).\n";

static int
task_set(struct cli *c, int argc, char **argv, const char *status)
{
	struct task t = { 0 };
	char action[32];
	int rc;

	if (cli_want_help(argc, argv, task_status_help))
		return EXIT_OK;
	if (argc != 2)
		return cli_err(EXIT_USAGE, "usage: duban task %s CODE", argv[0]);
	if (cli_store(c) == NULL)
		return EXIT_FAIL;
	if ((rc = store_begin(c->st)) != STORE_OK)
		goto fail;
	if ((rc = find_task(c, argv[1], &t)) != STORE_OK) {
		store_rollback(c->st);
		return cli_store_exit(rc);
	}
	if (strcmp(t.status, status) == 0) {
		store_rollback(c->st);
		printf("%s is already %s\n", t.code, status);
		task_clear(&t);
		return EXIT_OK;
	}
	snprintf(action, sizeof(action), "task.%s", argv[0]);
	if ((rc = store_task_set_status(c->st, t.id, status, time_now(), 0)) != STORE_OK ||
	    (rc = store_event(c->st, c->actor, action, t.code, NULL)) != STORE_OK ||
	    (rc = store_commit(c->st)) != STORE_OK)
		goto fail;
	printf("%s %s: %s\n", t.code, strcmp(status, "open") == 0 ? "reopened" : status, t.title);
	task_clear(&t);
	return EXIT_OK;
fail:
	store_rollback(c->st);
	task_clear(&t);
	return cli_err(cli_store_exit(rc), "%s", store_errmsg(c->st));
}

static int
task_done(struct cli *c, int argc, char **argv)
{
	return task_set(c, argc, argv, "done");
}

static int
task_cancel(struct cli *c, int argc, char **argv)
{
	return task_set(c, argc, argv, "cancelled");
}

static int
task_reopen(struct cli *c, int argc, char **argv)
{
	return task_set(c, argc, argv, "open");
}

/* ---- update ----------------------------------------------------------------------- */

static const char task_update_help[] =
	"usage: duban task update CODE [--deadline D] [--title T] [--detail TEXT] [--rules SET]\n"
	"                         [--team GROUP | --no-team] [--lead WHO] [--owner WHO]...\n"
	"                         [--member WHO]... [--supervisor WHO] [--remove WHO]...\n"
	"\n"
	"Change a task.  A role given here (--lead, --owner, --member, --supervisor)\n"
	"replaces everyone who had that role; --remove takes a person off every role.\n"
	"A new deadline or rule set replans the reminders: those already sent stay\n"
	"sent, those queued but unsent are cancelled, future ones follow the change.\n";

static int
task_update(struct cli *c, int argc, char **argv)
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
	struct task t = { 0 };
	struct people_args pa;
	const char *who[128], *role[128], *removes[64], *title = NULL, *detail = NULL;
	const char *rules = NULL, *team = NULL, *dls = NULL;
	size_t nwho = 0, nrm = 0;
	bool no_team = false;
	int64_t deadline = 0, tid = -1;
	char err[600];
	int ch, rc;

	pa.n = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': dls = optarg; break;
		case 't': title = optarg; break;
		case 'D': detail = optarg; break;
		case 'r': rules = optarg; break;
		case 'T': team = optarg; break;
		case 'N': no_team = true; break;
		case 'l': case 'o': case 'm': case 's':
			if (nwho == ARRAY_LEN(who))
				return cli_err(EXIT_USAGE, "too many people");
			who[nwho] = optarg;
			role[nwho++] = ch == 'l' ? "lead" : ch == 'o' ? "owner" : ch == 'm' ? "member" : "supervisor";
			break;
		case 'R':
			if (nrm == ARRAY_LEN(removes))
				return cli_err(EXIT_USAGE, "too many --remove");
			removes[nrm++] = optarg;
			break;
		case 'h': fputs(task_update_help, stdout); return EXIT_OK;
		default: fputs(task_update_help, stderr); return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc)
		return cli_err(EXIT_USAGE, "usage: duban task update CODE [OPTIONS]");
	if (dls && time_parse_local(dls, true, &deadline) != 0)
		return cli_err(EXIT_USAGE, "--deadline \"%s\": expected \"YYYY-MM-DD\" or \"YYYY-MM-DD HH:MM\"", dls);
	if (check_rules(c, rules, err, sizeof(err)) != 0)
		return cli_err(EXIT_USAGE, "--rules: %s", err);
	if (cli_store(c) == NULL)
		return EXIT_FAIL;
	if ((rc = store_begin(c->st)) != STORE_OK)
		goto fail;
	if ((rc = find_task(c, argv[optind], &t)) != STORE_OK) {
		store_rollback(c->st);
		return cli_store_exit(rc);
	}
	rc = STORE_OK;
	for (size_t i = 0; rc == STORE_OK && i < nwho; i++)
		rc = add_assignee(c, &pa, who[i], role[i], err, sizeof(err));
	if (rc == STORE_OK && team)
		rc = team_id(c, team, &tid, err, sizeof(err));
	if (no_team)
		tid = 0;
	for (size_t i = 0; rc == STORE_OK && i < nrm; i++) {
		int64_t pid;
		if ((rc = resolve(c, removes[i], &pid, err, sizeof(err))) == STORE_OK &&
		    (rc = store_task_unassign(c->st, t.id, pid, NULL)) != STORE_OK)
			snprintf(err, sizeof(err), "%s", store_errmsg(c->st));
	}
	if (rc != STORE_OK) {
		store_rollback(c->st);
		task_clear(&t);
		return cli_err(cli_store_exit(rc), "%s", err);
	}
	if ((rc = store_task_update(c->st, t.id, deadline, title, detail, rules, tid)) != STORE_OK ||
	    (rc = store_task_assign(c->st, t.id, pa.a, pa.n, true)) != STORE_OK ||
	    (rc = store_event(c->st, c->actor, "task.update", t.code, dls)) != STORE_OK ||
	    (rc = store_commit(c->st)) != STORE_OK)
		goto fail;
	printf("updated %s\n", t.code);
	task_clear(&t);
	return EXIT_OK;
fail:
	store_rollback(c->st);
	task_clear(&t);
	return cli_err(cli_store_exit(rc), "%s", store_errmsg(c->st));
}

/* ---- import ----------------------------------------------------------------------- */

static const char task_import_help[] =
	"usage: duban task import FILE [--encoding auto|utf-8|gb18030] [--dry-run]\n"
	"\n"
	"Import tasks from CSV (same encodings as person import).  Columns, in any order:\n"
	"  code, title, deadline, lead, owners, members, team, supervisor, rules, detail\n"
	"title, deadline and lead are required; owners and members are ';'-separated\n"
	"WHO lists; an empty code gets the next free T<n>.  All or nothing: every bad\n"
	"row is reported as FILE:LINE: reason and nothing is changed.\n";

enum { TC_CODE, TC_TITLE, TC_DEADLINE, TC_LEAD, TC_OWNERS, TC_MEMBERS, TC_TEAM, TC_SUP, TC_RULES,
       TC_DETAIL, TC_N };

static const char *const task_cols[TC_N][2] = {
	{ "code", "编号" },     { "title", "事项" },    { "deadline", "时限" },
	{ "lead", "牵头领导" }, { "owners", "责任人" }, { "members", "成员" },
	{ "team", "班子" },     { "supervisor", "督办" }, { "rules", "规则" },
	{ "detail", "说明" },
};

/* One row: resolve and insert, or add its problems to d. */
static int
import_task_row(struct cli *c, const char *file, long line, char **f, struct diag *d)
{
	struct task t = { 0 };
	struct people_args pa;
	char err[600];
	int rc = STORE_OK;
	size_t before = d->n;

	pa.n = 0;
	t.code = f[TC_CODE];
	t.title = f[TC_TITLE];
	t.detail = f[TC_DETAIL];
	t.rule_set = f[TC_RULES];
	if (t.title == NULL || *t.title == '\0')
		diag_add(d, file, line, "title is empty");
	if (f[TC_DEADLINE] == NULL || time_parse_local(f[TC_DEADLINE], true, &t.deadline) != 0)
		diag_add(d, file, line, "deadline \"%s\": expected YYYY-MM-DD or YYYY-MM-DD HH:MM",
			 f[TC_DEADLINE] ? f[TC_DEADLINE] : "");
	if (f[TC_LEAD] == NULL || *f[TC_LEAD] == '\0')
		diag_add(d, file, line, "lead is empty");
	else if ((rc = add_assignee(c, &pa, f[TC_LEAD], "lead", err, sizeof(err))) != STORE_OK)
		diag_add(d, file, line, "lead: %s", err);
	if (f[TC_OWNERS] && (rc = add_list(c, &pa, f[TC_OWNERS], "owner", err, sizeof(err))) != STORE_OK)
		diag_add(d, file, line, "owners: %s", err);
	if (f[TC_MEMBERS] && (rc = add_list(c, &pa, f[TC_MEMBERS], "member", err, sizeof(err))) != STORE_OK)
		diag_add(d, file, line, "members: %s", err);
	if (f[TC_SUP] && *f[TC_SUP] &&
	    (rc = add_assignee(c, &pa, f[TC_SUP], "supervisor", err, sizeof(err))) != STORE_OK)
		diag_add(d, file, line, "supervisor: %s", err);
	if ((rc = team_id(c, f[TC_TEAM], &t.team, err, sizeof(err))) != STORE_OK)
		diag_add(d, file, line, "%s", err);
	if (check_rules(c, t.rule_set, err, sizeof(err)) != 0)
		diag_add(d, file, line, "rules: %s", err);
	if (rc == STORE_ERROR)
		return rc;
	if (d->n != before)
		return STORE_OK;
	rc = store_task_add(c->st, &t, pa.a, pa.n, NULL, NULL);
	if (rc == STORE_EXISTS || rc == STORE_INVALID) {
		diag_add(d, file, line, "%s", store_errmsg(c->st));
		return STORE_OK;
	}
	return rc;
}

static int
task_import(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "encoding", required_argument, NULL, 'e' }, { "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	static const bool required[TC_N] = { false, true, true, true };
	struct csv_reader *r = NULL;
	struct csv_row row;
	struct diag d = { 0 };
	const char *encoding = NULL, *file;
	char err[512];
	int map[CSV_FIELDS_MAX], ch, rc = STORE_OK, code = EXIT_OK;
	bool header = true, dry = false, txn = false;
	size_t n = 0;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'e': encoding = optarg; break;
		case 'n': dry = true; break;
		case 'h': fputs(task_import_help, stdout); return EXIT_OK;
		default: fputs(task_import_help, stderr); return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc)
		return cli_err(EXIT_USAGE, "usage: duban task import FILE");
	file = argv[optind];
	if (cli_store(c) == NULL)
		return EXIT_FAIL;
	if (csv_open_file(file, encoding, &r, err, sizeof(err)) != 0)
		return cli_err(EXIT_USAGE, "%s", err);
	if ((rc = store_begin(c->st)) != STORE_OK)
		goto fail;
	txn = true;
	while ((ch = csv_read(r, &row, err, sizeof(err))) != 0) {
		char *f[TC_N] = { 0 };
		if (ch < 0) {
			diag_add(&d, NULL, 0, "%s", err);
			continue;
		}
		if (header) {
			header = false;
			if (cli_import_header(file, &row, map, CSV_FIELDS_MAX, task_cols, TC_N, required, &d) != 0)
				break;
			continue;
		}
		for (size_t i = 0; i < row.n; i++)
			if (map[i] >= 0)
				f[map[i]] = str_trim(strdup(row.field[i]));
			else if (*row.field[i])
				diag_add(&d, file, row.line, "more fields than the header has columns");
		rc = import_task_row(c, file, row.line, f, &d);
		for (int k = 0; k < TC_N; k++)
			free(f[k]);
		n++;
		if (rc != STORE_OK)
			goto fail;
	}
	if (header && d.n == 0)
		diag_add(&d, file, 0, "empty file: expected a header row");
	if (d.n || dry) {
		store_rollback(c->st);
	} else {
		char detail[64];
		snprintf(detail, sizeof(detail), "%zu tasks", n);
		if ((rc = store_event(c->st, c->actor, "task.import", file, detail)) != STORE_OK ||
		    (rc = store_commit(c->st)) != STORE_OK)
			goto fail;
	}
	if (d.n) {
		diag_print(&d, stderr);
		cli_err(EXIT_USAGE, "%s: %zu problem%s; nothing imported", file, d.n, d.n == 1 ? "" : "s");
		code = EXIT_USAGE;
	} else {
		printf("%s %zu tasks from %s\n", dry ? "would import" : "imported", n, file);
	}
	goto out;
fail:
	if (txn)
		store_rollback(c->st);
	cli_err(EXIT_FAIL, "%s", store_errmsg(c->st));
	code = EXIT_FAIL;
out:
	csv_close(r);
	diag_clear(&d);
	return code;
}

/* ---- dispatch ------------------------------------------------------------------- */

static const char task_help[] =
	"usage: duban task add --title T --deadline D --lead WHO [--owner WHO]... [--member WHO]...\n"
	"                      [--team GROUP] [--supervisor WHO] [--rules SET] [--code CODE]\n"
	"       duban task list [--status open|overdue|done|cancelled] [--format F]\n"
	"       duban task show CODE\n"
	"       duban task done CODE | cancel CODE | reopen CODE\n"
	"       duban task update CODE [--deadline D] [--lead WHO] ... (see --help)\n"
	"       duban task import FILE [--encoding auto|utf-8|gb18030] [--dry-run]\n"
	"\n"
	"Supervised tasks (督办事项).  \"duban task SUBCOMMAND --help\" tells more.\n";

int
cmd_task(struct cli *c, int argc, char **argv)
{
	static const struct cli_cmd cmds[] = {
		{ "add", task_add, NULL },       { "list", task_list, NULL },
		{ "show", task_show, NULL },     { "done", task_done, NULL },
		{ "cancel", task_cancel, NULL }, { "reopen", task_reopen, NULL },
		{ "update", task_update, NULL }, { "import", task_import, NULL },
		{ NULL, NULL, NULL },
	};
	return cli_dispatch(c, argc, argv, cmds, task_help);
}
