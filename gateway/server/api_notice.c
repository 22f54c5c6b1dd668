/*
 * api_notice.c - /v1/notices: POST broadcasts a policy notice (with a dry
 * run, and a confirmation over notices.confirm_over), GET /v1/notices/ID
 * follows it, POST /v1/notices/ID/cancel cancels it - the same notices,
 * checks and audit events as `duban notice`.
 */
#include "server/api.h"

#include <inttypes.h>
#include <string.h>

#include "base/phone.h"
#include "base/sms.h"
#include "core/staff.h"
#include "core/notice.h"
#include "core/tmpl.h"
#include "base/clock.h"
#include "base/zone.h"

/* A notice's text is bounded the same way from both front-ends. */
_Static_assert(API_TEXT_MAX == NOTICE_BODY_MAX, "API_TEXT_MAX is not NOTICE_BODY_MAX");

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
		api_store_error(out, r, rc);
		notice_clear(&n);
		return;
	}
	snprintf(ref, sizeof(ref), "N%" PRId64, n.id);
	j = json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:s, s:o, s:I, s:I, s:o, s:o}", "id",
		      (json_int_t)n.id, "ref", ref, "title", n.title, "status",
		      notice_shown_status(&n, &k, time_now()), "text", n.body, "template",
		      api_jstr(n.template_name), "created_by", n.created_by, "approved_by",
		      api_jstr(n.approved_by), "recipients", (json_int_t)n.recipients, "opted_out",
		      (json_int_t)n.opted_out, "send_at", api_jtime(n.send_at), "created_at",
		      api_jtime(n.created_at));
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
	api_reply(out, status, j);
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
	const char *aud[API_LIST_MAX], *text, *tname, *title, *send_at;
	size_t naud;
	char *vars[NOTICE_VARS_MAX];
	size_t nvars;
	bool dry, confirm;
	int64_t at;
};

static int
notice_args(json_t *o, struct notice_args *a, struct api_resp *out)
{
	if (api_get_list(o, "audience", a->aud, &a->naud, out) < 0 ||
	    api_get_str(o, "text", false, API_TEXT_MAX, &a->text, out) < 0 ||
	    api_get_str(o, "template", false, 64, &a->tname, out) < 0 ||
	    api_get_str(o, "title", false, API_TITLE_MAX, &a->title, out) < 0 ||
	    api_get_str(o, "send_at", false, 32, &a->send_at, out) < 0 ||
	    api_get_bool(o, "dry_run", &a->dry, out) < 0 ||
	    api_get_bool(o, "confirm", &a->confirm, out) < 0 ||
	    api_get_vars(o, a->vars, &a->nvars, out) < 0)
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
	if (a->send_at && time_parse_local(a->send_at, false, &a->at) != 0) {
		api_error(out, 400, "send_at",
			  "\"send_at\": expected \"YYYY-MM-DD HH:MM\" (local time)");
		return -1;
	}
	return 0;
}

/* The field a refusal of a notice action is about (NULL: none). */
static const char *
fault_field(enum notice_input in)
{
	switch (in) {
	case NOTICE_IN_SELECTOR:
	case NOTICE_IN_AUDIENCE: return "audience";
	case NOTICE_IN_TEXT: return "text";
	case NOTICE_IN_TEMPLATE: return "template";
	case NOTICE_IN_VARS: return "vars";
	case NOTICE_IN_SEND_AT: return "send_at";
	case NOTICE_IN_CONFIRM: return "confirm";
	case NOTICE_IN_NONE: break;
	}
	return NULL;
}

/* Answer a refusal: 400 naming the field at fault (500 when the database failed). */
static void
notice_error(struct api_resp *out, int rc, const struct duban_ctx *x, enum notice_input fault)
{
	const char *field = fault_field(fault);

	if (field == NULL)
		api_error(out, rc == ACTION_NOTFOUND ? 404 : rc == ACTION_ERROR ? 500 : 400, NULL,
			  "%s", x->err);
	else if (fault == NOTICE_IN_SEND_AT)
		api_error(out, 400, field, "\"send_at\": %s", x->err);
	else if (fault == NOTICE_IN_CONFIRM)
		api_error(out, 400, field,
			  "%s: check with \"dry_run\": true, then send with \"confirm\": true",
			  x->err);
	else
		api_error(out, rc == ACTION_ERROR ? 500 : 400, field, "%s", x->err);
}

