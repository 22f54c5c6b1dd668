/*
 * import.c - people and tasks from a spreadsheet.  People are read and
 * checked whole first (a phone the file holds twice is found by sorting),
 * then inserted in one transaction that is rolled back if any row clashes
 * with the database; tasks are checked and inserted row by row inside one
 * transaction, since a row may name a person or group only the database
 * knows.  Either way a file goes in whole or not at all, and every bad row
 * is reported as FILE:LINE: reason.
 */
#include "core/import.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/phone.h"
#include "core/person.h"
#include "core/task.h"
#include "store/store.h"
#include "base/diag.h"
#include "base/str.h"
#include "base/zone.h"

int
import_header(const char *file, const struct csv_row *row, int *map, size_t nmap,
	      const char *const (*cols)[2], size_t ncols, const bool *required, struct diag *d)
{
	for (size_t i = 0; i < nmap; i++)
		map[i] = -1;
	if (row->n > nmap) {
		diag_add(d, file, row->line, "too many columns in the header (%zu)", row->n);
		return -1;
	}
	for (size_t i = 0; i < row->n; i++) {
		char h[64];
		if (strlcpy_checked(h, row->field[i], sizeof(h)) != 0)
			h[0] = '\0';
		str_trim(h);
		for (char *q = h; *q; q++)
			if (*q >= 'A' && *q <= 'Z')
				*q = (char)(*q - 'A' + 'a');
		size_t k;
		for (k = 0; k < ncols; k++)
			if (strcmp(h, cols[k][0]) == 0 || strcmp(h, cols[k][1]) == 0)
				break;
		if (k == ncols) {
			diag_add(d, file, row->line, "unknown column \"%s\"", row->field[i]);
			continue;
		}
		for (size_t j = 0; j < i; j++)
			if (map[j] == (int)k)
				diag_add(d, file, row->line, "column \"%s\" appears twice", cols[k][0]);
		map[i] = (int)k;
	}
	for (size_t k = 0; k < ncols; k++) {
		bool have = false;
		for (size_t i = 0; i < row->n; i++)
			if (map[i] == (int)k)
				have = true;
		if (required[k] && !have)
			diag_add(d, file, row->line, "missing column \"%s\"", cols[k][0]);
	}
	return d->n ? -1 : 0;
}

/* A spreadsheet being read: its first row names the columns. */
struct sheet {
	struct csv_reader *r;
	const char *file;
	const char *const (*cols)[2]; /* as import_header */
	size_t ncols;
	const bool *required;
	int map[CSV_FIELDS_MAX]; /* once the header is read: the column of each field, or -1 */
	bool header;             /* the header is still to come */
	char err[512];
};

/*
 * The next row of data of s into row: 1, or 0 at the end of the file or
 * when the header is bad.  The first row is taken as the header; a row
 * that cannot be read, a bad header and a file without even a header go
 * to d.
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
		if (!s->header)
			return 1;
		s->header = false;
		if (import_header(s->file, row, s->map, CSV_FIELDS_MAX, s->cols, s->ncols,
				  s->required, d) != 0)
			return 0;
	}
	if (s->header && d->n == 0)
		diag_add(d, s->file, 0, "empty file: expected a header row");
	return 0;
}

/* The answer to a file with problems, which are in d: nothing was imported. */
static int
nothing_imported(struct duban_ctx *x, const char *file, const struct diag *d)
{
	return action_refuse(x, ACTION_INVALID, "%s: %zu problem%s; nothing imported", file, d->n,
			     d->n == 1 ? "" : "s");
}

/* ---- people ----------------------------------------------------------------------- */

enum { PC_NAME, PC_PHONE, PC_TITLE, PC_ORG, PC_KIND, PC_GROUPS, PC_N };

static const char *const person_cols[PC_N][2] = {
	{ "name", "姓名" }, { "phone", "手机" }, { "title", "职务" },
	{ "org", "单位" },  { "kind", "类别" },  { "groups", "分组" },
};

