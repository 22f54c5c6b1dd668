/*
 * dispatch_send.c - the dispatcher's sending side: which provider takes
 * the row at the top of the heap (the first in configuration order that
 * can carry it - core/route.c's rule - whose breaker is not open and that
 * is not halted), which rows go with it in one request (a template
 * provider takes up to `batch` numbers with equal values, or its
 * batch_distinct with differing ones: a notice's rows), and what each
 * row's verdict makes of it.  The four classes of the Chinese providers
 * are acted on here: permanent fails the row with the provider's code,
 * transient retries with backoff, limited makes the row wait until the
 * provider's window has passed (no retry burned), halted stops the
 * provider at once - its rows go to the next provider able to carry them,
 * or wait for it - until a resume, a reload, or a trial request every
 * halt_retry that goes through.  Halts are written to the database
 * (provider_state) with the next job, with one SMS alert per halt to
 * alerts.to; the table is read back with every job, so a resume from
 * another process reaches the engine.
 */
#include "core/dispatch_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/array.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/i18n.h"
#include "base/log.h"
#include "base/phone.h"
#include "base/sms.h"

#define TEXT_MAX 4096 /* bytes of the text a phone shows, for the attempt row */

/* Copy s into out (outlen bytes), cut at a whole byte: snprintf's "%s"
 * without its cost, which counts when a thousand rows share a reply. */
static void
copy_str(char *out, size_t outlen, const char *s)
{
	size_t n = strlen(s);

	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, s, n);
	out[n] = '\0';
}

/* ---- sizes ----------------------------------------------------------------- */

void
dsp_prov_init(struct dispatch *d)
{
	for (size_t i = 0; i < d->nprov; i++) {
		struct prov *p = &d->prov[i];
		const struct provider_conf *pc = p->pc;
		size_t same = pc->ops->batch_same, dist = pc->ops->batch_distinct;

		p->cap = p->cap_distinct = 1;
		if (pc->ops->build_batch == NULL)
			continue;
		if (pc->batch > 0 && (size_t)pc->batch < same)
			same = (size_t)pc->batch;
		if (dist > same)
			dist = same;
		p->cap = same > 0 ? same : 1;
		p->cap_distinct = dist > 0 ? dist : 1;
	}
}

int
dsp_slot_reserve(struct slot *s, size_t n)
{
	void *a;

	if (n <= s->capmsg)
		return 0;
	if ((a = realloc(s->msgs, n * sizeof(*s->msgs))) == NULL)
		return -1;
	s->msgs = a;
	if ((a = realloc(s->pm, n * sizeof(*s->pm))) == NULL)
		return -1;
	s->pm = a;
	if ((a = realloc(s->v, n * sizeof(*s->v))) == NULL)
		return -1;
	s->v = a;
	if ((a = realloc(s->rs, n * sizeof(*s->rs))) == NULL)
		return -1;
	s->rs = a;
	if ((a = realloc(s->text, n * sizeof(*s->text))) == NULL)
		return -1;
	s->text = a;
	if ((a = realloc(s->parts, n * sizeof(*s->parts))) == NULL)
		return -1;
	s->parts = a;
	memset(s->rs + s->capmsg, 0, (n - s->capmsg) * sizeof(*s->rs));
	memset(s->text + s->capmsg, 0, (n - s->capmsg) * sizeof(*s->text));
	s->capmsg = n;
	return 0;
}

void
dsp_slot_clear(struct slot *s, bool free_rows)
{
	for (size_t i = 0; i < s->nmsg; i++) {
		route_send_clear(&s->rs[i]);
		free(s->text[i]);
		s->text[i] = NULL;
		if (free_rows)
			free(s->msgs[i]);
		s->msgs[i] = NULL;
	}
	s->nmsg = 0;
}

/*
 * Give a batch's arrays back once its request is done: any slot may carry
 * any provider's next request, so without this every slot would grow to
 * the largest batch in time; now only the batches in flight hold them.
 */
static void
slot_shrink(struct slot *s)
{
	if (s->capmsg <= 1)
		return;
	free(s->msgs);
	free(s->pm);
	free(s->v);
	free(s->rs);
	free(s->text);
	free(s->parts);
	s->msgs = NULL;
	s->pm = NULL;
	s->v = NULL;
	s->rs = NULL;
	s->text = NULL;
	s->parts = NULL;
	s->capmsg = 0;
	(void)dsp_slot_reserve(s, 1); /* out of memory: the next gather reserves again */
}

void
dsp_slot_free(struct slot *s)
{
	dsp_slot_clear(s, true);
	free(s->msgs);
	free(s->pm);
	free(s->v);
	free(s->rs);
	free(s->text);
	free(s->parts);
}

