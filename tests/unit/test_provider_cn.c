/*
 * test_provider_cn.c - the Alibaba Cloud and Tencent Cloud backends: both
 * signatures against the worked examples of the providers' documentation,
 * the exact requests of SendSms / SendBatchSms / Tencent SendSms, the one
 * table of error classes, the classification of replies (Tencent's
 * per-number rows included), delivery reports and replies, and the
 * configuration of approved templates with the line of each mistake.
 */
#include "unit.h"

#include <fcntl.h>
#include <libconfig.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "provider/provider.h"
#include "provider/provider_int.h"
#include "base/buf.h"
#include "base/diag.h"

#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* ---- signatures ------------------------------------------------------------ */

/*
 * Alibaba Cloud's worked example of signature V3 ("V3版本请求体&签名机制",
 * help.aliyun.com/zh/sdk/product-overview/v3-request-structure-and-signature):
 * RunInstances at ecs.cn-shanghai, every input fixed, the documented
 * signature 06563a9e....
 */
static void
acs3_documented_example(void **state)
{
	const struct provider_hdr h[] = {
		{ "host", "ecs.cn-shanghai.aliyuncs.com" },
		{ "x-acs-action", "RunInstances" },
		{ "x-acs-content-sha256", EMPTY_SHA256 },
		{ "x-acs-date", "2023-10-26T10:22:32Z" },
		{ "x-acs-signature-nonce", "3156853299f313e23d1673dc12e1703d" },
		{ "x-acs-version", "2014-05-26" },
	};
	struct buf auth;
	char hash[65], date[21];

	(void)state;
	provider_sha256_hex("", 0, hash);
	assert_string_equal(hash, EMPTY_SHA256);
	provider_acs3_date(1698315752, date);
	assert_string_equal(date, "2023-10-26T10:22:32Z");
	buf_init(&auth, 4096);
	assert_int_equal(provider_acs3_sign("POST", "/",
					    "ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd"
					    "&RegionId=cn-shanghai",
					    h, 6, EMPTY_SHA256, "YourAccessKeyId", "YourAccessKeySecret",
					    &auth),
			 0);
	assert_string_equal(auth.data,
			    "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;"
			    "x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;"
			    "x-acs-version,Signature="
			    "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0");
	buf_free(&auth);
}

/*
 * Tencent Cloud's worked example of TC3-HMAC-SHA256 (the "Signature v3" /
 * "签名方法 v3" page every product's API documentation carries):
 * DescribeInstances of cvm at 1551113065 with the documented key and
 * payload; the documented payload hash 35e9c5b0..., and signature
 * 72e494ea....
 */
static void
tc3_documented_example(void **state)
{
	static const char payload[] = "{\"Limit\": 1, \"Filters\": [{\"Values\": "
				      "[\"\\u672a\\u547d\\u540d\"], \"Name\": \"instance-name\"}]}";
	struct buf auth;
	char hash[65];

	(void)state;
	provider_sha256_hex(payload, strlen(payload), hash);
	assert_string_equal(hash, "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064");
	buf_init(&auth, 4096);
	assert_int_equal(provider_tc3_sign("cvm.tencentcloudapi.com",
					   "application/json; charset=utf-8", payload,
					   strlen(payload), 1551113065, "cvm",
					   "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
					   "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", &auth),
			 0);
	assert_string_equal(auth.data,
			    "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/"
			    "2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, "
			    "Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168");
	buf_free(&auth);
}

static void
nonce_is_fresh(void **state)
{
	char a[33], b[33];

	(void)state;
	assert_int_equal(provider_nonce(a, sizeof(a)), 0);
	assert_int_equal(provider_nonce(b, sizeof(b)), 0);
	assert_int_equal(strlen(a), 32);
	assert_string_not_equal(a, b);
	assert_int_equal(provider_nonce(a, 32), -1); /* no room for the NUL */
}

/* ---- configuration ------------------------------------------------------------ */

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

/* The two groups of the documentation, pointed at loopback. */
static const char both[] =
	"providers = (\n"
	"  { name = \"aliyun\"; type = \"aliyun\";\n"                                     /* 2 */
	"    access_key_id = \"{{env.T_ALIYUN_ID}}\"; access_key_secret = \"{{env.T_ALIYUN_SECRET}}\";\n"
	"    endpoint = \"http://127.0.0.1:8080\";\n"
	"    sign_name = \"小雄镇人民政府\";\n"
	"    templates = {\n"
	"      reminder = { code = \"SMS_100001\";\n"
	"        text = \"您牵头的“${task}”将于${deadline}到期，请抓紧办理。回复“完成${code}”办结。\";\n"
	"        params = { task = \"{{task.title}}\"; deadline = \"{{task.deadline|md}}\";\n"
	"                   code = \"{{task.code}}\"; }; };\n"
	"    }; },\n"
	"  { name = \"tencent\"; type = \"tencent\";\n"                                   /* 12 */
	"    secret_id = \"{{env.T_TC_ID}}\"; secret_key = \"{{env.T_TC_KEY}}\";\n"
	"    sdk_app_id = \"1400000001\"; endpoint = \"http://127.0.0.1:8081/\";\n"
	"    sign_name = \"小雄镇人民政府\"; batch = 100; max_param = 20; halt_retry = \"5m\";\n"
	"    limits = { per_number_hour = 3; per_number_day = 8; };\n"
	"    templates = {\n"
	"      reminder = { id = \"100001\";\n"
	"        text = \"您牵头的“{1}”将于{2}到期，请抓紧办理。回复“完成{3}”办结。\";\n"
	"        params = [ \"{{task.title}}\", \"{{task.deadline|md}}\", \"{{task.code}}\" ]; };\n"
	"    }; } );\n";

