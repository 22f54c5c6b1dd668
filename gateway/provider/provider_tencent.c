/*
 * provider_tencent.c - Tencent Cloud SMS (API 2021-01-11) as a template
 * provider.  Like Aliyun it carries only an approved signature (sign_name)
 * and approved templates (the bindings of `templates`, placeholders {1}..{n}
 * filled in order by TemplateParamSet).
 *
 * A request is what the official SDK (tencentcloud-sdk-*, sms v20210111)
 * sends: POST / with a JSON body (PhoneNumberSet in E.164, up to 200
 * numbers sharing one TemplateParamSet, SmsSdkAppId, SignName, TemplateId,
 * SessionContext = duban's reference for a single message), headers
 * Content-Type "application/json; charset=utf-8", Host, X-TC-Action,
 * X-TC-Version, X-TC-Timestamp, X-TC-Region, and Authorization by
 * TC3-HMAC-SHA256 over content-type and host (provider_sign.c), scope
 * DATE/sms/tc3_request.  Values that differ per number go one number per
 * request (batch_distinct 1).
 *
 * The reply is Response.Error {Code, Message} for the whole request, or
 * Response.SendStatusSet[] with one row per number - Code "Ok", SerialNo
 * (the number's reference; its status report's sid), Fee (billed parts) -
 * matched to the numbers by PhoneNumber, in order when a row has none.
 */
#include "provider/provider_int.h"
#include "base/buf.h"
#include "base/i18n.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TENCENT_ENDPOINT "https://sms.tencentcloudapi.com"
#define TENCENT_VERSION  "2021-01-11"
#define TENCENT_CT       "application/json; charset=utf-8"

/* What a provider of type "tencent" adds to its provider_conf, as pc->backend. */
struct tencent_conf {
	char *secret_id, *secret_key; /* secrets: never logged */
	char *app_id;                 /* SmsSdkAppId */
	char *region;                 /* "ap-guangzhou" */
	char *base, *host;
};

static const char *const tencent_keys[] = { "secret_id", "secret_key", "sdk_app_id", "region",
					    "endpoint", NULL };

static void
tencent_free(struct provider_conf *pc)
{
	struct tencent_conf *tc = pc->backend;

	if (tc == NULL)
		return;
	provider_secret_free(tc->secret_id);
	provider_secret_free(tc->secret_key);
	free(tc->app_id);
	free(tc->region);
	free(tc->base);
	free(tc->host);
	free(tc);
	pc->backend = NULL;
}

/* A plain word key (sdk_app_id, region): letters, digits and '-'. */
static char *
word_key(struct cfgval *cv, const config_setting_t *g, const char *key, const char *dflt)
{
	const config_setting_t *at = config_setting_get_member(g, key);
	const char *s = dflt;
	int rc = cfgval_string(cv, g, key, &s);

	if (rc == -1)
		return NULL;
	if (rc == 0 && dflt == NULL) {
		cfgval_error(cv, g, _("a tencent provider needs '%s'"), key);
		return NULL;
	}
	if (s[0] == '\0' || strlen(s) > 64 || s[strspn(s, "abcdefghijklmnopqrstuvwxyz"
						     "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")]) {
		cfgval_error(cv, at, _("'%s' must be 1-64 of A-Z a-z 0-9 -"), key);
		return NULL;
	}
	return strdup(s);
}

static void
tencent_parse(struct cfgval *cv, const config_setting_t *g, struct provider_conf *pc)
{
	struct tencent_conf *tc = calloc(1, sizeof(*tc));

	if (tc == NULL) {
		cfgval_error(cv, g, _("out of memory"));
		return;
	}
	pc->backend = tc;
	provider_secret_key(cv, g, "secret_id", &tc->secret_id);
	provider_secret_key(cv, g, "secret_key", &tc->secret_key);
	tc->app_id = word_key(cv, g, "sdk_app_id", NULL);
	tc->region = word_key(cv, g, "region", "ap-guangzhou");
	provider_endpoint(cv, g, TENCENT_ENDPOINT, &tc->base, &tc->host);
}

/* ---- the request ------------------------------------------------------------ */

/* Append "s" as a JSON string. */
static int
jstr(struct buf *b, const char *s)
{
	return buf_add(b, "\"", 1) != 0 || provider_json_escape(b, s, strlen(s)) != 0 ||
			       buf_add(b, "\"", 1) != 0
		       ? -1
		       : 0;
}