/* ---- choosing a provider ------------------------------------------------------ */

bool
dsp_any_usable(const struct dispatch *d, int64_t now, int64_t *until)
{
	*until = NEVER;
	for (size_t i = 0; i < d->nprov; i++) {
		const struct prov *p = &d->prov[i];
		int64_t at = p->br == BR_OPEN ? p->open_until_ms : 0;
		if (p->halted && p->trial_ms > at)
			at = p->trial_ms;
		if (at <= now)
			return true;
		if (at < *until)
			*until = at;
	}
	return false;
}

void
dsp_limits_of(void *arg, const char *template_name, const char *params, int *per_hour,
	      int *per_day)
{
	const struct dispatch *d = arg;

	for (size_t i = 0; i < d->nprov; i++) {
		const struct provider_conf *pc = d->prov[i].pc;
		if (!route_can_carry(pc, template_name, params))
			continue;
		if (pc->per_number_hour >= 0)
			*per_hour = pc->per_number_hour;
		if (pc->per_number_day >= 0)
			*per_day = pc->per_number_day;
		return;
	}
}

bool
dsp_any_halted(const struct dispatch *d)
{
	for (size_t i = 0; i < d->nprov; i++)
		if (d->prov[i].halted)
			return true;
	return false;
}

/* Take a token of p or say how long until one (d->blocked_until_ms). */
static bool
take_token(struct dispatch *d, struct prov *p, int64_t now)
{
	if (p->inflight >= p->pc->concurrency) {
		d->blocked_until_ms = NEVER;
		return false;
	}
	if (!dispatch_bucket_take(&p->bucket, now)) {
		d->blocked_until_ms = now + dispatch_bucket_wait_ms(&p->bucket, now);
		return false;
	}
	return true;
}

/*
 * The provider for row m, or NULL: with *none when no configured provider
 * can carry m at all, with *halt_until (monotonic) when every one that can
 * is halted (the earliest trial), else d->blocked_until_ms set.
 */
static struct prov *
pick(struct dispatch *d, const struct lease_msg *m, int64_t now, bool *probe, bool *none,
     int64_t *halt_until)
{
	int64_t until = NEVER, hu = NEVER;
	bool able = false, all_halted = true;

	*probe = *none = false;
	*halt_until = 0;
	for (size_t i = 0; i < d->nprov; i++) {
		struct prov *p = &d->prov[i];
		if (!route_can_carry(p->pc, m->template_name, m->params))
			continue;
		able = true;
		if (p->halted) {
			if (p->probing || now < p->trial_ms) {
				if (!p->probing && p->trial_ms < hu)
					hu = p->trial_ms;
				continue;
			}
			if (!take_token(d, p, now))
				return NULL;
			log_info(_("provider %s is halted (%s): one trial request"), p->pc->name,
				 p->halt_code[0] ? p->halt_code : p->halt_reason);
			*probe = true;
			return p;
		}
		all_halted = false;
		if (p->br == BR_OPEN) {
			if (now < p->open_until_ms) {
				if (p->open_until_ms < until)
					until = p->open_until_ms;
				continue;
			}
			p->br = BR_HALF_OPEN;
			p->probing = false;
			log_info("provider %s: rest over, trying one message", p->pc->name);
		}
		if (p->br == BR_HALF_OPEN && p->probing)
			continue; /* the others go to the next provider meanwhile */
		if (!take_token(d, p, now))
			return NULL;
		*probe = p->br == BR_HALF_OPEN;
		return p;
	}
	if (!able) {
		*none = true;
		return NULL;
	}
	if (all_halted && hu != NEVER) {
		*halt_until = hu;
		return NULL;
	}
	d->blocked_until_ms = until < hu ? until : hu;
	return NULL;
}

/* ---- rows that cannot start ---------------------------------------------------- */

static void
fail_row(struct dispatch *d, const char *provider, struct lease_msg *m, const char *why)
{
	struct send_result *r = dsp_result_new(d, m->id, SEND_FAILED);
	char masked[PHONE_MAX];

	if (r) {
		r->attempt = "permanent";
		r->at = time_now();
		snprintf(r->provider, sizeof(r->provider), "%s", provider ? provider : "");
		snprintf(r->error, sizeof(r->error), "%s", why);
	}
	d->stats.failed++;
	log_info("message #%" PRId64 " to %s failed: %s", m->id,
		 phone_mask(m->phone, masked, sizeof(masked)), why);
	free(m);
}

