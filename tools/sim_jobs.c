/*
 * sim_jobs.c - smsc-sim's three bounded job queues and their worker threads:
 * delayed replies (--delay-ms: the connection is suspended and a worker
 * resumes it when due, so no server thread ever sleeps), delivery reports
 * (JSON POSTs to --dlr-url, or GETs of a Kannel dlr-url with its escapes
 * expanded) and MO posts to --mo-url.  Each queue is a min-heap ordered by
 * due time (CLOCK_MONOTONIC) under one mutex; its workers wait on a condition
 * variable until the earliest job is due, and each keeps one curl handle so
 * that connections to duban stay alive.  The queues live in struct sim.
 * With --sign-secret every request to duban is signed the way duban's
 * README tells a provider to, written here from that text rather than
 * from duban's code, so that the two are checked against each other.
 */
#include <inttypes.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>

#include "sim.h"

static int cond_init_mono(pthread_cond_t *cv)
{
	pthread_condattr_t a;
	int rc;

	if (pthread_condattr_init(&a) != 0)
		return -1;
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	rc = pthread_cond_init(cv, &a);
	pthread_condattr_destroy(&a);
	return rc == 0 ? 0 : -1;
}

struct job *sim_job_new(enum job_kind kind, struct field id, struct field to,
			struct field from, struct field url)
{
	const struct field src[4] = { [F_ID] = id, [F_TO] = to, [F_FROM] = from, [F_URL] = url };
	struct job *j = calloc(1, sizeof *j + id.n + to.n + from.n + url.n + 4);
	char *d;

	if (j == NULL)
		return NULL;
	j->kind = kind;
	d = j->data;
	for (int k = 0; k < 4; k++) {
		if (src[k].p == NULL)
			continue;
		memcpy(d, src[k].p, src[k].n);
		d[src[k].n] = '\0';
		j->f[k] = (struct field){ d, src[k].n };
		d += src[k].n + 1;
	}
	return j;
}

static void heap_swap(struct job **a, struct job **b)
{
	struct job *t = *a;

	*a = *b;
	*b = t;
}

static struct job *heap_pop(struct outq *q)
{
	struct job *top = q->heap[0];
	size_t i = 0, l, m;

	q->heap[0] = q->heap[--q->n];
	for (;;) {
		l = 2 * i + 1;
		m = i;
		if (l < q->n && q->heap[l]->due < q->heap[m]->due)
			m = l;
		if (l + 1 < q->n && q->heap[l + 1]->due < q->heap[m]->due)
			m = l + 1;
		if (m == i)
			return top;
		heap_swap(&q->heap[i], &q->heap[m]);
		i = m;
	}
}

/* The heap is ordered by due time; a worker waits for the earliest job. */
int sim_outq_push(struct outq *q, struct job *j, struct MHD_Connection *conn)
{
	size_t i;

	pthread_mutex_lock(&q->mu);
	if (q->stopping || q->n == q->cap) {
		pthread_mutex_unlock(&q->mu);
		return -1;
	}
	if (conn != NULL)  /* under the lock, so no worker can resume it first */
		MHD_suspend_connection(conn);
	i = q->n++;
	q->heap[i] = j;
	for (; i > 0 && q->heap[(i - 1) / 2]->due > q->heap[i]->due; i = (i - 1) / 2)
		heap_swap(&q->heap[(i - 1) / 2], &q->heap[i]);
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	return 0;
}

/* Appends v URL-encoded (RFC 3986 unreserved kept) to out[*o..cap); -1 if it does not fit. */
static int put_urlenc(char *out, size_t *o, size_t cap, struct field v)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < v.n; i++) {
		unsigned char c = (unsigned char)v.p[i];
		bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			     (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~';

		if (*o + 3 >= cap)
			return -1;
		if (plain) {
			out[(*o)++] = (char)c;
		} else {
			out[(*o)++] = '%';
			out[(*o)++] = hex[c >> 4];
			out[(*o)++] = hex[c & 15];
		}
	}
	return 0;
}

/* Keeps the first bytes of the answer in the struct buf u (if any); the rest is dropped. */
static size_t keep_body(char *p, size_t size, size_t nmemb, void *u)
{
	struct buf *b = u;

	if (b != NULL && b->len + size * nmemb <= b->max)
		buf_add(b, p, size * nmemb);
	return size * nmemb;
}

