/*
 * route.c - routing a message to the providers able to carry it, and the
 * values a template provider sends, rendered and checked when the message
 * is queued.  A binding's values are duban template expressions, compiled
 * here with core/tmpl.c: once at load to check them (route_check), and
 * once per action to render them (route_open), never at send time.  The
 * values go to the row as canonical JSON, written by hand so that equal
 * values are equal strings (see store_schema.c), and are read back for
 * the dispatcher by a reader of that one form.
 */
#include "core/route.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/i18n.h"
#include "base/str.h"
#include "base/utf8.h"
#include "provider/provider.h"

#define ROUTE_VALUE_MAX 1024  /* bytes of one rendered value */
#define ROUTE_SHOWN_MAX 4096  /* bytes of the text a phone shows */
#define ROUTE_PARAMS_MAX (64 * 1024)

/* ---- bindings ------------------------------------------------------------------ */

const struct provider_binding *
route_binding(const struct provider_conf *pc, const char *name)
{
	if (!pc->templated || name == NULL)
		return NULL;
	return provider_binding_find(pc, name);
}

/* The message of a tmpl_parse diagnostic without its "x:LINE: " prefix. */
static const char *
diag_text(const char *line)
{
	const char *p = strstr(line, ": ");

	return p ? p + 2 : line;
}

/* Compile one value of a binding (expression expr); problems to diag at line. */
static int
compile_value(const char *file, long line, const char *prov, const struct provider_binding *b,
	      const char *pname, const char *expr, struct tmpl **out, struct diag *diag)
{
	struct diag d = { 0 };
	int rc = tmpl_parse("x", NULL, expr, out, &d);

	for (size_t i = 0; i < d.n; i++)
		diag_add(diag, file, line, _("provider %s: template %s: value of %s: %s"), prov,
			 b->tmpl, pname, d.line[i] ? diag_text(d.line[i]) : "out of memory");
	diag_clear(&d);
	return rc;
}

/* State of a check of one value's variables against its template. */
struct allow_walk {
	const struct tmpl *t;
	const char *file, *prov, *pname;
	const struct provider_binding *b;
	long line;
	struct diag *diag;
	bool ok;
};

static const char *
kind_words(enum tmpl_kind k)
{
	switch (k) {
	case TMPL_KIND_TASK: return _("a task's reminder: task.*, person.*, now, signature");
	case TMPL_KIND_NOTICE: return _("a notice: person.*, now, signature and the var.* and notice.* it uses");
	default: return _("any message: person.*, now, signature");
	}
}

static void
allow_one(void *arg, const char *name, long line)
{
	struct allow_walk *w = arg;

	(void)line;
	if (tmpl_allows(w->t, name))
		return;
	diag_add(w->diag, w->file, w->line,
		 _("provider %s: template %s: value of %s uses {{%s}}, which a message of "
		   "template \"%s\" does not have (it is %s)"),
		 w->prov, w->b->tmpl, w->pname, name, w->b->tmpl, kind_words(tmpl_kind(w->t)));
	w->ok = false;
}

/* Check one binding of provider pc whole; problems to diag. */
static void
check_binding(const struct duban_config *cfg, const struct tmpl_set *ts,
	      const struct provider_conf *pc, const struct provider_binding *b, struct diag *diag)
{
	const char *file = cfg->path ? cfg->path : "duban.cfg";
	const struct tmpl *t = ts ? tmpl_set_get(ts, b->tmpl) : NULL;

	if (t == NULL) {
		diag_add(diag, file, b->line,
			 _("provider %s: template \"%s\" is bound, but there is no %s/%s.txt"),
			 pc->name, b->tmpl, cfg->templates_dir, b->tmpl);
		return;
	}
	for (size_t i = 0; i < b->nparam; i++) {
		long line = b->pline && b->pline[i] > 0 ? b->pline[i] : b->line;
		struct tmpl *v = NULL;
		struct allow_walk w = { .t = t, .file = file, .prov = pc->name, .pname = b->pname[i],
					.b = b, .line = line, .diag = diag, .ok = true };

		if (compile_value(file, line, pc->name, b, b->pname[i], b->pexpr[i], &v, diag) != 0)
			continue;
		tmpl_each_name(v, allow_one, &w);
		tmpl_free(v);
	}
}

