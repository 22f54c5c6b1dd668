/*
 * sim_tencent.c - smsc-sim --api tencent: Tencent Cloud SMS 2021-01-11
 * SendSms as a client sees it.  Every POST to "/" must carry a TC3-HMAC-SHA256
 * signature, checked as the service checks it, from what arrived: the
 * canonical request is rebuilt from the method, the path, the query, the
 * headers named in SignedHeaders (content-type and host at least; names and
 * values lowercased and trimmed) and the SHA-256 of the body received; the
 * key is derived from the secret key through the date of X-TC-Timestamp,
 * "sms" and "tc3_request".  A wrong key, a changed body or a timestamp more
 * than 5 minutes off are refused with the service's AuthFailure codes.  Then
 * the request (up to 200 PhoneNumberSet numbers sharing one
 * TemplateParamSet) is checked against the app id, the registered
 * signatures, the approved templates and the balance; each number gets its
 * own row in SendStatusSet (Ok with a SerialNo and its Fee, or its own error:
 * a bad number, the parameters not matching the template, the per-number
 * daily cap), and each accepted number's status report is queued for
 * --dlr-url.  Every answer is HTTP 200, errors in Response.Error, as the
 * service does.
 */
#include <inttypes.h>
#include <openssl/crypto.h>
#include <stdlib.h>

#include "sim.h"

#define TC_ALGO    "TC3-HMAC-SHA256"
#define TC_VERSION "2021-01-11"
#define TC_SKEW_S  300
#define TC_MAX     200

struct tc {
	struct sim *s;
	struct MHD_Connection *c;
	struct req *r;
	const char *method;
	uint64_t n;
	char rid[40];
	char body_sha[65];
};

static enum MHD_Result tc_answer(struct tc *a, json_t *resp)
{
	json_t *o;
	char *body;

	if (resp != NULL)
		json_object_set_new(resp, "RequestId", json_string(a->rid));
	o = resp != NULL ? json_pack("{s:o}", "Response", resp) : NULL;
	body = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return body != NULL ? sim_reply_owned(a->s, a->c, a->r, 200, body, strlen(body)) : MHD_NO;
}

/* A request-level refusal (counted as rejected; fail: as an injected failure). */
static enum MHD_Result tc_refuse(struct tc *a, bool fail, const char *code, const char *msg)
{
	atomic_fetch_add(fail ? &a->s->ctr.failed : &a->s->ctr.rejected, 1);
	sim_cn_record(a->s, &(struct cn_line){ .n = a->n, .action = "SendSms", .code = code,
					       .outcome = "rejected", .status = 200 });
	return tc_answer(a, json_pack("{s:{s:s,s:s}}", "Error", "Code", code, "Message", msg));
}

static enum MHD_Result tc_error(struct tc *a, const char *code, const char *msg)
{
	return tc_refuse(a, false, code, msg);
}

/* ---- the signature ---------------------------------------------------------- */

/* "TC3-HMAC-SHA256 Credential=ID/DATE/sms/tc3_request, SignedHeaders=a;b, Signature=HEX" */
static int parse_auth(const char *auth, struct field *cred, struct field *names, struct field *sig)
{
	static const char *const keys[] = { "Credential=", "SignedHeaders=", "Signature=" };
	struct field *out[] = { cred, names, sig };
	const char *p;

	if (auth == NULL || strncmp(auth, TC_ALGO " ", sizeof TC_ALGO) != 0)
		return -1;
	p = auth + sizeof TC_ALGO;
	for (int i = 0; i < 3; i++) {
		size_t kl = strlen(keys[i]), n;

		p += strspn(p, " ");
		if (strncmp(p, keys[i], kl) != 0)
			return -1;
		p += kl;
		n = strcspn(p, ",");
		while (n > 0 && p[n - 1] == ' ')
			n--;
		*out[i] = (struct field){ p, n };
		if (n == 0)
			return -1;
		p += strcspn(p, ",");
		if (*p == ',')
			p++;
	}
	return *p == '\0' ? 0 : -1;
}

