/*
 * store.h - duban's database: the only persistent state, and the only code
 * that speaks SQL.  One SQLite file in WAL mode shared by the daemon and
 * the short-lived CLI commands; writes take BEGIN IMMEDIATE so a writer
 * waits (busy timeout) instead of failing half-way.
 *
 * Functions return 0 on success and a negative STORE_* code on failure,
 * with a message in store_errmsg().  Strings handed back in structs are
 * owned by the struct: free them with the matching *_clear().
 */
#ifndef DUBAN_STORE_H
#define DUBAN_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum store_rc {
	STORE_OK = 0,
	STORE_ERROR = -1,     /* SQLite or I/O failure */
	STORE_NOTFOUND = -2,
	STORE_EXISTS = -3,    /* a unique key is taken */
	STORE_AMBIGUOUS = -4, /* a name matches more than one row */
	STORE_INVALID = -5,   /* refused by a rule of the data */
};

struct store;

/* ---- opening, migrating, transactions (store.c) -------------------------- */

/*
 * The mode duban gives a file it creates beside the database at path (the
 * database, its lock): 0660 when the folder is setgid - a folder shared
 * by a group, as /var/lib/duban is with group duban, so that staff in
 * the group can use the command line - else 0600.
 */
mode_t store_file_mode(const char *path);
/*
 * Open the database at path.  With create, a missing file is created (mode
 * store_file_mode: 0600, or 0660 in a setgid folder) and migrated to the current schema; without, a missing file or an
 * out-of-date schema is an error telling the user to run "duban init".  A
 * database written by a newer duban is always refused.
 */
int store_open(const char *path, bool create, struct store **out, char *err, size_t errlen);
/* Bring the schema up to date; *from and *to tell what was done. */
int store_migrate(struct store *st, int *from, int *to);
void store_close(struct store *st); /* accepts NULL */
const char *store_errmsg(const struct store *st);
int store_schema(void);   /* the schema version this duban writes */
int store_begin(struct store *st);    /* BEGIN IMMEDIATE */
int store_commit(struct store *st);
void store_rollback(struct store *st); /* safe to call when no transaction is open */
/* SQLite's PRAGMA data_version: changes when another connection commits. */
int store_data_version(struct store *st, int64_t *out);
/* Record an audit event (who did what to which object). */
int store_event(struct store *st, const char *actor, const char *action, const char *object,
		const char *detail);
/* A small fact about the database (meta table); *out malloc'd or NULL. */
int store_meta_get(struct store *st, const char *key, char **out);
int store_meta_set(struct store *st, const char *key, const char *value);
/* A cheap read of the database file: 0 when it answers. */
int store_ping(struct store *st);

/* ---- the database's disk (store.c) ------------------------------------------ */

#define STORE_WAL_MAX_DEFAULT (64LL << 20)

/*
 * The WAL size (bytes; 0 or less: STORE_WAL_MAX_DEFAULT) past which a
 * commit checkpoints and truncates it, for every connection of the
 * process: the configuration's storage.wal_max.  Call it before opening
 * connections: each also tells SQLite (journal_size_limit) when it opens.
 * Any connection whose write fails for space (SQLITE_FULL) checkpoints
 * the same way, whatever the size.
 */
void store_set_wal_max(int64_t bytes);

/* Where the database stands on its disk. */
struct store_disk {
	int64_t free;     /* bytes its filesystem has free for it */
	int64_t database; /* bytes of the database file */
	int64_t wal;      /* bytes of its WAL (0: none) */
	int64_t wal_max;  /* store_set_wal_max's bound */
};
/* Fill *out (any connection, no SQL); STORE_ERROR with the reason when the file cannot be read. */
int store_disk(struct store *st, struct store_disk *out);

/* ---- people and groups (store_people.c) --------------------------------- */

struct person {
	int64_t id;
	char *name, *phone, *title, *org, *kind;
	int64_t opted_out_at; /* 0: not opted out */
	int64_t created_at;
	char *groups;         /* "a;b" when listed with groups, else NULL */
};
void person_clear(struct person *p);

/* Add a person (phone already normalized).  STORE_EXISTS names the holder. */
int store_person_add(struct store *st, const struct person *p, int64_t *id);
/*
 * Find a person by WHO: "#ID", a phone number in any form a clerk types
 * (normalized here with phone_normalize), or an exact name that only one
 * person has.  STORE_AMBIGUOUS lists the candidates.
 */
