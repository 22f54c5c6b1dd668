/*
 * tmpl.c - parsing, checking and rendering message templates.  A template
 * is parsed once into a list of nodes, each either literal text or a
 * variable with an optional time filter; every problem is reported with the
 * line of its tag so that a clerk can fix a whole file in one go.  The
 * variables a template may use are fixed here (with their types), so a typo
 * such as {{ task.titel }} is refused at load instead of sending a blank.
 */
#include "core/tmpl.h"
#include "base/array.h"
#include "base/i18n.h"
#include "base/str.h"
#include "base/utf8.h"
#include "base/zone.h"
#include "base/diag.h"
#include "base/buf.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TMPL_MAX_FILE (64 * 1024)
#define TMPL_MAX_NAME 64

struct tmpl_node {
	bool is_var;
	char *text;          /* literal bytes, or the variable's full name */
	size_t len;          /* bytes of a literal */
	char *filter;        /* NULL: the default rendering */
	size_t max;          /* filter max:N: at most N characters, the last "…" when cut */
	enum tmpl_type type; /* of a variable */
	long line;
};

struct tmpl {
	char *name;
	struct tmpl_node *node;
	size_t n, cap;
};

struct tmpl_set {
	char *dir;
	struct tmpl **t; /* sorted by name */
	size_t n;
};

static const struct {
	const char *name;
	enum tmpl_type type;
} known_vars[] = {
	{ "person.name", TMPL_STR },    { "person.title", TMPL_STR },
	{ "task.code", TMPL_STR },      { "task.title", TMPL_STR },
	{ "task.lead", TMPL_STR },      { "task.deadline", TMPL_TIME },
	{ "task.days_left", TMPL_INT }, { "task.hours_left", TMPL_INT },
	{ "task.days_overdue", TMPL_INT },
	{ "task.workdays_left", TMPL_INT }, { "task.workdays_overdue", TMPL_INT },
	{ "notice.title", TMPL_STR },   { "signature", TMPL_STR },
	{ "now", TMPL_TIME },
};

static const char *const weekdays[] = {
	"星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"
};

/* ---- formatting times --------------------------------------------------- */

#define TMPL_MAX_CHARS 1000 /* the largest N of max:N */

static bool
is_filter(const char *f)
{
	static const char *const filters[] = { "date", "datetime", "time", "weekday", "md", "hm" };

	for (size_t i = 0; i < ARRAY_LEN(filters); i++)
		if (strcmp(filters[i], f) == 0)
			return true;
	return false;
}

int
tmpl_format_time(int64_t t, const char *filter, char *out, size_t outlen)
{
	struct tm tm;
	int y, mo, d, h, mi, n;

	time_local(t, &tm);
	y = tm.tm_year + 1900;
	mo = tm.tm_mon + 1;
	d = tm.tm_mday;
	h = tm.tm_hour;
	mi = tm.tm_min;
	if (filter == NULL)
		n = snprintf(out, outlen, "%04d-%02d-%02d %02d:%02d", y, mo, d, h, mi);
	else if (strcmp(filter, "date") == 0)
		n = snprintf(out, outlen, "%d年%d月%d日", y, mo, d);
	else if (strcmp(filter, "datetime") == 0)
		n = snprintf(out, outlen, "%d年%d月%d日 %02d:%02d", y, mo, d, h, mi);
	else if (strcmp(filter, "time") == 0)
		n = snprintf(out, outlen, "%02d:%02d", h, mi);
	else if (strcmp(filter, "weekday") == 0)
		n = snprintf(out, outlen, "%s", weekdays[tm.tm_wday % 7]);
	else if (strcmp(filter, "md") == 0)
		n = snprintf(out, outlen, "%d月%d日", mo, d);
	else if (strcmp(filter, "hm") == 0) /* a date-only deadline (23:59) has no time to say */
		n = h == 23 && mi == 59 ? snprintf(out, outlen, "%s", "")
					: snprintf(out, outlen, "%02d:%02d", h, mi);
	else
		return -1;
	if (n < 0 || (size_t)n >= outlen)
		return -1;
	return 0;
}

/* ---- parsing ------------------------------------------------------------ */

void
tmpl_free(struct tmpl *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->node[i].text);
		free(t->node[i].filter);
	}
	free(t->node);
	free(t->name);
	free(t);
}

const char *
tmpl_name(const struct tmpl *t)
{
	return t->name;
}

