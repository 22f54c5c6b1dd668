/*
 * sim_http.c - smsc-sim's HTTP side: libmicrohttpd's request callbacks, the
 * request body and parameter parsing, and the handlers of every route: the
 * generic JSON send API (/sms/send), Kannel's /cgi-bin/sendsms, and the
 * control API under /_sim/ (stats, down/up, config, mo).  A send is decided
 * (down/drop, malformed, auth, missing fields, --reject, 429, failure) by the
 * seeded PRNG of struct sim, counted, recorded and answered, mostly with a
 * canned reply built once at start-up; a delayed reply or an MO parks the
 * connection on a job queue (sim_jobs.c) until a worker resumes it.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <strings.h>

#include "sim.h"

const struct field no_field = { NULL, 0 };

/* ---- canned replies ----------------------------------------------------- */

/* Fixed replies, built once at start-up and shared by every connection. */
static const struct canned_def {
	unsigned status;
	const char *ctype, *body;
} canned_defs[C_COUNT] = {
	[C_J_INVALID_NUMBER] = { 400, CT_JSON, "{\"code\":40,\"error\":\"invalid number\"}" },
	[C_J_MISSING_TO] = { 400, CT_JSON, "{\"code\":40,\"error\":\"missing to\"}" },
	[C_J_MISSING_TEXT] = { 400, CT_JSON, "{\"code\":40,\"error\":\"missing text\"}" },
	[C_J_BAD_JSON] = { 400, CT_JSON, "{\"code\":40,\"error\":\"invalid json\"}" },
	[C_J_UNAUTHORIZED] = { 401, CT_JSON, "{\"code\":41,\"error\":\"unauthorized\"}" },
	[C_J_500] = { 500, CT_JSON, "{\"code\":50,\"error\":\"internal error\"}" },
	[C_J_503] = { 503, CT_JSON, "{\"code\":53,\"error\":\"busy\"}" },
	[C_J_429] = { 429, CT_JSON, "{\"code\":29,\"error\":\"rate limited\"}" },
	[C_K_ACCEPTED] = { 202, CT_HTML, "0: Accepted for delivery" },
	[C_K_QUEUED] = { 202, CT_HTML, "3: Queued for later delivery" },
	[C_K_AUTH] = { 403, CT_HTML, "Authorization failed for sendsms" },
	[C_K_MISSING_TO] = { 400, CT_HTML, "Missing receiver number, rejected" },
	[C_K_DENIED] = { 400, CT_HTML, "Number(s) has/have been denied by white- and/or black-lists." },
	[C_K_TEMP] = { 503, CT_HTML, "Temporal failure, try again later." },
	[C_NOT_FOUND] = { 404, CT_JSON, "{\"error\":\"not found\"}" },
	[C_BAD_METHOD] = { 405, CT_JSON, "{\"error\":\"method not allowed\"}" },
	[C_TOO_LARGE] = { 413, CT_JSON, "{\"code\":41,\"error\":\"request too large\"}" },
};

int sim_canned_init(struct sim *s)
{
	char ra[24];

	snprintf(ra, sizeof ra, "%ld", s->o.retry_after);
	for (int i = 0; i < C_COUNT; i++) {
		const struct canned_def *d = &canned_defs[i];
		struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(d->body),
			(void *)d->body, MHD_RESPMEM_PERSISTENT);

		s->canned[i] = resp;
		if (resp == NULL ||
		    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, d->ctype) != MHD_YES ||
		    (i == C_J_429 && MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra) != MHD_YES))
			return -1;
	}
	return 0;
}

/* ---- small helpers ------------------------------------------------------ */

static int hexval(char c)
{
	static const char hex[] = "0123456789abcdef";
	const char *q = c != '\0' ? strchr(hex, c | 0x20) : NULL;

	return q != NULL ? (int)(q - hex) : -1;
}

/* Decodes application/x-www-form-urlencoded bytes in place; returns the new length. */
static size_t url_decode(char *s, size_t n)
{
	size_t o = 0;
	int hi, lo;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+') {
			s[o++] = ' ';
		} else if (s[i] == '%' && i + 2 < n && (hi = hexval(s[i + 1])) >= 0 &&
			   (lo = hexval(s[i + 2])) >= 0) {
			s[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else {
			s[o++] = s[i];
		}
	}
	return o;
}

json_t *sim_jstr(struct field f)
{
	json_t *v = f.p != NULL ? json_stringn(f.p, f.n) : NULL;

	return v != NULL ? v : json_null();
}

static struct field jfield(json_t *root, const char *key)
{
	json_t *v = json_object_get(root, key);

