/*
 * cmd_notice.c - "duban notice ...": broadcasting policy notices to groups
 * of officials and farmers (send, with a dry run and a confirmation), and
 * following them up (list, show, cancel, resend the failed ones, approve
 * when notices.require_approval is set).  The audience, rendering and
 * queuing are notice.c's; this file parses, asks and prints.
 *
 * Phone numbers are shown in full here: the clerk must be able to call a
 * farmer whose notice failed.  Only the logs mask them.
 */
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/notice.h"
#include "base/phone.h"
#include "base/array.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/zone.h"

#define BY_MAX 160

/* ---- shared helpers ------------------------------------------------------------ */

/* Resolve WHO to "NAME (#ID)" for the record; prints why not. */
static int
who_string(struct cli *c, const char *who, char *out, size_t outlen)
{
	struct person p = { 0 };
	int rc;

	rc = store_person_find(c->st, who, &p);
	if (rc != STORE_OK)
		return cli_err(cli_store_exit(rc), "--by: %s", store_errmsg(c->st));
	snprintf(out, outlen, "%s (#%lld)", p.name, (long long)p.id);
	person_clear(&p);
	return 0;
}

/* The clerk at the keyboard when no --by is given: "cli:LOGIN". */
static void
login_string(char *out, size_t outlen)
{
	struct passwd *pw = getpwuid(getuid());

	snprintf(out, outlen, "cli:%s", pw && pw->pw_name ? pw->pw_name : "unknown");
}

static int
find_notice(struct cli *c, const char *ref, struct notice *n)
{
	int64_t id;
	int rc;

	if (notice_parse_id(ref, &id) != 0)
		return cli_err(EXIT_USAGE, "\"%s\" is not a notice (N12, #12 or 12)", ref);
	if ((rc = store_notice_get(c->st, id, n)) != STORE_OK)
		return cli_err(cli_store_exit(rc), "%s", store_errmsg(c->st));
	return 0;
}

/* The status a clerk reads: pending, scheduled, queued (rows waiting), done, cancelled. */
static const char *
shown_status(const struct notice *n, const struct notice_counts *k, int64_t now)
{
	if (strcmp(n->status, "pending") == 0 || strcmp(n->status, "cancelled") == 0)
		return n->status;
	if (n->send_at > now)
		return "scheduled";
	return k->queued + k->sending > 0 ? "queued" : "done";
}

/* One line per selector, joined with ", " into out. */
static const char *
audience_line(const char *text, char *out, size_t outlen)
{
	size_t j = 0;

	for (const char *p = text; *p && j + 3 < outlen; p++) {
		if (*p == '\n') {
			out[j++] = ',';
			out[j++] = ' ';
		} else {
			out[j++] = *p;
		}
	}
	out[j] = '\0';
	return out;
}

/* Print what a notice will send and cost (dry run, confirmation, approval). */
static void
print_plan(struct cli *c, const struct notice_plan *p, int64_t send_at, int64_t now)
{
	struct tm tm;
	char when[24];

	printf("recipients:  %lld\n", (long long)p->recipients);
	printf("left out:    %lld (opted out of notices)\n", (long long)p->opted_out);
	if (send_at > now)
		printf("send at:     %s\n", time_fmt_local(send_at, when, sizeof(when)));
	else
		printf("send at:     now\n");
	time_local(send_at > now ? send_at : now, &tm);
	if (config_in_quiet(&c->cfg->quiet, tm.tm_hour * 60 + tm.tm_min))
		printf("             (in the quiet hours: held until %02d:%02d)\n",
		       c->cfg->quiet.to / 60, c->cfg->quiet.to % 60);
	if (p->mixed_encoding)
		printf("encoding:    GSM-7 or UCS-2 (per recipient)\n");
	else
		printf("encoding:    %s (%zu characters with the signature)\n",
		       sms_encoding_name(p->encoding), p->chars);
	if (p->parts_min == p->parts_max)
		printf("parts:       %u per message\n", p->parts_max);
	else
		printf("parts:       %u to %u per message\n", p->parts_min, p->parts_max);
	printf("total parts: %lld\n", (long long)p->total_parts);
	if (p->text_for)
		printf("text (as %s gets it):\n", p->text_for);
	else
		printf("text:\n");
	printf("%s%s%s%s\n", *c->cfg->signature ? "【" : "", c->cfg->signature,
	       *c->cfg->signature ? "】" : "", p->text ? p->text : "");
}

/*
 * Before queuing to more than notices.confirm_over people: ask on a
 * terminal; refuse without one unless --yes.  0 to go on, else an exit code.
 */
