/*
 * api.c - version 1 of duban's HTTP API, for the town's other systems (an
 * OA system, a web page): queue a message (idempotent by the client's
 * ref), broadcast a notice, follow it and cancel it, list, add and close
 * tasks.  It takes the same paths as the command line - the same checks
 * (cli_send_prepare, notice.c, the store's task functions), the same
 * transactions, the same audit events, with the token's name as the actor.
 *
 * Requests are JSON objects, checked whole: an unknown field, a field of
 * the wrong type or a bad value is a 400 whose body names the field.
 */
#include "server/api.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/notice.h"
#include "base/phone.h"
#include "core/rules.h"
#include "core/sched.h"
#include "base/sms.h"
#include "core/tmpl.h"
#include "base/array.h"
#include "base/str.h"
#include "base/clock.h"
#include "base/zone.h"

#define REF_MAX 128
#define TITLE_MAX 200
#define TEXT_MAX NOTICE_BODY_MAX
#define WHO_MAX 128
#define LIST_MAX 64

/* ---- answers ------------------------------------------------------------------- */

void
api_error(struct api_resp *out, unsigned status, const char *field, const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_decref(out->json);
	out->status = status;
	out->json = json_pack("{s:s, s:s?}", "error", msg, "field", field);
}

static void
reply(struct api_resp *out, unsigned status, json_t *body)
{
	json_decref(out->json);
	out->status = body ? status : 500;
	out->json = body ? body : json_pack("{s:s}", "error", "out of memory");
}

static void
store_error(struct api_resp *out, const struct api_req *r, int rc)
{
	unsigned status = rc == STORE_NOTFOUND ? 404 : rc == STORE_ERROR ? 500 : 400;
	api_error(out, status, NULL, "%s", store_errmsg(r->st));
}

const char *
api_time(int64_t t, char *out, size_t outlen)
{
	struct tm tm;
	long off;
	char base[32];

	time_local(t, &tm);
	off = tm.tm_gmtoff;
	if (strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		base[0] = '\0';
	snprintf(out, outlen, "%s%c%02ld:%02ld", base, off < 0 ? '-' : '+', labs(off) / 3600,
		 labs(off) / 60 % 60);
	return out;
}

/* A time as JSON: the string, or null for 0. */
static json_t *
jtime(int64_t t)
{
	char buf[40];
	return t ? json_string(api_time(t, buf, sizeof(buf))) : json_null();
}

/* A string as JSON, null for NULL or "". */
static json_t *
jstr(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

/* ---- query strings ------------------------------------------------------------ */

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
api_url_decode(const char *s, size_t n, char *out, size_t outlen)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '+') {
			c = ' ';
		} else if (c == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 &&
			   hexval(s[i + 2]) >= 0) {
			c = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		}
		if (o + 1 >= outlen)
			return -1;
		out[o++] = c;
	}
	if (outlen == 0)
		return -1;
	out[o] = '\0';
	return 0;
}

int
api_query_arg(const char *query, const char *name, char *out, size_t outlen)
{
	size_t nl = strlen(name);
	const char *p = query;

	while (p && *p) {
		const char *end = strchr(p, '&');
		const char *eq = memchr(p, '=', end ? (size_t)(end - p) : strlen(p));
		size_t kl = eq ? (size_t)(eq - p) : (end ? (size_t)(end - p) : strlen(p));

		if (kl == nl && memcmp(p, name, nl) == 0) {
			const char *v = eq ? eq + 1 : p + kl;
			size_t vl = end ? (size_t)(end - v) : strlen(v);
			return api_url_decode(v, vl, out, outlen);
		}
		p = end ? end + 1 : NULL;
	}
	return -1;
}

/* ---- request bodies --------------------------------------------------------------- */