static void
set_keys(void)
{
	setenv("T_ALIYUN_ID", "LTAI5tTestKeyId", 1);
	setenv("T_ALIYUN_SECRET", "TestSecret0123456789", 1);
	setenv("T_TC_ID", "AKIDTestSecretId", 1);
	setenv("T_TC_KEY", "TestKey0123456789", 1);
}

static void
config_both(void **state)
{
	struct diag d = { 0 };
	struct provider_conf *p;
	size_t n = 0;

	(void)state;
	set_keys();
	p = parse(both, &n, &d);
	dump(&d);
	assert_non_null(p);
	assert_int_equal(n, 2);
	assert_true(p[0].templated);
	assert_string_equal(p[0].sign_name, "小雄镇人民政府");
	assert_int_equal(p[0].nbindings, 1);
	assert_string_equal(p[0].bindings[0].tmpl, "reminder");
	assert_string_equal(p[0].bindings[0].code, "SMS_100001");
	assert_int_equal(p[0].bindings[0].nparam, 3);
	assert_string_equal(p[0].bindings[0].pname[1], "deadline");
	assert_string_equal(p[0].bindings[0].pexpr[1], "{{task.deadline|md}}");
	assert_int_equal(p[0].bindings[0].pline[2], 10);
	assert_int_equal(p[0].batch, 1000); /* the defaults */
	assert_int_equal(p[0].max_param, 35);
	assert_int_equal(p[0].per_number_hour, -1);
	assert_int_equal(p[0].halt_retry_ms, 600000);
	assert_string_equal(p[1].bindings[0].code, "100001");
	assert_string_equal(p[1].bindings[0].pname[2], "3");
	assert_string_equal(p[1].bindings[0].pexpr[2], "{{task.code}}");
	assert_int_equal(p[1].batch, 100);
	assert_int_equal(p[1].max_param, 20);
	assert_int_equal(p[1].per_number_hour, 3);
	assert_int_equal(p[1].per_number_day, 8);
	assert_int_equal(p[1].halt_retry_ms, 300000);
	provider_conf_free(p, n);
	diag_clear(&d);
}

/* One bad group, and the one message it must get. */
static void
config_refused(const char *group, const char *want)
{
	char text[4096];
	struct diag d = { 0 };
	struct provider_conf *p;
	size_t n = 0;

	snprintf(text, sizeof(text), "providers = (\n%s );\n", group);
	p = parse(text, &n, &d);
	if (!diag_has(&d, want)) {
		dump(&d);
		fprintf(stderr, "# wanted: %s\n", want);
	}
	assert_null(p);
	assert_true(diag_has(&d, want));
	diag_clear(&d);
}

#define ALIYUN_HEAD                                                                         \
	"{ name = \"a\"; type = \"aliyun\"; access_key_id = \"{{env.T_ALIYUN_ID}}\";\n"     \
	"  access_key_secret = \"{{env.T_ALIYUN_SECRET}}\";\n"
#define TENCENT_HEAD                                                                        \
	"{ name = \"t\"; type = \"tencent\"; secret_id = \"{{env.T_TC_ID}}\";\n"            \
	"  secret_key = \"{{env.T_TC_KEY}}\"; sdk_app_id = \"1400000001\";\n"

static void
config_errors_have_lines(void **state)
{
	(void)state;
	set_keys();
	/* a placeholder without a value, at the text's line */
	config_refused(ALIYUN_HEAD "  sign_name = \"镇\";\n  templates = { r = { code = \"SMS_1\";\n"
		       "    text = \"${task}于${deadline}到期\";\n"
		       "    params = { task = \"{{task.title}}\"; }; }; }; }",
		       "test.cfg:6: template 'r': placeholder ${deadline} has no value in 'params'");
	/* a value without a placeholder, at the value's line */
	config_refused(ALIYUN_HEAD "  sign_name = \"镇\";\n  templates = { r = { code = \"SMS_1\";\n"
		       "    text = \"${task}到期\";\n    params = { task = \"{{task.title}}\";\n"
		       "      code = \"{{task.code}}\"; }; }; }; }",
		       "test.cfg:8: template 'r': value code has no placeholder ${code} in 'text'");
	/* Tencent: {3} with two values; a fourth value with no {4} */
	config_refused(TENCENT_HEAD "  sign_name = \"镇\";\n  templates = { r = { id = \"1\";\n"
		       "    text = \"{1}于{2}到期，回复{3}\";\n"
		       "    params = [ \"{{task.title}}\", \"{{task.deadline}}\" ]; }; }; }",
		       "test.cfg:6: template 'r': placeholder {3} has no value in 'params' (it has 2)");
	config_refused(TENCENT_HEAD "  sign_name = \"镇\";\n  templates = { r = { id = \"1\";\n"
		       "    text = \"{1}到期\";\n"
		       "    params = [ \"{{task.title}}\",\n \"{{task.code}}\" ]; }; }; }",
		       "test.cfg:8: template 'r': value 2 has no placeholder {2} in 'text'");
	/* Aliyun's key on Tencent: 'code' is Tencent's 'id' */
	config_refused(TENCENT_HEAD "  sign_name = \"镇\";\n  templates = { r = { code = \"1\";\n"
		       "    text = \"到期\"; }; }; }",
		       "unknown");
	/* a template type needs its signature and templates */
	config_refused(ALIYUN_HEAD "  templates = { r = { code = \"SMS_1\"; text = \"到期\"; }; }; }",
		       "test.cfg:2: provider 'a' needs 'sign_name'");
	config_refused(ALIYUN_HEAD "  sign_name = \"镇\"; }", "provider 'a' needs 'templates'");
	config_refused(ALIYUN_HEAD "  sign_name = \"【镇】\";\n  templates = { r = { code = \"S\"; "
		       "text = \"到期\"; }; }; }",
		       "test.cfg:4: 'sign_name' must not contain 【 or 】");
	/* a free-text key on a template type, a template key on a free-text type */
	config_refused(ALIYUN_HEAD "  url = \"http://x/\"; sign_name = \"镇\";\n"
		       "  templates = { r = { code = \"S\"; text = \"到期\"; }; }; }",
		       "test.cfg:4:");
	config_refused("{ name = \"h\"; type = \"http\"; url = \"http://x/\";\n"
		       "  sign_name = \"镇\"; }",
		       "test.cfg:3: 'sign_name' is only for template providers");
	/* batch above what the provider takes */
	config_refused(TENCENT_HEAD "  sign_name = \"镇\"; batch = 201;\n"
		       "  templates = { r = { id = \"1\"; text = \"到期\"; }; }; }",
		       "test.cfg:4:");
	/* a missing key */
	config_refused("{ name = \"a\"; type = \"aliyun\"; access_key_id = \"x\"; sign_name = \"镇\";\n"
		       "  templates = { r = { code = \"S\"; text = \"到期\"; }; }; }",
		       "test.cfg:2: this provider needs 'access_key_secret'");
}

