/*
 * sched.c - the scheduler's pass.  See sched.h for what it promises; the
 * comments here say how.
 *
 * Work is done in batches of tasks, one transaction per batch, so a pass
 * over 100,000 due tasks commits a few dozen times, not 100,000 times, and
 * a crash loses at most the batch in flight (which the next pass redoes:
 * nothing was committed, so nothing is queued twice).  The daemon runs
 * its passes on a thread of their own (sched_thread, at the end), so that
 * a pass waiting for the write lock never stalls its event loop.
 */
#include "core/sched.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/civil.h"
#include "base/log.h"
#include "base/phone.h"
#include "base/sms.h"
#include "base/buf.h"
#include "base/i18n.h"
#include "core/route.h"
#include "base/zone.h"
#include "core/calendar.h"
#include "core/digest.h"
#include "core/series.h"
#include "store/store_digest.h"

#define BATCH 4096
#define MAX_PEOPLE 512
#define BODY_MAX 2048
#define FP_LEN 17 /* a rules fingerprint: 16 hex digits */

/* A fingerprint of everything that decides fire times: the rule sets and
 * the configured quiet hours, planned against a fixed deadline. */
static uint64_t
rules_fingerprint(const struct sched *s, const struct calendar *cal)
{
	uint64_t h = 1469598103934665603ULL;
	struct fire f[RULES_MAX_FIRES];
	size_t n;

#define MIX(v)                                              \
	do {                                                \
		uint64_t x_ = (uint64_t)(v);                \
		for (int b_ = 0; b_ < 8; b_++) {            \
			h ^= (x_ >> (8 * b_)) & 0xff;       \
			h *= 1099511628211ULL;              \
		}                                           \
	} while (0)
	MIX(s->cfg->quiet.enabled);
	MIX(s->cfg->quiet.from);
	MIX(s->cfg->quiet.to);
	MIX(calendar_fingerprint(cal));
	for (size_t i = 0; i < rules_count(s->rules); i++) {
		const struct rule_set *rs = rules_at(s->rules, i);
		for (const char *p = rs->name; *p; p++)
			MIX(*p);
		if (rules_plan_cal(rs, 1230739140 /* 2008-12-31 23:59 +08 */, &s->cfg->quiet, cal, f,
				   RULES_MAX_FIRES, &n) != 0)
			continue;
		for (size_t k = 0; k < n; k++) {
			MIX(f[k].at);
			MIX(f[k].expires);
			MIX(f[k].roles);
			for (const char *p = f[k].key; *p; p++)
				MIX(*p);
			for (const char *p = f[k].template; *p; p++)
				MIX(*p);
		}
	}
#undef MIX
	return h;
}

int
sched_init(struct sched *s)
{
	(void)s;
	return 0;
}

/*
 * Is the database planned with the rules whose fingerprint is fp?  *same
 * tells; STORE_OK or STORE_ERROR.  A read: outside a transaction it takes
 * no lock, inside it sees what the transaction will change.
 */
static int
planned_with(struct sched *s, const char *fp, bool *same)
{
	char *have = NULL;

	*same = false;
	if (store_meta_get(s->st, "rules_fingerprint", &have) == STORE_ERROR)
		return STORE_ERROR;
	*same = have != NULL && strcmp(have, fp) == 0;
	free(have);
	return STORE_OK;
}

/* In the pass's transaction: plan every open task again when the database
 * was planned with other rules.  STORE_OK or an error. */
static int
plan_again_if_changed(struct sched *s, const char *fp)
{
	bool same;
	int rc;

	if ((rc = planned_with(s, fp, &same)) != STORE_OK || same)
		return rc;
	if ((rc = store_sched_replan_all(s->st)) != STORE_OK)
		return rc;
	return store_meta_set(s->st, "rules_fingerprint", fp);
}

/* ---- rendering ------------------------------------------------------------------ */

int
msg_vars_lookup(void *arg, const char *name, struct tmpl_value *v)
{
	const struct msg_vars *c = arg;
	const struct task *t = c->task;

	memset(v, 0, sizeof(*v));
	v->type = TMPL_STR;
	if (strcmp(name, "signature") == 0)
		v->s = c->signature;
	else if (strncmp(name, "var.", 4) == 0) {
		size_t n = strlen(name + 4);
		for (size_t i = 0; i < c->nvars; i++)
			if (strncmp(c->vars[i], name + 4, n) == 0 && c->vars[i][n] == '=') {
				v->s = c->vars[i] + n + 1;
				return 0;
			}
		return -1;
	} else if (strcmp(name, "notice.title") == 0 && c->notice_title)
		v->s = c->notice_title;
	else if (strcmp(name, "now") == 0) {
		v->type = TMPL_TIME;
		v->t = c->now;
	} else if (strncmp(name, "person.", 7) == 0 && c->person) {
		if (strcmp(name + 7, "name") == 0)
			v->s = c->person->name;
		else if (strcmp(name + 7, "title") == 0)
			v->s = c->person->title;
		else
			return -1;
	} else if (strncmp(name, "task.", 5) == 0 && t) {
		const char *f = name + 5;
		if (strcmp(f, "code") == 0)
			v->s = t->code;
		else if (strcmp(f, "title") == 0)
			v->s = t->title;
		else if (strcmp(f, "lead") == 0)
			v->s = t->lead_name;
		else if (strcmp(f, "deadline") == 0) {
			v->type = TMPL_TIME;
			v->t = t->deadline;
		} else if (strcmp(f, "days_left") == 0) {
			v->type = TMPL_INT;
			v->i = civil_days_between(c->now, t->deadline);
		} else if (strcmp(f, "hours_left") == 0) {
			v->type = TMPL_INT;
			int64_t d = t->deadline - c->now;
			v->i = d >= 0 ? d / 3600 : -((-d + 3599) / 3600);
		} else if (strcmp(f, "days_overdue") == 0) {
			long long days = civil_days_between(c->now, t->deadline);
			v->type = TMPL_INT;
			v->i = days < 0 ? -days : 0;
		} else if (strcmp(f, "workdays_left") == 0 || strcmp(f, "workdays_overdue") == 0) {
			long days = calendar_workdays_between(c->calendar, c->now, t->deadline);
			v->type = TMPL_INT;
			v->i = strcmp(f, "workdays_left") == 0 ? days : days < 0 ? -days : 0;
		} else
			return -1;
	} else {
		return -1;
	}
	return 0;
}

