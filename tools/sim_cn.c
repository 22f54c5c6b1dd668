/*
 * sim_cn.c - what smsc-sim's Alibaba Cloud and Tencent Cloud modes (--api
 * aliyun|tencent) share: the keys (options or environment), the templates
 * file (registered signatures and approved templates, each text cut at its
 * placeholders once at start-up), SHA-256 / HMAC and RFC 3986 helpers for
 * the two signature checks, the set of Aliyun nonces seen in the last 15
 * minutes, the per-number daily cap (--per-number-day, counted by Beijing
 * calendar day, sharded hash tables), number parsing, rendering "【sign】" +
 * text with its billed parts, forced errors (POST /_sim/error), request ids,
 * the per-number record lines and what the pushes need (Beijing times, the
 * replies' formats, the expected answers).  State lives in struct cn (sim.h).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdlib.h>

#include "base/sms.h"
#include "sim.h"

#define NONCE_WINDOW_MS (15 * 60 * 1000)
#define TMPL_LINE_MAX   4096

/* ---- crypto and encoding helpers ----------------------------------------- */

void sim_hex(const unsigned char *p, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 15];
	}
	out[2 * n] = '\0';
}

void sim_sha256_hex(const void *p, size_t n, char out[65])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256(p, n, md);
	sim_hex(md, sizeof md, out);
}

void sim_hmac256(const void *key, size_t klen, const void *msg, size_t mlen, unsigned char out[32])
{
	unsigned int len = 32;

	if (HMAC(EVP_sha256(), key, (int)klen, msg, mlen, out, &len) == NULL)
		memset(out, 0, 32);  /* never matches a real signature */
}

int sim_rfc3986(struct buf *b, const char *v, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	char tmp[3 * 64];
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
			tmp[o++] = (char)c;
		} else {
			tmp[o++] = '%';
			tmp[o++] = hex[c >> 4];
			tmp[o++] = hex[c & 15];
		}
		if (o + 3 > sizeof tmp) {
			if (buf_add(b, tmp, o) < 0)
				return -1;
			o = 0;
		}
	}
	return buf_add(b, tmp, o);
}

/* ---- hash sets ------------------------------------------------------------ */

static uint64_t hash_bytes(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 0x100000001b3ULL;
	return mix64(h) | 1;  /* never 0, the empty-slot marker */
}

static bool hset_has(const struct hset *hs, uint64_t h)
{
	if (hs->cap == 0)
		return false;
	for (size_t i = h & (hs->cap - 1); hs->slot[i] != 0; i = (i + 1) & (hs->cap - 1))
		if (hs->slot[i] == h)
			return true;
	return false;
}

static int hset_add(struct hset *hs, uint64_t h)
{
	size_t i, ncap;
	uint64_t *ns;

	if ((hs->n + 1) * 2 > hs->cap) {
		ncap = hs->cap != 0 ? hs->cap * 2 : 1024;
		ns = calloc(ncap, sizeof *ns);
		if (ns == NULL)
			return -1;
		for (size_t k = 0; k < hs->cap; k++) {
			if (hs->slot[k] == 0)
				continue;
			for (i = hs->slot[k] & (ncap - 1); ns[i] != 0; i = (i + 1) & (ncap - 1))
				;
			ns[i] = hs->slot[k];
		}
		free(hs->slot);
		hs->slot = ns;
		hs->cap = ncap;
	}
	for (i = h & (hs->cap - 1); hs->slot[i] != 0; i = (i + 1) & (hs->cap - 1))
		if (hs->slot[i] == h)
			return 0;
	hs->slot[i] = h;
	hs->n++;
	return 1;
}

int sim_nonce_use(struct sim *s, const char *nonce)
{
	struct cn *cn = s->cn;
	uint64_t h = hash_bytes(nonce, strlen(nonce));
	int64_t now = clock_ms(CLOCK_MONOTONIC);
	int rc;

	pthread_mutex_lock(&cn->mu);
	if (now - cn->nonce_since >= NONCE_WINDOW_MS) {  /* the older window is forgotten */
		free(cn->nonce[1].slot);
		cn->nonce[1] = cn->nonce[0];
		cn->nonce[0] = (struct hset){ NULL, 0, 0 };
		cn->nonce_since = now;
	}
	rc = hset_has(&cn->nonce[1], h) ? 0 : hset_add(&cn->nonce[0], h);
	pthread_mutex_unlock(&cn->mu);
	return rc;
}

