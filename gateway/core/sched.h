/*
 * sched.h - the scheduler: turns (task, rule step, recipient) into outbox
 * rows at the right local time, exactly once.
 *
 * A pass looks only at tasks whose next_fire has come.  For each it plans
 * the rule set's fire times against the deadline, and for each fire that has
 * come and each person it goes to, queues one reminder whose dedupe key
 * ("r:TASK:DEADLINE:STEP:PERSON") makes a second pass, a restart or a racing
 * process harmless.  Of the steps that came due while duban was down only
 * the latest per recipient (and per stream: reminders, escalations) is
 * sent; the older are recorded as skipped, and an expired one too.
 */
#ifndef DUBAN_SCHED_H
#define DUBAN_SCHED_H

#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/rules.h"
#include "store/store.h"
#include "core/tmpl.h"

struct sched {
	struct store *st;                  /* not owned */
	const struct duban_config *cfg;    /* not owned */
	const struct rules *rules;         /* not owned */
	const struct tmpl_set *tmpls;      /* not owned */
};

struct sched_stats {
	size_t tasks;    /* tasks looked at */
	size_t queued;   /* reminders queued */
	size_t skipped;  /* stale steps recorded as skipped */
	size_t failed;   /* could not be rendered or were too long (recorded as failed) */
};

/*
 * Prepare a pass: when the rules or the quiet hours differ from those the
 * database was last planned with, every open task is planned again.
 * Returns 0 or -1 (message in store_errmsg).
 */
int sched_init(struct sched *s);
/*
 * Run one pass at time now (UTC seconds).  Adds to *stats; *next_fire gets
 * the earliest time a later pass has work (0: none).  Returns 0 or -1 with
 * err set; a failure rolls back the batch it was in, never half a task.
 */
int sched_pass(struct sched *s, int64_t now, struct sched_stats *stats, int64_t *next_fire,
	       char *err, size_t errlen);

/*
 * The values a message template can use: a task and a person (each may be
 * NULL), the signature, the time, a notice's title and free variables
 * ("key=value" strings, for {{var.key}}).  Nothing is owned.
 */
struct msg_vars {
	const struct task *task;
	const struct person *person;
	const char *signature;
	int64_t now;
	const char *notice_title;
	char *const *vars;
	size_t nvars;
};
/* A tmpl_lookup_fn over a struct msg_vars. */
int msg_vars_lookup(void *ctx, const char *name, struct tmpl_value *out);

/*
 * Render a reminder template for a task and person at time now into out
 * (bounded; appended).  Returns 0 or -1 with err.
 */
int sched_render(struct sched *s, const struct tmpl *t, const struct task *task,
		 const struct person *p, int64_t now, struct buf *out, char *err, size_t errlen);

#endif
