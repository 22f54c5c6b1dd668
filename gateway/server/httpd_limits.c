/*
 * httpd_limits.c - the guard over the HTTP server's connections (see
 * httpd_limits.h for the rules).  Connections are kept on one list in
 * the order they began to wait (for their first request header, or for
 * the next one after a request), so the longest waiting one is the
 * first waiting one on it; the server has at most a few hundred, so the
 * guard walks the list.  A timer thread sleeps until the earliest
 * deadline.  Closing is shutdown(2) under the guard's lock: the server
 * calls httpd_guard_close, which takes the same lock, before it closes a
 * socket, so the guard never shuts down a descriptor that was reused.
 */
#include "server/httpd_limits.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "base/clock.h"

enum conn_state {
	CONN_WAITING, /* for a whole request header: the deadline runs */
	CONN_BUSY,    /* its request is being received or handled */
	CONN_CLOSING, /* shut down by the guard, not yet closed by the server */
};

struct httpd_guard_conn {
	struct httpd_guard_conn *prev, *next;
	int fd;
	unsigned char addr[16]; /* the address, without the port */
	size_t addrlen;
	enum conn_state state;
	int64_t since_ms; /* when it began to wait (CLOCK_MONOTONIC) */
};

struct httpd_guard {
	pthread_mutex_t mu;
	pthread_cond_t cv; /* the timer thread's: a new deadline, or stop */
	pthread_t timer;
	bool stopping;
	struct httpd_guard_conf conf;
	struct httpd_guard_conn *head, *tail; /* by since_ms */
	unsigned open;                        /* not CONN_CLOSING */
	struct httpd_guard_stats stats;
};

/* ---- the list ----------------------------------------------------------------------- */

static void
unlink_conn(struct httpd_guard *g, struct httpd_guard_conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		g->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		g->tail = c->prev;
	c->prev = c->next = NULL;
}

static void
append_conn(struct httpd_guard *g, struct httpd_guard_conn *c)
{
	c->prev = g->tail;
	c->next = NULL;
	if (g->tail)
		g->tail->next = c;
	else
		g->head = c;
	g->tail = c;
}

/* Shut c down (under the lock): the server sees the end of the stream and closes it. */
static void
shut(struct httpd_guard *g, struct httpd_guard_conn *c)
{
	if (c->state == CONN_CLOSING)
		return;
	shutdown(c->fd, SHUT_RDWR);
	c->state = CONN_CLOSING;
	g->open--;
}

static bool
same_address(const struct httpd_guard_conn *a, const struct httpd_guard_conn *b)
{
	return a->addrlen == b->addrlen && memcmp(a->addr, b->addr, a->addrlen) == 0;
}

/*
 * The longest waiting connection but not (of addr's, when not NULL) that
 * began to wait at born or before (CLOCK_MONOTONIC ms; INT64_MAX: any), or NULL.
 */
static struct httpd_guard_conn *
longest_waiting(struct httpd_guard *g, const struct httpd_guard_conn *not,
		const struct httpd_guard_conn *addr, int64_t born)
{
	for (struct httpd_guard_conn *c = g->head; c != NULL && c->since_ms <= born; c = c->next)
		if (c != not && c->state == CONN_WAITING && (addr == NULL || same_address(c, addr)))
			return c;
	return NULL;
}

/* Shut down what waited past its deadline; the earliest deadline left (0: none). */
static int64_t
sweep(struct httpd_guard *g, int64_t now)
{
	for (struct httpd_guard_conn *c = g->head; c != NULL; c = c->next) {
		if (c->state != CONN_WAITING)
			continue;
		if (now - c->since_ms < g->conf.header_ms)
			return c->since_ms + g->conf.header_ms; /* the list is by since_ms */
		shut(g, c);
		g->stats.timed_out++;
	}
	return 0;
}

/* ---- the timer ------------------------------------------------------------------------ */

static void *
timer_main(void *arg)
{
	struct httpd_guard *g = arg;

	pthread_mutex_lock(&g->mu);
	while (!g->stopping) {
		int64_t next = sweep(g, time_mono_ms());
		struct timespec ts;

		if (next == 0) {
			pthread_cond_wait(&g->cv, &g->mu);
			continue;
		}
		ts.tv_sec = (time_t)(next / 1000);
		ts.tv_nsec = (long)(next % 1000) * 1000000L;
		pthread_cond_timedwait(&g->cv, &g->mu, &ts);
	}
	pthread_mutex_unlock(&g->mu);
	return NULL;
}

int
httpd_guard_new(const struct httpd_guard_conf *gc, struct httpd_guard **out)
{
	struct httpd_guard *g = calloc(1, sizeof(*g));
	pthread_condattr_t ca;

	*out = NULL;
	if (g == NULL)
		return -1;
	g->conf = *gc;
	pthread_mutex_init(&g->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* time_mono_ms's clock */
	pthread_cond_init(&g->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&g->timer, NULL, timer_main, g) != 0) {
		pthread_cond_destroy(&g->cv);
		pthread_mutex_destroy(&g->mu);
		free(g);
		return -1;
	}
	*out = g;
	return 0;
}

