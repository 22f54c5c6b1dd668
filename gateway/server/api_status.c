/*
 * api_status.c - what an operator's monitoring reads: GET /healthz (is
 * the database reachable, is the dispatcher alive, is there room left on
 * the database's disk, which providers rest behind an open circuit
 * breaker; "reasons" says in words why it is not ok) as JSON, and GET /metrics in the Prometheus text format
 * (version 0.0.4): the build's version, the outbox by status and kind
 * (every pair, zeros too, so that a rate or an alert never meets a
 * missing series), the age of the oldest due message, per-provider totals of
 * sent, retried, rejected, failed and delivered messages, a histogram of
 * send latency, delivery reports, replies, the scheduler's last pass, the
 * HTTP server's own requests, and the disk's free space with the sizes of
 * the database and its WAL.  Counts come from the database, so they
 * survive restarts and include what other processes did.
 */
#include "server/api.h"
#include "base/array.h"
#include "base/version.h"
#include "base/clock.h"
#include "base/buf.h"
#include "provider/provider.h"

#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#define PULSE_DEAD_MS 10000 /* the daemon pulses at least every second */

/* Bytes as a person reads them: "512 B", "3.1 MiB", "2.0 GiB". */
static const char *
human_bytes(int64_t n, char *out, size_t outlen)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	size_t u = 0;

	if (n < 1024) {
		snprintf(out, outlen, "%" PRId64 " B", n);
		return out;
	}
	for (v /= 1024; v >= 1024 && u + 1 < ARRAY_LEN(units); u++)
		v /= 1024;
	snprintf(out, outlen, "%.1f %s", v, units[u]);
	return out;
}

/*
 * The database's disk as /healthz shows it: free space (against
 * storage.min_free), the database and its WAL.  *ok false, with the
 * reason in the object's "error", when the space is below the floor or
 * cannot be read.  A new reference (NULL: out of memory).
 */
static json_t *
disk_json(const struct api_req *r, bool *ok)
{
	const struct storage_conf *sc = &r->cfg->storage;
	struct store_disk d;
	char why[200] = "", a[32], b[32];
	json_t *j;

	*ok = store_disk(r->st, &d) == STORE_OK;
	if (!*ok)
		snprintf(why, sizeof(why), "cannot read the database's disk: %s", store_errmsg(r->st));
	else if (sc->min_free > 0 && d.free < sc->min_free) {
		*ok = false;
		snprintf(why, sizeof(why),
			 "%s free on the database's filesystem, less than storage.min_free (%s)",
			 human_bytes(d.free, a, sizeof(a)), human_bytes(sc->min_free, b, sizeof(b)));
	}
	j = json_pack("{s:b, s:I, s:I, s:I, s:I, s:I}", "ok", *ok, "free_bytes", (json_int_t)d.free,
		      "min_free_bytes", (json_int_t)sc->min_free, "database_bytes",
		      (json_int_t)d.database, "wal_bytes", (json_int_t)d.wal, "wal_max_bytes",
		      (json_int_t)d.wal_max);
	if (j && why[0])
		json_object_set_new(j, "error", json_string(why));
	return j;
}

/* The providers' halts (provider_state), by configuration order. */
struct halts {
	const struct duban_config *cfg;
	struct provider_state st[HTTPD_PROVIDERS_MAX];
	size_t n;
};

static int
halt_row(void *arg, const struct provider_state *p)
{
	struct halts *h = arg;

	for (size_t i = 0; i < h->cfg->nproviders && i < HTTPD_PROVIDERS_MAX; i++)
		if (strcmp(h->cfg->providers[i].name, p->name) == 0 && p->halted_at != 0) {
			h->st[i] = *p;
			h->n++;
		}
	return 0;
}

/* Read them; 0, or -1 (the database failed: none are shown). */
static int
halts_read(const struct api_req *r, struct halts *h)
{
	memset(h, 0, sizeof(*h));
	h->cfg = r->cfg;
	return store_provider_each(r->st, halt_row, h) == STORE_OK ? 0 : -1;
}