/* Every provider able to carry m is halted: it waits in the outbox for the first trial. */
static void
wait_halted(struct dispatch *d, struct lease_msg *m, int64_t until_ms, int64_t now)
{
	struct send_result *r = dsp_result_new(d, m->id, SEND_WAIT);
	const struct prov *h = NULL;

	for (size_t i = 0; i < d->nprov; i++)
		if (d->prov[i].halted && route_can_carry(d->prov[i].pc, m->template_name, m->params))
			h = h ? h : &d->prov[i];
	if (r) {
		r->at = time_now();
		r->not_before = r->at + (until_ms - now + 999) / 1000;
		snprintf(r->provider, sizeof(r->provider), "%s", h ? h->pc->name : "");
		snprintf(r->error, sizeof(r->error), _("waiting: provider %s is halted (%s)"),
			 h ? h->pc->name : "?", h && h->halt_code[0] ? h->halt_code : "");
	}
	d->stats.waited++;
	free(m);
}

static uint64_t
num_hash(const char *phone)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a; 0 means an empty entry */

	for (const unsigned char *c = (const unsigned char *)phone; *c; c++)
		h = (h ^ *c) * 1099511628211ULL;
	return h ? h : 1;
}

/* The entry of a number a provider refuses for now, or NULL. */
static const struct limited_num *
num_limited(const struct dispatch *d, const char *phone, int64_t now_s)
{
	uint64_t h = num_hash(phone);

	for (size_t i = 0; i < ARRAY_LEN(d->lim); i++)
		if (d->lim[i].hash == h && d->lim[i].until > now_s)
			return &d->lim[i];
	return NULL;
}

/* Remember that a provider refuses phone until `until` (the oldest entry makes room). */
static void
num_limit(struct dispatch *d, const char *phone, int64_t until, const char *why)
{
	struct limited_num *e = &d->lim[d->lim_next++ % ARRAY_LEN(d->lim)];

	e->hash = num_hash(phone);
	e->until = until;
	copy_str(e->why, sizeof(e->why), why);
}

/* A row to a number the provider refuses for now: it waits with the others. */
static void
wait_limited(struct dispatch *d, struct lease_msg *m, const struct limited_num *e)
{
	struct send_result *r = dsp_result_new(d, m->id, SEND_WAIT);

	if (r) {
		r->at = time_now();
		r->not_before = e->until;
		copy_str(r->error, sizeof(r->error), e->why);
	}
	d->stats.waited++;
	free(m);
}

/* ---- building a request ---------------------------------------------------------- */

