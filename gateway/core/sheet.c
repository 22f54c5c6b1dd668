/*
 * sheet.c - reading a spreadsheet the way the clerk's Excel writes it.
 * Header names are compared after trimming blanks (ASCII and the
 * full-width U+3000) and folding ASCII case; dates are rewritten into the
 * one form time_parse_local reads; problems are kept as (message, rows)
 * so that a file with the same mistake on a hundred rows says it once.
 */
#include "core/sheet.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/civil.h"
#include "base/i18n.h"
#include "base/str.h"

struct sheet_problem {
	char *msg;
	long *lines;
	size_t n, cap;
};

/* h trimmed of ASCII and full-width blanks, ASCII folded to lower case, into out. */
static void
header_key(const char *h, char *out, size_t outlen)
{
	const char *b = h, *e = h + strlen(h);
	size_t n;

	for (;;) {
		if (*b == ' ' || *b == '\t')
			b++;
		else if (strncmp(b, "\xe3\x80\x80", 3) == 0)
			b += 3;
		else
			break;
	}
	for (;;) {
		if (e > b && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		else if (e - b >= 3 && strncmp(e - 3, "\xe3\x80\x80", 3) == 0)
			e -= 3;
		else
			break;
	}
	n = (size_t)(e - b) < outlen - 1 ? (size_t)(e - b) : outlen - 1;
	for (size_t i = 0; i < n; i++)
		out[i] = b[i] >= 'A' && b[i] <= 'Z' ? (char)(b[i] - 'A' + 'a') : b[i];
	out[n] = '\0';
}

/* Does the "|"-separated list names hold key? */
static bool
names_have(const char *names, const char *key)
{
	size_t k = strlen(key);

	for (const char *p = names; *p;) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);
		if (n == k && strncmp(p, key, n) == 0)
			return true;
		if (bar == NULL)
			break;
		p = bar + 1;
	}
	return false;
}

/* The column's own name (the first of names) into out. */
static const char *
col_name(const struct sheet_col *c, char *out, size_t outlen)
{
	const char *bar = strchr(c->names, '|');
	size_t n = bar ? (size_t)(bar - c->names) : strlen(c->names);

	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, c->names, n);
	out[n] = '\0';
	return out;
}

/* Append name to the list of ignored columns ("序号、备注"); too long is cut at a name. */
static void
ignore(struct sheet_header_info *info, const char *name)
{
	size_t have = strlen(info->ignored);
	const char *sep = have ? _(", ") : "";

	if (have + strlen(sep) + strlen(name) + 1 <= sizeof(info->ignored))
		snprintf(info->ignored + have, sizeof(info->ignored) - have, "%s%s", sep, name);
}

int
sheet_header(const char *file, const struct csv_row *row, const struct sheet_col *cols,
	     size_t ncols, int *map, size_t nmap, struct sheet_header_info *info,
	     struct diag *d)
{
	size_t before = d->n;
	char key[128], name[64];

	info->ignored[0] = '\0';
	for (size_t i = 0; i < nmap; i++)
		map[i] = -1;
	for (size_t i = 0; i < row->n && i < nmap; i++) {
		size_t k;
		header_key(row->field[i], key, sizeof(key));
		if (*key == '\0')
			continue;
		for (k = 0; k < ncols; k++)
			if (names_have(cols[k].names, key))
				break;
		if (k == ncols) {
			ignore(info, key);
			continue;
		}
		for (size_t j = 0; j < i; j++)
			if (map[j] == (int)k)
				diag_add(d, file, row->line, _("column \"%s\" appears twice"),
					 col_name(&cols[k], name, sizeof(name)));
		map[i] = (int)k;
	}
	for (size_t k = 0; k < ncols; k++) {
		bool have = false;
		for (size_t i = 0; i < row->n && i < nmap; i++)
			if (map[i] == (int)k)
				have = true;
		if (cols[k].required && !have)
			diag_add(d, file, row->line, _("missing column \"%s\""),
				 col_name(&cols[k], name, sizeof(name)));
	}
	return d->n != before ? -1 : 0;
}

