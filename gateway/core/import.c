/*
 * import.c - people and tasks from a spreadsheet, as the clerk's Excel
 * writes it (core/sheet.c reads the Excel-isms: column names, empty rows,
 * dates, list separators).  People are read and checked whole first (a
 * phone the file holds twice is found by sorting), then written in one
 * transaction that is rolled back if any row clashes with the database;
 * tasks are checked and inserted row by row inside one transaction, since
 * a row may name a person or group only the database knows.  Either way a
 * file goes in whole or not at all, and every distinct problem is said
 * once, as FILE:LINE: reason, with the rows that have it.
 */
#include "core/import.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/clock.h"
#include "base/i18n.h"
#include "base/phone.h"
#include "core/person.h"
#include "core/task.h"
#include "store/store.h"
#include "base/diag.h"
#include "base/str.h"
#include "base/zone.h"

/* A spreadsheet being read: its first row that is not empty names the columns. */
struct sheet {
	struct csv_reader *r;
	const char *file;
	const struct sheet_col *cols;
	size_t ncols;
	int map[CSV_FIELDS_MAX];    /* once the header is read: the column of each field, or -1 */
	bool named[CSV_FIELDS_MAX]; /* the header has a name over this field */
	bool header;                /* the header is still to come */
	struct sheet_header_info info;
	char err[512];
};

/*
 * The next row of data of s into row: 1, or 0 at the end of the file or
 * when the header is bad.  Empty rows are skipped; the first row that is
 * not empty is the header.  A row that cannot be read, a bad header and a
 * file without even a header go to d.
 */
static int
sheet_next(struct sheet *s, struct csv_row *row, struct diag *d)
{
	int rc;

	while ((rc = csv_read(s->r, row, s->err, sizeof(s->err))) != 0) {
		if (rc < 0) {
			diag_add(d, NULL, 0, "%s", s->err);
			continue;
		}
		if (sheet_row_empty(row))
			continue;
		if (!s->header)
			return 1;
		s->header = false;
		for (size_t i = 0; i < row->n && i < CSV_FIELDS_MAX; i++) {
			char h[8];
			strlcpy_checked(h, row->field[i], sizeof(h));
			s->named[i] = *str_trim(h) != '\0';
		}
		if (sheet_header(s->file, row, s->cols, s->ncols, s->map, CSV_FIELDS_MAX, &s->info,
				 d) != 0)
			return 0;
	}
	if (s->header && d->n == 0)
		diag_add(d, s->file, 0, "%s", _("empty file: expected a header row"));
	return 0;
}

/* Does row hold a value under no column name at all (beside the table)? */
static bool
sheet_extra(const struct sheet *s, const struct csv_row *row)
{
	for (size_t i = 0; i < row->n; i++) {
		if (i < CSV_FIELDS_MAX && s->named[i])
			continue;
		char v[8];
		strlcpy_checked(v, row->field[i], sizeof(v));
		if (*str_trim(v))
			return true;
	}
	return false;
}

/* The answer to a file with problems, which are in d: nothing was imported. */
static int
nothing_imported(struct duban_ctx *x, const char *file, const struct diag *d)
{
	return action_refuse(x, ACTION_INVALID,
			     ngettext("%s: %zu problem; nothing imported",
				      "%s: %zu problems; nothing imported", d->n),
			     file, d->n);
}

static int
by_line(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	const char *cx = strchr(x, ':'), *cy = strchr(y, ':');
	long lx = cx ? strtol(cx + 1, NULL, 10) : 0, ly = cy ? strtol(cy + 1, NULL, 10) : 0;
	return lx < ly ? -1 : lx > ly;
}

/* Sort the problems in d by their line (those without one first). */
static void
sort_diag(struct diag *d)
{
	if (d->n && d->n <= d->cap)
		qsort(d->line, d->n, sizeof(char *), by_line);
}

/* ---- people ----------------------------------------------------------------------- */

