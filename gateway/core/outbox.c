/*
 * outbox.c - the actions of a clerk or another system on the outbox:
 * queuing a manual message (checked as the phone will count it, linked to
 * the person who has the number, idempotent by the client's reference),
 * a file of them all or nothing, and queuing again or cancelling one
 * message.  Each writes its rows and its audit event in one transaction;
 * the SQL is store_message.c's.
 */
#include "core/outbox.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/sms.h"
#include "core/config.h"
#include "core/route.h"
#include "core/sched.h"
#include "base/i18n.h"
#include "core/tmpl.h"
#include "base/diag.h"
#include "base/buf.h"
#include "base/str.h"
#include "base/clock.h"
#include "base/i18n.h"
#include "base/zone.h"

#define LINE_MAX_BYTES 4096 /* one line of a file of messages */
#define WHY_MAX 400

/*
 * Check a manual message and fill m (kind manual, pointing at phone and
 * text: nothing owned): raw normalized into phone (PHONE_MAX bytes), the
 * text measured with the signature against sms.max_parts, linked to the
 * person who has the number, refused for someone who opted out unless
 * urgent.  Returns ACTION_OK, or a code with why (whylen bytes) and
 * *fault (text faults are the template's when from_template).  Reads only.
 */
static int
prepare(struct duban_ctx *x, const char *raw, const char *text, bool urgent, bool from_template,
	struct message *m, char *phone, char *why, size_t whylen, enum outbox_input *fault)
{
	enum outbox_input text_fault = from_template ? OUTBOX_IN_TEMPLATE : OUTBOX_IN_TEXT;
	struct sms_info info;
	struct person p = { 0 };
	const char *reason;
	char err[200];
	int rc;

	memset(m, 0, sizeof(*m));
	if (phone_normalize(raw, phone, PHONE_MAX, &reason) != 0) {
		snprintf(why, whylen, "\"%s\": %s", raw, reason);
		*fault = OUTBOX_IN_TO;
		return ACTION_INVALID;
	}
	*fault = text_fault;
	if (*text == '\0') {
		snprintf(why, whylen, "the text is empty");
		return ACTION_INVALID;
	}
	if (sms_measure(text, x->cfg->signature, &info, err, sizeof(err)) != 0) {
		snprintf(why, whylen, "the text: %s", err);
		return ACTION_INVALID;
	}
	if (info.parts > x->cfg->max_parts) {
		snprintf(why, whylen,
			 "the text needs %u SMS parts (%zu %s units with the signature); "
			 "at most %u are allowed (sms.max_parts)",
			 info.parts, info.units, sms_encoding_name(info.encoding), x->cfg->max_parts);
		return ACTION_INVALID;
	}
	*fault = OUTBOX_IN_NONE;
	rc = store_person_find(x->st, phone, &p);
	if (rc == STORE_OK) {
		m->person = p.id;
		if (p.opted_out_at != 0 && !urgent) {
			snprintf(why, whylen, "%s opted out of messages (send with --urgent if it must go)",
				 p.name);
			*fault = OUTBOX_IN_TO;
			rc = ACTION_INVALID;
			goto out;
		}
	} else if (rc != STORE_NOTFOUND) {
		snprintf(why, whylen, "%s", store_errmsg(x->st));
		goto out;
	}
	m->phone = phone;
	m->body = (char *)text;
	m->encoding = (char *)sms_encoding_name(info.encoding);
	m->parts = (int)info.parts;
	m->kind = "manual";
	m->priority = urgent ? PRIO_URGENT : PRIO_MANUAL;
	m->urgent = urgent;
	rc = ACTION_OK;
out:
	person_clear(&p);
	return rc;
}

/* How errors name a manual message to raw. */
static void
message_what(const char *raw, char *out, size_t outlen)
{
	char phone[PHONE_MAX], masked[PHONE_MAX];
	const char *reason;

	if (phone_normalize(raw, phone, sizeof(phone), &reason) == 0)
		snprintf(out, outlen, _("the message to %s"),
			 phone_mask(phone, masked, sizeof(masked)));
	else
		snprintf(out, outlen, "%s", _("the message"));
}

