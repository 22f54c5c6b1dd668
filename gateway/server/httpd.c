/*
 * httpd.c - the HTTP server of `duban run`: libmicrohttpd with one internal
 * thread, so requests are handled one at a time on the server's own
 * database connection, under a lock that a configuration swap (SIGHUP)
 * waits for.  It reads and bounds request bodies (over http.max_body:
 * 413), authenticates - API tokens by their SHA-256 compared in constant
 * time (401 without or with a bad one), providers' callbacks by their
 * callback_secret in the URL path or an HMAC-SHA256 signature of the body
 * - and hands the request to its route: api.c (/v1/...), callback.c
 * (/callbacks/...), api_status.c (/healthz, /metrics).  Every answer is
 * JSON but /metrics'.  When a route committed work for the daemon (a
 * message queued, a task changed), the daemon's wake-up is called before
 * the answer goes out, so that the work does not wait for a poll.
 */
#include "server/httpd.h"

#include <limits.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/api.h"
#include "server/callback.h"
#include "core/dispatch.h"
#include "base/log.h"
#include "provider/provider.h"
#include "core/rules.h"
#include "core/tmpl.h"
#include "base/array.h"
#include "base/str.h"
#include "base/clock.h"
#include "base/diag.h"
#include "base/buf.h"

#define URI_MAX 8192
#define TOKEN_MAX 256
#define METRICS_MAX (4 * 1024 * 1024)
#define CONN_LIMIT 256u
#define CONN_TIMEOUT_S 30u
#define CONN_MEMORY (64 * 1024)
#define SIG_HEADER "X-Duban-Signature"

struct httpd {
	struct MHD_Daemon *mhd;
	/* Held while a request is handled and while the configuration is swapped. */
	pthread_mutex_t mu;
	const struct duban_config *cfg;
	struct tmpl_set *tmpls;
	struct rules *rules;
	struct store *st;
	struct httpd_wake wake; /* the daemon's (fn NULL: none) */
	char listen[128];
	_Atomic size_t max_body;
	int64_t started;
	uint64_t requests, by_class[6];
	/* The daemon's pulse (pulse_mu only: never waits for a request). */
	pthread_mutex_t pulse_mu;
	int64_t pulse_ms, last_tick;
	size_t nbreakers;
	struct api_breaker breakers[HTTPD_PROVIDERS_MAX];
};

/* One request: made by the URI log callback, freed when it completes. */
struct hreq {
	char *uri; /* path?query as the client sent it ("" when too long) */
	struct buf body;
	bool started, too_big, uri_too_long;
};

/* ---- answers ----------------------------------------------------------------------- */

static enum MHD_Result
send_text(struct httpd *h, struct MHD_Connection *c, unsigned status, char *text, size_t len,
	  const char *ctype, bool auth_header)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	h->requests++;
	if (status / 100 < ARRAY_LEN(h->by_class))
		h->by_class[status / 100]++;
	resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (auth_header)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Bearer realm=\"duban\"");
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* Send j (consumed) as the JSON body of a status answer. */
static enum MHD_Result
send_json(struct httpd *h, struct MHD_Connection *c, unsigned status, json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	size_t n;
	char *t;

	json_decref(j);
	if (s == NULL) {
		status = 500;
		s = strdup("{\"error\":\"out of memory\"}");
		if (s == NULL)
			return MHD_NO;
	}
	n = strlen(s);
	if ((t = realloc(s, n + 2)) == NULL) {
		free(s);
		return MHD_NO;
	}
	t[n] = '\n';
	t[n + 1] = '\0';
	return send_text(h, c, status, t, n + 1, "application/json; charset=utf-8", status == 401);
}

static enum MHD_Result send_error(struct httpd *h, struct MHD_Connection *c, unsigned status,
				  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static enum MHD_Result
send_error(struct httpd *h, struct MHD_Connection *c, unsigned status, const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return send_json(h, c, status, json_pack("{s:s, s:n}", "error", msg, "field"));
}

/* ---- authentication ------------------------------------------------------------------- */

/*
 * The token of the Authorization header: 0 and *tok, or the status to
 * answer (401).  Every configured token is compared, in constant time.
 */
static unsigned
authenticate(struct httpd *h, struct MHD_Connection *c, const struct http_token **tok,
	     const char **why)
{
	const struct httpd_conf *hc = &h->cfg->http;
	const char *a =
		MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	unsigned char sum[32];
	const struct http_token *found = NULL;

	*tok = NULL;
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
		*why = "invalid token";
		return 401;
	}
	*tok = found;
	return 0;
}

