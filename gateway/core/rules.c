/*
 * rules.c - loading, validating and planning reminder rule sets.  Loading
 * is whole and strict: every file of the rules directory is read, every
 * set, step and key checked, and all problems reported with their file and
 * line before anything is accepted.  Planning works in the process's local
 * time zone through time_local/time_from_local, so "7 days before at
 * 09:00" is 09:00 on the calendar day a week earlier even across a DST
 * change; quiet hours and "workdays only" are applied after the raw fire
 * time is known, and every fire gets an expiry after which it is stale.
 */
#include "core/rules.h"

#include <dirent.h>
#include <errno.h>
#include <libconfig.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/cfgval.h"
#include "base/array.h"
#include "base/i18n.h"
#include "base/str.h"
#include "base/zone.h"
#include "base/diag.h"
#include "base/buf.h"
#include "base/duration.h"
#include "core/calendar.h"

#define RULES_MAX_SPAN (366L * 86400) /* longest offset, repeat or expiry */

struct rules {
	struct rule_set *set; /* sorted by name once loaded */
	size_t n, cap;
};

static const char *const role_names[] = { "lead", "owner", "member", "supervisor" };

int
role_parse(const char *s, enum role *out)
{
	for (size_t i = 0; i < ARRAY_LEN(role_names); i++) {
		if (strcmp(s, role_names[i]) == 0) {
			*out = (enum role)(1u << i);
			return 0;
		}
	}
	return -1;
}

const char *
role_name(enum role r)
{
	for (size_t i = 0; i < ARRAY_LEN(role_names); i++)
		if ((unsigned)r == (1u << i))
			return role_names[i];
	return NULL;
}

/* ---- loading ------------------------------------------------------------ */

static void
step_free(struct rule_step *st)
{
	free(st->template);
	st->template = NULL;
	for (int i = 0; i < 4; i++) {
		free(st->by_role[i]);
		st->by_role[i] = NULL;
	}
}

static void check_template(struct cfgval *cv, const config_setting_t *s, const char *name,
			   const struct tmpl_set *tmpls);

/* templates = { lead = "..."; owner = "..."; ... }: a role's own text for this step. */
static void
parse_by_role(struct cfgval *cv, const config_setting_t *g, const struct tmpl_set *tmpls,
	      struct rule_step *st)
{
	static const char *const keys[] = { "lead", "owner", "member", "supervisor", NULL };
	const config_setting_t *t = cfgval_group(cv, g, "templates");
	const char *name;

	if (t == NULL)
		return;
	cfgval_keys(cv, t, keys);
	for (int i = 0; i < 4; i++) {
		if (cfgval_string(cv, t, keys[i], &name) != 1)
			continue;
		if (!(st->roles & (1u << i)))
			cfgval_error(cv, config_setting_get_member(t, keys[i]),
				     "a template for '%s', who is not in 'to'", keys[i]);
		check_template(cv, config_setting_get_member(t, keys[i]), name, tmpls);
		if ((st->by_role[i] = strdup(name)) == NULL)
			cfgval_error(cv, t, "out of memory");
	}
}

static void
set_free(struct rule_set *rs)
{
	for (size_t i = 0; i < rs->nbefore; i++)
		step_free(&rs->before[i]);
	free(rs->before);
	step_free(&rs->overdue);
	step_free(&rs->escalate);
	free(rs->name);
	free(rs->file);
}

void
rules_free(struct rules *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++)
		set_free(&r->set[i]);
	free(r->set);
	free(r);
}

/* "7d", "36h", "1d12h", "1h30m", "0d": a canonical spelling of d for keys. */
static int
duration_key(const struct duration *d, char prefix, char *out, size_t outlen)
{
	struct buf b;
	long h = d->seconds / 3600, m = d->seconds % 3600 / 60, s = d->seconds % 60;
	int rc = 0;

	buf_init(&b, outlen - 1);
	rc |= buf_printf(&b, "%c", prefix);
	if (d->days > 0 || d->seconds == 0)
		rc |= buf_printf(&b, "%ldd", d->days);
	if (h > 0)
		rc |= buf_printf(&b, "%ldh", h);
	if (m > 0)
		rc |= buf_printf(&b, "%ldm", m);
	if (s > 0)
		rc |= buf_printf(&b, "%lds", s);
	if (rc == 0)
		rc = strlcpy_checked(out, b.data, outlen);
	buf_free(&b);
	return rc == 0 ? 0 : -1;
}