/* sched_render with the calendar of the pass (the town's days included). */
static int
render_cal(struct sched *s, const struct calendar *cal, const struct tmpl *t,
	   const struct task *task, const struct person *p, int64_t now, struct buf *out,
	   char *err, size_t errlen)
{
	struct msg_vars c = { .task = task, .person = p, .signature = s->cfg->signature, .now = now,
			      .calendar = cal };

	return tmpl_render(t, msg_vars_lookup, &c, out, err, errlen);
}

int
sched_render(struct sched *s, const struct tmpl *t, const struct task *task,
	     const struct person *p, int64_t now, struct buf *out, char *err, size_t errlen)
{
	return render_cal(s, s->cfg->calendar, t, task, p, now, out, err, errlen);
}

int
sched_length_check(struct sched *s, const struct task *t, const char *name,
		   void (*fn)(void *arg, const char *tmpl, unsigned parts), void *arg, char *err,
		   size_t errlen)
{
	const struct rule_set *rs = rules_find(s->rules, t->rule_set);
	const char *names[RULES_MAX_FIRES + 1];
	struct person p = { .name = (char *)name, .title = "" };
	size_t n = 0;

	if (rs == NULL)
		return 0;
	const struct rule_step *steps[RULES_MAX_FIRES];
	size_t ns = 0;
	for (size_t i = 0; i < rs->nbefore; i++)
		steps[ns++] = &rs->before[i];
	if (rs->has_overdue)
		steps[ns++] = &rs->overdue;
	if (rs->has_escalate)
		steps[ns++] = &rs->escalate;
	for (size_t i = 0; i < ns && n + 5 < RULES_MAX_FIRES; i++) {
		names[n++] = steps[i]->template;
		for (int r = 0; r < 4; r++)
			if (steps[i]->by_role[r] != NULL)
				names[n++] = steps[i]->by_role[r];
	}
	if (rs->has_escalate && tmpl_set_get(s->tmpls, "escalation_lead") != NULL)
		names[n++] = "escalation_lead";
	for (size_t i = 0; i < n; i++) {
		const struct tmpl *tp = tmpl_set_get(s->tmpls, names[i]);
		struct sms_info info;
		struct buf b;
		bool seen = false;

		for (size_t k = 0; k < i; k++)
			seen = seen || strcmp(names[k], names[i]) == 0;
		if (seen || tp == NULL)
			continue;
		buf_init(&b, BODY_MAX);
		if (sched_render(s, tp, t, &p, t->deadline - 7 * 86400, &b, err, errlen) != 0 ||
		    sms_measure(b.data, s->cfg->signature, &info, err, errlen) != 0) {
			buf_free(&b);
			return -1;
		}
		buf_free(&b);
		if (info.parts > 1)
			fn(arg, names[i], info.parts);
	}
	return 0;
}

/* ---- one task ------------------------------------------------------------------- */

struct recipient {
	struct person p;
	unsigned roles;
};

struct people {
	struct recipient r[MAX_PEOPLE];
	size_t n;
	bool overflow;
};

static int
collect_person(void *arg, const struct person *p, const char *role)
{
	struct people *pp = arg;
	enum role r;

	if (role_parse(role, &r) != 0)
		return 0;
	for (size_t i = 0; i < pp->n; i++)
		if (pp->r[i].p.id == p->id) {
			pp->r[i].roles |= r;
			return 0;
		}
	if (pp->n == MAX_PEOPLE) {
		pp->overflow = true;
		return 0;
	}
	struct person *d = &pp->r[pp->n].p;
	memset(d, 0, sizeof(*d));
	d->id = p->id;
	d->name = strdup(p->name);
	d->phone = strdup(p->phone);
	d->title = strdup(p->title);
	if (!d->name || !d->phone || !d->title) {
		person_clear(d);
		return -1;
	}
	pp->r[pp->n].roles = r;
	pp->n++;
	return 0;
}

static void
people_clear(struct people *pp)
{
	for (size_t i = 0; i < pp->n; i++)
		person_clear(&pp->r[i].p);
	pp->n = 0;
}

/* The keys already written for this task and deadline, sorted for bsearch. */
struct keys {
	char **k;
	size_t n, cap;
};

