/*
 * cmd_people.c - "duban person ..." and "duban group ...": the people the
 * town keeps, their groups, and importing them from a spreadsheet.
 *
 * An import is all or nothing: every row is checked first and every bad
 * row reported as FILE:LINE: reason; then all rows go in one transaction,
 * which is rolled back if any row conflicts with the database.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "base/csv.h"
#include "base/phone.h"
#include "base/array.h"
#include "base/diag.h"
#include "base/str.h"
#include "base/clock.h"
#include "base/zone.h"

#define MAX_GROUPS_ARG 32

static bool
kind_valid(const char *k)
{
	return strcmp(k, "official") == 0 || strcmp(k, "farmer") == 0 ||
	       strcmp(k, "enterprise") == 0 || strcmp(k, "other") == 0;
}

/* ---- person add ---------------------------------------------------------- */

static const char person_add_help[] =
	"usage: duban person add --name NAME --phone PHONE [--title TITLE] [--org ORG]\n"
	"                        [--kind official|farmer|enterprise|other] [--group GROUP]...\n"
	"\n"
	"Add a person.  The phone number may be written as a clerk types it\n"
	"(138-0013-8000, +86 138 0013 8000, full-width digits ...); it is stored as\n"
	"+8613800138000.  A number someone already has is refused, naming them.\n"
	"Groups that do not exist yet are created.  kind defaults to other.\n";

static int
add_to_groups(struct cli *c, int64_t person, char **groups, size_t ngroups)
{
	for (size_t i = 0; i < ngroups; i++) {
		struct group g = { 0 };
		int rc = store_group_find(c->st, groups[i], true, &g);
		if (rc == STORE_OK)
			rc = store_member_add(c->st, g.id, person, NULL);
		group_clear(&g);
		if (rc != STORE_OK)
			return rc;
	}
	return STORE_OK;
}

