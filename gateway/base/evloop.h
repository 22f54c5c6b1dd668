/*
 * evloop.h - a small event loop in the manner of Redis's ae.c, knowing
 * nothing of duban: timers whose callbacks return their own next delay,
 * file descriptors watched for input, and a wake-up that any thread may
 * call.  One turn runs the timers that are due, then waits until the
 * earliest timer is due, a descriptor is readable or the loop is woken -
 * never longer, and never with a cap of its own - and then calls back.
 *
 * The wait itself is pluggable: by default poll(2) over the descriptors
 * and a pipe of the loop's own (which evloop_wakeup writes to); a program
 * whose I/O lives elsewhere, such as libcurl's multi handle, supplies its
 * own wait and wake-up (struct evloop_ops).  Every function but
 * evloop_wakeup belongs to the loop's thread.
 */
#ifndef DUBAN_EVLOOP_H
#define DUBAN_EVLOOP_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a timer's callback returns to be removed instead of run again. */
#define EVLOOP_DONE (-1L)
/* Descriptors one loop can watch. */
#define EVLOOP_FDS_MAX 8

struct evloop;

/*
 * A timer's callback, on the loop's thread: returns the delay in
 * milliseconds after which it is to run again (0: on the next turn), or
 * EVLOOP_DONE to be removed.  The value returned wins over an
 * evloop_timer_set of the same timer made inside the callback.
 */
typedef long (*evloop_timer_fn)(struct evloop *l, void *arg);
/* A descriptor's callback: fd is readable (or hung up, or in error). */
typedef void (*evloop_fd_fn)(struct evloop *l, int fd, void *arg);
/* A hook of every turn (struct evloop_hooks). */
typedef void (*evloop_hook_fn)(struct evloop *l, void *arg);

/*
 * How the loop waits and reads the time; every member may be NULL.  wait
 * NULL: poll(2) with a pipe of the loop's own, which evloop_wakeup writes
 * to (wakeup is then unused).  now_ms NULL: CLOCK_MONOTONIC.
 */
struct evloop_ops {
	/*
	 * Wait at most timeout_ms (-1: without limit, 0: not at all) until
	 * one of fds[0..nfds) is readable or wakeup is called, and set each
	 * fds[i].revents.  Returning early is fine (the loop looks again);
	 * returns 0, or -1 to stop the loop with -1 (evloop_run).
	 */
	int (*wait)(void *arg, struct pollfd *fds, size_t nfds, int timeout_ms);
	/* Make a wait in progress, or else the next one, return at once.  Any thread. */
	void (*wakeup)(void *arg);
	/* The time in milliseconds of a clock that never goes back. */
	int64_t (*now_ms)(void *arg);
	void *arg;
};

/* Callbacks of every turn; each may be NULL. */
struct evloop_hooks {
	evloop_hook_fn before_wait; /* the timers have run; the wait comes next */
	evloop_hook_fn on_wake;     /* after the wait, when evloop_wakeup was called since the last */
	evloop_hook_fn after_wait;  /* after the wait and the descriptors' and wake-up's callbacks */
	void *arg;
};

/*
 * A new loop with no timers and no descriptors, over ops and hooks (both
 * copied; NULL: the defaults, no hooks).  Returns 0, or -1 when out of
 * memory or out of descriptors for the default wake-up pipe.
 */
int evloop_new(const struct evloop_ops *ops, const struct evloop_hooks *hooks,
	       struct evloop **out);
/* Free the loop and its timers (not what their arguments point to).  NULL is fine. */
void evloop_free(struct evloop *l);

/*
 * Add a timer that runs fn(l, arg) delay_ms from now (0: on the next
 * turn), then as fn's return value says.  *id (may be NULL) gets its id,
 * never 0.  Returns 0, or -1 when out of memory.
 */
int evloop_timer_add(struct evloop *l, long delay_ms, evloop_timer_fn fn, void *arg,
		     long long *id);
/* Run timer id delay_ms from now instead of when it was due.  0, or -1: no such timer. */
int evloop_timer_set(struct evloop *l, long long id, long delay_ms);
/* Remove timer id (also from inside a callback).  0, or -1: no such timer. */
int evloop_timer_del(struct evloop *l, long long id);
/* When the earliest timer is due, on the loop's clock; INT64_MAX when there is none. */
int64_t evloop_next_due(const struct evloop *l);

/*
 * Call fn(l, fd, arg) whenever fd is readable.  Returns 0, or -1 when fd
 * is watched already or EVLOOP_FDS_MAX are.
 */
int evloop_fd_add(struct evloop *l, int fd, evloop_fd_fn fn, void *arg);
/* Stop watching fd.  0, or -1: it was not watched. */
int evloop_fd_del(struct evloop *l, int fd);

/*
 * One turn: the timers that are due (earliest first; ties in the order
 * they were added), the wait, the callbacks.  An evloop_stop inside it
 * skips the callbacks still to come.  Returns 0, or -1 when the wait
 * failed.
 */
int evloop_turn(struct evloop *l);
/* Turn until evloop_stop.  Returns 0, or -1 when a wait failed. */
int evloop_run(struct evloop *l);
/* Make evloop_run return once the callback calling this returns. */
void evloop_stop(struct evloop *l);
/* True when the last turn was stopped. */
bool evloop_stopped(const struct evloop *l);
/*
 * Wake the loop from any thread: a wait in progress returns at once, and
 * so does the next one if none is; then the on_wake hook runs on the
 * loop's thread.  Not for signal handlers (a custom wakeup may lock).
 */
void evloop_wakeup(struct evloop *l);

#endif
