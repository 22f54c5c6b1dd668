/*
 * fuzz_api.c - the JSON API (server/api*.c) over any request body: the
 * first byte of an input picks a route and method, the rest is the body.
 * The routes run against a real SQLite file holding a person, a group and
 * a task, with the shipped templates and rules, exactly as the HTTP
 * server calls them.  Every answer must carry a status in 200..599 and,
 * for an error, a JSON body with a string "error".
 */
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

#include "base/diag.h"
#include "base/zone.h"
#include "core/config.h"
#include "core/config_http.h"
#include "core/rules.h"
#include "core/tmpl.h"
#include "server/api.h"
#include "store/store.h"

struct fuzz_api {
	char dir[64], db[128];
	struct store *st;
	struct duban_config *cfg;
	struct tmpl_set *tmpls;
	struct rules *rules;
};

static struct fuzz_api the_api;

static void
cleanup(void)
{
	struct fuzz_api *f = &the_api;
	char p[160];
	static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };

	store_close(f->st);
	config_free(f->cfg);
	tmpl_set_free(f->tmpls);
	rules_free(f->rules);
	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(p, sizeof(p), "%.128s%s", f->db, sfx[i]);
		unlink(p);
	}
	rmdir(f->dir);
}

/* The database, configuration, templates and rules, made once. */
static struct fuzz_api *
api(void)
{
	struct fuzz_api *f = &the_api;
	struct diag d = { 0 };
	struct person p = { 0 };
	struct task t = { 0 };
	struct assignee a;
	int64_t pid, tid;
	char err[512];

	if (f->st != NULL)
		return f;
	snprintf(f->dir, sizeof(f->dir), "/tmp/duban-fuzz-api.%ld", (long)getpid());
	snprintf(f->db, sizeof(f->db), "%.64s/duban.db", f->dir);
	if (mkdir(f->dir, 0700) != 0 || time_set_zone("Asia/Shanghai") != 0)
		abort();
	atexit(cleanup);
	if (store_open(f->db, true, &f->st, err, sizeof(err)) != 0 ||
	    (f->cfg = config_defaults()) == NULL ||
	    tmpl_set_load_dir(DUBAN_SRCDIR "/templates", &f->tmpls, &d) != 0 ||
	    rules_load_dir(DUBAN_SRCDIR "/rules", f->tmpls, &f->rules, &d) != 0) {
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
	t.code = "T1";
	t.title = "庙峙村公路";
	t.rule_set = "default";
	t.deadline = 1230739140; /* 2008-12-31 23:59 local */
	t.status = "open";
	a.person = pid;
	a.role = "lead";
	if (store_task_add(f->st, &t, &a, 1, &tid, NULL) != 0)
		abort();
	return f;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct {
		const char *method, *path, *query;
	} routes[] = {
		{ "POST", "/v1/messages", "" },
		{ "POST", "/v1/notices", "" },
		{ "POST", "/v1/tasks", "" },
		{ "POST", "/v1/tasks/T1/done", "" },
		{ "POST", "/v1/tasks/T1/reopen", "" },
		{ "GET", "/v1/tasks", "status=open" },
		{ "GET", "/v1/messages/1", "" },
		{ "POST", "/v1/notices/1/cancel", "" },
	};
	struct fuzz_api *f = api();
	struct api_resp out = { 0, NULL };
	struct api_req r;
	char *body;

	if (size == 0)
		return 0;
	body = fuzz_cstr(data + 1, size - 1);
	r.method = routes[data[0] % (sizeof(routes) / sizeof(routes[0]))].method;
	r.path = routes[data[0] % (sizeof(routes) / sizeof(routes[0]))].path;
	r.query = routes[data[0] % (sizeof(routes) / sizeof(routes[0]))].query;
	r.body = body;
	r.len = size - 1;
	r.routes = HTTP_ROUTE_MESSAGES | HTTP_ROUTE_NOTICES | HTTP_ROUTE_TASKS;
	r.actor = "api:fuzz";
	r.st = f->st;
	r.cfg = f->cfg;
	r.tmpls = f->tmpls;
	r.rules = f->rules;
	api_handle(&r, &out);
	if (out.status < 200 || out.status > 599)
		abort();
	if (out.status >= 400 && !json_is_string(json_object_get(out.json, "error")))
		abort();
	json_decref(out.json);
	free(body);
	return 0;
}