static int
confirm(struct cli *c, const struct notice_plan *p, int64_t send_at, int64_t now, bool yes)
{
	char line[16];

	if (yes || p->recipients <= (int64_t)c->cfg->notices.confirm_over)
		return 0;
	if (!isatty(STDIN_FILENO))
		return cli_err(EXIT_USAGE,
			       "%lld recipients is more than notices.confirm_over (%lu) and there is "
			       "no terminal to ask: check with --dry-run, then add --yes",
			       (long long)p->recipients, c->cfg->notices.confirm_over);
	print_plan(c, p, send_at, now);
	printf("send to %lld people? [y/N] ", (long long)p->recipients);
	fflush(stdout);
	if (fgets(line, sizeof(line), stdin) == NULL ||
	    (strcmp(line, "y\n") != 0 && strcmp(line, "Y\n") != 0 && strcmp(line, "yes\n") != 0))
		return cli_err(EXIT_FAIL, "not sent");
	return 0;
}

/* ---- notice send --------------------------------------------------------------- */

static const char send_help[] =
	"usage: duban notice send --to SELECTOR... (--text TEXT | --template NAME [--var K=V]...)\n"
	"                         [--title TITLE] [--at \"YYYY-MM-DD HH:MM\"] [--by WHO]\n"
	"                         [--dry-run] [--yes]\n"
	"\n"
	"Broadcast a policy notice.  The audience is the union of the selectors,\n"
	"each person once:\n"
	"  --to group:NAME    the members of a group (农户-小雄村)\n"
	"  --to person:WHO    one person (phone number, a name only one person has, #ID)\n"
	"  --to org:NAME      everyone of an organisation (小雄村)\n"
	"  --to kind:KIND     everyone of a kind: official, farmer, enterprise, other\n"
	"People who opted out (duban person optout, or replying TD) are left out and\n"
	"counted.  A selector that selects nobody is refused.\n"
	"\n"
	"  --text TEXT        the text, sent as written\n"
	"  --template NAME    a template of templates_dir; every {{var.K}} it uses needs\n"
	"                     --var K=V, {{notice.title}} needs --title; a template that\n"
	"                     uses {{person.name}} is rendered for each recipient\n"
	"  --title TITLE      a short name for lists (default: the template name or the\n"
	"                     start of the text)\n"
	"  --at TIME          queue now, but send no earlier than TIME (local time);\n"
	"                     quiet hours still hold it\n"
	"  --by WHO           who is creating it, for the audit log (default: cli:LOGIN)\n"
	"  --dry-run          change nothing; print the number of recipients, the text\n"
	"                     with its encoding, SMS parts per message and in total\n"
	"                     (what the town pays for), and who is left out and why\n"
	"  --yes              do not ask.  Before sending to more than\n"
	"                     notices.confirm_over people (default 100) duban prints what\n"
	"                     the dry run prints and asks \"send to N people? [y/N]\" when\n"
	"                     standard input is a terminal; without a terminal it refuses\n"
	"                     unless --yes is given.\n"
	"\n"
	"With notices.require_approval = true the notice waits as pending, with nothing\n"
	"queued, until \"duban notice approve ID --by WHO\".  Notices go at bulk\n"
	"priority: reminders to officials are sent first.\n";

struct send_args {
	const char *to[NOTICE_SELECTORS_MAX * 4];
	size_t nto;
	const char *text, *template_name, *title, *at, *by;
	char *vars[NOTICE_VARS_MAX];
	size_t nvars;
	bool dry, yes;
};