/* The body as a JSON object with only allowed keys; NULL with out set (400). */
static json_t *
body_object(const struct api_req *r, const char *const *allowed, struct api_resp *out)
{
	json_error_t e;
	json_t *o;
	const char *key;
	json_t *v;

	o = json_loadb(r->body, r->len, JSON_REJECT_DUPLICATES, &e);
	if (o == NULL) {
		api_error(out, 400, NULL, "malformed JSON: %s (line %d, column %d)", e.text, e.line,
			  e.column);
		return NULL;
	}
	if (!json_is_object(o)) {
		json_decref(o);
		api_error(out, 400, NULL, "the body must be a JSON object { ... }");
		return NULL;
	}
	json_object_foreach(o, key, v) {
		bool known = false;
		for (const char *const *a = allowed; *a; a++)
			if (strcmp(*a, key) == 0)
				known = true;
		if (!known) {
			api_error(out, 400, key, "unknown field \"%s\"", key);
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

/* A string field: 1 present, 0 absent (required: 400), -1 wrong (out set). */
static int
get_str(json_t *o, const char *key, bool required, size_t maxlen, const char **v,
	struct api_resp *out)
{
	json_t *j = json_object_get(o, key);

	*v = NULL;
	if (j == NULL || json_is_null(j)) {
		if (!required)
			return 0;
		api_error(out, 400, key, "\"%s\" is required", key);
		return -1;
	}
	if (!json_is_string(j)) {
		api_error(out, 400, key, "\"%s\" must be a string", key);
		return -1;
	}
	if (json_string_length(j) > maxlen) {
		api_error(out, 400, key, "\"%s\" is longer than %zu bytes", key, maxlen);
		return -1;
	}
	*v = json_string_value(j);
	if (required && **v == '\0') {
		api_error(out, 400, key, "\"%s\" is empty", key);
		return -1;
	}
	return 1;
}

static int
get_bool(json_t *o, const char *key, bool *v, struct api_resp *out)
{
	json_t *j = json_object_get(o, key);

	if (j == NULL || json_is_null(j))
		return 0;
	if (!json_is_boolean(j)) {
		api_error(out, 400, key, "\"%s\" must be true or false", key);
		return -1;
	}
	*v = json_is_true(j);
	return 1;
}

/* An array of strings (at most LIST_MAX): 0 (absent or set), -1 wrong. */
static int
get_list(json_t *o, const char *key, const char **items, size_t *n, struct api_resp *out)
{
	json_t *j = json_object_get(o, key), *e;
	size_t i;

	*n = 0;
	if (j == NULL || json_is_null(j))
		return 0;
	if (!json_is_array(j) || json_array_size(j) > LIST_MAX) {
		api_error(out, 400, key, "\"%s\" must be a list of at most %d strings", key,
			  LIST_MAX);
		return -1;
	}
	json_array_foreach(j, i, e) {
		if (!json_is_string(e) || json_string_length(e) == 0 ||
		    json_string_length(e) > WHO_MAX) {
			api_error(out, 400, key, "\"%s\"[%zu] must be a string of 1 to %d bytes",
				  key, i, WHO_MAX);
			return -1;
		}
		items[(*n)++] = json_string_value(e);
	}
	return 0;
}

/*
 * "vars": {"deadline": "12月20日", "n": 3} as "key=value" strings into
 * vars (malloc'd each; *n of them).  0, or -1 with out set.
 */
static int
get_vars(json_t *o, char **vars, size_t *n, struct api_resp *out)
{
	json_t *j = json_object_get(o, "vars"), *v;
	const char *key;

	*n = 0;
	if (j == NULL || json_is_null(j))
		return 0;
	if (!json_is_object(j) || json_object_size(j) > NOTICE_VARS_MAX) {
		api_error(out, 400, "vars", "\"vars\" must be an object of at most %d values",
			  NOTICE_VARS_MAX);
		return -1;
	}
	json_object_foreach(j, key, v) {
		char num[32];
		const char *s = num;
		size_t kl = strlen(key);
		bool key_ok = kl > 0 && kl <= 64;

		for (const char *p = key; *p; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			      (*p >= '0' && *p <= '9') || *p == '_'))
				key_ok = false;
		if (!key_ok) {
			api_error(out, 400, "vars",
				  "vars: \"%s\" is not a name (letters, digits, _)", key);
			return -1;
		}
		if (json_is_string(v) && json_string_length(v) <= 512 &&
		    !strchr(json_string_value(v), '\n'))
			s = json_string_value(v);
		else if (json_is_integer(v))
			snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		else {
			api_error(out, 400, "vars",
				  "vars.%s must be one line of text (at most 512 bytes) or an "
				  "integer",
				  key);
			return -1;
		}
		size_t len = kl + strlen(s) + 2;
		if ((vars[*n] = malloc(len)) == NULL) {
			api_error(out, 500, NULL, "out of memory");
			return -1;
		}
		snprintf(vars[*n], len, "%s=%s", key, s);
		(*n)++;
	}
	return 0;
}

static void
vars_free(char **vars, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(vars[i]);
}

/* ---- messages ------------------------------------------------------------------ */

static json_t *
message_json(const struct message *m)
{
	char ref[24];
	json_t *j = json_pack("{s:I, s:s, s:o, s:s, s:s, s:s, s:s, s:i, s:b, s:o, s:i}", "id",
			      (json_int_t)m->id, "to", m->phone, "person", jstr(m->person_name),
			      "status", m->status, "kind", m->kind, "text", m->body, "encoding",
			      m->encoding, "parts", m->parts, "urgent", m->urgent, "ref",
			      jstr(m->ref), "attempts", m->attempts);

	if (j == NULL)
		return NULL;
	snprintf(ref, sizeof(ref), "N%" PRId64, m->notice);
	json_object_set_new(j, "task", jstr(m->task_code));
	json_object_set_new(j, "notice", m->notice ? json_string(ref) : json_null());
	json_object_set_new(j, "created_at", jtime(m->created_at));
	json_object_set_new(j, "not_before", jtime(m->not_before));
	json_object_set_new(j, "sent_at", jtime(m->sent_at));
	json_object_set_new(j, "final_at", jtime(m->final_at));
	json_object_set_new(j, "acked_at", jtime(m->acked_at));
	json_object_set_new(j, "provider", jstr(m->provider));
	json_object_set_new(j, "provider_ref", jstr(m->provider_ref));
	json_object_set_new(j, "error", jstr(m->last_error));
	return j;
}

/* Answer with message id (status, plus "duplicate" when it was queued before). */
static void
message_reply(const struct api_req *r, int64_t id, unsigned status, bool duplicate,
	      struct api_resp *out)
{
	struct message m;
	json_t *j;
	int rc;

	if ((rc = store_msg_get(r->st, id, &m)) != STORE_OK) {
		store_error(out, r, rc);
		return;
	}
	j = message_json(&m);
	message_clear(&m);
	if (j && duplicate)
		json_object_set_new(j, "duplicate", json_true());
	reply(out, status, j);
}

/* The text of a message from a template: rendered for the person who has the number. */
static int
render_message(const struct api_req *r, const char *name, char **vars, size_t nvars,
	       const char *raw_to, struct buf *text, struct api_resp *out)
{
	const struct tmpl *t = r->tmpls ? tmpl_set_get(r->tmpls, name) : NULL;
	struct person p = { 0 };
	struct msg_vars mv;
	char phone[PHONE_MAX], err[400];
	const char *reason;
	bool have_person = false;
	int rc;

	if (t == NULL) {
		api_error(out, 400, "template", "no template \"%s\" in %s", name,
			  r->cfg->templates_dir);
		return -1;
	}
	if (tmpl_uses_prefix(t, "task.")) {
		api_error(out, 400, "template",
			  "template \"%s\" needs a task: it cannot be sent alone", name);
		return -1;
	}
	if (phone_normalize(raw_to, phone, sizeof(phone), &reason) == 0) {
		rc = store_person_find(r->st, phone, &p);
		if (rc == STORE_OK)
			have_person = true;
		else if (rc != STORE_NOTFOUND) {
			store_error(out, r, rc);
			return -1;
		}
	}
	mv = (struct msg_vars){ .person = have_person ? &p : NULL,
				.signature = r->cfg->signature,
				.now = time_now(),
				.vars = vars,
				.nvars = nvars };
	rc = tmpl_render(t, msg_vars_lookup, &mv, text, err, sizeof(err));
	person_clear(&p);
	if (rc != 0) {
		api_error(out, 400, tmpl_uses_prefix(t, "var.") ? "vars" : "template", "%s", err);
		return -1;
	}
	return 0;
}

/* Queue m (prepared) with the audit event; *id the new or (same ref) existing row. */
static int
queue_message(const struct api_req *r, struct message *m, int64_t *id, bool *dup,
	      struct api_resp *out)
{
	char obj[32], masked[PHONE_MAX];
	int rc;

	*dup = false;
	if ((rc = store_begin(r->st)) != STORE_OK)
		goto fail;
	rc = store_msg_add(r->st, m, id);
	if (rc == STORE_EXISTS && m->ref) {
		store_rollback(r->st);
		*dup = true;
		return 0;
	}
	if (rc != STORE_OK)
		goto fail;
	snprintf(obj, sizeof(obj), "#%" PRId64, *id);
	phone_mask(m->phone, masked, sizeof(masked));
	if ((rc = store_event(r->st, r->actor, "message.send", obj, masked)) != STORE_OK ||
	    (rc = store_commit(r->st)) != STORE_OK)
		goto fail;
	return 0;
fail:
	store_error(out, r, rc);
	store_rollback(r->st);
	return -1;
}

static void
post_message(const struct api_req *r, struct api_resp *out)
{
	static const char *const keys[] = {
		"to", "text", "template", "vars", "urgent", "ref", NULL
	};
	const char *to, *text, *tname, *ref;
	char *vars[NOTICE_VARS_MAX], phone[PHONE_MAX], why[400];
	size_t nvars = 0;
	struct buf rendered;
	struct message m;
	struct cli c = { .cfg = (struct duban_config *)r->cfg, .st = r->st };
	bool urgent = false, dup;
	int64_t id;
	json_t *o = body_object(r, keys, out);

	buf_init(&rendered, TEXT_MAX);
	if (o == NULL)
		return;
	if (get_str(o, "to", true, 64, &to, out) < 0 ||
	    get_str(o, "text", false, TEXT_MAX, &text, out) < 0 ||
	    get_str(o, "template", false, 64, &tname, out) < 0 ||
	    get_str(o, "ref", false, REF_MAX, &ref, out) < 0 ||
	    get_bool(o, "urgent", &urgent, out) < 0 || get_vars(o, vars, &nvars, out) < 0)
		goto out;
	if (ref && *ref == '\0') {
		api_error(out, 400, "ref", "\"ref\" is empty");
		goto out;
	}
	if (ref && store_msg_find_ref(r->st, ref, &id) == STORE_OK) {
		message_reply(r, id, 200, true, out);
		goto out;
	}
	if ((text == NULL) == (tname == NULL)) {
		api_error(out, 400, text ? "template" : "text",
			  "give \"text\" or \"template\" (one of them)");
		goto out;
	}
	if (nvars && text) {
		api_error(out, 400, "vars", "\"vars\" goes with \"template\", not with \"text\"");
		goto out;
	}
	if (tname) {
		if (render_message(r, tname, vars, nvars, to, &rendered, out) != 0)
			goto out;
		text = rendered.data ? rendered.data : "";
	}
	if (cli_send_prepare(&c, to, text, urgent, &m, phone, why, sizeof(why)) != 0) {
		api_error(out, 400, strstr(why, "text") ? (tname ? "template" : "text") : "to",
			  "%s", why);
		goto out;
	}
	m.ref = (char *)ref;
	m.template_name = (char *)tname;
	if (queue_message(r, &m, &id, &dup, out) == 0)
		message_reply(r, id, dup ? 200 : 201, dup, out);
out:
	buf_free(&rendered);
	vars_free(vars, nvars);
	json_decref(o);
}

/* "12", "#12": an id; -1 otherwise. */
static int
parse_id(const char *s, int64_t *id)
{
	long v;

	if (*s == '#')
		s++;
	if (parse_long(s, 1, INT32_MAX, &v) != 0)
		return -1;
	*id = v;
	return 0;
}

static void
get_message(const struct api_req *r, const char *ids, struct api_resp *out)
{
	int64_t id;

	if (parse_id(ids, &id) != 0) {
		api_error(out, 404, NULL, "no message \"%s\"", ids);
		return;
	}
	message_reply(r, id, 200, false, out);
}

/* ---- notices ------------------------------------------------------------------------ */

static const char *
notice_shown(const struct notice *n, const struct notice_counts *k, int64_t now)
{
	if (strcmp(n->status, "pending") == 0 || strcmp(n->status, "cancelled") == 0)
		return n->status;
	if (n->send_at > now)
		return "scheduled";
	return k->queued + k->sending > 0 ? "queued" : "done";
}

static void
notice_reply(const struct api_req *r, int64_t id, unsigned status, struct api_resp *out)
{
	struct notice n = { 0 };
	struct notice_counts k;
	char ref[24];
	json_t *j;
	int rc;

	if ((rc = store_notice_get(r->st, id, &n)) != STORE_OK ||
	    (rc = store_notice_counts(r->st, id, &k)) != STORE_OK) {
		store_error(out, r, rc);
		notice_clear(&n);
		return;
	}
	snprintf(ref, sizeof(ref), "N%" PRId64, n.id);
	j = json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:s, s:o, s:I, s:I, s:o, s:o}", "id",
		      (json_int_t)n.id, "ref", ref, "title", n.title, "status",
		      notice_shown(&n, &k, time_now()), "text", n.body, "template",
		      jstr(n.template_name), "created_by", n.created_by, "approved_by",
		      jstr(n.approved_by), "recipients", (json_int_t)n.recipients, "opted_out",
		      (json_int_t)n.opted_out, "send_at", jtime(n.send_at), "created_at",
		      jtime(n.created_at));
	if (j != NULL)
		json_object_set_new(
			j, "counts",
			json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "queued",
				  (json_int_t)k.queued, "sending", (json_int_t)k.sending, "sent",
				  (json_int_t)k.sent, "delivered", (json_int_t)k.delivered,
				  "failed", (json_int_t)k.failed, "expired", (json_int_t)k.expired,
				  "cancelled", (json_int_t)k.cancelled, "resent",
				  (json_int_t)k.resent, "parts", (json_int_t)k.parts));
	notice_clear(&n);
	reply(out, status, j);
}

