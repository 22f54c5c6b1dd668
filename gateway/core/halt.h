/*
 * halt.h - a provider halted by its own answer (no balance, credentials
 * refused, a signature or template not approved: the dispatcher stops
 * sending through it at once) and the clerk's or county IT's action that
 * lifts the halt once the account is put right.  The halt itself is the
 * dispatcher's (core/dispatch_send.c); the state is the provider_state
 * table, which a running daemon reads on its next lease.
 */
#ifndef DUBAN_HALT_H
#define DUBAN_HALT_H

#include <stdbool.h>

#include "core/ctx.h"

/*
 * Resume provider name: clear its halt, with the audit event
 * "provider.resume" by x->actor.  A name that is not a configured provider
 * is refused (ACTION_NOTFOUND, listing them); *was (may be NULL) says
 * whether it was halted (resuming one that is not changes nothing and is
 * no error).  A running daemon sends through it again within its poll.
 */
int halt_resume(struct duban_ctx *x, const char *name, bool *was);

#endif
