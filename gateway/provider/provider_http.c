/*
 * provider_http.c - the generic HTTP backend: everything about the
 * provider's API is configuration.  The request is a URL with a method
 * (GET or POST), parameters sent as a query string, a form or a JSON object,
 * and headers, all of them templates over the message; the reply is
 * classified first by body rules (a JSON field's value or a regex saying
 * "permanent" or "temporary"), then by HTTP status (lists given in the
 * configuration, else 2xx accepted, 408/425/429/5xx temporary, other 4xx
 * permanent).  Delivery reports and replies posted back are read by the
 * field names and status words of its `dlr` and `mo` groups.  Without
 * parameters it speaks the format of duban's simulator: JSON {to, text, id,
 * sign}, answering {"code":0,"msgid":"..."}, reporting {msgid, status, err}.
 */
#include "provider/provider.h"
#include "base/array.h"
#include "base/buf.h"

#include <ctype.h>
#include <jansson.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A parameter or a header: its name and a template over the message. */
struct http_param {
	char *name;
	struct ptmpl value;
};

/* A body rule: a JSON field with a value ("code=0", path "a.b.0.c") and/or
 * a POSIX extended regex; either matching is a match. */
struct reply_rule {
	char *json_path, *json_value; /* NULL: no JSON rule */
	regex_t *re;                  /* NULL: no regex */
};

/* A set of HTTP statuses 100..599. */
struct status_set {
	bool given;
	uint64_t bits[10];
};

enum http_body { BODY_QUERY, BODY_FORM, BODY_JSON };

/* Delivery reports and replies: which fields hold what (names or JSON
 * paths), and which status words mean what. */
struct http_cb {
	char *dlr_ref, *dlr_status, *dlr_reason;
	char **delivered, **failed; /* status words (case-insensitive) */
	size_t ndelivered, nfailed;
	char *mo_from, *mo_to, *mo_text, *mo_id;
};

/* What a provider of type "http" adds to its struct provider_conf, as
 * pc->backend. */
struct http_conf {
	bool post;
	enum http_body body;
	struct http_param *params, *headers;
	size_t nparams, nheaders;
	struct status_set accept_st, permanent_st, temporary_st;
	struct reply_rule accept, permanent, temporary, id, reason;
	enum provider_result otherwise; /* 2xx not matching the accept rule */
	bool need_json;                 /* some rule reads the reply as JSON */
	struct http_cb cb;
};

static const char *const http_keys[] = { "method", "body", "params", "headers", "reply", "dlr",
					 "mo", NULL };

static const char *const reply_keys[] = {
	"accept_status", "permanent_status", "temporary_status", "accept_json", "accept_regex",
	"permanent_json", "permanent_regex", "temporary_json", "temporary_regex", "id_json",
	"id_regex", "reason_json", "reason_regex", "otherwise", NULL
};

/* ---- configuration ------------------------------------------------------------- */

static void
params_free(struct http_param *p, size_t n)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free(p[i].name);
		ptmpl_free(&p[i].value);
	}
	free(p);
}

static bool
header_name_ok(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("!#$%&'+-.^_`|~", *s))
			return false;
	return true;
}

