/*
 * callback.c - acting on what providers report: delivery reports are
 * recorded and applied by the store (idempotent, early ones kept until
 * the send is recorded), and replies are parsed into a command and acted
 * on in the same transaction that stores them, so that a crash or a
 * provider sending the same reply twice never opts someone out twice,
 * closes a task twice or sends two confirmations.
 *
 * The confirmations are short fixed texts (kind 'reply'), sent at urgent
 * priority and through quiet hours, each with a dedupe key that makes it
 * go once: "reply:optout:PERSON:AT", "reply:done:TASK", "reply:fwd:INBOUND".
 */
#include "server/callback.h"

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

#define REPLY_TEXT_MAX 1024

static const char optout_text[] =
	"您已退订本平台的通知短信，今后不再发送通知。如需恢复，请联系镇党政办。";

const char *
callback_cmd_name(enum callback_cmd c)
{
	switch (c) {
	case CALLBACK_OPTOUT: return "optout";
	case CALLBACK_ACK: return "ack";
	case CALLBACK_DONE: return "done";
	default: return "other";
	}
}

/* ---- parsing a reply ------------------------------------------------------- */

/* Decode one UTF-8 sequence of valid text at s; *len gets its length. */
static unsigned long
utf8_next(const unsigned char *s, size_t *len)
{
	if (s[0] < 0x80) {
		*len = 1;
		return s[0];
	}
	if (s[0] < 0xe0) {
		*len = 2;
		return ((unsigned long)(s[0] & 0x1f) << 6) | (s[1] & 0x3f);
	}
	if (s[0] < 0xf0) {
		*len = 3;
		return ((unsigned long)(s[0] & 0x0f) << 12) | ((unsigned long)(s[1] & 0x3f) << 6) |
		       (s[2] & 0x3f);
	}
	*len = 4;
	return ((unsigned long)(s[0] & 0x07) << 18) | ((unsigned long)(s[1] & 0x3f) << 12) |
	       ((unsigned long)(s[2] & 0x3f) << 6) | (s[3] & 0x3f);
}

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
callback_normalize(const char *text, char *out, size_t outlen)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t o = 0, n = strlen(text), i = 0;
	size_t ends[CALLBACK_NORM_MAX]; /* where each kept character starts in out */
	unsigned long cps[CALLBACK_NORM_MAX];
	size_t nk = 0;

	if (outlen == 0)
		return -1;
	out[0] = '\0';
	if (!utf8_valid(text, n))
		return -1;
	while (i < n) {
		size_t len;
		unsigned long c = utf8_next(p + i, &len);

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
			memcpy(out + o, p + i - len, len);
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

	if (n == 0 || n >= CALLBACK_CODE_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '-' ||
		      *s == '_'))
			return false;
	return true;
}

void
callback_parse_reply(const char *text, struct callback_reply *out)
{
	static const char *const optout[] = { "TD", "T", "退订", "N" };
	static const char *const ack[] = { "收到", "1", "好" };
	static const char *const done[] = { "完成", "办结" };
	char norm[CALLBACK_NORM_MAX * 4];

	memset(out, 0, sizeof(*out));
	out->cmd = CALLBACK_OTHER;
	if (callback_normalize(text, norm, sizeof(norm)) != 0 || norm[0] == '\0')
		return;
	for (size_t i = 0; i < ARRAY_LEN(optout); i++)
		if (strcmp(norm, optout[i]) == 0) {
			out->cmd = CALLBACK_OPTOUT;
			return;
		}
	for (size_t i = 0; i < ARRAY_LEN(ack); i++)
		if (strcmp(norm, ack[i]) == 0) {
			out->cmd = CALLBACK_ACK;
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
			out->cmd = CALLBACK_DONE;
			memcpy(out->code, code, strlen(code) + 1);
		}
		return;
	}
}

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

/* One MO being handled: everything the steps share. */
struct mo_job {
	struct store *st;
	const struct duban_config *cfg;
	const struct provider_conf *pc;
	const struct provider_mo *mo;
	struct callback_mo_result *res;
	struct person who;     /* id 0: unknown sender */
	char phone[PHONE_MAX]; /* E.164, or "" when the number is not one */
	char masked[PHONE_MAX];
	char actor[160]; /* "sms:NAME" or "sms:138****8000" for the audit log */
	char *err;
	size_t errlen;
};