/* The halt of provider name, or NULL. */
static const struct provider_state *
halt_of(const struct halts *h, const char *name)
{
	for (size_t i = 0; i < h->cfg->nproviders && i < HTTPD_PROVIDERS_MAX; i++)
		if (h->st[i].halted_at != 0 && strcmp(h->cfg->providers[i].name, name) == 0)
			return &h->st[i];
	return NULL;
}

/* A provider's entry of /healthz: its breaker and its halt. */
static json_t *
provider_json(const struct api_breaker *b, const struct halts *h)
{
	const struct provider_state *ps = halt_of(h, b->name);
	char when[40], since[40];
	json_t *j;

	j = json_pack("{s:s, s:s, s:s?, s:i, s:b}", "name", b->name, "circuit", b->state,
		      "open_until", b->open_until ? api_time(b->open_until, when, sizeof(when)) : NULL,
		      "in_flight", b->inflight, "halted", ps != NULL);
	if (j && ps)
		json_object_set_new(j, "halt",
				    json_pack("{s:s, s:s, s:s}", "since",
					      api_time(ps->halted_at, since, sizeof(since)), "code",
					      ps->code, "reason", ps->reason));
	return j;
}

/* Append a sentence to the JSON array why (nothing when why is NULL). */
__attribute__((format(printf, 2, 3)))
static void
reason(json_t *why, const char *fmt, ...)
{
	char text[300];
	va_list ap;

	if (why == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	json_array_append_new(why, json_string(text));
}

void
api_healthz(const struct api_req *r, const struct api_status *s, struct api_resp *out)
{
	bool db = store_ping(r->st) == STORE_OK, disk_ok;
	bool alive = s->pulse_age_ms >= 0 && s->pulse_age_ms < PULSE_DEAD_MS;
	size_t open = 0;
	char when[40];
	struct halts h;
	json_t *j, *provs = json_array(), *disk = disk_json(r, &disk_ok), *why = json_array();
	json_t *e;

	/* Why it is not "ok", in words, first the reasons for "down". */
	if (!db)
		reason(why, "the database does not answer: %s", store_errmsg(r->st));
	if (!alive && s->pulse_age_ms < 0)
		reason(why, "the dispatcher has not pulsed yet");
	else if (!alive)
		reason(why, "the dispatcher has not pulsed for %lld ms (alive means under %d ms)",
		       (long long)s->pulse_age_ms, PULSE_DEAD_MS);
	if (!disk_ok && disk && (e = json_object_get(disk, "error")) != NULL)
		reason(why, "%s", json_string_value(e));

	if (halts_read(r, &h) != 0)
		memset(&h.st, 0, sizeof(h.st));
	open = h.n;
	for (size_t i = 0; i < r->cfg->nproviders && i < HTTPD_PROVIDERS_MAX; i++)
		if (h.st[i].halted_at != 0)
			reason(why, "provider %s halted: %s %s", r->cfg->providers[i].name,
			       h.st[i].code, h.st[i].reason);
	for (size_t i = 0; provs && i < s->nbreakers; i++) {
		const struct api_breaker *b = &s->breakers[i];
		if (strcmp(b->state, "closed") != 0) {
			open++;
			reason(why, "provider %s: circuit %s%s%s", b->name, b->state,
			       b->open_until ? " until " : "",
			       b->open_until ? api_time(b->open_until, when, sizeof(when)) : "");
		}
		json_array_append_new(provs, provider_json(b, &h));
	}
	j = json_pack("{s:s, s:{s:b, s:s?}, s:o, s:{s:b, s:I}, s:{s:s?}, s:o, s:I}", "status",
		      !db || !alive || !disk_ok ? "down"
		      : open > 0		? "degraded"
						: "ok",
		      "database", "ok", db, "error", db ? NULL : store_errmsg(r->st), "disk",
		      disk ? disk : json_null(), "dispatcher", "alive", alive, "last_pulse_ms",
		      (json_int_t)s->pulse_age_ms, "scheduler", "last_tick",
		      s->last_tick ? api_time(s->last_tick, when, sizeof(when)) : NULL, "providers",
		      provs ? provs : json_array(), "uptime_s", (json_int_t)(time_now() - s->started));
	if (j != NULL)
		json_object_set_new(j, "reasons", why ? why : json_array());
	else
		json_decref(why);
	api_reply(out, db && alive && disk_ok ? 200 : 503, j);
}

/* ---- Prometheus text ------------------------------------------------------------- */

struct prom {
	struct buf *b;
	int rc;
};

/* A label value with \, " and newline escaped, as the format wants. */
static void
label(struct prom *p, const char *v)
{
	for (; *v && p->rc == 0; v++) {
		const char *e = *v == '\\'   ? "\\\\"
				: *v == '"'  ? "\\\""
				: *v == '\n' ? "\\n"
					     : NULL;
		if ((e ? buf_adds(p->b, e) : buf_add(p->b, v, 1)) != 0)
			p->rc = -1;
	}
}

static void
put(struct prom *p, const char *s)
{
	if (p->rc == 0 && buf_adds(p->b, s) != 0)
		p->rc = -1;
}

static void
head(struct prom *p, const char *name, const char *type, const char *help)
{
	if (p->rc == 0 &&
	    buf_printf(p->b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type) != 0)
		p->rc = -1;
}

/* name{k1="v1",k2="v2"} value: labels as NULL-terminated pairs. */
static void
sample(struct prom *p, const char *name, const char *const *labels, int64_t v)
{
	put(p, name);
	if (labels && labels[0]) {
		put(p, "{");
		for (size_t i = 0; labels[i]; i += 2) {
			put(p, i ? "," : "");
			put(p, labels[i]);
			put(p, "=\"");
			label(p, labels[i + 1]);
			put(p, "\"");
		}
		put(p, "}");
	}
	if (p->rc == 0 && buf_printf(p->b, " %" PRId64 "\n", v) != 0)
		p->rc = -1;
}

/* Every status and kind of the outbox (the schema's CHECKs): a series for each, zeros too. */
static const char *const msg_status[] = { "queued", "sending", "sent", "delivered",
					  "failed", "expired", "cancelled", "skipped" };
static const char *const msg_kind[] = { "reminder", "escalation", "notice", "manual", "reply" };

struct msg_counts {
	struct prom *p;
	int64_t n[ARRAY_LEN(msg_status)][ARRAY_LEN(msg_kind)];
};

static int
index_of(const char *const *words, size_t n, const char *w)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(words[i], w) == 0)
			return (int)i;
	return -1;
}