/* Parse the roles of 'to' into a bitmask; problems reported; 0 if none valid. */
static unsigned
parse_roles(struct cfgval *cv, const config_setting_t *g)
{
	const config_setting_t *to = config_setting_get_member(g, "to");
	unsigned roles = 0;
	int n;

	if (to == NULL) {
		cfgval_error(cv, g, _("missing 'to' (the roles to remind, e.g. [ \"lead\", \"owner\" ])"));
		return 0;
	}
	if (config_setting_type(to) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(to) != CONFIG_TYPE_LIST) {
		cfgval_error(cv, to, _("'to' must be an array of roles such as [ \"lead\", \"owner\" ]"));
		return 0;
	}
	n = config_setting_length(to);
	if (n == 0)
		cfgval_error(cv, to, _("'to' must name at least one role"));
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(to, (unsigned)i);
		const config_setting_t *where = cfgval_line(e) > 0 ? e : to;
		const char *s = config_setting_get_string(e);
		enum role r;

		if (s == NULL) {
			cfgval_error(cv, where, _("'to' must hold role names (strings)"));
		} else if (role_parse(s, &r) != 0) {
			cfgval_error(cv, where,
				     _("unknown role '%s' (expected lead, owner, member or supervisor)"), s);
		} else if (roles & r) {
			cfgval_error(cv, where, _("role '%s' is listed twice in 'to'"), s);
		} else {
			roles |= r;
		}
	}
	return roles;
}

/* Check the template a step names against the loaded templates. */
static void
check_template(struct cfgval *cv, const config_setting_t *s, const char *name,
	       const struct tmpl_set *tmpls)
{
	const struct tmpl *t;
	const char *bad;

	if (tmpls == NULL)
		return;
	t = tmpl_set_get(tmpls, name);
	if (t == NULL) {
		cfgval_error(cv, s, _("unknown template '%s' (%s/%s.txt not found)"), name,
			     tmpl_set_dir(tmpls), name);
		return;
	}
	bad = tmpl_find_prefix(t, "notice.");
	if (bad == NULL)
		bad = tmpl_find_prefix(t, "var.");
	if (bad != NULL)
		cfgval_error(cv, s,
			     _("template '%s' uses '%s', which a reminder cannot supply "
			     "(notice.* and var.* are for notices)"), name, bad);
}

/* Read a duration key that must be present and within (min, RULES_MAX_SPAN]. */
static bool
step_duration(struct cfgval *cv, const config_setting_t *g, const char *key, bool zero_ok,
	      struct duration *out)
{
	int rc = cfgval_duration(cv, g, key, out);
	int64_t secs;

	if (rc == 0)
		cfgval_error(cv, g, _("missing '%s' (a duration such as \"1d\")"), key);
	if (rc != 1)
		return false;
	secs = duration_seconds(out);
	if (secs == 0 && !zero_ok) {
		cfgval_error(cv, config_setting_get_member(g, key), _("'%s' must be longer than zero"),
			     key);
		return false;
	}
	if (secs > RULES_MAX_SPAN) {
		cfgval_error(cv, config_setting_get_member(g, key), _("'%s' must be at most 366 days"),
			     key);
		return false;
	}
	return true;
}

/*
 * Parse one step group g of the given kind into st (template copied).
 * Returns true when the step is valid; problems are reported.
 */