static int
fail_store(struct mo_job *j)
{
	snprintf(j->err, j->errlen, "%s", store_errmsg(j->st));
	return -1;
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
	struct message m = { 0 };
	struct sms_info info;
	char body[REPLY_TEXT_MAX + sizeof(more)];
	size_t n = strlen(text);
	int rc;

	*id = 0;
	if (n >= REPLY_TEXT_MAX && !cut_ok) {
		snprintf(j->err, j->errlen, "reply text too long");
		return -1;
	}
	snprintf(body, sizeof(body), "%s", text);
	for (;;) {
		if (sms_measure(body, j->cfg->signature, &info, NULL, 0) != 0) {
			snprintf(j->err, j->errlen, "reply text is not valid UTF-8");
			return -1;
		}
		if (info.parts <= j->cfg->max_parts)
			break;
		if (!cut_ok || n < 8) {
			snprintf(j->err, j->errlen, "reply needs %u SMS parts (sms.max_parts %u)",
				 info.parts, j->cfg->max_parts);
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
	rc = store_msg_add(j->st, &m, id);
	if (rc == STORE_EXISTS) {
		*id = 0;
		return 0;
	}
	return rc == STORE_OK ? 0 : fail_store(j);
}

static int
event(struct mo_job *j, const char *action, const char *object, const char *detail)
{
	return store_event(j->st, j->actor, action, object, detail) == STORE_OK ? 0 : fail_store(j);
}

static int
do_optout(struct mo_job *j)
{
	char key[96], obj[32];
	int64_t at = time_now();

	if (j->who.id == 0) {
		j->res->action = "optout-unknown";
		return 0;
	}
	snprintf(obj, sizeof(obj), "#%" PRId64, j->who.id);
	if (j->who.opted_out_at != 0) {
		/* Opted out before: the confirmation went then. */
		j->res->action = "optout-again";
		return 0;
	}
	if (store_person_set_optout(j->st, j->who.id, at) != STORE_OK)
		return fail_store(j);
	snprintf(key, sizeof(key), "reply:optout:%" PRId64 ":%" PRId64, j->who.id, at);
	if (queue_reply(j, j->phone, j->who.id, 0, optout_text, key, false, &j->res->reply) != 0)
		return -1;
	j->res->action = "optout";
	log_info("reply from %s: opted out of notices", j->masked);
	return event(j, "person.optout", obj, "by SMS reply");
}

static int
do_ack(struct mo_job *j)
{
	char obj[32];
	int64_t task;
	int rc;

	if (j->who.id == 0) {
		j->res->action = "ack-unknown";
		return 0;
	}
	rc = store_ack_latest(j->st, j->who.id, time_now(), &j->res->message, &task);
	if (rc == STORE_NOTFOUND) {
		j->res->action = "ack-none";
		return 0;
	}
	if (rc != STORE_OK)
		return fail_store(j);
	j->res->action = "ack";
	j->res->task = task;
	snprintf(obj, sizeof(obj), "#%" PRId64, j->res->message);
	return event(j, "message.ack", obj, "by SMS reply");
}

static int
do_done(struct mo_job *j, const char *code)
{
	struct task t = { 0 };
	char text[512], key[64];
	bool yes = false;
	int rc, ret = -1;

	if (j->who.id == 0) {
		j->res->action = "done-unknown";
		return 0;
	}
	rc = store_task_find(j->st, code, &t);
	if (rc == STORE_NOTFOUND || rc == STORE_AMBIGUOUS) {
		j->res->action = "done-no-task";
		return 0;
	}
	if (rc != STORE_OK)
		return fail_store(j);
	if (store_task_responsible(j->st, t.id, j->who.id, &yes) != STORE_OK) {
		ret = fail_store(j);
		goto out;
	}
	j->res->task = t.id;
	if (!yes) {
		j->res->action = "done-refused";
		log_info("reply from %s: %s is not the lead or an owner of %s; kept in the inbox",
			 j->masked, j->who.name, t.code);
		ret = 0;
		goto out;
	}
	if (strcmp(t.status, "open") != 0) {
		j->res->action = "done-already";
		ret = 0;
		goto out;
	}
	if (store_task_set_status(j->st, t.id, "done", time_now(), j->who.id) != STORE_OK) {
		ret = fail_store(j);
		goto out;
	}
	snprintf(text, sizeof(text), "已收到：%s「%s」已标记为办结，相关提醒停止。", t.code,
		 t.title);
	snprintf(key, sizeof(key), "reply:done:%" PRId64, t.id);
	if (queue_reply(j, j->phone, j->who.id, t.id, text, key, false, &j->res->reply) != 0) {
		/* A long title: confirm without it. */
		snprintf(text, sizeof(text), "已收到：%s 已标记为办结，相关提醒停止。", t.code);
		if (queue_reply(j, j->phone, j->who.id, t.id, text, key, false, &j->res->reply) !=
		    0)
			goto out;
	}
	j->res->action = "done";
	log_info("reply from %s: %s marked done by %s", j->masked, t.code, j->who.name);
	ret = event(j, "task.done", t.code, "by SMS reply");
out:
	task_clear(&t);
	return ret;
}

/* Anything that is no command (or a command duban could not carry out): the inbox. */
static int
to_inbox(struct mo_job *j)
{
	char text[REPLY_TEXT_MAX + 256], key[64];
	const char *from = j->phone[0] ? j->phone : j->mo->from;

	if (j->cfg->http.forward_to == NULL)
		return 0;
	if (j->who.id != 0)
		snprintf(text, sizeof(text), "%s(%s)回复：%.*s", j->who.name, from, REPLY_TEXT_MAX,
			 j->mo->text);
	else
		snprintf(text, sizeof(text), "%s回复：%.*s", from, REPLY_TEXT_MAX, j->mo->text);
	snprintf(key, sizeof(key), "reply:fwd:%" PRId64, j->res->inbound);
	return queue_reply(j, j->cfg->http.forward_to, 0, 0, text, key, true, &j->res->reply);
}

static int
act(struct mo_job *j, const struct callback_reply *r)
{
	int rc = 0;

	switch (r->cmd) {
	case CALLBACK_OPTOUT: rc = do_optout(j); break;
	case CALLBACK_ACK: rc = do_ack(j); break;
	case CALLBACK_DONE: rc = do_done(j, r->code); break;
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
		return store_inbound_set(j->st, j->res->inbound, j->res->action, "new") == STORE_OK
			       ? 0
			       : fail_store(j);
	}
	return store_inbound_set(j->st, j->res->inbound, j->res->action, "handled") == STORE_OK
		       ? 0
		       : fail_store(j);
}

/* Who sent it: the number normalized, the person if known.  0 or -1. */
static int
find_sender(struct mo_job *j)
{
	const char *reason;
	int rc;

	if (phone_normalize(j->mo->from, j->phone, sizeof(j->phone), &reason) != 0) {
		j->phone[0] = '\0';
		snprintf(j->masked, sizeof(j->masked), "***");
		snprintf(j->actor, sizeof(j->actor), "sms:unknown");
		return 0;
	}
	phone_mask(j->phone, j->masked, sizeof(j->masked));
	rc = store_person_find(j->st, j->phone, &j->who);
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

int
callback_mo(struct store *st, const struct duban_config *cfg, const struct provider_conf *pc,
	    const struct provider_mo *mo, struct callback_mo_result *out, char *err, size_t errlen)
{
	struct mo_job j = {
		.st = st, .cfg = cfg, .pc = pc, .mo = mo, .res = out, .err = err, .errlen = errlen
	};
	struct callback_reply r;
	struct inbound in = { 0 };
	int rc;

	memset(out, 0, sizeof(*out));
	if (errlen > 0)
		err[0] = '\0';
	if (!utf8_valid(mo->text, strlen(mo->text))) {
		snprintf(err, errlen, "the text is not valid UTF-8");
		return -1;
	}
	callback_parse_reply(mo->text, &r);
	out->cmd = r.cmd;
	if (store_begin(st) != STORE_OK)
		return fail_store(&j);
	if (find_sender(&j) != 0)
		goto fail;
	out->person = j.who.id;
	in.provider = pc->name;
	in.provider_ref = mo->ref[0] ? (char *)mo->ref : NULL;
	in.phone = j.phone[0] ? j.phone : (char *)mo->from;
	in.person = j.who.id;
	in.text = (char *)mo->text;
	in.received_at = time_now();
	rc = store_inbound_add(st, &in, &out->inbound);
	if (rc == STORE_EXISTS) {
		out->duplicate = true;
		out->action = "duplicate";
		store_rollback(st);
		person_clear(&j.who);
		log_debug("reply %s/%s from %s: received before, ignored", pc->name, mo->ref,
			  j.masked);
		return 0;
	}
	if (rc != STORE_OK) {
		fail_store(&j);
		goto fail;
	}
	if (act(&j, &r) != 0 || store_commit(st) != STORE_OK) {
		if (err[0] == '\0')
			fail_store(&j);
		goto fail;
	}
	log_info("reply #%" PRId64 " from %s via %s: %s", out->inbound, j.masked, pc->name,
		 out->action);
	person_clear(&j.who);
	return 0;
fail:
	store_rollback(st);
	person_clear(&j.who);
	return -1;
}
