/*
 * task.c - the actions on supervised tasks.  Whether a task may go from
 * one status to another is answered here once, by the table below, for
 * the command line, the JSON API and SMS replies alike; the store keeps
 * the scheduler's side of a change (unsent reminders cancelled, planning
 * reset) in the same statement, so no caller can forget it.
 */
#include "core/task.h"
#include "base/i18n.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/rules.h"
#include "base/str.h"
#include "base/clock.h"
#include "base/zone.h"

/*
 * The transition table: what each verb does to a task in each status.
 *
 *               done                   cancel                 reopen
 *   open        -> done                -> cancelled           already open
 *   done        already done           refused: reopen first  -> open
 *   cancelled   refused: reopen first  already cancelled      -> open
 *
 * "Already" writes nothing and is no error: an official who replies 完成
 * twice, or a client that retries its request, gets the same answer.  A
 * closed task never jumps to the other closed status: done and cancelled
 * mean different things in the year's responsibility review (a done task
 * counts as on time or late for its lead, a cancelled one not at all), so
 * turning one into the other is a reopen and a second step, each with its
 * audit event, never a slip of the wrong command.
 *
 * Who may ask is the caller's part of the rule (task_transition): staff
 * through the command line or the API may do anything the table allows;
 * a person replying by SMS may do it only to a task they lead or own.
 */
static const struct {
	enum task_outcome oc;
	enum task_state to;
	const char *why; /* TASK_REFUSED: what to do instead */
} table[TASK_NSTATES][TASK_NVERBS] = {
	[TASK_OPEN] = {
		[TASK_VERB_DONE] = { TASK_CHANGED, TASK_DONE, NULL },
		[TASK_VERB_CANCEL] = { TASK_CHANGED, TASK_CANCELLED, NULL },
		[TASK_VERB_REOPEN] = { TASK_ALREADY, TASK_OPEN, NULL },
	},
	[TASK_DONE] = {
		[TASK_VERB_DONE] = { TASK_ALREADY, TASK_DONE, NULL },
		[TASK_VERB_CANCEL] = { TASK_REFUSED, TASK_DONE, "reopen it first to cancel it" },
		[TASK_VERB_REOPEN] = { TASK_CHANGED, TASK_OPEN, NULL },
	},
	[TASK_CANCELLED] = {
		[TASK_VERB_DONE] = { TASK_REFUSED, TASK_CANCELLED,
				     "reopen it first to mark it done" },
		[TASK_VERB_CANCEL] = { TASK_ALREADY, TASK_CANCELLED, NULL },
		[TASK_VERB_REOPEN] = { TASK_CHANGED, TASK_OPEN, NULL },
	},
};

static const char *const state_names[TASK_NSTATES] = { "open", "done", "cancelled" };
static const char *const verb_names[TASK_NVERBS] = { "done", "cancel", "reopen" };
static const char *const verb_phrases[TASK_NVERBS] = { "mark it done", "cancel it", "reopen it" };

int
task_state_parse(const char *s, enum task_state *out)
{
	for (int i = 0; i < TASK_NSTATES; i++)
		if (strcmp(s, state_names[i]) == 0) {
			*out = (enum task_state)i;
			return 0;
		}
	return -1;
}

const char *
task_state_name(enum task_state s)
{
	return (unsigned)s < TASK_NSTATES ? state_names[s] : "?";
}

const char *
task_verb_name(enum task_verb v)
{
	return (unsigned)v < TASK_NVERBS ? verb_names[v] : "?";
}

enum task_outcome
task_rule(enum task_state from, enum task_verb verb, enum task_state *to)
{
	assert((unsigned)from < TASK_NSTATES && (unsigned)verb < TASK_NVERBS);
	*to = table[from][verb].to;
	return table[from][verb].oc;
}

/* Read task id into out (when not NULL) after a change. */
static int
reread(struct duban_ctx *x, int64_t id, struct task *out)
{
	int rc;

	if (out == NULL)
		return ACTION_OK;
	task_clear(out);
	if ((rc = store_task_get(x->st, id, out)) != STORE_OK)
		return action_fail(x, rc);
	return ACTION_OK;
}