	if (!json_is_string(v))
		return no_field;
	return (struct field){ json_string_value(v), json_string_length(v) };
}

/* ---- request parameters (query string and form body) -------------------- */

static enum MHD_Result params_iter(void *cls, enum MHD_ValueKind kind, const char *key,
				   size_t key_size, const char *value, size_t value_size)
{
	struct params *p = cls;

	(void)kind;
	if (p->n == MAX_PARAMS) {
		p->overflow = true;
		return MHD_NO;
	}
	p->kv[p->n].k = (struct field){ key, key_size };
	p->kv[p->n++].v = (struct field){ value != NULL ? value : "", value != NULL ? value_size : 0 };
	return MHD_YES;
}

/* Splits and decodes a form body in place; the pairs point into body (body[len] is NUL). */
static void params_add_form(struct params *p, char *body, size_t len)
{
	for (char *s = body, *end = body + len; s < end;) {
		char *amp = memchr(s, '&', (size_t)(end - s)), *eq;
		size_t kl, vl = 0;

		if (amp == NULL)
			amp = end;
		if (amp > s) {
			if (p->n == MAX_PARAMS) {
				p->overflow = true;
				return;
			}
			eq = memchr(s, '=', (size_t)(amp - s));
			kl = url_decode(s, (size_t)((eq != NULL ? eq : amp) - s));
			s[kl] = '\0';
			if (eq != NULL) {
				vl = url_decode(eq + 1, (size_t)(amp - eq - 1));
				eq[1 + vl] = '\0';
			}
			p->kv[p->n].k = (struct field){ s, kl };
			p->kv[p->n++].v = (struct field){ eq != NULL ? eq + 1 : "", vl };
		}
		s = amp + 1;
	}
}

/* Query parameters, then the form body (if any); the first occurrence of a key wins. */
void sim_params_collect(struct MHD_Connection *c, struct req *r, struct params *p)
{
	p->n = 0;
	p->overflow = false;
	MHD_get_connection_values_n(c, MHD_GET_ARGUMENT_KIND, params_iter, p);
	if (r->len > 0)
		params_add_form(p, r->body, r->len);
}

struct field sim_param(const struct params *p, const char *key)
{
	size_t kl = strlen(key);

	for (unsigned i = 0; i < p->n; i++)
		if (p->kv[i].k.n == kl && memcmp(p->kv[i].k.p, key, kl) == 0)
			return p->kv[i].v;
	return no_field;
}

/* ---- replies ------------------------------------------------------------ */

static struct MHD_Response *resp_new(const char *body, size_t len)
{
	struct MHD_Response *resp;

	resp = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (resp != NULL && MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, CT_JSON) != MHD_YES) {
		MHD_destroy_response(resp);
		resp = NULL;
	}
	return resp;
}

/* Queues resp now, or after delay ms (suspending c); an owned resp is released after use. */
static enum MHD_Result reply(struct sim *s, struct MHD_Connection *c, struct req *r,
			     unsigned status, struct MHD_Response *resp, bool owned, unsigned delay)
{
	enum MHD_Result ret;
	struct job *j;

	if (resp == NULL)
		return MHD_NO;
	if (delay > 0 && (j = sim_job_new(JOB_RESUME, no_field, no_field, no_field, no_field)) != NULL) {
		r->pending = resp;
		r->pending_status = status;
		r->pending_owned = owned;
		j->conn = c;
		j->due = clock_ms(CLOCK_MONOTONIC) + delay;
		if (sim_outq_push(&s->delayq, j, c) == 0)
			return MHD_YES;  /* sim_on_request() queues resp once resumed */
		r->pending = NULL;  /* full or stopping: answer now */
		free(j);
	}
	ret = MHD_queue_response(c, status, resp);
	if (owned)
		MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result reply_canned(struct sim *s, struct MHD_Connection *c, struct req *r,
				    enum canned_id id, unsigned delay)
{
	return reply(s, c, r, canned_defs[id].status, s->canned[id], false, delay);
}

/* Replies with a JSON object, which it consumes (NULL: out of memory, connection closed). */
static enum MHD_Result reply_json(struct sim *s, struct MHD_Connection *c, struct req *r,
				  unsigned status, json_t *o)
{
	char *body = o != NULL ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(10)) : NULL;
	struct MHD_Response *resp = body != NULL ? resp_new(body, strlen(body)) : NULL;

	json_decref(o);
	free(body);
	return reply(s, c, r, status, resp, true, 0);
}

/* ---- send requests (both APIs) ------------------------------------------ */