/* Append a node (taking text and filter); 0 or -1 (out of memory: freed). */
static int
add_node(struct tmpl *t, struct tmpl_node *nd)
{
	if (t->n == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 8;
		struct tmpl_node *nn = realloc(t->node, ncap * sizeof(*nn));
		if (nn == NULL) {
			free(nd->text);
			free(nd->filter);
			return -1;
		}
		t->node = nn;
		t->cap = ncap;
	}
	t->node[t->n++] = *nd;
	return 0;
}

static int
add_literal(struct tmpl *t, const char *s, size_t len)
{
	struct tmpl_node nd = { 0 };

	if (len == 0)
		return 0;
	nd.text = malloc(len + 1);
	if (nd.text == NULL)
		return -1;
	memcpy(nd.text, s, len);
	nd.text[len] = '\0';
	nd.len = len;
	return add_node(t, &nd);
}

/* The type of a known variable name; 0 and *type, or -1 when unknown. */
static int
var_type(const char *name, enum tmpl_type *type)
{
	for (size_t i = 0; i < ARRAY_LEN(known_vars); i++) {
		if (strcmp(known_vars[i].name, name) == 0) {
			*type = known_vars[i].type;
			return 0;
		}
	}
	if (strncmp(name, "var.", 4) == 0 && name[4] != '\0') {
		for (const char *p = name + 4; *p; p++)
			if (!isalnum((unsigned char)*p) && *p != '_')
				return -1;
		*type = TMPL_STR;
		return 0;
	}
	return -1;
}

/*
 * Check the inside of one {{ ... }} (content, len bytes) found on line and
 * add it as a node.  Problems go to diag; returns -1 only when memory ran
 * out.
 */
static int
parse_tag(struct tmpl *t, const char *file, long line, const char *content, size_t len,
	  struct diag *diag)
{
	struct tmpl_node nd = { 0 };
	char *inner = malloc(len + 1), *bar, *name, *filter = NULL;
	bool ok = true;
	int rc = -1;

	if (inner == NULL)
		goto out;
	memcpy(inner, content, len);
	inner[len] = '\0';
	name = str_trim(inner);
	if (*name == '\0') {
		diag_add(diag, file, line, "empty '{{}}'");
		rc = 0;
		goto out;
	}
	bar = strchr(name, '|');
	if (bar != NULL) {
		*bar = '\0';
		filter = str_trim(bar + 1);
		name = str_trim(name);
		if (strchr(filter, '|') != NULL) {
			diag_add(diag, file, line, _("only one filter is allowed in '{{%.*s}}'"),
				 (int)len, content);
			rc = 0;
			goto out;
		}
	}
	if (var_type(name, &nd.type) != 0) {
		if (strncmp(name, "var.", 4) == 0)
			diag_add(diag, file, line,
				 _("unknown variable '%s' (a name after 'var.' takes letters, digits and _)"),
				 name);
		else
			diag_add(diag, file, line, _("unknown variable '%s'"), name);
		ok = false;
	}
	if (filter != NULL && strncmp(filter, "max:", 4) == 0) {
		long n;
		if (parse_long(filter + 4, 2, TMPL_MAX_CHARS, &n) != 0) {
			diag_add(diag, file, line,
				 _("filter '%s': max takes a number of characters from 2 to %d"),
				 filter, TMPL_MAX_CHARS);
			ok = false;
		} else if (ok && nd.type != TMPL_STR) {
			diag_add(diag, file, line, _("filter '%s' needs text, not '%s'"), filter, name);
			ok = false;
		} else {
			nd.max = (size_t)n;
			filter = NULL; /* not a time filter */
		}
	} else if (filter != NULL && !is_filter(filter)) {
		diag_add(diag, file, line,
			 _("unknown filter '%s' (expected date, datetime, time, weekday, md, hm or max:N)"),
			 filter);
		ok = false;
	} else if (filter != NULL && ok && nd.type != TMPL_TIME) {
		diag_add(diag, file, line, _("filter '%s' needs a time, not '%s'"), filter, name);
		ok = false;
	}
	rc = 0;
	if (!ok)
		goto out;
	nd.is_var = true;
	nd.line = line;
	nd.text = strdup(name);
	nd.filter = filter ? strdup(filter) : NULL;
	if (nd.text == NULL || (filter != NULL && nd.filter == NULL)) {
		free(nd.text);
		free(nd.filter);
		rc = -1;
		goto out;
	}
	rc = add_node(t, &nd);
out:
	free(inner);
	return rc;
}

