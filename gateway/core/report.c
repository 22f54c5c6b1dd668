/*
 * report.c - turning the store's report rows into cells: local dates, a
 * task's status as the town reads it (overdue is an open task past its
 * deadline), days overdue or early, and a total line for delivery.  Days
 * are local calendar days, as the reminders count them ("已超期3天").
 */
#include "core/report.h"

#include <stdio.h>
#include <string.h>

#include "base/array.h"
#include "base/civil.h"
#include "base/zone.h"
#include "base/i18n.h"

static const char *const task_cols[] = {
	NC_("column", "code"), NC_("column", "title"), NC_("column", "lead"),
	NC_("column", "deadline"), NC_("column", "status"), NC_("column", "done_at"),
	NC_("column", "days_overdue"), NC_("column", "days_early"),
	NC_("column", "reminders_sent"), NC_("column", "escalations_sent"),
	NC_("column", "last_reply"),
};
static const char *const overdue_cols[] = {
	NC_("column", "code"), NC_("column", "title"), NC_("column", "lead"),
	NC_("column", "supervisor"), NC_("column", "deadline"),
	NC_("column", "days_overdue"), NC_("column", "reminders_sent"),
	NC_("column", "escalations_sent"), NC_("column", "last_reply"),
};
static const char *const people_cols[] = {
	NC_("column", "name"), NC_("column", "title"), NC_("column", "org"),
	NC_("column", "tasks_led"), NC_("column", "done_on_time"),
	NC_("column", "done_late"), NC_("column", "open"), NC_("column", "overdue"),
	NC_("column", "tasks_owned"), NC_("column", "owned_on_time"),
	NC_("column", "owned_late"), NC_("column", "owned_open"), NC_("column", "owned_overdue"),
};
static const char *const delivery_cols[] = {
	NC_("column", "kind"), NC_("column", "provider"), NC_("column", "messages"),
	NC_("column", "waiting"), NC_("column", "sent"), NC_("column", "delivered"),
	NC_("column", "failed"), NC_("column", "expired"), NC_("column", "cancelled"),
	NC_("column", "parts_sent"), NC_("column", "parts_billed"),
};

int
report_columns(enum report_kind k, struct report_columns *out)
{
	switch (k) {
	case REPORT_TASKS:
		*out = (struct report_columns){ ARRAY_LEN(task_cols), task_cols, "sssseniiiin" };
		return 0;
	case REPORT_OVERDUE:
		*out = (struct report_columns){ ARRAY_LEN(overdue_cols), overdue_cols, "sssnsiiin" };
		return 0;
	case REPORT_PEOPLE:
		*out = (struct report_columns){ ARRAY_LEN(people_cols), people_cols, "sssiiiiiiiiii" };
		return 0;
	case REPORT_DELIVERY:
		*out = (struct report_columns){ ARRAY_LEN(delivery_cols), delivery_cols,
						"eniiiiiiiii" };
		return 0;
	}
	return -1;
}

long
report_days_late(int64_t deadline, int64_t at)
{
	long d;

	if (at <= deadline)
		return 0;
	d = civil_days_between(deadline, at);
	return d < 1 ? 1 : d;
}

struct run {
	const struct report_opts *o;
	int (*fn)(void *arg, const char *const *cells);
	void *arg;
	struct report_delivery total;
};

static void
fmt_i64(char *out, size_t outlen, int64_t v)
{
	snprintf(out, outlen, "%lld", (long long)v);
}

/* "2008-12-29 10:15 郑秀兰: 完成T1", or "" */
static const char *
reply_cell(const struct report_task *r, char *out, size_t outlen)
{
	char at[24];

	if (r->reply == NULL || r->reply_at == 0)
		return "";
	snprintf(out, outlen, "%s %s", time_fmt_local(r->reply_at, at, sizeof(at)), r->reply);
	return out;
}

