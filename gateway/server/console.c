/*
 * console.c - the staff console's static files, logins and sessions
 * (console.h).  Files are read whole from the web root at each request
 * (they are small, and an upgrade shows at once), typed by their suffix,
 * and tagged with the start of their SHA-256, so a browser revalidates
 * instead of downloading them again.  The session cookie holds 256 random
 * bits; the database keeps only their SHA-256 (core/staff.c).
 */
#include "server/console.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/i18n.h"
#include "core/config_console.h"
#include "core/config_http.h"
#include "core/staff.h"
#include "server/api.h"

const char *const console_headers[] = {
	"Content-Security-Policy",
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
	"object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
	"X-Content-Type-Options", "nosniff",
	"Referrer-Policy", "no-referrer",
	"X-Frame-Options", "DENY",
	NULL,
};

void
console_out_free(struct console_out *out)
{
	json_decref(out->json);
	free(out->body);
	out->json = NULL;
	out->body = NULL;
}

static void
out_json(struct console_out *out, unsigned status, json_t *j)
{
	json_decref(out->json);
	out->status = j ? status : 500;
	out->json = j ? j : json_pack("{s:s}", "error", "out of memory");
}

/* An error answer with a stable code for the console's scripts. */
static void
out_error(struct console_out *out, unsigned status, const char *code, const char *msg)
{
	out_json(out, status, json_pack("{s:s, s:s, s:n}", "error", msg, "code", code, "field"));
}

/* ---- cookies ------------------------------------------------------------------------- */

/* The session token of a Cookie header into out: 0, or -1 when none. */
static int
cookie_token(const char *h, char *out, size_t outlen)
{
	size_t nl = strlen(CONSOLE_COOKIE);

	for (const char *p = h; p && *p;) {
		while (*p == ' ' || *p == ';')
			p++;
		if (strncmp(p, CONSOLE_COOKIE, nl) == 0 && p[nl] == '=') {
			const char *v = p + nl + 1;
			size_t n = strcspn(v, "; ");
			if (n == 0 || n >= outlen)
				return -1;
			memcpy(out, v, n);
			out[n] = '\0';
			return 0;
		}
		p = strchr(p, ';');
	}
	return -1;
}

static void
set_cookie(const struct console_req *r, struct console_out *out, const char *token, long max_age)
{
	snprintf(out->cookie, sizeof(out->cookie), "%s=%s; HttpOnly; SameSite=Strict; Path=/; "
						   "Max-Age=%ld%s",
		 CONSOLE_COOKIE, token, max_age, r->https ? "; Secure" : "");
}

/* ---- static files -------------------------------------------------------------------- */

static const struct {
	const char *suffix, *ctype;
	bool cacheable;
} types[] = {
	{ ".html", "text/html; charset=utf-8", false },
	{ ".css", "text/css; charset=utf-8", true },
	{ ".js", "text/javascript; charset=utf-8", true },
	{ ".svg", "image/svg+xml", true },
	{ ".png", "image/png", true },
	{ ".ico", "image/x-icon", true },
	{ ".csv", "text/csv; charset=utf-8", true },
};

/* True when path is a file name duban serves: no "..", no hidden file, a known type. */
static bool
path_ok(const char *p, size_t *type)
{
	size_t n = strlen(p);

	if (p[0] != '/' || strstr(p, "/.") || strstr(p, "..") || strchr(p, '\\') || n > 200)
		return false;
	for (const char *q = p; *q; q++)
		if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
		      (*q >= '0' && *q <= '9') || strchr("/._-", *q)))
			return false;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		size_t sl = strlen(types[i].suffix);
		if (n > sl && strcmp(p + n - sl, types[i].suffix) == 0) {
			*type = i;
			return true;
		}
	}
	return false;
}

/* Read file into out->body: 0, or -1 (not there, too big). */
static int
read_file(const char *file, struct console_out *out)
{
	FILE *fp = fopen(file, "rb");
	long n;

	if (fp == NULL)
		return -1;
	if (fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) < 0 || n > CONSOLE_FILE_MAX ||
	    fseek(fp, 0, SEEK_SET) != 0 || (out->body = malloc((size_t)n + 1)) == NULL ||
	    fread(out->body, 1, (size_t)n, fp) != (size_t)n) {
		fclose(fp);
		free(out->body);
		out->body = NULL;
		return -1;
	}
	fclose(fp);
	out->len = (size_t)n;
	return 0;
}