/*
 * The signature headers of a request to url (GET when json is NULL) under
 * secret, added to *hdr: X-Duban-Timestamp (Unix seconds) and
 * X-Duban-Signature: sha256= the hex HMAC-SHA256 of
 * TIMESTAMP \n METHOD \n PATH \n QUERY \n BODY, each as sent.
 * Returns 0, or -1 when out of memory or the URL has no path.
 */
static int sign_request(const char *secret, const char *url, const char *json,
			struct curl_slist **hdr)
{
	const char *host = strstr(url, "://"), *path, *q;
	char ts[32], line[128], *msg;
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	size_t plen, n;
	int len;

	if (host == NULL || (path = strchr(host + 3, '/')) == NULL)
		return -1;
	q = strchr(path, '?');
	plen = q ? (size_t)(q - path) : strlen(path);
	snprintf(ts, sizeof ts, "%" PRId64, clock_ms(CLOCK_REALTIME) / 1000);
	n = strlen(ts) + strlen(path) + strlen(json ? json : "") + 16;
	if ((msg = malloc(n)) == NULL)
		return -1;
	len = snprintf(msg, n, "%s\n%s\n%.*s\n%s\n%s", ts, json ? "POST" : "GET", (int)plen, path,
		       q ? q + 1 : "", json ? json : "");
	if (len < 0 || (size_t)len >= n ||
	    HMAC(EVP_sha256(), secret, (int)strlen(secret), (unsigned char *)msg, (size_t)len, mac,
		 &maclen) == NULL) {
		free(msg);
		return -1;
	}
	free(msg);
	snprintf(line, sizeof line, "X-Duban-Timestamp: %s", ts);
	*hdr = curl_slist_append(*hdr, line);
	len = snprintf(line, sizeof line, "X-Duban-Signature: sha256=");
	for (unsigned i = 0; i < maclen && (size_t)len + 3 < sizeof line; i++)
		len += snprintf(line + len, sizeof line - (size_t)len, "%02x", mac[i]);
	*hdr = curl_slist_append(*hdr, line);
	return 0;
}

/* One GET (json NULL) or JSON POST; the answer's start goes to ans (may be NULL).
 * Returns 0 with *status, or -1 with err filled in. */
static int http_call(CURL *h, char *ebuf, const char *url, const char *json, const char *secret,
		     struct buf *ans, long *status, char *err, size_t errlen)
{
	struct curl_slist *hdr = NULL;
	CURLcode rc;

	*status = 0;
	if (h == NULL) {
		snprintf(err, errlen, "curl_easy_init failed");
		return -1;
	}
	curl_easy_reset(h);  /* keeps the connection cache: keep-alive survives */
	ebuf[0] = '\0';
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, HTTP_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, keep_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, ans);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
	if (secret != NULL && sign_request(secret, url, json, &hdr) != 0) {
		curl_slist_free_all(hdr);
		snprintf(err, errlen, "cannot sign a request to %s", url);
		return -1;
	}
	if (json != NULL) {
		hdr = curl_slist_append(hdr, "Content-Type: application/json");
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, json);
	}
	if (hdr != NULL)
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	rc = curl_easy_perform(h);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdr);
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "%s", ebuf[0] != '\0' ? ebuf : curl_easy_strerror(rc));
		return -1;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	return 0;
}

/* Expands Kannel's dlr-url escapes %d %p %P %q %T %i %F %% into out; -1 if too long. */
static int kannel_expand(const struct job *j, char *out, size_t cap)
{
	const struct field url = j->f[F_URL];
	char num[32];
	size_t o = 0;
	struct field v;

	for (size_t i = 0; i < url.n; i++) {
		char ch = url.p[i], code = i + 1 < url.n ? url.p[i + 1] : '\0';

		v = no_field;
		if (ch == '%' && code != '\0' && strchr("dpPqTiF", code) != NULL) {
			i++;
			if (code == 'd') {
				v = (struct field){ j->delivered ? "1" : "2", 1 };
			} else if (code == 'p' || code == 'q') {
				v = j->f[F_TO];
				if (code == 'q' && v.n > 0 && v.p[0] == '+')
					v = (struct field){ v.p + 1, v.n - 1 };
			} else if (code == 'P') {
				v = j->f[F_FROM];
			} else if (code == 'i') {
				v = (struct field){ "sim", 3 };
			} else {
				if (code == 'T')
					snprintf(num, sizeof num, "%" PRId64, clock_ms(CLOCK_REALTIME) / 1000);
				else
					snprintf(num, sizeof num, "sim-%" PRIu64, j->msgid);
				v = (struct field){ num, strlen(num) };
			}
			if (v.p != NULL && put_urlenc(out, &o, cap, v) < 0)
				return -1;
			continue;
		}
		if (o + 1 >= cap)
			return -1;
		out[o++] = ch;
		if (ch == '%' && code == '%')
			i++;  /* %% is a literal % */
	}
	out[o] = '\0';
	return 0;
}

