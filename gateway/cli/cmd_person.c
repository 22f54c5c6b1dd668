/*
 * cmd_person.c - "duban person ...": the people the town keeps - add,
 * list, show, remove, opt out of notices and back in, and import from a
 * spreadsheet.  Each change is an action of core/person.c (or
 * core/import.c); this file reads argv and prints.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "base/i18n.h"
#include "core/ctx.h"
#include "core/import.h"
#include "core/person.h"
#include "base/phone.h"
#include "base/array.h"
#include "base/str.h"
#include "base/zone.h"

#define MAX_GROUPS_ARG 32

/* ---- person add ---------------------------------------------------------- */

static const char person_add_help[] = N_(
	"usage: duban person add --name NAME --phone PHONE [--title TITLE] [--org ORG]\n"
	"                        [--kind official|farmer|enterprise|other] [--group GROUP]...\n"
	"                        [--force]\n"
	"\n"
	"Add a person.  The phone number may be written as a clerk types it\n"
	"(138-0013-8000, +86 138 0013 8000, full-width digits ...); it is stored as\n"
	"+8613800138000.  A number someone already has is refused, naming them.  A\n"
	"name someone already has is refused too, naming them (to give them a new\n"
	"number use duban person update), unless --force: two people may share a\n"
	"name.  Groups that do not exist yet are created.  kind (also 干部, 农户,\n"
	"企业, 其他) defaults to other.\n");

static int
cmd_person_add(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' }, { "phone", required_argument, NULL, 'p' },
		{ "title", required_argument, NULL, 't' }, { "org", required_argument, NULL, 'o' },
		{ "kind", required_argument, NULL, 'k' }, { "group", required_argument, NULL, 'g' },
		{ "force", no_argument, NULL, 'f' },	  { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct person_new n = { 0 };
	struct duban_ctx x;
	char phone[PHONE_MAX];
	const char *groups[MAX_GROUPS_ARG], *reason;
	char *name = NULL;
	int64_t id;
	int ch, rc;

	n.groups = groups;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'n': name = optarg; break;
		case 'p': n.phone = optarg; break;
		case 't': n.title = optarg; break;
		case 'o': n.org = optarg; break;
		case 'k': n.kind = optarg; break;
		case 'f': n.force = true; break;
		case 'g':
			if (n.ngroups == MAX_GROUPS_ARG)
				return cli_err(EXIT_USAGE, _("at most %d --group options"), MAX_GROUPS_ARG);
			groups[n.ngroups++] = optarg;
			break;
		case 'h':
		default: return cli_show_help(person_add_help, ch == 'h');
		}
	}
	if (optind != argc)
		return cli_err(EXIT_USAGE, _("person add: unexpected argument \"%s\""), argv[optind]);
	if (name == NULL || *str_trim(name) == '\0' || n.phone == NULL)
		return cli_err(EXIT_USAGE, _("person add needs --name and --phone"));
	if (phone_normalize(n.phone, phone, sizeof(phone), &reason) != 0)
		return cli_err(EXIT_USAGE, _("--phone \"%s\": %s"), n.phone, reason);
	if (n.kind && !person_kind_valid(n.kind))
		return cli_err(EXIT_USAGE, _("--kind must be %s, not \"%s\""), _(PERSON_KINDS), n.kind);
	n.name = name;
	if (cli_ctx(c, &x) != 0)
		return EXIT_FAIL;
	if ((rc = person_add(&x, &n, &id, phone)) != ACTION_OK)
		return cli_action_err(&x, rc);
	printf(_("added #%lld %s %s\n"), (long long)id, n.name, phone);
	return EXIT_OK;
}

/* ---- person update / merge --------------------------------------------------- */

static const char person_update_help[] = N_(
	"usage: duban person update WHO [--name NAME] [--phone PHONE] [--title TITLE]\n"
	"                           [--org ORG] [--kind KIND] [--group +GROUP|-GROUP]...\n"
	"\n"
	"Change a person: only what is given changes.  Their id stays, and with it\n"
	"their tasks, groups and the messages sent to them; messages already queued\n"
	"go to the number they were queued for.  A new number someone else has is\n"
	"refused, naming them.  --group +G joins group G (made when missing), -G\n"
	"leaves it.  WHO is a phone number, a name only one person has, or #ID.\n");

