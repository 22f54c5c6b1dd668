/*
 * provider_http.c - the generic HTTP backend: everything about the
 * provider's API is configuration.  The request is a URL with a method
 * (GET or POST), parameters sent as a query string, a form or a JSON object,
 * and headers, all of them templates over the message; the reply is
 * classified first by body rules (a JSON field's value or a regex saying
 * "permanent" or "temporary"), then by HTTP status (lists given in the
 * configuration, else 2xx accepted, 408/425/429/5xx temporary, other 4xx
 * permanent).  Without parameters it speaks the format of duban's
 * simulator: JSON {to, text, id, sign}, answering {"code":0,"msgid":"..."}.
 */
#include "provider/provider.h"
#include "base/array.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const http_keys[] = { "method", "body", "params", "headers", "reply", "dlr",
					 "mo", NULL };

static const char *const reply_keys[] = {
	"accept_status", "permanent_status", "temporary_status", "accept_json", "accept_regex",
	"permanent_json", "permanent_regex", "temporary_json", "temporary_regex", "id_json",
	"id_regex", "reason_json", "reason_regex", "otherwise", NULL
};

/* An element of a status list: 503 or "5xx". 0, or -1 (reported). */
static int
status_elem(struct cfgval *cv, const config_setting_t *e, const char *key, struct status_set *set)
{
	long lo, hi;

	if (config_setting_type(e) == CONFIG_TYPE_INT) {
		lo = hi = config_setting_get_int(e);
	} else if (config_setting_type(e) == CONFIG_TYPE_STRING) {
		const char *s = config_setting_get_string(e);
		if (strlen(s) != 3 || s[0] < '1' || s[0] > '5' || (s[1] != 'x' && s[1] != 'X') ||
		    (s[2] != 'x' && s[2] != 'X')) {
			cfgval_error(cv, e, "'%s': \"%s\" is not a status class like \"5xx\"", key, s);
			return -1;
		}
		lo = (s[0] - '0') * 100;
		hi = lo + 99;
	} else {
		cfgval_error(cv, e, "'%s' holds HTTP statuses (503) or classes (\"5xx\")", key);
		return -1;
	}
	if (lo < 100 || hi > 599) {
		cfgval_error(cv, e, "'%s': %ld is not an HTTP status (100-599)", key, lo);
		return -1;
	}
	for (long s = lo - 100; s <= hi - 100; s++)
		set->bits[s / 64] |= (uint64_t)1 << (s % 64);
	return 0;
}

static void
parse_status_set(struct cfgval *cv, const config_setting_t *g, const char *key,
		 struct status_set *set)
{
	const config_setting_t *s = config_setting_get_member(g, key);
	int n;

	if (s == NULL)
		return;
	if (config_setting_type(s) != CONFIG_TYPE_ARRAY && config_setting_type(s) != CONFIG_TYPE_LIST) {
		cfgval_error(cv, s, "'%s' must be a list of statuses, e.g. [ 200, 202 ] or [ \"5xx\" ]",
			     key);
		return;
	}
	set->given = true;
	n = config_setting_length(s);
	for (int i = 0; i < n; i++)
		status_elem(cv, config_setting_get_elem(s, (unsigned)i), key, set);
}