/* ---- per-number daily cap -------------------------------------------------- */

/* Beijing calendar day and clock hour numbers of now. */
static void beijing_now(uint32_t *day, uint32_t *hour)
{
	int64_t t = clock_ms(CLOCK_REALTIME) / 1000 + 8 * 3600;

	*day = (uint32_t)(t / 86400);
	*hour = (uint32_t)(t / 3600);
}

void sim_cap_message(const struct sim *s, enum cap_result cap, char *out, size_t outlen)
{
	snprintf(out, outlen, cap == CAP_HOUR ? "触发小时级流控Permits:%ld" : "触发天级流控Permits:%ld",
		 cap == CAP_HOUR ? s->o.per_number_hour : s->o.per_number_day);
}

static int cap_grow(struct capshard *sh)
{
	size_t ncap = sh->cap != 0 ? sh->cap * 2 : 1024, j;
	struct capslot *ns = calloc(ncap, sizeof *ns);

	if (ns == NULL)
		return -1;
	for (size_t i = 0; i < sh->cap; i++) {
		if (sh->slot[i].key == 0)
			continue;
		for (j = mix64(sh->slot[i].key) & (ncap - 1); ns[j].key != 0; j = (j + 1) & (ncap - 1))
			;
		ns[j] = sh->slot[i];
	}
	free(sh->slot);
	sh->slot = ns;
	sh->cap = ncap;
	return 0;
}

enum cap_result sim_cap_take(struct sim *s, const char *nat)
{
	enum cap_result ok = CAP_OK;
	struct capshard *sh;
	uint32_t day, hour;
	struct capslot *c;
	uint64_t key, h;
	size_t i;

	if (s->o.per_number_day <= 0 && s->o.per_number_hour <= 0)
		return CAP_OK;
	key = strtoull(nat, NULL, 10);
	h = mix64(key);
	sh = &s->cn->caps[h % CAP_SHARDS];
	if (key == 0)
		return CAP_OK;
	beijing_now(&day, &hour);
	pthread_mutex_lock(&sh->mu);
	if ((sh->n + 1) * 2 > sh->cap && cap_grow(sh) < 0)
		goto out;  /* out of memory: not counted, not refused */
	for (i = h & (sh->cap - 1); sh->slot[i].key != 0 && sh->slot[i].key != key; i = (i + 1) & (sh->cap - 1))
		;
	c = &sh->slot[i];
	if (c->key == 0)
		sh->n++;
	if (c->key == 0 || c->day != day)
		*c = (struct capslot){ key, day, 0, hour, 0 };
	if (c->hour != hour) {
		c->hour = hour;
		c->hcount = 0;
	}
	if (s->o.per_number_day > 0 && c->count >= (uint32_t)s->o.per_number_day)
		ok = CAP_DAY;
	else if (s->o.per_number_hour > 0 && c->hcount >= (uint32_t)s->o.per_number_hour)
		ok = CAP_HOUR;
	else
		c->count++, c->hcount++;
out:
	pthread_mutex_unlock(&sh->mu);
	return ok;
}

/* ---- numbers, forced errors, ids, times ------------------------------------ */

int sim_cn_number(const char *in, size_t n, char nat[12])
{
	if (n == 14 && memcmp(in, "+86", 3) == 0)
		in += 3, n -= 3;
	else if (n == 15 && memcmp(in, "0086", 4) == 0)
		in += 4, n -= 4;
	else if (n == 13 && memcmp(in, "86", 2) == 0)
		in += 2, n -= 2;
	if (n != 11 || in[0] != '1' || in[1] < '3' || in[1] > '9')
		return -1;
	for (size_t i = 0; i < 11; i++)
		if (in[i] < '0' || in[i] > '9')
			return -1;
	memcpy(nat, in, 11);
	nat[11] = '\0';
	return 0;
}

