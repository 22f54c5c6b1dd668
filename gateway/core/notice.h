/*
 * notice.h - policy notices (政策通知): who gets one (the union of group,
 * person, organisation and kind selectors, each person once, people who
 * opted out left out and counted), what it says (a text, or a template
 * whose every variable is supplied before anything is queued), what it
 * costs (encoding, parts per message, total parts), and queuing it to
 * every recipient at bulk priority without holding the audience in memory.
 * The actions at the end (create, approve, cancel, resend) are what `duban
 * notice` and /v1/notices call.
 */
#ifndef DUBAN_NOTICE_H
#define DUBAN_NOTICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/sms.h"
#include "store/store.h"
#include "core/ctx.h"
#include "core/tmpl.h"

#define NOTICE_SELECTORS_MAX 64
#define NOTICE_VARS_MAX 32
#define NOTICE_BODY_MAX 2048

/*
 * A notice's audience as parsed selectors ("group:NAME", "person:WHO",
 * "org:NAME", "kind:KIND").  Owns its strings; free with
 * notice_audience_free.  A person is kept by id, so the audience stays
 * the same people whatever their name becomes.
 */
struct notice_audience {
	char *group[NOTICE_SELECTORS_MAX];
	size_t ngroup;
	int64_t person[NOTICE_SELECTORS_MAX];
	size_t nperson;
	char *org[NOTICE_SELECTORS_MAX];
	size_t norg;
	char *kind[NOTICE_SELECTORS_MAX];
	size_t nkind;
};

/*
 * Add one selector.  group: the group must exist; person: WHO is a phone
 * number, a name only one person has, or #ID; kind: official, farmer,
 * enterprise or other.  With nonempty, a selector that selects nobody is
 * refused (a typo sends nothing to nobody).  A selector repeated is kept
 * once.  Returns 0, or a negative STORE_* code with err naming the
 * selector: STORE_INVALID (bad form, too many), STORE_NOTFOUND,
 * STORE_AMBIGUOUS, STORE_ERROR.
 */
int notice_audience_add(struct notice_audience *a, struct store *st, const char *selector,
			bool nonempty, char *err, size_t errlen);
/*
 * The audience as text, one canonical selector per line ("person:#12"),
 * for the notice's record; parse it back with notice_audience_add per
 * line.  Returns a malloc'd string (the caller frees) or NULL.
 */
char *notice_audience_text(const struct notice_audience *a);
/* Add every line of text (as written by notice_audience_text); as notice_audience_add. */
int notice_audience_parse(struct notice_audience *a, struct store *st, const char *text,
			  char *err, size_t errlen);
/* A view of a for the store (borrowing a's strings). */
void notice_audience_view(const struct notice_audience *a, struct audience *out);
/* Free the strings, not the struct; a is empty afterwards.  NULL is fine. */
void notice_audience_free(struct notice_audience *a);

/*
 * What a notice says.  Either text (sent as written) or tmpl (rendered
 * with vars "key=value" for {{var.key}}, title for {{notice.title}} and,
 * per recipient, {{person.name}} / {{person.title}}).  Nothing is owned.
 */
struct route; /* core/route.h */

struct notice_content {
	const char *text;
	const struct tmpl *tmpl;
	/* The providers able to carry it (NULL: free text only, no provider
	 * checked); with template providers each message gets their values. */
	const struct route *route;
	int64_t id;                /* the notice, once created (0: not yet): names it in errors */
	const char *title;
	char *const *vars;
	size_t nvars;
	const char *signature;
	unsigned max_parts;
	int64_t now;
};

/*
 * Check that the content can be sent to anybody: a non-empty valid UTF-8
 * text, or a template that uses no task variables, gets every var.* it
 * uses from vars, and a title when it uses notice.title.  Returns 0, or -1
 * with err listing what is missing.
 */
int notice_check(const struct notice_content *nc, char *err, size_t errlen);
/* True if the content differs per recipient (a template, or a provider's
 * value bound to it, using person.*). */
bool notice_is_personal(const struct notice_content *nc);

/* What a notice will send and cost. */
struct notice_plan {
	int64_t recipients;          /* selected and not opted out */
	int64_t opted_out;           /* selected but left out: opted out */
	int64_t total_parts;         /* SMS parts over all recipients */
	unsigned parts_min, parts_max; /* parts per message */
	enum sms_encoding encoding;  /* of the sample */
	size_t chars;                /* of the sample, with the signature */
	bool mixed_encoding;         /* personal texts differ in encoding */
	bool personal;
	char *text;                  /* the text, or the first recipient's (malloc'd) */
	char *text_for;              /* whose the sample is (malloc'd); NULL when shared */
	char *params;                /* a shared text's values for template providers (malloc'd; NULL none) */
	const char *provider;        /* the first provider able to carry it (NULL: none configured) */
	const char *signature;       /* the signature text goes out with there (NULL: the configured one) */
};
void notice_plan_clear(struct notice_plan *p);

/*
 * Work out what sending nc to a would do: count the audience and measure
 * the text (a personal text is rendered for every recipient, streaming).
 * A message over nc->max_parts parts is refused, naming its recipient.
 * Reads only.  Returns 0, or a negative STORE_* code with err (an invalid
 * text is STORE_INVALID).
 */
int notice_plan(struct store *st, const struct notice_audience *a,
		const struct notice_content *nc, struct notice_plan *out, char *err,
		size_t errlen);

