/*
 * test_sim_cn.c - duban's Alibaba Cloud and Tencent Cloud backends against
 * the simulator's --api modes: each test starts the real build/smsc-sim on
 * a free loopback port, builds requests with the backend
 * (provider_build_batch), sends them with libcurl and classifies the
 * answers (provider_classify_batch).  The two sides were written apart, from
 * the providers' documentation, so this is where a difference in the
 * signature, the request's shape or an error code's meaning shows: signed
 * requests are accepted with the references reports will carry, a wrong
 * secret halts, the per-number cap is "limited" with a wait, a bad number
 * is permanent, no balance halts and a system error is transient.  The
 * reports the simulator pushes go to a small receiver here, which answers
 * as the provider expects, and are read with the backend's own parser:
 * their references must be the ones the sends got.
 */
#include "unit.h"

#include <curl/curl.h>
#include <jansson.h>
#include <libconfig.h>
#include <microhttpd.h>
#include <pthread.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>

#include "base/buf.h"
#include "base/cfgval.h"
#include "base/diag.h"
#include "provider/provider.h"

extern char **environ;

/* The receiver of pushed reports: every item of every array posted. */
struct recv {
	struct MHD_Daemon *d;
	int port;
	const char *answer;
	pthread_mutex_t mu;
	json_t *items;
};

struct simproc {
	pid_t pid;
	int port;
	char dir[PATH_MAX];
	struct recv rc;
};

struct upload {
	struct buf body;
};