static int
cmd_person_update(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' }, { "phone", required_argument, NULL, 'p' },
		{ "title", required_argument, NULL, 't' }, { "org", required_argument, NULL, 'o' },
		{ "kind", required_argument, NULL, 'k' }, { "group", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },	  { NULL, 0, NULL, 0 },
	};
	const char *join[MAX_GROUPS_ARG], *leave[MAX_GROUPS_ARG];
	struct person_edit e = { .join = join, .leave = leave };
	struct person p = { 0 };
	struct duban_ctx x;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'n': e.name = optarg; break;
		case 'p': e.phone = optarg; break;
		case 't': e.title = optarg; break;
		case 'o': e.org = optarg; break;
		case 'k': e.kind = optarg; break;
		case 'g':
			if ((*optarg != '+' && *optarg != '-') || optarg[1] == '\0')
				return cli_err(EXIT_USAGE, _("--group \"%s\": write +GROUP to join or -GROUP to leave"),
					       optarg);
			if (e.njoin == MAX_GROUPS_ARG || e.nleave == MAX_GROUPS_ARG)
				return cli_err(EXIT_USAGE, _("at most %d --group options"), MAX_GROUPS_ARG);
			if (*optarg == '+')
				join[e.njoin++] = optarg + 1;
			else
				leave[e.nleave++] = optarg + 1;
			break;
		case 'h':
		default: return cli_show_help(person_update_help, ch == 'h');
		}
	}
	if (optind + 1 != argc)
		return cli_err(EXIT_USAGE, "%s", _("usage: duban person update WHO [OPTIONS]"));
	if (e.kind && !person_kind_valid(e.kind))
		return cli_err(EXIT_USAGE, _("--kind must be %s, not \"%s\""), _(PERSON_KINDS), e.kind);
	if (cli_ctx(c, &x) != 0)
		return EXIT_FAIL;
	if ((rc = person_update(&x, argv[optind], &e, &p)) != ACTION_OK)
		return cli_action_err(&x, rc);
	printf(_("updated #%lld %s %s\n"), (long long)p.id, p.name, p.phone);
	person_clear(&p);
	return EXIT_OK;
}

static const char person_merge_help[] = N_(
	"usage: duban person merge WHO INTO\n"
	"\n"
	"WHO is a duplicate of INTO (the same person entered twice): move WHO's\n"
	"tasks, groups, messages, replies and opt-out to INTO, then remove WHO.\n"
	"INTO keeps their own name, number and id.  Each is a phone number, a name\n"
	"only one person has, or #ID.\n");

static int
cmd_person_merge(struct cli *c, int argc, char **argv)
{
	struct person into = { 0 }, from = { 0 };
	struct duban_ctx x;
	int rc;

	if (cli_want_help(argc, argv, person_merge_help))
		return EXIT_OK;
	if (argc != 3)
		return cli_err(EXIT_USAGE, "%s", _("usage: duban person merge WHO INTO"));
	if (cli_ctx(c, &x) != 0)
		return EXIT_FAIL;
	if ((rc = person_merge(&x, argv[1], argv[2], &into, &from)) != ACTION_OK)
		return cli_action_err(&x, rc);
	printf(_("merged #%lld %s %s into #%lld %s %s\n"), (long long)from.id, from.name, from.phone,
	       (long long)into.id, into.name, into.phone);
	person_clear(&into);
	person_clear(&from);
	return EXIT_OK;
}

/* ---- person list / show ---------------------------------------------------- */

static const char person_list_help[] = N_(
	"usage: duban person list [--group G] [--org O] [--kind K] [--search TEXT]\n"
	"                         [--format table|csv|json]\n"
	"\n"
	"List people (all, or those matching every filter given).  --format csv\n"
	"writes exactly the columns \"duban person import\" reads - name, phone,\n"
	"title, org, kind, groups and when they opted out, in the language's\n"
	"headers - so that a town moves to a new database with\n"
	"  duban person list --format csv > people.csv\n"
	"  duban -c new.cfg person import people.csv\n"
	"opt-outs included.  --format json has each person's id as well.\n");

