/*
 * staff.h - the town office's staff accounts and their console sessions:
 * passwords kept only as PBKDF2-HMAC-SHA256 strings (random salt, compared
 * in constant time), roles (viewer, clerk, approver, admin), logins slowed
 * per account and per client address, sessions whose token is random and
 * stored only as its SHA-256, with an idle and an absolute expiry and a
 * CSRF token.  `duban staff` and the console (server/console.c) call
 * these; every change is in the audit log.
 */
#ifndef DUBAN_STAFF_H
#define DUBAN_STAFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/ctx.h"
#include "store/store_staff.h"

#define STAFF_PBKDF2_ITER 600000u /* OWASP 2023 for PBKDF2-HMAC-SHA256 */
#define STAFF_HASH_MAX 160
#define STAFF_PASSWORD_MIN 8
#define STAFF_PASSWORD_MAX 256
#define STAFF_LOGIN_MAX 32
#define STAFF_NAME_MAX 64
#define STAFF_TOKEN_LEN 43   /* base64url of 256 random bits */
#define STAFF_LOCK_FAILS 5   /* failed logins of an account ... */
#define STAFF_ADDR_FAILS 20  /* ... or from an address ... */
#define STAFF_LOCK_WINDOW (15 * 60) /* ... within this many seconds lock it this long */
#define STAFF_TOUCH_EVERY 60 /* a session's last use is written at most this often */

enum staff_role { STAFF_VIEWER = 1, STAFF_CLERK, STAFF_APPROVER, STAFF_ADMIN };

/* "viewer" ... "admin" as a role: 0, or -1 for another word. */
int staff_role_parse(const char *s, enum staff_role *out);
/* The role's name ("clerk"), and its Chinese name for people ("办事员"). Static. */
const char *staff_role_name(enum staff_role r);
const char *staff_role_label(enum staff_role r);

/*
 * The PBKDF2-HMAC-SHA256 string of password with a random 16-byte salt and
 * iterations rounds: "pbkdf2-sha256$ITER$SALTHEX$HASHHEX" into out (at
 * least STAFF_HASH_MAX).  0, or -1 (no randomness, too small).
 */
int staff_password_hash(const char *password, unsigned iterations, char *out, size_t outlen);
/* True when password is the one stored (as staff_password_hash wrote it); constant time. */
bool staff_password_ok(const char *password, const char *stored);
/* 0 when password is acceptable, else -1 with *why (static, for a person). */
int staff_password_check(const char *password, const char **why);
/* A random base64url token of 256 bits (STAFF_TOKEN_LEN characters) into out (>= 44). */
int staff_random_token(char *out, size_t outlen);
/* True when got equals want (two CSRF tokens), in constant time; false for NULL or "". */
bool staff_csrf_ok(const char *want, const char *got);

/*
 * Add account login (1-32 of a-z 0-9 . _ -) named name with role and
 * password (checked by staff_password_check), audit "staff.add".
 * ACTION_OK, ACTION_EXISTS (login taken), ACTION_INVALID, ACTION_ERROR.
 */
int staff_add(struct duban_ctx *x, const char *login, const char *name, enum staff_role role,
	      const char *password);
/* Set login's password, ending its sessions; audit "staff.passwd". */
int staff_passwd(struct duban_ctx *x, const char *login, const char *password);
/* Disable login (it can no longer log in), ending its sessions; audit "staff.disable". */
int staff_disable(struct duban_ctx *x, const char *login);

/* A session just opened. */
struct staff_login {
	char token[STAFF_TOKEN_LEN + 1]; /* the cookie's value: shown once, stored hashed */
	char csrf[STAFF_TOKEN_LEN + 1];
	struct staff who; /* owned: staff_clear */
	long locked_for;  /* after a refusal: seconds until the account or address may try */
};

/*
 * Log login in with password from client address addr at now.  Refused
 * (ACTION_INVALID, x->err for a person) when the password is wrong, the
 * account is unknown or disabled (the same words: nobody learns which
 * logins exist), or when the account had STAFF_LOCK_FAILS failures (the
 * address STAFF_ADDR_FAILS) within STAFF_LOCK_WINDOW: then out->locked_for
 * says how long, and the password is not even tried.  A failure is
 * recorded (and committed); a success forgets the account's failures and
 * opens a session (audit "staff.login").  ACTION_OK with out filled.
 */
int staff_login(struct duban_ctx *x, const char *login, const char *password, const char *addr,
		int64_t now, struct staff_login *out);

/*
 * The open session of token at now under cc's expiry: STORE_OK with out
 * (out->who to staff_clear), or STORE_NOTFOUND when there is none, it
 * expired (it is ended) or its account is disabled.  Writes its last use
 * at most every STAFF_TOUCH_EVERY seconds.
 */
int staff_session(struct store *st, const struct console_conf *cc, const char *token,
		  int64_t now, struct staff_session *out);
/* End the session of token (logout); audit "staff.logout" by actor. */
int staff_logout(struct duban_ctx *x, const char *token);

#endif
