/*
 * httpd.c - the HTTP server of `duban run`: libmicrohttpd with a pool of
 * http.threads threads, each request read whole and bounded (over
 * http.max_body: 413), its header checked for bytes libmicrohttpd would
 * not show (a NUL ends a header line there), authenticated - API tokens
 * by their SHA-256 compared in constant time (401 without or with a bad
 * one); providers' callbacks by callback.c - and handed to its route:
 * api.c (/v1/...), callback.c (/callbacks/...), api_status.c (/healthz,
 * /metrics).  Every answer is JSON but /metrics'.
 *
 * Reads never wait behind writes.  A read (/healthz, /metrics, a GET
 * under /v1/) runs on the pool thread that received it, on a database
 * connection of its own taken from a pool of them (WAL: a reader sees the
 * last commit and never waits for a writer).  A write (any other method
 * under /v1/, every callback) is suspended and handed to the one writer
 * thread, which runs writes one after the other on its own connection,
 * as SQLite runs writers anyway; when a write waits for the database (a
 * `duban` command holding the write lock), only the writes behind it wait.
 * When a route committed work for the daemon (a message queued, a task
 * changed), the daemon's wake-up is called before the answer goes out.
 *
 * A request sees one configuration from start to end: it holds a
 * reference to the configuration (with its templates and rules) that was
 * current when its whole request had arrived, until its answer is ready.
 * httpd_reload makes a new one current at once - later requests use it -
 * and waits until no request holds the previous one, so the daemon may
 * free it.  The connections are guarded by httpd_limits.c.
 */
#include "server/httpd.h"

#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "server/api.h"
#include "server/callback.h"
#include "server/console.h"
#include "server/httpd_limits.h"
#include "core/dispatch.h"
#include "core/apitoken.h"
#include "base/log.h"
#include "core/rules.h"
#include "core/tmpl.h"
#include "base/array.h"
#include "base/str.h"
#include "base/clock.h"
#include "base/diag.h"
#include "base/buf.h"

#define URI_MAX 8192
#define TOKEN_MAX 256
#define METHOD_MAX 16
#define METRICS_MAX (4 * 1024 * 1024)
#define CONN_IDLE_S 30u     /* a body or an answer that stalls this long is dropped */
#define CONN_MEMORY (64 * 1024)
#define WRITES_QUEUED_MAX 64 /* writes waiting for the writer; more: 503 */
#define HEADER_VALUE_MAX 128 /* bytes kept of a callback's signature headers */

/* One configuration as requests use it; refs under gen_mu. */
struct httpd_gen {
	const struct duban_config *cfg;
	struct tmpl_set *tmpls;
	struct rules *rules;
	unsigned refs; /* requests holding it, and 1 while it is current */
};

/* What a request is, once it has arrived whole. */
enum hreq_kind { HREQ_HEALTHZ, HREQ_METRICS, HREQ_CALLBACK, HREQ_API, HREQ_STATIC, HREQ_SESSION };

/* An answer ready to be sent. */
struct answer {
	unsigned status;
	char *text; /* malloc'd; NULL: none (out of memory) */
	size_t len;
	const char *ctype;
	/* The console's (console.c): */
	bool cacheable;
	char cookie[256], etag[48], location[1200];
};

/* One request: made by the URI log callback, freed when it completes. */
struct hreq {
	char *uri; /* path?query as the client sent it ("" when too long) */
	struct buf body;
	bool started, too_big, uri_too_long;
	/* Set when it has arrived whole (serve): */
	enum hreq_kind kind;
	char method[METHOD_MAX];
	char *path;        /* the URI up to '?' (malloc'd) */
	const char *query; /* after '?' in uri, "" when none */
	char actor[64];    /* "api:NAME" */
	unsigned routes;
	char ctype[HEADER_VALUE_MAX], ts[HEADER_VALUE_MAX], sig[HEADER_VALUE_MAX];
	bool has_ctype, has_ts, has_sig;
	struct httpd_gen *gen; /* held until its answer is ready */
	/* The console's: headers (libmicrohttpd's, valid until the request ends), the client. */
	bool session; /* /v1/ by the session cookie, not a token */
	int role;
	const char *cookie, *csrf, *inm, *origin, *host;
	char addr[64];
	bool https;
	/* A write, while the writer has it: */
	struct hreq *next;
	struct MHD_Connection *conn;
	bool answered;
	struct answer ans;
};

struct httpd {
	struct MHD_Daemon *mhd;
	struct httpd_guard *guard;
	/* The configurations: gens[cur] is current; the other is free between reloads. */
	pthread_mutex_t gen_mu;
	pthread_cond_t gen_cv; /* a configuration's last request let go of it */
	struct httpd_gen gens[2];
	int cur;
	/* The readers' database connections, one per thread; pool_mu. */
	pthread_mutex_t pool_mu;
	struct store **readers;
	size_t nreaders, nfree;
	/* The writer: its thread, connection and queue (wq_mu). */
	pthread_mutex_t wq_mu;
	pthread_cond_t wq_cv;
	struct hreq *wq_head, *wq_tail;
	size_t wq_n;
	bool wq_stopping, writer_started;
	pthread_t writer;
	struct store *wst;
	struct httpd_wake wake; /* the daemon's (fn NULL: none) */
	char listen[128];
	unsigned threads, connections; /* as started: a change needs a restart */
	_Atomic size_t max_body;
	int64_t started;
	_Atomic uint64_t requests, by_class[6];
	/* The daemon's pulse (pulse_mu only: never waits for a request). */
	pthread_mutex_t pulse_mu;
	int64_t pulse_ms, last_tick;
	size_t nbreakers;
	struct api_breaker breakers[HTTPD_PROVIDERS_MAX];
};