static int
collect_key(void *arg, const char *key)
{
	struct keys *ks = arg;

	if (ks->n == ks->cap) {
		size_t ncap = ks->cap ? ks->cap * 2 : 32;
		char **nk = realloc(ks->k, ncap * sizeof(char *));
		if (nk == NULL)
			return -1;
		ks->k = nk;
		ks->cap = ncap;
	}
	if ((ks->k[ks->n] = strdup(key)) == NULL)
		return -1;
	ks->n++;
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool
keys_have(const struct keys *ks, const char *key)
{
	return ks->n > 0 && bsearch(&key, ks->k, ks->n, sizeof(char *), cmp_str) != NULL;
}

static void
keys_clear(struct keys *ks)
{
	for (size_t i = 0; i < ks->n; i++)
		free(ks->k[i]);
	free(ks->k);
	memset(ks, 0, sizeof(*ks));
}

/*
 * Route a reminder of template tp to the providers able to carry it: its
 * params and the first provider's text (text is duban's own) into ro.
 * 0, or -1 with err naming the task.
 */
static int
route_task(struct sched *s, const struct tmpl *tp, const struct task *t, const struct person *p,
	   int64_t now, const char *text, struct route_out *ro, char *err, size_t errlen)
{
	struct msg_vars mv = { .task = t, .person = p, .signature = s->cfg->signature, .now = now };
	struct route *r = NULL;
	char what[96];
	int rc;
	int n = snprintf(what, sizeof(what), _("task %s"), t->code);
	size_t at = n > 0 && (size_t)n + 2 < errlen ? (size_t)n + 2 : 0;

	if (route_open(s->cfg, tp, &r, err + at, errlen - at) != 0) {
		if (at) { /* "task T3: " before the reason */
			memcpy(err, what, (size_t)n);
			memcpy(err + n, ": ", 2);
		}
		return -1;
	}
	rc = route_render(r, &mv, text, s->cfg->max_parts, what, ro, err, errlen);
	route_free(r);
	return rc;
}

/* Queue (or record as skipped/failed) one reminder. */
/*
 * The template of step f for a person with roles: the step's template for
 * their role (templates = { lead = ...; }) when the rule set gives one;
 * else an escalation reaching the lead (who is not also a supervisor) says
 * it was reported (escalation_lead, when loaded), never the supervisor's
 * words about them.
 */
static const char *
step_template(const struct sched *s, const struct fire *f, unsigned roles)
{
	/* the rule set's text for the person's role: an escalation's supervisor
	 * first, otherwise the lead, owner, member */
	static const int esc_order[] = { 3, 0, 1, 2 }, order[] = { 0, 1, 2, 3 };
	const int *o = f->kind == STEP_ESCALATE ? esc_order : order;

	for (int i = 0; f->by_role != NULL && i < 4; i++)
		if ((roles & f->roles & (1u << o[i])) && f->by_role[o[i]] != NULL)
			return f->by_role[o[i]];
	if (f->kind == STEP_ESCALATE && (roles & ROLE_LEAD) && !(roles & ROLE_SUPERVISOR) &&
	    tmpl_set_get(s->tmpls, "escalation_lead") != NULL)
		return "escalation_lead";
	return f->template;
}

static int
queue_one(struct sched *s, const struct calendar *cal, const struct task *t, const struct fire *f,
	  const struct person *p, unsigned roles, const char *key, const char *skip, int64_t now,
	  struct sched_stats *stats, int64_t *id)
{
	struct message m = { 0 };
	struct sms_info info = { 0 };
	struct route_out ro = { 0 };
	struct buf body;
	char err[512];
	const char *tname = step_template(s, f, roles);
	const struct tmpl *tp = tmpl_set_get(s->tmpls, tname);
	int rc;

	buf_init(&body, BODY_MAX);
	m.person = p->id;
	m.phone = p->phone;
	m.kind = f->kind == STEP_ESCALATE ? "escalation" : "reminder";
	m.task = t->id;
	m.step = (char *)f->key;
	m.template_name = (char *)tname;
	m.dedupe_key = (char *)key;
	m.priority = PRIO_REMINDER;
	m.not_before = f->at;
	m.expires_at = f->expires;
	m.created_at = now;
	m.status = skip ? "skipped" : "queued";
	m.last_error = (char *)skip;
	if (tp == NULL) {
		snprintf(err, sizeof(err), "template \"%s\" is not loaded", tname);
		goto failed;
	}
	if (render_cal(s, cal, tp, t, p, now, &body, err, sizeof(err)) != 0)
		goto failed;
	if (sms_measure(body.data, s->cfg->signature, &info, err, sizeof(err)) != 0)
		goto failed;
	if (info.parts > s->cfg->max_parts) {
		snprintf(err, sizeof(err), "message of %u parts is over the maximum of %u", info.parts,
			 s->cfg->max_parts);
		goto failed;
	}
	if (route_task(s, tp, t, p, now, body.data, &ro, err, sizeof(err)) != 0)
		goto failed;
	m.body = ro.body;
	m.encoding = (char *)sms_encoding_name(ro.info.encoding);
	m.parts = (int)ro.info.parts;
	m.params = ro.params;
	goto add;
failed:
	log_warnx("task %s step %s: %s", t->code, f->key, err);
	m.status = "failed";
	m.last_error = err;
	m.body = body.data ? body.data : (char *)"";
	m.encoding = "UCS-2";
	m.parts = 0;
	stats->failed++;
add:
	rc = store_msg_add(s->st, &m, id);
	route_out_clear(&ro);
	buf_free(&body);
	if (rc == STORE_EXISTS) /* another process got there first */
		return STORE_OK;
	if (rc == STORE_OK) {
		if (strcmp(m.status, "queued") == 0)
			stats->queued++;
		else if (strcmp(m.status, "skipped") == 0 && strncmp(skip, "in digest", 9) == 0)
			stats->digested++;
		else if (strcmp(m.status, "skipped") == 0)
			stats->skipped++;
		if (log_enabled(LOG_DEBUG)) {
			char masked[32];
			log_debug("task %s: %s %s to %s", t->code, m.status, f->key,
				  phone_mask(p->phone, masked, sizeof(masked)));
		}
	}
	return rc;
}

/*
 * Plan one task.  For each recipient and stream, the newest due step that
 * is not yet written and not expired is queued; older unwritten ones are
 * recorded as skipped.
 */
/* A due step kept for a digest (flush_pending); strings owned. */
struct pending {
	int64_t task, deadline, person;
	unsigned roles;
	char *code, *title, *lead, *pname, *phone, *ptitle;
	struct fire f; /* its template points into the rules */
	char key[128];
	bool early;    /* due within the digest window, not yet */
};

/* Buffers a pass reuses for every task, so planning one costs no large allocation. */
struct workspace {
	struct fire f[RULES_MAX_FIRES];
	size_t nf;
	const struct rule_set *plan_rs; /* f holds the plan of this set and deadline */
	int64_t plan_deadline;
	struct people pp;
	const struct calendar *cal; /* the pass's: shipped days and the town's */
	struct pending *pend;       /* digestible steps due in this batch, for flush_pending */
	size_t npend, cappend;
};

/* The reasons a due step is recorded instead of sent. */
static const char why_superseded[] = "superseded by a later step";
static const char why_expired[] = "expired before it could be sent";
static const char why_together[] = "sent with a later step of the same task";
static const char why_acked[] = "acknowledged (收到): no repeats after it (repeat_after_ack = false)";

/* Copy a due step for flush_pending (strings duplicated).  0 or -1. */
static int
pend_add(struct workspace *ws, const struct task *t, const struct recipient *r,
	 const struct fire *f, const char *key, bool early)
{
	struct pending *e;

	if (ws->npend == ws->cappend) {
		size_t ncap = ws->cappend ? ws->cappend * 2 : 64;
		struct pending *np = realloc(ws->pend, ncap * sizeof(*np));
		if (np == NULL)
			return -1;
		ws->pend = np;
		ws->cappend = ncap;
	}
	e = &ws->pend[ws->npend];
	memset(e, 0, sizeof(*e));
	e->task = t->id;
	e->deadline = t->deadline;
	e->person = r->p.id;
	e->roles = r->roles;
	e->f = *f;
	e->early = early;
	snprintf(e->key, sizeof(e->key), "%s", key);
	e->code = strdup(t->code);
	e->title = strdup(t->title);
	e->lead = t->lead_name ? strdup(t->lead_name) : NULL;
	e->pname = strdup(r->p.name);
	e->phone = strdup(r->p.phone);
	e->ptitle = strdup(r->p.title ? r->p.title : "");
	ws->npend++;
	if (!e->code || !e->title || (t->lead_name && !e->lead) || !e->pname || !e->phone ||
	    !e->ptitle)
		return -1;
	return 0;
}

static void
pend_clear(struct workspace *ws)
{
	for (size_t i = 0; i < ws->npend; i++) {
		struct pending *e = &ws->pend[i];
		free(e->code);
		free(e->title);
		free(e->lead);
		free(e->pname);
		free(e->phone);
		free(e->ptitle);
	}
	ws->npend = 0;
}

/*
 * One recipient of a task: for each stream (reminders, escalations) the
 * newest due step that is not yet written and not expired is queued, or
 * kept for a digest when the set allows; older unwritten ones are recorded
 * as skipped.  A step due within reminders.digest_window is kept too (as
 * early), in case a digest goes now.
 */
static int
plan_person(struct sched *s, struct workspace *ws, const struct rule_set *rs,
	    const struct task *t, const struct recipient *r, const char *prefix,
	    const struct keys *ks, int64_t now, struct sched_stats *stats)
{
	const struct fire *f = ws->f;
	/* A digest is a free text: with template providers alone, none. */
	bool digest = rs->digest && route_free_text_ok(s->cfg);
	int64_t window = digest ? s->cfg->reminders.digest_window : 0;
	bool acked = false;
	char key[128];
	int rc;

	/* Asked only of a person with an overdue repeat due: most tasks are not overdue. */
	bool repeat_due = false;
	for (size_t k = 0; k < ws->nf && rs->has_overdue && !rs->repeat_after_ack; k++)
		repeat_due = repeat_due || (f[k].kind == STEP_OVERDUE && f[k].at <= now + window &&
					    (f[k].roles & r->roles));
	if (repeat_due && (rc = store_task_acked(s->st, t->id, r->p.id, &acked)) != STORE_OK)
		return rc;
	for (int stream = 0; stream < 2; stream++) {
		/* newest first: the first due, unwritten, unexpired one is sent */
		bool sent_one = false, now_one = false;
		for (size_t k = ws->nf; k-- > 0;) {
			bool esc = f[k].kind == STEP_ESCALATE;
			if (esc != (stream == 1) || f[k].at > now || !(f[k].roles & r->roles))
				continue;
			snprintf(key, sizeof(key), "%s%s:%lld", prefix, f[k].key, (long long)r->p.id);
			if (keys_have(ks, key)) {
				sent_one = true; /* anything older is history */
				continue;
			}
			/* After downtime the task's current state still reaches the person:
			 * the newest overdue repeat or escalation goes even when stale, if
			 * the task was not closed (or changed) since its moment. */
			bool stale = f[k].expires <= now &&
				     (f[k].kind == STEP_BEFORE || t->updated_at > f[k].at);
			const char *why = sent_one                              ? why_superseded
					  : stale                               ? why_expired
					  : acked && f[k].kind == STEP_OVERDUE ? why_acked
										: NULL;
			sent_one = true;
			if (why == NULL && digest) {
				now_one = true;
				if (pend_add(ws, t, r, &f[k], key, false) != 0)
					return STORE_ERROR;
				continue;
			}
			now_one = now_one || why == NULL;
			if ((rc = queue_one(s, ws->cal, t, &f[k], &r->p, r->roles, key, why, now, stats, NULL)) !=
			    STORE_OK)
				return rc;
		}
		/* Nothing due now in this stream: the newest due within the window may join a digest. */
		for (size_t k = ws->nf; !now_one && window > 0 && k-- > 0;) {
			bool esc = f[k].kind == STEP_ESCALATE;
			if (esc != (stream == 1) || f[k].at <= now || f[k].at > now + window ||
			    !(f[k].roles & r->roles) || (acked && f[k].kind == STEP_OVERDUE))
				continue;
			snprintf(key, sizeof(key), "%s%s:%lld", prefix, f[k].key, (long long)r->p.id);
			if (!keys_have(ks, key) && pend_add(ws, t, r, &f[k], key, true) != 0)
				return STORE_ERROR;
			break;
		}
	}
	return STORE_OK;
}

static int
plan_task(struct sched *s, struct workspace *ws, int64_t id, int64_t now,
	  struct sched_stats *stats)
{
	struct task t = { 0 };
	struct people *pp = &ws->pp;
	struct keys ks = { 0 };
	struct fire *f = ws->f;
	const struct rule_set *rs;
	char prefix[64];
	size_t nf = 0;
	int64_t next = 0;
	int rc;

	if ((rc = store_sched_task(s->st, id, &t)) != STORE_OK)
		return rc;
	rc = STORE_ERROR;
	stats->tasks++;
	rs = rules_find(s->rules, t.rule_set);
	if (rs == NULL) {
		log_warnx("task %s: unknown rule set \"%s\"; using \"default\"", t.code, t.rule_set);
		if ((rs = rules_find(s->rules, "default")) == NULL) {
			rc = store_task_set_next(s->st, id, 0);
			goto out;
		}
	}
	pp->n = 0;
	pp->overflow = false;
	/* Most tasks of a town share a deadline ("年底前"): reuse the last plan. */
	if (ws->plan_rs != rs || ws->plan_deadline != t.deadline) {
		ws->plan_rs = NULL;
		if (rules_plan_cal(rs, t.deadline, &s->cfg->quiet, ws->cal, f, RULES_MAX_FIRES,
				   &ws->nf) != 0) {
			log_warnx("task %s: rule set \"%s\" plans too many steps", t.code, rs->name);
			goto out;
		}
		ws->plan_rs = rs;
		ws->plan_deadline = t.deadline;
	}
	nf = ws->nf;
	if (store_task_people(s->st, id, collect_person, pp) != STORE_OK)
		goto out;
	if (pp->overflow)
		log_warnx("task %s: more than %d people; the rest get no reminders", t.code, MAX_PEOPLE);
	for (size_t r = 0; r < pp->n && t.lead_name == NULL; r++)
		if (pp->r[r].roles & ROLE_LEAD)
			t.lead_name = strdup(pp->r[r].p.name);
	snprintf(prefix, sizeof(prefix), "r:%lld:%lld:", (long long)id, (long long)t.deadline);
	if (store_sched_keys(s->st, id, prefix, collect_key, &ks) != STORE_OK)
		goto out;
	if (ks.n > 1)
		qsort(ks.k, ks.n, sizeof(char *), cmp_str);

	for (size_t r = 0; r < pp->n; r++)
		if ((rc = plan_person(s, ws, rs, &t, &pp->r[r], prefix, &ks, now, stats)) != STORE_OK)
			goto out;
	for (size_t k = 0; k < nf; k++)
		if (f[k].at > now && (next == 0 || f[k].at < next))
			next = f[k].at;
	/* Overdue with nothing more planned (the repeats ran out): say so once,
	 * so that an overdue task without reminders always has a reason. */
	if (next == 0 && t.deadline < now && rs->has_overdue &&
	    (rc = store_event(s->st, "scheduler", "task.reminders_done", t.code,
			      "overdue repeats done (overdue.max); none until it is closed or its "
			      "deadline moves")) != STORE_OK)
		goto out;
	rc = store_task_set_next(s->st, id, next);
out:
	people_clear(pp);
	keys_clear(&ks);
	task_clear(&t);
	return rc;
}

/* ---- what is still to come, for a task's timeline ---------------------------------- */

int
sched_task_upcoming(struct sched *s, const struct task *t, int64_t now,
		    int (*fn)(void *arg, const struct fire *f), void *arg)
{
	const struct rule_set *rs;
	struct calendar *cal = NULL;
	struct fire *f;
	size_t nf = 0;
	int rc = STORE_OK;

	if (strcmp(t->status, "open") != 0)
		return STORE_OK;
	if ((rs = rules_find(s->rules, t->rule_set ? t->rule_set : "default")) == NULL &&
	    (rs = rules_find(s->rules, "default")) == NULL)
		return STORE_OK;
	if ((f = calloc(RULES_MAX_FIRES, sizeof(*f))) == NULL)
		return STORE_ERROR;
	/* The plan of a pass: the same calendar, quiet hours and rule set. */
	if ((rc = calendar_with_town(s->cfg->calendar, s->st, &cal)) != STORE_OK)
		goto out;
	if (rules_plan_cal(rs, t->deadline, &s->cfg->quiet, cal, f, RULES_MAX_FIRES, &nf) != 0)
		nf = 0;
	/* A step is still to come when its moment is ahead, or when it came
	 * but the scheduler has not reached it yet (next_fire). */
	for (size_t k = 0; k < nf && rc == STORE_OK; k++)
		if (f[k].at > now || (t->next_fire != 0 && f[k].at >= t->next_fire))
			rc = fn(arg, &f[k]) != 0 ? STORE_ERROR : STORE_OK;
out:
	calendar_free(cal);
	free(f);
	return rc;
}

/* ---- digests and the daily cap ---------------------------------------------------- */

static int
cmp_pend(const void *a, const void *b)
{
	const struct pending *x = a, *y = b;

	if (x->person != y->person)
		return x->person < y->person ? -1 : 1;
	if (x->task != y->task)
		return x->task < y->task ? -1 : 1;
	return (x->f.at > y->f.at) - (x->f.at < y->f.at);
}

/* The local midnight that began now's day, and the next morning (the end of
 * the quiet hours, else 08:00), when held steps are looked at again. */
static void
day_bounds(const struct sched *s, int64_t now, int64_t *start, int64_t *morning)
{
	struct tm tm;
	int at = s->cfg->quiet.enabled ? s->cfg->quiet.to : 8 * 60;

	time_local(now, &tm);
	*start = time_from_local(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, 0, 0, 0);
	*morning = time_from_local(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday + 1, at / 60,
				   at % 60, 0);
}

/* Queue (or record, why not NULL) a kept step on its own. */
static int
pend_queue(struct sched *s, struct workspace *ws, const struct pending *e, const char *why,
	   int64_t now, struct sched_stats *stats, int64_t *id)
{
	struct task t = { .id = e->task, .code = e->code, .title = e->title,
			  .deadline = e->deadline, .lead_name = e->lead };
	struct person p = { .id = e->person, .name = e->pname, .phone = e->phone,
			    .title = e->ptitle };

	return queue_one(s, ws->cal, &t, &e->f, &p, e->roles, e->key, why, now, stats, id);
}

/* The digest's entries: one per task of g (sorted by task), the latest kind of step. */
static size_t
digest_entries(const struct pending *g, size_t n, struct digest_entry *e)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (k > 0 && g[i - 1].task == g[i].task) {
			if (g[i].f.kind > e[k - 1].kind)
				e[k - 1].kind = g[i].f.kind;
			continue;
		}
		e[k] = (struct digest_entry){ .code = g[i].code, .title = g[i].title,
					      .lead = g[i].lead, .deadline = g[i].deadline,
					      .kind = g[i].f.kind,
					      .can_close = (g[i].roles & (ROLE_LEAD | ROLE_OWNER)) != 0,
					      .is_lead = (g[i].roles & ROLE_LEAD) != 0 &&
							 !(g[i].roles & ROLE_SUPERVISOR) };
		k++;
	}
	return k;
}