static bool
same_str(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* The text the phone shows of row i of s, and its parts. */
static void
shown_text(struct dispatch *d, struct slot *s, size_t i)
{
	const struct provider_conf *pc = s->prov->pc;
	const struct provider_msg *pm = &s->pm[i];
	struct sms_info info;
	struct buf b;

	s->parts[i] = 0;
	if (i > 0 && pm->values == s->pm[i - 1].values && pm->binding == s->pm[i - 1].binding &&
	    pm->text == s->pm[i - 1].text && s->text[i - 1]) {
		s->text[i] = strdup(s->text[i - 1]);
		s->parts[i] = s->parts[i - 1];
		return;
	}
	buf_init(&b, TEXT_MAX);
	if (pm->binding != NULL) {
		if (provider_binding_render(pc, pm->binding, pm->values, &b) != 0)
			goto out;
	} else if (d->cfg->signature && d->cfg->signature[0]) {
		if (buf_printf(&b, "【%s】%s", d->cfg->signature, pm->text) != 0)
			goto out;
	} else if (buf_printf(&b, "%s", pm->text) != 0) {
		goto out;
	}
	if (sms_measure(b.data, NULL, &info, NULL, 0) == 0)
		s->parts[i] = (int)info.parts;
	s->text[i] = strdup(b.data);
out:
	buf_free(&b);
}

/* Row m as row i of s through s->prov: 0, or -1 with err (it cannot go there). */
static int
prepare(struct dispatch *d, struct slot *s, size_t i, struct lease_msg *m, char *err,
	size_t errlen)
{
	const struct provider_conf *pc = s->prov->pc;
	struct route_send *rs = &s->rs[i];
	struct provider_msg *pm = &s->pm[i];

	memset(rs, 0, sizeof(*rs));
	memset(pm, 0, sizeof(*pm));
	if (i > 0 && pc->templated && same_str(m->params, s->msgs[i - 1]->params)) {
		*pm = s->pm[i - 1]; /* the same values: share them */
	} else {
		if (route_send_prepare(pc, m->template_name, m->params, m->body, rs, err, errlen) != 0)
			return -1;
		pm->binding = rs->binding;
		pm->values = rs->values;
		pm->text = rs->text ? rs->text : m->body;
	}
	pm->id = m->id;
	pm->phone = m->phone;
	pm->signature = d->cfg->signature;
	pm->ucs2 = m->ucs2;
	s->msgs[i] = m;
	shown_text(d, s, i);
	return 0;
}

bool
dispatch_joins(const struct lease_msg *first, const struct lease_msg *t, size_t n, size_t cap,
	       size_t cap_distinct, bool *distinct)
{
	if (n >= cap || t->priority != first->priority ||
	    !same_str(t->template_name, first->template_name))
		return false;
	if (!*distinct && !same_str(t->params, first->params)) {
		if (n >= cap_distinct)
			return false;
		*distinct = true;
	}
	return !*distinct || n < cap_distinct;
}

/*
 * Take the rows of the next request from the heap into s: the top, and
 * after it, when p takes batches, the rows of the same priority and
 * template that p can carry, with the same values (up to p->cap) or not
 * (up to p->cap_distinct), one token each: rate limits count numbers.
 */
static void
gather(struct dispatch *d, struct slot *s, struct prov *p, bool probe, int64_t now)
{
	struct lease_msg *first = dsp_heap_pop(d), *t;
	size_t limit = probe ? 1 : p->cap;
	bool distinct = false;
	char err[300];

	s->prov = p;
	s->nmsg = 0;
	if (dsp_slot_reserve(s, limit) != 0)
		limit = s->capmsg;
	if (limit == 0) {
		/* no room for even one row: it fails with the reason rather than loop */
		fail_row(d, p->pc->name, first, "out of memory preparing the request");
		return;
	}
	if (prepare(d, s, 0, first, err, sizeof(err)) != 0) {
		fail_row(d, p->pc->name, first, err);
		return;
	}
	s->nmsg = 1;
	while (s->nmsg < limit && d->nheap > 0) {
		t = d->heap[0];
		if (!dispatch_joins(first, t, s->nmsg, limit, p->cap_distinct, &distinct) ||
		    !route_can_carry(p->pc, t->template_name, t->params) ||
		    (d->lim_next > 0 && num_limited(d, t->phone, time_now()) != NULL))
			break;
		if (!dispatch_bucket_take(&p->bucket, now))
			break;
		dsp_heap_pop(d);
		if (prepare(d, s, s->nmsg, t, err, sizeof(err)) != 0) {
			fail_row(d, p->pc->name, t, err);
			continue;
		}
		s->nmsg++;
	}
}

static int
set_headers(struct slot *s)
{
	char *line = s->req.headers.data, *nl;
	struct curl_slist *l;

	s->hdrs = curl_slist_append(NULL, "Expect:");
	if (s->hdrs == NULL)
		return -1;
	while (line && *line && (nl = strchr(line, '\n')) != NULL) {
		*nl = '\0';
		l = curl_slist_append(s->hdrs, line);
		*nl = '\n';
		if (l == NULL)
			return -1;
		s->hdrs = l;
		line = nl + 1;
	}
	return 0;
}

/* The request could not start: every row of s fails with why. */
static void
fail_slot(struct dispatch *d, struct slot *s, const char *why)
{
	curl_slist_free_all(s->hdrs);
	s->hdrs = NULL;
	for (size_t i = 0; i < s->nmsg; i++) {
		fail_row(d, s->prov->pc->name, s->msgs[i], why);
		s->msgs[i] = NULL;
	}
	dsp_slot_clear(s, false);
}

static void
start(struct dispatch *d, struct slot *s, struct prov *p, bool probe, int64_t now)
{
	const struct provider_conf *pc = p->pc;
	char err[200];
	CURL *e = s->easy;

	gather(d, s, p, probe, now);
	if (s->nmsg == 0)
		return;
	provider_req_reset(&s->req);
	s->resp.len = 0;
	s->too_big = false;
	s->errbuf[0] = '\0';
	if (provider_build_batch(pc, s->pm, s->nmsg, &s->req, err, sizeof(err)) != 0 ||
	    set_headers(s) != 0) {
		fail_slot(d, s, err);
		return;
	}
	curl_easy_setopt(e, CURLOPT_URL, s->req.url.data);
	if (s->req.post) {
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, s->req.body.data ? s->req.body.data : "");
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)s->req.body.len);
	} else {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, s->hdrs);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, pc->timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, pc->connect_timeout_ms);
	s->probe = probe;
	s->start_ms = time_mono_ms();
	s->start_at = time_now();
	if (curl_multi_add_handle(d->multi, e) != CURLM_OK) {
		fail_slot(d, s, "libcurl refused the request");
		return;
	}
	if (probe)
		p->probing = true;
	d->free_slots = s->next_free;
	p->inflight++;
	d->inflight++;
}