static int
check_var_arg(const char *v)
{
	const char *eq = strchr(v, '=');

	if (eq == NULL || eq == v || strchr(v, '\n'))
		return -1;
	for (const char *p = v; p < eq; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_'))
			return -1;
	return 0;
}

static int
parse_send(int argc, char **argv, struct send_args *a)
{
	static const struct option opts[] = {
		{ "to", required_argument, NULL, 't' },	      { "text", required_argument, NULL, 'x' },
		{ "template", required_argument, NULL, 'T' }, { "var", required_argument, NULL, 'v' },
		{ "title", required_argument, NULL, 'i' },    { "at", required_argument, NULL, 'a' },
		{ "by", required_argument, NULL, 'b' },	      { "dry-run", no_argument, NULL, 'n' },
		{ "yes", no_argument, NULL, 'y' },	      { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 't':
			if (a->nto == ARRAY_LEN(a->to))
				return cli_err(EXIT_USAGE, "too many --to selectors");
			a->to[a->nto++] = optarg;
			break;
		case 'x': a->text = optarg; break;
		case 'T': a->template_name = optarg; break;
		case 'v':
			if (a->nvars == NOTICE_VARS_MAX || check_var_arg(optarg) != 0)
				return cli_err(EXIT_USAGE,
					       "--var takes KEY=VALUE (KEY of letters, digits and _; "
					       "one line; at most %d)", NOTICE_VARS_MAX);
			a->vars[a->nvars++] = optarg;
			break;
		case 'i': a->title = optarg; break;
		case 'a': a->at = optarg; break;
		case 'b': a->by = optarg; break;
		case 'n': a->dry = true; break;
		case 'y': a->yes = true; break;
		case 'h': fputs(send_help, stdout); return -1;
		default: fputs(send_help, stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc)
		return cli_err(EXIT_USAGE, "notice send: unexpected argument \"%s\"", argv[optind]);
	if (a->nto == 0)
		return cli_err(EXIT_USAGE, "notice send needs at least one --to SELECTOR");
	if ((a->text == NULL) == (a->template_name == NULL))
		return cli_err(EXIT_USAGE, "notice send needs --text TEXT or --template NAME (one of them)");
	if (a->nvars && a->text)
		return cli_err(EXIT_USAGE, "--var goes with --template, not with --text");
	if (a->title && (strchr(a->title, '\n') || strlen(a->title) > 200))
		return cli_err(EXIT_USAGE, "--title must be one line of at most 200 bytes");
	return 0;
}

/* A default title: the template's name, or the text's first 20 characters. */
static void
default_title(const struct send_args *a, char *out, size_t outlen)
{
	size_t n = 0, chars = 0;
	const char *s = a->text;

	if (a->template_name) {
		snprintf(out, outlen, "%s", a->template_name);
		return;
	}
	while (s[n] && s[n] != '\n' && chars < 20) {
		size_t len = 1;
		while ((s[n + len] & 0xC0) == 0x80)
			len++;
		if (n + len + 4 >= outlen)
			break;
		n += len;
		chars++;
	}
	memcpy(out, s, n);
	snprintf(out + n, outlen - n, "%s", s[n] && s[n] != '\n' ? "…" : "");
}

/* vars as "k=v" lines for the notice's record; malloc'd or NULL when none. */
static char *
vars_text(char *const *vars, size_t n)
{
	struct buf b;

	if (n == 0)
		return NULL;
	buf_init(&b, 16 * 1024);
	for (size_t i = 0; i < n; i++)
		if (buf_printf(&b, "%s%s", i ? "\n" : "", vars[i]) != 0) {
			buf_free(&b);
			return NULL;
		}
	return buf_steal(&b);
}

/* Queue (or leave pending) notice nt: one transaction with its messages and the audit event. */
static int
create_notice(struct cli *c, struct notice *nt, const struct notice_audience *aud,
	      const struct notice_content *nc, const struct notice_plan *plan, int64_t *id,
	      int64_t *queued)
{
	char err[512], obj[32], detail[160];
	int rc;

	*queued = 0;
	if ((rc = store_begin(c->st)) != STORE_OK || (rc = store_notice_add(c->st, nt, id)) != STORE_OK)
		goto fail_store;
	if (strcmp(nt->status, "pending") != 0) {
		if ((rc = notice_queue(c->st, *id, aud, nc, plan, nt->template_name, nt->send_at,
				       queued, err, sizeof(err))) != STORE_OK)
			goto fail;
		if ((rc = store_notice_update(c->st, *id, nt->status, NULL, *queued, plan->opted_out)) !=
		    STORE_OK)
			goto fail_store;
	}
	snprintf(obj, sizeof(obj), "N%lld", (long long)*id);
	snprintf(detail, sizeof(detail), "%s: %lld recipients, %lld opted out", nt->status,
		 (long long)(strcmp(nt->status, "pending") ? *queued : plan->recipients),
		 (long long)plan->opted_out);
	if ((rc = store_event(c->st, nt->created_by, "notice.create", obj, detail)) != STORE_OK ||
	    (rc = store_commit(c->st)) != STORE_OK)
		goto fail_store;
	return 0;
fail_store:
	snprintf(err, sizeof(err), "%s", store_errmsg(c->st));
fail:
	store_rollback(c->st);
	return cli_err(cli_store_exit(rc), "%s", err);
}

/* Resolve every --to; 0 or an exit code. */
static int
resolve_audience(struct cli *c, const struct send_args *a, struct notice_audience *aud)
{
	char err[512];
	int rc;

	for (size_t i = 0; i < a->nto; i++)
		if ((rc = notice_audience_add(aud, c->st, a->to[i], true, err, sizeof(err))) != STORE_OK)
			return cli_err(cli_store_exit(rc), "--to %s", err);
	return 0;
}

static int
notice_send(struct cli *c, int argc, char **argv)
{
	struct send_args a = { 0 };
	struct notice_audience aud = { 0 };
	struct notice_plan plan = { 0 };
	struct notice nt = { 0 };
	struct notice_content nc = { 0 };
	char err[512], by[BY_MAX], title[128], when[24];
	int64_t now = time_now(), send_at = now, id, queued;
	int code;

	if ((code = parse_send(argc, argv, &a)) != 0)
		return code < 0 ? EXIT_OK : code;
	nc = (struct notice_content){ .text = a.text, .title = a.title, .vars = a.vars,
				      .nvars = a.nvars, .signature = c->cfg->signature,
				      .max_parts = c->cfg->max_parts, .now = now };
	if (a.template_name && (nc.tmpl = tmpl_set_get(c->tmpls, a.template_name)) == NULL)
		return cli_err(EXIT_USAGE, "no template \"%s\" in %s", a.template_name,
			       c->cfg->templates_dir);
	if (notice_check(&nc, err, sizeof(err)) != 0)
		return cli_err(EXIT_USAGE, "%s", err);
	if (a.at && (time_parse_local(a.at, false, &send_at) != 0 || send_at + 60 <= now))
		return cli_err(EXIT_USAGE, "--at \"%s\": %s", a.at,
			       send_at + 60 <= now ? "that time has passed"
						   : "expected \"YYYY-MM-DD HH:MM\" (local time)");
	if (cli_store(c) == NULL)
		return EXIT_FAIL;
	if (a.by)
		code = who_string(c, a.by, by, sizeof(by));
	else
		login_string(by, sizeof(by));
	if (code != 0 || (code = resolve_audience(c, &a, &aud)) != 0)
		goto out;
	if ((code = notice_plan(c->st, &aud, &nc, &plan, err, sizeof(err))) != STORE_OK) {
		code = cli_err(cli_store_exit(code), "%s", err);
		goto out;
	}
	if (plan.recipients == 0) {
		code = cli_err(EXIT_USAGE, "nobody to send to: all %lld people selected opted out",
			       (long long)plan.opted_out);
		goto out;
	}
	if (a.dry) {
		printf("dry run: nothing is queued\n");
		print_plan(c, &plan, send_at, now);
		goto out;
	}
	if (!c->cfg->notices.require_approval && (code = confirm(c, &plan, send_at, now, a.yes)) != 0)
		goto out;
	if (a.title == NULL)
		default_title(&a, title, sizeof(title));
	nt = (struct notice){ .title = (char *)(a.title ? a.title : title), .body = plan.text,
			      .template_name = (char *)a.template_name,
			      .vars = vars_text(a.vars, a.nvars), .send_at = send_at,
			      .status = c->cfg->notices.require_approval ? "pending"
					: send_at > now			  ? "scheduled"
									  : "queued",
			      .recipients = plan.recipients, .opted_out = plan.opted_out,
			      .created_by = by, .created_at = now };
	if (nt.body == NULL || (a.nvars && nt.vars == NULL)) {
		code = cli_err(EXIT_FAIL, "out of memory");
		goto out;
	}
	nt.audience = notice_audience_text(&aud);
	if (nt.audience == NULL) {
		code = cli_err(EXIT_FAIL, "out of memory");
		goto out;
	}
	if ((code = create_notice(c, &nt, &aud, &nc, &plan, &id, &queued)) != 0)
		goto out;
	if (strcmp(nt.status, "pending") == 0)
		printf("notice N%lld waits for approval: %lld people, %lld SMS parts; "
		       "approve with: duban notice approve N%lld --by WHO\n",
		       (long long)id, (long long)plan.recipients, (long long)plan.total_parts,
		       (long long)id);
	else
		printf("notice N%lld %s %s: %lld people, %lld SMS parts (%lld opted out, left out)\n",
		       (long long)id, strcmp(nt.status, "scheduled") == 0 ? "scheduled for" : "queued",
		       strcmp(nt.status, "scheduled") == 0 ? time_fmt_local(send_at, when, sizeof(when))
							    : "now",
		       (long long)queued, (long long)plan.total_parts, (long long)plan.opted_out);
out:
	free(nt.vars);
	free(nt.audience);
	notice_plan_clear(&plan);
	notice_audience_free(&aud);
	return code;
}

/* ---- notice list ------------------------------------------------------------------- */

static const char list_help[] =
	"usage: duban notice list [--format table|csv|json]\n"
	"\n"
	"Every notice, oldest first: when it goes, its title, its status (pending:\n"
	"waiting for approval; scheduled: --at still ahead; queued: messages still\n"
	"waiting to be sent; done; cancelled), who created and approved it, and where\n"
	"its messages are (a person counts once, by their latest message).\n";

struct list_ctx {
	struct table *t;
	int64_t now;
};

static int
list_row(void *arg, const struct notice *n, const struct notice_counts *k)
{
	struct list_ctx *lc = arg;
	char id[24], at[24], rec[24], opt[24], q[24], s[24], d[24], f[24];

	snprintf(id, sizeof(id), "%lld", (long long)n->id);
	time_fmt_local(n->send_at, at, sizeof(at));
	snprintf(rec, sizeof(rec), "%lld", (long long)n->recipients);
	snprintf(opt, sizeof(opt), "%lld", (long long)n->opted_out);
	snprintf(q, sizeof(q), "%lld", (long long)(k->queued + k->sending));
	snprintf(s, sizeof(s), "%lld", (long long)(k->sent + k->delivered));
	snprintf(d, sizeof(d), "%lld", (long long)k->delivered);
	snprintf(f, sizeof(f), "%lld", (long long)k->failed);
	const char *cells[] = { id, at, n->title, shown_status(n, k, lc->now), rec, opt, q, s, d, f,
				n->created_by, n->approved_by ? n->approved_by : "" };
	return table_add(lc->t, cells);
}

static int
parse_format_only(struct cli *c, int argc, char **argv, const char *help, const char **arg,
		  bool *failed)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'F' }, { "failed", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'F':
			if (cli_parse_format(optarg, &c->fmt) != 0)
				return cli_err(EXIT_USAGE, "--format must be table, csv or json");
			break;
		case 'f':
			if (failed == NULL)
				return cli_err(EXIT_USAGE, "%s: unknown option --failed", argv[0]);
			*failed = true;
			break;
		case 'h': fputs(help, stdout); return -1;
		default: fputs(help, stderr); return EXIT_USAGE;
		}
	}
	if (arg == NULL ? optind != argc : optind + 1 != argc)
		return cli_err(EXIT_USAGE, "usage: duban notice %s%s", argv[0], arg ? " ID" : "");
	if (arg)
		*arg = argv[optind];
	return 0;
}

