/*
 * test_route.c - routing (gateway/core/route.c) and what it stores: which
 * provider can carry a message (free text only through free-text
 * providers, a template only through a provider with a binding for it),
 * the binding checks of config check with their lines, the values
 * rendered when a message is queued (the exact params JSON, the text the
 * phone shows, its parts), the limits on a value (max_param characters,
 * no web address) with the task and placeholder named, |max:N as the way
 * to shorten, what the dispatcher reads back from a row, and on a real
 * database what a notice and a manual message store - and that a refused
 * one stores nothing.
 *
 * The providers are configured as provider.c leaves them after parsing a
 * `templates` group: the core reads nothing else of them.
 */
#include "unit.h"

#include <limits.h>
#include <sys/stat.h>

#include "unit_db.h"
#include "base/clock.h"
#include "base/diag.h"
#include "base/zone.h"
#include "core/config.h"
#include "core/ctx.h"
#include "core/notice.h"
#include "core/outbox.h"
#include "core/route.h"
#include "core/tmpl.h"
#include "provider/provider.h"
#include "store/store.h"

#define SIGN "小雄镇人民政府"

/* Aliyun's reminder, as in the example configuration. */
static char *ali_rem_names[] = { "task", "deadline", "code" };
static char *ali_rem_exprs[] = { "{{task.title}}", "{{task.deadline|md}}", "{{task.code}}" };
static long ali_rem_lines[] = { 31, 32, 33 };
/* Aliyun's insurance notice; Tencent's training notice, per person. */
static char *ali_ins_names[] = { "deadline", "contact" };
static char *ali_ins_exprs[] = { "{{var.deadline}}", "{{var.contact}}" };
static long ali_ins_lines[] = { 41, 42 };
static char *tc_rem_names[] = { "1", "2", "3" };
static char *tc_rem_exprs[] = { "{{task.title|max:12}}", "{{task.deadline|md}}", "{{task.code}}" };
static long tc_rem_lines[] = { 61, 61, 61 };
static char *tc_tr_names[] = { "1", "2" };
static char *tc_tr_exprs[] = { "{{person.name}}", "{{var.date}}" };
static long tc_tr_lines[] = { 71, 71 };

static struct provider_binding ali_bindings[] = {
	{ .tmpl = "reminder", .code = "SMS_100001",
	  .text = "您牵头的“${task}”将于${deadline}到期，请抓紧办理。回复“完成${code}”办结。",
	  .nparam = 3, .pname = ali_rem_names, .pexpr = ali_rem_exprs, .line = 30,
	  .pline = ali_rem_lines },
	{ .tmpl = "insurance", .code = "SMS_100002",
	  .text = "请于${deadline}前到村委会登记参保，咨询${contact}。",
	  .nparam = 2, .pname = ali_ins_names, .pexpr = ali_ins_exprs, .line = 40,
	  .pline = ali_ins_lines },
};
static struct provider_binding tc_bindings[] = {
	{ .tmpl = "reminder", .code = "100001",
	  .text = "您牵头的“{1}”将于{2}到期，请抓紧办理。回复“完成{3}”办结。",
	  .nparam = 3, .pname = tc_rem_names, .pexpr = tc_rem_exprs, .line = 60,
	  .pline = tc_rem_lines },
	{ .tmpl = "training", .code = "100003", .text = "{1}您好：技能培训将于{2}举办。",
	  .nparam = 2, .pname = tc_tr_names, .pexpr = tc_tr_exprs, .line = 70,
	  .pline = tc_tr_lines },
};

/* Tencent numbers its placeholders: provider_binding_render reads the type. */
static const struct provider_ops tencent_type = { .type = "tencent", .templated = true };

struct fixture {
	char dir[64];
	char path[PATH_MAX];
	struct store *st;
	struct duban_config *cfg;
	struct provider_conf prov[3]; /* aliyun, tencent, sim (free text) */
	struct tmpl_set *tmpls;
	struct duban_ctx x;
	int64_t p[3];
	struct task task;
};

