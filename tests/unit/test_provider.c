/*
 * test_provider.c - the provider backends: escaping for URLs, forms and
 * JSON (with Chinese UTF-8), the requests the http and kannel backends
 * build, how they classify replies, and the configuration errors a bad
 * provider block gets (with FILE:LINE).
 */
#include "unit.h"

#include <libconfig.h>

#include "provider/provider.h"
#include "base/diag.h"
#include "base/buf.h"

static const struct provider_msg msg = {
	.id = 42,
	.phone = "+8613800138000",
	.text = "请于12月31日前完成梅岙塘项目 & 上报 \"进度\"",
	.signature = "小雄镇人民政府",
	.ucs2 = true,
};

/* Parse a providers list from text; returns the array (n entries) or NULL
 * with the problems in d. */
static struct provider_conf *
parse(const char *text, size_t *n, struct diag *d)
{
	struct cfgval cv = { "test.cfg", d };
	struct provider_conf *p = NULL;
	config_t cfg;

	config_init(&cfg);
	if (config_read_string(&cfg, text) != CONFIG_TRUE) {
		fprintf(stderr, "syntax: line %d: %s\n", config_error_line(&cfg), config_error_text(&cfg));
		config_destroy(&cfg);
		return NULL;
	}
	if (provider_parse_list(&cv, config_lookup(&cfg, "providers"), &p, n) != 0)
		p = NULL;
	config_destroy(&cfg);
	return p;
}

static bool
diag_has(const struct diag *d, const char *needle)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->line[i] && strstr(d->line[i], needle))
			return true;
	return false;
}

static void
dump(const struct diag *d)
{
	for (size_t i = 0; i < d->n; i++)
		fprintf(stderr, "# %s\n", d->line[i]);
}

/* Whether template text s, which must parse, is marked secret (it uses
 * {{env.NAME}}, so its expansion must never be logged). */
static bool
env_is_secret(const char *s)
{
	struct diag d = { 0 };
	struct cfgval cv = { "test.cfg", &d };
	struct ptmpl t;
	bool secret;

	assert_int_equal(ptmpl_parse(&cv, NULL, "'key'", s, true, &t), 0);
	secret = t.secret;
	ptmpl_free(&t);
	return secret;
}

/* ---- escaping ------------------------------------------------------------ */

static void
url_escape_chinese(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 1024);
	assert_int_equal(provider_url_escape(&b, "小雄 a+b&c=d/~-._", strlen("小雄 a+b&c=d/~-._"), false), 0);
	assert_string_equal(b.data, "%E5%B0%8F%E9%9B%84%20a%2Bb%26c%3Dd%2F~-._");
	b.len = 0;
	assert_int_equal(provider_url_escape(&b, "小 a+b", strlen("小 a+b"), true), 0);
	assert_string_equal(b.data, "%E5%B0%8F+a%2Bb");
	buf_free(&b);
}

static void
url_escape_bounded(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_adds(&b, "x="), 0);
	/* 3 bytes of UTF-8 need 9 escaped: past the bound, and nothing half-written. */
	assert_int_equal(provider_url_escape(&b, "小", 3, false), -1);
	assert_string_equal(b.data, "x=");
	buf_free(&b);
}

/* Longer than the escaper's stage: written in several steps, and taken
 * back whole when a later step meets the bound. */
static void
escape_in_steps(void **state)
{
	char in[3 * 100 + 1] = "", want[9 * 100 + 1] = "";
	struct buf b;

	(void)state;
	for (int i = 0; i < 100; i++) {
		memcpy(in + 3 * i, "小", 3);
		memcpy(want + 9 * i, "%E5%B0%8F", 9);
	}
	buf_init(&b, 4096);
	assert_int_equal(provider_url_escape(&b, in, strlen(in), false), 0);
	assert_string_equal(b.data, want);
	buf_free(&b);
	buf_init(&b, 600);
	assert_int_equal(buf_adds(&b, "msg="), 0);
	assert_int_equal(provider_url_escape(&b, in, strlen(in), false), -1);
	assert_string_equal(b.data, "msg=");
	assert_int_equal(provider_json_escape(&b, "\n\x01", 2), 0);
	assert_string_equal(b.data, "msg=\\n\\u0001");
	buf_free(&b);
}

