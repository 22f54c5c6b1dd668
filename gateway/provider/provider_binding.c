/*
 * provider_binding.c - the approved templates of the template providers
 * (aliyun, tencent): their bindings to duban templates, the placeholders
 * of an approved text (Aliyun ${name}, Tencent {1}..{n}), and the text the
 * phone shows for a binding and its values.
 */
#include "provider/provider_int.h"
#include "base/buf.h"
#include "base/duration.h"
#include "base/i18n.h"
#include "base/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void
provider_bindings_free(struct provider_binding *b, size_t n)
{
	if (b == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < b[i].nparam; j++) {
			free(b[i].pname ? b[i].pname[j] : NULL);
			free(b[i].pexpr ? b[i].pexpr[j] : NULL);
		}
		free(b[i].pname);
		free(b[i].pexpr);
		free(b[i].pline);
		free(b[i].tmpl);
		free(b[i].code);
		free(b[i].text);
	}
	free(b);
}

/*
 * The placeholder at s, if one starts there: its name (not NUL-terminated)
 * in *name / *nlen, and the length of the whole placeholder returned; 0
 * when none starts at s.  positional: Tencent's {N} (N 1-99), else Aliyun's
 * ${name} (name of A-Z a-z 0-9 _).
 */
static size_t
placeholder_at(const char *s, bool positional, const char **name, size_t *nlen)
{
	size_t i;

	if (positional) {
		if (s[0] != '{' || s[1] < '1' || s[1] > '9')
			return 0;
		for (i = 1; s[i] >= '0' && s[i] <= '9' && i < 3; i++)
			;
		if (s[i] != '}')
			return 0;
		*name = s + 1;
		*nlen = i - 1;
		return i + 1;
	}
	if (s[0] != '$' || s[1] != '{')
		return 0;
	for (i = 2; (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_';
	     i++)
		;
	if (s[i] != '}' || i == 2)
		return 0;
	*name = s + 2;
	*nlen = i - 2;
	return i + 1;
}

/* Tencent numbers its placeholders; every other template type names them. */
static bool
type_positional(const struct provider_conf *pc)
{
	return pc->ops != NULL && strcmp(pc->ops->type, "tencent") == 0;
}

/* The index of parameter name[0..nlen) of b, or -1. */
static long
param_index(const struct provider_binding *b, const char *name, size_t nlen)
{
	for (size_t i = 0; i < b->nparam; i++)
		if (strlen(b->pname[i]) == nlen && memcmp(b->pname[i], name, nlen) == 0)
			return (long)i;
	return -1;
}

int
provider_binding_render(const struct provider_conf *pc, const struct provider_binding *b,
			const char *const *values, struct buf *out)
{
	bool positional = type_positional(pc);
	size_t start = out->len;
	const char *p = b->text, *lit = p;

	if (buf_adds(out, "【") != 0 || buf_adds(out, pc->sign_name ? pc->sign_name : "") != 0 ||
	    buf_adds(out, "】") != 0)
		goto full;
	while (*p) {
		const char *name;
		size_t nlen, len = placeholder_at(p, positional, &name, &nlen);
		long k = len ? param_index(b, name, nlen) : -1;

		if (k < 0) {
			p++;
			continue;
		}
		if (buf_add(out, lit, (size_t)(p - lit)) != 0 || buf_adds(out, values[k]) != 0)
			goto full;
		p += len;
		lit = p;
	}
	if (buf_add(out, lit, (size_t)(p - lit)) != 0)
		goto full;
	return 0;
full:
	buf_truncate(out, start);
	return -1;
}

/* ---- the template providers' common keys ---------------------------------- */

const char *const provider_template_keys[] = {
	"sign_name", "templates", "batch", "max_param", "limits", "halt_retry", NULL
};

void
provider_refuse_template_keys(struct cfgval *cv, const config_setting_t *g,
			      const struct provider_conf *pc)
{
	for (const char *const *k = provider_template_keys; *k; k++) {
		const config_setting_t *at = config_setting_get_member(g, *k);
		if (at != NULL)
			cfgval_error(cv, at,
				     _("'%s' is only for template providers (\"aliyun\", \"tencent\"); "
				       "type \"%s\" sends free text"),
				     *k, pc->ops->type);
	}
}

/* Text a binding or signature may hold: valid UTF-8, no 【】 (the provider
 * puts the signature's own brackets). 0 or -1 reported. */
static int
check_text(struct cfgval *cv, const config_setting_t *at, const char *what, const char *s)
{
	if (!utf8_valid(s, strlen(s))) {
		cfgval_error(cv, at, _("%s: not valid UTF-8"), what);
		return -1;
	}
	if (strstr(s, "【") || strstr(s, "】")) {
		cfgval_error(cv, at, _("%s must not contain 【 or 】 (the provider adds them)"), what);
		return -1;
	}
	return 0;
}

/* A string copy, or NULL with an error reported. */
static char *
dup_or_report(struct cfgval *cv, const config_setting_t *at, const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		cfgval_error(cv, at, _("out of memory"));
	return d;
}

/* Room for n parameters in b; 0 or -1. */
static int
params_alloc(struct provider_binding *b, size_t n)
{
	b->pname = calloc(n ? n : 1, sizeof(*b->pname));
	b->pexpr = calloc(n ? n : 1, sizeof(*b->pexpr));
	b->pline = calloc(n ? n : 1, sizeof(*b->pline));
	return b->pname && b->pexpr && b->pline ? 0 : -1;
}

/* One value of a binding: the expression string of setting s. */
static int
param_value(struct cfgval *cv, const config_setting_t *s, const char *tmpl, const char *pname,
	    struct provider_binding *b, size_t i)
{
	const char *v = config_setting_get_string(s);

	b->pline[i] = cfgval_line(s);
	if (v == NULL) {
		cfgval_error(cv, s, _("template '%s': the value of parameter %s must be a string"),
			     tmpl, pname);
		return -1;
	}
	if (!utf8_valid(v, strlen(v))) {
		cfgval_error(cv, s, _("template '%s': parameter %s: not valid UTF-8"), tmpl, pname);
		return -1;
	}
	b->pname[i] = dup_or_report(cv, s, pname);
	b->pexpr[i] = dup_or_report(cv, s, v);
	b->nparam = i + 1;
	return b->pname[i] && b->pexpr[i] ? 0 : -1;
}

/* params of a named-placeholder binding: a group NAME = "expr". */
static int
params_named(struct cfgval *cv, const config_setting_t *ps, struct provider_binding *b)
{
	int n = config_setting_length(ps);

	if (config_setting_type(ps) != CONFIG_TYPE_GROUP) {
		cfgval_error(cv, ps,
			     _("template '%s': 'params' must be a group { name = \"{{...}}\"; ... }"),
			     b->tmpl);
		return -1;
	}
	if (params_alloc(b, (size_t)n) != 0)
		return -1;
	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(ps, (unsigned)i);
		if (param_value(cv, s, b->tmpl, config_setting_name(s), b, (size_t)i) != 0)
			return -1;
	}
	return 0;
}