static json_t *
plan_json(const struct notice_plan *p)
{
	return json_pack("{s:b, s:I, s:I, s:I, s:[i,i], s:s, s:b, s:s?, s:s?}", "dry_run", 1,
			 "recipients", (json_int_t)p->recipients, "opted_out",
			 (json_int_t)p->opted_out, "total_parts", (json_int_t)p->total_parts,
			 "parts_per_message", (int)p->parts_min, (int)p->parts_max, "encoding",
			 p->mixed_encoding ? "mixed" : sms_encoding_name(p->encoding), "personal",
			 p->personal, "text", p->text, "text_for", p->text_for);
}

/* The notice request, parsed. */
struct notice_args {
	const char *aud[LIST_MAX], *text, *tname, *title, *send_at;
	size_t naud;
	char *vars[NOTICE_VARS_MAX];
	size_t nvars;
	bool dry, confirm;
	int64_t at;
};

static int
notice_args(const struct api_req *r, json_t *o, struct notice_args *a, struct api_resp *out)
{
	int64_t now = time_now();

	if (get_list(o, "audience", a->aud, &a->naud, out) < 0 ||
	    get_str(o, "text", false, TEXT_MAX, &a->text, out) < 0 ||
	    get_str(o, "template", false, 64, &a->tname, out) < 0 ||
	    get_str(o, "title", false, TITLE_MAX, &a->title, out) < 0 ||
	    get_str(o, "send_at", false, 32, &a->send_at, out) < 0 ||
	    get_bool(o, "dry_run", &a->dry, out) < 0 ||
	    get_bool(o, "confirm", &a->confirm, out) < 0 ||
	    get_vars(o, a->vars, &a->nvars, out) < 0)
		return -1;
	if (a->naud == 0) {
		api_error(out, 400, "audience",
			  "\"audience\" must list selectors: \"group:NAME\", \"person:WHO\", "
			  "\"org:NAME\", \"kind:KIND\"");
		return -1;
	}
	if ((a->text == NULL) == (a->tname == NULL)) {
		api_error(out, 400, a->text ? "template" : "text",
			  "give \"text\" or \"template\" (one of them)");
		return -1;
	}
	if (a->nvars && a->text) {
		api_error(out, 400, "vars", "\"vars\" goes with \"template\", not with \"text\"");
		return -1;
	}
	if (a->title && strchr(a->title, '\n')) {
		api_error(out, 400, "title", "\"title\" must be one line");
		return -1;
	}
	a->at = now;
	if (a->send_at && (time_parse_local(a->send_at, false, &a->at) != 0 || a->at + 60 <= now)) {
		api_error(out, 400, "send_at", "\"send_at\": %s",
			  a->at + 60 <= now ? "that time has passed"
					    : "expected \"YYYY-MM-DD HH:MM\" (local time)");
		return -1;
	}
	(void)r;
	return 0;
}