int
cli_person_row(void *arg, const struct person *p)
{
	struct table *t = arg;
	char id[24], opt[24] = "";

	snprintf(id, sizeof(id), "%lld", (long long)p->id);
	if (p->opted_out_at)
		time_fmt_local(p->opted_out_at, opt, sizeof(opt));
	const char *cells[] = { id, p->name, p->phone, p->title, p->org, p->kind,
				p->groups ? p->groups : "", opt };
	return table_add(t, cells);
}

struct table *
cli_person_table(void)
{
	static const char *const h[] = { NC_("column", "id"),	 NC_("column", "name"),
					 NC_("column", "phone"), NC_("person", "title"),
					 NC_("column", "org"),	 NC_("column", "kind"),
					 NC_("column", "groups"), NC_("column", "opted_out") };
	struct table *t = table_new(ARRAY_LEN(h), h, "issssenn");

	if (t)
		table_set_context(t, "person");
	return t;
}

static int
person_list(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "group", required_argument, NULL, 'g' }, { "org", required_argument, NULL, 'o' },
		{ "kind", required_argument, NULL, 'k' }, { "search", required_argument, NULL, 's' },
		{ "format", required_argument, NULL, 'F' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct person_filter f = { 0 };
	struct table *t;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'g': f.group = optarg; break;
		case 'o': f.org = optarg; break;
		case 'k': f.kind = optarg; break;
		case 's': f.search = optarg; break;
		case 'F': if (cli_format_opt(c, optarg, true) != 0) return EXIT_USAGE; break;
		case 'h':
		default: return cli_show_help(person_list_help, ch == 'h');
		}
	}
	if (optind != argc)
		return cli_err(EXIT_USAGE, _("person list: unexpected argument \"%s\""), argv[optind]);
	if (cli_store(c) == NULL || (t = cli_person_table()) == NULL)
		return EXIT_FAIL;
	/* CSV is what person import reads back: the id is the database's own */
	if (table_csv_omit(t, 0) != 0) {
		table_free(t);
		return EXIT_FAIL;
	}
	rc = store_person_each(c->st, &f, cli_person_row, t);
	return cli_print_table(c, t, rc);
}

static const char person_show_help[] = N_(
	"usage: duban person show WHO [--format table|csv|json]\n"
	"\n"
	"Show one person with their groups, their tasks and the latest messages\n"
	"sent to them (\"duban outbox show ID\" shows one whole; \"duban outbox list\n"
	"--person WHO\" every one).  WHO is a phone number, a name only one person\n"
	"has, or #ID.  --format json holds the tasks and messages too.\n");

static int
task_line(void *arg, const struct task *t)
{
	char dl[24];
	(void)arg;
	printf("  %-5s %s  %s  (%s)\n", t->code, time_fmt_local(t->deadline, dl, sizeof(dl)),
	       t->title, C_("value", t->status));
	return 0;
}

static int
recent_line(void *arg, const struct message *m)
{
	char at[24];
	(void)arg;
	printf("  #%-6lld %s  %-6s %-6s %s\n", (long long)m->id,
	       time_fmt_local(m->not_before, at, sizeof(at)), C_("value", m->kind),
	       C_("value", m->status), m->body);
	return 0;
}