static void
post_notice(const struct api_req *r, struct api_resp *out)
{
	static const char *const keys[] = { "audience", "text",    "template", "vars", "title",
					    "send_at",  "dry_run", "confirm",  NULL };
	struct notice_args a = { 0 };
	struct notice_result res = { 0 };
	struct notice_req rq;
	struct duban_ctx x;
	int rc;
	json_t *o = api_body_object(r, keys, out);

	if (o == NULL || notice_args(o, &a, out) != 0)
		goto out;
	/* A text notice without a title is listed as "API" (the command line
	 * shows the start of its text); a template's is its name. */
	rq = (struct notice_req){ .to = a.aud,
				  .nto = a.naud,
				  .text = a.text,
				  .template_name = a.tname,
				  .vars = a.vars,
				  .nvars = a.nvars,
				  .title = a.title ? a.title : a.tname ? NULL : "API",
				  .send_at = a.at,
				  .dry_run = a.dry,
				  .confirm = { .yes = a.confirm } };
	api_ctx(r, &x);
	if ((rc = notice_create(&x, &rq, &res)) != ACTION_OK)
		notice_error(out, rc, &x, res.fault);
	else if (a.dry)
		api_reply(out, 200, plan_json(&res.plan));
	else
		notice_reply(r, res.id, 201, out);
out:
	notice_result_clear(&res);
	api_vars_free(a.vars, a.nvars);
	json_decref(o);
}

static void
cancel_notice(const struct api_req *r, int64_t id, struct api_resp *out)
{
	struct notice_cancelled k;
	struct duban_ctx x;
	int rc;

	api_ctx(r, &x);
	if ((rc = notice_cancel(&x, id, &k)) != ACTION_OK) {
		notice_error(out, rc, &x, NOTICE_IN_NONE);
		return;
	}
	notice_reply(r, id, 200, out);
	if (out->status == 200 && out->json)
		json_object_set_new(out->json, "cancelled_now",
				    json_pack("{s:I, s:I, s:I}", "cancelled", (json_int_t)k.cancelled,
					      "sent", (json_int_t)k.sent, "sending",
					      (json_int_t)k.sending));
}

/* ---- what the staff console adds: list, measure, approve, failed, resend ---------- */

static int
list_row(void *arg, const struct notice *n, const struct notice_counts *k)
{
	char ref[24];

	snprintf(ref, sizeof(ref), "N%" PRId64, n->id);
	return json_array_append_new(
		arg, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s?, s:I, s:I, s:I, s:I, s:o, s:o}",
			       "id", (json_int_t)n->id, "ref", ref, "title", n->title, "status",
			       notice_shown_status(n, k, time_now()), "created_by", n->created_by,
			       "approved_by", n->approved_by, "recipients",
			       (json_int_t)n->recipients, "sent", (json_int_t)(k->sent + k->delivered),
			       "delivered", (json_int_t)k->delivered, "failed",
			       (json_int_t)(k->failed + k->expired), "send_at",
			       api_jtime(n->send_at), "created_at", api_jtime(n->created_at)));
}

static void
list_notices(const struct api_req *r, struct api_resp *out)
{
	json_t *a = json_array();
	int rc;

	if (a == NULL || (rc = store_notice_each(r->st, list_row, a)) != STORE_OK) {
		json_decref(a);
		if (a == NULL)
			api_error(out, 500, NULL, "out of memory");
		else
			api_store_error(out, r, rc);
		return;
	}
	api_reply(out, 200, json_pack("{s:o}", "notices", a));
}

/* GET /v1/notices/measure?text=: characters, encoding and parts with the signature. */
static void
measure(const struct api_req *r, struct api_resp *out)
{
	char text[API_TEXT_MAX + 1], err[200];
	struct sms_info si;

	if (api_query_arg(r->query, "text", text, sizeof(text)) != 0)
		text[0] = '\0';
	if (sms_measure(text, r->cfg->signature, &si, err, sizeof(err)) != 0) {
		api_error(out, 400, "text", "%s", err);
		return;
	}
	api_reply(out, 200,
		  json_pack("{s:I, s:I, s:s, s:i, s:s, s:i}", "chars", (json_int_t)si.chars,
			    "units", (json_int_t)si.units, "encoding",
			    sms_encoding_name(si.encoding), "parts", (int)si.parts, "signature",
			    r->cfg->signature, "max_parts", (int)r->cfg->max_parts));
}

static void
add_var(void *arg, const char *name)
{
	json_array_append_new(arg, json_string(strncmp(name, "var.", 4) == 0 ? name + 4 : name));
}

/* GET /v1/notices/templates: the templates a notice can use (none of task.*), and their vars. */
static void
templates(const struct api_req *r, struct api_resp *out)
{
	json_t *a = json_array();
	size_t n = r->tmpls ? tmpl_set_count(r->tmpls) : 0;

	for (size_t i = 0; a && i < n; i++) {
		const struct tmpl *t = tmpl_set_at(r->tmpls, i);
		json_t *vars = json_array();
		if (tmpl_uses_prefix(t, "task.") || vars == NULL) {
			json_decref(vars);
			continue;
		}
		tmpl_each_var(t, add_var, vars);
		json_array_append_new(a, json_pack("{s:s, s:o, s:b}", "name", tmpl_name(t), "vars",
						   vars, "personal", tmpl_uses_prefix(t, "person.")));
	}
	api_reply(out, 200, a ? json_pack("{s:o}", "templates", a) : NULL);
}