int
task_transition(struct duban_ctx *x, const char *code, enum task_verb verb, int64_t by,
		const char *note, struct task *out, enum task_outcome *oc)
{
	struct task t = { 0 };
	enum task_state from, to;
	char action[32];
	bool yes = false;
	int rc;

	*oc = TASK_REFUSED;
	if (out)
		memset(out, 0, sizeof(*out));
	if ((rc = store_task_find(x->st, code, &t)) != STORE_OK)
		return action_fail(x, rc);
	if (task_state_parse(t.status, &from) != 0) {
		rc = action_refuse(x, ACTION_ERROR, _("task %s has an unknown status \"%s\""), t.code,
				   t.status);
		goto out;
	}
	if (by != 0) {
		if ((rc = store_task_responsible(x->st, t.id, by, &yes)) != STORE_OK) {
			rc = action_fail(x, rc);
			goto out;
		}
		if (!yes) {
			*oc = TASK_FORBIDDEN;
			rc = action_refuse(x, ACTION_INVALID,
					   _("only the lead or an owner of %s may %s"), t.code,
					   verb_phrases[verb]);
			goto out;
		}
	}
	*oc = task_rule(from, verb, &to);
	if (*oc == TASK_ALREADY) {
		rc = ACTION_OK;
		goto out;
	}
	if (*oc == TASK_REFUSED) {
		rc = action_refuse(x, ACTION_INVALID, _("%s is %s: %s"), t.code, t.status,
				   table[from][verb].why);
		goto out;
	}
	snprintf(action, sizeof(action), "task.%s", verb_names[verb]);
	if ((rc = store_task_set_status(x->st, t.id, state_names[to], time_now(),
					to == TASK_DONE ? by : 0)) != STORE_OK ||
	    (rc = store_event(x->st, x->actor, action, t.code, note)) != STORE_OK) {
		*oc = TASK_REFUSED;
		rc = action_fail(x, rc);
		goto out;
	}
	rc = reread(x, t.id, out);
	task_clear(&t);
	return rc;
out:
	if (out) {
		*out = t;
		return rc;
	}
	task_clear(&t);
	return rc;
}

/* One staff transition in its own transaction. */
static int
staff_transition(struct duban_ctx *x, const char *code, enum task_verb verb, struct task *out,
		 enum task_outcome *oc)
{
	int rc;

	*oc = TASK_REFUSED;
	if (out)
		memset(out, 0, sizeof(*out));
	if ((rc = store_begin(x->st)) != STORE_OK)
		return action_fail(x, rc);
	rc = task_transition(x, code, verb, 0, NULL, out, oc);
	if (rc == ACTION_OK && *oc == TASK_ALREADY) {
		store_rollback(x->st);
		return ACTION_OK;
	}
	if ((rc = action_finish(x, rc)) != ACTION_OK && *oc == TASK_CHANGED) {
		/* written but not committed: nothing happened after all */
		*oc = TASK_REFUSED;
		task_clear(out);
	}
	return rc;
}

int
task_done(struct duban_ctx *x, const char *code, struct task *out, enum task_outcome *oc)
{
	return staff_transition(x, code, TASK_VERB_DONE, out, oc);
}

int
task_done_on(struct duban_ctx *x, const char *code, int64_t on, struct task *out,
	     enum task_outcome *oc)
{
	char note[64], when[24];
	int rc;

	*oc = TASK_REFUSED;
	if (out)
		memset(out, 0, sizeof(*out));
	if (on > time_now())
		return action_refuse(x, ACTION_INVALID, "--on %s is in the future",
				     time_fmt_local(on, when, sizeof(when)));
	if ((rc = store_begin(x->st)) != STORE_OK)
		return action_fail(x, rc);
	snprintf(note, sizeof(note), "done on %s", time_fmt_local(on, when, sizeof(when)));
	rc = task_transition(x, code, TASK_VERB_DONE, 0, note, out, oc);
	if (rc == ACTION_OK && *oc == TASK_ALREADY) {
		store_rollback(x->st);
		return ACTION_OK;
	}
	if (rc == ACTION_OK && (rc = store_task_set_done_at(x->st, out->id, on)) != STORE_OK)
		rc = action_fail(x, rc);
	if (rc == ACTION_OK)
		out->done_at = on;
	if ((rc = action_finish(x, rc)) != ACTION_OK && *oc == TASK_CHANGED) {
		*oc = TASK_REFUSED;
		task_clear(out);
	}
	return rc;
}

int
task_cancel(struct duban_ctx *x, const char *code, struct task *out, enum task_outcome *oc)
{
	return staff_transition(x, code, TASK_VERB_CANCEL, out, oc);
}

int
task_reopen(struct duban_ctx *x, const char *code, struct task *out, enum task_outcome *oc)
{
	return staff_transition(x, code, TASK_VERB_REOPEN, out, oc);
}

/* ---- the pieces ------------------------------------------------------------------ */

int
task_people_add(struct duban_ctx *x, struct task_people *tp, const char *who, const char *role)
{
	struct person p = { 0 };
	int rc;

	if (tp->n == TASK_PEOPLE_MAX)
		return action_refuse(x, ACTION_INVALID, _("more than %d people on one task"),
				     TASK_PEOPLE_MAX);
	if ((rc = store_person_find(x->st, who, &p)) != STORE_OK)
		return action_fail(x, rc);
	tp->a[tp->n].person = p.id;
	tp->a[tp->n].role = role;
	tp->n++;
	person_clear(&p);
	return ACTION_OK;
}

