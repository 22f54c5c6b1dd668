/*
 * api_outbox.c - what the staff console shows of the outbox and the
 * replies: GET /v1/outbox?q=&status= (search by number or name, newest
 * first), GET /v1/outbox/ID (one message with its attempts and delivery
 * reports), GET /v1/tasks/CODE/timeline (a task's whole timeline in
 * time order: every message - reminders and escalations sent, delivered,
 * failed or skipped and why, in which digest - every step still planned,
 * every reply that acted on it and every progress note), GET /v1/inbox (?all=1: every reply) and POST
 * /v1/inbox/ID/read.  Numbers are masked unless the session's role needs
 * them (messages:numbers).
 */
#include "server/api.h"
#include "base/i18n.h"

#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/phone.h"
#include "base/str.h"
#include "core/reply.h"
#include "core/rules.h"
#include "core/sched.h"
#include "store/store_reply.h"
#include "store/store_outbox.h"

#define OUTBOX_LIST_MAX 200

static bool
numbers(const struct api_req *r)
{
	return (r->routes & HTTP_ROUTE_MESSAGES_NUMBERS) != 0;
}

static json_t *
msg_json(const struct api_req *r, const struct message *m)
{
	char mask[PHONE_MAX];

	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s?, s:s?, s:i, s:i, s:s?, s:s?, s:o, s:o, "
			 "s:o, s:o}",
			 "id", (json_int_t)m->id, "to",
			 numbers(r) ? m->phone : phone_mask(m->phone, mask, sizeof(mask)), "person",
			 m->person_name ? m->person_name : "", "kind", m->kind, "status", m->status,
			 "text", m->body, "step", m->step, "task", m->task_code, "parts", m->parts,
			 "attempts", m->attempts, "provider", m->provider, "error", m->last_error,
			 "created_at", api_jtime(m->created_at), "sent_at", api_jtime(m->sent_at),
			 "final_at", api_jtime(m->final_at), "not_before", api_jtime(m->not_before));
}

static void
search(const struct api_req *r, struct api_resp *out)
{
	char q[API_WHO_MAX], status[16];
	int64_t ids[OUTBOX_LIST_MAX];
	struct message m;
	json_t *a = json_array();
	size_t n;
	int rc;

	if (api_query_arg(r->query, "q", q, sizeof(q)) != 0)
		q[0] = '\0';
	if (api_query_arg(r->query, "status", status, sizeof(status)) != 0)
		status[0] = '\0';
	/* A number as a clerk types it: its digits, whatever the spaces and dashes. */
	if (*q && strspn(q, "+0123456789 -") == strlen(q)) {
		size_t o = 0;
		for (const char *p = q; *p; p++)
			if (*p >= '0' && *p <= '9')
				q[o++] = *p;
		q[o] = '\0';
	}
	if (a == NULL) {
		api_error(out, 500, NULL, _("out of memory"));
		return;
	}
	rc = store_outbox_search(r->st, *q ? q : NULL, *status ? status : NULL, OUTBOX_LIST_MAX,
				 ids, &n);
	for (size_t i = 0; rc == STORE_OK && i < n; i++) {
		if ((rc = store_msg_get(r->st, ids[i], &m)) != STORE_OK)
			break;
		json_array_append_new(a, msg_json(r, &m));
		message_clear(&m);
	}
	if (rc != STORE_OK) {
		json_decref(a);
		api_store_error(out, r, rc);
		return;
	}
	api_reply(out, 200, json_pack("{s:o}", "messages", a));
}

static int
attempt_row(void *arg, const struct attempt_row *at)
{
	return json_array_append_new(
		arg, json_pack("{s:o, s:s, s:s, s:s?, s:i, s:I}", "at", api_jtime(at->at), "provider",
			       at->provider, "result", at->result, "error", at->error, "http_status",
			       at->http_status, "latency_ms", (json_int_t)at->latency_ms));
}

static int
dlr_row(void *arg, const struct dlr_row *d)
{
	return json_array_append_new(
		arg, json_pack("{s:o, s:s, s:s, s:s?}", "received_at", api_jtime(d->received_at),
			       "provider", d->provider, "status", d->status, "error", d->error));
}

static void
one(const struct api_req *r, const char *ids, struct api_resp *out)
{
	struct message m;
	json_t *j, *at, *dl;
	long id;
	int rc;

	if (parse_long(*ids == '#' ? ids + 1 : ids, 1, INT32_MAX, &id) != 0) {
		api_error(out, 404, NULL, _("no such message: %s"), ids);
		return;
	}
	if ((rc = store_msg_get(r->st, id, &m)) != STORE_OK) {
		api_store_error(out, r, rc);
		return;
	}
	j = msg_json(r, &m);
	message_clear(&m);
	at = json_array();
	dl = json_array();
	if (j == NULL || at == NULL || dl == NULL ||
	    (rc = store_attempt_each(r->st, id, attempt_row, at)) != STORE_OK ||
	    (rc = store_msg_dlr_each(r->st, id, dlr_row, dl)) != STORE_OK) {
		json_decref(j);
		json_decref(at);
		json_decref(dl);
		api_store_error(out, r, STORE_ERROR);
		return;
	}
	json_object_set_new(j, "attempts_made", at);
	json_object_set_new(j, "reports", dl);
	api_reply(out, 200, j);
}