/* Create the notice, queue it (unless pending) and record the event: one transaction. */
static int
create_notice(const struct api_req *r, const struct notice_args *a,
	      const struct notice_audience *aud, const struct notice_content *nc,
	      const struct notice_plan *plan, int64_t *id, struct api_resp *out)
{
	int64_t now = time_now(), queued = 0;
	struct notice nt;
	struct buf vt;
	char title[TITLE_MAX + 8], obj[32], detail[160], err[512];
	int rc;

	buf_init(&vt, 16 * 1024);
	for (size_t i = 0; i < a->nvars; i++)
		buf_printf(&vt, "%s%s", i ? "\n" : "", a->vars[i]);
	snprintf(title, sizeof(title), "%s", a->title ? a->title : a->tname ? a->tname : "API");
	nt = (struct notice){ .title = title,
			      .body = plan->text,
			      .template_name = (char *)a->tname,
			      .vars = a->nvars ? vt.data : NULL,
			      .send_at = a->at,
			      .status = r->cfg->notices.require_approval ? "pending"
					: a->at > now                    ? "scheduled"
									 : "queued",
			      .recipients = plan->recipients,
			      .opted_out = plan->opted_out,
			      .created_by = (char *)r->actor,
			      .created_at = now };
	nt.audience = notice_audience_text(aud);
	if (nt.audience == NULL || (a->nvars && vt.data == NULL)) {
		api_error(out, 500, NULL, "out of memory");
		goto fail_out;
	}
	if ((rc = store_begin(r->st)) != STORE_OK ||
	    (rc = store_notice_add(r->st, &nt, id)) != STORE_OK)
		goto fail_store;
	if (strcmp(nt.status, "pending") != 0) {
		if ((rc = notice_queue(r->st, *id, aud, nc, plan, a->tname, a->at, &queued, err,
				       sizeof(err))) != STORE_OK) {
			api_error(out, rc == STORE_ERROR ? 500 : 400, NULL, "%s", err);
			goto fail;
		}
		if ((rc = store_notice_update(r->st, *id, nt.status, NULL, queued,
					      plan->opted_out)) != STORE_OK)
			goto fail_store;
	}
	snprintf(obj, sizeof(obj), "N%" PRId64, *id);
	snprintf(detail, sizeof(detail), "%s: %" PRId64 " recipients, %" PRId64 " opted out",
		 nt.status, strcmp(nt.status, "pending") ? queued : plan->recipients,
		 plan->opted_out);
	if ((rc = store_event(r->st, r->actor, "notice.create", obj, detail)) != STORE_OK ||
	    (rc = store_commit(r->st)) != STORE_OK)
		goto fail_store;
	free(nt.audience);
	buf_free(&vt);
	return 0;
fail_store:
	store_error(out, r, rc);
fail:
	store_rollback(r->st);
fail_out:
	free(nt.audience);
	buf_free(&vt);
	return -1;
}

