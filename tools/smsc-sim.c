/*
 * smsc-sim: a fake SMS provider for duban's demos, integration tests and
 * benchmarks (the part Kannel's fakesmsc plays for Kannel).  It serves a
 * generic JSON send API (/sms/send), Kannel's /cgi-bin/sendsms and a control
 * API under /_sim/ that tests use to read counters, take the provider down,
 * change failure rates and inject MO (incoming) messages.  Every "fraction"
 * (failures, 429s, drops, failed delivery reports) is decided by a seeded
 * PRNG keyed by the request's sequence number, so decisions are thread-safe
 * and reproducible for a given request order.  Requests are served by
 * libmicrohttpd's internal epoll thread pool; a reply delay suspends the
 * connection and a timer thread resumes it, so no server thread ever sleeps;
 * delivery reports and MO posts go out from worker threads with libcurl,
 * through bounded queues.  All state lives in one struct sim handed to every
 * callback.  Manual: docs/smsc-sim.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <netdb.h>
#include <pthread.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>

#include <curl/curl.h>
#include <jansson.h>
#include <microhttpd.h>

#define BODY_MAX       (64 * 1024)  /* request body limit; more is a 413 */
#define REQ_INLINE     1024         /* body bytes kept inside struct req */
#define MAX_PARAMS     64           /* query + form parameters per request */
#define CONN_LIMIT     16384        /* concurrent HTTP connections */
#define DLR_QUEUE_MAX  100000       /* pending delivery reports */
#define MO_QUEUE_MAX   256          /* pending MO posts */
#define URL_MAX        8192         /* expanded Kannel dlr-url */
#define MAX_THREADS    64
#define IDSET_SHARDS   64
#define FLUSH_MS       50           /* record file flush period */
#define PPB            1000000000u  /* fractions are kept in parts per 1e9 */
#define HTTP_TIMEOUT_MS 5000L       /* outgoing DLR / MO requests */
#define MO_TO_DEFAULT  "10690000"

#define CT_JSON "application/json"
#define CT_HTML "text/html"

/* Salts that make each per-request random decision independent. */
enum { K_DROP = 1, K_429, K_FAIL, K_DLR };

struct field {
	const char *p;  /* NULL when absent; NUL-terminated when present */
	size_t n;
};

static const struct field no_field = { NULL, 0 };

enum outcome { OUT_ACCEPTED, OUT_FAILED, OUT_REJECTED, OUT_DROPPED };
static const char *const outcome_name[] = {
	"accepted", "failed", "rejected", "dropped"
};

enum route {
	RT_JSON, RT_KANNEL, RT_STATS, RT_DOWN, RT_UP, RT_CONFIG, RT_MO,
	RT_NOTFOUND, RT_BADMETHOD
};

enum canned_id {
	C_J_INVALID_NUMBER, C_J_MISSING_TO, C_J_MISSING_TEXT, C_J_BAD_JSON,
	C_J_UNAUTHORIZED, C_J_500, C_J_503, C_J_429,
	C_K_ACCEPTED, C_K_QUEUED, C_K_AUTH, C_K_MISSING_TO, C_K_DENIED,
	C_K_TEMP,
	C_NOT_FOUND, C_BAD_METHOD, C_TOO_LARGE,
	C_COUNT
};

struct canned_def {
	unsigned status;
	const char *ctype;
	const char *body;
};

/* Fixed replies, built once at start-up and shared by every connection. */
static const struct canned_def canned_defs[C_COUNT] = {
	[C_J_INVALID_NUMBER] = { 400, CT_JSON, "{\"code\":40,\"error\":\"invalid number\"}" },
	[C_J_MISSING_TO] = { 400, CT_JSON, "{\"code\":40,\"error\":\"missing to\"}" },
	[C_J_MISSING_TEXT] = { 400, CT_JSON, "{\"code\":40,\"error\":\"missing text\"}" },
	[C_J_BAD_JSON] = { 400, CT_JSON, "{\"code\":40,\"error\":\"invalid json\"}" },
	[C_J_UNAUTHORIZED] = { 401, CT_JSON, "{\"code\":41,\"error\":\"unauthorized\"}" },
	[C_J_500] = { 500, CT_JSON, "{\"code\":50,\"error\":\"internal error\"}" },
	[C_J_503] = { 503, CT_JSON, "{\"code\":53,\"error\":\"busy\"}" },
	[C_J_429] = { 429, CT_JSON, "{\"code\":29,\"error\":\"rate limited\"}" },
	[C_K_ACCEPTED] = { 202, CT_HTML, "0: Accepted for delivery" },
	[C_K_QUEUED] = { 202, CT_HTML, "3: Queued for later delivery" },
	[C_K_AUTH] = { 403, CT_HTML, "Authorization failed for sendsms" },
	[C_K_MISSING_TO] = { 400, CT_HTML, "Missing receiver number, rejected" },
	[C_K_DENIED] = { 400, CT_HTML,
		"Number(s) has/have been denied by white- and/or black-lists." },
	[C_K_TEMP] = { 503, CT_HTML, "Temporal failure, try again later." },
	[C_NOT_FOUND] = { 404, CT_JSON, "{\"error\":\"not found\"}" },
	[C_BAD_METHOD] = { 405, CT_JSON, "{\"error\":\"method not allowed\"}" },
	[C_TOO_LARGE] = { 413, CT_JSON, "{\"code\":41,\"error\":\"request too large\"}" },
};

struct opts {
	const char *listen, *port_file, *record, *reject, *require_header;
	const char *kannel_user, *kannel_pass, *dlr_url, *mo_url;
	double fail_rate, rate_429, drop_rate, dlr_fail_rate, down_at, down_for;
	long fail_status, retry_after, delay_ms, dlr_delay_ms, threads, dlr_threads;
	unsigned long long seed;
	bool kannel_queued, quiet;
};

struct counters {
	_Atomic uint64_t requests, accepted, failed, rejected, dropped;
	_Atomic uint64_t unique_ids, duplicates;
	_Atomic uint64_t dlr_sent, dlr_errors, dlr_queue_drops, mo_sent, mo_errors;
	_Atomic uint64_t next_msgid, next_mo;
};

struct idshard {
	pthread_mutex_t mu;
	uint64_t *slot;  /* open addressing; 0 = empty */
	size_t cap, n;
};

/* Accepted ids, kept as 64-bit hashes (see docs: collisions are negligible). */
struct idset {
	struct idshard sh[IDSET_SHARDS];
};

enum job_kind { JOB_RESUME, JOB_DLR_JSON, JOB_DLR_KANNEL, JOB_MO };

struct req;

struct job {
	enum job_kind kind;
	bool delivered;
	int64_t due;                  /* CLOCK_MONOTONIC ms */
	uint64_t msgid;
	struct field id, to, from, url;  /* point into data[] */
	char *body;                   /* MO only: JSON to post, owned */
	struct MHD_Connection *conn;  /* RESUME, MO: suspended until done */
	struct req *req;              /* MO only */
	char data[];
};

/* A bounded queue of jobs ordered by due time (a min-heap), served by its own threads. */
struct outq {
	struct sim *sim;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job **heap;
	size_t cap, n;
	bool stopping;
	pthread_t th[MAX_THREADS];
	unsigned nth;
};

struct sim {
	struct opts o;
	uint64_t seed_mix;
	int64_t start_ms;
	regex_t reject_re;
	bool have_reject;
	char hdr_name[128];
	const char *hdr_value;
	struct MHD_Daemon *daemon;
	struct MHD_Response *canned[C_COUNT];
	atomic_uint fail_ppb, rate429_ppb, drop_ppb, dlr_fail_ppb;
	atomic_uint fail_status, delay_ms;
	_Atomic int64_t down_from, down_until;
	struct counters ctr;
	FILE *rec;
	atomic_bool rec_dirty;
	bool rec_error;
	struct idset ids;
	struct outq delayq, dlrq, moq;  /* reply delays, delivery reports, MO posts */
};

enum { MO_NONE, MO_WAITING, MO_DONE };

/* Per-request state, MHD's con_cls. */
struct req {
	enum route route;
	bool too_big;
	int mo;
	long mo_status;
	char mo_err[CURL_ERROR_SIZE];
	struct MHD_Response *pending;  /* reply held back by a delay */
	unsigned pending_status;
	bool pending_owned;
	size_t len, cap;
	char *body;
	char inline_buf[REQ_INLINE];
};

struct kv {
	struct field k, v;
};

struct params {
	struct kv kv[MAX_PARAMS];
	unsigned n;
	bool overflow;
};