/* A group of name = "template" pairs (params, headers): 0, or -1 (reported). */
static int
parse_params(struct cfgval *cv, const config_setting_t *g, bool headers, struct http_param **out,
	     size_t *n)
{
	int len = config_setting_length(g);
	struct http_param *p = calloc(len > 0 ? (size_t)len : 1, sizeof(*p));
	size_t k = 0;
	int bad = 0;
	char what[160];

	*out = NULL;
	*n = 0;
	if (p == NULL)
		return -1;
	for (int i = 0; i < len; i++) {
		const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		const char *name = config_setting_name(s);

		snprintf(what, sizeof(what), "%s '%s'", headers ? "header" : "parameter", name);
		if (config_setting_type(s) != CONFIG_TYPE_STRING) {
			cfgval_error(cv, s, "%s must be a string template", what);
			bad = -1;
			continue;
		}
		if (headers && (!header_name_ok(name) || strcasecmp(name, "Content-Length") == 0 ||
				strcasecmp(name, "Host") == 0)) {
			cfgval_error(cv, s, "%s: not a header duban may set", what);
			bad = -1;
			continue;
		}
		if (ptmpl_parse(cv, s, what, config_setting_get_string(s), true, &p[k].value) != 0) {
			bad = -1;
			continue;
		}
		if ((p[k].name = strdup(name)) == NULL) {
			ptmpl_free(&p[k].value);
			bad = -1;
			continue;
		}
		k++;
	}
	if (bad != 0) {
		params_free(p, k);
		return -1;
	}
	*out = p;
	*n = k;
	return 0;
}

static void
rule_free(struct reply_rule *r)
{
	if (r == NULL)
		return;
	free(r->json_path);
	free(r->json_value);
	if (r->re) {
		regfree(r->re);
		free(r->re);
	}
	memset(r, 0, sizeof(*r));
}

/* A body rule from KEY_json / KEY_regex in group g (problems reported). */
static void
parse_rule(struct cfgval *cv, const config_setting_t *g, const char *key, struct reply_rule *r)
{
	char jk[48], rk[48];
	const char *s;
	bool value_needed = strcmp(key, "id") != 0 && strcmp(key, "reason") != 0;

	snprintf(jk, sizeof(jk), "%s_json", key);
	snprintf(rk, sizeof(rk), "%s_regex", key);
	if (cfgval_string(cv, g, jk, &s) == 1) {
		const char *eq = strchr(s, '=');
		const config_setting_t *at = config_setting_get_member(g, jk);

		if (value_needed && (eq == NULL || eq == s)) {
			cfgval_error(cv, at, "'%s' must be \"FIELD=VALUE\" (e.g. \"code=0\"), not \"%s\"",
				     jk, s);
		} else if (!value_needed && (*s == '\0' || eq != NULL)) {
			cfgval_error(cv, at, "'%s' must name a JSON field (e.g. \"data.msgid\"), not \"%s\"",
				     jk, s);
		} else {
			size_t pl = eq ? (size_t)(eq - s) : strlen(s);
			r->json_path = strndup(s, pl);
			if (eq)
				r->json_value = strdup(eq + 1);
			if (strstr(r->json_path, "..") || r->json_path[0] == '.' ||
			    r->json_path[pl - 1] == '.')
				cfgval_error(cv, at, "'%s': empty field name in path \"%s\"", jk,
					     r->json_path);
		}
	}
	if (cfgval_string(cv, g, rk, &s) == 1) {
		const config_setting_t *at = config_setting_get_member(g, rk);
		int rc;

		r->re = calloc(1, sizeof(*r->re));
		if (r->re == NULL)
			return;
		rc = regcomp(r->re, s, REG_EXTENDED);
		if (rc != 0) {
			char msg[200];
			regerror(rc, r->re, msg, sizeof(msg));
			cfgval_error(cv, at, "'%s': bad regular expression \"%s\": %s", rk, s, msg);
			free(r->re);
			r->re = NULL;
		} else if (!value_needed && r->re->re_nsub < 1) {
			cfgval_error(cv, at, "'%s' needs a group ( ... ) around the %s", rk,
				     strcmp(key, "id") == 0 ? "message id" : "reason");
		}
	}
}