static void
json_escape_all(void **state)
{
	struct buf b;
	const char *in = "He said \"hi\"\n\t\\ 小雄\x01\x7f";

	(void)state;
	buf_init(&b, 1024);
	assert_int_equal(provider_json_escape(&b, in, strlen(in)), 0);
	assert_string_equal(b.data, "He said \\\"hi\\\"\\n\\t\\\\ 小雄\\u0001\\u007f");
	buf_free(&b);
}

/* ---- the http backend: requests ----------------------------------------- */

static void
http_default_is_sim_json(void **state)
{
	struct diag d = { 0 };
	struct provider_req req;
	char err[200];
	size_t n = 0;
	struct provider_conf *p = parse("providers = ( { name = \"sim\"; type = \"http\"; "
					"url = \"http://127.0.0.1:9/sms/send\"; } );", &n, &d);

	(void)state;
	dump(&d);
	assert_non_null(p);
	assert_int_equal(n, 1);
	provider_req_init(&req);
	assert_int_equal(provider_build(&p[0], &msg, &req, err, sizeof(err)), 0);
	assert_true(req.post);
	assert_string_equal(req.url.data, "http://127.0.0.1:9/sms/send");
	assert_string_equal(req.body.data,
			    "{\"to\":\"+8613800138000\",\"text\":\"请于12月31日前完成梅岙塘项目 & 上报 "
			    "\\\"进度\\\"\",\"id\":\"duban-42\",\"sign\":\"小雄镇人民政府\"}");
	assert_string_equal(req.headers.data, "Content-Type: application/json\n");
	provider_req_free(&req);
	provider_conf_free(p, n);
}

static void
http_get_query_with_secret(void **state)
{
	struct diag d = { 0 };
	struct provider_req req;
	char err[200];
	size_t n = 0;
	struct provider_conf *p;

	(void)state;
	setenv("DUBAN_TEST_KEY", "s3cr et", 1);
	p = parse("providers = ( { name = \"cn\"; type = \"http\"; method = \"GET\";\n"
		  "  url = \"https://sms.example.cn/api?v=2\";\n"
		  "  params = { mobile = \"{{phone_national}}\"; content = \"【{{signature}}】{{text}}\";\n"
		  "             key = \"{{env.DUBAN_TEST_KEY}}\"; ref = \"{{ id }}\"; };\n"
		  "  headers = { X-Trace = \"duban {{id}}\"; };\n"
		  "} );", &n, &d);
	dump(&d);
	assert_non_null(p);
	assert_true(env_is_secret("{{env.DUBAN_TEST_KEY}}"));
	provider_req_init(&req);
	assert_int_equal(provider_build(&p[0], &msg, &req, err, sizeof(err)), 0);
	assert_false(req.post);
	assert_string_equal(req.url.data,
			    "https://sms.example.cn/api?v=2&mobile=13800138000&content="
			    "%E3%80%90%E5%B0%8F%E9%9B%84%E9%95%87%E4%BA%BA%E6%B0%91%E6%94%BF%E5%BA%9C%E3%80%91"
			    "%E8%AF%B7%E4%BA%8E12%E6%9C%8831%E6%97%A5%E5%89%8D%E5%AE%8C%E6%88%90"
			    "%E6%A2%85%E5%B2%99%E5%A1%98%E9%A1%B9%E7%9B%AE%20%26%20%E4%B8%8A%E6%8A%A5%20"
			    "%22%E8%BF%9B%E5%BA%A6%22&key=s3cr%20et&ref=duban-42");
	assert_string_equal(req.headers.data, "X-Trace: duban duban-42\n");
	provider_req_free(&req);
	provider_conf_free(p, n);
}

static void
http_form_body(void **state)
{
	struct diag d = { 0 };
	struct provider_req req;
	char err[200];
	size_t n = 0;
	struct provider_conf *p = parse("providers = ( { name = \"f\"; type = \"http\"; "
					"url = \"http://h/s\"; body = \"form\";"
					"params = { to = \"{{phone}}\"; msg = \"a b\"; }; } );", &n, &d);

	(void)state;
	dump(&d);
	assert_non_null(p);
	provider_req_init(&req);
	assert_int_equal(provider_build(&p[0], &msg, &req, err, sizeof(err)), 0);
	assert_string_equal(req.body.data, "to=%2B8613800138000&msg=a+b");
	assert_string_equal(req.headers.data, "Content-Type: application/x-www-form-urlencoded\n");
	provider_req_free(&req);
	provider_conf_free(p, n);
}