static void
write_file(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(fp = fopen(path, "w"));
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

/* Use the first n of fx->prov, in order. */
static void
use_providers(struct fixture *fx, size_t first, size_t n)
{
	fx->cfg->providers = &fx->prov[first];
	fx->cfg->nproviders = n;
}

static int64_t
add_person(struct store *st, const char *name, const char *phone)
{
	struct person p = { .name = (char *)name, .phone = (char *)phone, .org = "小雄村",
			    .kind = "farmer" };
	int64_t id = 0;

	assert_int_equal(store_person_add(st, &p, &id), STORE_OK);
	return id;
}

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char tdir[128], err[256];
	struct diag d = { 0 };

	if (fx == NULL || time_set_zone("Asia/Shanghai") != 0)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "%s", "/tmp/duban-test-route.XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	snprintf(tdir, sizeof(tdir), "%s/templates", fx->dir);
	if (mkdir(tdir, 0700) != 0)
		return -1;
	write_file(tdir, "reminder.txt",
		   "{{person.name}}同志：您负责的“{{task.title}}”将于{{task.deadline|md}}到期。回复\"完成{{task.code}}\"办结。\n");
	write_file(tdir, "insurance.txt", "请于{{var.deadline}}前登记，咨询{{var.contact}}。\n");
	write_file(tdir, "training.txt", "{{person.name}}您好：{{notice.title}}将于{{var.date}}举办。\n");
	write_file(tdir, "hello.txt", "您好。\n");
	if (tmpl_set_load_dir(tdir, &fx->tmpls, &d) != 0 || (fx->cfg = config_defaults()) == NULL)
		return -1;
	free(fx->cfg->signature);
	fx->cfg->signature = strdup(SIGN);
	free(fx->cfg->templates_dir);
	fx->cfg->templates_dir = strdup("templates");
	fx->cfg->path = strdup("duban.cfg");
	fx->prov[0] = (struct provider_conf){ .name = "aliyun", .templated = true,
					      .sign_name = SIGN, .bindings = ali_bindings,
					      .nbindings = 2, .max_param = 35 };
	fx->prov[1] = (struct provider_conf){ .name = "tencent", .templated = true,
					      .ops = &tencent_type, .sign_name = SIGN,
					      .bindings = tc_bindings, .nbindings = 2,
					      .max_param = 12 };
	fx->prov[2] = (struct provider_conf){ .name = "sim" };
	use_providers(fx, 0, 2);
	snprintf(fx->path, sizeof(fx->path), "%s/duban.db", fx->dir);
	if (store_open(fx->path, true, &fx->st, err, sizeof(err)) != STORE_OK)
		return -1;
	fx->p[0] = add_person(fx->st, "陈宝根", "+8615068766188");
	fx->p[1] = add_person(fx->st, "陈彩芬", "+8618657696481");
	fx->p[2] = add_person(fx->st, "张阿满", "+8613957601140");
	fx->x = (struct duban_ctx){ .st = fx->st, .cfg = fx->cfg, .tmpls = fx->tmpls,
				    .actor = "clerk" };
	fx->task = (struct task){ .code = "T3", .title = "梅岙塘农田改造工程",
				  .deadline = time_from_local(2008, 12, 31, 23, 59, 0) };
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[PATH_MAX + 16];

	store_close(fx->st);
	tmpl_set_free(fx->tmpls);
	fx->cfg->providers = NULL; /* the fixture's own */
	fx->cfg->nproviders = 0;
	config_free(fx->cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	if (system(cmd) != 0)
		return -1;
	free(fx);
	return 0;
}

/* Render a reminder of the fixture's task for 陈宝根 through the configured providers. */
static int
render_reminder(struct fixture *fx, struct route_out *ro, char *err, size_t errlen)
{
	struct person p = { .id = fx->p[0], .name = "陈宝根", .title = "" };
	struct msg_vars mv = { .task = &fx->task, .person = &p, .signature = SIGN,
			       .now = fx->task.deadline - 3 * 86400 };
	const struct tmpl *t = tmpl_set_get(fx->tmpls, "reminder");
	struct route *r = NULL;
	int rc;

	if (route_open(fx->cfg, t, &r, err, errlen) != 0)
		return -1;
	rc = route_render(r, &mv, "duban's own text", 6, "task T3", ro, err, errlen);
	route_free(r);
	return rc;
}

/* ---- config check ------------------------------------------------------------------ */

static void
expect_diag(struct fixture *fx, const char *want1, const char *want2)
{
	struct diag d = { 0 };
	int rc = route_check(fx->cfg, fx->tmpls, &d);

	if (want1 == NULL) {
		if (rc != 0)
			diag_print(&d, stderr);
		assert_int_equal(rc, 0);
		assert_int_equal(d.n, 0);
		return;
	}
	assert_int_equal(rc, -1);
	if (d.n != (want2 ? 2u : 1u))
		diag_print(&d, stderr);
	assert_int_equal(d.n, want2 ? 2 : 1);
	assert_string_equal(d.line[0], want1);
	if (want2)
		assert_string_equal(d.line[1], want2);
	diag_clear(&d);
}

static void
test_check_bindings(void **state)
{
	struct fixture *fx = *state;
	char *bad_exprs[] = { "{{task.title}}", "{{var.deadline}}", "{{task.titel}}" };
	char *ins_task[] = { "{{task.deadline|md}}", "{{var.contact}}" };
	char *ins_other[] = { "{{var.deadline}}", "{{var.phone}}" };

	expect_diag(fx, NULL, NULL);
	/* An unknown template, at the binding's line. */
	ali_bindings[0].tmpl = "remider";
	expect_diag(fx, "duban.cfg:30: provider aliyun: template \"remider\" is bound, but there "
			 "is no templates/remider.txt",
		     NULL);
	ali_bindings[0].tmpl = "reminder";
	/* A reminder has no var.*; a typo is no variable: each at its own line. */
	ali_bindings[0].pexpr = bad_exprs;
	expect_diag(fx,
		     "duban.cfg:32: provider aliyun: template reminder: value of deadline uses "
		     "{{var.deadline}}, which a message of template \"reminder\" does not have "
		     "(it is a task's reminder: task.*, person.*, now, signature)",
		     "duban.cfg:33: provider aliyun: template reminder: value of code: unknown "
		     "variable 'task.titel'");
	ali_bindings[0].pexpr = ali_rem_exprs;
	/* A notice has no task; and only the var.* its template is given. */
	ali_bindings[1].pexpr = ins_task;
	expect_diag(fx,
		     "duban.cfg:41: provider aliyun: template insurance: value of deadline uses "
		     "{{task.deadline}}, which a message of template \"insurance\" does not have "
		     "(it is a notice: person.*, now, signature and the var.* and notice.* it uses)",
		     NULL);
	ali_bindings[1].pexpr = ins_other;
	expect_diag(fx,
		     "duban.cfg:42: provider aliyun: template insurance: value of contact uses "
		     "{{var.phone}}, which a message of template \"insurance\" does not have "
		     "(it is a notice: person.*, now, signature and the var.* and notice.* it uses)",
		     NULL);
	ali_bindings[1].pexpr = ali_ins_exprs;
	expect_diag(fx, NULL, NULL);
}

/* ---- which provider can carry what ---------------------------------------------------- */

static void
test_refused_routes(void **state)
{
	struct fixture *fx = *state;
	struct route *r = NULL;
	char err[512];

	/* Free text with only template providers: refused, saying why. */
	assert_int_equal(route_open(fx->cfg, NULL, &r, err, sizeof(err)), -1);
	assert_null(r);
	assert_string_equal(err, "a free text cannot be sent: every configured provider (aliyun, "
				 "tencent) takes only approved templates; send a template that "
				 "one of them has a binding for");
	/* A template no provider has a binding for. */
	assert_int_equal(route_open(fx->cfg, tmpl_set_get(fx->tmpls, "hello"), &r, err,
				    sizeof(err)),
			 -1);
	assert_string_equal(err, "template \"hello\" (a message) cannot be sent: no provider takes "
				 "free text and none of aliyun, tencent has a binding for it (add "
				 "it to a provider's templates)");
	assert_int_equal(route_open(fx->cfg, tmpl_set_get(fx->tmpls, "training"), &r, err,
				    sizeof(err)),
			 0); /* tencent has it */
	route_free(r);
	/* With a free-text provider behind them, both go. */
	use_providers(fx, 0, 3);
	assert_int_equal(route_open(fx->cfg, NULL, &r, err, sizeof(err)), 0);
	route_free(r);
	assert_int_equal(route_open(fx->cfg, tmpl_set_get(fx->tmpls, "hello"), &r, err,
				    sizeof(err)),
			 0);
	route_free(r);
	/* No provider configured at all: free text as before. */
	use_providers(fx, 0, 0);
	assert_int_equal(route_open(fx->cfg, NULL, &r, err, sizeof(err)), 0);
	route_free(r);
}

/* ---- rendering at queue time -------------------------------------------------------- */

static void
test_render_reminder(void **state)
{
	struct fixture *fx = *state;
	struct route_out ro;
	struct route_send s;
	char err[512] = "";

	if (render_reminder(fx, &ro, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	/* Each provider's values, in the configured order; Tencent shortened by |max:12. */
	assert_string_equal(ro.params, "{\"aliyun\":[\"梅岙塘农田改造工程\",\"12月31日\",\"T3\"],"
				       "\"tencent\":[\"梅岙塘农田改造工程\",\"12月31日\",\"T3\"]}");
	/* The first provider's text, without the signature it goes out with. */
	assert_string_equal(ro.body, "您牵头的“梅岙塘农田改造工程”将于12月31日到期，请抓紧办理。回复“完成T3”办结。");
	assert_string_equal(ro.signature, SIGN);
	assert_string_equal(ro.provider, "aliyun");
	/* 【小雄镇人民政府】 (9) + 43 characters: one UCS-2 part. */
	assert_int_equal(ro.info.encoding, SMS_UCS2);
	assert_int_equal(ro.info.chars, 52);
	assert_int_equal(ro.info.parts, 1);

	/* What the dispatcher reads back, per provider. */
	assert_int_equal(route_send_prepare(&fx->prov[1], "reminder", ro.params, ro.body, &s, err,
					    sizeof(err)),
			 0);
	assert_ptr_equal(s.binding, &tc_bindings[0]);
	assert_string_equal(s.values[0], "梅岙塘农田改造工程");
	assert_string_equal(s.values[2], "T3");
	route_send_clear(&s);
	assert_true(route_can_carry(&fx->prov[0], "reminder", ro.params));
	assert_false(route_can_carry(&fx->prov[0], "training", ro.params));
	assert_false(route_can_carry(&fx->prov[0], NULL, NULL));
	assert_int_equal(route_send_prepare(&fx->prov[1], "insurance", ro.params, ro.body, &s, err,
					    sizeof(err)),
			 -1);
	assert_string_equal(err, "provider tencent has no binding for template \"insurance\"");
	/* A free-text provider sends the body. */
	assert_int_equal(route_send_prepare(&fx->prov[2], "reminder", ro.params, ro.body, &s, err,
					    sizeof(err)),
			 0);
	assert_null(s.binding);
	assert_string_equal(s.text, ro.body);
	route_send_clear(&s);
	route_out_clear(&ro);

	/* A free-text provider after the template ones gets duban's own text ("*"). */
	use_providers(fx, 0, 3);
	if (render_reminder(fx, &ro, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_string_equal(ro.params, "{\"aliyun\":[\"梅岙塘农田改造工程\",\"12月31日\",\"T3\"],"
				       "\"tencent\":[\"梅岙塘农田改造工程\",\"12月31日\",\"T3\"],"
				       "\"*\":\"duban's own text\"}");
	assert_int_equal(route_send_prepare(&fx->prov[2], "reminder", ro.params, ro.body, &s, err,
					    sizeof(err)),
			 0);
	assert_string_equal(s.text, "duban's own text");
	route_send_clear(&s);
	route_out_clear(&ro);

	/* Tencent first: its text, and "*" for the free-text provider behind it. */
	use_providers(fx, 1, 2);
	if (render_reminder(fx, &ro, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_string_equal(ro.params, "{\"tencent\":[\"梅岙塘农田改造工程\",\"12月31日\",\"T3\"],"
				       "\"*\":\"duban's own text\"}");
	assert_string_equal(ro.provider, "tencent");
	route_out_clear(&ro);
	/* A free-text provider first: body is duban's text, and no "*". */
	struct provider_conf order[2] = { fx->prov[2], fx->prov[1] };
	fx->cfg->providers = order;
	if (render_reminder(fx, &ro, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_string_equal(ro.params, "{\"tencent\":[\"梅岙塘农田改造工程\",\"12月31日\",\"T3\"]}");
	assert_string_equal(ro.body, "duban's own text");
	assert_string_equal(ro.provider, "sim");
	route_out_clear(&ro);
}

static void
test_value_limits(void **state)
{
	struct fixture *fx = *state;
	struct route_out ro;
	char err[512] = "";

	/* 41 characters: over Aliyun's 35, refused naming the task and the placeholder. */
	fx->task.title = "小雄镇梅岙塘村二〇〇八年度高标准农田改造暨水利设施配套建设工程第一期项目建设（续）";
	assert_int_equal(render_reminder(fx, &ro, err, sizeof(err)), -1);
	assert_null(ro.params);
	assert_string_equal(err, "task T3: template reminder: the value of task is 41 characters, "
				 "over the limit of provider aliyun (35, max_param); shorten it "
				 "with {{task.title|max:35}}");
	/* Shortened explicitly, it goes, ending in "…". */
	ali_rem_exprs[0] = "{{task.title|max:20}}";
	if (render_reminder(fx, &ro, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_string_equal(ro.params,
			    "{\"aliyun\":[\"小雄镇梅岙塘村二〇〇八年度高标准农田改…\",\"12月31日\",\"T3\"],"
			    "\"tencent\":[\"小雄镇梅岙塘村二〇〇八…\",\"12月31日\",\"T3\"]}");
	route_out_clear(&ro);
	ali_rem_exprs[0] = "{{task.title}}";
	/* A web address in a value. */
	fx->task.title = "详见www.xiaoxiong.gov.cn";
	assert_int_equal(render_reminder(fx, &ro, err, sizeof(err)), -1);
	assert_string_equal(err, "task T3: template reminder: the value of task: the value holds "
				 "a link, which provider 'aliyun' refuses");
	fx->task.title = "见 HTTPS://x.cn";
	assert_int_equal(render_reminder(fx, &ro, err, sizeof(err)), -1);
	/* A line break would break the provider's template. */
	fx->task.title = "梅岙塘\n农田";
	assert_int_equal(render_reminder(fx, &ro, err, sizeof(err)), -1);
	assert_string_equal(err, "task T3: template reminder: the value of task: the value has a "
				 "line break");
	fx->task.title = "梅岙塘农田改造工程";
}

/* Values with quotes, backslashes and control characters come back as they went. */
static void
test_values_round_trip(void **state)
{
	struct fixture *fx = *state;
	struct route_out ro;
	struct route_send s;
	char err[512] = "";

	fx->task.title = "梅岙塘\"农田\\改造\t\x01";
	if (render_reminder(fx, &ro, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_string_equal(ro.params,
			    "{\"aliyun\":[\"梅岙塘\\\"农田\\\\改造\\t\\u0001\",\"12月31日\",\"T3\"],"
			    "\"tencent\":[\"梅岙塘\\\"农田\\\\改造\\t\\u0001\",\"12月31日\",\"T3\"]}");
	assert_int_equal(route_send_prepare(&fx->prov[1], "reminder", ro.params, ro.body, &s, err,
					    sizeof(err)),
			 0);
	assert_string_equal(s.values[0], fx->task.title);
	assert_string_equal(s.values[1], "12月31日");
	route_send_clear(&s);
	route_out_clear(&ro);
	/* What duban did not write carries nothing. */
	assert_false(route_can_carry(&fx->prov[0], "reminder", "{\"aliyun\": [\"a\",\"b\",\"c\"]}"));
	assert_false(route_can_carry(&fx->prov[0], "reminder", "{\"aliyun\":[\"a\",\"b\"]}"));
	assert_true(route_can_carry(&fx->prov[0], "reminder", "{\"aliyun\":[\"a\",\"b\",\"c\"]}"));
	assert_false(route_can_carry(&fx->prov[0], "reminder", "{\"aliyun\":[\"a\",\"b\",\"c"));
	assert_false(route_can_carry(&fx->prov[0], "reminder", "{\"aliyunx\":[\"a\",\"b\",\"c\"]}"));
	fx->task.title = "梅岙塘农田改造工程";
}

/* ---- what is stored ------------------------------------------------------------------- */

static void
test_notice_params(void **state)
{
	struct fixture *fx = *state;
	const char *to[] = { "person:陈宝根", "person:张阿满" };
	char *ins_vars[] = { "deadline=12月20日", "contact=李明" };
	char *tr_vars[] = { "date=12月15日" };
	struct notice_req rq = { .to = to, .nto = 2, .template_name = "insurance",
				 .vars = ins_vars, .nvars = 2 };
	struct notice_result res;

	/* Shared values: every row the same params string (one batch). */
	assert_int_equal(notice_create(&fx->x, &rq, &res), ACTION_OK);
	assert_false(res.plan.personal);
	assert_string_equal(res.plan.text, "请于12月20日前到村委会登记参保，咨询李明。");
	notice_result_clear(&res);
	assert_int_equal(unit_sql_int(fx->path, "SELECT count(*) FROM message WHERE notice = 1"), 2);
	assert_int_equal(unit_sql_int(fx->path, "SELECT count(DISTINCT params) " UNIT_MSG
						"WHERE notice = 1"),
			 1);
	unit_expect_sql(fx->path, "SELECT params " UNIT_MSG "WHERE notice = 1",
			"{\"aliyun\":[\"12月20日\",\"李明\"]}");
	unit_expect_sql(fx->path, "SELECT body || '/' || parts " UNIT_MSG "WHERE notice = 1",
			"请于12月20日前到村委会登记参保，咨询李明。/1");

	/* Per-person values (a binding using person.name): params per row. */
	rq = (struct notice_req){ .to = to, .nto = 2, .template_name = "training",
				  .title = "技能培训", .vars = tr_vars, .nvars = 1 };
	assert_int_equal(notice_create(&fx->x, &rq, &res), ACTION_OK);
	assert_true(res.plan.personal);
	notice_result_clear(&res);
	unit_expect_sql(fx->path, "SELECT params " UNIT_MSG "WHERE notice = 2 ORDER BY person",
			"{\"tencent\":[\"陈宝根\",\"12月15日\"]}");
	unit_expect_sql(fx->path, "SELECT params " UNIT_MSG "WHERE notice = 2 ORDER BY person DESC",
			"{\"tencent\":[\"张阿满\",\"12月15日\"]}");
	unit_expect_sql(fx->path, "SELECT body " UNIT_MSG "WHERE notice = 2 ORDER BY person",
			"陈宝根您好：技能培训将于12月15日举办。");
}

/* An approved notice gets the values its template gives, rendered again at approval. */
static void
test_approved_notice_params(void **state)
{
	struct fixture *fx = *state;
	const char *to[] = { "person:陈宝根", "person:张阿满" };
	char *ins_vars[] = { "deadline=12月20日", "contact=李明" };
	struct notice_req rq = { .to = to, .nto = 2, .template_name = "insurance",
				 .vars = ins_vars, .nvars = 2 };
	struct notice_confirm yes = { .yes = true };
	struct notice_result res;

	fx->cfg->notices.require_approval = true;
	assert_int_equal(notice_create(&fx->x, &rq, &res), ACTION_OK);
	assert_string_equal(res.status, "pending");
	notice_result_clear(&res);
	assert_int_equal(unit_sql_int(fx->path, "SELECT count(*) FROM message"), 0);
	fx->x.actor = "approver";
	assert_int_equal(notice_approve(&fx->x, 1, &yes, &res), ACTION_OK);
	notice_result_clear(&res);
	assert_int_equal(unit_sql_int(fx->path, "SELECT count(*) " UNIT_MSG "WHERE params = "
						"'{\"aliyun\":[\"12月20日\",\"李明\"]}'"),
			 2);
	unit_expect_sql(fx->path, "SELECT body " UNIT_MSG "LIMIT 1",
			"请于12月20日前到村委会登记参保，咨询李明。");
}

static void
test_refused_queues_nothing(void **state)
{
	struct fixture *fx = *state;
	const char *to[] = { "person:陈宝根", "person:张阿满" };
	char *long_vars[] = { "deadline=12月20日",
			      "contact=小雄镇农业综合服务中心政策性农业保险试点工作领导小组办公室李明同志（代办）" };
	struct notice_req rq = { .to = to, .nto = 2, .text = "春耕补贴申报截止3月底。" };
	struct notice_result res;
	struct outbox_req mrq = { .to = "15068766188", .text = "请于今天下班前报送材料" };
	struct outbox_queued q;

	/* Free text with only template providers: refused, nothing written. */
	assert_int_equal(notice_create(&fx->x, &rq, &res), ACTION_INVALID);
	assert_int_equal(res.fault, NOTICE_IN_TEXT);
	assert_non_null(strstr(fx->x.err, "a free text cannot be sent"));
	notice_result_clear(&res);
	assert_int_equal(outbox_send(&fx->x, &mrq, &q), ACTION_INVALID);
	assert_int_equal(q.fault, OUTBOX_IN_TEXT);
	assert_non_null(strstr(fx->x.err, "a free text cannot be sent"));
	/* A value over the limit: the notice and the placeholder named, nothing written. */
	rq = (struct notice_req){ .to = to, .nto = 2, .template_name = "insurance",
				  .title = "参保", .vars = long_vars, .nvars = 2 };
	assert_int_equal(notice_create(&fx->x, &rq, &res), ACTION_INVALID);
	assert_string_equal(fx->x.err,
			    "notice \"参保\": template insurance: the value of contact is 37 "
			    "characters, over the limit of provider aliyun (35, max_param); "
			    "shorten it with {{var.contact|max:35}}");
	notice_result_clear(&res);
	assert_int_equal(unit_sql_int(fx->path, "SELECT (SELECT count(*) FROM message) + "
						"(SELECT count(*) FROM notice) + "
						"(SELECT count(*) FROM event)"),
			 0);
	/* A manual message from a template: its params, the first provider's text. */
	mrq = (struct outbox_req){ .to = "15068766188", .template_name = "insurance",
				   .vars = long_vars, .nvars = 1 };
	long_vars[1] = "contact=李明";
	mrq.nvars = 2;
	assert_int_equal(outbox_send(&fx->x, &mrq, &q), ACTION_OK);
	assert_int_equal(q.parts, 1);
	unit_expect_sql(fx->path, "SELECT params || '|' || body " UNIT_MSG,
			"{\"aliyun\":[\"12月20日\",\"李明\"]}|请于12月20日前到村委会登记参保，咨询李明。");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_check_bindings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_routes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_render_reminder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_value_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_values_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notice_params, setup, teardown),
		cmocka_unit_test_setup_teardown(test_approved_notice_params, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_queues_nothing, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
