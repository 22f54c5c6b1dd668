/*
 * config.c - loading and validating duban.cfg (libconfig).  Every key is
 * checked at load: unknown keys, wrong types and bad values are collected
 * with their line and reported together, and the whole file is refused.
 * Relative paths in the file are taken relative to the file's folder, so a
 * configuration works the same from whichever directory duban is started.
 */
#include "config.h"

#include <libconfig.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfgval.h"

struct duban_config *
config_defaults(void)
{
	struct duban_config *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->database = strdup("duban.db");
	c->timezone = strdup("Asia/Shanghai");
	c->signature = strdup("");
	c->rules_dir = strdup("rules");
	c->templates_dir = strdup("templates");
	c->quiet.enabled = true;
	c->quiet.from = 21 * 60;
	c->quiet.to = 8 * 60;
	c->log_level = LOG_INFO;
	c->max_parts = 6;
	if (!c->database || !c->timezone || !c->signature || !c->rules_dir || !c->templates_dir) {
		config_free(c);
		return NULL;
	}
	return c;
}

void
config_free(struct duban_config *c)
{
	if (c == NULL)
		return;
	free(c->path);
	free(c->database);
	free(c->timezone);
	free(c->signature);
	free(c->rules_dir);
	free(c->templates_dir);
	free(c->log_file);
	free(c);
}

bool
config_in_quiet(const struct quiet_hours *q, int m)
{
	if (!q->enabled || q->from == q->to)
		return false;
	if (q->from < q->to)
		return m >= q->from && m < q->to;
	return m >= q->from || m < q->to;
}

/* Replace *field with s, made relative to dir unless absolute. */
static int
set_path(char **field, const char *dir, const char *s)
{
	char *v;

	if (s[0] == '/' || dir == NULL) {
		v = strdup(s);
	} else {
		size_t n = strlen(dir) + strlen(s) + 2;
		v = malloc(n);
		if (v)
			snprintf(v, n, "%s/%s", dir, s);
	}
	if (v == NULL)
		return -1;
	free(*field);
	*field = v;
	return 0;
}

static int
set_str(char **field, const char *s)
{
	char *v = strdup(s);
	if (v == NULL)
		return -1;
	free(*field);
	*field = v;
	return 0;
}

/* Parse a quiet_hours { from = "21:00"; to = "08:00"; } group (also used by rules). */
static void
parse_quiet(struct cfgval *cv, const config_setting_t *root, struct quiet_hours *q)
{
	static const char *const keys[] = { "from", "to", "enabled", NULL };
	const config_setting_t *g = cfgval_group(cv, root, "quiet_hours");
	int from = q->from, to = q->to, rf, rt;
	bool en = true;

	if (g == NULL)
		return;
	cfgval_keys(cv, g, keys);
	rf = cfgval_hhmm(cv, g, "from", &from);
	rt = cfgval_hhmm(cv, g, "to", &to);
	cfgval_bool(cv, g, "enabled", &en);
	if ((rf == 0) != (rt == 0) && rf >= 0 && rt >= 0)
		cfgval_error(cv, g, "quiet_hours needs both 'from' and 'to'");
	q->from = from;
	q->to = to;
	q->enabled = en && from != to;
}

static void
parse_log(struct cfgval *cv, const config_setting_t *root, struct duban_config *c, const char *dir)
{
	static const char *const keys[] = { "level", "file", NULL };
	const config_setting_t *g = cfgval_group(cv, root, "log");
	const char *s;

	if (g == NULL)
		return;
	cfgval_keys(cv, g, keys);
	if (cfgval_string(cv, g, "level", &s) == 1 && log_level_parse(s, &c->log_level) != 0)
		cfgval_error(cv, config_setting_get_member(g, "level"),
			     "log level must be \"error\", \"warn\", \"info\" or \"debug\", not \"%s\"", s);
	if (cfgval_string(cv, g, "file", &s) == 1 && *s != '\0')
		set_path(&c->log_file, dir, s);
}

static void
parse_root(struct cfgval *cv, const config_setting_t *root, struct duban_config *c, const char *dir)
{
	static const char *const keys[] = {
		"database", "timezone", "signature", "rules_dir", "templates_dir",
		"quiet_hours", "log", "sms", NULL
	};
	const char *s;
	const config_setting_t *g;

	cfgval_keys(cv, root, keys);
	if (cfgval_string(cv, root, "database", &s) == 1) {
		if (*s == '\0')
			cfgval_error(cv, config_setting_get_member(root, "database"),
				     "'database' must name a file");
		else
			set_path(&c->database, dir, s);
	}
	if (cfgval_string(cv, root, "timezone", &s) == 1) {
		if (strcmp(s, "UTC") != 0 && !time_zone_exists(s))
			cfgval_error(cv, config_setting_get_member(root, "timezone"),
				     "unknown time zone \"%s\" (expected an IANA name such as \"Asia/Shanghai\")", s);
		else
			set_str(&c->timezone, s);
	}
	if (cfgval_string(cv, root, "signature", &s) == 1) {
		if (!utf8_valid(s, strlen(s)) || strlen(s) > 60)
			cfgval_error(cv, config_setting_get_member(root, "signature"),
				     "'signature' must be UTF-8 text of at most 60 bytes");
		else
			set_str(&c->signature, s);
	}
	if (cfgval_string(cv, root, "rules_dir", &s) == 1)
		set_path(&c->rules_dir, dir, s);
	if (cfgval_string(cv, root, "templates_dir", &s) == 1)
		set_path(&c->templates_dir, dir, s);
	parse_quiet(cv, root, &c->quiet);
	parse_log(cv, root, c, dir);

	g = cfgval_group(cv, root, "sms");
	if (g != NULL) {
		static const char *const sms_keys[] = { "max_parts", NULL };
		long v;
		cfgval_keys(cv, g, sms_keys);
		if (cfgval_int(cv, g, "max_parts", 1, 20, &v) == 1)
			c->max_parts = (unsigned)v;
	}
}

int
config_load_file(const char *path, struct duban_config **out, struct diag *diag)
{
	struct cfgval cv = { path, diag };
	struct duban_config *c = NULL;
	config_t cfg;
	size_t before = diag->n;
	char *dir = NULL, *slash;

	config_init(&cfg);
	if (cfgval_read_file(&cv, &cfg, path) != 0)
		goto out;
	c = config_defaults();
	if (c == NULL || (c->path = strdup(path)) == NULL || (dir = strdup(path)) == NULL) {
		diag_add(diag, path, 0, "out of memory");
		goto out;
	}
	slash = strrchr(dir, '/');
	if (slash == NULL) {
		free(dir);
		dir = NULL;
	} else if (slash == dir) {
		slash[1] = '\0';
	} else {
		*slash = '\0';
	}
	parse_root(&cv, config_root_setting(&cfg), c, dir);
out:
	free(dir);
	config_destroy(&cfg);
	if (diag->n != before) {
		config_free(c);
		return -1;
	}
	*out = c;
	return 0;
}

int
config_load(const char *path, struct duban_config **out, struct diag *diag)
{
	const char *env = getenv("DUBAN_CONFIG");

	if (path != NULL)
		return config_load_file(path, out, diag);
	if (env != NULL && *env != '\0')
		return config_load_file(env, out, diag);
	if (access("duban.cfg", F_OK) == 0)
		return config_load_file("duban.cfg", out, diag);
	*out = config_defaults();
	if (*out == NULL) {
		diag_add(diag, NULL, 0, "out of memory");
		return -1;
	}
	return 0;
}