/* params of a positional binding: a list [ "expr", ... ] for {1}..{n}. */
static int
params_positional(struct cfgval *cv, const config_setting_t *ps, struct provider_binding *b)
{
	int n = config_setting_length(ps), t = config_setting_type(ps);
	char name[16];

	if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) {
		cfgval_error(cv, ps,
			     _("template '%s': 'params' must be a list [ \"{{...}}\", ... ] for "
			       "{1}, {2}, ..."),
			     b->tmpl);
		return -1;
	}
	if (n > 99) {
		cfgval_error(cv, ps, _("template '%s': at most 99 parameters"), b->tmpl);
		return -1;
	}
	if (params_alloc(b, (size_t)n) != 0)
		return -1;
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%d", i + 1);
		if (param_value(cv, config_setting_get_elem(ps, (unsigned)i), b->tmpl, name, b,
				(size_t)i) != 0)
			return -1;
	}
	return 0;
}

/*
 * Every placeholder of b->text has exactly one value and every value a
 * placeholder; each problem reported at its line.  0 or -1.
 */
static int
check_placeholders(struct cfgval *cv, const config_setting_t *textat,
		   const config_setting_t *ps, bool positional, struct provider_binding *b)
{
	bool *used = calloc(b->nparam ? b->nparam : 1, sizeof(*used));
	int rc = 0;

	if (used == NULL)
		return -1;
	for (const char *p = b->text; *p; p++) {
		const char *name;
		size_t nlen, len = placeholder_at(p, positional, &name, &nlen);
		long k;

		if (len == 0)
			continue;
		k = param_index(b, name, nlen);
		if (k < 0) {
			cfgval_error(cv, textat,
				     positional ? _("template '%s': placeholder {%.*s} has no value "
						    "in 'params' (it has %zu)")
						: _("template '%s': placeholder ${%.*s} has no value "
						    "in 'params'"),
				     b->tmpl, (int)nlen, name, b->nparam);
			rc = -1;
		} else {
			used[k] = true;
		}
		p += len - 1;
	}
	for (size_t i = 0; i < b->nparam; i++) {
		if (used[i])
			continue;
		cfgval_error(cv, ps ? config_setting_get_elem(ps, (unsigned)i) : textat, positional
			     ? _("template '%s': value %s has no placeholder {%s} in 'text'")
			     : _("template '%s': value %s has no placeholder ${%s} in 'text'"),
			     b->tmpl, b->pname[i], b->pname[i]);
		rc = -1;
	}
	free(used);
	return rc;
}

