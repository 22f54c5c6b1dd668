/*
 * api_dashboard.c - GET /v1/dashboard, the figures of the staff console's
 * home page (工作台): open tasks due within a week or overdue, with their
 * leads; notices waiting for approval; replies waiting for staff; today's
 * messages by outcome.  The providers' circuits and the scheduler's last
 * pass are /healthz's.  Console sessions only; reads only.
 */
#include "server/api.h"
#include "base/i18n.h"

#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/zone.h"
#include "core/notice.h"

#define WEEK (7 * 86400)
#define DASH_ROWS_MAX 200

struct dash_tasks {
	json_t *a;
	int64_t now;
};

static int
task_row(void *arg, const struct task *t)
{
	struct dash_tasks *d = arg;

	if (t->deadline > d->now + WEEK || json_array_size(d->a) >= DASH_ROWS_MAX)
		return 0;
	return json_array_append_new(
		d->a, json_pack("{s:s, s:s, s:o, s:s, s:b}", "code", t->code, "title", t->title,
				"deadline", api_jtime(t->deadline), "lead",
				t->lead_name ? t->lead_name : "", "overdue", t->deadline < d->now));
}

static int
notice_row(void *arg, const struct notice *n, const struct notice_counts *c)
{
	char ref[24];

	(void)c;
	if (strcmp(n->status, "pending") != 0 || json_array_size(arg) >= DASH_ROWS_MAX)
		return 0;
	snprintf(ref, sizeof(ref), "N%lld", (long long)n->id);
	return json_array_append_new(
		arg, json_pack("{s:I, s:s, s:s, s:s, s:I}", "id", (json_int_t)n->id, "ref", ref,
			       "title", n->title, "created_by", n->created_by, "recipients",
			       (json_int_t)n->recipients));
}

static int
inbox_row(void *arg, const struct inbound *in)
{
	(void)in;
	(*(int64_t *)arg)++;
	return 0;
}

struct today {
	int64_t queued, sent, delivered, failed;
};

static int
delivery_row(void *arg, const struct report_delivery *d)
{
	struct today *t = arg;

	t->queued += d->messages;
	t->sent += d->sent;
	t->delivered += d->delivered;
	t->failed += d->failed + d->expired;
	return 0;
}

void
api_route_dashboard(const struct api_req *r, char **s, int n, struct api_resp *out)
{
	struct dash_tasks dt = { json_array(), time_now() };
	struct task_filter tf = { .status = "open" };
	struct inbound_filter inf = { .status = "new" };
	json_t *pending = json_array();
	struct today today = { 0 };
	int64_t inbox = 0, midnight;
	struct tm tm;
	int rc;

	(void)s;
	if (n != 2 || !api_method(r, "GET", out)) {
		if (out->status == 0)
			api_error(out, 404, NULL, _("no such route: %s"), r->path);
		goto out;
	}
	time_local(dt.now, &tm);
	midnight = time_from_local(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, 0, 0, 0);
	if (dt.a == NULL || pending == NULL) {
		api_error(out, 500, NULL, _("out of memory"));
		goto out;
	}
	if ((rc = store_task_each(r->st, &tf, task_row, &dt)) != STORE_OK ||
	    (rc = store_notice_each(r->st, notice_row, pending)) != STORE_OK ||
	    (rc = store_inbound_each(r->st, &inf, inbox_row, &inbox)) != STORE_OK ||
	    (rc = store_report_delivery(r->st, midnight, 0, delivery_row, &today)) != STORE_OK) {
		api_store_error(out, r, rc);
		goto out;
	}
	api_reply(out, 200,
		  json_pack("{s:o, s:O, s:O, s:I, s:{s:I, s:I, s:I, s:I}}", "now", api_jtime(dt.now),
			    "tasks", dt.a, "pending_notices", pending, "inbox_waiting",
			    (json_int_t)inbox, "today", "queued", (json_int_t)today.queued, "sent",
			    (json_int_t)today.sent, "delivered", (json_int_t)today.delivered,
			    "failed", (json_int_t)today.failed));
out:
	json_decref(dt.a);
	json_decref(pending);
}