static int
notice_list(struct cli *c, int argc, char **argv)
{
	static const char *const h[] = { "id", "send_at", "title", "status", "recipients",
					 "opted_out", "waiting", "sent", "delivered", "failed",
					 "created_by", "approved_by" };
	struct list_ctx lc = { .now = time_now() };
	int code, rc;

	if ((code = parse_format_only(c, argc, argv, list_help, NULL, NULL)) != 0)
		return code < 0 ? EXIT_OK : code;
	if (cli_store(c) == NULL || (lc.t = table_new(ARRAY_LEN(h), h, "isssiiiiiisn")) == NULL)
		return EXIT_FAIL;
	rc = store_notice_each(c->st, list_row, &lc);
	if (rc == STORE_OK)
		table_print(lc.t, c->fmt, stdout);
	else
		cli_err(EXIT_FAIL, "%s", store_errmsg(c->st));
	table_free(lc.t);
	return rc == STORE_OK ? EXIT_OK : EXIT_FAIL;
}

/* ---- notice show ----------------------------------------------------------------------- */

static const char show_help[] =
	"usage: duban notice show ID [--failed] [--format table|csv|json]\n"
	"\n"
	"One notice (N12, #12 or 12): what it says, to whom, and how many of its\n"
	"messages are queued, being sent, sent, delivered, failed, expired or\n"
	"cancelled, and how many people were left out because they opted out.  A\n"
	"person counts once, by their latest message (a resend replaces a failure).\n"
	"\n"
	"  --failed   list the people whose message failed: name, full phone number\n"
	"             (to call them), the provider's reason, attempts, when\n";

