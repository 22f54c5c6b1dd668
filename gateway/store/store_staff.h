/*
 * store_staff.h - the staff console's tables: staff accounts, their open
 * sessions (by the SHA-256 of the session token) and failed logins (by
 * account and by client address).  The rules - password hashing, expiry,
 * lockout - are core/staff.c's; this is only their SQL.
 */
#ifndef DUBAN_STORE_STAFF_H
#define DUBAN_STORE_STAFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* A staff account.  Strings owned; free with staff_clear. */
struct staff {
	int64_t id;
	char *login, *name, *role, *pw_hash;
	int64_t disabled_at, created_at; /* disabled_at 0: active */
};
/* Free the strings, not the struct.  NULL is fine. */
void staff_clear(struct staff *s);

/* Add an account (created_at 0: now): STORE_OK with *id, STORE_EXISTS for a login taken. */
int store_staff_add(struct store *st, const struct staff *s, int64_t *id);
/* The account of login: STORE_OK with out filled (staff_clear), STORE_NOTFOUND. */
int store_staff_get(struct store *st, const char *login, struct staff *out);
/* Call fn for each account in login order; fn returns non-zero to stop. */
int store_staff_each(struct store *st, int (*fn)(void *arg, const struct staff *s), void *arg);
/* Set the password hash of id (STORE_NOTFOUND when none). */
int store_staff_set_password(struct store *st, int64_t id, const char *pw_hash);
/* Set disabled_at of id (0: enable again). */
int store_staff_set_disabled(struct store *st, int64_t id, int64_t at);

/* Failed logins for key ("login:NAME", "addr:IP") since since: *count, *last (UTC s, 0 none). */
int store_login_failures(struct store *st, const char *key, int64_t since, int64_t *count,
			 int64_t *last);
/* Record a failed login for key at at, and forget those of any key older than before. */
int store_login_failure_add(struct store *st, const char *key, int64_t at, int64_t before);
/* Forget the failed logins of key (after a successful one). */
int store_login_failure_clear(struct store *st, const char *key);

/* An open session, with its account. */
struct staff_session {
	struct staff who;
	char csrf[65];
	int64_t created_at, last_seen;
};
/* Open a session: hash (32 bytes) of its token, the account, its CSRF token, now. */
int store_session_add(struct store *st, const unsigned char hash[32], int64_t staff,
		      const char *csrf, int64_t now);
/* The session of hash with its account: STORE_OK, or STORE_NOTFOUND. Clear out->who. */
int store_session_get(struct store *st, const unsigned char hash[32], struct staff_session *out);
/* Mark the session of hash used at now. */
int store_session_touch(struct store *st, const unsigned char hash[32], int64_t now);
/* End the session of hash (nothing when there is none). */
int store_session_delete(struct store *st, const unsigned char hash[32]);
/* End every session of account staff (password changed, account disabled). */
int store_session_delete_staff(struct store *st, int64_t staff);

#endif