int
task_people_add_list(struct duban_ctx *x, struct task_people *tp, const char *list,
		     const char *role)
{
	char *copy = strdup(list), *cur = copy, *item;
	int rc = ACTION_OK;

	if (copy == NULL)
		return action_refuse(x, ACTION_ERROR, _("out of memory"));
	while ((item = str_next_item(&cur)) != NULL)
		if ((rc = task_people_add(x, tp, item, role)) != ACTION_OK)
			break;
	free(copy);
	return rc;
}

int
task_team_find(struct duban_ctx *x, const char *team, int64_t *id)
{
	struct group g = { 0 };
	int rc;

	*id = 0;
	if (team == NULL || *team == '\0')
		return ACTION_OK;
	rc = store_group_find(x->st, team, false, &g);
	if (rc == STORE_OK)
		*id = g.id;
	else
		action_refuse(x, rc, "team: %s", store_errmsg(x->st));
	group_clear(&g);
	return rc;
}

int
task_rules_check(struct duban_ctx *x, const char *set)
{
	if (set == NULL || *set == '\0' || x->rules == NULL || rules_find(x->rules, set))
		return ACTION_OK;
	return action_refuse(x, ACTION_INVALID,
			     _("unknown rule set \"%s\" (sets are defined in %s/*.cfg)"), set,
			     x->cfg ? x->cfg->rules_dir : "rules_dir");
}

/* ---- add and update --------------------------------------------------------------- */

/* The result of an edit: rc, with the input at fault f (NULL: the database) into *field
 * when field is not NULL. */
static int
edit_result(int rc, const char *f, const char **field)
{
	if (field)
		*field = f;
	return rc;
}

/* Check the rule set an edit names (*f "rules" when unknown), then open its transaction. */
static int
edit_begin(struct duban_ctx *x, const char *rule_set, const char **f)
{
	int rc;

	if ((rc = task_rules_check(x, rule_set)) != ACTION_OK) {
		*f = "rules";
		return rc;
	}
	if ((rc = store_begin(x->st)) != STORE_OK)
		return action_fail(x, rc);
	return ACTION_OK;
}

/*
 * End an edit's transaction, whose change is written when rc is ACTION_OK:
 * task id read back into out (may be NULL), then commit; or roll back and
 * empty out, f naming the input at fault.
 */
static int
edit_finish(struct duban_ctx *x, int rc, int64_t id, struct task *out, const char *f,
	    const char **field)
{
	if (rc == ACTION_OK)
		rc = reread(x, id, out);
	if ((rc = action_finish(x, rc)) != ACTION_OK) {
		task_clear(out);
		return edit_result(rc, f, field);
	}
	return edit_result(rc, NULL, field);
}

/* What a new task cannot go without; *f names what is missing. */
static int
check_new(struct duban_ctx *x, const struct task_new *n, const char **f)
{
	if (n->title == NULL || *n->title == '\0') {
		*f = "title";
		return action_refuse(x, ACTION_INVALID, _("a task needs a title"));
	}
	if (n->deadline <= 0) {
		*f = "deadline";
		return action_refuse(x, ACTION_INVALID, _("a task needs a deadline"));
	}
	if (n->lead == NULL || *n->lead == '\0') {
		*f = "lead";
		return action_refuse(x, ACTION_INVALID, _("a task needs a lead (牵头领导)"));
	}
	return ACTION_OK;
}

/* Resolve a new task's people and team, inside the transaction; *field names a failure. */
static int
new_people(struct duban_ctx *x, const struct task_new *n, struct task_people *tp, int64_t *team,
	   const char **field)
{
	int rc;

	*field = "lead";
	if ((rc = task_people_add(x, tp, n->lead, "lead")) != ACTION_OK)
		return rc;
	*field = "owners";
	for (size_t i = 0; i < n->nowners; i++)
		if ((rc = task_people_add(x, tp, n->owners[i], "owner")) != ACTION_OK)
			return rc;
	*field = "members";
	for (size_t i = 0; i < n->nmembers; i++)
		if ((rc = task_people_add(x, tp, n->members[i], "member")) != ACTION_OK)
			return rc;
	*field = "supervisor";
	if (n->supervisor && *n->supervisor &&
	    (rc = task_people_add(x, tp, n->supervisor, "supervisor")) != ACTION_OK)
		return rc;
	*field = "team";
	if ((rc = task_team_find(x, n->team, team)) != ACTION_OK)
		return rc;
	*field = NULL;
	return ACTION_OK;
}