static void
post_notice(const struct api_req *r, struct api_resp *out)
{
	static const char *const keys[] = { "audience", "text",    "template", "vars", "title",
					    "send_at",  "dry_run", "confirm",  NULL };
	struct notice_args a = { 0 };
	struct notice_audience aud = { 0 };
	struct notice_plan plan = { 0 };
	struct notice_content nc;
	char err[512];
	int64_t id;
	int rc;
	json_t *o = body_object(r, keys, out);

	if (o == NULL || notice_args(r, o, &a, out) != 0)
		goto out;
	nc = (struct notice_content){ .text = a.text,
				      .title = a.title,
				      .vars = a.vars,
				      .nvars = a.nvars,
				      .signature = r->cfg->signature,
				      .max_parts = r->cfg->max_parts,
				      .now = time_now() };
	if (a.tname && (r->tmpls == NULL || (nc.tmpl = tmpl_set_get(r->tmpls, a.tname)) == NULL)) {
		api_error(out, 400, "template", "no template \"%s\" in %s", a.tname,
			  r->cfg->templates_dir);
		goto out;
	}
	if (notice_check(&nc, err, sizeof(err)) != 0) {
		api_error(out, 400,
			  a.tname ? (a.nvars || strstr(err, "var") ? "vars" : "template") : "text",
			  "%s", err);
		goto out;
	}
	for (size_t i = 0; i < a.naud; i++)
		if ((rc = notice_audience_add(&aud, r->st, a.aud[i], true, err, sizeof(err))) !=
		    STORE_OK) {
			api_error(out, rc == STORE_ERROR ? 500 : 400, "audience", "%s", err);
			goto out;
		}
	if ((rc = notice_plan(r->st, &aud, &nc, &plan, err, sizeof(err))) != STORE_OK) {
		api_error(out, rc == STORE_ERROR ? 500 : 400, a.text ? "text" : "template", "%s",
			  err);
		goto out;
	}
	if (a.dry) {
		reply(out, 200, plan_json(&plan));
		goto out;
	}
	if (plan.recipients == 0) {
		api_error(out, 400, "audience",
			  "nobody to send to: all %" PRId64 " people selected opted out",
			  plan.opted_out);
		goto out;
	}
	if (!r->cfg->notices.require_approval && !a.confirm &&
	    plan.recipients > (int64_t)r->cfg->notices.confirm_over) {
		api_error(out, 400, "confirm",
			  "%" PRId64
			  " recipients is more than notices.confirm_over (%lu): check with "
			  "\"dry_run\": true, then send with \"confirm\": true",
			  plan.recipients, r->cfg->notices.confirm_over);
		goto out;
	}
	if (create_notice(r, &a, &aud, &nc, &plan, &id, out) == 0)
		notice_reply(r, id, 201, out);
out:
	vars_free(a.vars, a.nvars);
	notice_plan_clear(&plan);
	notice_audience_free(&aud);
	json_decref(o);
}

