/*
 * callback.c - the HTTP side of what providers report.  A delivery report
 * is recorded and applied by the store (idempotent, an early one kept
 * until the send is recorded); a reply is handed to core/reply.c, which
 * stores it and acts on it in one transaction.
 */
#include "server/callback.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "base/clock.h"
#include "core/ctx.h"

/* ---- delivery reports ------------------------------------------------------------ */

int
callback_dlr(struct store *st, const struct provider_conf *pc, const struct provider_dlr *d,
	     struct dlr_outcome *out, char *err, size_t errlen)
{
	static const char *const names[] = { "delivered", "failed", "pending" };
	const char *status = names[d->state];
	char reason[PROVIDER_REASON_MAX + 32];
	int rc;

	snprintf(reason, sizeof(reason), "delivery report: %s", d->reason);
	rc = store_dlr_record(st, pc->name, d->ref, status,
			      d->state == PROVIDER_DLR_FAILED ? reason : NULL, time_now(), out);
	if (rc != STORE_OK) {
		snprintf(err, errlen, "%s", store_errmsg(st));
		return -1;
	}
	if (out->duplicate)
		log_debug("dlr %s %s %s: received before, nothing changed", pc->name, d->ref,
			  status);
	else if (out->message == 0)
		log_info(
			"dlr %s %s %s: no sent message has this reference (yet); kept, and applied "
			"if the send is recorded later",
			pc->name, d->ref, status);
	else if (out->applied)
		log_debug("dlr %s %s: message #%" PRId64 " %s", pc->name, d->ref, out->message,
			  status);
	else
		log_debug("dlr %s %s %s: message #%" PRId64 " is %s, left as it is", pc->name,
			  d->ref, status, out->message, out->was);
	return 0;
}

/* ---- replies ------------------------------------------------------------------- */

int
callback_mo(struct store *st, const struct duban_config *cfg, const struct provider_conf *pc,
	    const struct provider_mo *mo, struct reply_result *out, char *err, size_t errlen)
{
	struct duban_ctx x = { .st = st, .cfg = cfg };
	struct reply_in in = { .provider = pc->name, .ref = mo->ref, .from = mo->from,
			       .text = mo->text };

	if (reply_receive(&x, &in, out) != ACTION_OK) {
		snprintf(err, errlen, "%s", x.err);
		return -1;
	}
	return 0;
}