int store_person_find(struct store *st, const char *who, struct person *out);
int store_person_get(struct store *st, int64_t id, struct person *out);
struct person_filter {
	const char *group, *org, *kind; /* NULL: any */
	const char *search;             /* substring of name, title or org */
	int64_t id;                     /* 0: any */
};
/* Call fn for each matching person in id order (with groups); fn returns 0 to go on. */
int store_person_each(struct store *st, const struct person_filter *f,
		      int (*fn)(void *arg, const struct person *p), void *arg);
/* Remove; refused (STORE_INVALID) while the person has task assignments. */
int store_person_remove(struct store *st, int64_t id);
int store_person_set_optout(struct store *st, int64_t id, int64_t at /* 0: opt in */);
/*
 * Update name, phone (normalized), title, org and kind of a person (NULL
 * fields unchanged).  A phone someone else has is STORE_EXISTS naming
 * them; STORE_NOTFOUND when there is no person id.
 */
int store_person_update(struct store *st, int64_t id, const struct person *p);
/*
 * Move everything of person from to person into - task roles, group
 * memberships, messages, replies, tasks they marked done, an opt-out -
 * and remove from.  Roles and memberships into has already are kept once.
 * STORE_INVALID when from is into; STORE_NOTFOUND when there is no from.
 */
int store_person_merge(struct store *st, int64_t from, int64_t into);

struct group {
	int64_t id;
	char *name, *description;
	int64_t members;
};
void group_clear(struct group *g);
int store_group_add(struct store *st, const char *name, const char *description, int64_t *id);
/* Find by name; with create, make it when missing. */
int store_group_find(struct store *st, const char *name, bool create, struct group *out);
int store_group_each(struct store *st, int (*fn)(void *arg, const struct group *g), void *arg);
int store_group_remove(struct store *st, int64_t id);
/* Add or remove a member; adding twice is not an error (*added tells). */
int store_member_add(struct store *st, int64_t grp, int64_t person, bool *added);
int store_member_remove(struct store *st, int64_t grp, int64_t person, bool *removed);

/* ---- tasks (store_task.c) ----------------------------------------------- */

struct task {
	int64_t id;
	char *code, *title, *detail, *status, *rule_set;
	int64_t deadline;
	int64_t team;       /* group id, 0: none */
	char *team_name;    /* NULL: none */
	int64_t created_at, updated_at, done_at;
	int64_t next_fire;  /* 0: none */
	char *lead_name;    /* filled by get/each */
};
void task_clear(struct task *t);

struct assignee {
	int64_t person;
	const char *role; /* "lead" | "owner" | "member" | "supervisor" */
};

/*
 * Add a task with its assignments.  A NULL or empty code gets the next
 * free "T<n>"; *code_out (if not NULL) receives the code (malloc'd).
 */
int store_task_add(struct store *st, const struct task *t, const struct assignee *a, size_t na,
		   int64_t *id, char **code_out);
/* Find by code (case-insensitive) or "#ID". */
int store_task_find(struct store *st, const char *code, struct task *out);
int store_task_get(struct store *st, int64_t id, struct task *out);
struct task_filter {
	const char *status; /* open | overdue | done | cancelled | NULL (all) */
	int64_t now;        /* for overdue */
	int64_t person;     /* 0: any; else tasks this person is assigned to */
};
int store_task_each(struct store *st, const struct task_filter *f,
		    int (*fn)(void *arg, const struct task *t), void *arg);
/*
 * Everyone assigned to a task, with the team's members as "member".  A
 * person appears once for each role they have (twice as member when both
 * named and in the team); no order is promised.  fn gets the person and
 * the role.
 */
int store_task_people(struct store *st, int64_t task,
		      int (*fn)(void *arg, const struct person *p, const char *role), void *arg);
/* As store_task_people, but only those named on the task (no team members), by role. */
int store_task_assigned(struct store *st, int64_t task,
			int (*fn)(void *arg, const struct person *p, const char *role), void *arg);
/* Set status (open/done/cancelled); done records when and by whom (0: unknown). */
/* Record when a done task was really done (task done --on). */
int store_task_set_done_at(struct store *st, int64_t id, int64_t at);
int store_task_set_status(struct store *st, int64_t id, const char *status, int64_t at,
			  int64_t by);
/* Change fields: deadline (0 unchanged), title/detail/rule_set (NULL unchanged), team (-1 unchanged, 0 none). */
int store_task_update(struct store *st, int64_t id, int64_t deadline, const char *title,
		      const char *detail, const char *rule_set, int64_t team);
/* Replace the assignments of one role (or add when replace is false). */
int store_task_assign(struct store *st, int64_t id, const struct assignee *a, size_t na,
		      bool replace_roles);
int store_task_unassign(struct store *st, int64_t id, int64_t person, const char *role);
/* *yes: person is the lead or an owner of task. */
int store_task_responsible(struct store *st, int64_t task, int64_t person, bool *yes);


