/*
 * api.h - the HTTP server's routes, apart from the server itself
 * (httpd.c): API version 1 for the town's other systems (messages,
 * notices, tasks in api_task.c), /healthz and /metrics (api_status.c).  A route gets a
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
#include "base/util.h"

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

/* ---- what the routes of api_*.c share (api.c) ----------------------------------- */

#define API_TITLE_MAX 200 /* bytes of a title */
#define API_WHO_MAX 128   /* bytes of a WHO (phone, name, #ID) */
#define API_LIST_MAX 64   /* items of a list field */

struct duban_ctx;
/* The context of core/'s actions for request r: its connection, configuration, rules, templates, actor. */
void api_ctx(const struct api_req *r, struct duban_ctx *x);
/* Set out to status with body (owned; NULL: a 500 "out of memory"). */
void api_reply(struct api_resp *out, unsigned status, json_t *body);
/* A store (or action) result as an error: 404 not found, 500 database, else 400; the store's words. */
void api_store_error(struct api_resp *out, const struct api_req *r, int rc);
/* A time as JSON: the local ISO 8601 string (api_time), or null for 0. */
json_t *api_jtime(int64_t t);
/* A string as JSON, null for NULL or "". */
json_t *api_jstr(const char *s);
/*
 * The request body as a JSON object holding only the keys of allowed
 * (NULL-terminated).  Returns it (the caller json_decref's it), or NULL
 * with out set to a 400 naming what is wrong.
 */
json_t *api_body_object(const struct api_req *r, const char *const *allowed,
			struct api_resp *out);
/*
 * A string field of o of at most maxlen bytes into *v (borrowed from o):
 * 1 present, 0 absent or null, -1 with out set to a 400 when it is
 * required and absent or empty, not a string, or too long.
 */
int api_get_str(json_t *o, const char *key, bool required, size_t maxlen, const char **v,
		struct api_resp *out);
/* A boolean field: 1 present (*v set), 0 absent, -1 not a boolean (out set). */
int api_get_bool(json_t *o, const char *key, bool *v, struct api_resp *out);
/*
 * A list of at most API_LIST_MAX strings of 1 to API_WHO_MAX bytes into
 * items (borrowed from o), *n of them: 0 (absent: *n = 0), or -1 with out
 * set.
 */
int api_get_list(json_t *o, const char *key, const char **items, size_t *n,
		 struct api_resp *out);
/* True when r's method is want; else false with a 405. */
bool api_method(const struct api_req *r, const char *want, struct api_resp *out);

/*
 * /v1/tasks (api_task.c): s holds the n segments of the path ("v1",
 * "tasks", CODE, VERB).  GET lists (?status=), POST adds; GET /CODE shows
 * one; POST /CODE/done, /cancel, /reopen change its status.
 */
void api_route_tasks(const struct api_req *r, char **s, int n, struct api_resp *out);

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
