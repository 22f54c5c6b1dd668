/*
 * daemon.c - `duban run`: one event loop (base/evloop.c) over the
 * scheduler, the dispatcher and the HTTP server.  The loop's timers are
 * the scheduler's pass (run on the scheduler's thread, whose end arms the
 * next fire time), the data_version check every dispatcher.poll_ms (for
 * rows other processes queue) and the drain deadline; the loop's thread
 * never waits for the database's write lock, which another process may
 * hold for long: a stall there would count replies already in the
 * sockets as timeouts.  The dispatcher's own timers (lease,
 * lease reclaim and renewal, commit deadline, tokens, breakers) live in
 * the engine, whose dispatch_turn is the loop's wait: it sleeps until the
 * earliest of all of them, network activity, the signal pipe or a
 * wake-up, and never longer.  The HTTP thread wakes the loop when a
 * request committed work (an atomic set of bits, then curl_multi_wakeup
 * through dispatch_wakeup), so the engine leases, or the scheduler runs,
 * at once.  SIGTERM/SIGINT stop leasing, let requests in flight finish for
 * the grace period, commit and return; a second one returns at once.
 * SIGHUP loads the configuration, templates and rules again and switches
 * to them only when all are valid, once the requests in flight are done;
 * the scheduler then plans again at once.  It reopens the log file too,
 * even when the new configuration is refused (logrotate's SIGHUP).
 *
 * Under systemd (Type=notify, NOTIFY_SOCKET set) the daemon says READY=1
 * once the HTTP server listens and the loop is about to run, RELOADING=1
 * when a reload is accepted and READY=1 again when it is done (or at once
 * when it is refused), STOPPING=1 when a signal stops it; elsewhere
 * sd_notify does nothing.
 */
#include "server/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include "base/evloop.h"
#include "base/log.h"
#include "core/config.h"
#include "core/dispatch.h"
#include "core/route.h"
#include "core/rules.h"
#include "core/sched.h"
#include "core/tmpl.h"
#include "server/httpd.h"
#include "store/store.h"
#include "base/diag.h"
#include "base/clock.h"
#include "base/zone.h"

/*
 * The scheduler's pass runs at least this often whatever its next fire
 * time: that time is turned into a monotonic delay when it is computed,
 * and a step of the wall clock (NTP, an operator) would shift it.
 */
#define SCHED_MAX_SLEEP_MS (5 * 60 * 1000)
#define SCHED_RETRY_MS 5000 /* after a failed pass */

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
	struct daemon_env *e;
	struct evloop *loop;
	/*
	 * The engine, rebuilt on reload.  The loop's thread alone changes it,
	 * under d_mu, which the HTTP thread's wake-up takes to reach it.
	 */
	struct dispatch *d;
	pthread_mutex_t d_mu;
	struct daemon_sig sig;
	struct sched sched;
	struct sched_thread *sth; /* where the passes run: they may wait for the write lock */
	long long sched_timer; /* the scheduler's pass (0: none, draining) */
	bool sched_again;      /* the timer fired while a pass ran: another at once */
	int64_t dv;            /* the data_version last seen */
	bool draining;
	/* A valid new configuration waiting for the requests in flight. */
	struct duban_config *ncfg;
	struct tmpl_set *ntmpls;
	struct rules *nrules;
	struct httpd *http;  /* the HTTP server (NULL: http not enabled) */
	int64_t last_tick;   /* UTC seconds of the scheduler's last pass */
	atomic_uint work;    /* HTTPD_WORK_* bits the HTTP thread left for the loop */
	int rc;              /* enum daemon_rc once the loop stops */
};

/* Put d in as the engine; returns the previous one, the caller's to free. */
static struct dispatch *
swap_engine(struct run *r, struct dispatch *d)
{
	struct dispatch *old;

	pthread_mutex_lock(&r->d_mu);
	old = r->d;
	r->d = d;
	pthread_mutex_unlock(&r->d_mu);
	return old;
}

static void
stop(struct run *r, int rc)
{
	r->rc = rc;
	evloop_stop(r->loop);
}

/* The loop's wait is a turn of the engine: its network, its timers, the loop's descriptors. */
static int
engine_wait(void *arg, struct pollfd *fds, size_t nfds, int timeout_ms)
{
	struct run *r = arg;
	struct curl_waitfd w[EVLOOP_FDS_MAX];

	for (size_t i = 0; i < nfds; i++)
		w[i] = (struct curl_waitfd){ fds[i].fd, CURL_WAIT_POLLIN, 0 };
	if (r->d == NULL || dispatch_turn(r->d, timeout_ms, w, (unsigned)nfds) != 0) {
		log_warnx("libcurl failed; stopping");
		return -1;
	}
	for (size_t i = 0; i < nfds; i++)
		fds[i].revents = (w[i].revents & CURL_WAIT_POLLIN) ? POLLIN : 0;
	return 0;
}