/* ---- messages: the outbox (store_message.c) ---------------------------------- */

/* Priorities: lower is sent first. */
enum { PRIO_URGENT = 0, PRIO_REMINDER = 10, PRIO_MANUAL = 20, PRIO_NOTICE = 30 };

struct message {
	int64_t id;
	int64_t person;        /* 0: none */
	char *phone;           /* E.164 */
	char *body;
	char *encoding;        /* "GSM-7" | "UCS-2" */
	int parts;
	char *kind;            /* reminder | escalation | notice | manual | reply */
	int64_t task, notice;  /* 0: none */
	char *step, *template_name, *ref, *dedupe_key;
	int priority;
	bool urgent;
	char *status;
	int attempts;
	int64_t created_at, not_before, expires_at, lease_until, sent_at, final_at, acked_at;
	char *provider, *provider_ref, *last_error;
	char *person_name;     /* filled by listings */
	char *task_code;       /* filled by listings */
	char *params;          /* template providers' values, canonical JSON (core/route.h); NULL: none */
};
void message_clear(struct message *m);

/*
 * Queue a message (fields as in struct message; id, status 'queued' unless
 * m->status is "skipped", and times are set here when 0).  A dedupe_key or
 * ref that exists already returns STORE_EXISTS and *id the existing row.
 */
int store_msg_add(struct store *st, const struct message *m, int64_t *id);
int store_msg_get(struct store *st, int64_t id, struct message *out);
struct msg_filter {
	const char *status, *kind; /* NULL: any */
	int64_t task, notice;      /* 0: any */
	size_t limit;              /* 0: no limit */
	int64_t person;            /* 0: any */
	int64_t from, to;          /* created in [from, to); 0: no bound */
	const char *text;          /* NULL: any; else a substring of the body */
	bool newest;               /* with limit: the newest `limit` (still listed oldest first) */
};
/* Call fn for each matching message, newest last. */
int store_msg_each(struct store *st, const struct msg_filter *f,
		   int (*fn)(void *arg, const struct message *m), void *arg);
/* ---- what happened to a message (store_history.c) ----------------------------- */

struct inbound;

/* One send attempt of a message. */
struct msg_attempt {
	int64_t at;
	const char *provider;
	int http_status;    /* 0: none (no HTTP answer) */
	const char *result; /* accepted | transient | permanent */
	const char *error;  /* NULL: none */
	int64_t latency_ms;
};
/* Call fn for each attempt of message id, oldest first; the strings live during the call. */
int store_msg_attempts(struct store *st, int64_t id,
		       int (*fn)(void *arg, const struct msg_attempt *a), void *arg);
/* One delivery report of a message. */
struct msg_report {
	int64_t received_at;
	const char *provider, *status, *error; /* error NULL: none */
};
/* Call fn for each delivery report matched to message id, oldest first. */
int store_msg_reports(struct store *st, int64_t id,
		      int (*fn)(void *arg, const struct msg_report *r), void *arg);
/*
 * Call fn for each reply (at most max) from the phone message id went to,
 * received after it was sent (or queued) and before the next message to
 * that phone was: what the person answered to it.  Oldest first.
 */
int store_msg_replies(struct store *st, int64_t id, size_t max,
		      int (*fn)(void *arg, const struct inbound *in), void *arg);

/* The message queued with client reference ref: STORE_NOTFOUND when none. */
int store_msg_find_ref(struct store *st, const char *ref, int64_t *id);
/*
 * Queue a failed, expired, cancelled or skipped message again (attempts 0,
 * due now, no expiry), or make a queued one due now.  A sent, delivered or
 * sending message is refused (STORE_INVALID, saying why); STORE_NOTFOUND
 * when there is no such message.  *old (may be NULL, >= 16 bytes) gets the
 * previous status.  Call inside a transaction (with the audit event);
 * nothing changes when it is refused.
 */
int store_msg_retry(struct store *st, int64_t id, int64_t now, char *old, size_t oldlen);
/* Cancel a queued message (reason recorded); anything else is refused as above.
 * Call inside a transaction too. */
int store_msg_cancel(struct store *st, int64_t id, int64_t now, const char *reason, char *old,
		     size_t oldlen);

/*
 * Acknowledge the latest reminder or escalation to person that a provider
 * accepted (sent or delivered): acked_at = at, keeping an earlier ack.
 * *msg and *task (0: none) tell which; STORE_NOTFOUND when there is none.
 */
int store_ack_latest(struct store *st, int64_t person, int64_t at, int64_t *msg, int64_t *task);

