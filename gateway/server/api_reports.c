/*
 * api_reports.c - GET /v1/reports/tasks|overdue|people|delivery: the four
 * reports of `duban report`, the same columns and rows (core/report.c),
 * as {"columns": [...], "types": "...", "rows": [[...], ...]} for the
 * console's tables, CSV export and charts.  ?from=YYYY-MM-DD&to=... bound
 * delivery (when queued) and people (deadlines); ?year=2008 is that year.
 */
#include "server/api.h"
#include "base/i18n.h"

#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/str.h"
#include "base/zone.h"
#include "core/report.h"

struct rows {
	json_t *a;
	const struct report_columns *c;
};

static int
row(void *arg, const char *const *cells)
{
	struct rows *r = arg;
	json_t *j = json_array();

	for (size_t i = 0; j && i < r->c->n; i++) {
		const char *v = cells[i];
		if (v == NULL)
			json_array_append_new(j, json_null());
		else if (r->c->types[i] == 'i')
			json_array_append_new(j, json_integer(strtoll(v, NULL, 10)));
		else
			json_array_append_new(j, json_string(v));
	}
	return j ? json_array_append_new(r->a, j) : -1;
}

/* ?name=YYYY-MM-DD as local midnight into *t (0 absent): 0, or -1 with out set. */
static int
date_arg(const struct api_req *r, const char *name, int64_t *t, struct api_resp *out)
{
	char v[16];

	*t = 0;
	if (api_query_arg(r->query, name, v, sizeof(v)) != 0 || *v == '\0')
		return 0;
	if (time_parse_local(v, false, t) != 0) {
		api_error(out, 400, name, _("\"%s\": expected YYYY-MM-DD"), name);
		return -1;
	}
	return 0;
}

void
api_route_reports(const struct api_req *r, char **s, int n, struct api_resp *out)
{
	static const char *const names[] = { "tasks", "overdue", "people", "delivery" };
	struct report_opts o = { .now = time_now() };
	struct report_columns c;
	struct rows rw = { NULL, &c };
	char err[256], year[8];
	int k = -1;
	long y;

	if (n != 3) {
		api_error(out, 404, NULL, _("no such route: %s"), r->path);
		return;
	}
	for (int i = 0; i < 4; i++)
		if (strcmp(s[2], names[i]) == 0)
			k = i;
	if (k < 0) {
		api_error(out, 404, NULL, _("no such report: %s (tasks, overdue, people, delivery)"),
			  s[2]);
		return;
	}
	if (!api_method(r, "GET", out) || date_arg(r, "from", &o.from, out) != 0 ||
	    date_arg(r, "to", &o.to, out) != 0)
		return;
	if (api_query_arg(r->query, "year", year, sizeof(year)) == 0 && *year) {
		if (parse_long(year, 1970, 2100, &y) != 0) {
			api_error(out, 400, "year", _("\"year\": expected a year such as 2008"));
			return;
		}
		o.from = time_from_local((int)y, 1, 1, 0, 0, 0);
		o.to = time_from_local((int)y + 1, 1, 1, 0, 0, 0);
	}
	if (report_columns((enum report_kind)k, &c) != 0 || (rw.a = json_array()) == NULL) {
		api_error(out, 500, NULL, _("out of memory"));
		return;
	}
	if (report_run(r->st, (enum report_kind)k, &o, row, &rw, err, sizeof(err)) != 0) {
		json_decref(rw.a);
		api_error(out, 500, NULL, "%s", err);
		return;
	}
	json_t *cols = json_array();
	for (size_t i = 0; cols && i < c.n; i++)
		json_array_append_new(cols, json_string(c.headers[i]));
	api_reply(out, 200,
		  json_pack("{s:s, s:o, s:s, s:o}", "report", names[k], "columns",
			    cols ? cols : json_array(), "types", c.types, "rows", rw.a));
}