static int
msg_row(void *arg, const char *status, const char *kind, int64_t n)
{
	struct msg_counts *mc = arg;
	int si = index_of(msg_status, ARRAY_LEN(msg_status), status);
	int ki = index_of(msg_kind, ARRAY_LEN(msg_kind), kind);
	const char *l[] = { "status", status, "kind", kind, NULL };

	if (si >= 0 && ki >= 0)
		mc->n[si][ki] = n;
	else
		sample(mc->p, "duban_messages", l, n); /* a newer schema's word: shown as it is */
	return 0;
}

/* duban_messages for every status and kind, then the age of the oldest due. */
static int
messages(const struct api_req *r, struct prom *p)
{
	struct msg_counts mc = { .p = p };
	int64_t age = 0;

	head(p, "duban_messages", "gauge", "Messages in the outbox by status and kind.");
	if (store_metrics_messages(r->st, msg_row, &mc) != STORE_OK)
		return -1;
	for (size_t si = 0; si < ARRAY_LEN(msg_status); si++)
		for (size_t ki = 0; ki < ARRAY_LEN(msg_kind); ki++) {
			const char *l[] = { "status", msg_status[si], "kind", msg_kind[ki], NULL };
			sample(p, "duban_messages", l, mc.n[si][ki]);
		}
	if (store_metrics_oldest_queued(r->st, time_now(), &age) != STORE_OK)
		return -1;
	head(p, "duban_oldest_queued_seconds", "gauge",
	     "How long the oldest queued message that is due has waited (0: none waits).");
	sample(p, "duban_oldest_queued_seconds", NULL, age);
	return 0;
}

