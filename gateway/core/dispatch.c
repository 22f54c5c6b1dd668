/*
 * dispatch.c - the dispatcher engine.  Due rows are leased in batches
 * into an in-memory heap ordered by priority (so a reminder leased after a
 * broadcast's batch still goes first), started on free transfer slots with
 * libcurl's multi interface, and their results collected into a batch that
 * commits when full or after commit_ms.  Each provider has a token bucket
 * (rate), a limit of requests in flight (concurrency) and a circuit
 * breaker; the first provider in configuration order whose breaker is not
 * open takes the traffic.  Every wait is computed from the next timer that
 * matters: lease, lease reclaim, commit deadline, a token, a breaker's rest.
 */
#include "core/dispatch_int.h"

#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/phone.h"
#include "base/clock.h"
#include "base/zone.h"
#include "base/buf.h"
#include "base/i18n.h"

static void *db_main(void *arg);
static void release_heap(struct dispatch *d);

/* ---- policies -------------------------------------------------------------- */

static uint64_t
rng_next(uint64_t *s)
{
	uint64_t x = *s ? *s : 0x9e3779b97f4a7c15ULL;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

long
dispatch_backoff_ms(const struct retry_policy *p, int n, uint64_t *rng)
{
	double cap = (double)p->base_ms;
	uint64_t r;

	for (int i = 1; i < n && cap < (double)p->max_ms; i++)
		cap *= 2;
	if (cap > (double)p->max_ms)
		cap = (double)p->max_ms;
	r = rng_next(rng) % ((uint64_t)cap + 1);
	if (p->jitter == JITTER_EQUAL)
		return (long)(cap / 2) + (long)(r / 2);
	return (long)r;
}

void
dispatch_bucket_init(struct bucket *b, double rate, double burst, int64_t now_ms)
{
	b->rate = rate;
	b->burst = burst < 1 ? 1 : burst;
	b->tokens = b->burst;
	b->last_ms = now_ms;
}

static void
bucket_refill(struct bucket *b, int64_t now_ms)
{
	if (now_ms > b->last_ms) {
		b->tokens += (double)(now_ms - b->last_ms) * b->rate / 1000.0;
		if (b->tokens > b->burst)
			b->tokens = b->burst;
		b->last_ms = now_ms;
	}
}

bool
dispatch_bucket_take(struct bucket *b, int64_t now_ms)
{
	if (b->rate <= 0)
		return true;
	bucket_refill(b, now_ms);
	if (b->tokens < 1)
		return false;
	b->tokens -= 1;
	return true;
}

long
dispatch_bucket_wait_ms(const struct bucket *b, int64_t now_ms)
{
	double tokens = b->tokens;

	if (b->rate <= 0)
		return 0;
	if (now_ms > b->last_ms)
		tokens += (double)(now_ms - b->last_ms) * b->rate / 1000.0;
	if (tokens >= 1)
		return 0;
	/* less a hair, so that 0.99 tokens at 10/s wait 1 ms, not 2 */
	return (long)ceil((1 - tokens) * 1000.0 / b->rate - 1e-6);
}

int64_t
dispatch_quiet_until(const struct quiet_hours *q, int64_t t)
{
	struct tm tm;
	int m;

	time_local(t, &tm);
	m = tm.tm_hour * 60 + tm.tm_min;
	if (!config_in_quiet(q, m))
		return 0;
	/* The window ends at q->to today, or tomorrow when it wraps midnight
	 * and we are in its evening part. */
	int day = tm.tm_mday + ((q->from > q->to && m >= q->from) ? 1 : 0);
	return time_from_local(tm.tm_year + 1900, tm.tm_mon + 1, day, q->to / 60, q->to % 60, 0);
}

/* ---- small helpers ------------------------------------------------------- */

int64_t
dispatch_mono_at(int64_t t)
{
	struct timespec ts;
	int64_t now = time_now(), frac;

	if (t <= now)
		return time_mono_ms();
	clock_gettime(CLOCK_REALTIME, &ts);
	frac = ts.tv_nsec / 1000000;
	return time_mono_ms() + (t - now) * 1000 - frac + 2;
}

static bool
heap_less(const struct lease_msg *a, const struct lease_msg *b)
{
	return a->priority != b->priority ? a->priority < b->priority : a->id < b->id;
}

int
dsp_heap_push(struct dispatch *d, struct lease_msg *m)
{
	size_t i;

	if (d->nheap == d->capheap) {
		struct lease_msg **h = realloc(d->heap, 2 * d->capheap * sizeof(*h));
		if (h == NULL)
			return -1;
		d->heap = h;
		d->capheap *= 2;
	}
	i = d->nheap++;
	d->heap[i] = m;
	while (i > 0 && heap_less(d->heap[i], d->heap[(i - 1) / 2])) {
		struct lease_msg *t = d->heap[i];
		d->heap[i] = d->heap[(i - 1) / 2];
		d->heap[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
	return 0;
}

struct lease_msg *
dsp_heap_pop(struct dispatch *d)
{
	struct lease_msg *top = d->heap[0];
	size_t i = 0;

	d->heap[0] = d->heap[--d->nheap];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < d->nheap && heap_less(d->heap[l], d->heap[m]))
			m = l;
		if (r < d->nheap && heap_less(d->heap[r], d->heap[m]))
			m = r;
		if (m == i)
			break;
		struct lease_msg *t = d->heap[i];
		d->heap[i] = d->heap[m];
		d->heap[m] = t;
		i = m;
	}
	return top;
}

struct send_result *
dsp_result_new(struct dispatch *d, int64_t id, enum send_outcome oc)
{
	struct send_result *r;

	if (d->nres == d->capres) {
		size_t ncap = d->capres * 2;
		struct send_result *n = realloc(d->res, ncap * sizeof(*n));
		if (n == NULL) {
			log_warnx("out of memory recording the result of message #%" PRId64
				  "; its lease will run out and it will be sent again", id);
			return NULL;
		}
		d->res = n;
		d->capres = ncap;
	}
	if (d->nres == 0)
		d->res_first_ms = time_mono_ms();
	r = &d->res[d->nres++];
	memset(r, 0, sizeof(*r));
	r->id = id;
	r->outcome = oc;
	return r;
}

/* ---- creating ------------------------------------------------------------ */

static size_t
write_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct slot *s = arg;
	size_t n = size * nmemb;

	if (buf_add(&s->resp, ptr, n) != 0) {
		s->too_big = true;
		return 0; /* libcurl fails the transfer with CURLE_WRITE_ERROR */
	}
	return n;
}

