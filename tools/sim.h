/*
 * sim.h - private header of smsc-sim, the fake SMS provider: the limits, the
 * one struct sim that holds all of the simulator's state (options, failure
 * knobs, counters, record file, accepted-id set, job queues, canned replies),
 * the per-request struct req, a few tiny inline helpers, and the functions
 * the simulator's files share: smsc-sim.c (main, options, start/stop),
 * sim_http.c (the request handlers), sim_jobs.c (the delay / delivery-report
 * / MO queues and their worker threads), sim_record.c (the record file,
 * the counters' JSON and the duplicate-id set), and the Alibaba Cloud /
 * Tencent Cloud modes (--api): sim_cn.c (what both share: the templates
 * file, keys, nonces, per-number caps, rendering, pushes), sim_aliyun.c and
 * sim_tencent.c (each provider's signature check and SendSms).  Nothing here
 * is used outside tools/.
 */
#ifndef DUBAN_TOOLS_SIM_H
#define DUBAN_TOOLS_SIM_H

#include <pthread.h>
#include <regex.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>
#include <microhttpd.h>

#include "base/buf.h"

#define BODY_MAX        (64 * 1024)  /* request body limit; more is a 413 */
#define CN_BODY_MAX     (1024 * 1024) /* the same in the --api modes */
#define CN_MEMORY_LIMIT (512 * 1024) /* MHD per-connection memory there: long query strings */
#define REQ_INLINE      1024         /* body bytes kept inside struct req */
#define MAX_PARAMS      64           /* query + form parameters per request */
#define CONN_LIMIT      16384        /* concurrent HTTP connections */
#define DLR_QUEUE_MAX   100000       /* pending delivery reports */
#define MO_QUEUE_MAX    256          /* pending MO posts */
#define URL_MAX         8192         /* expanded Kannel dlr-url */
#define MAX_THREADS     64
#define IDSET_SHARDS    64
#define FLUSH_MS        50           /* record file flush period */
#define PPB             1000000000u  /* fractions are kept in parts per 1e9 */
#define HTTP_TIMEOUT_MS 5000L        /* outgoing DLR / MO requests */
#define MO_TO_DEFAULT   "10690000"
#define CT_JSON         "application/json"
#define CT_HTML         "text/html"

/* Salts that make each per-request random decision independent. */
enum { K_DROP = 1, K_429, K_FAIL, K_DLR };

/* The key of a per-number decision: number i of request n (i < 1024). */
#define PER_NUMBER_KEY(n, i) ((n) * 1024 + (i))

/* Which provider the simulator plays (--api). */
enum api_mode { API_GENERIC = 0, API_ALIYUN, API_TENCENT };

struct field {
	const char *p;  /* NULL when absent; NUL-terminated when present */
	size_t n;
};

/* An absent field (p NULL), defined in sim_http.c. */
extern const struct field no_field;

enum outcome { OUT_ACCEPTED, OUT_FAILED, OUT_REJECTED, OUT_DROPPED };

enum route {
	RT_JSON, RT_KANNEL, RT_STATS, RT_DOWN, RT_UP, RT_CONFIG, RT_MO, RT_NOTFOUND, RT_BADMETHOD,
	RT_CN, RT_BALANCE, RT_ERROR, RT_SINK
};

enum canned_id {
	C_J_INVALID_NUMBER, C_J_MISSING_TO, C_J_MISSING_TEXT, C_J_BAD_JSON, C_J_UNAUTHORIZED,
	C_J_500, C_J_503, C_J_429, C_K_ACCEPTED, C_K_QUEUED, C_K_AUTH, C_K_MISSING_TO,
	C_K_DENIED, C_K_TEMP, C_NOT_FOUND, C_BAD_METHOD, C_TOO_LARGE, C_COUNT
};

struct opts {
	const char *listen, *port_file, *record, *reject, *require_header;
	const char *kannel_user, *kannel_pass, *dlr_url, *mo_url, *sign_secret;
	const char *api, *templates, *ak_id, *ak_secret, *tc_id, *tc_key, *sdk_app_id;
	double fail_rate, rate_429, drop_rate, dlr_fail_rate, down_at, down_for;
	long fail_status, retry_after, delay_ms, dlr_delay_ms, threads, dlr_threads;
	long per_number_day, per_number_hour, max_param, push_batch, push_retries, push_retry_ms;
	unsigned long long seed;
	bool kannel_queued, quiet, no_balance;
};

