/*
 * store_reply.h - what SMS replies leave on tasks: which tasks a reply
 * acted on (reply_task, behind the reports' last reply), dated progress
 * notes (task_note, "进展 T3 ..."), acknowledging one task's reminder, and
 * the counts the answers to replies are rate-limited by.
 */
#ifndef DUBAN_STORE_REPLY_H
#define DUBAN_STORE_REPLY_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

/* Record that reply inbound acted on task (twice is once).  STORE_OK or STORE_ERROR. */
int store_reply_link(struct store *st, int64_t inbound, int64_t task);
/* Add a progress note to task, by person (0: staff), from reply inbound
 * (0: none), at at.  STORE_OK or STORE_ERROR. */
int store_note_add(struct store *st, int64_t task, int64_t person, int64_t inbound, int64_t at,
		   const char *text);
/* Call fn for every note of task, oldest first (who is "" for staff);
 * fn returns non-zero to stop (STORE_ERROR).  STORE_OK or STORE_ERROR. */
int store_note_each(struct store *st, int64_t task,
		    int (*fn)(void *arg, int64_t at, const char *who, const char *text), void *arg);
/* Call fn for every reply that acted on task (reply_task), oldest first:
 * when it came, who sent it ("" when nobody known), its text and what
 * duban made of it (inbound.action, "" when none); fn returns non-zero to
 * stop (STORE_ERROR).  STORE_OK or STORE_ERROR. */
int store_reply_each(struct store *st, int64_t task,
		     int (*fn)(void *arg, int64_t at, const char *who, const char *text,
			       const char *action),
		     void *arg);
/*
 * Acknowledge the latest sent reminder or escalation of task to person at
 * at: *msg its id.  STORE_NOTFOUND (with a message) when none was sent.
 */
int store_ack_task(struct store *st, int64_t person, int64_t task, int64_t at, int64_t *msg);
/* How many answers (kind 'reply', not forwards) went to phone since since. */
int store_reply_answers_since(struct store *st, const char *phone, int64_t since, int64_t *n);
/* Whether person has a role on task ("lead", "owner", ...: *role static,
 * the strongest; NULL when none).  STORE_OK or STORE_ERROR. */
int store_task_role(struct store *st, int64_t task, int64_t person, const char **role);
/* The code of person's open task due soonest (*code the caller frees;
 * NULL when none).  STORE_OK or STORE_ERROR. */
int store_person_open_code(struct store *st, int64_t person, char **code);

#endif
