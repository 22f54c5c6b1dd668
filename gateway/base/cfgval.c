/*
 * cfgval.c - libconfig validation helpers: unknown keys, wrong types and
 * bad values are reported with their file and line and validation goes on,
 * so that the user sees every problem in one run.
 */
#include "base/cfgval.h"
#include "base/i18n.h"
#include "base/zone.h"
#include "base/diag.h"
#include "base/duration.h"


#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

long
cfgval_line(const config_setting_t *s)
{
	return s ? (long)config_setting_source_line(s) : 0;
}

void
cfgval_error(struct cfgval *cv, const config_setting_t *s, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	const char *file = (s && config_setting_source_file(s)) ? config_setting_source_file(s)
							       : cv->file;
	diag_add(cv->diag, file, cfgval_line(s), "%s", msg);
}

bool
cfgval_keys(struct cfgval *cv, const config_setting_t *grp, const char *const *allowed)
{
	bool ok = true;
	int n = config_setting_length(grp);

	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(grp, (unsigned)i);
		const char *name = config_setting_name(s);
		bool known = false;

		if (name == NULL)
			continue;
		for (const char *const *a = allowed; *a; a++)
			if (strcmp(*a, name) == 0)
				known = true;
		if (!known) {
			const char *parent = config_setting_name(grp);
			if (parent)
				cfgval_error(cv, s, _("unknown key '%s' in '%s'"), name, parent);
			else
				cfgval_error(cv, s, _("unknown key '%s'"), name);
			ok = false;
		}
	}
	return ok;
}

static const char *
type_name(int t)
{
	switch (t) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64: return _("an integer");
	case CONFIG_TYPE_FLOAT: return _("a number");
	case CONFIG_TYPE_STRING: return _("a string");
	case CONFIG_TYPE_BOOL: return _("true or false");
	case CONFIG_TYPE_GROUP: return _("a group { ... }");
	case CONFIG_TYPE_ARRAY: return _("an array [ ... ]");
	case CONFIG_TYPE_LIST: return _("a list ( ... )");
	default: return _("something else");
	}
}

static config_setting_t *
member(const config_setting_t *grp, const char *key)
{
	return grp ? config_setting_get_member(grp, key) : NULL;
}

/*
 * Member key of grp, which must be of type type: 1 with *out, 0 when
 * absent, -1 when it is of another type (reported).
 */
static int
typed_member(struct cfgval *cv, const config_setting_t *grp, const char *key, int type,
	     config_setting_t **out)
{
	config_setting_t *s = member(grp, key);

	if (s == NULL)
		return 0;
	if (config_setting_type(s) != type) {
		cfgval_error(cv, s, _("'%s' must be %s, not %s"), key, type_name(type),
			     type_name(config_setting_type(s)));
		return -1;
	}
	*out = s;
	return 1;
}

int
cfgval_string(struct cfgval *cv, const config_setting_t *grp, const char *key, const char **out)
{
	config_setting_t *s;
	int rc = typed_member(cv, grp, key, CONFIG_TYPE_STRING, &s);

	if (rc == 1)
		*out = config_setting_get_string(s);
	return rc;
}

void
cfgval_words_text(const char *const *words, size_t n, char *out, size_t outlen)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		const char *sep = i == 0 ? "" : i + 1 == n ? " or " : ", ";
		int k = snprintf(out + o, outlen - o, "%s\"%s\"", sep, words[i]);

		if (k < 0 || (size_t)k >= outlen - o)
			break; /* cut short: only a message */
		o += (size_t)k;
	}
}

int
cfgval_word(struct cfgval *cv, const config_setting_t *grp, const char *key,
	    const char *const *words, int *index)
{
	char list[256];
	const char *v = NULL;
	size_t n;
	int rc = cfgval_string(cv, grp, key, &v);

	if (rc <= 0)
		return rc;
	for (n = 0; words[n]; n++)
		if (strcmp(v, words[n]) == 0) {
			*index = (int)n;
			return 1;
		}
	cfgval_words_text(words, n, list, sizeof(list));
	cfgval_error(cv, member(grp, key), _("'%s' must be %s, not \"%s\""), key, list, v);
	return -1;
}

int
cfgval_int(struct cfgval *cv, const config_setting_t *grp, const char *key, long min, long max,
	   long *out)
{
	config_setting_t *s = member(grp, key);
	long long v;

	if (s == NULL)
		return 0;
	if (config_setting_type(s) == CONFIG_TYPE_INT)
		v = config_setting_get_int(s);
	else if (config_setting_type(s) == CONFIG_TYPE_INT64)
		v = config_setting_get_int64(s);
	else {
		cfgval_error(cv, s, _("'%s' must be an integer, not %s"), key,
			     type_name(config_setting_type(s)));
		return -1;
	}
	if (v < min || v > max) {
		cfgval_error(cv, s, _("'%s' must be between %ld and %ld, not %lld"), key, min, max, v);
		return -1;
	}
	*out = (long)v;
	return 1;
}