bool sim_is_dropped(struct sim *s, uint64_t n)
{
	int64_t now = clock_ms(CLOCK_MONOTONIC);

	if (now >= atomic_load(&s->down_from) && now < atomic_load(&s->down_until))
		return true;
	return chance(s, n, K_DROP, atomic_load(&s->drop_ppb));
}

static bool is_denied_number(const struct sim *s, struct field to)
{
	if (!s->have_reject)
		return false;
	return memchr(to.p, '\0', to.n) != NULL || regexec(&s->reject_re, to.p, 0, NULL, 0) == 0;
}

bool sim_is_denied(const struct sim *s, const char *number)
{
	return s->have_reject && regexec(&s->reject_re, number, 0, NULL, 0) == 0;
}

enum MHD_Result sim_reply_owned(struct sim *s, struct MHD_Connection *c, struct req *r,
				unsigned status, char *body, size_t len)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);

	if (resp == NULL) {
		free(body);
		return MHD_NO;
	}
	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, CT_JSON) != MHD_YES) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	return reply(s, c, r, status, resp, true, atomic_load(&s->delay_ms));
}

/* Id bookkeeping and the delivery report of an accepted message. */
static void note_accepted(struct sim *s, uint64_t n, const struct sendinfo *si, uint64_t msgid)
{
	bool delivered = !chance(s, n, K_DLR, atomic_load(&s->dlr_fail_ppb));
	struct job *j;
	long mask = 0;
	int rc;

	if (!field_empty(si->id) && (rc = sim_idset_add(s, si->id)) >= 0)
		atomic_fetch_add(rc == 1 ? &s->ctr.unique_ids : &s->ctr.duplicates, 1);
	if (si->api[0] == 'k') {
		/* As Kannel: a report only for the states dlr-mask asks for (1 ok, 2 failed). */
		if (field_empty(si->dlr_url) || field_empty(si->dlr_mask) ||
		    sim_parse_long(si->dlr_mask.p, 0, 255, &mask) < 0 || (mask & (delivered ? 1 : 2)) == 0)
			return;
		j = sim_job_new(JOB_DLR_KANNEL, si->id, si->to, si->from, si->dlr_url);
	} else {
		if (s->o.dlr_url == NULL)
			return;
		j = sim_job_new(JOB_DLR_JSON, si->id, si->to, no_field, no_field);
	}
	if (j != NULL) {
		j->delivered = delivered;
		j->msgid = msgid;
		j->due = clock_ms(CLOCK_MONOTONIC) + s->o.dlr_delay_ms;
		if (sim_outq_push(&s->dlrq, j, NULL) == 0)
			return;
		free(j);
	}
	if (worth_logging(atomic_fetch_add(&s->ctr.dlr_queue_drops, 1) + 1))
		sim_log(s, true, "delivery report queue full (%d): report for sim-%" PRIu64 " dropped",
		       DLR_QUEUE_MAX, msgid);
}

/* Counts, records and answers a decided send; cid C_COUNT is a JSON-API acceptance. */
static enum MHD_Result finish_send(struct sim *s, struct MHD_Connection *c, struct req *r,
				   uint64_t n, const struct sendinfo *si, enum outcome oc,
				   enum canned_id cid)
{
	unsigned delay = atomic_load(&s->delay_ms);
	uint64_t msgid = 0;
	char buf[64];
	int len;

	switch (oc) {
	case OUT_DROPPED:
		atomic_fetch_add(&s->ctr.dropped, 1);
		sim_record(s, n, si, 0, 0, oc);
		return MHD_NO;  /* MHD closes the connection without a reply */
	case OUT_FAILED:
		atomic_fetch_add(&s->ctr.failed, 1);
		break;
	case OUT_REJECTED:
		atomic_fetch_add(&s->ctr.rejected, 1);
		break;
	case OUT_ACCEPTED:
		atomic_fetch_add(&s->ctr.accepted, 1);
		msgid = atomic_fetch_add(&s->ctr.next_msgid, 1) + 1;
		note_accepted(s, n, si, msgid);
		break;
	}
	if (cid != C_COUNT) {
		sim_record(s, n, si, canned_defs[cid].status, msgid, oc);
		return reply_canned(s, c, r, cid, delay);
	}
	sim_record(s, n, si, 200, msgid, oc);
	len = snprintf(buf, sizeof buf, "{\"code\":0,\"msgid\":\"sim-%" PRIu64 "\"}", msgid);
	return reply(s, c, r, 200, resp_new(buf, (size_t)len), true, delay);
}