static void run_dlr(struct sim *s, CURL *h, char *ebuf, struct job *j)
{
	char err[CURL_ERROR_SIZE + 64], url[URL_MAX], msgid[32];
	json_t *o = NULL;
	char *body = NULL;
	long status = 0;
	int rc = -1;

	snprintf(err, sizeof err, "out of memory");
	if (j->kind == JOB_DLR_JSON) {
		snprintf(msgid, sizeof msgid, "sim-%" PRIu64, j->msgid);
		o = json_pack("{s:s,s:o,s:o,s:s,s:s,s:I}", "msgid", msgid, "id", sim_jstr(j->f[F_ID]),
			      "to", sim_jstr(j->f[F_TO]), "status", j->delivered ? "DELIVRD" : "UNDELIV",
			      "err", j->delivered ? "000" : "001",
			      "time", (json_int_t)(clock_ms(CLOCK_REALTIME) / 1000));
		body = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
		if (body != NULL)
			rc = http_call(h, ebuf, s->o.dlr_url, body, s->o.sign_secret, NULL, &status, err,
				       sizeof err);
	} else if (kannel_expand(j, url, sizeof url) == 0) {
		rc = http_call(h, ebuf, url, NULL, s->o.sign_secret, NULL, &status, err, sizeof err);
	} else {
		snprintf(err, sizeof err, "expanded dlr-url longer than %d bytes", URL_MAX);
	}
	json_decref(o);
	free(body);
	if (rc == 0 && status >= 200 && status < 300) {
		atomic_fetch_add(&s->ctr.dlr_sent, 1);
		return;
	}
	if (rc == 0)
		snprintf(err, sizeof err, "HTTP status %ld", status);
	if (worth_logging(atomic_fetch_add(&s->ctr.dlr_errors, 1) + 1))
		sim_log(s, false, "delivery report for sim-%" PRIu64 " failed: %s", j->msgid, err);
}

static int push_queue(struct sim *s, const char *url, char *body, size_t count, bool array,
		      long delay_ms, int attempt);

/* The delay before try attempt+1 of a push: --push-retry-ms times 1, 5, 10, 10, ... */
static long push_backoff(const struct sim *s, int attempt)
{
	static const long mult[] = { 1, 5, 10 };

	return s->o.push_retry_ms * mult[attempt <= 1 ? 0 : attempt == 2 ? 1 : 2];
}

/* Posts an MO, stores the outcome in the waiting request and resumes it.  In
 * the --api modes an answer that is not the expected one is pushed again later. */
static void run_mo(struct sim *s, CURL *h, char *ebuf, struct job *j)
{
	struct req *r = j->req;
	bool array = s->cn != NULL && s->cn->mode == API_ALIYUN;
	char *wrapped = NULL, *item;
	struct buf ans;
	size_t n = strlen(j->body);

	r->mo_err[0] = '\0';
	r->mo_accepted = false;
	buf_init(&ans, 4096);
	if (array && (wrapped = malloc(n + 3)) != NULL) {
		wrapped[0] = '[';
		memcpy(wrapped + 1, j->body, n);
		memcpy(wrapped + 1 + n, "]", 2);
	}
	if (array && wrapped == NULL)
		snprintf(r->mo_err, sizeof r->mo_err, "out of memory");
	else if (http_call(h, ebuf, s->o.mo_url, array ? wrapped : j->body, s->o.sign_secret, &ans,
			   &r->mo_status, r->mo_err, sizeof r->mo_err) < 0)
		r->mo_status = 0;
	if (s->cn != NULL && r->mo_status > 0)
		r->mo_accepted = sim_cn_push_answer_ok(s, r->mo_status, ans.data ? ans.data : "", ans.len);
	if (r->mo_status == 0 || (s->cn != NULL && !r->mo_accepted))
		atomic_fetch_add(&s->ctr.mo_errors, 1);
	else
		atomic_fetch_add(&s->ctr.mo_sent, 1);
	if (s->cn != NULL && !r->mo_accepted && (item = strdup(j->body)) != NULL) {
		atomic_fetch_add(&s->ctr.push_retries, 1);
		push_queue(s, s->o.mo_url, item, 1, array, push_backoff(s, 1), 1);
	}
	free(wrapped);
	buf_free(&ans);
	r->mo = MO_DONE;
	MHD_resume_connection(j->conn);
}

