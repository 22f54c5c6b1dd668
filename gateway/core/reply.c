/*
 * reply.c - SMS replies: what a reply says (parsing), and what duban does
 * about it.  A reply is stored and acted on in the transaction that
 * stores it, so that a crash or a provider sending the same reply twice
 * never opts someone out twice, closes a task twice or sends two
 * confirmations.  The acting is done by the actions of person.c and
 * task.c, the same the command line calls, with the sender as the actor.
 *
 * The confirmations are short fixed texts (kind 'reply'), sent at urgent
 * priority and through quiet hours, each with a dedupe key that makes it
 * go once: "reply:optout:PERSON:AT", "reply:done:TASK", "reply:fwd:INBOUND".
 */
#include "core/reply.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/phone.h"
#include "base/sms.h"
#include "base/array.h"
#include "base/utf8.h"
#include "base/clock.h"
#include "core/config.h"
#include "core/person.h"
#include "core/task.h"
#include "store/store.h"

#define REPLY_TEXT_MAX 1024

/* What every confirmation and log line calls a reply that was acted on. */
static const char by_sms[] = "by SMS reply";

static const char optout_text[] =
	"您已退订本平台的通知短信，今后不再发送通知。如需恢复，请联系镇党政办。";

const char *
reply_cmd_name(enum reply_cmd c)
{
	switch (c) {
	case REPLY_OPTOUT: return "optout";
	case REPLY_ACK: return "ack";
	case REPLY_DONE: return "done";
	default: return "other";
	}
}

/* ---- parsing a reply ------------------------------------------------------- */

static bool
is_space_cp(unsigned long c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f' ||
	       c == 0x3000 || c == 0xa0 || c == 0x200b || c == 0xfeff;
}

/* Punctuation a reply may end with: "收到。", "好！", "TD." */
static bool
is_trailing_punct(unsigned long c)
{
	static const unsigned long cjk[] = { 0x3002, 0xff61, 0x3001, 0x2026, 0xff5e, 0x301c };

	if (c < 0x80)
		return c == '.' || c == '!' || c == '?' || c == ',' || c == ';' || c == '~' ||
		       c == ':';
	for (size_t i = 0; i < ARRAY_LEN(cjk); i++)
		if (c == cjk[i])
			return true;
	return false;
}

int
reply_normalize(const char *text, char *out, size_t outlen)
{
	size_t o = 0, n = strlen(text), i = 0;
	size_t ends[REPLY_NORM_MAX]; /* where each kept character starts in out */
	unsigned long cps[REPLY_NORM_MAX];
	size_t nk = 0;

	if (outlen == 0)
		return -1;
	out[0] = '\0';
	if (!utf8_valid(text, n))
		return -1;
	while (i < n) {
		uint32_t c;
		/* never negative: the whole text was checked above */
		size_t len = (size_t)utf8_decode(text + i, n - i, &c);

		i += len;
		if (c >= 0xff01 && c <= 0xff5e) /* full-width ASCII */
			c -= 0xfee0;
		if (is_space_cp(c))
			continue;
		if (c >= 'a' && c <= 'z')
			c -= 'a' - 'A';
		if (nk == ARRAY_LEN(ends))
			return -1;
		ends[nk] = o;
		cps[nk++] = c;
		if (c < 0x80) {
			if (o + 2 > outlen)
				return -1;
			out[o++] = (char)c;
		} else {
			/* kept as it was written (already valid UTF-8) */
			if (o + len + 1 > outlen)
				return -1;
			memcpy(out + o, text + i - len, len);
			o += len;
		}
	}
	while (nk > 0 && is_trailing_punct(cps[nk - 1]))
		o = ends[--nk];
	out[o] = '\0';
	return 0;
}

static bool
code_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= REPLY_CODE_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '-' ||
		      *s == '_'))
			return false;
	return true;
}