/* Order: down/drop, malformed, auth, missing fields, --reject, 429, failure. */
static enum outcome decide_json(struct sim *s, struct MHD_Connection *c, uint64_t n,
				const struct sendinfo *si, enum canned_id *cid)
{
	const char *v;

	if (sim_is_dropped(s, n))
		return OUT_DROPPED;
	if (*cid != C_COUNT)
		return OUT_REJECTED;
	if (s->hdr_value != NULL) {
		v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, s->hdr_name);
		if (v == NULL || strcmp(v, s->hdr_value) != 0) {
			*cid = C_J_UNAUTHORIZED;
			return OUT_REJECTED;
		}
	}
	if (field_empty(si->to))
		*cid = C_J_MISSING_TO;
	else if (field_empty(si->text))
		*cid = C_J_MISSING_TEXT;
	else if (is_denied_number(s, si->to))
		*cid = C_J_INVALID_NUMBER;
	if (*cid != C_COUNT)
		return OUT_REJECTED;
	if (chance(s, n, K_429, atomic_load(&s->rate429_ppb)))
		*cid = C_J_429;
	else if (chance(s, n, K_FAIL, atomic_load(&s->fail_ppb)))
		*cid = atomic_load(&s->fail_status) == 500 ? C_J_500 : C_J_503;
	return *cid != C_COUNT ? OUT_FAILED : OUT_ACCEPTED;
}

/* JSON if so labelled, form if so labelled, otherwise guessed from the first byte. */
static bool is_json_body(struct MHD_Connection *c, const struct req *r)
{
	const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);

	if (r->len == 0)
		return false;
	if (ct != NULL && strncasecmp(ct, "application/json", 16) == 0)
		return true;
	if (ct != NULL && strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0)
		return false;
	return r->body[0] == '{';
}

static enum MHD_Result handle_json_send(struct sim *s, struct MHD_Connection *c, struct req *r)
{
	uint64_t n = atomic_fetch_add(&s->ctr.requests, 1) + 1;
	struct sendinfo si = { .api = "json" };
	enum canned_id cid = C_COUNT;
	json_t *root = NULL;
	struct params p;
	enum outcome oc;
	enum MHD_Result ret;

	if (r->too_big) {
		cid = C_TOO_LARGE;
	} else if (is_json_body(c, r)) {
		root = json_loadb(r->body, r->len, 0, NULL);
		if (!json_is_object(root))
			cid = C_J_BAD_JSON;
		si.to = jfield(root, "to");
		si.text = jfield(root, "text");
		si.id = jfield(root, "id");
		si.sign = jfield(root, "sign");
	} else {
		sim_params_collect(c, r, &p);
		if (p.overflow)
			cid = C_TOO_LARGE;
		si.to = sim_param(&p, "to");
		si.text = sim_param(&p, "text");
		si.id = sim_param(&p, "id");
		si.sign = sim_param(&p, "sign");
	}
	oc = decide_json(s, c, n, &si, &cid);  /* sets cid: keep it out of finish_send's arguments */
	ret = finish_send(s, c, r, n, &si, oc, cid);
	json_decref(root);
	return ret;
}

/* Order: down/drop, too large, credentials, missing to, --reject, 429 or failure. */
static enum outcome decide_kannel(struct sim *s, uint64_t n, const struct params *p,
				  const struct sendinfo *si, enum canned_id *cid)
{
	struct field user = sim_param(p, "username"), pass = sim_param(p, "password");

	if (sim_is_dropped(s, n))
		return OUT_DROPPED;
	if (*cid != C_COUNT)
		return OUT_REJECTED;
	if (user.p == NULL)
		user = sim_param(p, "user");
	if (pass.p == NULL)
		pass = sim_param(p, "pass");
	if (s->o.kannel_user != NULL &&
	    (!field_is(user, s->o.kannel_user) || !field_is(pass, s->o.kannel_pass)))
		*cid = C_K_AUTH;
	else if (field_empty(si->to))
		*cid = C_K_MISSING_TO;
	else if (is_denied_number(s, si->to))
		*cid = C_K_DENIED;
	if (*cid != C_COUNT)
		return OUT_REJECTED;
	if (chance(s, n, K_429, atomic_load(&s->rate429_ppb)) ||
	    chance(s, n, K_FAIL, atomic_load(&s->fail_ppb))) {
		*cid = C_K_TEMP;
		return OUT_FAILED;
	}
	*cid = s->o.kannel_queued ? C_K_QUEUED : C_K_ACCEPTED;
	return OUT_ACCEPTED;
}

static enum MHD_Result handle_kannel(struct sim *s, struct MHD_Connection *c, struct req *r)
{
	uint64_t n = atomic_fetch_add(&s->ctr.requests, 1) + 1;
	struct sendinfo si = { .api = "kannel" };
	enum canned_id cid = C_COUNT;
	struct params p;
	enum outcome oc;

