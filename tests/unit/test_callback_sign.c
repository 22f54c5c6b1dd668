/*
 * test_callback_sign.c - how a provider's callback is authenticated and
 * where its fields come from, before anything touches the database: the
 * signature covers the timestamp, method, path, query and body exactly
 * (vectors made with the openssl command, as README tells a provider),
 * a timestamp outside http.signature_window is refused, a signature of
 * anything else is refused; a GET's fields come from its query and a
 * POST's from its body, never both; a NUL byte (%00 or raw) in a field
 * is a 400 that names it.
 */
#include "unit.h"

#include "server/api.h"
#include "server/callback.h"
#include "core/config.h"
#include "base/log.h"

#define SECRET "sim-callback-secret-0123456789"
#define MO_QUERY "from=%2B8613800138000&text=TD"
#define MO_SIG "93b7ae628309ebcbf064769cbc2080cebc863750b78a1e9a127e3b6ff4d6a3ce"
#define DLR_BODY "{\"msgid\":\"sim-1\",\"status\":\"DELIVRD\"}"
#define DLR_SIG "3f16aac87c5a7c6476bc168143a05abce83ddafd95d421c6c1737eeae5f07240"

static struct callback_req
mo_get(void)
{
	return (struct callback_req){ .method = "GET",
				      .path = "/callbacks/mo/sim",
				      .query = MO_QUERY,
				      .body = "",
				      .len = 0,
				      .timestamp = "1700000000",
				      .signature = "sha256=" MO_SIG,
				      .now = 1700000000 };
}

static void
test_sign_vectors(void **state)
{
	char hex[CALLBACK_SIG_HEX + 1];

	(void)state;
	assert_int_equal(callback_sign(SECRET, "1700000000", "GET", "/callbacks/mo/sim", MO_QUERY,
				       "", 0, hex),
			 0);
	assert_string_equal(hex, MO_SIG);
	assert_int_equal(callback_sign(SECRET, "1700000000", "POST", "/callbacks/dlr/sim", "",
				       DLR_BODY, strlen(DLR_BODY), hex),
			 0);
	assert_string_equal(hex, DLR_SIG);
}

static void
test_verify(void **state)
{
	struct callback_req r = mo_get();
	const char *why = NULL;

	(void)state;
	assert_int_equal(callback_verify(&r, SECRET, 300, &why), 0);
	r.signature = "sha256=93B7AE628309EBCBF064769CBC2080CEBC863750B78A1E9A127E3B6FF4D6A3CE";
	assert_int_equal(callback_verify(&r, SECRET, 300, &why), 0); /* hex in either case */
	r = mo_get();
	r.now += 300;
	assert_int_equal(callback_verify(&r, SECRET, 300, &why), 0); /* the edge of the window */
	r.now += 1;
	assert_int_equal(callback_verify(&r, SECRET, 300, &why), -1);
	assert_non_null(strstr(why, "signature_window"));
	r.now = 1700000000 - 301;
	assert_int_equal(callback_verify(&r, SECRET, 300, &why), -1);
	r.now = 1700000000 + 30;
	assert_int_equal(callback_verify(&r, SECRET, 10, &why), -1); /* the window is the key's */
}

static void
test_verify_covers_everything(void **state)
{
	struct callback_req r;
	const char *why = NULL;

	(void)state;
	r = mo_get();
	r.query = "from=%2B8613800138000&text=T"; /* the query is what duban acts on */
	assert_int_equal(callback_verify(&r, SECRET, 300, &why), -1);
	assert_non_null(strstr(why, "does not match"));
	r = mo_get();
	r.method = "POST";
	assert_int_equal(callback_verify(&r, SECRET, 300, &why), -1);
	r = mo_get();
	r.path = "/callbacks/dlr/sim";
	assert_int_equal(callback_verify(&r, SECRET, 300, &why), -1);
	r = mo_get();
	r.body = "x";
	r.len = 1;
	assert_int_equal(callback_verify(&r, SECRET, 300, &why), -1);
	r = mo_get();
	r.timestamp = "1700000001"; /* a timestamp moved forward to outlive the window */
	assert_int_equal(callback_verify(&r, SECRET, 300, &why), -1);
	r = mo_get();
	r.timestamp = "+1700000000";
	assert_int_equal(callback_verify(&r, SECRET, 300, &why), -1);
	r = mo_get();
	r.timestamp = NULL;
	assert_int_equal(callback_verify(&r, SECRET, 300, &why), -1);
	r = mo_get();
	r.signature = NULL;
	assert_int_equal(callback_verify(&r, SECRET, 300, &why), -1);
	r = mo_get();
	r.signature = "sha256=" MO_SIG "00";
	assert_int_equal(callback_verify(&r, SECRET, 300, &why), -1);
	r = mo_get();
	assert_int_equal(callback_verify(&r, SECRET "x", 300, &why), -1);
}