/* ---- configurations --------------------------------------------------------------- */

static struct httpd_gen *
gen_get(struct httpd *h)
{
	struct httpd_gen *g;

	pthread_mutex_lock(&h->gen_mu);
	g = &h->gens[h->cur];
	g->refs++;
	pthread_mutex_unlock(&h->gen_mu);
	return g;
}

static void
gen_put(struct httpd *h, struct httpd_gen *g)
{
	if (g == NULL)
		return;
	pthread_mutex_lock(&h->gen_mu);
	if (--g->refs == 0)
		pthread_cond_broadcast(&h->gen_cv);
	pthread_mutex_unlock(&h->gen_mu);
}

/* ---- answers ----------------------------------------------------------------------- */

/* Make j (consumed) the JSON body of a status answer. */
static void
answer_json(struct answer *a, unsigned status, json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	size_t n;
	char *t;

	json_decref(j);
	a->cacheable = false;
	a->cookie[0] = a->etag[0] = a->location[0] = '\0';
	a->ctype = "application/json; charset=utf-8";
	a->status = s ? status : 500;
	if (s == NULL && (s = strdup("{\"error\":\"out of memory\"}")) == NULL) {
		a->text = NULL;
		return;
	}
	n = strlen(s);
	if ((t = realloc(s, n + 2)) == NULL) {
		free(s);
		a->text = NULL;
		return;
	}
	t[n] = '\n';
	t[n + 1] = '\0';
	a->text = t;
	a->len = n + 1;
}