void
api_route_outbox(const struct api_req *r, char **s, int n, struct api_resp *out)
{
	if (n > 3) {
		api_error(out, 404, NULL, _("no such route: %s"), r->path);
		return;
	}
	if (!api_method(r, "GET", out))
		return;
	if (n == 2)
		search(r, out);
	else
		one(r, s[2], out);
}

/* ---- a task's timeline -------------------------------------------------------------- */

/*
 * Everything of a task in time order: its messages (kept as "messages" as
 * well), the steps still to come, the replies that acted on it and its
 * progress notes.  Each event is {"type": ..., "at": ...} and its fields.
 */
struct event {
	int64_t at;
	size_t seq; /* the order they were found in: a stable sort */
	json_t *j;
};

struct timeline {
	const struct api_req *r;
	json_t *a;
	struct event *ev;
	size_t n, cap;
	bool oom;
};

/* Add event j (taken over) at at; a failure is remembered in oom. */
static int
tl_add(struct timeline *t, int64_t at, json_t *j)
{
	if (j == NULL) {
		t->oom = true;
		return -1;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 32;
		struct event *ev = realloc(t->ev, cap * sizeof(*ev));
		if (ev == NULL) {
			json_decref(j);
			t->oom = true;
			return -1;
		}
		t->ev = ev;
		t->cap = cap;
	}
	json_object_set_new(j, "at", api_jtime(at));
	t->ev[t->n] = (struct event){ at, t->n, j };
	t->n++;
	return 0;
}

static int
timeline_row(void *arg, const struct message *m)
{
	struct timeline *t = arg;
	json_t *j = msg_json(t->r, m), *e;
	long digest;

	if (j == NULL || json_array_append(t->a, j) != 0 || (e = json_deep_copy(j)) == NULL) {
		json_decref(j);
		t->oom = true;
		return -1;
	}
	json_decref(j);
	json_object_set_new(e, "type", json_string("message"));
	/* A step sent as part of a digest: which message carried it. */
	if (m->last_error && strncmp(m->last_error, "in digest #", 11) == 0 &&
	    parse_long(m->last_error + 11, 1, INT32_MAX, &digest) == 0)
		json_object_set_new(e, "digest", json_integer(digest));
	return tl_add(t, m->sent_at ? m->sent_at : m->not_before ? m->not_before : m->created_at,
		      e);
}

static int
timeline_step(void *arg, const struct fire *f)
{
	static const char *const kind[] = { [STEP_BEFORE] = "reminder",
					    [STEP_OVERDUE] = "overdue",
					    [STEP_ESCALATE] = "escalation" };
	struct timeline *t = arg;
	json_t *roles = json_array();

	for (unsigned b = ROLE_LEAD; roles && b <= ROLE_SUPERVISOR; b <<= 1)
		if (f->roles & b)
			json_array_append_new(roles, json_string(role_name((enum role)b)));
	return tl_add(t, f->at,
		      json_pack("{s:s, s:s, s:s, s:o?, s:s?}", "type", "planned", "step", f->key,
				"kind", kind[f->kind], "roles", roles, "template", f->template));
}

static int
timeline_reply(void *arg, int64_t at, const char *who, const char *text, const char *action)
{
	return tl_add(arg, at,
		      json_pack("{s:s, s:s, s:s, s:s}", "type", "reply", "from", who, "text", text,
				"action", action));
}

static int
timeline_note(void *arg, int64_t at, const char *who, const char *text)
{
	return tl_add(arg, at,
		      json_pack("{s:s, s:s, s:s}", "type", "note", "from", who, "text", text));
}

