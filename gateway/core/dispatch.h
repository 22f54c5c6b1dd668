/*
 * dispatch.h - the dispatcher: leases due outbox rows, sends them through
 * the configured providers concurrently with libcurl's multi interface
 * (connections kept alive and reused), and records every result in
 * batched transactions.  Transient failures come back with exponential
 * backoff and jitter (or the provider's Retry-After); permanent ones fail
 * with the provider's reason; a provider that keeps failing rests behind a
 * circuit breaker while traffic goes to the next one.
 *
 * The engine never blocks but in dispatch_turn(), which waits for network
 * activity, its own timers, its database thread or the caller's file
 * descriptors (the daemon's signal pipe).  Call it from one thread only.
 */
#ifndef DUBAN_DISPATCH_H
#define DUBAN_DISPATCH_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "provider/provider.h"
#include "store/store.h"

struct dispatch;

struct dispatch_stats {
	uint64_t leased;    /* rows taken from the outbox */
	uint64_t sent;      /* accepted by a provider */
	uint64_t retried;   /* transient failures queued again */
	uint64_t failed;    /* given up */
	uint64_t expired;   /* past their expiry when due */
	uint64_t released;  /* handed back unsent (shutdown, reload) */
	uint64_t reclaimed; /* leases of a dead dispatcher taken back */
	uint64_t waited;    /* held for a provider's per-number window or its halt (no retry burned) */
	uint64_t lease_us;  /* time spent leasing (database) */
	uint64_t record_us; /* time spent recording results (database) */
};

/*
 * A new engine over cfg's providers and dispatcher settings, sending the
 * rows of cfg->database.  Its database work runs on a thread of its own
 * with its own connection (opened here), so commits and the network
 * overlap; everything else happens in the caller's thread.  cfg must
 * outlive the engine.  Returns 0, or -1 with err (no providers configured,
 * the database cannot be opened, libcurl or the thread failed to start).
 */
int dispatch_new(const struct duban_config *cfg, struct dispatch **out, char *err, size_t errlen);
/*
 * Free the engine.  Rows still leased in memory or in flight are handed
 * back (queued again) and pending results committed first, as far as the
 * database allows; call dispatch_drain and let it finish for a clean stop.
 * NULL is fine.
 */
void dispatch_free(struct dispatch *d);

/*
 * Free the engine without touching the database (a second SIGTERM): rows
 * in flight or leased stay 'sending' until their lease runs out.
 */
void dispatch_discard(struct dispatch *d);

/*
 * One turn of the engine: take back stale leases when it is time, lease
 * due rows when there is room, start requests, wait at most max_wait_ms
 * (less when the engine has a timer sooner; 0: do not wait; < 0: only
 * the engine's timers bound the wait) for network activity, one of extra
 * (may be NULL) or dispatch_wakeup, then collect finished requests and
 * commit results when a batch is full or old enough.  Database trouble
 * is logged and retried later, never fatal.  Returns 0, or -1 on a
 * libcurl failure.
 */
int dispatch_turn(struct dispatch *d, int max_wait_ms, struct curl_waitfd *extra, unsigned nextra);
/* New rows may be due (another process queued them): lease on the next turn. */
void dispatch_poke(struct dispatch *d);
/* Wake a dispatch_turn waiting in another thread (or from anywhere curl allows). */
void dispatch_wakeup(struct dispatch *d);
/*
 * Stop leasing and starting requests; rows leased but not started are
 * handed back.  Requests in flight finish (dispatch_idle tells when).
 */
void dispatch_drain(struct dispatch *d);
/* Abort requests still in flight (queued again, due now: the provider may
 * have accepted them) and commit every pending result.  0 or -1. */
int dispatch_abort(struct dispatch *d);
/* Commit pending results now.  0, or -1 (kept for a later try). */
int dispatch_flush(struct dispatch *d);
/* Nothing leased in memory, in flight or waiting for its commit. */
bool dispatch_idle(const struct dispatch *d);
/* The last lease found no more due rows and nothing poked since. */
bool dispatch_caught_up(const struct dispatch *d);
/* Milliseconds until the engine wants a turn (0: now; capped at cap_ms
 * unless cap_ms < 0, and at INT_MAX). */