/* POSTs a push (merged items in an array, or one object); on an unexpected answer
 * it is queued again until --push-retries retries have been made. */
static void run_push(struct sim *s, CURL *h, char *ebuf, struct job *j)
{
	bool mo = j->url == s->o.mo_url, ok = false;
	char err[CURL_ERROR_SIZE + 64];
	size_t n = strlen(j->body);
	uint64_t seen = atomic_load(&s->ctr.max_push_batch);
	char *body = j->array ? malloc(n + 3) : j->body;
	struct buf ans;
	long status = 0;

	buf_init(&ans, 4096);
	if (body != NULL && j->array) {
		body[0] = '[';
		memcpy(body + 1, j->body, n);
		memcpy(body + 1 + n, "]", 2);
	}
	atomic_fetch_add(&s->ctr.pushes, 1);
	atomic_fetch_add(&s->ctr.push_items, j->count);
	while (j->count > seen && !atomic_compare_exchange_weak(&s->ctr.max_push_batch, &seen, j->count))
		;
	snprintf(err, sizeof err, "out of memory");
	if (body != NULL && http_call(h, ebuf, j->url, body, s->o.sign_secret, &ans, &status, err,
				      sizeof err) == 0) {
		ok = sim_cn_push_answer_ok(s, status, ans.data ? ans.data : "", ans.len);
		if (!ok)
			snprintf(err, sizeof err, "HTTP status %ld, answer %.200s", status,
				 ans.data ? ans.data : "");
	}
	if (j->array)
		free(body);
	buf_free(&ans);
	if (ok) {
		atomic_fetch_add(mo ? &s->ctr.mo_sent : &s->ctr.dlr_sent, mo ? 1 : j->count);
		return;
	}
	atomic_fetch_add(mo ? &s->ctr.mo_errors : &s->ctr.dlr_errors, mo ? 1 : j->count);
	if (worth_logging(atomic_fetch_add(&s->ctr.push_bad_answers, 1) + 1))
		sim_log(s, false, "push of %zu to %s, try %d: %s", j->count, mo ? "--mo-url" : "--dlr-url",
			j->attempt + 1, err);
	if (j->attempt + 1 > s->o.push_retries) {
		atomic_fetch_add(&s->ctr.push_given_up, j->count);
		return;
	}
	atomic_fetch_add(&s->ctr.push_retries, 1);
	push_queue(s, j->url, j->body, j->count, j->array, push_backoff(s, j->attempt + 1), j->attempt + 1);
	j->body = NULL;  /* the new job owns it */
}

static int push_queue(struct sim *s, const char *url, char *body, size_t count, bool array,
		      long delay_ms, int attempt)
{
	struct job *j = body != NULL ? sim_job_new(JOB_PUSH, no_field, no_field, no_field, no_field) : NULL;

	if (j != NULL) {
		j->body = body;
		j->count = count;
		j->array = array;
		j->url = url;
		j->attempt = attempt;
		j->due = clock_ms(CLOCK_MONOTONIC) + delay_ms;
		if (sim_outq_push(&s->dlrq, j, NULL) == 0)
			return 0;
		free(j);
	}
	free(body);
	if (worth_logging(atomic_fetch_add(&s->ctr.dlr_queue_drops, count) + 1))
		sim_log(s, true, "push queue full (%d): %zu reports dropped", DLR_QUEUE_MAX, count);
	return -1;
}