static int
person_show(struct cli *c, int argc, char **argv)
{
	struct person p = { 0 };
	struct person_filter f = { 0 };
	struct task_filter tf = { 0 };
	struct msg_filter mf = { .limit = 10, .newest = true };
	struct table *t;
	const char *who;
	int rc;

	if (cli_format_args(c, argc, argv, "person show", person_show_help, true, &who, &rc) != 0)
		return rc;
	if (who == NULL)
		return cli_err(EXIT_USAGE, _("usage: duban person show WHO"));
	if (cli_store(c) == NULL)
		return EXIT_FAIL;
	if ((rc = store_person_find(c->st, who, &p)) != STORE_OK)
		return cli_store_err(c, rc);
	if ((t = cli_person_table()) == NULL) {
		person_clear(&p);
		return EXIT_FAIL;
	}
	f.id = p.id;
	if ((rc = store_person_each(c->st, &f, cli_person_row, t)) != STORE_OK) {
		cli_err(EXIT_FAIL, "%s", store_errmsg(c->st));
		goto out;
	}
	if (c->fmt != FMT_TABLE) {
		rc = cli_print_show(c, t, SHOW_PERSON, p.id) == EXIT_OK ? STORE_OK : STORE_ERROR;
		goto out;
	}
	printf(_("#%lld %s\n  phone:  %s\n  title:  %s\n  org:    %s\n  kind:   %s\n"),
	       (long long)p.id, p.name, p.phone, p.title, p.org, p.kind);
	printf(_("  groups: %s\n"), table_cell(t, 0, 6));
	if (p.opted_out_at) {
		char ts[24];
		printf(_("  opted out of notices: %s\n"), time_fmt_local(p.opted_out_at, ts, sizeof(ts)));
	}
	printf(_("tasks:\n"));
	tf.person = p.id;
	rc = store_task_each(c->st, &tf, task_line, NULL);
	mf.person = p.id;
	printf(_("latest messages:\n"));
	if (rc == STORE_OK)
		rc = store_msg_each(c->st, &mf, recent_line, NULL);
out:
	table_free(t);
	person_clear(&p);
	return rc == STORE_OK ? EXIT_OK : EXIT_FAIL;
}

/* ---- person remove / optout / optin --------------------------------------- */

static const char person_remove_help[] = N_(
	"usage: duban person remove WHO\n"
	"\n"
	"Remove a person and their group memberships.  Refused while they are\n"
	"assigned to a task (reassign it first with duban task update).  Messages\n"
	"already sent to them stay in the outbox for the record.\n");

static int
cmd_person_remove(struct cli *c, int argc, char **argv)
{
	struct person p = { 0 };
	struct duban_ctx x;
	int rc;

	if (cli_want_help(argc, argv, person_remove_help))
		return EXIT_OK;
	if (argc != 2)
		return cli_err(EXIT_USAGE, _("usage: duban person remove WHO"));
	if (cli_ctx(c, &x) != 0)
		return EXIT_FAIL;
	if ((rc = person_remove(&x, argv[1], &p)) != ACTION_OK)
		return cli_action_err(&x, rc);
	printf(_("removed #%lld %s\n"), (long long)p.id, p.name);
	person_clear(&p);
	return EXIT_OK;
}

static const char person_optout_help[] = N_(
	"usage: duban person optout WHO\n"
	"       duban person optin WHO\n"
	"\n"
	"Stop (or resume) policy notices to a person.  An opted-out person gets no\n"
	"notices; reminders to officials about tasks they are responsible for are\n"
	"NOT blocked by an opt-out, because they are part of the official's duty.\n");

static int
cmd_person_optinout(struct cli *c, int argc, char **argv, bool out)
{
	struct person p = { 0 };
	struct duban_ctx x;
	bool changed;
	int rc;

	if (cli_want_help(argc, argv, person_optout_help))
		return EXIT_OK;
	if (argc != 2)
		return cli_err(EXIT_USAGE, _("usage: duban person %s WHO"), out ? "optout" : "optin");
	if (cli_ctx(c, &x) != 0)
		return EXIT_FAIL;
	rc = out ? person_optout(&x, argv[1], &p, &changed) : person_optin(&x, argv[1], &p, &changed);
	if (rc != ACTION_OK)
		return cli_action_err(&x, rc);
	if (changed)
		printf(out ? _("opted out #%lld %s\n") : _("opted in #%lld %s\n"), (long long)p.id,
		       p.name);
	else
		printf(out ? _("#%lld %s is already opted out\n") : _("#%lld %s is already opted in\n"),
		       (long long)p.id, p.name);
	person_clear(&p);
	return EXIT_OK;
}

static int
cmd_person_optout(struct cli *c, int argc, char **argv)
{
	return cmd_person_optinout(c, argc, argv, true);
}

