/*
 * sim_record.c - what smsc-sim keeps about the traffic it sees: the record
 * file (--record, one JSON line per send request, written under the FILE
 * lock by the server threads and flushed by the main thread every FLUSH_MS),
 * the counters as served by GET /_sim/stats, and the set of accepted message
 * ids that tells unique ids from duplicates (64 sharded open-addressing hash
 * tables, each under its own mutex).  All of it lives in struct sim.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "sim.h"

static const char *const outcome_name[] = { "accepted", "failed", "rejected", "dropped" };

/* ---- record file -------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at p, or 0 if there is none. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned c = p[0];
	size_t k = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
	static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	uint32_t cp = c & (0x7f >> k);

	if (k == 0 || (size_t)(end - p) < k)
		return 0;
	for (size_t i = 1; i < k; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	return cp < min[k] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ? 0 : k;
}

/* Writes a JSON string (or null); invalid UTF-8 becomes U+FFFD.  Caller holds f's lock. */
static void put_json_str(FILE *f, struct field v)
{
	const unsigned char *p = (const unsigned char *)v.p, *end = p + v.n;
	size_t k;

	if (v.p == NULL) {
		fputs_unlocked("null", f);
		return;
	}
	putc_unlocked('"', f);
	while (p < end) {
		if (*p == '"' || *p == '\\') {
			putc_unlocked('\\', f);
			putc_unlocked(*p++, f);
		} else if (*p < 0x20) {
			fprintf(f, "\\u%04x", *p++);
		} else if (*p < 0x80) {
			putc_unlocked(*p++, f);
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

int sim_record_open(struct sim *s, char *err, size_t errlen)
{
	if (s->o.record != NULL) {
		s->rec = strcmp(s->o.record, "-") == 0 ? stdout : fopen(s->o.record, "a");
		if (s->rec == NULL) {
			snprintf(err, errlen, "%s: %s", s->o.record, strerror(errno));
			return -1;
		}
		setvbuf(s->rec, NULL, _IOFBF, 1 << 16);
	}
	return 0;
}

void sim_record(struct sim *s, uint64_t n, const struct sendinfo *si, unsigned status,
		uint64_t msgid, enum outcome oc)
{
	static const char *const names[] = { "to", "text", "id", "sign", "from" };
	const struct field v[] = { si->to, si->text, si->id, si->sign, si->from };
	FILE *f = s->rec;

	if (f == NULL)
		return;
	flockfile(f);
	fprintf(f, "{\"n\":%" PRIu64 ",\"t\":%" PRId64 ",\"api\":\"%s\"", n,
		clock_ms(CLOCK_REALTIME), si->api);
	for (int i = 0; i < 5; i++) {
		fprintf(f, ",\"%s\":", names[i]);
		put_json_str(f, v[i]);
	}
	fprintf(f, ",\"status\":%u,\"msgid\":", status);
	if (msgid != 0)
		fprintf(f, "\"sim-%" PRIu64 "\"", msgid);
	else
		fputs_unlocked("null", f);
	fprintf(f, ",\"outcome\":\"%s\"}\n", outcome_name[oc]);
	funlockfile(f);
	atomic_store(&s->rec_dirty, true);
}

/* A string field of a record line, or null. */
static void put_key_str(FILE *f, const char *key, const char *v)
{
	fprintf(f, ",\"%s\":", key);
	put_json_str(f, (struct field){ v, v != NULL ? strlen(v) : 0 });
}

void sim_cn_record(struct sim *s, const struct cn_line *l)
{
	FILE *f = s->rec;

	if (f == NULL)
		return;
	flockfile(f);
	fprintf(f, "{\"n\":%" PRIu64 ",\"t\":%" PRId64 ",\"api\":\"%s\"", l->n, clock_ms(CLOCK_REALTIME),
		s->cn->mode == API_ALIYUN ? "aliyun" : "tencent");
	put_key_str(f, "action", l->action);
	put_key_str(f, "to", l->to);
	put_key_str(f, "text", l->text);
	put_key_str(f, "sign", l->sign);
	put_key_str(f, "template", l->tmpl);
	fprintf(f, ",\"params\":%s", l->params != NULL ? l->params : "null");
	put_key_str(f, "id", l->id);
	fprintf(f, ",\"status\":%u", l->status);
	put_key_str(f, "code", l->code);
	put_key_str(f, "msgid", l->msgid);
	put_key_str(f, "outcome", l->outcome);
	fprintf(f, ",\"parts\":%d}\n", l->parts);
	funlockfile(f);
	atomic_store(&s->rec_dirty, true);
}

const char *sim_pcache(struct pcache *c, const json_t *p)
{
	if (p != c->p || c->s == NULL) {
		free(c->s);
		c->s = p != NULL ? json_dumps(p, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
		c->p = p;
	}
	return c->s;
}

void sim_pcache_free(struct pcache *c)
{
	free(c->s);
	c->s = NULL;
	c->p = NULL;
}

/* Called by the main thread every FLUSH_MS and at exit. */
void sim_record_flush(struct sim *s)
{
	if (s->rec == NULL || !atomic_exchange(&s->rec_dirty, false))
		return;
	if ((fflush(s->rec) != 0 || ferror(s->rec)) && !s->rec_error) {
		s->rec_error = true;
		sim_log(s, true, "writing %s: %s", s->o.record, strerror(errno));
	}
}

void sim_record_close(struct sim *s)
{
	atomic_store(&s->rec_dirty, true);
	sim_record_flush(s);
	if (s->rec != NULL && s->rec != stdout)
		fclose(s->rec);
}

/* ---- counters ----------------------------------------------------------- */

int sim_stats_json(struct sim *s, char *buf, size_t cap)
{
	struct counters *k = &s->ctr;

	return snprintf(buf, cap,
			"{\"requests\":%" PRIu64 ",\"accepted\":%" PRIu64 ",\"failed\":%" PRIu64
			",\"rejected\":%" PRIu64 ",\"dropped\":%" PRIu64 ",\"unique_ids\":%" PRIu64
			",\"duplicates\":%" PRIu64 ",\"dlr_sent\":%" PRIu64 ",\"dlr_errors\":%" PRIu64
			",\"dlr_queue_drops\":%" PRIu64 ",\"mo_sent\":%" PRIu64 ",\"mo_errors\":%" PRIu64
			",\"numbers\":%" PRIu64 ",\"numbers_accepted\":%" PRIu64 ",\"numbers_refused\":%" PRIu64
			",\"max_batch\":%" PRIu64 ",\"batches\":{\"1\":%" PRIu64 ",\"2-10\":%" PRIu64
			",\"11-100\":%" PRIu64 ",\"101-200\":%" PRIu64 ",\"201-1000\":%" PRIu64
			",\"over_1000\":%" PRIu64 "},\"auth_failures\":%" PRIu64 ",\"pushes\":%" PRIu64
			",\"push_items\":%" PRIu64 ",\"max_push_batch\":%" PRIu64 ",\"push_retries\":%" PRIu64
			",\"push_bad_answers\":%" PRIu64 ",\"push_given_up\":%" PRIu64 "}",
			atomic_load(&k->requests), atomic_load(&k->accepted), atomic_load(&k->failed),
			atomic_load(&k->rejected), atomic_load(&k->dropped), atomic_load(&k->unique_ids),
			atomic_load(&k->duplicates), atomic_load(&k->dlr_sent), atomic_load(&k->dlr_errors),
			atomic_load(&k->dlr_queue_drops), atomic_load(&k->mo_sent),
			atomic_load(&k->mo_errors), atomic_load(&k->numbers), atomic_load(&k->numbers_accepted),
			atomic_load(&k->numbers_refused), atomic_load(&k->max_batch),
			atomic_load(&k->hist[HIST_1]), atomic_load(&k->hist[HIST_10]),
			atomic_load(&k->hist[HIST_100]), atomic_load(&k->hist[HIST_200]),
			atomic_load(&k->hist[HIST_1000]), atomic_load(&k->hist[HIST_MORE]),
			atomic_load(&k->auth_failures), atomic_load(&k->pushes), atomic_load(&k->push_items),
			atomic_load(&k->max_push_batch), atomic_load(&k->push_retries),
			atomic_load(&k->push_bad_answers), atomic_load(&k->push_given_up));
}

/* ---- accepted-id set ---------------------------------------------------- */

void sim_idset_init(struct sim *s)
{
	for (int i = 0; i < IDSET_SHARDS; i++)
		pthread_mutex_init(&s->ids[i].mu, NULL);
}

static int idshard_grow(struct idshard *sh)
{
	size_t ncap = sh->cap != 0 ? sh->cap * 2 : 1024, j;
	uint64_t *ns = calloc(ncap, sizeof *ns);

	if (ns == NULL)
		return -1;
	for (size_t i = 0; i < sh->cap; i++) {
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

uint64_t sim_hash(struct field f, uint64_t seed)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ seed;

	for (size_t i = 0; i < f.n; i++)
		h = (h ^ (unsigned char)f.p[i]) * 0x100000001b3ULL;
	return h;
}

int sim_idset_add(struct sim *s, struct field id)
{
	return sim_idset_add_hash(s, sim_hash(id, 0));
}

int sim_idset_add_hash(struct sim *s, uint64_t h)
{
	struct idshard *sh;
	size_t i;
	int rc = 1;

	h = mix64(h) | 1;  /* never 0, the empty-slot marker */
	sh = &s->ids[h >> 58];
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

void sim_idset_free(struct sim *s)
{
	for (int i = 0; i < IDSET_SHARDS; i++) {
		free(s->ids[i].slot);
		s->ids[i].slot = NULL;
	}
}