static void
cancel_notice(const struct api_req *r, int64_t id, struct api_resp *out)
{
	struct notice n = { 0 };
	int64_t cancelled = 0, sent = 0, sending = 0;
	char obj[32], detail[128];
	int rc;

	if ((rc = store_notice_get(r->st, id, &n)) != STORE_OK) {
		store_error(out, r, rc);
		return;
	}
	if (strcmp(n.status, "cancelled") != 0) {
		snprintf(obj, sizeof(obj), "N%" PRId64, id);
		if ((rc = store_begin(r->st)) != STORE_OK ||
		    (rc = store_notice_cancel(r->st, id, time_now(), &cancelled, &sent,
					      &sending)) != STORE_OK)
			goto fail;
		snprintf(detail, sizeof(detail),
			 "%" PRId64 " cancelled, %" PRId64 " sent, %" PRId64 " being sent",
			 cancelled, sent, sending);
		if ((rc = store_event(r->st, r->actor, "notice.cancel", obj, detail)) != STORE_OK ||
		    (rc = store_commit(r->st)) != STORE_OK)
			goto fail;
	}
	notice_reply(r, id, 200, out);
	if (out->status == 200 && out->json)
		json_object_set_new(out->json, "cancelled_now",
				    json_pack("{s:I, s:I, s:I}", "cancelled", (json_int_t)cancelled,
					      "sent", (json_int_t)sent, "sending",
					      (json_int_t)sending));
	notice_clear(&n);
	return;
fail:
	store_error(out, r, rc);
	store_rollback(r->st);
	notice_clear(&n);
}

/* ---- tasks ----------------------------------------------------------------------------- */

static json_t *
task_json(const struct task *t)
{
	json_t *j =
		json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:o, s:s}", "id", (json_int_t)t->id,
			  "code", t->code, "title", t->title, "detail", t->detail ? t->detail : "",
			  "status", t->status, "lead", jstr(t->lead_name), "team",
			  jstr(t->team_name), "rules", t->rule_set ? t->rule_set : "default");

	if (j == NULL)
		return NULL;
	json_object_set_new(j, "deadline", jtime(t->deadline));
	json_object_set_new(
		j, "overdue",
		json_boolean(strcmp(t->status, "open") == 0 && t->deadline < time_now()));
	json_object_set_new(j, "done_at", jtime(t->done_at));
	json_object_set_new(j, "created_at", jtime(t->created_at));
	return j;
}

static int
task_row(void *arg, const struct task *t)
{
	json_t *j = task_json(t);

	return j ? json_array_append_new(arg, j) : -1;
}

static void
list_tasks(const struct api_req *r, struct api_resp *out)
{
	static const char *const ok[] = { "open", "overdue", "done", "cancelled" };
	struct task_filter f = { .now = time_now() };
	char status[16];
	json_t *arr;
	int rc;

	if (api_query_arg(r->query, "status", status, sizeof(status)) == 0) {
		for (size_t i = 0; i < ARRAY_LEN(ok); i++)
			if (strcmp(status, ok[i]) == 0)
				f.status = ok[i];
		if (f.status == NULL) {
			api_error(out, 400, "status",
				  "status must be open, overdue, done or cancelled");
			return;
		}
	}
	if ((arr = json_array()) == NULL) {
		api_error(out, 500, NULL, "out of memory");
		return;
	}
	if ((rc = store_task_each(r->st, &f, task_row, arr)) != STORE_OK) {
		json_decref(arr);
		store_error(out, r, rc);
		return;
	}
	reply(out, 200, json_pack("{s:o}", "tasks", arr));
}

/* WHO (a phone number, a name only one person has, #ID) to a person id. */
static int
resolve(const struct api_req *r, const char *field, const char *who, int64_t *id,
	struct api_resp *out)
{
	struct person p = { 0 };
	int rc;

