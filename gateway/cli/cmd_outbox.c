/*
 * cmd_outbox.c - "duban outbox list|retry|cancel": the outbox as a table
 * (numbers masked; "outbox show" is cmd_outbox_show.c), and the clerk's two actions on one message, queuing
 * it again and cancelling it (outbox_retry and outbox_cancel of
 * core/outbox.c).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli/cli.h"
#include "base/i18n.h"
#include "core/ctx.h"
#include "core/outbox.h"
#include "base/phone.h"
#include "base/array.h"
#include "base/str.h"
#include "base/zone.h"
#include "base/utf8.h"

/* ---- outbox list ------------------------------------------------------------------ */

static const char outbox_list_help[] = N_(
	"usage: duban outbox list [--status S] [--kind K] [--task CODE] [--person WHO]\n"
	"                         [--from DATE] [--to DATE] [--text TEXT] [--limit N]\n"
	"                         [--full] [--format table|csv|json]\n"
	"\n"
	"The outbox: every message queued, sent, failed or skipped, oldest first,\n"
	"with its text (in a table cut to fit the terminal; whole in csv and json,\n"
	"and in \"duban outbox show ID\").  Phone numbers are masked unless --full.\n"
	"  --status S     queued sending sent delivered failed expired cancelled skipped\n"
	"  --kind K       reminder escalation notice manual reply\n"
	"  --task CODE    the messages of a task\n"
	"  --person WHO   the messages to a person (phone number, a name only one\n"
	"                 person has, or #ID)\n"
	"  --from DATE    queued from DATE (00:00; or \"YYYY-MM-DD HH:MM\")\n"
	"  --to DATE      queued up to DATE (a date includes that whole day)\n"
	"  --text TEXT    whose text holds TEXT\n"
	"  --limit N      only the newest N\n");

/* What msg_row_add needs besides the table. */
struct msg_rows {
	struct table *t;
	bool full;      /* whole numbers */
	size_t textw;   /* a table's text column: at most this wide (0: whole) */
};

/* s on one line, cut to at most w display columns ("…" when cut), into out. */
static const char *
cut_text(const char *s, size_t w, char *out, size_t outlen)
{
	size_t used = 0, o = 0, total = utf8_width(s);

	for (size_t i = 0; s[i] && o + 8 < outlen;) {
		unsigned char ch = (unsigned char)s[i];
		size_t n = ch >= 0xf0 ? 4 : ch >= 0xe0 ? 3 : ch >= 0xc0 ? 2 : 1;
		size_t cw = n >= 3 ? 2 : 1;
		if (total > w && used + cw > w - 1) {
			memcpy(out + o, "\xe2\x80\xa6", 3); /* … */
			o += 3;
			break;
		}
		if (ch == '\n' || ch == '\r' || ch == '\t')
			out[o++] = ' ';
		else
			for (size_t k = 0; k < n && s[i + k]; k++)
				out[o++] = s[i + k];
		used += cw;
		i += n;
	}
	out[o] = '\0';
	return out;
}

static int
msg_row_add(void *arg, const struct message *m)
{
	struct msg_rows *mr = arg;
	char id[24], at[24], created[24], parts[12], att[12], masked[32], ref[32] = "", text[512];

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
		id, at, m->person_name ? m->person_name : "",
		mr->full ? m->phone : phone_mask(m->phone, masked, sizeof(masked)),
		m->kind, ref, m->step ? m->step : "", m->template_name ? m->template_name : "",
		m->status, parts, att, created, m->last_error ? m->last_error : "",
		mr->textw ? cut_text(m->body, mr->textw, text, sizeof(text)) : m->body,
	};
	return table_add(mr->t, cells);
}

/* The display width left for the text column of a table on this terminal. */
static size_t
text_width(void)
{
	struct winsize ws;
	size_t cols = 0;

	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
		cols = ws.ws_col;
	/* the other columns take some 120; a pipe gets a readable default */
	return cols > 150 ? cols - 120 : 30;
}

