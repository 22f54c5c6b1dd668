/*
 * dispatch_int.h - what the dispatcher's two files share: dispatch.c (the
 * loop, the database thread, leasing and committing) and dispatch_send.c
 * (choosing a provider for a row, grouping rows into one request, and
 * turning a provider's verdicts into the rows' next states, halts
 * included).  Nothing outside core/dispatch*.c includes it.
 */
#ifndef DUBAN_DISPATCH_INT_H
#define DUBAN_DISPATCH_INT_H

#include <pthread.h>

#include "core/dispatch.h"
#include "core/route.h"

#define NEVER INT64_MAX

enum breaker { BR_CLOSED, BR_OPEN, BR_HALF_OPEN };

/* What the database must learn of a provider's halt (see dsp_halt_*). */
enum halt_op { HALT_NONE, HALT_SET, HALT_CLEAR };

struct prov {
	const struct provider_conf *pc;
	struct bucket bucket;
	int inflight;
	int fails;              /* consecutive transport / 5xx failures */
	enum breaker br;
	int64_t open_until_ms;  /* monotonic */
	bool probing;           /* half open or halted: the one trial request is out */
	/* Halted: the provider refused everything.  No traffic but one trial
	 * request every halt_retry_ms (trial_ms, monotonic). */
	bool halted;
	int64_t trial_ms;
	char halt_code[64];
	char halt_reason[256];
	enum halt_op pending;   /* to write with the next job */
	const char *clear_by;   /* HALT_CLEAR: who lifted it ("trial", "reload") */
	unsigned gen;           /* bumped by every change made here: a job's read of the
	                         * table applies only if nothing changed since it was posted */
	size_t cap;             /* most rows in one request (1: no batches) */
	size_t cap_distinct;    /* most rows with differing values in one request */
};

struct slot {
	CURL *easy;
	struct prov *prov;
	struct lease_msg **msgs; /* the rows of this request (nmsg; 0: the slot is free) */
	size_t nmsg, capmsg;
	struct provider_msg *pm; /* capmsg each */
	struct provider_verdict *v;
	struct route_send *rs;   /* capmsg: what each row sends through prov (a row of
	                          * the same values as the one before it shares its values) */
	char **text;             /* capmsg: the text the phone shows (malloc'd), NULL unknown */
	int *parts;              /* capmsg: its parts */
	struct provider_req req;
	struct buf resp;
	struct curl_slist *hdrs;
	int64_t start_ms;       /* monotonic */
	int64_t start_at;       /* UTC seconds */
	bool probe, too_big;
	char errbuf[CURL_ERROR_SIZE];
	struct slot *next_free;
};

/* A halt or resume to write, and an alert to queue with a new halt. */
struct halt_ev {
	const char *provider;
	enum halt_op op;
	const char *by;
	char code[64];
	char reason[256];
};

/* A job for the database thread; see db_do. */
struct dbjob {
	struct send_result *res; /* results to record first */
	size_t nres;
	bool lease, reclaim;
	struct lease_opts o;
	int64_t *renew;          /* ids held (heap, in flight, results): extend their lease */
	size_t nrenew;
	int64_t renew_until;
	int64_t quiet_end, now_s;
	int64_t retry_at;        /* earliest not_before of the retries among res (0: none) */
	bool released;           /* res hands rows back, due at once */
	struct halt_ev *ev;      /* nprov entries: halts to write first */
	unsigned *gen;           /* nprov: each provider's gen when posted */
	bool *halted;            /* nprov: the table's word after the writes */
	char (*hcode)[64];       /* nprov: its code */
	bool state_rc;           /* the table was read */
	/* filled in by the thread */
	int rc, reclaim_rc;
	size_t got, expired, reclaimed;
	bool have_next;
	int64_t next_due;
	uint64_t us;
	char err[600];
};

struct dispatch {
	const struct duban_config *cfg;
	CURLM *multi;
	struct prov *prov;
	size_t nprov;
	struct slot *slots, *free_slots;
	size_t nslots;
	int inflight;
	struct lease_msg **heap, **lease_buf;
	size_t nheap, capheap;
	struct send_result *res, *jres; /* collecting / being recorded by the job */
	size_t nres, capres, capjres;
	int64_t res_first_ms;
	size_t batch;
	long lease_ms, commit_ms;
	int64_t next_lease_ms, next_reclaim_ms, next_renew_ms, flush_retry_ms;
	int64_t *renew_ids; /* the ids of the rows held, for a renewal */
	size_t caprenew;
	int64_t blocked_until_ms; /* starting is blocked until then (NEVER: until a request ends) */
	bool caught_up, draining, discard, poked;
	uint64_t rng;
	struct dispatch_stats stats;
	char why_hour[160], why_day[160]; /* wait_reason of rows held by the local limits */
	bool own_limits;          /* some provider has `limits` of its own */
	/* Numbers a provider refused for a while (LIMITED): their other rows in
	 * the heap wait too, without a request that would be refused. */
	struct limited_num {
		uint64_t hash;        /* of the number (0: empty) */
		int64_t until;        /* UTC seconds */
		char why[160];
	} lim[64];
	size_t lim_next;
	/* the database thread */
	struct store *dbst;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool th_started, th_stop, job_posted, job_done;
	struct dbjob job;
};

/* ---- dispatch.c ---------------------------------------------------------- */

/* Push a row onto the heap (grown as needed); -1 when out of memory (m not taken). */
int dsp_heap_push(struct dispatch *d, struct lease_msg *m);
struct lease_msg *dsp_heap_pop(struct dispatch *d);
/* A result slot, zeroed; NULL only when out of memory. */
struct send_result *dsp_result_new(struct dispatch *d, int64_t id, enum send_outcome oc);

/* ---- dispatch_send.c ----------------------------------------------------- */

/* Size each provider's requests (cap, cap_distinct). */
void dsp_prov_init(struct dispatch *d);
/* Start requests while rows, slots, providers and tokens allow. */
void dsp_start_transfers(struct dispatch *d);
/* Take the finished requests from the multi handle and record their rows. */
void dsp_collect(struct dispatch *d);
/* Room for n rows in s: 0, or -1 when out of memory (s keeps what it had). */
int dsp_slot_reserve(struct slot *s, size_t n);
/* Free what a slot holds of its rows (the rows too when free_rows). */
void dsp_slot_clear(struct slot *s, bool free_rows);
/* Free a slot's arrays. */
void dsp_slot_free(struct slot *s);
/* Can any provider take a request now or soon? *until: when one can. */
bool dsp_any_usable(const struct dispatch *d, int64_t now, int64_t *until);
/* Fill the job's halt events from the providers' pending changes. */
void dsp_halt_post(struct dispatch *d, struct dbjob *j);
/* The database thread's part: write the halts (and their alerts), read the table. */
void dsp_halt_db(struct dispatch *d, struct dbjob *j);
/* The loop's part when the job is done: apply what the table says. */
void dsp_halt_collect(struct dispatch *d, struct dbjob *j);
/*
 * The per-number limits of a row (store_lease's limits_of): those of the
 * first provider able to carry it when it has its own (`limits`), else the
 * global ones already in *per_hour, *per_day.  Runs on the database thread:
 * it reads only the configuration.
 */
void dsp_limits_of(void *arg, const char *template_name, const char *params, int *per_hour,
		   int *per_day);
/* Any provider halted (so a poke must read the table)? */
bool dsp_any_halted(const struct dispatch *d);

#endif
