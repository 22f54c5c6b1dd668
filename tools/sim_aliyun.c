/*
 * sim_aliyun.c - smsc-sim --api aliyun: Alibaba Cloud dysmsapi 2017-05-25 as
 * a client sees it.  Every request to "/" must carry a V3 signature
 * (ACS3-HMAC-SHA256), which is checked the way the service checks it, from
 * what arrived: the canonical request is rebuilt from the method, the path,
 * the query parameters (sorted, RFC 3986), the headers named in
 * SignedHeaders and the SHA-256 of the body actually received, so a wrong
 * secret, a changed parameter or body, a stale x-acs-date (over 15 minutes)
 * or a reused x-acs-signature-nonce are all refused with the service's
 * codes.  Then SendSms (up to 1000 PhoneNumbers, one TemplateParam) or
 * SendBatchSms (up to 100, one sign and parameter set per number) is checked
 * against the registered signatures and approved templates, the per-number
 * daily cap and the balance, answered in the service's shape with one BizId
 * per request, and each accepted number's SmsReport is queued for
 * --dlr-url.  Parameters may come in the query string (as the official SDKs
 * send them) or a form body.
 */
#include <inttypes.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <strings.h>

#include "base/utf8.h"
#include "sim.h"

#define ALI_ALGO     "ACS3-HMAC-SHA256"
#define ALI_VERSION  "2017-05-25"
#define ALI_SKEW_S   (15 * 60)
#define ALI_MAX_SEND 1000
#define ALI_MAX_BATCH 100

/* One request being served. */
struct ali {
	struct sim *s;
	struct MHD_Connection *c;
	struct req *r;
	const char *method, *action;
	uint64_t n;
	char rid[40];
	struct params p;
	char body_sha[65];
};

/* One number of a send. */
struct ali_num {
	char nat[12];
	const char *sign;
	json_t *params;  /* borrowed: the request's TemplateParam(Json) */
};

/* The error answer {"RequestId","Message","Code"} (plus HostId and
 * Recommend, as the gateway adds them, when status is not 200). */
static enum MHD_Result ali_error(struct ali *a, unsigned status, const char *code, const char *msg)
{
	char rec[256];
	json_t *o;
	char *body;

	if (status == 200) {
		o = json_pack("{s:s,s:s,s:s}", "RequestId", a->rid, "Message", msg, "Code", code);
	} else {
		snprintf(rec, sizeof rec, "https://api.aliyun.com/troubleshoot?q=%s&product=Dysmsapi", code);
		o = json_pack("{s:s,s:s,s:s,s:s,s:s}", "RequestId", a->rid, "HostId",
			      "dysmsapi.aliyuncs.com", "Code", code, "Message", msg, "Recommend", rec);
	}
	body = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (body == NULL)
		return MHD_NO;
	return sim_reply_owned(a->s, a->c, a->r, status, body, strlen(body));
}

/* An answer to a request refused before its numbers are read, recorded with to null. */
static enum MHD_Result ali_early(struct ali *a, unsigned status, const char *code, const char *msg)
{
	sim_cn_record(a->s, &(struct cn_line){ .n = a->n, .action = a->action, .code = code,
					       .outcome = "rejected", .status = status });
	return ali_error(a, status, code, msg);
}

static const char *qparam(const struct ali *a, const char *key)
{
	return sim_param(&a->p, key).p;
}

/* ---- the signature ---------------------------------------------------------- */

struct kv {
	const char *k, *v;
	size_t kn, vn;
};

static enum MHD_Result collect_query(void *cls, enum MHD_ValueKind kind, const char *key,
				     size_t key_size, const char *value, size_t value_size)
{
	struct {
		struct kv kv[MAX_PARAMS];
		unsigned n;
		bool overflow;
	} *q = cls;

	(void)kind;
	if (q->n == MAX_PARAMS) {
		q->overflow = true;
		return MHD_NO;
	}
	q->kv[q->n++] = (struct kv){ key, value != NULL ? value : "", key_size,
				     value != NULL ? value_size : 0 };
	return MHD_YES;
}

