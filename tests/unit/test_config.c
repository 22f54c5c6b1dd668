/*
 * test_config.c - loading and validating duban.cfg: every kind of error is
 * reported as "FILE:LINE: message" with the line of the setting at fault,
 * all the errors of a file come out together, a valid file loads with its
 * relative paths taken from the file's folder, the file is found by -c,
 * $DUBAN_CONFIG, ./duban.cfg or not at all (built-in defaults), quiet
 * hours that wrap midnight are inside/outside where they should be, the
 * bounds of early delivery reports and of the database's disk (sizes as
 * bytes or "64M"), and the routes and scopes of API tokens.
 *
 * Each test works in its own mkdtemp folder, removed by the teardown.
 */
#include "unit.h"

#include <limits.h>
#include <unistd.h>

#include "core/config.h"
#include "core/config_http.h"
#include "base/diag.h"
#include "provider/provider.h"

struct fixture {
	char dir[64];
	char path[PATH_MAX]; /* dir/duban.cfg */
	char cwd[PATH_MAX];  /* to come back to after a chdir */
	struct diag diag;
	struct duban_config *cfg;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "%s", "/tmp/duban-test-config.XXXXXX");
	if (mkdtemp(fx->dir) == NULL || getcwd(fx->cwd, sizeof(fx->cwd)) == NULL) {
		free(fx);
		return -1;
	}
	snprintf(fx->path, sizeof(fx->path), "%s/duban.cfg", fx->dir);
	unsetenv("DUBAN_CONFIG");
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[PATH_MAX + 16];

	if (chdir(fx->cwd) != 0)
		return -1;
	unsetenv("DUBAN_CONFIG");
	config_free(fx->cfg);
	diag_clear(&fx->diag);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	if (system(cmd) != 0)
		return -1;
	free(fx);
	return 0;
}

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

static void dump(const struct diag *d)
{
	for (size_t i = 0; i < d->n; i++)
		print_message("#   diag: %s\n", d->line[i]);
}

/* Load text as fx->path; returns config_load_file's result. */
static int load(struct fixture *fx, const char *text)
{
	write_file(fx->path, text);
	return config_load_file(fx->path, &fx->cfg, &fx->diag);
}

/* The diag list holds exactly "PATH:LINE: msg". */
static void expect_diag(struct fixture *fx, long line, const char *msg)
{
	char want[PATH_MAX + 1100];

	snprintf(want, sizeof(want), "%s:%ld: %s", fx->path, line, msg);
	for (size_t i = 0; i < fx->diag.n; i++)
		if (strcmp(fx->diag.line[i], want) == 0)
			return;
	dump(&fx->diag);
	fail_msg("no diagnostic \"%s\"", want);
}

/* A file with exactly one error: it is refused with that one message. */
static void expect_only(struct fixture *fx, const char *text, long line, const char *msg)
{
	int rc = load(fx, text);

	if (rc == 0 || fx->diag.n != 1)
		dump(&fx->diag);
	assert_int_equal(rc, -1);
	assert_null(fx->cfg);
	assert_int_equal(fx->diag.n, 1);
	expect_diag(fx, line, msg);
}

static void test_unknown_key_top(void **state)
{
	expect_only(*state,
		    "timezone = \"Asia/Shanghai\";\n"
		    "\n"
		    "databse = \"duban.db\";\n",
		    3, "unknown key 'databse'");
}

static void test_unknown_key_in_group(void **state)
{
	expect_only(*state,
		    "log = {\n"
		    "  level = \"info\";\n"
		    "  fiel = \"duban.log\";\n"
		    "};\n",
		    3, "unknown key 'fiel' in 'log'");
}

static void test_string_where_int(void **state)
{
	expect_only(*state,
		    "sms = {\n"
		    "  max_parts = \"3\";\n"
		    "};\n",
		    2, "'max_parts' must be an integer, not a string");
}

static void test_int_where_string(void **state)
{
	expect_only(*state,
		    "signature = \"小雄镇人民政府\";\n"
		    "timezone = 8;\n",
		    2, "'timezone' must be a string, not an integer");
}

