/*
 * task.h - the actions on supervised tasks (督办事项): add one, change it,
 * and move it between open, done and cancelled by the one transition
 * table of task.c, which the command line, the JSON API and an SMS reply
 * ("完成 T12") all go through; and acknowledging a reminder (the reply
 * "收到").  Each action follows core/ctx.h: it checks its rule, writes the
 * change and its audit event in one transaction, and returns ACTION_OK or
 * a negative ACTION_* code with a sentence in x->err, having written
 * nothing.
 *
 * A person is named by WHO: a phone number, a name only one person has, or
 * "#ID"; a task by its code ("T12", any case) or "#ID".
 */
#ifndef DUBAN_TASK_H
#define DUBAN_TASK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ctx.h"
#include "store/store.h"

/* People on one task at most (every role together). */
#define TASK_PEOPLE_MAX 256

/* ---- the transition table ------------------------------------------------------ */

enum task_state { TASK_OPEN, TASK_DONE, TASK_CANCELLED };
#define TASK_NSTATES 3

/* What a user asks of a task's status; the audit action is "task." + its name. */
enum task_verb { TASK_VERB_DONE, TASK_VERB_CANCEL, TASK_VERB_REOPEN };
#define TASK_NVERBS 3

/* What became of a request to change a task's status. */
enum task_outcome {
	TASK_CHANGED,   /* moved to the new status, with its audit event */
	TASK_ALREADY,   /* it had that status already: nothing written, and no error */
	TASK_REFUSED,   /* the table forbids it from this status (x->err says what to do) */
	TASK_FORBIDDEN, /* asked by a person who is neither its lead nor an owner */
};

/* "open", "done", "cancelled" as stored; 0, or -1 for anything else. */
int task_state_parse(const char *s, enum task_state *out);
/* The stored name of a state ("open", "done", "cancelled"). */
const char *task_state_name(enum task_state s);
/* "done", "cancel", "reopen". */
const char *task_verb_name(enum task_verb v);
/*
 * What the table says of verb on a task in state from: TASK_CHANGED with
 * the new state in *to, TASK_ALREADY (*to = from) or TASK_REFUSED.  Who
 * asks is not its business (see task_transition).
 */
enum task_outcome task_rule(enum task_state from, enum task_verb verb, enum task_state *to);

/*
 * Apply verb to the task named code, inside a transaction the caller
 * holds (the SMS reply path stores the reply, closes the task and queues
 * the confirmation in one).  by is the person asking - an SMS reply's
 * sender, who must be the task's lead or an owner (TASK_FORBIDDEN
 * otherwise) and is recorded as who closed it - or 0 for staff (the
 * command line, the API), who may do what the table allows.  note is the
 * audit event's detail (NULL: none).  *oc tells what happened:
 * ACTION_INVALID goes with TASK_REFUSED and TASK_FORBIDDEN; after
 * ACTION_NOTFOUND (no such task) or ACTION_ERROR it is TASK_REFUSED, as
 * nothing happened.  out (may be NULL) receives the task as it is
 * afterwards whenever it was found, refused or not (task_clear it).
 * Nothing is written unless *oc is TASK_CHANGED.
 */
int task_transition(struct duban_ctx *x, const char *code, enum task_verb verb, int64_t by,
		    const char *note, struct task *out, enum task_outcome *oc);
/*
 * The staff actions, each in its own transaction: mark a task done,
 * cancel it (its unsent reminders are cancelled with it), reopen it
 * (reminders are planned again from now).  As task_transition with by 0.
 */
int task_done(struct duban_ctx *x, const char *code, struct task *out, enum task_outcome *oc);
/*
 * task_done, recording that the work was really done at on (UTC seconds;
 * the clerk often enters it later): on may not be in the future.  The
 * audit event says when.  As task_done otherwise; ACTION_INVALID for a
 * future on.
 */
int task_done_on(struct duban_ctx *x, const char *code, int64_t on, struct task *out,
		 enum task_outcome *oc);
int task_cancel(struct duban_ctx *x, const char *code, struct task *out, enum task_outcome *oc);
int task_reopen(struct duban_ctx *x, const char *code, struct task *out, enum task_outcome *oc);