	p.n = 0;
	if (r->too_big) {
		cid = C_TOO_LARGE;
	} else {
		sim_params_collect(c, r, &p);
		if (p.overflow)
			cid = C_TOO_LARGE;
		si.to = sim_param(&p, "to");
		si.text = sim_param(&p, "text");
		si.from = sim_param(&p, "from");
		si.dlr_url = sim_param(&p, "dlr-url");
		si.dlr_mask = sim_param(&p, "dlr-mask");
	}
	oc = decide_kannel(s, n, &p, &si, &cid);
	return finish_send(s, c, r, n, &si, oc, cid);
}

/* ---- control API -------------------------------------------------------- */

static enum MHD_Result handle_stats(struct sim *s, struct MHD_Connection *c, struct req *r)
{
	char buf[2048];
	int len;

	len = sim_stats_json(s, buf, sizeof buf);
	return reply(s, c, r, 200, resp_new(buf, (size_t)len), true, 0);
}

/* POST /_sim/down[?seconds=S] and POST /_sim/up. */
static enum MHD_Result handle_down_up(struct sim *s, struct MHD_Connection *c, struct req *r)
{
	int64_t now = clock_ms(CLOCK_MONOTONIC);
	double sec = 0;
	struct params p;
	struct field f;

	if (r->route == RT_UP) {
		atomic_store(&s->down_until, 0);
		sim_log(s, false, "up");
		return reply_json(s, c, r, 200, json_pack("{s:b}", "down", 0));
	}
	sim_params_collect(c, r, &p);
	f = sim_param(&p, "seconds");
	if (!field_empty(f) && sim_parse_double(f.p, 0.001, 1e7, &sec) < 0)
		return reply_json(s, c, r, 400, json_pack("{s:s}", "error", "bad seconds"));
	atomic_store(&s->down_from, now);
	atomic_store(&s->down_until, sec > 0 ? now + (int64_t)(sec * 1000) : INT64_MAX);
	sim_log(s, false, "down (%s)", sec > 0 ? f.p : "until /_sim/up");
	if (sec > 0)
		return reply_json(s, c, r, 200, json_pack("{s:b,s:f}", "down", 1, "seconds", sec));
	return reply_json(s, c, r, 200, json_pack("{s:b,s:n}", "down", 1, "seconds"));
}

/* Validates every parameter, then applies them all; replies with the whole configuration. */
static enum MHD_Result handle_config(struct sim *s, struct MHD_Connection *c, struct req *r)
{
	double fail = atomic_load(&s->fail_ppb) / (double)PPB;
	double r429 = atomic_load(&s->rate429_ppb) / (double)PPB;
	double drop = atomic_load(&s->drop_ppb) / (double)PPB;
	double dlrf = atomic_load(&s->dlr_fail_ppb) / (double)PPB;
	long fst = atomic_load(&s->fail_status), dms = atomic_load(&s->delay_ms);
	char msg[160];
	struct params p;
	int bad;

	sim_params_collect(c, r, &p);
	for (unsigned i = 0; i < p.n; i++) {
		struct field k = p.kv[i].k;
		const char *v = p.kv[i].v.p;

		if (field_is(k, "fail_rate"))
			bad = sim_parse_double(v, 0, 1, &fail);
		else if (field_is(k, "rate_429"))
			bad = sim_parse_double(v, 0, 1, &r429);
		else if (field_is(k, "drop_rate"))
			bad = sim_parse_double(v, 0, 1, &drop);
		else if (field_is(k, "dlr_fail_rate"))
			bad = sim_parse_double(v, 0, 1, &dlrf);
		else if (field_is(k, "fail_status"))
			bad = sim_parse_long(v, 500, 503, &fst) < 0 || (fst != 500 && fst != 503);
		else if (field_is(k, "delay_ms"))
			bad = sim_parse_long(v, 0, 3600000, &dms);
		else
			bad = 2;
		if (bad != 0) {
			snprintf(msg, sizeof msg, "%s parameter: %.*s", bad == 2 ? "unknown" : "bad value for",
				 (int)(k.n < 64 ? k.n : 64), k.p);
			return reply_json(s, c, r, 400, json_pack("{s:s}", "error", msg));
		}
	}
	atomic_store(&s->fail_ppb, to_ppb(fail));
	atomic_store(&s->rate429_ppb, to_ppb(r429));
	atomic_store(&s->drop_ppb, to_ppb(drop));
	atomic_store(&s->dlr_fail_ppb, to_ppb(dlrf));
	atomic_store(&s->fail_status, (unsigned)fst);
	atomic_store(&s->delay_ms, (unsigned)dms);
	if (p.n > 0)
		sim_log(s, false, "config: fail_rate=%g fail_status=%ld rate_429=%g delay_ms=%ld "
		       "drop_rate=%g dlr_fail_rate=%g", fail, fst, r429, dms, drop, dlrf);
	return reply_json(s, c, r, 200, json_pack("{s:f,s:i,s:f,s:i,s:f,s:f}", "fail_rate", fail,
						  "fail_status", (int)fst, "rate_429", r429,
						  "delay_ms", (int)dms, "drop_rate", drop,
						  "dlr_fail_rate", dlrf));
}

