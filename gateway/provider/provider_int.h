/*
 * provider_int.h - what the files of the provider layer share among
 * themselves and nobody above them: the template providers' common keys
 * (provider_binding.c) and the signing primitives (provider_sign.c).
 */
#ifndef DUBAN_PROVIDER_INT_H
#define DUBAN_PROVIDER_INT_H

#include "provider/provider.h"

#include <stdint.h>

/* Free an array of n bindings and everything they hold (NULL is fine). */
void provider_bindings_free(struct provider_binding *b, size_t n);

/* The keys provider.c adds to a template type's group (NULL-terminated). */
extern const char *const provider_template_keys[];
/*
 * Parse the template keys of group g (sign_name, templates, batch,
 * max_param, limits, halt_retry) into pc, reporting every problem to cv:
 * for a type with ops->templated.
 */
void provider_parse_templated(struct cfgval *cv, const config_setting_t *g, struct provider_conf *pc);
/* Report each template key present in group g of free-text provider pc. */
void provider_refuse_template_keys(struct cfgval *cv, const config_setting_t *g,
				   const struct provider_conf *pc);

/* ---- what the template backends share (provider_binding.c) ---- */

/*
 * A secret key of group g: a literal or {{env.NAME}} (the value, resolved
 * at load) into *out, a new string to free with provider_secret_free.
 * Required: reported when absent.  0, or -1 reported.
 */
int provider_secret_key(struct cfgval *cv, const config_setting_t *g, const char *key, char **out);
/* Wipe and free a secret (NULL is fine). */
void provider_secret_free(char *s);
/*
 * The `endpoint` of group g, or dflt: "https://host[:port]" (a trailing
 * '/' allowed) into *base (no trailing '/') and its host[:port] into
 * *host, both new strings.  0, or -1 reported.
 */
int provider_endpoint(struct cfgval *cv, const config_setting_t *g, const char *dflt, char **base,
		      char **host);
/* Whether m[0..n-1] (one binding) all have the same values. */
bool provider_values_equal(const struct provider_msg *m, size_t n);
/* A number without +86 (Chinese), or without '+' (others). */
const char *provider_national(const char *e164);
/*
 * Whether m[0..n-1] can go in one request of pc: each bound to the same
 * template with its values, and n within ops->batch_same or
 * ops->batch_distinct (as their values are equal or not) and pc->batch.
 * 0, or -1 with err.
 */
int provider_batch_check(const struct provider_conf *pc, const struct provider_msg *m, size_t n,
			 char *err, size_t errlen);

/*
 * A refusal of the whole request for m[0..n-1] into every v[i] (class cls,
 * wait, the provider's code and reason).  A per-message refusal
 * (PERMANENT) of a batch goes to the messages duban can tell are at fault
 * (not a Chinese mobile number, or a value provider_param_check refuses):
 * those get drop, the others TRANSIENT, to go again without them.  When
 * none can be told, every row is PERMANENT.
 */
void provider_refused(const struct provider_conf *pc, const struct provider_msg *m, size_t n,
		      enum provider_result cls, long wait, const char *code, const char *reason,
		      struct provider_verdict *v);

/* ---- signing (provider_sign.c) ---- */

/* One header of a signed request: a lowercase name and its trimmed value. */
struct provider_hdr {
	const char *name;
	const char *value;
};

/* Lowercase hex SHA-256 of len bytes of data. */
void provider_sha256_hex(const void *data, size_t len, char out[65]);
/* 32 lowercase hex characters of 16 bytes from getrandom(2) into out
 * (outlen >= 33): 0, or -1 when the system gives none. */
int provider_nonce(char *out, size_t outlen);
/* The real time (CLOCK_REALTIME), in seconds since the epoch: what a
 * provider compares our timestamps with; DUBAN_NOW does not move it. */
int64_t provider_wall_clock(void);
/* t as Aliyun's x-acs-date, "2023-10-26T10:22:32Z" (UTC, no fraction). */
void provider_acs3_date(int64_t t, char out[21]);

/*
 * Alibaba Cloud's signature V3: the Authorization header value
 * "ACS3-HMAC-SHA256 Credential=ID,SignedHeaders=a;b,Signature=HEX"
 * appended to auth, for a request whose canonical query (sorted,
 * RFC 3986-encoded) is canonical_query and whose signed headers are
 * h[0..nh-1], already sorted by name.  0, or -1 when auth is full.
 */
int provider_acs3_sign(const char *method, const char *canonical_uri, const char *canonical_query,
		       const struct provider_hdr *h, size_t nh, const char *payload_hash,
		       const char *key_id, const char *secret, struct buf *auth);
/*
 * Tencent Cloud's TC3-HMAC-SHA256 over a POST to / whose signed headers are
 * content-type and host: the Authorization header value appended to auth.
 * The date of the credential scope is timestamp's UTC date; service is
 * "sms".  0, or -1 when auth is full.
 */
int provider_tc3_sign(const char *host, const char *content_type, const char *payload, size_t plen,
		      int64_t timestamp, const char *service, const char *secret_id,
		      const char *secret_key, struct buf *auth);

/* ---- the backends' builds at a fixed time and nonce (the tests' way in) ---- */

/* Aliyun's request for m[0..n-1] signed at now with nonce (ops->build_batch
 * uses the wall clock and a fresh nonce). */
int provider_aliyun_build_at(const struct provider_conf *pc, const struct provider_msg *m, size_t n,
			     int64_t now, const char *nonce, struct provider_req *req, char *err,
			     size_t errlen);
/* Tencent's request for m[0..n-1] signed at now. */
int provider_tencent_build_at(const struct provider_conf *pc, const struct provider_msg *m,
			      size_t n, int64_t now, struct provider_req *req, char *err,
			      size_t errlen);

#endif