/* ---- the scheduler's queries (store_sched.c) --------------------------------- */

/* Up to max ids of open tasks whose next_fire is due (<= now), earliest first. */
int store_sched_due(struct store *st, int64_t now, int64_t *ids, size_t max, size_t *n);
/* Call fn for each dedupe key of the task's messages starting with prefix. */
int store_sched_keys(struct store *st, int64_t task, const char *prefix,
		     int (*fn)(void *arg, const char *key), void *arg);
/* Set a task's next_fire (0: nothing left to do, stored as NULL). */
int store_task_set_next(struct store *st, int64_t task, int64_t next_fire);
/* The earliest next_fire of any open task, 0 when none. */
int store_sched_next(struct store *st, int64_t *next);
/*
 * What the scheduler needs of a task: code, title, rule_set and deadline
 * only (the other fields are zero); cheaper than store_task_get.
 */
int store_sched_task(struct store *st, int64_t id, struct task *t);
/* Make every open task due for planning again (rules or quiet hours changed). */
int store_sched_replan_all(struct store *st);

/* ---- the dispatcher's leases and results (store_lease.c) ---------------------- */

/*
 * A leased message: what the dispatcher needs to send it.  One allocation,
 * freed with free(); phone and body point into data.
 */
struct lease_msg {
	int64_t id;
	const char *phone, *body;
	const char *template_name, *params; /* NULL: none (a free text; no template provider) */
	int attempts, priority;
	bool ucs2;
	char data[];
};

struct lease_opts {
	int64_t now;         /* UTC seconds */
	int64_t lease_until; /* when an unfinished lease may be taken back */
	size_t max;          /* rows to lease at most */
	bool quiet;          /* quiet hours: hold everything but urgent rows and replies */
	/* Local per-number limits (0: none): a due row whose number had this
	 * many sends (accepted, or being sent) in the last hour / day is not
	 * leased but held until the window allows, wait_reason saying so. */
	int per_hour, per_day;
	const char *why_hour, *why_day; /* wait_reason of such a row (a person reads it) */
	/* When set, a row's own limits instead of per_hour/per_day (the provider it
	 * will go through may have its own): called with its template and params. */
	void (*limits_of)(void *arg, const char *template_name, const char *params, int *per_hour,
			  int *per_day);
	void *limits_arg;
	bool limited;        /* take the per-row path even when per_hour and per_day are 0 */
};

struct send_result;

/*
 * Lease up to o->max due rows (queued, not_before <= now; most urgent
 * priority first, then oldest) in one transaction: each becomes 'sending'
 * with lease_until, or 'expired' when past its expires_at (never sent).
 * The nres results (may be 0) are recorded first in the same transaction,
 * which saves a commit.  out (o->max entries, the caller's array) receives
 * *n new lease_msg the caller frees; *expired counts the rows expired.
 * Nothing is handed out, and no result recorded, unless it all committed.
 */
int store_lease(struct store *st, const struct lease_opts *o, const struct send_result *res,
		size_t nres, struct lease_msg **out, size_t *n, size_t *expired);
/* Tune the connection for dispatching (page cache, checkpoint interval). */
int store_dispatch_tune(struct store *st);
/*
 * Take back rows left 'sending' whose lease ran out before now (a crashed
 * or killed dispatcher): they become 'queued' again, due at once, keeping
 * their id and so their provider reference.  *n (may be NULL) counts them.
 */
int store_lease_reclaim(struct store *st, int64_t now, size_t *n);
/*
 * Extend the lease of the n rows in ids that are still 'sending' to
 * lease_until: a dispatcher renews what it holds in memory, so that a slow
 * provider never lets a held row's lease run out (and be sent twice).
 */
int store_lease_renew(struct store *st, const int64_t *ids, size_t n, int64_t lease_until);
/*
 * When the next queued row becomes due after now (0: none), among those
 * quiet hours do not hold when quiet is set.  Cheap: a few index seeks.
 */
int store_next_due(struct store *st, int64_t now, bool quiet, int64_t *next);

enum send_outcome {
	SEND_SENT,    /* the provider accepted it */
	SEND_RETRY,   /* back to 'queued' at not_before, attempts + 1 */
	SEND_FAILED,  /* given up: permanent failure or out of retries */
	SEND_RELEASE, /* never tried (shutdown): back to 'queued', attempts unchanged */
	SEND_WAIT,    /* the provider limits this number: 'queued' at not_before, attempts
	               * unchanged, wait_reason = error */
	SEND_NOTE,    /* the attempt row only: the row stays 'sending' (a halted provider's,
	               * handed to the next provider by the same dispatcher) */
};