static int
person_add(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' }, { "phone", required_argument, NULL, 'p' },
		{ "title", required_argument, NULL, 't' }, { "org", required_argument, NULL, 'o' },
		{ "kind", required_argument, NULL, 'k' }, { "group", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	struct person p = { 0 };
	char phone[PHONE_MAX], *groups[MAX_GROUPS_ARG];
	const char *raw_phone = NULL, *reason;
	size_t ngroups = 0;
	int64_t id;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'n': p.name = optarg; break;
		case 'p': raw_phone = optarg; break;
		case 't': p.title = optarg; break;
		case 'o': p.org = optarg; break;
		case 'k': p.kind = optarg; break;
		case 'g':
			if (ngroups == MAX_GROUPS_ARG)
				return cli_err(EXIT_USAGE, "at most %d --group options", MAX_GROUPS_ARG);
			groups[ngroups++] = optarg;
			break;
		case 'h': fputs(person_add_help, stdout); return EXIT_OK;
		default: fputs(person_add_help, stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc)
		return cli_err(EXIT_USAGE, "person add: unexpected argument \"%s\"", argv[optind]);
	if (p.name == NULL || *str_trim(p.name) == '\0' || raw_phone == NULL)
		return cli_err(EXIT_USAGE, "person add needs --name and --phone");
	if (phone_normalize(raw_phone, phone, sizeof(phone), &reason) != 0)
		return cli_err(EXIT_USAGE, "--phone \"%s\": %s", raw_phone, reason);
	p.phone = phone;
	if (p.kind && !kind_valid(p.kind))
		return cli_err(EXIT_USAGE, "--kind must be official, farmer, enterprise or other, not \"%s\"", p.kind);
	if (cli_store(c) == NULL)
		return EXIT_FAIL;
	if ((rc = store_begin(c->st)) != STORE_OK)
		goto fail;
	if ((rc = store_person_add(c->st, &p, &id)) != STORE_OK ||
	    (rc = add_to_groups(c, id, groups, ngroups)) != STORE_OK ||
	    (rc = store_event(c->st, c->actor, "person.add", phone, p.name)) != STORE_OK)
		goto fail;
	if ((rc = store_commit(c->st)) != STORE_OK)
		goto fail;
	printf("added #%lld %s %s\n", (long long)id, p.name, phone);
	return EXIT_OK;
fail:
	store_rollback(c->st);
	return cli_err(cli_store_exit(rc), "%s", store_errmsg(c->st));
}

/* ---- person list / show ---------------------------------------------------- */

static const char person_list_help[] =
	"usage: duban person list [--group G] [--org O] [--kind K] [--search TEXT]\n"
	"                         [--format table|csv|json]\n"
	"\n"
	"List people (all, or those matching every filter given).\n";

static int
person_row_add(void *arg, const struct person *p)
{
	struct table *t = arg;
	char id[24], opt[24] = "";

	snprintf(id, sizeof(id), "%lld", (long long)p->id);
	if (p->opted_out_at)
		time_fmt_local(p->opted_out_at, opt, sizeof(opt));
	const char *cells[] = { id, p->name, p->phone, p->title, p->org, p->kind,
				p->groups ? p->groups : "", opt };
	return table_add(t, cells);
}

static struct table *
person_table(void)
{
	static const char *const h[] = { "id", "name", "phone", "title", "org", "kind", "groups",
					 "opted_out" };
	return table_new(ARRAY_LEN(h), h, "isssssnn");
}

static int
parse_fmt_opt(struct cli *c, const char *arg)
{
	if (cli_parse_format(arg, &c->fmt) != 0)
		return cli_err(EXIT_USAGE, "--format must be table, csv or json, not \"%s\"", arg);
	return 0;
}

static int
person_list(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "group", required_argument, NULL, 'g' }, { "org", required_argument, NULL, 'o' },
		{ "kind", required_argument, NULL, 'k' }, { "search", required_argument, NULL, 's' },
		{ "format", required_argument, NULL, 'F' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct person_filter f = { 0 };
	struct table *t;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'g': f.group = optarg; break;
		case 'o': f.org = optarg; break;
		case 'k': f.kind = optarg; break;
		case 's': f.search = optarg; break;
		case 'F': if (parse_fmt_opt(c, optarg)) return EXIT_USAGE; break;
		case 'h': fputs(person_list_help, stdout); return EXIT_OK;
		default: fputs(person_list_help, stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc)
		return cli_err(EXIT_USAGE, "person list: unexpected argument \"%s\"", argv[optind]);
	if (cli_store(c) == NULL || (t = person_table()) == NULL)
		return EXIT_FAIL;
	rc = store_person_each(c->st, &f, person_row_add, t);
	if (rc == STORE_OK)
		table_print(t, c->fmt, stdout);
	else
		cli_err(EXIT_FAIL, "%s", store_errmsg(c->st));
	table_free(t);
	return rc == STORE_OK ? EXIT_OK : EXIT_FAIL;
}

/* Resolve WHO (name, phone in any form, #ID) to a person; prints why not. */
static int
find_person(struct cli *c, const char *who, struct person *p)
{
	int rc;

	rc = store_person_find(c->st, who, p);
	if (rc != STORE_OK)
		cli_err(cli_store_exit(rc), "%s", store_errmsg(c->st));
	return rc;
}

static const char person_show_help[] =
	"usage: duban person show WHO\n"
	"\n"
	"Show one person with their groups and tasks.  WHO is a phone number, a\n"
	"name only one person has, or #ID.\n";

static int
task_line(void *arg, const struct task *t)
{
	char dl[24];
	(void)arg;
	printf("  %-5s %s  %s  (%s)\n", t->code, time_fmt_local(t->deadline, dl, sizeof(dl)),
	       t->title, t->status);
	return 0;
}

static int
person_show(struct cli *c, int argc, char **argv)
{
	struct person p = { 0 };
	struct person_filter f = { 0 };
	struct task_filter tf = { 0 };
	struct table *t;
	int rc;

	if (cli_want_help(argc, argv, person_show_help))
		return EXIT_OK;
	if (argc != 2)
		return cli_err(EXIT_USAGE, "usage: duban person show WHO");
	if (cli_store(c) == NULL)
		return EXIT_FAIL;
	if ((rc = find_person(c, argv[1], &p)) != STORE_OK)
		return cli_store_exit(rc);
	if ((t = person_table()) == NULL) {
		person_clear(&p);
		return EXIT_FAIL;
	}
	f.id = p.id;
	if ((rc = store_person_each(c->st, &f, person_row_add, t)) != STORE_OK) {
		cli_err(EXIT_FAIL, "%s", store_errmsg(c->st));
		goto out;
	}
	if (c->fmt != FMT_TABLE) {
		table_print(t, c->fmt, stdout);
		goto out;
	}
	printf("#%lld %s\n  phone:  %s\n  title:  %s\n  org:    %s\n  kind:   %s\n",
	       (long long)p.id, p.name, p.phone, p.title, p.org, p.kind);
	printf("  groups: %s\n", table_cell(t, 0, 6));
	if (p.opted_out_at) {
		char ts[24];
		printf("  opted out of notices: %s\n", time_fmt_local(p.opted_out_at, ts, sizeof(ts)));
	}
	printf("tasks:\n");
	tf.person = p.id;
	rc = store_task_each(c->st, &tf, task_line, NULL);
out:
	table_free(t);
	person_clear(&p);
	return rc == STORE_OK ? EXIT_OK : EXIT_FAIL;
}

/* ---- person remove / optout / optin --------------------------------------- */

static const char person_remove_help[] =
	"usage: duban person remove WHO\n"
	"\n"
	"Remove a person and their group memberships.  Refused while they are\n"
	"assigned to a task (reassign it first with duban task update).  Messages\n"
	"already sent to them stay in the outbox for the record.\n";

static int
person_remove(struct cli *c, int argc, char **argv)
{
	struct person p = { 0 };
	int rc;

	if (cli_want_help(argc, argv, person_remove_help))
		return EXIT_OK;
	if (argc != 2)
		return cli_err(EXIT_USAGE, "usage: duban person remove WHO");
	if (cli_store(c) == NULL)
		return EXIT_FAIL;
	if ((rc = find_person(c, argv[1], &p)) != STORE_OK)
		return cli_store_exit(rc);
	if ((rc = store_begin(c->st)) == STORE_OK &&
	    (rc = store_person_remove(c->st, p.id)) == STORE_OK &&
	    (rc = store_event(c->st, c->actor, "person.remove", p.phone, p.name)) == STORE_OK)
		rc = store_commit(c->st);
	if (rc != STORE_OK) {
		store_rollback(c->st);
		cli_err(cli_store_exit(rc), "%s", store_errmsg(c->st));
	} else {
		printf("removed #%lld %s\n", (long long)p.id, p.name);
	}
	person_clear(&p);
	return rc == STORE_OK ? EXIT_OK : cli_store_exit(rc);
}

static const char person_optout_help[] =
	"usage: duban person optout WHO\n"
	"       duban person optin WHO\n"
	"\n"
	"Stop (or resume) policy notices to a person.  An opted-out person gets no\n"
	"notices; reminders to officials about tasks they are responsible for are\n"
	"NOT blocked by an opt-out, because they are part of the official's duty.\n";

static int
person_optinout(struct cli *c, int argc, char **argv, bool out)
{
	struct person p = { 0 };
	int rc;

	if (cli_want_help(argc, argv, person_optout_help))
		return EXIT_OK;
	if (argc != 2)
		return cli_err(EXIT_USAGE, "usage: duban person %s WHO", out ? "optout" : "optin");
	if (cli_store(c) == NULL)
		return EXIT_FAIL;
	if ((rc = find_person(c, argv[1], &p)) != STORE_OK)
		return cli_store_exit(rc);
	if ((rc = store_begin(c->st)) == STORE_OK &&
	    (rc = store_person_set_optout(c->st, p.id, out ? time_now() : 0)) == STORE_OK &&
	    (rc = store_event(c->st, c->actor, out ? "person.optout" : "person.optin", p.phone,
			      p.name)) == STORE_OK)
		rc = store_commit(c->st);
	if (rc != STORE_OK) {
		store_rollback(c->st);
		cli_err(EXIT_FAIL, "%s", store_errmsg(c->st));
	} else {
		printf("%s #%lld %s\n", out ? "opted out" : "opted in", (long long)p.id, p.name);
	}
	person_clear(&p);
	return rc == STORE_OK ? EXIT_OK : EXIT_FAIL;
}

static int
person_optout(struct cli *c, int argc, char **argv)
{
	return person_optinout(c, argc, argv, true);
}

static int
person_optin(struct cli *c, int argc, char **argv)
{
	return person_optinout(c, argc, argv, false);
}

/* ---- person import ----------------------------------------------------------- */

static const char person_import_help[] =
	"usage: duban person import FILE [--encoding auto|utf-8|gb18030] [--dry-run]\n"
	"\n"
	"Import people from a CSV file (RFC 4180; UTF-8 with or without BOM, or\n"
	"GB18030/GBK as Excel in China writes it, detected when the file is not\n"
	"valid UTF-8).  The header row names the columns, in any order:\n"
	"  name (姓名), phone (手机), title (职务), org (单位), kind (类别), groups (分组)\n"
	"name and phone are required; groups are separated by ';' and created when\n"
	"missing.  The import is all or nothing: if any row is bad, every bad row is\n"
	"reported as FILE:LINE: reason and nothing is changed.\n";

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

int
cli_import_header(const char *file, const struct csv_row *row, int *map, size_t nmap,
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
gcache_get(struct cli *c, struct gcache *gc, const char *name, int64_t *id)
{
	struct group g = { 0 };
	int rc;

	for (size_t i = 0; i < gc->n; i++)
		if (strcmp(gc->name[i], name) == 0) {
			*id = gc->id[i];
			return STORE_OK;
		}
	if ((rc = store_group_find(c->st, name, true, &g)) != STORE_OK)
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

/* Insert one checked row with its groups; conflicts go to d. */
static int
import_person_row(struct cli *c, const char *file, struct prow *r, struct gcache *gc,
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
	rc = store_person_add(c->st, &p, &id);
	if (rc == STORE_EXISTS) {
		diag_add(d, file, r->line, "%s", store_errmsg(c->st));
		return STORE_OK;
	}
	if (rc != STORE_OK || r->f[PC_GROUPS] == NULL)
		return rc;
	char *cur = r->f[PC_GROUPS], *tok;
	while ((tok = str_next_item(&cur)) != NULL) {
		if ((rc = gcache_get(c, gc, tok, &gid)) != STORE_OK ||
		    (rc = store_member_add(c->st, gid, id, NULL)) != STORE_OK)
			return rc;
	}
	return STORE_OK;
}

/* Read and check every row; rows that pass go to *rows. */
static int
read_people(const char *file, const char *encoding, struct prow **rows_out, size_t *nrows,
	    struct diag *d)
{
	static const bool required[PC_N] = { true, true, false, false, false, false };
	struct csv_reader *r = NULL;
	struct csv_row row;
	struct prow *rows = NULL;
	size_t n = 0, cap = 0;
	int map[CSV_FIELDS_MAX], rc;
	char err[512];
	bool header = true;

	if (csv_open_file(file, encoding, &r, err, sizeof(err)) != 0) {
		diag_add(d, NULL, 0, "%s", err);
		return -1;
	}
	while ((rc = csv_read(r, &row, err, sizeof(err))) != 0) {
		if (rc < 0) {
			diag_add(d, NULL, 0, "%s", err);
			continue;
		}
		if (header) {
			header = false;
			if (cli_import_header(file, &row, map, CSV_FIELDS_MAX, person_cols, PC_N, required, d) != 0)
				break;
			continue;
		}
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
			if (map[i] < 0) {
				if (*row.field[i])
					extra = true;
				continue;
			}
			p->f[map[i]] = str_trim(strdup(row.field[i]));
		}
		n++;
		if (extra) {
			diag_add(d, file, row.line, "more fields than the header has columns");
			continue;
		}
		const char *reason;
		if (p->f[PC_NAME] == NULL || *p->f[PC_NAME] == '\0')
			diag_add(d, file, row.line, "name is empty");
		if (p->f[PC_PHONE] == NULL || *p->f[PC_PHONE] == '\0')
			diag_add(d, file, row.line, "phone is empty");
		else if (phone_normalize(p->f[PC_PHONE], p->phone, sizeof(p->phone), &reason) != 0)
			diag_add(d, file, row.line, "phone \"%s\": %s", p->f[PC_PHONE], reason);
		if (p->f[PC_KIND] && *p->f[PC_KIND] && !kind_valid(p->f[PC_KIND]))
			diag_add(d, file, row.line,
				 "kind must be official, farmer, enterprise or other, not \"%s\"", p->f[PC_KIND]);
	}
	if (header && d->n == 0)
		diag_add(d, file, 0, "empty file: expected a header row");
	csv_close(r);
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

static int
person_import(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "encoding", required_argument, NULL, 'e' }, { "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	struct diag d = { 0 };
	struct prow *rows = NULL;
	struct gcache gc = { 0 };
	const char *encoding = NULL, *file;
	size_t n = 0;
	bool dry = false;
	int ch, rc = STORE_OK, code = EXIT_OK;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'e': encoding = optarg; break;
		case 'n': dry = true; break;
		case 'h': fputs(person_import_help, stdout); return EXIT_OK;
		default: fputs(person_import_help, stderr); return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc)
		return cli_err(EXIT_USAGE, "usage: duban person import FILE");
	file = argv[optind];
	if (cli_store(c) == NULL)
		return EXIT_FAIL;
	read_people(file, encoding, &rows, &n, &d);
	check_dup_phones(file, rows, n, &d);
	if (d.n == 0) {
		if ((rc = store_begin(c->st)) != STORE_OK)
			goto fail;
		for (size_t i = 0; i < n; i++)
			if ((rc = import_person_row(c, file, &rows[i], &gc, &d)) != STORE_OK)
				goto fail;
		if (d.n == 0 && !dry) {
			char detail[64];
			snprintf(detail, sizeof(detail), "%zu people", n);
			if ((rc = store_event(c->st, c->actor, "person.import", file, detail)) != STORE_OK ||
			    (rc = store_commit(c->st)) != STORE_OK)
				goto fail;
		} else {
			store_rollback(c->st);
		}
	}
	if (d.n) {
		if (d.n <= d.cap)
			qsort(d.line, d.n, sizeof(char *), by_line);
		diag_print(&d, stderr);
		cli_err(EXIT_USAGE, "%s: %zu problem%s; nothing imported", file, d.n, d.n == 1 ? "" : "s");
		code = EXIT_USAGE;
	} else {
		printf("%s %zu people from %s (%zu groups)\n", dry ? "would import" : "imported", n, file,
		       gc.n);
	}
	goto out;
fail:
	store_rollback(c->st);
	cli_err(EXIT_FAIL, "%s", store_errmsg(c->st));
	code = EXIT_FAIL;
out:
	gcache_free(&gc);
	prows_free(rows, n);
	diag_clear(&d);
	return code;
}

/* ---- groups ----------------------------------------------------------------- */

static const char group_help[] =
	"usage: duban group add NAME [--description TEXT]\n"
	"       duban group list [--format table|csv|json]\n"
	"       duban group show NAME [--format table|csv|json]\n"
	"       duban group remove NAME\n"
	"       duban group add-member NAME WHO...\n"
	"       duban group remove-member NAME WHO...\n"
	"\n"
	"Groups of people: 镇领导班子, 村两委-小雄村, 农户-小雄村 ...  A task's team is a\n"
	"group; notices go to groups.  Removing a group keeps its people.\n"
	"WHO is a phone number, a name only one person has, or #ID.\n";

static int
group_add(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "description", required_argument, NULL, 'd' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *desc = "";
	int ch, rc;
	int64_t id;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': desc = optarg; break;
		case 'h': fputs(group_help, stdout); return EXIT_OK;
		default: fputs(group_help, stderr); return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc || *argv[optind] == '\0')
		return cli_err(EXIT_USAGE, "usage: duban group add NAME [--description TEXT]");
	if (cli_store(c) == NULL)
		return EXIT_FAIL;
	if ((rc = store_begin(c->st)) == STORE_OK &&
	    (rc = store_group_add(c->st, argv[optind], desc, &id)) == STORE_OK &&
	    (rc = store_event(c->st, c->actor, "group.add", argv[optind], NULL)) == STORE_OK)
		rc = store_commit(c->st);
	if (rc != STORE_OK) {
		store_rollback(c->st);
		return cli_err(cli_store_exit(rc), "%s", store_errmsg(c->st));
	}
	printf("added group #%lld %s\n", (long long)id, argv[optind]);
	return EXIT_OK;
}

static int
group_row_add(void *arg, const struct group *g)
{
	char id[24], n[24];
	snprintf(id, sizeof(id), "%lld", (long long)g->id);
	snprintf(n, sizeof(n), "%lld", (long long)g->members);
	const char *cells[] = { id, g->name, n, g->description };
	return table_add(arg, cells);
}

static int
group_list(struct cli *c, int argc, char **argv)
{
	static const char *const h[] = { "id", "name", "members", "description" };
	struct table *t;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
			if (parse_fmt_opt(c, argv[++i]))
				return EXIT_USAGE;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			fputs(group_help, stdout);
			return EXIT_OK;
		} else {
			return cli_err(EXIT_USAGE, "group list: unexpected argument \"%s\"", argv[i]);
		}
	}
	if (cli_store(c) == NULL || (t = table_new(4, h, "isis")) == NULL)
		return EXIT_FAIL;
	rc = store_group_each(c->st, group_row_add, t);
	if (rc == STORE_OK)
		table_print(t, c->fmt, stdout);
	else
		cli_err(EXIT_FAIL, "%s", store_errmsg(c->st));
	table_free(t);
	return rc == STORE_OK ? EXIT_OK : EXIT_FAIL;
}