/*
 * POST /_sim/balance?ok=0|1 (no ok: only report) and POST
 * /_sim/error?code=C&message=M&count=N (no code: clear; count -1 or absent:
 * until cleared), the --api modes' switches.
 */
static enum MHD_Result handle_cn_control(struct sim *s, struct MHD_Connection *c, struct req *r)
{
	struct cn *cn = s->cn;
	struct params p;
	struct field f, m;
	long v = -1;

	if (cn == NULL)
		return reply_json(s, c, r, 400, json_pack("{s:s}", "error", "only with --api aliyun|tencent"));
	sim_params_collect(c, r, &p);
	if (r->route == RT_BALANCE) {
		f = sim_param(&p, "ok");
		if (!field_empty(f) && sim_parse_long(f.p, 0, 1, &v) < 0)
			return reply_json(s, c, r, 400, json_pack("{s:s}", "error", "ok must be 0 or 1"));
		if (v >= 0)
			atomic_store(&cn->balance, v == 1);
		return reply_json(s, c, r, 200, json_pack("{s:b}", "balance", atomic_load(&cn->balance)));
	}
	f = sim_param(&p, "count");
	m = sim_param(&p, "message");
	if ((!field_empty(f) && sim_parse_long(f.p, -1, 1000000000, &v) < 0) ||
	    sim_param(&p, "code").n >= sizeof cn->err_code || m.n >= sizeof cn->err_msg)
		return reply_json(s, c, r, 400, json_pack("{s:s}", "error", "bad code, message or count"));
	f = sim_param(&p, "code");
	pthread_mutex_lock(&cn->mu);
	snprintf(cn->err_code, sizeof cn->err_code, "%s", field_empty(f) ? "" : f.p);
	snprintf(cn->err_msg, sizeof cn->err_msg, "%s", field_empty(m) ? "模拟的错误" : m.p);
	cn->err_left = v == 0 ? 0 : v;
	pthread_mutex_unlock(&cn->mu);
	return reply_json(s, c, r, 200, json_pack("{s:s?,s:i}", "code", field_empty(f) ? NULL : f.p,
						  "count", (int)v));
}

/*
 * POST /_sim/sink?answer=aliyun|tencent|near&fail_first=N: a stand-in for
 * duban's callbacks in the simulator's own tests.  Records the body (one
 * line, "api":"sink") and answers as Aliyun or Tencent expects (near: a near
 * miss, {"code":0,"msg":"OK"}), except that the first N posts of the run get
 * {"code":1,"msg":"busy"}.
 */
static enum MHD_Result handle_sink(struct sim *s, struct MHD_Connection *c, struct req *r)
{
	uint64_t n = atomic_fetch_add(&s->ctr.sink_hits, 1) + 1;
	const char *ans = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "answer");
	const char *ff = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "fail_first");
	json_t *body = json_loadb(r->body, r->len, 0, NULL), *line;
	long fail = 0;
	char *out;

	if (ff != NULL)
		sim_parse_long(ff, 0, 1000000, &fail);
	if (s->rec != NULL) {
		line = json_pack("{s:I,s:I,s:s,s:o}", "n", (json_int_t)n,
				 "t", (json_int_t)clock_ms(CLOCK_REALTIME), "api", "sink",
				 "body", body != NULL ? json_incref(body) : json_stringn(r->body, r->len));
		out = line != NULL ? json_dumps(line, JSON_COMPACT) : NULL;
		if (out != NULL) {
			flockfile(s->rec);
			fputs_unlocked(out, s->rec);
			putc_unlocked('\n', s->rec);
			funlockfile(s->rec);
			atomic_store(&s->rec_dirty, true);
		}
		free(out);
		json_decref(line);
	}
	json_decref(body);
	if ((long)n <= fail)
		return reply_json(s, c, r, 200, json_pack("{s:i,s:s}", "code", 1, "msg", "busy"));
	if (str_is(ans, "tencent"))
		return reply_json(s, c, r, 200, json_pack("{s:i,s:s}", "result", 0, "errmsg", "OK"));
	if (str_is(ans, "near"))
		return reply_json(s, c, r, 200, json_pack("{s:i,s:s}", "code", 0, "msg", "OK"));
	return reply_json(s, c, r, 200, json_pack("{s:i,s:s}", "code", 0, "msg", "接收成功"));
}

