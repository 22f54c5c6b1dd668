/*
 * cmd_http.c - the command-line side of the HTTP server: "duban token
 * new NAME" makes an API token (shown once; the configuration keeps only
 * its SHA-256), and "duban inbox ..." shows staff the replies that were
 * no command duban could carry out (and lets them mark those read).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "server/httpd.h"
#include "base/array.h"
#include "base/str.h"
#include "base/zone.h"

/* ---- token new --------------------------------------------------------------------- */

static const char token_help[] =
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
	"  --routes LIST   what the token may use, comma separated: messages (queue\n"
	"                  and read messages), notices (broadcast, follow, cancel),\n"
	"                  tasks (list, add, close).  Default: all three.\n";

static int
token_new(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "routes", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char tok[64], hex[65], list[128], *copy, *cur, *item, *save = NULL;
	unsigned char sum[32];
	const char *routes = "messages,notices,tasks", *name;
	unsigned bits = 0;
	int ch;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'r': routes = optarg; break;
		case 'h': fputs(token_help, stdout); return EXIT_OK;
		default: fputs(token_help, stderr); return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		fputs(token_help, stderr);
		return EXIT_USAGE;
	}
	name = argv[optind];
	if (*name == '\0' || strlen(name) > 31 ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-_") != strlen(name))
		return cli_err(EXIT_USAGE, "token name \"%s\" must be 1-31 of a-z 0-9 - _", name);
	if ((copy = strdup(routes)) == NULL)
		return cli_err(EXIT_FAIL, "out of memory");
	for (cur = copy; (item = strtok_r(cur, ",", &save)) != NULL; cur = NULL) {
		unsigned bit;
		if (httpd_route_bit(str_trim(item), &bit) != 0) {
			cli_err(EXIT_USAGE, "--routes: \"%s\" is not messages, notices or tasks",
				item);
			free(copy);
			return EXIT_USAGE;
		}
		bits |= bit;
	}
	free(copy);
	if (bits == 0)
		return cli_err(EXIT_USAGE,
			       "--routes: name at least one of messages, notices, tasks");
	list[0] = '\0';
	for (unsigned b = 1; b <= HTTP_ROUTE_TASKS; b <<= 1)
		if (bits & b) {
			size_t l = strlen(list);
			snprintf(list + l, sizeof(list) - l, "%s\"%s\"", l ? ", " : "",
				 httpd_route_name(b));
		}
	if (httpd_token_new(tok, sizeof(tok)) != 0 || httpd_token_hash(tok, sum) != 0)
		return cli_err(EXIT_FAIL,
			       "cannot make a token: no randomness or hashing available");
	for (size_t i = 0; i < sizeof(sum); i++)
		snprintf(hex + i * 2, 3, "%02x", sum[i]);
	for (size_t i = 0; i < c->cfg->http.ntokens; i++)
		if (strcmp(c->cfg->http.tokens[i].name, name) == 0)
			fprintf(stderr,
				"duban: note: %s already has a token \"%s\": replace its sha256 "
				"to revoke the old one\n",
				c->cfg->path ? c->cfg->path : "the configuration", name);
	printf("token for \"%s\" (shown this once; duban keeps only its SHA-256):\n\n    %s\n\n",
	       name, tok);
	printf("add this to the tokens list of the http group of %s, then reload (kill -HUP):\n\n",
	       c->cfg->path ? c->cfg->path : "duban.cfg");
	printf("    { name = \"%s\"; sha256 = \"%s\"; routes = [ %s ]; }\n", name, hex, list);
	explicit_bzero(tok, sizeof(tok));
	return EXIT_OK;
}

static const char token_group_help[] =
	"usage: duban token new NAME [--routes LIST]\n"
	"\n"
	"API tokens of the HTTP server; see \"duban token new --help\".\n";

int
cmd_token(struct cli *c, int argc, char **argv)
{
	static const struct cli_cmd cmds[] = {
		{ "new", token_new, NULL },
		{ NULL, NULL, NULL },
	};
	return cli_dispatch(c, argc, argv, cmds, token_group_help);
}

/* ---- inbox ----------------------------------------------------------------------------- */

static const char inbox_list_help[] =
	"usage: duban inbox list [--all] [--limit N] [--format table|csv|json]\n"
	"\n"
	"Replies (SMS sent back to duban) that wait for staff: anything that is no\n"
	"command, and commands duban could not carry out (a number nobody in the\n"
	"people list has, \"完成 T12\" from someone who is not the lead or an owner,\n"
	"a code that is no task).  Commands that were carried out (TD, 收到, 完成 T12)\n"
	"are in the list too with --all.  Oldest first; --limit shows the newest N.\n"
	"Columns: id, received (local time), from (the person, or empty), phone,\n"
	"text, action (what duban did), status (new, handled, read).  Mark a reply\n"
	"as dealt with by \"duban inbox read ID\".\n";

