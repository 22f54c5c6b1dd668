/*
 * config.c - loading and validating duban.cfg (libconfig).  Every key is
 * checked at load: unknown keys, wrong types and bad values are collected
 * with their line and reported together, and the whole file is refused.
 * Relative paths in the file are taken relative to the file's folder, so a
 * configuration works the same from whichever directory duban is started.
 */
#include "core/config.h"
#include "base/i18n.h"

#include <errno.h>
#include <libconfig.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cfgval.h"
#include "core/calendar.h"
#include "core/config_http.h"
#include "core/config_console.h"
#include "provider/provider.h"
#include "base/utf8.h"
#include "base/zone.h"
#include "base/diag.h"
#include "base/duration.h"
#include "base/phone.h"

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
	c->dispatcher.batch = 500;
	c->dispatcher.lease_ms = 0;
	c->dispatcher.commit_ms = 50;
	c->dispatcher.poll_ms = 500;
	c->dispatcher.grace_ms = 10000;
	c->reminders.digest_window = 30 * 60;
	c->reminders.per_person_day = 3;
	c->notices.require_approval = false;
	c->notices.confirm_over = 100;
	c->notices.optout_footer = strdup("回复TD退订");
	c->dlr.keep_unmatched = 86400;
	c->dlr.max_unmatched = 10000;
	c->storage.wal_max = 64LL << 20;
	c->storage.min_free = 64LL << 20;
	c->backup_keep = 5;
	console_conf_defaults(&c->console);
	if (httpd_conf_defaults(&c->http) != 0 || !c->database || !c->timezone || !c->signature || !c->rules_dir || !c->templates_dir || !c->notices.optout_footer) {
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
	free(c->language);
	free(c->notices.optout_footer);
	free(c->signature);
	free(c->rules_dir);
	free(c->templates_dir);
	free(c->calendar_file);
	calendar_free(c->calendar);
	free(c->log_file);
	provider_conf_free(c->providers, c->nproviders);
	httpd_conf_free(&c->http);
	for (size_t i = 0; i < c->alerts.nto; i++)
		free(c->alerts.to[i]);
	free(c->alerts.to);
	diag_clear(&c->missing_env);
	console_conf_free(&c->console);
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
			     _("log level must be \"error\", \"warn\", \"info\" or \"debug\", not \"%s\""), s);
	if (cfgval_string(cv, g, "file", &s) == 1 && *s != '\0')
		set_path(&c->log_file, dir, s);
}

/* The `dispatcher` group: batching, leases, commit delay, drain grace. */
static void
parse_dispatcher(struct cfgval *cv, const config_setting_t *root, struct duban_config *c)
{
	static const char *const keys[] = { "batch", "lease", "commit_ms", "poll_ms", "grace", NULL };
	const config_setting_t *g = cfgval_group(cv, root, "dispatcher");
	struct dispatcher_conf *dc = &c->dispatcher;
	struct duration d;
	long v, longest = 0;

	if (g == NULL)
		return;
	cfgval_keys(cv, g, keys);
	if (cfgval_int(cv, g, "batch", 1, 10000, &v) == 1)
		dc->batch = (unsigned)v;
	if (cfgval_int(cv, g, "commit_ms", 1, 60000, &v) == 1)
		dc->commit_ms = v;
	if (cfgval_int(cv, g, "poll_ms", 10, 1000, &v) == 1)
		dc->poll_ms = v;
	if (cfgval_duration(cv, g, "grace", &d) == 1) {
		int64_t sec = duration_seconds(&d);
		if (sec < 0 || sec > 3600)
			cfgval_error(cv, config_setting_get_member(g, "grace"),
				     _("'grace' must be at most 1h"));
		else
			dc->grace_ms = (long)sec * 1000;
	}
	for (size_t i = 0; i < c->nproviders; i++)
		if (c->providers[i].timeout_ms > longest)
			longest = c->providers[i].timeout_ms;
	if (cfgval_duration(cv, g, "lease", &d) == 1) {
		int64_t sec = duration_seconds(&d);
		if (sec < 1 || sec > 86400)
			cfgval_error(cv, config_setting_get_member(g, "lease"),
				     _("'lease' must be between 1s and 1d"));
		else if (sec * 1000 <= longest)
			cfgval_error(cv, config_setting_get_member(g, "lease"),
				     _("'lease' (%llds) must outlast the longest provider timeout_ms (%ld)"),
				     (long long)sec, longest);
		else
			dc->lease_ms = (long)sec * 1000;
	}
}