static void
etag_of(struct console_out *out)
{
	unsigned char sum[32];
	unsigned int n = 0;

	out->etag[0] = '\0';
	if (EVP_Digest(out->body, out->len, sum, &n, EVP_sha256(), NULL) != 1)
		return;
	out->etag[0] = '"';
	for (int i = 0; i < 12; i++)
		snprintf(out->etag + 1 + 2 * i, 3, "%02x", sum[i]);
	snprintf(out->etag + 25, sizeof(out->etag) - 25, "\"");
}

/* True when r carries an open session. */
static bool
has_session(const struct console_req *r)
{
	struct staff_session s;
	char tok[80];

	if (r->cookie == NULL || cookie_token(r->cookie, tok, sizeof(tok)) != 0)
		return false;
	if (staff_session(r->st, &r->cfg->console, tok, (int64_t)time(NULL), &s) != STORE_OK)
		return false;
	staff_clear(&s.who);
	return true;
}

/* Percent-encode s into out for a query value. */
static void
url_encode(const char *s, char *out, size_t outlen)
{
	size_t o = 0;

	for (; *s && o + 4 < outlen; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("/._-", c))
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, outlen - o, "%%%02X", c);
	}
	out[o] = '\0';
}

void
console_static(const struct console_req *r, struct console_out *out)
{
	char root[2048], file[4096], next[1024], enc[1100];
	const char *p = strcmp(r->path, "/") == 0 ? "/index.html" : r->path;
	size_t type;

	memset(out, 0, sizeof(*out));
	if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0) {
		out_error(out, 405, "method", _("use GET"));
		return;
	}
	if (!path_ok(p, &type)) {
		out_error(out, 404, "notfound", _("no such page"));
		return;
	}
	if (console_web_root(r->cfg, root, sizeof(root)) != 0) {
		out_error(out, 404, "notfound",
			  _("the console's files are not installed (console.web_root)"));
		return;
	}
	if (snprintf(file, sizeof(file), "%s%s", root, p) >= (int)sizeof(file) ||
	    read_file(file, out) != 0) {
		out_error(out, 404, "notfound", _("no such page"));
		return;
	}
	if (strcmp(types[type].suffix, ".html") == 0 && strcmp(p, "/login.html") != 0 &&
	    !has_session(r)) {
		free(out->body);
		out->body = NULL;
		snprintf(next, sizeof(next), "%s%s%s", r->path, *r->query ? "?" : "", r->query);
		url_encode(next, enc, sizeof(enc));
		snprintf(out->location, sizeof(out->location), "/login.html?next=%s", enc);
		out_error(out, 303, "session", _("log in first"));
		return;
	}
	out->ctype = types[type].ctype;
	out->cacheable = types[type].cacheable;
	out->status = 200;
	etag_of(out);
	if (r->inm != NULL && out->etag[0] && strcmp(r->inm, out->etag) == 0) {
		free(out->body);
		out->body = NULL;
		out->len = 0;
		out->status = 304;
	}
}

/* ---- logins -------------------------------------------------------------------------- */

/* True when a request that changes something comes from the console's own origin. */
static bool
same_origin(const struct console_req *r)
{
	const char *o = r->origin, *rest;

	if (o == NULL)
		return true; /* not a browser's cross-site request: SameSite and CSRF decide */
	if (r->host == NULL)
		return false;
	if (strncmp(o, "http://", 7) == 0)
		rest = o + 7;
	else if (strncmp(o, "https://", 8) == 0)
		rest = o + 8;
	else
		return false;
	return strcasecmp(rest, r->host) == 0;
}

static json_t *
who_json(const struct staff *s, const char *csrf)
{
	enum staff_role role = STAFF_VIEWER;

	(void)staff_role_parse(s->role, &role);
	return json_pack("{s:s, s:s, s:s, s:s, s:s}", "login", s->login, "name", s->name, "role",
			 s->role, "role_label", staff_role_label(role), "csrf", csrf);
}

