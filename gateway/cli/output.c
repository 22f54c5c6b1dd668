/*
 * output.c - printing results as an aligned table, CSV or JSON.  Tables are
 * small (what a clerk reads); large exports stream through the same code,
 * which keeps the rows in memory only to align columns.
 */
#include "cli/cli.h"
#include "base/i18n.h"

#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "base/csv.h"
#include "base/i18n.h"
#include "base/str.h"
#include "base/utf8.h"

struct table {
	size_t ncols, nrows, cap;
	char **headers;
	char *types;
	const char *ctx; /* gettext context of the headers; "column" */
	bool *no_csv;    /* columns CSV leaves out (NULL: none) */
	char **cells; /* nrows * ncols */
};

struct table *
table_new(size_t ncols, const char *const *headers, const char *types)
{
	struct table *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->ncols = ncols;
	t->ctx = "column";
	t->headers = calloc(ncols, sizeof(char *));
	t->types = strdup(types);
	if (t->headers == NULL || t->types == NULL || strlen(types) != ncols) {
		table_free(t);
		return NULL;
	}
	for (size_t i = 0; i < ncols; i++)
		if ((t->headers[i] = strdup(headers[i])) == NULL) {
			table_free(t);
			return NULL;
		}
	return t;
}

int
table_add(struct table *t, const char *const *cells)
{
	if (t->nrows == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 16;
		char **nc = realloc(t->cells, ncap * t->ncols * sizeof(char *));
		if (nc == NULL)
			return -1;
		t->cells = nc;
		t->cap = ncap;
	}
	char **row = t->cells + t->nrows * t->ncols;
	for (size_t i = 0; i < t->ncols; i++) {
		row[i] = strdup(cells[i] ? cells[i] : "");
		if (row[i] == NULL) {
			while (i-- > 0)
				free(row[i]);
			return -1;
		}
	}
	t->nrows++;
	return 0;
}

int
table_csv_omit(struct table *t, size_t col)
{
	if (t->no_csv == NULL && (t->no_csv = calloc(t->ncols, sizeof(bool))) == NULL)
		return -1;
	if (col < t->ncols)
		t->no_csv[col] = true;
	return 0;
}

void
table_set_context(struct table *t, const char *ctx)
{
	t->ctx = ctx;
}

size_t
table_rows(const struct table *t)
{
	return t->nrows;
}

const char *
table_cell(const struct table *t, size_t row, size_t col)
{
	if (row >= t->nrows || col >= t->ncols)
		return "";
	return t->cells[row * t->ncols + col];
}

void
table_free(struct table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	if (t->headers)
		for (size_t i = 0; i < t->ncols; i++)
			free(t->headers[i]);
	free(t->headers);
	free(t->types);
	free(t->no_csv);
	free(t);
}

static void
pad(FILE *fp, size_t n)
{
	while (n-- > 0)
		fputc(' ', fp);
}

/*
 * The words 'e' columns hold, as the store keeps them (marked here so
 * that the catalogue has them): kinds, statuses of tasks, messages and
 * notices, kinds of message, roles, the states of a reply, the periods and
 * states of a series, a staff account's state, the calendar's kinds and
 * sources (its weekdays are marked where cmd_calendar.c names them).
 */
static const char *const value_words[] = {
	NC_("value", "official"), NC_("value", "farmer"), NC_("value", "enterprise"),
	NC_("value", "other"), NC_("value", "open"), NC_("value", "overdue"),
	NC_("value", "done"), NC_("value", "cancelled"), NC_("value", "queued"),
	NC_("value", "sending"), NC_("value", "sent"), NC_("value", "delivered"),
	NC_("value", "failed"), NC_("value", "expired"), NC_("value", "skipped"),
	NC_("value", "pending"), NC_("value", "scheduled"), NC_("value", "reminder"),
	NC_("value", "escalation"), NC_("value", "notice"), NC_("value", "manual"),
	NC_("value", "reply"), NC_("value", "lead"), NC_("value", "owner"),
	NC_("value", "member"), NC_("value", "supervisor"), NC_("value", "new"),
	NC_("value", "handled"), NC_("value", "read"), NC_("value", "total"),
	NC_("value", "week"), NC_("value", "month"), NC_("value", "quarter"),
	NC_("value", "year"), NC_("value", "active"), NC_("value", "stopped"),
	NC_("value", "disabled"), NC_("value", "holiday"), NC_("value", "workday"),
	NC_("value", "town"), NC_("value", "state"),
};

