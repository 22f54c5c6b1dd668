/*
 * api_people.c - the people and groups the staff console shows: GET
 * /v1/groups (every group with its member count, every organisation and
 * kind, for the notice's audience picker) and GET /v1/people (search by
 * name, title or organisation, ?q=, and by ?group=, ?org=, ?kind=).  A
 * viewer sees numbers masked (138****8000).  Console sessions only.
 */
#include "server/api.h"
#include "base/i18n.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/phone.h"
#include "core/import.h"
#include "core/person.h"
#include "core/staff.h"

#define PEOPLE_LIST_MAX 2000

static int
group_row(void *arg, const struct group *g)
{
	return json_array_append_new(arg, json_pack("{s:s, s:s, s:I}", "name", g->name,
						     "description", g->description ? g->description : "",
						     "members", (json_int_t)g->members));
}

/* Each distinct organisation into the array arg (people come in id order). */
static int
org_row(void *arg, const struct person *p)
{
	json_t *a = arg, *e;
	size_t i;

	if (p->org == NULL || *p->org == '\0')
		return 0;
	json_array_foreach(a, i, e)
		if (strcmp(json_string_value(e), p->org) == 0)
			return 0;
	return json_array_append_new(a, json_string(p->org));
}

static void
get_groups(const struct api_req *r, struct api_resp *out)
{
	json_t *g = json_array(), *o = json_array();
	struct person_filter f = { 0 };
	int rc;

	if (g == NULL || o == NULL) {
		json_decref(g);
		json_decref(o);
		api_error(out, 500, NULL, _("out of memory"));
		return;
	}
	if ((rc = store_group_each(r->st, group_row, g)) != STORE_OK ||
	    (rc = store_person_each(r->st, &f, org_row, o)) != STORE_OK) {
		json_decref(g);
		json_decref(o);
		api_store_error(out, r, rc);
		return;
	}
	api_reply(out, 200,
		  json_pack("{s:o, s:o, s:[s,s,s,s]}", "groups", g, "orgs", o, "kinds", "official",
			    "farmer", "enterprise", "other"));
}

struct people_list {
	json_t *a;
	bool numbers;
	size_t n;
	const char *digits; /* a search by number: these digits in the phone; NULL: none */
};

static int
person_row(void *arg, const struct person *p)
{
	struct people_list *l = arg;
	char m[PHONE_MAX];

	if (l->digits != NULL && strstr(p->phone, l->digits) == NULL)
		return 0;
	if (++l->n > PEOPLE_LIST_MAX)
		return 1;
	return json_array_append_new(
		l->a, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "id", (json_int_t)p->id,
				"name", p->name, "phone",
				l->numbers ? p->phone : phone_mask(p->phone, m, sizeof(m)), "title",
				p->title ? p->title : "", "org", p->org ? p->org : "", "kind",
				p->kind ? p->kind : "", "groups", p->groups ? p->groups : "",
				"opted_out_at", api_jtime(p->opted_out_at)));
}

static void
get_people(const struct api_req *r, struct api_resp *out)
{
	char q[API_WHO_MAX], g[API_WHO_MAX], o[API_WHO_MAX], k[32];
	struct person_filter f = { 0 };
	struct people_list l = { json_array(), r->role >= STAFF_CLERK, 0, NULL };
	int rc;

	if (api_query_arg(r->query, "q", q, sizeof(q)) == 0 && *q) {
		/* A number as a clerk types it ("138-0013", "+86 138"): its digits. */
		if (strspn(q, "+0123456789 -") == strlen(q) && strpbrk(q, "0123456789")) {
			size_t nd = 0;
			for (const char *c = q; *c; c++)
				if (*c >= '0' && *c <= '9')
					q[nd++] = *c;
			q[nd] = '\0';
			l.digits = q;
		} else {
			f.search = q;
		}
	}
	if (api_query_arg(r->query, "group", g, sizeof(g)) == 0 && *g)
		f.group = g;
	if (api_query_arg(r->query, "org", o, sizeof(o)) == 0 && *o)
		f.org = o;
	if (api_query_arg(r->query, "kind", k, sizeof(k)) == 0 && *k)
		f.kind = k;
	if (l.a == NULL) {
		api_error(out, 500, NULL, _("out of memory"));
		return;
	}
	if ((rc = store_person_each(r->st, &f, person_row, &l)) != STORE_OK) {
		json_decref(l.a);
		api_store_error(out, r, rc);
		return;
	}
	api_reply(out, 200,
		  json_pack("{s:o, s:b}", "people", l.a, "truncated", l.n > PEOPLE_LIST_MAX));
}

