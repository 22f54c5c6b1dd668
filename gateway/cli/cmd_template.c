/*
 * cmd_template.c - "duban template list|preview": the templates of
 * templates_dir, and one of them rendered as an official's phone will
 * show it, with its length, encoding and SMS parts - through each
 * configured provider able to carry it (a template provider shows its
 * approved text with the values it would get).
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/route.h"
#include "core/sched.h"
#include "provider/provider.h"
#include "base/i18n.h"
#include "base/sms.h"
#include "base/array.h"
#include "base/buf.h"
#include "base/clock.h"

static const char template_help[] = N_(
	"usage: duban template list\n"
	"       duban template preview NAME [--task CODE] [--person WHO] [--var K=V]...\n"
	"\n"
	"list shows each template, what it can be sent as (reminders: it uses task\n"
	"variables; notices: var.* or notice.*; any) and the providers able to carry\n"
	"it, in order: every free-text provider, and each template provider with a\n"
	"binding for it (none: it cannot be sent; \"-\": no provider is configured).\n"
	"\n"
	"preview renders a template for a task (and a person: by default the task's\n"
	"lead) as it would be sent now (DUBAN_NOW replaces the clock), and shows its\n"
	"length, encoding and the number of SMS parts, counting the signature.  With\n"
	"providers configured it shows, for each in order, the text the phone shows\n"
	"through it (a provider that takes only approved templates: its approved\n"
	"text with the values its binding gives, under its sign_name), or why it\n"
	"cannot carry the template; it exits 1 when none can.\n");

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

/* The providers able to carry template tp, "a,b" into out ("" none, "-" none configured). */
static void
carriers(const struct duban_config *cfg, const struct tmpl *tp, char *out, size_t outlen)
{
	size_t used = 0;

	snprintf(out, outlen, "%s", cfg->nproviders ? "" : "-");
	for (size_t i = 0; i < cfg->nproviders && used < outlen; i++) {
		const struct provider_conf *pc = &cfg->providers[i];
		int n;
		if (pc->templated && route_binding(pc, tmpl_name(tp)) == NULL)
			continue;
		n = snprintf(out + used, outlen - used, "%s%s", used ? "," : "", pc->name);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

static int
template_list(struct cli *c)
{
	static const char *const h[] = { NC_("template", "name"), NC_("column", "uses"),
					 NC_("column", "providers") };
	static const char *const uses[] = { NC_("value", "any"), NC_("value", "reminders"),
					    NC_("value", "notices") };
	struct table *t = table_new(3, h, "ses");
	char via[512];

	if (t == NULL)
		return EXIT_FAIL;
	table_set_context(t, "template"); /* a template's name is 名称, not 姓名 */
	for (size_t i = 0; i < tmpl_set_count(c->tmpls); i++) {
		const struct tmpl *tp = tmpl_set_at(c->tmpls, i);
		const char *cells[] = { tmpl_name(tp), uses[tmpl_kind(tp)], via };
		carriers(c->cfg, tp, via, sizeof(via));
		table_add(t, cells);
	}
	table_print(t, c->fmt, stdout);
	table_free(t);
	return EXIT_OK;
}

/* The text as the phone shows it, and how it counts. */
static void
print_text(const struct duban_config *cfg, const char *sign, const char *text,
	   const struct sms_info *info)
{
	if (sign && *sign)
		printf("【%s】", sign);
	printf("%s\n\n", text);
	printf(ngettext("%zu characters with the signature, %s, %zu units, %u part%s\n",
			"%zu characters with the signature, %s, %zu units, %u parts%s\n",
			info->parts),
	       info->chars, sms_encoding_name(info->encoding), info->units, info->parts,
	       info->parts > cfg->max_parts ? _(" (over sms.max_parts: would be refused)") : "");
}

/*
 * For each provider in order: the text the phone shows through it, or why
 * it cannot carry template tp.  text is duban's own rendering.  EXIT_OK
 * when at least one can, else EXIT_FAIL.
 */
static int
preview_providers(struct cli *c, const struct tmpl *tp, const struct msg_vars *mv,
		  const char *text)
{
	struct duban_config one = *c->cfg;
	char err[1024];
	bool any = false;

	for (size_t i = 0; i < c->cfg->nproviders; i++) {
		const struct provider_conf *pc = &c->cfg->providers[i];
		const struct provider_binding *b = route_binding(pc, tmpl_name(tp));
		struct route *r = NULL;
		struct route_out ro = { 0 };

		if (i > 0)
			printf("\n");
		one.providers = (struct provider_conf *)pc;
		one.nproviders = 1;
		if (b)
			printf(_("%s (%s, approved template %s):\n"), pc->name, pc->ops->type,
			       b->code);
		else
			printf(_("%s (%s):\n"), pc->name, pc->ops ? pc->ops->type : "?");
		/* The limit is shown, not enforced: a preview shows what goes too long. */
		if (route_open(&one, tp, &r, err, sizeof(err)) != 0 ||
		    route_render(r, mv, text, UINT_MAX, _("this preview"), &ro, err,
				 sizeof(err)) != 0) {
			printf(_("  cannot carry it: %s\n"), err);
		} else {
			print_text(c->cfg, ro.signature, ro.body, &ro.info);
			any = true;
		}
		route_out_clear(&ro);
		route_free(r);
	}
	return any ? EXIT_OK : EXIT_FAIL;
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
	if (c->cfg->nproviders > 0) {
		code = preview_providers(c, tp, &mv, out.data);
		buf_free(&out);
		goto out;
	}
	print_text(c->cfg, c->cfg->signature, out.data, &info);
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
