/*
 * provider.c - what the provider backends share: the `providers` list of
 * the configuration (common keys, then each backend's own), templates over
 * a message with {{env.NAME}} secrets resolved at load, escaping for URLs,
 * forms and JSON, the small helpers reading a reply needs (a JSON field,
 * an excerpt of the body), and what every backend's callbacks share: the
 * callback secret and reading a field of a callback.  Nothing here sends.
 */
#include "provider/provider.h"
#include "provider/provider_int.h"
#include "base/array.h"
#include "base/str.h"
#include "base/utf8.h"
#include "base/buf.h"
#include "base/duration.h"
#include "base/jsonpath.h"
#include "base/i18n.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define MAX_KEYS 48

const char *
provider_result_name(enum provider_result r)
{
	switch (r) {
	case PROVIDER_ACCEPTED: return "accepted";
	case PROVIDER_TRANSIENT: return "transient";
	case PROVIDER_LIMITED: return "limited";
	case PROVIDER_HALTED: return "halted";
	default: return "permanent";
	}
}

void
provider_msg_ref(int64_t id, char *out, size_t outlen)
{
	snprintf(out, outlen, "duban-%" PRId64, id);
}

/*
 * The registry: X(TYPE) for each backend, whose table provider_TYPE_ops is
 * the one name its file provider_TYPE.c exports (provider.h says how to
 * write one).  A `type` is looked up here, and its error lists these.
 */
#define PROVIDER_BACKENDS(X) X(http) X(kannel) X(aliyun) X(tencent)

#define DECLARE(type) extern const struct provider_ops provider_##type##_ops;
PROVIDER_BACKENDS(DECLARE)
#undef DECLARE

#define ENTRY(type) &provider_##type##_ops,
static const struct provider_ops *const backends[] = { PROVIDER_BACKENDS(ENTRY) };
#undef ENTRY

/* The backend called type, or NULL. */
static const struct provider_ops *
backend_find(const char *type)
{
	for (size_t i = 0; i < ARRAY_LEN(backends); i++)
		if (strcmp(backends[i]->type, type) == 0)
			return backends[i];
	return NULL;
}

/* The known types for a message: "\"http\" or \"kannel\"". */
static void
backend_names(char *out, size_t outlen)
{
	const char *types[ARRAY_LEN(backends)];

	for (size_t i = 0; i < ARRAY_LEN(backends); i++)
		types[i] = backends[i]->type;
	cfgval_words_text(types, ARRAY_LEN(backends), out, outlen);
}

/* ---- escaping ------------------------------------------------------------ */

/*
 * The end of an append made in steps since out->len was start: the n
 * bytes still staged in tmp go out, and out holds a string even when
 * nothing was added.  0, or -1 with out cut back to start.
 */
static int
append_end(struct buf *out, size_t start, const char *tmp, size_t n)
{
	if ((n > 0 && buf_add(out, tmp, n) != 0) ||
	    (out->data == NULL && buf_add(out, "", 0) != 0)) {
		buf_truncate(out, start);
		return -1;
	}
	return 0;
}

