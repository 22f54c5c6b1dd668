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
 * Open the database at path.  With create, a missing file is created (mode
 * 0600) and migrated to the current schema; without, a missing file or an
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
 * Find a person by WHO: "#ID", a normalized phone number, or an exact name
 * that only one person has.  STORE_AMBIGUOUS lists the candidates.
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
/* Update name/title/org/kind of an existing person (NULL fields unchanged). */
int store_person_update(struct store *st, int64_t id, const struct person *p);

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
 * Everyone assigned to a task, with the team's members as "member" (a
 * person appears once per role).  fn gets the person and the role.
 */
int store_task_people(struct store *st, int64_t task,
		      int (*fn)(void *arg, const struct person *p, const char *role), void *arg);
/* Set status (open/done/cancelled); done records when and by whom (0: unknown). */
int store_task_set_status(struct store *st, int64_t id, const char *status, int64_t at,
			  int64_t by);
/* Change fields: deadline (0 unchanged), title/detail/rule_set (NULL unchanged), team (-1 unchanged, 0 none). */
int store_task_update(struct store *st, int64_t id, int64_t deadline, const char *title,
		      const char *detail, const char *rule_set, int64_t team);
/* Replace the assignments of one role (or add when replace is false). */
int store_task_assign(struct store *st, int64_t id, const struct assignee *a, size_t na,
		      bool replace_roles);
int store_task_unassign(struct store *st, int64_t id, int64_t person, const char *role);


/* ---- the outbox (store_outbox.c) --------------------------------------------- */

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
};
/* Call fn for each matching message, newest last. */
int store_msg_each(struct store *st, const struct msg_filter *f,
		   int (*fn)(void *arg, const struct message *m), void *arg);
/* True (in *exists) if a row with this dedupe key exists. */
int store_msg_key_exists(struct store *st, const char *key, bool *exists);

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
/* Make every open task due for planning again (rules or quiet hours changed). */
int store_sched_replan_all(struct store *st);

#endif
