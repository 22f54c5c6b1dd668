/*
 * ctx.h - what a front-end hands to the actions of core/: the database, the
 * configuration, rules and templates it runs on, who is acting, and where
 * an action says why it refused.  The CLI, the JSON API, SMS replies (and
 * the staff console to come) each fill one and call the same action, so a
 * rule such as "a cancelled task cannot be marked done" lives in one
 * place.
 *
 * An action is one function per state change a user can cause.  It checks
 * its rule, writes through the store in one transaction together with its
 * audit event (store_event, with actor), and returns ACTION_OK or one of
 * the negative codes below with a sentence for a person in err.  Nothing is
 * written when it refuses.  The codes equal the store's, so a store result
 * can be passed on as it is.
 */
#ifndef DUBAN_CTX_H
#define DUBAN_CTX_H

#include "store/store.h"

enum action_rc {
	ACTION_OK = STORE_OK,
	ACTION_ERROR = STORE_ERROR,         /* the database failed: err has SQLite's words */
	ACTION_NOTFOUND = STORE_NOTFOUND,   /* no such person, task, message ... */
	ACTION_EXISTS = STORE_EXISTS,       /* a unique key is taken (err names the holder) */
	ACTION_AMBIGUOUS = STORE_AMBIGUOUS, /* a name matches several (err lists them) */
	ACTION_INVALID = STORE_INVALID,     /* bad input, or refused by a rule */
};

#define ACTION_ERR_MAX 512

struct duban_config;
struct rules;
struct tmpl_set;

struct duban_ctx {
	struct store *st;
	const struct duban_config *cfg;
	const struct rules *rules;    /* NULL where the front-end has none loaded */
	const struct tmpl_set *tmpls; /* likewise */
	const char *actor;            /* the audit log's "who": "cli", "api:NAME", "sms:138****8000" */
	char err[ACTION_ERR_MAX];     /* why, after an action returned < 0 */
};

/*
 * How an action says why it stopped (core/ctx.c).  Each returns rc, so an
 * action can write "return action_fail(x, rc);".
 */

/* The store failed: its message (store_errmsg) goes to x->err.  A
 * transaction stays open: a step of a larger action leaves it to the
 * action that opened it. */
int action_fail(struct duban_ctx *x, int rc);
/* As action_fail, and rolls back the open transaction (harmless when none
 * is open): for an action that stops here. */
int action_abort(struct duban_ctx *x, int rc);
/* Refused (or failed other than in the store): the sentence fmt says why
 * goes to x->err, cut at ACTION_ERR_MAX. */
int action_refuse(struct duban_ctx *x, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The end of an action's transaction: commits when rc is ACTION_OK, else
 * rolls back.  Returns rc, or the commit's failure with the store's
 * message in x->err (nothing was written). */
int action_finish(struct duban_ctx *x, int rc);
/* The last step of an action: its audit event (action, object, detail, by
 * x->actor) recorded, then the commit.  ACTION_OK, or the store's code
 * with its message in x->err, rolled back. */
int action_commit(struct duban_ctx *x, const char *action, const char *object,
		  const char *detail);

#endif
