/*
 * api.c - what the routes of version 1 of duban's HTTP API share, and the
 * routing: errors and answers, JSON values, query strings, request bodies
 * checked whole (an unknown field, a field of the wrong type or a bad
 * value is a 400 whose body names the field), the context the actions of
 * core/ take, and api_handle, which sends /v1/messages to api_message.c
 * /v1/notices to api_notice.c and /v1/tasks to api_task.c.  The routes call the same actions as
 * the command line, with the token's name as the actor.
 */
#include "server/api.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/str.h"
#include "core/notice.h"
#include "core/staff.h"
#include "base/array.h"
#include "base/utf8.h"
#include "base/zone.h"

/* ---- answers ------------------------------------------------------------------- */

void
api_error(struct api_resp *out, unsigned status, const char *field, const char *fmt, ...)
{
	char raw[600], msg[sizeof(raw) * 3], name[API_WHO_MAX * 3 + 1];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	/* JSON takes valid UTF-8 only: a field name or value quoted from the
	 * request may hold anything, and the cut above may split a character. */
	utf8_sanitize(raw, n < 0 ? 0 : (size_t)n < sizeof(raw) ? (size_t)n : sizeof(raw) - 1, msg,
		      sizeof(msg));
	if (field != NULL)
		utf8_sanitize(field, strnlen(field, API_WHO_MAX), name, sizeof(name));
	json_decref(out->json);
	out->status = status;
	out->json = json_pack("{s:s, s:s?}", "error", msg, "field", field ? name : NULL);
}

void
api_reply(struct api_resp *out, unsigned status, json_t *body)
{
	json_decref(out->json);
	out->status = body ? status : 500;
	out->json = body ? body : json_pack("{s:s}", "error", "out of memory");
}

void
api_store_error(struct api_resp *out, const struct api_req *r, int rc)
{
	unsigned status = rc == STORE_NOTFOUND ? 404 : rc == STORE_ERROR ? 500 : 400;
	api_error(out, status, NULL, "%s", store_errmsg(r->st));
}

const char *
api_time(int64_t t, char *out, size_t outlen)
{
	struct tm tm;
	long off;
	char base[32];

	time_local(t, &tm);
	off = tm.tm_gmtoff;
	if (strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		base[0] = '\0';
	snprintf(out, outlen, "%s%c%02ld:%02ld", base, off < 0 ? '-' : '+', labs(off) / 3600,
		 labs(off) / 60 % 60);
	return out;
}

/* A time as JSON: the string, or null for 0. */
json_t *
api_jtime(int64_t t)
{
	char buf[40];
	return t ? json_string(api_time(t, buf, sizeof(buf))) : json_null();
}

/* A string as JSON, null for NULL or "". */
json_t *
api_jstr(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

/* ---- query strings ------------------------------------------------------------ */

int
api_url_decode(const char *s, size_t n, char *out, size_t outlen)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '+') {
			c = ' ';
		} else if (c == '%' && i + 2 < n && str_hexval(s[i + 1]) >= 0 &&
			   str_hexval(s[i + 2]) >= 0) {
			c = (char)(str_hexval(s[i + 1]) * 16 + str_hexval(s[i + 2]));
			i += 2;
		}
		/* A NUL would end the value early: "TD%00junk" must not read as "TD". */
		if (c == '\0' || o + 1 >= outlen)
			return -1;
		out[o++] = c;
	}
	if (outlen == 0)
		return -1;
	out[o] = '\0';
	return 0;
}

int
api_query_arg(const char *query, const char *name, char *out, size_t outlen)
{
	size_t nl = strlen(name);
	const char *p = query;

	while (p && *p) {
		const char *end = strchr(p, '&');
		const char *eq = memchr(p, '=', end ? (size_t)(end - p) : strlen(p));
		size_t kl = eq ? (size_t)(eq - p) : (end ? (size_t)(end - p) : strlen(p));

		if (kl == nl && memcmp(p, name, nl) == 0) {
			const char *v = eq ? eq + 1 : p + kl;
			size_t vl = end ? (size_t)(end - v) : strlen(v);
			return api_url_decode(v, vl, out, outlen);
		}
		p = end ? end + 1 : NULL;
	}
	return -1;
}

int
api_form_check(const char *form, size_t len, char *field, size_t fieldlen)
{
	const char *p = form, *end = form + len;

	if (fieldlen > 0)
		field[0] = '\0';
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *stop = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(stop - p));
		const char *kend = eq ? eq : stop;
		bool nul = memchr(p, '\0', (size_t)(stop - p)) != NULL;

		for (const char *q = p; q + 2 < stop && !nul; q++)
			nul = q[0] == '%' && q[1] == '0' && q[2] == '0';
		if (nul) {
			/* The name as far as it reads, for the answer's "field". */
			size_t o = 0;
			for (const char *q = p; q < kend && o + 1 < fieldlen; q++) {
				if (*q == '\0' || (q + 2 < kend && q[0] == '%' && q[1] == '0' &&
						   q[2] == '0'))
					break;
				field[o++] = *q;
			}
			if (fieldlen > 0)
				field[o] = '\0';
			return -1;
		}
		p = amp ? amp + 1 : end;
	}
	return 0;
}

