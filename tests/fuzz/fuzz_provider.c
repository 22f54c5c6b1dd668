/*
 * fuzz_provider.c - what duban reads from a provider, through every
 * backend: any bytes as the reply to a send (classified under a success,
 * a client error and a server error status), and as the JSON body of a
 * delivery report and of a reply (MO) posted to a callback.  The backends
 * are configured as the shipped example and the tests configure them:
 * JSON reply rules, a regex rule, Kannel, and the two template providers
 * (Aliyun, Tencent) with a batch of three numbers, whose every row must get
 * a verdict of the five results.  Every verdict and every field read must
 * be a bounded string; the input is also taken as an error code of both
 * clouds.
 */
#include <jansson.h>
#include <libconfig.h>

#include "fuzz.h"

#include "base/cfgval.h"
#include "provider/provider.h"
#include "base/diag.h"

static const char providers_cfg[] =
	"providers = ("
	" { name = \"json\"; type = \"http\"; url = \"http://127.0.0.1:1/sms/send\"; method = \"POST\";"
	"   body = \"json\"; params = { to = \"{{phone}}\"; text = \"{{text}}\"; id = \"{{id}}\"; };"
	"   reply = { accept_json = \"code=0\"; id_json = \"msgid\"; permanent_json = \"code=40\";"
	"             reason_json = \"error\"; temporary_regex = \"busy|稍后\"; }; },"
	" { name = \"regex\"; type = \"http\"; url = \"http://127.0.0.1:1/send\";"
	"   params = { to = \"{{phone}}\"; };"
	"   reply = { accept_regex = \"^OK ([0-9a-f]+)\"; id_regex = \"^OK ([0-9a-f]+)\"; }; },"
	" { name = \"kannel\"; type = \"kannel\"; url = \"http://127.0.0.1:1/cgi-bin/sendsms\";"
	"   username = \"u\"; password = \"p\"; dlr_mask = 3;"
	"   dlr_url = \"http://127.0.0.1:8080/callbacks/dlr/kannel?ref={{id}}&type=%d\"; },"
	" { name = \"aliyun\"; type = \"aliyun\"; access_key_id = \"id\"; access_key_secret = \"s\";"
	"   endpoint = \"http://127.0.0.1:1\"; sign_name = \"小雄镇人民政府\";"
	"   templates = { reminder = { code = \"SMS_1\"; text = \"${task}于${deadline}到期\";"
	"     params = { task = \"{{task.title}}\"; deadline = \"{{task.deadline}}\"; }; }; }; },"
	" { name = \"tencent\"; type = \"tencent\"; secret_id = \"id\"; secret_key = \"k\";"
	"   sdk_app_id = \"1400000001\"; endpoint = \"http://127.0.0.1:1\"; sign_name = \"小雄镇人民政府\";"
	"   templates = { reminder = { id = \"1\"; text = \"{1}于{2}到期\";"
	"     params = [ \"{{task.title}}\", \"{{task.deadline}}\" ]; }; }; }"
	");";

struct providers {
	struct provider_conf *p;
	size_t n;
};

static struct providers *
providers(void)
{
	static struct providers ps;
	static bool loaded;
	struct diag d = { 0 };
	struct cfgval cv = { "fuzz.cfg", &d };
	config_t cf;

	if (loaded)
		return &ps;
	config_init(&cf);
	if (config_read_string(&cf, providers_cfg) != CONFIG_TRUE ||
	    provider_parse_list(&cv, config_lookup(&cf, "providers"), &ps.p, &ps.n) != 0) {
		diag_print(&d, stderr);
		abort();
	}
	config_destroy(&cf);
	diag_clear(&d);
	loaded = true;
	return &ps;
}

static int
json_field(const struct provider_cb_req *r, const char *name, char *out, size_t outlen)
{
	return r->ctx ? provider_json_get(r->ctx, name, out, outlen) : -1;
}

static void
bounded(const char *s, size_t size)
{
	if (strnlen(s, size) >= size)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = { 200, 202, 400, 429, 503 };
	struct providers *ps = providers();
	struct provider_msg m = { 42, "+8613800138000", "测试", "小雄镇人民政府", true, NULL, NULL };
	char *body = fuzz_cstr(data, size);
	json_t *root = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	struct provider_cb_req req = { json_field, root };
	struct provider_msg batch[3];
	char err[256];
	long wait;

	for (int t = 0; t < 2; t++)
		if (provider_cn_class(t ? "tencent" : "aliyun", body, body, &wait) == PROVIDER_ACCEPTED ||
		    wait < 0)
			abort();
	for (size_t i = 0; i < ps->n; i++) {
		const struct provider_conf *pc = &ps->p[i];
		struct provider_dlr dlr;
		struct provider_mo mo;

		for (size_t k = 0; k < sizeof(statuses) / sizeof(statuses[0]); k++) {
			struct provider_reply r = { statuses[k], body, size };
			struct provider_verdict v[3];
			size_t n = 1;

			if (pc->templated) {
				static const char *const vals[] = { "梅岙塘项目", "12月31日" };
				static const char *const phones[] = { "+8613800138000", "+8613900139000",
								       "+86139" };
				for (size_t j = 0; j < 3; j++) {
					batch[j] = m;
					batch[j].phone = phones[j];
					batch[j].binding = &pc->bindings[0];
					batch[j].values = vals;
				}
				n = 3;
			} else {
				batch[0] = m;
			}
			provider_classify_batch(pc, batch, n, &r, v);
			for (size_t j = 0; j < n; j++) {
				if (v[j].result > PROVIDER_HALTED || v[j].wait_s < 0 || v[j].parts < 0)
					abort();
				bounded(v[j].ref, sizeof(v[j].ref));
				bounded(v[j].reason, sizeof(v[j].reason));
				bounded(v[j].code, sizeof(v[j].code));
			}
		}
		if (provider_dlr_parse(pc, &req, &dlr, err, sizeof(err)) == 0) {
			bounded(dlr.ref, sizeof(dlr.ref));
			bounded(dlr.reason, sizeof(dlr.reason));
			bounded(dlr.phone, sizeof(dlr.phone));
			if (dlr.parts < 0)
				abort();
		}
		if (provider_mo_parse(pc, &req, &mo, err, sizeof(err)) == 0) {
			bounded(mo.from, sizeof(mo.from));
			bounded(mo.text, sizeof(mo.text));
		}
	}
	json_decref(root);
	free(body);
	return 0;
}