enum { PC_NAME, PC_PHONE, PC_TITLE, PC_ORG, PC_KIND, PC_GROUPS, PC_OPTOUT, PC_N };

static const struct sheet_col person_cols[PC_N] = {
	[PC_NAME] = { "name|姓名|名字", true },
	[PC_PHONE] = { "phone|手机|手机号|手机号码|联系电话|电话|mobile", true },
	[PC_TITLE] = { "title|职务|职位", false },
	[PC_ORG] = { "org|单位|所在单位|工作单位|所属单位", false },
	[PC_KIND] = { "kind|类别|人员类别|类型", false },
	[PC_GROUPS] = { "groups|group|分组|所属分组", false },
	[PC_OPTOUT] = { "opted_out|退订|退订时间", false },
};

struct prow {
	long line;
	char *f[PC_N];      /* NULL: the file has no such column */
	char phone[PHONE_MAX];
	const char *kind;   /* canonical, NULL when the row gives none */
	int64_t opted_out;  /* 0: not opted out */
};

static void
prows_free(struct prow *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < PC_N; k++)
			free(rows[i].f[k]);
	free(rows);
}

/* A small cache of group name -> id for the import's transaction. */
struct gcache {
	char **name;
	int64_t *id;
	size_t n, cap;
};

static int
gcache_get(struct store *st, struct gcache *gc, const char *name, int64_t *id)
{
	struct group g = { 0 };
	int rc;

	for (size_t i = 0; i < gc->n; i++)
		if (strcmp(gc->name[i], name) == 0) {
			*id = gc->id[i];
			return STORE_OK;
		}
	if ((rc = store_group_find(st, name, true, &g)) != STORE_OK)
		return rc;
	int64_t gid = g.id;
	group_clear(&g);
	if (gc->n == gc->cap) {
		size_t ncap = gc->cap ? gc->cap * 2 : 16;
		char **nn = realloc(gc->name, ncap * sizeof(char *));
		if (nn == NULL)
			return STORE_ERROR;
		gc->name = nn;
		int64_t *ni = realloc(gc->id, ncap * sizeof(int64_t));
		if (ni == NULL)
			return STORE_ERROR;
		gc->id = ni;
		gc->cap = ncap;
	}
	if ((gc->name[gc->n] = strdup(name)) == NULL)
		return STORE_ERROR;
	gc->id[gc->n++] = gid;
	*id = gid;
	return STORE_OK;
}

static void
gcache_free(struct gcache *gc)
{
	for (size_t i = 0; i < gc->n; i++)
		free(gc->name[i]);
	free(gc->name);
	free(gc->id);
}

/* Put person id into the groups of r; *joined (may be NULL) tells whether any was new. */
static int
join_row_groups(struct store *st, struct prow *r, struct gcache *gc, int64_t id, bool *joined)
{
	char *cur = r->f[PC_GROUPS], *tok;
	int64_t gid;
	bool added;
	int rc;

	while (cur && (tok = str_next_item(&cur)) != NULL) {
		if ((rc = gcache_get(st, gc, tok, &gid)) != STORE_OK ||
		    (rc = store_member_add(st, gid, id, &added)) != STORE_OK)
			return rc;
		if (joined && added)
			*joined = true;
	}
	return STORE_OK;
}

struct name_match {
	const char *name;
	int64_t id;
	int n;
};

static int
name_match_fn(void *arg, const struct person *p)
{
	struct name_match *m = arg;

	if (strcmp(p->name, m->name) == 0) {
		m->id = p->id;
		m->n++;
	}
	return 0;
}

/*
 * The person a row of --update is about: the one with its phone, else the
 * only one with its name and org.  STORE_OK with *old filled, or
 * STORE_NOTFOUND.
 */