/*
 * One SMS to g's person listing the tasks of g[0..n): the digest row is
 * queued, and each step written with its own dedupe key as sent in it
 * (digest_item).  Too long for sms.max_parts: two digests of half each.
 */
static int
digest_queue(struct sched *s, struct workspace *ws, const struct pending *g, size_t n,
	     int64_t now, struct sched_stats *stats)
{
	struct digest_entry *e = calloc(n, sizeof(*e));
	struct message m = { 0 };
	struct sms_info info;
	struct buf body;
	char key[192], why[48];
	size_t ne;
	int64_t id = 0;
	int rc = STORE_ERROR;

	if (e == NULL)
		return STORE_ERROR;
	ne = digest_entries(g, n, e);
	if (digest_render(e, ne, now, s->cfg->signature, s->cfg->max_parts, &body, &info) != 0) {
		buf_free(&body);
		free(e);
		size_t half = n / 2;
		while (half > 0 && g[half - 1].task == g[half].task)
			half--;
		if (ne < 2 || half == 0) /* one task: its own messages */
			goto alone;
		if ((rc = digest_queue(s, ws, g, half, now, stats)) != STORE_OK)
			return rc;
		return digest_queue(s, ws, g + half, n - half, now, stats);
	}
	free(e);
	m.person = g[0].person;
	m.phone = g[0].phone;
	m.body = body.data;
	m.encoding = (char *)sms_encoding_name(info.encoding);
	m.parts = (int)info.parts;
	m.kind = "reminder";
	m.step = "digest";
	m.template_name = "digest";
	snprintf(key, sizeof(key), "d:%lld:%lld:%s", (long long)g[0].person, (long long)now, g[0].key);
	m.dedupe_key = key;
	m.priority = PRIO_REMINDER;
	m.not_before = now;
	m.created_at = now;
	for (size_t i = 0; i < n; i++)
		if (g[i].f.expires > m.expires_at)
			m.expires_at = g[i].f.expires;
	rc = store_msg_add(s->st, &m, &id);
	buf_free(&body);
	if (rc != STORE_OK)
		return rc == STORE_EXISTS ? STORE_OK : rc;
	stats->queued++;
	snprintf(why, sizeof(why), "in digest #%lld", (long long)id);
	for (size_t i = 0; i < n; i++) {
		int64_t item = 0;
		if ((rc = pend_queue(s, ws, &g[i], why, now, stats, &item)) != STORE_OK)
			return rc;
		if (item != 0 && (rc = store_digest_link(s->st, item, id)) != STORE_OK)
			return rc;
	}
	return STORE_OK;
alone:
	for (size_t i = 0; i < n; i++)
		if (!g[i].early && (rc = pend_queue(s, ws, &g[i], NULL, now, stats, NULL)) != STORE_OK)
			return rc;
	return STORE_OK;
}