	rc = store_person_find(r->st, who, &p);
	if (rc == STORE_OK)
		*id = p.id;
	else
		api_error(out, rc == STORE_ERROR ? 500 : 400, field, "%s: %s", field,
			  store_errmsg(r->st));
	person_clear(&p);
	return rc == STORE_OK ? 0 : -1;
}

struct task_args {
	const char *title, *deadline, *lead, *team, *sup, *rules, *code, *detail;
	const char *owners[LIST_MAX], *members[LIST_MAX];
	size_t nowners, nmembers;
	struct assignee a[2 * LIST_MAX + 2];
	size_t na;
};

static int
task_args(const struct api_req *r, json_t *o, struct task_args *a, struct task *t,
	  struct api_resp *out)
{
	if (get_str(o, "title", true, TITLE_MAX, &a->title, out) < 0 ||
	    get_str(o, "deadline", true, 32, &a->deadline, out) < 0 ||
	    get_str(o, "lead", true, WHO_MAX, &a->lead, out) < 0 ||
	    get_str(o, "team", false, WHO_MAX, &a->team, out) < 0 ||
	    get_str(o, "supervisor", false, WHO_MAX, &a->sup, out) < 0 ||
	    get_str(o, "rules", false, 64, &a->rules, out) < 0 ||
	    get_str(o, "code", false, 31, &a->code, out) < 0 ||
	    get_str(o, "detail", false, TEXT_MAX, &a->detail, out) < 0 ||
	    get_list(o, "owners", a->owners, &a->nowners, out) < 0 ||
	    get_list(o, "members", a->members, &a->nmembers, out) < 0)
		return -1;
	if (time_parse_local(a->deadline, true, &t->deadline) != 0) {
		api_error(out, 400, "deadline",
			  "\"deadline\": expected \"YYYY-MM-DD\" or \"YYYY-MM-DD HH:MM\" (local "
			  "time)");
		return -1;
	}
	if (a->rules && *a->rules && r->rules && rules_find(r->rules, a->rules) == NULL) {
		api_error(out, 400, "rules", "unknown rule set \"%s\"", a->rules);
		return -1;
	}
	t->title = (char *)a->title;
	t->detail = (char *)a->detail;
	t->rule_set = (char *)a->rules;
	t->code = (char *)a->code;
	return 0;
}

static int
add_person(const struct api_req *r, struct task_args *a, const char *field, const char *who,
	   const char *role, struct api_resp *out)
{
	if (resolve(r, field, who, &a->a[a->na].person, out) != 0)
		return -1;
	a->a[a->na++].role = role;
	return 0;
}

/* Resolve every person of the task (inside the transaction). */
static int
task_people(const struct api_req *r, struct task_args *a, struct task *t, struct api_resp *out)
{
	struct group g = { 0 };
	int rc;

	if (add_person(r, a, "lead", a->lead, "lead", out) != 0)
		return -1;
	for (size_t i = 0; i < a->nowners; i++)
		if (add_person(r, a, "owners", a->owners[i], "owner", out) != 0)
			return -1;
	for (size_t i = 0; i < a->nmembers; i++)
		if (add_person(r, a, "members", a->members[i], "member", out) != 0)
			return -1;
	if (a->sup && add_person(r, a, "supervisor", a->sup, "supervisor", out) != 0)
		return -1;
	if (a->team && *a->team) {
		rc = store_group_find(r->st, a->team, false, &g);
		if (rc != STORE_OK) {
			api_error(out, rc == STORE_ERROR ? 500 : 400, "team", "team: %s",
				  store_errmsg(r->st));
			group_clear(&g);
			return -1;
		}
		t->team = g.id;
		group_clear(&g);
	}
	return 0;
}

static void
task_reply(const struct api_req *r, const char *code, unsigned status, bool already,
	   struct api_resp *out)
{
	struct task t = { 0 };
	json_t *j;
	int rc;

	if ((rc = store_task_find(r->st, code, &t)) != STORE_OK) {
		store_error(out, r, rc);
		return;
	}
	j = task_json(&t);
	task_clear(&t);
	if (j && already)
		json_object_set_new(j, "already", json_true());
	reply(out, status, j);
}

static void
post_task(const struct api_req *r, struct api_resp *out)
{
	static const char *const keys[] = { "title",   "deadline", "lead",       "owners",
					    "members", "team",     "supervisor", "rules",
					    "code",    "detail",   NULL };
	struct task_args a = { 0 };
	struct task t = { 0 };
	char *code = NULL;
	int64_t id;
	int rc;
	json_t *o = body_object(r, keys, out);

	if (o == NULL || task_args(r, o, &a, &t, out) != 0)
		goto out;
	if ((rc = store_begin(r->st)) != STORE_OK) {
		store_error(out, r, rc);
		goto out;
	}
	if (task_people(r, &a, &t, out) != 0) {
		store_rollback(r->st);
		goto out;
	}
	if ((rc = store_task_add(r->st, &t, a.a, a.na, &id, &code)) != STORE_OK ||
	    (rc = store_event(r->st, r->actor, "task.add", code, t.title)) != STORE_OK ||
	    (rc = store_commit(r->st)) != STORE_OK) {
		api_error(out,
			  rc == STORE_EXISTS  ? 409
			  : rc == STORE_ERROR ? 500
					      : 400,
			  rc == STORE_EXISTS ? "code" : NULL, "%s", store_errmsg(r->st));
		store_rollback(r->st);
		goto out;
	}
	task_reply(r, code, 201, false, out);
out:
	free(code);
	json_decref(o);
}