static void
http_header_line_break_refused(void **state)
{
	struct diag d = { 0 };
	struct provider_req req;
	struct provider_msg m = msg;
	char err[200];
	size_t n = 0;
	struct provider_conf *p = parse("providers = ( { name = \"h\"; type = \"http\"; "
					"url = \"http://h/s\"; headers = { X-Text = \"{{text}}\"; }; } );",
					&n, &d);

	(void)state;
	assert_non_null(p);
	m.text = "two\r\nInjected: yes";
	provider_req_init(&req);
	assert_int_equal(provider_build(&p[0], &m, &req, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "line break"));
	provider_req_free(&req);
	provider_conf_free(p, n);
}

/* ---- configuration errors -------------------------------------------------- */

static void
config_errors_have_lines(void **state)
{
	struct diag d = { 0 };
	size_t n = 0;

	(void)state;
	unsetenv("DUBAN_TEST_MISSING");
	assert_null(parse("providers = (\n"
			  "  { name = \"a\"; type = \"http\"; url = \"http://h/\";\n"
			  "    headers = { Authorization = \"Bearer {{env.DUBAN_TEST_MISSING}}\"; };\n"
			  "    params = { x = \"{{nope}}\"; };\n"
			  "    method = \"PUT\"; colour = 1;\n"
			  "    reply = { id_regex = \"id=[0-9]+\"; accept_status = [ \"2yy\" ]; };\n"
			  "    retries = { max = 3; base_ms = 500; max_ms = 100; };\n"
			  "  },\n"
			  "  { name = \"a\"; type = \"smpp\"; url = \"ftp://x\"; },\n"
			  "  { name = \"k\"; type = \"kannel\"; url = \"http://k/cgi-bin/sendsms\"; dlr_mask = 3; }\n"
			  ");", &n, &d));
	dump(&d);
	assert_true(diag_has(&d, "test.cfg:3: header 'Authorization': environment variable "
				  "DUBAN_TEST_MISSING is not set"));
	assert_true(diag_has(&d, "test.cfg:4: parameter 'x': unknown variable {{nope}}"));
	assert_true(diag_has(&d, "test.cfg:5: 'method' must be \"GET\" or \"POST\""));
	assert_true(diag_has(&d, "test.cfg:5: unknown key 'colour'"));
	assert_true(diag_has(&d, "test.cfg:6: 'id_regex' needs a group"));
	assert_true(diag_has(&d, "\"2yy\" is not a status class"));
	assert_true(diag_has(&d, "test.cfg:7: retries: 'max_ms' (100) is less than 'base_ms' (500)"));
	assert_true(diag_has(&d, "test.cfg:9: provider name \"a\" is used twice"));
	assert_true(diag_has(&d, "test.cfg:9: provider type must be \"http\" or \"kannel\""));
	assert_true(diag_has(&d, "test.cfg:9: 'url' must start with http:// or https://"));
	assert_true(diag_has(&d, "test.cfg:10: a kannel provider needs 'username'"));
	assert_true(diag_has(&d, "'dlr_mask' asks for delivery reports"));
	diag_clear(&d);
	assert_null(parse("providers = ( { name = \"g\"; type = \"http\"; url = \"http://h/\";\n"
			  "method = \"GET\"; body = \"json\"; } );", &n, &d));
	assert_true(diag_has(&d, "test.cfg:2: 'body' = \"json\" needs method = \"POST\""));
	diag_clear(&d);
}

/* The keys that take one of a few words: each wrong word named with the
 * words it may be, each right one taken. */