static void answer_error(struct answer *a, unsigned status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
answer_error(struct answer *a, unsigned status, const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	answer_json(a, status, json_pack("{s:s, s:n}", "error", msg, "field"));
}

/* The console's headers on resp: security, cookie, ETag, redirection. */
static void
console_add_headers(struct MHD_Response *resp, const struct answer *a)
{
	for (const char *const *h = console_headers; *h; h += 2)
		MHD_add_response_header(resp, h[0], h[1]);
	if (a->cookie[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, a->cookie);
	if (a->etag[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, a->etag);
	if (a->location[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, a->location);
}

/* Queue answer a on c (its text is handed over). */
static enum MHD_Result
send_answer(struct httpd *h, struct MHD_Connection *c, struct answer *a)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (a->text == NULL)
		return MHD_NO;
	atomic_fetch_add(&h->requests, 1);
	if (a->status / 100 < ARRAY_LEN(h->by_class))
		atomic_fetch_add(&h->by_class[a->status / 100], 1);
	resp = MHD_create_response_from_buffer(a->len, a->text, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(a->text);
		a->text = NULL;
		return MHD_NO;
	}
	a->text = NULL;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, a->ctype);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
				a->cacheable ? "no-cache" : "no-store");
	console_add_headers(resp, a);
	if (a->status == 401)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Bearer realm=\"duban\"");
	ret = MHD_queue_response(c, a->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result send_error(struct httpd *h, struct MHD_Connection *c, unsigned status,
				  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static enum MHD_Result
send_error(struct httpd *h, struct MHD_Connection *c, unsigned status, const char *fmt, ...)
{
	struct answer a;
	char msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	answer_error(&a, status, "%s", msg);
	return send_answer(h, c, &a);
}

/* ---- what a request header holds ---------------------------------------------------- */

struct header_sum {
	size_t bytes, fields;
};

static enum MHD_Result
add_field(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
	  const char *value, size_t value_size)
{
	struct header_sum *s = cls;

	(void)kind;
	(void)key;
	(void)value;
	s->bytes += key_size + 1 + value_size + 1; /* "Key:value" LF */
	s->fields++;
	return MHD_YES;
}

/*
 * True when the request header holds bytes that are in none of the parts
 * libmicrohttpd shows: it ends a header line at a NUL byte and drops the
 * rest ("Authorization: Bearer TOKEN\0junk" reads as the token), which
 * only its count of the header's bytes still tells.  Allowed beyond what
 * the parts account for: a CR before each LF and one space after each
 * colon, as every HTTP client writes them; more whitespace than that is
 * refused too, which no client sends.
 */
static bool
header_hides_bytes(struct MHD_Connection *c, const char *method, const char *uri,
		   const char *version)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
	struct header_sum s = { 0, 0 };
	size_t seen, slack;

	if (ci == NULL)
		return false;
	MHD_get_connection_values_n(c, MHD_HEADER_KIND, add_field, &s);
	/* "METHOD URI VERSION" LF, the fields, and the empty line's LF */
	seen = strlen(method) + 1 + strlen(uri) + 1 + strlen(version) + 1 + s.bytes + 1;
	slack = (s.fields + 2) + s.fields;
	return ci->header_size > seen + slack;
}

/* ---- authentication ------------------------------------------------------------------- */

static struct store *reader_get(struct httpd *h);
static void reader_put(struct httpd *h, struct store *st);

/*
 * A token of the database whose SHA-256 is sum and that is not revoked:
 * 0 with r's actor and routes, -1 when there is none, -2 when the
 * database could not be asked (no reader free, or it failed).  One
 * indexed lookup on a reader's connection; the hash found is compared
 * again in constant time.
 */
static int
stored_token(struct httpd *h, const unsigned char sum[32], struct hreq *r)
{
	struct api_token t;
	struct store *st;
	char hex[65];
	int rc = -1;

	for (size_t i = 0; i < 32; i++)
		snprintf(hex + i * 2, 3, "%02x", sum[i]);
	if ((st = reader_get(h)) == NULL)
		return -2;
	if ((rc = store_token_by_hash(st, hex, &t)) != STORE_OK) {
		rc = rc == STORE_NOTFOUND ? -1 : -2;
	} else {
		rc = -1;
		if (t.revoked_at == 0 && strlen(t.sha256) == 64 &&
		    CRYPTO_memcmp(t.sha256, hex, 64) == 0) {
			snprintf(r->actor, sizeof(r->actor), "api:%s", t.name);
			r->routes = apitoken_routes_bits(t.routes);
			rc = r->routes != 0 ? 0 : -1;
		}
		api_token_clear(&t);
	}
	reader_put(h, st);
	return rc;
}

/*
 * The token of the Authorization header: 0 with r's actor and routes, or
 * the status to answer (401) with *why.  Every configured token is
 * compared, in constant time; when none is the one, the database's tokens
 * are looked up by the SHA-256 (stored_token).
 */
static unsigned
authenticate(struct httpd *h, const struct httpd_gen *g, struct MHD_Connection *c,
	     struct hreq *r, const char **why)
{
	const struct httpd_conf *hc = &g->cfg->http;
	const char *a =
		MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	unsigned char sum[32];
	const struct http_token *found = NULL;

	if (a == NULL) {
		*why = "no token: send \"Authorization: Bearer TOKEN\"";
		return 401;
	}
	if (strncasecmp(a, "Bearer ", 7) != 0) {
		*why = "the Authorization header must be \"Bearer TOKEN\"";
		return 401;
	}
	for (a += 7; *a == ' '; a++)
		;
	if (*a == '\0' || strlen(a) > TOKEN_MAX || httpd_token_hash(a, sum) != 0) {
		*why = "invalid token";
		return 401;
	}
	for (size_t i = 0; i < hc->ntokens; i++)
		if (CRYPTO_memcmp(sum, hc->tokens[i].sha256, sizeof(sum)) == 0 && found == NULL)
			found = &hc->tokens[i];
	if (found == NULL) {
		switch (stored_token(h, sum, r)) {
		case 0: return 0;
		case -2: *why = "no database connection free; send it again later"; return 503;
		default: *why = "invalid token"; return 401;
		}
	}
	snprintf(r->actor, sizeof(r->actor), "api:%s", found->name);
	r->routes = found->routes;
	return 0;
}

/* ---- waking the daemon ---------------------------------------------------------------- */

/* Tell the daemon that a request committed work for it (HTTPD_WORK_* bits). */
static void
wake(struct httpd *h, unsigned work)
{
	if (work != 0 && h->wake.fn != NULL)
		h->wake.fn(h->wake.arg, work);
}

/* path is route or below it: "/v1/messages", "/v1/messages/12/resend". */
static bool
under(const char *path, const char *route)
{
	size_t n = strlen(route);

	return strncmp(path, route, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/*
 * What a 2xx answer to METHOD PATH under /v1/ leaves for the daemon.
 * Decided here, by route and method, so that the routes (api*.c) need not
 * know there is a daemon: any write to messages or notices may have queued
 * rows (a message, a resend, a notice's recipients) or cancelled some, any
 * write to tasks may have moved a task's next reminder.
 */
static unsigned
api_work(const char *method, const char *path)
{
	if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
		return 0;
	if (under(path, "/v1/messages") || under(path, "/v1/notices"))
		return HTTPD_WORK_OUTBOX;
	if (under(path, "/v1/tasks"))
		return HTTPD_WORK_TASKS;
	return 0;
}

/* ---- running a request -------------------------------------------------------------- */

static void
status_of(struct httpd *h, struct api_status *s)
{
	memset(s, 0, sizeof(*s));
	s->daemon = true;
	s->started = h->started;
	s->requests = atomic_load(&h->requests);
	for (size_t i = 0; i < ARRAY_LEN(s->by_class); i++)
		s->by_class[i] = atomic_load(&h->by_class[i]);
	pthread_mutex_lock(&h->pulse_mu);
	s->pulse_age_ms = h->pulse_ms ? time_mono_ms() - h->pulse_ms : -1;
	s->last_tick = h->last_tick;
	s->nbreakers = h->nbreakers;
	memcpy(s->breakers, h->breakers, sizeof(s->breakers));
	pthread_mutex_unlock(&h->pulse_mu);
}

static void
metrics(struct httpd *h, const struct api_req *ar, struct answer *a)
{
	static const char ctype[] = "text/plain; version=0.0.4; charset=utf-8";
	struct api_status s;
	struct buf b;

	status_of(h, &s);
	buf_init(&b, METRICS_MAX);
	a->cacheable = false;
	a->cookie[0] = a->etag[0] = a->location[0] = '\0';
	a->status = 200;
	a->ctype = ctype;
	if (api_metrics(ar, &s, &b) != 0) {
		log_warnx("http: /metrics: %s", store_errmsg(ar->st));
		buf_free(&b);
		a->status = 503;
		a->text = strdup("# the database did not answer\nduban_up 0\n");
		a->len = a->text ? strlen(a->text) : 0;
		return;
	}
	a->len = b.len;
	a->text = buf_steal(&b);
}

/* What the console reads of r, on st. */
static void
console_req_of(const struct hreq *r, struct store *st, struct console_req *cr)
{
	*cr = (struct console_req){ .method = r->method,
				    .path = r->path,
				    .query = r->query,
				    .body = r->body.data ? r->body.data : "",
				    .len = r->body.len,
				    .cookie = r->cookie,
				    .csrf = r->csrf,
				    .inm = r->inm,
				    .origin = r->origin,
				    .host = r->host,
				    .addr = r->addr,
				    .https = r->https,
				    .st = st,
				    .cfg = r->gen->cfg };
}

/* The console's answer o (taken over) as a. */
static void
console_answer(struct answer *a, struct console_out *o)
{
	if (o->json != NULL || o->body == NULL) {
		answer_json(a, o->status ? o->status : 500, o->json);
		o->json = NULL;
	} else {
		a->cacheable = o->cacheable;
		a->status = o->status;
		a->ctype = o->ctype;
		a->text = o->body;
		a->len = o->len;
		o->body = NULL;
	}
	if (o->status == 304 && a->text != NULL) {
		a->status = 304;
		a->len = 0;
	}
	a->cacheable = o->cacheable || a->cacheable;
	memcpy(a->cookie, o->cookie, sizeof(a->cookie));
	memcpy(a->etag, o->etag, sizeof(a->etag));
	memcpy(a->location, o->location, sizeof(a->location));
	console_out_free(o);
}

/* A console file or /v1/session, on st. */
static void
console_run(struct hreq *r, struct store *st, struct answer *a)
{
	struct console_req cr;
	struct console_out o;

	console_req_of(r, st, &cr);
	if (r->kind == HREQ_STATIC)
		console_static(&cr, &o);
	else
		console_session_route(&cr, &o);
	console_answer(a, &o);
}

/*
 * A /v1/ request by the session cookie: true with ar's actor, role and
 * routes set, else false with the refusal in a.
 */
static bool
console_api_auth(struct hreq *r, struct store *st, struct api_req *ar, struct answer *a)
{
	struct console_req cr;
	struct console_out o;

	console_req_of(r, st, &cr);
	if (console_auth(&cr, r->actor, sizeof(r->actor), &r->role, &r->routes, &o) != 0) {
		console_answer(a, &o);
		return false;
	}
	ar->actor = r->actor;
	ar->routes = r->routes;
	ar->role = r->role;
	return true;
}

/*
 * Run request r, which has arrived whole and holds its configuration, on
 * database connection st into a; *work: what it left for the daemon.
 */
static void
run(struct httpd *h, struct hreq *r, struct store *st, struct answer *a, unsigned *work)
{
	const struct httpd_gen *g = r->gen;
	struct api_req ar = { .method = r->method,
			      .path = r->path,
			      .query = r->query,
			      .body = r->body.data ? r->body.data : "",
			      .len = r->body.len,
			      .actor = r->actor,
			      .routes = r->routes,
			      .st = st,
			      .cfg = g->cfg,
			      .tmpls = g->tmpls,
			      .rules = g->rules };
	struct api_resp resp = { 0, NULL };
	struct api_status s;
	bool queued = false;

	*work = 0;
	switch (r->kind) {
	case HREQ_HEALTHZ:
		status_of(h, &s);
		api_healthz(&ar, &s, &resp);
		break;
	case HREQ_METRICS:
		metrics(h, &ar, a);
		return;
	case HREQ_CALLBACK: {
		struct callback_req cr = { .method = r->method,
					   .path = r->path,
					   .query = r->query,
					   .body = ar.body,
					   .len = ar.len,
					   .content_type = r->has_ctype ? r->ctype : NULL,
					   .timestamp = r->has_ts ? r->ts : NULL,
					   .signature = r->has_sig ? r->sig : NULL,
					   .now = (int64_t)time(NULL),
					   .st = st,
					   .cfg = g->cfg };
		callback_handle(&cr, &resp, &queued);
		*work = queued && resp.status == 200 ? HTTPD_WORK_OUTBOX : 0;
		break;
	}
	case HREQ_STATIC:
	case HREQ_SESSION:
		console_run(r, st, a);
		return;
	case HREQ_API:
		if (r->session && !console_api_auth(r, st, &ar, a))
			return;
		api_handle(&ar, &resp);
		if (resp.status / 100 == 2)
			*work = api_work(r->method, r->path);
		if (resp.status >= 500)
			log_warnx("http: %s %s (%s): %u", r->method, r->path, r->actor,
				  resp.status);
		break;
	}
	answer_json(a, resp.status, resp.json);
}

/* ---- the readers' connections ------------------------------------------------------------ */

static struct store *
reader_get(struct httpd *h)
{
	struct store *st = NULL;

	pthread_mutex_lock(&h->pool_mu);
	if (h->nfree > 0)
		st = h->readers[--h->nfree];
	pthread_mutex_unlock(&h->pool_mu);
	return st;
}

static void
reader_put(struct httpd *h, struct store *st)
{
	pthread_mutex_lock(&h->pool_mu);
	h->readers[h->nfree++] = st;
	pthread_mutex_unlock(&h->pool_mu);
}

/* ---- the writer ------------------------------------------------------------------------- */

/* The writer is done with r: answered, its configuration let go, its connection resumed. */
static void
write_done(struct httpd *h, struct hreq *r)
{
	struct MHD_Connection *c = r->conn;

	gen_put(h, r->gen);
	r->gen = NULL;
	r->answered = true;
	/* Last: once resumed, the connection may answer and free r at once. */
	MHD_resume_connection(c);
}

static void *
writer_main(void *arg)
{
	struct httpd *h = arg;
	struct hreq *r;
	unsigned work;
	bool stopping;

	for (;;) {
		pthread_mutex_lock(&h->wq_mu);
		while (h->wq_head == NULL && !h->wq_stopping)
			pthread_cond_wait(&h->wq_cv, &h->wq_mu);
		if ((r = h->wq_head) != NULL) {
			h->wq_head = r->next;
			if (h->wq_head == NULL)
				h->wq_tail = NULL;
			h->wq_n--;
		}
		stopping = h->wq_stopping;
		pthread_mutex_unlock(&h->wq_mu);
		if (r == NULL)
			break;
		if (stopping) {
			answer_error(&r->ans, 503, "the server is stopping; send it again later");
		} else {
			run(h, r, h->wst, &r->ans, &work);
			wake(h, work);
		}
		write_done(h, r);
	}
	return NULL;
}

/*
 * Hand write r to the writer, suspending c until it is answered.  0, or -1
 * (the queue is full or the server stopping: c is not suspended).
 */
static int
writer_push(struct httpd *h, struct MHD_Connection *c, struct hreq *r)
{
	pthread_mutex_lock(&h->wq_mu);
	if (h->wq_stopping || h->wq_n >= WRITES_QUEUED_MAX) {
		pthread_mutex_unlock(&h->wq_mu);
		return -1;
	}
	/* Under the lock, so that the writer cannot resume it before it is suspended. */
	MHD_suspend_connection(c);
	r->conn = c;
	r->next = NULL;
	if (h->wq_tail)
		h->wq_tail->next = r;
	else
		h->wq_head = r;
	h->wq_tail = r;
	h->wq_n++;
	pthread_cond_signal(&h->wq_cv);
	pthread_mutex_unlock(&h->wq_mu);
	return 0;
}

/* ---- a request that has arrived whole ---------------------------------------------------- */

/* Copy header name of c into out (bounded); true when present and it fits. */
static bool
copy_header(struct MHD_Connection *c, const char *name, char *out, size_t outlen)
{
	const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);

	return v != NULL && snprintf(out, outlen, "%s", v) < (int)outlen;
}

/*
 * The headers the console reads, the client's address and whether the
 * browser used HTTPS: a trusted proxy (console.trust_proxy) says both by
 * X-Forwarded-For (its first address) and X-Forwarded-Proto.
 */
static void
console_headers_of(struct MHD_Connection *c, struct hreq *r)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct console_conf *cc = &r->gen->cfg->console;
	const char *v;

	r->cookie = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_COOKIE);
	r->csrf = MHD_lookup_connection_value(c, MHD_HEADER_KIND, CONSOLE_CSRF_HEADER);
	r->inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
	r->origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
	r->host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	snprintf(r->addr, sizeof(r->addr), "?");
	if (ci != NULL && ci->client_addr != NULL) {
		const struct sockaddr *sa = ci->client_addr;
		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, r->addr,
				  sizeof(r->addr));
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, r->addr,
				  sizeof(r->addr));
	}
	if (cc->trust_proxy) {
		v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Forwarded-Proto");
		r->https = v != NULL && strcasecmp(v, "https") == 0;
		v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Forwarded-For");
		if (v != NULL && *v)
			snprintf(r->addr, sizeof(r->addr), "%.*s", (int)strcspn(v, ", "), v);
	}
}

