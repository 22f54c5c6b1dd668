/*
 * daemon.c - `duban run`: one event loop over the scheduler and the
 * dispatcher.  Every wait is the shortest of: the scheduler's next fire
 * time, the dispatcher's own timers and network activity, the data_version
 * check (at most poll_ms, so rows other processes queue are noticed within
 * a second), the drain deadline, and the signal pipe.  There is no fixed
 * sleep.  SIGTERM/SIGINT stop leasing, let requests in flight finish for
 * the grace period, commit and exit 0; a second one exits at once.  SIGHUP
 * loads the configuration, templates and rules again and switches to them
 * only when all are valid, once the requests in flight are done.
 */
#include "server/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/dispatch.h"
#include "server/httpd.h"
#include "base/log.h"
#include "core/rules.h"
#include "core/sched.h"
#include "core/tmpl.h"
#include "base/clock.h"
#include "base/zone.h"

#define NEVER INT64_MAX
#define SCHED_MAX_SLEEP_MS (5 * 60 * 1000) /* a pass at least this often, whatever next_fire says */

/*
 * The write end of the signal pipe.  The one file-scope variable of duban
 * that changes: a signal handler can reach nothing else.
 */
static volatile sig_atomic_t sig_wr = -1;

static void
on_signal(int sig)
{
	int saved = errno;
	char b = sig == SIGHUP ? 'H' : 'T';

	if (sig_wr >= 0 && write(sig_wr, &b, 1) < 0) {
		/* pipe full: enough bytes are already waiting to wake the loop */
	}
	errno = saved;
}

int
daemon_sig_open(struct daemon_sig *s, bool hup, char *err, size_t errlen)
{
	struct sigaction sa;
	int fds[2];

	s->rd = s->wr = -1;
	if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
		snprintf(err, errlen, "signal pipe: %s", strerror(errno));
		return -1;
	}
	s->rd = fds[0];
	s->wr = fds[1];
	sig_wr = fds[1];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (hup)
		sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

void
daemon_sig_read(struct daemon_sig *s, int *terms, int *hups)
{
	char b[64];
	ssize_t n;

	*terms = *hups = 0;
	while ((n = read(s->rd, b, sizeof(b))) > 0)
		for (ssize_t i = 0; i < n; i++) {
			if (b[i] == 'H')
				(*hups)++;
			else
				(*terms)++;
		}
}

void
daemon_sig_close(struct daemon_sig *s)
{
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	sig_wr = -1;
	if (s->rd >= 0)
		close(s->rd);
	if (s->wr >= 0)
		close(s->wr);
	s->rd = s->wr = -1;
}

/* ---- the loop ------------------------------------------------------------- */

struct run {
	struct cli *c;
	struct dispatch *d;
	struct daemon_sig sig;
	struct sched sched;
	int64_t next_sched_ms, next_dv_ms, grace_until_ms;
	int64_t dv;
	bool draining;
	/* A valid new configuration waiting for the requests in flight. */
	struct duban_config *ncfg;
	struct tmpl_set *ntmpls;
	struct rules *nrules;
	struct httpd *http;  /* the HTTP server (NULL: http not enabled) */
	int64_t last_tick;   /* UTC seconds of the scheduler's last pass */
};

static void
run_sched(struct run *r, int64_t now)
{
	struct sched_stats stats = { 0 };
	int64_t next = 0, at;
	char err[512];

	r->next_sched_ms = now + SCHED_MAX_SLEEP_MS;
	if (sched_pass(&r->sched, time_now(), &stats, &next, err, sizeof(err)) != 0) {
		log_warnx("scheduler: %s (trying again in 5 s)", err);
		r->next_sched_ms = now + 5000;
		return;
	}
	r->last_tick = time_now();
	if (stats.queued > 0) {
		log_info("scheduler: %zu reminders queued", stats.queued);
		dispatch_poke(r->d);
	}
	if (stats.skipped > 0 || stats.failed > 0)
		log_info("scheduler: %zu stale steps skipped, %zu reminders failed", stats.skipped,
			 stats.failed);
	if (next != 0 && (at = dispatch_mono_at(next)) < r->next_sched_ms)
		r->next_sched_ms = at;
}

