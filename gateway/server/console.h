/*
 * console.h - the staff console's side of the HTTP server: its static
 * files (web/: HTML, CSS, JS, served with their content types and ETags),
 * logins and logouts (/v1/session), and the session that lets a browser
 * use the JSON API under /v1/ in place of a token - a cookie holding a
 * random token (HttpOnly, SameSite=Strict, Secure over HTTPS), a CSRF
 * token on every request that changes something, the staff member's role
 * deciding what they may do.  The rules (passwords, lockout, expiry) are
 * core/staff.c's.
 */
#ifndef DUBAN_CONSOLE_H
#define DUBAN_CONSOLE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/config.h"
#include "store/store.h"

#define CONSOLE_COOKIE "duban_session"
#define CONSOLE_CSRF_HEADER "X-CSRF-Token"
#define CONSOLE_FILE_MAX (4 * 1024 * 1024)

/* What the console reads of a request. */
struct console_req {
	const char *method, *path, *query, *body;
	size_t len;
	const char *cookie; /* the Cookie header, NULL: none */
	const char *csrf;   /* the X-CSRF-Token header, NULL: none */
	const char *inm;    /* If-None-Match, NULL: none */
	const char *origin; /* Origin, NULL: none */
	const char *host;   /* Host, NULL: none */
	const char *addr;   /* the client's address ("127.0.0.1") */
	bool https;         /* the browser used HTTPS (a trusted proxy says so) */
	struct store *st;
	const struct duban_config *cfg;
};

/* An answer of the console: JSON, or a file's bytes, with its headers. */
struct console_out {
	unsigned status;
	json_t *json;      /* owned; NULL: body is the answer */
	char *body;        /* malloc'd file bytes */
	size_t len;
	const char *ctype; /* of body (static) */
	bool cacheable;    /* a script or style: cached, revalidated by ETag */
	char cookie[256];  /* Set-Cookie value; "" none */
	char etag[48];     /* "" none */
	char location[1200]; /* "" none */
};
/* Free what out holds. */
void console_out_free(struct console_out *out);

/* The security headers every answer carries: name, value pairs, NULL-ended. */
extern const char *const console_headers[];

/*
 * GET or HEAD a file of the console (/ is /index.html).  A page other than
 * the login page without an open session answers 303 to
 * /login.html?next=PATH, so the browser comes back after logging in.
 * 304 when If-None-Match holds the file's ETag; 404 for what is not there
 * (or names a hidden file or a folder above the web root).
 */
void console_static(const struct console_req *r, struct console_out *out);
/*
 * /v1/session: POST {"login", "password"} logs in (200 with the staff
 * member, the CSRF token, and the cookie; 401 wrong; 429 locked, with
 * "locked_for" seconds), GET says who is logged in (401: nobody), DELETE
 * logs out (needs the CSRF token).
 */
void console_session_route(const struct console_req *r, struct console_out *out);
/*
 * A request under /v1/ with the session cookie and no token: 0 with the
 * actor ("staff:LOGIN"), the role (enum staff_role) and the routes it may
 * use, or -1 with out set: 401 no session (or it expired), 403 a change
 * without the session's CSRF token or from another origin.
 */
int console_auth(const struct console_req *r, char *actor, size_t actorlen, int *role,
		 unsigned *routes, struct console_out *out);

#endif