/* Several MOs in one Aliyun SmsUp push (a JSON array of /_sim/mo objects): the
 * items joined by commas, as a merged push holds them; NULL if any is unusable. */
static char *mo_array_body(struct sim *s, json_t *in)
{
	struct buf b;
	char *item;

	buf_init(&b, (size_t)1 << 20);
	for (size_t i = 0; i < json_array_size(in); i++) {
		json_t *el = json_array_get(in, i);

		if (!json_is_object(el) || (item = sim_cn_mo_body(s, el)) == NULL) {
			buf_free(&b);
			return NULL;
		}
		if ((i > 0 && buf_adds(&b, ",") < 0) || buf_adds(&b, item) < 0) {
			free(item);
			buf_free(&b);
			return NULL;
		}
		free(item);
	}
	return buf_steal(&b);
}

/* The MO to post, from the /_sim/mo request body; NULL if the body is unusable. */
static char *mo_body(struct sim *s, struct req *r)
{
	json_t *in = json_loadb(r->body, r->len, 0, NULL), *out;
	struct field id = jfield(in, "id"), to = jfield(in, "to");
	char idbuf[40], *body;

	if (s->cn != NULL && s->cn->mode == API_ALIYUN && json_array_size(in) > 0) {
		body = mo_array_body(s, in);
		json_decref(in);
		return body;
	}
	if (!json_is_object(in) || field_empty(jfield(in, "from")) || jfield(in, "text").p == NULL) {
		json_decref(in);
		return NULL;
	}
	if (s->cn != NULL) {
		body = sim_cn_mo_body(s, in);
		json_decref(in);
		return body;
	}
	if (field_empty(id)) {
		snprintf(idbuf, sizeof idbuf, "sim-mo-%" PRIu64, atomic_fetch_add(&s->ctr.next_mo, 1) + 1);
		id = (struct field){ idbuf, strlen(idbuf) };
	}
	if (field_empty(to))
		to = (struct field){ MO_TO_DEFAULT, strlen(MO_TO_DEFAULT) };
	out = json_pack("{s:o,s:o,s:o,s:o,s:I}", "from", sim_jstr(jfield(in, "from")), "to", sim_jstr(to),
			"text", sim_jstr(jfield(in, "text")), "id", sim_jstr(id),
			"time", (json_int_t)(clock_ms(CLOCK_REALTIME) / 1000));
	body = out != NULL ? json_dumps(out, JSON_COMPACT) : NULL;
	json_decref(out);
	json_decref(in);
	return body;
}

/* POST /_sim/mo: parks the connection until a worker has posted the MO to --mo-url. */
static enum MHD_Result handle_mo(struct sim *s, struct MHD_Connection *c, struct req *r)
{
	struct job *j;
	char *body;

	if (r->mo == MO_DONE && r->mo_status > 0 && s->cn != NULL)
		return reply_json(s, c, r, 200, json_pack("{s:b,s:i,s:b}", "posted", 1, "status", (int)r->mo_status,
							  "accepted", r->mo_accepted));
	if (r->mo == MO_DONE && r->mo_status > 0)
		return reply_json(s, c, r, 200, json_pack("{s:b,s:i}", "posted", 1, "status", (int)r->mo_status));
	if (r->mo == MO_DONE)
		return reply_json(s, c, r, 502, json_pack("{s:b,s:s}", "posted", 0, "error", r->mo_err));
	if (s->o.mo_url == NULL)
		return reply_json(s, c, r, 400, json_pack("{s:b,s:s}", "posted", 0, "error", "no --mo-url given"));
	if (r->too_big)
		return reply_canned(s, c, r, C_TOO_LARGE, 0);
	body = mo_body(s, r);
	if (body == NULL)
		return reply_json(s, c, r, 400, json_pack("{s:b,s:s}", "posted", 0,
							  "error", "want a JSON object with from and text "
							  "(in --api aliyun, or an array of them)"));
	j = sim_job_new(JOB_MO, no_field, no_field, no_field, no_field);
	if (j != NULL) {
		j->body = body;
		j->conn = c;
		j->req = r;
		r->mo = MO_WAITING;
		if (sim_outq_push(&s->moq, j, c) == 0)
			return MHD_YES;
		r->mo = MO_NONE;
		free(j);
	}
	free(body);
	return reply_json(s, c, r, 503, json_pack("{s:b,s:s}", "posted", 0, "error", "MO queue full"));
}

