/*
 * daemon.h - the one long-running process (`duban run`, whose argv
 * cli/cmd_run.c reads): one event loop (base/evloop.h) over the scheduler,
 * the dispatcher and the HTTP server.  The scheduler's pass runs when its
 * next fire time comes; the dispatcher leases whenever work is due; work
 * the HTTP API commits wakes the loop at once, and rows other processes
 * queue are noticed within dispatcher.poll_ms (SQLite's data_version).
 * SIGTERM/SIGINT drain, SIGHUP reloads (and reopens the log file).  Also
 * the signal plumbing it shares with `duban dispatch`: handlers only write
 * a byte to a pipe that the event loop waits on.
 */
#ifndef DUBAN_DAEMON_H
#define DUBAN_DAEMON_H

#include <stdbool.h>
#include <stddef.h>

struct duban_config;
struct rules;
struct store;
struct tmpl_set;

/*
 * What the daemon runs on.  The caller owns all of it, before and after
 * daemon_run; but a SIGHUP that takes a new configuration frees cfg, tmpls
 * and rules and leaves the new ones here, so the caller frees whatever
 * these fields hold once daemon_run returns.
 */
struct daemon_env {
	struct store *st;         /* open, schema current; never replaced */
	struct duban_config *cfg; /* with at least one provider */
	struct tmpl_set *tmpls;   /* loaded from cfg->templates_dir */
	struct rules *rules;      /* loaded from cfg->rules_dir */
};

enum daemon_rc {
	DAEMON_OK = 0,       /* stopped by SIGTERM/SIGINT, everything committed */
	DAEMON_NOSTART = -1, /* could not start (err says why); nothing ran */
	DAEMON_FAILED = -2,  /* stopped abnormally: a second signal, libcurl, a reload
			      * that could not rebuild the dispatcher (all logged) */
};

/*
 * Run the daemon in the foreground until it is stopped: the signal
 * handlers, the dispatcher, the scheduler, and the HTTP server when
 * cfg->http.enabled.  Logs as it goes.  Returns an enum daemon_rc; err
 * is set for DAEMON_NOSTART only.
 */
int daemon_run(struct daemon_env *env, char *err, size_t errlen);

/* A self-pipe fed by SIGTERM, SIGINT and (when asked) SIGHUP. */
struct daemon_sig {
	int rd, wr;
};

/*
 * Install the handlers and make the pipe (non-blocking, close-on-exec).
 * Only one may be open per process.  Returns 0, or -1 with err.
 */
int daemon_sig_open(struct daemon_sig *s, bool hup, char *err, size_t errlen);
/* Read what arrived: *terms counts SIGTERM/SIGINT, *hups SIGHUP. */
void daemon_sig_read(struct daemon_sig *s, int *terms, int *hups);
/* Restore the default handlers and close the pipe. */
void daemon_sig_close(struct daemon_sig *s);

#endif