static void
check_data_version(struct run *r, int64_t now)
{
	int64_t v;

	r->next_dv_ms = now + r->c->cfg->dispatcher.poll_ms;
	if (store_data_version(r->c->st, &v) != STORE_OK) {
		log_warnx("%s", store_errmsg(r->c->st));
		return;
	}
	if (v != r->dv) {
		/* Another process committed: new rows or tasks may be due. */
		r->dv = v;
		dispatch_poke(r->d);
		r->next_sched_ms = now;
	}
}

static void
free_pending(struct run *r)
{
	config_free(r->ncfg);
	tmpl_set_free(r->ntmpls);
	rules_free(r->nrules);
	r->ncfg = NULL;
	r->ntmpls = NULL;
	r->nrules = NULL;
}

/* SIGHUP: load everything again; keep it only if all of it is valid. */
static void
reload_begin(struct run *r)
{
	const struct duban_config *cur = r->c->cfg;
	struct diag diag = { 0 };

	if (cur->path == NULL) {
		log_warnx("SIGHUP: running on built-in defaults; there is no file to reload");
		return;
	}
	if (r->ncfg != NULL) {
		log_info("SIGHUP: a reload is already waiting for requests in flight");
		return;
	}
	if (config_load_file(cur->path, &r->ncfg, &diag) != 0 ||
	    tmpl_set_load_dir(r->ncfg->templates_dir, &r->ntmpls, &diag) != 0 ||
	    rules_load_dir(r->ncfg->rules_dir, r->ntmpls, &r->nrules, &diag) != 0) {
		for (size_t i = 0; i < diag.n && i < diag.cap; i++)
			log_warnx("SIGHUP: %s", diag.line[i] ? diag.line[i] : "(out of memory)");
		log_warnx("SIGHUP: configuration not reloaded; still running on the previous one");
		diag_clear(&diag);
		free_pending(r);
		return;
	}
	if (strcmp(r->ncfg->database, cur->database) != 0 || r->ncfg->nproviders == 0) {
		log_warnx("SIGHUP: %s: %s; still running on the previous configuration", cur->path,
			  r->ncfg->nproviders == 0 ? "no providers configured"
						   : "the database cannot change while running (restart)");
		free_pending(r);
		return;
	}
	log_info("SIGHUP: %s is valid; switching once the requests in flight are done", cur->path);
	dispatch_drain(r->d);
}

/* The old engine is idle: swap the configuration in.  0, or -1 (fatal). */
static int
reload_finish(struct run *r)
{
	struct cli *c = r->c;
	char err[512];

	dispatch_free(r->d);
	r->d = NULL;
	/* The server lets go of the old configuration before it is freed. */
	httpd_reload(r->http, r->ncfg);
	config_free(c->cfg);
	tmpl_set_free(c->tmpls);
	rules_free(c->rules);
	c->cfg = r->ncfg;
	c->tmpls = r->ntmpls;
	c->rules = r->nrules;
	r->ncfg = NULL;
	r->ntmpls = NULL;
	r->nrules = NULL;
	if (time_set_zone(c->cfg->timezone) != 0)
		log_warnx("time zone \"%s\" is not installed", c->cfg->timezone);
	if (log_open("duban", c->cfg->log_file, c->cfg->log_level) != 0)
		log_warn("%s", c->cfg->log_file);
	r->sched = (struct sched){ c->st, c->cfg, c->rules, c->tmpls };
	if (sched_init(&r->sched) != 0)
		log_warnx("scheduler: %s", store_errmsg(c->st));
	if (dispatch_new(c->cfg, &r->d, err, sizeof(err)) != 0) {
		log_warnx("after reload: %s", err);
		return -1;
	}
	r->next_sched_ms = 0;
	log_info("configuration reloaded: %zu providers", c->cfg->nproviders);
	return 0;
}

static void
on_signals(struct run *r, int64_t now, bool *stop_now)
{
	int terms, hups;

	daemon_sig_read(&r->sig, &terms, &hups);
	if (terms > 0 && !r->draining) {
		r->draining = true;
		r->grace_until_ms = now + r->c->cfg->dispatcher.grace_ms;
		dispatch_drain(r->d);
		log_info("stopping: no more leasing; requests in flight have %ld s to finish "
			 "(a second signal stops at once)",
			 r->c->cfg->dispatcher.grace_ms / 1000);
		terms--;
	}
	if (terms > 0) {
		log_warnx("second signal: stopping at once; unfinished messages go out again when "
			  "their lease runs out");
		*stop_now = true;
	}
	if (hups > 0 && !r->draining)
		reload_begin(r);
}