void
reply_parse(const char *text, struct reply_command *out)
{
	static const char *const optout[] = { "TD", "T", "退订", "N" };
	static const char *const ack[] = { "收到", "1", "好" };
	static const char *const done[] = { "完成", "办结" };
	char norm[REPLY_NORM_MAX * 4];

	memset(out, 0, sizeof(*out));
	out->cmd = REPLY_OTHER;
	if (reply_normalize(text, norm, sizeof(norm)) != 0 || norm[0] == '\0')
		return;
	for (size_t i = 0; i < ARRAY_LEN(optout); i++)
		if (strcmp(norm, optout[i]) == 0) {
			out->cmd = REPLY_OPTOUT;
			return;
		}
	for (size_t i = 0; i < ARRAY_LEN(ack); i++)
		if (strcmp(norm, ack[i]) == 0) {
			out->cmd = REPLY_ACK;
			return;
		}
	for (size_t i = 0; i < ARRAY_LEN(done); i++) {
		size_t l = strlen(done[i]);
		const char *code = norm + l;

		if (strncmp(norm, done[i], l) != 0)
			continue;
		if (*code == ':' || *code == ',')
			code++;
		if (code_ok(code)) {
			out->cmd = REPLY_DONE;
			memcpy(out->code, code, strlen(code) + 1);
		}
		return;
	}
}

/* ---- acting on a reply --------------------------------------------------------- */

/* One reply being handled: everything the steps share. */
struct mo_job {
	struct duban_ctx *x;
	const struct reply_in *in;
	struct reply_result *res;
	struct person who;     /* id 0: unknown sender */
	char phone[PHONE_MAX]; /* E.164, or "" when the number is not one */
	char masked[PHONE_MAX];
	char actor[160]; /* "sms:NAME" or "sms:138****8000" for the audit log */
};

/* The store failed: its words into err; -1. */
static int
fail_store(struct mo_job *j)
{
	return action_fail(j->x, -1);
}

/*
 * Queue a reply to phone (person may be 0) with dedupe key key; an existing
 * key means it went before (*id 0).  Text too long for sms.max_parts is
 * cut, with a mark, when cut_ok; else refused.  0 or -1 (err set).
 */
static int
queue_reply(struct mo_job *j, const char *phone, int64_t person, int64_t task, const char *text,
	    const char *key, bool cut_ok, int64_t *id)
{
	static const char more[] = "…（全文见 duban inbox list）";
	const struct duban_config *cfg = j->x->cfg;
	struct message m = { 0 };
	struct sms_info info;
	char body[REPLY_TEXT_MAX + sizeof(more)];
	size_t n = strlen(text);
	int rc;

	*id = 0;
	if (n >= REPLY_TEXT_MAX && !cut_ok) {
		snprintf(j->x->err, sizeof(j->x->err), "reply text too long");
		return -1;
	}
	snprintf(body, sizeof(body), "%s", text);
	for (;;) {
		if (sms_measure(body, cfg->signature, &info, NULL, 0) != 0) {
			snprintf(j->x->err, sizeof(j->x->err), "reply text is not valid UTF-8");
			return -1;
		}
		if (info.parts <= cfg->max_parts)
			break;
		if (!cut_ok || n < 8) {
			snprintf(j->x->err, sizeof(j->x->err),
				 "reply needs %u SMS parts (sms.max_parts %u)", info.parts,
				 cfg->max_parts);
			return -1;
		}
		/* Cut a sixth at a character boundary and mark the cut. */
		n -= n / 6;
		while (n > 0 && ((unsigned char)text[n] & 0xc0) == 0x80)
			n--;
		snprintf(body, sizeof(body), "%.*s%s", (int)n, text, more);
	}
	m.person = person;
	m.phone = (char *)phone;
	m.body = body;
	m.encoding = (char *)sms_encoding_name(info.encoding);
	m.parts = (int)info.parts;
	m.kind = "reply";
	m.task = task;
	m.dedupe_key = (char *)key;
	m.priority = PRIO_URGENT;
	rc = store_msg_add(j->x->st, &m, id);
	if (rc == STORE_EXISTS) {
		*id = 0;
		return 0;
	}
	return rc == STORE_OK ? 0 : fail_store(j);
}

static int
do_optout(struct mo_job *j)
{
	char key[96];
	bool changed;

	if (j->who.id == 0) {
		j->res->action = "optout-unknown";
		return 0;
	}
	if (person_set_optout(j->x, &j->who, true, by_sms, &changed) != ACTION_OK)
		return -1;
	if (!changed) {
		/* Opted out before: the confirmation went then. */
		j->res->action = "optout-again";
		return 0;
	}
	snprintf(key, sizeof(key), "reply:optout:%" PRId64 ":%" PRId64, j->who.id,
		 j->who.opted_out_at);
	if (queue_reply(j, j->phone, j->who.id, 0, optout_text, key, false, &j->res->reply) != 0)
		return -1;
	j->res->action = "optout";
	log_info("reply from %s: opted out of notices", j->masked);
	return 0;
}