/* One binding NAME = { code|id; text; params; } into b. 0 or -1 reported. */
static int
parse_binding(struct cfgval *cv, const config_setting_t *bg, bool positional,
	      struct provider_binding *b)
{
	static const char *const named_keys[] = { "code", "text", "params", NULL };
	static const char *const pos_keys[] = { "id", "text", "params", NULL };
	const char *codekey = positional ? "id" : "code", *s;
	const config_setting_t *ps, *textat = config_setting_get_member(bg, "text");

	b->line = cfgval_line(bg);
	if ((b->tmpl = dup_or_report(cv, bg, config_setting_name(bg))) == NULL)
		return -1;
	if (config_setting_type(bg) != CONFIG_TYPE_GROUP) {
		cfgval_error(cv, bg, _("template '%s' must be a group { %s = ...; text = ...; "
				       "params = ...; }"), b->tmpl, codekey);
		return -1;
	}
	if (!cfgval_keys(cv, bg, positional ? pos_keys : named_keys))
		return -1;
	if (cfgval_string(cv, bg, codekey, &s) != 1 || s[0] == '\0') {
		cfgval_error(cv, bg, _("template '%s' needs '%s' (the approved template's %s)"),
			     b->tmpl, codekey, codekey);
		return -1;
	}
	if ((b->code = dup_or_report(cv, bg, s)) == NULL)
		return -1;
	if (cfgval_string(cv, bg, "text", &s) != 1 || s[0] == '\0') {
		cfgval_error(cv, bg, _("template '%s' needs 'text' (the approved text)"), b->tmpl);
		return -1;
	}
	if (check_text(cv, textat, "'text'", s) != 0 ||
	    (b->text = dup_or_report(cv, textat, s)) == NULL)
		return -1;
	ps = config_setting_get_member(bg, "params");
	if (ps == NULL) {
		if (params_alloc(b, 0) != 0)
			return -1;
	} else if ((positional ? params_positional(cv, ps, b) : params_named(cv, ps, b)) != 0) {
		return -1;
	}
	return check_placeholders(cv, textat, ps, positional, b);
}

