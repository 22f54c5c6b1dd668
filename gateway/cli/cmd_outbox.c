/*
 * cmd_outbox.c - "duban outbox list|retry|cancel": the outbox as a table
 * (numbers masked), and the clerk's two actions on one message, queuing
 * it again and cancelling it (outbox_retry and outbox_cancel of
 * core/outbox.c).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "base/i18n.h"
#include "core/ctx.h"
#include "core/outbox.h"
#include "base/phone.h"
#include "base/array.h"
#include "base/str.h"
#include "base/zone.h"

/* ---- outbox list ------------------------------------------------------------------ */

static const char outbox_list_help[] = N_(
	"usage: duban outbox list [--status S] [--kind K] [--task CODE] [--limit N]\n"
	"                         [--format table|csv|json]\n"
	"\n"
	"The outbox: every message queued, sent, failed or skipped, oldest first.\n"
	"Phone numbers are masked.  status: queued sending sent delivered failed\n"
	"expired cancelled skipped; kind: reminder escalation notice manual reply.\n");

static int
msg_row_add(void *arg, const struct message *m)
{
	char id[24], at[24], created[24], parts[12], att[12], masked[32], ref[32] = "";

	snprintf(id, sizeof(id), "%lld", (long long)m->id);
	snprintf(parts, sizeof(parts), "%d", m->parts);
	snprintf(att, sizeof(att), "%d", m->attempts);
	time_fmt_local(m->not_before, at, sizeof(at));
	time_fmt_local(m->created_at, created, sizeof(created));
	if (m->task_code)
		snprintf(ref, sizeof(ref), "%s", m->task_code);
	else if (m->notice)
		snprintf(ref, sizeof(ref), "N%lld", (long long)m->notice);
	const char *cells[] = {
		id, at, m->person_name ? m->person_name : "", phone_mask(m->phone, masked, sizeof(masked)),
		m->kind, ref, m->step ? m->step : "", m->template_name ? m->template_name : "",
		m->status, parts, att, created, m->last_error ? m->last_error : "",
	};
	return table_add(arg, cells);
}

static int
outbox_list(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "status", required_argument, NULL, 's' }, { "kind", required_argument, NULL, 'k' },
		{ "task", required_argument, NULL, 't' },   { "limit", required_argument, NULL, 'l' },
		{ "format", required_argument, NULL, 'F' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const h[] = { NC_("column", "id"), NC_("column", "send_at"), NC_("column", "name"), NC_("column", "phone"), NC_("column", "kind"), NC_("column", "ref"), NC_("column", "step"),
					 NC_("column", "template"), NC_("column", "status"), NC_("column", "parts"), NC_("column", "attempts"), NC_("column", "created"),
					 NC_("column", "error") };
	struct msg_filter f = { 0 };
	const char *task = NULL;
	struct table *t;
	long lim;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 's': f.status = optarg; break;
		case 'k': f.kind = optarg; break;
		case 't': task = optarg; break;
		case 'l':
			if (parse_long(optarg, 1, 100000000, &lim) != 0)
				return cli_err(EXIT_USAGE, _("--limit must be a positive number"));
			f.limit = (size_t)lim;
			break;
		case 'F':
			if (cli_format_opt(c, optarg, false) != 0)
				return EXIT_USAGE;
			break;
		case 'h':
		default: return cli_show_help(outbox_list_help, ch == 'h');
		}
	}
	if (optind != argc)
		return cli_err(EXIT_USAGE, _("outbox list: unexpected argument \"%s\""), argv[optind]);
	if (cli_store(c) == NULL)
		return EXIT_FAIL;
	if (task) {
		struct task tk = { 0 };
		if ((rc = store_task_find(c->st, task, &tk)) != STORE_OK)
			return cli_store_err(c, rc);
		f.task = tk.id;
		task_clear(&tk);
	}
	if ((t = table_new(ARRAY_LEN(h), h, "isssesnnesisn")) == NULL)
		return EXIT_FAIL;
	rc = store_msg_each(c->st, &f, msg_row_add, t);
	return cli_print_table(c, t, rc);
}

/* ---- outbox retry / cancel ----------------------------------------------------------- */

static const char retry_help[] = N_(
	"usage: duban outbox retry ID\n"
	"\n"
	"Queue message ID again: a failed, expired, cancelled or skipped message is\n"
	"sent afresh (attempts from 0, no expiry), a queued one waiting for its\n"
	"retry becomes due now.  A message already sent is refused: it would reach\n"
	"the phone twice (queue a new one with duban send).\n");

static int
outbox_retry_cmd(struct cli *c, int argc, char **argv)
{
	struct duban_ctx x;
	char old[16];
	int64_t id;
	int rc;

	if (cli_want_help(argc, argv, retry_help))
		return EXIT_OK;
	if (argc != 2 || outbox_parse_id(argv[1], &id) != 0)
		return cli_show_help(retry_help, false);
	if (cli_ctx(c, &x) != 0)
		return EXIT_FAIL;
	if ((rc = outbox_retry(&x, id, old, sizeof(old))) != ACTION_OK)
		return cli_action_err(&x, rc);
	printf(_("message #%" PRId64 " (was %s) is queued again\n"), id, C_("value", old));
	return EXIT_OK;
}

static const char cancel_help[] = N_(
	"usage: duban outbox cancel ID\n"
	"\n"
	"Cancel queued message ID so that it is never sent.  A message being sent\n"
	"right now, or already sent, cannot be cancelled.\n");

static int
outbox_cancel_cmd(struct cli *c, int argc, char **argv)
{
	struct duban_ctx x;
	int64_t id;
	int rc;

	if (cli_want_help(argc, argv, cancel_help))
		return EXIT_OK;
	if (argc != 2 || outbox_parse_id(argv[1], &id) != 0)
		return cli_show_help(cancel_help, false);
	if (cli_ctx(c, &x) != 0)
		return EXIT_FAIL;
	if ((rc = outbox_cancel(&x, id, NULL, 0)) != ACTION_OK)
		return cli_action_err(&x, rc);
	printf(_("message #%" PRId64 " cancelled\n"), id);
	return EXIT_OK;
}

/* ---- the group ---------------------------------------------------------------------- */

static const char outbox_help[] = N_(
	"usage: duban outbox list [--status S] [--kind K] [--task CODE] [--limit N] [--format F]\n"
	"       duban outbox retry ID\n"
	"       duban outbox cancel ID\n"
	"\n"
	"\"duban outbox SUBCOMMAND --help\" tells more.\n");

int
cmd_outbox(struct cli *c, int argc, char **argv)
{
	static const struct cli_cmd cmds[] = {
		{ "list", outbox_list, NULL },
		{ "retry", outbox_retry_cmd, NULL },
		{ "cancel", outbox_cancel_cmd, NULL },
		{ NULL, NULL, NULL },
	};
	return cli_dispatch(c, argc, argv, cmds, outbox_help);
}