static int kv_cmp(const void *x, const void *y)
{
	const struct kv *a = x, *b = y;
	size_t n = a->kn < b->kn ? a->kn : b->kn;
	int c = memcmp(a->k, b->k, n);

	if (c != 0 || a->kn != b->kn)
		return c != 0 ? c : a->kn < b->kn ? -1 : 1;
	n = a->vn < b->vn ? a->vn : b->vn;
	c = memcmp(a->v, b->v, n);
	return c != 0 ? c : a->vn < b->vn ? -1 : a->vn > b->vn;
}

/* The canonical query string: every query parameter, sorted, RFC 3986-encoded. */
static int canon_query(struct ali *a, struct buf *out)
{
	struct {
		struct kv kv[MAX_PARAMS];
		unsigned n;
		bool overflow;
	} q = { .n = 0 };

	MHD_get_connection_values_n(a->c, MHD_GET_ARGUMENT_KIND, collect_query, &q);
	if (q.overflow)
		return -1;
	qsort(q.kv, q.n, sizeof q.kv[0], kv_cmp);
	for (unsigned i = 0; i < q.n; i++) {
		if ((i > 0 && buf_add(out, "&", 1) < 0) || sim_rfc3986(out, q.kv[i].k, q.kv[i].kn) < 0 ||
		    buf_add(out, "=", 1) < 0 || sim_rfc3986(out, q.kv[i].v, q.kv[i].vn) < 0)
			return -1;
	}
	return 0;
}

/* Every x-acs-* header that arrived must be signed (and host). */
struct hdrcheck {
	const char *names;
	size_t nlen;
	bool ok;
};

static enum MHD_Result check_signed(void *cls, enum MHD_ValueKind kind, const char *key,
				    const char *value)
{
	struct hdrcheck *h = cls;
	char lower[128];
	size_t n = strlen(key);

	(void)kind;
	(void)value;
	if (n >= sizeof lower || strncasecmp(key, "x-acs-", 6) != 0)
		return MHD_YES;
	for (size_t i = 0; i <= n; i++)
		lower[i] = (char)(key[i] >= 'A' && key[i] <= 'Z' ? key[i] + 32 : key[i]);
	if (!sim_names_have(h->names, h->nlen, lower))
		h->ok = false;
	return MHD_YES;
}

/* Splits "ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=a;b,Signature=HEX". */
static int parse_auth(const char *auth, struct field *ak, struct field *names, struct field *sig)
{
	static const char *const keys[] = { "Credential=", "SignedHeaders=", "Signature=" };
	struct field *out[] = { ak, names, sig };
	const char *p;

	if (auth == NULL || strncmp(auth, ALI_ALGO " ", sizeof ALI_ALGO) != 0)
		return -1;
	p = auth + sizeof ALI_ALGO;
	for (int i = 0; i < 3; i++) {
		size_t kl = strlen(keys[i]), n;

		p += strspn(p, " ");
		if (strncmp(p, keys[i], kl) != 0)
			return -1;
		p += kl;
		n = strcspn(p, ",");
		*out[i] = (struct field){ p, n };
		if (n == 0)
			return -1;
		p += n;
		if (*p == ',')
			p++;
	}
	return *p == '\0' ? 0 : -1;
}

/* x-acs-date "YYYY-MM-DDTHH:MM:SSZ": -1 unreadable, 1 too far from now, 0 fine. */
static int check_date(const char *d)
{
	struct tm tm = { 0 };
	char *end;
	time_t t;

	if (d == NULL || (end = strptime(d, "%Y-%m-%dT%H:%M:%SZ", &tm)) == NULL || *end != '\0')
		return -1;
	t = timegm(&tm);
	return llabs((long long)(t - time(NULL))) > ALI_SKEW_S ? 1 : 0;
}