/*
 * What r is, and whether it may run at once (a read) or is a write: 0
 * with r's kind, or an answer already in a (a status to refuse it with).
 */
static int
classify(struct httpd *h, struct MHD_Connection *c, struct hreq *r, bool *write,
	 struct answer *a)
{
	const char *why;
	unsigned st;

	*write = false;
	if (strcmp(r->path, "/healthz") == 0 || strcmp(r->path, "/metrics") == 0) {
		if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0) {
			answer_error(a, 405, "%s %s: use GET", r->method, r->path);
			return -1;
		}
		r->kind = r->path[1] == 'm' ? HREQ_METRICS : HREQ_HEALTHZ;
		return 0;
	}
	if (strncmp(r->path, "/callbacks/", 11) == 0) {
		r->kind = HREQ_CALLBACK;
		r->has_ctype = copy_header(c, MHD_HTTP_HEADER_CONTENT_TYPE, r->ctype,
					   sizeof(r->ctype));
		r->has_ts = copy_header(c, CALLBACK_TS_HEADER, r->ts, sizeof(r->ts));
		r->has_sig = copy_header(c, CALLBACK_SIG_HEADER, r->sig, sizeof(r->sig));
		*write = true;
		return 0;
	}
	console_headers_of(c, r);
	if (strncmp(r->path, "/v1/", 4) != 0) {
		r->kind = HREQ_STATIC;
		return 0;
	}
	if (strcmp(r->path, "/v1/session") == 0) {
		r->kind = HREQ_SESSION;
		*write = strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0;
		return 0;
	}
	if (r->cookie != NULL &&
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION) ==
		    NULL &&
	    strstr(r->cookie, CONSOLE_COOKIE "=") != NULL) {
		r->kind = HREQ_API;
		r->session = true;
		*write = strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0;
		return 0;
	}
	if ((st = authenticate(h, r->gen, c, r, &why)) != 0) {
		answer_error(a, st, "%s", why);
		return -1;
	}
	r->kind = HREQ_API;
	*write = strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0;
	return 0;
}