/*
 * Route a message of template t (NULL: the free text) to the providers
 * able to carry it: its params and the first provider's text into ro.
 * mv has its values (NULL: a free text).  ACTION_OK, or ACTION_INVALID
 * with x->err and *fault.
 */
static int
route_msg(struct duban_ctx *x, const struct outbox_req *rq, const struct tmpl *t,
	  const struct msg_vars *mv, const char *text, struct route_out *ro,
	  enum outbox_input *fault)
{
	struct msg_vars none = { .signature = x->cfg->signature, .now = time_now() };
	struct route *r = NULL;
	char what[64];
	int rc = ACTION_OK;

	memset(ro, 0, sizeof(*ro));
	message_what(rq->to, what, sizeof(what));
	if (route_open(x->cfg, t, &r, x->err, sizeof(x->err)) != 0 ||
	    route_render(r, mv ? mv : &none, text, x->cfg->max_parts, what, ro, x->err,
			 sizeof(x->err)) != 0) {
		*fault = t ? OUTBOX_IN_TEMPLATE : OUTBOX_IN_TEXT;
		rc = ACTION_INVALID;
	}
	route_free(r);
	return rc;
}

/* The text of rq's template, rendered for the person who has the number
 * (if anybody), and routed (route_msg) into ro. */
static int
render(struct duban_ctx *x, const struct outbox_req *rq, struct buf *text,
       struct route_out *ro, enum outbox_input *fault)
{
	const char *name = rq->template_name;
	const struct tmpl *t = x->tmpls ? tmpl_set_get(x->tmpls, name) : NULL;
	struct person p = { 0 };
	struct msg_vars mv;
	char phone[PHONE_MAX];
	const char *reason;
	bool have_person = false;
	int rc;

	*fault = OUTBOX_IN_TEMPLATE;
	if (t == NULL) {
		snprintf(x->err, sizeof(x->err), "no template \"%s\" in %s", name,
			 x->cfg->templates_dir);
		return ACTION_NOTFOUND;
	}
	if (tmpl_uses_prefix(t, "task.")) {
		snprintf(x->err, sizeof(x->err),
			 "template \"%s\" needs a task: it cannot be sent alone", name);
		return ACTION_INVALID;
	}
	if (phone_normalize(rq->to, phone, sizeof(phone), &reason) == 0) {
		rc = store_person_find(x->st, phone, &p);
		if (rc == STORE_OK) {
			have_person = true;
		} else if (rc != STORE_NOTFOUND) {
			*fault = OUTBOX_IN_NONE;
			return action_abort(x, rc);
		}
	}
	mv = (struct msg_vars){ .person = have_person ? &p : NULL,
				.signature = x->cfg->signature,
				.now = time_now(),
				.vars = rq->vars,
				.nvars = rq->nvars };
	rc = tmpl_render(t, msg_vars_lookup, &mv, text, x->err, sizeof(x->err));
	if (rc != 0) {
		person_clear(&p);
		if (tmpl_uses_prefix(t, "var."))
			*fault = OUTBOX_IN_VARS;
		return ACTION_INVALID;
	}
	rc = route_msg(x, rq, t, &mv, text->data, ro, fault);
	person_clear(&p);
	if (rc != ACTION_OK)
		return rc;
	*fault = OUTBOX_IN_NONE;
	return ACTION_OK;
}

/*
 * A request whose ref names message out->id already: the same request
 * again (number phone - "" when it did not read as one - and text, or
 * template) is a duplicate, ACTION_OK; any other is ACTION_EXISTS naming
 * the first message.  Reads only.
 */