/* ---- POST /v1/people/import?name=FILE&dry_run=1 (the body: the CSV's bytes) ---------- */

/* The file's name as the console sent it, made safe for a temporary file. */
static void
import_name(const struct api_req *r, char *out, size_t outlen)
{
	char name[128];
	size_t o = 0;

	if (api_query_arg(r->query, "name", name, sizeof(name)) != 0 || name[0] == '\0')
		snprintf(name, sizeof(name), "people.csv");
	for (const char *p = name; *p && o + 1 < outlen; p++)
		out[o++] = (*p == '/' || *p == '\\' || (p == name && *p == '.')) ? '_' : *p;
	out[o] = '\0';
}

/* "DIR/FILE:LINE: reason" as {"line": LINE, "error": "FILE:LINE: reason"}. */
static json_t *
import_errors(const struct diag *d, const char *dir)
{
	json_t *a = json_array();
	size_t dl = strlen(dir);

	for (size_t i = 0; a && i < d->n; i++) {
		const char *l = d->line[i];
		const char *colon;
		long line = 0;

		if (strncmp(l, dir, dl) == 0 && l[dl] == '/')
			l += dl + 1;
		if ((colon = strchr(l, ':')) != NULL)
			line = strtol(colon + 1, NULL, 10);
		json_array_append_new(a, json_pack("{s:I, s:s}", "line", (json_int_t)line, "error", l));
	}
	return a;
}

static void
import_people_route(const struct api_req *r, struct api_resp *out)
{
	char dir[] = "/tmp/duban-import.XXXXXX", name[128], path[256] = "", enc[16], dry[8], upd[8];
	struct import_result res = { 0 };
	struct import_opts o = { 0 };
	struct diag d = { 0 };
	struct duban_ctx x;
	bool is_dry;
	FILE *fp;
	int rc;

	if (!api_method(r, "POST", out))
		return;
	if (api_query_arg(r->query, "encoding", enc, sizeof(enc)) != 0)
		snprintf(enc, sizeof(enc), "auto");
	is_dry = api_query_arg(r->query, "dry_run", dry, sizeof(dry)) == 0 && strcmp(dry, "1") == 0;
	import_name(r, name, sizeof(name));
	if (mkdtemp(dir) == NULL ||
	    snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path) ||
	    (fp = fopen(path, "wbx")) == NULL) {
		api_error(out, 500, NULL, _("cannot keep the upload for reading"));
		path[0] = '\0';
		goto out;
	}
	if (fwrite(r->body, 1, r->len, fp) != r->len || fclose(fp) != 0) {
		api_error(out, 500, NULL, _("cannot keep the upload for reading"));
		goto out;
	}
	api_ctx(r, &x);
	o.file = path;
	o.encoding = strcmp(enc, "auto") == 0 ? NULL : enc;
	o.dry = is_dry;
	o.update = api_query_arg(r->query, "update", upd, sizeof(upd)) == 0 && strcmp(upd, "1") == 0;
	rc = import_people(&x, &o, &d, &res);
	if (rc == ACTION_OK)
		api_reply(out, is_dry ? 200 : 201,
			  json_pack("{s:b, s:I, s:I, s:I, s:I, s:I, s:s, s:[]}", "dry_run", is_dry,
				    "rows", (json_int_t)res.rows, "added", (json_int_t)res.added,
				    "updated", (json_int_t)res.updated, "unchanged",
				    (json_int_t)res.unchanged, "groups", (json_int_t)res.groups,
				    "ignored_columns", res.ignored, "errors"));
	else if (rc == ACTION_INVALID && d.n > 0)
		api_reply(out, 400,
			  json_pack("{s:s, s:n, s:o}", "error", "bad rows: nothing was imported",
				    "field", "errors", import_errors(&d, dir)));
	else
		api_error(out, rc == ACTION_ERROR ? 500 : 400, NULL, "%s", x.err);
