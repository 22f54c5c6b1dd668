/*
 * test_jsonpath.c - the dotted-path lookup that providers' replies and
 * callbacks share: members, array indexes, null found as null, and
 * everything that is not there (a member, an index past the end, a
 * segment into a scalar, an index that is no number, an overlong
 * segment) refused; and provider_json_get over it, as before.
 */
#include "unit.h"

#include "base/jsonpath.h"
#include "provider/provider.h"

static json_t *
doc(void)
{
	json_t *j = json_loads("{\"code\":0,\"data\":[{\"msgid\":\"m-1\",\"n\":7},{\"x\":null}],"
			       "\"a.b\":1,\"s\":\"text\"}",
			       0, NULL);

	assert_non_null(j);
	return j;
}

static void
test_found(void **state)
{
	json_t *j = doc();
	const json_t *v;

	(void)state;
	assert_int_equal(jsonpath_get(j, "", &v), 0);
	assert_ptr_equal(v, j);
	assert_int_equal(jsonpath_get(j, "data.0.msgid", &v), 0);
	assert_string_equal(json_string_value(v), "m-1");
	assert_int_equal(jsonpath_get(j, "data.0.n", &v), 0);
	assert_int_equal(json_integer_value(v), 7);
	assert_int_equal(jsonpath_get(j, "data.1.x", &v), 0); /* there, and null */
	assert_true(json_is_null(v));
	assert_int_equal(jsonpath_get(j, "data.1", &v), 0);
	assert_true(json_is_object(v));
	json_decref(j);
}

static void
test_not_there(void **state)
{
	json_t *j = doc();
	const json_t *v = j;
	char seg[JSONPATH_SEG_MAX + 2];

	(void)state;
	assert_int_equal(jsonpath_get(j, "nope", &v), -1);
	assert_null(v);
	assert_int_equal(jsonpath_get(j, "data.2", &v), -1);
	assert_int_equal(jsonpath_get(j, "data.first", &v), -1);
	assert_int_equal(jsonpath_get(j, "data.-1", &v), -1);
	assert_int_equal(jsonpath_get(j, "s.0", &v), -1);
	assert_int_equal(jsonpath_get(j, "code.x", &v), -1);
	assert_int_equal(jsonpath_get(j, "a.b", &v), -1); /* a dot always splits */
	memset(seg, 'a', sizeof(seg) - 1);
	seg[sizeof(seg) - 1] = '\0';
	assert_int_equal(jsonpath_get(j, seg, &v), -1);
	json_decref(j);
}

static void
test_provider_json_get(void **state)
{
	json_t *j = doc();
	char out[16];

	(void)state;
	assert_int_equal(provider_json_get(j, "data.0.msgid", out, sizeof(out)), 0);
	assert_string_equal(out, "m-1");
	assert_int_equal(provider_json_get(j, "code", out, sizeof(out)), 0);
	assert_string_equal(out, "0");
	assert_int_equal(provider_json_get(j, "data.1.x", out, sizeof(out)), 0);
	assert_string_equal(out, "null");
	assert_int_equal(provider_json_get(j, "data", out, sizeof(out)), -1); /* not a scalar */
	assert_int_equal(provider_json_get(j, "s", out, 4), -1);              /* too long */
	assert_int_equal(provider_json_get(j, "data.9", out, sizeof(out)), -1);
	json_decref(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_found),
		cmocka_unit_test(test_not_there),
		cmocka_unit_test(test_provider_json_get),
	};
	return cmocka_run_group_tests_name("jsonpath", tests, NULL, NULL);
}
