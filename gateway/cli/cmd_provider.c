/*
 * cmd_provider.c - "duban provider list|resume": the configured providers
 * with what the dispatcher knows of them (halted, since when, why), and
 * lifting a halt once the account is put right (halt_resume of
 * core/halt.c).  A running daemon reads the change on its next poll.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/config.h"
#include "core/ctx.h"
#include "core/halt.h"
#include "provider/provider.h"
#include "base/array.h"
#include "base/i18n.h"
#include "base/zone.h"

static const char list_help[] = N_(
	"usage: duban provider list [--format table|csv|json]\n"
	"\n"
	"The configured providers in failover order: type, whether it takes only\n"
	"approved templates, the most numbers per request, and its state: ok, or\n"
	"halted (since when, the provider's code and words) after it refused\n"
	"everything - no balance, credentials or signature refused.  A halted\n"
	"provider gets no traffic until \"duban provider resume NAME\", a reload of\n"
	"the daemon, or a trial request (one every halt_retry) that goes through.\n");

struct states {
	const struct duban_config *cfg;
	struct provider_state *st; /* cfg->nproviders, name "" when no row */
};

static int
state_row(void *arg, const struct provider_state *p)
{
	struct states *s = arg;

	for (size_t i = 0; i < s->cfg->nproviders; i++)
		if (strcmp(s->cfg->providers[i].name, p->name) == 0)
			s->st[i] = *p;
	return 0;
}

static int
provider_list(struct cli *c, int argc, char **argv)
{
	static const char *const h[] = {
		NC_("provider", "name"), NC_("column", "type"),	 NC_("column", "templated"),
		NC_("column", "batch"),	 NC_("column", "state"), NC_("column", "halted_at"),
		NC_("provider", "code"), NC_("column", "reason"),
	};
	struct provider_state st[64];
	struct states s = { c->cfg, st };
	struct table *t;
	int code, rc;

	if (cli_format_args(c, argc, argv, "provider list", list_help, false, NULL, &code) != 0)
		return code;
	if (cli_store(c) == NULL)
		return EXIT_FAIL;
	memset(st, 0, sizeof(st));
	if (c->cfg->nproviders > ARRAY_LEN(st))
		return cli_err(EXIT_FAIL, _("more than %zu providers"), ARRAY_LEN(st));
	if ((rc = store_provider_each(c->st, state_row, &s)) != STORE_OK)
		return cli_store_err(c, rc);
	if ((t = table_new(ARRAY_LEN(h), h, "sseiennn")) == NULL)
		return EXIT_FAIL;
	table_set_context(t, "provider"); /* its name is 名称, its code the provider's */
	for (size_t i = 0; i < c->cfg->nproviders; i++) {
		const struct provider_conf *pc = &c->cfg->providers[i];
		char batch[16], at[32] = "";
		size_t b = pc->ops->build_batch ? pc->ops->batch_same : 1;
		if (pc->batch > 0 && (size_t)pc->batch < b)
			b = (size_t)pc->batch;
		snprintf(batch, sizeof(batch), "%zu", b);
		if (st[i].halted_at)
			time_fmt_local(st[i].halted_at, at, sizeof(at));
		/* 'e' words: JSON keeps yes/no and ok/halted, tables translate them. */
		const char *cells[] = { pc->name,
					pc->ops->type,
					pc->templated ? NC_("value", "yes") : NC_("value", "no"),
					batch,
					st[i].halted_at ? NC_("value", "halted") : NC_("value", "ok"),
					at,
					st[i].halted_at ? st[i].code : "",
					st[i].halted_at ? st[i].reason : "" };
		if (table_add(t, cells) != 0) {
			table_free(t);
			return EXIT_FAIL;
		}
	}
	return cli_print_table(c, t, STORE_OK);
}

static const char resume_help[] = N_(
	"usage: duban provider resume NAME\n"
	"\n"
	"Lift the halt of provider NAME once its account is put right (balance\n"
	"topped up, keys or signature fixed): the dispatcher sends through it\n"
	"again, a running daemon within its poll.  Recorded in the audit log.\n"
	"Resuming a provider that is not halted changes nothing.\n");

static int
provider_resume(struct cli *c, int argc, char **argv)
{
	struct duban_ctx x;
	bool was;
	int rc;

	if (cli_want_help(argc, argv, resume_help))
		return EXIT_OK;
	if (argc != 2 || argv[1][0] == '-')
		return cli_show_help(resume_help, false);
	if (cli_ctx(c, &x) != 0)
		return EXIT_FAIL;
	if ((rc = halt_resume(&x, argv[1], &was)) != ACTION_OK)
		return cli_action_err(&x, rc);
	if (was)
		printf(_("provider %s resumed\n"), argv[1]);
	else
		printf(_("provider %s was not halted; nothing changed\n"), argv[1]);
	return EXIT_OK;
}

static const char provider_help[] = N_(
	"usage: duban provider list [--format F]\n"
	"       duban provider resume NAME\n"
	"\n"
	"\"duban provider SUBCOMMAND --help\" tells more.\n");

int
cmd_provider(struct cli *c, int argc, char **argv)
{
	static const struct cli_cmd cmds[] = {
		{ "list", provider_list, NULL },
		{ "resume", provider_resume, NULL },
		{ NULL, NULL, NULL },
	};
	return cli_dispatch(c, argc, argv, cmds, provider_help);
}