/* The expected signature (hex, 65) of the request under the scope date. */
static int tc_signature(struct tc *a, struct field names, const char *date, long ts, char want[65])
{
	const char *key = a->s->cn->key_secret;
	unsigned char k1[32], k2[32], k3[32], mac[32];
	char hash[65], sts[256], secret[512];
	struct buf cr;
	int rc;

	buf_init(&cr, 65536);
	rc = buf_printf(&cr, "%s\n/\n\n", a->method);
	if (rc == 0 && sim_canon_headers(a->c, names.p, names.n, true, &cr) < 0)
		rc = 1;
	if (rc == 0)
		rc = buf_printf(&cr, "\n%.*s\n%s", (int)names.n, names.p, a->body_sha);
	if (rc == 0) {
		sim_sha256_hex(cr.data, cr.len, hash);
		snprintf(sts, sizeof sts, TC_ALGO "\n%ld\n%s/sms/tc3_request\n%s", ts, date, hash);
		snprintf(secret, sizeof secret, "TC3%s", key);
		sim_hmac256(secret, strlen(secret), date, strlen(date), k1);
		sim_hmac256(k1, 32, "sms", 3, k2);
		sim_hmac256(k2, 32, "tc3_request", 11, k3);
		sim_hmac256(k3, 32, sts, strlen(sts), mac);
		sim_hex(mac, 32, want);
	}
	buf_free(&cr);
	return rc;
}

/* Returns MHD_YES with *done false when the request is signed right; else answers it. */
static enum MHD_Result tc_verify(struct tc *a, bool *done)
{
	struct MHD_Connection *c = a->c;
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	const char *tss = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-TC-Timestamp");
	const char *id = a->s->cn->key_id;
	struct field cred, names, sig;
	char date[16], scope[96], want[65], msg[200];
	time_t tst;
	struct tm tm;
	long ts;
	int rc;

	*done = true;
	if (parse_auth(auth, &cred, &names, &sig) < 0)
		return tc_error(a, "AuthFailure.InvalidAuthorization",
				"Authorization header is invalid or missing.");
	if (cred.n <= strlen(id) || memcmp(cred.p, id, strlen(id)) != 0 || cred.p[strlen(id)] != '/')
		return tc_error(a, "AuthFailure.SecretIdNotFound",
				"The SecretId is not found, please ensure that your SecretId is correct.");
	if (tss == NULL || sim_parse_long(tss, 0, 99999999999L, &ts) < 0)
		return tc_error(a, "MissingParameter", "The request is missing a required parameter `Timestamp`.");
	if (llabs((long long)ts - (long long)time(NULL)) > TC_SKEW_S) {
		snprintf(msg, sizeof msg, "Signature expired. Timestamp is %ld, current server timestamp is %lld, "
			 "the max limit is %d seconds.", ts, (long long)time(NULL), TC_SKEW_S);
		return tc_error(a, "AuthFailure.SignatureExpire", msg);
	}
	tst = (time_t)ts;
	gmtime_r(&tst, &tm);
	strftime(date, sizeof date, "%Y-%m-%d", &tm);
	snprintf(scope, sizeof scope, "%s/%s/sms/tc3_request", id, date);
	rc = !sim_names_have(names.p, names.n, "content-type") || !sim_names_have(names.p, names.n, "host") ||
	     cred.n != strlen(scope) || memcmp(cred.p, scope, cred.n) != 0;
	if (rc == 0)
		rc = tc_signature(a, names, date, ts, want);
	if (rc < 0)
		return MHD_NO;
	if (rc > 0 || sig.n != 64 || CRYPTO_memcmp(sig.p, want, 64) != 0)
		return tc_error(a, "AuthFailure.SignatureFailure",
				"The provided credentials could not be validated. Please check your signature is correct.");
	*done = false;
	return MHD_YES;
}

/* ---- sending ------------------------------------------------------------------ */