/* callback_handle's answers that come before any database work. */
static void
handle(struct callback_req *r, unsigned status, const char *field)
{
	static struct provider_conf pc = { .name = "sim", .callback_secret = SECRET };
	struct duban_config cfg = { .providers = &pc, .nproviders = 1 };
	struct api_resp out = { 0, NULL };
	bool queued = true;
	const json_t *f;

	cfg.http.signature_window = 300;
	r->cfg = &cfg;
	callback_handle(r, &out, &queued);
	assert_int_equal(out.status, status);
	assert_false(queued);
	f = json_object_get(out.json, "field");
	if (field == NULL)
		assert_true(f == NULL || json_is_null(f));
	else
		assert_string_equal(json_string_value(f), field);
	json_decref(out.json);
}

static void
test_one_place(void **state)
{
	struct callback_req r;

	(void)state;
	r = mo_get();
	r.path = "/callbacks/mo/sim/" SECRET;
	r.query = "from=%2B8613800138000&text=TD%00junk";
	handle(&r, 400, "text");
	r.query = "from=%2B86138%0000138000&text=TD";
	handle(&r, 400, "from");
	r.query = "from=1&text=TD";
	r.method = "POST";
	r.body = "{\"from\":\"1\"}";
	r.len = strlen(r.body);
	handle(&r, 400, NULL); /* a POST with a query */
	r.method = "GET";
	handle(&r, 400, NULL); /* a GET with a body */
	r.method = "PUT";
	handle(&r, 405, NULL);
	r.method = "POST";
	r.query = "";
	r.body = "{\"from\":\"1\",\"text\":\"TD\\u0000junk\"}";
	r.len = strlen(r.body);
	handle(&r, 400, NULL); /* JSON holding \u0000 is malformed */
	r.body = "from=1&text=TD\0junk";
	r.len = 19;
	handle(&r, 400, "text"); /* a raw NUL in a form */
	r = mo_get();
	r.query = "from=%2B8613800138000&text=TDjunk"; /* an observed signature reused */
	handle(&r, 401, NULL);
	r = mo_get();
	r.path = "/callbacks/mo/sim/wrong-secret-wrong-secret";
	handle(&r, 401, NULL);
	r.path = "/callbacks/mo/nobody";
	handle(&r, 404, NULL);
}

static void
test_form_check(void **state)
{
	char field[8], out[32];

	(void)state;
	assert_int_equal(api_form_check("a=1&b=%41", 9, field, sizeof(field)), 0);
	assert_int_equal(api_form_check("a=1&status=open%00x", 19, field, sizeof(field)), -1);
	assert_string_equal(field, "status");
	assert_int_equal(api_form_check("a%00b=1", 7, field, sizeof(field)), -1);
	assert_string_equal(field, "a");
	assert_int_equal(api_url_decode("TD%00junk", 9, out, sizeof(out)), -1);
	assert_int_equal(api_url_decode("TD%20junk", 9, out, sizeof(out)), 0);
	assert_string_equal(out, "TD junk");
	assert_int_equal(api_query_arg("text=TD%00junk", "text", out, sizeof(out)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_vectors),
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_verify_covers_everything),
		cmocka_unit_test(test_one_place),
		cmocka_unit_test(test_form_check),
	};
	log_open("test", NULL, LOG_ERROR); /* the refusals are logged as warnings */
	return cmocka_run_group_tests_name("callback_sign", tests, NULL, NULL);
}