static enum MHD_Result
recv_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
	     const char *version, const char *data, size_t *size, void **con_cls)
{
	struct recv *rv = cls;
	struct upload *u = *con_cls;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	json_t *arr;

	(void)url;
	(void)method;
	(void)version;
	if (u == NULL) {
		u = calloc(1, sizeof(*u));
		if (u == NULL)
			return MHD_NO;
		buf_init(&u->body, 1 << 20);
		*con_cls = u;
		return MHD_YES;
	}
	if (*size != 0) {
		buf_add(&u->body, data, *size);
		*size = 0;
		return MHD_YES;
	}
	arr = json_loadb(u->body.data ? u->body.data : "", u->body.len, 0, NULL);
	pthread_mutex_lock(&rv->mu);
	if (json_is_array(arr))
		json_array_extend(rv->items, arr);
	pthread_mutex_unlock(&rv->mu);
	json_decref(arr);
	buf_free(&u->body);
	free(u);
	*con_cls = NULL;
	resp = MHD_create_response_from_buffer(strlen(rv->answer), (void *)rv->answer,
					       MHD_RESPMEM_PERSISTENT);
	ret = MHD_queue_response(c, 200, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void
recv_start(struct recv *rv, const char *answer)
{
	const union MHD_DaemonInfo *info;

	rv->answer = answer;
	rv->items = json_array();
	pthread_mutex_init(&rv->mu, NULL);
	rv->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, recv_request, rv,
				 MHD_OPTION_END);
	assert_non_null(rv->d);
	info = MHD_get_daemon_info(rv->d, MHD_DAEMON_INFO_BIND_PORT);
	assert_non_null(info);
	rv->port = info->port;
}

/* The number of report items received so far. */
static size_t
recv_count(struct recv *rv)
{
	size_t n;

	pthread_mutex_lock(&rv->mu);
	n = json_array_size(rv->items);
	pthread_mutex_unlock(&rv->mu);
	return n;
}

/* A callback field read from one pushed item (a JSON object), as duban's server reads it. */
static int
item_field(const struct provider_cb_req *r, const char *name, char *out, size_t outlen)
{
	json_t *v = json_object_get(r->ctx, name);
	int n;

	if (json_is_string(v))
		n = snprintf(out, outlen, "%s", json_string_value(v));
	else if (json_is_boolean(v))
		n = snprintf(out, outlen, "%s", json_is_true(v) ? "true" : "false");
	else if (json_is_integer(v))
		n = snprintf(out, outlen, "%lld", (long long)json_integer_value(v));
	else
		return -1;
	return n >= 0 && (size_t)n < outlen ? 0 : -1;
}

/* Waits (10 s at most) for want reports, then checks every ref in refs[0..n) is
 * among them, delivered, with parts billed (Aliyun's sms_size; Tencent's has none: 0). */
static void
reports_match(struct simproc *sp, const struct provider_conf *pc, size_t want, char refs[][PROVIDER_REF_MAX],
	      size_t n, int parts)
{
	struct timespec nap = { 0, 20 * 1000000L };
	struct provider_dlr dlr;
	char err[256];
	size_t found = 0;

	for (int i = 0; i < 500 && recv_count(&sp->rc) < want; i++)
		nanosleep(&nap, NULL);
	assert_int_equal(recv_count(&sp->rc), want);
	for (size_t k = 0; k < n; k++) {
		for (size_t i = 0; i < want; i++) {
			struct provider_cb_req r = { item_field, json_array_get(sp->rc.items, i) };

			assert_int_equal(provider_dlr_parse(pc, &r, &dlr, err, sizeof(err)), 0);
			assert_int_equal(dlr.state, PROVIDER_DLR_DELIVERED);
			if (strcmp(dlr.ref, refs[k]) == 0) {
				found++;
				assert_int_equal(dlr.parts, parts);
				break;
			}
		}
	}
	assert_int_equal(found, n);
}

static const char templates[] =
	"sign 小雄镇人民政府\n"
	"template SMS_100001 您牵头的“${task}”将于${deadline}到期，请抓紧办理。回复“完成${code}”办结。\n"
	"template 100001 您牵头的“{1}”将于{2}到期，请抓紧办理。回复“完成{3}”办结。\n";

static const char *const vals[] = { "梅岙塘项目", "12月31日", "T12" };
static const char *const vals_b[] = { "村道修复", "1月5日", "T13" };

/* build/smsc-sim, next to the directory of this test binary (build/tests/). */
static void
sim_path(char *out, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	assert_true(n > 0);
	self[n] = '\0';
	for (int i = 0; i < 2; i++) {
		slash = strrchr(self, '/');
		assert_non_null(slash);
		*slash = '\0';
	}
	assert_true(snprintf(out, len, "%s/smsc-sim", self) < (int)len);
	assert_int_equal(access(out, X_OK), 0);
}

/* Starts the report receiver, then the simulator with the mode's keys, the
 * templates, a cap of 2 a day and the receiver as --dlr-url. */
static void
sim_start(struct simproc *sp, const char *api)
{
	char bin[PATH_MAX], tpl[PATH_MAX + 16], portf[PATH_MAX + 16], url[64];
	const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	bool ali = strcmp(api, "aliyun") == 0;
	struct timespec nap = { 0, 20 * 1000000L };
	FILE *f;

	sim_path(bin, sizeof(bin));
	recv_start(&sp->rc, ali ? "{\"code\":0,\"msg\":\"接收成功\"}" : "{\"result\":0,\"errmsg\":\"OK\"}");
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/dlr", sp->rc.port);
	snprintf(sp->dir, sizeof(sp->dir), "%s/test_sim_cn.XXXXXX", base);
	assert_non_null(mkdtemp(sp->dir));
	snprintf(tpl, sizeof(tpl), "%s/templates", sp->dir);
	snprintf(portf, sizeof(portf), "%s/port", sp->dir);
	f = fopen(tpl, "w");
	assert_non_null(f);
	fputs(templates, f);
	fclose(f);
	char *argv[] = { bin, "--api", (char *)api, "--templates", tpl, "--listen", "127.0.0.1:0",
			 "--port-file", portf, "--per-number-day", "2", "--quiet", "--dlr-url", url,
			 ali ? "--access-key-id" : "--secret-id", ali ? "LTAI5tTestKeyId" : "AKIDTestSecretId",
			 ali ? "--access-key-secret" : "--secret-key",
			 ali ? "TestSecret0123456789" : "TestKey0123456789", NULL };
	assert_int_equal(posix_spawn(&sp->pid, bin, NULL, NULL, argv, environ), 0);
	sp->port = 0;
	for (int i = 0; i < 500 && sp->port == 0; i++) {  /* a deadline of 10 s */
		f = fopen(portf, "r");
		if (f == NULL || fscanf(f, "%d", &sp->port) != 1)
			sp->port = 0;
		if (f != NULL)
			fclose(f);
		if (sp->port == 0)
			nanosleep(&nap, NULL);
	}
	assert_true(sp->port > 0);
}

static void
sim_stop(struct simproc *sp)
{
	char path[PATH_MAX + 16];
	int status;

	kill(sp->pid, SIGTERM);
	waitpid(sp->pid, &status, 0);
	MHD_stop_daemon(sp->rc.d);
	json_decref(sp->rc.items);
	pthread_mutex_destroy(&sp->rc.mu);
	snprintf(path, sizeof(path), "%s/templates", sp->dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/port", sp->dir);
	unlink(path);
	rmdir(sp->dir);
}

/* The backend's configuration pointed at the simulator; secret: the one to sign with. */
static struct provider_conf *
conf(const struct simproc *sp, bool ali, const char *secret)
{
	struct diag d = { 0 };
	struct cfgval cv = { "test.cfg", &d };
	struct provider_conf *p = NULL;
	char text[2048];
	config_t cfg;
	size_t n = 0;

	if (ali)
		snprintf(text, sizeof(text),
			 "providers = ( { name = \"aliyun\"; type = \"aliyun\";\n"
			 "  access_key_id = \"LTAI5tTestKeyId\"; access_key_secret = \"%s\";\n"
			 "  endpoint = \"http://127.0.0.1:%d\"; sign_name = \"小雄镇人民政府\";\n"
			 "  templates = { reminder = { code = \"SMS_100001\";\n"
			 "    text = \"您牵头的“${task}”将于${deadline}到期，请抓紧办理。回复“完成${code}”办结。\";\n"
			 "    params = { task = \"{{task.title}}\"; deadline = \"{{task.deadline|md}}\";\n"
			 "               code = \"{{task.code}}\"; }; }; }; } );\n", secret, sp->port);
	else
		snprintf(text, sizeof(text),
			 "providers = ( { name = \"tencent\"; type = \"tencent\";\n"
			 "  secret_id = \"AKIDTestSecretId\"; secret_key = \"%s\"; sdk_app_id = \"1400000001\";\n"
			 "  endpoint = \"http://127.0.0.1:%d\"; sign_name = \"小雄镇人民政府\";\n"
			 "  templates = { reminder = { id = \"100001\";\n"
			 "    text = \"您牵头的“{1}”将于{2}到期，请抓紧办理。回复“完成{3}”办结。\";\n"
			 "    params = [ \"{{task.title}}\", \"{{task.deadline|md}}\", \"{{task.code}}\" ]; }; }; } );\n",
			 secret, sp->port);
	config_init(&cfg);
	assert_int_equal(config_read_string(&cfg, text), CONFIG_TRUE);
	if (provider_parse_list(&cv, config_lookup(&cfg, "providers"), &p, &n) != 0) {
		for (size_t i = 0; i < d.n; i++)
			fprintf(stderr, "# %s\n", d.line[i]);
		fail_msg("the configuration was refused");
	}
	assert_int_equal(n, 1);
	config_destroy(&cfg);
	diag_clear(&d);
	return p;
}

static size_t
collect(char *p, size_t size, size_t nmemb, void *u)
{
	buf_add(u, p, size * nmemb);
	return size * nmemb;
}

/* One HTTP call of a built request; the answer into ans, status returned. */
static long
perform(const struct provider_req *req, struct buf *ans)
{
	struct curl_slist *hdr = NULL;
	CURL *h = curl_easy_init();
	char line[4096];
	long status = 0;

	assert_non_null(h);
	for (const char *p = req->headers.data; p != NULL && *p != '\0';) {
		size_t l = strcspn(p, "\n");

		snprintf(line, sizeof(line), "%.*s", (int)l, p);
		hdr = curl_slist_append(hdr, line);
		p += l + (p[l] == '\n');
	}
	curl_easy_setopt(h, CURLOPT_URL, req->url.data);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, ans);
	if (req->post) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body.data ? req->body.data : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)req->body.len);
	}
	assert_int_equal(curl_easy_perform(h), CURLE_OK);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	return status;
}