/* One row of SendStatusSet. */
static json_t *tc_row(const char *serial, const char *phone, int fee, const char *ctx,
		      const char *code, const char *msg)
{
	return json_pack("{s:s,s:s,s:i,s:s,s:s,s:s,s:s}", "SerialNo", serial, "PhoneNumber", phone,
			 "Fee", fee, "SessionContext", ctx, "Code", code, "Message", msg, "IsoCode", "CN");
}

/* Appends one status report item for an accepted number (when: the request's). */
static int tc_report(struct tc *a, struct buf *items, const char *nat, const char *serial, size_t i,
		     const char *when)
{
	struct sim *s = a->s;
	bool ok = !chance(s, PER_NUMBER_KEY(a->n, i), K_DLR, atomic_load(&s->dlr_fail_ppb));

	return buf_printf(items, "%s{\"user_receive_time\":\"%s\",\"nationcode\":\"86\",\"mobile\":\"%s\","
			  "\"report_status\":\"%s\",\"errmsg\":\"%s\",\"description\":\"%s\",\"sid\":\"%s\"}",
			  items->len > 0 ? "," : "", when, nat, ok ? "SUCCESS" : "FAIL",
			  ok ? "DELIVRD" : "UNDELIV", ok ? "用户短信送达成功" : "用户短信未送达", serial);
}

/* The shared values, checked against t: 0, or a request-level refusal (code set),
 * or 1 when their count does not match (a per-number refusal). */
static int tc_values(struct tc *a, const struct cn_tmpl *t, json_t *set, const char **vals,
		     const char **code, const char **msg)
{
	if (set != NULL && !json_is_array(set)) {
		*code = "InvalidParameterValue.TemplateParameterFormatError";
		*msg = "TemplateParamSet 必须是字符串数组。";
		return -1;
	}
	for (size_t i = 0; i < json_array_size(set); i++) {
		const char *v = json_string_value(json_array_get(set, i));
		size_t chars = 0;

		if (v == NULL) {
			*code = "InvalidParameterValue.TemplateParameterFormatError";
			*msg = "TemplateParamSet 必须是字符串数组。";
			return -1;
		}
		for (const char *p = v; *p != '\0'; p++)
			chars += ((unsigned char)*p & 0xc0) != 0x80;
		if (a->s->o.max_param > 0 && chars > (size_t)a->s->o.max_param) {
			*code = "InvalidParameterValue.TemplateParameterLengthLimit";
			*msg = "单个模板变量字符数超过限制。";
			return -1;
		}
	}
	if (json_array_size(set) != t->nph)
		return 1;
	for (size_t i = 0; i < t->nph; i++)
		vals[i] = json_string_value(json_array_get(set, (size_t)strtol(t->ph[i], NULL, 10) - 1));
	return 0;
}

/* Pushes the pending report items (if any). */
static void tc_flush(struct sim *s, struct buf *items, size_t *pending)
{
	if (*pending > 0)
		sim_push(s, s->o.dlr_url, buf_steal(items), *pending, true, s->o.dlr_delay_ms);
	*pending = 0;
}