static void
login(const struct console_req *r, struct console_out *out)
{
	static const char *const keys[] = { "login", "password", NULL };
	struct api_req ar = { .method = r->method, .path = r->path, .body = r->body,
			      .len = r->len, .st = r->st, .cfg = r->cfg };
	struct api_resp ae = { 0, NULL };
	struct duban_ctx x = { .st = r->st, .cfg = r->cfg, .actor = "console" };
	struct staff_login l;
	const char *name, *pw;
	char actor[64];
	json_t *o;
	int rc;

	if (!same_origin(r)) {
		out_error(out, 403, "origin", _("a login from another site is refused"));
		return;
	}
	if ((o = api_body_object(&ar, keys, &ae)) == NULL ||
	    api_get_str(o, "login", true, STAFF_LOGIN_MAX + 8, &name, &ae) < 0 ||
	    api_get_str(o, "password", true, STAFF_PASSWORD_MAX, &pw, &ae) < 0) {
		out_json(out, ae.status, ae.json);
		json_decref(o);
		return;
	}
	snprintf(actor, sizeof(actor), "staff:%s", name);
	x.actor = actor;
	rc = staff_login(&x, name, pw, r->addr, (int64_t)time(NULL), &l);
	if (rc == ACTION_OK) {
		set_cookie(r, out, l.token, r->cfg->console.max_s);
		out_json(out, 200, who_json(&l.who, l.csrf));
		staff_clear(&l.who);
	} else if (l.locked_for > 0) {
		out_json(out, 429,
			 json_pack("{s:s, s:s, s:I, s:n}", "error", x.err, "code", "locked",
				   "locked_for", (json_int_t)l.locked_for, "field"));
	} else {
		out_error(out, rc == ACTION_ERROR ? 500 : 401, "login", x.err);
	}
	explicit_bzero(l.token, sizeof(l.token));
	json_decref(o);
}

void
console_session_route(const struct console_req *r, struct console_out *out)
{
	struct staff_session s;
	char tok[80];
	bool have;

	memset(out, 0, sizeof(*out));
	if (strcmp(r->method, "POST") == 0) {
		login(r, out);
		return;
	}
	have = r->cookie && cookie_token(r->cookie, tok, sizeof(tok)) == 0 &&
	       staff_session(r->st, &r->cfg->console, tok, (int64_t)time(NULL), &s) == STORE_OK;
	if (strcmp(r->method, "GET") == 0) {
		if (!have) {
			out_error(out, 401, "session", _("no session: log in"));
			return;
		}
		out_json(out, 200, who_json(&s.who, s.csrf));
		staff_clear(&s.who);
		return;
	}
	if (strcmp(r->method, "DELETE") != 0) {
		if (have)
			staff_clear(&s.who);
		out_error(out, 405, "method", _("use GET, POST or DELETE"));
		return;
	}
	set_cookie(r, out, "", 0);
	if (!have) {
		out_json(out, 200, json_pack("{s:b}", "logged_out", 1));
		return;
	}
	if (!staff_csrf_ok(s.csrf, r->csrf) || !same_origin(r)) {
		staff_clear(&s.who);
		out->cookie[0] = '\0';
		out_error(out, 403, "csrf", _("missing or wrong X-CSRF-Token"));
		return;
	}
	char actor[64];
	struct duban_ctx x = { .st = r->st, .cfg = r->cfg, .actor = actor };
	snprintf(actor, sizeof(actor), "staff:%s", s.who.login);
	staff_clear(&s.who);
	if (staff_logout(&x, tok) != ACTION_OK)
		out_error(out, 500, "error", x.err);
	else
		out_json(out, 200, json_pack("{s:b}", "logged_out", 1));
}

int
console_auth(const struct console_req *r, char *actor, size_t actorlen, int *role,
	     unsigned *routes, struct console_out *out)
{
	struct staff_session s;
	enum staff_role ro = STAFF_VIEWER;
	char tok[80];
	bool change = strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0;

	memset(out, 0, sizeof(*out));
	if (r->cookie == NULL || cookie_token(r->cookie, tok, sizeof(tok)) != 0 ||
	    staff_session(r->st, &r->cfg->console, tok, (int64_t)time(NULL), &s) != STORE_OK) {
		out_error(out, 401, "session", _("no session, or it expired: log in again"));
		return -1;
	}
	if (change && (!staff_csrf_ok(s.csrf, r->csrf) || !same_origin(r))) {
		staff_clear(&s.who);
		out_error(out, 403, "csrf",
			  _("refused: a change needs the session's X-CSRF-Token, from the console"));
		return -1;
	}
	(void)staff_role_parse(s.who.role, &ro);
	snprintf(actor, actorlen, "staff:%s", s.who.login);
	*role = (int)ro;
	*routes = HTTP_ROUTE_MESSAGES | HTTP_ROUTE_NOTICES | HTTP_ROUTE_TASKS;
	if (ro >= STAFF_CLERK)
		*routes |= HTTP_ROUTE_MESSAGES_NUMBERS;
	staff_clear(&s.who);
	return 0;
}