/* Any thread: end the engine's wait (curl_multi_wakeup). */
static void
engine_wakeup(void *arg)
{
	struct run *r = arg;

	pthread_mutex_lock(&r->d_mu);
	if (r->d != NULL)
		dispatch_wakeup(r->d);
	pthread_mutex_unlock(&r->d_mu);
}

/* The HTTP thread: a request committed work for the loop. */
static void
on_http_work(void *arg, unsigned work)
{
	struct run *r = arg;

	atomic_fetch_or(&r->work, work);
	evloop_wakeup(r->loop);
}

/* The scheduler's thread: a pass has ended. */
static void
on_sched_done(void *arg)
{
	struct run *r = arg;

	evloop_wakeup(r->loop);
}

/* The outcome of a pass that has ended, if one has; arms the next. */
static void
sched_collect(struct run *r)
{
	struct sched_stats stats;
	int64_t next, at, now;
	long delay = SCHED_MAX_SLEEP_MS;
	char err[512];
	int rc;

	if (!sched_thread_collect(r->sth, &rc, &stats, &next, err, sizeof(err)))
		return;
	if (rc != 0) {
		log_warnx("%s (trying again in %d s)", err, SCHED_RETRY_MS / 1000); /* err names the scheduler */
		delay = SCHED_RETRY_MS;
	} else {
		r->last_tick = time_now();
		if (stats.queued > 0) {
			log_info("scheduler: %zu reminders queued", stats.queued);
			if (r->d != NULL)
				dispatch_poke(r->d);
		}
		if (stats.skipped > 0 || stats.failed > 0)
			log_info("scheduler: %zu stale steps skipped, %zu reminders failed",
				 stats.skipped, stats.failed);
		now = time_mono_ms();
		if (next != 0 && (at = dispatch_mono_at(next)) - now < delay)
			delay = at > now ? (long)(at - now) : 0;
	}
	if (r->sched_again)
		delay = 0;
	r->sched_again = false;
	if (r->sched_timer != 0)
		evloop_timer_set(r->loop, r->sched_timer, delay);
}

/* The loop's thread, after a wake-up: a pass that ended, what the HTTP thread asked for. */
static void
on_wake(struct evloop *l, void *arg)
{
	struct run *r = arg;
	unsigned work = atomic_exchange(&r->work, 0u);

	sched_collect(r);
	if (r->draining)
		return;
	if (work & HTTPD_WORK_OUTBOX)
		dispatch_poke(r->d);
	if ((work & HTTPD_WORK_TASKS) && r->sched_timer != 0)
		evloop_timer_set(l, r->sched_timer, 0);
}

/*
 * Time for the scheduler's pass: start it on its thread (the loop never
 * waits for the write lock); its end, in sched_collect, arms the next.
 */
static long
on_sched_timer(struct evloop *l, void *arg)
{
	struct run *r = arg;

	(void)l;
	if (r->ncfg != NULL)
		return SCHED_MAX_SLEEP_MS; /* the reload runs it again once it is done */
	if (sched_thread_start(r->sth, &r->sched, time_now()) != 0)
		r->sched_again = true; /* one is running: another when it ends */
	return SCHED_MAX_SLEEP_MS;
}

/*
 * Has another process committed?  Then rows or tasks may be due.  The one
 * query of the loop's thread: in WAL mode PRAGMA data_version reads the
 * WAL index and takes no lock a writer holds (test_sched checks).
 */
static long
on_dv_timer(struct evloop *l, void *arg)
{
	struct run *r = arg;
	struct store *st = r->e->st;
	int64_t v;

	if (store_data_version(st, &v) != STORE_OK) {
		log_warnx("%s", store_errmsg(st));
	} else if (v != r->dv) {
		r->dv = v;
		dispatch_poke(r->d);
		if (r->sched_timer != 0)
			evloop_timer_set(l, r->sched_timer, 0);
	}
	return r->e->cfg->dispatcher.poll_ms;
}

/* The grace period of a drain is over. */
static long
on_grace_timer(struct evloop *l, void *arg)
{
	struct run *r = arg;

	(void)l;
	if (!dispatch_idle(r->d)) {
		log_warnx("grace period over: requests still in flight are abandoned and queued "
			  "again");
		dispatch_abort(r->d);
	}
	stop(r, DAEMON_OK);
	return EVLOOP_DONE;
}

/*
 * Open cfg's log file again (or go back to stderr): after logrotate moved
 * it, the lines go to a new file.  Other threads may be logging; base/log.c
 * swaps the file under them.  A file that cannot be opened is logged, and
 * the log stays where it was.
 */
