/*
 * cmd_token.c - "duban token new NAME": an API token for another system
 * (shown once; the configuration keeps only its SHA-256), with the routes
 * and scopes it may use; with --store kept in the database instead, where
 * "duban token list" shows it and "duban token revoke NAME" ends it.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "base/i18n.h"
#include "server/httpd.h"
#include "base/str.h"
#include "base/array.h"
#include "base/zone.h"
#include "core/apitoken.h"

/* ---- token new --------------------------------------------------------------------- */

static const char token_help[] = N_(
	"usage: duban token new NAME [--routes messages,notices,tasks] [--store]\n"
	"\n"
	"Make a new API token for another system (NAME: a-z 0-9 - _, e.g. \"oa\"), print\n"
	"it once, and print the line to add to the `tokens` list of the http group of\n"
	"duban.cfg.  duban keeps only the token's SHA-256: store the token in the other\n"
	"system now, it cannot be shown again (make a new one if it is lost).  The\n"
	"other system sends it as \"Authorization: Bearer TOKEN\"; every change it\n"
	"makes is in the audit log as api:NAME.  Reload the daemon (kill -HUP) after\n"
	"editing the configuration.\n"
	"\n"
	"  --routes LIST   what the token may use, comma separated:\n"
	"                    messages          queue and read messages (write and read)\n"
	"                    messages:write    queue messages (POST /v1/messages)\n"
	"                    messages:read     read messages (GET /v1/messages/ID)\n"
	"                    messages:numbers  with one of those: whole numbers, names\n"
	"                                      (else masked: 138****8000, 陈**)\n"
	"                    notices           broadcast, follow, cancel\n"
	"                    tasks             list, add, close\n"
	"                  Default: messages,notices,tasks.\n"
	"  --store         keep the token in the database instead: it works at once,\n"
	"                  without editing duban.cfg or a reload; \"duban token list\"\n"
	"                  shows it and \"duban token revoke NAME\" ends it.\n");

/* "token new NAME --store": the token in the database, printed once. */
static int
token_new_store(struct cli *c, const char *name, const char *routes)
{
	struct duban_ctx x;
	char tok[64];
	int rc;

	if (cli_ctx(c, &x) != 0)
		return EXIT_FAIL;
	if ((rc = apitoken_create(&x, name, routes, tok, sizeof(tok))) != ACTION_OK)
		return cli_action_err(&x, rc);
	printf(_("token for \"%s\" (shown this once; duban keeps only its SHA-256):\n\n    %s\n\n"),
	       name, tok);
	printf(_("it is in the database and works now; revoke it with \"duban token revoke %s\"\n"),
	       name);
	explicit_bzero(tok, sizeof(tok));
	return EXIT_OK;
}

static int
token_new(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "routes", required_argument, NULL, 'r' },
		{ "store", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char tok[64], hex[65], list[160], *copy, *cur, *item, *save = NULL;
	unsigned char sum[32];
	const char *routes = "messages,notices,tasks", *name, *why;
	unsigned bits = 0;
	bool store = false;
	int ch;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'r': routes = optarg; break;
		case 's': store = true; break;
		case 'h':
		default: return cli_show_help(token_help, ch == 'h');
		}
	}
	if (optind + 1 != argc)
		return cli_show_help(token_help, false);
	name = argv[optind];
	if (*name == '\0' || strlen(name) > 31 ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-_") != strlen(name))
		return cli_err(EXIT_USAGE, _("token name \"%s\" must be 1-31 of a-z 0-9 - _"), name);
	if (store)
		return token_new_store(c, name, routes);
	if ((copy = strdup(routes)) == NULL)
		return cli_err(EXIT_FAIL, _("out of memory"));
	for (cur = copy; (item = strtok_r(cur, ",", &save)) != NULL; cur = NULL) {
		unsigned bit;
		if (httpd_route_bit(str_trim(item), &bit) != 0) {
			cli_err(EXIT_USAGE, _("--routes: \"%s\" is not %s"), item, HTTPD_ROUTES_TEXT);
			free(copy);
			return EXIT_USAGE;
		}
		bits |= bit;
	}
	free(copy);
	if (httpd_routes_check(bits, &why) != 0)
		return cli_err(EXIT_USAGE, _("--routes: %s"), why);
	if (httpd_routes_text(bits, list, sizeof(list)) != 0)
		return cli_err(EXIT_FAIL, _("--routes: too many to list"));
	if (httpd_token_new(tok, sizeof(tok)) != 0 || httpd_token_hash(tok, sum) != 0)
		return cli_err(EXIT_FAIL,
			       _("cannot make a token: no randomness or hashing available"));
	for (size_t i = 0; i < sizeof(sum); i++)
		snprintf(hex + i * 2, 3, "%02x", sum[i]);
	for (size_t i = 0; i < c->cfg->http.ntokens; i++)
		if (strcmp(c->cfg->http.tokens[i].name, name) == 0)
			fprintf(stderr,
				_("duban: note: %s already has a token \"%s\": replace its sha256 "
				"to revoke the old one\n"),
				c->cfg->path ? c->cfg->path : _("the configuration"), name);
	printf(_("token for \"%s\" (shown this once; duban keeps only its SHA-256):\n\n    %s\n\n"),
	       name, tok);
	printf(_("add this to the tokens list of the http group of %s, then reload (kill -HUP):\n\n"),
	       c->cfg->path ? c->cfg->path : "duban.cfg");
	printf(_("    { name = \"%s\"; sha256 = \"%s\"; routes = [ %s ]; }\n"), name, hex, list);
	explicit_bzero(tok, sizeof(tok));
	return EXIT_OK;
}