/* Numbers per request, in the buckets of /_sim/stats "batches". */
enum { HIST_1, HIST_10, HIST_100, HIST_200, HIST_1000, HIST_MORE, HIST_COUNT };

struct counters {
	_Atomic uint64_t requests, accepted, failed, rejected, dropped, unique_ids, duplicates;
	_Atomic uint64_t dlr_sent, dlr_errors, dlr_queue_drops, mo_sent, mo_errors;
	_Atomic uint64_t next_msgid, next_mo;
	/* --api modes: numbers in requests past the signature check, and what became of them */
	_Atomic uint64_t numbers, numbers_accepted, numbers_refused, max_batch, hist[HIST_COUNT];
	_Atomic uint64_t auth_failures, pushes, push_items, push_retries, push_bad_answers;
	_Atomic uint64_t push_given_up, max_push_batch, sink_hits;
};

/* One shard of the accepted-id set: 64-bit hashes, open addressing, 0 = empty. */
struct idshard {
	pthread_mutex_t mu;
	uint64_t *slot;
	size_t cap, n;
};

enum job_kind { JOB_RESUME, JOB_DLR_JSON, JOB_DLR_KANNEL, JOB_MO, JOB_PUSH };
enum { F_ID, F_TO, F_FROM, F_URL };

struct req;

struct job {
	enum job_kind kind;
	bool delivered;
	int64_t due;                  /* CLOCK_MONOTONIC ms */
	uint64_t msgid;
	struct field f[4];            /* F_ID..F_URL, copies in data[] */
	char *body;                   /* MO: the JSON to post; PUSH: its items joined by ","; owned */
	size_t count;                 /* PUSH: items in body */
	int attempt;                  /* PUSH: posts tried so far */
	bool array;                   /* PUSH: items go in a JSON array (mergeable); else one object */
	const char *url;              /* PUSH: --dlr-url or --mo-url */
	struct MHD_Connection *conn;  /* RESUME, MO: suspended until the job ran */
	struct req *req;              /* MO: where the result goes */
	char data[];
};

/* A bounded queue of jobs ordered by due time (a min-heap) with its own threads. */
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

/* One approved template (--templates): its text cut at the placeholders. */
struct cn_seg {
	size_t off, len;  /* literal text[off, off+len) */
	int ph;           /* then placeholder ph (index into cn_tmpl.ph), or -1 */
};

struct cn_tmpl {
	char *code, *text;
	struct cn_seg *seg;
	size_t nseg, nph;
	char **ph;  /* placeholder names: Aliyun ${name}; Tencent {N} as "N" */
};

/* A set of 64-bit hashes, open addressing, 0 = empty. */
struct hset {
	uint64_t *slot;
	size_t cap, n;
};

#define CAP_SHARDS 16
struct capslot {
	uint64_t key;  /* the 11-digit number, 0 = empty */
	uint32_t day, count, hour, hcount;
};
struct capshard {
	pthread_mutex_t mu;
	struct capslot *slot;
	size_t cap, n;
};

/* The state of the --api modes (NULL in the generic mode). */
struct cn {
	enum api_mode mode;
	char **signs;
	size_t nsigns, ntmpl;
	struct cn_tmpl *tmpl;
	const char *key_id, *key_secret, *app_id;
	atomic_bool balance;
	pthread_mutex_t mu;        /* err_*, nonces */
	char err_code[96], err_msg[256];
	long err_left;             /* requests still answered with err_code; -1 = until cleared */
	struct hset nonce[2];      /* this and the previous window of nonces */
	int64_t nonce_since;       /* CLOCK_MONOTONIC ms when nonce[0] started */
	struct capshard caps[CAP_SHARDS];
	_Atomic uint64_t next_biz, next_serial, next_request;
};

struct sim {
	struct opts o;
	struct cn *cn;
	size_t body_max;
	uint64_t seed_mix;
	int64_t start_ms;
	regex_t reject_re;
	bool have_reject;
	char hdr_name[128];
	const char *hdr_value;
	struct MHD_Daemon *daemon;
	struct MHD_Response *canned[C_COUNT];
	atomic_uint fail_ppb, rate429_ppb, drop_ppb, dlr_fail_ppb, fail_status, delay_ms;
	_Atomic int64_t down_from, down_until;  /* CLOCK_MONOTONIC ms */
	struct counters ctr;
	FILE *rec;
	atomic_bool rec_dirty;
	bool rec_error;
	struct idshard ids[IDSET_SHARDS];
	struct outq delayq, dlrq, moq;  /* reply delays, delivery reports, MO posts */
};

