/*
 * cmd_template.c - "duban template list|preview": the templates of
 * templates_dir, and one of them rendered as an official's phone will
 * show it, with its length, encoding and SMS parts.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "base/i18n.h"
#include "core/sched.h"
#include "base/sms.h"
#include "base/array.h"
#include "base/buf.h"
#include "base/clock.h"

static const char template_help[] = N_(
	"usage: duban template list\n"
	"       duban template preview NAME [--task CODE] [--person WHO] [--var K=V]...\n"
	"\n"
	"preview renders a template for a task (and a person: by default the task's\n"
	"lead) as it would be sent now (DUBAN_NOW replaces the clock), and shows its\n"
	"length, encoding and the number of SMS parts, counting the signature.\n");

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
	static const char *const h[] = { NC_("column", "name"), NC_("column", "uses") };
	struct table *t = table_new(2, h, "se");

	if (t == NULL)
		return EXIT_FAIL;
	for (size_t i = 0; i < tmpl_set_count(c->tmpls); i++) {
		const struct tmpl *tp = tmpl_set_at(c->tmpls, i);
		const char *uses = tmpl_uses_prefix(tp, "var.") || tmpl_uses_prefix(tp, "notice.")
					   ? NC_("value", "notices")
					   : tmpl_uses_prefix(tp, "task.") ? NC_("value", "reminders") : NC_("value", "any");
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
				return cli_err(EXIT_USAGE, _("--var takes KEY=VALUE (at most 32)"));
			vars[nvars++] = optarg;
			break;
		case 'h':
		default: return cli_show_help(template_help, ch == 'h');
		}
	}
	if (optind + 1 != argc)
		return cli_err(EXIT_USAGE, _("usage: duban template preview NAME [--task CODE] [--person WHO]"));
	if ((tp = tmpl_set_get(c->tmpls, argv[optind])) == NULL)
		return cli_err(EXIT_USAGE, _("no template \"%s\" in %s"), argv[optind], c->cfg->templates_dir);
	if (tmpl_uses_prefix(tp, "task.") && task_code == NULL)
		return cli_err(EXIT_USAGE, _("template \"%s\" needs --task CODE"), argv[optind]);
	if (cli_store(c) == NULL)
		return EXIT_FAIL;
	if (task_code && (rc = store_task_find(c->st, task_code, &t)) != STORE_OK)
		return cli_store_err(c, rc);
	if (who) {
		rc = store_person_find(c->st, who, &p);
		if (rc != STORE_OK) {
			code = cli_store_err(c, rc);
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
	printf(_("%zu characters with the signature, %s, %zu units, %u parts%s\n"), info.chars,
	       sms_encoding_name(info.encoding), info.units, info.parts,
	       info.parts > c->cfg->max_parts ? _(" (over sms.max_parts: would be refused)") : "");
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
	int code;

	/* Help first, wherever it stands: the loop below would refuse what precedes it. */
	if (cli_want_help(argc, argv, template_help))
		return EXIT_OK;
	if (cli_format_args(c, argc, argv, "template list", template_help, false, NULL, &code) != 0)
		return code;
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