/* The result of one attempt, as the dispatcher records it. */
struct send_result {
	int64_t id;
	enum send_outcome outcome;
	const char *attempt;   /* "accepted" | "transient" | "permanent"; NULL: no attempt row */
	int64_t at;            /* when the attempt started (UTC seconds) */
	int64_t not_before;    /* SEND_RETRY */
	long http_status;      /* 0: no reply */
	long latency_ms;
	char provider[32];
	char provider_ref[128];
	char error[256];
	char code[64];         /* the provider's error code, "" none */
	int parts;             /* parts of text, 0 unknown */
	int billed;            /* parts the provider billed, 0 unknown */
	char *text;            /* what the phone showed (malloc'd, owned by the result; NULL none) */
};
/*
 * Record n results in one transaction: each message's new status and its
 * attempt row commit together.  A message that is no longer 'sending'
 * (cancelled meanwhile, or its lease taken back) keeps its status, except
 * that an accepted send is always recorded as sent.
 */
int store_record_results(struct store *st, const struct send_result *r, size_t n);

/* ---- providers' state (store_provider.c) ------------------------------------- */

/* A provider halted (by its own answer: no balance, bad credentials ...). */
struct provider_state {
	char name[32];
	int64_t halted_at;     /* 0: not halted */
	char code[64];
	char reason[256];
	int64_t alerted_at;    /* 0: no alert queued for this halt */
	int64_t resumed_at;    /* the last resume, 0 none */
	char resumed_by[64];
};
/*
 * Mark provider halted at `at` with code and reason.  *first (may be NULL)
 * is true when it was not halted already (a new halt: alert once).  Call
 * inside a transaction or not (one statement).
 */
int store_provider_halt(struct store *st, const char *provider, const char *code,
			const char *reason, int64_t at, bool *first);
/* The alert of the current halt is queued. */
int store_provider_alerted(struct store *st, const char *provider, int64_t at);
/*
 * Clear the halt of provider (a resume by actor, or a trial request that
 * went through).  *was (may be NULL) true when it was halted.
 */
int store_provider_resume(struct store *st, const char *provider, int64_t at, const char *actor,
			  bool *was);
/* Call fn for every provider with a state row, by name. */
int store_provider_each(struct store *st, int (*fn)(void *arg, const struct provider_state *p),
			void *arg);

/* What is left to do, for "duban dispatch --until-empty". */
struct outbox_pending {
	int64_t due;       /* queued and due now (and not held by quiet hours) */
	int64_t retrying;  /* queued after a failed attempt, due later */
	int64_t sending;   /* leased by some dispatcher */
};
int store_outbox_pending(struct store *st, int64_t now, bool quiet, struct outbox_pending *p);

/* ---- notices (store_notice.c) ------------------------------------------------ */

/*
 * Who a notice goes to: the union of its selectors - members of the named
 * groups, the people by id, everyone of the named organisations, everyone
 * of the named kinds.  A person selected twice counts once.  Nothing is
 * owned; an empty list selects nobody.
 */
struct audience {
	const char *const *group;
	size_t ngroup;
	const int64_t *person;
	size_t nperson;
	const char *const *org;
	size_t norg;
	const char *const *kind;
	size_t nkind;
};

/* *selected: the people a selects (each once); *opted_out: how many of them opted out. */
int store_audience_count(struct store *st, const struct audience *a, int64_t *selected,
			 int64_t *opted_out);
/*
 * Call fn for each selected person who has not opted out, in id order,
 * streaming (nothing is collected).  fn may write to the database; a
 * non-zero return stops the walk, which then returns STORE_INVALID.
 */
int store_audience_each(struct store *st, const struct audience *a,
			int (*fn)(void *arg, const struct person *p), void *arg);

/*
 * Call fn for each selected person who is left out because they opted
 * out (p->opted_out_at says when), in id order, as store_audience_each.
 */
int store_audience_left_out_each(struct store *st, const struct audience *a,
				 int (*fn)(void *arg, const struct person *p), void *arg);

/* A notice: status pending (awaiting approval), scheduled, queued or cancelled. */
struct notice {
	int64_t id;
	char *title, *body, *template_name, *vars, *audience, *status, *created_by, *approved_by;
	int64_t send_at, created_at;
	int64_t recipients, opted_out;
};
void notice_clear(struct notice *n);

/* Add a notice (status NULL: "queued"; created_at 0: now). */
int store_notice_add(struct store *st, const struct notice *n, int64_t *id);
int store_notice_get(struct store *st, int64_t id, struct notice *out);
/* Set status, recipients and opted_out; approved_by NULL leaves it unchanged. */
int store_notice_update(struct store *st, int64_t id, const char *status, const char *approved_by,
			int64_t recipients, int64_t opted_out);