bool
sheet_row_empty(const struct csv_row *row)
{
	char key[8];

	for (size_t i = 0; i < row->n; i++) {
		header_key(row->field[i], key, sizeof(key));
		if (*key)
			return false;
	}
	return true;
}

/* Read 1 to maxd digits at *s into *v; advances *s.  0 or -1. */
static int
digits(const char **s, int maxd, int *v)
{
	int n = 0;

	*v = 0;
	while (n < maxd && **s >= '0' && **s <= '9') {
		*v = *v * 10 + (**s - '0');
		(*s)++;
		n++;
	}
	return n ? 0 : -1;
}

/* An Excel serial number (days since 1899-12-30, the fraction the time) into out. */
static int
excel_serial(const char *in, char *out, size_t outlen)
{
	char *end;
	double v = strtod(in, &end);
	int m, d;
	int64_t y;

	while (*end == ' ')
		end++;
	/* 20000 (1954-10-03) to 2958465 (9999-12-31): a lone year such as 2008 is no date. */
	if (*end != '\0' || end == in || !(v >= 20000 && v < 2958466))
		return -1;
	long days = (long)v;
	long minutes = (long)((v - (double)days) * 1440.0 + 0.5);
	if (minutes == 1440) {
		days++;
		minutes = 0;
	}
	civil_from_days(civil_to_days(1899, 12, 30) + days, &y, &m, &d);
	if (minutes == 0)
		snprintf(out, outlen, "%04lld-%02d-%02d", (long long)y, m, d);
	else
		snprintf(out, outlen, "%04lld-%02d-%02d %02ld:%02ld", (long long)y, m, d,
			 minutes / 60, minutes % 60);
	return 0;
}

