/*
 * httpd.h - the HTTP server inside `duban run` (libmicrohttpd): the API
 * for the town's other systems (/v1/..., Bearer tokens), delivery reports
 * and replies from providers (/callbacks/..., a per-provider secret),
 * /healthz and /metrics.  It runs on a thread of its own with its own
 * database connection; requests are handled one at a time, so a request
 * sees one configuration from start to end.  The daemon tells it how the
 * dispatcher is doing (httpd_pulse) and swaps its configuration on SIGHUP
 * (httpd_reload).  The `http` group of the configuration and
 * API tokens are core/config_http.h.
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

/*
 * Start serving cfg->http on its own thread, with a new connection to
 * cfg->database and the templates and rules of cfg's folders.  cfg must
 * stay valid until httpd_stop or the next httpd_reload.  Returns 0, or
 * -1 with err (address in use, database cannot be opened ...).  Logs
 * "http: listening on ADDR:PORT" once it accepts connections.
 */
int httpd_start(const struct duban_config *cfg, struct httpd **out, char *err, size_t errlen);
/* Stop accepting, finish the request being handled, free everything.  NULL is fine. */
void httpd_stop(struct httpd *h);
/*
 * Switch to configuration cfg (SIGHUP): tokens, secrets, limits,
 * providers, templates and rules.  Waits for the request being handled;
 * when it returns no request uses the previous configuration, which the
 * caller may free.  A changed listen address needs a restart (logged).
 * Returns 0, or -1 (templates or rules of cfg unreadable: logged, and
 * the server keeps its own copies of the previous ones).
 */
int httpd_reload(struct httpd *h, const struct duban_config *cfg);
/* The port the server listens on (the kernel's choice for port 0). */
int httpd_port(const struct httpd *h);

/*
 * The daemon's pulse, on every turn of its loop: the dispatcher is alive,
 * the scheduler's last pass was at last_tick (UTC seconds, 0: none yet),
 * and d's providers are in these circuit states.  Cheap; never waits for
 * a request being handled.  h NULL is fine.
 */
void httpd_pulse(struct httpd *h, const struct dispatch *d, int64_t last_tick);

#endif
