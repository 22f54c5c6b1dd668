/*
 * provider_kannel.c - Kannel's /cgi-bin/sendsms as a provider backend.
 * The request carries username, password, to, text (UTF-8, charset=UTF-8,
 * coding=2 when the text needs UCS-2 so that Kannel converts it), from,
 * smsc, dlr-mask and dlr-url, as a query string (GET, the classic form) or
 * a form body (POST).  Kannel puts no signature in front of a message, so
 * this backend prepends 【signature】 itself unless told not to.
 *
 * Replies, as Kannel's user guide documents them: 202 "0: Accepted for
 * delivery" and 202 "3: Queued for later delivery" are accepted; 4xx
 * (authorization failed, missing receiver, number denied by white/black
 * lists, charset conversion failed, "Not routable. Do not try again.")
 * can never succeed and are permanent; 503 "Temporal failure, try again
 * later." is temporary.  Kannel returns no message id, so the message's own
 * reference ("duban-<id>", also in dlr-url) is the provider reference.
 * Delivery reports and replies come back on the URLs Kannel is given
 * (dlr-url, an sms-service's get-url), in the fields named below.
 */
#include "provider/provider.h"
#include "base/buf.h"
#include "base/str.h"

#include <stdlib.h>
#include <string.h>

/* What a provider of type "kannel" adds to its struct provider_conf, as
 * pc->backend. */
struct kannel_conf {
	struct ptmpl username, password, from, smsc, dlr_url;
	long dlr_mask; /* 0: no delivery reports asked */
	bool post;     /* form body instead of a query string */
	bool national; /* send Chinese numbers without +86 */
	bool sign;     /* prepend 【signature】 to the text */
};

static const char *const kannel_keys[] = {
	"username", "password", "from", "smsc", "dlr_mask", "dlr_url", "method", "national",
	"sign", NULL
};

static void
tmpl_key(struct cfgval *cv, const config_setting_t *g, const char *key, bool allow_msg,
	 bool required, struct ptmpl *t)
{
	const char *s;
	char what[48];

	snprintf(what, sizeof(what), "'%s'", key);
	if (cfgval_string(cv, g, key, &s) == 1)
		ptmpl_parse(cv, config_setting_get_member(g, key), what, s, allow_msg, t);
	else if (required && config_setting_get_member(g, key) == NULL)
		cfgval_error(cv, g, "a kannel provider needs '%s'", key);
}

static void
kannel_parse(struct cfgval *cv, const config_setting_t *g, struct provider_conf *pc)
{
	static const char *const methods[] = { "GET", "POST", NULL };
	struct kannel_conf *kc = calloc(1, sizeof(*kc));
	long v;
	int w;

	if (kc == NULL) {
		cfgval_error(cv, g, "out of memory");
		return;
	}
	pc->backend = kc;
	kc->sign = true;
	tmpl_key(cv, g, "username", false, true, &kc->username);
	tmpl_key(cv, g, "password", false, true, &kc->password);
	tmpl_key(cv, g, "from", false, false, &kc->from);
	tmpl_key(cv, g, "smsc", false, false, &kc->smsc);
	tmpl_key(cv, g, "dlr_url", true, false, &kc->dlr_url);
	if (cfgval_int(cv, g, "dlr_mask", 0, 255, &v) == 1)
		kc->dlr_mask = v;
	if (kc->dlr_mask != 0 && kc->dlr_url.n == 0)
		cfgval_error(cv, config_setting_get_member(g, "dlr_mask"),
			     "'dlr_mask' asks for delivery reports: give 'dlr_url' too");
	if (cfgval_word(cv, g, "method", methods, &w) == 1)
		kc->post = strcmp(methods[w], "POST") == 0;
	cfgval_bool(cv, g, "national", &kc->national);
	cfgval_bool(cv, g, "sign", &kc->sign);
}

static void
kannel_free(struct provider_conf *pc)
{
	struct kannel_conf *kc = pc->backend;

	if (kc == NULL)
		return;
	ptmpl_free(&kc->username);
	ptmpl_free(&kc->password);
	ptmpl_free(&kc->from);
	ptmpl_free(&kc->smsc);
	ptmpl_free(&kc->dlr_url);
	free(kc);
	pc->backend = NULL;
}

