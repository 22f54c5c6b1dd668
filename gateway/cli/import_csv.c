/*
 * import_csv.c - what "duban person import" and "duban task import" share:
 * one set of options (FILE, --encoding, --dry-run), one call of an import
 * action of core/import.c, and one way to report a refused file (every bad
 * row as FILE:LINE: reason, then why nothing was imported).  Each group
 * keeps its own help and its own sentence for what was imported; the task
 * import's are here too.
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

/* ---- task import -------------------------------------------------------------------- */

static const char task_import_help[] = N_(
	"usage: duban task import FILE [--encoding auto|utf-8|gb18030] [--dry-run]\n"
	"\n"
	"Import tasks from a spreadsheet saved as CSV (the same encodings as person\n"
	"import).  Columns, in any order, each by any of its names:\n"
	"  code        编号 代码 (empty: the next free T<n>)\n"
	"  title       督办事项 事项 标题 事项名称 项目              (required)\n"
	"  deadline    完成时限 时限 期限 截止日期 截止时间          (required)\n"
	"  lead        牵头领导 责任领导                            (required)\n"
	"  owners      责任人\n"
	"  members     成员\n"
	"  team        班子 责任班子 (a group)\n"
	"  supervisor  督办领导 督办\n"
	"  rules       规则\n"
	"  detail      说明 详情 具体内容\n"
	"  status      状态: open 进行中, done 已完成, cancelled 已取消 (default open)\n"
	"  closed_at   关闭时间 办结时间: when a done or cancelled task was closed\n"
	"Deadlines as 2008-12-31, 2008/12/31, 2008.12.31 or 2008年12月31日, each\n"
	"with an optional time HH:MM, or Excel's date numbers.  owners and members\n"
	"are lists of WHO separated by ; ； 、 , or ，.  Other columns are ignored and\n"
	"named once; empty rows are skipped.  All or nothing: each problem is\n"
	"reported once as FILE:LINE: reason with its rows, and nothing is changed.\n"
	"\"duban task list --format csv\" writes exactly these columns.\n");

static void
tasks_imported(const char *file, bool dry, const struct import_result *res)
{
	printf(dry ? _("would import %zu tasks from %s\n") : _("imported %zu tasks from %s\n"),
	       res->rows, file);
}

int
cli_task_import(struct cli *c, int argc, char **argv)
{
	return cli_import(c, argc, argv, "task", task_import_help, false, import_tasks,
			  tasks_imported);
}