static int
do_ack(struct mo_job *j)
{
	int rc;

	if (j->who.id == 0) {
		j->res->action = "ack-unknown";
		return 0;
	}
	rc = task_ack_reminder(j->x, j->who.id, by_sms, &j->res->message, &j->res->task);
	if (rc == ACTION_NOTFOUND) {
		j->res->action = "ack-none";
		return 0;
	}
	if (rc != ACTION_OK)
		return -1;
	j->res->action = "ack";
	return 0;
}

/* Confirm that t was marked done by the sender. */
static int
confirm_done(struct mo_job *j, const struct task *t)
{
	char text[512], key[64];

	snprintf(text, sizeof(text), "已收到：%s「%s」已标记为办结，相关提醒停止。", t->code,
		 t->title);
	snprintf(key, sizeof(key), "reply:done:%" PRId64, t->id);
	if (queue_reply(j, j->phone, j->who.id, t->id, text, key, false, &j->res->reply) == 0)
		return 0;
	/* A long title: confirm without it. */
	snprintf(text, sizeof(text), "已收到：%s 已标记为办结，相关提醒停止。", t->code);
	return queue_reply(j, j->phone, j->who.id, t->id, text, key, false, &j->res->reply);
}

static int
do_done(struct mo_job *j, const char *code)
{
	struct task t = { 0 };
	enum task_outcome oc;
	int rc, ret = 0;

	if (j->who.id == 0) {
		j->res->action = "done-unknown";
		return 0;
	}
	rc = task_transition(j->x, code, TASK_VERB_DONE, j->who.id, by_sms, &t, &oc);
	if (rc == ACTION_NOTFOUND || rc == ACTION_AMBIGUOUS) {
		j->res->action = "done-no-task";
		return 0;
	}
	if (rc == ACTION_ERROR) {
		task_clear(&t);
		return -1;
	}
	j->res->task = t.id;
	switch (oc) {
	case TASK_FORBIDDEN:
		j->res->action = "done-refused";
		log_info("reply from %s: %s is not the lead or an owner of %s; kept in the inbox",
			 j->masked, j->who.name, t.code);
		break;
	case TASK_ALREADY:
	case TASK_REFUSED:
		/* Closed already (done, or cancelled): nothing left for the sender to do. */
		j->res->action = "done-already";
		break;
	case TASK_CHANGED:
		if ((ret = confirm_done(j, &t)) != 0)
			break;
		j->res->action = "done";
		log_info("reply from %s: %s marked done by %s", j->masked, t.code, j->who.name);
		break;
	}
	task_clear(&t);
	return ret;
}

/* Anything that is no command (or a command duban could not carry out): the inbox. */
static int
to_inbox(struct mo_job *j)
{
	char text[REPLY_TEXT_MAX + 256], key[64];
	const char *from = j->phone[0] ? j->phone : j->in->from;
	const char *clerk = j->x->cfg->http.forward_to;

	if (clerk == NULL)
		return 0;
	if (j->who.id != 0)
		snprintf(text, sizeof(text), "%s(%s)回复：%.*s", j->who.name, from, REPLY_TEXT_MAX,
			 j->in->text);
	else
		snprintf(text, sizeof(text), "%s回复：%.*s", from, REPLY_TEXT_MAX, j->in->text);
	snprintf(key, sizeof(key), "reply:fwd:%" PRId64, j->res->inbound);
	return queue_reply(j, clerk, 0, 0, text, key, true, &j->res->reply);
}

static int
act(struct mo_job *j, const struct reply_command *r)
{
	int rc = 0;

	switch (r->cmd) {
	case REPLY_OPTOUT: rc = do_optout(j); break;
	case REPLY_ACK: rc = do_ack(j); break;
	case REPLY_DONE: rc = do_done(j, r->code); break;
	default: j->res->action = "inbox"; break;
	}
	if (rc != 0)
		return -1;
	/* A command duban could not carry out is for staff to see too. */
	if (strcmp(j->res->action, "inbox") == 0 || strstr(j->res->action, "-unknown") ||
	    strcmp(j->res->action, "done-refused") == 0 ||
	    strcmp(j->res->action, "done-no-task") == 0) {
		if (to_inbox(j) != 0)
			return -1;
		return store_inbound_set(j->x->st, j->res->inbound, j->res->action, "new") ==
				       STORE_OK
			       ? 0
			       : fail_store(j);
	}
	return store_inbound_set(j->x->st, j->res->inbound, j->res->action, "handled") == STORE_OK
		       ? 0
		       : fail_store(j);
}