/* Report every line of text holding invalid UTF-8; true if all is valid. */
static bool
check_utf8(const char *file, const char *text, size_t len, struct diag *diag)
{
	bool ok = true;
	long line = 1;
	size_t start = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i < len && text[i] != '\n')
			continue;
		if (!utf8_valid(text + start, i - start)) {
			diag_add(diag, file, line, "invalid UTF-8");
			ok = false;
		}
		line++;
		start = i + 1;
	}
	return ok;
}

static long
count_lines(const char *s, size_t len)
{
	long n = 0;

	for (size_t i = 0; i < len; i++)
		if (s[i] == '\n')
			n++;
	return n;
}

/* Find needle (2 bytes) in s[from, len); the offset or len. */
static size_t
find2(const char *s, size_t from, size_t len, const char *needle)
{
	for (size_t i = from; i + 1 < len; i++)
		if (s[i] == needle[0] && s[i + 1] == needle[1])
			return i;
	return len;
}

/* Split text[0, len) into literals and tags; problems to diag; -1 on no memory. */
static int
parse_body(struct tmpl *t, const char *file, const char *text, size_t len, struct diag *diag)
{
	size_t lit = 0, i = 0;
	long line = 1;

	while ((i = find2(text, lit, len, "{{")) < len) {
		size_t close = find2(text, i + 2, len, "}}");
		size_t reopen = find2(text, i + 2, len, "{{");

		line += count_lines(text + lit, i - lit);
		if (add_literal(t, text + lit, i - lit) != 0)
			return -1;
		if (close == len || reopen < close) {
			diag_add(diag, file, line, "unclosed '{{'");
			if (close == len)
				return 0;
			line += count_lines(text + i, reopen - i);
			lit = reopen; /* carry on from the next "{{" */
			continue;
		}
		if (parse_tag(t, file, line, text + i + 2, close - i - 2, diag) != 0)
			return -1;
		line += count_lines(text + i, close - i);
		lit = close + 2;
	}
	return add_literal(t, text + lit, len - lit);
}

int
tmpl_parse(const char *name, const char *file, const char *text, struct tmpl **out,
	   struct diag *diag)
{
	struct tmpl *t = NULL;
	size_t before = diag->n, len = strlen(text);
	const char *where = file ? file : name;

	if (len > 0 && text[len - 1] == '\n') {
		len--;
		if (len > 0 && text[len - 1] == '\r')
			len--;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL || (t->name = strdup(name)) == NULL) {
		diag_add(diag, where, 0, _("out of memory"));
		goto out;
	}
	if (!check_utf8(where, text, len, diag))
		goto out;
	if (len == 0) {
		diag_add(diag, where, 0, _("empty template"));
		goto out;
	}
	if (parse_body(t, where, text, len, diag) != 0)
		diag_add(diag, where, 0, _("out of memory"));
out:
	if (diag->n != before) {
		tmpl_free(t);
		return -1;
	}
	*out = t;
	return 0;
}

/* ---- rendering ---------------------------------------------------------- */

/* Restore out to its length on entry and set err to "template NAME: ...". */
static int __attribute__((format(printf, 6, 7)))
render_fail(const struct tmpl *t, struct buf *out, size_t start, char *err, size_t errlen,
	    const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	buf_truncate(out, start);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(err, errlen, _("template %s: %s"), t->name, msg);
	return -1;
}

/* Append bytes; on failure say whether the bound or memory was at fault. */
static int
append(const struct tmpl *t, struct buf *out, size_t start, const char *s, size_t len, char *err,
       size_t errlen)
{
	if (buf_add(out, s, len) == 0)
		return 0;
	if (len > out->max || out->len + len > out->max)
		return render_fail(t, out, start, err, errlen, _("message longer than %zu bytes"),
				   out->max);
	return render_fail(t, out, start, err, errlen, _("out of memory"));
}

/*
 * The bytes of s that max:N keeps: all of it when s has at most max
 * characters (max 0: no filter), else its first max - 1 characters, and
 * *cut is set ("…" follows).  s is valid UTF-8 (checked where it came in).
 */
static size_t
max_prefix(const char *s, size_t max, bool *cut)
{
	size_t len = strlen(s), i = 0, chars = 0, keep = 0;
	uint32_t cp;

	*cut = false;
	if (max == 0)
		return len;
	while (i < len) {
		int n = utf8_decode(s + i, len - i, &cp);
		if (n <= 0)
			n = 1; /* not UTF-8: count the byte, as a phone shows a box */
		if (chars == max - 1)
			keep = i;
		i += (size_t)n;
		chars++;
	}
	if (chars <= max)
		return len;
	*cut = true;
	return keep;
}