bool sim_cn_forced(struct sim *s, char *code, size_t codecap, char *msg, size_t msgcap)
{
	struct cn *cn = s->cn;
	bool hit = false;

	pthread_mutex_lock(&cn->mu);
	if (cn->err_code[0] != '\0' && cn->err_left != 0) {
		snprintf(code, codecap, "%s", cn->err_code);
		snprintf(msg, msgcap, "%s", cn->err_msg);
		if (cn->err_left > 0 && --cn->err_left == 0)
			cn->err_code[0] = '\0';
		hit = true;
	}
	pthread_mutex_unlock(&cn->mu);
	return hit;
}

void sim_cn_time(int64_t t, char out[20])
{
	time_t bj = (time_t)(t + 8 * 3600);
	struct tm tm;

	gmtime_r(&bj, &tm);
	if (strftime(out, 20, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		out[0] = '\0';
}

void sim_cn_request_id(struct sim *s, char out[40])
{
	uint64_t k = atomic_fetch_add(&s->cn->next_request, 1) + 1;
	uint64_t a = mix64(s->seed_mix ^ k), b = mix64(a ^ 0x5bd1e995u);

	snprintf(out, 40, "%08" PRIX64 "-%04" PRIX64 "-%04" PRIX64 "-%04" PRIX64 "-%012" PRIX64,
		 a >> 32, (a >> 16) & 0xffff, a & 0xffff, b >> 48, (uint64_t)(b & 0xffffffffffffULL));
}

void sim_cn_count_batch(struct sim *s, size_t n)
{
	struct counters *k = &s->ctr;
	uint64_t seen = atomic_load(&k->max_batch);
	int b = n <= 1 ? HIST_1 : n <= 10 ? HIST_10 : n <= 100 ? HIST_100 : n <= 200 ? HIST_200
		: n <= 1000 ? HIST_1000 : HIST_MORE;

	atomic_fetch_add(&k->numbers, n);
	atomic_fetch_add(&k->hist[b], 1);
	while (n > seen && !atomic_compare_exchange_weak(&k->max_batch, &seen, n))
		;
}

/* ---- templates file ------------------------------------------------------- */

static void tmpl_free(struct cn_tmpl *t)
{
	for (size_t i = 0; i < t->nph; i++)
		free(t->ph[i]);
	free(t->ph);
	free(t->seg);
	free(t->code);
	free(t->text);
}

/* The placeholder at p (Aliyun ${name}, Tencent {N}): its name's span, or 0. */
static size_t placeholder_at(enum api_mode mode, const char *p, const char **name, size_t *nlen)
{
	size_t i = mode == API_ALIYUN ? 2 : 1;

	if (mode == API_ALIYUN ? (p[0] != '$' || p[1] != '{') : p[0] != '{')
		return 0;
	while (mode == API_ALIYUN ? (isalnum((unsigned char)p[i]) || p[i] == '_')
				  : isdigit((unsigned char)p[i]) != 0)
		i++;
	if (p[i] != '}' || i == (mode == API_ALIYUN ? 2u : 1u))
		return 0;
	*name = p + (mode == API_ALIYUN ? 2 : 1);
	*nlen = i - (mode == API_ALIYUN ? 2 : 1);
	return i + 1;
}

static int tmpl_ph_index(struct cn_tmpl *t, const char *name, size_t nlen)
{
	char **nph;

	for (size_t i = 0; i < t->nph; i++)
		if (strlen(t->ph[i]) == nlen && memcmp(t->ph[i], name, nlen) == 0)
			return (int)i;
	nph = realloc(t->ph, (t->nph + 1) * sizeof *nph);
	if (nph == NULL)
		return -1;
	t->ph = nph;
	t->ph[t->nph] = strndup(name, nlen);
	return t->ph[t->nph] != NULL ? (int)t->nph++ : -1;
}

/* Cuts t->text at its placeholders.  Returns 0, -1 out of memory, -2 bad Tencent numbering. */
static int tmpl_parse(enum api_mode mode, struct cn_tmpl *t)
{
	size_t n = strlen(t->text), lit = 0, adv, nlen;
	const char *name;
	int ph;

	t->seg = calloc(n + 1, sizeof *t->seg);
	if (t->seg == NULL)
		return -1;
	for (size_t i = 0; i <= n; i++) {
		adv = i < n ? placeholder_at(mode, t->text + i, &name, &nlen) : 0;
		if (adv == 0 && i < n)
			continue;
		ph = -1;
		if (adv > 0 && (ph = tmpl_ph_index(t, name, nlen)) < 0)
			return -1;
		t->seg[t->nseg++] = (struct cn_seg){ lit, i - lit, ph };
		if (adv > 0)
			i += adv - 1;
		lit = i + 1;
	}
	for (size_t i = 0; mode == API_TENCENT && i < t->nph; i++) {
		long v = strtol(t->ph[i], NULL, 10);

		if (v < 1 || (size_t)v > t->nph)
			return -2;
	}
	return 0;
}

/* One "sign NAME" or "template CODE TEXT" line (already trimmed). */
static int templates_line(struct cn *cn, char *line, char *err, size_t errlen)
{
	char *sp = line + strcspn(line, " \t"), *rest = sp + strspn(sp, " \t"), **ns;
	size_t kw = (size_t)(sp - line), cl;
	struct cn_tmpl *nt, *t;
	int rc;

	if (kw == 4 && memcmp(line, "sign", 4) == 0 && *rest != '\0') {
		ns = realloc(cn->signs, (cn->nsigns + 1) * sizeof *ns);
		if (ns == NULL || (ns[cn->nsigns] = strdup(rest)) == NULL)
			goto oom_ns;
		cn->signs = ns;
		cn->nsigns++;
		return 0;
	}
	cl = strcspn(rest, " \t");
	if (kw != 8 || memcmp(line, "template", 8) != 0 || cl == 0 || rest[cl] == '\0') {
		snprintf(err, errlen, "want 'sign NAME' or 'template CODE TEXT'");
		return -1;
	}
	nt = realloc(cn->tmpl, (cn->ntmpl + 1) * sizeof *nt);
	if (nt == NULL)
		goto oom;
	cn->tmpl = nt;
	t = &cn->tmpl[cn->ntmpl];
	*t = (struct cn_tmpl){ .code = strndup(rest, cl) };
	rest += cl + strspn(rest + cl, " \t");
	t->text = strdup(rest);
	rc = t->code != NULL && t->text != NULL ? tmpl_parse(cn->mode, t) : -1;
	if (rc < 0) {
		tmpl_free(t);
		if (rc == -1)
			goto oom;
		snprintf(err, errlen, "Tencent placeholders must be {1} to {N}");
		return -1;
	}
	cn->ntmpl++;
	return 0;
oom_ns:
	if (ns != NULL)
		cn->signs = ns;
oom:
	snprintf(err, errlen, "out of memory");
	return -1;
}

static int templates_load(struct cn *cn, const char *path, char *err, size_t errlen)
{
	char line[TMPL_LINE_MAX], why[128];
	FILE *f = fopen(path, "r");
	long lineno = 0;
	size_t n;

	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		lineno++;
		n = strlen(line);
		if (n == sizeof line - 1 && line[n - 1] != '\n') {
			snprintf(err, errlen, "%s:%ld: line longer than %d bytes", path, lineno, TMPL_LINE_MAX - 2);
			goto fail;
		}
		while (n > 0 && isspace((unsigned char)line[n - 1]))
			line[--n] = '\0';
		if (line[strspn(line, " \t")] == '#' || line[strspn(line, " \t")] == '\0')
			continue;
		if (templates_line(cn, line + strspn(line, " \t"), why, sizeof why) < 0) {
			snprintf(err, errlen, "%s:%ld: %s", path, lineno, why);
			goto fail;
		}
	}
	fclose(f);
	return 0;
fail:
	fclose(f);
	return -1;
}

const struct cn_tmpl *sim_cn_template(const struct sim *s, const char *code)
{
	for (size_t i = 0; code != NULL && i < s->cn->ntmpl; i++)
		if (strcmp(s->cn->tmpl[i].code, code) == 0)
			return &s->cn->tmpl[i];
	return NULL;
}

bool sim_cn_sign_known(const struct sim *s, const char *sign)
{
	for (size_t i = 0; sign != NULL && i < s->cn->nsigns; i++)
		if (strcmp(s->cn->signs[i], sign) == 0)
			return true;
	return false;
}

int sim_cn_render(const char *sign, const struct cn_tmpl *t, const char *const *vals,
		  struct buf *out, int *parts)
{
	struct sms_info info;
	size_t head;

	if (buf_printf(out, "【%s】", sign) < 0)
		return -1;
	head = out->len;
	for (size_t i = 0; i < t->nseg; i++) {
		if (buf_add(out, t->text + t->seg[i].off, t->seg[i].len) < 0 ||
		    (t->seg[i].ph >= 0 && buf_adds(out, vals[t->seg[i].ph]) < 0))
			return -1;
	}
	*parts = sms_measure(out->data + head, sign, &info, NULL, 0) == 0 ? (int)info.parts : 1;
	return 0;
}

/* ---- replies (MO) and the answers pushes expect ----------------------------- */

char *sim_cn_mo_body(struct sim *s, json_t *in)
{
	const char *from = json_string_value(json_object_get(in, "from"));
	const char *text = json_string_value(json_object_get(in, "text"));
	const char *to = json_string_value(json_object_get(in, "to"));
	const char *sign = json_string_value(json_object_get(in, "sign"));
	int64_t now = clock_ms(CLOCK_REALTIME) / 1000;
	char nat[12], when[20];
	json_t *o;
	char *body;

	if (from == NULL || *from == '\0' || text == NULL)
		return NULL;
	if (sim_cn_number(from, strlen(from), nat) < 0)
		snprintf(nat, sizeof nat, "%.11s", from[0] == '+' ? from + 1 : from);
	if (sign == NULL)
		sign = s->cn->nsigns > 0 ? s->cn->signs[0] : "";
	sim_cn_time(now, when);
	if (s->cn->mode == API_ALIYUN)
		o = json_pack("{s:s,s:s,s:s,s:s,s:I,s:s}", "phone_number", nat, "content", text,
			      "send_time", when, "dest_code", to != NULL ? to : "",
			      "sequence_id", (json_int_t)(atomic_fetch_add(&s->ctr.next_mo, 1) + 1),
			      "sign_name", sign);
	else
		o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I}", "extend", to != NULL ? to : "",
			      "mobile", nat, "nationcode", "86", "sign", sign, "text", text,
			      "time", (json_int_t)now);
	body = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return body;
}