static int
find_existing(struct store *st, const struct prow *r, struct person *old)
{
	struct person_filter f = { 0 };
	struct name_match m = { .name = r->f[PC_NAME] };
	int rc;

	if ((rc = store_person_find(st, r->phone, old)) != STORE_NOTFOUND)
		return rc;
	f.org = r->f[PC_ORG] ? r->f[PC_ORG] : "";
	if ((rc = store_person_each(st, &f, name_match_fn, &m)) != STORE_OK)
		return rc;
	if (m.n != 1)
		return STORE_NOTFOUND;
	return store_person_get(st, m.id, old);
}

/* s when it differs from old (a change to make), else NULL. */
static char *
changed_to(char *s, const char *old)
{
	return s && strcmp(s, old ? old : "") != 0 ? s : NULL;
}

/* Update old from row r (--update); *changed tells whether anything changed. */
static int
update_person_row(struct store *st, const char *file, struct prow *r, struct gcache *gc,
		  struct person *old, bool *changed, struct diag *d)
{
	struct person now = { 0 };
	int rc;

	now.name = changed_to(r->f[PC_NAME], old->name);
	now.phone = changed_to(r->phone, old->phone);
	now.title = changed_to(r->f[PC_TITLE], old->title);
	now.org = changed_to(r->f[PC_ORG], old->org);
	now.kind = r->kind ? changed_to((char *)r->kind, old->kind) : NULL;
	*changed = now.name || now.phone || now.title || now.org || now.kind;
	if (*changed && (rc = store_person_update(st, old->id, &now)) != STORE_OK) {
		if (rc != STORE_EXISTS)
			return rc;
		diag_add(d, file, r->line, "%s", store_errmsg(st));
		return STORE_OK;
	}
	if (r->opted_out && !old->opted_out_at) {
		if ((rc = store_person_set_optout(st, old->id, r->opted_out)) != STORE_OK)
			return rc;
		*changed = true;
	}
	return join_row_groups(st, r, gc, old->id, changed);
}

/* Write one checked row with its groups; a clash with the database goes to d. */
static int
import_person_row(struct store *st, const char *file, struct prow *r, struct gcache *gc,
		  bool update, struct import_result *res, struct diag *d)
{
	struct person p = { 0 }, old = { 0 };
	bool changed = false;
	int64_t id;
	int rc;

	if (update) {
		rc = find_existing(st, r, &old);
		if (rc == STORE_OK) {
			rc = update_person_row(st, file, r, gc, &old, &changed, d);
			person_clear(&old);
			if (rc == STORE_OK)
				(changed ? res->updated++ : res->unchanged++);
			return rc;
		}
		if (rc != STORE_NOTFOUND)
			return rc;
	}
	p.name = r->f[PC_NAME];
	p.phone = r->phone;
	p.title = r->f[PC_TITLE];
	p.org = r->f[PC_ORG];
	p.kind = (char *)(r->kind ? r->kind : "other");
	rc = store_person_add(st, &p, &id);
	if (rc == STORE_EXISTS) {
		diag_add(d, file, r->line, "%s", store_errmsg(st));
		return STORE_OK;
	}
	if (rc == STORE_OK && r->opted_out)
		rc = store_person_set_optout(st, id, r->opted_out);
	if (rc != STORE_OK)
		return rc;
	res->added++;
	return join_row_groups(st, r, gc, id, NULL);
}

/*
 * An opt-out cell: empty, 否 or no is none (*at 0); a time (as dates are
 * written) is when; 是, yes or 已退订 is now.  0 or -1.
 */
static int
parse_optout(const char *v, int64_t *at)
{
	char when[32];

	*at = 0;
	if (v == NULL || *v == '\0' || strcmp(v, "否") == 0 || strcasecmp(v, "no") == 0)
		return 0;
	if (strcmp(v, "是") == 0 || strcasecmp(v, "yes") == 0 || strcmp(v, "已退订") == 0) {
		*at = time_now();
		return 0;
	}
	if (sheet_date(v, when, sizeof(when)) != 0 || time_parse_local(when, false, at) != 0)
		return -1;
	return 0;
}