static enum MHD_Result
serve(struct httpd *h, struct MHD_Connection *c, const char *method, const char *version,
      struct hreq *r)
{
	const char *q = strchr(r->uri, '?');
	size_t pl = q ? (size_t)(q - r->uri) : strlen(r->uri);
	struct store *st;
	struct answer a;
	char field[64];
	unsigned work;
	bool write;

	if (r->too_big)
		return send_error(h, c, 413, "the body is larger than http.max_body (%zu bytes)",
				  atomic_load(&h->max_body));
	if (r->uri_too_long)
		return send_error(h, c, 414, "the URI is longer than %d bytes", URI_MAX - 1);
	if (snprintf(r->method, sizeof(r->method), "%s", method) >= (int)sizeof(r->method))
		return send_error(h, c, 405, "no such method");
	if ((r->path = strndup(r->uri, pl)) == NULL)
		return MHD_NO;
	r->query = q ? q + 1 : "";
	if (header_hides_bytes(c, method, r->uri, version)) {
		/* A token, a signature or a type could read as something else than was sent. */
		if (strncmp(r->path, "/v1/", 4) == 0)
			return send_error(h, c, 401,
					  "invalid token: the request header holds a NUL byte");
		return send_error(h, c, 400, "the request header holds a NUL byte");
	}
	if (api_form_check(r->query, strlen(r->query), field, sizeof(field)) != 0) {
		answer_json(&a, 400,
			    json_pack("{s:s, s:s}", "error", "a query parameter holds a NUL byte",
				      "field", field));
		return send_answer(h, c, &a);
	}
	r->gen = gen_get(h);
	if (classify(h, c, r, &write, &a) != 0) {
		gen_put(h, r->gen);
		r->gen = NULL;
		return send_answer(h, c, &a);
	}
	if (write) {
		if (writer_push(h, c, r) == 0)
			return MHD_YES;
		gen_put(h, r->gen);
		r->gen = NULL;
		return send_error(h, c, 503, "too many writes waiting; send it again later");
	}
	if ((st = reader_get(h)) == NULL) {
		answer_error(&a, 503, "no database connection free; send it again later");
	} else {
		run(h, r, st, &a, &work);
		reader_put(h, st);
	}
	gen_put(h, r->gen);
	r->gen = NULL;
	return send_answer(h, c, &a);
}