enum { MO_NONE, MO_WAITING, MO_DONE };

/* Per-request state: MHD's con_cls. */
struct req {
	enum route route;
	bool too_big;
	int mo;
	bool mo_accepted;  /* --api modes: duban answered as the provider expects */
	long mo_status;
	char mo_err[CURL_ERROR_SIZE];
	struct MHD_Response *pending;  /* a reply held back by a delay */
	unsigned pending_status;
	bool pending_owned;
	size_t len, cap;
	char *body;
	char inline_buf[REQ_INLINE];
};

struct params {
	struct {
		struct field k, v;
	} kv[MAX_PARAMS];
	unsigned n;
	bool overflow;
};

/* The fields of one send request, whichever API it came through. */
struct sendinfo {
	const char *api;
	struct field to, text, id, sign, from, dlr_url, dlr_mask;
};

/* ---- tiny helpers shared by every file ---------------------------------- */

static inline bool str_is(const char *a, const char *b)
{
	return a != NULL && strcmp(a, b) == 0;
}

/* Log the first few occurrences of a recurring problem, then every 1000th. */
static inline bool worth_logging(uint64_t count)
{
	return count <= 10 || count % 1000 == 0;
}

static inline int64_t clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* True with probability ppb/1e9; a pure function of (seed, request number, salt). */
static inline bool chance(const struct sim *s, uint64_t n, unsigned salt, unsigned ppb)
{
	if (ppb == 0 || ppb >= PPB)
		return ppb != 0;
	return mix64(s->seed_mix ^ (n * 8 + salt) * 0x9e3779b97f4a7c15ULL) % PPB < ppb;
}

static inline unsigned to_ppb(double f)
{
	return (unsigned)(f * (double)PPB + 0.5);
}

static inline bool field_empty(struct field f)
{
	return f.p == NULL || f.n == 0;
}

static inline bool field_is(struct field f, const char *lit)
{
	return f.p != NULL && f.n == strlen(lit) && memcmp(f.p, lit, f.n) == 0;
}

/* ---- smsc-sim.c --------------------------------------------------------- */

/*
 * Logs one line "smsc-sim: ..." to stderr (whole, whichever thread logs);
 * unless always, nothing is logged under --quiet.
 */
void sim_log(const struct sim *s, bool always, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Parses a whole decimal string within [lo, hi] into *out; 0, or -1 (and *out untouched). */
int sim_parse_double(const char *str, double lo, double hi, double *out);
int sim_parse_long(const char *str, long lo, long hi, long *out);

/* ---- sim_http.c --------------------------------------------------------- */

/*
 * Builds s->canned, the fixed replies shared by every connection (the 429
 * one carries Retry-After: --retry-after).  Returns 0, or -1 when out of
 * memory; sim_stop() destroys whatever was built.
 */
int sim_canned_init(struct sim *s);

/* A new JSON string holding f, or JSON null when f is absent (or out of memory). */
json_t *sim_jstr(struct field f);

/* libmicrohttpd's access handler (cls is the struct sim); con_cls is a struct req. */
enum MHD_Result sim_on_request(void *cls, struct MHD_Connection *c, const char *url,
			       const char *method, const char *version, const char *upload,
			       size_t *upload_size, void **con_cls);

/* The query and form parameters of a request; the first occurrence of a key wins. */
void sim_params_collect(struct MHD_Connection *c, struct req *r, struct params *p);
struct field sim_param(const struct params *p, const char *key);

/* The provider is down, or request n loses the drop-rate draw. */
bool sim_is_dropped(struct sim *s, uint64_t n);

/* The number matches --reject. */
bool sim_is_denied(const struct sim *s, const char *number);

/* Answers with body (malloc'd, len bytes, JSON; taken over whatever happens)
 * after --delay-ms; MHD_NO (connection closed) when out of memory. */
enum MHD_Result sim_reply_owned(struct sim *s, struct MHD_Connection *c, struct req *r,
				unsigned status, char *body, size_t len);

/* libmicrohttpd's completion callback: frees the struct req and any held-back reply. */
void sim_on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe);