static int64_t
min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static int
loop(struct run *r)
{
	struct curl_waitfd wfd = { r->sig.rd, CURL_WAIT_POLLIN, 0 };
	bool stop_now = false;

	for (;;) {
		int64_t now = time_mono_ms(), until;

		if (!r->draining && r->ncfg == NULL && now >= r->next_sched_ms)
			run_sched(r, now);
		if (now >= r->next_dv_ms)
			check_data_version(r, now);
		until = min64(r->next_sched_ms, r->next_dv_ms);
		if (r->draining)
			until = min64(until, r->grace_until_ms);
		until = min64(until, now + 1000) - now;
		wfd.revents = 0;
		if (dispatch_turn(r->d, until > 0 ? (int)until : 0, &wfd, 1) != 0) {
			log_warnx("libcurl failed; stopping");
			return EXIT_FAIL;
		}
		httpd_pulse(r->http, r->d, r->last_tick);
		now = time_mono_ms();
		on_signals(r, now, &stop_now);
		if (stop_now) {
			dispatch_discard(r->d);
			r->d = NULL;
			return EXIT_FAIL;
		}
		if (r->ncfg != NULL && !r->draining && dispatch_idle(r->d) && reload_finish(r) != 0)
			return EXIT_FAIL;
		if (r->draining) {
			if (dispatch_idle(r->d))
				return EXIT_OK;
			if (now >= r->grace_until_ms) {
				log_warnx("grace period over: requests still in flight are abandoned and "
					  "queued again");
				dispatch_abort(r->d);
				return EXIT_OK;
			}
		}
	}
}

static const char run_help[] =
	"usage: duban run\n"
	"\n"
	"Run the daemon in the foreground: the scheduler queues reminders when they\n"
	"are due, the dispatcher sends whatever is due through the configured\n"
	"providers, and messages other commands queue are picked up within a\n"
	"second.  Logs go to stderr or log.file, one line per event, phone numbers\n"
	"masked.\n"
	"\n"
	"Signals: SIGTERM or SIGINT stop leasing, let requests in flight finish\n"
	"(dispatcher.grace), commit and exit 0; a second one exits at once.  SIGHUP\n"
	"reloads the configuration, rules and templates if they are all valid, and\n"
	"otherwise logs why and keeps running on the previous ones.\n";

int
cmd_run(struct cli *c, int argc, char **argv)
{
	struct run r = { .c = c };
	struct dispatch_stats st;
	char err[512];
	int rc;

	if (cli_want_help(argc, argv, run_help))
		return EXIT_OK;
	if (argc > 1)
		return cli_err(EXIT_USAGE, "run takes no arguments");
	if (c->cfg->log_file && log_open("duban", c->cfg->log_file, c->cfg->log_level) != 0)
		return cli_err(EXIT_FAIL, "%s: cannot open the log file", c->cfg->log_file);
	if (cli_store(c) == NULL)
		return EXIT_FAIL;
	if (dispatch_new(c->cfg, &r.d, err, sizeof(err)) != 0)
		return cli_err(EXIT_FAIL, "%s", err);
	if (daemon_sig_open(&r.sig, true, err, sizeof(err)) != 0) {
		dispatch_free(r.d);
		return cli_err(EXIT_FAIL, "%s", err);
	}
	r.sched = (struct sched){ c->st, c->cfg, c->rules, c->tmpls };
	if (sched_init(&r.sched) != 0)
		log_warnx("scheduler: %s", store_errmsg(c->st));
	store_data_version(c->st, &r.dv);
	if (c->cfg->http.enabled && httpd_start(c->cfg, &r.http, err, sizeof(err)) != 0) {
		dispatch_free(r.d);
		daemon_sig_close(&r.sig);
		return cli_err(EXIT_FAIL, "%s", err);
	}
	log_info("running: database %s, providers: %zu, pid %ld", c->cfg->database,
		 c->cfg->nproviders, (long)getpid());
	rc = loop(&r);
	httpd_stop(r.http);
	if (r.d != NULL) {
		dispatch_get_stats(r.d, &st);
		log_info("stopped: %llu sent, %llu retried, %llu failed, %llu expired, %llu handed back",
			 (unsigned long long)st.sent, (unsigned long long)st.retried,
			 (unsigned long long)st.failed, (unsigned long long)st.expired,
			 (unsigned long long)st.released);
		dispatch_free(r.d);
	}
	free_pending(&r);
	daemon_sig_close(&r.sig);
	return rc;
}
