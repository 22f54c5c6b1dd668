/*
 * callback.c - the HTTP side of what providers report.  A request to
 * /callbacks/{dlr|mo}/PROVIDER[/SECRET] is authenticated (the secret in
 * the path, or a signature of everything duban acts on: timestamp,
 * method, path, query and body), its fields are read from the one place
 * its method allows (a GET's query string, a POST's body), and the
 * provider's backend reads the report or reply out of them.  A delivery
 * report is then recorded and applied by the store (idempotent; an early
 * one kept until the send is recorded, within dlr's bounds, and one for a
 * message duban sent no request for ignored); a reply is handed to
 * core/reply.c, which stores it and acts on it in one transaction, and
 * so is a whole array of replies (all of them, or none).
 */
#include "server/callback.h"
#include "base/phone.h"

#include <inttypes.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/log.h"
#include "base/clock.h"
#include "base/jsonpath.h"
#include "base/str.h"
#include "core/config_http.h"
#include "core/ctx.h"

/* ---- signatures ------------------------------------------------------------------- */

int
callback_sign(const char *secret, const char *timestamp, const char *method, const char *path,
	      const char *query, const char *body, size_t len, char *hex)
{
	static const char digits[] = "0123456789abcdef";
	const char *part[4] = { timestamp, method, path, query };
	size_t n = len + 4, o = 0;
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	char *msg;
	int rc = -1;

	for (size_t i = 0; i < 4; i++)
		n += strlen(part[i]);
	if (n > (size_t)INT32_MAX || (msg = malloc(n)) == NULL)
		return -1;
	for (size_t i = 0; i < 4; i++) {
		size_t l = strlen(part[i]);
		memcpy(msg + o, part[i], l);
		o += l;
		msg[o++] = '\n';
	}
	if (len > 0)
		memcpy(msg + o, body, len);
	if (HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)msg, n, mac,
		 &maclen) != NULL &&
	    maclen == CALLBACK_SIG_HEX / 2) {
		for (unsigned i = 0; i < maclen; i++) {
			hex[i * 2] = digits[mac[i] >> 4];
			hex[i * 2 + 1] = digits[mac[i] & 15];
		}
		hex[CALLBACK_SIG_HEX] = '\0';
		rc = 0;
	}
	free(msg);
	return rc;
}

