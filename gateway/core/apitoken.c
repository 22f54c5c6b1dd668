/*
 * apitoken.c - API tokens kept in the database (apitoken.h).
 */
#include "core/apitoken.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/i18n.h"
#include "base/str.h"
#include "core/config.h"
#include "core/config_http.h"

int
apitoken_routes_parse(const char *list, unsigned *bits, char *canon, size_t canonlen,
		      char *why, size_t whylen)
{
	char copy[APITOKEN_ROUTES_MAX + 1], out[APITOKEN_ROUTES_MAX + 1] = "";
	char *cur, *item, *save = NULL;
	const char *w;
	size_t used = 0;

	*bits = 0;
	if (strlen(list) > APITOKEN_ROUTES_MAX) {
		snprintf(why, whylen, _("the route list is longer than %d bytes"),
			 APITOKEN_ROUTES_MAX);
		return -1;
	}
	snprintf(copy, sizeof(copy), "%s", list);
	for (cur = copy; (item = strtok_r(cur, ",", &save)) != NULL; cur = NULL) {
		unsigned bit;
		item = str_trim(item);
		if (httpd_route_bit(item, &bit) != 0) {
			snprintf(why, whylen, _("\"%s\" is not %s"), item, HTTPD_ROUTES_TEXT);
			return -1;
		}
		*bits |= bit;
		used += (size_t)snprintf(out + used, sizeof(out) - used, "%s%s", used ? "," : "",
					 item);
	}
	if (httpd_routes_check(*bits, &w) != 0) {
		snprintf(why, whylen, "%s", w);
		return -1;
	}
	if (canon != NULL)
		snprintf(canon, canonlen, "%s", out);
	return 0;
}

unsigned
apitoken_routes_bits(const char *stored)
{
	unsigned bits;
	char why[8];

	return apitoken_routes_parse(stored, &bits, NULL, 0, why, sizeof(why)) == 0 ? bits : 0;
}

static bool
name_valid(const char *name)
{
	return *name != '\0' && strlen(name) <= APITOKEN_NAME_MAX &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-_") == strlen(name);
}

int
apitoken_create(struct duban_ctx *x, const char *name, const char *routes, char *tok,
		size_t toklen)
{
	char canon[APITOKEN_ROUTES_MAX + 1], why[256], hex[65];
	unsigned char sum[32];
	struct api_token t = { 0 };
	unsigned bits;
	int64_t id;
	int rc;

	if (!name_valid(name))
		return action_refuse(x, ACTION_INVALID,
				     _("token name \"%s\" must be 1-31 of a-z 0-9 - _"), name);
	if (apitoken_routes_parse(routes ? routes : APITOKEN_DEFAULT_ROUTES, &bits, canon,
				  sizeof(canon), why, sizeof(why)) != 0)
		return action_refuse(x, ACTION_INVALID, _("routes: %s"), why);
	for (size_t i = 0; x->cfg != NULL && i < x->cfg->http.ntokens; i++)
		if (strcmp(x->cfg->http.tokens[i].name, name) == 0)
			return action_refuse(x, ACTION_EXISTS,
					     _("token \"%s\" is in the configuration"), name);
	if (httpd_token_new(tok, toklen) != 0 || httpd_token_hash(tok, sum) != 0)
		return action_refuse(x, ACTION_ERROR,
				     _("cannot make a token: no randomness or hashing available"));
	for (size_t i = 0; i < sizeof(sum); i++)
		snprintf(hex + i * 2, 3, "%02x", sum[i]);
	t.name = (char *)name;
	t.sha256 = hex;
	t.routes = canon;
	t.created_by = (char *)(x->actor ? x->actor : "cli");
	if ((rc = store_begin(x->st)) != STORE_OK)
		return action_fail(x, rc);
	if ((rc = store_token_add(x->st, &t, &id)) != STORE_OK)
		return action_abort(x, rc);
	return action_commit(x, "token.new", name, canon);
}

int
apitoken_revoke(struct duban_ctx *x, const char *name)
{
	int rc;

	if ((rc = store_begin(x->st)) != STORE_OK)
		return action_fail(x, rc);
	if ((rc = store_token_revoke(x->st, name, 0)) != STORE_OK)
		return action_abort(x, rc);
	return action_commit(x, "token.revoke", name, NULL);
}