int
route_check(const struct duban_config *cfg, const struct tmpl_set *ts, struct diag *diag)
{
	size_t before = diag->n;

	for (size_t p = 0; p < cfg->nproviders; p++) {
		const struct provider_conf *pc = &cfg->providers[p];
		if (!pc->templated)
			continue;
		for (size_t i = 0; i < pc->nbindings; i++)
			check_binding(cfg, ts, pc, &pc->bindings[i], diag);
	}
	return diag->n == before ? 0 : -1;
}

/* ---- a route ------------------------------------------------------------------- */

struct route_hop {
	const struct provider_conf *pc;
	const struct provider_binding *b; /* NULL: a free-text provider */
	struct tmpl **v;                  /* b->nparam compiled values */
};

struct route {
	const struct duban_config *cfg;
	const struct tmpl *t;
	struct route_hop *hop; /* the providers able to carry it, in order */
	size_t n;
	bool personal, any_template;
};

void
route_free(struct route *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++) {
		if (r->hop[i].v)
			for (size_t k = 0; k < r->hop[i].b->nparam; k++)
				tmpl_free(r->hop[i].v[k]);
		free(r->hop[i].v);
	}
	free(r->hop);
	free(r);
}

bool
route_personal(const struct route *r)
{
	return r->personal;
}

bool
route_free_text_ok(const struct duban_config *cfg)
{
	for (size_t i = 0; i < cfg->nproviders; i++)
		if (!cfg->providers[i].templated)
			return true;
	return cfg->nproviders == 0;
}

bool
route_templated(const struct route *r)
{
	return r->any_template;
}