static void
parse_reply(struct cfgval *cv, const config_setting_t *pg, struct http_conf *hc)
{
	const config_setting_t *g = cfgval_group(cv, pg, "reply");
	const char *s;

	hc->otherwise = PROVIDER_PERMANENT;
	if (g != NULL) {
		cfgval_keys(cv, g, reply_keys);
		parse_status_set(cv, g, "accept_status", &hc->accept_st);
		parse_status_set(cv, g, "permanent_status", &hc->permanent_st);
		parse_status_set(cv, g, "temporary_status", &hc->temporary_st);
		provider_parse_rule(cv, g, "accept", &hc->accept);
		provider_parse_rule(cv, g, "permanent", &hc->permanent);
		provider_parse_rule(cv, g, "temporary", &hc->temporary);
		provider_parse_rule(cv, g, "id", &hc->id);
		provider_parse_rule(cv, g, "reason", &hc->reason);
		if (cfgval_string(cv, g, "otherwise", &s) == 1) {
			if (strcmp(s, "permanent") == 0)
				hc->otherwise = PROVIDER_PERMANENT;
			else if (strcmp(s, "temporary") == 0)
				hc->otherwise = PROVIDER_TRANSIENT;
			else
				cfgval_error(cv, config_setting_get_member(g, "otherwise"),
					     "'otherwise' must be \"permanent\" or \"temporary\", not \"%s\"", s);
		}
	}
	/* The simulator's (and many providers') shape, unless told otherwise. */
	if (hc->id.json_path == NULL && hc->id.re == NULL)
		hc->id.json_path = strdup("msgid");
	if (hc->reason.json_path == NULL && hc->reason.re == NULL)
		hc->reason.json_path = strdup("error");
	hc->need_json = hc->accept.json_path || hc->permanent.json_path ||
			hc->temporary.json_path || hc->id.json_path || hc->reason.json_path;
}

static int
default_params(struct http_conf *hc)
{
	static const struct {
		const char *name;
		enum ptmpl_var var;
	} d[] = { { "to", PV_PHONE }, { "text", PV_TEXT }, { "id", PV_ID }, { "sign", PV_SIGNATURE } };

	hc->params = calloc(ARRAY_LEN(d), sizeof(*hc->params));
	if (hc->params == NULL)
		return -1;
	for (size_t i = 0; i < ARRAY_LEN(d); i++) {
		struct ptmpl_piece *p = calloc(1, sizeof(*p));
		hc->params[i].name = strdup(d[i].name);
		if (p == NULL || hc->params[i].name == NULL) {
			free(p);
			hc->nparams = i + 1;
			return -1;
		}
		p->var = d[i].var;
		hc->params[i].value = (struct ptmpl){ p, 1, false, true };
		hc->nparams = i + 1;
	}
	return 0;
}

static void
http_parse(struct cfgval *cv, const config_setting_t *g, struct provider_conf *pc)
{
	struct http_conf *hc = &pc->http;
	const config_setting_t *s;
	const char *v;

	hc->post = true;
	if (cfgval_string(cv, g, "method", &v) == 1) {
		if (strcasecmp(v, "POST") == 0)
			hc->post = true;
		else if (strcasecmp(v, "GET") == 0)
			hc->post = false;
		else
			cfgval_error(cv, config_setting_get_member(g, "method"),
				     "'method' must be \"GET\" or \"POST\", not \"%s\"", v);
	}
	hc->body = hc->post ? BODY_JSON : BODY_QUERY;
	if (cfgval_string(cv, g, "body", &v) == 1) {
		s = config_setting_get_member(g, "body");
		if (strcmp(v, "query") == 0)
			hc->body = BODY_QUERY;
		else if (strcmp(v, "form") == 0)
			hc->body = BODY_FORM;
		else if (strcmp(v, "json") == 0)
			hc->body = BODY_JSON;
		else
			cfgval_error(cv, s, "'body' must be \"query\", \"form\" or \"json\", not \"%s\"", v);
		if (!hc->post && hc->body != BODY_QUERY)
			cfgval_error(cv, s, "'body' = \"%s\" needs method = \"POST\"", v);
	}
	if ((s = cfgval_group(cv, g, "params")) != NULL)
		provider_parse_params(cv, s, false, &hc->params, &hc->nparams);
	else if (config_setting_get_member(g, "params") == NULL && default_params(hc) != 0)
		cfgval_error(cv, g, "out of memory");
	if ((s = cfgval_group(cv, g, "headers")) != NULL)
		provider_parse_params(cv, s, true, &hc->headers, &hc->nheaders);
	parse_reply(cv, g, hc);
	provider_http_cb_parse(cv, g, &hc->cb);
}