/*
 * The kept steps of the batch, person by person: over the daily cap they
 * wait for the next morning's digest; steps of two tasks or more go as one
 * digest (with those due within the window); a single task's go alone.
 */
static int
flush_pending(struct sched *s, struct workspace *ws, int64_t now, struct sched_stats *stats)
{
	int64_t start, morning;
	int rc = STORE_OK;

	if (ws->npend > 1)
		qsort(ws->pend, ws->npend, sizeof(*ws->pend), cmp_pend);
	day_bounds(s, now, &start, &morning);
	for (size_t i = 0, j; rc == STORE_OK && i < ws->npend; i = j) {
		const struct pending *g = &ws->pend[i];
		size_t ntasks = 0, nnow = 0;
		int64_t sent;

		for (j = i; j < ws->npend && ws->pend[j].person == g->person; j++) {
			ntasks += j == i || ws->pend[j].task != ws->pend[j - 1].task;
			nnow += !ws->pend[j].early;
		}
		if (nnow == 0)
			continue; /* only steps due later: they come at their time */
		if ((rc = store_person_reminders_since(s->st, g->person, start, &sent)) != STORE_OK)
			break;
		if (sent >= (int64_t)s->cfg->reminders.per_person_day) {
			for (size_t k = i; rc == STORE_OK && k < j; k++)
				if (!ws->pend[k].early) {
					stats->held++;
					rc = store_task_next_by(s->st, ws->pend[k].task, morning);
				}
			continue;
		}
		if (ntasks >= 2) {
			rc = digest_queue(s, ws, g, j - i, now, stats);
			continue;
		}
		/* One task: one SMS, its latest kind of step (an escalation, say,
		 * rather than a repeat as well); the other recorded with it. */
		size_t best = i;
		for (size_t k = i; k < j; k++)
			if (!ws->pend[k].early && (ws->pend[best].early || ws->pend[k].f.kind > ws->pend[best].f.kind))
				best = k;
		for (size_t k = i; rc == STORE_OK && k < j; k++)
			if (!ws->pend[k].early)
				rc = pend_queue(s, ws, &ws->pend[k], k == best ? NULL : why_together, now,
						stats, NULL);
	}
	pend_clear(ws);
	return rc;
}