static int
failed_row(void *arg, const struct message *m)
{
	char at[24] = "", att[12];

	snprintf(att, sizeof(att), "%d", m->attempts);
	if (m->final_at)
		time_fmt_local(m->final_at, at, sizeof(at));
	const char *cells[] = { m->person_name ? m->person_name : "", m->phone,
				m->last_error ? m->last_error : "", att, at,
				m->provider ? m->provider : "" };
	return table_add(arg, cells);
}

static int
show_failed(struct cli *c, const struct notice *n)
{
	static const char *const h[] = { "name", "phone", "reason", "attempts", "failed_at",
					 "provider" };
	struct table *t = table_new(ARRAY_LEN(h), h, "sssisn");
	int rc;

	if (t == NULL)
		return EXIT_FAIL;
	rc = store_notice_failed_each(c->st, n->id, failed_row, t);
	if (rc == STORE_OK)
		table_print(t, c->fmt, stdout);
	else
		cli_err(EXIT_FAIL, "%s", store_errmsg(c->st));
	table_free(t);
	return rc == STORE_OK ? EXIT_OK : EXIT_FAIL;
}

/* The counts as one row (csv, json) or as status/count lines (table). */
static int
show_counts(struct cli *c, const struct notice *n, const struct notice_counts *k, int64_t now)
{
	static const char *const h[] = { "id", "title", "status", "send_at", "recipients", "queued",
					 "sending", "sent", "delivered", "failed", "expired",
					 "cancelled", "opted_out", "resent", "parts_sent" };
	const int64_t v[] = { n->id, 0, 0, 0, n->recipients, k->queued, k->sending, k->sent,
			      k->delivered, k->failed, k->expired, k->cancelled, n->opted_out,
			      k->resent, k->parts };
	char num[ARRAY_LEN(h)][24], at[24];
	const char *cells[ARRAY_LEN(h)];
	struct table *t;

	if (c->fmt == FMT_TABLE) {
		for (size_t i = 5; i < ARRAY_LEN(h); i++)
			printf("  %-11s %lld\n", strcmp(h[i], "opted_out") == 0    ? "opted out"
						  : strcmp(h[i], "parts_sent") == 0 ? "parts sent"
										    : h[i],
			       (long long)v[i]);
		return EXIT_OK;
	}
	for (size_t i = 0; i < ARRAY_LEN(h); i++) {
		snprintf(num[i], sizeof(num[i]), "%lld", (long long)v[i]);
		cells[i] = num[i];
	}
	cells[1] = n->title;
	cells[2] = shown_status(n, k, now);
	cells[3] = time_fmt_local(n->send_at, at, sizeof(at));
	if ((t = table_new(ARRAY_LEN(h), h, "isssiiiiiiiiiii")) == NULL || table_add(t, cells) != 0) {
		table_free(t);
		return EXIT_FAIL;
	}
	table_print(t, c->fmt, stdout);
	table_free(t);
	return EXIT_OK;
}