void
dsp_start_transfers(struct dispatch *d)
{
	d->blocked_until_ms = 0;
	while (!d->draining && d->nheap > 0 && d->free_slots != NULL) {
		int64_t now = time_mono_ms(), hu;
		bool probe, none;
		const struct limited_num *e =
			d->lim_next > 0 ? num_limited(d, d->heap[0]->phone, time_now()) : NULL;
		struct prov *p = e ? NULL : pick(d, d->heap[0], now, &probe, &none, &hu);

		if (e != NULL) {
			wait_limited(d, dsp_heap_pop(d), e);
		} else if (p != NULL) {
			start(d, d->free_slots, p, probe, now);
		} else if (none) {
			fail_row(d, NULL, dsp_heap_pop(d),
				 _("no configured provider can carry this message"));
		} else if (hu != 0) {
			wait_halted(d, dsp_heap_pop(d), hu, now);
		} else {
			return;
		}
	}
	if (d->nheap > 0 && d->free_slots == NULL)
		d->blocked_until_ms = NEVER;
}

/* ---- verdicts -------------------------------------------------------------------- */

static void
breaker_note(struct prov *p, bool fault, int64_t now)
{
	const struct provider_conf *pc = p->pc;

	if (!fault) {
		if (p->br != BR_CLOSED)
			log_info("provider %s is answering again", pc->name);
		p->br = BR_CLOSED;
		p->fails = 0;
		return;
	}
	p->fails++;
	if (p->br == BR_HALF_OPEN || (p->br == BR_CLOSED && p->fails >= pc->breaker_failures)) {
		p->br = BR_OPEN;
		p->open_until_ms = now + pc->breaker_rest_ms;
		log_warnx("provider %s: %d failures in a row; resting %ld s, traffic goes to the next provider",
			  pc->name, p->fails, pc->breaker_rest_ms / 1000);
	}
}

/* p refused everything: stop using it now; the next job writes it (and alerts). */
static void
halt(struct prov *p, const struct provider_verdict *v, int64_t now)
{
	p->trial_ms = now + (p->pc->halt_retry_ms > 0 ? p->pc->halt_retry_ms : 600000);
	if (p->halted)
		return;
	p->halted = true;
	snprintf(p->halt_code, sizeof(p->halt_code), "%s", v->code);
	snprintf(p->halt_reason, sizeof(p->halt_reason), "%s", v->reason);
	p->pending = HALT_SET;
	p->gen++;
	log_warnx(_("provider %s halted: %s; no more traffic through it until \"duban provider "
		    "resume %s\", a reload, or a trial request every %ld s goes through"),
		  p->pc->name, v->reason[0] ? v->reason : v->code, p->pc->name,
		  (p->trial_ms - now) / 1000);
}

static void
unhalt(struct prov *p, const char *why)
{
	if (!p->halted)
		return;
	p->halted = false;
	p->pending = HALT_CLEAR;
	p->clear_by = "trial";
	p->gen++;
	log_info(_("provider %s resumed: %s"), p->pc->name, why);
}

void
dispatch_resume_all(struct dispatch *d, const char *by)
{
	for (size_t i = 0; i < d->nprov; i++) {
		d->prov[i].halted = false;
		d->prov[i].pending = HALT_CLEAR;
		d->prov[i].clear_by = by;
		d->prov[i].gen++;
	}
}

/* The common part of row i's result. */
static struct send_result *
row_result(struct dispatch *d, struct slot *s, size_t i, const struct provider_verdict *v,
	   long status, int64_t now)
{
	struct send_result *r = dsp_result_new(d, s->msgs[i]->id, SEND_SENT);

	if (r == NULL)
		return NULL;
	r->at = s->start_at;
	r->http_status = status;
	r->latency_ms = (long)(now - s->start_ms);
	r->attempt = provider_result_name(v->result);
	copy_str(r->provider, sizeof(r->provider), s->prov->pc->name);
	copy_str(r->code, sizeof(r->code), v->code);
	r->parts = s->parts[i];
	r->billed = v->parts;
	r->text = s->text[i];
	s->text[i] = NULL;
	return r;
}

enum send_outcome
dispatch_outcome(const struct provider_verdict *v, int attempts, int retries_max)
{
	switch (v->result) {
	case PROVIDER_ACCEPTED: return SEND_SENT;
	case PROVIDER_HALTED: return SEND_NOTE;
	case PROVIDER_LIMITED: return SEND_WAIT;
	case PROVIDER_PERMANENT: return SEND_FAILED;
	default: return attempts + 1 > retries_max ? SEND_FAILED : SEND_RETRY;
	}
}

/*
 * Turn row i's verdict into its next state.  Returns true when the row
 * goes back into the heap (its provider halted: the next one takes it)
 * rather than to the database.
 */