/*
 * A pass; planned holds the fingerprint of the rules the database is known
 * to be planned with ("" when not known), updated.
 */
static int
pass(struct sched *s, int64_t now, char planned[FP_LEN], struct sched_stats *stats,
     int64_t *next_fire, char *err, size_t errlen)
{
	int64_t ids[BATCH];
	char fp[FP_LEN];
	size_t n;
	bool same = false;
	struct workspace *ws = calloc(1, sizeof(*ws));
	struct calendar *cal = NULL;
	int64_t window = s->cfg->reminders.digest_window;

	if (ws == NULL) {
		snprintf(err, errlen, "scheduler: out of memory");
		return -1;
	}
	ws->pp.n = 0;
	ws->plan_rs = NULL;
	/* The shipped calendar with the town's own days over it, read once a pass. */
	if (calendar_with_town(s->cfg->calendar, s->st, &cal) != STORE_OK) {
		snprintf(err, errlen, "scheduler: %s", store_errmsg(s->st));
		free(ws);
		return -1;
	}
	ws->cal = cal;
	snprintf(fp, sizeof(fp), "%016llx", (unsigned long long)rules_fingerprint(s, cal));
	if (strcmp(fp, planned) == 0 || (planned_with(s, fp, &same) == STORE_OK && same)) {
		snprintf(planned, FP_LEN, "%s", fp);
		/* Most passes find nothing due (the daemon runs one after every
		 * commit of another process): a read says so without the write lock. */
		bool series_due = false;
		if (store_sched_due(s->st, now + window, ids, 1, &n) == STORE_OK && n == 0 &&
		    series_pending(s->st, now, &series_due) == STORE_OK && !series_due)
			goto next;
	}
	for (bool first = true;; first = false) {
		size_t added = 0;
		if (store_begin(s->st) != STORE_OK)
			goto fail;
		if (strcmp(fp, planned) != 0 && plan_again_if_changed(s, fp) != STORE_OK)
			goto fail;
		/* recurring tasks: the next occurrence of each that is done or past */
		if (first && series_advance(s->st, now, &added) != STORE_OK)
			goto fail;
		if (store_sched_due(s->st, now + window, ids, BATCH, &n) != STORE_OK)
			goto fail;
		for (size_t i = 0; i < n; i++)
			if (plan_task(s, ws, ids[i], now, stats) != STORE_OK)
				goto fail;
		if (flush_pending(s, ws, now, stats) != STORE_OK)
			goto fail;
		if (store_commit(s->st) != STORE_OK)
			goto fail;
		snprintf(planned, FP_LEN, "%s", fp);
		if (n < BATCH)
			break;
	}
next:
	if (store_sched_next(s->st, next_fire) != STORE_OK)
		goto fail;
	calendar_free(cal);
	free(ws->pend);
	free(ws);
	return 0;
fail:
	snprintf(err, errlen, "scheduler: %s", store_errmsg(s->st));
	store_rollback(s->st);
	calendar_free(cal);
	pend_clear(ws);
	free(ws->pend);
	free(ws);
	return -1;
}