struct prow {
	long line;
	char *f[PC_N];
	char phone[PHONE_MAX];
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

/* Insert one checked row with its groups; a clash with the database goes to d. */
static int
import_person_row(struct store *st, const char *file, struct prow *r, struct gcache *gc,
		  struct diag *d)
{
	struct person p = { 0 };
	int64_t id, gid;
	int rc;

	p.name = r->f[PC_NAME];
	p.phone = r->phone;
	p.title = r->f[PC_TITLE];
	p.org = r->f[PC_ORG];
	p.kind = r->f[PC_KIND] && *r->f[PC_KIND] ? r->f[PC_KIND] : "other";
	rc = store_person_add(st, &p, &id);
	if (rc == STORE_EXISTS) {
		diag_add(d, file, r->line, "%s", store_errmsg(st));
		return STORE_OK;
	}
	if (rc != STORE_OK || r->f[PC_GROUPS] == NULL)
		return rc;
	char *cur = r->f[PC_GROUPS], *tok;
	while ((tok = str_next_item(&cur)) != NULL) {
		if ((rc = gcache_get(st, gc, tok, &gid)) != STORE_OK ||
		    (rc = store_member_add(st, gid, id, NULL)) != STORE_OK)
			return rc;
	}
	return STORE_OK;
}

/* Check one row read into p; its problems go to d. */
static void
check_person_row(const char *file, struct prow *p, struct diag *d)
{
	const char *reason;

	if (p->f[PC_NAME] == NULL || *p->f[PC_NAME] == '\0')
		diag_add(d, file, p->line, "name is empty");
	if (p->f[PC_PHONE] == NULL || *p->f[PC_PHONE] == '\0')
		diag_add(d, file, p->line, "phone is empty");
	else if (phone_normalize(p->f[PC_PHONE], p->phone, sizeof(p->phone), &reason) != 0)
		diag_add(d, file, p->line, "phone \"%s\": %s", p->f[PC_PHONE], reason);
	if (p->f[PC_KIND] && *p->f[PC_KIND] && !person_kind_valid(p->f[PC_KIND]))
		diag_add(d, file, p->line, "kind must be " PERSON_KINDS ", not \"%s\"",
			 p->f[PC_KIND]);
}

/* Read and check every row; rows go to *rows_out. */
static int
read_people(const char *file, const char *encoding, struct prow **rows_out, size_t *nrows,
	    struct diag *d)
{
	static const bool required[PC_N] = { true, true, false, false, false, false };
	struct sheet s = { .file = file, .cols = person_cols, .ncols = PC_N, .required = required,
			   .header = true };
	struct csv_row row;
	struct prow *rows = NULL;
	size_t n = 0, cap = 0;

	if (csv_open_file(file, encoding, &s.r, s.err, sizeof(s.err)) != 0) {
		diag_add(d, NULL, 0, "%s", s.err);
		return -1;
	}
	while (sheet_next(&s, &row, d) == 1) {
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 256;
			struct prow *nr = realloc(rows, ncap * sizeof(*nr));
			if (nr == NULL) {
				diag_add(d, file, row.line, "out of memory");
				break;
			}
			rows = nr;
			cap = ncap;
		}
		struct prow *p = &rows[n];
		memset(p, 0, sizeof(*p));
		p->line = row.line;
		bool extra = false;
		for (size_t i = 0; i < row.n; i++) {
			if (s.map[i] < 0) {
				if (*row.field[i])
					extra = true;
				continue;
			}
			p->f[s.map[i]] = str_trim(strdup(row.field[i]));
		}
		n++;
		if (extra)
			diag_add(d, file, row.line, "more fields than the header has columns");
		else
			check_person_row(file, p, d);
	}
	csv_close(s.r);
	*rows_out = rows;
	*nrows = n;
	return d->n ? -1 : 0;
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
		diag_add(d, file, 0, "out of memory");
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
			diag_add(d, file, idx[i]->line, "phone %s is also on line %ld", idx[i]->phone,
				 idx[first]->line);
	}
	free(idx);
}