/* ---- sim_jobs.c --------------------------------------------------------- */

/* A job holding copies of the given fields; NULL when out of memory.  Free with free(). */
struct job *sim_job_new(enum job_kind kind, struct field id, struct field to,
			struct field from, struct field url);

/*
 * Queues j, which the queue then owns.  With conn (a delayed reply or an MO),
 * the connection is suspended until a worker has run the job; this must be
 * called from the access handler.  Returns -1 when the queue is full or
 * stopping: the caller still owns j and conn is not suspended.
 */
int sim_outq_push(struct outq *q, struct job *j, struct MHD_Connection *conn);

/*
 * Allocates q's heap of cap jobs and starts nth worker threads on it.
 * Returns 0, or -1 (sim_outq_stop() still cleans up what was started).
 */
int sim_outq_start(struct outq *q, struct sim *s, size_t cap, unsigned nth);

/* Stops the workers after their current job; queued jobs are abandoned. */
void sim_outq_stop(struct outq *q);

/*
 * Queues a push of count items (body: JSON objects joined by ",", taken
 * over) to url after delay_ms: an array (several pushes due together are
 * merged into one POST of at most --push-batch items) or, with array false,
 * one object.  A push whose answer is not the provider's expected one is
 * tried again (--push-retries, --push-retry-ms).  Returns 0, or -1 when the
 * queue is full (counted in dlr_queue_drops; body freed).
 */
int sim_push(struct sim *s, const char *url, char *body, size_t count, bool array, long delay_ms);

/* ---- sim_record.c ------------------------------------------------------- */

/* Opens --record (if given; "-" is stdout) for appending.  Returns 0, or -1 with err. */
int sim_record_open(struct sim *s, char *err, size_t errlen);

/* Appends one JSON line for a send request (msgid 0: none) to the record file, if any. */
void sim_record(struct sim *s, uint64_t n, const struct sendinfo *si, unsigned status,
		uint64_t msgid, enum outcome oc);

/* Flushes the record file if written to since; called by the main thread every FLUSH_MS. */
void sim_record_flush(struct sim *s);

/* Flushes and closes the record file (stdout is only flushed). */
void sim_record_close(struct sim *s);

/* Writes the counters as one JSON object into buf[cap]; returns snprintf's length. */
int sim_stats_json(struct sim *s, char *buf, size_t cap);

/* Prepares the accepted-id set; sim_idset_free() releases it. */
void sim_idset_init(struct sim *s);

/*
 * Adds an accepted id, kept as a 64-bit hash (a false "duplicate" needs a
 * hash collision: about n^2/2^65 for n ids).  Returns 1 if the id is new,
 * 0 if it was seen before, -1 when out of memory.
 */
int sim_idset_add(struct sim *s, struct field id);

/* The same for an id already hashed with sim_hash (the --api modes hash a
 * request's text once and each number into it). */
int sim_idset_add_hash(struct sim *s, uint64_t h);

/* FNV-1a of f's bytes, started from seed (0, or an earlier sim_hash). */
uint64_t sim_hash(struct field f, uint64_t seed);

/* Frees the set's slots (left NULL); safe whether or not ids were ever added. */
void sim_idset_free(struct sim *s);

/* ---- sim_cn.c ----------------------------------------------------------- */

/*
 * Sets up the --api mode: keys from the options or the environment, the
 * templates file, the nonce set and the caps.  Returns 0, 2 on a usage
 * error (missing keys or templates file), or 1 on another failure, with err.
 */
int sim_cn_init(struct sim *s, char *err, size_t errlen);

/* Frees s->cn and everything in it (NULL is fine). */
void sim_cn_free(struct sim *s);

/* The approved template with this code, or NULL. */
const struct cn_tmpl *sim_cn_template(const struct sim *s, const char *code);

/* The signature is registered. */
bool sim_cn_sign_known(const struct sim *s, const char *sign);

/* Lowercase hex SHA-256 of p[0..n) into out[65]. */
void sim_sha256_hex(const void *p, size_t n, char out[65]);

/* HMAC-SHA256 of msg under key into out[32]. */
void sim_hmac256(const void *key, size_t klen, const void *msg, size_t mlen, unsigned char out[32]);

/* Lowercase hex of n bytes into out (2n+1 bytes). */
void sim_hex(const unsigned char *p, size_t n, char *out);