int
sched_pass(struct sched *s, int64_t now, struct sched_stats *stats, int64_t *next_fire,
	   char *err, size_t errlen)
{
	char planned[FP_LEN] = "";

	return pass(s, now, planned, stats, next_fire, err, errlen);
}

/* ---- the scheduler's thread ------------------------------------------------------- */

struct sched_thread {
	struct store *st;         /* the thread's own connection */
	struct sched s;           /* the pass's, over st */
	char planned[FP_LEN];     /* the rules the database was found planned with */
	void (*done)(void *arg);
	void *arg;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool started, stop;
	/* Under mu: posted by the caller, ended by the thread. */
	bool posted, ended;
	int64_t now;
	/* The outcome, the thread's until ended, then the caller's. */
	int rc;
	struct sched_stats stats;
	int64_t next;
	char err[512];
};

static void *
sched_main(void *arg)
{
	struct sched_thread *t = arg;

	pthread_mutex_lock(&t->mu);
	for (;;) {
		while (!t->stop && !(t->posted && !t->ended))
			pthread_cond_wait(&t->cv, &t->mu);
		if (!(t->posted && !t->ended))
			break; /* stopping, nothing to do */
		pthread_mutex_unlock(&t->mu);
		t->stats = (struct sched_stats){ 0 };
		t->next = 0;
		t->err[0] = '\0';
		t->rc = pass(&t->s, t->now, t->planned, &t->stats, &t->next, t->err, sizeof(t->err));
		pthread_mutex_lock(&t->mu);
		t->ended = true;
		pthread_mutex_unlock(&t->mu);
		t->done(t->arg);
		pthread_mutex_lock(&t->mu);
	}
	pthread_mutex_unlock(&t->mu);
	return NULL;
}

