/*
 * provider_sign.c - what the signing backends share: SHA-256 and
 * HMAC-SHA256 through libcrypto, lowercase hex, a nonce from the system's
 * CSPRNG (getrandom(2)), the real wall clock (never DUBAN_NOW: a provider
 * checks our timestamp against its own clock), and the two signatures
 * themselves, Alibaba Cloud's ACS3-HMAC-SHA256 and Tencent Cloud's
 * TC3-HMAC-SHA256, each as the provider's documentation and official SDKs
 * compute it.  Keys pass through here and are never logged.
 */
#include "provider/provider_int.h"
#include "base/buf.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

static void
hex_of(const unsigned char *d, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[2 * n] = '\0';
}

void
provider_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256(data, len, md);
	hex_of(md, sizeof(md), out);
}

/* HMAC-SHA256 of data under key into out (32 bytes). */
static void
hmac256(const void *key, size_t klen, const void *data, size_t dlen, unsigned char out[32])
{
	unsigned int n = 32;

	HMAC(EVP_sha256(), key, (int)klen, data, dlen, out, &n);
}

int
provider_nonce(char *out, size_t outlen)
{
	unsigned char r[16];
	size_t got = 0;

	if (outlen < 2 * sizeof(r) + 1)
		return -1;
	while (got < sizeof(r)) {
		ssize_t n = getrandom(r + got, sizeof(r) - got, 0);
		if (n < 0)
			return -1;
		got += (size_t)n;
	}
	hex_of(r, sizeof(r), out);
	return 0;
}

int64_t
provider_wall_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

/* ---- Alibaba Cloud: ACS3-HMAC-SHA256 -------------------------------------- */

int
provider_acs3_sign(const char *method, const char *canonical_uri, const char *canonical_query,
		   const struct provider_hdr *h, size_t nh, const char *payload_hash,
		   const char *key_id, const char *secret, struct buf *auth)
{
	struct buf cr, names;
	char crhash[65], sig[65];
	unsigned char mac[32];
	int rc = -1;

	buf_init(&cr, PROVIDER_URL_MAX * 2);
	buf_init(&names, 4096);
	/* CanonicalRequest = method \n uri \n query \n headers \n signed \n hash;
	 * h is sorted by its lowercase names, the values trimmed. */
	if (buf_printf(&cr, "%s\n%s\n%s\n", method, canonical_uri, canonical_query) != 0)
		goto out;
	for (size_t i = 0; i < nh; i++)
		if (buf_printf(&cr, "%s:%s\n", h[i].name, h[i].value) != 0 ||
		    buf_printf(&names, "%s%s", i ? ";" : "", h[i].name) != 0)
			goto out;
	if (buf_printf(&cr, "\n%s\n%s", names.data ? names.data : "", payload_hash) != 0)
		goto out;
	provider_sha256_hex(cr.data, cr.len, crhash);
	{
		char sts[128];
		int n = snprintf(sts, sizeof(sts), "ACS3-HMAC-SHA256\n%s", crhash);
		hmac256(secret, strlen(secret), sts, (size_t)n, mac);
	}
	hex_of(mac, sizeof(mac), sig);
	rc = buf_printf(auth, "ACS3-HMAC-SHA256 Credential=%s,SignedHeaders=%s,Signature=%s",
			key_id, names.data ? names.data : "", sig);
out:
	buf_free(&cr);
	buf_free(&names);
	return rc;
}

void
provider_acs3_date(int64_t t, char out[21])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- Tencent Cloud: TC3-HMAC-SHA256 --------------------------------------- */

int
provider_tc3_sign(const char *host, const char *content_type, const char *payload, size_t plen,
		  int64_t timestamp, const char *service, const char *secret_id,
		  const char *secret_key, struct buf *auth)
{
	char date[11], phash[65], crhash[65], sig[65];
	unsigned char kdate[32], kservice[32], ksigning[32], mac[32];
	struct buf cr, sts, key;
	time_t tt = (time_t)timestamp;
	struct tm tm;
	int rc = -1;

	gmtime_r(&tt, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d", &tm);
	buf_init(&cr, 8192);
	buf_init(&sts, 1024);
	buf_init(&key, 1024);
	provider_sha256_hex(payload, plen, phash);
	if (buf_printf(&cr, "POST\n/\n\ncontent-type:%s\nhost:%s\n\ncontent-type;host\n%s",
		       content_type, host, phash) != 0)
		goto out;
	provider_sha256_hex(cr.data, cr.len, crhash);
	if (buf_printf(&sts, "TC3-HMAC-SHA256\n%lld\n%s/%s/tc3_request\n%s", (long long)timestamp,
		       date, service, crhash) != 0 ||
	    buf_printf(&key, "TC3%s", secret_key) != 0)
		goto out;
	hmac256(key.data, key.len, date, strlen(date), kdate);
	hmac256(kdate, 32, service, strlen(service), kservice);
	hmac256(kservice, 32, "tc3_request", 11, ksigning);
	hmac256(ksigning, 32, sts.data, sts.len, mac);
	hex_of(mac, sizeof(mac), sig);
	rc = buf_printf(auth,
			"TC3-HMAC-SHA256 Credential=%s/%s/%s/tc3_request, SignedHeaders=content-type;host, "
			"Signature=%s",
			secret_id, date, service, sig);
out:
	if (key.data)
		OPENSSL_cleanse(key.data, key.len);
	buf_free(&cr);
	buf_free(&sts);
	buf_free(&key);
	OPENSSL_cleanse(kdate, sizeof(kdate));
	OPENSSL_cleanse(kservice, sizeof(kservice));
	OPENSSL_cleanse(ksigning, sizeof(ksigning));
	return rc;
}
