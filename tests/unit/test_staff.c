/*
 * test_staff.c - the staff console's accounts (core/staff.c) on a real
 * database: passwords hashed with PBKDF2 at OWASP's cost and checked in
 * constant time, a wrong password or unknown login refused in the same
 * words, the lockout per account after five failures (and its length),
 * sessions kept only by their hash and ended by idle and absolute expiry,
 * by logout, by a new password and by disabling the account, and the CSRF
 * comparison.
 */
#include "unit.h"

#include <limits.h>
#include <sqlite3.h>
#include <time.h>

#include "core/config_console.h"
#include "core/staff.h"
#include "store/store.h"
#include "unit_db.h"

struct fixture {
	char dir[64];
	char path[PATH_MAX];
	struct store *st;
	struct duban_ctx x;
	struct console_conf cc;
};

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char err[512];

	if (fx == NULL)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "%s", "/tmp/duban-test-staff.XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	snprintf(fx->path, sizeof(fx->path), "%s/duban.db", fx->dir);
	if (store_open(fx->path, true, &fx->st, err, sizeof(err)) != STORE_OK)
		return -1;
	fx->x.st = fx->st;
	fx->x.actor = "cli";
	console_conf_defaults(&fx->cc);
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
test_hash(void **state)
{
	char a[STAFF_HASH_MAX], b[STAFF_HASH_MAX];

	(void)state;
	assert_int_equal(staff_password_hash("春耕补贴2008", STAFF_PBKDF2_ITER, a, sizeof(a)), 0);
	assert_int_equal(staff_password_hash("春耕补贴2008", STAFF_PBKDF2_ITER, b, sizeof(b)), 0);
	assert_true(strncmp(a, "pbkdf2-sha256$600000$", 21) == 0);
	assert_int_equal(strlen(a), 21 + 32 + 1 + 64);
	assert_string_not_equal(a, b); /* a salt of its own */
	assert_true(staff_password_ok("春耕补贴2008", a));
	assert_true(staff_password_ok("春耕补贴2008", b));
	assert_false(staff_password_ok("春耕补贴2009", a));
	assert_false(staff_password_ok("", a));
	a[strlen(a) - 1] ^= 1;
	assert_false(staff_password_ok("春耕补贴2008", a));
	assert_false(staff_password_ok("x", "plain"));
	assert_false(staff_password_ok("x", "pbkdf2-sha256$0$00$00"));
}

static void
test_password_rules(void **state)
{
	struct fixture *fx = *state;
	const char *why;

	assert_int_equal(staff_password_check("short", &why), -1);
	assert_int_equal(staff_password_check("long enough", &why), 0);
	assert_int_equal(staff_add(&fx->x, "wangfang", "王芳", STAFF_CLERK, "short"),
			 ACTION_INVALID);
	assert_int_equal(staff_add(&fx->x, "Wang Fang", "王芳", STAFF_CLERK, "long enough"),
			 ACTION_INVALID);
	assert_int_equal(staff_add(&fx->x, "wangfang", "王芳", STAFF_CLERK, "long enough"),
			 ACTION_OK);
	assert_int_equal(staff_add(&fx->x, "wangfang", "王芳", STAFF_VIEWER, "long enough"),
			 ACTION_EXISTS);
	/* never the password in clear, in the account or the audit log */
	assert_int_equal(unit_sql_int(fx->path, "SELECT count(*) FROM staff WHERE pw_hash "
						"LIKE '%long enough%'"),
			 0);
	unit_expect_sql(fx->path, "SELECT detail FROM event WHERE action = 'staff.add'",
			"王芳, clerk");
}

static void
test_login_and_lockout(void **state)
{
	struct fixture *fx = *state;
	struct staff_login l;
	char wrong_user[ACTION_ERR_MAX];
	int64_t now = 1230000000;

	assert_int_equal(staff_add(&fx->x, "wangfang", "王芳", STAFF_CLERK, "long enough"),
			 ACTION_OK);
	assert_int_equal(staff_login(&fx->x, "nobody", "long enough", "10.0.0.1", now, &l),
			 ACTION_INVALID);
	snprintf(wrong_user, sizeof(wrong_user), "%s", fx->x.err);
	for (int i = 0; i < STAFF_LOCK_FAILS; i++) {
		assert_int_equal(staff_login(&fx->x, "wangfang", "wrong pass", "10.0.0.2", now + i,
					     &l),
				 ACTION_INVALID);
		assert_int_equal(l.locked_for, 0);
		/* unknown login and wrong password read the same */
		assert_string_equal(fx->x.err, wrong_user);
	}
	/* locked now: even the right password is refused, and it says for how long */
	assert_int_equal(staff_login(&fx->x, "wangfang", "long enough", "10.0.0.3", now + 10, &l),
			 ACTION_INVALID);
	assert_int_equal(l.locked_for, STAFF_LOCK_WINDOW - 6);
	assert_non_null(strstr(fx->x.err, "locked"));
	assert_non_null(strstr(fx->x.err, "15 minutes"));
	/* a new password unlocks it at once; then lock it again */
	assert_int_equal(staff_passwd(&fx->x, "wangfang", "long enough"), ACTION_OK);
	assert_int_equal(unit_sql_int(fx->path, "SELECT count(*) FROM login_attempt WHERE key = "
						"'login:wangfang'"),
			 0);
	for (int i = 0; i < STAFF_LOCK_FAILS; i++)
		assert_int_equal(staff_login(&fx->x, "wangfang", "wrong pass", "10.0.0.2", now + i,
					     &l),
				 ACTION_INVALID);
	/* after the window it opens */
	assert_int_equal(staff_login(&fx->x, "wangfang", "long enough", "10.0.0.3",
				     now + 4 + STAFF_LOCK_WINDOW + 1, &l),
			 ACTION_OK);
	assert_string_equal(l.who.role, "clerk");
	assert_int_equal(strlen(l.token), STAFF_TOKEN_LEN);
	assert_string_not_equal(l.token, l.csrf);
	/* the token is stored only as its hash */
	assert_int_equal(unit_sql_int(fx->path, "SELECT count(*) FROM staff_session"), 1);
	assert_int_equal(unit_sql_int(fx->path, "SELECT length(hash) FROM staff_session"), 32);
	staff_clear(&l.who);
}