static int
by_line(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	const char *cx = strchr(x, ':'), *cy = strchr(y, ':');
	long lx = cx ? strtol(cx + 1, NULL, 10) : 0, ly = cy ? strtol(cy + 1, NULL, 10) : 0;
	return lx < ly ? -1 : lx > ly;
}

int
import_people(struct duban_ctx *x, const char *file, const char *encoding, bool dry,
	      struct diag *d, struct import_result *res)
{
	struct prow *rows = NULL;
	struct gcache gc = { 0 };
	size_t n = 0;
	int rc = ACTION_OK;

	memset(res, 0, sizeof(*res));
	read_people(file, encoding, &rows, &n, d);
	check_dup_phones(file, rows, n, d);
	if (d->n == 0) {
		if ((rc = store_begin(x->st)) != STORE_OK)
			goto fail;
		for (size_t i = 0; i < n; i++)
			if ((rc = import_person_row(x->st, file, &rows[i], &gc, d)) != STORE_OK)
				goto fail;
		if (d->n == 0 && !dry) {
			char detail[64];
			snprintf(detail, sizeof(detail), "%zu people", n);
			if ((rc = store_event(x->st, x->actor, "person.import", file, detail)) !=
				    STORE_OK ||
			    (rc = store_commit(x->st)) != STORE_OK)
				goto fail;
		} else {
			store_rollback(x->st);
		}
	}
	if (d->n) {
		if (d->n <= d->cap)
			qsort(d->line, d->n, sizeof(char *), by_line);
		rc = nothing_imported(x, file, d);
	}
	res->rows = n;
	res->groups = gc.n;
	goto out;
fail:
	rc = action_abort(x, STORE_ERROR);
out:
	gcache_free(&gc);
	prows_free(rows, n);
	return rc;
}

/* ---- tasks ------------------------------------------------------------------------ */

enum { TC_CODE, TC_TITLE, TC_DEADLINE, TC_LEAD, TC_OWNERS, TC_MEMBERS, TC_TEAM, TC_SUP, TC_RULES,
       TC_DETAIL, TC_N };

static const char *const task_cols[TC_N][2] = {
	{ "code", "编号" },     { "title", "事项" },    { "deadline", "时限" },
	{ "lead", "牵头领导" }, { "owners", "责任人" }, { "members", "成员" },
	{ "team", "班子" },     { "supervisor", "督办" }, { "rules", "规则" },
	{ "detail", "说明" },
};

/* Note a failed piece of a row in d; true (and *bad) when it was the database. */
static bool
row_problem(struct duban_ctx *x, int rc, const char *file, long line, const char *what,
	    struct diag *d, bool *bad)
{
	if (rc == ACTION_ERROR)
		return *bad = true;
	if (what)
		diag_add(d, file, line, "%s: %s", what, x->err);
	else
		diag_add(d, file, line, "%s", x->err);
	return false;
}

/*
 * Resolve the people and team of one row, their problems to d; *bad when
 * the database failed (x->err then says how, and the row stops there).
 */
static void
task_row_people(struct duban_ctx *x, const char *file, long line, char **f,
		struct task_people *tp, struct task *t, struct diag *d, bool *bad)
{
	int rc;

	if (f[TC_LEAD] == NULL || *f[TC_LEAD] == '\0')
		diag_add(d, file, line, "lead is empty");
	else if ((rc = task_people_add(x, tp, f[TC_LEAD], "lead")) != ACTION_OK &&
		 row_problem(x, rc, file, line, "lead", d, bad))
		return;
	if (f[TC_OWNERS] &&
	    (rc = task_people_add_list(x, tp, f[TC_OWNERS], "owner")) != ACTION_OK &&
	    row_problem(x, rc, file, line, "owners", d, bad))
		return;
	if (f[TC_MEMBERS] &&
	    (rc = task_people_add_list(x, tp, f[TC_MEMBERS], "member")) != ACTION_OK &&
	    row_problem(x, rc, file, line, "members", d, bad))
		return;
	if (f[TC_SUP] && *f[TC_SUP] &&
	    (rc = task_people_add(x, tp, f[TC_SUP], "supervisor")) != ACTION_OK &&
	    row_problem(x, rc, file, line, "supervisor", d, bad))
		return;
	if ((rc = task_team_find(x, f[TC_TEAM], &t->team)) != ACTION_OK)
		row_problem(x, rc, file, line, NULL, d, bad);
}