/* ---- token list, revoke ---------------------------------------------------------------- */

static const char token_list_help[] = N_(
	"usage: duban token list [--format table|csv|json]\n"
	"\n"
	"The API tokens: those of the configuration (source config, changed only by\n"
	"editing duban.cfg) and those of the database (source database, made by\n"
	"\"duban token new NAME --store\" or an admin in the console), with their\n"
	"routes, who made them, when, and when they were revoked.  Never the token\n"
	"or its hash.\n");

static const char token_revoke_help[] = N_(
	"usage: duban token revoke NAME\n"
	"\n"
	"Revoke the database's token NAME: the HTTP server refuses it from the next\n"
	"request on, without a reload.  A configured token is revoked by removing it\n"
	"from duban.cfg.\n");

static int
token_row(void *arg, const struct api_token *t)
{
	char made[24], gone[24];
	const char *cells[6] = { t->name, "database", t->routes, t->created_by,
				 time_fmt_local(t->created_at, made, sizeof(made)),
				 t->revoked_at ? time_fmt_local(t->revoked_at, gone, sizeof(gone))
					       : "" };

	return table_add(arg, cells);
}

static int
token_list(struct cli *c, int argc, char **argv)
{
	static const char *const h[] = { NC_("column", "name"),	      NC_("column", "source"),
					 NC_("column", "routes"),     NC_("column", "created_by"),
					 NC_("column", "created"),    NC_("column", "revoked") };
	struct table *t;
	int code;

	if (cli_format_args(c, argc, argv, "token list", _(token_list_help), false, NULL,
			    &code) != 0)
		return code;
	if (cli_store(c) == NULL || (t = table_new(ARRAY_LEN(h), h, "ssssnn")) == NULL)
		return EXIT_FAIL;
	for (size_t i = 0; i < c->cfg->http.ntokens; i++) {
		char list[160];
		const char *cells[6] = { c->cfg->http.tokens[i].name, "config", list, "", "", "" };
		size_t k = 0;

		if (httpd_routes_text(c->cfg->http.tokens[i].routes, list, sizeof(list)) != 0)
			list[0] = '\0';
		for (size_t j = 0; list[j]; j++)
			if (list[j] != '"' && list[j] != ' ')
				list[k++] = list[j];
		list[k] = '\0';
		if (table_add(t, cells) != 0) {
			table_free(t);
			return EXIT_FAIL;
		}
	}
	return cli_print_table(c, t, store_token_each(c->st, token_row, t));
}

static int
token_revoke(struct cli *c, int argc, char **argv)
{
	struct duban_ctx x;
	int rc;

	if (argc == 2 && strcmp(argv[1], "--help") == 0)
		return cli_show_help(_(token_revoke_help), true);
	if (argc != 2 || argv[1][0] == '-')
		return cli_show_help(_(token_revoke_help), false);
	if (cli_ctx(c, &x) != 0)
		return EXIT_FAIL;
	if ((rc = apitoken_revoke(&x, argv[1])) != ACTION_OK)
		return cli_action_err(&x, rc);
	printf(_("revoked token %s; it is refused from now on\n"), argv[1]);
	return EXIT_OK;
}

static const char token_group_help[] = N_(
	"usage: duban token new|list|revoke ...\n"
	"\n"
	"API tokens of the HTTP server; see \"duban token new --help\".\n");

int
cmd_token(struct cli *c, int argc, char **argv)
{
	static const struct cli_cmd cmds[] = {
		{ "new", token_new, NULL },
		{ "list", token_list, NULL },
		{ "revoke", token_revoke, NULL },
		{ NULL, NULL, NULL },
	};
	return cli_dispatch(c, argc, argv, cmds, token_group_help);
}
