/*
 * test_i18n.c - which language a person reads: the configuration's
 * language wins; else LC_ALL, LC_MESSAGES, LANG in that order (C and
 * POSIX English, zh... Chinese), LANGUAGE only beside a real locale; no
 * locale at all is Chinese.  And a catalogue's context lookup falls back
 * to the English word when it has none.
 */
#include "unit.h"

#include <stdlib.h>

#include "base/i18n.h"

static void
clear_env(void)
{
	unsetenv("LC_ALL");
	unsetenv("LC_MESSAGES");
	unsetenv("LANG");
	unsetenv("LANGUAGE");
}

static void
test_want_zh(void **state)
{
	(void)state;
	clear_env();
	assert_true(i18n_want_zh(NULL)); /* nothing set: the town's language */
	setenv("LANG", "zh_CN.UTF-8", 1);
	assert_true(i18n_want_zh(NULL));
	assert_false(i18n_want_zh("en")); /* the configuration wins */
	setenv("LANG", "C", 1);
	assert_false(i18n_want_zh(NULL));
	assert_true(i18n_want_zh("zh"));
	setenv("LANG", "C.UTF-8", 1);
	setenv("LANGUAGE", "zh_CN", 1);
	assert_false(i18n_want_zh(NULL)); /* as glibc: LANGUAGE is ignored under C */
	setenv("LANG", "en_US.UTF-8", 1);
	assert_true(i18n_want_zh(NULL)); /* beside a real locale it decides */
	unsetenv("LANGUAGE");
	assert_false(i18n_want_zh(NULL));
	setenv("LC_MESSAGES", "zh_TW.UTF-8", 1);
	assert_true(i18n_want_zh(NULL)); /* LC_MESSAGES before LANG */
	setenv("LC_ALL", "POSIX", 1);
	assert_false(i18n_want_zh(NULL)); /* LC_ALL before both */
	setenv("LC_ALL", "zhx", 1);
	assert_false(i18n_want_zh(NULL)); /* "zhx" is no Chinese */
	clear_env();
}

static void
test_context_fallback(void **state)
{
	(void)state;
	/* no catalogue bound in this binary: the English word itself comes back */
	assert_string_equal(C_("column", "name"), "name");
	assert_string_equal(i18n_pgettext("value", "farmer"), "farmer");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_want_zh),
		cmocka_unit_test(test_context_fallback),
	};
	return cmocka_run_group_tests_name("i18n", tests, NULL, NULL);
}