static int
slot_init(struct slot *s)
{
	provider_req_init(&s->req);
	buf_init(&s->resp, PROVIDER_REPLY_MAX);
	s->easy = curl_easy_init();
	if (s->easy == NULL)
		return -1;
	curl_easy_setopt(s->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(s->easy, CURLOPT_PRIVATE, s);
	curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(s->easy, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(s->easy, CURLOPT_ERRORBUFFER, s->errbuf);
	curl_easy_setopt(s->easy, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(s->easy, CURLOPT_USERAGENT, "duban/0.1");
	curl_easy_setopt(s->easy, CURLOPT_NOPROXY, "localhost,127.0.0.1,::1");
	curl_easy_setopt(s->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	return 0;
}

int
dispatch_new(const struct duban_config *cfg, struct dispatch **out, char *err, size_t errlen)
{
	struct dispatch *d;
	long longest = 0;
	int64_t now = time_mono_ms();

	*out = NULL;
	if (cfg->nproviders == 0) {
		snprintf(err, errlen, "%s: no providers configured (add a 'providers' list; see etc/duban.cfg)",
			 cfg->path ? cfg->path : "built-in defaults");
		return -1;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errlen, "libcurl failed to initialise");
		return -1;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL)
		goto oom;
	d->cfg = cfg;
	pthread_mutex_init(&d->mu, NULL);
	pthread_cond_init(&d->cv, NULL);
	d->batch = cfg->dispatcher.batch ? cfg->dispatcher.batch : 500;
	d->commit_ms = cfg->dispatcher.commit_ms ? cfg->dispatcher.commit_ms : 50;
	d->nprov = cfg->nproviders;
	d->prov = calloc(d->nprov, sizeof(*d->prov));
	if (d->prov == NULL)
		goto oom;
	for (size_t i = 0; i < d->nprov; i++) {
		const struct provider_conf *pc = &cfg->providers[i];
		d->prov[i].pc = pc;
		dispatch_bucket_init(&d->prov[i].bucket, pc->rate, pc->burst, now);
		d->nslots += (size_t)pc->concurrency;
		if (pc->timeout_ms > longest)
			longest = pc->timeout_ms;
	}
	d->lease_ms = cfg->dispatcher.lease_ms ? cfg->dispatcher.lease_ms : 2 * longest + 10000;
	d->capheap = d->batch;
	d->capres = d->batch + d->nslots + 16;
	d->slots = calloc(d->nslots, sizeof(*d->slots));
	d->heap = calloc(d->capheap, sizeof(*d->heap));
	d->lease_buf = calloc(d->batch, sizeof(*d->lease_buf));
	d->caprenew = d->batch + d->nslots;
	d->renew_ids = calloc(d->caprenew, sizeof(*d->renew_ids));
	d->res = calloc(d->capres, sizeof(*d->res));
	d->capjres = d->capres;
	d->jres = calloc(d->capjres, sizeof(*d->jres));
	d->multi = curl_multi_init();
	d->job.ev = calloc(d->nprov, sizeof(*d->job.ev));
	d->job.gen = calloc(d->nprov, sizeof(*d->job.gen));
	d->job.halted = calloc(d->nprov, sizeof(*d->job.halted));
	d->job.hcode = calloc(d->nprov, sizeof(*d->job.hcode));
	if (!d->slots || !d->heap || !d->lease_buf || !d->renew_ids || !d->res || !d->jres ||
	    !d->multi || !d->job.ev || !d->job.gen || !d->job.halted || !d->job.hcode)
		goto oom;
	dsp_prov_init(d);
	for (size_t i = 0; i < d->nprov; i++)
		d->own_limits = d->own_limits || d->prov[i].pc->per_number_hour > 0 ||
				d->prov[i].pc->per_number_day > 0;
	curl_multi_setopt(d->multi, CURLMOPT_MAXCONNECTS, (long)d->nslots + 4);
	for (size_t i = 0; i < d->nslots; i++) {
		if (slot_init(&d->slots[i]) != 0 || dsp_slot_reserve(&d->slots[i], 1) != 0)
			goto oom;
		d->slots[i].next_free = d->free_slots;
		d->free_slots = &d->slots[i];
	}
	snprintf(d->why_hour, sizeof(d->why_hour), "%s",
		 _("waiting: this number had its limit of messages in the last hour (per_number_hour)"));
	snprintf(d->why_day, sizeof(d->why_day), "%s",
		 _("waiting: this number had its limit of messages in the last day (per_number_day)"));
	d->rng = (uint64_t)now * 6364136223846793005ULL ^ (uint64_t)getpid() ^ (uint64_t)(uintptr_t)d;
	d->next_lease_ms = 0;
	d->next_reclaim_ms = 0;
	d->next_renew_ms = now + d->lease_ms / 3;
	if (store_open(cfg->database, false, &d->dbst, err, errlen) != STORE_OK)
		goto fail;
	if (store_dispatch_tune(d->dbst) != STORE_OK)
		log_warnx("%s", store_errmsg(d->dbst));
	if (pthread_create(&d->th, NULL, db_main, d) != 0) {
		snprintf(err, errlen, "cannot start the dispatcher's database thread");
		goto fail;
	}
	d->th_started = true;
	*out = d;
	return 0;
oom:
	snprintf(err, errlen, "out of memory starting the dispatcher");
fail:
	dispatch_free(d);
	return -1;
}

/* ---- the database thread ------------------------------------------------- */

/*
 * All of the engine's database work runs on its own thread and connection,
 * one job at a time: record a batch of results, lease due rows (in the same
 * transaction), take back stale leases.  The event loop posts a job, goes on
 * sending, and is woken by curl_multi_wakeup when the job is done; so a
 * commit never stalls the network, and the network never waits for SQLite.
 * While a job runs the loop touches nothing of it but job_done (under mu).
 */

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void
db_do(struct dispatch *d, struct dbjob *j)
{
	uint64_t t0 = now_us();
	struct store *st = d->dbst;

	j->rc = j->reclaim_rc = STORE_OK;
	j->got = j->expired = j->reclaimed = 0;
	j->have_next = false;
	j->err[0] = '\0';
	dsp_halt_db(d, j);
	/* Renewal first: a reclaim then cannot take back a row this engine
	 * holds (its lease now ends after now_s), however long the rows
	 * waited for this job (see "Crash safety" in docs/internals). */
	if (j->nrenew > 0 && store_lease_renew(st, j->renew, j->nrenew, j->renew_until) != STORE_OK)
		j->reclaim_rc = STORE_ERROR;
	if (j->reclaim_rc == STORE_OK && j->reclaim &&
	    (j->reclaim_rc = store_lease_reclaim(st, j->now_s, &j->reclaimed)) != STORE_OK)
		snprintf(j->err, sizeof(j->err), "taking back expired leases: %s", store_errmsg(st));
	else if (j->reclaim_rc != STORE_OK)
		snprintf(j->err, sizeof(j->err), "renewing leases: %s", store_errmsg(st));
	if (j->lease) {
		j->rc = store_lease(st, &j->o, j->res, j->nres, d->lease_buf, &j->got, &j->expired);
		if (j->rc == STORE_OK && j->got + j->expired < j->o.max) {
			j->have_next = true;
			if (store_next_due(st, j->o.now, j->o.quiet, &j->next_due) != STORE_OK)
				j->next_due = j->o.now + 1;
		}
	} else if (j->nres > 0) {
		j->rc = store_record_results(st, j->res, j->nres);
	}
	if (j->rc != STORE_OK)
		snprintf(j->err, sizeof(j->err), "%s", store_errmsg(st));
	j->us = now_us() - t0;
}

static void *
db_main(void *arg)
{
	struct dispatch *d = arg;

	pthread_mutex_lock(&d->mu);
	for (;;) {
		while (!d->th_stop && !(d->job_posted && !d->job_done))
			pthread_cond_wait(&d->cv, &d->mu);
		if (!(d->job_posted && !d->job_done))
			break; /* stopping, nothing to do */
		pthread_mutex_unlock(&d->mu);
		db_do(d, &d->job);
		pthread_mutex_lock(&d->mu);
		d->job_done = true;
		pthread_cond_broadcast(&d->cv);
		curl_multi_wakeup(d->multi);
	}
	pthread_mutex_unlock(&d->mu);
	return NULL;
}

/* Hand the results collected so far (and a lease, a reclaim) to the thread. */
static void
db_post(struct dispatch *d, const struct lease_opts *lease, int64_t quiet_end, bool reclaim,
	size_t nrenew)
{
	struct send_result *t = d->jres;
	size_t tc = d->capjres;
	struct dbjob *j = &d->job;

	d->jres = d->res;
	d->capjres = d->capres;
	j->res = d->jres;
	j->nres = d->nres;
	j->retry_at = 0;
	j->released = false;
	for (size_t i = 0; i < j->nres; i++) {
		if ((j->res[i].outcome == SEND_RETRY || j->res[i].outcome == SEND_WAIT) &&
		    (j->retry_at == 0 || j->res[i].not_before < j->retry_at))
			j->retry_at = j->res[i].not_before;
		if (j->res[i].outcome == SEND_RELEASE)
			j->released = true;
	}
	d->res = t;
	d->capres = tc;
	d->nres = 0;
	j->lease = lease != NULL;
	if (lease)
		j->o = *lease;
	j->quiet_end = quiet_end;
	j->reclaim = reclaim;
	dsp_halt_post(d, j);
	j->now_s = time_now();
	j->renew = d->renew_ids;
	j->nrenew = nrenew;
	j->renew_until = j->now_s + (d->lease_ms + 999) / 1000;
	pthread_mutex_lock(&d->mu);
	d->job_posted = true;
	d->job_done = false;
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
}

/* The job's results did not commit: put them back in front of the new ones. */
static void
db_requeue(struct dispatch *d, struct dbjob *j)
{
	size_t need = j->nres + d->nres;

	if (need > d->capjres) {
		struct send_result *n = realloc(d->jres, need * sizeof(*n));
		if (n == NULL) {
			log_warnx("out of memory keeping %zu send results; those messages go out again "
				  "when their lease runs out", j->nres);
			return;
		}
		d->jres = n;
		d->capjres = need;
	}
	memcpy(d->jres + j->nres, d->res, d->nres * sizeof(*d->res));
	struct send_result *t = d->res;
	size_t tc = d->capres;
	d->res = d->jres;
	d->capres = d->capjres;
	d->nres = need;
	d->jres = t;
	d->capjres = tc;
	d->res_first_ms = time_mono_ms();
}

static void
db_lease_done(struct dispatch *d, struct dbjob *j, int64_t now)
{
	int64_t next;

	for (size_t i = 0; i < j->got; i++)
		if (dsp_heap_push(d, d->lease_buf[i]) != 0) {
			/* out of memory: hand it back (its result slot was reserved) */
			if (dsp_result_new(d, d->lease_buf[i]->id, SEND_RELEASE) != NULL)
				d->stats.released++;
			free(d->lease_buf[i]);
		}
	d->stats.leased += j->got;
	if (d->draining)
		release_heap(d); /* leased just before a drain began: hand them back */
	d->stats.expired += j->expired;
	if (j->expired)
		log_info("%zu messages expired before they could be sent", j->expired);
	if (!j->have_next) {
		d->caught_up = false;
		d->next_lease_ms = now;
		return;
	}
	/* Nothing more is due: sleep until the next row is, or quiet hours end. */
	next = j->next_due;
	if (j->quiet_end && (next == 0 || j->quiet_end < next))
		next = j->quiet_end;
	if (!d->poked) {
		d->caught_up = true;
		d->next_lease_ms = next ? dispatch_mono_at(next) : NEVER;
	}
}

/* Take the finished job's outcome, if there is one. */
static void
db_collect(struct dispatch *d)
{
	struct dbjob *j = &d->job;
	int64_t now;
	bool done;

	if (!d->job_posted)
		return;
	pthread_mutex_lock(&d->mu);
	if ((done = d->job_done))
		d->job_posted = false; /* the thread reads it under mu */
	pthread_mutex_unlock(&d->mu);
	if (!done)
		return;
	now = time_mono_ms();
	if (j->lease)
		d->stats.lease_us += j->us;
	else
		d->stats.record_us += j->us;
	if (j->reclaim_rc != STORE_OK) {
		log_warnx("%s", j->err);
		if (j->nrenew > 0)
			d->next_renew_ms = now + 1000; /* before the leases run out */
	} else if (j->reclaimed > 0) {
		log_info("took back %zu messages whose lease ran out (a dispatcher stopped "
			 "mid-send); sending them again", j->reclaimed);
		d->stats.reclaimed += j->reclaimed;
		dispatch_poke(d);
	}
	dsp_halt_collect(d, j);
	if (j->rc != STORE_OK) {
		log_warnx("%s %zu send results: %s (trying again in a second)",
			  j->lease ? "leasing messages and recording" : "recording", j->nres, j->err);
		db_requeue(d, j);
		d->flush_retry_ms = now + 1000;
		if (j->lease)
			d->next_lease_ms = now + 1000;
		return;
	}
	d->flush_retry_ms = 0;
	for (size_t i = 0; i < j->nres; i++) {
		free(j->res[i].text);
		j->res[i].text = NULL;
	}
	if (j->lease)
		db_lease_done(d, j, now);
	/* Rows this job queued again are due later (retries) or now (handed
	 * back): a lease computed its next wake-up before they were committed. */
	if (j->released && !d->draining) {
		d->caught_up = false;
		d->next_lease_ms = now;
	}
	if (j->retry_at != 0 && !d->draining) {
		int64_t at = dispatch_mono_at(j->retry_at);
		if (at < d->next_lease_ms)
			d->next_lease_ms = at;
	}
}

/* Wait for the job in progress (if any) and take its outcome. */
static void
db_wait(struct dispatch *d)
{
	if (!d->job_posted)
		return;
	pthread_mutex_lock(&d->mu);
	while (!d->job_done)
		pthread_cond_wait(&d->cv, &d->mu);
	pthread_mutex_unlock(&d->mu);
	db_collect(d);
}

int
dispatch_flush(struct dispatch *d)
{
	db_wait(d);
	if (d->nres == 0)
		return 0;
	db_post(d, NULL, 0, false, 0);
	db_wait(d);
	return d->nres == 0 ? 0 : -1;
}

static void
release_heap(struct dispatch *d)
{
	while (d->nheap > 0) {
		struct lease_msg *m = dsp_heap_pop(d);
		if (dsp_result_new(d, m->id, SEND_RELEASE) != NULL)
			d->stats.released++;
		free(m);
	}
}

/* ---- leasing ------------------------------------------------------------- */

/* How many rows to lease: room in the heap, and no more than the providers
 * can start well within the lease when they are rate limited. */
static size_t
lease_size(const struct dispatch *d)
{
	size_t n = d->batch - d->nheap;
	double rate = 0;

	for (size_t i = 0; i < d->nprov; i++) {
		if (d->prov[i].pc->rate <= 0)
			return n;
		rate += d->prov[i].pc->rate;
	}
	double cap = rate * (double)d->lease_ms / 1000.0 / 2.0;
	if (cap < 1)
		cap = 1;
	return (double)n > cap ? (size_t)cap : n;
}

static bool
wants_lease(const struct dispatch *d)
{
	return !d->draining && d->nheap <= d->batch / 2 && d->nres < 4 * d->batch;
}

/* Rows this engine holds: leased in the heap, in flight, or sent and
 * waiting for their result to commit (still 'sending' in the database). */
static size_t
nheld(const struct dispatch *d)
{
	size_t n = d->nheap + d->nres;

	for (size_t i = 0; i < d->nslots; i++)
		n += d->slots[i].nmsg;
	return n;
}

/* The ids of the rows this engine holds into renew_ids (*n of them).
 * 0, or -1 when out of memory. */
static int
held_ids(struct dispatch *d, size_t *n)
{
	size_t need = nheld(d), k = 0;

	*n = 0;
	if (need > d->caprenew) {
		int64_t *ids = realloc(d->renew_ids, need * sizeof(*ids));
		if (ids == NULL)
			return -1;
		d->renew_ids = ids;
		d->caprenew = need;
	}
	for (size_t i = 0; i < d->nheap; i++)
		d->renew_ids[k++] = d->heap[i]->id;
	for (size_t i = 0; i < d->nslots; i++)
		for (size_t m = 0; m < d->slots[i].nmsg; m++)
			d->renew_ids[k++] = d->slots[i].msgs[m]->id;
	for (size_t i = 0; i < d->nres; i++)
		d->renew_ids[k++] = d->res[i].id;
	*n = k;
	return 0;
}

/* Post a job to the database thread when one is due and none is running. */
static void
db_maybe_post(struct dispatch *d, int64_t now)
{
	struct lease_opts o;
	int64_t quiet_end = 0, until;
	bool lease = false, reclaim, flush;
	size_t nrenew = 0;

	if (d->job_posted)
		return;
	if (wants_lease(d) && now >= d->next_lease_ms && now >= d->flush_retry_ms) {
		if (dsp_any_usable(d, now, &until)) {
			int64_t now_s = time_now();
			quiet_end = dispatch_quiet_until(&d->cfg->quiet, now_s);
			o.now = now_s;
			o.lease_until = now_s + (d->lease_ms + 999) / 1000;
			o.max = lease_size(d);
			o.quiet = quiet_end != 0;
			o.per_hour = d->cfg->limits.per_number_hour;
			o.per_day = d->cfg->limits.per_number_day;
			o.why_hour = d->why_hour;
			o.why_day = d->why_day;
			o.limits_of = dsp_limits_of;
			o.limits_arg = d;
			o.limited = d->own_limits;
			lease = true;
		} else {
			d->caught_up = true; /* nothing can be sent before a rest is over */
			d->next_lease_ms = until;
		}
	}
	reclaim = !d->draining && now >= d->next_reclaim_ms;
	if (reclaim)
		d->next_reclaim_ms = now + (d->lease_ms / 2 > 1000 ? d->lease_ms / 2 : 1000);
	/* A reclaim always renews what this engine holds first: its leases
	 * may have run out while a commit waited for the write lock. */
	if ((reclaim || now >= d->next_renew_ms) && nheld(d) > 0) {
		if (held_ids(d, &nrenew) != 0) {
			log_warnx("out of memory renewing %zu leases; not taking back others' either",
				  nheld(d));
			reclaim = false;
		}
		d->next_renew_ms = now + d->lease_ms / 3;
	}
	flush = d->nres > 0 && now >= d->flush_retry_ms &&
		(d->nres >= d->batch || now - d->res_first_ms >= d->commit_ms ||
		 (d->inflight == 0 && d->nheap == 0));
	/* A poke while a provider is halted reads the table (a resume from
	 * another process), even with nothing to lease. */
	if (!lease && !reclaim && !flush && nrenew == 0 && !(d->poked && dsp_any_halted(d)))
		return;
	d->poked = false;
	db_post(d, lease ? &o : NULL, quiet_end, reclaim, nrenew);
}

/* ---- the turn ------------------------------------------------------------ */

void
dispatch_poke(struct dispatch *d)
{
	d->caught_up = false;
	d->poked = true;
	d->next_lease_ms = 0;
}

void
dispatch_wakeup(struct dispatch *d)
{
	curl_multi_wakeup(d->multi);
}

void
dispatch_drain(struct dispatch *d)
{
	d->draining = true;
	release_heap(d);
}

bool
dispatch_idle(const struct dispatch *d)
{
	return d->inflight == 0 && d->nheap == 0 && d->nres == 0 && !d->job_posted;
}

bool
dispatch_caught_up(const struct dispatch *d)
{
	return d->caught_up && !d->job_posted && d->next_lease_ms > time_mono_ms();
}

void
dispatch_get_stats(const struct dispatch *d, struct dispatch_stats *out)
{
	*out = d->stats;
}

int
dispatch_wait_ms(const struct dispatch *d, int cap_ms)
{
	int64_t now = time_mono_ms(), at = cap_ms < 0 ? NEVER : now + cap_ms;

	/* While a job runs, its end wakes the loop (curl_multi_wakeup). */
	if (!d->job_posted && wants_lease(d) && d->next_lease_ms < at)
		at = d->next_lease_ms;
	if (!d->job_posted && !d->draining && d->next_reclaim_ms < at)
		at = d->next_reclaim_ms;
	if (!d->job_posted && nheld(d) > 0 && d->next_renew_ms < at)
		at = d->next_renew_ms;
	if (!d->job_posted && d->nres > 0) {
		int64_t f = d->res_first_ms + d->commit_ms;
		if (d->flush_retry_ms > f)
			f = d->flush_retry_ms;
		if (d->inflight == 0 && d->nheap == 0 && d->flush_retry_ms == 0)
			f = now;
		if (f < at)
			at = f;
	}
	if (!d->draining && d->nheap > 0 && d->blocked_until_ms < at)
		at = d->blocked_until_ms;
	if (at <= now)
		return 0;
	return at - now > INT_MAX ? INT_MAX : (int)(at - now);
}

int
dispatch_turn(struct dispatch *d, int max_wait_ms, struct curl_waitfd *extra, unsigned nextra)
{
	int running, wait;

	db_collect(d);
	db_maybe_post(d, time_mono_ms());
	dsp_start_transfers(d);
	if (curl_multi_perform(d->multi, &running) != CURLM_OK)
		return -1;
	dsp_collect(d);
	db_collect(d);
	db_maybe_post(d, time_mono_ms());
	dsp_start_transfers(d);
	wait = dispatch_wait_ms(d, max_wait_ms);
	if (wait > 0 || nextra > 0) {
		if (curl_multi_poll(d->multi, extra, nextra, wait, NULL) != CURLM_OK)
			return -1;
		if (curl_multi_perform(d->multi, &running) != CURLM_OK)
			return -1;
		dsp_collect(d);
	}
	return 0;
}

int
dispatch_abort(struct dispatch *d)
{
	db_wait(d); /* a lease in progress lands in the heap, released below */
	for (size_t i = 0; i < d->nslots; i++) {
		struct slot *s = &d->slots[i];
		struct send_result *r;

		if (s->nmsg == 0)
			continue;
		curl_multi_remove_handle(d->multi, s->easy);
		for (size_t m = 0; m < s->nmsg; m++) {
			r = dsp_result_new(d, s->msgs[m]->id, SEND_RETRY);
			if (r) {
				r->attempt = "transient";
				r->at = s->start_at;
				r->not_before = time_now();
				r->latency_ms = (long)(time_mono_ms() - s->start_ms);
				snprintf(r->provider, sizeof(r->provider), "%s", s->prov->pc->name);
				snprintf(r->error, sizeof(r->error), "interrupted by shutdown");
			}
			d->stats.released++;
		}
		dsp_slot_clear(s, true);
		curl_slist_free_all(s->hdrs);
		s->hdrs = NULL;
		if (s->probe)
			s->prov->probing = false;
		s->prov->inflight--;
		d->inflight--;
		s->next_free = d->free_slots;
		d->free_slots = s;
	}
	release_heap(d);
	return dispatch_flush(d);
}

void
dispatch_discard(struct dispatch *d)
{
	if (d == NULL)
		return;
	d->discard = true;
	dispatch_free(d);
}

void
dispatch_free(struct dispatch *d)
{
	if (d == NULL)
		return;
	if (d->th_started && d->slots && d->multi && d->res && !d->discard) {
		d->draining = true;
		dispatch_abort(d);
		if (d->nres > 0)
			log_warnx("%zu send results could not be recorded; those messages will be sent "
				  "again when their lease runs out", d->nres);
	}
	for (size_t i = 0; d->slots && i < d->nslots; i++) {
		struct slot *s = &d->slots[i];
		if (s->nmsg > 0 && d->multi)
			curl_multi_remove_handle(d->multi, s->easy);
		dsp_slot_free(s);
		if (s->easy)
			curl_easy_cleanup(s->easy);
		provider_req_free(&s->req);
		buf_free(&s->resp);
		curl_slist_free_all(s->hdrs);
	}
	if (d->th_started) {
		pthread_mutex_lock(&d->mu);
		d->th_stop = true;
		pthread_cond_broadcast(&d->cv);
		pthread_mutex_unlock(&d->mu);
		pthread_join(d->th, NULL);
		/* a lease that finished after we stopped looking */
		if (d->job_posted && d->job_done && d->job.lease && d->job.rc == STORE_OK)
			for (size_t i = 0; i < d->job.got; i++)
				free(d->lease_buf[i]);
	}
	store_close(d->dbst);
	pthread_mutex_destroy(&d->mu);
	pthread_cond_destroy(&d->cv);
	for (size_t i = 0; d->heap && i < d->nheap; i++)
		free(d->heap[i]);
	if (d->multi)
		curl_multi_cleanup(d->multi);
	free(d->slots);
	free(d->heap);
	free(d->lease_buf);
	free(d->renew_ids);
	for (size_t i = 0; d->res && i < d->nres; i++)
		free(d->res[i].text);
	free(d->res);
	free(d->jres);
	free(d->prov);
	free(d->job.ev);
	free(d->job.gen);
	free(d->job.halted);
	free(d->job.hcode);
	free(d);
}

void
dispatch_breakers(const struct dispatch *d, struct dispatch_breaker *out, size_t max, size_t *n)
{
	int64_t now = time_mono_ms();

	*n = 0;
	for (size_t i = 0; i < d->nprov && *n < max; i++) {
		const struct prov *p = &d->prov[i];
		struct dispatch_breaker *b = &out[(*n)++];

		b->name = p->pc->name;
		b->inflight = p->inflight;
		b->fails = p->fails;
		b->rest_ms = 0;
		if (p->br == BR_CLOSED) {
			b->state = DISPATCH_BREAKER_CLOSED;
		} else if (p->br == BR_OPEN && now < p->open_until_ms) {
			b->state = DISPATCH_BREAKER_OPEN;
			b->rest_ms = (long)(p->open_until_ms - now);
		} else {
			b->state = DISPATCH_BREAKER_HALF_OPEN;
		}
	}
}