/* RFC 3986's unreserved characters: a URL carries them as they are. */
static bool
url_unreserved(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/* c escaped for a URL (or a form, where a blank is '+') into e; its length, 3 at most. */
static size_t
url_byte(unsigned char c, bool form, char *e)
{
	static const char hex[] = "0123456789ABCDEF";

	if (url_unreserved(c)) {
		e[0] = (char)c;
		return 1;
	}
	if (c == ' ' && form) {
		e[0] = '+';
		return 1;
	}
	e[0] = '%';
	e[1] = hex[c >> 4];
	e[2] = hex[c & 15];
	return 3;
}

/* c escaped for a JSON string into e; its length, 6 at most. */
static size_t
json_byte(unsigned char c, char *e)
{
	static const char hex[] = "0123456789abcdef";

	switch (c) {
	case '"': memcpy(e, "\\\"", 2); return 2;
	case '\\': memcpy(e, "\\\\", 2); return 2;
	case '\n': memcpy(e, "\\n", 2); return 2;
	case '\r': memcpy(e, "\\r", 2); return 2;
	case '\t': memcpy(e, "\\t", 2); return 2;
	default:
		if (c < 0x20 || c == 0x7f) {
			memcpy(e, "\\u00", 4);
			e[4] = hex[c >> 4];
			e[5] = hex[c & 15];
			return 6;
		}
		e[0] = (char)c;
		return 1;
	}
}

/*
 * Append len bytes of s to out escaped as esc says (ESC_URL, ESC_FORM or
 * ESC_JSON), through a small stage so that out grows in few steps.  0, or
 * -1 with out as it was (past its bound, or out of memory).
 */
static int
escape_append(struct buf *out, const char *s, size_t len, enum ptmpl_esc esc)
{
	size_t start = out->len, n = 0;
	char tmp[256];

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (n + 6 > sizeof(tmp)) {
			if (buf_add(out, tmp, n) != 0) {
				buf_truncate(out, start);
				return -1;
			}
			n = 0;
		}
		n += esc == ESC_JSON ? json_byte(c, tmp + n) : url_byte(c, esc == ESC_FORM, tmp + n);
	}
	return append_end(out, start, tmp, n);
}

int
provider_url_escape(struct buf *out, const char *s, size_t len, bool form)
{
	return escape_append(out, s, len, form ? ESC_FORM : ESC_URL);
}

int
provider_json_escape(struct buf *out, const char *s, size_t len)
{
	return escape_append(out, s, len, ESC_JSON);
}

/* ---- templates ----------------------------------------------------------- */

void
ptmpl_free(struct ptmpl *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n; i++)
		free(t->p[i].lit);
	free(t->p);
	memset(t, 0, sizeof(*t));
}

static int
ptmpl_push(struct ptmpl *t, enum ptmpl_var var, const char *lit, size_t len)
{
	struct ptmpl_piece *np;

	if (var == PV_LITERAL && len == 0)
		return 0;
	/* Adjacent literals (text around an {{env.X}}) are merged. */
	if (var == PV_LITERAL && t->n > 0 && t->p[t->n - 1].var == PV_LITERAL) {
		struct ptmpl_piece *last = &t->p[t->n - 1];
		char *nl = realloc(last->lit, last->len + len + 1);
		if (nl == NULL)
			return -1;
		memcpy(nl + last->len, lit, len);
		last->len += len;
		nl[last->len] = '\0';
		last->lit = nl;
		return 0;
	}
	np = realloc(t->p, (t->n + 1) * sizeof(*np));
	if (np == NULL)
		return -1;
	t->p = np;
	np[t->n] = (struct ptmpl_piece){ var, NULL, 0 };
	if (var == PV_LITERAL) {
		if ((np[t->n].lit = malloc(len + 1)) == NULL)
			return -1;
		memcpy(np[t->n].lit, lit, len);
		np[t->n].lit[len] = '\0';
		np[t->n].len = len;
	}
	t->n++;
	return 0;
}

/*
 * Where a missing {{env.NAME}} goes instead of the parse's diag
 * (provider_defer_secrets): per thread, set only for the length of one
 * configuration's parse, so that a reload parsing on one thread never
 * sees another's.  A variable and not a member of struct cfgval because
 * every validator of every file builds that struct.
 */
static _Thread_local struct diag *defer_to;

void
provider_defer_secrets(struct diag *d)
{
	defer_to = d;
}

