/*
 * store_digest.h - digests: one SMS to a person listing several tasks'
 * due reminders.  Each listed step keeps its own row (and dedupe key),
 * recorded as sent by the digest through digest_item; the daily cap and
 * 收到 read them here.
 */
#ifndef DUBAN_STORE_DIGEST_H
#define DUBAN_STORE_DIGEST_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

/* Record that step row item went out as part of digest.  STORE_OK or STORE_ERROR. */
int store_digest_link(struct store *st, int64_t item, int64_t digest);
/* Reminder and escalation SMS (digests once, not their items) queued to
 * person since since that are or will be sent. */
int store_person_reminders_since(struct store *st, int64_t person, int64_t since, int64_t *n);
/* Whether person acknowledged (收到) any reminder of task. */
int store_task_acked(struct store *st, int64_t task, int64_t person, bool *acked);
/*
 * Acknowledge every step digest listed, at at, and (inbound not 0) link
 * that reply to their tasks; *codes gets the tasks' codes as "T2、T3" (the
 * caller frees), NULL when digest is no digest.
 */
int store_digest_ack(struct store *st, int64_t digest, int64_t at, int64_t inbound, char **codes);
/* Make task's next look no later than at.  STORE_OK or STORE_ERROR. */
int store_task_next_by(struct store *st, int64_t task, int64_t at);

/* When the latest reminder (kind "reminder") or escalation of task went out,
 * on its own or in a digest: *at (UTC seconds; 0 when none has). */
int store_task_last_sent(struct store *st, int64_t task, const char *kind, int64_t *at);

#endif