static bool
status_set_has(const struct status_set *s, long status)
{
	if (status < 100 || status > 599)
		return false;
	status -= 100;
	return (s->bits[status / 64] >> (status % 64)) & 1;
}

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
	static const char *const otherwise[] = { "permanent", "temporary", NULL };
	static const enum provider_result otherwise_of[] = { PROVIDER_PERMANENT, PROVIDER_TRANSIENT };
	const config_setting_t *g = cfgval_group(cv, pg, "reply");
	int w;

	hc->otherwise = PROVIDER_PERMANENT;
	if (g != NULL) {
		cfgval_keys(cv, g, reply_keys);
		parse_status_set(cv, g, "accept_status", &hc->accept_st);
		parse_status_set(cv, g, "permanent_status", &hc->permanent_st);
		parse_status_set(cv, g, "temporary_status", &hc->temporary_st);
		parse_rule(cv, g, "accept", &hc->accept);
		parse_rule(cv, g, "permanent", &hc->permanent);
		parse_rule(cv, g, "temporary", &hc->temporary);
		parse_rule(cv, g, "id", &hc->id);
		parse_rule(cv, g, "reason", &hc->reason);
		if (cfgval_word(cv, g, "otherwise", otherwise, &w) == 1)
			hc->otherwise = otherwise_of[w];
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
		hc->params[i].value = (struct ptmpl){ .p = p, .n = 1 };
		hc->nparams = i + 1;
	}
	return 0;
}

/*
 * The `dlr` and `mo` groups say which fields of a delivery report or a
 * reply hold what, and which status words mean delivered or failed; the
 * defaults are the simulator's format.
 */
static const char *const dlr_keys[] = { "ref", "status", "delivered", "failed", "reason", NULL };
static const char *const mo_keys[] = { "from", "to", "text", "id", NULL };

static void
strings_free(char **v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* A list of status words, e.g. [ "DELIVRD" ]: 0, or -1 (reported). */
static int
parse_words(struct cfgval *cv, const config_setting_t *g, const char *key, char ***out, size_t *n)
{
	const config_setting_t *s = config_setting_get_member(g, key);
	char **v;
	int len;

	if (s == NULL)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(s) != CONFIG_TYPE_LIST) {
		cfgval_error(cv, s, "'%s' must be a list of status words, e.g. [ \"DELIVRD\" ]",
			     key);
		return -1;
	}
	len = config_setting_length(s);
	v = calloc(len > 0 ? (size_t)len : 1, sizeof(*v));
	if (v == NULL)
		return -1;
	for (int i = 0; i < len; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		const char *w;

		if (config_setting_type(e) == CONFIG_TYPE_INT) {
			char num[24];
			snprintf(num, sizeof(num), "%d", config_setting_get_int(e));
			v[i] = strdup(num);
		} else if (config_setting_type(e) == CONFIG_TYPE_STRING &&
			   *(w = config_setting_get_string(e)) != '\0' && strlen(w) < 64) {
			v[i] = strdup(w);
		} else {
			cfgval_error(cv, e,
				     "'%s': status words are strings of 1 to 63 bytes (or numbers)",
				     key);
			strings_free(v, (size_t)len);
			return -1;
		}
		if (v[i] == NULL) {
			strings_free(v, (size_t)len);
			return -1;
		}
	}
	strings_free(*out, *n);
	*out = v;
	*n = (size_t)len;
	return 0;
}

/* A field name (a dotted path in a JSON body): 0, or -1 (reported). */
static void
parse_field(struct cfgval *cv, const config_setting_t *g, const char *key, char **out)
{
	const char *s;

	if (cfgval_string(cv, g, key, &s) != 1)
		return;
	if (*s == '\0' || strlen(s) > 120 || s[0] == '.' || s[strlen(s) - 1] == '.' ||
	    strstr(s, "..")) {
		cfgval_error(
			cv, config_setting_get_member(g, key),
			"'%s' must name a field (\"status\", or a JSON path like \"data.status\")",
			key);
		return;
	}
	free(*out);
	*out = strdup(s);
}

static int
set_default(char **field, const char *v)
{
	if (*field != NULL)
		return 0;
	*field = strdup(v);
	return *field ? 0 : -1;
}

static int
default_words(char ***v, size_t *n, const char *const *words)
{
	size_t k = 0;

	if (*v != NULL)
		return 0;
	while (words[k])
		k++;
	if ((*v = calloc(k, sizeof(**v))) == NULL)
		return -1;
	for (*n = 0; *n < k; (*n)++)
		if (((*v)[*n] = strdup(words[*n])) == NULL)
			return -1;
	return 0;
}

