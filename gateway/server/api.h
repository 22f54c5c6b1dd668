/*
 * api.h - the HTTP server's routes, apart from the server itself
 * (httpd.c): API version 1 for the town's other systems (messages,
 * notices, tasks), /healthz and /metrics (api_status.c).  A route gets a
 * parsed request with the server's database connection and configuration
 * and answers with a status and a JSON body (jansson); /metrics answers
 * Prometheus text.  Every write is recorded in the audit log with the
 * token's name ("api:NAME").
 */
#ifndef DUBAN_API_H
#define DUBAN_API_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "server/httpd.h"
#include "store/store.h"
#include "base/buf.h"

struct tmpl_set;
struct rules;

/* A request as the routes see it. */
struct api_req {
	const char *method; /* "GET", "POST", ... */
	const char *path;   /* "/v1/messages/12", without the query */
	const char *query;  /* the raw query string ("" none) */
	const char *body;   /* NUL-terminated; "" when none */
	size_t len;
	unsigned routes;   /* HTTP_ROUTE_* bits the token may use */
	const char *actor; /* "api:NAME", for the audit log */
	struct store *st;  /* the server's connection */
	const struct duban_config *cfg;
	const struct tmpl_set *tmpls;
	const struct rules *rules;
};

/* An answer: status and a JSON body (owned; NULL: none). */
struct api_resp {
	unsigned status;
	json_t *json;
};

/* Answer a request under /v1/ (404 for what is not a route, 403 out of scope). */
void api_handle(const struct api_req *r, struct api_resp *out);

/*
 * Set out to status with the JSON error body {"error": MESSAGE, "field":
 * FIELD} (field NULL: no field).  Any earlier body is freed.
 */
void api_error(struct api_resp *out, unsigned status, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * The value of query parameter name of a raw query string, decoded ('+'
 * is a space, %XX a byte) into out.  0, or -1 when absent or not shorter
 * than outlen.
 */
int api_query_arg(const char *query, const char *name, char *out, size_t outlen);
/* Decode a URL-encoded form value of n bytes into out; 0, or -1 when too long. */
int api_url_decode(const char *s, size_t n, char *out, size_t outlen);

/* UTC seconds as local ISO 8601 with its offset: "2008-12-31T23:59:00+08:00". */
const char *api_time(int64_t t, char *out, size_t outlen);

/* ---- /healthz and /metrics (api_status.c) ---------------------------------- */

/* A provider's circuit breaker as the daemon last reported it. */
struct api_breaker {
	char name[32];
	const char *state;  /* "closed" | "open" | "half-open" (static) */
	int64_t open_until; /* UTC seconds, when open */
	int inflight;
};

/* What the server knows beyond the database. */
struct api_status {
	bool daemon;          /* started by duban run (a pulse is expected) */
	int64_t pulse_age_ms; /* since the dispatcher's last pulse; -1: never */
	int64_t last_tick;    /* UTC seconds of the scheduler's last pass; 0: none yet */
	int64_t started;      /* UTC seconds the server started */
	size_t nbreakers;
	struct api_breaker breakers[HTTPD_PROVIDERS_MAX];
	uint64_t requests;    /* HTTP requests answered */
	uint64_t by_class[6]; /* by status class: [2] 2xx, [4] 4xx, [5] 5xx */
};

/* GET /healthz: 200 when the database answers and the dispatcher is alive, else 503. */
void api_healthz(const struct api_req *r, const struct api_status *s, struct api_resp *out);
/* GET /metrics: Prometheus text into out.  0, or -1 (database trouble, buffer full). */
int api_metrics(const struct api_req *r, const struct api_status *s, struct buf *out);

#endif
