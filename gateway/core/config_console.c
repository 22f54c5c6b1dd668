/*
 * config_console.c - the `console` group of duban.cfg (config_console.h),
 * checked whole at load like every other group, and the search for the
 * console's static files when the group does not name them.
 */
#include "core/config_console.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/duration.h"

void
console_conf_defaults(struct console_conf *cc)
{
	memset(cc, 0, sizeof(*cc));
	cc->idle_s = CONSOLE_IDLE_DEFAULT;
	cc->max_s = CONSOLE_MAX_DEFAULT;
}

void
console_conf_free(struct console_conf *cc)
{
	if (cc == NULL)
		return;
	free(cc->web_root);
	cc->web_root = NULL;
}

/* A duration key between min and max seconds into *out. */
static void
seconds(struct cfgval *cv, const config_setting_t *g, const char *key, long min, long max,
	long *out)
{
	struct duration d;
	int64_t sec;

	if (cfgval_duration(cv, g, key, &d) != 1)
		return;
	sec = duration_seconds(&d);
	if (sec < min || sec > max)
		cfgval_error(cv, config_setting_get_member(g, key),
			     "'%s' must be between %lds and %lds", key, min, max);
	else
		*out = (long)sec;
}

void
console_conf_parse(struct cfgval *cv, const config_setting_t *g, struct console_conf *cc,
		   const char *dir)
{
	static const char *const keys[] = { "web_root", "session_idle", "session_max",
					    "trust_proxy", NULL };
	const char *s;
	bool b;

	cfgval_keys(cv, g, keys);
	if (cfgval_string(cv, g, "web_root", &s) == 1) {
		char *v = NULL;
		if (*s == '\0') {
			cfgval_error(cv, config_setting_get_member(g, "web_root"),
				     "'web_root' must name a folder");
		} else if (s[0] == '/' || dir == NULL) {
			v = strdup(s);
		} else if ((v = malloc(strlen(dir) + strlen(s) + 2)) != NULL) {
			snprintf(v, strlen(dir) + strlen(s) + 2, "%s/%s", dir, s);
		}
		if (v != NULL) {
			free(cc->web_root);
			cc->web_root = v;
		}
	}
	seconds(cv, g, "session_idle", 60, 7L * 86400, &cc->idle_s);
	seconds(cv, g, "session_max", 300, 30L * 86400, &cc->max_s);
	if (cc->idle_s > cc->max_s)
		cfgval_error(cv, config_setting_get_member(g, "session_idle"),
			     "'session_idle' (%lds) is longer than 'session_max' (%lds)", cc->idle_s,
			     cc->max_s);
	if (cfgval_bool(cv, g, "trust_proxy", &b) == 1)
		cc->trust_proxy = b;
}

/* True when folder d holds index.html. */
static bool
has_index(const char *d)
{
	char p[4096];

	return snprintf(p, sizeof(p), "%s/index.html", d) < (int)sizeof(p) &&
	       access(p, R_OK) == 0;
}

int
console_web_root(const struct duban_config *cfg, char *out, size_t outlen)
{
	char dir[4096];

	if (cfg->console.web_root != NULL) {
		snprintf(out, outlen, "%s", cfg->console.web_root);
		return has_index(out) ? 0 : -1;
	}
	if (cfg->path != NULL) {
		snprintf(dir, sizeof(dir), "%s", cfg->path);
		const char *d = dirname(dir);
		if (snprintf(out, outlen, "%s/web", d) < (int)outlen && has_index(out))
			return 0;
		if (snprintf(out, outlen, "%s/../web", d) < (int)outlen && has_index(out))
			return 0;
	} else if (snprintf(out, outlen, "web") < (int)outlen && has_index(out)) {
		return 0;
	}
	snprintf(out, outlen, "%s", CONSOLE_INSTALLED_ROOT);
	return has_index(out) ? 0 : -1;
}