int
callback_verify(const struct callback_req *r, const char *secret, long window,
		const char **why)
{
	char want[CALLBACK_SIG_HEX + 1], got[CALLBACK_SIG_HEX + 1];
	const char *sig = r->signature;
	long ts;

	if (r->timestamp == NULL) {
		*why = "no " CALLBACK_TS_HEADER " header (Unix seconds, signed with the request)";
		return -1;
	}
	/* Digits only: "+1700000000" or " 17..." would sign a different string. */
	if (strspn(r->timestamp, "0123456789") != strlen(r->timestamp) ||
	    parse_long(r->timestamp, 0, INT32_MAX * 4L, &ts) != 0) {
		*why = CALLBACK_TS_HEADER " is not Unix seconds in decimal";
		return -1;
	}
	if (ts < r->now - window || ts > r->now + window) {
		*why = CALLBACK_TS_HEADER " is outside http.signature_window of duban's clock "
		       "(an old request sent again, or a clock that is wrong)";
		return -1;
	}
	if (sig == NULL || strncmp(sig, "sha256=", 7) != 0 || strlen(sig + 7) != CALLBACK_SIG_HEX) {
		*why = "no valid " CALLBACK_SIG_HEADER " header (sha256= and 64 hex digits)";
		return -1;
	}
	for (size_t i = 0; i <= CALLBACK_SIG_HEX; i++)
		got[i] = (char)(sig[7 + i] >= 'A' && sig[7 + i] <= 'F' ? sig[7 + i] + 32 : sig[7 + i]);
	if (callback_sign(secret, r->timestamp, r->method, r->path, r->query, r->body, r->len,
			  want) != 0) {
		*why = "out of memory";
		return -1;
	}
	if (CRYPTO_memcmp(want, got, CALLBACK_SIG_HEX) != 0) {
		*why = CALLBACK_SIG_HEADER " does not match the request";
		return -1;
	}
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

/* ---- where a callback's fields come from ------------------------------------------ */

/* One source per request: a GET's query, or a POST's JSON or form body. */
struct cb_src {
	struct provider_cb_req req;
	json_t *json;     /* a POST's JSON body */
	const char *form; /* a POST's form body, or a GET's query string */
};

static int
cb_field(const struct provider_cb_req *r, const char *name, char *out, size_t outlen)
{
	const struct cb_src *s = r->ctx;
	const json_t *v;

	if (s->json == NULL)
		return api_query_arg(s->form, name, out, outlen);
	if (jsonpath_get(s->json, name, &v) != 0 || json_is_null(v))
		return -1;
	return provider_json_get(s->json, name, out, outlen);
}

/*
 * The fields of r into src, from the one place its method allows: 0, or
 * -1 with out set (405, or a 400 that names the field at fault).
 */
static int
cb_source(const struct callback_req *r, struct cb_src *src, struct api_resp *out)
{
	char field[64];
	json_error_t e;
	bool post = strcmp(r->method, "POST") == 0;

	if (!post && strcmp(r->method, "GET") != 0) {
		api_error(out, 405, NULL, "%s %s: use GET (fields in the query) or POST (in the body)",
			  r->method, r->path);
		return -1;
	}
	if (post && r->query[0] != '\0') {
		api_error(out, 400, NULL,
			  "a POST callback's fields are read from its body only: "
			  "this one also has a query string");
		return -1;
	}
	if (!post && r->len > 0) {
		api_error(out, 400, NULL,
			  "a GET callback's fields are read from its query string only: "
			  "this one also has a body");
		return -1;
	}
	if (post && r->len > 0 &&
	    ((r->content_type && strncasecmp(r->content_type, "application/json", 16) == 0) ||
	     r->body[0] == '{' || r->body[0] == '[')) {
		/* jansson refuses \u0000 unless asked: no value is cut short. */
		if ((src->json = json_loadb(r->body, r->len, 0, &e)) == NULL) {
			api_error(out, 400, NULL, "malformed JSON body: %s", e.text);
			return -1;
		}
		return 0;
	}
	src->form = post ? r->body : r->query;
	if (api_form_check(src->form, post ? r->len : strlen(r->query), field, sizeof(field)) != 0) {
		api_error(out, 400, field, "field \"%s\" holds a NUL byte", field);
		return -1;
	}
	return 0;
}

/* ---- delivery reports and replies ------------------------------------------------- */

/* 400 for a callback a backend could not read; the field is the one its message names. */
static void
bad_callback(struct api_resp *out, const char *what, const char *err)
{
	const char *q = strstr(err, "field \""), *end;
	char field[128] = "";

	if (q != NULL && (end = strchr(q + 7, '"')) != NULL &&
	    (size_t)(end - q - 7) < sizeof(field)) {
		memcpy(field, q + 7, (size_t)(end - q - 7));
		field[end - q - 7] = '\0';
	}
	api_error(out, 400, field[0] ? field : NULL, "%s: %s", what, err);
}

/* The provider's own answer to an accepted callback (ops->cb_ok), or NULL. */
static json_t *
cb_ok(const struct provider_conf *pc)
{
	return pc->ops->cb_ok ? json_loads(pc->ops->cb_ok, 0, NULL) : NULL;
}

/*
 * A JSON array: n reports, element i read by the backend as if it were
 * the whole body, all recorded in one transaction (all or none: the
 * provider pushes the array again when duban does not answer 200).
 */
static void
on_dlr_array(const struct callback_req *r, const struct provider_conf *pc, struct cb_src *src,
	     struct api_resp *out)
{
	size_t n = json_array_size(src->json), applied = 0, dup = 0, ignored = 0;
	struct provider_dlr *d = calloc(n ? n : 1, sizeof(*d));
	struct dlr_outcome *o = calloc(n ? n : 1, sizeof(*o));
	struct cb_src el = *src;
	char err[600], what[64];
	json_t *ok;

	if (d == NULL || o == NULL) {
		api_error(out, 500, NULL, "out of memory reading %zu delivery reports", n);
		goto out;
	}
	el.req.ctx = &el;
	for (size_t i = 0; i < n; i++) {
		el.json = json_array_get(src->json, i);
		if (!json_is_object(el.json)) {
			api_error(out, 400, NULL, "delivery report %zu of %zu is not a JSON object",
				  i + 1, n);
			goto out;
		}
		if (provider_dlr_parse(pc, &el.req, &d[i], err, sizeof(err)) != 0) {
			snprintf(what, sizeof(what), "delivery report %zu of %zu", i + 1, n);
			bad_callback(out, what, err);
			goto out;
		}
	}
	if (callback_dlr_many(r->st, r->cfg, pc, d, n, o, err, sizeof(err)) != 0) {
		log_warnx("http: delivery reports from %s: %s", pc->name, err);
		api_error(out, 500, NULL, "%s", err);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		applied += o[i].applied;
		dup += o[i].duplicate;
		ignored += o[i].ignored;
	}
	if ((ok = cb_ok(pc)) == NULL)
		ok = json_pack("{s:b, s:I, s:I, s:I, s:I}", "ok", 1, "reports", (json_int_t)n,
			       "applied", (json_int_t)applied, "duplicate", (json_int_t)dup,
			       "ignored", (json_int_t)ignored);
	api_reply(out, 200, ok);
out:
	free(d);
	free(o);
}

static void
on_dlr(const struct callback_req *r, const struct provider_conf *pc, struct cb_src *src,
    struct api_resp *out)
{
	struct provider_dlr d;
	struct dlr_outcome o;
	char err[600];

	if (provider_dlr_parse(pc, &src->req, &d, err, sizeof(err)) != 0) {
		bad_callback(out, "delivery report", err);
		return;
	}
	if (callback_dlr(r->st, r->cfg, pc, &d, &o, err, sizeof(err)) != 0) {
		log_warnx("http: delivery report from %s: %s", pc->name, err);
		api_error(out, 500, NULL, "%s", err);
		return;
	}
	json_t *ok = cb_ok(pc);
	api_reply(out, 200,
		  ok ? ok
		     : json_pack("{s:b, s:s, s:o, s:b, s:b, s:b}", "ok", 1, "ref", d.ref, "message",
				 o.message ? json_integer(o.message) : json_null(), "applied",
				 o.applied, "duplicate", o.duplicate, "ignored", o.ignored));
}

static void
on_mo(const struct callback_req *r, const struct provider_conf *pc, struct cb_src *src,
   struct api_resp *out, bool *queued)
{
	struct provider_mo m;
	struct reply_result res;
	char err[600];

	if (provider_mo_parse(pc, &src->req, &m, err, sizeof(err)) != 0) {
		bad_callback(out, "reply", err);
		return;
	}
	if (callback_mo(r->st, r->cfg, pc, &m, &res, err, sizeof(err)) != 0) {
		log_warnx("http: reply from %s: %s", pc->name, err);
		api_error(out, strstr(err, "UTF-8") ? 400 : 500, NULL, "%s", err);
		return;
	}
	/* A reply may have queued an answer (a confirmation, a forward). */
	*queued = !res.duplicate;
	if (pc->ops->cb_ok) {
		api_reply(out, 200, cb_ok(pc));
		return;
	}
	api_reply(out, 200,
		  json_pack("{s:b, s:I, s:s, s:s, s:b}", "ok", 1, "reply", (json_int_t)res.inbound,
			    "command", reply_cmd_name(res.cmd), "action",
			    res.action ? res.action : "", "duplicate", res.duplicate));
}

/*
 * A JSON array of replies (Aliyun's SmsUp): all read first, so a malformed
 * element changes nothing, then applied in one transaction
 * (callback_mo_many: all or none, duplicates dropped by (provider, ref)),
 * and the provider's answer given only after the commit: anything else
 * makes it push the whole array again.
 */
static void
on_mo_array(const struct callback_req *r, const struct provider_conf *pc, struct cb_src *src,
	    struct api_resp *out, bool *queued)
{
	size_t n = json_array_size(src->json), dup = 0;
	struct provider_mo *m = calloc(n ? n : 1, sizeof(*m));
	struct reply_result *res = calloc(n ? n : 1, sizeof(*res));
	struct cb_src el = *src;
	char err[600], what[64];
	json_t *ok;

	if (m == NULL || res == NULL) {
		api_error(out, 500, NULL, "out of memory reading %zu replies", n);
		goto out;
	}
	el.req.ctx = &el;
	for (size_t i = 0; i < n; i++) {
		el.json = json_array_get(src->json, i);
		if (!json_is_object(el.json)) {
			api_error(out, 400, NULL, "reply %zu of %zu is not a JSON object", i + 1, n);
			goto out;
		}
		if (provider_mo_parse(pc, &el.req, &m[i], err, sizeof(err)) != 0) {
			snprintf(what, sizeof(what), "reply %zu of %zu", i + 1, n);
			bad_callback(out, what, err);
			goto out;
		}
	}
	if (callback_mo_many(r->st, r->cfg, pc, m, n, res, err, sizeof(err)) != 0) {
		log_warnx("http: %zu replies from %s, none applied: %s", n, pc->name, err);
		api_error(out, strstr(err, "UTF-8") ? 400 : 500, NULL, "%s", err);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		*queued = *queued || !res[i].duplicate;
		dup += res[i].duplicate;
	}
	if ((ok = cb_ok(pc)) == NULL)
		ok = json_pack("{s:b, s:I, s:I}", "ok", 1, "replies", (json_int_t)n, "duplicate",
			       (json_int_t)dup);
	api_reply(out, 200, ok);
out:
	free(m);
	free(res);
}

/* /callbacks/{dlr|mo}/PROVIDER[/SECRET] */
void
callback_handle(const struct callback_req *r, struct api_resp *out, bool *queued)
{
	char buf[512], *seg[5], *save = NULL, *t;
	const struct provider_conf *pc = NULL;
	struct cb_src src = { { cb_field, NULL }, NULL, "" };
	const char *why = NULL;
	int n = 0;

	*queued = false;
	out->status = 0;
	out->json = NULL;
	if (snprintf(buf, sizeof(buf), "%s", r->path) >= (int)sizeof(buf)) {
		api_error(out, 404, NULL, "no such route");
		return;
	}
	for (t = strtok_r(buf, "/", &save); t && n < 5; t = strtok_r(NULL, "/", &save))
		seg[n++] = t;
	if (t != NULL || n < 3 || n > 4 || strcmp(seg[0], "callbacks") != 0 ||
	    (strcmp(seg[1], "dlr") != 0 && strcmp(seg[1], "mo") != 0)) {
		api_error(out, 404, NULL, "no such route: %s", r->path);
		return;
	}
	for (size_t i = 0; i < r->cfg->nproviders; i++)
		if (strcmp(r->cfg->providers[i].name, seg[2]) == 0)
			pc = &r->cfg->providers[i];
	if (pc == NULL) {
		api_error(out, 404, NULL, "no provider \"%s\"", seg[2]);
		return;
	}
	if (pc->callback_secret == NULL) {
		api_error(out, 404, NULL, "provider \"%s\" takes no callbacks (no callback_secret)",
			  pc->name);
		return;
	}
	if (n == 4 ? !secret_equal(seg[3], pc->callback_secret)
		   : callback_verify(r, pc->callback_secret, r->cfg->http.signature_window,
				     &why) != 0) {
		log_warnx("http: %s callback for %s refused: %s", seg[1], pc->name,
			  n == 4 ? "wrong secret" : why);
		api_error(out, 401, NULL, "not authenticated: %s",
			  n == 4 ? "the provider's callback secret is wrong" : why);
		return;
	}
	src.req.ctx = &src;
	if (cb_source(r, &src, out) != 0)
		return;
	if (json_is_array(src.json) && strcmp(seg[1], "dlr") == 0)
		on_dlr_array(r, pc, &src, out);
	else if (json_is_array(src.json))
		on_mo_array(r, pc, &src, out, queued);
	else if (strcmp(seg[1], "dlr") == 0)
		on_dlr(r, pc, &src, out);
	else
		on_mo(r, pc, &src, out, queued);
	json_decref(src.json);
}

/* ---- recording them --------------------------------------------------------------- */

/* Log what became of report d (store_dlr_record's outcome o). */
static void
dlr_log(const struct duban_config *cfg, const struct provider_conf *pc,
	const struct provider_dlr *d, const char *status, const struct dlr_outcome *out)
{
	char mref[PROVIDER_REF_MAX];
	const char *ref = phone_mask_ref(d->ref, mref, sizeof(mref));

	if (out->ignored)
		log_warnx("dlr %s %s %s: duban sent no request for this message: ignored",
			  pc->name, ref, status);
	else if (out->duplicate)
		log_debug("dlr %s %s %s: received before, nothing changed", pc->name, ref,
			  status);
	else if (out->waiting && out->message == 0)
		log_info(
			"dlr %s %s %s: no sent message has this reference (yet); kept for %lds, and "
			"applied if the send is recorded by then",
			pc->name, ref, status, cfg->dlr.keep_unmatched);
	else if (out->waiting)
		log_info("dlr %s %s %s: message #%" PRId64 " is %s; kept, and applied when "
			 "its send is recorded",
			 pc->name, ref, status, out->message, out->was);
	else if (out->applied)
		log_debug("dlr %s %s: message #%" PRId64 " %s", pc->name, ref, out->message,
			  status);
	else
		log_debug("dlr %s %s %s: message #%" PRId64 " is %s, left as it is", pc->name,
			  ref, status, out->message, out->was);
	if (out->expired > 0)
		log_info("dlr: %" PRId64 " report%s that no send claimed within dlr.keep_unmatched "
			 "dropped",
			 out->expired, out->expired == 1 ? "" : "s");
	if (out->dropped > 0)
		log_warnx("dlr: %" PRId64 " waiting report%s dropped, oldest first: more than "
			  "dlr.max_unmatched (%ld) wait for a send",
			  out->dropped, out->dropped == 1 ? "" : "s", cfg->dlr.max_unmatched);
}

int
callback_dlr_many(struct store *st, const struct duban_config *cfg,
		  const struct provider_conf *pc, const struct provider_dlr *d, size_t n,
		  struct dlr_outcome *out, char *err, size_t errlen)
{
	static const char *const names[] = { "delivered", "failed", "pending" };
	const struct dlr_policy policy = { cfg->dlr.keep_unmatched, cfg->dlr.max_unmatched };
	char (*reason)[PROVIDER_REASON_MAX + 32] = calloc(n ? n : 1, sizeof(*reason));
	struct dlr_in *in = calloc(n ? n : 1, sizeof(*in));
	int rc = -1;

	if (reason == NULL || in == NULL) {
		snprintf(err, errlen, "out of memory reading %zu delivery reports", n);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		snprintf(reason[i], sizeof(reason[i]), "delivery report: %s", d[i].reason);
		in[i].ref = d[i].ref;
		in[i].status = names[d[i].state];
		in[i].error = d[i].state == PROVIDER_DLR_FAILED ? reason[i] : NULL;
		in[i].parts = d[i].parts;
	}
	if (store_dlr_record_many(st, pc->name, in, n, time_now(), &policy, out) != STORE_OK) {
		snprintf(err, errlen, "%s", store_errmsg(st));
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		dlr_log(cfg, pc, &d[i], in[i].status, &out[i]);
	rc = 0;
out:
	free(reason);
	free(in);
	return rc;
}

int
callback_dlr(struct store *st, const struct duban_config *cfg, const struct provider_conf *pc,
	     const struct provider_dlr *d, struct dlr_outcome *out, char *err, size_t errlen)
{
	return callback_dlr_many(st, cfg, pc, d, 1, out, err, errlen);
}

int
callback_mo_many(struct store *st, const struct duban_config *cfg,
		 const struct provider_conf *pc, const struct provider_mo *mo, size_t n,
		 struct reply_result *out, char *err, size_t errlen)
{
	struct duban_ctx x = { .st = st, .cfg = cfg };
	struct reply_in *in = calloc(n ? n : 1, sizeof(*in));
	int rc = -1;

	if (in == NULL) {
		snprintf(err, errlen, "out of memory reading %zu replies", n);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		in[i] = (struct reply_in){ .provider = pc->name, .ref = mo[i].ref,
					   .from = mo[i].from, .text = mo[i].text };
	if (reply_receive_many(&x, in, n, out) == ACTION_OK)
		rc = 0;
	else
		snprintf(err, errlen, "%s", x.err);
	free(in);
	return rc;
}

int
callback_mo(struct store *st, const struct duban_config *cfg, const struct provider_conf *pc,
	    const struct provider_mo *mo, struct reply_result *out, char *err, size_t errlen)
{
	return callback_mo_many(st, cfg, pc, mo, 1, out, err, errlen);
}
