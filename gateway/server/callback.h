/*
 * callback.h - what providers tell duban, as the HTTP server receives it
 * at /callbacks/{dlr|mo}/PROVIDER[/SECRET]: delivery reports move a sent
 * message to delivered or failed (once, whenever they arrive), and
 * replies (MO) from officials and farmers are handed to core/reply.h,
 * which stores them and acts on them (TD, 收到, 完成 T12, or the inbox).
 *
 * A callback is authenticated by the provider's callback_secret, either
 * as the last segment of the path or as a signature of the request
 * (callback_sign: the timestamp, method, path, query and body, so that
 * nothing duban acts on can be changed or replayed after the window).
 * Its fields come from one place: the query string of a GET, the body
 * (JSON or a form) of a POST; a request with fields in the other place is
 * refused.  The HTTP server calls these on its writer's database
 * connection; nothing here keeps state.
 */
#ifndef DUBAN_CALLBACK_H
#define DUBAN_CALLBACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/reply.h"
#include "provider/provider.h"
#include "server/api.h"
#include "store/store.h"

#define CALLBACK_SIG_HEADER "X-Duban-Signature" /* "sha256=" and 64 hex digits */
#define CALLBACK_TS_HEADER "X-Duban-Timestamp"  /* Unix seconds, in decimal */
#define CALLBACK_SIG_HEX 64

/* A request to /callbacks/..., as the HTTP server received it. */
struct callback_req {
	const char *method;       /* "GET" or "POST"; anything else is a 405 */
	const char *path;         /* as sent, escapes untouched: "/callbacks/dlr/sim" */
	const char *query;        /* the bytes after '?' as sent ("" when none) */
	const char *body;         /* len bytes, NUL-terminated ("" when none) */
	size_t len;
	const char *content_type; /* the header (NULL: none) */
	const char *timestamp;    /* CALLBACK_TS_HEADER (NULL: none) */
	const char *signature;    /* CALLBACK_SIG_HEADER (NULL: none) */
	int64_t now;              /* the real clock (UTC seconds): the provider's clock is real */
	struct store *st;
	const struct duban_config *cfg;
};

/*
 * Answer callback request r into out: 404 (no such route, provider or
 * callback_secret), 401 (the secret or signature is missing or wrong,
 * the timestamp is outside http.signature_window), 405 (not GET or POST),
 * 400 (fields in the wrong place, a NUL byte, a field the provider's
 * backend cannot read - named in "field"), 500 (database trouble: the
 * provider should send it again), or 200 with what it did.  *queued is
 * set when a reply may have queued an answer for the dispatcher.
 */
void callback_handle(const struct callback_req *r, struct api_resp *out, bool *queued);

/*
 * The signature of a callback: HMAC-SHA256 under secret of
 *
 *     TIMESTAMP "\n" METHOD "\n" PATH "\n" QUERY "\n" BODY
 *
 * (each exactly as sent; QUERY without its '?', "" when there is none;
 * BODY the len bytes of the body, "" for a GET) as 64 lowercase hex
 * digits into hex (CALLBACK_SIG_HEX + 1 bytes).  Returns 0, or -1 (out of
 * memory, or the parts do not fit in an int for OpenSSL).
 */
int callback_sign(const char *secret, const char *timestamp, const char *method,
		  const char *path, const char *query, const char *body, size_t len, char *hex);

/*
 * Check r's CALLBACK_TS_HEADER and CALLBACK_SIG_HEADER against secret: the
 * timestamp no further than window seconds from r->now either way, the
 * signature callback_sign's (compared in constant time).  Returns 0, or
 * -1 with *why (static text) saying what is wrong.
 */
int callback_verify(const struct callback_req *r, const char *secret, long window,
		    const char **why);

/*
 * Record delivery report d from provider pc (store_dlr_record, with
 * cfg->dlr's bounds on reports that come before their send) and log what
 * it did: an unknown provider id is kept for a while, duban's id of a
 * message it sent no request for is ignored, reports dropped for time or
 * room are counted.  *out tells the outcome.  Returns 0, or -1 with err
 * (database trouble: the provider should send it again).
 */
int callback_dlr(struct store *st, const struct duban_config *cfg, const struct provider_conf *pc,
		 const struct provider_dlr *d, struct dlr_outcome *out, char *err, size_t errlen);
/*
 * The same for the n reports of d (a provider's array push), recorded in
 * one transaction (store_dlr_record_many): out has n entries.  0, or -1
 * with err (nothing recorded).
 */
int callback_dlr_many(struct store *st, const struct duban_config *cfg,
		      const struct provider_conf *pc, const struct provider_dlr *d, size_t n,
		      struct dlr_outcome *out, char *err, size_t errlen);

/*
 * Hand reply mo from provider pc to reply_receive (core/reply.h), which
 * stores it and acts on it in one transaction; cfg gives the signature,
 * sms.max_parts and http.forward_to.  *out tells what it led to.  Returns
 * 0, or -1 with err (text that is not valid UTF-8 - err says "UTF-8" -
 * or database trouble).
 */
int callback_mo(struct store *st, const struct duban_config *cfg, const struct provider_conf *pc,
		const struct provider_mo *mo, struct reply_result *out, char *err,
		size_t errlen);
/*
 * The same for the n replies of mo (a provider's array push), stored and
 * acted on in one transaction (reply_receive_many): all or none, the ones
 * received before changing nothing.  out has n entries.  0, or -1 with err
 * naming the reply at fault (nothing applied: the provider should push the
 * array again).
 */
int callback_mo_many(struct store *st, const struct duban_config *cfg,
		     const struct provider_conf *pc, const struct provider_mo *mo, size_t n,
		     struct reply_result *out, char *err, size_t errlen);

#endif
