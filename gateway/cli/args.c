/*
 * args.c - how the commands read their arguments: where --help goes and
 * with which exit code, what --format accepts and how a refused one is
 * said, and the hand-read arguments of the list and show commands that
 * take only --format and an operand.  The texts are the commands' own;
 * the rules for printing them are here, once.
 */
#include "cli/cli.h"
#include "base/i18n.h"

#include <string.h>

int
cli_parse_format(const char *s, enum out_format *out)
{
	if (strcmp(s, "table") == 0)
		*out = FMT_TABLE;
	else if (strcmp(s, "csv") == 0)
		*out = FMT_CSV;
	else if (strcmp(s, "json") == 0)
		*out = FMT_JSON;
	else
		return -1;
	return 0;
}

int
cli_format_opt(struct cli *c, const char *arg, bool name_it)
{
	if (cli_parse_format(arg, &c->fmt) == 0)
		return 0;
	if (name_it)
		cli_err(EXIT_USAGE, _("--format must be table, csv or json, not \"%s\""), arg);
	else
		cli_err(EXIT_USAGE, _("--format must be table, csv or json"));
	return -1;
}

bool
cli_want_help(int argc, char **argv, const char *help)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			fputs(_(help), stdout);
			return true;
		}
	}
	return false;
}

int
cli_show_help(const char *help, bool asked)
{
	fputs(_(help), asked ? stdout : stderr);
	return asked ? EXIT_OK : EXIT_USAGE;
}

int
cli_format_args(struct cli *c, int argc, char **argv, const char *cmd, const char *help,
		bool name_it, const char **operand, int *code)
{
	if (operand)
		*operand = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
			if (cli_format_opt(c, argv[++i], name_it) != 0) {
				*code = EXIT_USAGE;
				return -1;
			}
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			*code = cli_show_help(help, true);
			return -1;
		} else if (operand && *operand == NULL) {
			*operand = argv[i];
		} else {
			*code = cli_err(EXIT_USAGE, _("%s: unexpected argument \"%s\""), cmd, argv[i]);
			return -1;
		}
	}
	return 0;
}