static int
notice_show(struct cli *c, int argc, char **argv)
{
	struct notice n = { 0 };
	struct notice_counts k;
	const char *ref;
	char created[24], at[24], aud[1024];
	const struct tmpl *tp;
	bool failed = false;
	int64_t now = time_now();
	int code;

	if ((code = parse_format_only(c, argc, argv, show_help, &ref, &failed)) != 0)
		return code < 0 ? EXIT_OK : code;
	if (cli_store(c) == NULL)
		return EXIT_FAIL;
	if ((code = find_notice(c, ref, &n)) != 0)
		return code;
	if (failed) {
		code = show_failed(c, &n);
		goto out;
	}
	if (store_notice_counts(c->st, n.id, &k) != STORE_OK) {
		code = cli_err(EXIT_FAIL, "%s", store_errmsg(c->st));
		goto out;
	}
	if (c->fmt == FMT_TABLE) {
		printf("N%lld %s (%s)\n", (long long)n.id, n.title, shown_status(&n, &k, now));
		printf("  created     %s by %s\n", time_fmt_local(n.created_at, created, sizeof(created)),
		       n.created_by);
		if (n.approved_by)
			printf("  approved    by %s\n", n.approved_by);
		printf("  send at     %s\n", time_fmt_local(n.send_at, at, sizeof(at)));
		printf("  audience    %s\n", audience_line(n.audience, aud, sizeof(aud)));
		if (n.template_name)
			printf("  template    %s\n", n.template_name);
		tp = n.template_name ? tmpl_set_get(c->tmpls, n.template_name) : NULL;
		printf("  text        %s%s\n", tp && tmpl_uses_prefix(tp, "person.") ? "(per person) " : "",
		       n.body);
		printf("  recipients  %lld\n", (long long)n.recipients);
	}
	code = show_counts(c, &n, &k, now);
out:
	notice_clear(&n);
	return code;
}

/* ---- notice cancel / resend ---------------------------------------------------------------- */

static const char cancel_help[] =
	"usage: duban notice cancel ID\n"
	"\n"
	"Cancel a notice: its messages not yet sent are cancelled; those already\n"
	"sent stay sent, and those a dispatcher is sending at this moment finish.\n"
	"A notice waiting for approval is simply dropped.\n";

static int
notice_cancel(struct cli *c, int argc, char **argv)
{
	struct notice n = { 0 };
	const char *ref;
	char obj[32], detail[128], actor[BY_MAX];
	int64_t cancelled = 0, sent = 0, sending = 0;
	int code, rc;

	if ((code = parse_format_only(c, argc, argv, cancel_help, &ref, NULL)) != 0)
		return code < 0 ? EXIT_OK : code;
	if (cli_store(c) == NULL)
		return EXIT_FAIL;
	if ((code = find_notice(c, ref, &n)) != 0)
		return code;
	if (strcmp(n.status, "cancelled") == 0) {
		printf("notice N%lld was already cancelled\n", (long long)n.id);
		goto out;
	}
	snprintf(obj, sizeof(obj), "N%lld", (long long)n.id);
	if ((rc = store_begin(c->st)) != STORE_OK ||
	    (rc = store_notice_cancel(c->st, n.id, time_now(), &cancelled, &sent, &sending)) !=
		    STORE_OK)
		goto fail;
	snprintf(detail, sizeof(detail), "%lld cancelled, %lld sent, %lld being sent",
		 (long long)cancelled, (long long)sent, (long long)sending);
	login_string(actor, sizeof(actor));
	if ((rc = store_event(c->st, actor, "notice.cancel", obj, detail)) != STORE_OK ||
	    (rc = store_commit(c->st)) != STORE_OK)
		goto fail;
	if (strcmp(n.status, "pending") == 0)
		printf("cancelled notice N%lld (it was waiting for approval; nothing was queued)\n",
		       (long long)n.id);
	else
		printf("cancelled notice N%lld: %lld unsent messages cancelled, %lld already sent "
		       "stay sent, %lld being sent now\n",
		       (long long)n.id, (long long)cancelled, (long long)sent, (long long)sending);
	goto out;
fail:
	store_rollback(c->st);
	code = cli_err(cli_store_exit(rc), "%s", store_errmsg(c->st));
out:
	notice_clear(&n);
	return code;
}

static const char resend_help[] =
	"usage: duban notice resend ID --failed\n"
	"\n"
	"Queue the notice again to every person whose message failed (see \"duban\n"
	"notice show ID --failed\"), once: to their current phone number, with the\n"
	"same text.  Running it again before those are sent queues nothing more;\n"
	"if a resend fails too, the next resend tries once more.  People who have\n"
	"opted out since are left out.\n";