/* The names of cfg's providers, "a, b, c", into out. */
static void
provider_names(const struct duban_config *cfg, char *out, size_t outlen)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < cfg->nproviders && used < outlen; i++) {
		int n = snprintf(out + used, outlen - used, "%s%s", i ? ", " : "",
				 cfg->providers[i].name);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

/* Why nothing of cfg can carry messages of t (NULL: a free text). */
static int
refuse_route(const struct duban_config *cfg, const struct tmpl *t, char *err, size_t errlen)
{
	static const char *const kinds[] = { N_("a message"), N_("a task's reminder"),
					     N_("a notice") };
	char names[256];

	provider_names(cfg, names, sizeof(names));
	if (t == NULL)
		snprintf(err, errlen,
			 _("a free text cannot be sent: every configured provider (%s) takes only "
			   "approved templates; send a template that one of them has a binding for"),
			 names);
	else
		snprintf(err, errlen,
			 _("template \"%s\" (%s) cannot be sent: no provider takes free text and "
			   "none of %s has a binding for it (add it to a provider's templates)"),
			 tmpl_name(t), _(kinds[tmpl_kind(t)]), names);
	return -1;
}

/* Compile hop h's values; -1 when one does not compile (route_check passed it: memory). */
static int
compile_hop(struct route *r, struct route_hop *h, char *err, size_t errlen)
{
	struct diag d = { 0 };

	if ((h->v = calloc(h->b->nparam ? h->b->nparam : 1, sizeof(*h->v))) == NULL)
		goto fail;
	for (size_t k = 0; k < h->b->nparam; k++) {
		if (tmpl_parse(h->b->tmpl, NULL, h->b->pexpr[k], &h->v[k], &d) != 0)
			goto fail;
		if (tmpl_uses_prefix(h->v[k], "person."))
			r->personal = true;
	}
	return 0;
fail:
	snprintf(err, errlen, _("provider %s: template %s: %s"), h->pc->name, h->b->tmpl,
		 d.n && d.line[0] ? d.line[0] : _("out of memory"));
	diag_clear(&d);
	return -1;
}

int
route_open(const struct duban_config *cfg, const struct tmpl *t, struct route **out,
	   char *err, size_t errlen)
{
	struct route *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (r == NULL || (cfg->nproviders &&
			  (r->hop = calloc(cfg->nproviders, sizeof(*r->hop))) == NULL)) {
		free(r);
		snprintf(err, errlen, _("out of memory"));
		return -1;
	}
	r->cfg = cfg;
	r->t = t;
	r->personal = t != NULL && tmpl_uses_prefix(t, "person.");
	for (size_t i = 0; i < cfg->nproviders; i++) {
		const struct provider_conf *pc = &cfg->providers[i];
		struct route_hop *h = &r->hop[r->n];

		if (pc->templated && (t == NULL || (h->b = route_binding(pc, tmpl_name(t))) == NULL))
			continue;
		h->pc = pc;
		r->n++;
		if (h->b != NULL) {
			r->any_template = true;
			if (compile_hop(r, h, err, errlen) != 0) {
				route_free(r);
				return -1;
			}
		}
	}
	if (r->n == 0 && cfg->nproviders > 0) {
		route_free(r);
		return refuse_route(cfg, t, err, errlen);
	}
	*out = r;
	return 0;
}

/* ---- rendering a message ------------------------------------------------------------ */

void
route_out_clear(struct route_out *o)
{
	if (o == NULL)
		return;
	free(o->params);
	free(o->body);
	memset(o, 0, sizeof(*o));
}

/* Characters (code points) of valid UTF-8 s. */
static size_t
utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

/* A hint to shorten expression expr to max characters. */
static void
shorten_hint(const char *expr, long max, char *out, size_t outlen)
{
	const char *open = strstr(expr, "{{"), *close = open ? strstr(open, "}}") : NULL;

	/* One tag without a filter, and nothing else: say exactly what to write. */
	if (open == expr && close && close[2] == '\0' && strchr(open, '|') == NULL &&
	    strstr(open + 2, "{{") == NULL) {
		int n = (int)(close - open - 2);
		while (n > 0 && open[2 + n - 1] == ' ')
			n--;
		const char *name = open + 2;
		while (*name == ' ' && n > 0) {
			name++;
			n--;
		}
		snprintf(out, outlen, _("shorten it with {{%.*s|max:%ld}}"), n, name, max);
	} else {
		snprintf(out, outlen, _("shorten it with a |max:N filter (N at most %ld)"), max);
	}
}

/* Render value k of hop h into out (emptied) and check it for the provider. */
static int
render_value(const struct route_hop *h, size_t k, const struct msg_vars *mv, const char *what,
	     struct buf *out, char *err, size_t errlen)
{
	const struct provider_binding *b = h->b;
	char why[512], hint[160];
	size_t chars;

	buf_truncate(out, 0);
	if (tmpl_render(h->v[k], msg_vars_lookup, (void *)mv, out, why, sizeof(why)) != 0) {
		snprintf(err, errlen, _("%s: provider %s: template %s: value of %s: %s"), what,
			 h->pc->name, b->tmpl, b->pname[k], diag_text(why));
		return -1;
	}
	if (out->data == NULL || !utf8_valid(out->data, out->len)) {
		snprintf(err, errlen, _("%s: provider %s: template %s: value of %s is not UTF-8 text"),
			 what, h->pc->name, b->tmpl, b->pname[k]);
		return -1;
	}
	chars = utf8_chars(out->data);
	if ((long)chars > (long)h->pc->max_param) {
		shorten_hint(b->pexpr[k], h->pc->max_param, hint, sizeof(hint));
		snprintf(err, errlen,
			 _("%s: template %s: the value of %s is %zu characters, over the limit of "
			   "provider %s (%d, max_param); %s"),
			 what, b->tmpl, b->pname[k], chars, h->pc->name, h->pc->max_param, hint);
		return -1;
	}
	/* The rest of what the provider refuses in a value (a link, a line break) is its own. */
	if (provider_param_check(h->pc, out->data, why, sizeof(why)) != 0) {
		snprintf(err, errlen, _("%s: template %s: the value of %s: %s"), what, b->tmpl,
			 b->pname[k], why);
		return -1;
	}
	return 0;
}

/* Append s as a JSON string (canonical: see store_schema.c); -1 when full. */
static int
json_str(struct buf *b, const char *s)
{
	if (buf_add(b, "\"", 1) != 0 || provider_json_escape(b, s, strlen(s)) != 0 ||
	    buf_add(b, "\"", 1) != 0)
		return -1;
	return 0;
}

/* The state of one rendering. */
struct render_st {
	const struct route *r;
	const struct msg_vars *mv;
	const char *what;
	unsigned max_parts;
	struct buf params, value, shown;
	char **vals;
	size_t nvals;
};

/* Measure shown (the phone's text, signature included) against max_parts. */
static int
check_shown(struct render_st *s, const struct route_hop *h, const char *text, const char *sig,
	    struct sms_info *info, char *err, size_t errlen)
{
	char why[256];

	if (sms_measure(text, sig, info, why, sizeof(why)) != 0) {
		snprintf(err, errlen, _("%s: provider %s: %s"), s->what, h->pc->name, why);
		return -1;
	}
	if (info->parts > s->max_parts) {
		snprintf(err, errlen,
			 _("%s: through provider %s the text is %u SMS parts, over sms.max_parts (%u)"),
			 s->what, h->pc->name, info->parts, s->max_parts);
		return -1;
	}
	return 0;
}

/* Free the rendered values of one hop. */
static void
vals_clear(struct render_st *s)
{
	for (size_t i = 0; i < s->nvals; i++)
		free(s->vals[i]);
	free(s->vals);
	s->vals = NULL;
	s->nvals = 0;
}

/*
 * Render hop h's values into s->vals and append them to params; for the
 * first hop, its text and info into out.  0 or -1 with err.
 */
static int
render_hop(struct render_st *s, const struct route_hop *h, bool first, struct route_out *out,
	   char *err, size_t errlen)
{
	const struct provider_binding *b = h->b;
	struct sms_info info;
	const char *sign = h->pc->sign_name ? h->pc->sign_name : "";
	char prefix[256];

	if ((s->vals = calloc(b->nparam ? b->nparam : 1, sizeof(char *))) == NULL)
		goto nomem;
	if (buf_printf(&s->params, "%s\"%s\":[", s->params.len > 1 ? "," : "", h->pc->name) != 0)
		goto full;
	for (size_t k = 0; k < b->nparam; k++) {
		if (render_value(h, k, s->mv, s->what, &s->value, err, errlen) != 0)
			return -1;
		if ((s->vals[k] = strdup(s->value.data)) == NULL)
			goto nomem;
		s->nvals = k + 1;
		if ((k && buf_add(&s->params, ",", 1) != 0) || json_str(&s->params, s->vals[k]) != 0)
			goto full;
	}
	if (buf_add(&s->params, "]", 1) != 0)
		goto full;
	buf_truncate(&s->shown, 0);
	if (provider_binding_render(h->pc, b, (const char *const *)s->vals, &s->shown) != 0 ||
	    s->shown.data == NULL)
		goto full;
	/* The phone shows 【sign】 + text: measure the text with the signature. */
	const char *text = s->shown.data;
	snprintf(prefix, sizeof(prefix), "【%s】", sign);
	if (strncmp(text, prefix, strlen(prefix)) == 0)
		text += strlen(prefix);
	if (check_shown(s, h, text, sign, &info, err, errlen) != 0)
		return -1;
	if (first) {
		if ((out->body = strdup(text)) == NULL)
			goto nomem;
		out->signature = sign;
		out->info = info;
		out->provider = h->pc->name;
	}
	vals_clear(s);
	return 0;
full:
	snprintf(err, errlen, _("%s: provider %s: template %s: the values are too long"), s->what,
		 h->pc->name, b->tmpl);
	return -1;
nomem:
	snprintf(err, errlen, _("out of memory"));
	return -1;
}

/* The first free-text hop's text: duban's own, with the configured signature. */
static int
render_free(struct render_st *s, const struct route_hop *h, const char *text, bool first,
	    bool star, struct route_out *out, char *err, size_t errlen)
{
	struct sms_info info;
	const char *sig = s->r->cfg->signature ? s->r->cfg->signature : "";

	if (h == NULL) { /* no provider configured: measured as before */
		if (sms_measure(text, sig, &info, err, errlen) != 0)
			return -1;
	} else if (check_shown(s, h, text, sig, &info, err, errlen) != 0) {
		return -1;
	}
	if (star && (buf_printf(&s->params, "%s\"*\":", s->params.len > 1 ? "," : "") != 0 ||
		     json_str(&s->params, text) != 0)) {
		snprintf(err, errlen, _("%s: the text is too long"), s->what);
		return -1;
	}
	if (first) {
		if ((out->body = strdup(text)) == NULL) {
			snprintf(err, errlen, _("out of memory"));
			return -1;
		}
		out->signature = sig;
		out->info = info;
		out->provider = h ? h->pc->name : NULL;
	}
	return 0;
}

int
route_render(const struct route *r, const struct msg_vars *mv, const char *text,
	     unsigned max_parts, const char *what, struct route_out *out, char *err,
	     size_t errlen)
{
	struct render_st s = { .r = r, .mv = mv, .what = what, .max_parts = max_parts };
	bool free_done = false;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	buf_init(&s.params, ROUTE_PARAMS_MAX);
	buf_init(&s.value, ROUTE_VALUE_MAX);
	buf_init(&s.shown, ROUTE_SHOWN_MAX);
	if (r->n == 0) {
		rc = render_free(&s, NULL, text, true, false, out, err, errlen);
		goto out;
	}
	if (r->any_template && buf_add(&s.params, "{", 1) != 0)
		goto out;
	for (size_t i = 0; i < r->n; i++) {
		const struct route_hop *h = &r->hop[i];
		if (h->b != NULL) {
			if (render_hop(&s, h, i == 0, out, err, errlen) != 0)
				goto out;
		} else if (!free_done) {
			/* Only the first free-text provider matters: they all send text. */
			if (render_free(&s, h, text, i == 0, i > 0 && r->any_template, out, err,
					errlen) != 0)
				goto out;
			free_done = true;
		}
	}
	if (r->any_template) {
		if (buf_add(&s.params, "}", 1) != 0)
			goto out;
		out->params = buf_steal(&s.params);
		if (out->params == NULL)
			goto out;
	}
	rc = 0;
out:
	vals_clear(&s);
	buf_free(&s.params);
	buf_free(&s.value);
	buf_free(&s.shown);
	if (rc != 0)
		route_out_clear(out);
	return rc;
}

/* ---- a stored row, for the dispatcher ------------------------------------------------- */

void
route_send_clear(struct route_send *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->nown; i++)
		free(s->own[i]);
	free(s->own);
	free(s->own_text);
	memset(s, 0, sizeof(*s));
}