static void
config_words(void **state)
{
	struct diag d = { 0 };
	struct provider_conf *p;
	size_t n = 0;

	(void)state;
	assert_null(parse("providers = (\n"
			  "  { name = \"h\"; type = \"http\"; url = \"http://h/\";\n"
			  "    body = \"xml\"; reply = { otherwise = \"maybe\"; };\n"
			  "    retries = { jitter = \"half\"; }; },\n"
			  "  { name = \"k\"; type = \"kannel\"; url = \"http://k/\"; username = \"u\";\n"
			  "    password = \"p\"; method = \"post\"; }\n"
			  ");", &n, &d));
	dump(&d);
	assert_true(diag_has(&d, "test.cfg:3: 'body' must be \"query\", \"form\" or \"json\", "
				  "not \"xml\""));
	assert_true(diag_has(&d, "test.cfg:3: 'otherwise' must be \"permanent\" or \"temporary\", "
				  "not \"maybe\""));
	assert_true(diag_has(&d, "test.cfg:4: 'jitter' must be \"full\" or \"equal\", not \"half\""));
	assert_true(diag_has(&d, "test.cfg:6: 'method' must be \"GET\" or \"POST\", not \"post\""));
	assert_int_equal(d.n, 4);
	diag_clear(&d);
	p = parse("providers = (\n"
		  "  { name = \"h\"; type = \"http\"; url = \"http://h/\"; method = \"post\";\n"
		  "    body = \"form\"; reply = { otherwise = \"temporary\"; };\n"
		  "    retries = { jitter = \"equal\"; }; },\n"
		  "  { name = \"k\"; type = \"kannel\"; url = \"http://k/\"; username = \"u\";\n"
		  "    password = \"p\"; method = \"POST\"; }\n"
		  ");", &n, &d);
	dump(&d);
	assert_non_null(p);
	assert_int_equal(n, 2);
	assert_int_equal(p[0].retries.jitter, JITTER_EQUAL);
	provider_conf_free(p, n);
	diag_clear(&d);
}

/* ---- the http backend: replies --------------------------------------------- */

static void
classify(const struct provider_conf *pc, long status, const char *body,
	 struct provider_verdict *v)
{
	struct provider_reply r = { status, body, strlen(body) };
	provider_classify(pc, &msg, &r, v);
}

static void
http_classify_defaults(void **state)
{
	struct diag d = { 0 };
	struct provider_verdict v;
	size_t n = 0;
	struct provider_conf *p = parse("providers = ( { name = \"sim\"; type = \"http\"; "
					"url = \"http://h/\"; } );", &n, &d);

	(void)state;
	assert_non_null(p);
	classify(&p[0], 200, "{\"code\":0,\"msgid\":\"sim-7\"}", &v);
	assert_int_equal(v.result, PROVIDER_ACCEPTED);
	assert_string_equal(v.ref, "sim-7");
	classify(&p[0], 400, "{\"code\":40,\"error\":\"invalid number\"}", &v);
	assert_int_equal(v.result, PROVIDER_PERMANENT);
	assert_string_equal(v.reason, "HTTP 400: invalid number");
	assert_false(v.provider_fault);
	classify(&p[0], 503, "{\"code\":53,\"error\":\"busy\"}", &v);
	assert_int_equal(v.result, PROVIDER_TRANSIENT);
	assert_true(v.provider_fault);
	assert_string_equal(v.reason, "HTTP 503: busy");
	classify(&p[0], 429, "{\"code\":29,\"error\":\"rate limited\"}", &v);
	assert_int_equal(v.result, PROVIDER_TRANSIENT);
	assert_false(v.provider_fault);
	classify(&p[0], 404, "<html>\n<b>Not Found</b>\n</html>", &v);
	assert_int_equal(v.result, PROVIDER_PERMANENT);
	assert_string_equal(v.reason, "HTTP 404: <html> <b>Not Found</b> </html>");
	classify(&p[0], 302, "", &v);
	assert_int_equal(v.result, PROVIDER_TRANSIENT);
	provider_conf_free(p, n);
}

