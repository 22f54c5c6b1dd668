/*
 * test_evloop.c - the event loop (gateway/base/evloop.c) alone: timers of
 * different delays run in the order they fall due and at the time they
 * are due, a timer that returns a delay runs again after exactly that
 * long, removed timers (also from inside a callback) never run, the wait
 * lasts exactly until the earliest timer (or without limit when there is
 * none), a descriptor's callback runs when it is readable, and a wake-up
 * from another thread ends a long wait at once.  Most tests run on a fake
 * clock whose wait only moves time forward by what the loop asked for,
 * so they check exact times without sleeping.
 */
#include "unit.h"

#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "base/evloop.h"

/* ---- a fake clock: a wait moves it forward by its timeout --------------------------- */

struct fake {
	int64_t now;
	int waits[64]; /* the timeouts the loop asked for */
	size_t nwaits;
	/* what timers saw */
	char log[64][16];
	int64_t at[64];
	size_t nlog;
	int runs;         /* the re-arming timer's runs so far */
	long long victim; /* a timer one callback removes */
	struct evloop *l;
};

static int
fake_wait(void *arg, struct pollfd *fds, size_t nfds, int timeout_ms)
{
	struct fake *f = arg;

	assert_true(f->nwaits < sizeof(f->waits) / sizeof(f->waits[0]));
	f->waits[f->nwaits++] = timeout_ms;
	for (size_t i = 0; i < nfds; i++)
		fds[i].revents = 0;
	if (timeout_ms > 0)
		f->now += timeout_ms;
	return 0;
}

static int64_t
fake_now(void *arg)
{
	return ((struct fake *)arg)->now;
}

static void
note(struct fake *f, const char *what)
{
	assert_true(f->nlog < sizeof(f->log) / sizeof(f->log[0]));
	snprintf(f->log[f->nlog], sizeof(f->log[0]), "%s", what);
	f->at[f->nlog++] = f->now;
}

static long
timer_a(struct evloop *l, void *arg)
{
	(void)l;
	note(arg, "a");
	return EVLOOP_DONE;
}

static long
timer_b(struct evloop *l, void *arg)
{
	(void)l;
	note(arg, "b");
	return EVLOOP_DONE;
}

static long
timer_c(struct evloop *l, void *arg)
{
	(void)l;
	note(arg, "c");
	return EVLOOP_DONE;
}

/* Runs three times, 15 ms apart, then removes itself; the third run stops the loop. */
static long
timer_rearm(struct evloop *l, void *arg)
{
	struct fake *f = arg;

	note(f, "r");
	if (++f->runs == 3) {
		evloop_stop(l);
		return EVLOOP_DONE;
	}
	return 15;
}

static long
timer_killer(struct evloop *l, void *arg)
{
	struct fake *f = arg;

	note(f, "k");
	assert_int_equal(evloop_timer_del(l, f->victim), 0);
	return EVLOOP_DONE;
}

static long
timer_stop(struct evloop *l, void *arg)
{
	note(arg, "s");
	evloop_stop(l);
	return EVLOOP_DONE;
}

static struct evloop *
fake_loop(struct fake *f)
{
	struct evloop_ops ops = { fake_wait, NULL, fake_now, f };
	struct evloop *l;

	memset(f, 0, sizeof(*f));
	f->now = 1000000;
	assert_int_equal(evloop_new(&ops, NULL, &l), 0);
	f->l = l;
	return l;
}

static void
expect_log(const struct fake *f, const char *const *what, const int64_t *at, size_t n)
{
	assert_int_equal(f->nlog, n);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(f->log[i], what[i]);
		assert_int_equal(f->at[i], 1000000 + at[i]);
	}
}

/* Added out of order, run in the order they fall due, each at its time; the waits are exact. */
static void
test_order(void **state)
{
	struct fake f;
	struct evloop *l = fake_loop(&f);
	static const char *const what[] = { "b", "a", "c", "s" };
	static const int64_t at[] = { 10, 30, 30, 50 };

	(void)state;
	assert_int_equal(evloop_next_due(l), INT64_MAX);
	assert_int_equal(evloop_timer_add(l, 30, timer_a, &f, NULL), 0);
	assert_int_equal(evloop_timer_add(l, 10, timer_b, &f, NULL), 0);
	assert_int_equal(evloop_timer_add(l, 30, timer_c, &f, NULL), 0); /* tie: after a */
	assert_int_equal(evloop_timer_add(l, 50, timer_stop, &f, NULL), 0);
	assert_int_equal(evloop_next_due(l), 1000010);
	assert_int_equal(evloop_run(l), 0);
	expect_log(&f, what, at, 4);
	/* Every wait lasted until the next timer, never longer, never a cap. */
	assert_int_equal(f.nwaits, 3);
	assert_int_equal(f.waits[0], 10);
	assert_int_equal(f.waits[1], 20);
	assert_int_equal(f.waits[2], 20);
	assert_int_equal(evloop_next_due(l), INT64_MAX);
	evloop_free(l);
}