static bool
secret_equal(const char *a, const char *b)
{
	unsigned char ha[32], hb[32];

	/* Equal-length digests: the comparison says nothing about the lengths. */
	if (httpd_token_hash(a, ha) != 0 || httpd_token_hash(b, hb) != 0)
		return false;
	return CRYPTO_memcmp(ha, hb, sizeof(ha)) == 0;
}

/* X-Duban-Signature: sha256=HEX of HMAC-SHA256(callback_secret, body). */
static bool
signature_ok(struct MHD_Connection *c, const char *secret, const struct buf *body)
{
	const char *sig = MHD_lookup_connection_value(c, MHD_HEADER_KIND, SIG_HEADER);
	unsigned char mac[EVP_MAX_MD_SIZE], want[32];
	unsigned int n = 0;

	if (sig == NULL || strncmp(sig, "sha256=", 7) != 0 || strlen(sig + 7) != 64)
		return false;
	for (size_t i = 0; i < 32; i++) {
		unsigned v;
		if (sscanf(sig + 7 + i * 2, "%2x", &v) != 1)
			return false;
		want[i] = (unsigned char)v;
	}
	if (HMAC(EVP_sha256(), secret, (int)strlen(secret),
		 (const unsigned char *)(body->data ? body->data : ""), body->len, mac,
		 &n) == NULL ||
	    n != 32)
		return false;
	return CRYPTO_memcmp(mac, want, 32) == 0;
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

/* ---- callbacks ------------------------------------------------------------------------ */

struct cb_src {
	struct provider_cb_req req;
	json_t *json;      /* the body, when it is JSON */
	const char *form;  /* the body, when it is a form */
	const char *query; /* the URL's query string */
};

/* The JSON value at a dotted path (NULL: none). */
static const json_t *
json_at(const json_t *j, const char *path)
{
	char seg[128];

	while (j != NULL && *path) {
		size_t l = strcspn(path, ".");
		long idx;

		if (l >= sizeof(seg))
			return NULL;
		memcpy(seg, path, l);
		seg[l] = '\0';
		path += l + (path[l] == '.');
		if (json_is_object(j))
			j = json_object_get(j, seg);
		else if (json_is_array(j) && parse_long(seg, 0, 1000000, &idx) == 0)
			j = json_array_get(j, (size_t)idx);
		else
			return NULL;
	}
	return j;
}

static int
cb_field(const struct provider_cb_req *r, const char *name, char *out, size_t outlen)
{
	const struct cb_src *s = r->ctx;

	if (s->json) {
		const json_t *v = json_at(s->json, name);
		if (v != NULL && !json_is_null(v))
			return provider_json_get(s->json, name, out, outlen);
	}
	if (s->form && api_query_arg(s->form, name, out, outlen) == 0)
		return 0;
	return api_query_arg(s->query, name, out, outlen);
}

/* 400 for a callback a backend could not read; the field is the one its message names. */
static enum MHD_Result
bad_callback(struct httpd *h, struct MHD_Connection *c, const char *what, const char *err)
{
	const char *q = strstr(err, "field \""), *end;
	char field[128] = "";
	char msg[600];

	if (q != NULL && (end = strchr(q + 7, '"')) != NULL &&
	    (size_t)(end - q - 7) < sizeof(field)) {
		memcpy(field, q + 7, (size_t)(end - q - 7));
		field[end - q - 7] = '\0';
	}
	snprintf(msg, sizeof(msg), "%s: %s", what, err);
	return send_json(h, c, 400,
			 json_pack("{s:s, s:s?}", "error", msg, "field", field[0] ? field : NULL));
}

static enum MHD_Result
dlr(struct httpd *h, struct MHD_Connection *c, const struct provider_conf *pc, struct cb_src *src)
{
	struct provider_dlr d;
	struct dlr_outcome o;
	char err[400];

	if (provider_dlr_parse(pc, &src->req, &d, err, sizeof(err)) != 0)
		return bad_callback(h, c, "delivery report", err);
	if (callback_dlr(h->st, pc, &d, &o, err, sizeof(err)) != 0) {
		log_warnx("http: delivery report from %s: %s", pc->name, err);
		return send_error(h, c, 500, "%s", err);
	}
	return send_json(h, c, 200,
			 json_pack("{s:b, s:s, s:o, s:b, s:b}", "ok", 1, "ref", d.ref, "message",
				   o.message ? json_integer(o.message) : json_null(), "applied",
				   o.applied, "duplicate", o.duplicate));
}

static enum MHD_Result
mo(struct httpd *h, struct MHD_Connection *c, const struct provider_conf *pc, struct cb_src *src)
{
	struct provider_mo m;
	struct reply_result res;
	char err[400];

	if (provider_mo_parse(pc, &src->req, &m, err, sizeof(err)) != 0)
		return bad_callback(h, c, "reply", err);
	if (callback_mo(h->st, h->cfg, pc, &m, &res, err, sizeof(err)) != 0) {
		log_warnx("http: reply from %s: %s", pc->name, err);
		return send_error(h, c, strstr(err, "UTF-8") ? 400 : 500, "%s", err);
	}
	/* A reply may have queued an answer (a confirmation, a forward). */
	if (!res.duplicate)
		wake(h, HTTPD_WORK_OUTBOX);
	return send_json(h, c, 200,
			 json_pack("{s:b, s:I, s:s, s:s, s:b}", "ok", 1, "reply",
				   (json_int_t)res.inbound, "command", reply_cmd_name(res.cmd),
				   "action", res.action ? res.action : "", "duplicate",
				   res.duplicate));
}

/* /callbacks/{dlr|mo}/PROVIDER[/SECRET] */
static enum MHD_Result
callbacks(struct httpd *h, struct MHD_Connection *c, const char *path, const char *query,
	  struct hreq *r)
{
	char buf[512], *seg[5], *save = NULL, *t;
	const struct provider_conf *pc = NULL;
	const char *ct =
		MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	struct cb_src src = { { cb_field, NULL }, NULL, NULL, query };
	enum MHD_Result ret;
	int n = 0;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return send_error(h, c, 404, "no such route");
	for (t = strtok_r(buf, "/", &save); t && n < 5; t = strtok_r(NULL, "/", &save))
		seg[n++] = t;
	if (t != NULL || n < 3 || n > 4 ||
	    (strcmp(seg[1], "dlr") != 0 && strcmp(seg[1], "mo") != 0))
		return send_error(h, c, 404, "no such route: %s", path);
	for (size_t i = 0; i < h->cfg->nproviders; i++)
		if (strcmp(h->cfg->providers[i].name, seg[2]) == 0)
			pc = &h->cfg->providers[i];
	if (pc == NULL)
		return send_error(h, c, 404, "no provider \"%s\"", seg[2]);
	if (pc->callback_secret == NULL)
		return send_error(h, c, 404,
				  "provider \"%s\" takes no callbacks (no callback_secret)",
				  pc->name);
	if (n == 4 ? !secret_equal(seg[3], pc->callback_secret)
		   : !signature_ok(c, pc->callback_secret, &r->body)) {
		log_warnx("http: %s callback for %s refused: %s", seg[1], pc->name,
			  n == 4 ? "wrong secret" : "no valid " SIG_HEADER);
		return send_error(h, c, 401,
				  "not authenticated: the provider's callback secret is "
				  "missing or wrong");
	}
	src.req.ctx = &src;
	if (r->body.len > 0 &&
	    ((ct && strncasecmp(ct, "application/json", 16) == 0) || r->body.data[0] == '{')) {
		src.json = json_loadb(r->body.data, r->body.len, 0, NULL);
		if (src.json == NULL)
			return send_error(h, c, 400, "malformed JSON body");
	} else if (r->body.len > 0) {
		src.form = r->body.data;
	}
	ret = strcmp(seg[1], "dlr") == 0 ? dlr(h, c, pc, &src) : mo(h, c, pc, &src);
	json_decref(src.json);
	return ret;
}

/* ---- /healthz, /metrics, /v1 ---------------------------------------------------------- */

static void
status_of(struct httpd *h, struct api_status *s)
{
	memset(s, 0, sizeof(*s));
	s->daemon = true;
	s->started = h->started;
	s->requests = h->requests;
	memcpy(s->by_class, h->by_class, sizeof(s->by_class));
	pthread_mutex_lock(&h->pulse_mu);
	s->pulse_age_ms = h->pulse_ms ? time_mono_ms() - h->pulse_ms : -1;
	s->last_tick = h->last_tick;
	s->nbreakers = h->nbreakers;
	memcpy(s->breakers, h->breakers, sizeof(s->breakers));
	pthread_mutex_unlock(&h->pulse_mu);
}

static enum MHD_Result
metrics(struct httpd *h, struct MHD_Connection *c, const struct api_req *ar)
{
	struct api_status s;
	struct buf b;

	status_of(h, &s);
	buf_init(&b, METRICS_MAX);
	if (api_metrics(ar, &s, &b) != 0) {
		log_warnx("http: /metrics: %s", store_errmsg(h->st));
		buf_free(&b);
		b.data = strdup("# the database did not answer\nduban_up 0\n");
		return b.data ? send_text(h, c, 503, b.data, strlen(b.data),
					  "text/plain; version=0.0.4; charset=utf-8", false)
			      : MHD_NO;
	}
	return send_text(h, c, 200, buf_steal(&b), b.len,
			 "text/plain; version=0.0.4; charset=utf-8", false);
}

static enum MHD_Result
route(struct httpd *h, struct MHD_Connection *c, const char *method, struct hreq *r)
{
	char path[URI_MAX];
	const char *q = strchr(r->uri, '?');
	size_t pl = q ? (size_t)(q - r->uri) : strlen(r->uri);
	struct api_req ar = { .method = method,
			      .path = path,
			      .query = q ? q + 1 : "",
			      .body = r->body.data ? r->body.data : "",
			      .len = r->body.len,
			      .st = h->st,
			      .cfg = h->cfg,
			      .tmpls = h->tmpls,
			      .rules = h->rules };
	struct api_resp resp = { 0, NULL };
	const struct http_token *tok;
	const char *why;
	char actor[64];
	unsigned st;

	if (pl >= sizeof(path))
		return send_error(h, c, 414, "URI too long");
	memcpy(path, r->uri, pl);
	path[pl] = '\0';
	if (strcmp(path, "/healthz") == 0 || strcmp(path, "/metrics") == 0) {
		struct api_status s;
		if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
			return send_error(h, c, 405, "%s %s: use GET", method, path);
		if (path[1] == 'm')
			return metrics(h, c, &ar);
		status_of(h, &s);
		api_healthz(&ar, &s, &resp);
		return send_json(h, c, resp.status, resp.json);
	}
	if (strncmp(path, "/callbacks/", 11) == 0)
		return callbacks(h, c, path, ar.query, r);
	if (strncmp(path, "/v1/", 4) != 0)
		return send_error(h, c, 404, "no such route: %s", path);
	if ((st = authenticate(h, c, &tok, &why)) != 0)
		return send_error(h, c, st, "%s", why);
	snprintf(actor, sizeof(actor), "api:%s", tok->name);
	ar.actor = actor;
	ar.routes = tok->routes;
	api_handle(&ar, &resp);
	if (resp.status / 100 == 2)
		wake(h, api_work(method, path));
	if (resp.status >= 500)
		log_warnx("http: %s %s (%s): %u", method, path, actor, resp.status);
	return send_json(h, c, resp.status, resp.json);
}

/* ---- libmicrohttpd's callbacks ------------------------------------------------------- */

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
	struct hreq *r = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (r == NULL)
		return;
	buf_free(&r->body);
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
	enum MHD_Result ret;

	(void)url;
	(void)version;
	if (r == NULL)
		return MHD_NO; /* out of memory in on_uri */
	if (!r->started) {
		const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_CONTENT_LENGTH);
		size_t max = atomic_load(&h->max_body);
		long len;

		r->started = true;
		buf_init(&r->body, max);
		if (cl && (parse_long(cl, 0, LONG_MAX, &len) != 0 || (size_t)len > max)) {
			/* Refused before reading it: MHD closes the connection after the answer. */
			pthread_mutex_lock(&h->mu);
			ret = send_error(h, c, 413,
					 "the body is larger than http.max_body (%zu bytes)", max);
			pthread_mutex_unlock(&h->mu);
			r->too_big = true;
			return ret;
		}
		return MHD_YES;
	}
	if (*upload_size != 0) {
		if (!r->too_big && buf_add(&r->body, upload, *upload_size) != 0)
			r->too_big = true;
		*upload_size = 0;
		return MHD_YES;
	}
	pthread_mutex_lock(&h->mu);
	if (r->too_big)
		ret = send_error(h, c, 413, "the body is larger than http.max_body (%zu bytes)",
				 atomic_load(&h->max_body));
	else if (r->uri_too_long)
		ret = send_error(h, c, 414, "the URI is longer than %d bytes", URI_MAX - 1);
	else
		ret = route(h, c, method, r);
	pthread_mutex_unlock(&h->mu);
	return ret;
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