/* A secret never shows in what is reported about the configuration. */
static void
config_errors_hide_secrets(void **state)
{
	struct diag d = { 0 };
	struct provider_conf *p;
	size_t n = 0;

	(void)state;
	set_keys();
	p = parse("providers = ( " ALIYUN_HEAD "  endpoint = \"ftp://x\"; sign_name = \"\";\n"
		  "  templates = { r = { code = \"S\"; text = \"${a}\"; }; }; } );", &n, &d);
	assert_null(p);
	assert_true(d.n >= 3);
	for (size_t i = 0; i < d.n; i++) {
		assert_null(strstr(d.line[i], "TestSecret0123456789"));
		assert_null(strstr(d.line[i], "LTAI5tTestKeyId"));
	}
	diag_clear(&d);
}

/* ---- requests ------------------------------------------------------------------ */

static const char *const vals[] = { "梅岙塘项目", "12月31日", "T12" };
static const char *const vals_b[] = { "梅岙塘项目", "1月5日", "T12" };

static const char *
header(const struct provider_req *req, const char *name, char *out, size_t outlen)
{
	const char *p = req->headers.data;
	size_t nl = strlen(name);

	for (; p && *p; p = strchr(p, '\n') + 1) {
		if (strncmp(p, name, nl) == 0 && p[nl] == ':' && p[nl + 1] == ' ') {
			size_t l = strcspn(p + nl + 2, "\n");
			snprintf(out, outlen, "%.*s", (int)l, p + nl + 2);
			return out;
		}
	}
	return NULL;
}

static void
aliyun_send_sms_request(void **state)
{
	struct diag d = { 0 };
	struct provider_conf *p;
	struct provider_req req;
	struct provider_msg m[2];
	char err[256], h[512];
	size_t n = 0;

	(void)state;
	set_keys();
	p = parse(both, &n, &d);
	assert_non_null(p);
	m[0] = (struct provider_msg){ .id = 42, .phone = "+8613800138000", .text = "",
				      .signature = "", .binding = &p[0].bindings[0], .values = vals };
	m[1] = m[0];
	m[1].id = 43;
	m[1].phone = "+8613900139000";
	provider_req_init(&req);
	assert_int_equal(provider_aliyun_build_at(&p[0], m, 2, 1796112000,
						  "0123456789abcdef0123456789abcdef", &req, err,
						  sizeof(err)),
			 0);
	/* Expected values computed independently with Python's urllib.parse.quote
	 * (safe "-._~"), hashlib and hmac over the same inputs. */
	assert_string_equal(req.url.data,
		"http://127.0.0.1:8080/?PhoneNumbers=13800138000%2C13900139000&SignName=%E5%B0%8F"
		"%E9%9B%84%E9%95%87%E4%BA%BA%E6%B0%91%E6%94%BF%E5%BA%9C&TemplateCode=SMS_100001&T"
		"emplateParam=%7B%22task%22%3A%22%E6%A2%85%E5%B2%99%E5%A1%98%E9%A1%B9%E7%9B%AE%22"
		"%2C%22deadline%22%3A%2212%E6%9C%8831%E6%97%A5%22%2C%22code%22%3A%22T12%22%7D");
	assert_true(req.post);
	assert_string_equal(req.body.data, "");
	assert_string_equal(header(&req, "x-acs-action", h, sizeof(h)), "SendSms");
	assert_string_equal(header(&req, "x-acs-version", h, sizeof(h)), "2017-05-25");
	assert_string_equal(header(&req, "x-acs-date", h, sizeof(h)), "2026-12-01T08:00:00Z");
	assert_string_equal(header(&req, "host", h, sizeof(h)), "127.0.0.1:8080");
	assert_string_equal(header(&req, "Authorization", h, sizeof(h)),
		"ACS3-HMAC-SHA256 Credential=LTAI5tTestKeyId,SignedHeaders=host;x-acs-action;"
		"x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature="
		"61018e50bc91abf8e32c83863e4481ecb7568ba76a61d37e7a2bd21a9d367fad");
	/* one message: OutId carries duban's reference */
	provider_req_reset(&req);
	assert_int_equal(provider_build_batch(&p[0], m, 1, &req, err, sizeof(err)), 0);
	assert_non_null(strstr(req.url.data, "/?OutId=duban-42&PhoneNumbers=13800138000&"));
	assert_non_null(header(&req, "x-acs-signature-nonce", h, sizeof(h)));
	assert_int_equal(strlen(h), 32);
	/* free text cannot go through a template provider */
	m[0].binding = NULL;
	provider_req_reset(&req);
	assert_int_equal(provider_build(&p[0], m, &req, err, sizeof(err)), -1);
	assert_string_equal(err, "provider 'aliyun' carries only approved templates, not free text");
	provider_req_free(&req);
	provider_conf_free(p, n);
	diag_clear(&d);
}