int
sched_thread_new(const char *path, void (*done)(void *arg), void *arg,
		 struct sched_thread **out, char *err, size_t errlen)
{
	struct sched_thread *t;

	*out = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		snprintf(err, errlen, "scheduler: out of memory");
		return -1;
	}
	t->done = done;
	t->arg = arg;
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->cv, NULL);
	if (store_open(path, false, &t->st, err, errlen) != STORE_OK)
		goto fail;
	if (pthread_create(&t->th, NULL, sched_main, t) != 0) {
		snprintf(err, errlen, "cannot start the scheduler's thread");
		goto fail;
	}
	t->started = true;
	*out = t;
	return 0;
fail:
	sched_thread_free(t);
	return -1;
}

int
sched_thread_start(struct sched_thread *t, const struct sched *s, int64_t now)
{
	if (t->posted)
		return -1;
	t->s = *s;
	t->s.st = t->st;
	t->now = now;
	pthread_mutex_lock(&t->mu);
	t->posted = true;
	t->ended = false;
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->mu);
	return 0;
}

bool
sched_thread_busy(const struct sched_thread *t)
{
	return t->posted;
}

bool
sched_thread_collect(struct sched_thread *t, int *rc, struct sched_stats *stats,
		     int64_t *next_fire, char *err, size_t errlen)
{
	bool ended;

	if (!t->posted)
		return false;
	pthread_mutex_lock(&t->mu);
	if ((ended = t->ended))
		t->posted = false; /* the thread reads it under mu */
	pthread_mutex_unlock(&t->mu);
	if (!ended)
		return false;
	*rc = t->rc;
	*stats = t->stats;
	*next_fire = t->next;
	snprintf(err, errlen, "%s", t->err);
	return true;
}

void
sched_thread_free(struct sched_thread *t)
{
	if (t == NULL)
		return;
	if (t->started) {
		pthread_mutex_lock(&t->mu);
		t->stop = true;
		pthread_cond_broadcast(&t->cv);
		pthread_mutex_unlock(&t->mu);
		pthread_join(t->th, NULL);
	}
	store_close(t->st);
	pthread_mutex_destroy(&t->mu);
	pthread_cond_destroy(&t->cv);
	free(t);
}