static void
parse_bindings(struct cfgval *cv, const config_setting_t *g, struct provider_conf *pc)
{
	const config_setting_t *tg = config_setting_get_member(g, "templates");
	bool positional = type_positional(pc);
	int n;

	if (tg == NULL) {
		cfgval_error(cv, g, _("provider '%s' needs 'templates' (its approved templates)"),
			     pc->name ? pc->name : "?");
		return;
	}
	if (config_setting_type(tg) != CONFIG_TYPE_GROUP || config_setting_length(tg) == 0) {
		cfgval_error(cv, tg, _("'templates' must be a group of one or more "
				       "NAME = { ... } (NAME: a template of templates/)"));
		return;
	}
	n = config_setting_length(tg);
	pc->bindings = calloc((size_t)n, sizeof(*pc->bindings));
	if (pc->bindings == NULL) {
		cfgval_error(cv, tg, _("out of memory"));
		return;
	}
	pc->nbindings = (size_t)n;
	for (int i = 0; i < n; i++)
		parse_binding(cv, config_setting_get_elem(tg, (unsigned)i), positional,
			      &pc->bindings[i]);
}

static void
parse_limits(struct cfgval *cv, const config_setting_t *g, struct provider_conf *pc)
{
	static const char *const keys[] = { "per_number_hour", "per_number_day", NULL };
	const config_setting_t *lg = cfgval_group(cv, g, "limits");
	long v;

	if (lg == NULL)
		return;
	cfgval_keys(cv, lg, keys);
	if (cfgval_int(cv, lg, "per_number_hour", 0, 100000, &v) == 1)
		pc->per_number_hour = (int)v;
	if (cfgval_int(cv, lg, "per_number_day", 0, 100000, &v) == 1)
		pc->per_number_day = (int)v;
	if (pc->per_number_hour > 0 && pc->per_number_day >= 0 &&
	    pc->per_number_hour > pc->per_number_day)
		cfgval_error(cv, lg, _("limits: 'per_number_hour' (%d) is more than "
				       "'per_number_day' (%d)"),
			     pc->per_number_hour, pc->per_number_day);
}

void
provider_parse_templated(struct cfgval *cv, const config_setting_t *g, struct provider_conf *pc)
{
	const config_setting_t *at = config_setting_get_member(g, "sign_name");
	struct duration d;
	const char *s;
	long v;

	if (cfgval_string(cv, g, "sign_name", &s) == 1) {
		if (s[0] == '\0')
			cfgval_error(cv, at, _("'sign_name' must not be empty"));
		else if (check_text(cv, at, "'sign_name'", s) == 0)
			pc->sign_name = dup_or_report(cv, at, s);
	} else if (at == NULL) {
		cfgval_error(cv, g, _("provider '%s' needs 'sign_name' (its approved signature, 签名)"),
			     pc->name ? pc->name : "?");
	}
	parse_bindings(cv, g, pc);
	if (cfgval_int(cv, g, "batch", 1, (long)pc->ops->batch_same, &v) == 1)
		pc->batch = (int)v;
	if (cfgval_int(cv, g, "max_param", 1, 1000, &v) == 1)
		pc->max_param = (int)v;
	parse_limits(cv, g, pc);
	if (cfgval_duration(cv, g, "halt_retry", &d) == 1) {
		int64_t sec = duration_seconds(&d);
		if (sec < 10 || sec > 86400)
			cfgval_error(cv, config_setting_get_member(g, "halt_retry"),
				     _("'halt_retry' must be between 10s and 1d"));
		else
			pc->halt_retry_ms = (long)sec * 1000;
	}
}

/* ---- what the template backends share ------------------------------------- */

