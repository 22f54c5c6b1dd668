/*
 * outbox.h - what a person can do to the outbox: queue a manual message
 * (one, or a file of them), queue a message again, cancel one.  `duban
 * send`, `duban outbox retry|cancel` and POST /v1/messages call these
 * actions; each checks its rule and writes the change together with its
 * audit event in one transaction (the contract of core/ctx.h).
 */
#ifndef DUBAN_OUTBOX_H
#define DUBAN_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/phone.h"
#include "base/diag.h"
#include "core/ctx.h"

#define OUTBOX_TEXT_MAX 2048 /* bytes of a text rendered from a template */

/* The input of a request an action refused, so that a front-end can name it. */
enum outbox_input {
	OUTBOX_IN_NONE,     /* none in particular (the database failed ...) */
	OUTBOX_IN_TO,       /* the number, or its holder (opted out) */
	OUTBOX_IN_TEXT,
	OUTBOX_IN_TEMPLATE, /* the template, or the text it rendered */
	OUTBOX_IN_VARS,
	OUTBOX_IN_REF,      /* the ref names another message (out->id) */
};

/* A manual message to queue.  Nothing is owned. */
struct outbox_req {
	const char *to;            /* the number as a clerk types it: 138-0013-8000, +86 138 ... */
	const char *text;          /* the text; NULL when template_name is given */
	const char *template_name; /* a template of ctx->tmpls, rendered for the number's holder */
	char *const *vars;         /* "key=value" for {{var.key}} (templates only) */
	size_t nvars;
	bool urgent;               /* before everything else, even in quiet hours and opted out */
	const char *ref;           /* the client's reference, queued once; NULL: none */
};

/* What outbox_send queued, or which input it refused. */
struct outbox_queued {
	int64_t id;              /* the message; with duplicate, the one queued before */
	bool duplicate;          /* ref was queued before: nothing new was written */
	char phone[PHONE_MAX];   /* the number normalized (E.164); "" for a known ref */
	int parts;               /* SMS parts, with the signature */
	const char *encoding;    /* "GSM-7" or "UCS-2" (static) */
	enum outbox_input fault; /* after a refusal: what was wrong */
};

/*
 * Queue a manual message: the number normalized, linked to the person who
 * has it, refused when that person opted out unless urgent; the text (or
 * the template rendered for that person) measured with the signature and
 * refused over sms.max_parts; kind manual, priority manual or urgent.  A
 * ref already queued is not queued again, before anything else is looked
 * at: the same request again (the same number, and the same text or
 * template) is ACTION_OK with out->duplicate and the first message's id;
 * another number, text or template under that ref is ACTION_EXISTS with
 * out->fault OUTBOX_IN_REF and the first message's id - a client reusing
 * a ref by mistake learns it, instead of believing its new message
 * queued.  The row and the audit event "message.send" (object "#ID", the
 * number masked) commit together.  Returns ACTION_OK, or a negative
 * ACTION_* code with x->err and out->fault.
 */
int outbox_send(struct duban_ctx *x, const struct outbox_req *rq, struct outbox_queued *out);

/* What outbox_send_file queued. */
struct outbox_file {
	size_t count;        /* messages queued (0: the file had none) */
	int64_t first, last; /* their ids, when count > 0 */
};

/*
 * Queue a file of messages, one "PHONE<TAB>TEXT" per line (UTF-8, a BOM
 * allowed; blank lines and lines starting with # skipped), each checked
 * as outbox_send checks one.  All or nothing: every line is checked first
 * and every problem goes to d as FILE:LINE (ACTION_INVALID, nothing
 * queued); then every message and the audit event "message.send-file"
 * (object path, "N messages") commit in one transaction.  Returns
 * ACTION_OK, or a negative ACTION_* code with x->err ("FILE: ... nothing
 * queued").  The caller owns d and clears it.
 */
int outbox_send_file(struct duban_ctx *x, const char *path, bool urgent, struct diag *d,
		     struct outbox_file *out);

/*
 * Queue message id again: a failed, expired, cancelled or skipped message
 * is sent afresh (attempts from 0, no expiry), a queued one becomes due
 * now.  One already sent, delivered or being sent is refused
 * (ACTION_INVALID): it would reach the phone twice.  The change and the
 * audit event "message.retry" (detail: the status it had) commit
 * together.  was (may be NULL, >= 16 bytes) gets that status.  Returns
 * ACTION_OK, or a negative ACTION_* code with x->err.
 */
int outbox_retry(struct duban_ctx *x, int64_t id, char *was, size_t waslen);
/*
 * Cancel queued message id so that it is never sent (the reason recorded
 * names x->actor); anything but queued is refused as outbox_retry
 * refuses.  Writes the audit event "message.cancel" with it.
 */
int outbox_cancel(struct duban_ctx *x, int64_t id, char *was, size_t waslen);

/* Parse a message reference: "#12" or "12".  Returns 0 and the id, or -1. */
int outbox_parse_id(const char *s, int64_t *id);

#endif
