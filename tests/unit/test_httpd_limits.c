/*
 * test_httpd_limits.c - the guard over the HTTP server's connections, on
 * socketpairs standing for connections (a connection the guard closes
 * reads as ended on the other side): an address over its limit gives up
 * its longest waiting connection but never one being served, nor one in
 * its grace; an address whose every other connection is being served has
 * its new one refused; a reserve is kept for new clients over the whole
 * server; and a header not whole within header_ms ends the connection,
 * however recently it was used - a deadline, not an idle timer.
 */
#include "unit.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <sys/socket.h>

#include "server/httpd_limits.h"
#include "base/clock.h"

#define MAXC 32

struct conns {
	int ours[MAXC], peer[MAXC];
	struct httpd_guard_conn *gc[MAXC];
	int n;
};

/* A new connection from 10.0.0.ADDR: its index. */
static int
connect_from(struct httpd_guard *g, struct conns *cs, int addr)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(40000) };
	int sv[2], i = cs->n++;

	assert_true(i < MAXC);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	sa.sin_addr.s_addr = htonl(0x0a000000u | (unsigned)addr);
	cs->ours[i] = sv[0];
	cs->peer[i] = sv[1];
	cs->gc[i] = httpd_guard_open(g, sv[0], (struct sockaddr *)&sa);
	assert_non_null(cs->gc[i]);
	return i;
}

/* Whether the guard shut connection i (its peer reads the end). */
static bool
is_shut(const struct conns *cs, int i)
{
	char b;
	ssize_t n = recv(cs->peer[i], &b, 1, MSG_DONTWAIT);

	return n == 0;
}

static void
close_all(struct httpd_guard *g, struct conns *cs)
{
	for (int i = 0; i < cs->n; i++) {
		httpd_guard_close(g, cs->gc[i]);
		close(cs->ours[i]);
		close(cs->peer[i]);
	}
	httpd_guard_free(g);
}

static struct httpd_guard *
guard(unsigned connections, unsigned per_address, long header_ms, long grace_ms)
{
	struct httpd_guard_conf c = { connections, per_address, header_ms, grace_ms };
	struct httpd_guard *g = NULL;

	assert_int_equal(httpd_guard_new(&c, &g), 0);
	return g;
}

static void
test_per_address(void **state)
{
	struct httpd_guard *g = guard(64, 3, 60000, 0);
	struct httpd_guard_stats st;
	struct conns cs = { .n = 0 };

	(void)state;
	for (int i = 0; i < 3; i++)
		connect_from(g, &cs, 1);
	connect_from(g, &cs, 2);
	for (int i = 0; i < 4; i++)
		assert_false(is_shut(&cs, i));
	httpd_guard_busy(g, cs.gc[0]); /* being served: never closed for room */
	connect_from(g, &cs, 1);       /* #4: one too many from .1 */
	assert_false(is_shut(&cs, 0));
	assert_true(is_shut(&cs, 1)); /* the longest waiting of .1 */
	assert_false(is_shut(&cs, 2));
	assert_false(is_shut(&cs, 3)); /* another address is untouched */
	assert_false(is_shut(&cs, 4));
	httpd_guard_idle(g, cs.gc[0]); /* waits again, from now: the newest waiting one */
	connect_from(g, &cs, 1);      /* #5 */
	assert_true(is_shut(&cs, 2));
	assert_false(is_shut(&cs, 0));
	httpd_guard_stats(g, &st);
	assert_int_equal(st.evicted, 2);
	assert_int_equal(st.open, 4);
	close_all(g, &cs);
}

static void
test_all_busy_refused(void **state)
{
	struct httpd_guard *g = guard(64, 2, 60000, 0);
	struct httpd_guard_stats st;
	struct conns cs = { .n = 0 };

	(void)state;
	connect_from(g, &cs, 1);
	connect_from(g, &cs, 1);
	httpd_guard_busy(g, cs.gc[0]);
	httpd_guard_busy(g, cs.gc[1]);
	connect_from(g, &cs, 1);
	assert_true(is_shut(&cs, 2)); /* nothing of .1's could make room: the new one goes */
	assert_false(is_shut(&cs, 0));
	assert_false(is_shut(&cs, 1));
	httpd_guard_stats(g, &st);
	assert_int_equal(st.refused, 1);
	close_all(g, &cs);
}

static void
test_grace(void **state)
{
	struct httpd_guard *g = guard(64, 2, 60000, 60000);
	struct conns cs = { .n = 0 };

	(void)state;
	for (int i = 0; i < 4; i++)
		connect_from(g, &cs, 1);
	for (int i = 0; i < 4; i++) /* all new: .1 may exceed its limit for now */
		assert_false(is_shut(&cs, i));
	close_all(g, &cs);
}

static void
test_reserve(void **state)
{
	struct httpd_guard *g = guard(16, 16, 60000, 0); /* a reserve of 2 */
	struct conns cs = { .n = 0 };

	(void)state;
	for (int i = 0; i < 14; i++)
		connect_from(g, &cs, i + 1);
	for (int i = 0; i < 14; i++)
		assert_false(is_shut(&cs, i));
	connect_from(g, &cs, 100); /* 15 open: into the reserve */
	assert_true(is_shut(&cs, 0));
	for (int i = 1; i <= 14; i++)
		assert_false(is_shut(&cs, i));
	close_all(g, &cs);
}

static void
test_header_deadline(void **state)
{
	struct httpd_guard *g = guard(64, 8, 200, 0);
	struct conns cs = { .n = 0 };
	int64_t start = time_mono_ms(), end = start + 5000;

	(void)state;
	connect_from(g, &cs, 1);
	connect_from(g, &cs, 2);
	httpd_guard_busy(g, cs.gc[1]); /* its header arrived: no deadline */
	/* Activity on the socket does not move the deadline: the guard never reads it. */
	while (!is_shut(&cs, 0) && time_mono_ms() < end)
		(void)send(cs.peer[0], "x", 1, MSG_DONTWAIT | MSG_NOSIGNAL);
	assert_true(is_shut(&cs, 0));
	assert_true(time_mono_ms() - start >= 200);
	assert_false(is_shut(&cs, 1));
	close_all(g, &cs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_per_address),   cmocka_unit_test(test_all_busy_refused),
		cmocka_unit_test(test_grace),         cmocka_unit_test(test_reserve),
		cmocka_unit_test(test_header_deadline),
	};
	return cmocka_run_group_tests_name("httpd_limits", tests, NULL, NULL);
}