int sim_push(struct sim *s, const char *url, char *body, size_t count, bool array, long delay_ms)
{
	return push_queue(s, url, body, count, array, delay_ms, 0);
}

/* Takes due array pushes to the same URL off the heap into j, up to --push-batch
 * items in all (called with the queue locked). */
static void push_merge(struct outq *q, struct job *j)
{
	int64_t now = clock_ms(CLOCK_MONOTONIC);
	size_t max = (size_t)q->sim->o.push_batch, n, m;
	struct job *o;
	char *nb;

	while (j->array && q->n > 0 && (o = q->heap[0])->kind == JOB_PUSH && o->array &&
	       o->url == j->url && o->due <= now && j->count + o->count <= max) {
		n = strlen(j->body);
		m = strlen(o->body);
		nb = realloc(j->body, n + m + 2);
		if (nb == NULL)
			return;
		j->body = nb;
		nb[n] = ',';
		memcpy(nb + n + 1, o->body, m + 1);
		j->count += o->count;
		heap_pop(q);
		free(o->body);
		free(o);
	}
}

/* A job left in a stopping queue: delayed replies and MOs are answered now. */
static void job_abandon(struct sim *s, struct job *j)
{
	if (j->kind == JOB_MO) {
		snprintf(j->req->mo_err, sizeof j->req->mo_err, "simulator shutting down");
		j->req->mo_status = 0;
		j->req->mo = MO_DONE;
	}
	if (j->conn != NULL)
		MHD_resume_connection(j->conn);
	else
		atomic_fetch_add(&s->ctr.dlr_queue_drops, j->kind == JOB_PUSH ? j->count : 1);
	free(j->body);
	free(j);
}

static void *outq_main(void *arg)
{
	struct outq *q = arg;
	char ebuf[CURL_ERROR_SIZE];
	struct timespec ts;
	struct job *j;
	CURL *h = NULL;

	pthread_mutex_lock(&q->mu);
	while (!q->stopping) {
		if (q->n == 0) {
			pthread_cond_wait(&q->cv, &q->mu);
			continue;
		}
		if (q->heap[0]->due > clock_ms(CLOCK_MONOTONIC)) {
			ts.tv_sec = (time_t)(q->heap[0]->due / 1000);
			ts.tv_nsec = (long)(q->heap[0]->due % 1000) * 1000000L;
			pthread_cond_timedwait(&q->cv, &q->mu, &ts);
			continue;
		}
		j = heap_pop(q);
		if (j->kind == JOB_PUSH)
			push_merge(q, j);
		pthread_mutex_unlock(&q->mu);
		if (j->kind != JOB_RESUME && h == NULL)
			h = curl_easy_init();  /* one handle per thread: keep-alive to duban */
		if (j->kind == JOB_RESUME)
			MHD_resume_connection(j->conn);
		else if (j->kind == JOB_MO)
			run_mo(q->sim, h, ebuf, j);
		else if (j->kind == JOB_PUSH)
			run_push(q->sim, h, ebuf, j);
		else
			run_dlr(q->sim, h, ebuf, j);
		free(j->body);
		free(j);
		pthread_mutex_lock(&q->mu);
	}
	while (q->n > 0)
		job_abandon(q->sim, heap_pop(q));
	pthread_mutex_unlock(&q->mu);
	if (h != NULL)
		curl_easy_cleanup(h);
	return NULL;
}

int sim_outq_start(struct outq *q, struct sim *s, size_t cap, unsigned nth)
{
	q->sim = s;
	q->cap = cap;
	q->heap = calloc(cap, sizeof *q->heap);
	if (q->heap == NULL || pthread_mutex_init(&q->mu, NULL) != 0 || cond_init_mono(&q->cv) < 0)
		return -1;
	for (q->nth = 0; q->nth < nth; q->nth++)
		if (pthread_create(&q->th[q->nth], NULL, outq_main, q) != 0)
			return -1;
	return 0;
}

/* Queued jobs are abandoned by the workers as they stop (job_abandon). */
void sim_outq_stop(struct outq *q)
{
	if (q->heap == NULL)
		return;
	pthread_mutex_lock(&q->mu);
	q->stopping = true;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	for (unsigned i = 0; i < q->nth; i++)
		pthread_join(q->th[i], NULL);
	q->nth = 0;
	free(q->heap);
	q->heap = NULL;
}
