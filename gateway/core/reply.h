/*
 * reply.h - what an SMS reply (MO) from an official or a farmer means and
 * does (the README's table is the grammar).  TD / T / 退订 / N opt the
 * sender out of notices, 收到 / 1 / 好 acknowledge the sender's latest
 * reminder (收到T3: T3's), 完成 T12 / 办结 T12 / T12已完成 (several codes
 * too) mark tasks done when the sender is their lead or an owner, 进展 T3
 * TEXT adds a dated progress note, and anything else - or a command duban
 * cannot carry out - waits in the inbox for staff (and goes to the clerk's
 * phone when http.forward_to is set).  Every reply is answered by SMS
 * (rate-limited per number), saying what was done or why not and what to
 * send instead.  Full-width characters and spaces are tolerated.  The commands call the same actions as the command line
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
#define REPLY_CODES_MAX 8  /* task codes one reply may name */
#define REPLY_NOTE_MAX 512 /* bytes of a progress note, NUL included */

enum reply_cmd {
	REPLY_OTHER,    /* anything else: the inbox */
	REPLY_OPTOUT,   /* TD, T, 退订, N */
	REPLY_ACK,      /* 收到, 1, 好; 收到T3, T3收到 */
	REPLY_DONE,     /* 完成 T12, 办结 T12, 完成 T3 T4, T3已完成, 已完成T3 ... */
	REPLY_PROGRESS, /* 进展 T3 已完成土方 */
};

/*
 * A reply's text, understood (the grammar is the README's table).  Codes
 * are separated by spaces, 、 , ， ; ； 和 or 及, or follow each other when
 * a letter comes after a digit (T3T4 is T3 and T4).
 */
struct reply_command {
	enum reply_cmd cmd;
	char code[REPLY_CODE_MAX]; /* the first code named, upper case ("" for none) */
	char codes[REPLY_CODES_MAX][REPLY_CODE_MAX]; /* every code named, in order */
	size_t ncodes;
	char note[REPLY_NOTE_MAX]; /* REPLY_PROGRESS: the note as written (trimmed) */
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

/* The name of a command: "other", "optout", "ack", "done", "progress". */
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
	int64_t reply;      /* the answer to the sender queued (0: none) */
	int64_t forward;    /* the copy queued to http.forward_to (0: none) */
	bool limited;       /* no answer: the sender had too many in the last hour or day */
};

/* Answers to one number's replies: at most this many an hour, and a day. */
#define REPLY_ANSWERS_PER_HOUR 5
#define REPLY_ANSWERS_PER_DAY 20

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
 * The n replies of in (a provider's array push) stored and acted on in
 * one transaction: all of them, or none.  out has n entries, filled when
 * ACTION_OK; a reply received before (same provider id) is a duplicate
 * and changes nothing, so the same array pushed again is harmless.  One
 * text that is not valid UTF-8 is ACTION_INVALID before anything is
 * written; a failure of reply i is ACTION_ERROR with x->err starting
 * "reply I of N: " (when n > 1), everything rolled back.
 */
int reply_receive_many(struct duban_ctx *x, const struct reply_in *in, size_t n,
		       struct reply_result *out);

/*
 * Mark the n replies ids as read - dealt with by staff, out of the inbox
 * - all or none, with the audit event "reply.read" for each.  An id that
 * is no reply is ACTION_NOTFOUND.
 */
int reply_mark_read(struct duban_ctx *x, const int64_t *ids, size_t n);

#endif