static void
approve_notice(const struct api_req *r, int64_t id, struct api_resp *out)
{
	static const char *const keys[] = { "confirm", NULL };
	struct notice_result res = { 0 };
	struct notice_confirm c = { 0 };
	struct duban_ctx x;
	json_t *o = NULL;
	int rc;

	if (r->role < STAFF_APPROVER) {
		api_error(out, 403, NULL, "only an approver approves notices");
		return;
	}
	if (r->len > 0 && ((o = api_body_object(r, keys, out)) == NULL ||
			   api_get_bool(o, "confirm", &c.yes, out) < 0))
		goto out;
	api_ctx(r, &x);
	if ((rc = notice_approve(&x, id, &c, &res)) != ACTION_OK)
		notice_error(out, rc, &x, res.fault);
	else
		notice_reply(r, id, 200, out);
out:
	notice_result_clear(&res);
	json_decref(o);
}

struct failed_list {
	json_t *a;
	bool numbers;
};

static int
failed_row(void *arg, const struct message *m)
{
	struct failed_list *l = arg;
	char mask[PHONE_MAX];

	return json_array_append_new(
		l->a, json_pack("{s:I, s:s, s:s, s:s, s:I, s:s, s:o}", "id", (json_int_t)m->id,
				"person", m->person_name ? m->person_name : "", "to",
				l->numbers ? m->phone : phone_mask(m->phone, mask, sizeof(mask)),
				"status", m->status, "attempts", (json_int_t)m->attempts, "error",
				m->last_error ? m->last_error : "", "final_at",
				api_jtime(m->final_at)));
}

static void
failed_notice(const struct api_req *r, int64_t id, struct api_resp *out)
{
	struct failed_list l = { json_array(), (r->routes & HTTP_ROUTE_MESSAGES_NUMBERS) != 0 };
	int rc;

	if (l.a == NULL || (rc = store_notice_failed_each(r->st, id, failed_row, &l)) != STORE_OK) {
		json_decref(l.a);
		if (l.a == NULL)
			api_error(out, 500, NULL, "out of memory");
		else
			api_store_error(out, r, rc);
		return;
	}
	api_reply(out, 200, json_pack("{s:o}", "failed", l.a));
}

static void
resend_notice(const struct api_req *r, int64_t id, struct api_resp *out)
{
	struct duban_ctx x;
	int64_t queued = 0, opted = 0;
	int rc;

	api_ctx(r, &x);
	if ((rc = notice_resend(&x, id, &queued, &opted)) != ACTION_OK) {
		notice_error(out, rc, &x, NOTICE_IN_NONE);
		return;
	}
	api_reply(out, 200, json_pack("{s:I, s:I}", "queued", (json_int_t)queued, "opted_out",
				      (json_int_t)opted));
}

void
api_route_notices(const struct api_req *r, char **s, int n, struct api_resp *out)
{
	int64_t id;

	if (n == 2) {
		if (r->role != 0 && strcmp(r->method, "GET") == 0)
			list_notices(r, out);
		else if (api_method(r, "POST", out))
			post_notice(r, out);
		return;
	}
	if (n == 3 && strcmp(s[2], "measure") == 0) {
		if (api_method(r, "GET", out))
			measure(r, out);
		return;
	}
	if (n == 3 && strcmp(s[2], "templates") == 0) {
		if (api_method(r, "GET", out))
			templates(r, out);
		return;
	}
	if (notice_parse_id(s[2], &id) != 0 || n > 4) {
		api_error(out, 404, NULL, "no such route: %s", r->path);
		return;
	}
	if (n == 3) {
		if (api_method(r, "GET", out))
			notice_reply(r, id, 200, out);
	} else if (strcmp(s[3], "cancel") == 0) {
		if (api_method(r, "POST", out))
			cancel_notice(r, id, out);
	} else if (r->role != 0 && strcmp(s[3], "approve") == 0) {
		if (api_method(r, "POST", out))
			approve_notice(r, id, out);
	} else if (r->role != 0 && strcmp(s[3], "failed") == 0) {
		if (api_method(r, "GET", out))
			failed_notice(r, id, out);
	} else if (r->role != 0 && strcmp(s[3], "resend") == 0) {
		if (api_method(r, "POST", out))
			resend_notice(r, id, out);
	} else {
		api_error(out, 404, NULL, "no such route: %s", r->path);
	}
}