static void test_group_where_string(void **state)
{
	expect_only(*state,
		    "# a comment first\n"
		    "database = { path = \"duban.db\"; };\n",
		    2, "'database' must be a string, not a group { ... }");
}

static void test_string_where_group(void **state)
{
	expect_only(*state, "quiet_hours = \"21:00-08:00\";\n", 1,
		    "'quiet_hours' must be a group { ... }, not a string");
}

static void test_unknown_timezone(void **state)
{
	expect_only(*state,
		    "database = \"duban.db\";\n"
		    "timezone = \"Asia/Xiaoxiong\";\n",
		    2,
		    "unknown time zone \"Asia/Xiaoxiong\" (expected an IANA name such as "
		    "\"Asia/Shanghai\")");
}

static void test_quiet_25_00(void **state)
{
	expect_only(*state,
		    "quiet_hours = {\n"
		    "  from = \"25:00\";\n"
		    "  to = \"08:00\";\n"
		    "};\n",
		    2, "'from' must be a time of day \"HH:MM\" (00:00-23:59), not \"25:00\"");
}

static void test_quiet_9_60(void **state)
{
	expect_only(*state,
		    "quiet_hours = {\n"
		    "  from = \"21:00\";\n"
		    "  to = \"9:60\";\n"
		    "};\n",
		    3, "'to' must be a time of day \"HH:MM\" (00:00-23:59), not \"9:60\"");
}

static void test_quiet_only_from(void **state)
{
	expect_only(*state,
		    "timezone = \"Asia/Shanghai\";\n"
		    "quiet_hours = {\n"
		    "  from = \"21:00\";\n"
		    "};\n",
		    2, "quiet_hours needs both 'from' and 'to'");
}

static void test_bad_log_level(void **state)
{
	expect_only(*state,
		    "log = {\n"
		    "  level = \"verbose\";\n"
		    "};\n",
		    2,
		    "log level must be \"error\", \"warn\", \"info\" or \"debug\", not \"verbose\"");
}

static void test_max_parts_range(void **state)
{
	struct fixture *fx = *state;

	expect_only(fx, "sms = { max_parts = 0; };\n", 1,
		    "'max_parts' must be between 1 and 20, not 0");
	diag_clear(&fx->diag);
	expect_only(fx, "\nsms = { max_parts = 21; };\n", 2,
		    "'max_parts' must be between 1 and 20, not 21");
	diag_clear(&fx->diag);
	assert_int_equal(load(fx, "sms = { max_parts = 20; };\n"), 0);
	assert_int_equal(fx->cfg->max_parts, 20);
}

static void test_syntax_error(void **state)
{
	struct fixture *fx = *state;
	int rc = load(fx,
		      "database = \"duban.db\";\n"
		      "timezone = \"Asia/Shanghai\";\n"
		      "signature = = \"小雄镇人民政府\";\n"
		      "log = { level = \"info\"; };\n");
	char prefix[PATH_MAX + 8];

	assert_int_equal(rc, -1);
	assert_null(fx->cfg);
	assert_int_equal(fx->diag.n, 1);
	/* libconfig's own wording after FILE:LINE: is not ours to pin down. */
	snprintf(prefix, sizeof(prefix), "%s:3: ", fx->path);
	if (strncmp(fx->diag.line[0], prefix, strlen(prefix)) != 0) {
		dump(&fx->diag);
		fail_msg("syntax error not reported as %s...", prefix);
	}
	assert_true(strlen(fx->diag.line[0]) > strlen(prefix));
}

static void test_missing_file(void **state)
{
	struct fixture *fx = *state;
	char want[PATH_MAX + 64];

	assert_int_equal(config_load_file(fx->path, &fx->cfg, &fx->diag), -1);
	assert_null(fx->cfg);
	assert_int_equal(fx->diag.n, 1);
	snprintf(want, sizeof(want), "%s: cannot open: No such file or directory", fx->path);
	assert_string_equal(fx->diag.line[0], want);
}