static bool
record(struct dispatch *d, struct slot *s, size_t i, const struct provider_verdict *v,
       long status, long retry_after_s, int64_t now)
{
	const struct provider_conf *pc = s->prov->pc;
	struct lease_msg *m = s->msgs[i];
	struct send_result *r = row_result(d, s, i, v, status, now);
	char masked[PHONE_MAX];
	int n = m->attempts + 1;

	if (r == NULL)
		return false;
	r->outcome = dispatch_outcome(v, m->attempts, pc->retries.max);
	if (r->outcome != SEND_SENT || log_enabled(LOG_DEBUG))
		phone_mask(m->phone, masked, sizeof(masked));
	if (r->outcome == SEND_SENT) {
		copy_str(r->provider_ref, sizeof(r->provider_ref), v->ref);
		d->stats.sent++;
		if (log_enabled(LOG_DEBUG)) {
			char ref[PROVIDER_REF_MAX];
			log_debug("message #%" PRId64 " to %s sent via %s (%s) in %ld ms", m->id,
				  masked, pc->name,
				  v->ref[0] ? phone_mask_ref(v->ref, ref, sizeof(ref)) : "no id",
				  r->latency_ms);
		}
	} else if (r->outcome == SEND_NOTE) {
		snprintf(r->error, sizeof(r->error), "%s", v->reason);
		return dsp_heap_push(d, m) == 0;
	} else if (r->outcome == SEND_WAIT) {
		long w = v->wait_s > 0 ? v->wait_s : 60;
		r->not_before = time_now() + (w > 86400 * 2 ? 86400 * 2 : w);
		snprintf(r->error, sizeof(r->error), _("waiting: %s limits this number (%s)"),
			 pc->name, v->code[0] ? v->code : v->reason);
		num_limit(d, m->phone, r->not_before, r->error);
		d->stats.waited++;
		log_info("message #%" PRId64 " to %s: %s refuses this number for %ld s (%s); it waits",
			 m->id, masked, pc->name, w, v->reason);
	} else if (r->outcome == SEND_FAILED) {
		if (v->result == PROVIDER_PERMANENT)
			snprintf(r->error, sizeof(r->error), "%s", v->reason);
		else
			snprintf(r->error, sizeof(r->error), "gave up after %d attempts: %.200s", n,
				 v->reason);
		d->stats.failed++;
		log_info("message #%" PRId64 " to %s failed via %s: %s", m->id, masked, pc->name,
			 r->error);
	} else {
		long wait = dispatch_backoff_ms(&pc->retries, n, &d->rng);
		if (retry_after_s > 0 && retry_after_s * 1000 > wait)
			wait = retry_after_s > 86400 ? 86400000 : retry_after_s * 1000;
		r->not_before = time_now() + (wait + 999) / 1000;
		snprintf(r->error, sizeof(r->error), "%s", v->reason);
		d->stats.retried++;
		log_debug("message #%" PRId64 " to %s: %s via %s; retry %d in %ld ms", m->id, masked,
			  v->reason, pc->name, n, wait);
	}
	return false;
}

/* The verdicts of a finished request into s->v. */
static void
classify(struct dispatch *d, struct slot *s, CURLcode cc, long *status, curl_off_t *ra)
{
	struct provider_reply rep;

	(void)d;
	*status = 0;
	*ra = -1;
	if (cc != CURLE_OK) {
		memset(s->v, 0, s->nmsg * sizeof(*s->v));
		for (size_t i = 0; i < s->nmsg; i++) {
			s->v[i].result = PROVIDER_TRANSIENT;
			s->v[i].provider_fault = true;
			if (s->too_big)
				snprintf(s->v[i].reason, sizeof(s->v[i].reason),
					 "reply longer than %d bytes", PROVIDER_REPLY_MAX);
			else
				snprintf(s->v[i].reason, sizeof(s->v[i].reason), "%s",
					 s->errbuf[0] ? s->errbuf : curl_easy_strerror(cc));
		}
		return;
	}
	curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, status);
	curl_easy_getinfo(s->easy, CURLINFO_RETRY_AFTER, ra);
	rep.status = *status;
	rep.body = s->resp.data ? s->resp.data : "";
	rep.len = s->resp.len;
	provider_classify_batch(s->prov->pc, s->pm, s->nmsg, &rep, s->v);
}

/*
 * A batch refused because of one number (v.drop): that row fails with the
 * provider's code, the others go back into the heap, unburned, to be sent
 * again without it.  True when there was such a row.
 */