/* Appends v percent-encoded as RFC 3986 (unreserved kept, %XX upper case). */
int sim_rfc3986(struct buf *b, const char *v, size_t n);

/* Marks an Aliyun nonce used: 1 if new, 0 if seen within 15 minutes, -1 out of memory. */
int sim_nonce_use(struct sim *s, const char *nonce);

/* Counts one message to the 11-digit number nat in this Beijing day and
 * clock hour: CAP_OK, or (counting nothing) the window whose cap
 * (--per-number-day, --per-number-hour) it reached. */
enum cap_result { CAP_OK = 0, CAP_HOUR, CAP_DAY };
enum cap_result sim_cap_take(struct sim *s, const char *nat);

/* Aliyun's message for a cap: "触发天级流控Permits:N" / "触发小时级流控Permits:N". */
void sim_cap_message(const struct sim *s, enum cap_result cap, char *out, size_t outlen);

/* The 11-digit national number of a Chinese mobile given as +86 / 0086 / 86 /
 * bare 11 digits (1[3-9] and 9 more digits), into nat[12]; -1 if it is not one. */
int sim_cn_number(const char *in, size_t n, char nat[12]);

/* A forced error (POST /_sim/error) for this request: copies its code and
 * message and returns true (counting it down). */
bool sim_cn_forced(struct sim *s, char *code, size_t codecap, char *msg, size_t msgcap);

/* Renders "【sign】" + t's text with vals[i] for placeholder i into out;
 * *parts gets the billed parts (70 / 67).  Returns 0 or -1 (out of memory). */
int sim_cn_render(const char *sign, const struct cn_tmpl *t, const char *const *vals,
		  struct buf *out, int *parts);

/* Beijing time "YYYY-MM-DD HH:MM:SS" of unix seconds t into out[20]. */
void sim_cn_time(int64_t t, char out[20]);

/* A fresh request id ("5B9A...-..."-style, unique per run) into out[40]. */
void sim_cn_request_id(struct sim *s, char out[40]);

/* Counts a request of n numbers (stats: numbers, max_batch, batches). */
void sim_cn_count_batch(struct sim *s, size_t n);

/* Appends one record line for number to of a --api request (text NULL if not rendered). */
struct cn_line {
	uint64_t n;
	const char *action, *to, *text, *sign, *tmpl;
	const char *params;  /* the values as JSON text, or NULL */
	const char *id, *code, *msgid, *outcome;
	unsigned status;
	int parts;
};
void sim_cn_record(struct sim *s, const struct cn_line *l);

/* One parameter set dumped as JSON, dumped again only when it changes: the
 * numbers of a request share theirs.  Free with sim_pcache_free. */
struct pcache {
	const json_t *p;
	char *s;
};
const char *sim_pcache(struct pcache *c, const json_t *p);
void sim_pcache_free(struct pcache *c);

/*
 * Appends "name:value\n" for each name of the ';'-separated list names[0..nlen)
 * with the request's header value, blanks trimmed (lower: lowercased too).
 * Returns 0, or -1 if a header is missing, the list is not lowercase, sorted
 * and without repeats, or out of memory.
 */
int sim_canon_headers(struct MHD_Connection *c, const char *names, size_t nlen, bool lower,
		      struct buf *out);

/* The ';'-separated list names[0..nlen) holds name. */
bool sim_names_have(const char *names, size_t nlen, const char *name);

/* ---- sim_aliyun.c / sim_tencent.c --------------------------------------- */

/* Serves one request to "/" in --api aliyun / tencent mode. */
enum MHD_Result sim_aliyun_serve(struct sim *s, struct MHD_Connection *c, struct req *r,
				 const char *method);
enum MHD_Result sim_tencent_serve(struct sim *s, struct MHD_Connection *c, struct req *r,
				  const char *method);

/* The body of a /_sim/mo reply in the mode's format (Aliyun SmsUp array of
 * one, Tencent reply object), from the posted JSON; NULL if unusable. */
char *sim_cn_mo_body(struct sim *s, json_t *in);

/* True if body (len bytes, HTTP status) is the answer the provider expects to a push:
 * 200 and {"code":0,"msg":"接收成功"} / {"result":0,"errmsg":"OK"} as JSON. */
bool sim_cn_push_answer_ok(const struct sim *s, long status, const char *body, size_t len);

#endif