int
provider_secret_key(struct cfgval *cv, const config_setting_t *g, const char *key, char **out)
{
	const config_setting_t *at = config_setting_get_member(g, key);
	struct ptmpl t = { 0 };
	char what[64];
	const char *s;
	int rc = -1;

	*out = NULL;
	snprintf(what, sizeof(what), "'%s'", key);
	if (cfgval_string(cv, g, key, &s) != 1) {
		if (at == NULL)
			cfgval_error(cv, g, _("this provider needs '%s' (best as \"{{env.NAME}}\")"),
				     key);
		return -1;
	}
	if (ptmpl_parse(cv, at, what, s, false, &t) != 0)
		return -1;
	if (t.n != 1 || t.p[0].var != PV_LITERAL || t.p[0].len == 0) {
		cfgval_error(cv, at, _("'%s' must not be empty"), key);
		goto out;
	}
	if ((*out = strdup(t.p[0].lit)) == NULL)
		cfgval_error(cv, at, _("out of memory"));
	else
		rc = 0;
out:
	if (t.n == 1 && t.p[0].lit)
		memset(t.p[0].lit, 0, t.p[0].len);
	ptmpl_free(&t);
	return rc;
}

void
provider_secret_free(char *s)
{
	if (s == NULL)
		return;
	memset(s, 0, strlen(s));
	free(s);
}

int
provider_endpoint(struct cfgval *cv, const config_setting_t *g, const char *dflt, char **base,
		  char **host)
{
	const config_setting_t *at = config_setting_get_member(g, "endpoint");
	const char *s = dflt, *h, *end;
	size_t len;

	*base = *host = NULL;
	if (cfgval_string(cv, g, "endpoint", &s) == -1)
		return -1;
	if (strncmp(s, "http://", 7) == 0)
		h = s + 7;
	else if (strncmp(s, "https://", 8) == 0)
		h = s + 8;
	else {
		cfgval_error(cv, at, _("'endpoint' must start with http:// or https://"));
		return -1;
	}
	end = h + strcspn(h, "/?#");
	if (end == h || *end == '?' || *end == '#' || (*end == '/' && end[1] != '\0')) {
		cfgval_error(cv, at, _("'endpoint' must be a scheme and a host, such as \"%s\""),
			     dflt);
		return -1;
	}
	len = (size_t)(end - s);
	*base = strndup(s, len);
	*host = strndup(h, (size_t)(end - h));
	if (*base == NULL || *host == NULL) {
		free(*base);
		free(*host);
		*base = *host = NULL;
		cfgval_error(cv, at, _("out of memory"));
		return -1;
	}
	return 0;
}

bool
provider_values_equal(const struct provider_msg *m, size_t n)
{
	size_t np = m[0].binding ? m[0].binding->nparam : 0;

	for (size_t i = 1; i < n; i++)
		for (size_t j = 0; j < np; j++)
			if (strcmp(m[i].values[j], m[0].values[j]) != 0)
				return false;
	return true;
}

const char *
provider_national(const char *e164)
{
	if (strncmp(e164, "+86", 3) == 0)
		return e164 + 3;
	return e164[0] == '+' ? e164 + 1 : e164;
}

int
provider_batch_check(const struct provider_conf *pc, const struct provider_msg *m, size_t n,
		     char *err, size_t errlen)
{
	size_t most;

	if (n == 0) {
		snprintf(err, errlen, _("no message to send"));
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (m[i].binding == NULL || (m[i].values == NULL && m[i].binding->nparam > 0)) {
			snprintf(err, errlen,
				 _("provider '%s' carries only approved templates, not free text"),
				 pc->name ? pc->name : pc->ops->type);
			return -1;
		}
		if (m[i].binding != m[0].binding) {
			snprintf(err, errlen, _("one request carries one template"));
			return -1;
		}
	}
	most = provider_values_equal(m, n) ? pc->ops->batch_same : pc->ops->batch_distinct;
	if (n > most || n > (size_t)(pc->batch > 0 ? pc->batch : 1)) {
		snprintf(err, errlen, _("%zu numbers in one request: provider '%s' takes at most %zu"),
			 n, pc->name ? pc->name : pc->ops->type,
			 most < (size_t)pc->batch ? most : (size_t)pc->batch);
		return -1;
	}
	return 0;
}