/* The answer must be the documented one (as JSON: spacing and key order aside). */
bool sim_cn_push_answer_ok(const struct sim *s, long status, const char *body, size_t len)
{
	json_t *o, *want;
	bool ok;

	if (status != 200)
		return false;
	o = json_loadb(body, len, 0, NULL);
	want = s->cn->mode == API_ALIYUN ? json_pack("{s:i,s:s}", "code", 0, "msg", "接收成功")
					 : json_pack("{s:i,s:s}", "result", 0, "errmsg", "OK");
	ok = o != NULL && want != NULL && json_equal(o, want);
	json_decref(want);
	json_decref(o);
	return ok;
}

/* ---- start-up ----------------------------------------------------------------- */

static const char *opt_or_env(const char *opt, const char *env)
{
	const char *v = opt != NULL ? opt : getenv(env);

	return v != NULL && *v != '\0' ? v : NULL;
}

int sim_cn_init(struct sim *s, char *err, size_t errlen)
{
	struct cn *cn;
	bool ali;

	if (s->o.api == NULL || str_is(s->o.api, "generic"))
		return 0;
	ali = str_is(s->o.api, "aliyun");
	if (!ali && !str_is(s->o.api, "tencent")) {
		snprintf(err, errlen, "--api must be aliyun, tencent or generic");
		return 2;
	}
	cn = calloc(1, sizeof *cn);
	if (cn == NULL) {
		snprintf(err, errlen, "out of memory");
		return 1;
	}
	s->cn = cn;
	cn->mode = ali ? API_ALIYUN : API_TENCENT;
	pthread_mutex_init(&cn->mu, NULL);
	for (int i = 0; i < CAP_SHARDS; i++)
		pthread_mutex_init(&cn->caps[i].mu, NULL);
	cn->nonce_since = clock_ms(CLOCK_MONOTONIC);
	atomic_store(&cn->balance, !s->o.no_balance);
	cn->key_id = opt_or_env(ali ? s->o.ak_id : s->o.tc_id,
				ali ? "ALIYUN_ACCESS_KEY_ID" : "TENCENT_SECRET_ID");
	cn->key_secret = opt_or_env(ali ? s->o.ak_secret : s->o.tc_key,
				    ali ? "ALIYUN_ACCESS_KEY_SECRET" : "TENCENT_SECRET_KEY");
	cn->app_id = ali ? NULL : opt_or_env(s->o.sdk_app_id, "TENCENT_SDK_APP_ID");
	if (cn->key_id == NULL || cn->key_secret == NULL || s->o.templates == NULL) {
		snprintf(err, errlen, ali ? "--api aliyun needs --access-key-id, --access-key-secret "
					    "(or ALIYUN_ACCESS_KEY_ID, ALIYUN_ACCESS_KEY_SECRET) and --templates"
					  : "--api tencent needs --secret-id, --secret-key "
					    "(or TENCENT_SECRET_ID, TENCENT_SECRET_KEY) and --templates");
		return 2;
	}
	if (s->o.max_param < 0)
		s->o.max_param = ali ? 35 : 0;
	s->body_max = CN_BODY_MAX;
	return templates_load(cn, s->o.templates, err, errlen) < 0 ? 1 : 0;
}