/* ---- libmicrohttpd's callbacks ------------------------------------------------------- */

static struct httpd_guard_conn *
guard_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

static void
on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
	      enum MHD_ConnectionNotificationCode code)
{
	struct httpd *h = cls;
	const union MHD_ConnectionInfo *fd, *addr;

	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		httpd_guard_close(h->guard, *socket_context);
		*socket_context = NULL;
		return;
	}
	fd = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	addr = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	*socket_context = fd ? httpd_guard_open(h->guard, fd->connect_fd,
						addr ? addr->client_addr : NULL)
			     : NULL;
}

static void *
on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct hreq *r = calloc(1, sizeof(*r));

	(void)cls;
	(void)c;
	if (r == NULL)
		return NULL;
	r->uri_too_long = strlen(uri) >= URI_MAX;
	if ((r->uri = strdup(r->uri_too_long ? "" : uri)) == NULL) {
		free(r);
		return NULL;
	}
	return r;
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
	     enum MHD_RequestTerminationCode toe)
{
	struct httpd *h = cls;
	struct hreq *r = *con_cls;

	(void)toe;
	httpd_guard_idle(h->guard, guard_of(c));
	if (r == NULL)
		return;
	gen_put(h, r->gen);
	buf_free(&r->body);
	free(r->ans.text);
	free(r->path);
	free(r->uri);
	free(r);
	*con_cls = NULL;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
	   const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct httpd *h = cls;
	struct hreq *r = *con_cls;

	(void)url;
	if (r == NULL)
		return MHD_NO; /* out of memory in on_uri */
	if (!r->started) {
		const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_CONTENT_LENGTH);
		size_t max = atomic_load(&h->max_body);
		long len;