static int
ref_again(struct duban_ctx *x, const char *ref, const char *phone, const char *text,
	  const char *template_name, struct outbox_queued *out)
{
	struct message m = { 0 };
	const char *what = NULL;
	int rc;

	if ((rc = store_msg_get(x->st, out->id, &m)) != STORE_OK)
		return action_fail(x, rc);
	if (strcmp(m.phone, phone) != 0)
		what = "another number";
	else if (template_name ? m.template_name == NULL || strcmp(m.template_name, template_name) != 0
			       : m.template_name != NULL || strcmp(m.body, text) != 0)
		what = template_name ? "another template" : "another text";
	message_clear(&m);
	if (what == NULL) {
		out->duplicate = true;
		return ACTION_OK;
	}
	out->fault = OUTBOX_IN_REF;
	snprintf(x->err, sizeof(x->err),
		 "ref \"%s\" is message #%" PRId64 ", which went to %s: "
		 "a ref names one message (use a new ref for a new message)",
		 ref, out->id, what);
	return ACTION_EXISTS;
}

/* Queue m with its audit event; a ref queued meanwhile is looked at as outbox_send does. */
static int
queue_one(struct duban_ctx *x, const struct message *m, struct outbox_queued *out)
{
	char obj[32], masked[PHONE_MAX];
	int rc;

	if ((rc = store_begin(x->st)) != STORE_OK)
		return action_abort(x, rc);
	rc = store_msg_add(x->st, m, &out->id);
	if (rc == STORE_EXISTS && m->ref) {
		store_rollback(x->st);
		return ref_again(x, m->ref, m->phone, m->body, m->template_name, out);
	}
	if (rc != STORE_OK)
		return action_abort(x, rc);
	snprintf(obj, sizeof(obj), "#%" PRId64, out->id);
	phone_mask(m->phone, masked, sizeof(masked));
	return action_commit(x, "message.send", obj, masked);
}

int
outbox_send(struct duban_ctx *x, const struct outbox_req *rq, struct outbox_queued *out)
{
	struct message m;
	struct buf rendered;
	struct route_out ro = { 0 };
	const char *text = rq->text;
	int rc;

	memset(out, 0, sizeof(*out));
	if (rq->ref) {
		rc = store_msg_find_ref(x->st, rq->ref, &out->id);
		if (rc == STORE_OK) {
			char phone[PHONE_MAX] = "";
			const char *reason;
			if (phone_normalize(rq->to, phone, sizeof(phone), &reason) != 0)
				phone[0] = '\0';
			return ref_again(x, rq->ref, phone, rq->text ? rq->text : "",
					 rq->text ? NULL : rq->template_name, out);
		}
		if (rc != STORE_NOTFOUND)
			return action_abort(x, rc);
	}
	/* The names are the API's fields: the command line always has a text. */
	if ((rq->text == NULL) == (rq->template_name == NULL)) {
		out->fault = rq->text ? OUTBOX_IN_TEMPLATE : OUTBOX_IN_TEXT;
		snprintf(x->err, sizeof(x->err), "give \"text\" or \"template\" (one of them)");
		return ACTION_INVALID;
	}
	if (rq->nvars && rq->text) {
		out->fault = OUTBOX_IN_VARS;
		snprintf(x->err, sizeof(x->err), "\"vars\" goes with \"template\", not with \"text\"");
		return ACTION_INVALID;
	}
	buf_init(&rendered, OUTBOX_TEXT_MAX);
	if (rq->template_name) {
		if ((rc = render(x, rq, &rendered, &ro, &out->fault)) != ACTION_OK)
			goto out;
		text = rendered.data ? rendered.data : "";
	}
	rc = prepare(x, rq->to, text, rq->urgent, rq->template_name != NULL, &m, out->phone, x->err,
		     sizeof(x->err), &out->fault);
	if (rc != ACTION_OK)
		goto out;
	if (!rq->template_name && (rc = route_msg(x, rq, NULL, NULL, text, &ro, &out->fault)) !=
					  ACTION_OK)
		goto out;
	/* What the first provider able to carry it sends, and the values of all. */
	m.body = ro.body;
	m.encoding = (char *)sms_encoding_name(ro.info.encoding);
	m.parts = (int)ro.info.parts;
	m.params = ro.params;
	m.ref = (char *)rq->ref;
	m.template_name = (char *)rq->template_name;
	out->parts = m.parts;
	out->encoding = m.encoding;
	rc = queue_one(x, &m, out);
out:
	route_out_clear(&ro);
	buf_free(&rendered);
	return rc;
}