static int
body_json(const struct provider_conf *pc, const struct tencent_conf *tc,
	  const struct provider_msg *m, size_t n, struct buf *b)
{
	const struct provider_binding *bd = m[0].binding;
	char ref[40];

	if (buf_adds(b, "{\"PhoneNumberSet\":[") != 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if ((i > 0 && buf_add(b, ",", 1) != 0) || jstr(b, m[i].phone) != 0)
			return -1;
	if (buf_adds(b, "],\"SmsSdkAppId\":") != 0 || jstr(b, tc->app_id) != 0 ||
	    buf_adds(b, ",\"SignName\":") != 0 || jstr(b, pc->sign_name) != 0 ||
	    buf_adds(b, ",\"TemplateId\":") != 0 || jstr(b, bd->code) != 0 ||
	    buf_adds(b, ",\"TemplateParamSet\":[") != 0)
		return -1;
	for (size_t i = 0; i < bd->nparam; i++)
		if ((i > 0 && buf_add(b, ",", 1) != 0) || jstr(b, m[0].values[i]) != 0)
			return -1;
	if (buf_add(b, "]", 1) != 0)
		return -1;
	if (n == 1) {
		provider_msg_ref(m[0].id, ref, sizeof(ref));
		if (buf_adds(b, ",\"SessionContext\":") != 0 || jstr(b, ref) != 0)
			return -1;
	}
	return buf_add(b, "}", 1);
}

int
provider_tencent_build_at(const struct provider_conf *pc, const struct provider_msg *m, size_t n,
			  int64_t now, struct provider_req *req, char *err, size_t errlen)
{
	const struct tencent_conf *tc = pc->backend;
	struct buf auth;
	int rc = -1;

	if (provider_batch_check(pc, m, n, err, errlen) != 0)
		return -1;
	buf_init(&auth, 1024);
	if (body_json(pc, tc, m, n, &req->body) != 0 ||
	    buf_printf(&req->url, "%s/", tc->base) != 0 ||
	    provider_tc3_sign(tc->host, TENCENT_CT, req->body.data, req->body.len, now, "sms",
			      tc->secret_id, tc->secret_key, &auth) != 0 ||
	    buf_printf(&req->headers,
		       "Content-Type: %s\nHost: %s\nX-TC-Action: SendSms\nX-TC-Version: %s\n"
		       "X-TC-Timestamp: %lld\nX-TC-Region: %s\nAuthorization: %s\n",
		       TENCENT_CT, tc->host, TENCENT_VERSION, (long long)now, tc->region,
		       auth.data) != 0) {
		snprintf(err, errlen, _("%zu numbers do not fit in one request"), n);
		goto out;
	}
	req->post = true;
	rc = 0;
out:
	buf_free(&auth);
	return rc;
}

static int
tencent_build_batch(const struct provider_conf *pc, const struct provider_msg *m, size_t n,
		    struct provider_req *req, char *err, size_t errlen)
{
	return provider_tencent_build_at(pc, m, n, provider_wall_clock(), req, err, errlen);
}

static int
tencent_build(const struct provider_conf *pc, const struct provider_msg *m,
	      struct provider_req *req, char *err, size_t errlen)
{
	return tencent_build_batch(pc, m, 1, req, err, errlen);
}

/* ---- the reply ---------------------------------------------------------------- */

/* The row of set for number phone, or the idx-th when none names it. */
static json_t *
row_for(json_t *set, const char *phone, size_t idx)
{
	size_t i;
	json_t *row;

	json_array_foreach(set, i, row) {
		const char *p = json_string_value(json_object_get(row, "PhoneNumber"));
		if (p && strcmp(p, phone) == 0)
			return row;
	}
	row = json_array_get(set, idx);
	return row && json_object_get(row, "PhoneNumber") == NULL ? row : NULL;
}

static void
verdict_row(json_t *row, struct provider_verdict *v)
{
	char code[64] = "", msg[160] = "", fee[16] = "";

	provider_json_get(row, "Code", code, sizeof(code));
	provider_json_get(row, "Message", msg, sizeof(msg));
	if (strcmp(code, "Ok") == 0 &&
	    provider_json_get(row, "SerialNo", v->ref, sizeof(v->ref)) == 0 && v->ref[0]) {
		v->result = PROVIDER_ACCEPTED;
		if (provider_json_get(row, "Fee", fee, sizeof(fee)) == 0)
			v->parts = (int)strtol(fee, NULL, 10);
		return;
	}
	v->ref[0] = '\0';
	v->result = code[0] ? provider_cn_class("tencent", code, msg, &v->wait_s)
			    : PROVIDER_TRANSIENT;
	snprintf(v->code, sizeof(v->code), "%s", code);
	snprintf(v->reason, sizeof(v->reason), "%s: %s", code[0] ? code : "?", msg);
}

static void
tencent_classify_batch(const struct provider_conf *pc, const struct provider_msg *m, size_t n,
		       const struct provider_reply *r, struct provider_verdict *v)
{
	json_t *root = r->body ? json_loadb(r->body, r->len, 0, NULL) : NULL;
	json_t *set = json_object_get(json_object_get(root, "Response"), "SendStatusSet");
	char code[64] = "", msg[160] = "", reason[PROVIDER_REASON_MAX];
	enum provider_result cls;
	long wait = 0;

	for (size_t i = 0; i < n; i++)
		v[i].provider_fault = r->status >= 500;
	if (root)
		provider_json_get(root, "Response.Error.Code", code, sizeof(code));
	if (r->status >= 200 && r->status < 300 && code[0] == '\0' && json_is_array(set)) {
		for (size_t i = 0; i < n; i++) {
			json_t *row = row_for(set, m[i].phone, i);
			if (row) {
				verdict_row(row, &v[i]);
				continue;
			}
			v[i].result = PROVIDER_TRANSIENT;
			snprintf(v[i].reason, sizeof(v[i].reason), "%s",
				 _("the reply has no status for this number"));
		}
		json_decref(root);
		return;
	}
	if (code[0]) {
		provider_json_get(root, "Response.Error.Message", msg, sizeof(msg));
		snprintf(reason, sizeof(reason), "%s: %s", code, msg);
		cls = r->status >= 500 ? PROVIDER_TRANSIENT
				       : provider_cn_class("tencent", code, msg, &wait);
	} else {
		char why[PROVIDER_REASON_MAX - 32];
		provider_excerpt(r->body ? r->body : "", r->len, why, sizeof(why));
		snprintf(reason, sizeof(reason), "HTTP %ld%s%s", r->status, why[0] ? ": " : "", why);
		/* no code: a 4xx is refused for good, anything else may pass */
		cls = r->status >= 400 && r->status < 500 && r->status != 429 ? PROVIDER_PERMANENT
									 : PROVIDER_TRANSIENT;
	}
	json_decref(root);
	provider_refused(pc, m, n, cls, wait, code, reason, v);
}

static void
tencent_classify(const struct provider_conf *pc, const struct provider_msg *m,
		 const struct provider_reply *r, struct provider_verdict *v)
{
	tencent_classify_batch(pc, m, 1, r, v);
}

/* ---- delivery reports and replies ---------------------------------------------- */

/*
 * One element of a status push: mobile, nationcode, report_status
 * (SUCCESS / FAIL), errmsg (DELIVRD ...), description, sid (the SerialNo
 * the send returned), user_receive_time.
 */
static int
tencent_dlr(const struct provider_conf *pc, const struct provider_cb_req *r,
	    struct provider_dlr *out, char *err, size_t errlen)
{
	char status[16], code[64], desc[128];

	(void)pc;
	if (provider_cb_get(r, "sid", PROVIDER_CB_REQUIRED, out->ref, sizeof(out->ref), err,
			    errlen) != 0 ||
	    provider_cb_get(r, "report_status", PROVIDER_CB_REQUIRED, status, sizeof(status), err,
			    errlen) != 0)
		return -1;
	if (strcmp(status, "SUCCESS") == 0)
		out->state = PROVIDER_DLR_DELIVERED;
	else if (strcmp(status, "FAIL") == 0)
		out->state = PROVIDER_DLR_FAILED;
	else {
		snprintf(err, errlen, "field \"report_status\" must be SUCCESS or FAIL, not \"%s\"",
			 status);
		return -1;
	}
	provider_cb_get(r, "mobile", PROVIDER_CB_OPTIONAL, out->phone, sizeof(out->phone), err,
			errlen);
	provider_cb_get(r, "errmsg", PROVIDER_CB_OPTIONAL, code, sizeof(code), err, errlen);
	provider_cb_get(r, "description", PROVIDER_CB_OPTIONAL, desc, sizeof(desc), err, errlen);
	snprintf(out->reason, sizeof(out->reason), "%s%s%s", code, code[0] && desc[0] ? " " : "",
		 desc);
	return 0;
}

/* A reply push: one object of mobile, nationcode, text, sign, time, extend. */
static int
tencent_mo(const struct provider_conf *pc, const struct provider_cb_req *r,
	   struct provider_mo *out, char *err, size_t errlen)
{
	(void)pc;
	if (provider_cb_get(r, "mobile", PROVIDER_CB_REQUIRED, out->from, sizeof(out->from), err,
			    errlen) != 0 ||
	    provider_cb_get(r, "text", PROVIDER_CB_PRESENT, out->text, sizeof(out->text), err,
			    errlen) != 0)
		return -1;
	provider_cb_get(r, "extend", PROVIDER_CB_OPTIONAL, out->to, sizeof(out->to), err, errlen);
	return 0;
}

const struct provider_ops provider_tencent_ops = {
	.type = "tencent",
	.keys = tencent_keys,
	.parse = tencent_parse,
	.build = tencent_build,
	.classify = tencent_classify,
	.free = tencent_free,
	.dlr = tencent_dlr,
	.mo = tencent_mo,
	.templated = true,
	.batch_same = 200,
	.batch_distinct = 1,
	.build_batch = tencent_build_batch,
	.classify_batch = tencent_classify_batch,
	.cb_ok = "{\"result\":0,\"errmsg\":\"OK\"}",
};