static bool
parse_step(struct cfgval *cv, const config_setting_t *g, enum step_kind kind,
	   const struct tmpl_set *tmpls, struct rule_step *st)
{
	static const char *const kb[] = { "offset", "at", "to", "template", "templates", "expires",
					   NULL };
	static const char *const ko[] = { "every", "at", "max", "to", "template", "templates",
					   "expires", NULL };
	static const char *const ke[] = { "after", "at", "to", "template", "templates", "expires",
					   NULL };
	const char *const *keys = kind == STEP_BEFORE ? kb : kind == STEP_OVERDUE ? ko : ke;
	const char *dkey = keys[0], *tname;
	size_t before = cv->diag->n;
	int rc;

	memset(st, 0, sizeof(*st));
	st->kind = kind;
	st->at = -1;
	st->line = cfgval_line(g);
	cfgval_keys(cv, g, keys);
	bool dur_ok = step_duration(cv, g, dkey, kind == STEP_BEFORE, &st->offset);
	bool at_ok = cfgval_hhmm(cv, g, "at", &st->at) == 1;
	st->roles = parse_roles(cv, g);
	rc = cfgval_string(cv, g, "template", &tname);
	if (rc == 0)
		cfgval_error(cv, g, _("missing 'template' (the name of a file in templates/)"));
	if (rc == 1) {
		check_template(cv, config_setting_get_member(g, "template"), tname, tmpls);
		st->template = strdup(tname);
		if (st->template == NULL)
			cfgval_error(cv, g, _("out of memory"));
	}
	parse_by_role(cv, g, tmpls, st);
	if (config_setting_get_member(g, "expires") != NULL)
		st->has_expires = step_duration(cv, g, "expires", false, &st->expires);
	if (kind == STEP_OVERDUE && at_ok && dur_ok && st->offset.days == 0)
		cfgval_error(cv, config_setting_get_member(g, "at"),
			     _("'at' needs an 'every' of whole days (such as \"1d\"), not \"%s\""),
			     config_setting_get_string(config_setting_get_member(g, dkey)));
	if (kind == STEP_ESCALATE)
		memcpy(st->key, "e", 2);
	else if (kind == STEP_OVERDUE)
		memcpy(st->key, "o", 2);
	else if (dur_ok && duration_key(&st->offset, 'b', st->key, sizeof(st->key)) != 0)
		cfgval_error(cv, config_setting_get_member(g, dkey), _("'%s' is too long for a step key"),
			     dkey);
	return cv->diag->n == before;
}

/* Parse the list of before-steps of set g into rs; problems reported. */
static void
parse_before(struct cfgval *cv, const config_setting_t *g, const struct tmpl_set *tmpls,
	     struct rule_set *rs, bool *present)
{
	const config_setting_t *list = config_setting_get_member(g, "before");
	int n;

	if (list == NULL)
		return;
	if (config_setting_type(list) != CONFIG_TYPE_LIST) {
		cfgval_error(cv, list, _("'before' must be a list ( { ... }, { ... } ) of steps"));
		return;
	}
	n = config_setting_length(list);
	if (n == 0)
		return;
	*present = true;
	rs->before = calloc((size_t)n, sizeof(*rs->before));
	if (rs->before == NULL) {
		cfgval_error(cv, list, _("out of memory"));
		return;
	}
	bool prev_ok = false;
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
		struct rule_step *st = &rs->before[rs->nbefore];

		if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
			cfgval_error(cv, cfgval_line(e) > 0 ? e : list,
				     _("each step of 'before' must be a group { offset = ...; ... }"));
			prev_ok = false;
			continue;
		}
		bool ok = parse_step(cv, e, STEP_BEFORE, tmpls, st);
		rs->nbefore++;
		if (ok && prev_ok &&
		    duration_seconds(&st->offset) >= duration_seconds(&st[-1].offset)) {
			const char *cur = config_setting_get_string(config_setting_get_member(e, "offset"));
			cfgval_error(cv, e,
				     _("steps must be in order, furthest first (offset \"%s\" comes after "
				     "a nearer or equal one)"), cur);
		}
		prev_ok = ok;
	}
}

/* Parse a quiet_hours group of set g into rs. */
static void
parse_set_quiet(struct cfgval *cv, const config_setting_t *g, struct rule_set *rs)
{
	rs->quiet.enabled = false;
	rs->quiet.from = rs->quiet.to = 0;
	rs->has_quiet = cfgval_quiet(cv, g, &rs->quiet) != 0;
}

/*
 * A plan is every before-step once, every overdue repeat and the
 * escalation (rules_plan_size), whatever the deadline: refuse a set
 * whose plan would not fit the scheduler's RULES_MAX_FIRES, which
 * would otherwise fail every pass that meets one of its tasks.
 */
static void
check_plan_size(struct cfgval *cv, const config_setting_t *g, const struct rule_set *rs)
{
	size_t n = rules_plan_size(rs);

	if (n <= RULES_MAX_FIRES)
		return;
	cfgval_error(cv, g,
		     _("rule set \"%s\": %zu reminder times per task (%zu before the deadline, %d overdue "
		     "repeats, %d escalation), more than %d; remove steps or lower overdue's max"),
		     rs->name, n, rs->nbefore, rs->has_overdue ? rs->overdue_max : 0,
		     rs->has_escalate ? 1 : 0, RULES_MAX_FIRES);
}

/* Parse and validate one set (group g) into rs; problems reported. */
static void
parse_set(struct cfgval *cv, const config_setting_t *g, const struct tmpl_set *tmpls,
	  struct rule_set *rs)
{
	static const char *const keys[] = {
		"quiet_hours", "workdays_only", "before", "overdue", "escalate", "digest",
		"repeat_after_ack", NULL
	};
	const config_setting_t *s;
	bool present = false;
	long max;

