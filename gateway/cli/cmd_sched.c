/*
 * cmd_sched.c - "duban tick", "duban outbox list" and "duban template
 * preview": running the scheduler once, looking at what it queued, and
 * seeing a template as an official's phone will show it.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "base/phone.h"
#include "core/sched.h"
#include "base/sms.h"
#include "base/array.h"
#include "base/buf.h"
#include "base/str.h"
#include "base/clock.h"
#include "base/zone.h"

/* ---- tick ------------------------------------------------------------------------ */

static const char tick_help[] =
	"usage: duban tick [--quiet]\n"
	"\n"
	"Run one pass of the scheduler and exit: queue every reminder whose time has\n"
	"come (in the configured time zone; DUBAN_NOW replaces the clock).  Running\n"
	"it twice, or beside a running daemon, never queues a reminder twice.  After\n"
	"downtime only the latest due step per task and person is queued; older ones\n"
	"are recorded as skipped (duban outbox list --status skipped).\n";

int
cli_sched_init(struct cli *c, struct sched *s)
{
	s->st = c->st;
	s->cfg = c->cfg;
	s->rules = c->rules;
	s->tmpls = c->tmpls;
	if (sched_init(s) != 0)
		return cli_err(EXIT_FAIL, "%s", store_errmsg(c->st));
	return 0;
}

int
cmd_tick(struct cli *c, int argc, char **argv)
{
	struct sched s;
	struct sched_stats stats = { 0 };
	int64_t next = 0;
	char err[512], when[24];
	bool quiet = argc > 1 && strcmp(argv[1], "--quiet") == 0;

	if (cli_want_help(argc, argv, tick_help))
		return EXIT_OK;
	if (argc > 2 || (argc == 2 && !quiet))
		return cli_err(EXIT_USAGE, "usage: duban tick [--quiet]");
	if (cli_store(c) == NULL || cli_sched_init(c, &s) != 0)
		return EXIT_FAIL;
	if (sched_pass(&s, time_now(), &stats, &next, err, sizeof(err)) != 0)
		return cli_err(EXIT_FAIL, "%s", err);
	if (!quiet) {
		printf("tick: %zu tasks due, %zu reminders queued, %zu skipped, %zu failed",
		       stats.tasks, stats.queued, stats.skipped, stats.failed);
		if (next)
			printf("; next at %s", time_fmt_local(next, when, sizeof(when)));
		putchar('\n');
	}
	return stats.failed ? EXIT_FAIL : EXIT_OK;
}

/* ---- outbox list ------------------------------------------------------------------ */

static const char outbox_list_help[] =
	"usage: duban outbox list [--status S] [--kind K] [--task CODE] [--limit N]\n"
	"                         [--format table|csv|json]\n"
	"\n"
	"The outbox: every message queued, sent, failed or skipped, oldest first.\n"
	"Phone numbers are masked.  status: queued sending sent delivered failed\n"
	"expired cancelled skipped; kind: reminder escalation notice manual reply.\n";

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
	static const char *const h[] = { "id", "send_at", "name", "phone", "kind", "ref", "step",
					 "template", "status", "parts", "attempts", "created",
					 "error" };
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
				return cli_err(EXIT_USAGE, "--limit must be a positive number");
			f.limit = (size_t)lim;
			break;
		case 'F':
			if (cli_parse_format(optarg, &c->fmt) != 0)
				return cli_err(EXIT_USAGE, "--format must be table, csv or json");
			break;
		case 'h': fputs(outbox_list_help, stdout); return EXIT_OK;
		default: fputs(outbox_list_help, stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc)
		return cli_err(EXIT_USAGE, "outbox list: unexpected argument \"%s\"", argv[optind]);
	if (cli_store(c) == NULL)
		return EXIT_FAIL;
	if (task) {
		struct task tk = { 0 };
		if ((rc = store_task_find(c->st, task, &tk)) != STORE_OK)
			return cli_err(cli_store_exit(rc), "%s", store_errmsg(c->st));
		f.task = tk.id;
		task_clear(&tk);
	}
	if ((t = table_new(ARRAY_LEN(h), h, "isssssnnsiisn")) == NULL)
		return EXIT_FAIL;
	rc = store_msg_each(c->st, &f, msg_row_add, t);
	if (rc == STORE_OK)
		table_print(t, c->fmt, stdout);
	else
		cli_err(EXIT_FAIL, "%s", store_errmsg(c->st));
	table_free(t);
	return rc == STORE_OK ? EXIT_OK : EXIT_FAIL;
}

static const char outbox_help[] =
	"usage: duban outbox list [--status S] [--kind K] [--task CODE] [--limit N] [--format F]\n"
	"       duban outbox retry ID\n"
	"       duban outbox cancel ID\n"
	"\n"
	"\"duban outbox SUBCOMMAND --help\" tells more.\n";

int
cmd_outbox(struct cli *c, int argc, char **argv)
{
	static const struct cli_cmd cmds[] = {
		{ "list", outbox_list, NULL },
		{ "retry", outbox_retry, NULL },   /* cmd_dispatch.c */
		{ "cancel", outbox_cancel, NULL }, /* cmd_dispatch.c */
		{ NULL, NULL, NULL },
	};
	return cli_dispatch(c, argc, argv, cmds, outbox_help);
}

/* ---- template preview --------------------------------------------------------------- */