		r->started = true;
		httpd_guard_busy(h->guard, guard_of(c));
		buf_init(&r->body, max);
		if (cl && (parse_long(cl, 0, LONG_MAX, &len) != 0 || (size_t)len > max)) {
			/* Refused before reading it: MHD closes the connection after the answer. */
			r->too_big = true;
			return send_error(h, c, 413,
					  "the body is larger than http.max_body (%zu bytes)", max);
		}
		return MHD_YES;
	}
	if (*upload_size != 0) {
		if (!r->too_big && buf_add(&r->body, upload, *upload_size) != 0)
			r->too_big = true;
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->answered) /* the writer is done with it */
		return send_answer(h, c, &r->ans);
	return serve(h, c, method, version, r);
}

static void
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	log_warnx("http: %s", msg);
}

/* ---- start, stop, reload, pulse -------------------------------------------------------- */

static int
load_dirs(const struct duban_config *cfg, struct tmpl_set **t, struct rules **r, char *err,
	  size_t errlen)
{
	struct diag d = { 0 };

	*t = NULL;
	*r = NULL;
	if (tmpl_set_load_dir(cfg->templates_dir, t, &d) == 0 &&
	    rules_load_dir(cfg->rules_dir, *t, r, &d) == 0)
		return 0;
	snprintf(err, errlen, "%s",
		 d.n > 0 && d.line[0] ? d.line[0] : "cannot load templates or rules");
	diag_clear(&d);
	tmpl_set_free(*t);
	*t = NULL;
	return -1;
}

static void
guard_conf(const struct httpd_conf *hc, struct httpd_guard_conf *gc)
{
	gc->connections = hc->connections;
	gc->per_address = hc->per_address;
	gc->header_ms = hc->header_ms;
	gc->grace_ms = HTTPD_GUARD_GRACE_MS;
}