/*
 * Queue notice id to everyone a selects who has not opted out: kind
 * notice, bulk priority (PRIO_NOTICE), not before not_before, dedupe key
 * "n:ID:PERSON".  A shared text goes in one INSERT ... SELECT; a personal
 * one is rendered per person while the audience streams by.  template_name
 * (may be NULL) is recorded on each row.  Call inside a transaction (the
 * caller rolls back on error).  *queued counts the rows.  Returns 0 or a
 * negative STORE_* code with err.
 */
int notice_queue(struct store *st, int64_t id, const struct notice_audience *a,
		 const struct notice_content *nc, const struct notice_plan *plan,
		 const char *template_name, int64_t not_before, int64_t *queued, char *err,
		 size_t errlen);

/*
 * Parse a notice reference: "N12", "n12", "#12" or "12".  Returns 0 and
 * the id, or -1.
 */
int notice_parse_id(const char *s, int64_t *id);

/*
 * The status a person reads: pending, cancelled, scheduled (its send time
 * still ahead at now), queued (messages still waiting or being sent), or
 * done.  A static string.
 */
const char *notice_shown_status(const struct notice *n, const struct notice_counts *k,
				int64_t now);

/* ---- the actions: create, approve, cancel, resend ---------------------------------- */

/* The input of a request an action refused, so that a front-end can name it. */
enum notice_input {
	NOTICE_IN_NONE,     /* none in particular (the database failed ...) */
	NOTICE_IN_SELECTOR, /* one selector: malformed, unknown, or selecting nobody */
	NOTICE_IN_AUDIENCE, /* the audience as a whole: everyone in it opted out */
	NOTICE_IN_TEXT,
	NOTICE_IN_TEMPLATE,
	NOTICE_IN_VARS,
	NOTICE_IN_SEND_AT,
	NOTICE_IN_CONFIRM,  /* more than notices.confirm_over recipients, not confirmed */
};

/*
 * Going ahead with more than notices.confirm_over recipients: with yes,
 * without asking; else fn (NULL: nobody to ask, refused) is shown the
 * plan and the send time (0: now) and returns 0 to go on.
 */
struct notice_confirm {
	bool yes;
	int (*fn)(void *arg, const struct notice_plan *p, int64_t send_at);
	void *arg;
};

/* A notice to create, as a front-end parsed it.  Nothing is owned. */
struct notice_req {
	const char *const *to;     /* selectors (notice_audience_add), each selecting someone */
	size_t nto;
	const char *text;          /* the text; or NULL and template_name */
	const char *template_name; /* a template of ctx->tmpls */
	char *const *vars;         /* "key=value" for {{var.key}} */
	size_t nvars;
	const char *title;         /* NULL: the template's name, or the start of the text */
	int64_t send_at;           /* not before (UTC seconds); 0: now */
	bool dry_run;              /* check and plan only: nothing is written */
	struct notice_confirm confirm;
};

/* What an action did to a notice (or, on a dry run, would do). */
struct notice_result {
	int64_t id;              /* the notice; 0 after a dry run */
	const char *status;      /* "pending", "scheduled" or "queued" (static) */
	int64_t send_at;         /* when its messages may go */
	int64_t queued;          /* messages queued (0 while pending, or on a dry run) */
	struct notice_plan plan; /* what it sends and costs (owned: notice_result_clear) */
	enum notice_input fault; /* after a refusal: what was wrong */
};
void notice_result_clear(struct notice_result *r);

/*
 * Create a notice: resolve the audience, check the text or template, plan
 * it (notice_plan), refuse an audience that is all opted out, a send time
 * already past, or more than notices.confirm_over recipients not
 * confirmed (rq->confirm; not asked when notices.require_approval).  A
 * dry run stops there, writing nothing.  Then, in one transaction, the
 * notice (created_by ctx->actor), its messages (none while it waits as
 * pending under notices.require_approval) and the audit event
 * "notice.create".  Returns ACTION_OK with out filled (the caller clears
 * it), or a negative ACTION_* code with x->err and out->fault.
 */
int notice_create(struct duban_ctx *x, const struct notice_req *rq, struct notice_result *out);
/*
 * Approve pending notice id, ctx->actor being the approver (nobody
 * approves their own notice), and queue it to its audience as it is now,
 * with the text the creator saw (a personal template rendered again), at
 * its send time.  Over notices.confirm_over recipients c decides.  The
 * messages, the approver and the audit event "notice.approve" commit
 * together.  Returns as notice_create.
 */
int notice_approve(struct duban_ctx *x, int64_t id, const struct notice_confirm *c,
		   struct notice_result *out);

/* What notice_cancel did. */
struct notice_cancelled {
	bool already;      /* it was cancelled before: nothing changed */
	bool was_pending;  /* it waited for approval: nothing had been queued */
	int64_t cancelled; /* unsent messages cancelled */
	int64_t sent;      /* messages sent before (they stay sent) */
	int64_t sending;   /* messages being sent at this moment (they finish) */
};
/*
 * Cancel notice id: its unsent messages are cancelled, with the audit
 * event "notice.cancel", in one transaction.  Cancelling twice changes
 * nothing (out->already).  Returns ACTION_OK, or a negative ACTION_* code
 * with x->err.
 */
int notice_cancel(struct duban_ctx *x, int64_t id, struct notice_cancelled *out);
/*
 * Queue notice id again, once, to every person whose message failed and
 * who has not opted out since (store_notice_resend), with the audit event
 * "notice.resend".  A pending or cancelled notice is refused
 * (ACTION_INVALID).  *queued counts the messages, *opted_out those left
 * out.  Returns ACTION_OK, or a negative ACTION_* code with x->err.
 */
int notice_resend(struct duban_ctx *x, int64_t id, int64_t *queued, int64_t *opted_out);

#endif