static void
http_classify_rules(void **state)
{
	struct diag d = { 0 };
	struct provider_verdict v;
	size_t n = 0;
	struct provider_conf *p = parse(
		"providers = ( { name = \"r\"; type = \"http\"; url = \"http://h/\";\n"
		"  reply = { accept_status = [ 200 ]; temporary_status = [ 409 ];\n"
		"    permanent_status = [ \"5xx\" ];\n"
		"    accept_json = \"result.code=0\"; permanent_json = \"result.code=40\";\n"
		"    temporary_regex = \"(busy|稍后)\"; id_json = \"result.ids.0\";\n"
		"    reason_regex = \"\\\"msg\\\":\\\"([^\\\"]*)\\\"\"; };\n"
		"} );", &n, &d);

	(void)state;
	dump(&d);
	assert_non_null(p);
	classify(&p[0], 200, "{\"result\":{\"code\":0,\"ids\":[12345]}}", &v);
	assert_int_equal(v.result, PROVIDER_ACCEPTED);
	assert_string_equal(v.ref, "12345");
	classify(&p[0], 200, "{\"result\":{\"code\":40},\"msg\":\"号码无效\"}", &v);
	assert_int_equal(v.result, PROVIDER_PERMANENT);
	assert_string_equal(v.reason, "HTTP 200: 号码无效");
	classify(&p[0], 200, "{\"result\":{\"code\":17}}", &v);
	assert_int_equal(v.result, PROVIDER_PERMANENT); /* otherwise */
	classify(&p[0], 200, "{\"result\":{\"code\":1},\"msg\":\"请稍后再试\"}", &v);
	assert_int_equal(v.result, PROVIDER_TRANSIENT);
	classify(&p[0], 201, "{\"result\":{\"code\":0}}", &v);
	assert_int_equal(v.result, PROVIDER_PERMANENT); /* 2xx but not in accept_status */
	classify(&p[0], 409, "", &v);
	assert_int_equal(v.result, PROVIDER_TRANSIENT);
	classify(&p[0], 503, "", &v);
	assert_int_equal(v.result, PROVIDER_PERMANENT);
	assert_true(v.provider_fault);
	classify(&p[0], 200, "not json at all", &v);
	assert_int_equal(v.result, PROVIDER_PERMANENT);
	assert_string_equal(v.reason, "HTTP 200: not json at all");
	provider_conf_free(p, n);
}

static void
http_classify_otherwise_temporary(void **state)
{
	struct diag d = { 0 };
	struct provider_verdict v;
	size_t n = 0;
	struct provider_conf *p = parse(
		"providers = ( { name = \"o\"; type = \"http\"; url = \"http://h/\";\n"
		"  reply = { accept_regex = \"^OK\"; id_regex = \"^OK ([0-9]+)\"; otherwise = \"temporary\"; };\n"
		"} );", &n, &d);

	(void)state;
	dump(&d);
	assert_non_null(p);
	classify(&p[0], 200, "OK 998877", &v);
	assert_int_equal(v.result, PROVIDER_ACCEPTED);
	assert_string_equal(v.ref, "998877");
	classify(&p[0], 200, "ERR queue full", &v);
	assert_int_equal(v.result, PROVIDER_TRANSIENT);
	provider_conf_free(p, n);
}

/* ---- kannel ------------------------------------------------------------------ */

static const char kannel_cfg[] =
	"providers = ( { name = \"kannel\"; type = \"kannel\";\n"
	"  url = \"http://127.0.0.1:13013/cgi-bin/sendsms\";\n"
	"  username = \"duban\"; password = \"{{env.DUBAN_TEST_KPASS}}\"; from = \"10690000\";\n"
	"  dlr_mask = 3; dlr_url = \"http://127.0.0.1:8080/callbacks/dlr/kannel?id={{id}}&s=%d\";\n"
	"} );";

static void
kannel_build_query(void **state)
{
	struct diag d = { 0 };
	struct provider_req req;
	struct provider_msg m = msg;
	char err[200];
	size_t n = 0;
	struct provider_conf *p;

	(void)state;
	setenv("DUBAN_TEST_KPASS", "p&w", 1);
	p = parse(kannel_cfg, &n, &d);
	dump(&d);
	assert_non_null(p);
	m.text = "收到";
	provider_req_init(&req);
	assert_int_equal(provider_build(&p[0], &m, &req, err, sizeof(err)), 0);
	assert_false(req.post);
	assert_string_equal(req.url.data,
			    "http://127.0.0.1:13013/cgi-bin/sendsms?username=duban&password=p%26w"
			    "&to=%2B8613800138000"
			    "&text=%E3%80%90%E5%B0%8F%E9%9B%84%E9%95%87%E4%BA%BA%E6%B0%91%E6%94%BF%E5%BA%9C"
			    "%E3%80%91%E6%94%B6%E5%88%B0"
			    "&charset=UTF-8&coding=2&from=10690000&dlr-mask=3"
			    "&dlr-url=http%3A%2F%2F127.0.0.1%3A8080%2Fcallbacks%2Fdlr%2Fkannel%3Fid%3Dduban-42"
			    "%26s%3D%25d");
	provider_req_free(&req);
	provider_conf_free(p, n);
}

