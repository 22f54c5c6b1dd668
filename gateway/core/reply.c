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
#include "core/route.h"
#include "base/phone.h"
#include "base/sms.h"
#include "base/array.h"
#include "base/utf8.h"
#include "base/clock.h"
#include "core/config.h"
#include "core/person.h"
#include "core/task.h"
#include "store/store.h"
#include "store/store_reply.h"
#include "store/store_digest.h"
#include "base/buf.h"

#define REPLY_TEXT_MAX 1024
#define CODE_LIST_MAX (REPLY_CODES_MAX * (REPLY_CODE_MAX + 4)) /* "T3、T4" */

/* What every confirmation and log line calls a reply that was acted on. */
static const char by_sms[] = "by SMS reply";

static const char optout_text[] =
	"您已退订本平台的通知短信，今后不再发送通知。如需恢复，请联系镇党政办。";

/* The answer to a number that is nobody in the people list. */
static const char unknown_sender_text[] = "本号码未在镇督办平台登记，您的回复已转镇党政办。";

const char *
reply_cmd_name(enum reply_cmd c)
{
	switch (c) {
	case REPLY_OPTOUT: return "optout";
	case REPLY_ACK: return "ack";
	case REPLY_DONE: return "done";
	case REPLY_PROGRESS: return "progress";
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

/* A separator between codes: "完成 T3、T4", "T3,T4", "T3和T4". */
static bool
is_code_sep(unsigned long c)
{
	return c == ',' || c == ';' || c == 0x3001 || c == 0x548c /* 和 */ || c == 0x53ca /* 及 */;
}

/*
 * reply_normalize, or (sep) the form commands are parsed from: every run of
 * spaces and code separators becomes one ',' and none is kept at either end.
 */
static int
normalize(const char *text, bool sep, char *out, size_t outlen)
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
		if (sep && (is_space_cp(c) || is_code_sep(c))) {
			if (nk == 0 || cps[nk - 1] == ',')
				continue;
			c = ',';
			len = 1;
		} else if (is_space_cp(c)) {
			continue;
		}
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

int
reply_normalize(const char *text, char *out, size_t outlen)
{
	return normalize(text, false, out, outlen);
}

static bool
is_code_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

static bool
code_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= REPLY_CODE_MAX)
		return false;
	for (; *s; s++)
		if (!is_code_char(*s))
			return false;
	return true;
}

/*
 * s[0..len) as a list of codes separated by ',' (and T3T4 as T3, T4) into
 * r->codes.  True when it is one, and names at most REPLY_CODES_MAX.
 */
static bool
parse_codes(const char *s, size_t len, struct reply_command *r)
{
	size_t i = 0;

	r->ncodes = 0;
	while (i < len) {
		size_t start = i;

		if (s[i] == ',') {
			i++;
			continue;
		}
		/* one code: up to a separator, or a letter right after a digit */
		while (i < len && is_code_char(s[i]) &&
		       !(i > start && s[i] >= 'A' && s[i] <= 'Z' && s[i - 1] >= '0' && s[i - 1] <= '9'))
			i++;
		if (i == start || (i < len && s[i] != ',' && !(s[i] >= 'A' && s[i] <= 'Z')))
			return false; /* not a code character */
		if (i - start >= REPLY_CODE_MAX || r->ncodes == REPLY_CODES_MAX)
			return false;
		memcpy(r->codes[r->ncodes], s + start, i - start);
		r->codes[r->ncodes][i - start] = '\0';
		if (!code_ok(r->codes[r->ncodes]))
			return false;
		r->ncodes++;
	}
	if (r->ncodes == 0)
		return false;
	memcpy(r->code, r->codes[0], sizeof(r->code));
	return true;
}

/* A verb before or after the codes: "完成T3", "完成:T3", "T3已完成". */
static bool
verb_with_codes(const char *norm, const char *verb, struct reply_command *r)
{
	size_t n = strlen(norm), l = strlen(verb);
	const char *rest = norm + l;

	if (n > l && strncmp(norm, verb, l) == 0) {
		if (*rest == ':')
			rest++;
		if (parse_codes(rest, strlen(rest), r))
			return true;
	}
	if (n > l && strcmp(norm + n - l, verb) == 0) {
		size_t h = n - l;
		while (h > 0 && (norm[h - 1] == ',' || norm[h - 1] == ':'))
			h--;
		if (parse_codes(norm, h, r))
			return true;
	}
	return false;
}