/* Returns 0 when the request is signed right; else answers it (*done set). */
static enum MHD_Result ali_verify(struct ali *a, bool *done)
{
	struct MHD_Connection *c = a->c;
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	const char *nonce = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "x-acs-signature-nonce");
	struct field ak, names, sig;
	struct hdrcheck hc;
	struct buf cr;
	char sts[128], hash[65], want[65];
	unsigned char mac[32];
	int rc;

	*done = true;
	if (parse_auth(auth, &ak, &names, &sig) < 0 || nonce == NULL || *nonce == '\0')
		return ali_early(a, 400, "IncompleteSignature",
				 "The request signature does not conform to Aliyun standards.");
	if (ak.n != strlen(a->s->cn->key_id) || memcmp(ak.p, a->s->cn->key_id, ak.n) != 0)
		return ali_early(a, 404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.");
	rc = check_date(MHD_lookup_connection_value(c, MHD_HEADER_KIND, "x-acs-date"));
	if (rc < 0)
		return ali_early(a, 400, "InvalidTimeStamp.Format",
				 "Specified time stamp or date value is not well formatted.");
	if (rc > 0)
		return ali_early(a, 400, "InvalidTimeStamp.Expired",
				 "Specified time stamp or date value is expired.");
	hc = (struct hdrcheck){ names.p, names.n, sim_names_have(names.p, names.n, "host") };
	MHD_get_connection_values(c, MHD_HEADER_KIND, check_signed, &hc);
	buf_init(&cr, a->s->body_max * 4 + 65536);
	rc = buf_printf(&cr, "%s\n/\n", a->method);
	if (rc == 0)
		rc = canon_query(a, &cr);
	if (rc == 0)
		rc = buf_add(&cr, "\n", 1);
	if (rc == 0 && (!hc.ok || sim_canon_headers(c, names.p, names.n, false, &cr) < 0))
		rc = 1;
	if (rc == 0)
		rc = buf_printf(&cr, "\n%.*s\n%s", (int)names.n, names.p, a->body_sha);
	if (rc == 0) {
		sim_sha256_hex(cr.data, cr.len, hash);
		snprintf(sts, sizeof sts, ALI_ALGO "\n%s", hash);
		sim_hmac256(a->s->cn->key_secret, strlen(a->s->cn->key_secret), sts, strlen(sts), mac);
		sim_hex(mac, sizeof mac, want);
	}
	buf_free(&cr);
	if (rc < 0)
		return MHD_NO;  /* out of memory */
	if (rc > 0 || sig.n != 64 || CRYPTO_memcmp(sig.p, want, 64) != 0)
		return ali_early(a, 400, "SignatureDoesNotMatch",
				 "Specified signature does not match our calculation.");
	rc = sim_nonce_use(a->s, nonce);
	if (rc <= 0)
		return rc < 0 ? MHD_NO : ali_early(a, 400, "SignatureNonceUsed",
						   "Specified signature nonce was used already.");
	*done = false;
	return MHD_YES;
}

/* ---- sending ------------------------------------------------------------------ */

/* The rendered values of one number's template, checked; NULL vals on a refusal (code set). */
static int ali_values(const struct sim *s, const struct cn_tmpl *t, json_t *params,
		      const char **vals, const char **code, const char **msg)
{
	for (size_t i = 0; i < t->nph; i++) {
		json_t *v = json_object_get(params, t->ph[i]);
		const char *sv = json_string_value(v);
		size_t chars = 0;

		if (v == NULL) {
			*code = "isv.TEMPLATE_MISSING_PARAMETERS";
			*msg = "模板变量缺少对应参数值";
			return -1;
		}
		if (sv == NULL) {
			*code = "isv.INVALID_JSON_PARAM";
			*msg = "JSON参数不合法，只接受字符串值";
			return -1;
		}
		for (const char *p = sv; *p != '\0'; p++)
			chars += ((unsigned char)*p & 0xc0) != 0x80;
		if (s->o.max_param > 0 && chars > (size_t)s->o.max_param) {
			*code = "isv.PARAM_LENGTH_LIMIT";
			*msg = "参数超出长度限制";
			return -1;
		}
		if (strcasestr(sv, "http://") != NULL || strcasestr(sv, "https://") != NULL ||
		    strcasestr(sv, "www.") != NULL) {
			*code = "isv.PARAM_NOT_SUPPORT_URL";
			*msg = "不支持url为变量";
			return -1;
		}
		vals[i] = sv;
	}
	return 0;
}

