/*
 * evloop.c - the event loop of evloop.h.  Timers live in an array in the
 * order they were added (a process has a handful: a linear scan is
 * cheaper than keeping a heap); a removed one is only marked while a pass
 * over the timers runs and swept out after it, so a callback may add,
 * re-arm or remove any timer, itself included.  Each pass runs a timer
 * at most once, so a timer that asks to run again at once (0) waits for
 * the next turn and cannot starve the wait.  The wake-up is an atomic
 * flag plus the wait's own wake-up (by default a byte in a non-blocking
 * pipe that the wait polls): a flag set before the wait makes the wait
 * return at once, so no wake-up is lost whichever comes first.
 */
#include "base/evloop.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct timer {
	long long id;
	int64_t when;       /* due at, on the loop's clock */
	evloop_timer_fn fn; /* NULL: removed, swept after the pass */
	void *arg;
	unsigned long pass; /* the last pass that ran it */
};

struct watch {
	int fd;
	evloop_fd_fn fn;
	void *arg;
};

struct evloop {
	struct evloop_ops ops;
	struct evloop_hooks hooks;
	struct timer *t;
	size_t nt, capt;
	long long last_id;
	unsigned long pass;
	bool in_pass;
	struct watch w[EVLOOP_FDS_MAX];
	size_t nw;
	int pipe_rd, pipe_wr; /* the default wait's wake-up (-1: custom ops) */
	atomic_bool woken;
	bool stop;
};

/* ---- the defaults ------------------------------------------------------------------ */

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
poll_wait(struct evloop *l, struct pollfd *fds, size_t nfds, int timeout_ms)
{
	struct pollfd p[EVLOOP_FDS_MAX + 1];
	char b[64];

	memcpy(p, fds, nfds * sizeof(*p));
	p[nfds] = (struct pollfd){ l->pipe_rd, POLLIN, 0 };
	if (poll(p, (nfds_t)nfds + 1, timeout_ms) < 0) {
		for (size_t i = 0; i < nfds; i++)
			fds[i].revents = 0;
		return errno == EINTR ? 0 : -1; /* a signal: the loop looks again */
	}
	for (size_t i = 0; i < nfds; i++)
		fds[i].revents = p[i].revents;
	if (p[nfds].revents != 0)
		while (read(l->pipe_rd, b, sizeof(b)) > 0)
			;
	return 0;
}

static void
pipe_wakeup(struct evloop *l)
{
	if (write(l->pipe_wr, "w", 1) < 0) {
		/* full: enough bytes are waiting to end the wait */
	}
}

/* ---- creating -------------------------------------------------------------------------- */

int
evloop_new(const struct evloop_ops *ops, const struct evloop_hooks *hooks, struct evloop **out)
{
	struct evloop *l = calloc(1, sizeof(*l));
	int fds[2];

	*out = NULL;
	if (l == NULL)
		return -1;
	l->pipe_rd = l->pipe_wr = -1;
	atomic_init(&l->woken, false);
	if (ops != NULL)
		l->ops = *ops;
	if (hooks != NULL)
		l->hooks = *hooks;
	if (l->ops.wait == NULL) {
		/* The default wait and wake-up go together: poll(2) and this pipe. */
		if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
			free(l);
			return -1;
		}
		l->pipe_rd = fds[0];
		l->pipe_wr = fds[1];
	}
	*out = l;
	return 0;
}

void
evloop_free(struct evloop *l)
{
	if (l == NULL)
		return;
	if (l->pipe_rd >= 0)
		close(l->pipe_rd);
	if (l->pipe_wr >= 0)
		close(l->pipe_wr);
	free(l->t);
	free(l);
}

/* ---- timers ----------------------------------------------------------------------------- */

static int64_t
now_of(const struct evloop *l)
{
	return l->ops.now_ms != NULL ? l->ops.now_ms(l->ops.arg) : mono_ms();
}

static struct timer *
find(const struct evloop *l, long long id)
{
	for (size_t i = 0; i < l->nt; i++)
		if (l->t[i].id == id && l->t[i].fn != NULL)
			return &l->t[i];
	return NULL;
}

/* now + delay, a negative delay counted as 0 and the sum kept from overflowing. */
static int64_t
due_at(int64_t now, long delay_ms)
{
	if (delay_ms <= 0)
		return now;
	return (int64_t)delay_ms > INT64_MAX - now ? INT64_MAX : now + delay_ms;
}

int
evloop_timer_add(struct evloop *l, long delay_ms, evloop_timer_fn fn, void *arg, long long *id)
{
	struct timer *t;

	if (l->nt == l->capt) {
		size_t ncap = l->capt ? l->capt * 2 : 8;
		struct timer *n = realloc(l->t, ncap * sizeof(*n));
		if (n == NULL)
			return -1;
		l->t = n;
		l->capt = ncap;
	}
	t = &l->t[l->nt++];
	t->id = ++l->last_id;
	t->when = due_at(now_of(l), delay_ms);
	t->fn = fn;
	t->arg = arg;
	t->pass = 0;
	if (id != NULL)
		*id = t->id;
	return 0;
}

int
evloop_timer_set(struct evloop *l, long long id, long delay_ms)
{
	struct timer *t = find(l, id);

	if (t == NULL)
		return -1;
	t->when = due_at(now_of(l), delay_ms);
	return 0;
}

