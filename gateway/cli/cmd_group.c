/*
 * cmd_group.c - "duban group ...": groups of people (镇领导班子, 村两委-小雄村,
 * 农户-小雄村 ...), which are a task's team and a notice's audience.  Each
 * change is an action of core/person.c; this file reads argv and prints.
 */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "base/i18n.h"
#include "core/ctx.h"
#include "core/person.h"

/* ---- groups ----------------------------------------------------------------- */

static const char group_help[] = N_(
	"usage: duban group add NAME [--description TEXT]\n"
	"       duban group list [--format table|csv|json]\n"
	"       duban group show NAME [--format table|csv|json]\n"
	"       duban group remove NAME\n"
	"       duban group add-member NAME WHO...\n"
	"       duban group remove-member NAME WHO...\n"
	"\n"
	"Groups of people: 镇领导班子, 村两委-小雄村, 农户-小雄村 ...  A task's team is a\n"
	"group; notices go to groups.  Removing a group keeps its people.\n"
	"WHO is a phone number, a name only one person has, or #ID.\n");

static int
cmd_group_add(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "description", required_argument, NULL, 'd' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct duban_ctx x;
	const char *desc = "";
	int ch, rc;
	int64_t id;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': desc = optarg; break;
		case 'h':
		default: return cli_show_help(group_help, ch == 'h');
		}
	}
	if (optind + 1 != argc || *argv[optind] == '\0')
		return cli_err(EXIT_USAGE, _("usage: duban group add NAME [--description TEXT]"));
	if (cli_ctx(c, &x) != 0)
		return EXIT_FAIL;
	if ((rc = group_add(&x, argv[optind], desc, &id)) != ACTION_OK)
		return cli_action_err(&x, rc);
	printf(_("added group #%lld %s\n"), (long long)id, argv[optind]);
	return EXIT_OK;
}

static int
group_row_add(void *arg, const struct group *g)
{
	char id[24], n[24];
	snprintf(id, sizeof(id), "%lld", (long long)g->id);
	snprintf(n, sizeof(n), "%lld", (long long)g->members);
	const char *cells[] = { id, g->name, n, g->description };
	return table_add(arg, cells);
}

static int
group_list(struct cli *c, int argc, char **argv)
{
	static const char *const h[] = {
		NC_("column", "id"), NC_("column", "name"), NC_("column", "members"),
		NC_("column", "description"),
	};
	struct table *t;
	int code, rc;

	if (cli_format_args(c, argc, argv, "group list", group_help, true, NULL, &code) != 0)
		return code;
	if (cli_store(c) == NULL || (t = table_new(4, h, "isis")) == NULL)
		return EXIT_FAIL;
	rc = store_group_each(c->st, group_row_add, t);
	return cli_print_table(c, t, rc);
}

static int
group_show(struct cli *c, int argc, char **argv)
{
	struct person_filter f = { 0 };
	struct group g = { 0 };
	struct table *t;
	const char *name;
	int code, rc;

	if (cli_format_args(c, argc, argv, "group show", group_help, true, &name, &code) != 0)
		return code;
	if (name == NULL)
		return cli_err(EXIT_USAGE, _("usage: duban group show NAME"));
	if (cli_store(c) == NULL)
		return EXIT_FAIL;
	if ((rc = store_group_find(c->st, name, false, &g)) != STORE_OK)
		return cli_store_err(c, rc);
	if ((t = cli_person_table()) == NULL) {
		group_clear(&g);
		return EXIT_FAIL;
	}
	f.group = name;
	rc = store_person_each(c->st, &f, cli_person_row, t);
	if (rc == STORE_OK && c->fmt == FMT_TABLE)
		printf(_("%s: %lld members%s%s\n"), g.name, (long long)g.members,
		       *g.description ? " - " : "", g.description);
	group_clear(&g);
	return cli_print_table(c, t, rc);
}

static int
cmd_group_remove(struct cli *c, int argc, char **argv)
{
	struct group g = { 0 };
	struct duban_ctx x;
	int rc;

	if (cli_want_help(argc, argv, group_help))
		return EXIT_OK;
	if (argc != 2)
		return cli_err(EXIT_USAGE, _("usage: duban group remove NAME"));
	if (cli_ctx(c, &x) != 0)
		return EXIT_FAIL;
	if ((rc = group_remove(&x, argv[1], &g)) != ACTION_OK)
		return cli_action_err(&x, rc);
	printf(_("removed group %s (%lld members kept as people)\n"), g.name, (long long)g.members);
	group_clear(&g);
	return EXIT_OK;
}

struct member_note {
	const char *group;
	bool add;
};

/* Someone who was in the group already, or not in it: say so, as a note. */
static void
member_note(void *arg, const struct person *p, bool changed)
{
	const struct member_note *m = arg;

	if (!changed)
		fprintf(stderr, m->add ? _("duban: %s is already in %s\n") : _("duban: %s is not in %s\n"),
			p->name, m->group);
}

static int
cmd_group_members(struct cli *c, int argc, char **argv, bool add)
{
	struct member_note note = { argc > 1 ? argv[1] : "", add };
	struct duban_ctx x;
	size_t changed;
	int rc;

	if (cli_want_help(argc, argv, group_help))
		return EXIT_OK;
	if (argc < 3)
		return cli_err(EXIT_USAGE, _("usage: duban group %s NAME WHO..."), argv[0]);
	if (cli_ctx(c, &x) != 0)
		return EXIT_FAIL;
	if ((rc = group_members(&x, argv[1], (const char *const *)argv + 2, (size_t)argc - 2, add,
				member_note, &note, &changed)) != ACTION_OK)
		return cli_action_err(&x, rc);
	if (add)
		printf(ngettext("added %zu member to %s\n", "added %zu members to %s\n", changed),
		       changed, argv[1]);
	else
		printf(ngettext("removed %zu member from %s\n", "removed %zu members from %s\n",
				changed), changed, argv[1]);
	return EXIT_OK;
}

static int
group_add_member(struct cli *c, int argc, char **argv)
{
	return cmd_group_members(c, argc, argv, true);
}

static int
group_remove_member(struct cli *c, int argc, char **argv)
{
	return cmd_group_members(c, argc, argv, false);
}

int
cmd_group(struct cli *c, int argc, char **argv)
{
	static const struct cli_cmd cmds[] = {
		{ "add", cmd_group_add, NULL },
		{ "list", group_list, NULL },
		{ "show", group_show, NULL },
		{ "remove", cmd_group_remove, NULL },
		{ "add-member", group_add_member, NULL },
		{ "remove-member", group_remove_member, NULL },
		{ NULL, NULL, NULL },
	};
	return cli_dispatch(c, argc, argv, cmds, group_help);
}