/* Skip spaces and the punctuation between the parts of 进展 T3：已完成土方. */
static const char *
skip_gap(const char *p)
{
	for (;;) {
		uint32_t c;
		int len = utf8_decode(p, strlen(p), &c);
		if (len <= 0 || !(is_space_cp(c) || c == ':' || c == 0xff1a || c == ',' ||
				  c == 0xff0c || c == 0x3001))
			return p;
		p += len;
	}
}

/* 进展 CODE NOTE: the code from norm, the note as written in text. */
static bool
parse_progress(const char *text, const char *norm, struct reply_command *r)
{
	static const char *const verbs[] = { "进展", "进度" };
	const char *p = text, *code;
	size_t l = 0, n;

	for (size_t i = 0; i < ARRAY_LEN(verbs); i++)
		if (strncmp(norm, verbs[i], strlen(verbs[i])) == 0)
			l = strlen(verbs[i]);
	if (l == 0)
		return false;
	code = norm + l;
	while (*code == ',' || *code == ':')
		code++;
	for (n = 0; is_code_char(code[n]); n++)
		;
	if (n == 0 || n >= REPLY_CODE_MAX)
		return false;
	memcpy(r->codes[0], code, n);
	r->codes[0][n] = '\0';
	/* The same in the text as written: the verb, the code (full-width or not). */
	p = skip_gap(p);
	p += l; /* the verb's bytes are the same in both */
	p = skip_gap(p);
	for (size_t k = 0; k < n; k++) {
		uint32_t c;
		int len = utf8_decode(p, strlen(p), &c);
		if (len <= 0)
			return false;
		p += len;
	}
	p = skip_gap(p);
	n = strlen(p);
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r' || p[n - 1] == '\n'))
		n--;
	if (n == 0 || n >= sizeof(r->note))
		return false;
	memcpy(r->note, p, n);
	r->note[n] = '\0';
	r->ncodes = 1;
	memcpy(r->code, r->codes[0], sizeof(r->code));
	return true;
}