static bool
drop_bad(struct dispatch *d, struct slot *s, long status, int64_t now)
{
	bool any = false;

	for (size_t i = 0; i < s->nmsg; i++)
		any = any || s->v[i].drop;
	if (!any || s->nmsg < 2)
		return false;
	for (size_t i = 0; i < s->nmsg; i++) {
		if (s->v[i].drop) {
			s->v[i].result = PROVIDER_PERMANENT;
			record(d, s, i, &s->v[i], status, 0, now);
			free(s->msgs[i]);
		} else if (s->v[i].result != PROVIDER_ACCEPTED && dsp_heap_push(d, s->msgs[i]) == 0) {
			; /* sent again with the next request */
		} else {
			if (record(d, s, i, &s->v[i], status, 0, now))
				continue;
			free(s->msgs[i]);
		}
		s->msgs[i] = NULL;
	}
	return true;
}

static void
finish(struct dispatch *d, struct slot *s, CURLcode cc)
{
	struct prov *p = s->prov;
	int64_t now = time_mono_ms();
	long status;
	curl_off_t ra;
	bool halted = false, accepted = false;

	classify(d, s, cc, &status, &ra);
	breaker_note(p, s->nmsg > 0 && s->v[0].provider_fault, now);
	for (size_t i = 0; i < s->nmsg; i++) {
		halted = halted || s->v[i].result == PROVIDER_HALTED;
		accepted = accepted || s->v[i].result == PROVIDER_ACCEPTED;
	}
	if (halted)
		for (size_t i = 0; i < s->nmsg; i++)
			if (s->v[i].result == PROVIDER_HALTED) {
				halt(p, &s->v[i], now);
				break;
			}
	if (s->probe && p->halted && !halted) {
		if (accepted)
			unhalt(p, _("a trial request went through"));
		else
			p->trial_ms = now + (p->pc->halt_retry_ms > 0 ? p->pc->halt_retry_ms : 600000);
	}
	if (!drop_bad(d, s, status, now)) {
		for (size_t i = 0; i < s->nmsg; i++) {
			if (!record(d, s, i, &s->v[i], status, ra > 0 ? (long)ra : 0, now))
				free(s->msgs[i]);
			s->msgs[i] = NULL;
		}
	}
	dsp_slot_clear(s, false);
	slot_shrink(s);
	curl_slist_free_all(s->hdrs);
	s->hdrs = NULL;
	if (s->probe)
		p->probing = false;
	p->inflight--;
	d->inflight--;
	s->next_free = d->free_slots;
	d->free_slots = s;
}

void
dsp_collect(struct dispatch *d)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(d->multi, &left)) != NULL) {
		struct slot *s = NULL;
		CURLcode cc;

		if (msg->msg != CURLMSG_DONE)
			continue;
		cc = msg->data.result;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
		curl_multi_remove_handle(d->multi, msg->easy_handle);
		if (s != NULL)
			finish(d, s, cc);
	}
}

/* ---- halts in the database -------------------------------------------------------- */

void
dsp_halt_post(struct dispatch *d, struct dbjob *j)
{
	for (size_t i = 0; i < d->nprov; i++) {
		struct prov *p = &d->prov[i];
		struct halt_ev *e = &j->ev[i];

		e->provider = p->pc->name;
		e->op = p->pending;
		e->by = p->clear_by ? p->clear_by : "trial";
		snprintf(e->code, sizeof(e->code), "%s", p->halt_code);
		snprintf(e->reason, sizeof(e->reason), "%s", p->halt_reason);
		j->gen[i] = p->gen;
		p->pending = HALT_NONE;
	}
}

/* Queue the SMS alert of a new halt to every number of alerts.to (once per halt: a
 * dedupe key); *queued false when no other provider can carry it. */
static int
queue_alerts(struct dispatch *d, const struct halt_ev *e, int64_t at, bool *queued)
{
	const struct alerts_conf *ac = &d->cfg->alerts;
	char body[600], key[160];
	struct sms_info info;
	struct timespec ts;

	*queued = false;
	snprintf(body, sizeof(body),
		 "duban：短信通道 %s 已停止发送（%s）。其余消息改由其他通道发送；处理后请运行 "
		 "duban provider resume %s",
		 e->provider, e->code[0] ? e->code : e->reason, e->provider);
	if (sms_measure(body, d->cfg->signature, &info, NULL, 0) != 0)
		return STORE_OK;
	bool carried = false;
	for (size_t i = 0; i < d->nprov; i++)
		carried = carried || (strcmp(d->prov[i].pc->name, e->provider) != 0 &&
				      route_can_carry(d->prov[i].pc, NULL, NULL));
	if (!carried) {
		log_warnx(_("provider %s halted: no other provider can carry the SMS alert to "
			    "alerts.to (a free text); only the log, /healthz and /metrics say so"),
			  e->provider);
		return STORE_OK;
	}
	/* One alert per halt: two halts in the same second are two. */
	clock_gettime(CLOCK_REALTIME, &ts);
	for (size_t i = 0; i < ac->nto; i++) {
		struct message m = { 0 };
		int rc;

		snprintf(key, sizeof(key), "halt:%s:%" PRId64 ".%09ld:%s", e->provider, at,
			 (long)ts.tv_nsec, ac->to[i]);
		m.phone = ac->to[i];
		m.body = body;
		m.encoding = (char *)sms_encoding_name(info.encoding);
		m.parts = (int)info.parts;
		m.kind = "manual";
		m.dedupe_key = key;
		m.priority = PRIO_URGENT;
		m.urgent = true;
		if ((rc = store_msg_add(d->dbst, &m, NULL)) != STORE_OK && rc != STORE_EXISTS)
			return rc;
	}
	*queued = true;
	return STORE_OK;
}