/* Appends one SmsReport item for an accepted number (times: the request's). */
static int report_item(struct ali *a, struct buf *items, const char *nat, const char *biz,
		       const char *out_id_json, int parts, size_t i, enum cap_result cap,
		       const char *sent, const char *rep)
{
	struct sim *s = a->s;
	bool capped = cap != CAP_OK;
	bool ok = !capped && !chance(s, PER_NUMBER_KEY(a->n, i), K_DLR, atomic_load(&s->dlr_fail_ppb));
	char lim[64] = "";

	if (capped)
		sim_cap_message(s, cap, lim, sizeof lim);
	return buf_printf(items, "%s{\"phone_number\":\"%s\",\"send_time\":\"%s\",\"report_time\":\"%s\","
			  "\"success\":%s,\"err_code\":\"%s\",\"err_msg\":\"%s\",\"sms_size\":\"%d\","
			  "\"biz_id\":\"%s\",\"out_id\":%s}", items->len > 0 ? "," : "", nat, sent, rep,
			  ok ? "true" : "false",
			  ok ? "DELIVERED" : capped ? "isv.BUSINESS_LIMIT_CONTROL" : "MN:0001",
			  ok ? "用户接收成功" : capped ? lim : "空号", parts, biz, out_id_json);
}

/* Queues the items gathered so far as one push. */
static void flush_items(struct sim *s, struct buf *items, size_t *count)
{
	if (*count == 0)
		return;
	sim_push(s, s->o.dlr_url, buf_steal(items), *count, true, s->o.dlr_delay_ms);
	*count = 0;
}

/* Everything after the checks: BizId, caps of a batch, records, ids, reports, the answer. */
static enum MHD_Result ali_accept(struct ali *a, const struct cn_tmpl *t, struct ali_num *num,
				  size_t nn, const char *out_id)
{
	struct sim *s = a->s;
	const char **vals = calloc(t->nph + 1, sizeof *vals);
	json_t *joid = json_string(out_id != NULL ? out_id : "");
	char biz[48], ref[64], *oid = joid != NULL ? json_dumps(joid, JSON_ENCODE_ANY) : NULL;
	int64_t now = clock_ms(CLOCK_REALTIME) / 1000;
	struct buf text, items;
	size_t pending = 0;
	const char *code, *msg;
	int parts = 1, rc = 0;
	char sent[20], rep[20];
	struct pcache pc = { NULL, NULL };
	uint64_t th = 0;
	json_t *o;
	char *body;

	json_decref(joid);
	buf_init(&text, s->body_max);
	buf_init(&items, 1 << 26);
	sim_cn_time(now, sent);
	sim_cn_time(now + (s->o.dlr_delay_ms + 999) / 1000, rep);
	snprintf(biz, sizeof biz, "%" PRId64 "%06" PRIu64 "^0", clock_ms(CLOCK_REALTIME) / 1000,
		 atomic_fetch_add(&s->cn->next_biz, 1) % 1000000);
	for (size_t i = 0; i < nn && vals != NULL && oid != NULL && rc == 0; i++) {
		enum cap_result cap = nn > 1 ? sim_cap_take(s, num[i].nat) : CAP_OK;
		bool capped = cap != CAP_OK;

		if (i == 0 || num[i].params != num[i - 1].params || num[i].sign != num[i - 1].sign) {
			buf_truncate(&text, 0);
			ali_values(s, t, num[i].params, vals, &code, &msg);  /* checked before */
			rc = sim_cn_render(num[i].sign, t, vals, &text, &parts);
			/* the id of a message: (number, OutId, text), the text hashed once */
			th = sim_hash((struct field){ out_id ? out_id : "", out_id ? strlen(out_id) : 0 }, 0);
			th = sim_hash((struct field){ "|", 1 }, th);
			th = rc == 0 ? sim_hash((struct field){ text.data, text.len }, th) : th;
		}
		snprintf(ref, sizeof ref, "%s:%s", biz, num[i].nat);
		if (rc == 0 && !capped) {
			int added = sim_idset_add_hash(s, sim_hash((struct field){ num[i].nat, 11 }, th));

			if (added >= 0)
				atomic_fetch_add(added == 1 ? &s->ctr.unique_ids : &s->ctr.duplicates, 1);
		}
		atomic_fetch_add(capped ? &s->ctr.numbers_refused : &s->ctr.numbers_accepted, 1);
		sim_cn_record(s, &(struct cn_line){ a->n, a->action, num[i].nat, text.data, num[i].sign,
						    t->code, s->rec != NULL ? sim_pcache(&pc, num[i].params) : NULL, out_id,
						    capped ? "isv.BUSINESS_LIMIT_CONTROL" : "OK", ref,
						    capped ? "limited" : "accepted", 200, parts });
		if (rc == 0 && s->o.dlr_url != NULL) {
			rc = report_item(a, &items, num[i].nat, biz, oid, parts, i, cap, sent, rep);
			if (++pending == (size_t)s->o.push_batch)
				flush_items(s, &items, &pending);
		}
	}
	flush_items(s, &items, &pending);
	buf_free(&items);
	buf_free(&text);
	sim_pcache_free(&pc);
	free(vals);
	free(oid);
	atomic_fetch_add(&s->ctr.accepted, 1);
	o = json_pack("{s:s,s:s,s:s,s:s}", "Message", "OK", "RequestId", a->rid, "Code", "OK", "BizId", biz);
	body = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return body != NULL ? sim_reply_owned(s, a->c, a->r, 200, body, strlen(body)) : MHD_NO;
}