/* One row per number: its own check, then the answer. */
static enum MHD_Result tc_rows(struct tc *a, json_t *req, const struct cn_tmpl *t, const char **vals,
			       bool mismatch)
{
	struct sim *s = a->s;
	json_t *phones = json_object_get(req, "PhoneNumberSet"), *rows = json_array();
	const char *sign = json_string_value(json_object_get(req, "SignName"));
	const char *ctx = json_string_value(json_object_get(req, "SessionContext"));
	struct buf text, items;
	size_t pending = 0;
	int parts = 1;
	struct pcache pc = { NULL, NULL };
	uint64_t th;
	char when[20];

	buf_init(&text, s->body_max);
	buf_init(&items, 1 << 26);
	sim_cn_time(clock_ms(CLOCK_REALTIME) / 1000 + (s->o.dlr_delay_ms + 999) / 1000, when);
	if (!mismatch && sim_cn_render(sign, t, vals, &text, &parts) < 0)
		mismatch = true;  /* out of memory: refuse rather than guess */
	/* the id of a message: (number, SessionContext, text), the text hashed once */
	th = sim_hash((struct field){ ctx ? ctx : "", ctx ? strlen(ctx) : 0 }, 0);
	th = sim_hash((struct field){ text.data ? text.data : "", text.len }, sim_hash((struct field){ "|", 1 }, th));
	for (size_t i = 0; rows != NULL && i < json_array_size(phones); i++) {
		const char *ph = json_string_value(json_array_get(phones, i)), *code = "Ok";
		const char *msg = "send success", *outcome = "accepted";
		enum cap_result cap;
		char nat[12] = "", e164[16], serial[48] = "";

		if (ph == NULL || sim_cn_number(ph, strlen(ph), nat) < 0 ||
		    (snprintf(e164, sizeof e164, "+86%s", nat), sim_is_denied(s, e164))) {
			code = "InvalidParameterValue.IncorrectPhoneNumber";
			msg = "手机号格式错误。";
		} else if (mismatch) {
			code = "FailedOperation.TemplateParamSetNotMatchApprovedTemplate";
			msg = "请求内容与审核通过的模板内容不匹配。";
		} else if ((cap = sim_cap_take(s, nat)) != CAP_OK) {
			code = cap == CAP_DAY ? "LimitExceeded.PhoneNumberDailyLimit"
					      : "LimitExceeded.PhoneNumberOneHourLimit";
			msg = cap == CAP_DAY ? "单个手机号日下发短信条数超过设定的上限。"
					     : "单个手机号1小时内下发短信条数超过设定的上限。";
			outcome = "limited";
		}
		if (str_is(code, "Ok")) {
			snprintf(serial, sizeof serial, "2640:%" PRId64 "%08" PRIu64, clock_ms(CLOCK_REALTIME) / 1000,
				 atomic_fetch_add(&s->cn->next_serial, 1) % 100000000);
			int added = sim_idset_add_hash(s, sim_hash((struct field){ nat, 11 }, th));

			if (added >= 0)
				atomic_fetch_add(added == 1 ? &s->ctr.unique_ids : &s->ctr.duplicates, 1);
			if (s->o.dlr_url != NULL && tc_report(a, &items, nat, serial, i, when) == 0 &&
			    ++pending == (size_t)s->o.push_batch)
				tc_flush(s, &items, &pending);
		} else if (outcome[0] == 'a') {
			outcome = "rejected";
		}
		atomic_fetch_add(str_is(code, "Ok") ? &s->ctr.numbers_accepted : &s->ctr.numbers_refused, 1);
		sim_cn_record(s, &(struct cn_line){ a->n, "SendSms", ph, str_is(code, "Ok") ? text.data : NULL,
						    sign, t->code,
						    s->rec != NULL ? sim_pcache(&pc, json_object_get(req, "TemplateParamSet"))
								   : NULL, ctx,
						    code, serial[0] ? serial : NULL, outcome, 200,
						    str_is(code, "Ok") ? parts : 0 });
		json_array_append_new(rows, tc_row(serial, ph != NULL ? ph : "", str_is(code, "Ok") ? parts : 0,
						   ctx != NULL ? ctx : "", code, msg));
	}
	tc_flush(s, &items, &pending);
	sim_pcache_free(&pc);
	buf_free(&items);
	buf_free(&text);
	atomic_fetch_add(&s->ctr.accepted, 1);
	return tc_answer(a, rows != NULL ? json_pack("{s:o}", "SendStatusSet", rows) : NULL);
}

/* Request-level checks of SendSms, then the rows. */
static enum MHD_Result tc_send(struct tc *a, json_t *req)
{
	struct sim *s = a->s;
	json_t *phones = json_object_get(req, "PhoneNumberSet");
	const char *app = json_string_value(json_object_get(req, "SmsSdkAppId"));
	const char *sign = json_string_value(json_object_get(req, "SignName"));
	const char *tid = json_string_value(json_object_get(req, "TemplateId"));
	const char *code = NULL, *msg = NULL, **vals;
	const struct cn_tmpl *t;
	char fcode[96], fmsg[256];
	enum MHD_Result ret;
	int rc;