void
httpd_guard_free(struct httpd_guard *g)
{
	struct httpd_guard_conn *c, *next;

	if (g == NULL)
		return;
	pthread_mutex_lock(&g->mu);
	g->stopping = true;
	pthread_cond_signal(&g->cv);
	pthread_mutex_unlock(&g->mu);
	pthread_join(g->timer, NULL);
	for (c = g->head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	pthread_cond_destroy(&g->cv);
	pthread_mutex_destroy(&g->mu);
	free(g);
}

void
httpd_guard_configure(struct httpd_guard *g, const struct httpd_guard_conf *gc)
{
	pthread_mutex_lock(&g->mu);
	g->conf = *gc;
	pthread_cond_signal(&g->cv); /* a shorter header_ms: deadlines move closer */
	pthread_mutex_unlock(&g->mu);
}

/* ---- connections ------------------------------------------------------------------------ */

static void
set_address(struct httpd_guard_conn *c, const struct sockaddr *sa)
{
	c->addrlen = 0;
	if (sa != NULL && sa->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
		memcpy(c->addr, &a->sin_addr, 4);
		c->addrlen = 4;
	} else if (sa != NULL && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;
		memcpy(c->addr, &a->sin6_addr, 16);
		c->addrlen = 16;
	}
}

/*
 * Make room for new connection c (under the lock), or shut c itself down.
 * While all of an address's waiting connections are within their grace,
 * the address may exceed per_address; the reserve still bounds the whole.
 */
static void
make_room(struct httpd_guard *g, struct httpd_guard_conn *c)
{
	unsigned reserve = g->conf.connections / 8 ? g->conf.connections / 8 : 1;
	unsigned mine = 0, waiting = 0;
	int64_t born = c->since_ms - g->conf.grace_ms;
	struct httpd_guard_conn *v;

	for (struct httpd_guard_conn *o = g->head; o != NULL; o = o->next)
		if (o->state != CONN_CLOSING && same_address(o, c)) {
			mine++;
			waiting += o != c && o->state == CONN_WAITING;
		}
	if (mine > g->conf.per_address) {
		if (waiting == 0) { /* all of its others are being served */
			shut(g, c);
			g->stats.refused++;
			return;
		}
		if ((v = longest_waiting(g, c, c, born)) != NULL) {
			shut(g, v);
			g->stats.evicted++;
		}
	}
	if (g->open + reserve > g->conf.connections) {
		if ((v = longest_waiting(g, c, NULL, born)) != NULL ||
		    (v = longest_waiting(g, c, NULL, INT64_MAX)) != NULL) {
			shut(g, v);
			g->stats.evicted++;
		} else if (g->open > g->conf.connections) {
			shut(g, c);
			g->stats.refused++;
		}
	}
}

struct httpd_guard_conn *
httpd_guard_open(struct httpd_guard *g, int fd, const struct sockaddr *addr)
{
	struct httpd_guard_conn *c = calloc(1, sizeof(*c));
	int64_t now = time_mono_ms();
	bool first;

	if (c == NULL)
		return NULL;
	c->fd = fd;
	set_address(c, addr);
	c->state = CONN_WAITING;
	c->since_ms = now;
	pthread_mutex_lock(&g->mu);
	sweep(g, now);
	first = longest_waiting(g, NULL, NULL, INT64_MAX) == NULL;
	append_conn(g, c);
	g->open++;
	make_room(g, c);
	if (first)
		pthread_cond_signal(&g->cv); /* the timer had no deadline to wait for */
	pthread_mutex_unlock(&g->mu);
	return c;
}

void
httpd_guard_busy(struct httpd_guard *g, struct httpd_guard_conn *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&g->mu);
	if (c->state == CONN_WAITING)
		c->state = CONN_BUSY;
	pthread_mutex_unlock(&g->mu);
}

void
httpd_guard_idle(struct httpd_guard *g, struct httpd_guard_conn *c)
{
	bool first;

	if (c == NULL)
		return;
	pthread_mutex_lock(&g->mu);
	if (c->state == CONN_BUSY) {
		/* It waits again, from now: to the end of the list, which stays by since_ms. */
		unlink_conn(g, c);
		first = longest_waiting(g, NULL, NULL, INT64_MAX) == NULL;
		c->state = CONN_WAITING;
		c->since_ms = time_mono_ms();
		append_conn(g, c);
		if (first)
			pthread_cond_signal(&g->cv);
	}
	pthread_mutex_unlock(&g->mu);
}

void
httpd_guard_close(struct httpd_guard *g, struct httpd_guard_conn *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&g->mu);
	if (c->state != CONN_CLOSING)
		g->open--;
	unlink_conn(g, c);
	pthread_mutex_unlock(&g->mu);
	free(c);
}

void
httpd_guard_stats(struct httpd_guard *g, struct httpd_guard_stats *out)
{
	pthread_mutex_lock(&g->mu);
	*out = g->stats;
	out->open = g->open;
	pthread_mutex_unlock(&g->mu);
}
