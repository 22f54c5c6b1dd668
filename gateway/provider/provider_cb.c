/*
 * provider_cb.c - the backends' half of callbacks: what providers send to
 * duban's HTTP server.  A delivery report names a message (the provider's
 * id, or duban's "duban-ID") and its state; a reply (MO) has a sender, a
 * text and the provider's id of it.  The http backend's format is
 * configuration (which fields, which status words mean delivered or
 * failed: the `dlr` and `mo` groups of a provider); Kannel's is fixed by
 * the dlr-url and get-url duban documents.  Also each provider's callback
 * secret, the only thing that authenticates a callback.
 */
#include "provider/provider.h"
#include "base/str.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SECRET_MIN 16
#define SECRET_MAX 256

/* ---- the callback secret ------------------------------------------------------ */

void
provider_secret_parse(struct cfgval *cv, const config_setting_t *g, struct provider_conf *pc)
{
	const config_setting_t *at = config_setting_get_member(g, "callback_secret");
	struct ptmpl t = { 0 };
	const char *s;
	size_t n;

	if (cfgval_string(cv, g, "callback_secret", &s) != 1)
		return;
	if (ptmpl_parse(cv, at, "'callback_secret'", s, false, &t) != 0)
		return;
	if (t.n != 1 || t.p[0].var != PV_LITERAL) {
		cfgval_error(cv, at, "'callback_secret' must not be empty");
		goto out;
	}
	n = t.p[0].len;
	if (n < SECRET_MIN || n > SECRET_MAX) {
		cfgval_error(cv, at, "'callback_secret' must be %d to %d characters, not %zu",
			     SECRET_MIN, SECRET_MAX, n);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)t.p[0].lit[i];
		if (!isalnum(c) && c != '-' && c != '_' && c != '.' && c != '~') {
			cfgval_error(cv, at,
				     "'callback_secret' may hold only A-Z a-z 0-9 - _ . ~ (it is "
				     "part of a URL path)");
			goto out;
		}
	}
	free(pc->callback_secret);
	pc->callback_secret = strdup(t.p[0].lit);
	pc->secret_from_env = t.secret;
out:
	ptmpl_free(&t);
}

/* ---- the http backend's format ----------------------------------------------- */

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

void
provider_http_cb_parse(struct cfgval *cv, const config_setting_t *pg, struct http_cb_conf *cb)
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

void
provider_http_cb_free(struct http_cb_conf *cb)
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

static bool
word_in(const char *w, char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(w, list[i]) == 0)
			return true;
	return false;
}

/* A required field into out: 0, or -1 with err naming it. */
static int
need(const struct provider_cb_req *r, const char *name, char *out, size_t outlen, char *err,
     size_t errlen)
{
	if (r->field(r, name, out, outlen) != 0 || out[0] == '\0') {
		snprintf(err, errlen, "field \"%s\" is missing, empty or longer than %zu bytes",
			 name, outlen - 1);
		return -1;
	}
	return 0;
}

/* An optional field: "" when absent. */
static void
maybe(const struct provider_cb_req *r, const char *name, char *out, size_t outlen)
{
	if (r->field(r, name, out, outlen) != 0)
		out[0] = '\0';
}

int
provider_http_dlr(const struct provider_conf *pc, const struct provider_cb_req *r,
		  struct provider_dlr *out, char *err, size_t errlen)
{
	const struct http_cb_conf *cb = &pc->http.cb;
	char status[64], why[64];

	memset(out, 0, sizeof(*out));
	if (need(r, cb->dlr_ref, out->ref, sizeof(out->ref), err, errlen) != 0 ||
	    need(r, cb->dlr_status, status, sizeof(status), err, errlen) != 0)
		return -1;
	maybe(r, cb->dlr_reason, why, sizeof(why));
	if (word_in(status, cb->delivered, cb->ndelivered))
		out->state = PROVIDER_DLR_DELIVERED;
	else if (word_in(status, cb->failed, cb->nfailed))
		out->state = PROVIDER_DLR_FAILED;
	else
		out->state = PROVIDER_DLR_PENDING;
	snprintf(out->reason, sizeof(out->reason), "%s%s%s", status, why[0] ? " " : "", why);
	return 0;
}