static void test_all_errors_reported(void **state)
{
	struct fixture *fx = *state;
	int rc = load(fx,
		      "database = \"duban.db\";\n"                 /* 1 */
		      "timezone = \"Mars/Olympus\";\n"             /* 2 */
		      "colour = \"red\";\n"                        /* 3 */
		      "signature = 42;\n"                          /* 4 */
		      "quiet_hours = {\n"                          /* 5 */
		      "  from = \"25:00\";\n"                      /* 6 */
		      "  to = \"9:60\";\n"                         /* 7 */
		      "};\n"                                       /* 8 */
		      "log = {\n"                                  /* 9 */
		      "  level = \"loud\";\n"                      /* 10 */
		      "  rotate = true;\n"                         /* 11 */
		      "};\n"                                       /* 12 */
		      "sms = { max_parts = 99; };\n"               /* 13 */
		      "rules_dir = [ \"rules\" ];\n");             /* 14 */

	assert_int_equal(rc, -1);
	assert_null(fx->cfg);
	expect_diag(fx, 2, "unknown time zone \"Mars/Olympus\" (expected an IANA name such as "
			   "\"Asia/Shanghai\")");
	expect_diag(fx, 3, "unknown key 'colour'");
	expect_diag(fx, 4, "'signature' must be a string, not an integer");
	expect_diag(fx, 6, "'from' must be a time of day \"HH:MM\" (00:00-23:59), not \"25:00\"");
	expect_diag(fx, 7, "'to' must be a time of day \"HH:MM\" (00:00-23:59), not \"9:60\"");
	expect_diag(fx, 10, "log level must be \"error\", \"warn\", \"info\" or \"debug\", not \"loud\"");
	expect_diag(fx, 11, "unknown key 'rotate' in 'log'");
	expect_diag(fx, 13, "'max_parts' must be between 1 and 20, not 99");
	expect_diag(fx, 14, "'rules_dir' must be a string, not an array [ ... ]");
	if (fx->diag.n != 9)
		dump(&fx->diag);
	assert_int_equal(fx->diag.n, 9);
}

static void test_valid_file(void **state)
{
	struct fixture *fx = *state;
	char want[PATH_MAX + 64];
	int rc = load(fx,
		      "# duban test configuration\n"
		      "database = \"data/duban.db\";\n"
		      "timezone = \"Asia/Urumqi\";\n"
		      "signature = \"小雄镇人民政府\";\n"
		      "rules_dir = \"../shared/rules\";\n"
		      "templates_dir = \"/srv/duban/templates\";\n"
		      "quiet_hours = { from = \"22:30\"; to = \"07:15\"; };\n"
		      "log = { level = \"debug\"; file = \"log/duban.log\"; };\n"
		      "sms = { max_parts = 3; };\n");

	if (rc != 0)
		dump(&fx->diag);
	assert_int_equal(rc, 0);
	assert_int_equal(fx->diag.n, 0);
	assert_non_null(fx->cfg);
	assert_string_equal(fx->cfg->path, fx->path);
	snprintf(want, sizeof(want), "%s/data/duban.db", fx->dir);
	assert_string_equal(fx->cfg->database, want);
	snprintf(want, sizeof(want), "%s/../shared/rules", fx->dir);
	assert_string_equal(fx->cfg->rules_dir, want);
	assert_string_equal(fx->cfg->templates_dir, "/srv/duban/templates");
	snprintf(want, sizeof(want), "%s/log/duban.log", fx->dir);
	assert_string_equal(fx->cfg->log_file, want);
	assert_string_equal(fx->cfg->timezone, "Asia/Urumqi");
	assert_string_equal(fx->cfg->signature, "小雄镇人民政府");
	assert_true(fx->cfg->quiet.enabled);
	assert_int_equal(fx->cfg->quiet.from, 22 * 60 + 30);
	assert_int_equal(fx->cfg->quiet.to, 7 * 60 + 15);
	assert_int_equal(fx->cfg->log_level, LOG_DEBUG);
	assert_int_equal(fx->cfg->max_parts, 3);
}