	cfgval_keys(cv, g, keys);
	parse_set_quiet(cv, g, rs);
	cfgval_bool(cv, g, "workdays_only", &rs->workdays_only);
	rs->digest = true;
	cfgval_bool(cv, g, "digest", &rs->digest);
	cfgval_bool(cv, g, "repeat_after_ack", &rs->repeat_after_ack);
	parse_before(cv, g, tmpls, rs, &present);
	if (config_setting_get_member(g, "overdue") != NULL)
		present = true;
	if ((s = cfgval_group(cv, g, "overdue")) != NULL) {
		rs->has_overdue = parse_step(cv, s, STEP_OVERDUE, tmpls, &rs->overdue);
		int rc = cfgval_int(cv, s, "max", 1, 100, &max);
		if (rc == 0)
			cfgval_error(cv, s, _("missing 'max' (how many repeats, 1 to 100)"));
		if (rc == 1)
			rs->overdue_max = (int)max;
		else
			rs->has_overdue = false;
	}
	if (config_setting_get_member(g, "escalate") != NULL)
		present = true;
	if ((s = cfgval_group(cv, g, "escalate")) != NULL)
		rs->has_escalate = parse_step(cv, s, STEP_ESCALATE, tmpls, &rs->escalate);
	if (!present)
		cfgval_error(cv, g, _("rule set '%s' has no steps (give 'before', 'overdue' or 'escalate')"),
			     rs->name);
	check_plan_size(cv, g, rs);
}

/* The line number of a "PATH:LINE: ..." message, or 0. */
static long
diag_line(const char *msg, const char *path)
{
	size_t plen = strlen(path);

	if (msg == NULL || strncmp(msg, path, plen) != 0 || msg[plen] != ':')
		return 0;
	return strtol(msg + plen + 1, NULL, 10);
}

/*
 * Move the messages of from to to, in line order (stable): validation
 * goes key by key, but a reader fixes a file from top to bottom.
 */
static void
diag_move_sorted(struct diag *to, struct diag *from, const char *path)
{
	size_t n = from->n < from->cap ? from->n : from->cap;

	for (size_t i = 1; i < n; i++) {
		char *m = from->line[i];
		long key = diag_line(m, path);
		size_t j = i;
		while (j > 0 && diag_line(from->line[j - 1], path) > key) {
			from->line[j] = from->line[j - 1];
			j--;
		}
		from->line[j] = m;
	}
	for (size_t i = 0; i < n; i++)
		diag_add(to, NULL, 0, "%s", from->line[i] ? from->line[i] : _("out of memory"));
	for (size_t i = n; i < from->n; i++)
		diag_add(to, NULL, 0, _("out of memory"));
	diag_clear(from);
}

/* Add the sets of one file to r; problems to cv. */
static void
load_file(struct cfgval *cv, const char *path, const struct tmpl_set *tmpls, struct rules *r)
{
	config_t cfg;
	const config_setting_t *root;
	int n;

	config_init(&cfg);
	if (cfgval_read_file(cv, &cfg, path) != 0)
		goto out;
	root = config_root_setting(&cfg);
	n = config_setting_length(root);
	if (n == 0)
		diag_add(cv->diag, path, 0, _("no rule sets in this file"));
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(root, (unsigned)i);
		const char *name = config_setting_name(g);
		struct rule_set *rs;

		if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
			cfgval_error(cv, g, _("'%s' must be a rule set, a group { before = ...; ... }"),
				     name);
			continue;
		}
		for (size_t j = 0; j < r->n; j++)
			if (strcmp(r->set[j].name, name) == 0)
				cfgval_error(cv, g, _("rule set '%s' is already defined at %s:%ld"), name,
					     r->set[j].file, r->set[j].line);
		if (r->n == r->cap) {
			size_t ncap = r->cap ? r->cap * 2 : 8;
			struct rule_set *ns = realloc(r->set, ncap * sizeof(*ns));
			if (ns == NULL) {
				cfgval_error(cv, g, _("out of memory"));
				goto out;
			}
			r->set = ns;
			r->cap = ncap;
		}
		rs = &r->set[r->n++];
		memset(rs, 0, sizeof(*rs));
		rs->name = strdup(name);
		rs->file = strdup(path);
		rs->line = cfgval_line(g);
		if (rs->name == NULL || rs->file == NULL) {
			cfgval_error(cv, g, _("out of memory"));
			goto out;
		}
		parse_set(cv, g, tmpls, rs);
	}
