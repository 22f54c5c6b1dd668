/*
 * api_task_edit.c - POST /v1/tasks/CODE: change a task from the staff
 * console (title, deadline, detail, rule set, team, and who leads, owns
 * and supervises it), through task_update - the action of `duban task
 * update` - so a new deadline replans its reminders the same way.  Each
 * role named replaces everyone who had it; "team": "" removes the team.
 */
#include "server/api.h"
#include "base/i18n.h"

#include <string.h>

#include "base/zone.h"
#include "core/task.h"

#define ROLES_MAX (2 + 2 * API_LIST_MAX)

/* The roles of body o into e's people (in roles): 0, or -1 with out set. */
static int
edit_roles(json_t *o, struct task_role *roles, struct task_edit *e, struct api_resp *out)
{
	const char *one, *list[API_LIST_MAX];
	size_t n;

	e->people = roles;
	if (api_get_str(o, "lead", false, API_WHO_MAX, &one, out) < 0)
		return -1;
	if (one != NULL)
		roles[e->npeople++] = (struct task_role){ one, "lead" };
	if (api_get_str(o, "supervisor", false, API_WHO_MAX, &one, out) < 0)
		return -1;
	if (one != NULL)
		roles[e->npeople++] = (struct task_role){ one, "supervisor" };
	if (api_get_list(o, "owners", list, &n, out) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		roles[e->npeople++] = (struct task_role){ list[i], "owner" };
	return 0;
}

void
api_task_edit(const struct api_req *r, const char *code, struct api_resp *out)
{
	static const char *const keys[] = { "title", "deadline", "detail", "rules", "team",
					    "lead",  "owners",   "supervisor", NULL };
	struct task_role roles[ROLES_MAX];
	struct task_edit e = { 0 };
	struct task t = { 0 };
	struct duban_ctx x;
	const char *deadline, *field = NULL;
	int rc;
	json_t *o = api_body_object(r, keys, out);

	if (o == NULL || api_get_str(o, "title", false, API_TITLE_MAX, &e.title, out) < 0 ||
	    api_get_str(o, "deadline", false, 32, &deadline, out) < 0 ||
	    api_get_str(o, "detail", false, API_TEXT_MAX, &e.detail, out) < 0 ||
	    api_get_str(o, "rules", false, 64, &e.rule_set, out) < 0 ||
	    api_get_str(o, "team", false, API_WHO_MAX, &e.team, out) < 0 ||
	    edit_roles(o, roles, &e, out) < 0)
		goto out;
	if (deadline && time_parse_local(deadline, true, &e.deadline) != 0) {
		api_error(out, 400, "deadline",
			  _("\"deadline\": expected \"YYYY-MM-DD\" or \"YYYY-MM-DD HH:MM\" (local time)"));
		goto out;
	}
	api_ctx(r, &x);
	if ((rc = task_update(&x, code, &e, &t, &field)) != ACTION_OK) {
		api_error(out, rc == ACTION_NOTFOUND && field == NULL ? 404 : rc == ACTION_ERROR ? 500
			  : rc == ACTION_EXISTS ? 409 : 400,
			  field, "%s%s%s", field ? field : "", field ? ": " : "", x.err);
		goto out;
	}
	api_reply(out, 200,
		  json_pack("{s:s, s:s, s:s, s:o, s:o}", "code", t.code, "title", t.title, "status",
			    t.status, "deadline", api_jtime(t.deadline), "lead",
			    api_jstr(t.lead_name)));
	task_clear(&t);
out:
	json_decref(o);
}
