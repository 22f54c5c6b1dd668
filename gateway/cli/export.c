/*
 * export.c - tasks as task import reads them back: "task list --format
 * csv" writes the code, title, deadline, the people by role (the team's
 * members come with the team, not one by one), team, rules, detail, and
 * the status with when it was closed, so that a town's tasks move to a new
 * database whole.  People are written by name, as the clerk wrote them.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "base/array.h"
#include "base/buf.h"
#include "base/i18n.h"
#include "base/zone.h"

struct roles {
	struct buf lead, owners, members, supervisor;
};

static int
role_fn(void *arg, const struct person *p, const char *role)
{
	struct roles *r = arg;
	struct buf *b = strcmp(role, "lead") == 0	? &r->lead
			: strcmp(role, "owner") == 0	? &r->owners
			: strcmp(role, "member") == 0	? &r->members
							: &r->supervisor;

	return buf_printf(b, "%s%s", b->len ? ";" : "", p->name) != 0;
}

struct export {
	struct cli *c;
	struct table *t;
};

static int
task_fn(void *arg, const struct task *t)
{
	struct export *e = arg;
	struct roles r;
	char dl[24], closed[24] = "";
	int rc;

	buf_init(&r.lead, 4096);
	buf_init(&r.owners, 4096);
	buf_init(&r.members, 4096);
	buf_init(&r.supervisor, 4096);
	rc = store_task_assigned(e->c->st, t->id, role_fn, &r);
	if (strcmp(t->status, "open") != 0 && t->done_at)
		time_fmt_local(t->done_at, closed, sizeof(closed));
	const char *cells[] = { t->code, t->title, time_fmt_local(t->deadline, dl, sizeof(dl)),
				r.lead.len ? r.lead.data : "", r.owners.len ? r.owners.data : "",
				r.members.len ? r.members.data : "",
				t->team_name ? t->team_name : "",
				r.supervisor.len ? r.supervisor.data : "", t->rule_set, t->detail,
				t->status, closed };
	if (rc == STORE_OK)
		rc = table_add(e->t, cells) == 0 ? STORE_OK : STORE_ERROR;
	buf_free(&r.lead);
	buf_free(&r.owners);
	buf_free(&r.members);
	buf_free(&r.supervisor);
	return rc != STORE_OK;
}

int
cli_task_export(struct cli *c, const struct task_filter *f)
{
	static const char *const h[] = {
		NC_("column", "code"),	  NC_("column", "title"),	NC_("column", "deadline"),
		NC_("column", "lead"),	  NC_("column", "owners"),	NC_("column", "members"),
		NC_("column", "team"),	  NC_("column", "supervisor"), NC_("column", "rules"),
		NC_("column", "detail"), NC_("column", "status"),	NC_("column", "closed_at"),
	};
	struct export e = { .c = c, .t = table_new(ARRAY_LEN(h), h, "ssssssssssen") };

	if (e.t == NULL)
		return EXIT_FAIL;
	return cli_print_table(c, e.t, store_task_each(c->st, f, task_fn, &e));
}