int
provider_http_mo(const struct provider_conf *pc, const struct provider_cb_req *r,
		 struct provider_mo *out, char *err, size_t errlen)
{
	const struct http_cb_conf *cb = &pc->http.cb;

	memset(out, 0, sizeof(*out));
	if (need(r, cb->mo_from, out->from, sizeof(out->from), err, errlen) != 0)
		return -1;
	if (r->field(r, cb->mo_text, out->text, sizeof(out->text)) != 0) {
		snprintf(err, errlen, "field \"%s\" is missing or longer than %zu bytes",
			 cb->mo_text, sizeof(out->text) - 1);
		return -1;
	}
	maybe(r, cb->mo_to, out->to, sizeof(out->to));
	maybe(r, cb->mo_id, out->ref, sizeof(out->ref));
	return 0;
}

/* ---- Kannel ---------------------------------------------------------------- */

/*
 * Kannel calls the dlr-url duban sent with each message; configure it as
 *   dlr_url = "http://HOST:PORT/callbacks/dlr/NAME/SECRET?ref={{id}}&type=%d&reason=%A";
 * %d is 1 delivered, 2 failed, 4 buffered, 8 accepted by the SMSC, 16
 * rejected by the SMSC.  Replies come from an sms-service with
 *   get-url = "http://HOST:PORT/callbacks/mo/NAME/SECRET?from=%p&to=%P&text=%a&id=%I"
 */
int
provider_kannel_dlr(const struct provider_conf *pc, const struct provider_cb_req *r,
		    struct provider_dlr *out, char *err, size_t errlen)
{
	char type[16], why[128];
	long t;

	(void)pc;
	memset(out, 0, sizeof(*out));
	if (need(r, "ref", out->ref, sizeof(out->ref), err, errlen) != 0 ||
	    need(r, "type", type, sizeof(type), err, errlen) != 0)
		return -1;
	if (parse_long(type, 0, 1 << 16, &t) != 0) {
		snprintf(err, errlen,
			 "field \"type\" must be Kannel's %%d (1, 2, 4, 8 or 16), not \"%s\"",
			 type);
		return -1;
	}
	maybe(r, "reason", why, sizeof(why));
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

int
provider_kannel_mo(const struct provider_conf *pc, const struct provider_cb_req *r,
		   struct provider_mo *out, char *err, size_t errlen)
{
	(void)pc;
	memset(out, 0, sizeof(*out));
	if (need(r, "from", out->from, sizeof(out->from), err, errlen) != 0)
		return -1;
	if (r->field(r, "text", out->text, sizeof(out->text)) != 0) {
		snprintf(err, errlen, "field \"text\" is missing or longer than %zu bytes",
			 sizeof(out->text) - 1);
		return -1;
	}
	maybe(r, "to", out->to, sizeof(out->to));
	maybe(r, "id", out->ref, sizeof(out->ref));
	return 0;
}

/* ---- through the ops table ------------------------------------------------- */

int
provider_dlr_parse(const struct provider_conf *pc, const struct provider_cb_req *r,
		   struct provider_dlr *out, char *err, size_t errlen)
{
	if (pc->ops->dlr == NULL) {
		snprintf(err, errlen, "provider type \"%s\" has no delivery reports",
			 pc->ops->type);
		return -1;
	}
	return pc->ops->dlr(pc, r, out, err, errlen);
}

int
provider_mo_parse(const struct provider_conf *pc, const struct provider_cb_req *r,
		  struct provider_mo *out, char *err, size_t errlen)
{
	if (pc->ops->mo == NULL) {
		snprintf(err, errlen, "provider type \"%s\" passes on no replies", pc->ops->type);
		return -1;
	}
	return pc->ops->mo(pc, r, out, err, errlen);
}