static void
http_cb_parse(struct cfgval *cv, const config_setting_t *pg, struct http_cb *cb)
{
	/* The simulator's (and SMPP's stat:) words, unless told otherwise. */
	static const char *const delivered[] = { "DELIVRD", NULL };
	static const char *const failed[] = { "UNDELIV", "REJECTD", "EXPIRED",
					      "DELETED", "UNKNOWN", NULL };
	const config_setting_t *g;

	if ((g = cfgval_group(cv, pg, "dlr")) != NULL) {
		cfgval_keys(cv, g, dlr_keys);
		parse_field(cv, g, "ref", &cb->dlr_ref);
		parse_field(cv, g, "status", &cb->dlr_status);
		parse_field(cv, g, "reason", &cb->dlr_reason);
		parse_words(cv, g, "delivered", &cb->delivered, &cb->ndelivered);
		parse_words(cv, g, "failed", &cb->failed, &cb->nfailed);
	}
	if ((g = cfgval_group(cv, pg, "mo")) != NULL) {
		cfgval_keys(cv, g, mo_keys);
		parse_field(cv, g, "from", &cb->mo_from);
		parse_field(cv, g, "to", &cb->mo_to);
		parse_field(cv, g, "text", &cb->mo_text);
		parse_field(cv, g, "id", &cb->mo_id);
	}
	if (set_default(&cb->dlr_ref, "msgid") != 0 ||
	    set_default(&cb->dlr_status, "status") != 0 ||
	    set_default(&cb->dlr_reason, "err") != 0 || set_default(&cb->mo_from, "from") != 0 ||
	    set_default(&cb->mo_to, "to") != 0 || set_default(&cb->mo_text, "text") != 0 ||
	    set_default(&cb->mo_id, "id") != 0 ||
	    default_words(&cb->delivered, &cb->ndelivered, delivered) != 0 ||
	    default_words(&cb->failed, &cb->nfailed, failed) != 0)
		cfgval_error(cv, pg, "out of memory");
}

static void
http_cb_free(struct http_cb *cb)
{
	if (cb == NULL)
		return;
	free(cb->dlr_ref);
	free(cb->dlr_status);
	free(cb->dlr_reason);
	strings_free(cb->delivered, cb->ndelivered);
	strings_free(cb->failed, cb->nfailed);
	free(cb->mo_from);
	free(cb->mo_to);
	free(cb->mo_text);
	free(cb->mo_id);
	memset(cb, 0, sizeof(*cb));
}

static void
http_parse(struct cfgval *cv, const config_setting_t *g, struct provider_conf *pc)
{
	static const char *const bodies[] = { "query", "form", "json", NULL };
	static const enum http_body body_of[] = { BODY_QUERY, BODY_FORM, BODY_JSON };
	struct http_conf *hc = calloc(1, sizeof(*hc));
	const config_setting_t *s;
	const char *v;
	int w;

	if (hc == NULL) {
		cfgval_error(cv, g, "out of memory");
		return;
	}
	pc->backend = hc;
	hc->post = true;
	/* In any case, unlike the other words of a configuration (cfgval_word):
	 * kept for the configurations that rely on it. */
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
	if (cfgval_word(cv, g, "body", bodies, &w) == 1) {
		hc->body = body_of[w];
		if (!hc->post && hc->body != BODY_QUERY)
			cfgval_error(cv, config_setting_get_member(g, "body"),
				     "'body' = \"%s\" needs method = \"POST\"", bodies[w]);
	}
	if ((s = cfgval_group(cv, g, "params")) != NULL)
		parse_params(cv, s, false, &hc->params, &hc->nparams);
	else if (config_setting_get_member(g, "params") == NULL && default_params(hc) != 0)
		cfgval_error(cv, g, "out of memory");
	if ((s = cfgval_group(cv, g, "headers")) != NULL)
		parse_params(cv, s, true, &hc->headers, &hc->nheaders);
	parse_reply(cv, g, hc);
	http_cb_parse(cv, g, &hc->cb);
}

