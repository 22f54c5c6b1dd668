/*
 * httpd_limits.h - what one client may hold of the HTTP server: a guard
 * over its connections, so that clients who send their request headers
 * slowly (a slowloris, or only many idle keep-alive connections) can
 * neither fill the server nor keep out a client that sends its request
 * at once, such as a health check - from the same address, too.
 *
 * The guard knows each connection from its accept (libmicrohttpd's
 * MHD_OPTION_NOTIFY_CONNECTION) to its close, and which of them are
 * still waiting for a request header.  It closes (shutdown(2); the
 * server then closes the socket itself) a connection that
 *   - has not sent a whole request header header_ms after it opened or
 *     after its previous request ended: a deadline, not an idle timer
 *     that every byte restarts;
 *   - is the longest waiting one of an address that opens more than
 *     per_address connections, to make room for the new one;
 *   - is the longest waiting one of all, when more than connections
 *     minus a reserve (an eighth) are open: new clients always find a
 *     free connection, and the ones that waited longest make room.
 * A connection whose request is being handled is never closed for room,
 * nor one younger than grace_ms while an older one can make room: a
 * client that reconnects as fast as it is closed would otherwise make
 * every new connection of its address the longest waiting one within
 * milliseconds, before a health check sharing the address is read.
 * A new connection that finds nothing to close in its place (every
 * other connection of its address, or every connection, busy) is closed
 * itself.
 */
#ifndef DUBAN_HTTPD_LIMITS_H
#define DUBAN_HTTPD_LIMITS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct httpd_guard;
struct httpd_guard_conn; /* one connection, as the guard knows it */

struct httpd_guard_conf {
	unsigned connections; /* open at once */
	unsigned per_address; /* open at once from one address */
	long header_ms;       /* to send a whole request header */
	long grace_ms;        /* a new connection is not closed for room before this */
};

#define HTTPD_GUARD_GRACE_MS 500 /* the server's grace_ms */

/* What the guard has done so far (for the log and the tests). */
struct httpd_guard_stats {
	uint64_t timed_out; /* closed: no whole header within header_ms */
	uint64_t evicted;   /* closed to make room for a new connection */
	uint64_t refused;   /* new connections closed: no room */
	unsigned open;      /* connections open now */
};

/*
 * A new guard with limits gc and its timer thread.  Returns 0 with *out
 * (free with httpd_guard_free), or -1 (out of memory, no thread).
 */
int httpd_guard_new(const struct httpd_guard_conf *gc, struct httpd_guard **out);
/* Stop the timer thread and free g and what it knows.  NULL is fine. */
void httpd_guard_free(struct httpd_guard *g);
/* New limits (a reload); they apply to every connection from now on. */
void httpd_guard_configure(struct httpd_guard *g, const struct httpd_guard_conf *gc);

/*
 * A connection was accepted on socket fd from addr: it now waits for its
 * first request header.  Makes room for it as the file comment says
 * (perhaps closing it at once).  Returns the guard's record of it, to
 * hand to the calls below, or NULL (out of memory: it is not guarded).
 */
struct httpd_guard_conn *httpd_guard_open(struct httpd_guard *g, int fd,
					  const struct sockaddr *addr);
/* The connection's whole request header arrived: it is being served.  NULL is fine. */
void httpd_guard_busy(struct httpd_guard *g, struct httpd_guard_conn *c);
/* Its request ended: it waits for the next header, a new deadline.  NULL is fine. */
void httpd_guard_idle(struct httpd_guard *g, struct httpd_guard_conn *c);
/*
 * The connection is closing (before the server closes its socket: the
 * guard never touches a socket it no longer knows).  Frees c.  NULL is fine.
 */
void httpd_guard_close(struct httpd_guard *g, struct httpd_guard_conn *c);

/* The counts so far into *out. */
void httpd_guard_stats(struct httpd_guard *g, struct httpd_guard_stats *out);

#endif