out:
	diag_clear(&d);
	if (path[0]) {
		unlink(path);
		rmdir(dir);
	}
}

/* ---- one person: add, change, remove, opt out and in; groups and members ------------- */

/* Answer an action's refusal: 409 for a number taken, 404, 500, else 400. */
static void
person_refused(struct api_resp *out, int rc, const struct duban_ctx *x, const char *field)
{
	api_error(out, rc == ACTION_EXISTS ? 409 : rc == ACTION_NOTFOUND ? 404
				: rc == ACTION_ERROR	? 500
							: 400,
		  rc == ACTION_EXISTS || rc == ACTION_INVALID ? field : NULL, "%s", x->err);
}

static json_t *
person_json(const struct api_req *r, const struct person *p)
{
	struct people_list l = { json_array(), r->role >= STAFF_CLERK, 0, NULL };
	json_t *j = NULL;

	if (l.a != NULL && person_row(&l, p) == 0)
		j = json_incref(json_array_get(l.a, 0));
	json_decref(l.a);
	return j;
}

static void
add_person(const struct api_req *r, struct api_resp *out)
{
	static const char *const keys[] = { "name", "phone", "title", "org", "kind", "groups", NULL };
	const char *groups[API_LIST_MAX];
	struct person_new pn = { 0 };
	struct person p = { 0 };
	struct duban_ctx x;
	char phone[PHONE_MAX];
	int64_t id;
	int rc;
	json_t *o = api_body_object(r, keys, out);

	if (o == NULL || api_get_str(o, "name", true, API_WHO_MAX, &pn.name, out) < 0 ||
	    api_get_str(o, "phone", true, 64, &pn.phone, out) < 0 ||
	    api_get_str(o, "title", false, API_WHO_MAX, &pn.title, out) < 0 ||
	    api_get_str(o, "org", false, API_WHO_MAX, &pn.org, out) < 0 ||
	    api_get_str(o, "kind", false, 16, &pn.kind, out) < 0 ||
	    api_get_list(o, "groups", groups, &pn.ngroups, out) < 0)
		goto out;
	pn.groups = groups;
	api_ctx(r, &x);
	if ((rc = person_add(&x, &pn, &id, phone)) != ACTION_OK) {
		person_refused(out, rc, &x, "phone");
		goto out;
	}
	if ((rc = store_person_get(r->st, id, &p)) != STORE_OK)
		api_store_error(out, r, rc);
	else
		api_reply(out, 201, person_json(r, &p));
	person_clear(&p);
out:
	json_decref(o);
}

static void
change_person(const struct api_req *r, const char *who, struct api_resp *out)
{
	static const char *const keys[] = { "name", "phone", "title", "org", "kind", NULL };
	struct person_edit e = { 0 };
	struct person p = { 0 };
	struct duban_ctx x;
	int rc;
	json_t *o = api_body_object(r, keys, out);

	if (o == NULL || api_get_str(o, "name", false, API_WHO_MAX, &e.name, out) < 0 ||
	    api_get_str(o, "phone", false, 64, &e.phone, out) < 0 ||
	    api_get_str(o, "title", false, API_WHO_MAX, &e.title, out) < 0 ||
	    api_get_str(o, "org", false, API_WHO_MAX, &e.org, out) < 0 ||
	    api_get_str(o, "kind", false, 16, &e.kind, out) < 0)
		goto out;
	api_ctx(r, &x);
	if ((rc = person_update(&x, who, &e, &p)) != ACTION_OK)
		person_refused(out, rc, &x, "phone");
	else
		api_reply(out, 200, person_json(r, &p));
	person_clear(&p);
out:
	json_decref(o);
}