/*
 * Reading params back.  Only route_render writes it, in one canonical form
 * (store_schema.c): an object of arrays of strings and the "*" string,
 * no spaces, the escapes of provider_json_escape.  So a reader of that
 * form is a few lines and allocates nothing to find a member - the
 * dispatcher asks for every row it sends.  Anything else is not duban's
 * and carries nothing.
 */

/* The byte after the JSON string that starts at p (its '"'), or NULL. */
static const char *
str_skip(const char *p)
{
	if (*p++ != '"')
		return NULL;
	for (; *p && *p != '"'; p++)
		if (*p == '\\' && *++p == '\0')
			return NULL;
	return *p == '"' ? p + 1 : NULL;
}

/* The JSON string at p decoded into a new string *out; the byte after it, or NULL. */
static const char *
str_decode(const char *p, char **out)
{
	const char *end = str_skip(p);
	char *o;

	*out = NULL;
	if (end == NULL || (o = *out = malloc((size_t)(end - p))) == NULL)
		return NULL;
	for (p++; p < end - 1; p++) {
		if (*p != '\\') {
			*o++ = *p;
			continue;
		}
		switch (*++p) {
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u': { /* \u00XX: a control character, as the writer escapes them */
			int hi = str_hexval(p[3]), lo = str_hexval(p[4]);
			if (p[1] != '0' || p[2] != '0' || hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				goto bad;
			*o++ = (char)(hi * 16 + lo);
			p += 4;
			break;
		}
		default: *o++ = *p; break; /* \" and \\ */
		}
	}
	*o = '\0';
	return end;
bad:
	free(*out);
	*out = NULL;
	return NULL;
}