int
httpd_start(const struct duban_config *cfg, const struct httpd_wake *wake, struct httpd **out,
	    char *err, size_t errlen)
{
	struct httpd *h = calloc(1, sizeof(*h));
	struct sockaddr_storage ss;
	socklen_t sl;
	const union MHD_DaemonInfo *info;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;

	*out = NULL;
	if (h == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pthread_mutex_init(&h->mu, NULL);
	pthread_mutex_init(&h->pulse_mu, NULL);
	h->cfg = cfg;
	if (wake != NULL)
		h->wake = *wake;
	h->started = time_now();
	atomic_store(&h->max_body, cfg->http.max_body);
	snprintf(h->listen, sizeof(h->listen), "%s", cfg->http.listen);
	if (httpd_parse_listen(cfg->http.listen, &ss, &sl, err, errlen) != 0 ||
	    store_open(cfg->database, false, &h->st, err, errlen) != STORE_OK ||
	    load_dirs(cfg, &h->tmpls, &h->rules, err, errlen) != 0)
		goto fail;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/* clang-format off */
	h->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h,
				  MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, h,
				  MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				  MHD_OPTION_URI_LOG_CALLBACK, on_uri, h,
				  MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
				  MHD_OPTION_CONNECTION_LIMIT, CONN_LIMIT,
				  MHD_OPTION_CONNECTION_TIMEOUT, CONN_TIMEOUT_S,
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
	if (h->mhd)
		MHD_stop_daemon(h->mhd);
	store_close(h->st);
	tmpl_set_free(h->tmpls);
	rules_free(h->rules);
	pthread_mutex_destroy(&h->mu);
	pthread_mutex_destroy(&h->pulse_mu);
	free(h);
}

int
httpd_reload(struct httpd *h, const struct duban_config *cfg)
{
	struct tmpl_set *t = NULL, *old_t = NULL;
	struct rules *r = NULL, *old_r = NULL;
	char err[512];
	int rc = 0;

	if (h == NULL) {
		if (cfg->http.enabled)
			log_warnx("http: the configuration now enables the HTTP server; it starts "
				  "when "
				  "duban run is restarted");
		return 0;
	}
	if (load_dirs(cfg, &t, &r, err, sizeof(err)) != 0) {
		log_warnx("http: %s; keeping the previous templates and rules", err);
		rc = -1;
	}
	pthread_mutex_lock(&h->mu);
	h->cfg = cfg;
	if (rc == 0) {
		old_t = h->tmpls;
		old_r = h->rules;
		h->tmpls = t;
		h->rules = r;
	}
	atomic_store(&h->max_body, cfg->http.max_body);
	pthread_mutex_unlock(&h->mu);
	tmpl_set_free(old_t);
	rules_free(old_r);
	if (!cfg->http.enabled || strcmp(cfg->http.listen, h->listen) != 0)
		log_warnx("http: %s takes effect when duban run is restarted; still serving %s",
			  cfg->http.enabled ? "the new http.listen" : "http.enabled = false",
			  h->listen);
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
