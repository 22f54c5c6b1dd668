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
#include "core/calendar.h"

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

/* Queue (or record as skipped/failed) one reminder. */
static int
queue_one(struct sched *s, const struct calendar *cal, const struct task *t, const struct fire *f,
	  const struct person *p, const char *key, bool skip, bool superseded, int64_t now,
	  struct sched_stats *stats)
{
	struct message m = { 0 };
	struct sms_info info = { 0 };
	struct buf body;
	char err[512];
	const struct tmpl *tp = tmpl_set_get(s->tmpls, f->template);
	int rc;

	buf_init(&body, BODY_MAX);
	m.person = p->id;
	m.phone = p->phone;
	m.kind = f->kind == STEP_ESCALATE ? "escalation" : "reminder";
	m.task = t->id;
	m.step = (char *)f->key;
	m.template_name = (char *)f->template;
	m.dedupe_key = (char *)key;
	m.priority = PRIO_REMINDER;
	m.not_before = f->at;
	m.expires_at = f->expires;
	m.created_at = now;
	m.status = skip ? "skipped" : "queued";
	if (skip)
		m.last_error = superseded ? "superseded by a later step"
					  : "expired before it could be sent";
	if (tp == NULL) {
		snprintf(err, sizeof(err), "template \"%s\" is not loaded", f->template);
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
	m.body = body.data;
	m.encoding = (char *)sms_encoding_name(info.encoding);
	m.parts = (int)info.parts;
	goto add;
failed:
	log_warnx("task %s step %s: %s", t->code, f->key, err);
	m.status = "failed";
	m.last_error = err;
	m.body = body.data ? body.data : (char *)"";
	m.encoding = "UCS-2";
	m.parts = 0;
	stats->failed++;
	skip = true;
add:
	rc = store_msg_add(s->st, &m, NULL);
	buf_free(&body);
	if (rc == STORE_EXISTS) /* another process got there first */
		return STORE_OK;
	if (rc == STORE_OK) {
		if (strcmp(m.status, "queued") == 0)
			stats->queued++;
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
/* Buffers a pass reuses for every task, so planning one costs no large allocation. */
struct workspace {
	struct fire f[RULES_MAX_FIRES];
	size_t nf;
	const struct rule_set *plan_rs; /* f holds the plan of this set and deadline */
	int64_t plan_deadline;
	struct people pp;
	const struct calendar *cal; /* the pass's: shipped days and the town's */
};

static int
plan_task(struct sched *s, struct workspace *ws, int64_t id, int64_t now,
	  struct sched_stats *stats)
{
	struct task t = { 0 };
	struct people *pp = &ws->pp;
	struct keys ks = { 0 };
	struct fire *f = ws->f;
	const struct rule_set *rs;
	char prefix[64], key[128];
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

	for (size_t r = 0; r < pp->n; r++) {
		const struct person *p = &pp->r[r].p;
		for (int stream = 0; stream < 2; stream++) {
			/* newest first: the first due, unwritten, unexpired one is sent */
			bool sent_one = false;
			for (size_t k = nf; k-- > 0;) {
				bool esc = f[k].kind == STEP_ESCALATE;
				if (esc != (stream == 1) || f[k].at > now || !(f[k].roles & pp->r[r].roles))
					continue;
				snprintf(key, sizeof(key), "%s%s:%lld", prefix, f[k].key, (long long)p->id);
				if (keys_have(&ks, key)) {
					sent_one = true; /* anything older is history */
					continue;
				}
				bool skip = sent_one || f[k].expires <= now;
				if ((rc = queue_one(s, ws->cal, &t, &f[k], p, key, skip, sent_one, now, stats)) !=
				    STORE_OK)
					goto out;
				sent_one = true;
			}
		}
	}
	for (size_t k = 0; k < nf; k++)
		if (f[k].at > now && (next == 0 || f[k].at < next))
			next = f[k].at;
	rc = store_task_set_next(s->st, id, next);
out:
	people_clear(pp);
	keys_clear(&ks);
	task_clear(&t);
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
	struct workspace *ws = malloc(sizeof(*ws));
	struct calendar *cal = NULL;

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
		if (store_sched_due(s->st, now, ids, 1, &n) == STORE_OK && n == 0)
			goto next;
	}
	for (;;) {
		if (store_begin(s->st) != STORE_OK)
			goto fail;
		if (strcmp(fp, planned) != 0 && plan_again_if_changed(s, fp) != STORE_OK)
			goto fail;
		if (store_sched_due(s->st, now, ids, BATCH, &n) != STORE_OK)
			goto fail;
		for (size_t i = 0; i < n; i++)
			if (plan_task(s, ws, ids[i], now, stats) != STORE_OK)
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
	free(ws);
	return 0;
fail:
	snprintf(err, errlen, "scheduler: %s", store_errmsg(s->st));
	store_rollback(s->st);
	calendar_free(cal);
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
