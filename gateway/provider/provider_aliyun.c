/*
 * provider_aliyun.c - Alibaba Cloud SMS (dysmsapi 2017-05-25) as a
 * template provider.  Domestic SMS goes only through an approved
 * signature (sign_name) and approved templates (the bindings of
 * `templates`), so a message reaches this backend with its binding and
 * rendered values, never free text.
 *
 * Requests are what the official SDK (alibabacloud dysmsapi-20170525 over
 * the darabonba OpenAPI client) sends for an RPC-style action with
 * signature V3: POST / with every parameter in the query string and an
 * empty body; headers host, x-acs-action, x-acs-version, x-acs-date,
 * x-acs-signature-nonce, x-acs-content-sha256, signed by
 * ACS3-HMAC-SHA256 (provider_sign.c).  Numbers whose values are all equal
 * go in one SendSms (PhoneNumbers comma-separated, up to 1000, one
 * TemplateParam); numbers with values of their own go in one SendBatchSms
 * (PhoneNumberJson, SignNameJson, TemplateParamJson, up to 100).
 *
 * The reply is {"Code":"OK","BizId":...} or an error Code and Message,
 * classified by provider_cnerr.c.  One BizId covers the whole request, so
 * each number's reference is "<BizId>:<national number>", and a delivery
 * report (SmsReport: biz_id, phone_number) composes the same reference.
 */
#include "provider/provider_int.h"
#include "base/buf.h"
#include "base/i18n.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALIYUN_ENDPOINT "https://dysmsapi.aliyuncs.com"
#define ALIYUN_VERSION  "2017-05-25"

/* What a provider of type "aliyun" adds to its provider_conf, as pc->backend. */
struct aliyun_conf {
	char *key_id, *key_secret; /* secrets: never logged */
	char *base;                /* "https://dysmsapi.aliyuncs.com" */
	char *host;                /* "dysmsapi.aliyuncs.com" */
};

static const char *const aliyun_keys[] = { "access_key_id", "access_key_secret", "endpoint",
					   NULL };

static void
aliyun_free(struct provider_conf *pc)
{
	struct aliyun_conf *ac = pc->backend;

	if (ac == NULL)
		return;
	provider_secret_free(ac->key_id);
	provider_secret_free(ac->key_secret);
	free(ac->base);
	free(ac->host);
	free(ac);
	pc->backend = NULL;
}

static void
aliyun_parse(struct cfgval *cv, const config_setting_t *g, struct provider_conf *pc)
{
	struct aliyun_conf *ac = calloc(1, sizeof(*ac));

	if (ac == NULL) {
		cfgval_error(cv, g, _("out of memory"));
		return;
	}
	pc->backend = ac;
	provider_secret_key(cv, g, "access_key_id", &ac->key_id);
	provider_secret_key(cv, g, "access_key_secret", &ac->key_secret);
	provider_endpoint(cv, g, ALIYUN_ENDPOINT, &ac->base, &ac->host);
}

/* ---- the request ------------------------------------------------------------ */

/* Append "&name=" + value percent-encoded (RFC 3986) to q. */
static int
q_add(struct buf *q, const char *name, const char *value, size_t vlen)
{
	return (q->len > 0 && buf_add(q, "&", 1) != 0) || buf_adds(q, name) != 0 ||
			       buf_add(q, "=", 1) != 0 ||
			       provider_url_escape(q, value, vlen, false) != 0
		       ? -1
		       : 0;
}

/* The TemplateParam object of m's values, {"task":"...","code":"..."}. */
static int
param_json(const struct provider_msg *m, struct buf *j)
{
	const struct provider_binding *b = m->binding;

	if (buf_add(j, "{", 1) != 0)
		return -1;
	for (size_t i = 0; i < b->nparam; i++)
		if ((i > 0 && buf_add(j, ",", 1) != 0) || buf_add(j, "\"", 1) != 0 ||
		    provider_json_escape(j, b->pname[i], strlen(b->pname[i])) != 0 ||
		    buf_adds(j, "\":\"") != 0 ||
		    provider_json_escape(j, m->values[i], strlen(m->values[i])) != 0 ||
		    buf_add(j, "\"", 1) != 0)
			return -1;
	return buf_add(j, "}", 1);
}