/* ---- request bodies --------------------------------------------------------------- */

/* The body as a JSON object with only allowed keys; NULL with out set (400). */
json_t *
api_body_object(const struct api_req *r, const char *const *allowed, struct api_resp *out)
{
	json_error_t e;
	json_t *o;
	const char *key;
	json_t *v;

	o = json_loadb(r->body, r->len, JSON_REJECT_DUPLICATES, &e);
	if (o == NULL) {
		api_error(out, 400, NULL, "malformed JSON: %s (line %d, column %d)", e.text, e.line,
			  e.column);
		return NULL;
	}
	if (!json_is_object(o)) {
		json_decref(o);
		api_error(out, 400, NULL, "the body must be a JSON object { ... }");
		return NULL;
	}
	json_object_foreach(o, key, v) {
		bool known = false;
		for (const char *const *a = allowed; *a; a++)
			if (strcmp(*a, key) == 0)
				known = true;
		if (!known) {
			api_error(out, 400, key, "unknown field \"%s\"", key);
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

/* A string field: 1 present, 0 absent (required: 400), -1 wrong (out set). */
int
api_get_str(json_t *o, const char *key, bool required, size_t maxlen, const char **v,
	struct api_resp *out)
{
	json_t *j = json_object_get(o, key);

	*v = NULL;
	if (j == NULL || json_is_null(j)) {
		if (!required)
			return 0;
		api_error(out, 400, key, "\"%s\" is required", key);
		return -1;
	}
	if (!json_is_string(j)) {
		api_error(out, 400, key, "\"%s\" must be a string", key);
		return -1;
	}
	if (json_string_length(j) > maxlen) {
		api_error(out, 400, key, "\"%s\" is longer than %zu bytes", key, maxlen);
		return -1;
	}
	*v = json_string_value(j);
	if (required && **v == '\0') {
		api_error(out, 400, key, "\"%s\" is empty", key);
		return -1;
	}
	return 1;
}

int
api_get_bool(json_t *o, const char *key, bool *v, struct api_resp *out)
{
	json_t *j = json_object_get(o, key);

	if (j == NULL || json_is_null(j))
		return 0;
	if (!json_is_boolean(j)) {
		api_error(out, 400, key, "\"%s\" must be true or false", key);
		return -1;
	}
	*v = json_is_true(j);
	return 1;
}

/* An array of strings (at most API_LIST_MAX): 0 (absent or set), -1 wrong. */
int
api_get_list(json_t *o, const char *key, const char **items, size_t *n, struct api_resp *out)
{
	json_t *j = json_object_get(o, key), *e;
	size_t i;

	*n = 0;
	if (j == NULL || json_is_null(j))
		return 0;
	if (!json_is_array(j) || json_array_size(j) > API_LIST_MAX) {
		api_error(out, 400, key, "\"%s\" must be a list of at most %d strings", key,
			  API_LIST_MAX);
		return -1;
	}
	json_array_foreach(j, i, e) {
		if (!json_is_string(e) || json_string_length(e) == 0 ||
		    json_string_length(e) > API_WHO_MAX) {
			api_error(out, 400, key, "\"%s\"[%zu] must be a string of 1 to %d bytes",
				  key, i, API_WHO_MAX);
			return -1;
		}
		items[(*n)++] = json_string_value(e);
	}
	return 0;
}

/*
 * "vars": {"deadline": "12月20日", "n": 3} as "key=value" strings into
 * vars (malloc'd each; *n of them).  0, or -1 with out set.
 */
int
api_get_vars(json_t *o, char **vars, size_t *n, struct api_resp *out)
{
	json_t *j = json_object_get(o, "vars"), *v;
	const char *key;

	*n = 0;
	if (j == NULL || json_is_null(j))
		return 0;
	if (!json_is_object(j) || json_object_size(j) > NOTICE_VARS_MAX) {
		api_error(out, 400, "vars", "\"vars\" must be an object of at most %d values",
			  NOTICE_VARS_MAX);
		return -1;
	}
	json_object_foreach(j, key, v) {
		char num[32];
		const char *s = num;
		size_t kl = strlen(key);
		bool key_ok = kl > 0 && kl <= 64;

		for (const char *p = key; *p; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			      (*p >= '0' && *p <= '9') || *p == '_'))
				key_ok = false;
		if (!key_ok) {
			api_error(out, 400, "vars",
				  "vars: \"%s\" is not a name (letters, digits, _)", key);
			return -1;
		}
		if (json_is_string(v) && json_string_length(v) <= 512 &&
		    !strchr(json_string_value(v), '\n'))
			s = json_string_value(v);
		else if (json_is_integer(v))
			snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		else {
			api_error(out, 400, "vars",
				  "vars.%s must be one line of text (at most 512 bytes) or an "
				  "integer",
				  key);
			return -1;
		}
		size_t len = kl + strlen(s) + 2;
		if ((vars[*n] = malloc(len)) == NULL) {
			api_error(out, 500, NULL, "out of memory");
			return -1;
		}
		snprintf(vars[*n], len, "%s=%s", key, s);
		(*n)++;
	}
	return 0;
}

void
api_vars_free(char **vars, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(vars[i]);
}

/* ---- the actions' context ------------------------------------------------------ */

void
api_ctx(const struct api_req *r, struct duban_ctx *x)
{
	memset(x, 0, sizeof(*x));
	x->st = r->st;
	x->cfg = r->cfg;
	x->rules = r->rules;
	x->tmpls = r->tmpls;
	x->actor = r->actor;
}

/*
 * The task routes below call the shared helpers by the names they had when
 * they were private to this file, until they move to api_task.c.
 */
/* ---- routing ----------------------------------------------------------------------------- */

/* Split "/v1/a/b/c" into at most max segments (in buf); the count, or -1 when more. */
static int
segments(const char *path, char *buf, size_t buflen, char **seg, int max)
{
	int n = 0;
	char *save = NULL, *tok;

	if (snprintf(buf, buflen, "%s", path) >= (int)buflen)
		return -1;
	for (tok = strtok_r(buf, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (n == max)
			return -1;
		seg[n++] = tok;
	}
	return n;
}

static bool
allowed(const struct api_req *r, unsigned route, struct api_resp *out)
{
	if (r->routes & route)
		return true;
	api_error(out, 403, NULL, "this token may not use /v1/%s", httpd_route_name(route));
	return false;
}

bool
api_method(const struct api_req *r, const char *want, struct api_resp *out)
{
	if (strcmp(r->method, want) == 0)
		return true;
	api_error(out, 405, NULL, "%s %s: use %s", r->method, r->path, want);
	return false;
}

/*
 * What the console's roles may do (r->role: enum staff_role; 0, a token,
 * is decided by its routes): a viewer only reads; staff accounts are the
 * admin's; approving a notice is checked by its route.  True, or false
 * with out set to the 403.
 */
static bool
role_allows(const struct api_req *r, char **s, int n, struct api_resp *out)
{
	bool read = strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0;

	(void)n;
	if (r->role == 0)
		return true;
	if (!read && r->role == STAFF_VIEWER) {
		api_error(out, 403, NULL, "a viewer may only read: ask an admin for the clerk role");
		return false;
	}
	if (strcmp(s[1], "staff") == 0 && r->role != STAFF_ADMIN) {
		api_error(out, 403, NULL, "only an admin manages staff accounts");
		return false;
	}
	if (strcmp(s[1], "tokens") == 0 && r->role != STAFF_ADMIN) {
		api_error(out, 403, NULL, "only an admin manages API tokens");
		return false;
	}
	return true;
}

/* The routes only the console uses: 403 for a token. */
static bool
console_route(const struct api_req *r, char **s, int n, struct api_resp *out)
{
	static const char *const names[] = { "dashboard", "groups", "people", "outbox",
					     "inbox", "reports", "staff", "tokens", NULL };
	bool known = false;

	for (const char *const *p = names; *p; p++)
		known = known || strcmp(s[1], *p) == 0;
	if (!known)
		return false;
	if (r->role == 0)
		api_error(out, 403, NULL, "/v1/%s is for the staff console (log in at /)", s[1]);
	else if (strcmp(s[1], "dashboard") == 0)
		api_route_dashboard(r, s, n, out);
	else if (strcmp(s[1], "outbox") == 0)
		api_route_outbox(r, s, n, out);
	else if (strcmp(s[1], "inbox") == 0)
		api_route_inbox(r, s, n, out);
	else if (strcmp(s[1], "reports") == 0)
		api_route_reports(r, s, n, out);
	else if (strcmp(s[1], "staff") == 0)
		api_route_staff(r, s, n, out);
	else if (strcmp(s[1], "tokens") == 0)
		api_route_tokens(r, s, n, out);
	else
		api_route_people(r, s, n, out);
	return true;
}

void
api_handle(const struct api_req *r, struct api_resp *out)
{
	char buf[512], *s[6];
	int n = segments(r->path, buf, sizeof(buf), s, (int)ARRAY_LEN(s));

	out->status = 0;
	out->json = NULL;
	if (n < 2 || strcmp(s[0], "v1") != 0) {
		api_error(out, 404, NULL, "no such route: %s", r->path);
		return;
	}
	if (!role_allows(r, s, n, out) || console_route(r, s, n, out)) {
		if (out->status == 0)
			api_error(out, 500, NULL, "no answer");
		return;
	}
	if (strcmp(s[1], "messages") == 0) {
		if (allowed(r, HTTP_ROUTE_MESSAGES, out))
			api_route_messages(r, s, n, out);
	} else if (strcmp(s[1], "notices") == 0) {
		if (allowed(r, HTTP_ROUTE_NOTICES, out))
			api_route_notices(r, s, n, out);
	} else if (strcmp(s[1], "tasks") == 0) {
		if (allowed(r, HTTP_ROUTE_TASKS, out))
			api_route_tasks(r, s, n, out);
	} else {
		api_error(out, 404, NULL, "no such route: %s", r->path);
	}
	if (out->status == 0)
		api_error(out, 500, NULL, "no answer");
}