/* Builds, sends and classifies m[0..n-1] through pc; the verdicts into v. */
static void
send_batch(const struct provider_conf *pc, const struct provider_msg *m, size_t n,
	   struct provider_verdict *v)
{
	struct provider_req req;
	struct provider_reply r;
	struct buf ans;
	char err[256];

	provider_req_init(&req);
	buf_init(&ans, 1 << 20);
	assert_int_equal(provider_build_batch(pc, m, n, &req, err, sizeof(err)), 0);
	r.status = perform(&req, &ans);
	r.body = ans.data ? ans.data : "";
	r.len = ans.len;
	provider_classify_batch(pc, m, n, &r, v);
	for (size_t i = 0; i < n; i++)
		if (v[i].result != PROVIDER_ACCEPTED)
			fprintf(stderr, "# %s: %s %s (%s)\n", m[i].phone, provider_result_name(v[i].result),
				v[i].code, r.body);
	buf_free(&ans);
	provider_req_free(&req);
}

/* POSTs a /_sim/ control request. */
static void
control(const struct simproc *sp, const char *path)
{
	struct provider_req req;
	struct buf ans;

	provider_req_init(&req);
	buf_init(&ans, 4096);
	buf_printf(&req.url, "http://127.0.0.1:%d%s", sp->port, path);
	buf_add(&req.body, "", 0);
	req.post = true;
	assert_int_equal(perform(&req, &ans), 200);
	buf_free(&ans);
	provider_req_free(&req);
}

