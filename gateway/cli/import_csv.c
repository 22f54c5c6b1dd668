/*
 * import_csv.c - what "duban person import" and "duban task import" share:
 * one set of options (FILE, --encoding, --dry-run), one call of an import
 * action of core/import.c, and one way to report a refused file (every bad
 * row as FILE:LINE: reason, then why nothing was imported).  Each group
 * keeps its own help and its own sentence for what was imported.
 */
#include "cli/cli.h"
#include "base/i18n.h"

#include <getopt.h>

#include "core/ctx.h"
#include "core/import.h"
#include "base/diag.h"

int
cli_import(struct cli *c, int argc, char **argv, const char *group, const char *help,
	   bool update_ok, cli_import_fn *run, cli_imported_fn *imported)
{
	static const struct option opts[] = {
		{ "encoding", required_argument, NULL, 'e' }, { "dry-run", no_argument, NULL, 'n' },
		{ "update", no_argument, NULL, 'u' },	      { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct import_opts o = { 0 };
	struct import_result res;
	struct diag d = { 0 };
	struct duban_ctx x;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'e': o.encoding = optarg; break;
		case 'n': o.dry = true; break;
		case 'u':
			if (update_ok) {
				o.update = true;
				break;
			}
			/* fall through */
		case 'h':
		default: return cli_show_help(help, ch == 'h');
		}
	}
	if (optind + 1 != argc)
		return cli_err(EXIT_USAGE, _("usage: duban %s import FILE"), group);
	o.file = argv[optind];
	if (cli_ctx(c, &x) != 0)
		return EXIT_FAIL;
	rc = run(&x, &o, &d, &res);
	if (rc == ACTION_OK) {
		imported(o.file, o.dry, &res);
		if (*res.ignored)
			printf(_("ignored columns: %s\n"), res.ignored);
	} else if (rc == ACTION_INVALID) {
		diag_print(&d, stderr);
	}
	if (rc != ACTION_OK)
		cli_err(rc == ACTION_INVALID ? EXIT_USAGE : EXIT_FAIL, "%s", x.err);
	diag_clear(&d);
	return rc == ACTION_OK ? EXIT_OK : rc == ACTION_INVALID ? EXIT_USAGE : EXIT_FAIL;
}