/* POST /v1/people/ID/optout, /optin; DELETE /v1/people/ID. */
static void
person_verb(const struct api_req *r, const char *who, const char *verb, struct api_resp *out)
{
	struct person p = { 0 };
	struct duban_ctx x;
	bool changed = false;
	int rc;

	api_ctx(r, &x);
	if (strcmp(verb, "remove") == 0)
		rc = person_remove(&x, who, &p);
	else if (strcmp(verb, "optout") == 0)
		rc = person_optout(&x, who, &p, &changed);
	else
		rc = person_optin(&x, who, &p, &changed);
	if (rc != ACTION_OK)
		person_refused(out, rc, &x, NULL);
	else if (strcmp(verb, "remove") == 0)
		api_reply(out, 200, json_pack("{s:I, s:b}", "id", (json_int_t)p.id, "removed", 1));
	else
		api_reply(out, 200, person_json(r, &p));
	person_clear(&p);
}

/* POST /v1/groups {"name"}; POST /v1/groups/NAME/members {"add": [...], "remove": [...]}. */
static void
groups_write(const struct api_req *r, char **s, int n, struct api_resp *out)
{
	static const char *const gkeys[] = { "name", "description", NULL };
	static const char *const mkeys[] = { "add", "remove", NULL };
	const char *name, *desc, *add[API_LIST_MAX], *rem[API_LIST_MAX];
	size_t na = 0, nr = 0, ch = 0;
	struct duban_ctx x;
	int64_t id;
	int rc = ACTION_OK;
	json_t *o = api_body_object(r, n == 2 ? gkeys : mkeys, out);

	api_ctx(r, &x);
	if (o == NULL)
		return;
	if (n == 2) {
		if (api_get_str(o, "name", true, API_WHO_MAX, &name, out) >= 0 &&
		    api_get_str(o, "description", false, API_TITLE_MAX, &desc, out) >= 0) {
			if ((rc = group_add(&x, name, desc ? desc : "", &id)) != ACTION_OK)
				person_refused(out, rc, &x, "name");
			else
				api_reply(out, 201, json_pack("{s:I, s:s}", "id", (json_int_t)id,
							      "name", name));
		}
	} else if (api_get_list(o, "add", add, &na, out) >= 0 &&
		   api_get_list(o, "remove", rem, &nr, out) >= 0) {
		if (na > 0)
			rc = group_members(&x, s[2], add, na, true, NULL, NULL, &ch);
		if (rc == ACTION_OK && nr > 0)
			rc = group_members(&x, s[2], rem, nr, false, NULL, NULL, &ch);
		if (rc != ACTION_OK)
			person_refused(out, rc, &x, na ? "add" : "remove");
		else
			api_reply(out, 200, json_pack("{s:s, s:I}", "group", s[2], "changed",
						      (json_int_t)ch));
	}
	json_decref(o);
}

void
api_route_people(const struct api_req *r, char **s, int n, struct api_resp *out)
{
	char who[40];

	if (n == 3 && strcmp(s[1], "people") == 0 && strcmp(s[2], "import") == 0) {
		import_people_route(r, out);
		return;
	}
	if (strcmp(s[1], "groups") == 0 && strcmp(r->method, "POST") == 0 &&
	    (n == 2 || (n == 4 && strcmp(s[3], "members") == 0))) {
		groups_write(r, s, n, out);
		return;
	}
	if (strcmp(s[1], "people") == 0 && n == 2 && strcmp(r->method, "POST") == 0) {
		add_person(r, out);
		return;
	}
	if (strcmp(s[1], "people") == 0 && (n == 3 || n == 4) &&
	    strspn(s[2], "0123456789") == strlen(s[2]) && strlen(s[2]) < 12) {
		snprintf(who, sizeof(who), "#%s", s[2]);
		if (n == 3 && strcmp(r->method, "DELETE") == 0)
			person_verb(r, who, "remove", out);
		else if (n == 3 && api_method(r, "POST", out))
			change_person(r, who, out);
		else if (n == 4 && (strcmp(s[3], "optout") == 0 || strcmp(s[3], "optin") == 0)) {
			if (api_method(r, "POST", out))
				person_verb(r, who, s[3], out);
		} else if (n == 4)
			api_error(out, 404, NULL, _("no such route: %s"), r->path);
		return;
	}
	if (n != 2) {
		api_error(out, 404, NULL, _("no such route: %s"), r->path);
		return;
	}
	if (!api_method(r, "GET", out))
		return;
	if (strcmp(s[1], "groups") == 0)
		get_groups(r, out);
	else
		get_people(r, out);
}