/* The byte after the value at p (a string, or an array of strings), or NULL. */
static const char *
value_skip(const char *p)
{
	if (*p == '"')
		return str_skip(p);
	if (*p++ != '[')
		return NULL;
	while (*p == '"') {
		if ((p = str_skip(p)) == NULL)
			return NULL;
		if (*p == ',')
			p++;
	}
	return *p == ']' ? p + 1 : NULL;
}

/* The value of member key of params, or NULL. */
static const char *
params_member(const char *params, const char *key)
{
	size_t klen = strlen(key);
	const char *p = params;

	if (p == NULL || *p++ != '{')
		return NULL;
	while (*p == '"') {
		const char *k = p + 1, *end = str_skip(p);
		if (end == NULL || *end != ':')
			return NULL;
		if ((size_t)(end - 1 - k) == klen && memcmp(k, key, klen) == 0)
			return end + 1;
		if ((p = value_skip(end + 1)) == NULL)
			return NULL;
		if (*p == ',')
			p++;
	}
	return NULL;
}

/* The strings of the array at v (n of them wanted) into out[0..n-1]; 0, or -1. */
static int
array_decode(const char *v, size_t n, char **out)
{
	size_t i = 0;

	if (v == NULL || *v++ != '[')
		return -1;
	while (*v == '"') {
		if (i == n || (v = str_decode(v, &out[i])) == NULL)
			return -1;
		i++;
		if (*v == ',')
			v++;
	}
	return *v == ']' && i == n ? 0 : -1;
}