/* Check one row read into p; its problems go to sp. */
static void
check_person_row(struct prow *p, struct sheet_problems *sp)
{
	const char *reason;

	if (p->f[PC_NAME] == NULL || *p->f[PC_NAME] == '\0')
		sheet_problem(sp, p->line, "%s", _("name is empty"));
	if (p->f[PC_PHONE] == NULL || *p->f[PC_PHONE] == '\0')
		sheet_problem(sp, p->line, "%s", _("phone is empty"));
	else if (phone_normalize(p->f[PC_PHONE], p->phone, sizeof(p->phone), &reason) != 0)
		sheet_problem(sp, p->line, _("phone \"%s\": %s"), p->f[PC_PHONE], reason);
	if (p->f[PC_KIND] && *p->f[PC_KIND] && (p->kind = person_kind_canon(p->f[PC_KIND])) == NULL)
		sheet_problem(sp, p->line, _("kind must be %s, not \"%s\""), _(PERSON_KINDS),
			      p->f[PC_KIND]);
	if (parse_optout(p->f[PC_OPTOUT], &p->opted_out) != 0)
		sheet_problem(sp, p->line, _("opted_out \"%s\": expected a date such as 2008-12-31, or 是/否"),
			      p->f[PC_OPTOUT]);
	if (p->f[PC_GROUPS])
		sheet_list(p->f[PC_GROUPS]);
}

/* Read and check every row; rows go to *rows_out, problems to sp (or d). */
static int
read_people(const struct import_opts *o, struct prow **rows_out, size_t *nrows,
	    struct import_result *res, struct sheet_problems *sp, struct diag *d)
{
	struct sheet s = { .file = o->file, .cols = person_cols, .ncols = PC_N, .header = true };
	struct csv_row row;
	struct prow *rows = NULL;
	size_t n = 0, cap = 0;

	if (csv_open_file(o->file, o->encoding, &s.r, s.err, sizeof(s.err)) != 0) {
		diag_add(d, NULL, 0, "%s", s.err);
		return -1;
	}
	while (sheet_next(&s, &row, d) == 1) {
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 256;
			struct prow *nr = realloc(rows, ncap * sizeof(*nr));
			if (nr == NULL) {
				diag_add(d, o->file, row.line, "%s", _("out of memory"));
				break;
			}
			rows = nr;
			cap = ncap;
		}
		struct prow *p = &rows[n++];
		memset(p, 0, sizeof(*p));
		p->line = row.line;
		for (size_t i = 0; i < row.n && i < CSV_FIELDS_MAX; i++)
			if (s.map[i] >= 0)
				p->f[s.map[i]] = str_trim(strdup(row.field[i]));
		if (sheet_extra(&s, &row))
			sheet_problem(sp, row.line, "%s", _("a value in a column without a name"));
		else
			check_person_row(p, sp);
	}
	csv_close(s.r);
	memcpy(res->ignored, s.info.ignored, sizeof(res->ignored));
	*rows_out = rows;
	*nrows = n;
	return 0;
}

static int
cmp_phone(const void *a, const void *b)
{
	const struct prow *x = *(const struct prow *const *)a, *y = *(const struct prow *const *)b;
	int c = strcmp(x->phone, y->phone);
	return c ? c : (x->line < y->line ? -1 : x->line > y->line);
}

/*
 * Report phone numbers that appear twice in the file.  Rows whose phone
 * was refused (empty normalized phone) are already reported and skipped
 * here, so that a file's duplicates show up along with its other errors.
 */