void sim_cn_free(struct sim *s)
{
	struct cn *cn = s->cn;

	if (cn == NULL)
		return;
	for (size_t i = 0; i < cn->nsigns; i++)
		free(cn->signs[i]);
	free(cn->signs);
	for (size_t i = 0; i < cn->ntmpl; i++)
		tmpl_free(&cn->tmpl[i]);
	free(cn->tmpl);
	free(cn->nonce[0].slot);
	free(cn->nonce[1].slot);
	for (int i = 0; i < CAP_SHARDS; i++)
		free(cn->caps[i].slot);
	free(cn);
	s->cn = NULL;
}

/* ---- canonical headers (both signatures) ------------------------------------ */

int sim_canon_headers(struct MHD_Connection *c, const char *names, size_t nlen, bool lower,
		      struct buf *out)
{
	char name[128], prev[128] = "";
	const char *v, *end;
	size_t i = 0, k;

	while (i < nlen) {
		k = 0;
		while (i < nlen && names[i] != ';') {
			if (k + 1 >= sizeof name || (names[i] >= 'A' && names[i] <= 'Z'))
				return -1;
			name[k++] = names[i++];
		}
		name[k] = '\0';
		i++;
		if (k == 0 || strcmp(name, prev) <= 0)  /* lowercase, sorted, no repeats */
			return -1;
		memcpy(prev, name, k + 1);
		v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
		if (v == NULL)
			return -1;
		v += strspn(v, " \t");
		for (end = v + strlen(v); end > v && (end[-1] == ' ' || end[-1] == '\t'); end--)
			;
		if (buf_printf(out, "%s:", name) < 0)
			return -1;
		for (const char *p = v; p < end; p++) {
			char ch = lower ? (char)tolower((unsigned char)*p) : *p;

			if (buf_add(out, &ch, 1) < 0)
				return -1;
		}
		if (buf_add(out, "\n", 1) < 0)
			return -1;
	}
	return 0;
}

/* The names list holds name (';'-separated, exact). */
bool sim_names_have(const char *names, size_t nlen, const char *name)
{
	size_t k = strlen(name);

	for (size_t i = 0; i < nlen;) {
		size_t j = i;

		while (j < nlen && names[j] != ';')
			j++;
		if (j - i == k && memcmp(names + i, name, k) == 0)
			return true;
		i = j + 1;
	}
	return false;
}