/* Drop the timers marked removed, keeping the order of the others. */
static void
sweep(struct evloop *l)
{
	size_t k = 0;

	for (size_t i = 0; i < l->nt; i++)
		if (l->t[i].fn != NULL)
			l->t[k++] = l->t[i];
	l->nt = k;
}

int
evloop_timer_del(struct evloop *l, long long id)
{
	struct timer *t = find(l, id);

	if (t == NULL)
		return -1;
	t->fn = NULL;
	if (!l->in_pass)
		sweep(l);
	return 0;
}

int64_t
evloop_next_due(const struct evloop *l)
{
	int64_t due = INT64_MAX;

	for (size_t i = 0; i < l->nt; i++)
		if (l->t[i].fn != NULL && l->t[i].when < due)
			due = l->t[i].when;
	return due;
}

/*
 * Run every timer due at the start of the pass, earliest first, each at
 * most once.  Indexes stay valid while callbacks add timers (appended;
 * removal only marks), though the array may move: hence no pointer is
 * kept across a callback.
 */
static void
run_timers(struct evloop *l)
{
	int64_t now = now_of(l);
	unsigned long pass = ++l->pass;

	l->in_pass = true;
	while (!l->stop) {
		size_t best = SIZE_MAX;
		long next;

		for (size_t i = 0; i < l->nt; i++) {
			const struct timer *t = &l->t[i];
			if (t->fn != NULL && t->pass != pass && t->when <= now &&
			    (best == SIZE_MAX || t->when < l->t[best].when))
				best = i;
		}
		if (best == SIZE_MAX)
			break;
		l->t[best].pass = pass;
		next = l->t[best].fn(l, l->t[best].arg);
		if (l->t[best].fn == NULL)
			continue; /* it removed itself */
		if (next < 0)
			l->t[best].fn = NULL;
		else
			l->t[best].when = due_at(now_of(l), next);
	}
	l->in_pass = false;
	sweep(l);
}

/* ---- descriptors ------------------------------------------------------------------------ */

int
evloop_fd_add(struct evloop *l, int fd, evloop_fd_fn fn, void *arg)
{
	for (size_t i = 0; i < l->nw; i++)
		if (l->w[i].fd == fd)
			return -1;
	if (l->nw == EVLOOP_FDS_MAX)
		return -1;
	l->w[l->nw++] = (struct watch){ fd, fn, arg };
	return 0;
}

int
evloop_fd_del(struct evloop *l, int fd)
{
	for (size_t i = 0; i < l->nw; i++) {
		if (l->w[i].fd == fd) {
			memmove(&l->w[i], &l->w[i + 1], (l->nw - i - 1) * sizeof(l->w[0]));
			l->nw--;
			return 0;
		}
	}
	return -1;
}

/* ---- turning ---------------------------------------------------------------------------- */

/* Milliseconds the wait may last: until the earliest timer; -1 without one. */
static int
wait_ms(const struct evloop *l)
{
	int64_t due = evloop_next_due(l), now;

	if (atomic_load(&l->woken))
		return 0; /* woken before the wait began: do not sleep through it */
	if (due == INT64_MAX)
		return -1;
	now = now_of(l);
	if (due <= now)
		return 0;
	return due - now > INT_MAX ? INT_MAX : (int)(due - now);
}

static void
call_hook(struct evloop *l, evloop_hook_fn fn)
{
	if (fn != NULL && !l->stop)
		fn(l, l->hooks.arg);
}

int
evloop_turn(struct evloop *l)
{
	struct pollfd p[EVLOOP_FDS_MAX];
	struct watch w[EVLOOP_FDS_MAX];
	size_t n = l->nw;

	l->stop = false;
	run_timers(l);
	call_hook(l, l->hooks.before_wait);
	if (l->stop)
		return 0;
	/* A copy: a callback may add or remove descriptors. */
	memcpy(w, l->w, n * sizeof(*w));
	for (size_t i = 0; i < n; i++)
		p[i] = (struct pollfd){ w[i].fd, POLLIN, 0 };
	if ((l->ops.wait != NULL ? l->ops.wait(l->ops.arg, p, n, wait_ms(l))
				 : poll_wait(l, p, n, wait_ms(l))) != 0)
		return -1;
	for (size_t i = 0; i < n && !l->stop; i++) {
		bool still = false;
		if (p[i].revents == 0)
			continue;
		for (size_t j = 0; j < l->nw; j++)
			still |= l->w[j].fd == w[i].fd;
		if (still)
			w[i].fn(l, w[i].fd, w[i].arg);
	}
	if (atomic_exchange(&l->woken, false))
		call_hook(l, l->hooks.on_wake);
	call_hook(l, l->hooks.after_wait);
	return 0;
}

int
evloop_run(struct evloop *l)
{
	do {
		if (evloop_turn(l) != 0)
			return -1;
	} while (!l->stop);
	return 0;
}

void
evloop_stop(struct evloop *l)
{
	l->stop = true;
}

bool
evloop_stopped(const struct evloop *l)
{
	return l->stop;
}

void
evloop_wakeup(struct evloop *l)
{
	atomic_store(&l->woken, true);
	if (l->ops.wait == NULL)
		pipe_wakeup(l);
	else if (l->ops.wakeup != NULL)
		l->ops.wakeup(l->ops.arg);
}