/* A timer returning 15 runs again 15 ms later; a long timer meanwhile does not cap the waits. */
static void
test_rearm(void **state)
{
	struct fake f;
	struct evloop *l = fake_loop(&f);
	static const char *const what[] = { "r", "r", "r" };
	static const int64_t at[] = { 5, 20, 35 };
	long long far;

	(void)state;
	assert_int_equal(evloop_timer_add(l, 5, timer_rearm, &f, NULL), 0);
	assert_int_equal(evloop_timer_add(l, 3600000, timer_a, &f, &far), 0);
	assert_int_equal(evloop_run(l), 0);
	expect_log(&f, what, at, 3);
	assert_int_equal(f.nwaits, 3);
	assert_int_equal(f.waits[0], 5);
	assert_int_equal(f.waits[1], 15);
	assert_int_equal(f.waits[2], 15);
	/* The hour-long timer is all that is left: the next wait is the rest of the hour. */
	assert_int_equal(evloop_next_due(l), 1000000 + 3600000);
	assert_int_equal(evloop_timer_del(l, far), 0);
	assert_int_equal(evloop_timer_del(l, far), -1);
	evloop_free(l);
}

/* Removed timers never run, whether removed before their turn or by a callback of the same pass. */
static void
test_removal(void **state)
{
	struct fake f;
	struct evloop *l = fake_loop(&f);
	static const char *const what[] = { "k", "c", "s" };
	static const int64_t at[] = { 10, 10, 40 };
	long long a, b;

	(void)state;
	assert_int_equal(evloop_timer_add(l, 20, timer_a, &f, &a), 0);
	assert_int_equal(evloop_timer_add(l, 10, timer_killer, &f, NULL), 0);
	assert_int_equal(evloop_timer_add(l, 10, timer_b, &f, &b), 0); /* due in the same pass */
	assert_int_equal(evloop_timer_add(l, 10, timer_c, &f, NULL), 0);
	assert_int_equal(evloop_timer_add(l, 40, timer_stop, &f, NULL), 0);
	f.victim = b;
	assert_int_equal(evloop_timer_del(l, a), 0);
	assert_int_equal(evloop_timer_set(l, a, 0), -1);
	assert_int_equal(evloop_run(l), 0);
	expect_log(&f, what, at, 3);
	evloop_free(l);
}

/* The earliest deadline follows additions, re-arming and removals; no timer: wait without limit. */
static void
test_next_due(void **state)
{
	struct fake f;
	struct evloop *l = fake_loop(&f);
	long long a, b, c;

	(void)state;
	assert_int_equal(evloop_timer_add(l, 500, timer_a, &f, &a), 0);
	assert_int_equal(evloop_timer_add(l, 200, timer_b, &f, &b), 0);
	assert_int_equal(evloop_timer_add(l, 900, timer_c, &f, &c), 0);
	assert_true(a != 0 && b != 0 && c != 0 && a != b && b != c);
	assert_int_equal(evloop_next_due(l), 1000200);
	assert_int_equal(evloop_timer_set(l, c, 100), 0);
	assert_int_equal(evloop_next_due(l), 1000100);
	assert_int_equal(evloop_timer_del(l, c), 0);
	assert_int_equal(evloop_next_due(l), 1000200);
	assert_int_equal(evloop_timer_set(l, b, 1000), 0);
	assert_int_equal(evloop_next_due(l), 1000500);
	/* One turn: nothing is due yet, so the wait is until a, and a then runs on the next turn. */
	assert_int_equal(evloop_turn(l), 0);
	assert_int_equal(f.waits[0], 500);
	assert_int_equal(f.nlog, 0);
	assert_int_equal(evloop_turn(l), 0);
	assert_int_equal(f.nlog, 1);
	assert_string_equal(f.log[0], "a");
	assert_int_equal(f.waits[1], 500); /* then until b, re-armed to 1000 */
	assert_int_equal(evloop_timer_del(l, b), 0);
	assert_int_equal(evloop_turn(l), 0);
	assert_int_equal(f.waits[2], -1);
	evloop_free(l);
}