/* Records every number of a refused send and answers with the code. */
static enum MHD_Result ali_refuse(struct ali *a, struct ali_num *num, size_t nn, const char *tmpl,
				  unsigned status, const char *code, const char *msg)
{
	struct pcache pc = { NULL, NULL };

	atomic_fetch_add(&a->s->ctr.rejected, 1);
	atomic_fetch_add(&a->s->ctr.numbers_refused, nn);
	for (size_t i = 0; a->s->rec != NULL && i < nn; i++)
		sim_cn_record(a->s, &(struct cn_line){ a->n, a->action, num[i].nat, NULL, num[i].sign,
						       tmpl, sim_pcache(&pc, num[i].params), qparam(a, "OutId"),
						       code, NULL,
						       str_is(code, "isv.BUSINESS_LIMIT_CONTROL") ? "limited" : "rejected",
						       status, 0 });
	sim_pcache_free(&pc);
	if (nn == 0)
		sim_cn_record(a->s, &(struct cn_line){ .n = a->n, .action = a->action, .code = code,
						       .outcome = "rejected", .status = status });
	return ali_error(a, status, code, msg);
}

/* The numbers of SendSms (PhoneNumbers "a,b,c") or SendBatchSms (PhoneNumberJson). */
static int ali_numbers(struct ali *a, json_t *phones, struct ali_num **out, size_t *nn,
		       const char **code, const char **msg)
{
	const char *list = qparam(a, "PhoneNumbers"), *p;
	size_t n = 1, max = phones != NULL ? ALI_MAX_BATCH : ALI_MAX_SEND;
	struct ali_num *num;

	if (phones != NULL)
		n = json_array_size(phones);
	else
		for (p = list; *p != '\0'; p++)
			n += *p == ',';
	*nn = 0;
	sim_cn_count_batch(a->s, n);
	if (n > max) {
		*code = "isv.MOBILE_COUNT_OVER_LIMIT";
		*msg = phones != NULL ? "手机号码数量超过限制，最多支持100条" : "手机号码数量超过限制，最多支持1000条";
		return -1;
	}
	num = *out = calloc(n, sizeof *num);
	if (num == NULL)
		return -2;
	for (size_t i = 0; i < n; i++) {
		const char *v = phones != NULL ? json_string_value(json_array_get(phones, i)) : list;
		size_t len = v == NULL ? 0 : phones != NULL ? strlen(v) : strcspn(v, ",");
		char e164[16];

		if (phones == NULL)
			list += len + (list[len] == ',');
		if (v == NULL || sim_cn_number(v, len, num[i].nat) < 0)
			goto bad;
		snprintf(e164, sizeof e164, "+86%s", num[i].nat);
		if (sim_is_denied(a->s, e164))
			goto bad;
		*nn = i + 1;
	}
	return 0;
bad:
	*code = "isv.MOBILE_NUMBER_ILLEGAL";
	*msg = "非法手机号";
	return -1;
}