/*
 * Queue m (body, encoding, parts, template_name, not_before, created_at;
 * kind, priority and dedupe key are set here) to every person a selects
 * who has not opted out, with one INSERT ... SELECT.  Each row gets the
 * dedupe key "n:NOTICE:PERSON".  *queued counts the rows.  Call inside a
 * transaction.
 */
int store_notice_queue_all(struct store *st, int64_t notice, const struct audience *a,
			   const struct message *m, int64_t *queued);

/*
 * Where a notice's messages are.  A person's latest message counts (a
 * resend supersedes the failed one); resent counts the resends, parts the
 * SMS parts of every message a provider accepted.
 */
struct notice_counts {
	int64_t queued, sending, sent, delivered, failed, expired, cancelled;
	int64_t resent, parts;
};
int store_notice_counts(struct store *st, int64_t id, struct notice_counts *out);
/* Call fn for each notice, newest last, with its counts. */
int store_notice_each(struct store *st,
		      int (*fn)(void *arg, const struct notice *n, const struct notice_counts *c),
		      void *arg);
/*
 * Call fn for each person whose latest message of the notice failed, in
 * id order; m has id, person, phone, person_name, status, attempts,
 * final_at, provider and last_error.
 */
int store_notice_failed_each(struct store *st, int64_t id,
			     int (*fn)(void *arg, const struct message *m), void *arg);
/*
 * Cancel the notice: its queued messages become cancelled (reason
 * recorded); sent ones stay sent and those being sent are left to finish.
 * *cancelled, *sent (sent or delivered) and *sending count them.
 */
int store_notice_cancel(struct store *st, int64_t id, int64_t now, int64_t *cancelled,
			int64_t *sent, int64_t *sending);
/*
 * Queue again, once, every person whose latest message of the notice
 * failed and who has not opted out since: a new row with the same text,
 * the person's current number and the dedupe key "n:NOTICE:PERSON:rK"
 * (K = 1 for the first resend), so a second call before those are sent
 * queues nothing.  *queued counts the new rows, *opted_out those left out.
 */
int store_notice_resend(struct store *st, int64_t id, int64_t now, int64_t *queued,
			int64_t *opted_out);
/*
 * The same, but unless all, a message a provider refused for good (an
 * attempt classed permanent: an invalid number, a text it will not carry)
 * is not queued again; *permanent counts those.
 */
int store_notice_resend_some(struct store *st, int64_t id, int64_t now, bool all, int64_t *queued,
			     int64_t *opted_out, int64_t *permanent);

/* ---- reports (store_report.c) ------------------------------------------------- */

/*
 * One task as the reports see it.  Strings belong to the store and are
 * valid only during the callback.  reply is the latest reply about the
 * task (an assignee's message naming its code, or an acknowledgement of
 * one of its reminders), "NAME: text"; NULL and reply_at 0 when none.
 */
struct report_task {
	int64_t id;
	const char *code, *title, *status, *lead, *supervisor;
	int64_t deadline, done_at;
	int64_t reminders, escalations; /* sent: accepted by a provider */
	int64_t reply_at;
	const char *reply;
};
/* Every task (only overdue ones - open, deadline before now - with overdue_only), by deadline. */
int store_report_tasks(struct store *st, bool overdue_only, int64_t now,
		       int (*fn)(void *arg, const struct report_task *r), void *arg);

/* A leading official's record over tasks that are not cancelled. */
struct report_person {
	int64_t id;
	const char *name, *title, *org;
	int64_t led, on_time, late, open, overdue;
	int64_t owned, o_on_time, o_late, o_open, o_overdue; /* the same, as an owner (责任人) */
};
/*
 * Every person who leads or owns a task with a deadline in [from, to) (0:
 * no bound), by name: led, done on time (done_at <= deadline), done late,
 * open and not yet due, open and overdue at now; and the same of the
 * tasks they own.
 */
int store_report_people(struct store *st, int64_t from, int64_t to, int64_t now,
			int (*fn)(void *arg, const struct report_person *r), void *arg);

/* Messages of one kind through one provider ("" when never sent). */
struct report_delivery {
	const char *kind, *provider;
	int64_t messages, waiting, sent, delivered, failed, expired, cancelled, parts;
	int64_t billed; /* parts the provider said it billed (Tencent Fee, Aliyun sms_size) */
};
/*
 * Per kind and provider, the messages queued in [from, to) (0: no bound):
 * waiting (queued or sending), sent (accepted: sent or delivered),
 * delivered, failed, expired, cancelled (or skipped), the SMS parts of
 * the sent ones, and the parts the provider billed for them (as far as
 * its replies and reports said).
 */
