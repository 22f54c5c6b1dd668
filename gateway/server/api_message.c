/*
 * api_message.c - /v1/messages: POST queues a manual message (a text, or
 * a template rendered for the number's holder), idempotent by the
 * client's "ref" (the same request again is the first message; another
 * under the same ref is a 409 naming it); GET /v1/messages/ID shows where
 * one is.  Writing takes messages:write, reading messages:read
 * ("messages" is both); what either answers shows the number masked
 * (138****8000) and only the first character of its holder's name,
 * unless the token also has messages:numbers.  The checks, the row and
 * its audit event are outbox_send's (core/outbox.c), as for `duban send`.
 */
#include "server/api.h"

#include <inttypes.h>
#include <string.h>

#include "core/notice.h"
#include "core/outbox.h"
#include "base/phone.h"
#include "base/utf8.h"

#define NAME_MASKED_MAX 192

/* A name's first character, then a * for each other one ("陈**"): into out. */
static const char *
mask_name(const char *name, char *out, size_t outlen)
{
	size_t len = strlen(name), o = 0, i;
	uint32_t cp;
	int n = utf8_decode(name, len, &cp);

	if (n <= 0 || (size_t)n + 1 > outlen) {
		snprintf(out, outlen, "%s", outlen >= 4 ? "***" : "");
		return out;
	}
	memcpy(out, name, (size_t)n);
	o = (size_t)n;
	for (i = (size_t)n; i < len && o + 1 < outlen; o++) {
		n = utf8_decode(name + i, len - i, &cp);
		i += n > 0 ? (size_t)n : 1;
		out[o] = '*';
	}
	out[o] = '\0';
	return out;
}

static json_t *
message_json(const struct message *m, bool numbers)
{
	char ref[24], phone[PHONE_MAX], name[NAME_MASKED_MAX];
	const char *person = m->person_name;
	json_t *j;

	if (!numbers && person)
		person = mask_name(person, name, sizeof(name));
	j = json_pack("{s:I, s:s, s:o, s:s, s:s, s:s, s:s, s:i, s:b, s:o, s:i}", "id",
		      (json_int_t)m->id, "to",
		      numbers ? m->phone : phone_mask(m->phone, phone, sizeof(phone)), "person",
		      api_jstr(person), "status", m->status, "kind", m->kind, "text", m->body,
		      "encoding", m->encoding, "parts", m->parts, "urgent", m->urgent, "ref",
		      api_jstr(m->ref), "attempts", m->attempts);
	if (j == NULL)
		return NULL;
	snprintf(ref, sizeof(ref), "N%" PRId64, m->notice);
	json_object_set_new(j, "task", api_jstr(m->task_code));
	json_object_set_new(j, "notice", m->notice ? json_string(ref) : json_null());
	json_object_set_new(j, "created_at", api_jtime(m->created_at));
	json_object_set_new(j, "not_before", api_jtime(m->not_before));
	json_object_set_new(j, "sent_at", api_jtime(m->sent_at));
	json_object_set_new(j, "final_at", api_jtime(m->final_at));
	json_object_set_new(j, "acked_at", api_jtime(m->acked_at));
	json_object_set_new(j, "provider", api_jstr(m->provider));
	json_object_set_new(j, "provider_ref", api_jstr(m->provider_ref));
	json_object_set_new(j, "error", api_jstr(m->last_error));
	return j;
}

/* True when r's token has scope; else false with out set to the 403 that names it. */
static bool
scoped(const struct api_req *r, unsigned scope, const char *what, struct api_resp *out)
{
	if (r->routes & scope)
		return true;
	api_error(out, 403, NULL, "this token may not %s /v1/messages (it needs %s)", what,
		  httpd_route_name(scope));
	return false;
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
		api_store_error(out, r, rc);
		return;
	}
	j = message_json(&m, (r->routes & HTTP_ROUTE_MESSAGES_NUMBERS) != 0);
	message_clear(&m);
	if (j && duplicate)
		json_object_set_new(j, "duplicate", json_true());
	api_reply(out, status, j);
}

/* The name of the field an outbox refusal is about (NULL: none). */
static const char *
fault_field(enum outbox_input in)
{
	switch (in) {
	case OUTBOX_IN_TO: return "to";
	case OUTBOX_IN_TEXT: return "text";
	case OUTBOX_IN_TEMPLATE: return "template";
	case OUTBOX_IN_VARS: return "vars";
	case OUTBOX_IN_REF: return "ref";
	case OUTBOX_IN_NONE: break;
	}
	return NULL;
}

static void
post_message(const struct api_req *r, struct api_resp *out)
{
	static const char *const keys[] = {
		"to", "text", "template", "vars", "urgent", "ref", NULL
	};
	struct outbox_req rq = { 0 };
	struct outbox_queued q;
	struct duban_ctx x;
	char *vars[NOTICE_VARS_MAX];
	size_t nvars = 0;
	const char *field;
	int rc;
	json_t *o = api_body_object(r, keys, out);

	if (o == NULL)
		return;
	if (api_get_str(o, "to", true, 64, &rq.to, out) < 0 ||
	    api_get_str(o, "text", false, API_TEXT_MAX, &rq.text, out) < 0 ||
	    api_get_str(o, "template", false, 64, &rq.template_name, out) < 0 ||
	    api_get_str(o, "ref", false, API_REF_MAX, &rq.ref, out) < 0 ||
	    api_get_bool(o, "urgent", &rq.urgent, out) < 0 || api_get_vars(o, vars, &nvars, out) < 0)
		goto out;
	if (rq.ref && *rq.ref == '\0') {
		api_error(out, 400, "ref", "\"ref\" is empty");
		goto out;
	}
	rq.vars = vars;
	rq.nvars = nvars;
	api_ctx(r, &x);
	if ((rc = outbox_send(&x, &rq, &q)) != ACTION_OK) {
		if (rc == ACTION_EXISTS && q.fault == OUTBOX_IN_REF) {
			api_error(out, 409, "ref", "%s", x.err);
			if (out->json)
				json_object_set_new(out->json, "id", json_integer(q.id));
		} else if ((field = fault_field(q.fault)) != NULL)
			api_error(out, rc == ACTION_ERROR ? 500 : 400, field, "%s", x.err);
		else
			api_error(out, rc == ACTION_NOTFOUND ? 404 : rc == ACTION_ERROR ? 500 : 400,
				  NULL, "%s", x.err);
		goto out;
	}
	message_reply(r, q.id, q.duplicate ? 200 : 201, q.duplicate, out);
out:
	api_vars_free(vars, nvars);
	json_decref(o);
}

static void
get_message(const struct api_req *r, const char *ids, struct api_resp *out)
{
	int64_t id;

	if (outbox_parse_id(ids, &id) != 0) {
		api_error(out, 404, NULL, "no message \"%s\"", ids);
		return;
	}
	message_reply(r, id, 200, false, out);
}

void
api_route_messages(const struct api_req *r, char **s, int n, struct api_resp *out)
{
	if (n == 2 && api_method(r, "POST", out)) {
		if (scoped(r, HTTP_ROUTE_MESSAGES_WRITE, "write", out))
			post_message(r, out);
	} else if (n == 3 && api_method(r, "GET", out)) {
		if (scoped(r, HTTP_ROUTE_MESSAGES_READ, "read", out))
			get_message(r, s[2], out);
	} else if (n > 3) {
		api_error(out, 404, NULL, "no such route: %s", r->path);
	}
}