int
tmpl_render(const struct tmpl *t, tmpl_lookup_fn fn, void *ctx, struct buf *out, char *err,
	    size_t errlen)
{
	size_t start = out->len;
	char tmp[64];

	for (size_t i = 0; i < t->n; i++) {
		const struct tmpl_node *nd = &t->node[i];
		struct tmpl_value v = { 0 };
		const char *s = tmp;

		if (!nd->is_var) {
			if (append(t, out, start, nd->text, nd->len, err, errlen) != 0)
				return -1;
			continue;
		}
		if (fn(ctx, nd->text, &v) != 0)
			return render_fail(t, out, start, err, errlen, _("no value for '%s'"),
					   nd->text);
		if (nd->filter != NULL && v.type != TMPL_TIME)
			return render_fail(t, out, start, err, errlen, _("'%s' is not a time"),
					   nd->text);
		switch (v.type) {
		case TMPL_STR:
			if (v.s == NULL || *v.s == '\0')
				return render_fail(t, out, start, err, errlen,
						   _("no value for '%s'"), nd->text);
			s = v.s;
			break;
		case TMPL_INT:
			snprintf(tmp, sizeof(tmp), "%lld", v.i);
			break;
		case TMPL_TIME:
			if (tmpl_format_time(v.t, nd->filter, tmp, sizeof(tmp)) != 0)
				return render_fail(t, out, start, err, errlen,
						   _("cannot format '%s'"), nd->text);
			break;
		default:
			return render_fail(t, out, start, err, errlen,
					   _("bad value type for '%s'"), nd->text);
		}
		bool cut;
		size_t keep = max_prefix(s, nd->max, &cut);
		if (append(t, out, start, s, keep, err, errlen) != 0 ||
		    (cut && append(t, out, start, "…", strlen("…"), err, errlen) != 0))
			return -1;
	}
	return 0;
}

const char *
tmpl_find_prefix(const struct tmpl *t, const char *prefix)
{
	size_t plen = strlen(prefix);

	for (size_t i = 0; i < t->n; i++)
		if (t->node[i].is_var && strncmp(t->node[i].text, prefix, plen) == 0)
			return t->node[i].text;
	return NULL;
}

bool
tmpl_uses_prefix(const struct tmpl *t, const char *prefix)
{
	return tmpl_find_prefix(t, prefix) != NULL;
}

void
tmpl_each_var(const struct tmpl *t, void (*fn)(void *arg, const char *name), void *arg)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct tmpl_node *nd = &t->node[i];
		bool seen = false;

		if (!nd->is_var || strncmp(nd->text, "var.", 4) != 0)
			continue;
		for (size_t j = 0; j < i && !seen; j++)
			seen = t->node[j].is_var && strcmp(t->node[j].text, nd->text) == 0;
		if (!seen)
			fn(arg, nd->text);
	}
}

void
tmpl_each_name(const struct tmpl *t, void (*fn)(void *arg, const char *name, long line),
	       void *arg)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct tmpl_node *nd = &t->node[i];
		bool seen = false;

		if (!nd->is_var)
			continue;
		for (size_t j = 0; j < i && !seen; j++)
			seen = t->node[j].is_var && strcmp(t->node[j].text, nd->text) == 0;
		if (!seen)
			fn(arg, nd->text, nd->line);
	}
}

bool
tmpl_uses(const struct tmpl *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->node[i].is_var && strcmp(t->node[i].text, name) == 0)
			return true;
	return false;
}

enum tmpl_kind
tmpl_kind(const struct tmpl *t)
{
	if (tmpl_uses_prefix(t, "task."))
		return TMPL_KIND_TASK;
	if (tmpl_uses_prefix(t, "var.") || tmpl_uses_prefix(t, "notice."))
		return TMPL_KIND_NOTICE;
	return TMPL_KIND_ANY;
}

bool
tmpl_allows(const struct tmpl *t, const char *name)
{
	if (strncmp(name, "person.", 7) == 0 || strcmp(name, "signature") == 0 ||
	    strcmp(name, "now") == 0)
		return true;
	if (strncmp(name, "task.", 5) == 0)
		return tmpl_kind(t) == TMPL_KIND_TASK;
	return tmpl_uses(t, name); /* var.*, notice.title: only what t is given */
}

int
tmpl_lookup_table(void *ctx, const char *name, struct tmpl_value *out)
{
	const struct tmpl_table *tab = ctx;

	for (size_t i = 0; i < tab->n; i++) {
		if (strcmp(tab->kv[i].name, name) == 0) {
			*out = tab->kv[i].v;
			return 0;
		}
	}
	return -1;
}