/* SendSms's query, its parameters in sorted order (the canonical query). */
static int
query_send(const struct provider_conf *pc, const struct provider_msg *m, size_t n, struct buf *q,
	   struct buf *tmp)
{
	char ref[40];

	if (n == 1) {
		provider_msg_ref(m[0].id, ref, sizeof(ref));
		if (q_add(q, "OutId", ref, strlen(ref)) != 0)
			return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const char *num = provider_national(m[i].phone);
		if ((i > 0 && buf_add(tmp, ",", 1) != 0) || buf_adds(tmp, num) != 0)
			return -1;
	}
	if (q_add(q, "PhoneNumbers", tmp->data, tmp->len) != 0 ||
	    q_add(q, "SignName", pc->sign_name, strlen(pc->sign_name)) != 0 ||
	    q_add(q, "TemplateCode", m[0].binding->code, strlen(m[0].binding->code)) != 0)
		return -1;
	if (m[0].binding->nparam == 0)
		return 0;
	tmp->len = 0;
	return param_json(&m[0], tmp) != 0 || q_add(q, "TemplateParam", tmp->data, tmp->len) != 0
		       ? -1
		       : 0;
}

/* SendBatchSms's query, sorted: PhoneNumberJson, SignNameJson,
 * TemplateCode, TemplateParamJson. */