static void
http_free(struct provider_conf *pc)
{
	struct http_conf *hc = &pc->http;

	provider_params_free(hc->params, hc->nparams);
	provider_params_free(hc->headers, hc->nheaders);
	provider_rule_free(&hc->accept);
	provider_rule_free(&hc->permanent);
	provider_rule_free(&hc->temporary);
	provider_rule_free(&hc->id);
	provider_rule_free(&hc->reason);
	provider_http_cb_free(&hc->cb);
	memset(hc, 0, sizeof(*hc));
}

/* name=value&name=value, escaped for a query string or a form. */
static int
add_urlencoded(struct buf *out, const struct provider_param *p, size_t n,
	       const struct provider_msg *m, bool form)
{
	for (size_t i = 0; i < n; i++) {
		if ((i > 0 && buf_add(out, "&", 1) != 0) ||
		    provider_url_escape(out, p[i].name, strlen(p[i].name), form) != 0 ||
		    buf_add(out, "=", 1) != 0 ||
		    ptmpl_expand(&p[i].value, m, form ? ESC_FORM : ESC_URL, out) != 0)
			return -1;
	}
	return 0;
}

static int
add_json(struct buf *out, const struct provider_param *p, size_t n, const struct provider_msg *m)
{
	if (buf_add(out, "{", 1) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if ((i > 0 && buf_add(out, ",", 1) != 0) || buf_add(out, "\"", 1) != 0 ||
		    provider_json_escape(out, p[i].name, strlen(p[i].name)) != 0 ||
		    buf_add(out, "\":\"", 3) != 0 || ptmpl_expand(&p[i].value, m, ESC_JSON, out) != 0 ||
		    buf_add(out, "\"", 1) != 0)
			return -1;
	}
	return buf_add(out, "}", 1);
}

static int
add_headers(struct buf *out, const struct provider_param *h, size_t n,
	    const struct provider_msg *m, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		size_t start;
		if (buf_adds(out, h[i].name) != 0 || buf_add(out, ": ", 2) != 0)
			goto full;
		start = out->len;
		if (ptmpl_expand(&h[i].value, m, ESC_NONE, out) != 0)
			goto full;
		if (memchr(out->data + start, '\n', out->len - start) ||
		    memchr(out->data + start, '\r', out->len - start)) {
			snprintf(err, errlen, "header %s would hold a line break", h[i].name);
			return -1;
		}
		if (buf_add(out, "\n", 1) != 0)
			goto full;
	}
	return 0;
full:
	snprintf(err, errlen, "request headers longer than %d bytes", PROVIDER_URL_MAX);
	return -1;
}

static int
http_build(const struct provider_conf *pc, const struct provider_msg *m, struct provider_req *req,
	   char *err, size_t errlen)
{
	const struct http_conf *hc = &pc->http;

	req->post = hc->post;
	if (ptmpl_expand(&pc->url, m, ESC_NONE, &req->url) != 0)
		goto url_full;
	switch (hc->body) {
	case BODY_QUERY:
		if (hc->nparams > 0 &&
		    (buf_adds(&req->url, strchr(req->url.data, '?') ? "&" : "?") != 0 ||
		     add_urlencoded(&req->url, hc->params, hc->nparams, m, false) != 0))
			goto url_full;
		break;
	case BODY_FORM:
		if (add_urlencoded(&req->body, hc->params, hc->nparams, m, true) != 0)
			goto body_full;
		if (buf_adds(&req->headers, "Content-Type: application/x-www-form-urlencoded\n") != 0)
			goto body_full;
		break;
	case BODY_JSON:
		if (add_json(&req->body, hc->params, hc->nparams, m) != 0)
			goto body_full;
		if (buf_adds(&req->headers, "Content-Type: application/json\n") != 0)
			goto body_full;
		break;
	}
	return add_headers(&req->headers, hc->headers, hc->nheaders, m, err, errlen);
url_full:
	snprintf(err, errlen, "request URL longer than %d bytes", PROVIDER_URL_MAX);
	return -1;
body_full:
	snprintf(err, errlen, "request body longer than %d bytes", PROVIDER_BODY_MAX);
	return -1;
}

