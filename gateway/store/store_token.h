/*
 * store_token.h - API tokens kept in the database (table api_token): a
 * name, the hex SHA-256 of the token (never the token), the routes it may
 * use as their comma separated names, who made it and when, and when it
 * was revoked.  The rules - names, routes, hashing - are core/'s and the
 * server's; this is only their SQL.
 */
#ifndef DUBAN_STORE_TOKEN_H
#define DUBAN_STORE_TOKEN_H

#include <stdint.h>

#include "store/store.h"

/* An API token of the database.  Strings owned; free with api_token_clear. */
struct api_token {
	int64_t id;
	char *name, *sha256, *routes, *created_by;
	int64_t created_at, revoked_at; /* revoked_at 0: in use */
};
/* Free the strings, not the struct.  NULL is fine. */
void api_token_clear(struct api_token *t);

/* Add a token (created_at 0: now): STORE_OK with *id, STORE_EXISTS for a name taken. */
int store_token_add(struct store *st, const struct api_token *t, int64_t *id);
/* The token whose hex SHA-256 is sha256 (one indexed lookup): STORE_OK, STORE_NOTFOUND. */
int store_token_by_hash(struct store *st, const char *sha256, struct api_token *out);
/* Call fn for each token in name order; fn returns non-zero to stop. */
int store_token_each(struct store *st, int (*fn)(void *arg, const struct api_token *t),
		     void *arg);
/* Revoke the token name at at: STORE_NOTFOUND when there is none in use by that name. */
int store_token_revoke(struct store *st, const char *name, int64_t at);

#endif