/* The `notices` group: approval and the confirmation threshold. */
static void
parse_notices(struct cfgval *cv, const config_setting_t *root, struct notices_conf *nc)
{
	static const char *const keys[] = { "require_approval", "confirm_over", "optout_footer",
					    NULL };
	const config_setting_t *g = cfgval_group(cv, root, "notices");
	const char *s;
	long v;

	if (g == NULL)
		return;
	cfgval_keys(cv, g, keys);
	cfgval_bool(cv, g, "require_approval", &nc->require_approval);
	if (cfgval_int(cv, g, "confirm_over", 0, 100000000, &v) == 1)
		nc->confirm_over = (unsigned long)v;
	if (cfgval_string(cv, g, "optout_footer", &s) == 1) {
		if (!utf8_valid(s, strlen(s)) || strlen(s) > 60 || strchr(s, '\n'))
			cfgval_error(cv, config_setting_get_member(g, "optout_footer"),
				     _("'optout_footer' must be one line of UTF-8 text of at most 60 bytes"));
		else
			set_str(&nc->optout_footer, s);
	}
}

/* The `reminders` group: digests and the daily cap per person. */
static void
parse_reminders(struct cfgval *cv, const config_setting_t *root, struct reminders_conf *rc)
{
	static const char *const keys[] = { "digest_window", "per_person_day", NULL };
	const config_setting_t *g = cfgval_group(cv, root, "reminders");
	struct duration d;
	long v;

	if (g == NULL)
		return;
	cfgval_keys(cv, g, keys);
	if (cfgval_duration(cv, g, "digest_window", &d) == 1) {
		if (duration_seconds(&d) > 12 * 3600)
			cfgval_error(cv, config_setting_get_member(g, "digest_window"),
				     "'digest_window' must be at most 12h");
		else
			rc->digest_window = (long)duration_seconds(&d);
	}
	if (cfgval_int(cv, g, "per_person_day", 1, 100, &v) == 1)
		rc->per_person_day = (unsigned)v;
}

/* The `dlr` group: how long and how many early delivery reports may wait. */
static void
parse_dlr(struct cfgval *cv, const config_setting_t *root, struct dlr_conf *dc)
{
	static const char *const keys[] = { "keep_unmatched", "max_unmatched", NULL };
	const config_setting_t *g = cfgval_group(cv, root, "dlr");
	struct duration d;
	long v;

	if (g == NULL)
		return;
	cfgval_keys(cv, g, keys);
	if (cfgval_duration(cv, g, "keep_unmatched", &d) == 1) {
		int64_t sec = duration_seconds(&d);
		if (sec < 60 || sec > 30 * 86400)
			cfgval_error(cv, config_setting_get_member(g, "keep_unmatched"),
				     _("'keep_unmatched' must be between 1m and 30d"));
		else
			dc->keep_unmatched = (long)sec;
	}
	if (cfgval_int(cv, g, "max_unmatched", 1, 10000000, &v) == 1)
		dc->max_unmatched = v;
}

/* "512K", "64M", "2G", "1T" (binary units) or "4096" into *v: 0, or -1. */
static int
parse_size(const char *str, long long *v)
{
	static const char units[] = "KMGT";
	const char *u;
	char *end;
	long long n, unit = 1;

	errno = 0;
	n = strtoll(str, &end, 10);
	if (end == str || errno != 0 || n < 0)
		return -1;
	if (*end != '\0') {
		if (end[1] != '\0' || (u = strchr(units, *end)) == NULL)
			return -1;
		unit = 1LL << (10 * (u - units + 1));
	}
	if (n > LLONG_MAX / unit)
		return -1;
	*v = n * unit;
	return 0;
}

/*
 * A size key of g: an integer of bytes or a string parse_size reads,
 * within [min, max].  1 set, 0 absent, -1 reported.
 */
