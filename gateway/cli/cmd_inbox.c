/*
 * cmd_inbox.c - "duban inbox ...": the replies (SMS sent back to duban)
 * that were no command duban could carry out, for staff to read and mark
 * as dealt with.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "base/i18n.h"
#include "core/ctx.h"
#include "core/reply.h"
#include "base/array.h"
#include "base/str.h"
#include "base/zone.h"

#define READ_MAX 256

/* ---- inbox ----------------------------------------------------------------------------- */

static const char inbox_list_help[] = N_(
	"usage: duban inbox list [--all] [--limit N] [--format table|csv|json]\n"
	"\n"
	"Replies (SMS sent back to duban) that wait for staff: anything that is no\n"
	"command, and commands duban could not carry out (a number nobody in the\n"
	"people list has, \"完成 T12\" from someone who is not the lead or an owner,\n"
	"a code that is no task).  Commands that were carried out (TD, 收到, 完成 T12)\n"
	"are in the list too with --all.  Oldest first; --limit shows the newest N.\n"
	"Columns: id, received (local time), from (the person, or empty), phone,\n"
	"text, action (what duban did), status (new, handled, read).  Mark a reply\n"
	"as dealt with by \"duban inbox read ID\".\n");

static int
inbox_row(void *arg, const struct inbound *in)
{
	char id[24], when[24];
	const char *cells[7];

	snprintf(id, sizeof(id), "%" PRId64, in->id);
	cells[0] = id;
	cells[1] = time_fmt_local(in->received_at, when, sizeof(when));
	cells[2] = in->person_name ? in->person_name : "";
	cells[3] = in->phone;
	cells[4] = in->text;
	cells[5] = in->action;
	cells[6] = in->status;
	return table_add(arg, cells);
}

static int
inbox_list(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "limit", required_argument, NULL, 'l' },
		{ "format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const h[] = {
		NC_("column", "id"), NC_("column", "received"), NC_("column", "from"),
		NC_("column", "phone"), NC_("column", "text"), NC_("column", "action"),
		NC_("column", "status"),
	};
	struct inbound_filter f = { .status = "new" };
	struct table *t;
	long limit;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'a': f.status = NULL; break;
		case 'l':
			if (parse_long(optarg, 1, 1000000, &limit) != 0)
				return cli_err(EXIT_USAGE,
					       _("--limit must be a number from 1 to 1000000"));
			f.limit = (size_t)limit;
			break;
		case 'F':
			if (cli_format_opt(c, optarg, false) != 0)
				return EXIT_USAGE;
			break;
		case 'h':
		default: return cli_show_help(inbox_list_help, ch == 'h');
		}
	}
	if (optind != argc)
		return cli_err(EXIT_USAGE, _("inbox list: unexpected argument \"%s\""), argv[optind]);
	if (cli_store(c) == NULL || (t = table_new(ARRAY_LEN(h), h, "issssee")) == NULL)
		return EXIT_FAIL;
	if ((rc = store_inbound_each(c->st, &f, inbox_row, t)) != STORE_OK) {
		table_free(t);
		return cli_err(EXIT_FAIL, "%s", store_errmsg(c->st));
	}
	if (table_rows(t) == 0 && c->fmt == FMT_TABLE)
		printf("%s\n",
		       f.status ? _("no replies waiting (duban inbox list --all shows every reply)")
				: _("no replies yet"));
	else
		table_print(t, c->fmt, stdout);
	table_free(t);
	return EXIT_OK;
}

static const char inbox_read_help[] = N_(
	"usage: duban inbox read ID...\n"
	"\n"
	"Mark replies as read (dealt with): they leave \"duban inbox list\".\n");

/* A reply id as staff write it: "31" or "#31"; 0 or -1. */
static int
reply_id(const char *s, int64_t *id)
{
	long v;

	if (parse_long(*s == '#' ? s + 1 : s, 1, INT32_MAX, &v) != 0)
		return -1;
	*id = v;
	return 0;
}

static int
inbox_read(struct cli *c, int argc, char **argv)
{
	struct duban_ctx x;
	int64_t ids[READ_MAX];
	int rc;

	if (cli_want_help(argc, argv, inbox_read_help))
		return EXIT_OK;
	if (argc < 2)
		return cli_show_help(inbox_read_help, false);
	if (argc - 1 > READ_MAX)
		return cli_err(EXIT_USAGE, _("at most %d replies at a time"), READ_MAX);
	for (int i = 1; i < argc; i++)
		if (reply_id(argv[i], &ids[i - 1]) != 0)
			return cli_err(EXIT_USAGE, _("\"%s\" is not a reply id"), argv[i]);
	if (cli_ctx(c, &x) != 0)
		return EXIT_FAIL;
	if ((rc = reply_mark_read(&x, ids, (size_t)argc - 1)) != ACTION_OK)
		return cli_action_err(&x, rc);
	printf(ngettext("%d reply marked read\n", "%d replies marked read\n", (unsigned long)(argc - 1)),
	       argc - 1);
	return EXIT_OK;
}

static const char inbox_help[] = N_(
	"usage: duban inbox list [--all] [--limit N] [--format table|csv|json]\n"
	"       duban inbox read ID...\n"
	"\n"
	"Replies (MO) for staff to read; see each command's --help.\n");

int
cmd_inbox(struct cli *c, int argc, char **argv)
{
	static const struct cli_cmd cmds[] = {
		{ "list", inbox_list, NULL },
		{ "read", inbox_read, NULL },
		{ NULL, NULL, NULL },
	};
	return cli_dispatch(c, argc, argv, cmds, inbox_help);
}