static void
test_session_expiry(void **state)
{
	struct fixture *fx = *state;
	struct staff_login l;
	struct staff_session s;
	int64_t now = 1230000000;

	fx->cc.idle_s = 1800;
	fx->cc.max_s = 3600;
	assert_int_equal(staff_add(&fx->x, "li", "李明", STAFF_VIEWER, "long enough"), ACTION_OK);
	assert_int_equal(staff_login(&fx->x, "li", "long enough", "::1", now, &l), ACTION_OK);
	staff_clear(&l.who);
	assert_int_equal(staff_session(fx->st, &fx->cc, l.token, now + 1700, &s), STORE_OK);
	assert_string_equal(s.who.login, "li");
	assert_string_equal(s.csrf, l.csrf);
	staff_clear(&s.who);
	/* used at +1700, so still open at +3400 (idle 1700 s) */
	assert_int_equal(staff_session(fx->st, &fx->cc, l.token, now + 3400, &s), STORE_OK);
	staff_clear(&s.who);
	/* but never past the absolute expiry, however busy */
	assert_int_equal(staff_session(fx->st, &fx->cc, l.token, now + 3601, &s), STORE_NOTFOUND);
	assert_int_equal(unit_sql_int(fx->path, "SELECT count(*) FROM staff_session"), 0);

	/* idle expiry */
	assert_int_equal(staff_login(&fx->x, "li", "long enough", "::1", now, &l), ACTION_OK);
	staff_clear(&l.who);
	assert_int_equal(staff_session(fx->st, &fx->cc, l.token, now + 1801, &s), STORE_NOTFOUND);
	/* a wrong token, or a token's hash passed as the token */
	assert_int_equal(staff_session(fx->st, &fx->cc, "x", now, &s), STORE_NOTFOUND);
}

static void
test_session_ends(void **state)
{
	struct fixture *fx = *state;
	struct staff_login l;
	struct staff_session s;
	int64_t now = time(NULL);

	assert_int_equal(staff_add(&fx->x, "li", "李明", STAFF_APPROVER, "long enough"), ACTION_OK);
	assert_int_equal(staff_login(&fx->x, "li", "long enough", "::1", now, &l), ACTION_OK);
	staff_clear(&l.who);
	fx->x.actor = "staff:li";
	assert_int_equal(staff_logout(&fx->x, l.token), ACTION_OK);
	assert_int_equal(staff_session(fx->st, &fx->cc, l.token, now, &s), STORE_NOTFOUND);
	unit_expect_sql(fx->path, "SELECT actor FROM event WHERE action = 'staff.logout'",
			"staff:li");

	fx->x.actor = "cli";
	assert_int_equal(staff_login(&fx->x, "li", "long enough", "::1", now, &l), ACTION_OK);
	staff_clear(&l.who);
	assert_int_equal(staff_passwd(&fx->x, "li", "another one"), ACTION_OK);
	assert_int_equal(staff_session(fx->st, &fx->cc, l.token, now, &s), STORE_NOTFOUND);
	assert_int_equal(staff_login(&fx->x, "li", "long enough", "::1", now, &l), ACTION_INVALID);
	assert_int_equal(staff_login(&fx->x, "li", "another one", "::1", now, &l), ACTION_OK);
	staff_clear(&l.who);
	assert_int_equal(staff_disable(&fx->x, "li"), ACTION_OK);
	assert_int_equal(staff_session(fx->st, &fx->cc, l.token, now, &s), STORE_NOTFOUND);
	assert_int_equal(staff_login(&fx->x, "li", "another one", "::1", now, &l), ACTION_INVALID);
}

static void
test_csrf(void **state)
{
	(void)state;
	assert_true(staff_csrf_ok("abcdef", "abcdef"));
	assert_false(staff_csrf_ok("abcdef", "abcdeg"));
	assert_false(staff_csrf_ok("abcdef", "abcde"));
	assert_false(staff_csrf_ok("abcdef", ""));
	assert_false(staff_csrf_ok("abcdef", NULL));
	assert_false(staff_csrf_ok("", ""));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash),
		cmocka_unit_test(test_csrf),
		cmocka_unit_test_setup_teardown(test_password_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_login_and_lockout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_ends, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
