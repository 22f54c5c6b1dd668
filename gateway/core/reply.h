/*
 * reply.h - what an SMS reply (MO) from an official or a farmer means and
 * does.  TD / T / 退订 / N opt the sender out of notices (confirmed
 * once), 收到 / 1 / 好 acknowledge the sender's latest reminder, 完成 T12 /
 * 办结 T12 mark task T12 done when the sender is its lead or an owner
 * (confirmed), and anything else - or a command duban cannot carry out -
 * waits in the inbox for staff (and goes to the clerk's phone when
 * http.forward_to is set).  Full-width characters and spaces are
 * tolerated.  The commands call the same actions as the command line
 * (core/person.h, core/task.h); a reply, its effect, its confirmation and
 * the audit event commit together or not at all.
 */
#ifndef DUBAN_REPLY_H
#define DUBAN_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ctx.h"

#define REPLY_CODE_MAX 32  /* a task code in a reply, NUL included */
#define REPLY_NORM_MAX 256 /* a reply longer than this (normalized) is no command */

enum reply_cmd {
	REPLY_OTHER,  /* anything else: the inbox */
	REPLY_OPTOUT, /* TD, T, 退订, N */
	REPLY_ACK,    /* 收到, 1, 好 */
	REPLY_DONE,   /* 完成 T12, 办结 T12 */
};

/* A reply's text, understood. */
struct reply_command {
	enum reply_cmd cmd;
	char code[REPLY_CODE_MAX]; /* REPLY_DONE: the task code, upper case */
};

/*
 * Normalize a reply for matching: full-width ASCII (Ｔ１２, ＴＤ) becomes
 * ASCII, every space (also U+3000, U+00A0, zero-width) is dropped, ASCII
 * letters are upper-cased and trailing punctuation (。！!.，~ ...) is cut.
 * Writes into out (outlen bytes).  Returns 0, or -1 when text is not
 * valid UTF-8 or does not fit (it is then no command).
 */
int reply_normalize(const char *text, char *out, size_t outlen);

/* Classify a reply's text (never fails: unknown text is REPLY_OTHER). */
void reply_parse(const char *text, struct reply_command *out);

/* The name of a command: "other", "optout", "ack", "done". */
const char *reply_cmd_name(enum reply_cmd c);

/* A reply as a provider delivered it; nothing is owned. */
struct reply_in {
	const char *provider; /* the provider's name */
	const char *ref;      /* its id of the reply; NULL or "": none */
	const char *from;     /* the sender's number as the provider wrote it */
	const char *text;     /* UTF-8 */
};

/* What a reply led to. */
struct reply_result {
	int64_t inbound;    /* its row in the inbox */
	bool duplicate;     /* received before (same provider id): nothing done */
	enum reply_cmd cmd;
	const char *action; /* static: optout, ack, done, inbox, ... (as stored) */
	int64_t person;     /* 0: the sender is nobody in the people list */
	int64_t task;       /* REPLY_DONE: the task named (0: none) */
	int64_t message;    /* REPLY_ACK: the reminder acknowledged */
	int64_t reply;      /* the confirmation or forward queued (0: none) */
};

/*
 * Store reply in and act on it, all in one transaction: the reply, its
 * effect, any confirmation or forward, and the audit event.  x->cfg gives
 * the signature, sms.max_parts and http.forward_to; x->actor is not used:
 * the actor is the sender ("sms:NAME", or "sms:138****8000" for a number
 * nobody has).  Returns ACTION_OK with *out filled, or ACTION_INVALID (the
 * text is not valid UTF-8) / ACTION_ERROR with x->err; nothing is stored
 * then.
 */
int reply_receive(struct duban_ctx *x, const struct reply_in *in, struct reply_result *out);

/*
 * Mark the n replies ids as read - dealt with by staff, out of the inbox
 * - all or none, with the audit event "reply.read" for each.  An id that
 * is no reply is ACTION_NOTFOUND.
 */
int reply_mark_read(struct duban_ctx *x, const int64_t *ids, size_t n);

#endif