static int
group_show(struct cli *c, int argc, char **argv)
{
	struct person_filter f = { 0 };
	struct group g = { 0 };
	struct table *t;
	const char *name = NULL;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
			if (parse_fmt_opt(c, argv[++i]))
				return EXIT_USAGE;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			fputs(group_help, stdout);
			return EXIT_OK;
		} else if (name == NULL) {
			name = argv[i];
		} else {
			return cli_err(EXIT_USAGE, "group show: unexpected argument \"%s\"", argv[i]);
		}
	}
	if (name == NULL)
		return cli_err(EXIT_USAGE, "usage: duban group show NAME");
	if (cli_store(c) == NULL)
		return EXIT_FAIL;
	if ((rc = store_group_find(c->st, name, false, &g)) != STORE_OK)
		return cli_err(cli_store_exit(rc), "%s", store_errmsg(c->st));
	if ((t = person_table()) == NULL) {
		group_clear(&g);
		return EXIT_FAIL;
	}
	f.group = name;
	rc = store_person_each(c->st, &f, person_row_add, t);
	if (rc == STORE_OK) {
		if (c->fmt == FMT_TABLE)
			printf("%s: %lld members%s%s\n", g.name, (long long)g.members,
			       *g.description ? " - " : "", g.description);
		table_print(t, c->fmt, stdout);
	} else {
		cli_err(EXIT_FAIL, "%s", store_errmsg(c->st));
	}
	table_free(t);
	group_clear(&g);
	return rc == STORE_OK ? EXIT_OK : EXIT_FAIL;
}