static int
cmp_event(const void *a, const void *b)
{
	const struct event *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The events of t sorted into a new array (NULL: out of memory); t's are taken. */
static json_t *
timeline_events(struct timeline *t)
{
	json_t *a = json_array();

	if (t->n > 1)
		qsort(t->ev, t->n, sizeof(*t->ev), cmp_event);
	for (size_t i = 0; i < t->n; i++)
		if (a == NULL || json_array_append_new(a, t->ev[i].j) != 0) {
			if (a == NULL)
				json_decref(t->ev[i].j);
			t->oom = true;
		}
	t->n = 0;
	return a;
}

static void
timeline_clear(struct timeline *t)
{
	for (size_t i = 0; i < t->n; i++)
		json_decref(t->ev[i].j);
	free(t->ev);
	json_decref(t->a);
}

struct last_reply {
	int64_t id, at;
	json_t *j;
};

static int
reply_row(void *arg, const struct report_task *rt)
{
	struct last_reply *l = arg;

	if (rt->id == l->id && rt->reply != NULL)
		l->j = json_pack("{s:o, s:s}", "at", api_jtime(rt->reply_at), "text", rt->reply);
	return 0;
}

/* Gather task's messages, steps to come, replies and notes into tl. */
static int
timeline_gather(const struct api_req *r, const struct task *task, struct timeline *tl,
		struct last_reply *lr)
{
	struct sched s = { r->st, r->cfg, r->rules, r->tmpls };
	struct msg_filter f = { .task = task->id };
	int rc;

	/* Found in this order, so that at the same second a reply comes
	 * before its note and before duban's answer to it. */
	if ((rc = store_reply_each(r->st, task->id, timeline_reply, tl)) != STORE_OK ||
	    (rc = store_note_each(r->st, task->id, timeline_note, tl)) != STORE_OK ||
	    (rc = store_msg_each(r->st, &f, timeline_row, tl)) != STORE_OK ||
	    (rc = store_report_tasks(r->st, false, time_now(), reply_row, lr)) != STORE_OK)
		return rc;
	if (r->rules != NULL && r->cfg != NULL)
		rc = sched_task_upcoming(&s, task, time_now(), timeline_step, tl);
	return rc;
}

void
api_task_timeline(const struct api_req *r, const char *code, struct api_resp *out)
{
	struct task t = { 0 };
	struct timeline tl = { .r = r, .a = json_array() };
	struct last_reply lr = { 0, 0, NULL };
	json_t *events;
	int rc;

	if ((rc = store_task_find(r->st, code, &t)) != STORE_OK) {
		json_decref(tl.a);
		api_store_error(out, r, rc);
		return;
	}
	lr.id = t.id;
	if (tl.a == NULL || (rc = timeline_gather(r, &t, &tl, &lr)) != STORE_OK || tl.oom) {
		timeline_clear(&tl);
		json_decref(lr.j);
		task_clear(&t);
		api_store_error(out, r, rc == STORE_OK ? STORE_ERROR : rc);
		return;
	}
	events = timeline_events(&tl);
	api_reply(out, 200,
		  json_pack("{s:s, s:s, s:o, s:o, s:o, s:o?, s:o}", "code", t.code, "status",
			    t.status, "next_reminder", api_jtime(t.next_fire), "messages", tl.a,
			    "last_reply", lr.j ? lr.j : json_null(), "done_at",
			    api_jtime(t.done_at), "events", events ? events : json_null()));
	tl.a = NULL;
	timeline_clear(&tl);
	task_clear(&t);
}

/* ---- replies --------------------------------------------------------------------------- */

static int
inbox_row(void *arg, const struct inbound *in)
{
	struct timeline *t = arg;
	char mask[PHONE_MAX];

	return json_array_append_new(
		t->a, json_pack("{s:I, s:o, s:s, s:s, s:s, s:s?, s:s}", "id", (json_int_t)in->id,
				"received_at", api_jtime(in->received_at), "from",
				in->person_name ? in->person_name : "", "phone",
				numbers(t->r) ? in->phone : phone_mask(in->phone, mask, sizeof(mask)),
				"text", in->text, "action", in->action, "status", in->status));
}

void
api_route_inbox(const struct api_req *r, char **s, int n, struct api_resp *out)
{
	struct inbound_filter f = { .status = "new", .limit = 500 };
	struct timeline t = { .r = r };
	struct duban_ctx x;
	char all[4];
	long id;
	int rc;

	if (n == 2) {
		if (!api_method(r, "GET", out))
			return;
		if (api_query_arg(r->query, "all", all, sizeof(all)) == 0 && strcmp(all, "1") == 0)
			f.status = NULL;
		if ((t.a = json_array()) == NULL ||
		    (rc = store_inbound_each(r->st, &f, inbox_row, &t)) != STORE_OK) {
			json_decref(t.a);
			api_store_error(out, r, t.a ? rc : STORE_ERROR);
			return;
		}
		api_reply(out, 200, json_pack("{s:o}", "replies", t.a));
		return;
	}
	if (n != 4 || strcmp(s[3], "read") != 0 || parse_long(s[2], 1, INT32_MAX, &id) != 0) {
		api_error(out, 404, NULL, _("no such route: %s"), r->path);
		return;
	}
	if (!api_method(r, "POST", out))
		return;
	api_ctx(r, &x);
	int64_t ids[1] = { id };
	if ((rc = reply_mark_read(&x, ids, 1)) != ACTION_OK)
		api_error(out, rc == ACTION_NOTFOUND ? 404 : rc == ACTION_ERROR ? 500 : 400, NULL,
			  "%s", x.err);
	else
		api_reply(out, 200, json_pack("{s:I, s:s}", "id", (json_int_t)id, "status", "read"));
}