out:
	config_destroy(&cfg);
}

static int
cmp_set(const void *a, const void *b)
{
	return strcmp(((const struct rule_set *)a)->name, ((const struct rule_set *)b)->name);
}

/* The paths DIR/NAME.cfg, sorted; -1 with the problem in diag. */
static int
list_cfg(const char *dir, char ***out, size_t *n, struct diag *diag)
{
	char err[256], **names;
	size_t dlen = strlen(dir);

	if (dir_list(dir, ".cfg", &names, n, err, sizeof(err)) != 0) {
		diag_add(diag, dir, 0, _("cannot open rules directory: %s (set rules_dir in duban.cfg; see etc/duban.cfg)"), err);
		return -1;
	}
	while (dlen > 1 && dir[dlen - 1] == '/')
		dlen--;
	for (size_t i = 0; i < *n; i++) {
		size_t plen = dlen + strlen(names[i]) + 2;
		char *path = malloc(plen);
		if (path == NULL) {
			diag_add(diag, dir, 0, _("out of memory"));
			for (size_t j = 0; j < *n; j++)
				free(names[j]);
			free(names);
			return -1;
		}
		snprintf(path, plen, "%.*s/%s", (int)dlen, dir, names[i]);
		free(names[i]);
		names[i] = path;
	}
	*out = names;
	return 0;
}

int
rules_load_dir(const char *dir, const struct tmpl_set *tmpls, struct rules **out,
	       struct diag *diag)
{
	struct rules *r = NULL;
	char **paths = NULL;
	size_t n = 0, before = diag->n;

	if (list_cfg(dir, &paths, &n, diag) != 0)
		goto out;
	if (n == 0) {
		diag_add(diag, dir, 0, _("no rule files (*.cfg) in this directory"));
		goto out;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		diag_add(diag, dir, 0, _("out of memory"));
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct diag file_diag = { 0 };
		struct cfgval cv = { paths[i], &file_diag };
		load_file(&cv, paths[i], tmpls, r);
		diag_move_sorted(diag, &file_diag, paths[i]);
	}
	if (r->n > 1)
		qsort(r->set, r->n, sizeof(*r->set), cmp_set);
out:
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	if (diag->n != before) {
		rules_free(r);
		return -1;
	}
	*out = r;
	return 0;
}

const struct rule_set *
rules_find(const struct rules *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->set[i].name, name) == 0)
			return &r->set[i];
	return NULL;
}

size_t
rules_count(const struct rules *r)
{
	return r->n;
}

const struct rule_set *
rules_at(const struct rules *r, size_t i)
{
	return i < r->n ? &r->set[i] : NULL;
}

/* ---- planning ----------------------------------------------------------- */

/*
 * The local date of base moved by days calendar days, at minute `at` of
 * that day, or at base's own time of day when at < 0.
 */
static int64_t
local_at(int64_t base, long days, int at)
{
	struct tm tm;

	if (days == 0 && at < 0)
		return base;
	time_local(base, &tm);
	if (at < 0)
		return time_from_local(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday + (int)days,
				       tm.tm_hour, tm.tm_min, tm.tm_sec);
	return time_from_local(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday + (int)days, at / 60,
			       at % 60, 0);
}

/* t plus d: calendar days, then seconds. */
static int64_t
add_duration(int64_t t, const struct duration *d)
{
	return local_at(t, d->days, -1) + d->seconds;
}

/*
 * Quiet hours, then workdays only: the time a fire planned for t is sent.
 * A reminder before the deadline moves back to the last working day (dir
 * -1: news of a deadline must not arrive after it); a repeat or escalation
 * after it moves forward (dir +1: "overdue" must not arrive before the task
 * is).  Steps that land together are sent as one: the scheduler queues
 * only the latest of the steps due at once.
 */