static int
add_lit(struct buf *out, const char *name, const char *val, bool form)
{
	return (out->len > 0 && buf_add(out, "&", 1) != 0) || buf_adds(out, name) != 0 ||
			       buf_add(out, "=", 1) != 0 ||
			       provider_url_escape(out, val, strlen(val), form) != 0
		       ? -1
		       : 0;
}

static int
add_tmpl(struct buf *out, const char *name, const struct ptmpl *t, const struct provider_msg *m,
	 bool form)
{
	if (t->n == 0)
		return 0;
	return (out->len > 0 && buf_add(out, "&", 1) != 0) || buf_adds(out, name) != 0 ||
			       buf_add(out, "=", 1) != 0 ||
			       ptmpl_expand(t, m, form ? ESC_FORM : ESC_URL, out) != 0
		       ? -1
		       : 0;
}

static int
add_text(struct buf *out, const struct kannel_conf *kc, const struct provider_msg *m, bool form)
{
	const char *sig = m->signature ? m->signature : "";

	if (buf_adds(out, "&text=") != 0)
		return -1;
	if (kc->sign && *sig) {
		if (provider_url_escape(out, "【", strlen("【"), form) != 0 ||
		    provider_url_escape(out, sig, strlen(sig), form) != 0 ||
		    provider_url_escape(out, "】", strlen("】"), form) != 0)
			return -1;
	}
	return provider_url_escape(out, m->text, strlen(m->text), form);
}

static int
kannel_build(const struct provider_conf *pc, const struct provider_msg *m,
	     struct provider_req *req, char *err, size_t errlen)
{
	const struct kannel_conf *kc = pc->backend;
	struct buf *q = kc->post ? &req->body : &req->url;
	const char *to = m->phone;
	char mask[24];

	req->post = kc->post;
	if (ptmpl_expand(&pc->url, m, ESC_NONE, &req->url) != 0)
		goto full;
	if (!kc->post && buf_adds(&req->url, strchr(req->url.data, '?') ? "&" : "?") != 0)
		goto full;
	if (kc->national && strncmp(to, "+86", 3) == 0)
		to += 3;
	/* username comes first, without '&' (the URL already ends in '?' or
	 * '&'); add_* put '&' before every later pair. */
	if (buf_adds(q, "username=") != 0 ||
	    ptmpl_expand(&kc->username, m, kc->post ? ESC_FORM : ESC_URL, q) != 0 ||
	    add_tmpl(q, "password", &kc->password, m, kc->post) != 0 ||
	    add_lit(q, "to", to, kc->post) != 0 || add_text(q, kc, m, kc->post) != 0 ||
	    add_lit(q, "charset", "UTF-8", kc->post) != 0 ||
	    add_lit(q, "coding", m->ucs2 ? "2" : "0", kc->post) != 0 ||
	    add_tmpl(q, "from", &kc->from, m, kc->post) != 0 ||
	    add_tmpl(q, "smsc", &kc->smsc, m, kc->post) != 0)
		goto full;
	if (kc->dlr_mask > 0) {
		snprintf(mask, sizeof(mask), "%ld", kc->dlr_mask);
		if (add_lit(q, "dlr-mask", mask, kc->post) != 0 ||
		    add_tmpl(q, "dlr-url", &kc->dlr_url, m, kc->post) != 0)
			goto full;
	}
	if (kc->post &&
	    buf_adds(&req->headers, "Content-Type: application/x-www-form-urlencoded\n") != 0)
		goto full;
	return 0;
full:
	snprintf(err, errlen, "request longer than %d bytes",
		 kc->post ? PROVIDER_BODY_MAX : PROVIDER_URL_MAX);
	return -1;
}

/* Kannel's "N: text" reply code, or -1. */
static long
reply_code(const char *body, size_t len)
{
	long code = 0;
	size_t i = 0;

	while (i < len && body[i] == ' ')
		i++;
	if (i >= len || body[i] < '0' || body[i] > '9')
		return -1;
	for (; i < len && body[i] >= '0' && body[i] <= '9' && code < 1000; i++)
		code = code * 10 + (body[i] - '0');
	return i < len && body[i] == ':' ? code : -1;
}

