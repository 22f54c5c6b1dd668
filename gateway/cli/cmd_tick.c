/*
 * cmd_tick.c - "duban tick": one pass of the scheduler, then exit; the
 * same pass the daemon runs on its timer.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "base/i18n.h"
#include "core/sched.h"
#include "base/clock.h"
#include "base/zone.h"

static const char tick_help[] = N_(
	"usage: duban tick [--quiet]\n"
	"\n"
	"Run one pass of the scheduler and exit: queue every reminder whose time has\n"
	"come (in the configured time zone; DUBAN_NOW replaces the clock).  Running\n"
	"it twice, or beside a running daemon, never queues a reminder twice.  After\n"
	"downtime only the latest due step per task and person is queued; older ones\n"
	"are recorded as skipped (duban outbox list --status skipped).\n");

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
		return cli_err(EXIT_USAGE, _("usage: duban tick [--quiet]"));
	if (cli_store(c) == NULL || cli_sched_init(c, &s) != 0)
		return EXIT_FAIL;
	if (sched_pass(&s, time_now(), &stats, &next, err, sizeof(err)) != 0)
		return cli_err(EXIT_FAIL, "%s", err);
	if (!quiet) {
		printf(_("tick: %zu tasks due, %zu reminders queued, %zu skipped, %zu failed"),
		       stats.tasks, stats.queued, stats.skipped, stats.failed);
		if (next)
			printf(_("; next at %s"), time_fmt_local(next, when, sizeof(when)));
		putchar('\n');
	}
	return stats.failed ? EXIT_FAIL : EXIT_OK;
}