static int
group_remove(struct cli *c, int argc, char **argv)
{
	struct group g = { 0 };
	int rc;

	if (cli_want_help(argc, argv, group_help))
		return EXIT_OK;
	if (argc != 2)
		return cli_err(EXIT_USAGE, "usage: duban group remove NAME");
	if (cli_store(c) == NULL)
		return EXIT_FAIL;
	if ((rc = store_begin(c->st)) == STORE_OK &&
	    (rc = store_group_find(c->st, argv[1], false, &g)) == STORE_OK &&
	    (rc = store_group_remove(c->st, g.id)) == STORE_OK &&
	    (rc = store_event(c->st, c->actor, "group.remove", g.name, NULL)) == STORE_OK)
		rc = store_commit(c->st);
	if (rc != STORE_OK) {
		store_rollback(c->st);
		cli_err(cli_store_exit(rc), "%s", store_errmsg(c->st));
	} else {
		printf("removed group %s (%lld members kept as people)\n", g.name, (long long)g.members);
	}
	group_clear(&g);
	return rc == STORE_OK ? EXIT_OK : cli_store_exit(rc);
}

static int
group_members(struct cli *c, int argc, char **argv, bool add)
{
	struct group g = { 0 };
	int rc, changed = 0;

	if (cli_want_help(argc, argv, group_help))
		return EXIT_OK;
	if (argc < 3)
		return cli_err(EXIT_USAGE, "usage: duban group %s NAME WHO...", argv[0]);
	if (cli_store(c) == NULL)
		return EXIT_FAIL;
	if ((rc = store_begin(c->st)) != STORE_OK)
		goto fail;
	if ((rc = store_group_find(c->st, argv[1], false, &g)) != STORE_OK)
		goto fail;
	for (int i = 2; i < argc; i++) {
		struct person p = { 0 };
		bool did;
		if ((rc = find_person(c, argv[i], &p)) != STORE_OK) {
			store_rollback(c->st);
			group_clear(&g);
			return cli_store_exit(rc);
		}
		rc = add ? store_member_add(c->st, g.id, p.id, &did)
			 : store_member_remove(c->st, g.id, p.id, &did);
		if (rc == STORE_OK && !did)
			fprintf(stderr, "duban: %s %s %s\n", p.name, add ? "is already in" : "is not in", g.name);
		changed += did;
		person_clear(&p);
		if (rc != STORE_OK)
			goto fail;
	}
	if ((rc = store_event(c->st, c->actor, add ? "group.add-member" : "group.remove-member",
			      g.name, NULL)) != STORE_OK ||
	    (rc = store_commit(c->st)) != STORE_OK)
		goto fail;
	printf("%s %d member%s %s %s\n", add ? "added" : "removed", changed, changed == 1 ? "" : "s",
	       add ? "to" : "from", g.name);
	group_clear(&g);
	return EXIT_OK;
fail:
	store_rollback(c->st);
	group_clear(&g);
	return cli_err(cli_store_exit(rc), "%s", store_errmsg(c->st));
}