static void
kannel_classify(const struct provider_conf *pc, const struct provider_msg *m,
		const struct provider_reply *r, struct provider_verdict *v)
{
	const char *body = r->body ? r->body : "";
	long code = reply_code(body, r->len);
	char why[PROVIDER_REASON_MAX - 32];

	(void)pc;
	v->provider_fault = r->status >= 500;
	if (r->status >= 200 && r->status < 300 && (code == 0 || code == 3)) {
		v->result = PROVIDER_ACCEPTED;
		provider_msg_ref(m->id, v->ref, sizeof(v->ref));
		return;
	}
	if (r->status >= 500 || r->status == 429 || r->status == 408)
		v->result = PROVIDER_TRANSIENT;
	else if (r->status >= 400)
		v->result = PROVIDER_PERMANENT;
	else if (r->status >= 200 && r->status < 300)
		v->result = PROVIDER_PERMANENT; /* an answer Kannel does not document */
	else
		v->result = PROVIDER_TRANSIENT;
	provider_excerpt(body, r->len, why, sizeof(why));
	snprintf(v->reason, sizeof(v->reason), "HTTP %ld%s%s", r->status, why[0] ? ": " : "", why);
}

/* ---- delivery reports and replies ---------------------------------------------- */

/*
 * Kannel calls the dlr-url duban sent with each message; configure it as
 *   dlr_url = "http://HOST:PORT/callbacks/dlr/NAME/SECRET?ref={{id}}&type=%d&reason=%A";
 * %d is 1 delivered, 2 failed, 4 buffered, 8 accepted by the SMSC, 16
 * rejected by the SMSC.  Replies come from an sms-service with
 *   get-url = "http://HOST:PORT/callbacks/mo/NAME/SECRET?from=%p&to=%P&text=%a&id=%I"
 */
static int
kannel_dlr(const struct provider_conf *pc, const struct provider_cb_req *r,
	   struct provider_dlr *out, char *err, size_t errlen)
{
	char type[16], why[128];
	long t;

	(void)pc;
	if (provider_cb_get(r, "ref", PROVIDER_CB_REQUIRED, out->ref, sizeof(out->ref), err,
			    errlen) != 0 ||
	    provider_cb_get(r, "type", PROVIDER_CB_REQUIRED, type, sizeof(type), err, errlen) != 0)
		return -1;
	if (parse_long(type, 0, 1 << 16, &t) != 0) {
		snprintf(err, errlen,
			 "field \"type\" must be Kannel's %%d (1, 2, 4, 8 or 16), not \"%s\"",
			 type);
		return -1;
	}
	provider_cb_get(r, "reason", PROVIDER_CB_OPTIONAL, why, sizeof(why), err, errlen);
	if (t & 1)
		out->state = PROVIDER_DLR_DELIVERED;
	else if (t & (2 | 16))
		out->state = PROVIDER_DLR_FAILED;
	else
		out->state = PROVIDER_DLR_PENDING;
	snprintf(out->reason, sizeof(out->reason), "kannel type %ld%s%s", t, why[0] ? ": " : "",
		 why);
	return 0;
}

static int
kannel_mo(const struct provider_conf *pc, const struct provider_cb_req *r, struct provider_mo *out,
	  char *err, size_t errlen)
{
	(void)pc;
	if (provider_cb_get(r, "from", PROVIDER_CB_REQUIRED, out->from, sizeof(out->from), err,
			    errlen) != 0 ||
	    provider_cb_get(r, "text", PROVIDER_CB_PRESENT, out->text, sizeof(out->text), err,
			    errlen) != 0)
		return -1;
	provider_cb_get(r, "to", PROVIDER_CB_OPTIONAL, out->to, sizeof(out->to), err, errlen);
	provider_cb_get(r, "id", PROVIDER_CB_OPTIONAL, out->ref, sizeof(out->ref), err, errlen);
	return 0;
}

const struct provider_ops provider_kannel_ops = {
	.type = "kannel",
	.keys = kannel_keys,
	.parse = kannel_parse,
	.build = kannel_build,
	.classify = kannel_classify,
	.free = kannel_free,
	.dlr = kannel_dlr,
	.mo = kannel_mo,
	.templated = false,
	.batch_same = 1,
	.batch_distinct = 1,
};