static int
size_key(struct cfgval *cv, const config_setting_t *g, const char *key, long long min,
	 long long max, long long *out)
{
	const config_setting_t *s = config_setting_get_member(g, key);
	int type = s ? config_setting_type(s) : CONFIG_TYPE_NONE;
	long long v;

	if (s == NULL)
		return 0;
	if (type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64) {
		v = config_setting_get_int64(s);
	} else if (type != CONFIG_TYPE_STRING || parse_size(config_setting_get_string(s), &v) != 0) {
		cfgval_error(cv, s, _("'%s' must be a size such as \"64M\" (K, M, G or T) or bytes"),
			     key);
		return -1;
	}
	if (v < min || v > max) {
		cfgval_error(cv, s, _("'%s' must be between %lld and %lld bytes"), key, min, max);
		return -1;
	}
	*out = v;
	return 1;
}

/* The `storage` group: the WAL's bound and the free space /healthz wants. */
static void
parse_storage(struct cfgval *cv, const config_setting_t *root, struct storage_conf *sc)
{
	static const char *const keys[] = { "wal_max", "min_free", NULL };
	const config_setting_t *g = cfgval_group(cv, root, "storage");

	if (g == NULL)
		return;
	cfgval_keys(cv, g, keys);
	size_key(cv, g, "wal_max", 1LL << 20, 1LL << 40, &sc->wal_max);
	size_key(cv, g, "min_free", 0, 1LL << 50, &sc->min_free);
}

/* The `limits` group: what duban sends to one number at most. */
static void
parse_limits(struct cfgval *cv, const config_setting_t *root, struct limits_conf *lc)
{
	static const char *const keys[] = { "per_number_hour", "per_number_day", NULL };
	const config_setting_t *g = cfgval_group(cv, root, "limits");
	long v;

	if (g == NULL)
		return;
	cfgval_keys(cv, g, keys);
	if (cfgval_int(cv, g, "per_number_hour", 0, 100000, &v) == 1)
		lc->per_number_hour = (int)v;
	if (cfgval_int(cv, g, "per_number_day", 0, 100000, &v) == 1)
		lc->per_number_day = (int)v;
}

/* The `alerts` group: `to`, a list of phone numbers. */
static void
parse_alerts(struct cfgval *cv, const config_setting_t *root, struct alerts_conf *ac)
{
	static const char *const keys[] = { "to", NULL };
	const config_setting_t *g = cfgval_group(cv, root, "alerts"), *to;
	int n;

	if (g == NULL)
		return;
	cfgval_keys(cv, g, keys);
	if ((to = config_setting_get_member(g, "to")) == NULL)
		return;
	if (!config_setting_is_array(to) && !config_setting_is_list(to)) {
		cfgval_error(cv, to, _("'to' must be a list of phone numbers, e.g. [\"+8613800138000\"]"));
		return;
	}
	n = config_setting_length(to);
	if (n > 0 && (ac->to = calloc((size_t)n, sizeof(*ac->to))) == NULL) {
		cfgval_error(cv, to, _("out of memory"));
		return;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(to, (unsigned)i);
		const char *s = config_setting_get_string(e), *why = NULL;
		char num[PHONE_MAX];
		if (s == NULL) {
			cfgval_error(cv, e, _("alerts.to: element %d is not a string"), i + 1);
			continue;
		}
		if (phone_normalize(s, num, sizeof(num), &why) != 0) {
			cfgval_error(cv, e, _("alerts.to: \"%s\" is not a phone number: %s"), s, why);
			continue;
		}
		if ((ac->to[ac->nto] = strdup(num)) == NULL) {
			cfgval_error(cv, e, _("out of memory"));
			return;
		}
		ac->nto++;
	}
}