static void
aliyun_send_batch_sms_request(void **state)
{
	struct diag d = { 0 };
	struct provider_conf *p;
	struct provider_req req;
	struct provider_msg m[101];
	char err[256], h[512];
	size_t n = 0;

	(void)state;
	set_keys();
	p = parse(both, &n, &d);
	assert_non_null(p);
	for (size_t i = 0; i < 101; i++)
		m[i] = (struct provider_msg){ .id = 42, .phone = "+8613800138000", .text = "",
					      .signature = "", .binding = &p[0].bindings[0],
					      .values = vals };
	m[1].phone = "+8613900139000";
	m[1].values = vals_b;
	provider_req_init(&req);
	assert_int_equal(provider_aliyun_build_at(&p[0], m, 2, 1796112000,
						  "0123456789abcdef0123456789abcdef", &req, err,
						  sizeof(err)),
			 0);
	assert_string_equal(req.url.data,
		"http://127.0.0.1:8080/?PhoneNumberJson=%5B%2213800138000%22%2C%2213900139000%22%"
		"5D&SignNameJson=%5B%22%E5%B0%8F%E9%9B%84%E9%95%87%E4%BA%BA%E6%B0%91%E6%94%BF%E5%"
		"BA%9C%22%2C%22%E5%B0%8F%E9%9B%84%E9%95%87%E4%BA%BA%E6%B0%91%E6%94%BF%E5%BA%9C%22"
		"%5D&TemplateCode=SMS_100001&TemplateParamJson=%5B%7B%22task%22%3A%22%E6%A2%85%E5"
		"%B2%99%E5%A1%98%E9%A1%B9%E7%9B%AE%22%2C%22deadline%22%3A%2212%E6%9C%8831%E6%97%A"
		"5%22%2C%22code%22%3A%22T12%22%7D%2C%7B%22task%22%3A%22%E6%A2%85%E5%B2%99%E5%A1%9"
		"8%E9%A1%B9%E7%9B%AE%22%2C%22deadline%22%3A%221%E6%9C%885%E6%97%A5%22%2C%22code%2"
		"2%3A%22T12%22%7D%5D");
	assert_string_equal(header(&req, "x-acs-action", h, sizeof(h)), "SendBatchSms");
	assert_string_equal(header(&req, "Authorization", h, sizeof(h)),
		"ACS3-HMAC-SHA256 Credential=LTAI5tTestKeyId,SignedHeaders=host;x-acs-action;"
		"x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature="
		"92be24197e8846c7eaf234fc94c12bad352bbe0780742211890aa9ac6aaeac56");
	/* SendBatchSms takes 100 numbers */
	provider_req_reset(&req);
	assert_int_equal(provider_build_batch(&p[0], m, 100, &req, err, sizeof(err)), 0);
	provider_req_reset(&req);
	assert_int_equal(provider_build_batch(&p[0], m, 101, &req, err, sizeof(err)), -1);
	assert_string_equal(err, "101 numbers in one request: provider 'aliyun' takes at most 100");
	provider_req_free(&req);
	provider_conf_free(p, n);
	diag_clear(&d);
}

static void
tencent_send_sms_request(void **state)
{
	struct diag d = { 0 };
	struct provider_conf *p;
	struct provider_req req;
	struct provider_msg m[2];
	char err[256], h[512];
	size_t n = 0;

	(void)state;
	set_keys();
	p = parse(both, &n, &d);
	assert_non_null(p);
	m[0] = (struct provider_msg){ .id = 42, .phone = "+8613800138000", .text = "",
				      .signature = "", .binding = &p[1].bindings[0], .values = vals };
	provider_req_init(&req);
	assert_int_equal(provider_tencent_build_at(&p[1], m, 1, 1796112000, &req, err, sizeof(err)),
			 0);
	assert_string_equal(req.url.data, "http://127.0.0.1:8081/");
	assert_true(req.post);
	assert_string_equal(req.body.data,
			    "{\"PhoneNumberSet\":[\"+8613800138000\"],\"SmsSdkAppId\":\"1400000001\","
			    "\"SignName\":\"小雄镇人民政府\",\"TemplateId\":\"100001\","
			    "\"TemplateParamSet\":[\"梅岙塘项目\",\"12月31日\",\"T12\"],"
			    "\"SessionContext\":\"duban-42\"}");
	assert_string_equal(header(&req, "Content-Type", h, sizeof(h)),
			    "application/json; charset=utf-8");
	assert_string_equal(header(&req, "X-TC-Action", h, sizeof(h)), "SendSms");
	assert_string_equal(header(&req, "X-TC-Version", h, sizeof(h)), "2021-01-11");
	assert_string_equal(header(&req, "X-TC-Timestamp", h, sizeof(h)), "1796112000");
	assert_string_equal(header(&req, "X-TC-Region", h, sizeof(h)), "ap-guangzhou");
	/* Expected signature computed independently with Python's hashlib and hmac. */
	assert_string_equal(header(&req, "Authorization", h, sizeof(h)),
			    "TC3-HMAC-SHA256 Credential=AKIDTestSecretId/2026-12-01/sms/tc3_request, "
			    "SignedHeaders=content-type;host, Signature="
			    "fefbe0434d9319d954fc7aba71463299f99f7ccf26ace5d3ed7027d4b1e38de0");
	/* two numbers share the values: one request, no SessionContext */
	m[1] = m[0];
	m[1].phone = "+8613900139000";
	provider_req_reset(&req);
	assert_int_equal(provider_build_batch(&p[1], m, 2, &req, err, sizeof(err)), 0);
	assert_non_null(strstr(req.body.data, "[\"+8613800138000\",\"+8613900139000\"]"));
	assert_null(strstr(req.body.data, "SessionContext"));
	/* values of their own: one number per request */
	m[1].values = vals_b;
	provider_req_reset(&req);
	assert_int_equal(provider_build_batch(&p[1], m, 2, &req, err, sizeof(err)), -1);
	provider_req_free(&req);
	provider_conf_free(p, n);
	diag_clear(&d);
}