/* One pass over the providers for each family, so that a family's samples stay together. */
struct prov_pass {
	struct prom *p;
	int family;
};

static int
prov_row(void *arg, const struct provider_totals *t)
{
	static const char *const names[] = { "duban_sent_total", "duban_retried_total",
					     "duban_rejected_total", "duban_failed_total",
					     "duban_delivered_total" };
	struct prov_pass *pp = arg;
	const char *l[] = { "provider", t->provider, NULL, NULL, NULL };
	const int64_t v[] = { t->sent, t->retried, t->rejected, t->failed, t->delivered };
	char le[24];

	if (pp->family < 5) {
		sample(pp->p, names[pp->family], l, v[pp->family]);
		return 0;
	}
	l[2] = "le";
	for (int i = 0; i < STORE_LATENCY_BUCKETS; i++) {
		snprintf(le, sizeof(le), "%g", (double)store_latency_bounds_ms[i] / 1000.0);
		l[3] = le;
		sample(pp->p, "duban_send_latency_seconds_bucket", l, t->le[i]);
	}
	l[3] = "+Inf";
	sample(pp->p, "duban_send_latency_seconds_bucket", l, t->count);
	l[2] = NULL;
	put(pp->p, "duban_send_latency_seconds_sum{provider=\"");
	label(pp->p, t->provider);
	if (pp->p->rc == 0 && buf_printf(pp->p->b, "\"} %.3f\n", (double)t->sum_ms / 1000.0) != 0)
		pp->p->rc = -1;
	sample(pp->p, "duban_send_latency_seconds_count", l, t->count);
	return 0;
}

static int
dlr_row(void *arg, const char *provider, const char *status, int64_t n)
{
	const char *l[] = { "provider", provider, "status", status, NULL };
	sample(arg, "duban_delivery_reports_total", l, n);
	return 0;
}

static int
inbound_row(void *arg, const char *action, const char *status, int64_t n)
{
	const char *l[] = { "action", action, "status", status, NULL };
	sample(arg, "duban_replies_total", l, n);
	return 0;
}

static int
providers(struct api_req const *r, struct prom *p)
{
	static const struct {
		const char *name, *type, *help;
	} fam[] = {
		{ "duban_sent_total", "counter", "Send attempts a provider accepted." },
		{ "duban_retried_total", "counter",
		  "Send attempts that failed transiently (retried)." },
		{ "duban_rejected_total", "counter", "Send attempts that failed permanently." },
		{ "duban_failed_total", "counter",
		  "Messages given up (status failed) through a provider." },
		{ "duban_delivered_total", "counter",
		  "Messages a delivery report says were delivered." },
		{ "duban_send_latency_seconds", "histogram",
		  "Time from request to provider reply." },
	};

	for (int f = 0; f < (int)ARRAY_LEN(fam); f++) {
		struct prov_pass pp = { p, f };
		head(p, fam[f].name, fam[f].type, fam[f].help);
		if (store_metrics_providers(r->st, prov_row, &pp) != STORE_OK)
			return -1;
	}
	return 0;
}

