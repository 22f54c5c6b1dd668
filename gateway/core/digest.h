/*
 * digest.h - the text of a digest: one SMS telling a person about several
 * tasks' due reminders at once ("您有3项督办事项：T2 明天到期；T3 今天到期；
 * T5 已超期2天。回复“完成T2”办结。").  The scheduler decides who gets one
 * and records what it listed (sched.c); this only words it.
 */
#ifndef DUBAN_DIGEST_H
#define DUBAN_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/sms.h"
#include "core/rules.h"

/* One task in a digest; nothing is owned. */
struct digest_entry {
	const char *code, *title, *lead;
	int64_t deadline;
	enum step_kind kind; /* the step that brought it: before, overdue, escalation */
	bool can_close;      /* the person leads or owns it (the hint names such a task) */
	bool is_lead;        /* the person leads it: an escalation reads "已上报督办" */
};

/*
 * Word entries[0..n) at time now: the form with titles when it needs no
 * more SMS parts than the short one (codes only), else the short one.
 * Returns 0 with the text in out and its measure in *info, or -1 when even
 * the short form needs more than max_parts parts (the caller lists fewer).
 */
int digest_render(const struct digest_entry *e, size_t n, int64_t now, const char *signature,
		  unsigned max_parts, struct buf *out, struct sms_info *info);

#endif