static void
http_free(struct provider_conf *pc)
{
	struct http_conf *hc = pc->backend;

	if (hc == NULL)
		return;
	params_free(hc->params, hc->nparams);
	params_free(hc->headers, hc->nheaders);
	rule_free(&hc->accept);
	rule_free(&hc->permanent);
	rule_free(&hc->temporary);
	rule_free(&hc->id);
	rule_free(&hc->reason);
	http_cb_free(&hc->cb);
	free(hc);
	pc->backend = NULL;
}

/* ---- requests ------------------------------------------------------------------ */

/* name=value&name=value, escaped for a query string or a form. */
static int
add_urlencoded(struct buf *out, const struct http_param *p, size_t n,
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
add_json(struct buf *out, const struct http_param *p, size_t n, const struct provider_msg *m)
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
add_headers(struct buf *out, const struct http_param *h, size_t n,
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
	const struct http_conf *hc = pc->backend;

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

/* ---- replies ------------------------------------------------------------------- */

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
	const struct http_conf *hc = pc->backend;
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

/* ---- reading delivery reports and replies ------------------------------------ */

static bool
word_in(const char *w, char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(w, list[i]) == 0)
			return true;
	return false;
}

static int
http_dlr(const struct provider_conf *pc, const struct provider_cb_req *r, struct provider_dlr *out,
	 char *err, size_t errlen)
{
	const struct http_conf *hc = pc->backend;
	const struct http_cb *cb = &hc->cb;
	char status[64], why[64];

	if (provider_cb_get(r, cb->dlr_ref, PROVIDER_CB_REQUIRED, out->ref, sizeof(out->ref), err,
			    errlen) != 0 ||
	    provider_cb_get(r, cb->dlr_status, PROVIDER_CB_REQUIRED, status, sizeof(status), err,
			    errlen) != 0)
		return -1;
	provider_cb_get(r, cb->dlr_reason, PROVIDER_CB_OPTIONAL, why, sizeof(why), err, errlen);
	if (word_in(status, cb->delivered, cb->ndelivered))
		out->state = PROVIDER_DLR_DELIVERED;
	else if (word_in(status, cb->failed, cb->nfailed))
		out->state = PROVIDER_DLR_FAILED;
	else
		out->state = PROVIDER_DLR_PENDING;
	snprintf(out->reason, sizeof(out->reason), "%s%s%s", status, why[0] ? " " : "", why);
	return 0;
}

static int
http_mo(const struct provider_conf *pc, const struct provider_cb_req *r, struct provider_mo *out,
	char *err, size_t errlen)
{
	const struct http_conf *hc = pc->backend;
	const struct http_cb *cb = &hc->cb;

	if (provider_cb_get(r, cb->mo_from, PROVIDER_CB_REQUIRED, out->from, sizeof(out->from), err,
			    errlen) != 0 ||
	    provider_cb_get(r, cb->mo_text, PROVIDER_CB_PRESENT, out->text, sizeof(out->text), err,
			    errlen) != 0)
		return -1;
	provider_cb_get(r, cb->mo_to, PROVIDER_CB_OPTIONAL, out->to, sizeof(out->to), err, errlen);
	provider_cb_get(r, cb->mo_id, PROVIDER_CB_OPTIONAL, out->ref, sizeof(out->ref), err, errlen);
	return 0;
}

const struct provider_ops provider_http_ops = {
	.type = "http",
	.keys = http_keys,
	.parse = http_parse,
	.build = http_build,
	.classify = http_classify,
	.free = http_free,
	.dlr = http_dlr,
	.mo = http_mo,
	.templated = false,
	.batch_same = 1,
	.batch_distinct = 1,
};