static void test_empty_file_is_defaults(void **state)
{
	struct fixture *fx = *state;

	/* Not pinned down: whether a default path the file leaves out
	 * ("duban.db", "rules") follows the file's folder like the paths it
	 * sets.  Today it stays relative to the working directory. */
	assert_int_equal(load(fx, "# nothing set\n"), 0);
	assert_non_null(fx->cfg->database);
	assert_string_equal(fx->cfg->timezone, "Asia/Shanghai");
	assert_string_equal(fx->cfg->signature, "");
	assert_true(fx->cfg->quiet.enabled);
	assert_int_equal(fx->cfg->quiet.from, 21 * 60);
	assert_int_equal(fx->cfg->quiet.to, 8 * 60);
	assert_int_equal(fx->cfg->log_level, LOG_INFO);
	assert_null(fx->cfg->log_file);
	assert_int_equal(fx->cfg->max_parts, 6);
}

/* The early delivery reports' bounds and the database's disk: sizes in bytes or K/M/G/T. */
static void test_dlr_and_storage(void **state)
{
	struct fixture *fx = *state;
	int rc = load(fx, "dlr = { keep_unmatched = \"6h\"; max_unmatched = 500; };\n"
			  "storage = { wal_max = \"16M\"; min_free = 1000000; };\n");

	if (rc != 0)
		dump(&fx->diag);
	assert_int_equal(rc, 0);
	assert_int_equal(fx->cfg->dlr.keep_unmatched, 6 * 3600);
	assert_int_equal(fx->cfg->dlr.max_unmatched, 500);
	assert_int_equal(fx->cfg->storage.wal_max, 16LL << 20);
	assert_int_equal(fx->cfg->storage.min_free, 1000000);
	config_free(fx->cfg);
	fx->cfg = NULL;
	assert_int_equal(load(fx, "storage = { min_free = \"2G\"; };\n"), 0);
	assert_int_equal(fx->cfg->storage.min_free, 2LL << 30);
	assert_int_equal(fx->cfg->storage.wal_max, 64LL << 20); /* the default */
	assert_int_equal(fx->cfg->dlr.keep_unmatched, 86400);
	assert_int_equal(fx->cfg->dlr.max_unmatched, 10000);
}

static void test_dlr_and_storage_refused(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(load(fx, "dlr = { keep_unmatched = \"10s\"; max_unmatched = 0; };\n"
				  "storage = { wal_max = \"64 MB\"; min_free = \"9X\"; };\n"
				  "storage2 = 1;\n"),
			 -1);
	expect_diag(fx, 1, "'keep_unmatched' must be between 1m and 30d");
	expect_diag(fx, 1, "'max_unmatched' must be between 1 and 10000000, not 0");
	expect_diag(fx, 2, "'wal_max' must be a size such as \"64M\" (K, M, G or T) or bytes");
	expect_diag(fx, 2, "'min_free' must be a size such as \"64M\" (K, M, G or T) or bytes");
	expect_diag(fx, 3, "unknown key 'storage2'");
	diag_clear(&fx->diag);
	expect_only(fx, "storage = { wal_max = 4096; };\n", 1,
		    "'wal_max' must be between 1048576 and 1099511627776 bytes");
}