/* --from / --to: a local date (from 00:00, to the end of that day) or date and time. */
static int
parse_range(const char *s, bool to, int64_t *out)
{
	if (time_parse_local(s, to, out) != 0)
		return -1;
	if (to)
		*out += 60; /* exclusive: the whole last minute counts */
	return 0;
}

/* Resolve --task and --person into f; an exit code after printing why, or 0. */
static int
list_lookup(struct cli *c, const char *task, const char *who, struct msg_filter *f)
{
	int rc;

	if (task) {
		struct task tk = { 0 };
		if ((rc = store_task_find(c->st, task, &tk)) != STORE_OK)
			return cli_store_err(c, rc);
		f->task = tk.id;
		task_clear(&tk);
	}
	if (who) {
		struct person p = { 0 };
		if ((rc = store_person_find(c->st, who, &p)) != STORE_OK)
			return cli_store_err(c, rc);
		f->person = p.id;
		person_clear(&p);
	}
	return 0;
}

static int
outbox_list(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "status", required_argument, NULL, 's' }, { "kind", required_argument, NULL, 'k' },
		{ "task", required_argument, NULL, 't' },   { "limit", required_argument, NULL, 'l' },
		{ "person", required_argument, NULL, 'p' }, { "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 'T' },	    { "text", required_argument, NULL, 'x' },
		{ "full", no_argument, NULL, 'u' },	    { "format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },	    { NULL, 0, NULL, 0 },
	};
	static const char *const h[] = {
		NC_("column", "id"),	   NC_("column", "send_at"),  NC_("column", "name"),
		NC_("column", "phone"),	   NC_("column", "kind"),     NC_("column", "ref"),
		NC_("column", "step"),	   NC_("column", "template"), NC_("column", "status"),
		NC_("column", "parts"),	   NC_("column", "attempts"), NC_("column", "created"),
		NC_("column", "error"),	   NC_("column", "text"),
	};
	struct msg_filter f = { .newest = true };
	struct msg_rows mr = { 0 };
	const char *task = NULL, *who = NULL;
	long lim;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 's': f.status = optarg; break;
		case 'k': f.kind = optarg; break;
		case 't': task = optarg; break;
		case 'p': who = optarg; break;
		case 'x': f.text = optarg; break;
		case 'u': mr.full = true; break;
		case 'f':
		case 'T':
			if (parse_range(optarg, ch == 'T', ch == 'f' ? &f.from : &f.to) != 0)
				return cli_err(EXIT_USAGE, _("--%s \"%s\": expected YYYY-MM-DD[ HH:MM]"),
					       ch == 'f' ? "from" : "to", optarg);
			break;
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
	if ((rc = list_lookup(c, task, who, &f)) != 0)
		return rc;
	if ((mr.t = table_new(ARRAY_LEN(h), h, "isssesnnesisns")) == NULL)
		return EXIT_FAIL;
	mr.textw = c->fmt == FMT_TABLE ? text_width() : 0;
	rc = store_msg_each(c->st, &f, msg_row_add, &mr);
	return cli_print_table(c, mr.t, rc);
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
	"usage: duban outbox list [--status S] [--kind K] [--task CODE] [--person WHO]\n"
	"                         [--from DATE] [--to DATE] [--text TEXT] [--limit N] [--full]\n"
	"                         [--format F]\n"
	"       duban outbox show ID [--full] [--format F]\n"
	"       duban outbox retry ID\n"
	"       duban outbox cancel ID\n"
	"\n"
	"\"duban outbox SUBCOMMAND --help\" tells more.\n");

int
cmd_outbox(struct cli *c, int argc, char **argv)
{
	static const struct cli_cmd cmds[] = {
		{ "list", outbox_list, NULL },
		{ "show", cli_outbox_show, NULL },
		{ "retry", outbox_retry_cmd, NULL },
		{ "cancel", outbox_cancel_cmd, NULL },
		{ NULL, NULL, NULL },
	};
	return cli_dispatch(c, argc, argv, cmds, outbox_help);
}
