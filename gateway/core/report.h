/*
 * report.h - the town's reports: every task with its lead, deadline,
 * status, days overdue or early, reminders sent and latest reply; the
 * overdue ones; each leading official's record for the annual
 * responsibility review (年度项目落实责任考核); and what the outbox sent
 * per kind and provider.  A report is a list of rows of text cells with
 * fixed columns, handed to a callback, so the caller prints it as a
 * table, CSV or JSON.
 */
#ifndef DUBAN_REPORT_H
#define DUBAN_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

enum report_kind { REPORT_TASKS, REPORT_OVERDUE, REPORT_PEOPLE, REPORT_DELIVERY };

/* A report's columns: names and types ('s' text, 'i' integer, 'n' text or null). */
struct report_columns {
	size_t n;
	const char *const *headers;
	const char *types;
};

/* The columns of report k (static data).  Returns 0, or -1 for an unknown kind. */
int report_columns(enum report_kind k, struct report_columns *out);

struct report_opts {
	int64_t now;      /* UTC seconds: what "overdue" is measured against */
	int64_t from, to; /* [from, to) in UTC seconds, 0: open-ended.  delivery: when
			     messages were queued; people: task deadlines */
};

/*
 * Run report k, calling fn once per row with the row's cells (as many as
 * its columns; valid only during the call).  fn returns 0 to go on.
 * Returns 0, or -1 with err (a store failure, or fn's).
 */
int report_run(struct store *st, enum report_kind k, const struct report_opts *o,
	       int (*fn)(void *arg, const char *const *cells), void *arg, char *err, size_t errlen);

/*
 * How many days at is past deadline: the calendar days between their
 * dates, at least 1 (a part of a day counts as a day).  0 when at is not
 * past deadline.
 */
long report_days_late(int64_t deadline, int64_t at);

#endif