static bool
rule_match(const struct reply_rule *r, const json_t *root, const struct provider_reply *rep)
{
	char val[256];

	if (r->json_path && root && provider_json_get(root, r->json_path, val, sizeof(val)) == 0 &&
	    strcmp(val, r->json_value ? r->json_value : "") == 0)
		return true;
	return r->re && rep->body && regexec(r->re, rep->body, 0, NULL, 0) == 0;
}

/* The text of a JSON field or of a regex's first group, into out. 0 or -1. */
static int
rule_extract(const struct reply_rule *r, const json_t *root, const struct provider_reply *rep,
	     char *out, size_t outlen)
{
	regmatch_t mt[2];

	if (r->json_path && root && provider_json_get(root, r->json_path, out, outlen) == 0 &&
	    out[0] != '\0')
		return 0;
	if (r->re && rep->body && regexec(r->re, rep->body, 2, mt, 0) == 0 && mt[1].rm_so >= 0) {
		size_t n = (size_t)(mt[1].rm_eo - mt[1].rm_so);
		if (n == 0 || n >= outlen)
			return -1;
		memcpy(out, rep->body + mt[1].rm_so, n);
		out[n] = '\0';
		return 0;
	}
	return -1;
}

static enum provider_result
by_status(const struct http_conf *hc, long st)
{
	if (hc->accept_st.given && status_set_has(&hc->accept_st, st))
		return PROVIDER_ACCEPTED;
	if (hc->permanent_st.given && status_set_has(&hc->permanent_st, st))
		return PROVIDER_PERMANENT;
	if (hc->temporary_st.given && status_set_has(&hc->temporary_st, st))
		return PROVIDER_TRANSIENT;
	if (st >= 200 && st < 300)
		return hc->accept_st.given ? hc->otherwise : PROVIDER_ACCEPTED;
	if (st == 408 || st == 425 || st == 429 || (st >= 500 && st < 600))
		return PROVIDER_TRANSIENT;
	if (st >= 400 && st < 500)
		return PROVIDER_PERMANENT;
	return PROVIDER_TRANSIENT; /* 1xx, 3xx: not what a send API answers */
}

static void
http_classify(const struct provider_conf *pc, const struct provider_msg *m,
	      const struct provider_reply *r, struct provider_verdict *v)
{
	const struct http_conf *hc = &pc->http;
	json_t *root = NULL;
	char why[PROVIDER_REASON_MAX - 32];
	bool matched_accept = false;

	(void)m;
	if (hc->need_json && r->body && r->len > 0)
		root = json_loadb(r->body, r->len, 0, NULL);
	if (rule_match(&hc->permanent, root, r)) {
		v->result = PROVIDER_PERMANENT;
	} else if (rule_match(&hc->temporary, root, r)) {
		v->result = PROVIDER_TRANSIENT;
	} else {
		v->result = by_status(hc, r->status);
		if (v->result == PROVIDER_ACCEPTED && (hc->accept.json_path || hc->accept.re)) {
			matched_accept = rule_match(&hc->accept, root, r);
			if (!matched_accept)
				v->result = hc->otherwise;
		}
	}
	v->provider_fault = r->status >= 500;
	if (v->result == PROVIDER_ACCEPTED) {
		if (rule_extract(&hc->id, root, r, v->ref, sizeof(v->ref)) != 0)
			v->ref[0] = '\0';
	} else {
		if (rule_extract(&hc->reason, root, r, why, sizeof(why)) != 0)
			provider_excerpt(r->body ? r->body : "", r->len, why, sizeof(why));
		if (r->status >= 200 && r->status < 300 && !matched_accept &&
		    (hc->accept.json_path || hc->accept.re) && v->result == hc->otherwise &&
		    why[0] == '\0')
			snprintf(why, sizeof(why), "reply not recognised as accepted");
		snprintf(v->reason, sizeof(v->reason), "HTTP %ld%s%s", r->status, why[0] ? ": " : "",
			 why);
	}
	json_decref(root);
}

const struct provider_ops provider_http_ops = {
	.type = "http",
	.keys = http_keys,
	.parse = http_parse,
	.build = http_build,
	.classify = http_classify,
	.free = http_free,
	.dlr = provider_http_dlr,
	.mo = provider_http_mo,
};
