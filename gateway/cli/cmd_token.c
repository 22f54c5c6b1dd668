/*
 * cmd_token.c - "duban token new NAME": an API token for another system
 * (shown once; the configuration keeps only its SHA-256), with the routes
 * and scopes it may use.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "base/i18n.h"
#include "server/httpd.h"
#include "base/str.h"

/* ---- token new --------------------------------------------------------------------- */

static const char token_help[] = N_(
	"usage: duban token new NAME [--routes messages,notices,tasks]\n"
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
	"                  Default: messages,notices,tasks.\n");

static int
token_new(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "routes", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char tok[64], hex[65], list[160], *copy, *cur, *item, *save = NULL;
	unsigned char sum[32];
	const char *routes = "messages,notices,tasks", *name, *why;
	unsigned bits = 0;
	int ch;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'r': routes = optarg; break;
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

static const char token_group_help[] = N_(
	"usage: duban token new NAME [--routes LIST]\n"
	"\n"
	"API tokens of the HTTP server; see \"duban token new --help\".\n");

int
cmd_token(struct cli *c, int argc, char **argv)
{
	static const struct cli_cmd cmds[] = {
		{ "new", token_new, NULL },
		{ NULL, NULL, NULL },
	};
	return cli_dispatch(c, argc, argv, cmds, token_group_help);
}