/* The database connections, the guard and the writer.  0, or -1 with err. */
static int
start_workers(struct httpd *h, const struct duban_config *cfg, char *err, size_t errlen)
{
	struct httpd_guard_conf gc;

	guard_conf(&cfg->http, &gc);
	h->nreaders = cfg->http.threads;
	if ((h->readers = calloc(h->nreaders, sizeof(*h->readers))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (h->nfree = 0; h->nfree < h->nreaders; h->nfree++)
		if (store_open(cfg->database, false, &h->readers[h->nfree], err, errlen) !=
		    STORE_OK)
			return -1;
	if (store_open(cfg->database, false, &h->wst, err, errlen) != STORE_OK)
		return -1;
	if (httpd_guard_new(&gc, &h->guard) != 0 ||
	    pthread_create(&h->writer, NULL, writer_main, h) != 0) {
		snprintf(err, errlen, "http: cannot start its threads");
		return -1;
	}
	h->writer_started = true;
	return 0;
}

int
httpd_start(const struct duban_config *cfg, const struct httpd_wake *wake, struct httpd **out,
	    char *err, size_t errlen)
{
	struct httpd *h = calloc(1, sizeof(*h));
	struct sockaddr_storage ss;
	socklen_t sl;
	const union MHD_DaemonInfo *info;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG |
			 MHD_ALLOW_SUSPEND_RESUME;
	unsigned limit;

	*out = NULL;
	if (h == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pthread_mutex_init(&h->gen_mu, NULL);
	pthread_cond_init(&h->gen_cv, NULL);
	pthread_mutex_init(&h->pool_mu, NULL);
	pthread_mutex_init(&h->wq_mu, NULL);
	pthread_cond_init(&h->wq_cv, NULL);
	pthread_mutex_init(&h->pulse_mu, NULL);
	h->gens[0].cfg = cfg;
	h->gens[0].refs = 1;
	if (wake != NULL)
		h->wake = *wake;
	h->started = time_now();
	h->threads = cfg->http.threads;
	h->connections = cfg->http.connections;
	atomic_store(&h->max_body, cfg->http.max_body);
	snprintf(h->listen, sizeof(h->listen), "%s", cfg->http.listen);
	if (httpd_parse_listen(cfg->http.listen, &ss, &sl, err, errlen) != 0 ||
	    load_dirs(cfg, &h->gens[0].tmpls, &h->gens[0].rules, err, errlen) != 0 ||
	    start_workers(h, cfg, err, errlen) != 0)
		goto fail;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/*
	 * The guard keeps the connections within http.connections; libmicrohttpd's
	 * own limit, which it splits between its threads and enforces by closing
	 * new connections unseen, stays above what any one thread may be given.
	 */
	limit = (cfg->http.connections + cfg->http.connections / 4 + 16) * cfg->http.threads;
	/* clang-format off */
	h->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h,
				  MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, h,
				  MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				  MHD_OPTION_THREAD_POOL_SIZE, cfg->http.threads,
				  MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
				  MHD_OPTION_URI_LOG_CALLBACK, on_uri, h,
				  MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
				  MHD_OPTION_CONNECTION_LIMIT, limit,
				  MHD_OPTION_CONNECTION_TIMEOUT, CONN_IDLE_S,
				  MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY,
				  MHD_OPTION_END);
	/* clang-format on */
	if (h->mhd == NULL) {
		snprintf(err, errlen, "http: cannot listen on %s (see the message above)",
			 cfg->http.listen);
		goto fail;
	}
	info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_BIND_PORT);
	log_info("http: listening on %.*s:%d",
		 (int)(strrchr(h->listen, ':') ? strrchr(h->listen, ':') - h->listen : 0),
		 h->listen, info ? (int)info->port : 0);
	*out = h;
	return 0;
fail:
	httpd_stop(h);
	return -1;
}

void
httpd_stop(struct httpd *h)
{
	if (h == NULL)
		return;
	/* The writer first: it answers what waits for it and resumes each connection. */
	if (h->writer_started) {
		pthread_mutex_lock(&h->wq_mu);
		h->wq_stopping = true;
		pthread_cond_signal(&h->wq_cv);
		pthread_mutex_unlock(&h->wq_mu);
		pthread_join(h->writer, NULL);
	}
	if (h->mhd)
		MHD_stop_daemon(h->mhd);
	httpd_guard_free(h->guard); /* after MHD: closing connections calls it */
	for (size_t i = 0; h->readers && i < h->nfree; i++)
		store_close(h->readers[i]);
	free(h->readers);
	store_close(h->wst);
	tmpl_set_free(h->gens[h->cur].tmpls);
	rules_free(h->gens[h->cur].rules);
	pthread_mutex_destroy(&h->gen_mu);
	pthread_cond_destroy(&h->gen_cv);
	pthread_mutex_destroy(&h->pool_mu);
	pthread_mutex_destroy(&h->wq_mu);
	pthread_cond_destroy(&h->wq_cv);
	pthread_mutex_destroy(&h->pulse_mu);
	free(h);
}

/* Log what of cfg's http group a reload cannot apply. */
static void
reload_warnings(const struct httpd *h, const struct httpd_conf *hc)
{
	if (!hc->enabled || strcmp(hc->listen, h->listen) != 0)
		log_warnx("http: %s takes effect when duban run is restarted; still serving %s",
			  hc->enabled ? "the new http.listen" : "http.enabled = false", h->listen);
	if (hc->threads != h->threads || hc->connections != h->connections)
		log_warnx("http: http.threads and http.connections take effect when duban run is "
			  "restarted; still %u threads, %u connections",
			  h->threads, h->connections);
}

int
httpd_reload(struct httpd *h, const struct duban_config *cfg)
{
	struct httpd_gen *old, *ng;
	struct httpd_guard_conf gc;
	struct tmpl_set *t = NULL;
	struct rules *r = NULL;
	char err[512];
	int rc = 0;

	if (h == NULL) {
		if (cfg->http.enabled)
			log_warnx("http: the configuration now enables the HTTP server; it starts "
				  "when "
				  "duban run is restarted");
		return 0;
	}
	old = &h->gens[h->cur];
	ng = &h->gens[!h->cur];
	if (load_dirs(cfg, &t, &r, err, sizeof(err)) != 0) {
		log_warnx("http: %s; keeping the previous templates and rules", err);
		rc = -1;
	}
	/* The free slot: no request holds it since the last reload waited for them. */
	ng->cfg = cfg;
	ng->tmpls = rc == 0 ? t : old->tmpls;
	ng->rules = rc == 0 ? r : old->rules;
	atomic_store(&h->max_body, cfg->http.max_body);
	guard_conf(&cfg->http, &gc);
	httpd_guard_configure(h->guard, &gc);
	pthread_mutex_lock(&h->gen_mu);
	ng->refs = 1;
	h->cur = !h->cur;
	/* New requests take the new one from here; wait for those holding the old. */
	old->refs--;
	while (old->refs > 0)
		pthread_cond_wait(&h->gen_cv, &h->gen_mu);
	pthread_mutex_unlock(&h->gen_mu);
	if (old->tmpls != ng->tmpls)
		tmpl_set_free(old->tmpls);
	if (old->rules != ng->rules)
		rules_free(old->rules);
	memset(old, 0, sizeof(*old));
	reload_warnings(h, &cfg->http);
	return rc;
}

void
httpd_pulse(struct httpd *h, const struct dispatch *d, int64_t last_tick)
{
	struct dispatch_breaker b[HTTPD_PROVIDERS_MAX];
	size_t n = 0;
	int64_t now_ms = time_mono_ms(), now = time_now();

	if (h == NULL)
		return;
	if (d != NULL)
		dispatch_breakers(d, b, ARRAY_LEN(b), &n);
	pthread_mutex_lock(&h->pulse_mu);
	h->pulse_ms = now_ms;
	h->last_tick = last_tick;
	h->nbreakers = n;
	for (size_t i = 0; i < n; i++) {
		struct api_breaker *a = &h->breakers[i];
		snprintf(a->name, sizeof(a->name), "%s", b[i].name);
		a->state = b[i].state == DISPATCH_BREAKER_OPEN        ? "open"
			   : b[i].state == DISPATCH_BREAKER_HALF_OPEN ? "half-open"
								      : "closed";
		a->open_until = b[i].state == DISPATCH_BREAKER_OPEN ? now + b[i].rest_ms / 1000 : 0;
		a->inflight = b[i].inflight;
	}
	pthread_mutex_unlock(&h->pulse_mu);
}
