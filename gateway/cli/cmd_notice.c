/*
 * cmd_notice.c - "duban notice ...": broadcasting policy notices to groups
 * of officials and farmers (send, with a dry run and a confirmation), and
 * following them up (list, show, cancel, resend the failed ones, approve
 * when notices.require_approval is set).  The rules, the rows and the
 * audit events are the actions of notice.c (notice_create, notice_approve,
 * notice_cancel, notice_resend); this file parses, asks and prints.
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
#include "core/ctx.h"
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

/* A notice reference (N12, #12 or 12) to its id; prints why not. */
static int
parse_notice(const char *ref, int64_t *id)
{
	if (notice_parse_id(ref, id) != 0)
		return cli_err(EXIT_USAGE, "\"%s\" is not a notice (N12, #12 or 12)", ref);
	return 0;
}

/*
 * The context in which the clerk at the keyboard changes notice ref: the
 * database open, *id its id, and x->actor "cli:LOGIN", kept in actor (of
 * BY_MAX bytes, which must live as long as x).  0, or the exit code after
 * printing why.
 */
static int
clerk_ctx(struct cli *c, const char *ref, int64_t *id, struct duban_ctx *x, char *actor)
{
	if (cli_ctx(c, x) != 0)
		return EXIT_FAIL;
	if (parse_notice(ref, id) != 0)
		return EXIT_USAGE;
	login_string(actor, BY_MAX);
	x->actor = actor;
	return 0;
}

static int
find_notice(struct cli *c, const char *ref, struct notice *n)
{
	int64_t id;
	int rc;

	if (parse_notice(ref, &id) != 0)
		return EXIT_USAGE;
	if ((rc = store_notice_get(c->st, id, n)) != STORE_OK)
		return cli_store_err(c, rc);
	return 0;
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

/* Print what a notice will send and cost (dry run, confirmation, approval); send_at 0: now. */
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
	const char *sign = p->signature ? p->signature : c->cfg->signature;
	printf("%s%s%s%s\n", *sign ? "【" : "", sign, *sign ? "】" : "", p->text ? p->text : "");
}

/* Asking before queuing to more than notices.confirm_over people. */
struct ask {
	struct cli *c;
	int64_t now;
	bool declined; /* asked, and the answer was not yes */
};

/* A notice_confirm function: ask on a terminal; without one, refuse (the caller says why). */
static int
ask_confirm(void *arg, const struct notice_plan *p, int64_t send_at)
{
	struct ask *a = arg;
	char line[16];

	if (!isatty(STDIN_FILENO))
		return -1;
	print_plan(a->c, p, send_at, a->now);
	printf("send to %lld people? [y/N] ", (long long)p->recipients);
	fflush(stdout);
	if (fgets(line, sizeof(line), stdin) == NULL ||
	    (strcmp(line, "y\n") != 0 && strcmp(line, "Y\n") != 0 && strcmp(line, "yes\n") != 0)) {
		a->declined = true;
		return -1;
	}
	return 0;
}