static void
parse_root(struct cfgval *cv, const config_setting_t *root, struct duban_config *c, const char *dir)
{
	static const char *const keys[] = {
		"database", "timezone", "language", "signature", "rules_dir", "templates_dir",
		"quiet_hours", "log", "sms", "providers", "dispatcher", "notices", "http",
		"dlr", "storage", "limits", "alerts", "backup", "console", "calendar", "reminders", NULL
	};
	const char *s;
	const config_setting_t *g;

	cfgval_keys(cv, root, keys);
	if (cfgval_string(cv, root, "database", &s) == 1) {
		if (*s == '\0')
			cfgval_error(cv, config_setting_get_member(root, "database"),
				     _("'database' must name a file"));
		else
			set_path(&c->database, dir, s);
	}
	if (cfgval_string(cv, root, "timezone", &s) == 1) {
		if (strcmp(s, "UTC") != 0 && !time_zone_exists(s))
			cfgval_error(cv, config_setting_get_member(root, "timezone"),
				     _("unknown time zone \"%s\" (expected an IANA name such as \"Asia/Shanghai\")"), s);
		else
			set_str(&c->timezone, s);
	}
	if (cfgval_string(cv, root, "language", &s) == 1) {
		if (strcmp(s, "zh") != 0 && strcmp(s, "en") != 0)
			cfgval_error(cv, config_setting_get_member(root, "language"),
				     _("'language' must be \"zh\" or \"en\", not \"%s\""), s);
		else
			set_str(&c->language, s);
	}
	if (cfgval_string(cv, root, "signature", &s) == 1) {
		if (!utf8_valid(s, strlen(s)) || strlen(s) > 60)
			cfgval_error(cv, config_setting_get_member(root, "signature"),
				     _("'signature' must be UTF-8 text of at most 60 bytes"));
		else
			set_str(&c->signature, s);
	}
	if (cfgval_string(cv, root, "rules_dir", &s) == 1)
		set_path(&c->rules_dir, dir, s);
	if (cfgval_string(cv, root, "templates_dir", &s) == 1)
		set_path(&c->templates_dir, dir, s);
	if (cfgval_string(cv, root, "calendar", &s) == 1) {
		set_path(&c->calendar_file, dir, s);
		if (c->calendar_file != NULL)
			calendar_load_file(c->calendar_file, &c->calendar, cv->diag);
	}
	cfgval_quiet(cv, root, &c->quiet);
	parse_log(cv, root, c, dir);
	if ((g = config_setting_get_member(root, "providers")) != NULL)
		provider_parse_list(cv, g, &c->providers, &c->nproviders);
	parse_dispatcher(cv, root, c);
	parse_notices(cv, root, &c->notices);
	parse_reminders(cv, root, &c->reminders);
	parse_dlr(cv, root, &c->dlr);
	parse_storage(cv, root, &c->storage);
	parse_limits(cv, root, &c->limits);
	parse_alerts(cv, root, &c->alerts);
	if ((g = cfgval_group(cv, root, "backup")) != NULL) {
		/* The automatic copies taken before `duban init` migrates or a restore. */
		static const char *const backup_keys[] = { "keep", NULL };
		long v;
		cfgval_keys(cv, g, backup_keys);
		if (cfgval_int(cv, g, "keep", 1, 1000, &v) == 1)
			c->backup_keep = (int)v;
	}
	if ((g = cfgval_group(cv, root, "http")) != NULL)
		httpd_conf_parse(cv, g, &c->http);
	if ((g = cfgval_group(cv, root, "console")) != NULL)
		console_conf_parse(cv, g, &c->console, dir);

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
		diag_add(diag, path, 0, _("out of memory"));
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
	provider_defer_secrets(&c->missing_env);
	parse_root(&cv, config_root_setting(&cfg), c, dir);
	provider_defer_secrets(NULL);
	/* A file with other problems: the missing secrets are among them. */
	if (diag->n != before)
		config_need_secrets(c, diag);
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
config_need_secrets(const struct duban_config *c, struct diag *diag)
{
	for (size_t i = 0; i < c->missing_env.n && i < c->missing_env.cap; i++)
		diag_add(diag, NULL, 0, "%s", c->missing_env.line[i] ? c->missing_env.line[i]
								      : _("(out of memory)"));
	return c->missing_env.n > 0 ? -1 : 0;
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
	/* Installed (make install, the Debian package): what the service runs with. */
	if (access(CONFIG_SYSTEM_FILE, F_OK) == 0)
		return config_load_file(CONFIG_SYSTEM_FILE, out, diag);
	*out = config_defaults();
	if (*out == NULL) {
		diag_add(diag, NULL, 0, _("out of memory"));
		return -1;
	}
	return 0;
}
