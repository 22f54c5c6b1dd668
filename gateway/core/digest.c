/*
 * digest.c - wording a digest.  Two forms are tried: with each task's
 * title (T2“梅岙塘农田改造工程”明天到期) and without (T2 明天到期); the one
 * with titles is kept unless it costs more parts, so a digest is as
 * informative as it can be for the price of the shortest.
 */
#include "core/digest.h"

#include <stdio.h>
#include <string.h>

#include "base/civil.h"

#define DIGEST_MAX 2048

/* "明天到期", "已超期2天", "邵长发牵头，已超期2天". */
static void
state_of(const struct digest_entry *e, int64_t now, char *out, size_t len)
{
	long d = civil_days_between(now, e->deadline);

	if (e->kind == STEP_ESCALATE && e->is_lead && d < 0)
		snprintf(out, len, "已超期%ld天，已上报督办", -d); /* never the supervisor's words */
	else if (e->kind == STEP_ESCALATE && e->lead != NULL && d < 0)
		snprintf(out, len, "%s牵头，已超期%ld天", e->lead, -d);
	else if (d < 0)
		snprintf(out, len, "已超期%ld天", -d);
	else if (d == 0)
		snprintf(out, len, "今天到期");
	else if (d == 1)
		snprintf(out, len, "明天到期");
	else
		snprintf(out, len, "%ld天后到期", d);
}

static int
word(const struct digest_entry *e, size_t n, int64_t now, bool titles, struct buf *out)
{
	const char *close = NULL;
	char st[128];
	int rc = 0;

	buf_truncate(out, 0);
	rc |= buf_printf(out, "您有%zu项督办事项：", n);
	for (size_t i = 0; i < n; i++) {
		state_of(&e[i], now, st, sizeof(st));
		if (titles)
			rc |= buf_printf(out, "%s%s“%s”%s", i ? "；" : "", e[i].code, e[i].title, st);
		else
			rc |= buf_printf(out, "%s%s %s", i ? "；" : "", e[i].code, st);
		if (close == NULL && e[i].can_close)
			close = e[i].code;
	}
	if (close != NULL)
		rc |= buf_printf(out, "。回复“完成%s”办结。", close);
	else
		rc |= buf_printf(out, "。回复“收到”确认。");
	return rc == 0 ? 0 : -1;
}

int
digest_render(const struct digest_entry *e, size_t n, int64_t now, const char *signature,
	      unsigned max_parts, struct buf *out, struct sms_info *info)
{
	struct sms_info full = { 0 }, terse = { 0 };
	bool full_ok;

	buf_init(out, DIGEST_MAX);
	full_ok = word(e, n, now, true, out) == 0 &&
		  sms_measure(out->data, signature, &full, NULL, 0) == 0;
	if (word(e, n, now, false, out) != 0 ||
	    sms_measure(out->data, signature, &terse, NULL, 0) != 0 || terse.parts > max_parts)
		return -1;
	if (full_ok && full.parts <= terse.parts) {
		word(e, n, now, true, out);
		*info = full;
	} else {
		*info = terse;
	}
	return 0;
}
