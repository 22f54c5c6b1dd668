/*
 * api_task.c - /v1/tasks: list the tasks, add one, show one, and mark it
 * done, cancel or reopen it.  The request is parsed and checked here; the
 * rules (who may be assigned, which status may follow which) are the
 * actions' of core/task.c, the same the command line and SMS replies use.
 */
#include "server/api.h"
#include "base/i18n.h"

#include <string.h>

#include "core/ctx.h"
#include "core/task.h"
#include "base/array.h"
#include "base/clock.h"
#include "base/zone.h"

#define DETAIL_MAX 2048 /* as the text of a notice or message */

static json_t *
task_json(const struct task *t)
{
	json_t *j =
		json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:o, s:s}", "id", (json_int_t)t->id,
			  "code", t->code, "title", t->title, "detail", t->detail ? t->detail : "",
			  "status", t->status, "lead", api_jstr(t->lead_name), "team",
			  api_jstr(t->team_name), "rules", t->rule_set ? t->rule_set : "default");

	if (j == NULL)
		return NULL;
	json_object_set_new(j, "deadline", api_jtime(t->deadline));
	json_object_set_new(
		j, "overdue",
		json_boolean(strcmp(t->status, "open") == 0 && t->deadline < time_now()));
	json_object_set_new(j, "done_at", api_jtime(t->done_at));
	json_object_set_new(j, "created_at", api_jtime(t->created_at));
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
		api_store_error(out, r, rc);
		return;
	}
	api_reply(out, 200, json_pack("{s:o}", "tasks", arr));
}

/* Answer with task t (and "already": true when it had the status asked for). */
static void
task_reply(const struct task *t, unsigned status, bool already, struct api_resp *out)
{
	json_t *j = task_json(t);

	if (j && already)
		json_object_set_new(j, "already", json_true());
	api_reply(out, status, j);
}

static void
show_task(const struct api_req *r, const char *code, struct api_resp *out)
{
	struct task t = { 0 };
	int rc;

	if ((rc = store_task_find(r->st, code, &t)) != STORE_OK) {
		api_store_error(out, r, rc);
		return;
	}
	task_reply(&t, 200, false, out);
	task_clear(&t);
}

/*
 * Why an action refused, as an answer: a code in use or a status that
 * forbids the change is a 409, no such task a 404, the database a 500,
 * anything else a 400 naming field.  A person who cannot be found is
 * named with the field ("lead: nobody is called ...").
 */
static void
action_error(const struct duban_ctx *x, int rc, const char *field, struct api_resp *out)
{
	static const char *const people[] = { "lead", "owners", "members", "supervisor" };
	unsigned status = rc == ACTION_EXISTS	? 409
			  : rc == ACTION_ERROR	? 500
			  : field		? 400
			  : rc == ACTION_NOTFOUND ? 404
						: 409;

	for (size_t i = 0; field && i < ARRAY_LEN(people); i++)
		if (strcmp(field, people[i]) == 0) {
			api_error(out, status, field, "%s: %s", field, x->err);
			return;
		}
	api_error(out, status, field, "%s", x->err);
}

/* The body of POST /v1/tasks, parsed; strings borrowed from the JSON. */
struct task_args {
	const char *deadline;
	const char *owners[API_LIST_MAX], *members[API_LIST_MAX];
	struct task_new n;
};

static int
task_args(json_t *o, struct task_args *a, struct api_resp *out)
{
	struct task_new *n = &a->n;

	n->owners = a->owners;
	n->members = a->members;
	if (api_get_str(o, "title", true, API_TITLE_MAX, &n->title, out) < 0 ||
	    api_get_str(o, "deadline", true, 32, &a->deadline, out) < 0 ||
	    api_get_str(o, "lead", true, API_WHO_MAX, &n->lead, out) < 0 ||
	    api_get_str(o, "team", false, API_WHO_MAX, &n->team, out) < 0 ||
	    api_get_str(o, "supervisor", false, API_WHO_MAX, &n->supervisor, out) < 0 ||
	    api_get_str(o, "rules", false, 64, &n->rule_set, out) < 0 ||
	    api_get_str(o, "code", false, 31, &n->code, out) < 0 ||
	    api_get_str(o, "detail", false, DETAIL_MAX, &n->detail, out) < 0 ||
	    api_get_list(o, "owners", a->owners, &n->nowners, out) < 0 ||
	    api_get_list(o, "members", a->members, &n->nmembers, out) < 0)
		return -1;
	if (time_parse_local(a->deadline, true, &n->deadline) != 0) {
		api_error(out, 400, "deadline",
			  "\"deadline\": expected \"YYYY-MM-DD\" or \"YYYY-MM-DD HH:MM\" (local "
			  "time)");
		return -1;
	}
	return 0;
}