static void
kannel_classify_codes(void **state)
{
	struct diag d = { 0 };
	struct provider_verdict v;
	size_t n = 0;
	struct provider_conf *p;

	(void)state;
	setenv("DUBAN_TEST_KPASS", "x", 1);
	p = parse(kannel_cfg, &n, &d);
	assert_non_null(p);
	classify(&p[0], 202, "0: Accepted for delivery", &v);
	assert_int_equal(v.result, PROVIDER_ACCEPTED);
	assert_string_equal(v.ref, "duban-42");
	classify(&p[0], 202, "3: Queued for later delivery", &v);
	assert_int_equal(v.result, PROVIDER_ACCEPTED);
	classify(&p[0], 200, "0: Accepted for delivery", &v);
	assert_int_equal(v.result, PROVIDER_ACCEPTED);
	classify(&p[0], 403, "Authorization failed for sendsms", &v);
	assert_int_equal(v.result, PROVIDER_PERMANENT);
	assert_string_equal(v.reason, "HTTP 403: Authorization failed for sendsms");
	classify(&p[0], 400, "Number(s) has/have been denied by white- and/or black-lists.", &v);
	assert_int_equal(v.result, PROVIDER_PERMANENT);
	classify(&p[0], 403, "Not routable. Do not try again.", &v);
	assert_int_equal(v.result, PROVIDER_PERMANENT);
	classify(&p[0], 503, "Temporal failure, try again later.", &v);
	assert_int_equal(v.result, PROVIDER_TRANSIENT);
	assert_true(v.provider_fault);
	classify(&p[0], 202, "Something else", &v);
	assert_int_equal(v.result, PROVIDER_PERMANENT);
	classify(&p[0], 202, "4: Message splits limit exceeded", &v);
	assert_int_equal(v.result, PROVIDER_PERMANENT);
	provider_conf_free(p, n);
}

/* ---- callbacks ------------------------------------------------------------------ */

/* A callback request whose fields are name, value, ..., NULL. */
static int
pairs_field(const struct provider_cb_req *r, const char *name, char *out, size_t outlen)
{
	const char *const *kv = r->ctx;

	for (size_t i = 0; kv[i]; i += 2)
		if (strcmp(kv[i], name) == 0) {
			if (strlen(kv[i + 1]) >= outlen)
				return -1;
			memcpy(out, kv[i + 1], strlen(kv[i + 1]) + 1);
			return 0;
		}
	return -1;
}

static void
cb_get_needs(void **state)
{
	static const char *const kv[] = { "from", "13800138000", "text", "", "long", "0123456789",
					   NULL };
	const struct provider_cb_req r = { pairs_field, (void *)kv };
	char out[8], err[128];

	(void)state;
	assert_int_equal(provider_cb_get(&r, "text", PROVIDER_CB_PRESENT, out, sizeof(out), err,
					 sizeof(err)), 0);
	assert_string_equal(out, "");
	assert_int_equal(provider_cb_get(&r, "text", PROVIDER_CB_REQUIRED, out, sizeof(out), err,
					 sizeof(err)), -1);
	assert_string_equal(err, "field \"text\" is missing, empty or longer than 7 bytes");
	assert_int_equal(provider_cb_get(&r, "to", PROVIDER_CB_PRESENT, out, sizeof(out), err,
					 sizeof(err)), -1);
	assert_string_equal(err, "field \"to\" is missing or longer than 7 bytes");
	assert_int_equal(provider_cb_get(&r, "long", PROVIDER_CB_REQUIRED, out, sizeof(out), err,
					 sizeof(err)), -1);
	memcpy(out, "stale", 6);
	assert_int_equal(provider_cb_get(&r, "long", PROVIDER_CB_OPTIONAL, out, sizeof(out), err,
					 sizeof(err)), 0);
	assert_string_equal(out, ""); /* too long for out: as if absent */
	assert_int_equal(provider_cb_get(&r, "to", PROVIDER_CB_OPTIONAL, out, sizeof(out), NULL, 0),
			 0);
	assert_string_equal(out, "");
}

/* Through the ops table: each backend reads its own format, into a
 * report or reply cleared of what it held before. */