static struct provider_msg
msg(const struct provider_conf *pc, int64_t id, const char *phone, const char *const *values)
{
	return (struct provider_msg){ .id = id, .phone = phone, .text = "", .signature = "",
				      .binding = &pc->bindings[0], .values = values };
}

static void
aliyun_backend_and_simulator_agree(void **state)
{
	struct provider_verdict v[3];
	struct provider_msg m[3];
	struct provider_conf *p, *bad;
	struct simproc *spp = *state, sp = *spp;
	char refs[5][PROVIDER_REF_MAX];

	p = conf(&sp, true, "TestSecret0123456789");
	/* SendSms: three numbers, the same values; refs are BizId:number */
	m[0] = msg(p, 1, "+8613800138000", vals);
	m[1] = msg(p, 2, "+8613900139000", vals);
	m[2] = msg(p, 3, "+8613700137000", vals);
	send_batch(p, m, 3, v);
	for (int i = 0; i < 3; i++)
		assert_int_equal(v[i].result, PROVIDER_ACCEPTED);
	assert_non_null(strstr(v[0].ref, "^0:13800138000"));
	assert_non_null(strstr(v[2].ref, "^0:13700137000"));
	for (int i = 0; i < 3; i++)
		memcpy(refs[i], v[i].ref, PROVIDER_REF_MAX);
	/* SendBatchSms: values that differ per number */
	m[1].values = vals_b;
	send_batch(p, m, 2, v);
	assert_int_equal(v[0].result, PROVIDER_ACCEPTED);
	assert_int_equal(v[1].result, PROVIDER_ACCEPTED);
	memcpy(refs[3], v[0].ref, PROVIDER_REF_MAX);
	memcpy(refs[4], v[1].ref, PROVIDER_REF_MAX);
	/* their five reports, matched by the backend's parser to the sends' refs */
	reports_match(spp, p, 5, refs, 5, 1);
	/* the cap (2 a day): 13800138000's third message waits */
	send_batch(p, m, 1, v);
	assert_int_equal(v[0].result, PROVIDER_LIMITED);
	assert_string_equal(v[0].code, "isv.BUSINESS_LIMIT_CONTROL");
	assert_true(v[0].wait_s > 0);
	/* a number that is not a mobile is permanent */
	m[2].phone = "+8612345678901";
	send_batch(p, &m[2], 1, v);
	assert_int_equal(v[0].result, PROVIDER_PERMANENT);
	assert_string_equal(v[0].code, "isv.MOBILE_NUMBER_ILLEGAL");
	/* a system error is transient; no balance halts */
	m[2].phone = "+8613600136000";
	control(&sp, "/_sim/error?code=isp.SYSTEM_ERROR&count=1");
	send_batch(p, &m[2], 1, v);
	assert_int_equal(v[0].result, PROVIDER_TRANSIENT);
	control(&sp, "/_sim/balance?ok=0");
	send_batch(p, &m[2], 1, v);
	assert_int_equal(v[0].result, PROVIDER_HALTED);
	assert_string_equal(v[0].code, "isv.AMOUNT_NOT_ENOUGH");
	control(&sp, "/_sim/balance?ok=1");
	/* a wrong secret halts the provider */
	bad = conf(&sp, true, "NotTheSecret");
	m[2] = msg(bad, 4, "+8613600136000", vals);
	send_batch(bad, &m[2], 1, v);
	assert_int_equal(v[0].result, PROVIDER_HALTED);
	assert_string_equal(v[0].code, "SignatureDoesNotMatch");
	provider_conf_free(bad, 1);
	provider_conf_free(p, 1);
}

