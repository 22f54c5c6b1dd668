/*
 * cmd_send.c - "duban send": queue a manual message to a phone number, or
 * a file of them.  The checks, the rows and the audit event are
 * outbox_send's and outbox_send_file's (core/outbox.c); this file parses
 * the command line and prints what was queued.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>

#include "base/phone.h"
#include "base/diag.h"
#include "cli/cli.h"
#include "base/i18n.h"
#include "core/ctx.h"
#include "core/outbox.h"

static const char send_help[] = N_(
	"usage: duban send [--urgent] PHONE TEXT\n"
	"       duban send [--urgent] --from-file FILE\n"
	"\n"
	"Queue a message to PHONE (written as a clerk types it: 138-0013-8000,\n"
	"+86 138 0013 8000 ...).  It is measured as the phone will count it, with\n"
	"the configured signature 【...】, and refused when it needs more than\n"
	"sms.max_parts SMS parts.  A number that belongs to someone in the people\n"
	"list is linked to them; someone who opted out (TD) is refused unless\n"
	"--urgent.  The running daemon sends it within a second (or run\n"
	"\"duban dispatch\").\n"
	"\n"
	"  --urgent          send before everything else, even in quiet hours\n"
	"  --from-file FILE  queue one message per line \"PHONE<TAB>TEXT\" (UTF-8;\n"
	"                    blank lines and lines starting with # are skipped).\n"
	"                    Every line is checked first: one bad line and nothing\n"
	"                    is queued (each problem is shown as FILE:LINE).\n");

static int
send_one(struct cli *c, const char *phone, const char *text, bool urgent)
{
	struct duban_ctx x;
	struct outbox_req rq = { .to = phone, .text = text, .urgent = urgent };
	struct outbox_queued q;
	char masked[PHONE_MAX];
	int rc;

	if (cli_ctx(c, &x) != 0)
		return EXIT_FAIL;
	if ((rc = outbox_send(&x, &rq, &q)) != ACTION_OK)
		return cli_action_err(&x, rc);
	printf(urgent ? _("queued #%" PRId64 " to %s (%d parts, %s, urgent)\n")
		      : _("queued #%" PRId64 " to %s (%d parts, %s)\n"),
	       q.id, phone_mask(q.phone, masked, sizeof(masked)), q.parts, q.encoding);
	return EXIT_OK;
}

static int
send_file(struct cli *c, const char *path, bool urgent)
{
	struct duban_ctx x;
	struct diag d = { 0 };
	struct outbox_file f;
	int rc;

	if (cli_ctx(c, &x) != 0)
		return EXIT_FAIL;
	rc = outbox_send_file(&x, path, urgent, &d, &f);
	diag_print(&d, stderr);
	diag_clear(&d);
	if (rc != ACTION_OK)
		return cli_action_err(&x, rc);
	if (f.count == 0)
		printf(_("%s: no messages in the file\n"), path);
	else
		printf(_("queued %zu messages (#%" PRId64 "-#%" PRId64 ")\n"), f.count, f.first, f.last);
	return EXIT_OK;
}

int
cmd_send(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "urgent", no_argument, NULL, 'u' },
		{ "from-file", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *file = NULL;
	bool urgent = false;
	int ch;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'u': urgent = true; break;
		case 'f': file = optarg; break;
		case 'h':
		default: return cli_show_help(send_help, ch == 'h');
		}
	}
	if (file ? optind != argc : optind + 2 != argc)
		return cli_show_help(send_help, false);
	if (file)
		return send_file(c, file, urgent);
	return send_one(c, argv[optind], argv[optind + 1], urgent);
}