/* The fields of one send request, whichever API it came through. */
struct sendinfo {
	const char *api;
	struct field to, text, id, sign, from, dlr_url, dlr_mask;
};

static void logmsg(const struct sim *s, bool always, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ------------------------------------------------------------------ */
/* small helpers                                                       */

static void logmsg(const struct sim *s, bool always, const char *fmt, ...)
{
	va_list ap;

	if (!always && s != NULL && s->o.quiet)
		return;
	va_start(ap, fmt);
	fputs("smsc-sim: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* Log the first few occurrences of a recurring problem, then every 1000th. */
static bool worth_logging(uint64_t count)
{
	return count <= 10 || count % 1000 == 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t unix_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct timespec mono_deadline(int64_t ms)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	return ts;
}

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

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* True with probability ppb/1e9; a pure function of (seed, request, salt). */
static bool chance(const struct sim *s, uint64_t n, unsigned salt, unsigned ppb)
{
	if (ppb == 0)
		return false;
	if (ppb >= PPB)
		return true;
	return mix64(s->seed_mix ^ (n * 8 + salt) * 0x9e3779b97f4a7c15ULL) % PPB < ppb;
}

static unsigned to_ppb(double f)
{
	return (unsigned)(f * (double)PPB + 0.5);
}

static int parse_double(const char *str, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(str, &end);
	if (errno != 0 || end == str || *end != '\0' || !isfinite(v) || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int parse_long(const char *str, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(str, &end, 10);
	if (errno != 0 || end == str || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static bool field_empty(struct field f)
{
	return f.p == NULL || f.n == 0;
}

static bool field_is(struct field f, const char *lit)
{
	return f.p != NULL && f.n == strlen(lit) && memcmp(f.p, lit, f.n) == 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes application/x-www-form-urlencoded bytes in place; returns the new length. */
static size_t url_decode(char *s, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		int hi, lo;

		if (s[i] == '+') {
			s[o++] = ' ';
		} else if (s[i] == '%' && i + 2 < n &&
			   (hi = hexval((unsigned char)s[i + 1])) >= 0 &&
			   (lo = hexval((unsigned char)s[i + 2])) >= 0) {
			s[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else {
			s[o++] = s[i];
		}
	}
	return o;
}

/* Length of the valid UTF-8 sequence at p, or 0 if it is not one. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned c = p[0];
	uint32_t cp, min;
	size_t k, i;

	if (c >= 0xc2 && c <= 0xdf) {
		k = 2; cp = c & 0x1f; min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		k = 3; cp = c & 0x0f; min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		k = 4; cp = c & 0x07; min = 0x10000;
	} else {
		return 0;
	}
	if ((size_t)(end - p) < k)
		return 0;
	for (i = 1; i < k; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return k;
}

/* Writes a JSON string (or null); invalid UTF-8 bytes become U+FFFD.  Caller holds the FILE lock. */
static void put_json_str(FILE *f, struct field v)
{
	const unsigned char *p = (const unsigned char *)v.p, *end;

	if (v.p == NULL) {
		fputs_unlocked("null", f);
		return;
	}
	end = p + v.n;
	putc_unlocked('"', f);
	while (p < end) {
		unsigned c = *p;
		size_t k;

		if (c == '"' || c == '\\') {
			putc_unlocked('\\', f);
			putc_unlocked((int)c, f);
			p++;
		} else if (c < 0x20) {
			if (c == '\n')
				fputs_unlocked("\\n", f);
			else if (c == '\t')
				fputs_unlocked("\\t", f);
			else if (c == '\r')
				fputs_unlocked("\\r", f);
			else
				fprintf(f, "\\u%04x", c);
			p++;
		} else if (c < 0x80) {
			putc_unlocked((int)c, f);
			p++;
		} else if ((k = utf8_len(p, end)) > 0) {
			fwrite_unlocked(p, 1, k, f);
			p += k;
		} else {
			fputs_unlocked("\\ufffd", f);
			p++;
		}
	}
	putc_unlocked('"', f);
}

/* Appends s[0..n) to out[*o..cap) URL-encoded (RFC 3986 unreserved kept). */
static int put_urlenc(char *out, size_t *o, size_t cap, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			     (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~';

		if (*o + (plain ? 1 : 3) >= cap)
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

static json_t *jstr(struct field f)
{
	json_t *v = f.p != NULL ? json_stringn(f.p, f.n) : NULL;

	return v != NULL ? v : json_null();
}

/* ------------------------------------------------------------------ */
/* request parameters (query string and form body)                     */

static enum MHD_Result params_iter(void *cls, enum MHD_ValueKind kind, const char *key,
				   size_t key_size, const char *value, size_t value_size)
{
	struct params *p = cls;

	(void)kind;
	if (p->n == MAX_PARAMS) {
		p->overflow = true;
		return MHD_NO;
	}
	p->kv[p->n].k = (struct field){ key, key_size };
	p->kv[p->n].v = value != NULL ? (struct field){ value, value_size } : (struct field){ "", 0 };
	p->n++;
	return MHD_YES;
}

/* Splits and decodes a form body in place; the pairs point into body. */
static void params_add_form(struct params *p, char *body, size_t len)
{
	char *s = body, *end = body + len;

	while (s < end) {
		char *amp = memchr(s, '&', (size_t)(end - s));
		char *eq, *kend;
		size_t kl, vl;

		if (amp == NULL)
			amp = end;
		if (amp > s) {
			if (p->n == MAX_PARAMS) {
				p->overflow = true;
				return;
			}
			eq = memchr(s, '=', (size_t)(amp - s));
			kend = eq != NULL ? eq : amp;
			kl = url_decode(s, (size_t)(kend - s));
			s[kl] = '\0';
			p->kv[p->n].k = (struct field){ s, kl };
			if (eq != NULL) {
				vl = url_decode(eq + 1, (size_t)(amp - eq - 1));
				eq[1 + vl] = '\0';
				p->kv[p->n].v = (struct field){ eq + 1, vl };
			} else {
				p->kv[p->n].v = (struct field){ "", 0 };
			}
			p->n++;
		}
		s = amp + 1;
	}
}

/* Query parameters, then the form body (if any); first occurrence wins. */
static void params_collect(struct MHD_Connection *c, struct req *r, struct params *p)
{
	p->n = 0;
	p->overflow = false;
	MHD_get_connection_values_n(c, MHD_GET_ARGUMENT_KIND, params_iter, p);
	if (r->len > 0)
		params_add_form(p, r->body, r->len);
}

static struct field param(const struct params *p, const char *key)
{
	size_t kl = strlen(key);
	unsigned i;

	for (i = 0; i < p->n; i++)
		if (p->kv[i].k.n == kl && memcmp(p->kv[i].k.p, key, kl) == 0)
			return p->kv[i].v;
	return (struct field){ NULL, 0 };
}

/* ------------------------------------------------------------------ */
/* record file and accepted-id set                                     */

static void record(struct sim *s, uint64_t n, const struct sendinfo *si, unsigned status,
		   uint64_t msgid, enum outcome oc)
{
	FILE *f = s->rec;

	if (f == NULL)
		return;
	flockfile(f);
	fprintf(f, "{\"n\":%" PRIu64 ",\"t\":%" PRId64 ",\"api\":\"%s\",\"to\":", n, unix_ms(), si->api);
	put_json_str(f, si->to);
	fputs_unlocked(",\"text\":", f);
	put_json_str(f, si->text);
	fputs_unlocked(",\"id\":", f);
	put_json_str(f, si->id);
	fputs_unlocked(",\"sign\":", f);
	put_json_str(f, si->sign);
	fputs_unlocked(",\"from\":", f);
	put_json_str(f, si->from);
	fprintf(f, ",\"status\":%u,\"msgid\":", status);
	if (msgid != 0)
		fprintf(f, "\"sim-%" PRIu64 "\"", msgid);
	else
		fputs_unlocked("null", f);
	fprintf(f, ",\"outcome\":\"%s\"}\n", outcome_name[oc]);
	funlockfile(f);
	atomic_store(&s->rec_dirty, true);
}

/* Called from the main thread every FLUSH_MS and at exit. */
static void record_flush(struct sim *s)
{
	if (s->rec == NULL || !atomic_exchange(&s->rec_dirty, false))
		return;
	if ((fflush(s->rec) != 0 || ferror(s->rec)) && !s->rec_error) {
		s->rec_error = true;
		logmsg(s, true, "writing %s: %s", s->o.record, strerror(errno));
	}
}

static uint64_t hash_bytes(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ULL;
	}
	h = mix64(h);
	return h != 0 ? h : 1;
}

static int idshard_grow(struct idshard *sh)
{
	size_t ncap = sh->cap != 0 ? sh->cap * 2 : 1024, i, j;
	uint64_t *ns = calloc(ncap, sizeof *ns);

	if (ns == NULL)
		return -1;
	for (i = 0; i < sh->cap; i++) {
		if (sh->slot[i] == 0)
			continue;
		for (j = sh->slot[i] & (ncap - 1); ns[j] != 0; j = (j + 1) & (ncap - 1))
			;
		ns[j] = sh->slot[i];
	}
	free(sh->slot);
	sh->slot = ns;
	sh->cap = ncap;
	return 0;
}

/* Returns 1 if id was new (and is now in the set), 0 if seen before, -1 out of memory. */
static int idset_add(struct idset *set, struct field id)
{
	uint64_t h = hash_bytes(id.p, id.n);
	struct idshard *sh = &set->sh[h >> 58];
	int rc = 1;
	size_t i;

	pthread_mutex_lock(&sh->mu);
	if ((sh->n + 1) * 2 > sh->cap && idshard_grow(sh) < 0) {
		rc = -1;
		goto out;
	}
	for (i = h & (sh->cap - 1); sh->slot[i] != 0; i = (i + 1) & (sh->cap - 1)) {
		if (sh->slot[i] == h) {
			rc = 0;
			goto out;
		}
	}
	sh->slot[i] = h;
	sh->n++;
out:
	pthread_mutex_unlock(&sh->mu);
	return rc;
}


/* ------------------------------------------------------------------ */
/* outgoing HTTP: delivery reports and MO posts                        */

static void pack(char **dst, struct field *to, struct field from)
{
	if (from.p == NULL) {
		*to = (struct field){ NULL, 0 };
		return;
	}
	memcpy(*dst, from.p, from.n);
	(*dst)[from.n] = '\0';
	*to = (struct field){ *dst, from.n };
	*dst += from.n + 1;
}

/* A job with copies of the given fields; NULL when out of memory.  Free with free(). */
static struct job *job_new(enum job_kind kind, struct field id, struct field to,
			   struct field from, struct field url)
{
	size_t need = id.n + to.n + from.n + url.n + 4;
	struct job *j = calloc(1, sizeof *j + need);
	char *dst;

	if (j == NULL)
		return NULL;
	j->kind = kind;
	dst = j->data;
	pack(&dst, &j->id, id);
	pack(&dst, &j->to, to);
	pack(&dst, &j->from, from);
	pack(&dst, &j->url, url);
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
	size_t i = 0;

	q->heap[0] = q->heap[--q->n];
	for (;;) {
		size_t l = 2 * i + 1, m = i;

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

/*
 * Queues j (the queue then owns it).  With conn (a delayed reply or an MO),
 * the connection is suspended until a worker has run the job.  Returns -1 when full or
 * stopping; then the caller still owns j and conn is not suspended.
 */
static int outq_push(struct outq *q, struct job *j, struct MHD_Connection *conn)
{
	size_t i;

	pthread_mutex_lock(&q->mu);
	if (q->stopping || q->n == q->cap) {
		pthread_mutex_unlock(&q->mu);
		return -1;
	}
	/* Suspend under the lock, so that no worker can resume conn first. */
	if (conn != NULL)
		MHD_suspend_connection(conn);
	i = q->n++;
	q->heap[i] = j;
	for (; i > 0 && q->heap[(i - 1) / 2]->due > q->heap[i]->due; i = (i - 1) / 2)
		heap_swap(&q->heap[(i - 1) / 2], &q->heap[i]);
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	return 0;
}

static size_t discard_body(char *p, size_t size, size_t nmemb, void *u)
{
	(void)p;
	(void)u;
	return size * nmemb;
}

/* One GET (json == NULL) or JSON POST.  Returns 0 with *status set, or -1 with err. */
static int http_call(CURL *h, char *ebuf, const char *url, const char *json, long *status,
		     char *err, size_t errlen)
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
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard_body);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
	if (json != NULL) {
		hdr = curl_slist_append(NULL, "Content-Type: application/json");
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, json);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(json));
	}
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

/* Expands Kannel's dlr-url escapes (%d %p %P %q %T %i %F %A %%) into out. */
static int kannel_expand(const struct job *j, char *out, size_t cap)
{
	char num[32], text[96];
	size_t i, o = 0;

	for (i = 0; i < j->url.n; i++) {
		struct field v;
		char ch = j->url.p[i];

		if (ch != '%' || i + 1 == j->url.n) {
			if (o + 1 >= cap)
				return -1;
			out[o++] = ch;
			continue;
		}
		ch = j->url.p[++i];
		switch (ch) {
		case 'd': v = (struct field){ j->delivered ? "1" : "2", 1 }; break;
		case 'p': v = j->to; break;
		case 'P': v = j->from; break;
		case 'q':
			v = j->to;
			if (v.n > 0 && v.p[0] == '+')
				v = (struct field){ v.p + 1, v.n - 1 };
			break;
		case 'T':
			snprintf(num, sizeof num, "%lld", (long long)(unix_ms() / 1000));
			v = (struct field){ num, strlen(num) };
			break;
		case 'i': v = (struct field){ "sim", 3 }; break;
		case 'F':
			snprintf(num, sizeof num, "sim-%" PRIu64, j->msgid);
			v = (struct field){ num, strlen(num) };
			break;
		case 'A':
			snprintf(text, sizeof text, "id:sim-%" PRIu64 " dlvrd:%s stat:%s err:%s", j->msgid,
				 j->delivered ? "001" : "000", j->delivered ? "DELIVRD" : "UNDELIV",
				 j->delivered ? "000" : "001");
			v = (struct field){ text, strlen(text) };
			break;
		case '%':
			if (o + 1 >= cap)
				return -1;
			out[o++] = '%';
			continue;
		default:
			if (o + 2 >= cap)
				return -1;
			out[o++] = '%';
			out[o++] = ch;
			continue;
		}
		if (v.p != NULL && put_urlenc(out, &o, cap, v.p, v.n) < 0)
			return -1;
	}
	out[o] = '\0';
	return 0;
}

static char *dlr_json_body(const struct job *j)
{
	char msgid[32];
	json_t *o = json_object();
	char *body;

	if (o == NULL)
		return NULL;
	snprintf(msgid, sizeof msgid, "sim-%" PRIu64, j->msgid);
	json_object_set_new(o, "msgid", json_string(msgid));
	json_object_set_new(o, "id", jstr(j->id));
	json_object_set_new(o, "to", jstr(j->to));
	json_object_set_new(o, "status", json_string(j->delivered ? "DELIVRD" : "UNDELIV"));
	json_object_set_new(o, "err", json_string(j->delivered ? "000" : "001"));
	json_object_set_new(o, "time", json_integer(unix_ms() / 1000));
	body = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return body;
}

static void run_dlr(struct sim *s, CURL *h, char *ebuf, struct job *j)
{
	char err[CURL_ERROR_SIZE + 64], url[URL_MAX];
	char *body = NULL;
	long status = 0;
	int rc = -1;

	if (j->kind == JOB_DLR_JSON) {
		body = dlr_json_body(j);
		if (body != NULL)
			rc = http_call(h, ebuf, s->o.dlr_url, body, &status, err, sizeof err);
		else
			snprintf(err, sizeof err, "out of memory");
	} else if (kannel_expand(j, url, sizeof url) == 0) {
		rc = http_call(h, ebuf, url, NULL, &status, err, sizeof err);
	} else {
		snprintf(err, sizeof err, "expanded dlr-url longer than %d bytes", URL_MAX);
	}
	free(body);
	if (rc == 0 && status >= 200 && status < 300) {
		atomic_fetch_add(&s->ctr.dlr_sent, 1);
		return;
	}
	if (rc == 0)
		snprintf(err, sizeof err, "HTTP status %ld", status);
	if (worth_logging(atomic_fetch_add(&s->ctr.dlr_errors, 1) + 1))
		logmsg(s, false, "delivery report for sim-%" PRIu64 " failed: %s", j->msgid, err);
}

/* Posts an MO, stores the result in the waiting request and resumes it. */
static void run_mo(struct sim *s, CURL *h, char *ebuf, struct job *j)
{
	struct req *r = j->req;
	long status = 0;

	r->mo_err[0] = '\0';
	if (h == NULL || http_call(h, ebuf, s->o.mo_url, j->body, &status, r->mo_err,
				   sizeof r->mo_err) < 0) {
		atomic_fetch_add(&s->ctr.mo_errors, 1);
		r->mo_status = 0;
	} else {
		atomic_fetch_add(&s->ctr.mo_sent, 1);
		r->mo_status = status;
	}
	r->mo = MO_DONE;
	MHD_resume_connection(j->conn);
}

static void job_abandon(struct sim *s, struct job *j)
{
	if (j->kind == JOB_RESUME) {
		MHD_resume_connection(j->conn);  /* answer now */
	} else if (j->kind == JOB_MO) {
		snprintf(j->req->mo_err, sizeof j->req->mo_err, "simulator shutting down");
		j->req->mo_status = 0;
		j->req->mo = MO_DONE;
		MHD_resume_connection(j->conn);
	} else {
		atomic_fetch_add(&s->ctr.dlr_queue_drops, 1);
	}
	free(j->body);
	free(j);
}

static void *outq_main(void *arg)
{
	struct outq *q = arg;
	char ebuf[CURL_ERROR_SIZE];
	CURL *h = NULL;

	pthread_mutex_lock(&q->mu);
	for (;;) {
		struct job *j;
		struct timespec ts;

		if (q->stopping)
			break;
		if (q->n == 0) {
			pthread_cond_wait(&q->cv, &q->mu);
			continue;
		}
		if (q->heap[0]->due > now_ms()) {
			ts = mono_deadline(q->heap[0]->due);
			pthread_cond_timedwait(&q->cv, &q->mu, &ts);
			continue;
		}
		j = heap_pop(q);
		pthread_mutex_unlock(&q->mu);
		if (j->kind != JOB_RESUME && h == NULL)
			h = curl_easy_init();
		if (j->kind == JOB_RESUME)
			MHD_resume_connection(j->conn);
		else if (j->kind == JOB_MO)
			run_mo(q->sim, h, ebuf, j);
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

static int outq_start(struct outq *q, struct sim *s, size_t cap, unsigned nth)
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

/* Stops the workers after their current job; queued jobs are abandoned (delayed replies answered). */
static void outq_stop(struct outq *q)
{
	unsigned i;

	if (q->heap == NULL)
		return;
	pthread_mutex_lock(&q->mu);
	q->stopping = true;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	for (i = 0; i < q->nth; i++)
		pthread_join(q->th[i], NULL);
	q->nth = 0;
}

/* ------------------------------------------------------------------ */
/* replies                                                             */

static struct MHD_Response *resp_new(const char *body, size_t len, const char *ctype)
{
	struct MHD_Response *resp;

	resp = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (resp != NULL && MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype) != MHD_YES) {
		MHD_destroy_response(resp);
		resp = NULL;
	}
	return resp;
}

/* Queues resp now, or after delay ms (suspending c); an owned resp is released after use. */
static enum MHD_Result reply(struct sim *s, struct MHD_Connection *c, struct req *r,
			     unsigned status, struct MHD_Response *resp, bool owned, unsigned delay)
{
	enum MHD_Result ret;
	struct job *j;

	if (resp == NULL)
		return MHD_NO;
	if (delay > 0 && (j = job_new(JOB_RESUME, no_field, no_field, no_field, no_field)) != NULL) {
		r->pending = resp;
		r->pending_status = status;
		r->pending_owned = owned;
		j->conn = c;
		j->due = now_ms() + delay;
		if (outq_push(&s->delayq, j, c) == 0)
			return MHD_YES;  /* on_request() queues resp once resumed */
		r->pending = NULL;  /* full or stopping: answer now */
		free(j);
	}
	ret = MHD_queue_response(c, status, resp);
	if (owned)
		MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result reply_canned(struct sim *s, struct MHD_Connection *c, struct req *r,
				    enum canned_id id, unsigned delay)
{
	return reply(s, c, r, canned_defs[id].status, s->canned[id], false, delay);
}

/* Replies with a JSON object, which it consumes (NULL = out of memory). */
static enum MHD_Result reply_json(struct sim *s, struct MHD_Connection *c, struct req *r,
				  unsigned status, json_t *o)
{
	char *body = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	struct MHD_Response *resp = NULL;

	json_decref(o);
	if (body != NULL)
		resp = resp_new(body, strlen(body), CT_JSON);
	free(body);
	return reply(s, c, r, status, resp, true, 0);
}

static enum MHD_Result reply_error(struct sim *s, struct MHD_Connection *c, struct req *r,
				   unsigned status, const char *msg)
{
	return reply_json(s, c, r, status, json_pack("{s:s}", "error", msg));
}

/* ------------------------------------------------------------------ */
/* send requests (both APIs)                                           */

static struct field jfield(json_t *root, const char *key)
{
	json_t *v = json_object_get(root, key);

	if (!json_is_string(v))
		return (struct field){ NULL, 0 };
	return (struct field){ json_string_value(v), json_string_length(v) };
}

/* The provider is down, or this request loses the drop-rate draw. */
static bool is_dropped(struct sim *s, uint64_t n)
{
	int64_t now = now_ms();

	if (now >= atomic_load(&s->down_from) && now < atomic_load(&s->down_until))
		return true;
	return chance(s, n, K_DROP, atomic_load(&s->drop_ppb));
}

static bool is_denied_number(const struct sim *s, struct field to)
{
	if (!s->have_reject)
		return false;
	return memchr(to.p, '\0', to.n) != NULL || regexec(&s->reject_re, to.p, 0, NULL, 0) == 0;
}

/* Id bookkeeping and the delivery report of an accepted message. */
static void note_accepted(struct sim *s, uint64_t n, const struct sendinfo *si, uint64_t msgid)
{
	bool kannel = si->api[0] == 'k';
	bool delivered = !chance(s, n, K_DLR, atomic_load(&s->dlr_fail_ppb));
	struct job *j;
	long mask = 0;
	int rc;

	if (!field_empty(si->id)) {
		rc = idset_add(&s->ids, si->id);
		if (rc >= 0)
			atomic_fetch_add(rc == 1 ? &s->ctr.unique_ids : &s->ctr.duplicates, 1);
	}
	if (kannel) {
		/* Like Kannel: a report only for the states dlr-mask asks for (1 ok, 2 failed). */
		if (field_empty(si->dlr_url) || field_empty(si->dlr_mask) ||
		    parse_long(si->dlr_mask.p, 0, 255, &mask) < 0 || (mask & (delivered ? 1 : 2)) == 0)
			return;
		j = job_new(JOB_DLR_KANNEL, si->id, si->to, si->from, si->dlr_url);
	} else {
		if (s->o.dlr_url == NULL)
			return;
		j = job_new(JOB_DLR_JSON, si->id, si->to, no_field, no_field);
	}
	if (j != NULL) {
		j->delivered = delivered;
		j->msgid = msgid;
		j->due = now_ms() + s->o.dlr_delay_ms;
		if (outq_push(&s->dlrq, j, NULL) == 0)
			return;
		free(j);
	}
	if (worth_logging(atomic_fetch_add(&s->ctr.dlr_queue_drops, 1) + 1))
		logmsg(s, true, "delivery report queue full (%d): report for sim-%" PRIu64 " dropped",
		       DLR_QUEUE_MAX, msgid);
}

/* Counts, records and answers a decided send; cid C_COUNT = JSON-API acceptance. */
static enum MHD_Result finish_send(struct sim *s, struct MHD_Connection *c, struct req *r,
				   uint64_t n, const struct sendinfo *si, enum outcome oc,
				   enum canned_id cid)
{
	unsigned delay = atomic_load(&s->delay_ms);
	uint64_t msgid = 0;
	char buf[64];
	int len;

	switch (oc) {
	case OUT_DROPPED:
		atomic_fetch_add(&s->ctr.dropped, 1);
		record(s, n, si, 0, 0, oc);
		return MHD_NO;  /* MHD closes the connection without a reply */
	case OUT_FAILED:
		atomic_fetch_add(&s->ctr.failed, 1);
		break;
	case OUT_REJECTED:
		atomic_fetch_add(&s->ctr.rejected, 1);
		break;
	case OUT_ACCEPTED:
		atomic_fetch_add(&s->ctr.accepted, 1);
		msgid = atomic_fetch_add(&s->ctr.next_msgid, 1) + 1;
		note_accepted(s, n, si, msgid);
		break;
	}
	if (cid == C_COUNT) {
		record(s, n, si, 200, msgid, oc);
		len = snprintf(buf, sizeof buf, "{\"code\":0,\"msgid\":\"sim-%" PRIu64 "\"}", msgid);
		return reply(s, c, r, 200, resp_new(buf, (size_t)len, CT_JSON), true, delay);
	}
	record(s, n, si, canned_defs[cid].status, msgid, oc);
	return reply_canned(s, c, r, cid, delay);
}

/* Decision order: down/drop, malformed, auth, missing fields, --reject, 429, failure. */
static enum outcome decide_json(struct sim *s, struct MHD_Connection *c, uint64_t n,
				const struct sendinfo *si, enum canned_id *cid)
{
	const char *v;

	if (is_dropped(s, n))
		return OUT_DROPPED;
	if (*cid != C_COUNT)
		return OUT_REJECTED;
	if (s->hdr_value != NULL) {
		v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, s->hdr_name);
		if (v == NULL || strcmp(v, s->hdr_value) != 0) {
			*cid = C_J_UNAUTHORIZED;
			return OUT_REJECTED;
		}
	}
	if (field_empty(si->to))
		*cid = C_J_MISSING_TO;
	else if (field_empty(si->text))
		*cid = C_J_MISSING_TEXT;
	else if (is_denied_number(s, si->to))
		*cid = C_J_INVALID_NUMBER;
	if (*cid != C_COUNT)
		return OUT_REJECTED;
	if (chance(s, n, K_429, atomic_load(&s->rate429_ppb)))
		*cid = C_J_429;
	else if (chance(s, n, K_FAIL, atomic_load(&s->fail_ppb)))
		*cid = atomic_load(&s->fail_status) == 500 ? C_J_500 : C_J_503;
	return *cid != C_COUNT ? OUT_FAILED : OUT_ACCEPTED;
}

static bool is_json_body(struct MHD_Connection *c, const struct req *r)
{
	const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);

	if (r->len == 0)
		return false;
	if (ct != NULL && strncasecmp(ct, "application/json", 16) == 0)
		return true;
	if (ct != NULL && strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0)
		return false;
	return r->body[0] == '{';
}

static enum MHD_Result handle_json_send(struct sim *s, struct MHD_Connection *c, struct req *r)
{
	uint64_t n = atomic_fetch_add(&s->ctr.requests, 1) + 1;
	struct sendinfo si = { .api = "json" };
	enum canned_id cid = C_COUNT;
	json_t *root = NULL;
	struct params p;
	enum outcome oc;
	enum MHD_Result ret;

	if (r->too_big) {
		cid = C_TOO_LARGE;
	} else if (is_json_body(c, r)) {
		root = json_loadb(r->body, r->len, 0, NULL);
		if (!json_is_object(root))
			cid = C_J_BAD_JSON;
		si.to = jfield(root, "to");
		si.text = jfield(root, "text");
		si.id = jfield(root, "id");
		si.sign = jfield(root, "sign");
	} else {
		params_collect(c, r, &p);
		if (p.overflow)
			cid = C_TOO_LARGE;
		si.to = param(&p, "to");
		si.text = param(&p, "text");
		si.id = param(&p, "id");
		si.sign = param(&p, "sign");
	}
	oc = decide_json(s, c, n, &si, &cid);  /* sets cid: not inside finish_send's arguments */
	ret = finish_send(s, c, r, n, &si, oc, cid);
	json_decref(root);
	return ret;
}

static enum outcome decide_kannel(struct sim *s, uint64_t n, const struct params *p,
				  const struct sendinfo *si, enum canned_id *cid)
{
	struct field user = param(p, "username"), pass = param(p, "password");

	if (is_dropped(s, n))
		return OUT_DROPPED;
	if (*cid == C_TOO_LARGE)
		return OUT_REJECTED;
	if (user.p == NULL)
		user = param(p, "user");
	if (pass.p == NULL)
		pass = param(p, "pass");
	if (s->o.kannel_user != NULL &&
	    (!field_is(user, s->o.kannel_user) || !field_is(pass, s->o.kannel_pass))) {
		*cid = C_K_AUTH;
		return OUT_REJECTED;
	}
	if (field_empty(si->to))
		*cid = C_K_MISSING_TO;
	else if (is_denied_number(s, si->to))
		*cid = C_K_DENIED;
	if (*cid != C_COUNT)
		return OUT_REJECTED;
	if (chance(s, n, K_429, atomic_load(&s->rate429_ppb)) ||
	    chance(s, n, K_FAIL, atomic_load(&s->fail_ppb))) {
		*cid = C_K_TEMP;
		return OUT_FAILED;
	}
	*cid = s->o.kannel_queued ? C_K_QUEUED : C_K_ACCEPTED;
	return OUT_ACCEPTED;
}

static enum MHD_Result handle_kannel(struct sim *s, struct MHD_Connection *c, struct req *r)
{
	uint64_t n = atomic_fetch_add(&s->ctr.requests, 1) + 1;
	struct sendinfo si = { .api = "kannel" };
	enum canned_id cid = C_COUNT;
	struct params p;
	enum outcome oc;

	p.n = 0;
	if (r->too_big) {
		cid = C_TOO_LARGE;
	} else {
		params_collect(c, r, &p);
		if (p.overflow)
			cid = C_TOO_LARGE;
		si.to = param(&p, "to");
		si.text = param(&p, "text");
		si.from = param(&p, "from");
		si.dlr_url = param(&p, "dlr-url");
		si.dlr_mask = param(&p, "dlr-mask");
	}
	oc = decide_kannel(s, n, &p, &si, &cid);
	return finish_send(s, c, r, n, &si, oc, cid);
}

/* ------------------------------------------------------------------ */
/* control API                                                         */

static enum MHD_Result handle_stats(struct sim *s, struct MHD_Connection *c, struct req *r)
{
	struct counters *k = &s->ctr;
	char buf[768];
	int len;

	len = snprintf(buf, sizeof buf,
		       "{\"requests\":%" PRIu64 ",\"accepted\":%" PRIu64 ",\"failed\":%" PRIu64
		       ",\"rejected\":%" PRIu64 ",\"dropped\":%" PRIu64 ",\"unique_ids\":%" PRIu64
		       ",\"duplicates\":%" PRIu64 ",\"dlr_sent\":%" PRIu64 ",\"dlr_errors\":%" PRIu64
		       ",\"dlr_queue_drops\":%" PRIu64 ",\"mo_sent\":%" PRIu64 ",\"mo_errors\":%" PRIu64 "}",
		       atomic_load(&k->requests), atomic_load(&k->accepted), atomic_load(&k->failed),
		       atomic_load(&k->rejected), atomic_load(&k->dropped), atomic_load(&k->unique_ids),
		       atomic_load(&k->duplicates), atomic_load(&k->dlr_sent), atomic_load(&k->dlr_errors),
		       atomic_load(&k->dlr_queue_drops), atomic_load(&k->mo_sent),
		       atomic_load(&k->mo_errors));
	return reply(s, c, r, 200, resp_new(buf, (size_t)len, CT_JSON), true, 0);
}

static enum MHD_Result handle_down(struct sim *s, struct MHD_Connection *c, struct req *r)
{
	int64_t now = now_ms();
	double sec = 0;
	struct params p;
	struct field f;

	params_collect(c, r, &p);
	f = param(&p, "seconds");
	if (!field_empty(f) && parse_double(f.p, 0.001, 1e7, &sec) < 0)
		return reply_error(s, c, r, 400, "bad seconds");
	atomic_store(&s->down_from, now);
	atomic_store(&s->down_until, sec > 0 ? now + (int64_t)(sec * 1000) : INT64_MAX);
	logmsg(s, false, "down (%s)", sec > 0 ? f.p : "until /_sim/up");
	if (sec > 0)
		return reply_json(s, c, r, 200, json_pack("{s:b,s:f}", "down", 1, "seconds", sec));
	return reply_json(s, c, r, 200, json_pack("{s:b,s:n}", "down", 1, "seconds"));
}

static enum MHD_Result handle_up(struct sim *s, struct MHD_Connection *c, struct req *r)
{
	atomic_store(&s->down_until, 0);
	logmsg(s, false, "up");
	return reply_json(s, c, r, 200, json_pack("{s:b}", "down", 0));
}

/* Validates every parameter first, then applies them all; replies with the result. */
static enum MHD_Result handle_config(struct sim *s, struct MHD_Connection *c, struct req *r)
{
	double fail = atomic_load(&s->fail_ppb) / (double)PPB;
	double r429 = atomic_load(&s->rate429_ppb) / (double)PPB;
	double drop = atomic_load(&s->drop_ppb) / (double)PPB;
	double dlrf = atomic_load(&s->dlr_fail_ppb) / (double)PPB;
	long fst = atomic_load(&s->fail_status), dms = atomic_load(&s->delay_ms);
	char msg[160];
	struct params p;
	unsigned i;

	params_collect(c, r, &p);
	for (i = 0; i < p.n; i++) {
		struct field k = p.kv[i].k;
		const char *v = p.kv[i].v.p;
		int bad;

		if (field_is(k, "fail_rate"))
			bad = parse_double(v, 0, 1, &fail);
		else if (field_is(k, "rate_429"))
			bad = parse_double(v, 0, 1, &r429);
		else if (field_is(k, "drop_rate"))
			bad = parse_double(v, 0, 1, &drop);
		else if (field_is(k, "dlr_fail_rate"))
			bad = parse_double(v, 0, 1, &dlrf);
		else if (field_is(k, "fail_status"))
			bad = parse_long(v, 500, 503, &fst) < 0 || (fst != 500 && fst != 503);
		else if (field_is(k, "delay_ms"))
			bad = parse_long(v, 0, 3600000, &dms);
		else
			bad = 2;
		if (bad != 0) {
			snprintf(msg, sizeof msg, "%s parameter: %.*s", bad == 2 ? "unknown" : "bad value for",
				 (int)(k.n < 64 ? k.n : 64), k.p);
			return reply_error(s, c, r, 400, msg);
		}
	}
	atomic_store(&s->fail_ppb, to_ppb(fail));
	atomic_store(&s->rate429_ppb, to_ppb(r429));
	atomic_store(&s->drop_ppb, to_ppb(drop));
	atomic_store(&s->dlr_fail_ppb, to_ppb(dlrf));
	atomic_store(&s->fail_status, (unsigned)fst);
	atomic_store(&s->delay_ms, (unsigned)dms);
	if (p.n > 0)
		logmsg(s, false, "config: fail_rate=%g fail_status=%ld rate_429=%g delay_ms=%ld "
		       "drop_rate=%g dlr_fail_rate=%g", fail, fst, r429, dms, drop, dlrf);
	return reply_json(s, c, r, 200, json_pack("{s:f,s:i,s:f,s:i,s:f,s:f}", "fail_rate", fail,
						  "fail_status", (int)fst, "rate_429", r429,
						  "delay_ms", (int)dms, "drop_rate", drop,
						  "dlr_fail_rate", dlrf));
}

static json_t *mo_message(struct sim *s, json_t *in)
{
	struct field id = jfield(in, "id"), to = jfield(in, "to");
	char idbuf[40];
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	if (field_empty(id)) {
		snprintf(idbuf, sizeof idbuf, "sim-mo-%" PRIu64, atomic_fetch_add(&s->ctr.next_mo, 1) + 1);
		id = (struct field){ idbuf, strlen(idbuf) };
	}
	if (field_empty(to))
		to = (struct field){ MO_TO_DEFAULT, strlen(MO_TO_DEFAULT) };
	json_object_set_new(o, "from", jstr(jfield(in, "from")));
	json_object_set_new(o, "to", jstr(to));
	json_object_set_new(o, "text", jstr(jfield(in, "text")));
	json_object_set_new(o, "id", jstr(id));
	json_object_set_new(o, "time", json_integer(unix_ms() / 1000));
	return o;
}

/* POST /_sim/mo: parks the connection until a worker has posted the MO. */
static enum MHD_Result handle_mo(struct sim *s, struct MHD_Connection *c, struct req *r)
{
	json_t *in, *out;
	struct job *j;

	if (r->mo == MO_DONE && r->mo_status > 0)
		return reply_json(s, c, r, 200, json_pack("{s:b,s:i}", "posted", 1, "status", (int)r->mo_status));
	if (r->mo == MO_DONE)
		return reply_json(s, c, r, 502, json_pack("{s:b,s:s}", "posted", 0, "error", r->mo_err));
	if (s->o.mo_url == NULL)
		return reply_json(s, c, r, 400, json_pack("{s:b,s:s}", "posted", 0, "error", "no --mo-url given"));
	if (r->too_big)
		return reply_canned(s, c, r, C_TOO_LARGE, 0);
	in = json_loadb(r->body, r->len, 0, NULL);
	if (!json_is_object(in) || field_empty(jfield(in, "from")) || jfield(in, "text").p == NULL) {
		json_decref(in);
		return reply_json(s, c, r, 400, json_pack("{s:b,s:s}", "posted", 0,
							  "error", "need a JSON object with from and text"));
	}
	out = mo_message(s, in);
	json_decref(in);
	j = job_new(JOB_MO, no_field, no_field, no_field, no_field);
	if (j != NULL && out != NULL)
		j->body = json_dumps(out, JSON_COMPACT);
	json_decref(out);
	if (j != NULL && j->body != NULL) {
		j->conn = c;
		j->req = r;
		r->mo = MO_WAITING;
		if (outq_push(&s->moq, j, c) == 0)
			return MHD_YES;
		r->mo = MO_NONE;
	}
	if (j != NULL)
		free(j->body);
	free(j);
	return reply_json(s, c, r, 503, json_pack("{s:b,s:s}", "posted", 0, "error", "MO queue full"));
}

/* ------------------------------------------------------------------ */
/* libmicrohttpd callbacks                                             */

static enum route route_of(const char *url, const char *method)
{
	static const struct {
		const char *path;
		enum route rt;
		bool post_only;
	} routes[] = {
		{ "/sms/send", RT_JSON, false }, { "/cgi-bin/sendsms", RT_KANNEL, false },
		{ "/_sim/stats", RT_STATS, false }, { "/_sim/down", RT_DOWN, false },
		{ "/_sim/up", RT_UP, false }, { "/_sim/config", RT_CONFIG, false },
		{ "/_sim/mo", RT_MO, true },
	};
	bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0;
	bool post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
	size_t i;

	for (i = 0; i < sizeof routes / sizeof routes[0]; i++)
		if (strcmp(url, routes[i].path) == 0)
			return post || (get && !routes[i].post_only) ? routes[i].rt : RT_BADMETHOD;
	return RT_NOTFOUND;
}

static void req_append(struct req *r, const char *data, size_t n)
{
	size_t ncap;
	char *nb;

	if (r->too_big)
		return;
	if (n > BODY_MAX - r->len) {
		r->too_big = true;
		return;
	}
	if (r->len + n + 1 > r->cap) {
		for (ncap = r->cap * 2; ncap < r->len + n + 1; ncap *= 2)
			;
		nb = r->body == r->inline_buf ? malloc(ncap) : realloc(r->body, ncap);
		if (nb == NULL) {
			r->too_big = true;
			return;
		}
		if (r->body == r->inline_buf)
			memcpy(nb, r->inline_buf, r->len);
		r->body = nb;
		r->cap = ncap;
	}
	memcpy(r->body + r->len, data, n);
	r->len += n;
	r->body[r->len] = '\0';
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct sim *s = cls;
	struct req *r = *con_cls;
	struct MHD_Response *resp;

	(void)version;
	if (r == NULL) {
		r = malloc(sizeof *r);  /* not calloc: the inline buffer needs no clearing */
		if (r == NULL)
			return MHD_NO;
		r->route = route_of(url, method);
		r->too_big = false;
		r->mo = MO_NONE;
		r->pending = NULL;
		r->len = 0;
		r->cap = REQ_INLINE;
		r->body = r->inline_buf;
		r->inline_buf[0] = '\0';
		*con_cls = r;
		return MHD_YES;
	}
	if (*upload_size != 0) {
		req_append(r, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->pending != NULL) {  /* resumed after a delay */
		resp = r->pending;
		r->pending = NULL;
		return reply(s, c, r, r->pending_status, resp, r->pending_owned, 0);
	}
	switch (r->route) {
	case RT_JSON: return handle_json_send(s, c, r);
	case RT_KANNEL: return handle_kannel(s, c, r);
	case RT_STATS: return handle_stats(s, c, r);
	case RT_DOWN: return handle_down(s, c, r);
	case RT_UP: return handle_up(s, c, r);
	case RT_CONFIG: return handle_config(s, c, r);
	case RT_MO: return handle_mo(s, c, r);
	case RT_BADMETHOD: return reply_canned(s, c, r, C_BAD_METHOD, 0);
	case RT_NOTFOUND: break;
	}
	return reply_canned(s, c, r, C_NOT_FOUND, 0);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct req *r = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (r == NULL)
		return;
	if (r->pending != NULL && r->pending_owned)
		MHD_destroy_response(r->pending);
	if (r->body != r->inline_buf)
		free(r->body);
	free(r);
	*con_cls = NULL;
}

/* ------------------------------------------------------------------ */
/* command line                                                        */

static const char usage_text[] =
"usage: smsc-sim [options]\n"
"A fake SMS provider: generic JSON API (/sms/send), Kannel sendsms\n"
"(/cgi-bin/sendsms) and a control API (/_sim/...).  See docs/smsc-sim.md.\n"
"\n"
"  --listen HOST:PORT      listen address (default 127.0.0.1:13013; port 0 = any free port)\n"
"  --port-file FILE        write the bound port to FILE (atomically, via rename)\n"
"  --record FILE|-         append one JSON line per send request (- = stdout)\n"
"  --fail-rate F           fraction of sends answered with --fail-status (default 0)\n"
"  --fail-status 500|503   status of injected failures (default 503)\n"
"  --rate-429 F            fraction of sends answered 429 (default 0)\n"
"  --retry-after S         Retry-After seconds of 429 replies (default 1)\n"
"  --delay-ms N            hold every send reply back N ms (default 0)\n"
"  --drop-rate F           fraction of sends whose connection is closed unanswered\n"
"  --reject REGEX          numbers matching this POSIX extended regex get a 400\n"
"  --down-at S --down-for S  drop every send from S to S+D seconds after start\n"
"  --require-header 'Name: value'  JSON API answers 401 unless the header matches\n"
"  --kannel-user U --kannel-pass P  credentials sendsms must carry (else 403)\n"
"  --kannel-queued         sendsms answers \"3: Queued for later delivery\"\n"
"  --dlr-url URL           POST a JSON delivery report there per accepted JSON send\n"
"  --dlr-delay-ms N        delay of each delivery report (default 0)\n"
"  --dlr-fail-rate F       fraction of reports saying UNDELIV / %d=2 (default 0)\n"
"  --dlr-threads N         delivery report sender threads (default 2)\n"
"  --mo-url URL            where POST /_sim/mo delivers incoming messages\n"
"  --seed N                PRNG seed of every fraction (default 1)\n"
"  --threads N             HTTP server threads (default 2)\n"
"  --quiet                 log only errors (and the \"listening on\" line)\n"
"  --help                  this text\n";

enum opt_kind { OK_STR, OK_DBL, OK_LONG, OK_FLAG, OK_SEED, OK_HELP };

struct opt_def {
	const char *name;
	enum opt_kind kind;
	size_t off;
	double lo, hi;
};

#define OFF(f) offsetof(struct opts, f)
static const struct opt_def opt_defs[] = {
	{ "listen", OK_STR, OFF(listen), 0, 0 },
	{ "port-file", OK_STR, OFF(port_file), 0, 0 },
	{ "record", OK_STR, OFF(record), 0, 0 },
	{ "fail-rate", OK_DBL, OFF(fail_rate), 0, 1 },
	{ "fail-status", OK_LONG, OFF(fail_status), 500, 503 },
	{ "rate-429", OK_DBL, OFF(rate_429), 0, 1 },
	{ "retry-after", OK_LONG, OFF(retry_after), 0, 86400 },
	{ "delay-ms", OK_LONG, OFF(delay_ms), 0, 3600000 },
	{ "drop-rate", OK_DBL, OFF(drop_rate), 0, 1 },
	{ "reject", OK_STR, OFF(reject), 0, 0 },
	{ "down-at", OK_DBL, OFF(down_at), 0, 1e7 },
	{ "down-for", OK_DBL, OFF(down_for), 0.001, 1e7 },
	{ "require-header", OK_STR, OFF(require_header), 0, 0 },
	{ "kannel-user", OK_STR, OFF(kannel_user), 0, 0 },
	{ "kannel-pass", OK_STR, OFF(kannel_pass), 0, 0 },
	{ "kannel-queued", OK_FLAG, OFF(kannel_queued), 0, 0 },
	{ "dlr-url", OK_STR, OFF(dlr_url), 0, 0 },
	{ "dlr-delay-ms", OK_LONG, OFF(dlr_delay_ms), 0, 86400000 },
	{ "dlr-fail-rate", OK_DBL, OFF(dlr_fail_rate), 0, 1 },
	{ "dlr-threads", OK_LONG, OFF(dlr_threads), 1, MAX_THREADS },
	{ "mo-url", OK_STR, OFF(mo_url), 0, 0 },
	{ "seed", OK_SEED, OFF(seed), 0, 0 },
	{ "threads", OK_LONG, OFF(threads), 1, MAX_THREADS },
	{ "quiet", OK_FLAG, OFF(quiet), 0, 0 },
	{ "help", OK_HELP, 0, 0, 0 },
};
#define N_OPTS (sizeof opt_defs / sizeof opt_defs[0])

static int set_opt(struct opts *o, const struct opt_def *d, const char *arg)
{
	char *field = (char *)o + d->off, *end;
	long lv;
	double dv;

	switch (d->kind) {
	case OK_STR:
		memcpy(field, &arg, sizeof arg);
		return 0;
	case OK_FLAG:
		*(bool *)(void *)field = true;
		return 0;
	case OK_DBL:
		if (parse_double(arg, d->lo, d->hi, &dv) < 0)
			return -1;
		*(double *)(void *)field = dv;
		return 0;
	case OK_LONG:
		if (parse_long(arg, (long)d->lo, (long)d->hi, &lv) < 0)
			return -1;
		*(long *)(void *)field = lv;
		return 0;
	case OK_SEED:
		errno = 0;
		*(unsigned long long *)(void *)field = strtoull(arg, &end, 10);
		return errno != 0 || end == arg || *end != '\0' || arg[0] == '-' ? -1 : 0;
	case OK_HELP:
		break;
	}
	return -1;
}

/* Returns 0 to run, 1 after --help, -1 on a usage error (reported). */
static int parse_args(int argc, char **argv, struct opts *o)
{
	struct option lo[N_OPTS + 1];
	size_t i;
	int ch;

	*o = (struct opts){ .listen = "127.0.0.1:13013", .fail_status = 503, .retry_after = 1,
			    .down_at = -1, .down_for = -1, .threads = 2, .dlr_threads = 2, .seed = 1 };
	for (i = 0; i < N_OPTS; i++) {
		int flag = opt_defs[i].kind == OK_FLAG || opt_defs[i].kind == OK_HELP;

		lo[i] = (struct option){ opt_defs[i].name, flag ? no_argument : required_argument,
					 NULL, 256 + (int)i };
	}
	lo[N_OPTS] = (struct option){ NULL, 0, NULL, 0 };
	opterr = 1;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		const struct opt_def *d;

		if (ch < 256 || ch >= 256 + (int)N_OPTS)
			goto usage;
		d = &opt_defs[ch - 256];
		if (d->kind == OK_HELP) {
			fputs(usage_text, stdout);
			return 1;
		}
		if (set_opt(o, d, optarg) < 0) {
			fprintf(stderr, "smsc-sim: bad value for --%s: '%s'\n", d->name, optarg);
			goto usage;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "smsc-sim: unexpected argument '%s'\n", argv[optind]);
		goto usage;
	}
	if (o->fail_status != 500 && o->fail_status != 503) {
		fprintf(stderr, "smsc-sim: --fail-status must be 500 or 503\n");
		goto usage;
	}
	if ((o->down_at >= 0) != (o->down_for >= 0) ||
	    (o->kannel_user != NULL) != (o->kannel_pass != NULL)) {
		fprintf(stderr, "smsc-sim: --down-at/--down-for and --kannel-user/--kannel-pass go in pairs\n");
		goto usage;
	}
	return 0;
usage:
	fprintf(stderr, "smsc-sim: try --help\n");
	return -1;
}

/* ------------------------------------------------------------------ */
/* start-up and shutdown                                               */

/* Binds and listens on spec (HOST:PORT, [V6]:PORT or PORT); *port gets the bound port. */
static int open_listener(const char *spec, char *host, size_t hostcap, int *port,
			 char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_flags = AI_PASSIVE | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL, *ai;
	const char *colon = strrchr(spec, ':'), *pstr = colon != NULL ? colon + 1 : spec;
	size_t hl = colon != NULL ? (size_t)(colon - spec) : 0;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	int fd = -1, one = 1, rc;
	long pv;

	if (hl >= 2 && spec[0] == '[' && spec[hl - 1] == ']') {
		spec++;
		hl -= 2;
	}
	if (hl >= hostcap || parse_long(pstr, 0, 65535, &pv) < 0) {
		snprintf(err, errlen, "bad --listen '%s' (want HOST:PORT)", spec);
		return -1;
	}
	memcpy(host, hl > 0 ? spec : "127.0.0.1", hl > 0 ? hl : 10);
	host[hl > 0 ? hl : 9] = '\0';
	rc = getaddrinfo(host, pstr, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 4096) < 0 ||
		    getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
			snprintf(err, errlen, "%s:%s: %s", host, pstr, strerror(errno));
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd >= 0)
		*port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						       : ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

/* Writes "PORT\n" to a temporary name and renames it, so readers never see half a file. */
static int write_port_file(const char *path, int port, char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	FILE *f;
	int n = snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());

	if (n < 0 || (size_t)n >= sizeof tmp) {
		snprintf(err, errlen, "--port-file path too long");
		return -1;
	}
	f = fopen(tmp, "w");
	if (f == NULL || fprintf(f, "%d\n", port) < 0 || fclose(f) != 0 || rename(tmp, path) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int init_canned(struct sim *s, char *err, size_t errlen)
{
	char ra[24];
	int i;

	snprintf(ra, sizeof ra, "%ld", s->o.retry_after);
	for (i = 0; i < C_COUNT; i++) {
		const struct canned_def *d = &canned_defs[i];
		struct MHD_Response *resp;

		resp = MHD_create_response_from_buffer(strlen(d->body), (void *)d->body,
						       MHD_RESPMEM_PERSISTENT);
		s->canned[i] = resp;
		if (resp == NULL ||
		    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, d->ctype) != MHD_YES ||
		    (i == C_J_429 && MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra) != MHD_YES)) {
			snprintf(err, errlen, "cannot build canned replies");
			return -1;
		}
	}
	return 0;
}

/* Everything but threads and sockets: options into run-time state. */
static int sim_init(struct sim *s, char *err, size_t errlen)
{
	const char *colon = s->o.require_header != NULL ? strchr(s->o.require_header, ':') : NULL;
	int i, rc;

	s->seed_mix = mix64(s->o.seed);
	s->start_ms = now_ms();
	if (s->o.reject != NULL) {
		rc = regcomp(&s->reject_re, s->o.reject, REG_EXTENDED | REG_NOSUB);
		if (rc != 0) {
			regerror(rc, &s->reject_re, err, errlen);
			return -1;
		}
		s->have_reject = true;
	}
	if (s->o.require_header != NULL) {
		size_t nl = colon != NULL ? (size_t)(colon - s->o.require_header) : 0;

		if (nl == 0 || nl >= sizeof s->hdr_name) {
			snprintf(err, errlen, "--require-header wants 'Name: value'");
			return -1;
		}
		memcpy(s->hdr_name, s->o.require_header, nl);
		s->hdr_name[nl] = '\0';
		for (s->hdr_value = colon + 1; *s->hdr_value == ' '; s->hdr_value++)
			;
	}
	atomic_store(&s->fail_ppb, to_ppb(s->o.fail_rate));
	atomic_store(&s->rate429_ppb, to_ppb(s->o.rate_429));
	atomic_store(&s->drop_ppb, to_ppb(s->o.drop_rate));
	atomic_store(&s->dlr_fail_ppb, to_ppb(s->o.dlr_fail_rate));
	atomic_store(&s->fail_status, (unsigned)s->o.fail_status);
	atomic_store(&s->delay_ms, (unsigned)s->o.delay_ms);
	if (s->o.down_at >= 0) {
		atomic_store(&s->down_from, s->start_ms + (int64_t)(s->o.down_at * 1000));
		atomic_store(&s->down_until, s->start_ms + (int64_t)((s->o.down_at + s->o.down_for) * 1000));
	}
	if (s->o.record != NULL) {
		s->rec = strcmp(s->o.record, "-") == 0 ? stdout : fopen(s->o.record, "a");
		if (s->rec == NULL) {
			snprintf(err, errlen, "%s: %s", s->o.record, strerror(errno));
			return -1;
		}
		setvbuf(s->rec, NULL, _IOFBF, 1 << 16);
	}
	for (i = 0; i < IDSET_SHARDS; i++)
		pthread_mutex_init(&s->ids.sh[i].mu, NULL);
	return init_canned(s, err, errlen);
}

static int sim_start(struct sim *s, char *err, size_t errlen)
{
	struct MHD_OptionItem pool[2] = { { MHD_OPTION_END, 0, NULL }, { MHD_OPTION_END, 0, NULL } };
	char host[256];
	int fd, port;

	fd = open_listener(s->o.listen, host, sizeof host, &port, err, errlen);
	if (fd < 0)
		return -1;
	if (outq_start(&s->dlrq, s, DLR_QUEUE_MAX, (unsigned)s->o.dlr_threads) < 0 ||
	    outq_start(&s->moq, s, MO_QUEUE_MAX, 1) < 0 ||
	    outq_start(&s->delayq, s, CONN_LIMIT, 1) < 0) {
		snprintf(err, errlen, "cannot start worker threads");
		close(fd);
		return -1;
	}
	if (s->o.threads > 1)
		pool[0] = (struct MHD_OptionItem){ MHD_OPTION_THREAD_POOL_SIZE, s->o.threads, NULL };
	s->daemon = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME |
				     MHD_USE_ERROR_LOG | MHD_USE_TURBO, 0, NULL, NULL, on_request, s,
				     MHD_OPTION_LISTEN_SOCKET, fd,
				     MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONN_LIMIT,
				     MHD_OPTION_CONNECTION_TIMEOUT, 120u,
				     MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
				     MHD_OPTION_ARRAY, pool, MHD_OPTION_END);
	if (s->daemon == NULL) {
		snprintf(err, errlen, "cannot start the HTTP server");
		close(fd);
		return -1;
	}
	if (s->o.port_file != NULL && write_port_file(s->o.port_file, port, err, errlen) < 0)
		return -1;
	fprintf(stderr, strchr(host, ':') != NULL ? "smsc-sim: listening on [%s]:%d\n"
						  : "smsc-sim: listening on %s:%d\n", host, port);
	logmsg(s, false, "fail_rate=%g fail_status=%ld rate_429=%g delay_ms=%ld drop_rate=%g "
	       "dlr_url=%s mo_url=%s threads=%ld seed=%llu", s->o.fail_rate, s->o.fail_status,
	       s->o.rate_429, s->o.delay_ms, s->o.drop_rate, s->o.dlr_url ? s->o.dlr_url : "-",
	       s->o.mo_url ? s->o.mo_url : "-", s->o.threads, s->o.seed);
	return 0;
}

/* Order matters: no connection may still be suspended when MHD stops. */
static void sim_stop(struct sim *s)
{
	int i;

	outq_stop(&s->delayq);      /* answers every delayed reply now */
	outq_stop(&s->moq);         /* finishes or fails every parked MO */
	if (s->daemon != NULL)
		MHD_stop_daemon(s->daemon);
	outq_stop(&s->dlrq);
	atomic_store(&s->rec_dirty, true);
	record_flush(s);
	if (s->rec != NULL && s->rec != stdout)
		fclose(s->rec);
	if (atomic_load(&s->ctr.dlr_queue_drops) > 0)
		logmsg(s, true, "%" PRIu64 " delivery reports dropped or never sent",
		       atomic_load(&s->ctr.dlr_queue_drops));
	logmsg(s, false, "stopped after %" PRIu64 " send requests (%" PRIu64 " accepted)",
	       atomic_load(&s->ctr.requests), atomic_load(&s->ctr.accepted));
	for (i = 0; i < C_COUNT; i++)
		if (s->canned[i] != NULL)
			MHD_destroy_response(s->canned[i]);
	for (i = 0; i < IDSET_SHARDS; i++)
		free(s->ids.sh[i].slot);
	if (s->have_reject)
		regfree(&s->reject_re);
	free(s->delayq.heap);
	free(s->dlrq.heap);
	free(s->moq.heap);
}

int main(int argc, char **argv)
{
	struct sim *s = calloc(1, sizeof *s);
	struct timespec tick = { 0, FLUSH_MS * 1000000L };
	struct rlimit rl;
	char err[256] = "";
	sigset_t sigs;
	int rc, sig;

	if (s == NULL)
		return 1;
	rc = parse_args(argc, argv, &s->o);
	if (rc != 0) {
		free(s);
		return rc > 0 ? 0 : 2;
	}
	/* Signals are taken synchronously by the main thread; every thread inherits this mask. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = sim_init(s, err, sizeof err);
	if (rc == 0)
		rc = sim_start(s, err, sizeof err);
	if (rc != 0) {
		logmsg(s, true, "%s", err);
	} else {
		for (;;) {
			sig = sigtimedwait(&sigs, NULL, &tick);
			if (sig == SIGINT || sig == SIGTERM)
				break;
			record_flush(s);
		}
	}
	sim_stop(s);
	curl_global_cleanup();
	free(s);
	return rc == 0 ? 0 : 1;
}