int
sheet_date(const char *in, char *out, size_t outlen)
{
	const char *s = in;
	int y, m, d, hh = -1, mm = 0, ss;
	bool cn;

	while (*s == ' ')
		s++;
	size_t len = strlen(s), num = strspn(s, "0123456789.");
	while (len > num && s[len - 1] == ' ')
		len--;
	if (len == 8 && num == 8 && strchr(s, '.') == NULL) { /* 20081231 */
		y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
		m = (s[4] - '0') * 10 + (s[5] - '0');
		d = (s[6] - '0') * 10 + (s[7] - '0');
		if (y < 1000 || m < 1 || m > 12 || d < 1 || d > 31)
			return -1;
		snprintf(out, outlen, "%04d-%02d-%02d", y, m, d);
		return 0;
	}
	if (len > 0 && num >= len && strchr(s, '.') == strrchr(s, '.'))
		return excel_serial(s, out, outlen);
	if (digits(&s, 4, &y) != 0 || y < 1000)
		return -1;
	cn = strncmp(s, "年", 3) == 0;
	if (cn)
		s += 3;
	else if (*s == '-' || *s == '/' || *s == '.')
		s++;
	else
		return -1;
	char sep = cn ? 0 : s[-1];
	if (digits(&s, 2, &m) != 0)
		return -1;
	if (cn) {
		if (strncmp(s, "月", 3) != 0)
			return -1;
		s += 3;
	} else if (*s++ != sep) {
		return -1;
	}
	if (digits(&s, 2, &d) != 0)
		return -1;
	if (cn && (strncmp(s, "日", 3) == 0 || strncmp(s, "号", 3) == 0))
		s += 3;
	while (*s == ' ')
		s++;
	if (*s) {
		if (digits(&s, 2, &hh) != 0 || (*s != ':' && strncmp(s, "：", 3) != 0))
			return -1;
		s += *s == ':' ? 1 : 3;
		if (digits(&s, 2, &mm) != 0)
			return -1;
		if (*s == ':' && (s++, digits(&s, 2, &ss) != 0))
			return -1;
		while (*s == ' ')
			s++;
		if (*s || hh > 23 || mm > 59)
			return -1;
	}
	if (m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	if (hh < 0)
		snprintf(out, outlen, "%04d-%02d-%02d", y, m, d);
	else
		snprintf(out, outlen, "%04d-%02d-%02d %02d:%02d", y, m, d, hh, mm);
	return 0;
}

void
sheet_list(char *s)
{
	static const char *const seps[] = { "\xef\xbc\x9b", "\xe3\x80\x81", "\xef\xbc\x8c" }; /* ；、， */
	char *w = s;

	for (const char *r = s; *r;) {
		bool hit = false;
		for (size_t i = 0; i < sizeof(seps) / sizeof(seps[0]); i++)
			if (strncmp(r, seps[i], 3) == 0) {
				*w++ = ';';
				r += 3;
				hit = true;
				break;
			}
		if (hit)
			continue;
		*w++ = *r == ',' ? ';' : *r;
		r++;
	}
	*w = '\0';
}

void
sheet_problem(struct sheet_problems *sp, long line, const char *fmt, ...)
{
	char msg[1024];
	struct sheet_problem *p = NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < sp->n; i++)
		if (strcmp(sp->p[i].msg, msg) == 0)
			p = &sp->p[i];
	if (p == NULL) {
		if (sp->n == sp->cap) {
			size_t ncap = sp->cap ? sp->cap * 2 : 16;
			struct sheet_problem *np = realloc(sp->p, ncap * sizeof(*np));
			if (np == NULL) {
				sp->oom = true;
				return;
			}
			sp->p = np;
			sp->cap = ncap;
		}
		p = &sp->p[sp->n];
		memset(p, 0, sizeof(*p));
		if ((p->msg = strdup(msg)) == NULL) {
			sp->oom = true;
			return;
		}
		sp->n++;
	}
	if (p->n == p->cap) {
		size_t ncap = p->cap ? p->cap * 2 : 4;
		long *nl = realloc(p->lines, ncap * sizeof(*nl));
		if (nl == NULL) {
			sp->oom = true;
			return;
		}
		p->lines = nl;
		p->cap = ncap;
	}
	p->lines[p->n++] = line;
}

size_t
sheet_problems_count(const struct sheet_problems *sp)
{
	return sp->n + (sp->oom ? 1 : 0);
}

/* The rows of p, "3, 5, 9" (3、5、9), at most 20 and then "..." */
static void
rows_list(const struct sheet_problem *p, char *out, size_t outlen)
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < p->n && len + 16 < outlen; i++) {
		if (i == 20) {
			snprintf(out + len, outlen - len, "%s", _(", ..."));
			return;
		}
		int w = snprintf(out + len, outlen - len, "%s%ld", i ? _(", ") : "", p->lines[i]);
		if (w < 0)
			return;
		len += (size_t)w;
	}
}

void
sheet_problems_flush(struct sheet_problems *sp, const char *file, struct diag *d)
{
	char rows[256];

	for (size_t i = 0; i < sp->n; i++) {
		const struct sheet_problem *p = &sp->p[i];
		if (p->n == 1) {
			diag_add(d, file, p->lines[0], "%s", p->msg);
		} else {
			rows_list(p, rows, sizeof(rows));
			diag_add(d, file, p->lines[0], _("rows %s: %s"), rows, p->msg);
		}
	}
	if (sp->oom)
		diag_add(d, file, 0, "%s", _("out of memory"));
	sheet_problems_clear(sp);
}

void
sheet_problems_clear(struct sheet_problems *sp)
{
	for (size_t i = 0; i < sp->n; i++) {
		free(sp->p[i].msg);
		free(sp->p[i].lines);
	}
	free(sp->p);
	memset(sp, 0, sizeof(*sp));
}
