/*
 * tmpl.h - message templates: text with {{ variable }} and
 * {{ variable|filter }} tags, read from templates/NAME.txt.  The filters
 * format a time (date, datetime, time, weekday, md) or shorten text:
 * {{task.title|max:20}} is the title when it has at most 20 characters,
 * else its first 19 and "…" - the explicit way to fit a provider's limit
 * on a value.  A template is
 * checked whole when it is loaded (unknown variables and filters, a filter
 * on a value that is not a time, unclosed tags, invalid UTF-8), so sending
 * never meets a template error; rendering only fails when the caller cannot
 * supply a value or the output would not fit, and then nothing with a blank
 * in it is produced.
 */
#ifndef DUBAN_TMPL_H
#define DUBAN_TMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/diag.h"

enum tmpl_type { TMPL_STR, TMPL_INT, TMPL_TIME };

/* A variable's value: s for TMPL_STR, i for TMPL_INT, t (UTC seconds) for TMPL_TIME. */
struct tmpl_value {
	enum tmpl_type type;
	const char *s;
	long long i;
	int64_t t;
};

/*
 * Supply the value of variable name (the full name, e.g. "task.title" or
 * "var.contact"); return 0, or -1 if this context has no such variable.
 * A string value must stay valid until tmpl_render returns.
 */
typedef int (*tmpl_lookup_fn)(void *ctx, const char *name, struct tmpl_value *out);

struct tmpl;

/*
 * Parse template text (UTF-8; one trailing newline is dropped, inner
 * newlines are kept).  name names the template in render errors; file
 * (NULL: name) prefixes load errors, which go to diag as "FILE:LINE:
 * message", all of them, LINE being the line of the offending "{{".
 * Returns 0 and a new template in *out (free with tmpl_free), or -1 with
 * *out untouched.
 */
int tmpl_parse(const char *name, const char *file, const char *text, struct tmpl **out,
	       struct diag *diag);
/* Free a template; NULL is fine. */
void tmpl_free(struct tmpl *t);
/* The template's name (owned by the template). */
const char *tmpl_name(const struct tmpl *t);

/*
 * Render t, appending to out (a bounded buffer the caller owns).  fn is
 * called once per tag.  Returns 0, or -1 with err set and out restored to
 * its length on entry: "template NAME: no value for 'x'" (fn returned -1,
 * or a string value that is NULL or empty), "template NAME: 'x' is not a
 * time" (a filtered value of another type), or "template NAME: message
 * longer than N bytes" (out's maximum reached).
 */
int tmpl_render(const struct tmpl *t, tmpl_lookup_fn fn, void *ctx, struct buf *out, char *err,
		size_t errlen);

/* The first variable t uses whose name starts with prefix ("var."), or NULL.
 * The string is owned by the template. */
const char *tmpl_find_prefix(const struct tmpl *t, const char *prefix);
/* True if t uses any variable whose name starts with prefix ("task.", "var."). */
bool tmpl_uses_prefix(const struct tmpl *t, const char *prefix);
/* Call fn once for each distinct var.* variable t uses, in order of first use,
 * with the full name ("var.contact"). */
void tmpl_each_var(const struct tmpl *t, void (*fn)(void *arg, const char *name), void *arg);
/* Call fn once for each distinct variable t uses, in order of first use,
 * with its full name and the line of its first use. */
void tmpl_each_name(const struct tmpl *t, void (*fn)(void *arg, const char *name, long line),
		    void *arg);
/* True if t uses variable name (the full name, "notice.title"). */
bool tmpl_uses(const struct tmpl *t, const char *name);

/*
 * What a template can be sent as, from the variables it uses: a task's
 * reminder or escalation (it uses task.*), a notice or a message sent
 * through the API (var.* or notice.*), or anything.
 */
enum tmpl_kind { TMPL_KIND_ANY, TMPL_KIND_TASK, TMPL_KIND_NOTICE };
enum tmpl_kind tmpl_kind(const struct tmpl *t);
/*
 * May a value derived from template t (a provider's parameter bound to
 * it) use variable name?  Only what every message of t's kind has: a
 * task's variables for a task template, the var.* and notice.* t itself
 * uses (so they are supplied), person.*, signature and now.
 */
bool tmpl_allows(const struct tmpl *t, const char *name);

/*
 * Format UTC seconds t in local time (the process zone) with a filter:
 * NULL "2008-12-31 23:59", "date" "2008年12月31日", "datetime"
 * "2008年12月31日 23:59", "time" "23:59", "weekday" "星期三", "md"
 * "12月31日", "hm" "17:00" but "" at 23:59 (a deadline given as a date:
 * "今天{{task.deadline|hm}}到期" reads 今天到期).  Returns 0, or -1 for an unknown filter or when out
 * (outlen bytes) is too small.
 */
int tmpl_format_time(int64_t t, const char *filter, char *out, size_t outlen);

/* ---- a lookup over a flat table -------------------------------------------- */

struct tmpl_kv {
	const char *name;
	struct tmpl_value v;
};

struct tmpl_table {
	const struct tmpl_kv *kv;
	size_t n;
};

/* A tmpl_lookup_fn over a struct tmpl_table (ctx): the first entry named
 * name, or -1 when there is none.  Nothing is copied. */
int tmpl_lookup_table(void *ctx, const char *name, struct tmpl_value *out);

/* ---- all templates of a directory --------------------------------------- */

struct tmpl_set;

/*
 * Load every DIR/NAME.txt (NAME of [a-z0-9_-], at most 64 bytes; files
 * starting with '.' and files not ending in .txt are ignored).  Every
 * problem of every file goes to diag.  Returns 0 and a new set in *out
 * (free with tmpl_set_free), or -1 with *out untouched.
 */
int tmpl_set_load_dir(const char *dir, struct tmpl_set **out, struct diag *diag);
/* The template called name, or NULL.  Owned by the set. */
const struct tmpl *tmpl_set_get(const struct tmpl_set *s, const char *name);
size_t tmpl_set_count(const struct tmpl_set *s);
/* The i-th template in name order (i < tmpl_set_count), owned by the set. */
const struct tmpl *tmpl_set_at(const struct tmpl_set *s, size_t i);
/* The directory the set was loaded from, as given (owned by the set). */
const char *tmpl_set_dir(const struct tmpl_set *s);
/* Free the set and its templates; NULL is fine. */
void tmpl_set_free(struct tmpl_set *s);

#endif