static int
query_batch(const struct provider_conf *pc, const struct provider_msg *m, size_t n,
	    struct buf *q, struct buf *tmp)
{
	if (buf_add(tmp, "[", 1) != 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (buf_adds(tmp, i ? ",\"" : "\"") != 0 ||
		    buf_adds(tmp, provider_national(m[i].phone)) != 0 || buf_add(tmp, "\"", 1) != 0)
			return -1;
	if (buf_add(tmp, "]", 1) != 0 || q_add(q, "PhoneNumberJson", tmp->data, tmp->len) != 0)
		return -1;
	tmp->len = 0;
	if (buf_add(tmp, "[", 1) != 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (buf_adds(tmp, i ? ",\"" : "\"") != 0 ||
		    provider_json_escape(tmp, pc->sign_name, strlen(pc->sign_name)) != 0 ||
		    buf_add(tmp, "\"", 1) != 0)
			return -1;
	if (buf_add(tmp, "]", 1) != 0 || q_add(q, "SignNameJson", tmp->data, tmp->len) != 0 ||
	    q_add(q, "TemplateCode", m[0].binding->code, strlen(m[0].binding->code)) != 0)
		return -1;
	tmp->len = 0;
	if (buf_add(tmp, "[", 1) != 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if ((i > 0 && buf_add(tmp, ",", 1) != 0) || param_json(&m[i], tmp) != 0)
			return -1;
	return buf_add(tmp, "]", 1) != 0 || q_add(q, "TemplateParamJson", tmp->data, tmp->len) != 0
		       ? -1
		       : 0;
}

/* The signed headers and Authorization of a request with query q. */
static int
sign_headers(const struct aliyun_conf *ac, const char *action, const char *query, int64_t now,
	     const char *nonce, struct buf *headers)
{
	char date[21];
	struct provider_hdr h[6];
	struct buf auth;
	int rc;

	provider_acs3_date(now, date);
	h[0] = (struct provider_hdr){ "host", ac->host };
	h[1] = (struct provider_hdr){ "x-acs-action", action };
	h[2] = (struct provider_hdr){ "x-acs-content-sha256",
				      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" };
	h[3] = (struct provider_hdr){ "x-acs-date", date };
	h[4] = (struct provider_hdr){ "x-acs-signature-nonce", nonce };
	h[5] = (struct provider_hdr){ "x-acs-version", ALIYUN_VERSION };
	buf_init(&auth, 1024);
	rc = provider_acs3_sign("POST", "/", query, h, 6, h[2].value, ac->key_id, ac->key_secret,
				&auth);
	for (size_t i = 0; rc == 0 && i < 6; i++)
		rc = buf_printf(headers, "%s: %s\n", h[i].name, h[i].value);
	if (rc == 0)
		rc = buf_printf(headers, "Accept: application/json\nAuthorization: %s\n", auth.data);
	buf_free(&auth);
	return rc;
}

int
provider_aliyun_build_at(const struct provider_conf *pc, const struct provider_msg *m, size_t n,
			 int64_t now, const char *nonce, struct provider_req *req, char *err,
			 size_t errlen)
{
	const struct aliyun_conf *ac = pc->backend;
	bool same;
	struct buf q, tmp;
	int rc = -1;

	if (provider_batch_check(pc, m, n, err, errlen) != 0)
		return -1;
	same = provider_values_equal(m, n);
	buf_init(&q, PROVIDER_URL_MAX);
	buf_init(&tmp, PROVIDER_URL_MAX);
	if ((same ? query_send(pc, m, n, &q, &tmp) : query_batch(pc, m, n, &q, &tmp)) != 0 ||
	    buf_printf(&req->url, "%s/?%s", ac->base, q.data) != 0 ||
	    sign_headers(ac, same ? "SendSms" : "SendBatchSms", q.data, now, nonce,
			 &req->headers) != 0 ||
	    buf_add(&req->body, "", 0) != 0) {
		snprintf(err, errlen, _("%zu numbers do not fit in one request"), n);
		goto out;
	}
	req->post = true;
	rc = 0;
out:
	buf_free(&q);
	buf_free(&tmp);
	return rc;
}

static int
aliyun_build_batch(const struct provider_conf *pc, const struct provider_msg *m, size_t n,
		   struct provider_req *req, char *err, size_t errlen)
{
	char nonce[33];

	if (provider_nonce(nonce, sizeof(nonce)) != 0) {
		snprintf(err, errlen, _("the system gives no random numbers for a nonce"));
		return -1;
	}
	return provider_aliyun_build_at(pc, m, n, provider_wall_clock(), nonce, req, err, errlen);
}

static int
aliyun_build(const struct provider_conf *pc, const struct provider_msg *m,
	     struct provider_req *req, char *err, size_t errlen)
{
	return aliyun_build_batch(pc, m, 1, req, err, errlen);
}

/* ---- the reply ---------------------------------------------------------------- */

static void
aliyun_classify_batch(const struct provider_conf *pc, const struct provider_msg *m, size_t n,
		      const struct provider_reply *r, struct provider_verdict *v)
{
	char code[64] = "", msg[160] = "", biz[64] = "", reason[PROVIDER_REASON_MAX];
	json_t *root = r->body ? json_loadb(r->body, r->len, 0, NULL) : NULL;
	enum provider_result cls;
	long wait = 0;

	if (root)
		provider_json_get(root, "Code", code, sizeof(code));
	if (root)
		provider_json_get(root, "Message", msg, sizeof(msg));
	if (root)
		provider_json_get(root, "BizId", biz, sizeof(biz));
	json_decref(root);
	for (size_t i = 0; i < n; i++)
		v[i].provider_fault = r->status >= 500;
	if (r->status >= 200 && r->status < 300 && strcmp(code, "OK") == 0 && biz[0]) {
		for (size_t i = 0; i < n; i++) {
			v[i].result = PROVIDER_ACCEPTED;
			snprintf(v[i].ref, sizeof(v[i].ref), "%s:%s", biz,
				 provider_national(m[i].phone));
		}
		return;
	}
	if (code[0] == '\0') {
		char why[PROVIDER_REASON_MAX - 32];
		provider_excerpt(r->body ? r->body : "", r->len, why, sizeof(why));
		snprintf(reason, sizeof(reason), "HTTP %ld%s%s", r->status, why[0] ? ": " : "", why);
		/* no code: a 4xx is refused for good, anything else may pass */
		cls = r->status >= 400 && r->status < 500 && r->status != 429 ? PROVIDER_PERMANENT
									 : PROVIDER_TRANSIENT;
	} else {
		snprintf(reason, sizeof(reason), "%s: %s", code, msg);
		cls = r->status >= 500 ? PROVIDER_TRANSIENT
				       : provider_cn_class("aliyun", code, msg, &wait);
		if (strcmp(code, "OK") == 0) /* "OK" without a BizId */
			cls = PROVIDER_TRANSIENT;
	}
	provider_refused(pc, m, n, cls, wait, code, reason, v);
}

static void
aliyun_classify(const struct provider_conf *pc, const struct provider_msg *m,
		const struct provider_reply *r, struct provider_verdict *v)
{
	aliyun_classify_batch(pc, m, 1, r, v);
}

/* ---- delivery reports and replies ---------------------------------------------- */

/*
 * One element of an SmsReport push: phone_number, biz_id, out_id, success
 * (true/false), err_code ("DELIVERED" ...), err_msg, sms_size (billed
 * parts), send_time, report_time.
 */
static int
aliyun_dlr(const struct provider_conf *pc, const struct provider_cb_req *r,
	   struct provider_dlr *out, char *err, size_t errlen)
{
	char biz[64], ok[16], code[64], msg[128], size[16];
	char *end;
	long parts;

	(void)pc;
	if (provider_cb_get(r, "phone_number", PROVIDER_CB_REQUIRED, out->phone,
			    sizeof(out->phone), err, errlen) != 0 ||
	    provider_cb_get(r, "biz_id", PROVIDER_CB_REQUIRED, biz, sizeof(biz), err, errlen) != 0 ||
	    provider_cb_get(r, "success", PROVIDER_CB_REQUIRED, ok, sizeof(ok), err, errlen) != 0)
		return -1;
	if (strcmp(ok, "true") != 0 && strcmp(ok, "false") != 0) {
		snprintf(err, errlen, "field \"success\" must be true or false, not \"%s\"", ok);
		return -1;
	}
	provider_cb_get(r, "err_code", PROVIDER_CB_OPTIONAL, code, sizeof(code), err, errlen);
	provider_cb_get(r, "err_msg", PROVIDER_CB_OPTIONAL, msg, sizeof(msg), err, errlen);
	provider_cb_get(r, "sms_size", PROVIDER_CB_OPTIONAL, size, sizeof(size), err, errlen);
	snprintf(out->ref, sizeof(out->ref), "%s:%s", biz, provider_national(out->phone));
	out->state = strcmp(ok, "true") == 0 ? PROVIDER_DLR_DELIVERED : PROVIDER_DLR_FAILED;
	snprintf(out->reason, sizeof(out->reason), "%s%s%s", code, code[0] && msg[0] ? " " : "",
		 msg);
	parts = strtol(size, &end, 10);
	out->parts = size[0] && *end == '\0' && parts > 0 && parts < 1000 ? (int)parts : 0;
	return 0;
}

/* One element of an SmsUp push: phone_number, content, send_time,
 * dest_code (the extension it was sent to), sequence_id. */
static int
aliyun_mo(const struct provider_conf *pc, const struct provider_cb_req *r, struct provider_mo *out,
	  char *err, size_t errlen)
{
	(void)pc;
	if (provider_cb_get(r, "phone_number", PROVIDER_CB_REQUIRED, out->from, sizeof(out->from),
			    err, errlen) != 0 ||
	    provider_cb_get(r, "content", PROVIDER_CB_PRESENT, out->text, sizeof(out->text), err,
			    errlen) != 0)
		return -1;
	provider_cb_get(r, "dest_code", PROVIDER_CB_OPTIONAL, out->to, sizeof(out->to), err, errlen);
	provider_cb_get(r, "sequence_id", PROVIDER_CB_OPTIONAL, out->ref, sizeof(out->ref), err,
			errlen);
	return 0;
}

const struct provider_ops provider_aliyun_ops = {
	.type = "aliyun",
	.keys = aliyun_keys,
	.parse = aliyun_parse,
	.build = aliyun_build,
	.classify = aliyun_classify,
	.free = aliyun_free,
	.dlr = aliyun_dlr,
	.mo = aliyun_mo,
	.templated = true,
	.batch_same = 1000,
	.batch_distinct = 100,
	.build_batch = aliyun_build_batch,
	.classify_batch = aliyun_classify_batch,
	.cb_ok = "{\"code\":0,\"msg\":\"接收成功\"}",
};