/* ---- a directory of templates ------------------------------------------- */

void
tmpl_set_free(struct tmpl_set *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++)
		tmpl_free(s->t[i]);
	free(s->t);
	free(s->dir);
	free(s);
}

const struct tmpl *
tmpl_set_get(const struct tmpl_set *s, const char *name)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, s->t[mid]->name);
		if (c == 0)
			return s->t[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

size_t
tmpl_set_count(const struct tmpl_set *s)
{
	return s->n;
}

const struct tmpl *
tmpl_set_at(const struct tmpl_set *s, size_t i)
{
	return i < s->n ? s->t[i] : NULL;
}

const char *
tmpl_set_dir(const struct tmpl_set *s)
{
	return s->dir;
}

/*
 * The names of dir's *.txt files (without dotfiles), sorted; NULL-free
 * array of *n strings the caller frees.  -1 with the problem in diag.
 */
static int
list_txt(const char *dir, char ***out, size_t *n, struct diag *diag)
{
	char err[256];

	if (dir_list(dir, ".txt", out, n, err, sizeof(err)) != 0) {
		diag_add(diag, dir, 0, _("cannot open template directory: %s (set templates_dir in duban.cfg; see etc/duban.cfg)"), err);
		return -1;
	}
	return 0;
}

/* Read a whole file of at most TMPL_MAX_FILE bytes; a malloc'd string or NULL. */
static char *
read_text(const char *path, struct diag *diag)
{
	FILE *fp = fopen(path, "rb");
	char *data = NULL;
	size_t len;

	if (fp == NULL) {
		diag_add(diag, path, 0, _("cannot open: %s"), strerror(errno));
		return NULL;
	}
	data = malloc(TMPL_MAX_FILE + 2);
	if (data == NULL) {
		diag_add(diag, path, 0, _("out of memory"));
		goto out;
	}
	len = fread(data, 1, TMPL_MAX_FILE + 1, fp);
	if (ferror(fp)) {
		diag_add(diag, path, 0, _("cannot read: %s"), strerror(errno));
	} else if (len > TMPL_MAX_FILE) {
		diag_add(diag, path, 0, _("larger than %d bytes"), TMPL_MAX_FILE);
	} else if (memchr(data, '\0', len) != NULL) {
		diag_add(diag, path, 0, _("contains a NUL byte (not a text file?)"));
	} else {
		data[len] = '\0';
		goto out;
	}
	free(data);
	data = NULL;
out:
	fclose(fp);
	return data;
}

static bool
is_name(const char *s, size_t len)
{
	if (len == 0 || len > TMPL_MAX_NAME)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) ||
		      s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

/* Load one file of dir into s->t[s->n]; problems to diag. */
static void
load_one(struct tmpl_set *s, const char *dir, const char *fname, struct diag *diag)
{
	size_t dlen = strlen(dir), nlen = strlen(fname) - 4;
	char *path = NULL, *name = NULL, *text = NULL;
	struct tmpl *t;

	while (dlen > 1 && dir[dlen - 1] == '/')
		dlen--;
	path = malloc(dlen + strlen(fname) + 2);
	name = strndup(fname, nlen);
	if (path == NULL || name == NULL) {
		diag_add(diag, dir, 0, _("out of memory"));
		goto out;
	}
	snprintf(path, dlen + strlen(fname) + 2, "%.*s/%s", (int)dlen, dir, fname);
	if (!is_name(name, nlen)) {
		diag_add(diag, path, 0,
			 _("template name '%s' must be 1 to %d of a-z, 0-9, _ and -"), name,
			 TMPL_MAX_NAME);
		goto out;
	}
	text = read_text(path, diag);
	if (text != NULL && tmpl_parse(name, path, text, &t, diag) == 0)
		s->t[s->n++] = t;
out:
	free(text);
	free(name);
	free(path);
}

int
tmpl_set_load_dir(const char *dir, struct tmpl_set **out, struct diag *diag)
{
	struct tmpl_set *s = NULL;
	char **names = NULL;
	size_t n = 0, before = diag->n;

	if (list_txt(dir, &names, &n, diag) != 0)
		goto out;
	s = calloc(1, sizeof(*s));
	if (s == NULL || (s->dir = strdup(dir)) == NULL ||
	    (n > 0 && (s->t = calloc(n, sizeof(*s->t))) == NULL)) {
		diag_add(diag, dir, 0, _("out of memory"));
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		load_one(s, dir, names[i], diag);
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (diag->n != before) {
		tmpl_set_free(s);
		return -1;
	}
	*out = s;
	return 0;
}