/* Whether an 11-digit Chinese mobile number, the only kind Aliyun takes
 * without a country code. */
static bool
mobile_ok(const char *e164)
{
	const char *d = provider_national(e164);

	if (strncmp(e164, "+86", 3) != 0)
		return true; /* international: the provider's to judge */
	if (strlen(d) != 11 || d[0] != '1')
		return false;
	for (size_t i = 0; i < 11; i++)
		if (d[i] < '0' || d[i] > '9')
			return false;
	return true;
}

/* Whether message m is one a provider refuses whatever the others: a bad
 * number, or a value pc's rules refuse. */
static bool
culprit(const struct provider_conf *pc, const struct provider_msg *m)
{
	char err[PROVIDER_REASON_MAX];

	if (!mobile_ok(m->phone))
		return true;
	for (size_t j = 0; m->binding && m->values && j < m->binding->nparam; j++)
		if (provider_param_check(pc, m->values[j], err, sizeof(err)) != 0)
			return true;
	return false;
}

void
provider_refused(const struct provider_conf *pc, const struct provider_msg *m, size_t n,
		 enum provider_result cls, long wait, const char *code, const char *reason,
		 struct provider_verdict *v)
{
	bool *bad = NULL;
	size_t culprits = 0;

	if (cls == PROVIDER_PERMANENT && n > 1 && (bad = calloc(n, sizeof(*bad))) != NULL)
		for (size_t i = 0; i < n; i++)
			culprits += (bad[i] = culprit(pc, &m[i]));
	for (size_t i = 0; i < n; i++) {
		v[i].result = cls;
		v[i].wait_s = wait;
		snprintf(v[i].code, sizeof(v[i].code), "%s", code);
		snprintf(v[i].reason, sizeof(v[i].reason), "%s", reason);
		if (culprits == 0)
			continue;
		if (bad[i]) {
			v[i].drop = true;
		} else {
			/* refused because of another number: goes again without it */
			v[i].result = PROVIDER_TRANSIENT;
			snprintf(v[i].reason, sizeof(v[i].reason), "%s (%s)",
				 _("the batch was refused because of another number"), reason);
		}
	}
	free(bad);
}

const struct provider_binding *
provider_binding_find(const struct provider_conf *pc, const char *tmpl)
{
	for (size_t i = 0; i < pc->nbindings; i++)
		if (strcmp(pc->bindings[i].tmpl, tmpl) == 0)
			return &pc->bindings[i];
	return NULL;
}

/* Whether s holds a link: a scheme, or a www. host. */
static bool
has_url(const char *s)
{
	static const char *const marks[] = { "http://", "https://", "www.", "ftp://", NULL };

	for (const char *p = s; *p; p++)
		for (size_t i = 0; marks[i]; i++)
			if (strncasecmp(p, marks[i], strlen(marks[i])) == 0)
				return true;
	return false;
}

int
provider_param_check(const struct provider_conf *pc, const char *value, char *err, size_t errlen)
{
	size_t len = strlen(value), chars = 0;

	if (!utf8_valid(value, len)) {
		snprintf(err, errlen, _("the value is not valid UTF-8"));
		return -1;
	}
	for (size_t i = 0; i < len; i++)
		chars += ((unsigned char)value[i] & 0xc0) != 0x80;
	if ((long)chars > pc->max_param) {
		snprintf(err, errlen,
			 _("the value has %zu characters, provider '%s' takes at most %d "
			   "(shorten it with a filter such as |max:%d)"),
			 chars, pc->name ? pc->name : "?", pc->max_param, pc->max_param);
		return -1;
	}
	if (strchr(value, '\n') || strchr(value, '\r')) {
		snprintf(err, errlen, _("the value has a line break"));
		return -1;
	}
	if (has_url(value)) {
		snprintf(err, errlen, _("the value holds a link, which provider '%s' refuses"),
			 pc->name ? pc->name : "?");
		return -1;
	}
	return 0;
}