/* ---- adding and changing a task ------------------------------------------------- */

/* A new task; nothing is owned. */
struct task_new {
	const char *code;      /* NULL or "": the next free "T<n>" */
	const char *title;     /* required */
	const char *detail;    /* NULL: none */
	const char *rule_set;  /* NULL or "": "default"; else a set of x->rules */
	int64_t deadline;      /* UTC seconds, required */
	const char *lead;      /* WHO, required */
	const char *const *owners;
	size_t nowners;
	const char *const *members;
	size_t nmembers;
	const char *supervisor; /* WHO; NULL or "": none */
	const char *team;       /* a group's name, whose members count as members; NULL or "": none */
};

/*
 * Add a task with its people (audit "task.add").  Every WHO must name
 * exactly one person, the team an existing group, the rule set one of
 * x->rules (when loaded); a code in use is ACTION_EXISTS.  *field (may be
 * NULL) names what was refused: "title", "deadline", "lead", "owners",
 * "members", "supervisor", "team", "rules" or "code" (NULL when it was the
 * database).  out (may be NULL) receives the new task (task_clear it).
 */
int task_add(struct duban_ctx *x, const struct task_new *n, struct task *out, const char **field);

/* One person in a role ("lead", "owner", "member", "supervisor"). */
struct task_role {
	const char *who;
	const char *role;
};

/* A change to a task: what is NULL or 0 stays as it is; nothing is owned. */
struct task_edit {
	int64_t deadline;                 /* UTC seconds; 0: unchanged */
	const char *title, *detail;
	const char *rule_set;
	const char *team;                 /* "": no team any more */
	const struct task_role *people;   /* each role named replaces everyone who had it */
	size_t npeople;
	const char *const *remove;        /* WHO taken off every role (before people is applied) */
	size_t nremove;
};

/*
 * Change the task named code (audit "task.update").  A new deadline or
 * rule set replans its reminders: those sent stay sent, those queued but
 * unsent are cancelled.  Checks as task_add; *field is also "remove".  out
 * (may be NULL) receives the task as changed.
 */
int task_update(struct duban_ctx *x, const char *code, const struct task_edit *e,
		struct task *out, const char **field);

/* ---- the pieces the actions share with the CSV import (import.c) ----------------- */

/* The people of one task, resolved. */
struct task_people {
	struct assignee a[TASK_PEOPLE_MAX];
	size_t n;
};

/*
 * Resolve who and add them to tp with role (a static string).  Returns
 * ACTION_OK, or ACTION_NOTFOUND / ACTION_AMBIGUOUS / ACTION_INVALID (more
 * than TASK_PEOPLE_MAX) / ACTION_ERROR with x->err saying why.
 */
int task_people_add(struct duban_ctx *x, struct task_people *tp, const char *who,
		    const char *role);
/* The same for each item of a list "a;b;c" (or the full-width '；'). */
int task_people_add_list(struct duban_ctx *x, struct task_people *tp, const char *list,
			 const char *role);
/* The group named team as a task's team: *id (0 for NULL or ""), or a code with x->err "team: ...". */
int task_team_find(struct duban_ctx *x, const char *team, int64_t *id);
/* ACTION_OK when set is NULL, "", a set of x->rules, or x->rules is not loaded; else ACTION_INVALID. */
int task_rules_check(struct duban_ctx *x, const char *set);

/* ---- acknowledging a reminder ----------------------------------------------------- */

/*
 * Mark the latest reminder or escalation a provider accepted for person
 * as acknowledged (an SMS reply "收到"), keeping an earlier
 * acknowledgement's time, with the audit event "message.ack" (detail
 * note, may be NULL).  Call inside a transaction: the reply path stores
 * the reply and acts on it in one.  *msg and *task (0: none) tell which;
 * ACTION_NOTFOUND when there is nothing to acknowledge (nothing written).
 */
int task_ack_reminder(struct duban_ctx *x, int64_t person, const char *note, int64_t *msg,
		      int64_t *task);

#endif
