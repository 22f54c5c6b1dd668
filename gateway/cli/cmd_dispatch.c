/*
 * cmd_dispatch.c - "duban dispatch": send what is due through the
 * configured providers and exit, with the same engine as the daemon
 * (core/dispatch.c) and the same clean stop on SIGINT/SIGTERM.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "base/i18n.h"
#include "server/daemon.h"
#include "core/dispatch.h"
#include "base/clock.h"

static const char dispatch_help[] = N_(
	"usage: duban dispatch [--until-empty]\n"
	"\n"
	"Send every message that is due now through the configured providers and\n"
	"exit.  Transient failures are queued again with backoff; with\n"
	"--until-empty the command waits for those retries too, and for messages\n"
	"another dispatcher is sending, and exits when nothing is left to send\n"
	"(messages scheduled for later and those held by quiet hours stay queued).\n"
	"SIGINT/SIGTERM stop it cleanly, as they stop the daemon.  Prints what was\n"
	"done and the rate.\n");

/* Is anything left for --until-empty to wait for? */
static bool
more_to_do(struct cli *c)
{
	struct outbox_pending p;
	int64_t now = time_now();

	if (store_outbox_pending(c->st, now, dispatch_quiet_until(&c->cfg->quiet, now) != 0, &p) !=
	    STORE_OK) {
		log_warnx("%s", store_errmsg(c->st));
		return true;
	}
	return p.due + p.retrying + p.sending > 0;
}

/* Turn the engine until done; a second signal frees it at once (*dp NULL). */
static int
dispatch_loop(struct cli *c, struct dispatch **dp, bool until_empty)
{
	struct dispatch *d = *dp;
	struct daemon_sig sig;
	struct curl_waitfd wfd;
	int64_t grace_until = 0;
	bool draining = false;
	char err[256];
	int rc = EXIT_OK;

	if (daemon_sig_open(&sig, false, err, sizeof(err)) != 0)
		return cli_err(EXIT_FAIL, "%s", err);
	wfd = (struct curl_waitfd){ sig.rd, CURL_WAIT_POLLIN, 0 };
	for (;;) {
		int terms, hups;

		if (dispatch_turn(d, 1000, &wfd, 1) != 0) {
			rc = cli_err(EXIT_FAIL, _("libcurl failed"));
			break;
		}
		daemon_sig_read(&sig, &terms, &hups);
		if (terms > 0 && draining) {
			dispatch_discard(d);
			*dp = NULL;
			daemon_sig_close(&sig);
			return cli_err(EXIT_FAIL, _("stopped at once"));
		}
		if (terms > 0) {
			draining = true;
			dispatch_drain(d);
			grace_until = time_mono_ms() + c->cfg->dispatcher.grace_ms;
		}
		if (draining) {
			if (dispatch_idle(d))
				break;
			if (time_mono_ms() >= grace_until) {
				dispatch_abort(d);
				break;
			}
			continue;
		}
		if (dispatch_idle(d) && dispatch_caught_up(d) && (!until_empty || !more_to_do(c)))
			break;
	}
	daemon_sig_close(&sig);
	return rc;
}

int
cmd_dispatch(struct cli *c, int argc, char **argv)
{
	struct dispatch *d;
	struct dispatch_stats st;
	bool until_empty = false;
	char err[512];
	int64_t t0;
	double secs;
	int rc;

	if (cli_want_help(argc, argv, dispatch_help))
		return EXIT_OK;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--until-empty") == 0)
			until_empty = true;
		else
			return cli_err(EXIT_USAGE, _("dispatch: unexpected argument \"%s\""), argv[i]);
	}
	if (cli_need_secrets(c) != 0 || cli_store(c) == NULL)
		return EXIT_FAIL;
	if (dispatch_new(c->cfg, &d, err, sizeof(err)) != 0)
		return cli_err(EXIT_FAIL, "%s", err);
	t0 = time_mono_ms();
	rc = dispatch_loop(c, &d, until_empty);
	if (d == NULL)
		return rc;
	dispatch_get_stats(d, &st);
	dispatch_free(d);
	secs = (double)(time_mono_ms() - t0) / 1000.0;
	printf(_("dispatch: %llu sent, %llu retried, %llu failed, %llu expired in %.2f s (%.0f msg/s; "
	       "database %.2f s leasing, %.2f s recording)\n"),
	       (unsigned long long)st.sent, (unsigned long long)st.retried,
	       (unsigned long long)st.failed, (unsigned long long)st.expired, secs,
	       secs > 0 ? (double)st.sent / secs : 0.0, (double)st.lease_us / 1e6,
	       (double)st.record_us / 1e6);
	return rc;
}