static void
check_dup_phones(const char *file, struct prow *rows, size_t n, struct diag *d)
{
	struct prow **idx;
	size_t m = 0;

	if (n < 2)
		return;
	if ((idx = malloc(n * sizeof(*idx))) == NULL) {
		diag_add(d, file, 0, "%s", _("out of memory"));
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (rows[i].phone[0] != '\0')
			idx[m++] = &rows[i];
	qsort(idx, m, sizeof(*idx), cmp_phone);
	for (size_t i = 1, first = 0; i < m; i++) {
		if (strcmp(idx[i]->phone, idx[first]->phone) != 0)
			first = i;
		else
			diag_add(d, file, idx[i]->line, _("phone %s is also on line %ld"),
				 idx[i]->phone, idx[first]->line);
	}
	free(idx);
}

/* Write the checked rows in the open transaction; problems with the database to d. */
static int
write_people(struct duban_ctx *x, const struct import_opts *o, struct prow *rows, size_t n,
	     struct gcache *gc, struct import_result *res, struct diag *d)
{
	char detail[128];
	int rc;

	for (size_t i = 0; i < n; i++)
		if ((rc = import_person_row(x->st, o->file, &rows[i], gc, o->update, res, d)) !=
		    STORE_OK)
			return rc;
	if (d->n || o->dry) {
		store_rollback(x->st);
		return STORE_OK;
	}
	snprintf(detail, sizeof(detail), "%zu added, %zu updated, %zu unchanged", res->added,
		 res->updated, res->unchanged);
	if ((rc = store_event(x->st, x->actor, "person.import", o->file, detail)) != STORE_OK)
		return rc;
	return store_commit(x->st);
}

int
import_people(struct duban_ctx *x, const struct import_opts *o, struct diag *d,
	      struct import_result *res)
{
	struct sheet_problems sp = { 0 };
	struct prow *rows = NULL;
	struct gcache gc = { 0 };
	size_t n = 0;
	int rc = ACTION_OK;

	memset(res, 0, sizeof(*res));
	read_people(o, &rows, &n, res, &sp, d);
	sheet_problems_flush(&sp, o->file, d);
	check_dup_phones(o->file, rows, n, d);
	if (d->n == 0) {
		if ((rc = store_begin(x->st)) != STORE_OK ||
		    (rc = write_people(x, o, rows, n, &gc, res, d)) != STORE_OK) {
			rc = action_abort(x, STORE_ERROR);
			goto out;
		}
	}
	if (d->n) {
		sort_diag(d);
		rc = nothing_imported(x, o->file, d);
	}
	res->rows = n;
	res->groups = gc.n;
out:
	gcache_free(&gc);
	prows_free(rows, n);
	return rc;
}

/* ---- tasks ------------------------------------------------------------------------ */

enum { TC_CODE, TC_TITLE, TC_DEADLINE, TC_LEAD, TC_OWNERS, TC_MEMBERS, TC_TEAM, TC_SUP, TC_RULES,
       TC_DETAIL, TC_STATUS, TC_CLOSED, TC_N };

static const struct sheet_col task_cols[TC_N] = {
	[TC_CODE] = { "code|编号|代码", false },
	[TC_TITLE] = { "title|督办事项|事项|标题|事项名称|项目", true },
	[TC_DEADLINE] = { "deadline|完成时限|时限|期限|截止日期|截止时间", true },
	[TC_LEAD] = { "lead|牵头领导|责任领导", true },
	[TC_OWNERS] = { "owners|owner|责任人", false },
	[TC_MEMBERS] = { "members|member|成员", false },
	[TC_TEAM] = { "team|班子|责任班子", false },
	[TC_SUP] = { "supervisor|督办领导|督办", false },
	[TC_RULES] = { "rules|规则", false },
	[TC_DETAIL] = { "detail|说明|详情|具体内容", false },
	[TC_STATUS] = { "status|状态", false },
	[TC_CLOSED] = { "closed_at|关闭时间|办结时间", false },
};

/* A task's status as a sheet writes it: open, done, cancelled (any case) or Chinese; NULL: none. */
static const char *
task_status(const char *s)
{
	static const char *const st[][6] = {
		{ "open", "进行中", "未完成", "overdue", "已超期", NULL },
		{ "done", "已完成", "完成", "已办结", "办结", NULL },
		{ "cancelled", "已取消", "取消", NULL },
	};

	if (s == NULL || *s == '\0')
		return "open";
	for (size_t i = 0; i < sizeof(st) / sizeof(st[0]); i++)
		for (size_t j = 0; st[i][j]; j++)
			if (strcasecmp(s, st[i][j]) == 0)
				return st[i][0];
	return NULL;
}

/* Note a failed piece of a row in sp; true (and *bad) when it was the database. */
static bool
row_problem(struct duban_ctx *x, int rc, long line, const char *what, struct sheet_problems *sp,
	    bool *bad)
{
	if (rc == ACTION_ERROR)
		return *bad = true;
	if (what)
		sheet_problem(sp, line, "%s: %s", what, x->err);
	else
		sheet_problem(sp, line, "%s", x->err);
	return false;
}

/*
 * Resolve the people and team of one row, their problems to sp; *bad when
 * the database failed (x->err then says how, and the row stops there).
 */
static void
task_row_people(struct duban_ctx *x, long line, char **f, struct task_people *tp,
		struct task *t, struct sheet_problems *sp, bool *bad)
{
	int rc;

	if (f[TC_LEAD] == NULL || *f[TC_LEAD] == '\0')
		sheet_problem(sp, line, "%s", _("lead is empty"));
	else if ((rc = task_people_add(x, tp, f[TC_LEAD], "lead")) != ACTION_OK &&
		 row_problem(x, rc, line, _("lead"), sp, bad))
		return;
	if (f[TC_OWNERS] &&
	    (rc = task_people_add_list(x, tp, f[TC_OWNERS], "owner")) != ACTION_OK &&
	    row_problem(x, rc, line, _("owners"), sp, bad))
		return;
	if (f[TC_MEMBERS] &&
	    (rc = task_people_add_list(x, tp, f[TC_MEMBERS], "member")) != ACTION_OK &&
	    row_problem(x, rc, line, _("members"), sp, bad))
		return;
	if (f[TC_SUP] && *f[TC_SUP] &&
	    (rc = task_people_add(x, tp, f[TC_SUP], "supervisor")) != ACTION_OK &&
	    row_problem(x, rc, line, _("supervisor"), sp, bad))
		return;
	if ((rc = task_team_find(x, f[TC_TEAM], &t->team)) != ACTION_OK)
		row_problem(x, rc, line, NULL, sp, bad);
}

/* One row: check, resolve and insert, or add its problems to sp (or d). */
static int
import_task_row(struct duban_ctx *x, const char *file, long line, char **f,
		struct sheet_problems *sp, struct diag *d)
{
	struct task t = { 0 };
	struct task_people tp;
	size_t before = sheet_problems_count(sp), dbefore = d->n;
	char when[32];
	bool bad = false;
	int rc;

	tp.n = 0;
	t.code = f[TC_CODE];
	t.title = f[TC_TITLE];
	t.detail = f[TC_DETAIL];
	t.rule_set = f[TC_RULES];
	if (t.title == NULL || *t.title == '\0')
		sheet_problem(sp, line, "%s", _("title is empty"));
	if (f[TC_DEADLINE] == NULL || sheet_date(f[TC_DEADLINE], when, sizeof(when)) != 0 ||
	    time_parse_local(when, true, &t.deadline) != 0)
		sheet_problem(sp, line,
			      _("deadline \"%s\": expected a date such as 2008-12-31, 2008/12/31 or "
				"2008年12月31日, with an optional time HH:MM"),
			      f[TC_DEADLINE] ? f[TC_DEADLINE] : "");
	if (f[TC_OWNERS])
		sheet_list(f[TC_OWNERS]);
	if (f[TC_MEMBERS])
		sheet_list(f[TC_MEMBERS]);
	const char *status = task_status(f[TC_STATUS]);
	int64_t closed = 0;
	if (status == NULL)
		sheet_problem(sp, line, _("status \"%s\": expected open, done or cancelled (进行中, 已完成, 已取消)"),
			      f[TC_STATUS]);
	else if (strcmp(status, "open") != 0 && f[TC_CLOSED] && *f[TC_CLOSED] &&
		 (sheet_date(f[TC_CLOSED], when, sizeof(when)) != 0 ||
		  time_parse_local(when, false, &closed) != 0))
		sheet_problem(sp, line, _("closed_at \"%s\": expected a date such as 2008-12-31 17:00"),
			      f[TC_CLOSED]);
	task_row_people(x, line, f, &tp, &t, sp, &bad);
	if (bad)
		return ACTION_ERROR;
	if (task_rules_check(x, t.rule_set) != ACTION_OK)
		sheet_problem(sp, line, "%s: %s", _("rules"), x->err);
	if (sheet_problems_count(sp) != before || d->n != dbefore)
		return ACTION_OK;
	int64_t id;
	rc = store_task_add(x->st, &t, tp.a, tp.n, &id, NULL);
	if (rc == STORE_EXISTS || rc == STORE_INVALID) {
		diag_add(d, file, line, "%s", store_errmsg(x->st));
		return ACTION_OK;
	}
	if (rc == STORE_OK && strcmp(status, "open") != 0)
		rc = store_task_set_status(x->st, id, status, closed ? closed : time_now(), 0);
	return rc == STORE_OK ? ACTION_OK : action_fail(x, rc);
}

/* Read every row of r into the open transaction; *n counts the rows. */
static int
read_tasks(struct duban_ctx *x, const char *file, struct csv_reader *r, struct diag *d,
	   struct import_result *res)
{
	struct sheet s = { .r = r, .file = file, .cols = task_cols, .ncols = TC_N, .header = true };
	struct sheet_problems sp = { 0 };
	struct csv_row row;
	int rc = ACTION_OK;

	while (sheet_next(&s, &row, d) == 1) {
		char *f[TC_N] = { 0 };
		for (size_t i = 0; i < row.n && i < CSV_FIELDS_MAX; i++)
			if (s.map[i] >= 0)
				f[s.map[i]] = str_trim(strdup(row.field[i]));
		if (sheet_extra(&s, &row))
			sheet_problem(&sp, row.line, "%s", _("a value in a column without a name"));
		else
			rc = import_task_row(x, file, row.line, f, &sp, d);
		for (int k = 0; k < TC_N; k++)
			free(f[k]);
		res->rows++;
		if (rc != ACTION_OK)
			break;
	}
	memcpy(res->ignored, s.info.ignored, sizeof(res->ignored));
	sheet_problems_flush(&sp, file, d);
	return rc;
}

int
import_tasks(struct duban_ctx *x, const struct import_opts *o, struct diag *d,
	     struct import_result *res)
{
	struct csv_reader *r = NULL;
	char detail[64];
	int rc;

	memset(res, 0, sizeof(*res));
	if (csv_open_file(o->file, o->encoding, &r, x->err, sizeof(x->err)) != 0)
		return ACTION_INVALID;
	if ((rc = store_begin(x->st)) != STORE_OK) {
		rc = action_fail(x, rc);
		goto out;
	}
	if ((rc = read_tasks(x, o->file, r, d, res)) != ACTION_OK) {
		store_rollback(x->st);
		goto out;
	}
	res->added = res->rows;
	if (d->n || o->dry) {
		store_rollback(x->st);
	} else {
		snprintf(detail, sizeof(detail), "%zu tasks", res->rows);
		if ((rc = action_commit(x, "task.import", o->file, detail)) != ACTION_OK)
			goto out;
	}
	if (d->n) {
		sort_diag(d);
		rc = nothing_imported(x, o->file, d);
	}
out:
	csv_close(r);
	return rc;
}