struct state_read {
	struct dispatch *d;
	struct dbjob *j;
};

static int
state_row(void *arg, const struct provider_state *ps)
{
	struct state_read *sr = arg;

	for (size_t i = 0; i < sr->d->nprov; i++)
		if (strcmp(sr->d->prov[i].pc->name, ps->name) == 0) {
			sr->j->halted[i] = ps->halted_at != 0;
			snprintf(sr->j->hcode[i], sizeof(sr->j->hcode[i]), "%.63s",
				 ps->code[0] ? ps->code : ps->reason);
		}
	return 0;
}

/* Write the job's halts and resumes (alerts with new halts): 0 or a STORE_* code. */
static int
halt_write(struct dispatch *d, struct dbjob *j)
{
	struct store *st = d->dbst;
	int64_t now = time_now();
	bool any = false, first, queued;
	int rc;

	for (size_t i = 0; i < d->nprov; i++)
		any = any || j->ev[i].op != HALT_NONE;
	if (!any)
		return STORE_OK;
	if ((rc = store_begin(st)) != STORE_OK)
		return rc;
	for (size_t i = 0; i < d->nprov && rc == STORE_OK; i++) {
		const struct halt_ev *e = &j->ev[i];
		if (e->op == HALT_SET) {
			rc = store_provider_halt(st, e->provider, e->code, e->reason, now, &first);
			if (rc == STORE_OK && first && d->cfg->alerts.nto > 0 &&
			    (rc = queue_alerts(d, e, now, &queued)) == STORE_OK && queued)
				rc = store_provider_alerted(st, e->provider, now);
			if (rc == STORE_OK && first)
				rc = store_event(st, "dispatcher", "provider.halt", e->provider,
						 e->code[0] ? e->code : e->reason);
		} else if (e->op == HALT_CLEAR) {
			rc = store_provider_resume(st, e->provider, now, e->by, &first);
			if (rc == STORE_OK && first)
				rc = store_event(st, "dispatcher", "provider.resume", e->provider,
						 e->by);
		}
	}
	if (rc != STORE_OK) {
		store_rollback(st);
		return rc;
	}
	return store_commit(st);
}

void
dsp_halt_db(struct dispatch *d, struct dbjob *j)
{
	struct state_read sr = { d, j };

	j->state_rc = false;
	if (halt_write(d, j) != STORE_OK) {
		log_warnx("recording a provider's halt: %s (trying again with the next job)",
			  store_errmsg(d->dbst));
		return; /* the events stay in the job: collect hands them back */
	}
	for (size_t i = 0; i < d->nprov; i++) {
		j->ev[i].op = HALT_NONE;
		j->halted[i] = false;
		j->hcode[i][0] = '\0';
	}
	j->state_rc = store_provider_each(d->dbst, state_row, &sr) == STORE_OK;
}

void
dsp_halt_collect(struct dispatch *d, struct dbjob *j)
{
	int64_t now = time_mono_ms();

	for (size_t i = 0; i < d->nprov; i++) {
		struct prov *p = &d->prov[i];
		if (j->ev[i].op != HALT_NONE && p->pending == HALT_NONE)
			p->pending = j->ev[i].op; /* not written: with the next job */
		j->ev[i].op = HALT_NONE;
		if (!j->state_rc || j->gen[i] != p->gen || p->pending != HALT_NONE)
			continue;
		if (j->halted[i] && !p->halted) {
			p->halted = true;
			p->trial_ms = now + (p->pc->halt_retry_ms > 0 ? p->pc->halt_retry_ms : 600000);
			snprintf(p->halt_code, sizeof(p->halt_code), "%s", j->hcode[i]);
			log_warnx(_("provider %s is halted (%s): no traffic through it until \"duban "
				    "provider resume %s\""),
				  p->pc->name, j->hcode[i], p->pc->name);
		} else if (!j->halted[i] && p->halted) {
			p->halted = false;
			p->halt_code[0] = '\0';
			log_info(_("provider %s resumed (duban provider resume)"), p->pc->name);
			dispatch_poke(d);
		}
	}
}
