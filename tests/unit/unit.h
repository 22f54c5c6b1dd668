/*
 * unit.h - what every cmocka unit test of duban includes.
 *
 * cmocka wants <stdarg.h>, <stddef.h>, <stdint.h> and <setjmp.h> before its
 * own header; keeping that order in one place saves every test from it.
 */
#ifndef DUBAN_UNIT_H
#define DUBAN_UNIT_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * The path of rel (e.g. "templates") in the source tree the test was built
 * from: the Makefile passes DUBAN_SRCDIR.  A missing path fails the test -
 * the shipped files are what it checks, so it never skips them.
 */
static inline void
unit_src_path(char *out, size_t len, const char *rel)
{
	int n = snprintf(out, len, "%s/%s", DUBAN_SRCDIR, rel);

	if (n < 0 || (size_t)n >= len)
		fail_msg("source path too long: %s/%s", DUBAN_SRCDIR, rel);
	if (access(out, R_OK) != 0)
		fail_msg("%s: not readable (the test checks the shipped files)", out);
}

/* The outbox with each row's text, for SQL: "SELECT x.body " UNIT_MSG "WHERE ...". */
#define UNIT_MSG "FROM message m JOIN message_text x ON x.id = m.text_id "
#endif