/* How many strings the array at v holds, or -1. */
static long
array_count(const char *v)
{
	long n = 0;

	if (v == NULL || *v++ != '[')
		return -1;
	while (*v == '"') {
		if ((v = str_skip(v)) == NULL)
			return -1;
		n++;
		if (*v == ',')
			v++;
	}
	return *v == ']' ? n : -1;
}

static int __attribute__((format(printf, 3, 4)))
cannot(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

int
route_send_prepare(const struct provider_conf *pc, const char *template_name,
		   const char *params, const char *body, struct route_send *out, char *err,
		   size_t errlen)
{
	const struct provider_binding *b;
	const char *v;

	memset(out, 0, sizeof(*out));
	if (!pc->templated) {
		/* A free-text provider: params' "*" text, else body. */
		out->text = body;
		if ((v = params_member(params, "*")) != NULL && *v == '"') {
			if (str_decode(v, &out->own_text) == NULL)
				return cannot(err, errlen, _("the message's params are not duban's"));
			out->text = out->own_text;
		}
		return 0;
	}
	if (template_name == NULL)
		return cannot(err, errlen, _("provider %s takes only approved templates, not a free text"),
			      pc->name);
	if ((b = route_binding(pc, template_name)) == NULL)
		return cannot(err, errlen, _("provider %s has no binding for template \"%s\""),
			      pc->name, template_name);
	v = params_member(params, pc->name);
	if (v == NULL || array_count(v) != (long)b->nparam)
		return cannot(err, errlen,
			      _("the message was queued without values for provider %s (template \"%s\")"),
			      pc->name, template_name);
	if ((out->own = calloc(b->nparam ? b->nparam : 1, sizeof(char *))) == NULL)
		return cannot(err, errlen, "%s", _("out of memory"));
	out->nown = b->nparam;
	if (array_decode(v, b->nparam, out->own) != 0) {
		route_send_clear(out);
		return cannot(err, errlen, _("the message's params are not duban's"));
	}
	out->binding = b;
	out->values = (const char *const *)out->own;
	return 0;
}

bool
route_can_carry(const struct provider_conf *pc, const char *template_name, const char *params)
{
	const struct provider_binding *b;

	if (!pc->templated)
		return true;
	if ((b = route_binding(pc, template_name)) == NULL)
		return false;
	return array_count(params_member(params, pc->name)) == (long)b->nparam;
}
