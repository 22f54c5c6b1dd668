/*
 * apitoken.h - API tokens kept in the database, made by an admin in the
 * console or by `duban token new --store`: the same tokens as the
 * configured ones of http.tokens (a name, the SHA-256 of the token, the
 * routes it may use), which the HTTP server accepts alike, and which can
 * be revoked at once without a reload.  Every change is in the audit log.
 */
#ifndef DUBAN_APITOKEN_H
#define DUBAN_APITOKEN_H

#include <stddef.h>

#include "core/ctx.h"
#include "store/store_token.h"

#define APITOKEN_NAME_MAX 31
#define APITOKEN_ROUTES_MAX 160
#define APITOKEN_DEFAULT_ROUTES "messages,notices,tasks"

/*
 * A route list as a person writes it ("messages, tasks") into its bits
 * and its stored form ("messages,tasks") in canon (may be NULL).  0, or
 * -1 with why (a sentence, for people) written into why.
 */
int apitoken_routes_parse(const char *list, unsigned *bits, char *canon, size_t canonlen,
			  char *why, size_t whylen);
/* The bits of a stored route list; 0 when it names none that is known. */
unsigned apitoken_routes_bits(const char *stored);

/*
 * Make a token named name for routes (NULL: the default), by x->actor:
 * the token, shown this once, into tok (>= 48 bytes).  ACTION_OK,
 * ACTION_INVALID (name, routes), ACTION_EXISTS (the name is taken, in the
 * database or the configuration), ACTION_ERROR.
 */
int apitoken_create(struct duban_ctx *x, const char *name, const char *routes, char *tok,
		    size_t toklen);
/* Revoke the database token name: ACTION_OK, ACTION_NOTFOUND. */
int apitoken_revoke(struct duban_ctx *x, const char *name);

#endif