static int
task_row(void *arg, const struct report_task *r)
{
	struct run *run = arg;
	char dl[24], done[24] = "", late[24] = "", early[24] = "", rem[24], esc[24], reply[600];
	const char *status = r->status;
	bool open = strcmp(r->status, "open") == 0, is_done = strcmp(r->status, "done") == 0;

	time_fmt_local(r->deadline, dl, sizeof(dl));
	if (open && r->deadline < run->o->now) {
		status = "overdue";
		snprintf(late, sizeof(late), "%ld", report_days_late(r->deadline, run->o->now));
	} else if (is_done && r->done_at) {
		time_fmt_local(r->done_at, done, sizeof(done));
		if (r->done_at > r->deadline)
			snprintf(late, sizeof(late), "%ld", report_days_late(r->deadline, r->done_at));
		else
			snprintf(early, sizeof(early), "%ld",
				 civil_days_between(r->done_at, r->deadline));
	}
	fmt_i64(rem, sizeof(rem), r->reminders);
	fmt_i64(esc, sizeof(esc), r->escalations);
	const char *cells[] = { r->code, r->title, r->lead ? r->lead : "", dl, status, done, late,
				early, rem, esc, reply_cell(r, reply, sizeof(reply)) };
	return run->fn(run->arg, cells);
}

static int
overdue_row(void *arg, const struct report_task *r)
{
	struct run *run = arg;
	char dl[24], late[24], rem[24], esc[24], reply[600];

	time_fmt_local(r->deadline, dl, sizeof(dl));
	snprintf(late, sizeof(late), "%ld", report_days_late(r->deadline, run->o->now));
	fmt_i64(rem, sizeof(rem), r->reminders);
	fmt_i64(esc, sizeof(esc), r->escalations);
	const char *cells[] = { r->code, r->title, r->lead ? r->lead : "",
				r->supervisor ? r->supervisor : "", dl, late, rem, esc,
				reply_cell(r, reply, sizeof(reply)) };
	return run->fn(run->arg, cells);
}

static int
people_row(void *arg, const struct report_person *r)
{
	struct run *run = arg;
	const int64_t n[] = { r->led,   r->on_time,   r->late,   r->open,   r->overdue,
			      r->owned, r->o_on_time, r->o_late, r->o_open, r->o_overdue };
	char v[ARRAY_LEN(n)][24];

	for (size_t i = 0; i < ARRAY_LEN(n); i++)
		fmt_i64(v[i], sizeof(v[i]), n[i]);
	const char *cells[] = { r->name, r->title, r->org, v[0], v[1], v[2], v[3], v[4],
				v[5],    v[6],     v[7],   v[8], v[9] };
	return run->fn(run->arg, cells);
}

static int
delivery_cells(struct run *run, const struct report_delivery *r)
{
	const int64_t n[] = { r->messages, r->waiting, r->sent,	     r->delivered,
			      r->failed,   r->expired, r->cancelled, r->parts, r->billed };
	char v[ARRAY_LEN(n)][24];
	const char *cells[2 + ARRAY_LEN(n)];

	cells[0] = r->kind;
	cells[1] = r->provider;
	for (size_t i = 0; i < ARRAY_LEN(n); i++) {
		fmt_i64(v[i], sizeof(v[i]), n[i]);
		cells[2 + i] = v[i];
	}
	return run->fn(run->arg, cells);
}

static int
delivery_row(void *arg, const struct report_delivery *r)
{
	struct run *run = arg;
	struct report_delivery *t = &run->total;

	t->messages += r->messages;
	t->waiting += r->waiting;
	t->sent += r->sent;
	t->delivered += r->delivered;
	t->failed += r->failed;
	t->expired += r->expired;
	t->cancelled += r->cancelled;
	t->parts += r->parts;
	t->billed += r->billed;
	return delivery_cells(run, r);
}

int
report_run(struct store *st, enum report_kind k, const struct report_opts *o,
	   int (*fn)(void *arg, const char *const *cells), void *arg, char *err, size_t errlen)
{
	struct run run = { .o = o, .fn = fn, .arg = arg };
	int rc = STORE_ERROR;

	switch (k) {
	case REPORT_TASKS: rc = store_report_tasks(st, false, o->now, task_row, &run); break;
	case REPORT_OVERDUE: rc = store_report_tasks(st, true, o->now, overdue_row, &run); break;
	case REPORT_PEOPLE: rc = store_report_people(st, o->from, o->to, o->now, people_row, &run); break;
	case REPORT_DELIVERY:
		rc = store_report_delivery(st, o->from, o->to, delivery_row, &run);
		if (rc == STORE_OK) {
			run.total.kind = "total";
			run.total.provider = "";
			if (delivery_cells(&run, &run.total) != 0) {
				snprintf(err, errlen, "report: out of memory");
				return -1;
			}
		}
		break;
	}
	if (rc != STORE_OK) {
		snprintf(err, errlen, "%s", store_errmsg(st));
		return -1;
	}
	return 0;
}
