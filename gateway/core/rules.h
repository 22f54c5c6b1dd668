/*
 * rules.h - reminder rule sets (rules/NAME.cfg, libconfig): when to
 * remind whom about a task's deadline.  A set has steps before the deadline,
 * repeats after it and an escalation to the supervisor, optional quiet
 * hours of its own and an optional "workdays only".  Sets are validated
 * whole at load (every problem as FILE:LINE); rules_plan() then turns a
 * set and a deadline into the exact list of fire times, each with a stable
 * key the scheduler builds its dedupe keys from.
 */
#ifndef DUBAN_RULES_H
#define DUBAN_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/tmpl.h"
#include "base/diag.h"
#include "base/duration.h"

/*
 * The most fire times one task's plan may have.  The scheduler plans
 * into a buffer of this size, so loading refuses a set that could need
 * more: such a set could never be planned.
 */
#define RULES_MAX_FIRES 256

/* Who a step goes to; steps hold a bitmask of these. */
enum role { ROLE_LEAD = 1, ROLE_OWNER = 2, ROLE_MEMBER = 4, ROLE_SUPERVISOR = 8 };

/* Parse "lead" | "owner" | "member" | "supervisor"; 0, or -1. */
int role_parse(const char *s, enum role *out);
/* The name of a single role ("lead"), or NULL for anything else. Static. */
const char *role_name(enum role r);

enum step_kind { STEP_BEFORE, STEP_OVERDUE, STEP_ESCALATE };

struct rule_step {
	enum step_kind kind;
	struct duration offset; /* before: offset; overdue: every; escalate: after */
	int at;                 /* minutes after local midnight, -1 none */
	unsigned roles;         /* bitmask of enum role */
	char *template;
	char *by_role[4];       /* per-role templates (lead, owner, member, supervisor); NULL: template */
	bool has_expires;
	struct duration expires;
	long line;              /* of the step in its file */
	char key[16];           /* before: "b7d", "b36h", "b1d12h", "b0d"; escalate: "e";
				 * overdue: "o" (the plan adds the repeat number) */
};

struct rule_set {
	char *name;
	char *file;
	long line;
	struct rule_step *before; /* furthest from the deadline first */
	size_t nbefore;
	bool has_overdue;
	struct rule_step overdue;
	int overdue_max;          /* 1..100 repeats */
	bool has_escalate;
	struct rule_step escalate;
	bool has_quiet;           /* quiet overrides the configuration's */
	struct quiet_hours quiet;
	bool workdays_only;
	bool digest;           /* (default true) reminders may share one SMS with other tasks' and wait for the daily cap */
	bool repeat_after_ack; /* (default false) overdue repeats go on after the person replied 收到 */
};

struct rules;

/*
 * Load every DIR/NAME.cfg (in name order); each top-level group is a rule set
 * named by its key, and a name may be defined only once across all files.
 * tmpls (may be NULL to skip the check) must hold every template the steps
 * name, and those templates may not use notice.* or var.* variables.  A
 * set may plan at most RULES_MAX_FIRES fire times (rules_plan_size).
 * Returns 0 and a new set of rules in *out (free with rules_free), or -1
 * with every problem in diag as "FILE:LINE: message" and *out untouched.
 */
int rules_load_dir(const char *dir, const struct tmpl_set *tmpls, struct rules **out,
		   struct diag *diag);
/* The set called name, or NULL.  Owned by r. */
const struct rule_set *rules_find(const struct rules *r, const char *name);
size_t rules_count(const struct rules *r);
/* The i-th set in name order (i < rules_count), owned by r. */
const struct rule_set *rules_at(const struct rules *r, size_t i);
/* Free everything; NULL is fine. */
void rules_free(struct rules *r);

/* One planned reminder of a task. */
struct fire {
	int64_t at;            /* UTC seconds: when it should be sent */
	int64_t expires;       /* UTC seconds: after this it is stale and must not be sent */
	char key[16];          /* stable step key: "b7d", "b36h", "b0d", "o1".."oN", "e";
				* derived from the offset so that it survives edits of
				* other steps */
	enum step_kind kind;
	unsigned roles;        /* bitmask of enum role */
	const char *template;  /* points into the rule set */
	char *const *by_role;  /* the step's per-role templates (4, NULL each: template) */
};

/*
 * The whole plan of a task with this deadline (UTC seconds) under set rs,
 * sorted by `at` (stable), computed in the process's local time zone.
 * quiet (may be NULL: none) is used unless the set has its own quiet hours.
 * Each fire expires at its step's `expires` after its send time; without
 * one, a before-step at the next before-step's send time (the last at the
 * deadline), an overdue repeat at the next repeat's (the last at + every),
 * the escalation a day later; a default expiry is never less than an hour
 * after the send time.
 * Returns 0 with *n fires in out[0..*n), or -1 when max is too small (then
 * *n is the number needed and out is unspecified).
 */
int rules_plan(const struct rule_set *rs, int64_t deadline, const struct quiet_hours *quiet,
	       struct fire *out, size_t max, size_t *n);
/*
 * rules_plan with a holiday calendar (core/calendar.h; NULL: Monday to
 * Friday are the working days) for a set with workdays_only.
 */
struct calendar;
int rules_plan_cal(const struct rule_set *rs, int64_t deadline, const struct quiet_hours *quiet,
		   const struct calendar *cal, struct fire *out, size_t max, size_t *n);
/* The number of fires rules_plan produces for rs (the max it needs). */
size_t rules_plan_size(const struct rule_set *rs);

#endif