/* Print why notice_create or notice_approve refused; returns the exit code. */
static int
refused(const struct duban_ctx *x, int rc, const struct notice_result *res, const struct ask *a,
	const char *at)
{
	switch (res->fault) {
	case NOTICE_IN_SELECTOR: return cli_err(cli_store_exit(rc), "--to %s", x->err);
	case NOTICE_IN_SEND_AT:
		return cli_err(cli_store_exit(rc), "--at \"%s\": %s", at ? at : "", x->err);
	case NOTICE_IN_CONFIRM:
		if (a->declined)
			return cli_err(EXIT_FAIL, "not sent");
		return cli_err(EXIT_USAGE,
			       "%s and there is no terminal to ask: check with --dry-run, then add --yes",
			       x->err);
	default: return cli_action_err(x, rc);
	}
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
		default: return cli_show_help(send_help, false);
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

static int
notice_send(struct cli *c, int argc, char **argv)
{
	struct send_args a = { 0 };
	struct notice_result res = { 0 };
	struct notice_req rq;
	struct duban_ctx x;
	struct ask ask = { .c = c, .now = time_now() };
	char by[BY_MAX], when[24];
	int64_t send_at = 0;
	int code, rc;

	if ((code = parse_send(argc, argv, &a)) != 0)
		return code < 0 ? EXIT_OK : code;
	if (a.at && time_parse_local(a.at, false, &send_at) != 0)
		return cli_err(EXIT_USAGE, "--at \"%s\": expected \"YYYY-MM-DD HH:MM\" (local time)",
			       a.at);
	if (cli_ctx(c, &x) != 0)
		return EXIT_FAIL;
	if (a.by && (code = who_string(c, a.by, by, sizeof(by))) != 0)
		return code;
	if (a.by == NULL)
		login_string(by, sizeof(by));
	x.actor = by;
	rq = (struct notice_req){ .to = a.to, .nto = a.nto, .text = a.text,
				  .template_name = a.template_name, .vars = a.vars,
				  .nvars = a.nvars, .title = a.title, .send_at = send_at,
				  .dry_run = a.dry,
				  .confirm = { .yes = a.yes, .fn = ask_confirm, .arg = &ask } };
	if ((rc = notice_create(&x, &rq, &res)) != ACTION_OK) {
		code = refused(&x, rc, &res, &ask, a.at);
	} else if (a.dry) {
		printf("dry run: nothing is queued\n");
		print_plan(c, &res.plan, send_at, ask.now);
	} else if (strcmp(res.status, "pending") == 0) {
		printf("notice N%lld waits for approval: %lld people, %lld SMS parts; "
		       "approve with: duban notice approve N%lld --by WHO\n",
		       (long long)res.id, (long long)res.plan.recipients,
		       (long long)res.plan.total_parts, (long long)res.id);
	} else {
		bool later = strcmp(res.status, "scheduled") == 0;
		printf("notice N%lld %s %s: %lld people, %lld SMS parts (%lld opted out, left out)\n",
		       (long long)res.id, later ? "scheduled for" : "queued",
		       later ? time_fmt_local(res.send_at, when, sizeof(when)) : "now",
		       (long long)res.queued, (long long)res.plan.total_parts,
		       (long long)res.plan.opted_out);
	}
	notice_result_clear(&res);
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
	const char *cells[] = { id, at, n->title, notice_shown_status(n, k, lc->now), rec, opt, q, s, d, f,
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
			if (cli_format_opt(c, optarg, false) != 0)
				return EXIT_USAGE;
			break;
		case 'f':
			if (failed == NULL)
				return cli_err(EXIT_USAGE, "%s: unknown option --failed", argv[0]);
			*failed = true;
			break;
		case 'h': fputs(help, stdout); return -1;
		default: return cli_show_help(help, false);
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
	return cli_print_table(c, lc.t, rc);
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
	return cli_print_table(c, t, rc);
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
	cells[2] = notice_shown_status(n, k, now);
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
		printf("N%lld %s (%s)\n", (long long)n.id, n.title, notice_shown_status(&n, &k, now));
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
notice_cancel_cmd(struct cli *c, int argc, char **argv)
{
	struct notice_cancelled k;
	struct duban_ctx x;
	const char *ref;
	char actor[BY_MAX];
	int64_t id;
	int code, rc;

	if ((code = parse_format_only(c, argc, argv, cancel_help, &ref, NULL)) != 0)
		return code < 0 ? EXIT_OK : code;
	if ((code = clerk_ctx(c, ref, &id, &x, actor)) != 0)
		return code;
	if ((rc = notice_cancel(&x, id, &k)) != ACTION_OK)
		return cli_action_err(&x, rc);
	if (k.already)
		printf("notice N%lld was already cancelled\n", (long long)id);
	else if (k.was_pending)
		printf("cancelled notice N%lld (it was waiting for approval; nothing was queued)\n",
		       (long long)id);
	else
		printf("cancelled notice N%lld: %lld unsent messages cancelled, %lld already sent "
		       "stay sent, %lld being sent now\n",
		       (long long)id, (long long)k.cancelled, (long long)k.sent, (long long)k.sending);
	return EXIT_OK;
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
notice_resend_cmd(struct cli *c, int argc, char **argv)
{
	struct duban_ctx x;
	const char *ref;
	char actor[BY_MAX];
	bool failed = false;
	int64_t id, queued, opted;
	int code, rc;

	if ((code = parse_format_only(c, argc, argv, resend_help, &ref, &failed)) != 0)
		return code < 0 ? EXIT_OK : code;
	if (!failed)
		return cli_err(EXIT_USAGE, "usage: duban notice resend ID --failed");
	if ((code = clerk_ctx(c, ref, &id, &x, actor)) != 0)
		return code;
	if ((rc = notice_resend(&x, id, &queued, &opted)) != ACTION_OK)
		return cli_action_err(&x, rc);
	if (queued == 0 && opted == 0) {
		printf("notice N%lld: no failed messages to resend\n", (long long)id);
		return EXIT_OK;
	}
	printf("notice N%lld: %lld failed messages queued again", (long long)id, (long long)queued);
	if (opted)
		printf(" (%lld opted out since, left out)", (long long)opted);
	putchar('\n');
	return EXIT_OK;
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

static int
notice_approve_cmd(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "by", required_argument, NULL, 'b' }, { "yes", no_argument, NULL, 'y' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	struct notice_result res = { 0 };
	struct duban_ctx x;
	struct ask ask = { .c = c, .now = time_now() };
	struct notice_confirm confirm = { .fn = ask_confirm, .arg = &ask };
	const char *who = NULL;
	char by[BY_MAX];
	int64_t id;
	int ch, code, rc;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'b': who = optarg; break;
		case 'y': confirm.yes = true; break;
		case 'h':
		default: return cli_show_help(approve_help, ch == 'h');
		}
	}
	if (optind + 1 != argc || who == NULL)
		return cli_err(EXIT_USAGE, "usage: duban notice approve ID --by WHO");
	if (cli_ctx(c, &x) != 0)
		return EXIT_FAIL;
	if (parse_notice(argv[optind], &id) != 0)
		return EXIT_USAGE;
	if ((code = who_string(c, who, by, sizeof(by))) != 0)
		return code;
	x.actor = by;
	if ((rc = notice_approve(&x, id, &confirm, &res)) != ACTION_OK)
		code = refused(&x, rc, &res, &ask, NULL);
	else
		printf("notice N%lld approved by %s: %lld people, %lld SMS parts (%lld opted out, "
		       "left out)\n",
		       (long long)id, by, (long long)res.queued, (long long)res.plan.total_parts,
		       (long long)res.plan.opted_out);
	notice_result_clear(&res);
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
		{ "show", notice_show, NULL },	   { "cancel", notice_cancel_cmd, NULL },
		{ "resend", notice_resend_cmd, NULL }, { "approve", notice_approve_cmd, NULL },
		{ NULL, NULL, NULL },
	};
	return cli_dispatch(c, argc, argv, cmds, notice_help);
}