static bool
env_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > 128 || isdigit((unsigned char)s[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return false;
	return true;
}

#define SECRET_FILE_MAX 4096

/*
 * {{file:PATH}}: the content of PATH, a regular file no one but its owner
 * may read or write (mode 0600 or 0400), one trailing newline dropped, as
 * the literal of t.  The path may be reported, the content never.  0, or
 * -1 reported.
 */
static int
ptmpl_file(struct cfgval *cv, const config_setting_t *at, const char *what, const char *path,
	   struct ptmpl *t)
{
	char data[SECRET_FILE_MAX + 2];
	struct stat st;
	size_t len;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), rc = -1;
	ssize_t got;

	if (fd < 0) {
		cfgval_error(cv, at, _("%s: cannot open %s: %s"), what, path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		cfgval_error(cv, at, _("%s: %s is not a regular file"), what, path);
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		cfgval_error(cv, at, _("%s: %s may be read by others (mode %04o): it must be 0600"),
			     what, path, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	got = read(fd, data, sizeof(data) - 1);
	if (got < 0 || (size_t)got > SECRET_FILE_MAX) {
		cfgval_error(cv, at, _("%s: %s is unreadable or longer than %d bytes"), what, path,
			     SECRET_FILE_MAX);
		goto out;
	}
	len = (size_t)got;
	if (len > 0 && data[len - 1] == '\n')
		len--;
	if (len > 0 && data[len - 1] == '\r')
		len--;
	if (len == 0 || memchr(data, '\n', len) || memchr(data, '\0', len)) {
		cfgval_error(cv, at, _("%s: %s must hold one line, the secret"), what, path);
		goto out;
	}
	t->secret = true;
	rc = ptmpl_push(t, PV_LITERAL, data, len) == 0 ? 0 : -1;
out:
	explicit_bzero(data, sizeof(data));
	close(fd);
	return rc;
}

/* One {{name}} (name trimmed, not NUL-terminated): 0, or -1 reported. */
static int
ptmpl_var(struct cfgval *cv, const config_setting_t *at, const char *what, const char *name,
	  size_t n, bool allow_msg, struct ptmpl *t)
{
	static const struct {
		const char *name;
		enum ptmpl_var var;
	} vars[] = {
		{ "phone", PV_PHONE }, { "phone_national", PV_PHONE_NATIONAL }, { "text", PV_TEXT },
		{ "id", PV_ID }, { "signature", PV_SIGNATURE },
	};
	char envname[132];

	if (n > 5 && memcmp(name, "file:", 5) == 0) {
		char path[1024];
		if (n - 5 >= sizeof(path) || name[5] != '/') {
			cfgval_error(cv, at, _("%s: {{file:PATH}} needs an absolute PATH"), what);
			return -1;
		}
		memcpy(path, name + 5, n - 5);
		path[n - 5] = '\0';
		return ptmpl_file(cv, at, what, path, t);
	}
	if (n > 4 && memcmp(name, "env.", 4) == 0) {
		const char *v;
		if (!env_name_ok(name + 4, n - 4)) {
			cfgval_error(cv, at, _("%s: \"{{%.*s}}\" is not a valid environment variable name"),
				     what, (int)n, name);
			return -1;
		}
		memcpy(envname, name + 4, n - 4);
		envname[n - 4] = '\0';
		v = getenv(envname);
		if (v == NULL && defer_to != NULL) {
			/* An error only for what sends: keep the words, and a placeholder. */
			diag_add(defer_to, cv->file, cfgval_line(at),
				 _("%s: environment variable %s is not set"), what, envname);
			t->secret = t->missing = true;
			return ptmpl_push(t, PV_LITERAL, name, n) == 0 ? 0 : -1;
		}
		if (v == NULL) {
			cfgval_error(cv, at, _("%s: environment variable %s is not set"), what, envname);
			return -1;
		}
		t->secret = true;
		return ptmpl_push(t, PV_LITERAL, v, strlen(v)) == 0 ? 0 : -1;
	}
	for (size_t i = 0; i < ARRAY_LEN(vars); i++) {
		if (strlen(vars[i].name) != n || memcmp(vars[i].name, name, n) != 0)
			continue;
		if (!allow_msg) {
			cfgval_error(cv, at, _("%s: only {{env.NAME}} may be used here, not {{%.*s}}"),
				     what, (int)n, name);
			return -1;
		}
		return ptmpl_push(t, vars[i].var, NULL, 0) == 0 ? 0 : -1;
	}
	cfgval_error(cv, at,
		     _("%s: unknown variable {{%.*s}} (known: {{phone}}, {{phone_national}}, {{text}}, "
		     "{{id}}, {{signature}}, {{env.NAME}}, {{file:/PATH}})"),
		     what, (int)n, name);
	return -1;
}

int
ptmpl_parse(struct cfgval *cv, const config_setting_t *at, const char *what, const char *s,
	    bool allow_msg, struct ptmpl *t)
{
	const char *p = s;

	memset(t, 0, sizeof(*t));
	if (!utf8_valid(s, strlen(s))) {
		cfgval_error(cv, at, _("%s: not valid UTF-8"), what);
		return -1;
	}
	while (*p) {
		const char *open = strstr(p, "{{"), *close, *a, *b;

		if (open == NULL) {
			if (ptmpl_push(t, PV_LITERAL, p, strlen(p)) != 0)
				goto oom;
			break;
		}
		if (ptmpl_push(t, PV_LITERAL, p, (size_t)(open - p)) != 0)
			goto oom;
		close = strstr(open + 2, "}}");
		if (close == NULL) {
			cfgval_error(cv, at, _("%s: \"{{\" without \"}}\""), what);
			goto fail;
		}
		for (a = open + 2; a < close && *a == ' '; a++)
			;
		for (b = close; b > a && b[-1] == ' '; b--)
			;
		if (ptmpl_var(cv, at, what, a, (size_t)(b - a), allow_msg, t) != 0)
			goto fail;
		p = close + 2;
	}
	return 0;
oom:
	cfgval_error(cv, at, _("%s: out of memory"), what);
fail:
	ptmpl_free(t);
	return -1;
}

static int
esc_add(struct buf *out, const char *s, size_t len, enum ptmpl_esc esc)
{
	switch (esc) {
	case ESC_URL: return provider_url_escape(out, s, len, false);
	case ESC_FORM: return provider_url_escape(out, s, len, true);
	case ESC_JSON: return provider_json_escape(out, s, len);
	default: return buf_add(out, s, len);
	}
}

int
ptmpl_expand(const struct ptmpl *t, const struct provider_msg *m, enum ptmpl_esc esc,
	     struct buf *out)
{
	size_t start = out->len;
	char ref[40];

	for (size_t i = 0; i < t->n; i++) {
		const struct ptmpl_piece *pc = &t->p[i];
		const char *v = NULL;
		size_t vl;

		switch (pc->var) {
		case PV_LITERAL: v = pc->lit; break;
		case PV_PHONE: v = m->phone; break;
		case PV_PHONE_NATIONAL:
			v = m->phone;
			if (strncmp(v, "+86", 3) == 0)
				v += 3;
			else if (v[0] == '+')
				v += 1;
			break;
		case PV_TEXT: v = m->text; break;
		case PV_ID:
			provider_msg_ref(m->id, ref, sizeof(ref));
			v = ref;
			break;
		case PV_SIGNATURE: v = m->signature ? m->signature : ""; break;
		}
		vl = pc->var == PV_LITERAL ? pc->len : strlen(v);
		if (esc_add(out, v, vl, esc) != 0) {
			buf_truncate(out, start);
			return -1;
		}
	}
	return append_end(out, start, NULL, 0);
}

/* ---- reply helpers ------------------------------------------------------ */

int
provider_json_get(const void *root, const char *path, char *out, size_t outlen)
{
	const json_t *j;
	int n;

	if (jsonpath_get(root, path, &j) != 0)
		return -1;
	switch (json_typeof(j)) {
	case JSON_STRING:
		if (json_string_length(j) >= outlen)
			return -1;
		memcpy(out, json_string_value(j), json_string_length(j) + 1);
		return 0;
	case JSON_INTEGER:
		n = snprintf(out, outlen, "%" JSON_INTEGER_FORMAT, json_integer_value(j));
		break;
	case JSON_REAL: n = snprintf(out, outlen, "%.17g", json_real_value(j)); break;
	case JSON_TRUE: n = snprintf(out, outlen, "true"); break;
	case JSON_FALSE: n = snprintf(out, outlen, "false"); break;
	case JSON_NULL: n = snprintf(out, outlen, "null"); break;
	default: return -1;
	}
	return n >= 0 && (size_t)n < outlen ? 0 : -1;
}

void
provider_excerpt(const char *body, size_t len, char *out, size_t outlen)
{
	size_t o = 0, i = 0;

	if (outlen == 0)
		return;
	while (i < len && (body[i] == ' ' || body[i] == '\n' || body[i] == '\r' || body[i] == '\t'))
		i++;
	while (i < len && o + 1 < outlen) {
		unsigned char c = (unsigned char)body[i];
		size_t sl = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;

		if (sl > 1) {
			if (i + sl > len || o + sl + 1 > outlen || !utf8_valid(body + i, sl))
				break;
			memcpy(out + o, body + i, sl);
			o += sl;
			i += sl;
			continue;
		}
		out[o++] = (c < 0x20 || c == 0x7f || c >= 0x80) ? ' ' : (char)c;
		i++;
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
}

int
provider_build(const struct provider_conf *pc, const struct provider_msg *m,
	       struct provider_req *req, char *err, size_t errlen)
{
	return pc->ops->build(pc, m, req, err, errlen);
}

void
provider_classify(const struct provider_conf *pc, const struct provider_msg *m,
		  const struct provider_reply *r, struct provider_verdict *v)
{
	memset(v, 0, sizeof(*v));
	pc->ops->classify(pc, m, r, v);
}

int
provider_build_batch(const struct provider_conf *pc, const struct provider_msg *m, size_t n,
		     struct provider_req *req, char *err, size_t errlen)
{
	if (pc->ops->build_batch)
		return pc->ops->build_batch(pc, m, n, req, err, errlen);
	if (n == 1)
		return pc->ops->build(pc, m, req, err, errlen);
	snprintf(err, errlen, "provider type \"%s\" sends one message per request",
		 pc->ops->type);
	return -1;
}

void
provider_classify_batch(const struct provider_conf *pc, const struct provider_msg *m, size_t n,
			const struct provider_reply *r, struct provider_verdict *v)
{
	memset(v, 0, n * sizeof(*v));
	if (pc->ops->classify_batch) {
		pc->ops->classify_batch(pc, m, n, r, v);
		return;
	}
	if (n == 1) {
		pc->ops->classify(pc, m, r, v);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		v[i].result = PROVIDER_PERMANENT;
		snprintf(v[i].reason, sizeof(v[i].reason),
			 "provider type \"%s\" sends one message per request", pc->ops->type);
	}
}

void
provider_req_init(struct provider_req *r)
{
	buf_init(&r->url, PROVIDER_URL_MAX);
	buf_init(&r->body, PROVIDER_BODY_MAX);
	buf_init(&r->headers, PROVIDER_URL_MAX);
	r->post = false;
}

static void
buf_empty(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void
provider_req_reset(struct provider_req *r)
{
	buf_empty(&r->url);
	buf_empty(&r->body);
	buf_empty(&r->headers);
	r->post = false;
}

void
provider_req_free(struct provider_req *r)
{
	buf_free(&r->url);
	buf_free(&r->body);
	buf_free(&r->headers);
}

/* ---- callbacks ------------------------------------------------------------ */

#define SECRET_MIN 16
#define SECRET_MAX 256

/*
 * The `callback_secret` key of provider group g (a literal or {{env.NAME}};
 * 16-256 URL-safe characters, since it may be a path segment) into
 * pc->callback_secret: the only thing that authenticates a callback.
 */
static void
parse_secret(struct cfgval *cv, const config_setting_t *g, struct provider_conf *pc)
{
	const config_setting_t *at = config_setting_get_member(g, "callback_secret");
	struct ptmpl t = { 0 };
	const char *s;
	size_t n;

	if (cfgval_string(cv, g, "callback_secret", &s) != 1)
		return;
	if (ptmpl_parse(cv, at, "'callback_secret'", s, false, &t) != 0)
		return;
	if (t.missing)
		goto out; /* no callbacks until it is set: what sends refuses to start */
	if (t.n != 1 || t.p[0].var != PV_LITERAL) {
		cfgval_error(cv, at, _("'callback_secret' must not be empty"));
		goto out;
	}
	n = t.p[0].len;
	if (n < SECRET_MIN || n > SECRET_MAX) {
		cfgval_error(cv, at, _("'callback_secret' must be %d to %d characters, not %zu"),
			     SECRET_MIN, SECRET_MAX, n);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)t.p[0].lit[i];
		if (!url_unreserved(c)) {
			cfgval_error(cv, at,
				     _("'callback_secret' may hold only A-Z a-z 0-9 - _ . ~ (it is "
				     "part of a URL path)"));
			goto out;
		}
	}
	free(pc->callback_secret);
	pc->callback_secret = strdup(t.p[0].lit);
out:
	ptmpl_free(&t);
}

int
provider_cb_get(const struct provider_cb_req *r, const char *name, enum provider_cb_need need,
		char *out, size_t outlen, char *err, size_t errlen)
{
	int rc = r->field(r, name, out, outlen);

	switch (need) {
	case PROVIDER_CB_OPTIONAL:
		if (rc != 0)
			out[0] = '\0';
		return 0;
	case PROVIDER_CB_PRESENT:
		if (rc == 0)
			return 0;
		snprintf(err, errlen, "field \"%s\" is missing or longer than %zu bytes", name,
			 outlen - 1);
		return -1;
	default:
		if (rc == 0 && out[0] != '\0')
			return 0;
		snprintf(err, errlen, "field \"%s\" is missing, empty or longer than %zu bytes",
			 name, outlen - 1);
		return -1;
	}
}

int
provider_dlr_parse(const struct provider_conf *pc, const struct provider_cb_req *r,
		   struct provider_dlr *out, char *err, size_t errlen)
{
	if (pc->ops->dlr == NULL) {
		snprintf(err, errlen, "provider type \"%s\" has no delivery reports",
			 pc->ops->type);
		return -1;
	}
	memset(out, 0, sizeof(*out));
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
	memset(out, 0, sizeof(*out));
	return pc->ops->mo(pc, r, out, err, errlen);
}

/* ---- the providers list -------------------------------------------------- */

void
provider_conf_free(struct provider_conf *p, size_t n)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		if (p[i].ops && p[i].ops->free)
			p[i].ops->free(&p[i]);
		free(p[i].name);
		free(p[i].callback_secret);
		free(p[i].sign_name);
		provider_bindings_free(p[i].bindings, p[i].nbindings);
		ptmpl_free(&p[i].url);
	}
	free(p);
}

static void
parse_retries(struct cfgval *cv, const config_setting_t *pg, struct retry_policy *r)
{
	static const char *const keys[] = { "max", "base_ms", "max_ms", "jitter", NULL };
	static const char *const jitters[] = { "full", "equal", NULL };
	static const enum jitter jitter_of[] = { JITTER_FULL, JITTER_EQUAL };
	const config_setting_t *g = cfgval_group(cv, pg, "retries");
	long v;
	int w;

	if (g == NULL)
		return;
	cfgval_keys(cv, g, keys);
	if (cfgval_int(cv, g, "max", 0, 100, &v) == 1)
		r->max = (int)v;
	if (cfgval_int(cv, g, "base_ms", 1, 3600000, &v) == 1)
		r->base_ms = v;
	if (cfgval_int(cv, g, "max_ms", 1, 86400000, &v) == 1)
		r->max_ms = v;
	if (r->max_ms < r->base_ms)
		cfgval_error(cv, g, _("retries: 'max_ms' (%ld) is less than 'base_ms' (%ld)"), r->max_ms,
			     r->base_ms);
	if (cfgval_word(cv, g, "jitter", jitters, &w) == 1)
		r->jitter = jitter_of[w];
}

static void
parse_breaker(struct cfgval *cv, const config_setting_t *pg, struct provider_conf *pc)
{
	static const char *const keys[] = { "failures", "rest", NULL };
	const config_setting_t *g = cfgval_group(cv, pg, "breaker");
	struct duration d;
	long v;

	if (g == NULL)
		return;
	cfgval_keys(cv, g, keys);
	if (cfgval_int(cv, g, "failures", 1, 100000, &v) == 1)
		pc->breaker_failures = (int)v;
	if (cfgval_duration(cv, g, "rest", &d) == 1) {
		int64_t sec = duration_seconds(&d);
		if (sec < 1 || sec > 86400)
			cfgval_error(cv, config_setting_get_member(g, "rest"),
				     _("'rest' must be between 1s and 1d"));
		else
			pc->breaker_rest_ms = (long)sec * 1000;
	}
}

static void
parse_common(struct cfgval *cv, const config_setting_t *g, struct provider_conf *pc)
{
	const char *s;
	double f;
	long v;
	bool burst_given = false;

	if (cfgval_string(cv, g, "url", &s) == 1) {
		const config_setting_t *at = config_setting_get_member(g, "url");
		if (strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0)
			cfgval_error(cv, at, _("'url' must start with http:// or https://"));
		else
			ptmpl_parse(cv, at, "'url'", s, false, &pc->url);
	} else if (config_setting_get_member(g, "url") == NULL && !pc->templated) {
		cfgval_error(cv, g, _("provider '%s' needs a 'url'"), pc->name ? pc->name : "?");
	}
	if (cfgval_float(cv, g, "rate", 0, 1e6, &f) == 1)
		pc->rate = f;
	if (cfgval_float(cv, g, "burst", 1, 1e6, &f) == 1) {
		pc->burst = f;
		burst_given = true;
	}
	if (!burst_given)
		pc->burst = pc->rate >= 10 ? pc->rate / 10 : 1;
	if (cfgval_int(cv, g, "concurrency", 1, 1024, &v) == 1)
		pc->concurrency = (int)v;
	if (cfgval_int(cv, g, "timeout_ms", 100, 3600000, &v) == 1)
		pc->timeout_ms = v;
	if (cfgval_int(cv, g, "connect_timeout_ms", 10, 600000, &v) == 1) {
		pc->connect_timeout_ms = v;
		if (v > pc->timeout_ms)
			cfgval_error(cv, config_setting_get_member(g, "connect_timeout_ms"),
				     "'connect_timeout_ms' (%ld) is longer than 'timeout_ms' (%ld)", v,
				     pc->timeout_ms);
	} else if (pc->connect_timeout_ms > pc->timeout_ms) {
		pc->connect_timeout_ms = pc->timeout_ms; /* the default, shortened to fit */
	}
	parse_retries(cv, g, &pc->retries);
	parse_breaker(cv, g, pc);
	parse_secret(cv, g, pc);
}

static const char *const common_keys[] = {
	"name", "type", "url", "rate", "burst", "concurrency", "timeout_ms", "connect_timeout_ms",
	"retries", "breaker", "callback_secret", NULL
};

/* Parse one provider group; name and type first, so messages can name it. */
static void
parse_one(struct cfgval *cv, const config_setting_t *g, struct provider_conf *all, size_t idx)
{
	struct provider_conf *pc = &all[idx];
	const char *keys[MAX_KEYS];
	const char *s;
	char types[128];
	size_t nk = 0;

	pc->line = cfgval_line(g);
	pc->concurrency = 8;
	pc->timeout_ms = 10000;
	pc->connect_timeout_ms = 3000;
	pc->retries = (struct retry_policy){ 5, 1000, 300000, JITTER_FULL };
	pc->breaker_failures = 5;
	pc->breaker_rest_ms = 30000;
	pc->batch = 1;
	pc->max_param = 35;
	pc->per_number_hour = -1;
	pc->per_number_day = -1;
	pc->halt_retry_ms = 600000;

	if (cfgval_string(cv, g, "name", &s) == 1) {
		if (!str_is_name(s, PROVIDER_NAME_MAX))
			cfgval_error(cv, config_setting_get_member(g, "name"),
				     _("provider name \"%s\" must be 1-%d of a-z 0-9 - _"), s,
				     PROVIDER_NAME_MAX - 1);
		for (size_t i = 0; i < idx; i++)
			if (all[i].name && strcmp(all[i].name, s) == 0)
				cfgval_error(cv, config_setting_get_member(g, "name"),
					     _("provider name \"%s\" is used twice (first at line %ld)"), s,
					     all[i].line);
		pc->name = strdup(s);
	} else if (config_setting_get_member(g, "name") == NULL) {
		cfgval_error(cv, g, _("a provider needs a 'name'"));
	}
	backend_names(types, sizeof(types));
	if (cfgval_string(cv, g, "type", &s) == 1) {
		pc->ops = backend_find(s);
		if (pc->ops) {
			pc->templated = pc->ops->templated;
			pc->batch = pc->ops->batch_same > 0 ? (int)pc->ops->batch_same : 1;
		}
		if (pc->ops == NULL)
			cfgval_error(cv, config_setting_get_member(g, "type"),
				     _("provider type must be %s, not \"%s\""), types, s);
	} else if (config_setting_get_member(g, "type") == NULL) {
		cfgval_error(cv, g, _("provider '%s' needs a 'type' (%s)"), pc->name ? pc->name : "?",
			     types);
	}
	for (const char *const *k = common_keys; *k; k++)
		if (!pc->templated || strcmp(*k, "url") != 0) /* template types: 'endpoint' */
			keys[nk++] = *k;
	/* Template keys are the template types'; on a free-text type each gets
	 * its own message below rather than "unknown key". */
	for (const char *const *k = provider_template_keys; *k && nk + 1 < MAX_KEYS; k++)
		keys[nk++] = *k;
	if (pc->ops)
		for (const char *const *k = pc->ops->keys; *k && nk + 1 < MAX_KEYS; k++)
			keys[nk++] = *k;
	keys[nk] = NULL;
	if (pc->ops) /* unknown keys make sense only once the type is known */
		cfgval_keys(cv, g, keys);
	parse_common(cv, g, pc);
	if (pc->ops && pc->templated)
		provider_parse_templated(cv, g, pc);
	else if (pc->ops)
		provider_refuse_template_keys(cv, g, pc);
	if (pc->ops)
		pc->ops->parse(cv, g, pc);
}

int
provider_parse_list(struct cfgval *cv, const config_setting_t *list, struct provider_conf **out,
		    size_t *n)
{
	size_t before = cv->diag->n;
	struct provider_conf *p;
	int len;

	*out = NULL;
	*n = 0;
	if (config_setting_type(list) != CONFIG_TYPE_LIST) {
		cfgval_error(cv, list, _("'providers' must be a list ( { ... }, { ... } )"));
		return -1;
	}
	len = config_setting_length(list);
	if (len == 0)
		return 0;
	p = calloc((size_t)len, sizeof(*p));
	if (p == NULL) {
		cfgval_error(cv, list, _("out of memory"));
		return -1;
	}
	for (int i = 0; i < len; i++) {
		const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
		if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
			cfgval_error(cv, g, _("each provider must be a group { ... }"));
			continue;
		}
		parse_one(cv, g, p, (size_t)i);
	}
	if (cv->diag->n != before) {
		provider_conf_free(p, (size_t)len);
		return -1;
	}
	*out = p;
	*n = (size_t)len;
	return 0;
}