static int64_t
adjust(int64_t t, const struct quiet_hours *q, bool workdays_only, const struct calendar *cal,
       int dir)
{
	struct tm tm;

	time_local(t, &tm);
	int m = tm.tm_hour * 60 + tm.tm_min;
	if (q != NULL && config_in_quiet(q, m)) {
		int next = (q->from > q->to && m >= q->from) ? 1 : 0;
		t = time_from_local(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday + next, q->to / 60,
				    q->to % 60, 0);
		time_local(t, &tm);
	}
	if (!workdays_only)
		return t;
	/* Bounded: a holiday calendar never closes a whole month.  Working
	 * days are the calendar's: 元旦 is none, a 调休 Sunday is one. */
	for (int i = 0;
	     i < 31 && !calendar_is_workday(cal, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	     i++) {
		t = time_from_local(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday + dir, tm.tm_hour,
				    tm.tm_min, tm.tm_sec);
		time_local(t, &tm);
	}
	return t;
}

size_t
rules_plan_size(const struct rule_set *rs)
{
	return rs->nbefore + (rs->has_overdue ? (size_t)rs->overdue_max : 0) +
	       (rs->has_escalate ? 1 : 0);
}

static void
fire_init(struct fire *f, const struct rule_step *st, int64_t at)
{
	f->at = at;
	f->expires = 0;
	f->kind = st->kind;
	f->roles = st->roles;
	f->template = st->template;
	f->by_role = st->by_role;
	memcpy(f->key, st->key, sizeof(f->key));
}

/*
 * The default expiry of fire i: the send time of the next fire of the same
 * kind in time (not in list order: "4h" before a 17:00 deadline is sent
 * after "0d at 08:00"), or fallback when none follows; never earlier than
 * an hour after its own send time, so that no fire is born stale.
 */
static int64_t
next_expiry(const struct fire *f, size_t k, size_t i, int64_t fallback)
{
	int64_t next = fallback;
	bool found = false;

	for (size_t j = 0; j < k; j++) {
		if (f[j].kind != f[i].kind || f[j].at <= f[i].at)
			continue;
		if (!found || f[j].at < next)
			next = f[j].at;
		found = true;
	}
	return next > f[i].at + 3600 ? next : f[i].at + 3600;
}

int
rules_plan(const struct rule_set *rs, int64_t deadline, const struct quiet_hours *quiet,
	   struct fire *out, size_t max, size_t *n)
{
	return rules_plan_cal(rs, deadline, quiet, NULL, out, max, n);
}

int
rules_plan_cal(const struct rule_set *rs, int64_t deadline, const struct quiet_hours *quiet,
	       const struct calendar *cal, struct fire *out, size_t max, size_t *n)
{
	const struct quiet_hours *q = rs->has_quiet ? &rs->quiet : quiet;
	size_t need = rules_plan_size(rs), k = 0;

	*n = need;
	if (need > max)
		return -1;
	for (size_t i = 0; i < rs->nbefore; i++) {
		const struct rule_step *st = &rs->before[i];
		int64_t t = st->offset.seconds == 0
				    ? local_at(deadline, -st->offset.days, st->at)
				    : local_at(deadline - duration_seconds(&st->offset), 0, st->at);
		fire_init(&out[k++], st, adjust(t, q, rs->workdays_only, cal, -1));
	}
	for (int i = 1; rs->has_overdue && i <= rs->overdue_max; i++) {
		const struct rule_step *st = &rs->overdue;
		int64_t t = local_at(deadline, st->offset.days * i, st->at) +
			    (int64_t)st->offset.seconds * i;
		fire_init(&out[k], st, adjust(t, q, rs->workdays_only, cal, +1));
		snprintf(out[k].key, sizeof(out[k].key), "o%d", i);
		k++;
	}
	if (rs->has_escalate) {
		const struct rule_step *st = &rs->escalate;
		int64_t t = local_at(add_duration(deadline, &st->offset), 0, st->at);
		fire_init(&out[k++], st, adjust(t, q, rs->workdays_only, cal, +1));
	}

	/* Expiries, now that every fire time is known. */
	for (size_t i = 0; i < k; i++) {
		struct fire *f = &out[i];
		const struct rule_step *st = f->kind == STEP_BEFORE    ? &rs->before[i]
					     : f->kind == STEP_OVERDUE ? &rs->overdue
								       : &rs->escalate;
		struct duration one_day = { 1, 0 };

		if (st->has_expires)
			f->expires = add_duration(f->at, &st->expires);
		else if (f->kind == STEP_BEFORE)
			f->expires = next_expiry(out, k, i, deadline);
		else if (f->kind == STEP_OVERDUE)
			f->expires = next_expiry(out, k, i, add_duration(f->at, &st->offset));
		else
			f->expires = add_duration(f->at, &one_day);
	}

	/* Stable insertion sort by time: a plan is a few dozen fires at most. */
	for (size_t i = 1; i < k; i++) {
		struct fire f = out[i];
		size_t j = i;
		while (j > 0 && out[j - 1].at > f.at) {
			out[j] = out[j - 1];
			j--;
		}
		out[j] = f;
	}
	return 0;
}