bool
table_word_known(const char *w)
{
	for (size_t i = 0; i < sizeof(value_words) / sizeof(value_words[0]); i++)
		if (strcmp(value_words[i], w) == 0)
			return true;
	return false;
}

/*
 * What a person reads in cell (r, c), r 0 being the header: headers and
 * the words of 'e' columns in the language (C_), the rest as it is.
 */
static const char *
shown(const struct table *t, size_t r, size_t c)
{
	if (r == 0) {
		const char *h = C_(t->ctx, t->headers[c]);
		return h != t->headers[c] ? h : C_("column", h);
	}
	const char *v = t->cells[(r - 1) * t->ncols + c];
	return t->types[c] == 'e' && *v ? C_("value", v) : v;
}

static int
print_text(const struct table *t, FILE *fp)
{
	size_t *w = calloc(t->ncols, sizeof(size_t));

	if (w == NULL)
		return -1;
	for (size_t r = 0; r <= t->nrows; r++)
		for (size_t c = 0; c < t->ncols; c++) {
			size_t cw = utf8_width(shown(t, r, c));
			if (cw > w[c])
				w[c] = cw;
		}
	for (size_t r = 0; r <= t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			bool last = c + 1 == t->ncols;
			bool num = t->types[c] == 'i';
			const char *v = shown(t, r, c);
			size_t cw = utf8_width(v);
			if (num && r > 0)
				pad(fp, w[c] - cw);
			fputs(v, fp);
			if (!last) {
				if (!(num && r > 0))
					pad(fp, w[c] - cw);
				fputs("  ", fp);
			}
		}
		fputc('\n', fp);
	}
	free(w);
	return ferror(fp) ? -1 : 0;
}

static int
print_csv(const struct table *t, FILE *fp)
{
	const char **row = calloc(t->ncols ? t->ncols : 1, sizeof(char *));
	int rc = -1;

	if (row == NULL)
		return -1;
	fputs("\xEF\xBB\xBF", fp); /* BOM: Excel then reads UTF-8 */
	for (size_t r = 0; r <= t->nrows; r++) {
		size_t n = 0;
		for (size_t c = 0; c < t->ncols; c++)
			if (t->no_csv == NULL || !t->no_csv[c])
				row[n++] = shown(t, r, c);
		if (csv_write_row(fp, row, n) != 0)
			goto out;
	}
	rc = 0;
out:
	free(row);
	return rc;
}

json_t *
table_json(const struct table *t)
{
	json_t *arr = json_array();
	int rc = -1;

	if (arr == NULL)
		return NULL;
	for (size_t r = 0; r < t->nrows; r++) {
		json_t *o = json_object();
		if (o == NULL || json_array_append_new(arr, o) != 0)
			goto out;
		for (size_t c = 0; c < t->ncols; c++) {
			const char *v = t->cells[r * t->ncols + c];
			json_t *j;
			long n;
			if (t->types[c] == 'i' && parse_long(v, LONG_MIN, LONG_MAX, &n) == 0)
				j = json_integer(n);
			else if ((t->types[c] == 'n' || t->types[c] == 'i') && *v == '\0')
				j = json_null();
			else
				j = json_string(v);
			if (j == NULL || json_object_set_new(o, t->headers[c], j) != 0)
				goto out;
		}
	}
	rc = 0;
out:
	if (rc != 0) {
		json_decref(arr);
		return NULL;
	}
	return arr;
}

int
json_print(json_t *j, FILE *fp)
{
	if (j == NULL || json_dumpf(j, fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0)
		return -1;
	fputc('\n', fp);
	return 0;
}

static int
print_json(const struct table *t, FILE *fp)
{
	json_t *arr = table_json(t);
	int rc = json_print(arr, fp);

	json_decref(arr);
	return rc;
}

int
table_print(const struct table *t, enum out_format fmt, FILE *fp)
{
	switch (fmt) {
	case FMT_CSV: return print_csv(t, fp);
	case FMT_JSON: return print_json(t, fp);
	default: return print_text(t, fp);
	}
}

int
cli_print_table(struct cli *c, struct table *t, int rc)
{
	if (rc == STORE_OK)
		table_print(t, c->fmt, stdout);
	else
		cli_err(EXIT_FAIL, "%s", store_errmsg(c->st));
	table_free(t);
	return rc == STORE_OK ? EXIT_OK : EXIT_FAIL;
}
