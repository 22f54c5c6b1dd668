/*
 * store_outbox.h - what the staff console reads of the outbox beyond the
 * listings of store.h: a search by number or name, one message's
 * attempts and delivery reports.
 */
#ifndef DUBAN_STORE_OUTBOX_H
#define DUBAN_STORE_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* One attempt to send a message (strings valid during the callback). */
struct attempt_row {
	int64_t at;
	const char *provider, *result, *error; /* error NULL: none */
	int http_status;                       /* 0: none */
	int64_t latency_ms;
};
/* Call fn for each attempt of message msg, oldest first. */
int store_attempt_each(struct store *st, int64_t msg,
		       int (*fn)(void *arg, const struct attempt_row *a), void *arg);

/* One delivery report of a message (strings valid during the callback). */
struct dlr_row {
	int64_t received_at;
	const char *provider, *status, *error;
};
/* Call fn for each delivery report applied to message msg, oldest first. */
int store_msg_dlr_each(struct store *st, int64_t msg,
		       int (*fn)(void *arg, const struct dlr_row *d), void *arg);

/*
 * The ids of the newest messages (at most limit, newest first) whose
 * number holds digits q, or whose person's name holds q (q NULL: any),
 * of status (NULL: any), into ids; *n of them.
 */
int store_outbox_search(struct store *st, const char *q, const char *status, size_t limit,
			int64_t *ids, size_t *n);

#endif
