/*
 * api_tokens.c - API tokens, for an admin in the console: GET /v1/tokens
 * lists the configured ones (source "config", read-only) and the
 * database's (source "database"), never a token or its hash; POST
 * /v1/tokens {"name", "routes"} makes one in the database and answers the
 * token this once; POST /v1/tokens/NAME/revoke refuses it from then on.
 * api.c lets only an admin here.
 */
#include "server/api.h"

#include <string.h>

#include "base/i18n.h"
#include "core/apitoken.h"
#include "core/config_http.h"

/* The names of bits as a list ("messages" for reading and writing both). */
static json_t *
routes_array(unsigned bits)
{
	static const unsigned each[] = { HTTP_ROUTE_MESSAGES, HTTP_ROUTE_MESSAGES_WRITE,
					 HTTP_ROUTE_MESSAGES_READ, HTTP_ROUTE_MESSAGES_NUMBERS,
					 HTTP_ROUTE_NOTICES, HTTP_ROUTE_TASKS };
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < sizeof(each) / sizeof(each[0]); i++)
		if ((bits & each[i]) == each[i]) {
			json_array_append_new(a, json_string(httpd_route_name(each[i])));
			bits &= ~each[i];
		}
	return a;
}

static int
token_row(void *arg, const struct api_token *t)
{
	return json_array_append_new(
		arg, json_pack("{s:s, s:s, s:o, s:s, s:o, s:o}", "name", t->name, "source",
			       "database", "routes", routes_array(apitoken_routes_bits(t->routes)),
			       "created_by", t->created_by, "created_at", api_jtime(t->created_at),
			       "revoked_at", api_jtime(t->revoked_at)));
}

static void
list(const struct api_req *r, struct api_resp *out)
{
	json_t *a = json_array();
	int rc;

	for (size_t i = 0; a != NULL && i < r->cfg->http.ntokens; i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:o}", "name",
						   r->cfg->http.tokens[i].name, "source", "config",
						   "routes",
						   routes_array(r->cfg->http.tokens[i].routes)));
	if (a == NULL || (rc = store_token_each(r->st, token_row, a)) != STORE_OK) {
		json_decref(a);
		api_store_error(out, r, a ? rc : STORE_ERROR);
		return;
	}
	api_reply(out, 200, json_pack("{s:o}", "tokens", a));
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
create(const struct api_req *r, struct api_resp *out)
{
	static const char *const keys[] = { "name", "routes", NULL };
	const char *name, *routes = NULL;
	struct duban_ctx x;
	char tok[64];
	int rc;
	json_t *o = api_body_object(r, keys, out);

	if (o == NULL || api_get_str(o, "name", true, APITOKEN_NAME_MAX, &name, out) < 0 ||
	    api_get_str(o, "routes", false, APITOKEN_ROUTES_MAX, &routes, out) < 0)
		goto out;
	api_ctx(r, &x);
	if ((rc = apitoken_create(&x, name, routes && *routes ? routes : NULL, tok,
				  sizeof(tok))) != ACTION_OK)
		refused(out, rc, &x);
	else
		api_reply(out, 201, json_pack("{s:s, s:s, s:s}", "name", name, "source",
					      "database", "token", tok));
	explicit_bzero(tok, sizeof(tok));
out:
	json_decref(o);
}

void
api_route_tokens(const struct api_req *r, char **s, int n, struct api_resp *out)
{
	struct duban_ctx x;
	int rc;

	if (n == 2) {
		if (strcmp(r->method, "POST") == 0)
			create(r, out);
		else if (api_method(r, "GET", out))
			list(r, out);
		return;
	}
	if (n != 4 || strcmp(s[3], "revoke") != 0) {
		api_error(out, 404, NULL, _("no such route: %s"), r->path);
		return;
	}
	if (!api_method(r, "POST", out))
		return;
	api_ctx(r, &x);
	if ((rc = apitoken_revoke(&x, s[2])) != ACTION_OK)
		refused(out, rc, &x);
	else
		api_reply(out, 200, json_pack("{s:s, s:b}", "name", s[2], "revoked", 1));
}