static int
notice_resend(struct cli *c, int argc, char **argv)
{
	struct notice n = { 0 };
	const char *ref;
	char obj[32], detail[128], actor[BY_MAX];
	bool failed = false;
	int64_t queued = 0, opted = 0;
	int code, rc;

	if ((code = parse_format_only(c, argc, argv, resend_help, &ref, &failed)) != 0)
		return code < 0 ? EXIT_OK : code;
	if (!failed)
		return cli_err(EXIT_USAGE, "usage: duban notice resend ID --failed");
	if (cli_store(c) == NULL)
		return EXIT_FAIL;
	if ((code = find_notice(c, ref, &n)) != 0)
		return code;
	if (strcmp(n.status, "pending") == 0 || strcmp(n.status, "cancelled") == 0) {
		code = cli_err(EXIT_USAGE, "notice N%lld is %s: nothing to resend", (long long)n.id,
			       n.status);
		goto out;
	}
	snprintf(obj, sizeof(obj), "N%lld", (long long)n.id);
	if ((rc = store_begin(c->st)) != STORE_OK ||
	    (rc = store_notice_resend(c->st, n.id, time_now(), &queued, &opted)) != STORE_OK)
		goto fail;
	snprintf(detail, sizeof(detail), "%lld queued again, %lld opted out", (long long)queued,
		 (long long)opted);
	login_string(actor, sizeof(actor));
	if ((rc = store_event(c->st, actor, "notice.resend", obj, detail)) != STORE_OK ||
	    (rc = store_commit(c->st)) != STORE_OK)
		goto fail;
	if (queued == 0 && opted == 0) {
		printf("notice N%lld: no failed messages to resend\n", (long long)n.id);
		goto out;
	}
	printf("notice N%lld: %lld failed messages queued again", (long long)n.id, (long long)queued);
	if (opted)
		printf(" (%lld opted out since, left out)", (long long)opted);
	putchar('\n');
	goto out;
fail:
	store_rollback(c->st);
	code = cli_err(cli_store_exit(rc), "%s", store_errmsg(c->st));
out:
	notice_clear(&n);
	return code;
}

/* ---- notice approve ------------------------------------------------------------------------ */

static const char approve_help[] =
	"usage: duban notice approve ID --by WHO [--yes]\n"
	"\n"
	"Approve a notice waiting as pending (notices.require_approval = true) and\n"
	"queue it: to its audience as it is now (people who opted out meanwhile are\n"
	"left out), at its --at time or now.  WHO, the approver, is a phone number,\n"
	"a name only one person has, or #ID; the audit log records who created the\n"
	"notice and who approved it, and nobody approves their own notice.  Over\n"
	"notices.confirm_over recipients it asks first, as notice send does\n"
	"(--yes: do not ask).\n";

/* Split "k=v\nk=v" (modified in place) into vars; returns the count. */
static size_t
split_vars(char *text, char **vars, size_t max)
{
	char *save = NULL, *line;
	size_t n = 0;

	for (line = strtok_r(text, "\n", &save); line && n < max; line = strtok_r(NULL, "\n", &save))
		vars[n++] = line;
	return n;
}

/* Queue an approved notice in one transaction, if it is still pending. */
static int
queue_approved(struct cli *c, const struct notice *n, const struct notice_audience *aud,
	       const struct notice_content *nc, const struct notice_plan *plan, const char *by,
	       int64_t *queued)
{
	struct notice again = { 0 };
	char err[512], obj[32], detail[160];
	const char *status = n->send_at > nc->now ? "scheduled" : "queued";
	int rc;

	if ((rc = store_begin(c->st)) != STORE_OK || (rc = store_notice_get(c->st, n->id, &again)) != STORE_OK)
		goto fail_store;
	if (strcmp(again.status, "pending") != 0) {
		snprintf(err, sizeof(err), "notice N%lld is %s now, not pending", (long long)n->id,
			 again.status);
		rc = STORE_INVALID;
		goto fail;
	}
	if ((rc = notice_queue(c->st, n->id, aud, nc, plan, n->template_name, n->send_at, queued, err,
			       sizeof(err))) != STORE_OK)
		goto fail;
	snprintf(obj, sizeof(obj), "N%lld", (long long)n->id);
	snprintf(detail, sizeof(detail), "%s: %lld recipients, %lld opted out; created by %s", status,
		 (long long)*queued, (long long)plan->opted_out, n->created_by);
	if ((rc = store_notice_update(c->st, n->id, status, by, *queued, plan->opted_out)) != STORE_OK ||
	    (rc = store_event(c->st, by, "notice.approve", obj, detail)) != STORE_OK ||
	    (rc = store_commit(c->st)) != STORE_OK)
		goto fail_store;
	notice_clear(&again);
	return 0;
fail_store:
	snprintf(err, sizeof(err), "%s", store_errmsg(c->st));
fail:
	store_rollback(c->st);
	notice_clear(&again);
	return cli_err(cli_store_exit(rc), "%s", err);
}

