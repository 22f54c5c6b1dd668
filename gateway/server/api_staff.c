/*
 * api_staff.c - the staff accounts, for an admin in the console: GET
 * /v1/staff lists them; POST /v1/staff {"login", "name", "role"} adds one
 * and answers its password, made up by duban and shown this once; POST
 * /v1/staff/LOGIN/passwd gives a new one the same way (ending its
 * sessions, unlocking it); POST /v1/staff/LOGIN/disable.  The same
 * actions as `duban staff`.  api.c lets only an admin here.
 */
#include "server/api.h"

#include <string.h>

#include "base/i18n.h"
#include "core/staff.h"

static int
staff_row(void *arg, const struct staff *s)
{
	return json_array_append_new(
		arg, json_pack("{s:s, s:s, s:s, s:b, s:o}", "login", s->login, "name", s->name,
			       "role", s->role, "disabled", s->disabled_at != 0, "created_at",
			       api_jtime(s->created_at)));
}

/* A password made up for a person to type: 16 characters of base64url (96 bits). */
static int
made_up(char *pw, size_t len)
{
	if (staff_random_token(pw, len) != 0)
		return -1;
	pw[16] = '\0';
	return 0;
}

static void
refused(struct api_resp *out, int rc, const struct duban_ctx *x)
{
	api_error(out, rc == ACTION_EXISTS ? 409 : rc == ACTION_NOTFOUND ? 404
				: rc == ACTION_ERROR	? 500
							: 400,
		  NULL, "%s", x->err);
}

static void
add(const struct api_req *r, struct api_resp *out)
{
	static const char *const keys[] = { "login", "name", "role", NULL };
	const char *login, *name, *role;
	enum staff_role ro;
	struct duban_ctx x;
	char pw[STAFF_TOKEN_LEN + 1];
	int rc;
	json_t *o = api_body_object(r, keys, out);

	if (o == NULL || api_get_str(o, "login", true, STAFF_LOGIN_MAX, &login, out) < 0 ||
	    api_get_str(o, "name", true, STAFF_NAME_MAX, &name, out) < 0 ||
	    api_get_str(o, "role", true, 16, &role, out) < 0)
		goto out;
	if (staff_role_parse(role, &ro) != 0) {
		api_error(out, 400, "role", _("\"role\" must be viewer, clerk, approver or admin"));
		goto out;
	}
	if (made_up(pw, sizeof(pw)) != 0) {
		api_error(out, 500, NULL, _("no randomness for a password"));
		goto out;
	}
	api_ctx(r, &x);
	if ((rc = staff_add(&x, login, name, ro, pw)) != ACTION_OK)
		refused(out, rc, &x);
	else
		api_reply(out, 201, json_pack("{s:s, s:s, s:s, s:s}", "login", login, "name", name,
					      "role", staff_role_name(ro), "password", pw));
	explicit_bzero(pw, sizeof(pw));
out:
	json_decref(o);
}

void
api_route_staff(const struct api_req *r, char **s, int n, struct api_resp *out)
{
	struct duban_ctx x;
	char pw[STAFF_TOKEN_LEN + 1];
	json_t *a;
	int rc;

	if (n == 2) {
		if (strcmp(r->method, "POST") == 0) {
			add(r, out);
			return;
		}
		if (!api_method(r, "GET", out))
			return;
		if ((a = json_array()) == NULL || (rc = store_staff_each(r->st, staff_row, a)) != STORE_OK) {
			json_decref(a);
			api_store_error(out, r, a ? rc : STORE_ERROR);
			return;
		}
		api_reply(out, 200, json_pack("{s:o}", "staff", a));
		return;
	}
	if (n != 4 || (strcmp(s[3], "passwd") != 0 && strcmp(s[3], "disable") != 0)) {
		api_error(out, 404, NULL, _("no such route: %s"), r->path);
		return;
	}
	if (!api_method(r, "POST", out))
		return;
	api_ctx(r, &x);
	if (strcmp(s[3], "disable") == 0) {
		if ((rc = staff_disable(&x, s[2])) != ACTION_OK)
			refused(out, rc, &x);
		else
			api_reply(out, 200, json_pack("{s:s, s:b}", "login", s[2], "disabled", 1));
		return;
	}
	if (made_up(pw, sizeof(pw)) != 0) {
		api_error(out, 500, NULL, _("no randomness for a password"));
		return;
	}
	if ((rc = staff_passwd(&x, s[2], pw)) != ACTION_OK)
		refused(out, rc, &x);
	else
		api_reply(out, 200, json_pack("{s:s, s:s}", "login", s[2], "password", pw));
	explicit_bzero(pw, sizeof(pw));
}
