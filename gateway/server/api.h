/*
 * api.h - the HTTP server's routes, apart from the server itself
 * (httpd.c): API version 1 for the town's other systems (messages in
 * api_message.c, notices in api_notice.c, tasks in api_task.c), /healthz and /metrics
 * (api_status.c), and what they share (api.c).  A route gets a parsed
 * request with the server's database connection and configuration and
 * answers with a status and a JSON body (jansson); /metrics answers
 * Prometheus text.  A route parses its request, calls the action of
 * core/ and presents the result; every write is recorded in the audit log
 * with the token's name ("api:NAME").
 */
#ifndef DUBAN_API_H
#define DUBAN_API_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/ctx.h"
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
	const char *actor; /* "api:NAME" or "staff:LOGIN", for the audit log */
	int role;          /* 0: an API token; else the console's enum staff_role */
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
/*
 * Decode a URL-encoded form value of n bytes into out; 0, or -1 when too
 * long or when it holds a NUL byte (%00 or a raw one), which would cut
 * the value short.
 */
int api_url_decode(const char *s, size_t n, char *out, size_t outlen);
/*
 * Check a query string or form body of len bytes (it may hold raw NUL
 * bytes): no name or value may carry a NUL, as %00 or raw.  0, or -1
 * with the name of the first that does (as sent, up to the NUL; cut to
 * fieldlen) in field, for a 400 that names it.
 */
int api_form_check(const char *form, size_t len, char *field, size_t fieldlen);

/* UTC seconds as local ISO 8601 with its offset: "2008-12-31T23:59:00+08:00". */
const char *api_time(int64_t t, char *out, size_t outlen);

/* ---- what the routes share (api.c) ----------------------------------------- */

/* Bounds of request fields, in bytes (lists: items). */
#define API_REF_MAX 128
#define API_TITLE_MAX 200
#define API_TEXT_MAX 2048
#define API_WHO_MAX 128
#define API_LIST_MAX 64

/* Answer with status and body (taken over); a NULL body (out of memory) is a 500. */
void api_reply(struct api_resp *out, unsigned status, json_t *body);
/* Answer with store_errmsg: 404 for STORE_NOTFOUND, 500 for STORE_ERROR, else 400. */
void api_store_error(struct api_resp *out, const struct api_req *r, int rc);
/* A time as JSON: api_time's string, or null for 0.  A new reference. */
json_t *api_jtime(int64_t t);
/* A string as JSON, null for NULL or "".  A new reference. */
json_t *api_jstr(const char *s);
/*
 * The body as a JSON object with only the keys of allowed (NULL-ended):
 * a new reference, or NULL with out set to the 400 that says why.
 */
json_t *api_body_object(const struct api_req *r, const char *const *allowed,
			struct api_resp *out);
/*
 * A string field of at most maxlen bytes into *v (borrowed from o): 1
 * present, 0 absent (a 400 when required; a required one may not be
 * empty), -1 wrong with out set.
 */
int api_get_str(json_t *o, const char *key, bool required, size_t maxlen, const char **v,
		struct api_resp *out);
/* A boolean field: 1 present, 0 absent, -1 wrong with out set. */
int api_get_bool(json_t *o, const char *key, bool *v, struct api_resp *out);
/*
 * A list of at most API_LIST_MAX strings of 1 to API_WHO_MAX bytes into
 * items (borrowed from o), *n of them: 0 (absent or set), -1 wrong.
 */
int api_get_list(json_t *o, const char *key, const char **items, size_t *n,
		 struct api_resp *out);
/*
 * "vars": {"deadline": "12月20日", "n": 3} as "key=value" strings into
 * vars (NOTICE_VARS_MAX entries; each malloc'd, *n of them, free with
 * api_vars_free).  0, or -1 with out set.
 */
int api_get_vars(json_t *o, char **vars, size_t *n, struct api_resp *out);
void api_vars_free(char **vars, size_t n);
/* True when the request's method is want; else false with out set to a 405. */
bool api_method(const struct api_req *r, const char *want, struct api_resp *out);
/* The context of core/'s actions over r's database, configuration and token (actor). */
void api_ctx(const struct api_req *r, struct duban_ctx *x);

/*
 * The routes under /v1/messages (api_message.c) and /v1/notices
 * (api_notice.c): seg holds the n segments of the path ("v1",
 * "messages", ...).
 */
void api_route_messages(const struct api_req *r, char **seg, int n, struct api_resp *out);
void api_route_notices(const struct api_req *r, char **seg, int n, struct api_resp *out);
/*
 * /v1/tasks (api_task.c): GET lists (?status=), POST adds; GET /CODE shows
 * one; POST /CODE/done, /cancel, /reopen change its status.
 */
void api_route_tasks(const struct api_req *r, char **seg, int n, struct api_resp *out);

/* /v1/tokens (api_tokens.c): API tokens, for an admin. */
void api_route_tokens(const struct api_req *r, char **seg, int n, struct api_resp *out);

/*
 * The staff console's routes (a session only; a token is refused 403):
 * GET /v1/dashboard (api_dashboard.c): the home page's figures; GET
 * /v1/groups, GET /v1/people?q= (api_people.c).
 */
void api_route_dashboard(const struct api_req *r, char **seg, int n, struct api_resp *out);
void api_route_people(const struct api_req *r, char **seg, int n, struct api_resp *out);
/*
 * GET /v1/outbox, /v1/outbox/ID, /v1/inbox, POST /v1/inbox/ID/read and a
 * task's timeline, GET /v1/tasks/CODE/timeline (api_outbox.c).
 */
void api_route_outbox(const struct api_req *r, char **seg, int n, struct api_resp *out);
void api_route_inbox(const struct api_req *r, char **seg, int n, struct api_resp *out);
void api_task_timeline(const struct api_req *r, const char *code, struct api_resp *out);
/* /v1/staff: an admin's list, add, passwd, disable of staff accounts (api_staff.c). */
void api_route_staff(const struct api_req *r, char **seg, int n, struct api_resp *out);
/* POST /v1/tasks/CODE from the console: change a task (api_task_edit.c). */
void api_task_edit(const struct api_req *r, const char *code, struct api_resp *out);
/* GET /v1/reports/NAME (api_reports.c): the four reports of duban report as JSON. */
void api_route_reports(const struct api_req *r, char **seg, int n, struct api_resp *out);

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