static void
reopen_log(const struct duban_config *cfg)
{
	if (log_open("duban", cfg->log_file, cfg->log_level) != 0)
		log_warnx("log file %s: %s; still logging where it did before", cfg->log_file,
			  strerror(errno));
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
	const struct duban_config *cur = r->e->cfg;
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
	    rules_load_dir(r->ncfg->rules_dir, r->ntmpls, &r->nrules, &diag) != 0 ||
	    route_check(r->ncfg, r->ntmpls, &diag) != 0) {
		/* Refused, but the log is reopened all the same: logrotate sent this. */
		reopen_log(cur);
		for (size_t i = 0; i < diag.n && i < diag.cap; i++)
			log_warnx("SIGHUP: %s", diag.line[i] ? diag.line[i] : "(out of memory)");
		log_warnx("SIGHUP: configuration not reloaded; still running on the previous one");
		diag_clear(&diag);
		free_pending(r);
		return;
	}
	if (config_need_secrets(r->ncfg, &diag) != 0) {
		/* What sends needs its secrets: the running daemon keeps the ones it has. */
		reopen_log(cur);
		for (size_t i = 0; i < diag.n && i < diag.cap; i++)
			log_warnx("SIGHUP: %s", diag.line[i] ? diag.line[i] : "(out of memory)");
		log_warnx("SIGHUP: configuration not reloaded; still running on the previous one");
		diag_clear(&diag);
		free_pending(r);
		return;
	}
	if (strcmp(r->ncfg->database, cur->database) != 0 || r->ncfg->nproviders == 0) {
		reopen_log(cur);
		log_warnx("SIGHUP: %s: %s; still running on the previous configuration", cur->path,
			  r->ncfg->nproviders == 0 ? "no providers configured"
						   : "the database cannot change while running (restart)");
		free_pending(r);
		return;
	}
	log_info("SIGHUP: %s is valid; switching once the requests in flight are done", cur->path);
	sd_notify(0, "RELOADING=1");
	/*
	 * The HTTP server takes the new configuration now: requests from here
	 * on are answered under it (a revoked token is refused at once), even
	 * while the engine's database work waits for another process's write
	 * lock.  The previous one stays alive until reload_finish, after the
	 * requests that began under it; httpd_stop comes before free_pending.
	 */
	httpd_reload(r->http, r->ncfg);
	dispatch_drain(r->d);
}

/*
 * The old engine is idle: swap the configuration in.  0, or -1 (fatal).
 * Who could still hold the old configuration, and why none does once it
 * is freed: the engine and its database thread (d->cfg, the providers)
 * are joined and freed first; the HTTP thread let go in httpd_reload (reload_begin),
 * which waits for the request in flight; the scheduler runs on this
 * thread.  What other threads read without a lock is published atomically
 * and never freed under them: the time zone (base/zone.c) and the log's
 * file, level and name (base/log.c).
 */
static int
reload_finish(struct run *r)
{
	struct daemon_env *e = r->e;
	struct dispatch *nd;
	char err[512];

	dispatch_free(swap_engine(r, NULL));
	/* The server let go of the old configuration in reload_begin. */
	config_free(e->cfg);
	tmpl_set_free(e->tmpls);
	rules_free(e->rules);
	e->cfg = r->ncfg;
	e->tmpls = r->ntmpls;
	e->rules = r->nrules;
	r->ncfg = NULL;
	r->ntmpls = NULL;
	r->nrules = NULL;
	if (time_set_zone(e->cfg->timezone) != 0)
		log_warnx("time zone \"%s\" is not installed", e->cfg->timezone);
	reopen_log(e->cfg);
	r->sched = (struct sched){ e->st, e->cfg, e->rules, e->tmpls };
	if (sched_init(&r->sched) != 0)
		log_warnx("scheduler: %s", store_errmsg(e->st));
	if (dispatch_new(e->cfg, &nd, err, sizeof(err)) != 0) {
		log_warnx("after reload: %s", err);
		return -1;
	}
	dispatch_resume_all(nd, "reload"); /* a reload lifts every halt */
	swap_engine(r, nd);
	/* Rules may have changed: plan with them now. */
	evloop_timer_set(r->loop, r->sched_timer, 0);
	log_info("configuration reloaded: %zu providers", e->cfg->nproviders);
	sd_notify(0, "READY=1\nSTATUS=configuration reloaded");
	return 0;
}