static void
tencent_backend_and_simulator_agree(void **state)
{
	struct provider_verdict v[3];
	struct provider_msg m[3];
	struct provider_conf *p, *bad;
	struct simproc *spp = *state, sp = *spp;
	char refs[2][PROVIDER_REF_MAX];

	p = conf(&sp, false, "TestKey0123456789");
	m[0] = msg(p, 1, "+8613800138000", vals);
	m[1] = msg(p, 2, "+8613900139000", vals);
	m[2] = msg(p, 3, "+8612345678901", vals);  /* not a mobile: its own row */
	send_batch(p, m, 3, v);
	assert_int_equal(v[0].result, PROVIDER_ACCEPTED);
	assert_int_equal(v[1].result, PROVIDER_ACCEPTED);
	assert_int_equal(v[2].result, PROVIDER_PERMANENT);
	assert_string_equal(v[2].code, "InvalidParameterValue.IncorrectPhoneNumber");
	assert_true(strncmp(v[0].ref, "2640:", 5) == 0);
	assert_string_not_equal(v[0].ref, v[1].ref);
	assert_int_equal(v[0].parts, 1);
	memcpy(refs[0], v[0].ref, PROVIDER_REF_MAX);
	memcpy(refs[1], v[1].ref, PROVIDER_REF_MAX);
	reports_match(spp, p, 2, refs, 2, 0);
	/* the cap (2 a day) is per row */
	send_batch(p, m, 1, v);
	assert_int_equal(v[0].result, PROVIDER_ACCEPTED);
	send_batch(p, m, 2, v);
	assert_int_equal(v[0].result, PROVIDER_LIMITED);
	assert_string_equal(v[0].code, "LimitExceeded.PhoneNumberDailyLimit");
	assert_true(v[0].wait_s > 0);
	assert_int_equal(v[1].result, PROVIDER_ACCEPTED);
	m[2].phone = "+8613600136000";
	control(&sp, "/_sim/error?code=InternalError.Timeout&count=1");
	send_batch(p, &m[2], 1, v);
	assert_int_equal(v[0].result, PROVIDER_TRANSIENT);
	control(&sp, "/_sim/balance?ok=0");
	send_batch(p, &m[2], 1, v);
	assert_int_equal(v[0].result, PROVIDER_HALTED);
	assert_string_equal(v[0].code, "FailedOperation.InsufficientBalanceInSmsPackage");
	control(&sp, "/_sim/balance?ok=1");
	bad = conf(&sp, false, "NotTheKey");
	m[2] = msg(bad, 4, "+8613600136000", vals);
	send_batch(bad, &m[2], 1, v);
	assert_int_equal(v[0].result, PROVIDER_HALTED);
	assert_string_equal(v[0].code, "AuthFailure.SignatureFailure");
	provider_conf_free(bad, 1);
	provider_conf_free(p, 1);
}

/* The largest batches: SendSms with 1000 numbers, SendBatchSms with 100 values. */
static void
aliyun_full_batches(void **state)
{
	struct simproc sp = **(struct simproc **)state;
	struct provider_verdict *v = calloc(1000, sizeof(*v));
	struct provider_msg *m = calloc(1000, sizeof(*m));
	char (*phone)[24] = calloc(1000, sizeof(*phone));
	const char *(*each)[3] = calloc(100, sizeof(*each));
	char (*code)[16] = calloc(100, sizeof(*code));
	struct provider_conf *p = conf(&sp, true, "TestSecret0123456789");
	size_t ok = 0;

	assert_true(v && m && phone && each && code);
	for (int i = 0; i < 1000; i++) {
		snprintf(phone[i], sizeof(phone[i]), "+86150%08d", i);
		m[i] = msg(p, i + 1, phone[i], vals);
	}
	send_batch(p, m, 1000, v);
	for (int i = 0; i < 1000; i++)
		ok += v[i].result == PROVIDER_ACCEPTED;
	assert_int_equal(ok, 1000);
	for (int i = 0; i < 100; i++) {
		snprintf(code[i], sizeof(code[i]), "T%d", i);
		each[i][0] = "梅岙塘村道路修复工程第二期项目验收";
		each[i][1] = "12月31日";
		each[i][2] = code[i];
		m[i].values = each[i];
	}
	send_batch(p, m, 100, v);
	for (int i = 0; i < 100; i++)
		assert_int_equal(v[i].result, PROVIDER_ACCEPTED);
	provider_conf_free(p, 1);
	free(code);
	free(each);
	free(phone);
	free(m);
	free(v);
}

/* A simulator per test, stopped by the teardown even when the test failed. */
static int
setup_aliyun(void **state)
{
	static struct simproc sp;

	sim_start(&sp, "aliyun");
	*state = &sp;
	return 0;
}

static int
setup_tencent(void **state)
{
	static struct simproc sp;

	sim_start(&sp, "tencent");
	*state = &sp;
	return 0;
}

static int
teardown(void **state)
{
	sim_stop(*state);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(aliyun_backend_and_simulator_agree, setup_aliyun, teardown),
		cmocka_unit_test_setup_teardown(aliyun_full_batches, setup_aliyun, teardown),
		cmocka_unit_test_setup_teardown(tencent_backend_and_simulator_agree, setup_tencent, teardown),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
