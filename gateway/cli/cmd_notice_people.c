/*
 * cmd_notice_people.c - the people of a notice's dry run: everyone it
 * would go to (name, org, masked number) and everyone left out with the
 * reason, so that the clerk sees whom she is about to text before she
 * does.  A table shows the first of each; --format csv or json lists all.
 */
#include <stdio.h>

#include "cli/cli.h"
#include "base/array.h"
#include "base/i18n.h"
#include "base/phone.h"
#include "base/zone.h"
#include "core/notice.h"

#define SHOWN_MAX 30 /* people a table lists of each kind before "... and N more" */

struct dry_people {
	struct table *t; /* csv and json: every person; NULL for text */
	size_t n;        /* people seen */
};

static int
add_person(struct dry_people *dp, const struct person *p, const char *status, const char *reason)
{
	char masked[32], since[24] = "";

	phone_mask(p->phone, masked, sizeof(masked));
	if (p->opted_out_at)
		time_fmt_local(p->opted_out_at, since, sizeof(since));
	if (dp->t) {
		const char *cells[] = { p->name, p->org, masked, status, reason, since };
		return table_add(dp->t, cells);
	}
	if (dp->n++ < SHOWN_MAX) {
		if (*reason)
			printf("  %s  %s  %s  %s %s\n", p->name, p->org, masked, C_("value", reason),
			       since);
		else
			printf("  %s  %s  %s\n", p->name, p->org, masked);
	}
	return 0;
}

static int
recipient_fn(void *arg, const struct person *p)
{
	return add_person(arg, p, NC_("value", "recipient"), "");
}

static int
left_out_fn(void *arg, const struct person *p)
{
	return add_person(arg, p, NC_("value", "left_out"), NC_("value", "opted_out"));
}

/* "... and N more" after a table's first SHOWN_MAX. */
static void
more(const struct dry_people *dp)
{
	if (dp->n > SHOWN_MAX)
		printf(_("  ... and %zu more (--format csv lists everyone)\n"), dp->n - SHOWN_MAX);
}

int
cli_notice_dry_people(struct cli *c, const char *const *to, size_t nto)
{
	static const char *const h[] = { NC_("column", "name"),	  NC_("column", "org"),
					 NC_("column", "phone"),  NC_("column", "status"),
					 NC_("column", "reason"), NC_("column", "opted_out") };
	struct notice_audience na = { 0 };
	struct dry_people dp = { 0 };
	struct audience a;
	char err[256];
	int rc = STORE_OK;

	for (size_t i = 0; i < nto && rc == STORE_OK; i++)
		rc = notice_audience_add(&na, c->st, to[i], false, err, sizeof(err));
	if (rc != STORE_OK) {
		notice_audience_free(&na);
		return cli_err(EXIT_FAIL, "%s", err);
	}
	notice_audience_view(&na, &a);
	if (c->fmt != FMT_TABLE) {
		if ((dp.t = table_new(ARRAY_LEN(h), h, "ssseen")) == NULL) {
			notice_audience_free(&na);
			return EXIT_FAIL;
		}
		rc = store_audience_each(c->st, &a, recipient_fn, &dp);
		if (rc == STORE_OK)
			rc = store_audience_left_out_each(c->st, &a, left_out_fn, &dp);
		notice_audience_free(&na);
		return cli_print_table(c, dp.t, rc);
	}
	printf(_("recipients:\n"));
	rc = store_audience_each(c->st, &a, recipient_fn, &dp);
	more(&dp);
	if (rc == STORE_OK) {
		dp.n = 0;
		printf(_("left out:\n"));
		rc = store_audience_left_out_each(c->st, &a, left_out_fn, &dp);
		more(&dp);
	}
	notice_audience_free(&na);
	if (rc != STORE_OK)
		return cli_err(EXIT_FAIL, "%s", store_errmsg(c->st));
	return EXIT_OK;
}