/* The content of a stored notice: its text as reviewed, or its template again when personal. */
static int
stored_content(struct cli *c, const struct notice *n, struct notice_content *nc, char *vars_buf,
	       char **vars)
{
	nc->text = n->body;
	nc->title = n->title;
	nc->signature = c->cfg->signature;
	nc->max_parts = c->cfg->max_parts;
	nc->now = time_now();
	if (n->template_name == NULL)
		return 0;
	const struct tmpl *tp = tmpl_set_get(c->tmpls, n->template_name);
	if (tp == NULL)
		return cli_err(EXIT_FAIL, "template \"%s\" of notice N%lld is no longer in %s",
			       n->template_name, (long long)n->id, c->cfg->templates_dir);
	nc->vars = vars;
	nc->nvars = vars_buf ? split_vars(vars_buf, vars, NOTICE_VARS_MAX) : 0;
	nc->tmpl = tp;
	if (!notice_is_personal(nc))
		nc->tmpl = NULL; /* the text the creator saw is the text that goes */
	return 0;
}

static int
notice_approve(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "by", required_argument, NULL, 'b' }, { "yes", no_argument, NULL, 'y' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	struct notice n = { 0 };
	struct notice_audience aud = { 0 };
	struct notice_content nc = { 0 };
	struct notice_plan plan = { 0 };
	const char *who = NULL;
	char by[BY_MAX], err[512], *vars_buf = NULL, *vars[NOTICE_VARS_MAX];
	bool yes = false;
	int64_t queued = 0;
	int ch, code, rc;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'b': who = optarg; break;
		case 'y': yes = true; break;
		case 'h': fputs(approve_help, stdout); return EXIT_OK;
		default: fputs(approve_help, stderr); return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc || who == NULL)
		return cli_err(EXIT_USAGE, "usage: duban notice approve ID --by WHO");
	if (cli_store(c) == NULL)
		return EXIT_FAIL;
	if ((code = find_notice(c, argv[optind], &n)) != 0)
		return code;
	if ((code = who_string(c, who, by, sizeof(by))) != 0)
		goto out;
	if (strcmp(n.status, "pending") != 0) {
		code = cli_err(EXIT_USAGE, "notice N%lld is %s, not waiting for approval",
			       (long long)n.id, n.status);
		goto out;
	}
	if (strcmp(n.created_by, by) == 0) {
		code = cli_err(EXIT_USAGE, "%s created notice N%lld and cannot approve it too", by,
			       (long long)n.id);
		goto out;
	}
	if ((rc = notice_audience_parse(&aud, c->st, n.audience, err, sizeof(err))) != STORE_OK) {
		code = cli_err(cli_store_exit(rc), "notice N%lld: its audience %s", (long long)n.id, err);
		goto out;
	}
	if (n.vars && (vars_buf = strdup(n.vars)) == NULL) {
		code = cli_err(EXIT_FAIL, "out of memory");
		goto out;
	}
	if ((code = stored_content(c, &n, &nc, vars_buf, vars)) != 0)
		goto out;
	if ((rc = notice_plan(c->st, &aud, &nc, &plan, err, sizeof(err))) != STORE_OK) {
		code = cli_err(cli_store_exit(rc), "%s", err);
		goto out;
	}
	if (plan.recipients == 0) {
		code = cli_err(EXIT_USAGE, "nobody to send to: all %lld people selected opted out",
			       (long long)plan.opted_out);
		goto out;
	}
	if ((code = confirm(c, &plan, n.send_at, nc.now, yes)) != 0 ||
	    (code = queue_approved(c, &n, &aud, &nc, &plan, by, &queued)) != 0)
		goto out;
	printf("notice N%lld approved by %s: %lld people, %lld SMS parts (%lld opted out, left out)\n",
	       (long long)n.id, by, (long long)queued, (long long)plan.total_parts,
	       (long long)plan.opted_out);
out:
	free(vars_buf);
	notice_plan_clear(&plan);
	notice_audience_free(&aud);
	notice_clear(&n);
	return code;
}

/* ---- the group ------------------------------------------------------------------------------ */

static const char notice_help[] =
	"usage: duban notice send --to SELECTOR... (--text TEXT | --template NAME [--var K=V]...)\n"
	"                         [--title T] [--at TIME] [--by WHO] [--dry-run] [--yes]\n"
	"       duban notice list [--format F]\n"
	"       duban notice show ID [--failed] [--format F]\n"
	"       duban notice cancel ID\n"
	"       duban notice resend ID --failed\n"
	"       duban notice approve ID --by WHO [--yes]\n"
	"\n"
	"Policy notices to officials, farmers and enterprises.  SELECTOR is\n"
	"group:NAME, person:WHO, org:NAME or kind:KIND; people who opted out get no\n"
	"notices (reminders about an official's own tasks are not affected).\n"
	"\"duban notice SUBCOMMAND --help\" tells more.\n";

int
cmd_notice(struct cli *c, int argc, char **argv)
{
	static const struct cli_cmd cmds[] = {
		{ "send", notice_send, NULL },	   { "list", notice_list, NULL },
		{ "show", notice_show, NULL },	   { "cancel", notice_cancel, NULL },
		{ "resend", notice_resend, NULL }, { "approve", notice_approve, NULL },
		{ NULL, NULL, NULL },
	};
	return cli_dispatch(c, argc, argv, cmds, notice_help);
}
