/*
 * ctx.c - the few lines every action of core/ ends with: a store failure
 * or a refusal put into words in the context's err, and the action's
 * transaction committed, with its audit event, or rolled back.  Written
 * once so that an action that stops says why, and leaves nothing
 * half-written, the same way wherever it stops.
 */
#include "core/ctx.h"

#include <stdarg.h>
#include <stdio.h>

int
action_fail(struct duban_ctx *x, int rc)
{
	snprintf(x->err, sizeof(x->err), "%s", store_errmsg(x->st));
	return rc;
}

int
action_abort(struct duban_ctx *x, int rc)
{
	action_fail(x, rc);
	store_rollback(x->st);
	return rc;
}

int
action_refuse(struct duban_ctx *x, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(x->err, sizeof(x->err), fmt, ap);
	va_end(ap);
	return rc;
}

int
action_finish(struct duban_ctx *x, int rc)
{
	if (rc == ACTION_OK && (rc = store_commit(x->st)) != STORE_OK)
		return action_fail(x, rc);
	if (rc != ACTION_OK)
		store_rollback(x->st);
	return rc;
}

int
action_commit(struct duban_ctx *x, const char *action, const char *object, const char *detail)
{
	int rc;

	if ((rc = store_event(x->st, x->actor, action, object, detail)) != STORE_OK ||
	    (rc = store_commit(x->st)) != STORE_OK)
		return action_abort(x, rc);
	return ACTION_OK;
}