/* limits and alerts: per-number limits, and the numbers alerts go to (normalized). */
static void test_limits_and_alerts(void **state)
{
	struct fixture *fx = *state;
	int rc = load(fx, "limits = { per_number_hour = 5; per_number_day = 10; };\n"
			  "alerts = { to = [ \"13900000009\", \"+86 139 0000 0008\" ]; };\n");

	if (rc != 0)
		dump(&fx->diag);
	assert_int_equal(rc, 0);
	assert_int_equal(fx->cfg->limits.per_number_hour, 5);
	assert_int_equal(fx->cfg->limits.per_number_day, 10);
	assert_int_equal(fx->cfg->alerts.nto, 2);
	assert_string_equal(fx->cfg->alerts.to[0], "+8613900000009");
	assert_string_equal(fx->cfg->alerts.to[1], "+8613900000008");
	config_free(fx->cfg);
	fx->cfg = NULL;
	assert_int_equal(load(fx, ""), 0);
	assert_int_equal(fx->cfg->limits.per_number_hour, 0); /* no limit */
	assert_int_equal(fx->cfg->alerts.nto, 0);
	config_free(fx->cfg);
	fx->cfg = NULL;
	assert_int_equal(load(fx, "limits = { per_number_hour = -1; per_hour = 3; };\n"
				  "alerts = { to = \"13900000009\"; };\n"),
			 -1);
	expect_diag(fx, 1, "unknown key 'per_hour' in 'limits'");
	expect_diag(fx, 1, "'per_number_hour' must be between 0 and 100000, not -1");
	expect_diag(fx, 2, "'to' must be a list of phone numbers, e.g. [\"+8613800138000\"]");
	diag_clear(&fx->diag);
	expect_only(fx, "alerts = { to = [ \"12345\" ]; };\n", 1,
		    "alerts.to: \"12345\" is not a phone number: phone number is too short (a "
		    "Chinese mobile number has 11 digits)");
}

/* API tokens: "messages" is read and write; messages:numbers needs one of them. */
static void test_token_scopes(void **state)
{
	struct fixture *fx = *state;
	static const char tok[] = "http = { tokens = ( { name = \"oa\"; sha256 = "
				  "\"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\"; "
				  "routes = [ %s ]; } ); };\n";
	char text[512];

	snprintf(text, sizeof(text), tok, "\"messages:read\", \"messages:numbers\"");
	assert_int_equal(load(fx, text), 0);
	assert_int_equal(fx->cfg->http.tokens[0].routes,
			 HTTP_ROUTE_MESSAGES_READ | HTTP_ROUTE_MESSAGES_NUMBERS);
	config_free(fx->cfg);
	fx->cfg = NULL;
	snprintf(text, sizeof(text), tok, "\"messages\"");
	assert_int_equal(load(fx, text), 0);
	assert_int_equal(fx->cfg->http.tokens[0].routes,
			 HTTP_ROUTE_MESSAGES_READ | HTTP_ROUTE_MESSAGES_WRITE);
	config_free(fx->cfg);
	fx->cfg = NULL;
	snprintf(text, sizeof(text), tok, "\"messages:numbers\", \"tasks\"");
	expect_only(fx, text, 1,
		    "routes: messages:numbers only widens what messages, messages:read or "
		    "messages:write show: name one of them too");
	diag_clear(&fx->diag);
	snprintf(text, sizeof(text), tok, "\"messages:delete\"");
	expect_only(fx, text, 1, "routes: \"messages:delete\" is not " HTTPD_ROUTES_TEXT);
}

static void test_quiet_disabled(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(load(fx, "quiet_hours = { from = \"21:00\"; to = \"08:00\"; enabled = false; };\n"), 0);
	assert_false(fx->cfg->quiet.enabled);
	assert_false(config_in_quiet(&fx->cfg->quiet, 23 * 60));
}

/* ---- where the configuration is found ------------------------------------ */

/* A config file in folder dir whose signature tells which file was read. */
static void write_marked(const char *dir, const char *name, const char *mark, char *path,
			 size_t pathlen)
{
	char text[256];

	snprintf(path, pathlen, "%s/%s", dir, name);
	snprintf(text, sizeof(text), "signature = \"%s\";\n", mark);
	write_file(path, text);
}