static void
cb_parse_by_type(void **state)
{
	static const char *const sim_mo[] = { "from", "+8613800138000", "text", "", NULL };
	static const char *const k_dlr[] = { "ref", "duban-9", "type", "1", NULL };
	static const char *const k_bad[] = { "ref", "duban-9", "type", "delivered", NULL };
	struct diag d = { 0 };
	struct provider_cb_req r = { pairs_field, NULL };
	struct provider_dlr dlr;
	struct provider_mo mo;
	char err[256];
	size_t n = 0;
	struct provider_conf *p;

	(void)state;
	setenv("DUBAN_TEST_KPASS", "x", 1);
	p = parse("providers = ( { name = \"sim\"; type = \"http\"; url = \"http://h/\"; },\n"
		  "  { name = \"k\"; type = \"kannel\"; url = \"http://k/\"; username = \"u\";\n"
		  "    password = \"{{env.DUBAN_TEST_KPASS}}\"; } );", &n, &d);
	dump(&d);
	assert_non_null(p);
	assert_int_equal(n, 2);
	r.ctx = (void *)sim_mo;
	memcpy(mo.to, "stale", 6);
	assert_int_equal(provider_mo_parse(&p[0], &r, &mo, err, sizeof(err)), 0);
	assert_string_equal(mo.from, "+8613800138000");
	assert_string_equal(mo.text, ""); /* an empty reply is still a reply */
	assert_string_equal(mo.to, "");
	assert_int_equal(provider_dlr_parse(&p[0], &r, &dlr, err, sizeof(err)), -1);
	assert_string_equal(err, "field \"msgid\" is missing, empty or longer than 127 bytes");
	r.ctx = (void *)k_dlr;
	assert_int_equal(provider_dlr_parse(&p[1], &r, &dlr, err, sizeof(err)), 0);
	assert_string_equal(dlr.ref, "duban-9");
	assert_int_equal(dlr.state, PROVIDER_DLR_DELIVERED);
	assert_string_equal(dlr.reason, "kannel type 1");
	r.ctx = (void *)k_bad;
	assert_int_equal(provider_dlr_parse(&p[1], &r, &dlr, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "field \"type\" must be Kannel's %d"));
	provider_conf_free(p, n);
}

/* The types a message names are the registry's. */
static void
type_errors_name_the_types(void **state)
{
	struct diag d = { 0 };
	size_t n = 0;

	(void)state;
	assert_null(parse("providers = ( { name = \"x\"; url = \"http://h/\"; },\n"
			  "  { name = \"y\"; type = \"HTTP\"; url = \"http://h/\"; } );", &n, &d));
	dump(&d);
	assert_true(diag_has(&d, "test.cfg:1: provider 'x' needs a 'type' (\"http\" or \"kannel\")"));
	assert_true(diag_has(&d, "test.cfg:2: provider type must be \"http\" or \"kannel\", "
				  "not \"HTTP\""));
	diag_clear(&d);
}

static void
msg_ref_stable(void **state)
{
	char a[40], b[40];

	(void)state;
	provider_msg_ref(123456789012LL, a, sizeof(a));
	provider_msg_ref(123456789012LL, b, sizeof(b));
	assert_string_equal(a, "duban-123456789012");
	assert_string_equal(a, b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(url_escape_chinese),
		cmocka_unit_test(url_escape_bounded),
		cmocka_unit_test(escape_in_steps),
		cmocka_unit_test(json_escape_all),
		cmocka_unit_test(http_default_is_sim_json),
		cmocka_unit_test(http_get_query_with_secret),
		cmocka_unit_test(http_form_body),
		cmocka_unit_test(http_header_line_break_refused),
		cmocka_unit_test(config_errors_have_lines),
		cmocka_unit_test(config_words),
		cmocka_unit_test(http_classify_defaults),
		cmocka_unit_test(http_classify_rules),
		cmocka_unit_test(http_classify_otherwise_temporary),
		cmocka_unit_test(kannel_build_query),
		cmocka_unit_test(kannel_classify_codes),
		cmocka_unit_test(cb_get_needs),
		cmocka_unit_test(cb_parse_by_type),
		cmocka_unit_test(type_errors_name_the_types),
		cmocka_unit_test(msg_ref_stable),
	};
	return cmocka_run_group_tests_name("provider", tests, NULL, NULL);
}