/* ---- error classes ------------------------------------------------------------ */

static void
error_classes(void **state)
{
	long w = -7;

	(void)state;
	/* per message, permanent */
	assert_int_equal(provider_cn_class("aliyun", "isv.MOBILE_NUMBER_ILLEGAL", "", &w),
			 PROVIDER_PERMANENT);
	assert_int_equal(w, 0);
	assert_int_equal(provider_cn_class("aliyun", "isv.BLACK_KEY_CONTROL_LIMIT", "", NULL),
			 PROVIDER_PERMANENT);
	assert_int_equal(provider_cn_class("tencent", "InvalidParameterValue.IncorrectPhoneNumber",
					   "", NULL),
			 PROVIDER_PERMANENT);
	assert_int_equal(provider_cn_class("tencent", "FailedOperation.PhoneNumberInBlacklist", "",
					   NULL),
			 PROVIDER_PERMANENT);
	/* transient */
	assert_int_equal(provider_cn_class("aliyun", "isp.SYSTEM_ERROR", "", NULL),
			 PROVIDER_TRANSIENT);
	assert_int_equal(provider_cn_class("aliyun", "Throttling.User", "", NULL), PROVIDER_TRANSIENT);
	assert_int_equal(provider_cn_class("aliyun", "SignatureNonceUsed", "", NULL),
			 PROVIDER_TRANSIENT);
	assert_int_equal(provider_cn_class("tencent", "InternalError.Timeout", "", NULL),
			 PROVIDER_TRANSIENT);
	assert_int_equal(provider_cn_class("tencent", "RequestLimitExceeded", "", NULL),
			 PROVIDER_TRANSIENT);
	/* per-number windows, with their length */
	assert_int_equal(provider_cn_class("aliyun", "isv.BUSINESS_LIMIT_CONTROL",
					   "触发分钟级流控Permits:1", &w),
			 PROVIDER_LIMITED);
	assert_int_equal(w, 60);
	assert_int_equal(provider_cn_class("aliyun", "isv.BUSINESS_LIMIT_CONTROL",
					   "触发小时级流控Permits:5", &w),
			 PROVIDER_LIMITED);
	assert_int_equal(w, 3600);
	assert_int_equal(provider_cn_class("aliyun", "isv.BUSINESS_LIMIT_CONTROL",
					   "触发天级流控Permits:10", &w),
			 PROVIDER_LIMITED);
	assert_true(w >= 1 && w <= 86400); /* until midnight in China */
	assert_int_equal(provider_cn_class("tencent", "LimitExceeded.PhoneNumberThirtySecondLimit",
					   "", &w),
			 PROVIDER_LIMITED);
	assert_int_equal(w, 30);
	assert_int_equal(provider_cn_class("tencent", "LimitExceeded.PhoneNumberOneHourLimit", "",
					   &w),
			 PROVIDER_LIMITED);
	assert_int_equal(w, 3600);
	assert_int_equal(provider_cn_class("tencent", "LimitExceeded.PhoneNumberDailyLimit", "", &w),
			 PROVIDER_LIMITED);
	assert_true(w >= 1 && w <= 86400);
	/* halted */
	static const char *const halted_aliyun[] = {
		"isv.AMOUNT_NOT_ENOUGH", "isv.OUT_OF_SERVICE", "isv.DAY_LIMIT_CONTROL",
		"SignatureDoesNotMatch", "InvalidAccessKeyId.NotFound", "isv.SMS_SIGNATURE_ILLEGAL",
		"isv.SMS_TEMPLATE_ILLEGAL", NULL
	};
	static const char *const halted_tencent[] = {
		"FailedOperation.InsufficientBalanceInSmsPackage",
		"UnauthorizedOperation.SerivceSuspendDueToArrears", "AuthFailure.SignatureFailure",
		"AuthFailure.SecretIdNotFound", "FailedOperation.SignatureIncorrectOrUnapproved",
		"FailedOperation.TemplateIncorrectOrUnapproved", NULL
	};
	for (size_t i = 0; halted_aliyun[i]; i++)
		assert_int_equal(provider_cn_class("aliyun", halted_aliyun[i], "", NULL),
				 PROVIDER_HALTED);
	for (size_t i = 0; halted_tencent[i]; i++)
		assert_int_equal(provider_cn_class("tencent", halted_tencent[i], "", NULL),
				 PROVIDER_HALTED);
	/* one provider's code means nothing to the other; unknown: permanent */
	assert_int_equal(provider_cn_class("tencent", "isv.AMOUNT_NOT_ENOUGH", "", NULL),
			 PROVIDER_PERMANENT);
	assert_int_equal(provider_cn_class("aliyun", "isv.SOMETHING_NEW", "", NULL),
			 PROVIDER_PERMANENT);
	assert_string_equal(provider_result_name(PROVIDER_LIMITED), "limited");
	assert_string_equal(provider_result_name(PROVIDER_HALTED), "halted");
}

/* ---- replies --------------------------------------------------------------------- */

/* The parsed configuration and two messages bound to provider k's template. */
struct fixture {
	struct diag d;
	struct provider_conf *p;
	size_t n;
	struct provider_msg m[3];
};