static const char template_help[] =
	"usage: duban template list\n"
	"       duban template preview NAME [--task CODE] [--person WHO] [--var K=V]...\n"
	"\n"
	"preview renders a template for a task (and a person: by default the task's\n"
	"lead) as it would be sent now (DUBAN_NOW replaces the clock), and shows its\n"
	"length, encoding and the number of SMS parts, counting the signature.\n";

static int
pick_lead(void *arg, const struct person *p, const char *role)
{
	struct person *out = arg;

	if (out->id != 0 || strcmp(role, "lead") != 0)
		return 0;
	out->id = p->id;
	out->name = strdup(p->name);
	out->title = strdup(p->title);
	out->phone = strdup(p->phone);
	return 0;
}

static int
template_list(struct cli *c)
{
	static const char *const h[] = { "name", "uses" };
	struct table *t = table_new(2, h, "ss");

	if (t == NULL)
		return EXIT_FAIL;
	for (size_t i = 0; i < tmpl_set_count(c->tmpls); i++) {
		const struct tmpl *tp = tmpl_set_at(c->tmpls, i);
		const char *uses = tmpl_uses_prefix(tp, "var.") || tmpl_uses_prefix(tp, "notice.")
					   ? "notices"
					   : tmpl_uses_prefix(tp, "task.") ? "reminders" : "any";
		const char *cells[] = { tmpl_name(tp), uses };
		table_add(t, cells);
	}
	table_print(t, c->fmt, stdout);
	table_free(t);
	return EXIT_OK;
}

static int
template_preview(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "task", required_argument, NULL, 't' }, { "person", required_argument, NULL, 'p' },
		{ "var", required_argument, NULL, 'v' },  { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *task_code = NULL, *who = NULL;
	struct task t = { 0 };
	struct person p = { 0 };
	struct buf out;
	struct sms_info info;
	char err[512], *vars[32];
	size_t nvars = 0;
	const struct tmpl *tp;
	int ch, rc, code = EXIT_FAIL;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 't': task_code = optarg; break;
		case 'p': who = optarg; break;
		case 'v':
			if (nvars == ARRAY_LEN(vars) || strchr(optarg, '=') == NULL)
				return cli_err(EXIT_USAGE, "--var takes KEY=VALUE (at most 32)");
			vars[nvars++] = optarg;
			break;
		case 'h': fputs(template_help, stdout); return EXIT_OK;
		default: fputs(template_help, stderr); return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc)
		return cli_err(EXIT_USAGE, "usage: duban template preview NAME [--task CODE] [--person WHO]");
	if ((tp = tmpl_set_get(c->tmpls, argv[optind])) == NULL)
		return cli_err(EXIT_USAGE, "no template \"%s\" in %s", argv[optind], c->cfg->templates_dir);
	if (tmpl_uses_prefix(tp, "task.") && task_code == NULL)
		return cli_err(EXIT_USAGE, "template \"%s\" needs --task CODE", argv[optind]);
	if (cli_store(c) == NULL)
		return EXIT_FAIL;
	if (task_code && (rc = store_task_find(c->st, task_code, &t)) != STORE_OK)
		return cli_err(cli_store_exit(rc), "%s", store_errmsg(c->st));
	if (who) {
		rc = store_person_find(c->st, who, &p);
		if (rc != STORE_OK) {
			cli_err(cli_store_exit(rc), "%s", store_errmsg(c->st));
			code = cli_store_exit(rc);
			goto out;
		}
	} else if (task_code) {
		store_task_people(c->st, t.id, pick_lead, &p);
	}
	struct msg_vars mv = { .task = task_code ? &t : NULL, .person = p.id ? &p : NULL,
			       .signature = c->cfg->signature, .now = time_now(),
			       .notice_title = "(title)", .vars = vars, .nvars = nvars };
	buf_init(&out, 4096);
	if (tmpl_render(tp, msg_vars_lookup, &mv, &out, err, sizeof(err)) != 0) {
		cli_err(EXIT_USAGE, "%s", err);
		code = EXIT_USAGE;
		buf_free(&out);
		goto out;
	}
	if (sms_measure(out.data, c->cfg->signature, &info, err, sizeof(err)) != 0) {
		cli_err(EXIT_FAIL, "%s", err);
		buf_free(&out);
		goto out;
	}
	if (*c->cfg->signature)
		printf("【%s】", c->cfg->signature);
	printf("%s\n\n", out.data);
	printf("%zu characters with the signature, %s, %zu units, %u part%s%s\n", info.chars,
	       sms_encoding_name(info.encoding), info.units, info.parts, info.parts == 1 ? "" : "s",
	       info.parts > c->cfg->max_parts ? " (over sms.max_parts: would be refused)" : "");
	buf_free(&out);
	code = EXIT_OK;
out:
	task_clear(&t);
	person_clear(&p);
	return code;
}

static int
cmd_template_list(struct cli *c, int argc, char **argv)
{
	if (cli_want_help(argc, argv, template_help))
		return EXIT_OK;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
			if (cli_parse_format(argv[++i], &c->fmt) != 0)
				return cli_err(EXIT_USAGE, "--format must be table, csv or json");
		} else {
			return cli_err(EXIT_USAGE, "template list: unexpected argument \"%s\"", argv[i]);
		}
	}
	return template_list(c);
}

int
cmd_template(struct cli *c, int argc, char **argv)
{
	static const struct cli_cmd cmds[] = {
		{ "list", cmd_template_list, NULL },
		{ "preview", template_preview, NULL },
		{ NULL, NULL, NULL },
	};
	return cli_dispatch(c, argc, argv, cmds, template_help);
}