/* The injected failures of the generic knobs, a forced error and the balance. */
static bool ali_injected(struct ali *a, enum MHD_Result *ret)
{
	struct sim *s = a->s;
	char code[96], msg[256];

	if (sim_cn_forced(s, code, sizeof code, msg, sizeof msg)) {
		atomic_fetch_add(&s->ctr.rejected, 1);
		*ret = ali_early(a, 200, code, msg);
	} else if (!atomic_load(&s->cn->balance)) {
		atomic_fetch_add(&s->ctr.rejected, 1);
		*ret = ali_early(a, 200, "isv.AMOUNT_NOT_ENOUGH", "账户余额不足");
	} else if (chance(s, a->n, K_429, atomic_load(&s->rate429_ppb))) {
		atomic_fetch_add(&s->ctr.failed, 1);
		*ret = ali_early(a, 400, "Throttling.User", "Request was denied due to user flow control.");
	} else if (chance(s, a->n, K_FAIL, atomic_load(&s->fail_ppb))) {
		atomic_fetch_add(&s->ctr.failed, 1);
		*ret = atomic_load(&s->fail_status) == 500
		       ? ali_early(a, 500, "InternalError", "The request processing has failed due to some unknown error.")
		       : ali_early(a, 503, "ServiceUnavailable", "The request has failed due to a temporary failure of the server.");
	} else {
		return false;
	}
	return true;
}

/* SendSms / SendBatchSms once the signature is right. */
static enum MHD_Result ali_send(struct ali *a)
{
	bool batch = str_is(a->action, "SendBatchSms");
	const char *tcode = qparam(a, "TemplateCode"), *code = NULL, *msg = NULL;
	json_t *phones = NULL, *signs = NULL, *params = NULL;
	const char *need = batch ? "PhoneNumberJson" : "PhoneNumbers";
	const char *psrc = qparam(a, batch ? "TemplateParamJson" : "TemplateParam");
	struct ali_num *num = NULL;
	const struct cn_tmpl *t;
	const char **vals = NULL;
	enum cap_result cap;
	enum MHD_Result ret;
	char lim[64];
	size_t nn = 0;
	int rc;