int store_report_delivery(struct store *st, int64_t from, int64_t to,
			  int (*fn)(void *arg, const struct report_delivery *r), void *arg);

/* ---- delivery reports (store_dlr.c) ----------------------------------------- */

/* What became of a delivery report (store_dlr_record). */
struct dlr_outcome {
	int64_t message;    /* the message it is about; 0: none known (yet) */
	bool duplicate;     /* the same report was recorded before: nothing changed */
	bool applied;       /* the message moved to delivered or failed */
	bool waiting;       /* kept until the send is recorded (message 0: by the provider's id) */
	bool ignored;       /* names duban's id of a message it sent no request for: not kept */
	int64_t expired;    /* waiting reports dropped because dlr_policy.keep ran out */
	int64_t dropped;    /* waiting reports dropped, oldest first, past max_unmatched */
	char was[16];       /* the message's status before ("" when none) */
};

/* How long, and how many, reports may wait for a send to be recorded. */
struct dlr_policy {
	int64_t keep;          /* seconds a report keyed by a provider's id waits */
	int64_t max_unmatched; /* such reports waiting at once, at most (>= 1) */
};

/*
 * Record a delivery report from provider about its message reference ref
 * (the provider's id, or duban's "duban-ID") in one transaction.  status
 * is "delivered", "failed" or "pending" (an intermediate state, kept
 * only); error (may be NULL) is the reason of a failure.  A report is
 * stored once per (provider, ref, status): the same report again changes
 * nothing.  When a sent message has the reference, a final report moves
 * it to delivered or failed (only from 'sent': the first final report
 * wins).  When none has it yet the report may come before the send is
 * recorded, and waits (out->waiting) to be applied by the database the
 * moment the dispatcher records it (in the same transaction): a
 * "duban-ID" linked to message ID - only when a request for it has gone
 * out (it is being sent, or was tried), else it is ignored (out->ignored,
 * nothing written) - and a provider's id for at most policy->keep
 * seconds, applied only to a send whose first request went out before
 * the report came.  Recording one of those drops the waiting reports
 * whose time ran out and, past policy->max_unmatched, the oldest
 * (out->expired, out->dropped).
 */
int store_dlr_record(struct store *st, const char *provider, const char *ref, const char *status,
		     const char *error, int64_t at, const struct dlr_policy *policy,
		     struct dlr_outcome *out);

/* One report of a batch (store_dlr_record_many). */
struct dlr_in {
	const char *ref, *status, *error; /* as for store_dlr_record */
	int parts;                        /* parts the provider billed (Aliyun sms_size), 0 unknown */
};
/*
 * Record n reports of provider, each as store_dlr_record does, in ONE
 * transaction (a provider's array push: all or nothing); out has n
 * entries.  A report's billed parts go to the accepted attempt of its
 * message (now, or when the send is recorded later).
 * STORE_INVALID for an unknown status (nothing recorded).
 */
int store_dlr_record_many(struct store *st, const char *provider, const struct dlr_in *in,
			  size_t n, int64_t at, const struct dlr_policy *policy,
			  struct dlr_outcome *out);

/* ---- replies (store_inbound.c) ---------------------------------------------- */

/* A reply (MO) as stored: the inbox of staff. */
struct inbound {
	int64_t id;
	char *provider, *provider_ref; /* provider_ref NULL when the provider gave none */
	char *phone;                   /* E.164 */
	int64_t person;                /* 0: not someone in the people list */
	char *person_name;             /* filled by listings; NULL when no person */
	char *text;
	int64_t received_at;
	char *action;                  /* what duban did: optout, ack, done, inbox, ... */
	char *status;                  /* new | handled | read */
};
void inbound_clear(struct inbound *in);

/*
 * Store a reply (in->provider, provider_ref, phone, person, text,
 * received_at; action and status as given, NULL: none / 'new').  The same
 * (provider, provider_ref) twice returns STORE_EXISTS with *id the first
 * one.  Call inside a transaction to act on it atomically.
 */
int store_inbound_add(struct store *st, const struct inbound *in, int64_t *id);
/* Set what was done with reply id and its status (NULL: unchanged). */
int store_inbound_set(struct store *st, int64_t id, const char *action, const char *status);
struct inbound_filter {
	const char *status; /* NULL: any */
	size_t limit;       /* 0: no limit (the newest `limit` when set) */
};
/* Call fn for each matching reply, oldest first; fn returns 0 to go on. */
int store_inbound_each(struct store *st, const struct inbound_filter *f,
		       int (*fn)(void *arg, const struct inbound *in), void *arg);