/* ---- a file of messages -------------------------------------------------------- */

/* Split "PHONE<TAB>TEXT\n" in place; false for a line to skip. */
static bool
split_line(char *line, char **phone, char **text)
{
	size_t n = strlen(line);
	char *tab;

	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (n == 0 || line[0] == '#')
		return false;
	tab = strchr(line, '\t');
	*phone = line;
	*text = tab ? tab + 1 : line + n;
	if (tab)
		*tab = '\0';
	return true;
}

/*
 * One pass over the file: check every line (queue false) or queue them
 * (queue true, inside the caller's transaction).  Problems go to d;
 * 0 when there was none.
 */
static int
file_pass(struct duban_ctx *x, const char *path, bool urgent, bool queue, struct diag *d,
	  struct outbox_file *out)
{
	FILE *fp = fopen(path, "r");
	char *line = NULL, *ph, *text, phone[PHONE_MAX], why[WHY_MAX];
	size_t cap = 0;
	ssize_t len;
	long lineno = 0;
	int rc = 0;

	out->count = 0;
	if (fp == NULL) {
		diag_add(d, path, 0, _("cannot open: %s"), strerror(errno));
		return -1;
	}
	while ((len = getline(&line, &cap, fp)) >= 0) {
		enum outbox_input fault;
		struct message m;
		int64_t id;

		lineno++;
		if (len > LINE_MAX_BYTES) {
			diag_add(d, path, lineno, _("line longer than %d bytes"), LINE_MAX_BYTES);
			continue;
		}
		if (lineno == 1 && strncmp(line, "\xEF\xBB\xBF", 3) == 0)
			memmove(line, line + 3, (size_t)len - 2);
		if (!split_line(line, &ph, &text))
			continue;
		if (prepare(x, ph, text, urgent, false, &m, phone, why, sizeof(why), &fault) !=
		    ACTION_OK) {
			diag_add(d, path, lineno, "%s", why);
			continue;
		}
		if (queue) {
			if (store_msg_add(x->st, &m, &id) != STORE_OK) {
				diag_add(d, path, lineno, "%s", store_errmsg(x->st));
				rc = -1;
				break;
			}
			if (out->count == 0)
				out->first = id;
			out->last = id;
		}
		out->count++;
	}
	if (ferror(fp))
		diag_add(d, path, lineno, _("read error: %s"), strerror(errno));
	free(line);
	fclose(fp);
	return rc == 0 && d->n == 0 ? 0 : -1;
}

int
outbox_send_file(struct duban_ctx *x, const char *path, bool urgent, struct diag *d,
		 struct outbox_file *out)
{
	char detail[64], why[ACTION_ERR_MAX / 2];
	struct route *r = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (route_open(x->cfg, NULL, &r, why, sizeof(why)) != 0) {
		snprintf(x->err, sizeof(x->err), _("%s: nothing queued: %s"), path, why);
		return ACTION_INVALID;
	}
	route_free(r); /* a free text: body is what every provider able to carry it sends */
	if (file_pass(x, path, urgent, false, d, out) != 0) {
		memset(out, 0, sizeof(*out));
		snprintf(x->err, sizeof(x->err), "%s: %zu problem%s; nothing queued", path, d->n,
			 d->n == 1 ? "" : "s");
		return ACTION_INVALID;
	}
	if ((rc = store_begin(x->st)) != STORE_OK)
		goto fail;
	if (file_pass(x, path, urgent, true, d, out) != 0) {
		store_rollback(x->st);
		memset(out, 0, sizeof(*out));
		snprintf(x->err, sizeof(x->err), "%s: nothing queued", path);
		return ACTION_ERROR;
	}
	snprintf(detail, sizeof(detail), "%zu messages", out->count);
	if ((rc = store_event(x->st, x->actor, "message.send-file", path, detail)) != STORE_OK ||
	    (rc = store_commit(x->st)) != STORE_OK)
		goto fail;
	return ACTION_OK;
fail:
	snprintf(x->err, sizeof(x->err), "%s: nothing queued: %s", path, store_errmsg(x->st));
	store_rollback(x->st);
	memset(out, 0, sizeof(*out));
	return rc;
}

