/*
 * api_notice.c - /v1/notices: POST broadcasts a policy notice (with a dry
 * run, and a confirmation over notices.confirm_over), GET /v1/notices/ID
 * follows it, POST /v1/notices/ID/cancel cancels it - the same notices,
 * checks and audit events as `duban notice`.
 */
#include "server/api.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/sms.h"
#include "core/notice.h"
#include "core/tmpl.h"

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
		api_store_error(out, r, rc);
		notice_clear(&n);
		return;
	}
	snprintf(ref, sizeof(ref), "N%" PRId64, n.id);
	j = json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:s, s:o, s:I, s:I, s:o, s:o}", "id",
		      (json_int_t)n.id, "ref", ref, "title", n.title, "status",
		      notice_shown(&n, &k, time_now()), "text", n.body, "template",
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
notice_args(const struct api_req *r, json_t *o, struct notice_args *a, struct api_resp *out)
{
	int64_t now = time_now();

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
	char title[API_TITLE_MAX + 8], obj[32], detail[160], err[512];
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
	api_store_error(out, r, rc);
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
	json_t *o = api_body_object(r, keys, out);

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
		api_reply(out, 200, plan_json(&plan));
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
	api_vars_free(a.vars, a.nvars);
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
		api_store_error(out, r, rc);
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
	api_store_error(out, r, rc);
	store_rollback(r->st);
	notice_clear(&n);
}

void
api_route_notices(const struct api_req *r, char **s, int n, struct api_resp *out)
{
	int64_t id;

	if (n == 2) {
		if (api_method(r, "POST", out))
			post_notice(r, out);
		return;
	}
	if (notice_parse_id(s[2], &id) != 0 || n > 4 || (n == 4 && strcmp(s[3], "cancel") != 0)) {
		api_error(out, 404, NULL, "no such route: %s", r->path);
		return;
	}
	if (n == 3 && api_method(r, "GET", out))
		notice_reply(r, id, 200, out);
	else if (n == 4 && api_method(r, "POST", out))
		cancel_notice(r, id, out);
}
