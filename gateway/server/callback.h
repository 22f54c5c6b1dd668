/*
 * callback.h - what providers tell duban: delivery reports move a sent
 * message to delivered or failed (once, whenever they arrive), and
 * replies (MO) from officials and farmers are stored and acted on:
 * TD / T / 退订 / N opt out (confirmed once), 收到 / 1 / 好 acknowledge
 * the sender's latest reminder, 完成 T12 / 办结 T12 close task T12 when
 * the sender is its lead or an owner (confirmed), and anything else waits
 * in the inbox for staff (and goes to the clerk's phone when
 * http.forward_to is set).  Full-width characters and spaces are
 * tolerated.  The HTTP server calls these with its own database
 * connection; nothing here keeps state.
 */
#ifndef DUBAN_CALLBACK_H
#define DUBAN_CALLBACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "provider/provider.h"
#include "store/store.h"

#define CALLBACK_CODE_MAX 32  /* a task code in a reply, NUL included */
#define CALLBACK_NORM_MAX 256 /* a reply longer than this (normalized) is no command */

enum callback_cmd {
	CALLBACK_OTHER,  /* anything else: the inbox */
	CALLBACK_OPTOUT, /* TD, T, 退订, N */
	CALLBACK_ACK,    /* 收到, 1, 好 */
	CALLBACK_DONE,   /* 完成 T12, 办结 T12 */
};

struct callback_reply {
	enum callback_cmd cmd;
	char code[CALLBACK_CODE_MAX]; /* CALLBACK_DONE: the task code, upper case */
};

/*
 * Normalize a reply for matching: full-width ASCII (Ｔ１２, ＴＤ) becomes
 * ASCII, every space (also U+3000, U+00A0, zero-width) is dropped, ASCII
 * letters are upper-cased and trailing punctuation (。！!.，~ ...) is cut.
 * Writes into out (outlen bytes).  Returns 0, or -1 when text is not
 * valid UTF-8 or does not fit (it is then no command).
 */
int callback_normalize(const char *text, char *out, size_t outlen);

/* Classify a reply's text (never fails: unknown text is CALLBACK_OTHER). */
void callback_parse_reply(const char *text, struct callback_reply *out);

/* The name of a command: "other", "optout", "ack", "done". */
const char *callback_cmd_name(enum callback_cmd c);

/*
 * Record delivery report d from provider pc (store_dlr_record) and log
 * what it did; an unknown reference is logged and kept.  *out tells the
 * outcome.  Returns 0, or -1 with err (database trouble: the provider
 * should send it again).
 */
int callback_dlr(struct store *st, const struct provider_conf *pc, const struct provider_dlr *d,
		 struct dlr_outcome *out, char *err, size_t errlen);

/* What a reply led to. */
struct callback_mo_result {
	int64_t inbound; /* its row in the inbox */
	bool duplicate;  /* received before (same provider id): nothing done */
	enum callback_cmd cmd;
	const char *action; /* static: optout, ack, done, inbox, ... (as stored) */
	int64_t person;     /* 0: the sender is nobody in the people list */
	int64_t task;       /* CALLBACK_DONE: the task closed (0: none) */
	int64_t message;    /* CALLBACK_ACK: the reminder acknowledged */
	int64_t reply;      /* the confirmation or forward queued (0: none) */
};

/*
 * Store reply mo from provider pc and act on it, all in one transaction:
 * the reply, its effect, any confirmation or forward, and the audit
 * event commit together or not at all.  cfg gives the signature,
 * sms.max_parts and http.forward_to.  Returns 0, or -1 with err (invalid
 * text, database trouble).
 */
int callback_mo(struct store *st, const struct duban_config *cfg, const struct provider_conf *pc,
		const struct provider_mo *mo, struct callback_mo_result *out, char *err,
		size_t errlen);

#endif