/* The signal pipe is readable. */
static void
on_sig_fd(struct evloop *l, int fd, void *arg)
{
	struct run *r = arg;
	int terms, hups;

	(void)fd;
	daemon_sig_read(&r->sig, &terms, &hups);
	if (terms > 0 && !r->draining) {
		r->draining = true;
		sd_notify(0, "STOPPING=1");
		evloop_timer_del(l, r->sched_timer);
		r->sched_timer = 0;
		dispatch_drain(r->d);
		if (evloop_timer_add(l, r->e->cfg->dispatcher.grace_ms, on_grace_timer, r, NULL) != 0)
			on_grace_timer(l, r); /* out of memory: no grace period */
		log_info("stopping: no more leasing; requests in flight have %ld s to finish "
			 "(a second signal stops at once)",
			 r->e->cfg->dispatcher.grace_ms / 1000);
		terms--;
	}
	if (terms > 0) {
		log_warnx("second signal: stopping at once; unfinished messages go out again when "
			  "their lease runs out");
		dispatch_discard(swap_engine(r, NULL));
		stop(r, DAEMON_FAILED);
		return;
	}
	if (hups > 0 && !r->draining)
		reload_begin(r);
}

/* Every turn, after the wait: the pulse, a reload waiting, the end of a drain. */
static void
after_wait(struct evloop *l, void *arg)
{
	struct run *r = arg;

	(void)l;
	httpd_pulse(r->http, r->d, r->last_tick);
	if (r->ncfg != NULL && !r->draining && dispatch_idle(r->d) && !sched_thread_busy(r->sth) &&
	    reload_finish(r) != 0) {
		stop(r, DAEMON_FAILED);
		return;
	}
	if (r->draining && dispatch_idle(r->d))
		stop(r, DAEMON_OK);
}

/* Make the loop and its timers and descriptor.  0, or -1 (out of memory). */
static int
loop_new(struct run *r)
{
	const struct evloop_ops ops = { engine_wait, engine_wakeup, NULL, r };
	const struct evloop_hooks hooks = { NULL, on_wake, after_wait, r };

	if (evloop_new(&ops, &hooks, &r->loop) != 0 ||
	    evloop_timer_add(r->loop, 0, on_sched_timer, r, &r->sched_timer) != 0 ||
	    evloop_timer_add(r->loop, r->e->cfg->dispatcher.poll_ms, on_dv_timer, r, NULL) != 0 ||
	    evloop_fd_add(r->loop, r->sig.rd, on_sig_fd, r) != 0)
		return -1;
	return 0;
}

int
daemon_run(struct daemon_env *e, char *err, size_t errlen)
{
	struct run r = { .e = e, .sig = { -1, -1 } };
	const struct httpd_wake wake = { on_http_work, &r };
	struct dispatch_stats st;
	int rc = DAEMON_NOSTART;

	pthread_mutex_init(&r.d_mu, NULL);
	atomic_init(&r.work, 0u);
	if (dispatch_new(e->cfg, &r.d, err, errlen) != 0)
		goto out;
	if (daemon_sig_open(&r.sig, true, err, errlen) != 0)
		goto out;
	if (loop_new(&r) != 0) {
		snprintf(err, errlen, "out of memory starting the event loop");
		goto out;
	}
	if (sched_thread_new(e->cfg->database, on_sched_done, &r, &r.sth, err, errlen) != 0)
		goto out;
	r.sched = (struct sched){ e->st, e->cfg, e->rules, e->tmpls };
	if (sched_init(&r.sched) != 0)
		log_warnx("scheduler: %s", store_errmsg(e->st));
	store_data_version(e->st, &r.dv);
	if (e->cfg->http.enabled && httpd_start(e->cfg, &wake, &r.http, err, errlen) != 0)
		goto out;
	log_info("running: database %s, providers: %zu, pid %ld", e->cfg->database,
		 e->cfg->nproviders, (long)getpid());
	sd_notifyf(0, "READY=1\nSTATUS=running: %zu providers\nMAINPID=%ld", e->cfg->nproviders,
		   (long)getpid());
	r.rc = DAEMON_OK;
	rc = evloop_run(r.loop) != 0 ? DAEMON_FAILED : r.rc;
	httpd_stop(r.http);
	r.http = NULL;
	if (r.d != NULL) {
		dispatch_get_stats(r.d, &st);
		log_info("stopped: %llu sent, %llu retried, %llu failed, %llu expired, %llu handed back, "
			 "%llu waited; database %.2f s leasing, %.2f s recording",
			 (unsigned long long)st.sent, (unsigned long long)st.retried,
			 (unsigned long long)st.failed, (unsigned long long)st.expired,
			 (unsigned long long)st.released, (unsigned long long)st.waited,
			 (double)st.lease_us / 1e6, (double)st.record_us / 1e6);
	}
out:
	httpd_stop(r.http);
	sched_thread_free(r.sth); /* before the loop it wakes */
	dispatch_free(swap_engine(&r, NULL));
	evloop_free(r.loop);
	free_pending(&r);
	if (r.sig.rd >= 0)
		daemon_sig_close(&r.sig);
	pthread_mutex_destroy(&r.d_mu);
	return rc;
}