static void test_search_order(void **state)
{
	struct fixture *fx = *state;
	char opt[PATH_MAX], env[PATH_MAX], local[PATH_MAX];

	write_marked(fx->dir, "option.cfg", "from -c", opt, sizeof(opt));
	write_marked(fx->dir, "env.cfg", "from env", env, sizeof(env));
	write_marked(fx->dir, "duban.cfg", "from cwd", local, sizeof(local));
	assert_int_equal(chdir(fx->dir), 0);
	assert_int_equal(setenv("DUBAN_CONFIG", env, 1), 0);

	/* -c wins over everything. */
	assert_int_equal(config_load(opt, &fx->cfg, &fx->diag), 0);
	assert_string_equal(fx->cfg->signature, "from -c");
	assert_string_equal(fx->cfg->path, opt);
	config_free(fx->cfg);
	fx->cfg = NULL;

	/* Then $DUBAN_CONFIG. */
	assert_int_equal(config_load(NULL, &fx->cfg, &fx->diag), 0);
	assert_string_equal(fx->cfg->signature, "from env");
	assert_string_equal(fx->cfg->path, env);
	config_free(fx->cfg);
	fx->cfg = NULL;

	/* An empty $DUBAN_CONFIG counts as unset: then ./duban.cfg. */
	assert_int_equal(setenv("DUBAN_CONFIG", "", 1), 0);
	assert_int_equal(config_load(NULL, &fx->cfg, &fx->diag), 0);
	assert_string_equal(fx->cfg->signature, "from cwd");
	assert_string_equal(fx->cfg->path, "duban.cfg");
	/* Relative to the file's folder, which is the current one. */
	assert_string_equal(fx->cfg->database, "duban.db");
	config_free(fx->cfg);
	fx->cfg = NULL;
	assert_int_equal(unsetenv("DUBAN_CONFIG"), 0);
	assert_int_equal(config_load(NULL, &fx->cfg, &fx->diag), 0);
	assert_string_equal(fx->cfg->signature, "from cwd");
	config_free(fx->cfg);
	fx->cfg = NULL;

	/* Nothing at all: the built-in defaults. */
	assert_int_equal(unlink(local), 0);
	assert_int_equal(config_load(NULL, &fx->cfg, &fx->diag), 0);
	assert_null(fx->cfg->path);
	assert_string_equal(fx->cfg->signature, "");
	assert_string_equal(fx->cfg->database, "duban.db");
	assert_string_equal(fx->cfg->timezone, "Asia/Shanghai");
	assert_int_equal(fx->diag.n, 0);
}

static void test_search_env_bad_file(void **state)
{
	struct fixture *fx = *state;
	char env[PATH_MAX];

	/* A $DUBAN_CONFIG that names a missing file is an error, not a fallback. */
	snprintf(env, sizeof(env), "%s/missing.cfg", fx->dir);
	write_marked(fx->dir, "duban.cfg", "from cwd", fx->path, sizeof(fx->path));
	assert_int_equal(chdir(fx->dir), 0);
	assert_int_equal(setenv("DUBAN_CONFIG", env, 1), 0);
	assert_int_equal(config_load(NULL, &fx->cfg, &fx->diag), -1);
	assert_null(fx->cfg);
	assert_int_equal(fx->diag.n, 1);
	assert_non_null(strstr(fx->diag.line[0], "missing.cfg: cannot open"));
}

/* ---- quiet hours ----------------------------------------------------------- */

static void test_in_quiet_across_midnight(void **state)
{
	const struct quiet_hours q = { true, 21 * 60, 8 * 60 };

	(void)state;
	assert_false(config_in_quiet(&q, 20 * 60 + 59));
	assert_true(config_in_quiet(&q, 21 * 60));
	assert_true(config_in_quiet(&q, 23 * 60 + 59));
	assert_true(config_in_quiet(&q, 0));
	assert_true(config_in_quiet(&q, 3 * 60));
	assert_true(config_in_quiet(&q, 7 * 60 + 59));
	assert_false(config_in_quiet(&q, 8 * 60));
	assert_false(config_in_quiet(&q, 12 * 60));
}

static void test_in_quiet_same_day(void **state)
{
	const struct quiet_hours q = { true, 12 * 60, 14 * 60 };
	const struct quiet_hours off = { false, 21 * 60, 8 * 60 };
	const struct quiet_hours empty = { true, 9 * 60, 9 * 60 };

	(void)state;
	assert_false(config_in_quiet(&q, 11 * 60 + 59));
	assert_true(config_in_quiet(&q, 12 * 60));
	assert_true(config_in_quiet(&q, 13 * 60 + 59));
	assert_false(config_in_quiet(&q, 14 * 60));
	assert_false(config_in_quiet(&q, 0));
	assert_false(config_in_quiet(&off, 23 * 60));
	assert_false(config_in_quiet(&off, 0));
	assert_false(config_in_quiet(&empty, 9 * 60));
}

