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

#endif