static void
fixture_open(struct fixture *f, size_t k)
{
	memset(f, 0, sizeof(*f));
	set_keys();
	f->p = parse(both, &f->n, &f->d);
	assert_non_null(f->p);
	for (size_t i = 0; i < 3; i++)
		f->m[i] = (struct provider_msg){ .id = 42 + (int64_t)i, .phone = "+8613800138000",
						 .text = "", .signature = "",
						 .binding = &f->p[k].bindings[0], .values = vals };
	f->m[1].phone = "+8613900139000";
	f->m[2].phone = "+8613700137000";
}

static void
fixture_close(struct fixture *f)
{
	provider_conf_free(f->p, f->n);
	diag_clear(&f->d);
}

static void
classify(const struct provider_conf *pc, const struct provider_msg *m, size_t n, long status,
	 const char *body, struct provider_verdict *v)
{
	const struct provider_reply r = { status, body, strlen(body) };

	provider_classify_batch(pc, m, n, &r, v);
}

static void
aliyun_replies(void **state)
{
	struct fixture f;
	struct provider_verdict v[3];

	(void)state;
	fixture_open(&f, 0);
	classify(&f.p[0], f.m, 2, 200,
		 "{\"Code\":\"OK\",\"Message\":\"OK\",\"BizId\":\"9006197469364984^0\","
		 "\"RequestId\":\"F655A8D5\"}",
		 v);
	assert_int_equal(v[0].result, PROVIDER_ACCEPTED);
	assert_string_equal(v[0].ref, "9006197469364984^0:13800138000");
	assert_string_equal(v[1].ref, "9006197469364984^0:13900139000");
	/* a request-level refusal applies to every row */
	classify(&f.p[0], f.m, 2, 200,
		 "{\"Code\":\"isv.AMOUNT_NOT_ENOUGH\",\"Message\":\"账户余额不足\"}", v);
	assert_int_equal(v[0].result, PROVIDER_HALTED);
	assert_int_equal(v[1].result, PROVIDER_HALTED);
	assert_string_equal(v[1].code, "isv.AMOUNT_NOT_ENOUGH");
	assert_string_equal(v[1].reason, "isv.AMOUNT_NOT_ENOUGH: 账户余额不足");
	classify(&f.p[0], f.m, 1, 200,
		 "{\"Code\":\"isv.BUSINESS_LIMIT_CONTROL\",\"Message\":\"触发小时级流控Permits:5\"}",
		 v);
	assert_int_equal(v[0].result, PROVIDER_LIMITED);
	assert_int_equal(v[0].wait_s, 3600);
	/* a batch refused because of one bad number: that one is dropped,
	 * the others go again */
	f.m[1].phone = "+861390013";
	classify(&f.p[0], f.m, 3, 200,
		 "{\"Code\":\"isv.MOBILE_NUMBER_ILLEGAL\",\"Message\":\"非法手机号\"}", v);
	assert_int_equal(v[1].result, PROVIDER_PERMANENT);
	assert_true(v[1].drop);
	assert_int_equal(v[0].result, PROVIDER_TRANSIENT);
	assert_false(v[0].drop);
	assert_int_equal(v[2].result, PROVIDER_TRANSIENT);
	/* values of their own (SendBatchSms), one of them with a link: that
	 * one is dropped */
	static const char *const vals_url[] = { "见 www.example.cn", "12月31日", "T12" };
	f.m[1].phone = "+8613900139000";
	f.m[2].values = vals_url;
	classify(&f.p[0], f.m, 3, 200,
		 "{\"Code\":\"isv.PARAM_NOT_SUPPORT_URL\",\"Message\":\"不支持url为变量\"}", v);
	assert_true(v[2].drop);
	assert_int_equal(v[2].result, PROVIDER_PERMANENT);
	assert_false(v[0].drop);
	assert_int_equal(v[0].result, PROVIDER_TRANSIENT);
	/* no culprit duban can tell: the refusal stands for every row */
	f.m[2].values = vals;
	classify(&f.p[0], f.m, 3, 200,
		 "{\"Code\":\"isv.BLACK_KEY_CONTROL_LIMIT\",\"Message\":\"黑名单管控\"}", v);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(v[i].result, PROVIDER_PERMANENT);
		assert_false(v[i].drop);
	}
	/* 5xx and a body that is not JSON */
	classify(&f.p[0], f.m, 1, 503, "<html>busy</html>", v);
	assert_int_equal(v[0].result, PROVIDER_TRANSIENT);
	assert_true(v[0].provider_fault);
	assert_string_equal(v[0].reason, "HTTP 503: <html>busy</html>");
	classify(&f.p[0], f.m, 1, 400, "{\"Code\":\"SignatureDoesNotMatch\",\"Message\":\"x\"}", v);
	assert_int_equal(v[0].result, PROVIDER_HALTED);
	assert_false(v[0].provider_fault);
	fixture_close(&f);
}