static void
post_task(const struct api_req *r, struct api_resp *out)
{
	static const char *const keys[] = { "title",   "deadline", "lead",       "owners",
					    "members", "team",     "supervisor", "rules",
					    "code",    "detail",   NULL };
	struct task_args a = { 0 };
	struct task t = { 0 };
	struct duban_ctx x;
	const char *field;
	int rc;
	json_t *o = api_body_object(r, keys, out);

	if (o == NULL || task_args(o, &a, out) != 0)
		goto out;
	api_ctx(r, &x);
	if ((rc = task_add(&x, &a.n, &t, &field)) != ACTION_OK)
		action_error(&x, rc, field, out);
	else
		task_reply(&t, 201, false, out);
	task_clear(&t);
out:
	json_decref(o);
}

/*
 * POST /v1/tasks/CODE/done with a body {"on": "YYYY-MM-DD"} (or "YYYY-MM-DD
 * HH:MM", local time): done, recording when the work was really done, as
 * `duban task done CODE --on DATE`.
 */
static void
post_done_on(const struct api_req *r, struct duban_ctx *x, const char *code,
	     struct api_resp *out)
{
	static const char *const keys[] = { "on", NULL };
	struct task t = { 0 };
	enum task_outcome oc;
	const char *on_s = NULL;
	int64_t on;
	int rc;
	json_t *o = api_body_object(r, keys, out);

	if (o == NULL || api_get_str(o, "on", false, 32, &on_s, out) < 0)
		goto out;
	if (on_s == NULL) {
		rc = task_done(x, code, &t, &oc);
	} else if (time_parse_local(on_s, false, &on) != 0) {
		api_error(out, 400, "on",
			  _("\"on\": expected \"YYYY-MM-DD\" or \"YYYY-MM-DD HH:MM\" (local time)"));
		goto out;
	} else {
		rc = task_done_on(x, code, on, &t, &oc);
	}
	if (rc != ACTION_OK)
		action_error(x, rc, on_s && rc == ACTION_INVALID ? "on" : NULL, out);
	else
		task_reply(&t, 200, oc == TASK_ALREADY, out);
out:
	task_clear(&t);
	json_decref(o);
}

/* POST /v1/tasks/CODE/VERB: done, cancel or reopen. */
static void
post_status(const struct api_req *r, const char *code, const char *verb, struct api_resp *out)
{
	static int (*const act[TASK_NVERBS])(struct duban_ctx *, const char *, struct task *,
					     enum task_outcome *) = {
		[TASK_VERB_DONE] = task_done,
		[TASK_VERB_CANCEL] = task_cancel,
		[TASK_VERB_REOPEN] = task_reopen,
	};
	struct task t = { 0 };
	struct duban_ctx x;
	enum task_outcome oc;
	int v, rc;

	for (v = 0; v < TASK_NVERBS; v++)
		if (strcmp(verb, task_verb_name((enum task_verb)v)) == 0)
			break;
	if (v == TASK_NVERBS) {
		api_error(out, 404, NULL, "no such route: %s", r->path);
		return;
	}
	if (!api_method(r, "POST", out))
		return;
	api_ctx(r, &x);
	if (v == TASK_VERB_DONE && r->len > 0) {
		post_done_on(r, &x, code, out);
		return;
	}
	if ((rc = act[v](&x, code, &t, &oc)) != ACTION_OK)
		action_error(&x, rc, NULL, out);
	else
		task_reply(&t, 200, oc == TASK_ALREADY, out);
	task_clear(&t);
}

void
api_route_tasks(const struct api_req *r, char **s, int n, struct api_resp *out)
{
	if (n == 2) {
		if (strcmp(r->method, "GET") == 0)
			list_tasks(r, out);
		else if (api_method(r, "POST", out))
			post_task(r, out);
	} else if (n == 3 && r->role != 0 && strcmp(r->method, "POST") == 0) {
		api_task_edit(r, s[2], out);
	} else if (n == 3 && api_method(r, "GET", out)) {
		show_task(r, s[2], out);
	} else if (n == 4 && strcmp(s[3], "timeline") == 0) {
		if (api_method(r, "GET", out))
			api_task_timeline(r, s[2], out);
	} else if (n == 4) {
		post_status(r, s[2], s[3], out);
	} else if (n >= 3) {
		api_error(out, 404, NULL, "no such route: %s", r->path);
	}
}