/* ---- what /metrics exports (store_metrics.c) ---------------------------------- */

/* Messages by status and kind (the outbox gauge). */
int store_metrics_messages(struct store *st,
			   int (*fn)(void *arg, const char *status, const char *kind, int64_t n),
			   void *arg);

/* Send latency bounds of the histogram, in milliseconds. */
#define STORE_LATENCY_BUCKETS 10
extern const long store_latency_bounds_ms[STORE_LATENCY_BUCKETS];

/* One provider's totals (strings valid during the callback only). */
struct provider_totals {
	const char *provider;
	int64_t sent;       /* attempts accepted */
	int64_t retried;    /* attempts that failed transiently */
	int64_t rejected;   /* attempts that failed permanently */
	int64_t failed;     /* messages given up (status failed) through it */
	int64_t delivered;  /* messages with a delivery report saying so */
	/* attempts with latency_ms <= store_latency_bounds_ms[i], cumulative */
	int64_t le[STORE_LATENCY_BUCKETS];
	int64_t count, sum_ms; /* attempts with a latency, and their sum */
};
/* Call fn for each provider that has attempts, by name. */
int store_metrics_providers(struct store *st,
			    int (*fn)(void *arg, const struct provider_totals *t), void *arg);
/*
 * How long the oldest queued message that is due (not_before <= now) has
 * waited since it became due, in seconds; 0 when none waits.
 */
int store_metrics_oldest_queued(struct store *st, int64_t now, int64_t *age);
/* Delivery reports by provider and status, and replies by action. */
int store_metrics_dlr(struct store *st,
		      int (*fn)(void *arg, const char *provider, const char *status, int64_t n),
		      void *arg);
int store_metrics_inbound(struct store *st,
			  int (*fn)(void *arg, const char *action, const char *status, int64_t n),
			  void *arg);

/* ---- backups, restores and the instance lock (store_backup.c, store_lock.c) */

/* What a backup or a restore copied. */
struct store_copy_info {
	int schema;      /* the copy's schema version (PRAGMA user_version) */
	int64_t bytes;   /* the copy's size */
};
/*
 * The schema version of the database file at path, without migrating or
 * refusing anything (0: not a duban database yet).  STORE_NOTFOUND when
 * there is no file, STORE_ERROR when it cannot be read.
 */
int store_file_version(const char *path, int *v, char *err, size_t errlen);
/*
 * Copy the database at db into the file dest with SQLite's online backup
 * API: one consistent snapshot, taken while other connections (the
 * daemon) go on writing.  The copy is written beside dest, checked with
 * PRAGMA integrity_check, made durable and renamed onto dest; it is mode
 * 0600 whatever the umask (it holds every phone number).  STORE_INVALID
 * when db is not a duban database.
 */
int store_backup_file(const char *db, const char *dest, struct store_copy_info *info, char *err,
		      size_t errlen);
/*
 * Replace the database at db (created when missing) by the copy in src,
 * through the backup API, so that the WAL and other connections see it
 * whole.  src must pass integrity_check and hold a duban schema no newer
 * than this one (STORE_INVALID otherwise, db untouched).  The caller
 * makes sure no daemon runs (store_lock_take).
 */
int store_restore_file(const char *db, const char *src, struct store_copy_info *info, char *err,
		       size_t errlen);
/*
 * An automatic backup of db beside it, named DB.backup-YYYYMMDDTHHMMSS.mmmZ-schemaN
 * (UTC, so that names sort by time), then remove the oldest such copies
 * so that keep are left.  *made (madelen bytes) gets the new file's path.
 */
int store_backup_auto(const char *db, int keep, char *made, size_t madelen, char *err,
		      size_t errlen);

/*
 * The instance lock: one `duban run` per database.  An flock(2)'d file
 * beside the database (DB.lock) that names its holder's host, PID and
 * start.  The kernel lets go of it when the holder dies, however (kill -9
 * included), and a power cut leaves nothing held; so a lock that can be
 * taken is never stale, and the words a dead holder left in the file are
 * only reported ("took over from ...").
 */
struct store_lock;
/*
 * Take the lock of db for what ("duban run", "duban restore").
 * STORE_EXISTS when another process holds it: err names it (host, PID,
 * since when, what).  *previous (prevlen bytes) gets the holder a dead
 * process left recorded ("" when the last one let go cleanly).
 */
int store_lock_take(const char *db, const char *what, struct store_lock **out, char *previous,
		    size_t prevlen, char *err, size_t errlen);
/* Let go of the lock (its file emptied first); accepts NULL. */
void store_lock_release(struct store_lock *l);

#endif