static int
group_add_member(struct cli *c, int argc, char **argv)
{
	return group_members(c, argc, argv, true);
}

static int
group_remove_member(struct cli *c, int argc, char **argv)
{
	return group_members(c, argc, argv, false);
}

/* ---- dispatch ------------------------------------------------------------------ */

static const char person_help[] =
	"usage: duban person add --name NAME --phone PHONE [--title T] [--org O] [--kind K] [--group G]...\n"
	"       duban person list [--group G] [--org O] [--kind K] [--search TEXT] [--format F]\n"
	"       duban person show WHO\n"
	"       duban person remove WHO\n"
	"       duban person import FILE [--encoding auto|utf-8|gb18030] [--dry-run]\n"
	"       duban person optout WHO | optin WHO\n"
	"\n"
	"WHO is a phone number, a name only one person has, or #ID.\n"
	"\"duban person SUBCOMMAND --help\" tells more.\n";

int
cmd_person(struct cli *c, int argc, char **argv)
{
	static const struct cli_cmd cmds[] = {
		{ "add", person_add, NULL },       { "list", person_list, NULL },
		{ "show", person_show, NULL },     { "remove", person_remove, NULL },
		{ "import", person_import, NULL }, { "optout", person_optout, NULL },
		{ "optin", person_optin, NULL },   { NULL, NULL, NULL },
	};
	return cli_dispatch(c, argc, argv, cmds, person_help);
}

int
cmd_group(struct cli *c, int argc, char **argv)
{
	static const struct cli_cmd cmds[] = {
		{ "add", group_add, NULL },
		{ "list", group_list, NULL },
		{ "show", group_show, NULL },
		{ "remove", group_remove, NULL },
		{ "add-member", group_add_member, NULL },
		{ "remove-member", group_remove_member, NULL },
		{ NULL, NULL, NULL },
	};
	return cli_dispatch(c, argc, argv, cmds, group_help);
}
