/*
 * fuzz_callback.c - what providers post to /callbacks/ (server/callback.c)
 * over any request: the first byte picks the route (delivery report or
 * reply), the provider (http or Kannel), the method, and whether the
 * request is authenticated by the secret in its path or by a signature
 * (computed over the input, so that the parsers behind the check are
 * reached); the rest is the query and the body, split at the first 0xff.
 * A real SQLite file holds a person and a sent message the reports can
 * match.  Every answer must carry a status in 200..599 and, for an error,
 * a JSON body with a string "error".
 */
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fuzz.h"

#include "base/diag.h"
#include "base/log.h"
#include "base/zone.h"
#include "core/config.h"
#include "server/callback.h"
#include "store/store.h"

#define SECRET "fuzz-callback-secret-0123456789"

struct fuzz_cb {
	char dir[64], db[128], cfg_path[128];
	struct store *st;
	struct duban_config *cfg;
};

static struct fuzz_cb the_cb;

static void
cleanup(void)
{
	struct fuzz_cb *f = &the_cb;
	static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };
	char p[160];

	store_close(f->st);
	config_free(f->cfg);
	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(p, sizeof(p), "%.128s%s", f->db, sfx[i]);
		unlink(p);
	}
	unlink(f->cfg_path);
	rmdir(f->dir);
}

static struct fuzz_cb *
cb(void)
{
	struct fuzz_cb *f = &the_cb;
	struct diag d = { 0 };
	struct person p = { 0 };
	int64_t pid;
	char err[512];
	FILE *fp;

	if (f->st != NULL)
		return f;
	snprintf(f->dir, sizeof(f->dir), "/tmp/duban-fuzz-cb.%ld", (long)getpid());
	snprintf(f->db, sizeof(f->db), "%.64s/duban.db", f->dir);
	snprintf(f->cfg_path, sizeof(f->cfg_path), "%.64s/duban.cfg", f->dir);
	if (mkdir(f->dir, 0700) != 0 || time_set_zone("Asia/Shanghai") != 0 ||
	    log_open("duban", NULL, LOG_ERROR) != 0)
		abort();
	atexit(cleanup);
	if ((fp = fopen(f->cfg_path, "w")) == NULL)
		abort();
	fprintf(fp,
		"database = \"%s\";\n"
		"providers = (\n"
		"  { name = \"sim\"; type = \"http\"; url = \"http://127.0.0.1:1/sms/send\";\n"
		"    callback_secret = \"" SECRET "\"; },\n"
		"  { name = \"kannel\"; type = \"kannel\"; url = \"http://127.0.0.1:1/cgi-bin/sendsms\";\n"
		"    username = \"u\"; password = \"p\"; callback_secret = \"" SECRET "\"; }\n"
		");\n"
		"http = { listen = \"127.0.0.1:0\"; };\n",
		f->db);
	fclose(fp);
	if (config_load_file(f->cfg_path, &f->cfg, &d) != 0 ||
	    store_open(f->db, true, &f->st, err, sizeof(err)) != 0) {
		diag_print(&d, stderr);
		abort();
	}
	p.name = "邵长发";
	p.phone = "+8613800138000";
	p.title = "人大副主席";
	p.org = "小雄镇";
	p.kind = "official";
	if (store_person_add(f->st, &p, &pid) != 0)
		abort();
	return f;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const paths[] = { "/callbacks/dlr/sim", "/callbacks/mo/sim",
					     "/callbacks/dlr/kannel", "/callbacks/mo/kannel" };
	struct fuzz_cb *f = cb();
	struct api_resp out = { 0, NULL };
	struct callback_req r;
	char path[96], ts[24], sig[8 + CALLBACK_SIG_HEX + 1];
	const uint8_t *cut;
	char *query, *body;
	bool queued = false;
	unsigned pick;

	if (size == 0)
		return 0;
	pick = data[0];
	data++, size--;
	cut = memchr(data, 0xff, size);
	query = fuzz_cstr(data, cut ? (size_t)(cut - data) : size);
	body = cut ? fuzz_cstr(cut + 1, size - (size_t)(cut - data) - 1) : fuzz_cstr(data, 0);
	memset(&r, 0, sizeof(r));
	r.method = pick & 4 ? "POST" : "GET";
	snprintf(path, sizeof(path), "%s%s", paths[pick & 3], pick & 8 ? "/" SECRET : "");
	r.path = path;
	r.query = query;
	r.body = body;
	r.len = strlen(body);
	r.content_type = pick & 16 ? "application/json" : "application/x-www-form-urlencoded";
	r.now = (int64_t)time(NULL);
	r.st = f->st;
	r.cfg = f->cfg;
	if (!(pick & 8)) {
		snprintf(ts, sizeof(ts), "%lld", (long long)r.now);
		memcpy(sig, "sha256=", 7);
		if (callback_sign(SECRET, ts, r.method, r.path, r.query, r.body, r.len, sig + 7) != 0)
			abort();
		r.timestamp = ts;
		r.signature = sig;
	}
	callback_handle(&r, &out, &queued);
	if (out.status < 200 || out.status > 599)
		abort();
	if (out.status >= 400 && !json_is_string(json_object_get(out.json, "error")))
		abort();
	json_decref(out.json);
	free(query);
	free(body);
	return 0;
}