static void
task_done(const struct api_req *r, const char *ref, struct api_resp *out)
{
	struct task t = { 0 };
	bool already = false;
	int rc;

	if ((rc = store_begin(r->st)) != STORE_OK)
		goto fail;
	if ((rc = store_task_find(r->st, ref, &t)) != STORE_OK)
		goto fail;
	if (strcmp(t.status, "done") == 0) {
		already = true;
		store_rollback(r->st);
	} else if ((rc = store_task_set_status(r->st, t.id, "done", time_now(), 0)) != STORE_OK ||
		   (rc = store_event(r->st, r->actor, "task.done", t.code, NULL)) != STORE_OK ||
		   (rc = store_commit(r->st)) != STORE_OK) {
		goto fail;
	}
	task_reply(r, t.code, 200, already, out);
	task_clear(&t);
	return;
fail:
	store_error(out, r, rc);
	store_rollback(r->st);
	task_clear(&t);
}

/* ---- routing ----------------------------------------------------------------------------- */

/* Split "/v1/a/b/c" into at most max segments (in buf); the count, or -1 when more. */
static int
segments(const char *path, char *buf, size_t buflen, char **seg, int max)
{
	int n = 0;
	char *save = NULL, *tok;

	if (snprintf(buf, buflen, "%s", path) >= (int)buflen)
		return -1;
	for (tok = strtok_r(buf, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (n == max)
			return -1;
		seg[n++] = tok;
	}
	return n;
}

static bool
allowed(const struct api_req *r, unsigned route, struct api_resp *out)
{
	if (r->routes & route)
		return true;
	api_error(out, 403, NULL, "this token may not use /v1/%s", httpd_route_name(route));
	return false;
}

static bool
method(const struct api_req *r, const char *want, struct api_resp *out)
{
	if (strcmp(r->method, want) == 0)
		return true;
	api_error(out, 405, NULL, "%s %s: use %s", r->method, r->path, want);
	return false;
}

static void
route_messages(const struct api_req *r, char **s, int n, struct api_resp *out)
{
	if (n == 2 && method(r, "POST", out))
		post_message(r, out);
	else if (n == 3 && method(r, "GET", out))
		get_message(r, s[2], out);
	else if (n > 3)
		api_error(out, 404, NULL, "no such route: %s", r->path);
}

static void
route_notices(const struct api_req *r, char **s, int n, struct api_resp *out)
{
	int64_t id;

	if (n == 2) {
		if (method(r, "POST", out))
			post_notice(r, out);
		return;
	}
	if (notice_parse_id(s[2], &id) != 0 || n > 4 || (n == 4 && strcmp(s[3], "cancel") != 0)) {
		api_error(out, 404, NULL, "no such route: %s", r->path);
		return;
	}
	if (n == 3 && method(r, "GET", out))
		notice_reply(r, id, 200, out);
	else if (n == 4 && method(r, "POST", out))
		cancel_notice(r, id, out);
}

static void
route_tasks(const struct api_req *r, char **s, int n, struct api_resp *out)
{
	if (n == 2) {
		if (strcmp(r->method, "GET") == 0)
			list_tasks(r, out);
		else if (method(r, "POST", out))
			post_task(r, out);
	} else if (n == 3 && method(r, "GET", out)) {
		task_reply(r, s[2], 200, false, out);
	} else if (n == 4 && strcmp(s[3], "done") == 0) {
		if (method(r, "POST", out))
			task_done(r, s[2], out);
	} else if (n >= 3) {
		api_error(out, 404, NULL, "no such route: %s", r->path);
	}
}

void
api_handle(const struct api_req *r, struct api_resp *out)
{
	char buf[512], *s[6];
	int n = segments(r->path, buf, sizeof(buf), s, (int)ARRAY_LEN(s));

	out->status = 0;
	out->json = NULL;
	if (n < 2 || strcmp(s[0], "v1") != 0) {
		api_error(out, 404, NULL, "no such route: %s", r->path);
		return;
	}
	if (strcmp(s[1], "messages") == 0) {
		if (allowed(r, HTTP_ROUTE_MESSAGES, out))
			route_messages(r, s, n, out);
	} else if (strcmp(s[1], "notices") == 0) {
		if (allowed(r, HTTP_ROUTE_NOTICES, out))
			route_notices(r, s, n, out);
	} else if (strcmp(s[1], "tasks") == 0) {
		if (allowed(r, HTTP_ROUTE_TASKS, out))
			route_tasks(r, s, n, out);
	} else {
		api_error(out, 404, NULL, "no such route: %s", r->path);
	}
	if (out->status == 0)
		api_error(out, 500, NULL, "no answer");
}
