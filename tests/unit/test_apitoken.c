/*
 * test_apitoken.c - API tokens kept in the database (core/apitoken.c,
 * store/store_token.c) on a real database: a route list read as the
 * configuration reads it (unknown names and messages:numbers alone
 * refused), a new token stored only as its SHA-256 with its routes and
 * maker, found by that hash, a name taken once (also by a configured
 * token), revoking it marked and audited, and revoking it again refused.
 */
#include "unit.h"

#include <limits.h>
#include <stdio.h>

#include "core/apitoken.h"
#include "core/config.h"
#include "core/config_http.h"
#include "store/store.h"
#include "unit_db.h"

struct fixture {
	char dir[64];
	char path[PATH_MAX];
	struct store *st;
	struct duban_ctx x;
};

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char err[512];

	if (fx == NULL)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "%s", "/tmp/duban-test-apitoken.XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	snprintf(fx->path, sizeof(fx->path), "%s/duban.db", fx->dir);
	if (store_open(fx->path, true, &fx->st, err, sizeof(err)) != STORE_OK)
		return -1;
	fx->x.st = fx->st;
	fx->x.actor = "staff:it";
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[128];

	store_close(fx->st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", fx->dir);
	if (system(cmd) != 0)
		return -1;
	free(fx);
	return 0;
}

static void
test_routes(void **state)
{
	char canon[APITOKEN_ROUTES_MAX + 1], why[256];
	unsigned bits;

	(void)state;
	assert_int_equal(apitoken_routes_parse(" tasks , messages:read", &bits, canon, sizeof(canon),
					       why, sizeof(why)), 0);
	assert_int_equal(bits, HTTP_ROUTE_TASKS | HTTP_ROUTE_MESSAGES_READ);
	assert_string_equal(canon, "tasks,messages:read");
	assert_int_equal(apitoken_routes_bits(canon), bits);
	assert_int_equal(apitoken_routes_parse("tasks,everything", &bits, NULL, 0, why, sizeof(why)),
			 -1);
	assert_non_null(strstr(why, "everything"));
	assert_int_equal(apitoken_routes_parse("messages:numbers", &bits, NULL, 0, why, sizeof(why)),
			 -1);
	assert_int_equal(apitoken_routes_parse("", &bits, NULL, 0, why, sizeof(why)), -1);
	assert_int_equal(apitoken_routes_bits("nothing"), 0);
}

static void
test_create_find_revoke(void **state)
{
	struct fixture *fx = *state;
	struct http_token conf = { .name = "oa" };
	struct duban_config cfg = { 0 };
	struct api_token t;
	unsigned char sum[32];
	char tok[64], hex[65], sql[256];

	cfg.http.tokens = &conf;
	cfg.http.ntokens = 1;
	fx->x.cfg = &cfg;
	assert_int_equal(apitoken_create(&fx->x, "wechat", "tasks", tok, sizeof(tok)), ACTION_OK);
	assert_int_equal(strncmp(tok, "dbn_", 4), 0);
	assert_int_equal(httpd_token_hash(tok, sum), 0);
	for (size_t i = 0; i < sizeof(sum); i++)
		snprintf(hex + i * 2, 3, "%02x", sum[i]);
	assert_int_equal(store_token_by_hash(fx->st, hex, &t), STORE_OK);
	assert_string_equal(t.name, "wechat");
	assert_string_equal(t.routes, "tasks");
	assert_string_equal(t.created_by, "staff:it");
	assert_int_equal(t.revoked_at, 0);
	api_token_clear(&t);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM api_token WHERE instr(sha256, '%s') > 0 "
		 "OR instr(routes, '%s') > 0", tok + 4, tok + 4);
	assert_int_equal(unit_sql_int(fx->path, sql), 0); /* the token itself is nowhere */
	assert_int_equal(apitoken_create(&fx->x, "wechat", NULL, tok, sizeof(tok)), ACTION_EXISTS);
	assert_int_equal(apitoken_create(&fx->x, "oa", NULL, tok, sizeof(tok)), ACTION_EXISTS);
	assert_int_equal(apitoken_create(&fx->x, "Bad Name", NULL, tok, sizeof(tok)), ACTION_INVALID);
	assert_int_equal(apitoken_create(&fx->x, "x", "tasks,nope", tok, sizeof(tok)), ACTION_INVALID);
	assert_int_equal(apitoken_revoke(&fx->x, "wechat"), ACTION_OK);
	assert_int_equal(store_token_by_hash(fx->st, hex, &t), STORE_OK);
	assert_true(t.revoked_at > 0);
	api_token_clear(&t);
	assert_int_equal(apitoken_revoke(&fx->x, "wechat"), ACTION_NOTFOUND);
	assert_int_equal(apitoken_revoke(&fx->x, "oa"), ACTION_NOTFOUND);
	unit_expect_sql(fx->path,
			"SELECT group_concat(action || ' ' || actor, ',') FROM event WHERE object = 'wechat'",
			"token.new staff:it,token.revoke staff:it");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_routes),
		cmocka_unit_test_setup_teardown(test_create_find_revoke, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