/* ---- one message again, or never ------------------------------------------------- */

/*
 * The end of a change to message id, its status before in old: its audit
 * event (action, detail) and the commit, then old into was (when not
 * NULL).  On failure rolls back with the store's words.
 */
static int
message_changed(struct duban_ctx *x, int64_t id, const char *action, const char *detail,
		const char *old, char *was, size_t waslen)
{
	char obj[32];
	int rc;

	snprintf(obj, sizeof(obj), "#%" PRId64, id);
	if ((rc = action_commit(x, action, obj, detail)) != ACTION_OK)
		return rc;
	if (was)
		snprintf(was, waslen, "%s", old);
	return ACTION_OK;
}

/*
 * A reminder or escalation says how things stood when its step came
 * ("还有3天"): sent on another day it would say something false ("还有-1天").
 * ACTION_INVALID when message id is one whose day has passed; the
 * scheduler queues what is true now.
 */
static int
check_stale_reminder(struct duban_ctx *x, int64_t id)
{
	struct message m = { 0 };
	struct tm then, now;
	int rc = store_msg_get(x->st, id, &m);

	if (rc != STORE_OK) /* store_msg_retry says what is wrong */
		return ACTION_OK;
	rc = ACTION_OK;
	if (m.task && (strcmp(m.kind, "reminder") == 0 || strcmp(m.kind, "escalation") == 0)) {
		time_local(m.created_at, &then);
		time_local(time_now(), &now);
		if (then.tm_year != now.tm_year || then.tm_yday != now.tm_yday) {
			char at[24];
			rc = action_refuse(x, ACTION_INVALID,
					   _("message #%lld is the %s of %s for %s (step %s): sent now it "
					     "would say what was true then; \"duban tick\" queues what is "
					     "due now, \"duban send\" sends a text of your own"),
					   (long long)m.id, C_("value", m.kind),
					   m.task_code ? m.task_code : "?",
					   time_fmt_local(m.created_at, at, sizeof(at)),
					   m.step ? m.step : "?");
		}
	}
	message_clear(&m);
	return rc;
}

int
outbox_retry(struct duban_ctx *x, int64_t id, char *was, size_t waslen)
{
	char old[16] = "";
	int rc;

	if ((rc = store_begin(x->st)) != STORE_OK)
		return action_abort(x, rc);
	if ((rc = check_stale_reminder(x, id)) != ACTION_OK) {
		store_rollback(x->st);
		return rc;
	}
	if ((rc = store_msg_retry(x->st, id, time_now(), old, sizeof(old))) != STORE_OK)
		return action_abort(x, rc);
	return message_changed(x, id, "message.retry", old, old, was, waslen);
}

int
outbox_cancel(struct duban_ctx *x, int64_t id, char *was, size_t waslen)
{
	char old[16] = "", why[96];
	int rc;

	snprintf(why, sizeof(why), "cancelled by %s", x->actor);
	if ((rc = store_begin(x->st)) != STORE_OK ||
	    (rc = store_msg_cancel(x->st, id, time_now(), why, old, sizeof(old))) != STORE_OK)
		return action_abort(x, rc);
	return message_changed(x, id, "message.cancel", NULL, old, was, waslen);
}

int
outbox_parse_id(const char *s, int64_t *id)
{
	long v;

	if (*s == '#')
		s++;
	if (parse_long(s, 1, INT32_MAX, &v) != 0)
		return -1;
	*id = v;
	return 0;
}