static void
tencent_replies(void **state)
{
	struct fixture f;
	struct provider_verdict v[3];

	(void)state;
	fixture_open(&f, 1);
	/* per-number rows, matched by number whatever their order */
	classify(&f.p[1], f.m, 3, 200,
		 "{\"Response\":{\"SendStatusSet\":["
		 "{\"SerialNo\":\"5000:104\",\"PhoneNumber\":\"+8613900139000\",\"Fee\":0,"
		 "\"Code\":\"LimitExceeded.PhoneNumberOneHourLimit\",\"Message\":\"1h limit\"},"
		 "{\"SerialNo\":\"5000:103\",\"PhoneNumber\":\"+8613800138000\",\"Fee\":2,"
		 "\"Code\":\"Ok\",\"Message\":\"send success\"},"
		 "{\"SerialNo\":\"\",\"PhoneNumber\":\"+8613700137000\",\"Fee\":0,"
		 "\"Code\":\"FailedOperation.PhoneNumberInBlacklist\",\"Message\":\"blacklist\"}],"
		 "\"RequestId\":\"a0aabda6\"}}",
		 v);
	assert_int_equal(v[0].result, PROVIDER_ACCEPTED);
	assert_string_equal(v[0].ref, "5000:103");
	assert_int_equal(v[0].parts, 2);
	assert_int_equal(v[1].result, PROVIDER_LIMITED);
	assert_int_equal(v[1].wait_s, 3600);
	assert_string_equal(v[1].ref, "");
	assert_int_equal(v[2].result, PROVIDER_PERMANENT);
	assert_string_equal(v[2].code, "FailedOperation.PhoneNumberInBlacklist");
	assert_string_equal(v[2].reason, "FailedOperation.PhoneNumberInBlacklist: blacklist");
	/* a row missing for a number */
	classify(&f.p[1], f.m, 2, 200,
		 "{\"Response\":{\"SendStatusSet\":[{\"SerialNo\":\"1\",\"PhoneNumber\":"
		 "\"+8613800138000\",\"Fee\":1,\"Code\":\"Ok\"}]}}",
		 v);
	assert_int_equal(v[0].result, PROVIDER_ACCEPTED);
	assert_int_equal(v[1].result, PROVIDER_TRANSIENT);
	/* a request-level error applies to every row */
	classify(&f.p[1], f.m, 2, 200,
		 "{\"Response\":{\"Error\":{\"Code\":\"AuthFailure.SignatureFailure\","
		 "\"Message\":\"The provided credentials could not be validated.\"},"
		 "\"RequestId\":\"x\"}}",
		 v);
	assert_int_equal(v[0].result, PROVIDER_HALTED);
	assert_int_equal(v[1].result, PROVIDER_HALTED);
	assert_string_equal(v[0].code, "AuthFailure.SignatureFailure");
	classify(&f.p[1], f.m, 1, 200,
		 "{\"Response\":{\"Error\":{\"Code\":\"InternalError.Timeout\",\"Message\":\"t\"}}}",
		 v);
	assert_int_equal(v[0].result, PROVIDER_TRANSIENT);
	fixture_close(&f);
}

/* ---- callbacks and the text the phone shows ---------------------------------------- */

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
callbacks(void **state)
{
	static const char *const a_dlr[] = {
		"phone_number", "13800138000", "biz_id", "9006197469364984^0", "out_id", "duban-42",
		"success", "false", "err_code", "MK:0001", "err_msg", "用户关机", "sms_size", "2",
		"send_time", "2026-12-01 16:00:00", "report_time", "2026-12-01 16:00:05", NULL
	};
	static const char *const a_bad[] = { "phone_number", "13800138000", "biz_id", "1",
					     "success", "yes", NULL };
	static const char *const a_mo[] = { "phone_number", "13800138000", "content", "完成T12",
					    "dest_code", "1234", "sequence_id", "1234567", NULL };
	static const char *const t_dlr[] = {
		"user_receive_time", "2026-12-01 16:00:05", "nationcode", "86", "mobile",
		"13800138000", "report_status", "SUCCESS", "errmsg", "DELIVRD", "description",
		"用户短信送达成功", "sid", "5000:103", NULL
	};
	static const char *const t_mo[] = { "extend", "", "mobile", "13800138000", "nationcode",
					    "86", "sign", "小雄镇人民政府", "text", "TD", "time",
					    "1796112000", NULL };
	struct fixture f;
	struct provider_cb_req r = { pairs_field, NULL };
	struct provider_dlr dlr;
	struct provider_mo mo;
	char err[256];

	(void)state;
	fixture_open(&f, 0);
	r.ctx = (void *)a_dlr;
	assert_int_equal(provider_dlr_parse(&f.p[0], &r, &dlr, err, sizeof(err)), 0);
	assert_string_equal(dlr.ref, "9006197469364984^0:13800138000"); /* as the send's ref */
	assert_int_equal(dlr.state, PROVIDER_DLR_FAILED);
	assert_string_equal(dlr.reason, "MK:0001 用户关机");
	assert_string_equal(dlr.phone, "13800138000");
	assert_int_equal(dlr.parts, 2);
	r.ctx = (void *)a_bad;
	assert_int_equal(provider_dlr_parse(&f.p[0], &r, &dlr, err, sizeof(err)), -1);
	assert_string_equal(err, "field \"success\" must be true or false, not \"yes\"");
	r.ctx = (void *)a_mo;
	assert_int_equal(provider_mo_parse(&f.p[0], &r, &mo, err, sizeof(err)), 0);
	assert_string_equal(mo.from, "13800138000");
	assert_string_equal(mo.text, "完成T12");
	assert_string_equal(mo.ref, "1234567");
	assert_string_equal(f.p[0].ops->cb_ok, "{\"code\":0,\"msg\":\"接收成功\"}");
	r.ctx = (void *)t_dlr;
	assert_int_equal(provider_dlr_parse(&f.p[1], &r, &dlr, err, sizeof(err)), 0);
	assert_string_equal(dlr.ref, "5000:103");
	assert_int_equal(dlr.state, PROVIDER_DLR_DELIVERED);
	assert_string_equal(dlr.reason, "DELIVRD 用户短信送达成功");
	assert_string_equal(dlr.phone, "13800138000");
	r.ctx = (void *)t_mo;
	assert_int_equal(provider_mo_parse(&f.p[1], &r, &mo, err, sizeof(err)), 0);
	assert_string_equal(mo.from, "13800138000");
	assert_string_equal(mo.text, "TD");
	assert_string_equal(f.p[1].ops->cb_ok, "{\"result\":0,\"errmsg\":\"OK\"}");
	fixture_close(&f);
}