int
cfgval_float(struct cfgval *cv, const config_setting_t *grp, const char *key, double min,
	     double max, double *out)
{
	config_setting_t *s = member(grp, key);
	double v;

	if (s == NULL)
		return 0;
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_FLOAT: v = config_setting_get_float(s); break;
	case CONFIG_TYPE_INT: v = config_setting_get_int(s); break;
	case CONFIG_TYPE_INT64: v = (double)config_setting_get_int64(s); break;
	default:
		cfgval_error(cv, s, _("'%s' must be a number, not %s"), key,
			     type_name(config_setting_type(s)));
		return -1;
	}
	if (!(v >= min && v <= max)) {
		cfgval_error(cv, s, _("'%s' must be between %g and %g, not %g"), key, min, max, v);
		return -1;
	}
	*out = v;
	return 1;
}

int
cfgval_bool(struct cfgval *cv, const config_setting_t *grp, const char *key, bool *out)
{
	config_setting_t *s;
	int rc = typed_member(cv, grp, key, CONFIG_TYPE_BOOL, &s);

	if (rc == 1)
		*out = config_setting_get_bool(s) != 0;
	return rc;
}

int
cfgval_hhmm(struct cfgval *cv, const config_setting_t *grp, const char *key, int *out)
{
	const char *v = NULL; /* set when rc > 0; gcc cannot tell */
	int rc = cfgval_string(cv, grp, key, &v);

	if (rc <= 0)
		return rc;
	if (time_parse_hhmm(v, out) != 0) {
		cfgval_error(cv, member(grp, key),
			     _("'%s' must be a time of day \"HH:MM\" (00:00-23:59), not \"%s\""), key, v);
		return -1;
	}
	return 1;
}

int
cfgval_duration(struct cfgval *cv, const config_setting_t *grp, const char *key,
		struct duration *out)
{
	const char *v = NULL; /* set when rc > 0; gcc cannot tell */
	int rc = cfgval_string(cv, grp, key, &v);

	if (rc <= 0)
		return rc;
	if (duration_parse(v, out) != 0) {
		cfgval_error(cv, member(grp, key),
			     _("'%s' must be a duration such as \"7d\", \"36h\", \"90m\" or \"1d12h\", not \"%s\""),
			     key, v);
		return -1;
	}
	return 1;
}

const config_setting_t *
cfgval_group(struct cfgval *cv, const config_setting_t *grp, const char *key)
{
	config_setting_t *s;

	return typed_member(cv, grp, key, CONFIG_TYPE_GROUP, &s) == 1 ? s : NULL;
}

int
cfgval_read_file(struct cfgval *cv, config_t *cfg, const char *path)
{
	FILE *fp = fopen(path, "r");

	if (fp == NULL) {
		diag_add(cv->diag, path, 0, _("cannot open: %s"), strerror(errno));
		return -1;
	}
	fclose(fp);
	if (config_read_file(cfg, path) != CONFIG_TRUE) {
		const char *f = config_error_file(cfg);
		diag_add(cv->diag, f ? f : path, config_error_line(cfg), "%s",
			 config_error_text(cfg) ? config_error_text(cfg) : _("syntax error"));
		return -1;
	}
	return 0;
}

int
cfgval_quiet(struct cfgval *cv, const config_setting_t *grp, struct quiet_hours *q)
{
	static const char *const keys[] = { "from", "to", "enabled", NULL };
	config_setting_t *s = member(grp, "quiet_hours");
	const config_setting_t *g;
	int from = q->from, to = q->to, rf, rt;
	bool en = true;

	if (s == NULL)
		return 0;
	if ((g = cfgval_group(cv, grp, "quiet_hours")) == NULL)
		return -1;
	cfgval_keys(cv, g, keys);
	rf = cfgval_hhmm(cv, g, "from", &from);
	rt = cfgval_hhmm(cv, g, "to", &to);
	cfgval_bool(cv, g, "enabled", &en);
	if ((rf == 0) != (rt == 0) && rf >= 0 && rt >= 0)
		cfgval_error(cv, g, _("quiet_hours needs both 'from' and 'to'"));
	q->from = from;
	q->to = to;
	q->enabled = en && from != to;
	return 1;
}