/* One row: check, resolve and insert, or add its problems to d. */
static int
import_task_row(struct duban_ctx *x, const char *file, long line, char **f, struct diag *d)
{
	struct task t = { 0 };
	struct task_people tp;
	size_t before = d->n;
	bool bad = false;
	int rc;

	tp.n = 0;
	t.code = f[TC_CODE];
	t.title = f[TC_TITLE];
	t.detail = f[TC_DETAIL];
	t.rule_set = f[TC_RULES];
	if (t.title == NULL || *t.title == '\0')
		diag_add(d, file, line, "title is empty");
	if (f[TC_DEADLINE] == NULL || time_parse_local(f[TC_DEADLINE], true, &t.deadline) != 0)
		diag_add(d, file, line, "deadline \"%s\": expected YYYY-MM-DD or YYYY-MM-DD HH:MM",
			 f[TC_DEADLINE] ? f[TC_DEADLINE] : "");
	task_row_people(x, file, line, f, &tp, &t, d, &bad);
	if (bad)
		return ACTION_ERROR;
	if (task_rules_check(x, t.rule_set) != ACTION_OK)
		diag_add(d, file, line, "rules: %s", x->err);
	if (d->n != before)
		return ACTION_OK;
	rc = store_task_add(x->st, &t, tp.a, tp.n, NULL, NULL);
	if (rc == STORE_EXISTS || rc == STORE_INVALID) {
		diag_add(d, file, line, "%s", store_errmsg(x->st));
		return ACTION_OK;
	}
	return rc == STORE_OK ? ACTION_OK : action_fail(x, rc);
}

/* Read every row of r into the open transaction; *n counts the rows. */
static int
read_tasks(struct duban_ctx *x, const char *file, struct csv_reader *r, struct diag *d,
	   size_t *n)
{
	static const bool required[TC_N] = { false, true, true, true };
	struct sheet s = { .r = r, .file = file, .cols = task_cols, .ncols = TC_N,
			   .required = required, .header = true };
	struct csv_row row;
	int rc;

	while (sheet_next(&s, &row, d) == 1) {
		char *f[TC_N] = { 0 };
		for (size_t i = 0; i < row.n; i++)
			if (s.map[i] >= 0)
				f[s.map[i]] = str_trim(strdup(row.field[i]));
			else if (*row.field[i])
				diag_add(d, file, row.line, "more fields than the header has columns");
		rc = import_task_row(x, file, row.line, f, d);
		for (int k = 0; k < TC_N; k++)
			free(f[k]);
		(*n)++;
		if (rc != ACTION_OK)
			return rc;
	}
	return ACTION_OK;
}

int
import_tasks(struct duban_ctx *x, const char *file, const char *encoding, bool dry,
	     struct diag *d, struct import_result *res)
{
	struct csv_reader *r = NULL;
	char detail[64];
	int rc;

	memset(res, 0, sizeof(*res));
	if (csv_open_file(file, encoding, &r, x->err, sizeof(x->err)) != 0)
		return ACTION_INVALID;
	if ((rc = store_begin(x->st)) != STORE_OK) {
		rc = action_fail(x, rc);
		goto out;
	}
	if ((rc = read_tasks(x, file, r, d, &res->rows)) != ACTION_OK) {
		store_rollback(x->st);
		goto out;
	}
	if (d->n || dry) {
		store_rollback(x->st);
	} else {
		snprintf(detail, sizeof(detail), "%zu tasks", res->rows);
		if ((rc = action_commit(x, "task.import", file, detail)) != ACTION_OK)
			goto out;
	}
	if (d->n)
		rc = nothing_imported(x, file, d);
out:
	csv_close(r);
	return rc;
}
