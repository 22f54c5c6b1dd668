/*
 * httpd.h - the HTTP server inside `duban run` (libmicrohttpd): the API
 * for the town's other systems (/v1/..., Bearer tokens), delivery reports
 * and replies from providers (/callbacks/..., a per-provider secret or
 * signature), /healthz and /metrics.  It runs on a pool of http.threads
 * threads: reads (/healthz, /metrics, GETs) at once, each on a database
 * connection of its own, writes one after the other on the writer's, so
 * that no read waits behind a write.  A request sees one configuration
 * from start to end.  The daemon tells it how the dispatcher is doing
 * (httpd_pulse) and swaps its configuration on SIGHUP (httpd_reload);
 * the server tells the daemon when a request committed work for it
 * (struct httpd_wake), so that work goes out at once.  The `http` group
 * of the configuration and API tokens are core/config_http.h.
 */
#ifndef DUBAN_HTTPD_H
#define DUBAN_HTTPD_H

#include <libconfig.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/config.h"
#include "core/config_http.h"

#define HTTPD_PROVIDERS_MAX 16 /* providers whose circuit state /healthz shows */

/* ---- the server (httpd.c) --------------------------------------------------------- */

struct httpd;
struct dispatch;

/* What a request answered 2xx may have left for the daemon (bits). */
enum httpd_work {
	HTTPD_WORK_OUTBOX = 1u << 0, /* messages queued or made due again: lease now */
	HTTPD_WORK_TASKS = 1u << 1,  /* tasks added, changed or closed: run the scheduler now */
};

/*
 * The daemon's wake-up: fn(arg, work) is called on the server's writer
 * thread right after a request that may have left work (HTTPD_WORK_*
 * bits) committed, before its answer is sent.  It must be thread-safe and
 * must not wait for the daemon's loop.
 */
struct httpd_wake {
	void (*fn)(void *arg, unsigned work);
	void *arg;
};

/*
 * Start serving cfg->http on threads of its own, with http.threads + 1
 * new connections to cfg->database and the templates and rules of cfg's
 * folders.  cfg must stay valid until httpd_stop or the next
 * httpd_reload; wake (copied; may be NULL: nobody to wake) is called as
 * struct httpd_wake says.  Returns 0, or -1 with err (address in use,
 * database cannot be opened ...).  Logs "http: listening on ADDR:PORT"
 * once it accepts connections.
 */
int httpd_start(const struct duban_config *cfg, const struct httpd_wake *wake, struct httpd **out,
		char *err, size_t errlen);
/*
 * Stop accepting, finish the write being handled (the writes waiting
 * behind it are answered 503), free everything.  NULL is fine.
 */
void httpd_stop(struct httpd *h);
/*
 * Switch to configuration cfg (SIGHUP): tokens, secrets, limits,
 * providers, templates and rules.  Requests whose whole request arrives
 * from now on use cfg; this waits until the requests that took the
 * previous configuration have their answers (a write may wait for the
 * database), so when it returns no request uses it and the caller may
 * free it.  A changed listen address, http.threads or http.connections
 * needs a restart (logged).  Returns 0, or -1 (templates or rules of cfg
 * unreadable: logged, and the server keeps its own copies of the
 * previous ones).
 */
int httpd_reload(struct httpd *h, const struct duban_config *cfg);

/*
 * The daemon's pulse, on every turn of its loop: the dispatcher is alive,
 * the scheduler's last pass was at last_tick (UTC seconds, 0: none yet),
 * and d's providers are in these circuit states.  Cheap; never waits for
 * a request being handled.  h NULL is fine.
 */
void httpd_pulse(struct httpd *h, const struct dispatch *d, int64_t last_tick);

#endif