static int
inbox_row(void *arg, const struct inbound *in)
{
	char id[24], when[24];
	const char *cells[7];

	snprintf(id, sizeof(id), "%" PRId64, in->id);
	cells[0] = id;
	cells[1] = time_fmt_local(in->received_at, when, sizeof(when));
	cells[2] = in->person_name ? in->person_name : "";
	cells[3] = in->phone;
	cells[4] = in->text;
	cells[5] = in->action;
	cells[6] = in->status;
	return table_add(arg, cells);
}

static int
inbox_list(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "limit", required_argument, NULL, 'l' },
		{ "format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const h[] = { "id",   "received", "from",  "phone",
					 "text", "action",   "status" };
	struct inbound_filter f = { .status = "new" };
	struct table *t;
	long limit;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'a': f.status = NULL; break;
		case 'l':
			if (parse_long(optarg, 1, 1000000, &limit) != 0)
				return cli_err(EXIT_USAGE,
					       "--limit must be a number from 1 to 1000000");
			f.limit = (size_t)limit;
			break;
		case 'F':
			if (cli_parse_format(optarg, &c->fmt) != 0)
				return cli_err(EXIT_USAGE, "--format must be table, csv or json");
			break;
		case 'h': fputs(inbox_list_help, stdout); return EXIT_OK;
		default: fputs(inbox_list_help, stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc)
		return cli_err(EXIT_USAGE, "inbox list: unexpected argument \"%s\"", argv[optind]);
	if (cli_store(c) == NULL || (t = table_new(ARRAY_LEN(h), h, "issssss")) == NULL)
		return EXIT_FAIL;
	if ((rc = store_inbound_each(c->st, &f, inbox_row, t)) != STORE_OK) {
		table_free(t);
		return cli_err(EXIT_FAIL, "%s", store_errmsg(c->st));
	}
	if (table_rows(t) == 0 && c->fmt == FMT_TABLE)
		printf("%s\n",
		       f.status ? "no replies waiting (duban inbox list --all shows every reply)"
				: "no replies yet");
	else
		table_print(t, c->fmt, stdout);
	table_free(t);
	return EXIT_OK;
}

static const char inbox_read_help[] =
	"usage: duban inbox read ID...\n"
	"\n"
	"Mark replies as read (dealt with): they leave \"duban inbox list\".\n";

static int
inbox_read(struct cli *c, int argc, char **argv)
{
	char obj[32];
	long id;
	int rc;

	if (cli_want_help(argc, argv, inbox_read_help))
		return EXIT_OK;
	if (argc < 2) {
		fputs(inbox_read_help, stderr);
		return EXIT_USAGE;
	}
	for (int i = 1; i < argc; i++)
		if (parse_long(argv[i][0] == '#' ? argv[i] + 1 : argv[i], 1, INT32_MAX, &id) != 0)
			return cli_err(EXIT_USAGE, "\"%s\" is not a reply id", argv[i]);
	if (cli_store(c) == NULL)
		return EXIT_FAIL;
	if (store_begin(c->st) != STORE_OK)
		return cli_err(EXIT_FAIL, "%s", store_errmsg(c->st));
	for (int i = 1; i < argc; i++) {
		parse_long(argv[i][0] == '#' ? argv[i] + 1 : argv[i], 1, INT32_MAX, &id);
		snprintf(obj, sizeof(obj), "reply #%ld", id);
		if ((rc = store_inbound_set(c->st, id, NULL, "read")) != STORE_OK ||
		    (rc = store_event(c->st, c->actor, "reply.read", obj, NULL)) != STORE_OK) {
			store_rollback(c->st);
			return cli_err(cli_store_exit(rc), "%s", store_errmsg(c->st));
		}
	}
	if (store_commit(c->st) != STORE_OK)
		return cli_err(EXIT_FAIL, "%s", store_errmsg(c->st));
	printf("%d repl%s marked read\n", argc - 1, argc == 2 ? "y" : "ies");
	return EXIT_OK;
}

static const char inbox_help[] =
	"usage: duban inbox list [--all] [--limit N] [--format table|csv|json]\n"
	"       duban inbox read ID...\n"
	"\n"
	"Replies (MO) for staff to read; see each command's --help.\n";

int
cmd_inbox(struct cli *c, int argc, char **argv)
{
	static const struct cli_cmd cmds[] = {
		{ "list", inbox_list, NULL },
		{ "read", inbox_read, NULL },
		{ NULL, NULL, NULL },
	};
	return cli_dispatch(c, argc, argv, cmds, inbox_help);
}