/* ---- the default wait: poll(2), a descriptor, a wake-up from another thread ----------- */

struct real {
	struct evloop *l;
	int woken, readable, before;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool waiting;
	int fds[2];
};

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long
timer_fail(struct evloop *l, void *arg)
{
	(void)l;
	(void)arg;
	fail_msg("the ten-second timer ran: the wake-up did not end the wait");
	return EVLOOP_DONE;
}

static void
on_wake(struct evloop *l, void *arg)
{
	struct real *r = arg;

	r->woken++;
	evloop_stop(l);
}

/* Tells the waker thread that the loop is about to wait. */
static void
before_wait(struct evloop *l, void *arg)
{
	struct real *r = arg;

	(void)l;
	r->before++;
	pthread_mutex_lock(&r->mu);
	r->waiting = true;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

static void *
waker(void *arg)
{
	struct real *r = arg;

	pthread_mutex_lock(&r->mu);
	while (!r->waiting)
		pthread_cond_wait(&r->cv, &r->mu);
	pthread_mutex_unlock(&r->mu);
	evloop_wakeup(r->l);
	return NULL;
}

/* A wake-up from another thread ends a wait that a ten-second timer would have made. */
static void
test_wakeup_thread(void **state)
{
	struct real r = { 0 };
	struct evloop_hooks hooks = { before_wait, on_wake, NULL, &r };
	pthread_t th;
	int64_t t0;

	(void)state;
	pthread_mutex_init(&r.mu, NULL);
	pthread_cond_init(&r.cv, NULL);
	assert_int_equal(evloop_new(NULL, &hooks, &r.l), 0);
	assert_int_equal(evloop_timer_add(r.l, 10000, timer_fail, &r, NULL), 0);
	assert_int_equal(pthread_create(&th, NULL, waker, &r), 0);
	t0 = mono_ms();
	assert_int_equal(evloop_run(r.l), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(r.woken, 1);
	assert_int_equal(r.before, 1);
	assert_true(mono_ms() - t0 < 5000);
	/* A wake-up before the wait: the wait does not block at all. */
	r.waiting = false;
	evloop_wakeup(r.l);
	t0 = mono_ms();
	assert_int_equal(evloop_turn(r.l), 0);
	assert_int_equal(r.woken, 2);
	assert_true(mono_ms() - t0 < 5000);
	evloop_free(r.l);
	pthread_mutex_destroy(&r.mu);
	pthread_cond_destroy(&r.cv);
}

static void
on_readable(struct evloop *l, int fd, void *arg)
{
	struct real *r = arg;
	char b[8];

	assert_int_equal(read(fd, b, sizeof(b)), 1);
	r->readable++;
	evloop_stop(l);
}

/* A readable descriptor ends the wait and gets its callback; a removed one does not. */
static void
test_fd(void **state)
{
	struct real r = { 0 };
	int other[2];

	(void)state;
	assert_int_equal(pipe(r.fds), 0);
	assert_int_equal(pipe(other), 0);
	assert_int_equal(evloop_new(NULL, NULL, &r.l), 0);
	assert_int_equal(evloop_timer_add(r.l, 10000, timer_fail, &r, NULL), 0);
	assert_int_equal(evloop_fd_add(r.l, r.fds[0], on_readable, &r), 0);
	assert_int_equal(evloop_fd_add(r.l, r.fds[0], on_readable, &r), -1);
	assert_int_equal(evloop_fd_add(r.l, other[0], on_readable, &r), 0);
	assert_int_equal(evloop_fd_del(r.l, other[0]), 0);
	assert_int_equal(evloop_fd_del(r.l, other[0]), -1);
	assert_int_equal(write(other[1], "y", 1), 1);
	assert_int_equal(write(r.fds[1], "x", 1), 1);
	assert_int_equal(evloop_run(r.l), 0);
	assert_int_equal(r.readable, 1);
	evloop_free(r.l);
	close(r.fds[0]);
	close(r.fds[1]);
	close(other[0]);
	close(other[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_rearm),
		cmocka_unit_test(test_removal),
		cmocka_unit_test(test_next_due),
		cmocka_unit_test(test_wakeup_thread),
		cmocka_unit_test(test_fd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
