/*
 * callback.h - what providers tell duban, as the HTTP server receives it:
 * delivery reports move a sent message to delivered or failed (once,
 * whenever they arrive), and replies (MO) from officials and farmers are
 * handed to core/reply.h, which stores them and acts on them (TD, 收到,
 * 完成 T12, or the inbox).  The HTTP server calls these with its own
 * database connection; nothing here keeps state.
 */
#ifndef DUBAN_CALLBACK_H
#define DUBAN_CALLBACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/reply.h"
#include "provider/provider.h"
#include "store/store.h"

/*
 * Record delivery report d from provider pc (store_dlr_record) and log
 * what it did; an unknown reference is logged and kept.  *out tells the
 * outcome.  Returns 0, or -1 with err (database trouble: the provider
 * should send it again).
 */
int callback_dlr(struct store *st, const struct provider_conf *pc, const struct provider_dlr *d,
		 struct dlr_outcome *out, char *err, size_t errlen);

/*
 * Hand reply mo from provider pc to reply_receive (core/reply.h), which
 * stores it and acts on it in one transaction; cfg gives the signature,
 * sms.max_parts and http.forward_to.  *out tells what it led to.  Returns
 * 0, or -1 with err (text that is not valid UTF-8 - err says "UTF-8" -
 * or database trouble).
 */
int callback_mo(struct store *st, const struct duban_config *cfg, const struct provider_conf *pc,
		const struct provider_mo *mo, struct reply_result *out, char *err,
		size_t errlen);

#endif
