/*
 * person.h - the actions on the people the town keeps and their groups:
 * add, change and remove a person, opt them out of notices and back in
 * (the command line and the SMS reply "TD" call the same action), add and
 * remove a group and its members; and the one parser of a person's kind.
 * Each action follows core/ctx.h: it checks its rule, writes the change
 * and its audit event in one transaction, and returns ACTION_OK or a
 * negative ACTION_* code with a sentence in x->err, having written
 * nothing.  WHO is a phone number in any form a clerk types, a name only
 * one person has, or "#ID".
 */
#ifndef DUBAN_PERSON_H
#define DUBAN_PERSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/i18n.h"
#include "core/ctx.h"
#include "store/store.h"

/* The kinds of person: what the town sends to whom depends on it. */
#define PERSON_KINDS N_("official, farmer, enterprise or other")

/*
 * The kind a clerk wrote, as stored: "official", "farmer", "enterprise" or
 * "other" in any ASCII case, or in Chinese as a spreadsheet has it
 * (干部, 村干部, 镇干部, 官员 / 农户, 村民, 农民 / 企业, 个体户 / 其他, 其它).
 * Blanks around it are ignored.  NULL when it is none of them.
 */
const char *person_kind_canon(const char *kind);
/* True when person_kind_canon knows kind. */
bool person_kind_valid(const char *kind);

/* A new person; nothing is owned. */
struct person_new {
	const char *name;   /* required, trimmed of blanks at both ends */
	const char *phone;  /* as typed: normalized here (+8613800138000) */
	const char *title, *org; /* NULL: "" */
	const char *kind;   /* NULL: "other" */
	const char *const *groups; /* made when missing */
	size_t ngroups;
	bool force;         /* add even when someone has the name already */
};

/*
 * Add a person and their memberships (audit "person.add", the phone and
 * the name).  A number someone has already is ACTION_EXISTS naming them;
 * so is a name someone has already, unless n->force (two people may share
 * a name; a clerk who typed a known name with a new number most often
 * meant person_update); a bad number or kind is ACTION_INVALID.  *id gets the new person; phone
 * (PHONE_MAX bytes, may be NULL) the number as stored.
 */
int person_add(struct duban_ctx *x, const struct person_new *n, int64_t *id, char *phone);

/* A change to a person: NULL fields stay as they are. */
struct person_edit {
	const char *name, *phone, *title, *org, *kind;
	const char *const *join;  /* groups to join (made when missing) */
	size_t njoin;
	const char *const *leave; /* groups to leave */
	size_t nleave;
};

/*
 * Change the person WHO names, keeping their id and so their tasks,
 * groups and messages (audit "person.update", the phone as it is
 * afterwards, and the name).  A group of e->leave the person is not in is
 * ACTION_INVALID.  A new phone is normalized and must be free
 * (ACTION_EXISTS naming its holder); messages already queued keep the
 * number they were queued for.  out (may be NULL) receives the person as
 * changed (person_clear it).
 */
int person_update(struct duban_ctx *x, const char *who, const struct person_edit *e,
		  struct person *out);

/*
 * Merge the person WHO names (a duplicate) into the person INTO names:
 * their tasks, memberships, messages, replies and an opt-out move to INTO,
 * and WHO is removed (audit "person.merge", INTO's phone, and the one
 * merged).  out_into (may be NULL) receives INTO as it is afterwards,
 * out_from (may be NULL) who was merged.  The same person twice is
 * ACTION_INVALID.
 */
int person_merge(struct duban_ctx *x, const char *who, const char *into, struct person *out_into,
		 struct person *out_from);

/*
 * Remove the person WHO names with their memberships (audit
 * "person.remove").  Refused (ACTION_INVALID, naming the tasks) while
 * they are assigned to a task.  out (may be NULL) receives who it was.
 */
int person_remove(struct duban_ctx *x, const char *who, struct person *out);

/*
 * Opt person p out of notices (out true) or back in, inside a transaction
 * the caller holds (an SMS reply stores itself and acts in one), with the
 * audit event "person.optout" / "person.optin" (the phone, and note or the
 * name when note is NULL).  Someone already opted out (or in) stays as
 * they are: *changed false, nothing written, ACTION_OK.  p->opted_out_at
 * is updated (the time of the opt-out, 0 after opting in).
 */
int person_set_optout(struct duban_ctx *x, struct person *p, bool out, const char *note,
		      bool *changed);
/*
 * The same for the person WHO names, in its own transaction.  out (may be
 * NULL) receives the person as they are afterwards.
 */
int person_optout(struct duban_ctx *x, const char *who, struct person *out, bool *changed);
int person_optin(struct duban_ctx *x, const char *who, struct person *out, bool *changed);

/* ---- groups ---------------------------------------------------------------------- */

/* Add a group (audit "group.add"); a name in use is ACTION_EXISTS.  *id gets it. */
int group_add(struct duban_ctx *x, const char *name, const char *description, int64_t *id);
/*
 * Remove the group named name (audit "group.remove"); its people stay.
 * out (may be NULL) receives the group as it was (group_clear it).
 */
int group_remove(struct duban_ctx *x, const char *name, struct group *out);
/*
 * Add (add true) or remove the n people of who to or from the group named
 * name, all or none (audit "group.add-member" / "group.remove-member").
 * Someone already in (or not in) is no error: fn (may be NULL) is told of
 * each person with whether they changed.  *changed counts those who did.
 */
int group_members(struct duban_ctx *x, const char *name, const char *const *who, size_t n,
		  bool add, void (*fn)(void *arg, const struct person *p, bool changed),
		  void *arg, size_t *changed);

#endif