static int
cmd_person_optin(struct cli *c, int argc, char **argv)
{
	return cmd_person_optinout(c, argc, argv, false);
}

/* ---- person import ----------------------------------------------------------- */

static const char person_import_help[] = N_(
	"usage: duban person import FILE [--encoding auto|utf-8|gb18030] [--update] [--dry-run]\n"
	"\n"
	"Import people from a spreadsheet saved as CSV (RFC 4180; UTF-8 with or\n"
	"without BOM, or GB18030/GBK as Excel in China writes it, detected when the\n"
	"file is not valid UTF-8).  The first row that is not empty names the\n"
	"columns, in any order, each by any of its names (English in any case):\n"
	"  name       姓名 名字                                  (required)\n"
	"  phone      手机 手机号 手机号码 联系电话 电话 mobile   (required)\n"
	"  title      职务 职位\n"
	"  org        单位 所在单位 工作单位 所属单位\n"
	"  kind       类别 人员类别 类型: official 干部 村干部, farmer 农户 村民,\n"
	"             enterprise 企业, other 其他 (the default)\n"
	"  groups     分组 所属分组: separated by ; ； 、 , or ，, made when missing\n"
	"  opted_out  退订 退订时间: when the person opted out of notices (a date),\n"
	"             or 是/否\n"
	"Other columns (序号, 备注 ...) are ignored and named once; empty rows are\n"
	"skipped.  A phone number the file has twice is refused; so is one the\n"
	"database has, unless --update: then that person - or the only one with\n"
	"the row's name and org, when the number changed - is updated (name, phone,\n"
	"title, org, kind; groups are joined), keeping their tasks and messages.\n"
	"The import is all or nothing: each problem is reported once as FILE:LINE:\n"
	"reason with the rows that have it, and then nothing is changed.\n");

static void
people_imported(const char *file, bool dry, const struct import_result *res)
{
	if (res->updated || res->unchanged)
		printf(dry ? _("would import %zu people from %s: %zu added, %zu updated, %zu unchanged\n")
			   : _("imported %zu people from %s: %zu added, %zu updated, %zu unchanged\n"),
		       res->rows, file, res->added, res->updated, res->unchanged);
	else
		printf(dry ? _("would import %zu people from %s (%zu groups)\n")
			   : _("imported %zu people from %s (%zu groups)\n"),
		       res->rows, file, res->groups);
}

static int
cmd_person_import(struct cli *c, int argc, char **argv)
{
	return cli_import(c, argc, argv, "person", person_import_help, true, import_people,
			  people_imported);
}

/* ---- dispatch ------------------------------------------------------------------ */

static const char person_help[] = N_(
	"usage: duban person add --name NAME --phone PHONE [--title T] [--org O] [--kind K] [--group G]...\n"
	"                        [--force]\n"
	"       duban person list [--group G] [--org O] [--kind K] [--search TEXT] [--format F]\n"
	"       duban person show WHO\n"
	"       duban person update WHO [--name N] [--phone P] [--title T] [--org O] [--kind K]\n"
	"                               [--group +G|-G]...\n"
	"       duban person merge WHO INTO\n"
	"       duban person remove WHO\n"
	"       duban person import FILE [--encoding auto|utf-8|gb18030] [--update] [--dry-run]\n"
	"       duban person optout WHO | optin WHO\n"
	"\n"
	"WHO is a phone number, a name only one person has, or #ID.\n"
	"\"duban person SUBCOMMAND --help\" tells more.\n");

int
cmd_person(struct cli *c, int argc, char **argv)
{
	static const struct cli_cmd cmds[] = {
		{ "add", cmd_person_add, NULL },       { "list", person_list, NULL },
		{ "show", person_show, NULL },         { "remove", cmd_person_remove, NULL },
		{ "update", cmd_person_update, NULL }, { "merge", cmd_person_merge, NULL },
		{ "import", cmd_person_import, NULL }, { "optout", cmd_person_optout, NULL },
		{ "optin", cmd_person_optin, NULL },   { NULL, NULL, NULL },
	};
	return cli_dispatch(c, argc, argv, cmds, person_help);
}