static void
server(const struct api_status *s, struct prom *p)
{
	static const char *const cls[] = { "1xx", "2xx", "3xx", "4xx", "5xx" };

	head(p, "duban_scheduler_last_tick_timestamp_seconds", "gauge",
	     "When the scheduler last ran (Unix time; 0: not yet).");
	sample(p, "duban_scheduler_last_tick_timestamp_seconds", NULL, s->last_tick);
	head(p, "duban_dispatcher_alive", "gauge",
	     "1 when the dispatcher pulsed in the last 10 s.");
	sample(p, "duban_dispatcher_alive", NULL,
	       s->pulse_age_ms >= 0 && s->pulse_age_ms < PULSE_DEAD_MS);
	head(p, "duban_provider_circuit_open", "gauge",
	     "1 while a provider rests behind its open (or half-open) circuit breaker.");
	for (size_t i = 0; i < s->nbreakers; i++) {
		const char *l[] = { "provider", s->breakers[i].name, NULL };
		sample(p, "duban_provider_circuit_open", l,
		       strcmp(s->breakers[i].state, "closed") != 0);
	}
	head(p, "duban_http_requests_total", "counter", "HTTP requests answered, by status class.");
	for (size_t i = 0; i < ARRAY_LEN(cls); i++) {
		const char *l[] = { "class", cls[i], NULL };
		sample(p, "duban_http_requests_total", l, (int64_t)s->by_class[i + 1]);
	}
}

/* duban_provider_halted{provider,reason}: 1 while halted (reason: its code), else 0. */
static int
halt_metrics(const struct api_req *r, struct prom *p)
{
	struct halts h;

	if (halts_read(r, &h) != 0)
		return -1;
	head(p, "duban_provider_halted", "gauge",
	     "1 while a provider is halted (it refused everything: balance, credentials, "
	     "signature or template); reason is its error code.");
	for (size_t i = 0; i < r->cfg->nproviders && i < HTTPD_PROVIDERS_MAX; i++) {
		const struct provider_state *ps = &h.st[i];
		const char *l[] = { "provider", r->cfg->providers[i].name, "reason",
				    ps->halted_at ? (ps->code[0] ? ps->code : ps->reason) : "", NULL };
		sample(p, "duban_provider_halted", l, ps->halted_at != 0);
	}
	return 0;
}

/* The database's disk: free space, the database and its WAL (none when unreadable). */
static void
disk_metrics(const struct api_req *r, struct prom *p)
{
	struct store_disk d;
	bool ok = store_disk(r->st, &d) == STORE_OK;

	head(p, "duban_disk_free_bytes", "gauge",
	     "Bytes free on the filesystem of the database.");
	if (ok)
		sample(p, "duban_disk_free_bytes", NULL, d.free);
	head(p, "duban_database_bytes", "gauge", "Bytes of the database file.");
	if (ok)
		sample(p, "duban_database_bytes", NULL, d.database);
	head(p, "duban_wal_bytes", "gauge", "Bytes of the database's write-ahead log.");
	if (ok)
		sample(p, "duban_wal_bytes", NULL, d.wal);
}

int
api_metrics(const struct api_req *r, const struct api_status *s, struct buf *out)
{
	struct prom p = { out, 0 };

	const char *const ver[] = { "version", DUBAN_VERSION, NULL };

	head(&p, "duban_up", "gauge", "1: the database answered this scrape.");
	sample(&p, "duban_up", NULL, 1);
	head(&p, "duban_build_info", "gauge", "Always 1; the version of duban that answers.");
	sample(&p, "duban_build_info", ver, 1);
	if (messages(r, &p) != 0 || providers(r, &p) != 0)
		return -1;
	head(&p, "duban_delivery_reports_total", "counter",
	     "Delivery reports received, by provider and status.");
	if (store_metrics_dlr(r->st, dlr_row, &p) != STORE_OK)
		return -1;
	head(&p, "duban_replies_total", "counter", "Replies (MO) received, by what duban did.");
	if (store_metrics_inbound(r->st, inbound_row, &p) != STORE_OK)
		return -1;
	server(s, &p);
	if (halt_metrics(r, &p) != 0)
		return -1;
	disk_metrics(r, &p);
	return p.rc;
}