int
task_add(struct duban_ctx *x, const struct task_new *n, struct task *out, const char **field)
{
	struct task_people tp;
	struct task t = { 0 };
	const char *f = NULL;
	char *code = NULL;
	int64_t id = 0;
	int rc;

	tp.n = 0;
	if (out)
		memset(out, 0, sizeof(*out));
	if ((rc = check_new(x, n, &f)) != ACTION_OK ||
	    (rc = edit_begin(x, n->rule_set, &f)) != ACTION_OK)
		return edit_result(rc, f, field);
	if ((rc = new_people(x, n, &tp, &t.team, &f)) != ACTION_OK)
		goto out;
	t.code = (char *)n->code;
	t.title = (char *)n->title;
	t.detail = (char *)n->detail;
	t.rule_set = (char *)n->rule_set;
	t.deadline = n->deadline;
	if ((rc = store_task_add(x->st, &t, tp.a, tp.n, &id, &code)) != STORE_OK) {
		if (rc == STORE_EXISTS || rc == STORE_INVALID)
			f = "code";
		rc = action_fail(x, rc);
	} else if ((rc = store_event(x->st, x->actor, "task.add", code, n->title)) != STORE_OK) {
		rc = action_fail(x, rc);
	}
out:
	free(code);
	return edit_finish(x, rc, id, out, f, field);
}

/* The field of the API and the import that names people of a role. */
static const char *
role_field(const char *role)
{
	if (strcmp(role, "lead") == 0)
		return "lead";
	if (strcmp(role, "owner") == 0)
		return "owners";
	if (strcmp(role, "member") == 0)
		return "members";
	return "supervisor";
}

/* Take each WHO of e->remove off every role of task. */
static int
edit_remove(struct duban_ctx *x, int64_t task, const struct task_edit *e)
{
	struct person p = { 0 };
	int rc;

	for (size_t i = 0; i < e->nremove; i++) {
		if ((rc = store_person_find(x->st, e->remove[i], &p)) == STORE_OK)
			rc = store_task_unassign(x->st, task, p.id, NULL);
		person_clear(&p);
		if (rc != STORE_OK)
			return action_fail(x, rc);
	}
	return ACTION_OK;
}

int
task_update(struct duban_ctx *x, const char *code, const struct task_edit *e, struct task *out,
	    const char **field)
{
	struct task_people tp;
	struct task t = { 0 };
	const char *f = NULL;
	char dl[24];
	int64_t team = -1, id;
	int rc;

	tp.n = 0;
	if (out)
		memset(out, 0, sizeof(*out));
	if (e->title && *e->title == '\0')
		return edit_result(action_refuse(x, ACTION_INVALID, _("a task needs a title")), "title",
				   field);
	if ((rc = edit_begin(x, e->rule_set, &f)) != ACTION_OK)
		return edit_result(rc, f, field);
	if ((rc = store_task_find(x->st, code, &t)) != STORE_OK) {
		rc = action_fail(x, rc);
		goto out;
	}
	for (size_t i = 0; i < e->npeople; i++) {
		f = role_field(e->people[i].role);
		if ((rc = task_people_add(x, &tp, e->people[i].who, e->people[i].role)) != ACTION_OK)
			goto out;
	}
	f = "team";
	if (e->team && (rc = task_team_find(x, e->team, &team)) != ACTION_OK)
		goto out;
	f = "remove";
	if ((rc = edit_remove(x, t.id, e)) != ACTION_OK)
		goto out;
	f = NULL;
	if ((rc = store_task_update(x->st, t.id, e->deadline, e->title, e->detail, e->rule_set,
				    team)) != STORE_OK ||
	    (rc = store_task_assign(x->st, t.id, tp.a, tp.n, true)) != STORE_OK ||
	    (rc = store_event(x->st, x->actor, "task.update", t.code,
			      e->deadline ? time_fmt_local(e->deadline, dl, sizeof(dl)) : NULL)) !=
		    STORE_OK)
		rc = action_fail(x, rc);
out:
	id = t.id;
	task_clear(&t);
	return edit_finish(x, rc, id, out, f, field);
}

/* ---- acknowledging ---------------------------------------------------------------- */

int
task_ack_reminder(struct duban_ctx *x, int64_t person, const char *note, int64_t *msg,
		  int64_t *task)
{
	char obj[32];
	int rc;

	if ((rc = store_ack_latest(x->st, person, time_now(), msg, task)) != STORE_OK)
		return action_fail(x, rc);
	snprintf(obj, sizeof(obj), "#%" PRId64, *msg);
	if ((rc = store_event(x->st, x->actor, "message.ack", obj, note)) != STORE_OK)
		return action_fail(x, rc);
	return ACTION_OK;
}