	if (!json_is_array(phones) || json_array_size(phones) == 0 || app == NULL || tid == NULL)
		return tc_error(a, "MissingParameter", "缺少参数：PhoneNumberSet、SmsSdkAppId 或 TemplateId。");
	sim_cn_count_batch(s, json_array_size(phones));
	if (s->cn->app_id != NULL && !str_is(app, s->cn->app_id))
		return tc_error(a, "InvalidParameterValue.SdkAppIdNotExist", "SdkAppId 不存在。");
	if (sim_cn_forced(s, fcode, sizeof fcode, fmsg, sizeof fmsg))
		return tc_error(a, fcode, fmsg);
	if (!atomic_load(&s->cn->balance))
		return tc_error(a, "FailedOperation.InsufficientBalanceInSmsPackage", "套餐包余量不足。");
	if (chance(s, a->n, K_429, atomic_load(&s->rate429_ppb)) ||
	    chance(s, a->n, K_FAIL, atomic_load(&s->fail_ppb))) {
		return chance(s, a->n, K_429, atomic_load(&s->rate429_ppb))
		       ? tc_refuse(a, true, "RequestLimitExceeded", "请求的次数超过了频率限制。")
		       : tc_refuse(a, true, "InternalError.Timeout", "请求下发短信超时。");
	}
	if (json_array_size(phones) > TC_MAX)
		return tc_error(a, "LimitExceeded.PhoneNumberCountLimit", "单次提交的手机号个数超过200个。");
	if (!sim_cn_sign_known(s, sign))
		return tc_error(a, "FailedOperation.SignatureIncorrectOrUnapproved", "签名未审批或格式错误。");
	t = sim_cn_template(s, tid);
	if (t == NULL)
		return tc_error(a, "FailedOperation.TemplateIncorrectOrUnapproved", "模板未审批或内容不匹配。");
	vals = calloc(t->nph + 1, sizeof *vals);
	if (vals == NULL)
		return MHD_NO;
	rc = tc_values(a, t, json_object_get(req, "TemplateParamSet"), vals, &code, &msg);
	if (rc < 0)
		ret = tc_error(a, code, msg);
	else
		ret = tc_rows(a, req, t, vals, rc == 1);
	free(vals);
	return ret;
}

enum MHD_Result sim_tencent_serve(struct sim *s, struct MHD_Connection *c, struct req *r,
				  const char *method)
{
	struct tc a = { .s = s, .c = c, .r = r, .method = method };
	const char *action, *version;
	enum MHD_Result ret;
	json_t *req;
	bool done;

	a.n = atomic_fetch_add(&s->ctr.requests, 1) + 1;
	if (sim_is_dropped(s, a.n)) {
		atomic_fetch_add(&s->ctr.dropped, 1);
		return MHD_NO;
	}
	sim_cn_request_id(s, a.rid);
	for (char *p = a.rid; *p != '\0'; p++)  /* Tencent's ids are lowercase */
		*p = (char)(*p >= 'A' && *p <= 'F' ? *p + 32 : *p);
	if (r->too_big)
		return tc_error(&a, "RequestSizeLimitExceeded", "请求包超过限制大小。");
	sim_sha256_hex(r->body, r->len, a.body_sha);
	ret = tc_verify(&a, &done);
	if (done) {
		atomic_fetch_add(&s->ctr.auth_failures, 1);
		return ret;
	}
	action = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-TC-Action");
	version = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-TC-Version");
	if (!str_is(action, "SendSms"))
		ret = tc_error(&a, "InvalidAction", "接口不存在。");
	else if (!str_is(version, TC_VERSION))
		ret = tc_error(&a, "NoSuchVersion", "接口版本不存在。");
	else if ((req = json_loadb(r->body, r->len, 0, NULL)) == NULL || !json_is_object(req)) {
		json_decref(req);
		ret = tc_error(&a, "InvalidParameter", "请求体不是 JSON 对象。");
	} else {
		ret = tc_send(&a, req);
		json_decref(req);
	}
	return ret;
}