static void
binding_render_text(void **state)
{
	struct fixture f;
	struct buf out;

	(void)state;
	fixture_open(&f, 0);
	buf_init(&out, 4096);
	assert_int_equal(provider_binding_render(&f.p[0], &f.p[0].bindings[0], vals, &out), 0);
	assert_string_equal(out.data, "【小雄镇人民政府】您牵头的“梅岙塘项目”将于12月31日到期，"
				      "请抓紧办理。回复“完成T12”办结。");
	buf_free(&out);
	buf_init(&out, 4096);
	assert_int_equal(provider_binding_render(&f.p[1], &f.p[1].bindings[0], vals, &out), 0);
	assert_string_equal(out.data, "【小雄镇人民政府】您牵头的“梅岙塘项目”将于12月31日到期，"
				      "请抓紧办理。回复“完成T12”办结。");
	buf_free(&out);
	buf_init(&out, 10);
	assert_int_equal(provider_binding_render(&f.p[1], &f.p[1].bindings[0], vals, &out), -1);
	assert_int_equal(out.len, 0);
	buf_free(&out);
	fixture_close(&f);
}

static void
binding_find_and_values(void **state)
{
	struct fixture f;
	char err[256], v36[200];
	size_t o = 0;

	(void)state;
	fixture_open(&f, 0);
	assert_ptr_equal(provider_binding_find(&f.p[0], "reminder"), &f.p[0].bindings[0]);
	assert_null(provider_binding_find(&f.p[0], "notice"));
	assert_int_equal(provider_param_check(&f.p[0], "梅岙塘项目", err, sizeof(err)), 0);
	for (int i = 0; i < 35; i++, o += 3)
		memcpy(v36 + o, "字", 3);
	v36[o] = '\0';
	assert_int_equal(provider_param_check(&f.p[0], v36, err, sizeof(err)), 0); /* 35: fits */
	memcpy(v36 + o, "a", 2);
	assert_int_equal(provider_param_check(&f.p[0], v36, err, sizeof(err)), -1);
	assert_string_equal(err, "the value has 36 characters, provider 'aliyun' takes at most 35 "
				 "(shorten it with a filter such as |max:35)");
	assert_int_equal(provider_param_check(&f.p[1], "见 HTTPS://x.cn/a", err, sizeof(err)), -1);
	assert_string_equal(err, "the value holds a link, which provider 'tencent' refuses");
	assert_int_equal(provider_param_check(&f.p[1], "a\nb", err, sizeof(err)), -1);
	fixture_close(&f);
}

/* ---- secrets from a file -------------------------------------------------------- */

/* A file of mode mode holding text, in a new directory; its path in out. */
static void
secret_file(const char *text, mode_t mode, char *dir, size_t dlen, char *out, size_t outlen)
{
	const char *tmp = getenv("TMPDIR");
	int fd;

	snprintf(dir, dlen, "%s/duban-secret-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(dir));
	snprintf(out, outlen, "%s/key", dir);
	fd = open(out, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(chmod(out, mode), 0);
}

static void
secret_from_file(void **state)
{
	char dir[512], path[600], text[2048];
	struct diag d = { 0 };
	struct provider_conf *p;
	struct provider_req req;
	struct provider_msg m;
	char err[256];
	size_t n = 0;

	(void)state;
	set_keys();
	secret_file("FileSecretValue42\n", 0600, dir, sizeof(dir), path, sizeof(path));
	snprintf(text, sizeof(text),
		 "providers = ( { name = \"a\"; type = \"aliyun\"; access_key_id = \"LTAI5tX\";\n"
		 "  access_key_secret = \"{{file:%s}}\"; sign_name = \"镇\";\n"
		 "  templates = { r = { code = \"S\"; text = \"到期\"; }; }; } );",
		 path);
	p = parse(text, &n, &d);
	dump(&d);
	assert_non_null(p);
	m = (struct provider_msg){ .id = 1, .phone = "+8613800138000", .text = "", .signature = "",
				   .binding = &p[0].bindings[0], .values = NULL };
	provider_req_init(&req);
	assert_int_equal(provider_build(&p[0], &m, &req, err, sizeof(err)), 0);
	assert_null(strstr(req.headers.data, "FileSecretValue42")); /* used, never sent */
	provider_req_free(&req);
	provider_conf_free(p, n);
	/* readable by others: refused at its line, the content never shown */
	assert_int_equal(chmod(path, 0644), 0);
	p = parse(text, &n, &d);
	assert_null(p);
	assert_true(diag_has(&d, "test.cfg:2: 'access_key_secret': "));
	assert_true(diag_has(&d, "may be read by others (mode 0644): it must be 0600"));
	for (size_t i = 0; i < d.n; i++)
		assert_null(strstr(d.line[i], "FileSecretValue42"));
	diag_clear(&d);
	unlink(path);
	p = parse(text, &n, &d);
	assert_null(p);
	assert_true(diag_has(&d, "cannot open"));
	diag_clear(&d);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(acs3_documented_example),
		cmocka_unit_test(tc3_documented_example),
		cmocka_unit_test(nonce_is_fresh),
		cmocka_unit_test(config_both),
		cmocka_unit_test(config_errors_have_lines),
		cmocka_unit_test(config_errors_hide_secrets),
		cmocka_unit_test(aliyun_send_sms_request),
		cmocka_unit_test(aliyun_send_batch_sms_request),
		cmocka_unit_test(tencent_send_sms_request),
		cmocka_unit_test(error_classes),
		cmocka_unit_test(aliyun_replies),
		cmocka_unit_test(tencent_replies),
		cmocka_unit_test(callbacks),
		cmocka_unit_test(binding_render_text),
		cmocka_unit_test(secret_from_file),
		cmocka_unit_test(binding_find_and_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