	if (qparam(a, need) == NULL || *qparam(a, need) == '\0' ||
	    qparam(a, batch ? "SignNameJson" : "SignName") == NULL || tcode == NULL) {
		char mcode[64], mmsg[128];
		const char *miss = qparam(a, need) == NULL || *qparam(a, need) == '\0' ? need
				   : tcode == NULL ? "TemplateCode" : batch ? "SignNameJson" : "SignName";

		snprintf(mcode, sizeof mcode, "Missing%s", miss);
		snprintf(mmsg, sizeof mmsg, "%s is mandatory for this action.", miss);
		return ali_refuse(a, NULL, 0, tcode, 400, mcode, mmsg);
	}
	if (batch) {
		phones = json_loads(qparam(a, "PhoneNumberJson"), 0, NULL);
		signs = json_loads(qparam(a, "SignNameJson"), 0, NULL);
		params = psrc != NULL ? json_loads(psrc, 0, NULL) : json_array();
		if (!json_is_array(phones) || !json_is_array(signs) || !json_is_array(params)) {
			ret = ali_refuse(a, NULL, 0, tcode, 200, "isv.INVALID_JSON_PARAM", "JSON参数不合法");
			goto out;
		}
	} else {
		params = psrc != NULL ? json_loads(psrc, 0, NULL) : json_object();
	}
	rc = ali_numbers(a, phones, &num, &nn, &code, &msg);
	if (rc == -2) {
		ret = MHD_NO;
		goto out;
	}
	for (size_t i = 0; i < nn; i++) {
		num[i].sign = batch ? json_string_value(json_array_get(signs, i)) : qparam(a, "SignName");
		num[i].params = batch ? json_array_get(params, i) : params;
	}
	if (rc == 0 && batch && (json_array_size(signs) != nn || (psrc != NULL && json_array_size(params) != nn))) {
		code = "isv.INVALID_PARAMETERS";
		msg = "参数异常：PhoneNumberJson、SignNameJson、TemplateParamJson的个数必须一致";
		rc = -1;
	}
	for (size_t i = 0; rc == 0 && i < nn; i++) {
		if (i > 0 && num[i].sign == num[i - 1].sign)
			continue;
		if (!sim_cn_sign_known(a->s, num[i].sign)) {
			code = "isv.SMS_SIGNATURE_ILLEGAL";
			msg = "该账号下找不到对应签名";
			rc = -1;
		}
	}
	t = sim_cn_template(a->s, tcode);
	if (rc == 0 && t == NULL) {
		code = "isv.SMS_TEMPLATE_ILLEGAL";
		msg = "该账号下找不到对应模板";
		rc = -1;
	}
	vals = rc == 0 ? calloc(t->nph + 1, sizeof *vals) : NULL;
	for (size_t i = 0; rc == 0 && i < nn; i++) {
		if (i > 0 && num[i].params == num[i - 1].params)
			continue;  /* SendSms: one set of values for every number */
		if (!json_is_object(num[i].params) && !(psrc == NULL && t->nph == 0)) {
			code = "isv.INVALID_JSON_PARAM";
			msg = "JSON参数不合法，只接受字符串值";
			rc = -1;
		} else if (vals == NULL || ali_values(a->s, t, num[i].params, vals, &code, &msg) < 0) {
			rc = -1;
		}
	}
	if (rc == 0 && nn == 1 && (cap = sim_cap_take(a->s, num[0].nat)) != CAP_OK) {
		sim_cap_message(a->s, cap, lim, sizeof lim);
		code = "isv.BUSINESS_LIMIT_CONTROL";
		msg = lim;
		rc = -1;
	}
	if (rc == 0)
		ret = ali_accept(a, t, num, nn, qparam(a, "OutId"));
	else
		ret = ali_refuse(a, num, nn, tcode, 200, code, msg);
out:
	free(vals);
	free(num);
	json_decref(phones);
	json_decref(signs);
	json_decref(params);
	return ret;
}

enum MHD_Result sim_aliyun_serve(struct sim *s, struct MHD_Connection *c, struct req *r,
				 const char *method)
{
	struct ali a = { .s = s, .c = c, .r = r, .method = method };
	const char *version;
	enum MHD_Result ret;
	bool done;

	a.n = atomic_fetch_add(&s->ctr.requests, 1) + 1;
	if (sim_is_dropped(s, a.n)) {
		atomic_fetch_add(&s->ctr.dropped, 1);
		return MHD_NO;
	}
	sim_cn_request_id(s, a.rid);
	a.action = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "x-acs-action");
	if (r->too_big) {
		atomic_fetch_add(&s->ctr.rejected, 1);
		return ali_early(&a, 413, "RequestTooLarge", "The request body is too large.");
	}
	sim_sha256_hex(r->body, r->len, a.body_sha);  /* before the form body is decoded in place */
	ret = ali_verify(&a, &done);
	if (done) {
		atomic_fetch_add(&s->ctr.auth_failures, 1);
		atomic_fetch_add(&s->ctr.rejected, 1);
		return ret;
	}
	sim_params_collect(c, r, &a.p);
	version = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "x-acs-version");
	if (!str_is(a.action, "SendSms") && !str_is(a.action, "SendBatchSms")) {
		atomic_fetch_add(&s->ctr.rejected, 1);
		return ali_early(&a, 404, "InvalidAction.NotFound",
				 "Specified api is not found, please check your url and method.");
	}
	if (!str_is(version, ALI_VERSION)) {
		atomic_fetch_add(&s->ctr.rejected, 1);
		return ali_early(&a, 400, "InvalidVersion", "Specified parameter Version is not valid.");
	}
	if (a.p.overflow) {
		atomic_fetch_add(&s->ctr.rejected, 1);
		return ali_early(&a, 400, "InvalidParameter", "Too many parameters.");
	}
	if (ali_injected(&a, &ret))
		return ret;
	return ali_send(&a);
}