/* Who sent it: the number normalized, the person if known.  0 or -1. */
static int
find_sender(struct mo_job *j)
{
	const char *reason;
	int rc;

	if (phone_normalize(j->in->from, j->phone, sizeof(j->phone), &reason) != 0) {
		j->phone[0] = '\0';
		snprintf(j->masked, sizeof(j->masked), "***");
		snprintf(j->actor, sizeof(j->actor), "sms:unknown");
		return 0;
	}
	phone_mask(j->phone, j->masked, sizeof(j->masked));
	rc = store_person_find(j->x->st, j->phone, &j->who);
	if (rc == STORE_NOTFOUND) {
		memset(&j->who, 0, sizeof(j->who));
		snprintf(j->actor, sizeof(j->actor), "sms:%s", j->masked);
		return 0;
	}
	if (rc != STORE_OK)
		return fail_store(j);
	snprintf(j->actor, sizeof(j->actor), "sms:%s", j->who.name);
	return 0;
}

/* Store the reply and act on it; the transaction is open. */
static int
receive(struct mo_job *j, const struct reply_command *r)
{
	const struct reply_in *in = j->in;
	struct inbound row = { 0 };
	int rc;

	if (find_sender(j) != 0)
		return ACTION_ERROR;
	j->res->person = j->who.id;
	j->x->actor = j->actor;
	row.provider = (char *)in->provider;
	row.provider_ref = in->ref && in->ref[0] ? (char *)in->ref : NULL;
	row.phone = j->phone[0] ? j->phone : (char *)in->from;
	row.person = j->who.id;
	row.text = (char *)in->text;
	row.received_at = time_now();
	rc = store_inbound_add(j->x->st, &row, &j->res->inbound);
	if (rc == STORE_EXISTS) {
		j->res->duplicate = true;
		j->res->action = "duplicate";
		return ACTION_OK;
	}
	if (rc != STORE_OK) {
		fail_store(j);
		return ACTION_ERROR;
	}
	return act(j, r) == 0 ? ACTION_OK : ACTION_ERROR;
}

int
reply_receive(struct duban_ctx *x, const struct reply_in *in, struct reply_result *out)
{
	struct mo_job j = { .x = x, .in = in, .res = out };
	struct reply_command r;
	const char *actor = x->actor;
	int rc;

	memset(out, 0, sizeof(*out));
	x->err[0] = '\0';
	if (!utf8_valid(in->text, strlen(in->text))) {
		snprintf(x->err, sizeof(x->err), "the text is not valid UTF-8");
		return ACTION_INVALID;
	}
	reply_parse(in->text, &r);
	out->cmd = r.cmd;
	if ((rc = store_begin(x->st)) != STORE_OK) {
		fail_store(&j);
		return ACTION_ERROR;
	}
	rc = receive(&j, &r);
	x->actor = actor;
	if (rc == ACTION_OK && out->duplicate) {
		store_rollback(x->st);
		log_debug("reply %s/%s from %s: received before, ignored", in->provider,
			  in->ref ? in->ref : "", j.masked);
	} else if (rc != ACTION_OK || store_commit(x->st) != STORE_OK) {
		if (x->err[0] == '\0')
			fail_store(&j);
		store_rollback(x->st);
		rc = ACTION_ERROR;
	} else {
		log_info("reply #%" PRId64 " from %s via %s: %s", out->inbound, j.masked,
			 in->provider, out->action);
	}
	person_clear(&j.who);
	return rc;
}

int
reply_mark_read(struct duban_ctx *x, const int64_t *ids, size_t n)
{
	char obj[32];
	int rc;

	if ((rc = store_begin(x->st)) != STORE_OK)
		return action_fail(x, rc);
	for (size_t i = 0; i < n; i++) {
		snprintf(obj, sizeof(obj), "reply #%" PRId64, ids[i]);
		if ((rc = store_inbound_set(x->st, ids[i], NULL, "read")) != STORE_OK ||
		    (rc = store_event(x->st, x->actor, "reply.read", obj, NULL)) != STORE_OK)
			break;
	}
	if (rc == STORE_OK && (rc = store_commit(x->st)) == STORE_OK)
		return ACTION_OK;
	return action_abort(x, rc);
}