void
reply_parse(const char *text, struct reply_command *out)
{
	static const char *const optout[] = { "TD", "T", "退订", "N" };
	static const char *const ack[] = { "收到", "已收到", "1", "好" };
	/* longest first: "T3已完成" ends in 完成 too */
	static const char *const done[] = { "已完成", "已办结", "完成", "办结" };
	static const char *const ack_verbs[] = { "已收到", "收到" };
	char norm[REPLY_NORM_MAX * 4];

	memset(out, 0, sizeof(*out));
	out->cmd = REPLY_OTHER;
	if (normalize(text, true, norm, sizeof(norm)) != 0 || norm[0] == '\0')
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
	for (size_t i = 0; i < ARRAY_LEN(done); i++)
		if (verb_with_codes(norm, done[i], out)) {
			out->cmd = REPLY_DONE;
			return;
		}
	for (size_t i = 0; i < ARRAY_LEN(ack_verbs); i++)
		if (verb_with_codes(norm, ack_verbs[i], out)) {
			out->cmd = REPLY_ACK;
			return;
		}
	if (parse_progress(text, norm, out)) {
		out->cmd = REPLY_PROGRESS;
		return;
	}
	memset(out, 0, sizeof(*out));
	out->cmd = REPLY_OTHER;
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
	if (!route_free_text_ok(cfg)) { /* template providers alone: no answer can go */
		log_info("reply to %s not answered: every provider takes only approved templates",
			 phone_mask(phone, body, sizeof(body)));
		return 0;
	}
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

static int answer(struct mo_job *j, const char *text);

static int
do_optout(struct mo_job *j)
{
	char key[96];
	bool changed;

	if (j->who.id == 0) {
		j->res->action = "optout-unknown";
		return answer(j, unknown_sender_text);
	}
	if (person_set_optout(j->x, &j->who, true, by_sms, &changed) != ACTION_OK)
		return -1;
	if (!changed) {
		/* Opted out before: say so again (rate-limited as every answer). */
		j->res->action = "optout-again";
		return answer(j, optout_text);
	}
	snprintf(key, sizeof(key), "reply:optout:%" PRId64 ":%" PRId64, j->who.id,
		 j->who.opted_out_at);
	if (queue_reply(j, j->phone, j->who.id, 0, optout_text, key, false, &j->res->reply) != 0)
		return -1;
	j->res->action = "optout";
	log_info("reply from %s: opted out of notices", j->masked);
	return 0;
}

/*
 * The answer to this reply: one SMS (kind 'reply', key "reply:ans:INBOUND")
 * to the sender, unless the sender's number is no number or had
 * REPLY_ANSWERS_PER_HOUR answers in the last hour (or
 * REPLY_ANSWERS_PER_DAY in a day): a loop with an auto-responder stops
 * there instead of running up a bill.  0 or -1 (err set).
 */
static int
answer(struct mo_job *j, const char *text)
{
	char key[64];
	int64_t now = time_now(), hour, day;

	struct sms_info info;

	if (j->phone[0] == '\0' || j->res->reply != 0 || text[0] == '\0')
		return 0;
	/* Longer than sms.max_parts (many codes, a long title): a short answer. */
	if (sms_measure(text, j->x->cfg->signature, &info, NULL, 0) != 0 ||
	    info.parts > j->x->cfg->max_parts)
		text = "已收到您的回复。";
	if (store_reply_answers_since(j->x->st, j->phone, now - 3600, &hour) != STORE_OK ||
	    store_reply_answers_since(j->x->st, j->phone, now - 86400, &day) != STORE_OK)
		return fail_store(j);
	if (hour >= REPLY_ANSWERS_PER_HOUR || day >= REPLY_ANSWERS_PER_DAY) {
		j->res->limited = true;
		log_info("reply from %s: not answered, %lld answers in the last hour, %lld in a day",
			 j->masked, (long long)hour, (long long)day);
		return 0;
	}
	snprintf(key, sizeof(key), "reply:ans:%" PRId64, j->res->inbound);
	if (queue_reply(j, j->phone, j->who.id, j->res->task, text, key, false, &j->res->reply) == 0)
		return 0;
	return -1;
}

/* "，如“完成T3”" with one of the sender's open tasks, or "" when none. */
static int
example(struct mo_job *j, const char *verb, const char *tail, char *out, size_t outlen)
{
	char *code = NULL;

	out[0] = '\0';
	if (j->who.id != 0 && store_person_open_code(j->x->st, j->who.id, &code) != STORE_OK)
		return fail_store(j);
	if (code != NULL)
		snprintf(out, outlen, "，如“%s%s%s”", verb, code, tail);
	free(code);
	return 0;
}

/* The answer for codes nobody has: what to send instead. */
static int
explain_unknown(struct mo_job *j, struct buf *b, const char *codes, const char *verb,
		const char *tail)
{
	char ex[96];

	if (example(j, verb, tail, ex, sizeof(ex)) != 0)
		return -1;
	buf_printf(b, "未找到事项%s，请回复“%s”加事项编号%s。", codes, verb, ex);
	return 0;
}

/* Append code to a "T3、T4" list. */
static void
list_add(char *list, size_t len, const char *code)
{
	size_t n = strlen(list);

	snprintf(list + n, len - n, "%s%s", n ? "、" : "", code);
}

/* 收到 acknowledged the sender's latest reminder or digest: all it listed. */
static int
ack_answer(struct mo_job *j)
{
	struct task t = { 0 };
	char text[CODE_LIST_MAX + 64], *codes = NULL;

	if (store_digest_ack(j->x->st, j->res->message, time_now(), j->res->inbound, &codes) !=
	    STORE_OK)
		return fail_store(j);
	if (codes != NULL) {
		snprintf(text, sizeof(text), "已确认收到%s的督办提醒。", codes);
		free(codes);
		return answer(j, text);
	}
	if (j->res->task != 0 && store_reply_link(j->x->st, j->res->inbound, j->res->task) != STORE_OK)
		return fail_store(j);
	if (j->res->task != 0 && store_task_get(j->x->st, j->res->task, &t) == STORE_OK)
		snprintf(text, sizeof(text), "已确认收到%s的督办提醒。", t.code);
	else
		snprintf(text, sizeof(text), "已确认收到督办提醒。");
	task_clear(&t);
	return answer(j, text);
}

static int
do_ack(struct mo_job *j, const struct reply_command *r)
{
	char acked[CODE_LIST_MAX] = "", unknown[CODE_LIST_MAX] = "", none[CODE_LIST_MAX] = "";
	struct buf b;
	int rc, ret = -1;

	if (j->who.id == 0) {
		j->res->action = "ack-unknown";
		return answer(j, unknown_sender_text);
	}
	if (r->ncodes == 0) {
		rc = task_ack_reminder(j->x, j->who.id, by_sms, &j->res->message, &j->res->task);
		if (rc == ACTION_NOTFOUND) {
			j->res->action = "ack-none";
			return answer(j, "您目前没有需要确认的督办提醒。");
		}
		if (rc != ACTION_OK)
			return -1;
		j->res->action = "ack";
		return ack_answer(j);
	}
	buf_init(&b, 1024);
	for (size_t i = 0; i < r->ncodes; i++) {
		struct task t = { 0 };
		const char *role;
		int64_t msg;

		rc = store_task_find(j->x->st, r->codes[i], &t);
		if (rc == STORE_ERROR)
			goto out;
		if (rc != STORE_OK ||
		    (rc = store_task_role(j->x->st, t.id, j->who.id, &role)) != STORE_OK || role == NULL) {
			task_clear(&t);
			if (rc == STORE_ERROR)
				goto out;
			list_add(unknown, sizeof(unknown), r->codes[i]);
			continue;
		}
		rc = store_ack_task(j->x->st, j->who.id, t.id, time_now(), &msg);
		if (rc == STORE_ERROR) {
			task_clear(&t);
			goto out;
		}
		if (rc == STORE_NOTFOUND) {
			list_add(none, sizeof(none), t.code);
		} else {
			char obj[32];
			snprintf(obj, sizeof(obj), "#%" PRId64, msg);
			if (store_event(j->x->st, j->x->actor, "message.ack", obj, by_sms) != STORE_OK) {
				task_clear(&t);
				goto out;
			}
			list_add(acked, sizeof(acked), t.code);
			j->res->message = msg;
		}
		if (j->res->task == 0)
			j->res->task = t.id;
		if (store_reply_link(j->x->st, j->res->inbound, t.id) != STORE_OK) {
			task_clear(&t);
			goto out;
		}
		task_clear(&t);
	}
	j->res->action = acked[0] ? "ack" : none[0] ? "ack-none" : "ack-no-task";
	if (acked[0])
		buf_printf(&b, "已确认收到%s的督办提醒。", acked);
	if (none[0])
		buf_printf(&b, "%s暂无需要确认的提醒。", none);
	if (unknown[0] && explain_unknown(j, &b, unknown, "收到", "") != 0)
		goto out;
	ret = answer(j, b.data ? b.data : "");
	goto done;
out:
	fail_store(j);
done:
	buf_free(&b);
	return ret;
}

/* Close one task named by the sender; its code goes to the list of its outcome. */
struct done_lists {
	char done[CODE_LIST_MAX];
	char title[256]; /* of the only task closed */
	char already[CODE_LIST_MAX];
	char unknown[CODE_LIST_MAX];
	char refused[CODE_LIST_MAX];
	char cancelled[CODE_LIST_MAX];
	size_t ndone;
};

static int
done_one(struct mo_job *j, const char *code, struct done_lists *l)
{
	struct task t = { 0 };
	enum task_outcome oc;
	int rc;

	rc = task_transition(j->x, code, TASK_VERB_DONE, j->who.id, by_sms, &t, &oc);
	if (rc == ACTION_NOTFOUND || rc == ACTION_AMBIGUOUS) {
		list_add(l->unknown, sizeof(l->unknown), code);
		task_clear(&t);
		return 0;
	}
	if (rc == ACTION_ERROR) {
		task_clear(&t);
		return -1;
	}
	if (j->res->task == 0)
		j->res->task = t.id;
	switch (oc) {
	case TASK_FORBIDDEN:
		list_add(l->refused, sizeof(l->refused), t.code);
		log_info("reply from %s: %s is not the lead or an owner of %s; kept in the inbox",
			 j->masked, j->who.name, t.code);
		break;
	case TASK_ALREADY:
		list_add(l->already, sizeof(l->already), t.code);
		break;
	case TASK_REFUSED: /* cancelled: nothing left for the sender to do */
		list_add(l->cancelled, sizeof(l->cancelled), t.code);
		break;
	case TASK_CHANGED:
		list_add(l->done, sizeof(l->done), t.code);
		snprintf(l->title, sizeof(l->title), "%s", t.title);
		l->ndone++;
		log_info("reply from %s: %s marked done by %s", j->masked, t.code, j->who.name);
		if (store_reply_link(j->x->st, j->res->inbound, t.id) != STORE_OK) {
			task_clear(&t);
			return fail_store(j);
		}
		break;
	}
	task_clear(&t);
	return 0;
}

static int
do_done(struct mo_job *j, const struct reply_command *r)
{
	struct done_lists l = { 0 };
	struct buf b;
	int ret = -1;

	if (j->who.id == 0) {
		j->res->action = "done-unknown";
		return answer(j, unknown_sender_text);
	}
	for (size_t i = 0; i < r->ncodes; i++)
		if (done_one(j, r->codes[i], &l) != 0)
			return -1;
	j->res->action = l.done[0]      ? "done"
			 : l.refused[0] ? "done-refused"
			 : l.unknown[0] ? "done-no-task"
					: "done-already";
	buf_init(&b, 1024);
	if (l.ndone == 1 && r->ncodes == 1)
		buf_printf(&b, "已收到：%s“%s”已标记为办结，相关提醒停止。", l.done, l.title);
	else if (l.done[0])
		buf_printf(&b, "已收到：%s已标记为办结，相关提醒停止。", l.done);
	if (l.already[0])
		buf_printf(&b, "%s此前已办结，无需再回复。", l.already);
	if (l.cancelled[0])
		buf_printf(&b, "%s已撤销，无需办结。", l.cancelled);
	if (l.refused[0])
		buf_printf(&b, "您不是%s的牵头领导或责任人，不能办结，已转镇党政办。", l.refused);
	if (l.unknown[0] && explain_unknown(j, &b, l.unknown, "完成", "") != 0)
		goto out;
	ret = answer(j, b.data ? b.data : "");
	if (ret != 0 && l.ndone == 1 && r->ncodes == 1) {
		/* A long title: confirm without it. */
		char text[sizeof(l.done) + 64];
		snprintf(text, sizeof(text), "已收到：%s已标记为办结，相关提醒停止。", l.done);
		ret = answer(j, text);
	}
out:
	buf_free(&b);
	return ret;
}

static int
do_progress(struct mo_job *j, const struct reply_command *r)
{
	struct task t = { 0 };
	const char *role = NULL;
	char text[REPLY_NOTE_MAX + 128];
	struct buf b;
	int rc, ret = -1;

	if (j->who.id == 0) {
		j->res->action = "progress-unknown";
		return answer(j, unknown_sender_text);
	}
	rc = store_task_find(j->x->st, r->code, &t);
	if (rc == STORE_OK && (rc = store_task_role(j->x->st, t.id, j->who.id, &role)) == STORE_OK &&
	    role == NULL)
		rc = STORE_NOTFOUND;
	if (rc == STORE_ERROR) {
		task_clear(&t);
		return fail_store(j);
	}
	if (rc != STORE_OK) {
		task_clear(&t);
		j->res->action = "progress-no-task";
		buf_init(&b, 512);
		if (explain_unknown(j, &b, r->code, "进展", " 进展情况") == 0)
			ret = answer(j, b.data ? b.data : "");
		buf_free(&b);
		return ret;
	}
	j->res->task = t.id;
	if (store_note_add(j->x->st, t.id, j->who.id, j->res->inbound, time_now(), r->note) != STORE_OK ||
	    store_reply_link(j->x->st, j->res->inbound, t.id) != STORE_OK ||
	    store_event(j->x->st, j->x->actor, "task.note", t.code, r->note) != STORE_OK) {
		task_clear(&t);
		return fail_store(j);
	}
	j->res->action = "progress";
	snprintf(text, sizeof(text), "已记录%s的进展，谢谢。", t.code);
	task_clear(&t);
	return answer(j, text);
}

/* Anything that is no command (or a command duban could not carry out): the inbox. */
static int
to_inbox(struct mo_job *j)
{
	char text[REPLY_TEXT_MAX + 256], key[64];
	const char *from = j->phone[0] ? j->phone : j->in->from;
	const char *clerk = j->x->cfg->http.forward_to;
	int64_t answered = j->res->reply;
	int rc;

	if (clerk == NULL)
		return 0;
	if (j->who.id != 0)
		snprintf(text, sizeof(text), "%s(%s)回复：%.*s", j->who.name, from, REPLY_TEXT_MAX,
			 j->in->text);
	else
		snprintf(text, sizeof(text), "%s回复：%.*s", from, REPLY_TEXT_MAX, j->in->text);
	snprintf(key, sizeof(key), "reply:fwd:%" PRId64, j->res->inbound);
	rc = queue_reply(j, clerk, 0, 0, text, key, true, &j->res->forward);
	j->res->reply = answered;
	return rc;
}

/* The answer to a text that is no command: it went to staff, and how to reply. */
static int
answer_other(struct mo_job *j)
{
	char ex[96], text[256];

	if (j->who.id == 0)
		return answer(j, unknown_sender_text);
	if (example(j, "完成", "", ex, sizeof(ex)) != 0)
		return -1;
	if (ex[0])
		snprintf(text, sizeof(text), "您的回复已转镇党政办。办结事项请回复“完成”加事项编号%s。", ex);
	else
		snprintf(text, sizeof(text), "您的回复已转镇党政办。");
	return answer(j, text);
}

static int
act(struct mo_job *j, const struct reply_command *r)
{
	int rc = 0;

	switch (r->cmd) {
	case REPLY_OPTOUT: rc = do_optout(j); break;
	case REPLY_ACK: rc = do_ack(j, r); break;
	case REPLY_DONE: rc = do_done(j, r); break;
	case REPLY_PROGRESS: rc = do_progress(j, r); break;
	default:
		j->res->action = "inbox";
		rc = answer_other(j);
		break;
	}
	if (rc != 0)
		return -1;
	/* A command duban could not carry out is for staff to see too. */
	if (strcmp(j->res->action, "inbox") == 0 || strstr(j->res->action, "-unknown") ||
	    strcmp(j->res->action, "done-refused") == 0 ||
	    strstr(j->res->action, "-no-task") != NULL) {
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

/* The sender of in, masked for a log line (*** when it is no number). */
static const char *
masked_from(const struct reply_in *in, char *out, size_t outlen)
{
	char e164[PHONE_MAX];
	const char *reason;

	if (phone_normalize(in->from, e164, sizeof(e164), &reason) != 0) {
		snprintf(out, outlen, "***");
		return out;
	}
	return phone_mask(e164, out, outlen);
}

/*
 * Reply in stored and acted on inside the open transaction; x->actor is
 * given back.  ACTION_OK, or ACTION_ERROR with x->err (the transaction
 * holds part of the reply's writes: the caller rolls back).
 */
static int
receive_one(struct duban_ctx *x, const struct reply_in *in, struct reply_result *out)
{
	struct mo_job j = { .x = x, .in = in, .res = out };
	struct reply_command r;
	const char *actor = x->actor;
	int rc;

	memset(out, 0, sizeof(*out));
	reply_parse(in->text, &r);
	out->cmd = r.cmd;
	rc = receive(&j, &r);
	x->actor = actor;
	if (rc != ACTION_OK && x->err[0] == '\0')
		fail_store(&j);
	person_clear(&j.who);
	return rc == ACTION_OK ? ACTION_OK : ACTION_ERROR;
}

int
reply_receive_many(struct duban_ctx *x, const struct reply_in *in, size_t n,
		   struct reply_result *out)
{
	char masked[PHONE_MAX], why[ACTION_ERR_MAX];
	int rc;

	x->err[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		if (!utf8_valid(in[i].text, strlen(in[i].text))) {
			if (n == 1)
				return action_refuse(x, ACTION_INVALID, "the text is not valid UTF-8");
			return action_refuse(x, ACTION_INVALID,
					     "reply %zu of %zu: the text is not valid UTF-8", i + 1, n);
		}
	}
	if ((rc = store_begin(x->st)) != STORE_OK)
		return action_fail(x, ACTION_ERROR);
	for (size_t i = 0; i < n; i++) {
		if (receive_one(x, &in[i], &out[i]) == ACTION_OK)
			continue;
		if (n > 1) {
			snprintf(why, sizeof(why), "%s", x->err);
			action_refuse(x, ACTION_ERROR, "reply %zu of %zu: %s", i + 1, n, why);
		}
		store_rollback(x->st);
		for (size_t k = 0; k <= i; k++)
			memset(&out[k], 0, sizeof(out[k]));
		return ACTION_ERROR;
	}
	if ((rc = store_commit(x->st)) != STORE_OK) {
		for (size_t k = 0; k < n; k++)
			memset(&out[k], 0, sizeof(out[k]));
		return action_fail(x, ACTION_ERROR);
	}
	for (size_t i = 0; i < n; i++) {
		masked_from(&in[i], masked, sizeof(masked));
		if (out[i].duplicate)
			log_debug("reply %s/%s from %s: received before, ignored", in[i].provider,
				  in[i].ref ? in[i].ref : "", masked);
		else
			log_info("reply #%" PRId64 " from %s via %s: %s", out[i].inbound, masked,
				 in[i].provider, out[i].action);
	}
	return ACTION_OK;
}

int
reply_receive(struct duban_ctx *x, const struct reply_in *in, struct reply_result *out)
{
	return reply_receive_many(x, in, 1, out);
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
