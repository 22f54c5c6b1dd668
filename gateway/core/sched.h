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
 * sent; the older are recorded as skipped, and an expired reminder before
 * the deadline too.  An expired overdue repeat or escalation is still sent
 * (the task's current state must reach its people) unless the task was
 * closed or changed since its moment.  Steps of rule sets with digest go
 * through flush_pending: several tasks of one person in one digest, at
 * most reminders.per_person_day a day.
 */
#ifndef DUBAN_SCHED_H
#define DUBAN_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/rules.h"
#include "store/store.h"
#include "core/tmpl.h"

struct calendar;

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
	size_t digested; /* steps sent as part of a digest (counted in queued once per digest) */
	size_t held;     /* steps held for the daily cap (reminders.per_person_day) */
};

/*
 * Prepare passes over s's rules.  When the rules or the quiet hours differ
 * from those the database was last planned with, every open task must be
 * planned again: the next pass does that, in its first transaction, so
 * this touches no database and never waits for a lock.  Returns 0.
 */
int sched_init(struct sched *s);
/*
 * Run one pass at time now (UTC seconds): plan again when the rules changed
 * (see sched_init), then queue what is due.  Adds to *stats; *next_fire
 * gets the earliest time a later pass has work (0: none).  A pass that
 * finds nothing to do takes no write lock.  Returns 0 or -1 with err set; a
 * failure rolls back the batch it was in, never half a task.
 */
int sched_pass(struct sched *s, int64_t now, struct sched_stats *stats, int64_t *next_fire,
	       char *err, size_t errlen);

/*
 * The steps of task t's rule set still to come at now, in time order, as
 * a pass plans them (the rule set, "default" when t's is unknown; the
 * quiet hours; the calendar with the town's days): fn(arg, f) for each step
 * whose moment is after now or not yet reached by the scheduler (at or
 * after t->next_fire).  None for a closed task.  Reads only.  STORE_OK, or
 * STORE_ERROR when the calendar cannot be read or fn returned non-zero.
 */
int sched_task_upcoming(struct sched *s, const struct task *t, int64_t now,
			int (*fn)(void *arg, const struct fire *f), void *arg);

/*
 * Passes on a thread of their own, with a database connection of their
 * own, for an event loop that must never wait for the write lock another
 * process holds: the loop starts a pass and goes on; the thread calls
 * done(arg) when it ends (from its own thread: it must only wake the
 * loop), and the loop collects the outcome.  One pass at a time.
 */
struct sched_thread;

/*
 * Open the database at path for the thread and start it; done(arg) is
 * called after every pass.  Returns 0 with *out the caller's to free, or
 * -1 with err (the database cannot be opened, the thread cannot start).
 */
int sched_thread_new(const char *path, void (*done)(void *arg), void *arg,
		     struct sched_thread **out, char *err, size_t errlen);
/*
 * Start a pass over s's configuration, rules and templates (its st is not
 * used: the thread has its own) at time now.  They must stay valid until
 * the pass is collected.  Returns 0, or -1 when a pass is running or not
 * yet collected.
 */
int sched_thread_start(struct sched_thread *t, const struct sched *s, int64_t now);
/* A pass is started and not yet collected. */
bool sched_thread_busy(const struct sched_thread *t);
/*
 * The outcome of a pass that has ended: returns true and fills *rc
 * (sched_pass's), *stats, *next_fire and err; false when no pass has ended
 * since the last collect.
 */
bool sched_thread_collect(struct sched_thread *t, int *rc, struct sched_stats *stats,
			  int64_t *next_fire, char *err, size_t errlen);
/*
 * Stop the thread, waiting for a pass in progress (which may wait out the
 * busy timeout), and close its database.  NULL is fine.
 */
void sched_thread_free(struct sched_thread *t);

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
	const struct calendar *calendar; /* working days for workdays_*; NULL: Monday to Friday */
};
/* A tmpl_lookup_fn over a struct msg_vars. */
int msg_vars_lookup(void *ctx, const char *name, struct tmpl_value *out);

/*
 * Render a reminder template for a task and person at time now into out
 * (bounded; appended).  Returns 0 or -1 with err.
 */
int sched_render(struct sched *s, const struct tmpl *t, const struct task *task,
		 const struct person *p, int64_t now, struct buf *out, char *err, size_t errlen);

/*
 * How many SMS parts each template task t's rule set sends needs (and
 * escalation_lead when loaded), rendered for the person called name a
 * week before the deadline with the signature: fn(arg, template, parts)
 * for each that needs more than one part.  Returns 0, or -1 with err when
 * one cannot be rendered.
 */
int sched_length_check(struct sched *s, const struct task *t, const char *name,
		       void (*fn)(void *arg, const char *tmpl, unsigned parts), void *arg, char *err,
		       size_t errlen);

#endif