int dispatch_wait_ms(const struct dispatch *d, int cap_ms);
void dispatch_get_stats(const struct dispatch *d, struct dispatch_stats *out);

/*
 * Lift the halt of every provider (a reload): written by the engine's
 * first job, recorded as resumed by `by` (a static string).
 */
void dispatch_resume_all(struct dispatch *d, const char *by);

/* Monotonic milliseconds at which time_now() (DUBAN_NOW aware) reaches UTC
 * second t; now when t has passed. */
int64_t dispatch_mono_at(int64_t t);

/* ---- policies (exported for their unit tests) ---------------------------- */

/*
 * The delay before retry n (1: the first retry) under p: base_ms * 2^(n-1)
 * capped at max_ms, then "full" jitter (uniform in [0, cap]) or "equal"
 * jitter (cap/2 + uniform in [0, cap/2]).  rng is an xorshift state
 * (non-zero), advanced.
 */
long dispatch_backoff_ms(const struct retry_policy *p, int n, uint64_t *rng);

/* A token bucket: rate tokens per second, at most burst saved up. */
struct bucket {
	double rate, burst, tokens;
	int64_t last_ms;
};
/* Start full.  rate 0 means unlimited. */
void dispatch_bucket_init(struct bucket *b, double rate, double burst, int64_t now_ms);
/* Take a token if there is one; true when taken (always with rate 0). */
bool dispatch_bucket_take(struct bucket *b, int64_t now_ms);
/* Milliseconds until a token is there (0: now). */
long dispatch_bucket_wait_ms(const struct bucket *b, int64_t now_ms);

/*
 * 0 when UTC time t is outside the quiet hours q (local time); else the UTC
 * time they end.
 */
int64_t dispatch_quiet_until(const struct quiet_hours *q, int64_t t);

/*
 * What a verdict makes of a row that has had `attempts` attempts before
 * this one, under a retry policy of retries_max: accepted -> SEND_SENT;
 * halted -> SEND_NOTE (the attempt recorded, the row handed to the next
 * provider, no retry burned); limited -> SEND_WAIT (queued until the
 * provider's window has passed, no retry burned); permanent, or transient
 * past retries_max -> SEND_FAILED; transient -> SEND_RETRY.
 */
enum send_outcome dispatch_outcome(const struct provider_verdict *v, int attempts,
				   int retries_max);

/*
 * Whether row t (next in the heap) joins the request whose first row is
 * first and which holds n rows: the same priority and template, and the
 * same values as first up to cap rows, or - once one differs (*distinct
 * set) - up to cap_distinct rows in all.  The caller also checks that the
 * provider can carry t and has a token for it.
 */
bool dispatch_joins(const struct lease_msg *first, const struct lease_msg *t, size_t n,
		    size_t cap, size_t cap_distinct, bool *distinct);

/* ---- circuit breakers, for /healthz (added by the HTTP server's issue) ------- */

enum dispatch_breaker_state {
	DISPATCH_BREAKER_CLOSED,
	DISPATCH_BREAKER_OPEN,      /* resting: no traffic until rest_ms have passed */
	DISPATCH_BREAKER_HALF_OPEN, /* rested: the next request (or the one out) decides */
};

/* A provider's circuit breaker as the engine sees it. */
struct dispatch_breaker {
	const char *name;  /* the provider's, owned by the configuration */
	enum dispatch_breaker_state state;
	long rest_ms;      /* OPEN: milliseconds of rest left */
	int inflight;      /* requests in flight */
	int fails;         /* consecutive transport / 5xx failures */
};
/*
 * Copy the breakers of up to max providers (configuration order) into
 * out; *n tells how many.  Reads only; call from the engine's thread (the
 * daemon's loop), which then hands the copy to other threads.
 */
void dispatch_breakers(const struct dispatch *d, struct dispatch_breaker *out, size_t max,
		       size_t *n);

#endif