/*
 * A provider secret missing from the environment: the configuration
 * loads (staff's commands need no secret), config_need_secrets names each
 * with its line for the commands that send, and a file with another
 * problem is refused with the missing secret among its problems.
 */
static void test_missing_secret_loads(void **state)
{
	struct fixture *fx = *state;
	struct diag need = { 0 };
	static const char cfg[] =
		"providers = (\n"
		"  { name = \"sim\"; type = \"http\"; url = \"http://127.0.0.1:1/s\";\n"
		"    headers = { X-Token = \"{{env.DUBAN_TEST_UNSET}}\"; };\n"
		"    callback_secret = \"{{env.DUBAN_TEST_UNSET_CB}}\"; }\n"
		");\n";
	char want[PATH_MAX + 200];

	unsetenv("DUBAN_TEST_UNSET");
	unsetenv("DUBAN_TEST_UNSET_CB");
	assert_int_equal(load(fx, cfg), 0);
	assert_int_equal(fx->diag.n, 0);
	assert_int_equal(fx->cfg->nproviders, 1);
	assert_null(fx->cfg->providers[0].callback_secret);
	assert_int_equal(config_need_secrets(fx->cfg, &need), -1);
	assert_int_equal(need.n, 2);
	snprintf(want, sizeof(want),
		 "%s:3: header 'X-Token': environment variable DUBAN_TEST_UNSET is not set", fx->path);
	assert_true(strcmp(need.line[0], want) == 0 || strcmp(need.line[1], want) == 0);
	diag_clear(&need);
	config_free(fx->cfg);
	fx->cfg = NULL;

	/* With both set, nothing is missing and the secret is the value. */
	setenv("DUBAN_TEST_UNSET", "t0ken", 1);
	setenv("DUBAN_TEST_UNSET_CB", "0123456789abcdef", 1);
	assert_int_equal(load(fx, cfg), 0);
	assert_int_equal(config_need_secrets(fx->cfg, &need), 0);
	assert_int_equal(need.n, 0);
	assert_string_equal(fx->cfg->providers[0].callback_secret, "0123456789abcdef");
	config_free(fx->cfg);
	fx->cfg = NULL;
	unsetenv("DUBAN_TEST_UNSET_CB");

	/* Another problem: refused, and the missing secret is reported too. */
	unsetenv("DUBAN_TEST_UNSET");
	assert_int_equal(load(fx, "sms = { max_parts = 99; };\n" "providers = (\n"
				  "  { name = \"sim\"; type = \"http\"; url = \"http://h/\";\n"
				  "    headers = { X-Token = \"{{env.DUBAN_TEST_UNSET}}\"; }; }\n);\n"),
			 -1);
	assert_null(fx->cfg);
	expect_diag(fx, 4, "header 'X-Token': environment variable DUBAN_TEST_UNSET is not set");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_unknown_key_top),
		T(test_unknown_key_in_group),
		T(test_string_where_int),
		T(test_int_where_string),
		T(test_group_where_string),
		T(test_string_where_group),
		T(test_unknown_timezone),
		T(test_quiet_25_00),
		T(test_quiet_9_60),
		T(test_quiet_only_from),
		T(test_bad_log_level),
		T(test_max_parts_range),
		T(test_syntax_error),
		T(test_missing_file),
		T(test_all_errors_reported),
		T(test_valid_file),
		T(test_empty_file_is_defaults),
		T(test_dlr_and_storage),
		T(test_dlr_and_storage_refused),
		T(test_limits_and_alerts),
		T(test_token_scopes),
		T(test_quiet_disabled),
		T(test_search_order),
		T(test_search_env_bad_file),
		T(test_in_quiet_across_midnight),
		T(test_in_quiet_same_day),
		T(test_missing_secret_loads),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