/* ---- libmicrohttpd callbacks -------------------------------------------- */

static enum route route_of(const struct sim *s, const char *url, const char *method)
{
	static const struct {
		const char *path;
		enum route rt;
		bool post_only;
	} routes[] = {
		{ "/sms/send", RT_JSON, false }, { "/cgi-bin/sendsms", RT_KANNEL, false },
		{ "/_sim/stats", RT_STATS, false }, { "/_sim/down", RT_DOWN, false },
		{ "/_sim/up", RT_UP, false }, { "/_sim/config", RT_CONFIG, false },
		{ "/_sim/mo", RT_MO, true }, { "/_sim/balance", RT_BALANCE, false },
		{ "/_sim/error", RT_ERROR, false }, { "/_sim/sink", RT_SINK, true },
	};
	bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0;
	bool post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;

	if (s->cn != NULL && strcmp(url, "/") == 0)
		return post || (get && s->cn->mode == API_ALIYUN) ? RT_CN : RT_BADMETHOD;
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
		if (strcmp(url, routes[i].path) == 0 && (s->cn == NULL || strncmp(url, "/_sim/", 6) == 0))
			return post || (get && !routes[i].post_only) ? routes[i].rt : RT_BADMETHOD;
	return RT_NOTFOUND;
}

/* Accumulates the body; past BODY_MAX (or out of memory) the request is marked too big. */
static void req_append(const struct sim *s, struct req *r, const char *data, size_t n)
{
	size_t ncap;
	char *nb;

	if (r->too_big || n > s->body_max - r->len) {
		r->too_big = true;
		return;
	}
	if (r->len + n + 1 > r->cap) {
		for (ncap = r->cap * 2; ncap < r->len + n + 1; ncap *= 2)
			;
		nb = r->body == r->inline_buf ? malloc(ncap) : realloc(r->body, ncap);
		if (nb == NULL) {
			r->too_big = true;
			return;
		}
		if (r->body == r->inline_buf)
			memcpy(nb, r->inline_buf, r->len);
		r->body = nb;
		r->cap = ncap;
	}
	memcpy(r->body + r->len, data, n);
	r->len += n;
	r->body[r->len] = '\0';
}

enum MHD_Result sim_on_request(void *cls, struct MHD_Connection *c, const char *url,
			       const char *method, const char *version, const char *upload,
			       size_t *upload_size, void **con_cls)
{
	struct sim *s = cls;
	struct req *r = *con_cls;
	struct MHD_Response *resp;

	(void)version;
	if (r == NULL) {
		r = malloc(sizeof *r);  /* not calloc: the inline buffer needs no clearing */
		if (r == NULL)
			return MHD_NO;
		r->route = route_of(s, url, method);
		r->too_big = false;
		r->mo = MO_NONE;
		r->pending = NULL;
		r->len = 0;
		r->cap = REQ_INLINE;
		r->body = r->inline_buf;
		r->inline_buf[0] = '\0';
		*con_cls = r;
		return MHD_YES;
	}
	if (*upload_size != 0) {
		req_append(s, r, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->pending != NULL) {  /* resumed after a delay */
		resp = r->pending;
		r->pending = NULL;
		return reply(s, c, r, r->pending_status, resp, r->pending_owned, 0);
	}
	switch (r->route) {
	case RT_JSON: return handle_json_send(s, c, r);
	case RT_KANNEL: return handle_kannel(s, c, r);
	case RT_STATS: return handle_stats(s, c, r);
	case RT_DOWN: /* fall through */
	case RT_UP: return handle_down_up(s, c, r);
	case RT_CONFIG: return handle_config(s, c, r);
	case RT_MO: return handle_mo(s, c, r);
	case RT_CN:
		return s->cn->mode == API_ALIYUN ? sim_aliyun_serve(s, c, r, method)
						 : sim_tencent_serve(s, c, r, method);
	case RT_BALANCE: /* fall through */
	case RT_ERROR: return handle_cn_control(s, c, r);
	case RT_SINK: return handle_sink(s, c, r);
	case RT_BADMETHOD: return reply_canned(s, c, r, C_BAD_METHOD, 0);
	case RT_NOTFOUND: break;
	}
	return reply_canned(s, c, r, C_NOT_FOUND, 0);
}

void sim_on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct req *r = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (r == NULL)
		return;
	if (r->pending != NULL && r->pending_owned)
		MHD_destroy_response(r->pending);
	if (r->body != r->inline_buf)
		free(r->body);
	free(r);
	*con_cls = NULL;
}
