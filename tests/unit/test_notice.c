/*
 * test_notice.c - notices below the CLI: notice references, checking a
 * text or template before anything is queued (every var.* given, no task
 * variables, a title when used), and on a real database the audience
 * (union, each person once, opted-out people counted and left out,
 * selectors that select nobody refused, the recorded text read back), the
 * plan (parts and totals, a text per person), queuing (one row each, keys
 * n:NOTICE:PERSON, bulk priority), cancelling and resending once; and the
 * actions the CLI and the API share: create (a dry run writes nothing; the
 * refusals name the input at fault; the confirmation over
 * notices.confirm_over), approve (pending only, never by its creator),
 * cancel and resend, each with its audit event or not at all.
 */
#include "unit.h"

#include <limits.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config.h"
#include "core/ctx.h"
#include "core/notice.h"
#include "store/store.h"
#include "core/tmpl.h"
#include "base/diag.h"
#include "base/zone.h"
#include "base/clock.h"

struct fixture {
	char dir[64];
	char path[PATH_MAX];
	struct store *st;
	int64_t p[6];    /* six people; p[1] opted out */
	struct duban_config *cfg;  /* the defaults, for the actions */
	struct tmpl_set *tmpls;    /* dir/tpl: insurance, training */
	struct duban_ctx x;        /* actor "clerk" */
};

static int64_t
add_person(struct store *st, const char *name, const char *phone, const char *org,
	   const char *kind)
{
	struct person p = { .name = (char *)name, .phone = (char *)phone, .org = (char *)org,
			    .kind = (char *)kind };
	int64_t id = 0;

	assert_int_equal(store_person_add(st, &p, &id), STORE_OK);
	return id;
}

static void
join(struct store *st, const char *group, int64_t person)
{
	struct group g = { 0 };

	assert_int_equal(store_group_find(st, group, true, &g), STORE_OK);
	assert_int_equal(store_member_add(st, g.id, person, NULL), STORE_OK);
	group_clear(&g);
}

static int
write_template(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s.txt", dir, name);
	if ((fp = fopen(path, "w")) == NULL)
		return -1;
	fputs(text, fp);
	return fclose(fp);
}

/* What the actions need beside the database: a configuration, templates, an actor. */
static int
setup_actions(struct fixture *fx)
{
	char dir[sizeof(fx->dir) + 8];
	struct diag d = { 0 };

	snprintf(dir, sizeof(dir), "%s/tpl", fx->dir);
	if (mkdir(dir, 0700) != 0 ||
	    write_template(dir, "insurance", "请于{{var.deadline}}前登记，咨询{{var.contact}}。\n") != 0 ||
	    write_template(dir, "training", "{{person.name}}您好：{{notice.title}}将于{{var.date}}举办。\n") != 0 ||
	    tmpl_set_load_dir(dir, &fx->tmpls, &d) != 0 || (fx->cfg = config_defaults()) == NULL)
		return -1;
	fx->x = (struct duban_ctx){ .st = fx->st, .cfg = fx->cfg, .tmpls = fx->tmpls,
				    .actor = "clerk" };
	return 0;
}

/* Six people: A, B (opted out), C in 小雄村's farmers; C, D in 庙峙村's; E an
 * official; F an enterprise in 亚达科技. */
static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char err[512];

	if (fx == NULL)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "%s", "/tmp/duban-test-notice.XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	snprintf(fx->path, sizeof(fx->path), "%s/duban.db", fx->dir);
	if (store_open(fx->path, true, &fx->st, err, sizeof(err)) != STORE_OK)
		return -1;
	fx->p[0] = add_person(fx->st, "陈宝根", "+8615068766188", "小雄村", "farmer");
	fx->p[1] = add_person(fx->st, "林阿昌", "+8613957608929", "小雄村", "farmer");
	fx->p[2] = add_person(fx->st, "陈彩芬", "+8618657696481", "小雄村", "farmer");
	fx->p[3] = add_person(fx->st, "张阿满", "+8613957601140", "庙峙村", "farmer");
	fx->p[4] = add_person(fx->st, "郑秀兰", "+8617768096319", "小雄镇", "official");
	fx->p[5] = add_person(fx->st, "叶建国", "+8613857600002", "亚达科技", "enterprise");
	join(fx->st, "农户-小雄村", fx->p[0]);
	join(fx->st, "农户-小雄村", fx->p[1]);
	join(fx->st, "农户-小雄村", fx->p[2]);
	join(fx->st, "农户-庙峙村", fx->p[2]);
	join(fx->st, "农户-庙峙村", fx->p[3]);
	assert_int_equal(store_group_add(fx->st, "空组", "", NULL), STORE_OK);
	assert_int_equal(store_person_set_optout(fx->st, fx->p[1], 1228870800), STORE_OK);
	if (setup_actions(fx) != 0)
		return -1;
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
	config_free(fx->cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	if (system(cmd) != 0)
		return -1;
	free(fx);
	return 0;
}

static int64_t
count(struct fixture *fx, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int64_t v;

	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static struct tmpl *
parse(const char *name, const char *text)
{
	struct tmpl *t = NULL;
	struct diag d = { 0 };

	if (tmpl_parse(name, NULL, text, &t, &d) != 0)
		fail_msg("tmpl_parse \"%s\"", text);
	return t;
}

/* ---- without a database -------------------------------------------------------- */

static void
test_parse_id(void **state)
{
	int64_t id;

	(void)state;
	assert_int_equal(notice_parse_id("N12", &id), 0);
	assert_int_equal(id, 12);
	assert_int_equal(notice_parse_id("n3", &id), 0);
	assert_int_equal(id, 3);
	assert_int_equal(notice_parse_id("#7", &id), 0);
	assert_int_equal(id, 7);
	assert_int_equal(notice_parse_id("8", &id), 0);
	assert_int_equal(id, 8);
	assert_int_equal(notice_parse_id("N", &id), -1);
	assert_int_equal(notice_parse_id("T1", &id), -1);
	assert_int_equal(notice_parse_id("0", &id), -1);
	assert_int_equal(notice_parse_id("12a", &id), -1);
}

static void
test_check(void **state)
{
	struct tmpl *ins = parse("insurance", "请于{{var.deadline}}前登记，咨询{{var.contact}}。");
	struct tmpl *rem = parse("reminder", "{{task.title}}到期");
	struct tmpl *tit = parse("titled", "{{notice.title}}：{{person.name}}");
	char *both[] = { "deadline=12月20日", "contact=李明" };
	char *empty[] = { "deadline=", "contact=李明" };
	struct notice_content nc = { .text = "通知", .max_parts = 6 };
	char err[256];

	(void)state;
	assert_int_equal(notice_check(&nc, err, sizeof(err)), 0);
	nc.text = "";
	assert_int_equal(notice_check(&nc, err, sizeof(err)), -1);
	nc.text = "\xff";
	assert_int_equal(notice_check(&nc, err, sizeof(err)), -1);

	nc = (struct notice_content){ .tmpl = ins, .vars = both, .nvars = 1 };
	assert_int_equal(notice_check(&nc, err, sizeof(err)), -1);
	assert_string_equal(err, "template \"insurance\" needs --var contact=...");
	nc.nvars = 0;
	assert_int_equal(notice_check(&nc, err, sizeof(err)), -1);
	assert_string_equal(err, "template \"insurance\" needs --var deadline=..., --var contact=...");
	nc.nvars = 2;
	assert_int_equal(notice_check(&nc, err, sizeof(err)), 0);
	nc.vars = empty;
	assert_int_equal(notice_check(&nc, err, sizeof(err)), -1);
	assert_false(notice_is_personal(&nc));

	nc = (struct notice_content){ .tmpl = rem };
	assert_int_equal(notice_check(&nc, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "task.title"));

	nc = (struct notice_content){ .tmpl = tit };
	assert_int_equal(notice_check(&nc, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "--title"));
	nc.title = "技能培训";
	assert_int_equal(notice_check(&nc, err, sizeof(err)), 0);
	assert_true(notice_is_personal(&nc));
	tmpl_free(ins);
	tmpl_free(rem);
	tmpl_free(tit);
}

/* ---- the audience ---------------------------------------------------------------- */

static void
add_ok(struct fixture *fx, struct notice_audience *a, const char *sel)
{
	char err[512];

	if (notice_audience_add(a, fx->st, sel, true, err, sizeof(err)) != STORE_OK)
		fail_msg("%s: %s", sel, err);
}

static void
test_audience_union(void **state)
{
	struct fixture *fx = *state;
	struct notice_audience a = { 0 };
	struct audience v;
	int64_t sel, opted;
	char err[512], *text;

	add_ok(fx, &a, "group:农户-小雄村");
	add_ok(fx, &a, "group:农户-庙峙村");
	add_ok(fx, &a, "group：农户-小雄村"); /* full-width colon; already there */
	add_ok(fx, &a, "person:陈彩芬");       /* already in both groups */
	add_ok(fx, &a, "person:+86 177 6809 6319");
	add_ok(fx, &a, "org:亚达科技");
	assert_int_equal(a.ngroup, 2);
	assert_int_equal(a.nperson, 2);
	notice_audience_view(&a, &v);
	assert_int_equal(store_audience_count(fx->st, &v, &sel, &opted), STORE_OK);
	assert_int_equal(sel, 6); /* everyone once */
	assert_int_equal(opted, 1);

	text = notice_audience_text(&a);
	assert_non_null(text);
	assert_string_equal(text, "group:农户-小雄村\ngroup:农户-庙峙村\nperson:#3\nperson:#5\norg:亚达科技");
	{
		struct notice_audience b = { 0 };
		assert_int_equal(notice_audience_parse(&b, fx->st, text, err, sizeof(err)), STORE_OK);
		notice_audience_view(&b, &v);
		assert_int_equal(store_audience_count(fx->st, &v, &sel, &opted), STORE_OK);
		assert_int_equal(sel, 6);
		notice_audience_free(&b);
	}
	free(text);
	notice_audience_free(&a);
	notice_audience_free(NULL);
}

static void
test_audience_refused(void **state)
{
	struct fixture *fx = *state;
	struct notice_audience a = { 0 };
	char err[512];

	assert_int_equal(notice_audience_add(&a, fx->st, "group:没有", true, err, sizeof(err)),
			 STORE_NOTFOUND);
	assert_int_equal(notice_audience_add(&a, fx->st, "group:空组", true, err, sizeof(err)),
			 STORE_INVALID);
	assert_int_equal(notice_audience_add(&a, fx->st, "group:空组", false, err, sizeof(err)),
			 STORE_OK);
	assert_int_equal(notice_audience_add(&a, fx->st, "org:火星", true, err, sizeof(err)),
			 STORE_INVALID);
	assert_int_equal(notice_audience_add(&a, fx->st, "kind:boss", true, err, sizeof(err)),
			 STORE_INVALID);
	assert_int_equal(notice_audience_add(&a, fx->st, "kind:other", true, err, sizeof(err)),
			 STORE_INVALID); /* nobody is of kind other */
	assert_int_equal(notice_audience_add(&a, fx->st, "team:x", true, err, sizeof(err)),
			 STORE_INVALID);
	assert_int_equal(notice_audience_add(&a, fx->st, "group:", true, err, sizeof(err)),
			 STORE_INVALID);
	assert_int_equal(notice_audience_add(&a, fx->st, "nothing", true, err, sizeof(err)),
			 STORE_INVALID);
	assert_int_equal(notice_audience_add(&a, fx->st, "person:#99", true, err, sizeof(err)),
			 STORE_NOTFOUND);
	notice_audience_free(&a);
}

/* ---- plans and queuing ------------------------------------------------------------- */

static void
test_plan_and_queue_shared(void **state)
{
	struct fixture *fx = *state;
	struct notice_audience a = { 0 };
	struct notice_content nc = { .text = "县政策性农业保险试点开始参保，保费有财政补贴，请于十二月二十日前到村委会登记，"
					     "咨询电话一三八零零一三八零零零，过期不候。回复TD退订",
				     .signature = "小雄镇人民政府", .max_parts = 6, .now = 1228870800 };
	struct notice_plan plan;
	struct notice n = { .body = "x", .audience = "kind:farmer", .send_at = 1228870800,
			    .created_by = "test" };
	int64_t id, queued;
	char err[512];

	add_ok(fx, &a, "kind:farmer");
	assert_int_equal(notice_plan(fx->st, &a, &nc, &plan, err, sizeof(err)), STORE_OK);
	assert_int_equal(plan.recipients, 3);
	assert_int_equal(plan.opted_out, 1);
	assert_false(plan.personal);
	assert_int_equal(plan.encoding, SMS_UCS2);
	assert_int_equal(plan.parts_max, 2);
	assert_int_equal(plan.total_parts, 6);
	assert_null(plan.text_for);

	assert_int_equal(store_begin(fx->st), STORE_OK);
	assert_int_equal(store_notice_add(fx->st, &n, &id), STORE_OK);
	assert_int_equal(notice_queue(fx->st, id, &a, &nc, &plan, NULL, 1228957200, &queued, err,
				      sizeof(err)),
			 STORE_OK);
	assert_int_equal(store_commit(fx->st), STORE_OK);
	assert_int_equal(queued, 3);
	assert_int_equal(count(fx, "SELECT count(*) FROM message WHERE kind = 'notice' AND priority = 30 "
				   "AND parts = 2 AND encoding = 'UCS-2' AND not_before = 1228957200 "
				   "AND dedupe_key = 'n:1:' || person"),
			 3);
	assert_int_equal(count(fx, "SELECT count(*) FROM message WHERE person = 2"), 0);
	notice_plan_clear(&plan);
	notice_audience_free(&a);

	/* too long for sms.max_parts: refused before anything is queued */
	nc.max_parts = 1;
	add_ok(fx, &a, "kind:farmer");
	assert_int_equal(notice_plan(fx->st, &a, &nc, &plan, err, sizeof(err)), STORE_INVALID);
	assert_non_null(strstr(err, "over sms.max_parts"));
	notice_audience_free(&a);
}

static void
test_plan_and_queue_personal(void **state)
{
	struct fixture *fx = *state;
	struct notice_audience a = { 0 };
	struct tmpl *t = parse("training", "{{person.name}}您好：{{notice.title}}将于{{var.date}}举办。");
	char *vars[] = { "date=12月15日" };
	struct notice_content nc = { .tmpl = t, .title = "技能培训", .vars = vars, .nvars = 1,
				     .signature = "", .max_parts = 6, .now = 1228870800 };
	struct notice_plan plan;
	struct notice n = { .body = "x", .audience = "x", .created_by = "test" };
	int64_t id, queued;
	char err[512];

	add_ok(fx, &a, "group:农户-庙峙村");
	add_ok(fx, &a, "person:郑秀兰");
	assert_int_equal(notice_plan(fx->st, &a, &nc, &plan, err, sizeof(err)), STORE_OK);
	assert_true(plan.personal);
	assert_int_equal(plan.recipients, 3);
	assert_int_equal(plan.total_parts, 3);
	assert_string_equal(plan.text_for, "陈彩芬");
	assert_string_equal(plan.text, "陈彩芬您好：技能培训将于12月15日举办。");
	assert_int_equal(store_begin(fx->st), STORE_OK);
	assert_int_equal(store_notice_add(fx->st, &n, &id), STORE_OK);
	assert_int_equal(notice_queue(fx->st, id, &a, &nc, &plan, "training", 0, &queued, err,
				      sizeof(err)),
			 STORE_OK);
	assert_int_equal(store_commit(fx->st), STORE_OK);
	assert_int_equal(queued, 3);
	assert_int_equal(count(fx, "SELECT count(*) " UNIT_MSG
				   "JOIN person p ON p.id = m.person "
				   "WHERE x.body = p.name || '您好：技能培训将于12月15日举办。' "
				   "AND m.template = 'training' AND m.dedupe_key = 'n:1:' || p.id"),
			 3);
	notice_plan_clear(&plan);
	notice_audience_free(&a);
	tmpl_free(t);
}

static void
test_cancel_and_resend(void **state)
{
	struct fixture *fx = *state;
	struct notice_audience a = { 0 };
	struct notice_content nc = { .text = "通知", .signature = "", .max_parts = 6,
				     .now = 1228870800 };
	struct notice_plan plan;
	struct notice n = { .body = "通知", .audience = "x", .created_by = "test" };
	struct notice_counts k;
	int64_t id, queued, opted, cancelled, sent, sending;
	char err[512];
	sqlite3 *db;

	add_ok(fx, &a, "kind:farmer"); /* p0, p2, p3 */
	assert_int_equal(notice_plan(fx->st, &a, &nc, &plan, err, sizeof(err)), STORE_OK);
	assert_int_equal(store_notice_add(fx->st, &n, &id), STORE_OK);
	assert_int_equal(notice_queue(fx->st, id, &a, &nc, &plan, NULL, 0, &queued, err, sizeof(err)),
			 STORE_OK);
	/* as a dispatcher would leave them: p0 failed, p2 sent, p3 queued */
	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "UPDATE message SET status = 'failed', last_error = 'x' WHERE person = 1;"
				      "UPDATE message SET status = 'sent', parts = 1 WHERE person = 3;",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);

	assert_int_equal(store_notice_resend(fx->st, id, 1228870900, &queued, &opted), STORE_OK);
	assert_int_equal(queued, 1);
	assert_int_equal(opted, 0);
	assert_int_equal(count(fx, "SELECT count(*) FROM message WHERE dedupe_key = 'n:1:1:r1'"), 1);
	assert_int_equal(store_notice_resend(fx->st, id, 1228870900, &queued, &opted), STORE_OK);
	assert_int_equal(queued, 0);
	assert_int_equal(store_notice_counts(fx->st, id, &k), STORE_OK);
	assert_int_equal(k.queued, 2);
	assert_int_equal(k.sent, 1);
	assert_int_equal(k.failed, 0);
	assert_int_equal(k.resent, 1);
	assert_int_equal(k.parts, 1);

	assert_int_equal(store_notice_cancel(fx->st, id, 1228871000, &cancelled, &sent, &sending),
			 STORE_OK);
	assert_int_equal(cancelled, 2);
	assert_int_equal(sent, 1);
	assert_int_equal(sending, 0);
	assert_int_equal(count(fx, "SELECT count(*) FROM notice WHERE status = 'cancelled'"), 1);
	assert_int_equal(count(fx, "SELECT count(*) FROM message WHERE status = 'sent'"), 1);
	notice_plan_clear(&plan);
	notice_audience_free(&a);
}

/* ---- the actions ---------------------------------------------------------------------- */

static void
exec_sql(struct fixture *fx, const char *sql)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_close(db);
}

static int64_t
written(struct fixture *fx)
{
	return count(fx, "SELECT (SELECT count(*) FROM notice) + (SELECT count(*) FROM message) + "
			 "(SELECT count(*) FROM event)");
}

static void
test_create(void **state)
{
	struct fixture *fx = *state;
	const char *to[] = { "kind:farmer" };
	struct notice_req rq = { .to = to, .nto = 1,
				 .text = "村级财务公开：本月账目已张贴于村委会公告栏，欢迎监督。" };
	struct notice_result res;
	struct notice n = { 0 };

	/* a dry run plans and writes nothing */
	rq.dry_run = true;
	assert_int_equal(notice_create(&fx->x, &rq, &res), ACTION_OK);
	assert_int_equal(res.id, 0);
	assert_int_equal(res.plan.recipients, 3);
	assert_int_equal(res.plan.opted_out, 1);
	assert_string_equal(res.status, "queued");
	notice_result_clear(&res);
	assert_int_equal(written(fx), 0);

	rq.dry_run = false;
	assert_int_equal(notice_create(&fx->x, &rq, &res), ACTION_OK);
	assert_int_equal(res.id, 1);
	assert_int_equal(res.queued, 3);
	notice_result_clear(&res);
	assert_int_equal(store_notice_get(fx->st, 1, &n), STORE_OK);
	assert_string_equal(n.created_by, "clerk");
	assert_string_equal(n.status, "queued");
	assert_string_equal(n.audience, "kind:farmer");
	assert_string_equal(n.title, "村级财务公开：本月账目已张贴于村委会公告…"); /* 20 characters */
	assert_int_equal(n.recipients, 3);
	notice_clear(&n);
	assert_int_equal(count(fx, "SELECT count(*) FROM message WHERE notice = 1"), 3);
	assert_int_equal(count(fx, "SELECT count(*) FROM event WHERE actor = 'clerk' AND "
				   "action = 'notice.create' AND object = 'N1' AND "
				   "detail = 'queued: 3 recipients, 1 opted out'"),
			 1);

	/* a template with its vars and title; later: scheduled */
	to[0] = "group:农户-庙峙村";
	char *vars[] = { "date=12月15日" };
	rq = (struct notice_req){ .to = to, .nto = 1, .template_name = "training",
				  .title = "技能培训", .vars = vars, .nvars = 1,
				  .send_at = time_now() + 3600 };
	assert_int_equal(notice_create(&fx->x, &rq, &res), ACTION_OK);
	assert_string_equal(res.status, "scheduled");
	assert_true(res.plan.personal);
	notice_result_clear(&res);
	assert_int_equal(count(fx, "SELECT count(*) " UNIT_MSG "WHERE notice = 2 AND "
				   "template = 'training' AND x.body LIKE '%您好：技能培训将于12月15日举办。'"),
			 2);
	assert_int_equal(count(fx, "SELECT count(*) FROM notice WHERE id = 2 AND vars = 'date=12月15日'"),
			 1);
}

/* Each refusal names its input and writes nothing. */
static void
test_create_refused(void **state)
{
	struct fixture *fx = *state;
	const char *to[2] = { "kind:farmer", NULL };
	char *one[] = { "deadline=12月20日" };
	struct notice_req rq;
	struct notice_result res;
	const struct {
		const char *sel, *text, *tmpl;
		char *const *vars;
		size_t nvars;
		int64_t send_at;
		int rc;
		enum notice_input fault;
	} cases[] = {
		{ "group:没有", "x", NULL, NULL, 0, 0, ACTION_NOTFOUND, NOTICE_IN_SELECTOR },
		{ "group:空组", "x", NULL, NULL, 0, 0, ACTION_INVALID, NOTICE_IN_SELECTOR },
		{ "kind:boss", "x", NULL, NULL, 0, 0, ACTION_INVALID, NOTICE_IN_SELECTOR },
		{ "person:林阿昌", "x", NULL, NULL, 0, 0, ACTION_INVALID, NOTICE_IN_AUDIENCE },
		{ "kind:farmer", "x", NULL, NULL, 0, 1228870800, ACTION_INVALID, NOTICE_IN_SEND_AT },
		{ "kind:farmer", "", NULL, NULL, 0, 0, ACTION_INVALID, NOTICE_IN_TEXT },
		{ "kind:farmer", NULL, "nope", NULL, 0, 0, ACTION_NOTFOUND, NOTICE_IN_TEMPLATE },
		{ "kind:farmer", NULL, "insurance", one, 1, 0, ACTION_INVALID, NOTICE_IN_VARS },
		{ "kind:farmer", NULL, "training", NULL, 0, 0, ACTION_INVALID, NOTICE_IN_VARS },
		{ "kind:farmer", "x", "insurance", NULL, 0, 0, ACTION_INVALID, NOTICE_IN_TEXT },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		to[0] = cases[i].sel;
		rq = (struct notice_req){ .to = to, .nto = 1, .text = cases[i].text,
					  .template_name = cases[i].tmpl, .vars = cases[i].vars,
					  .nvars = cases[i].nvars, .send_at = cases[i].send_at };
		if (notice_create(&fx->x, &rq, &res) != cases[i].rc || res.fault != cases[i].fault)
			fail_msg("case %zu (%s): %s, fault %d", i, cases[i].sel, fx->x.err, res.fault);
		assert_int_equal(res.id, 0);
		notice_result_clear(&res);
		/* a dry run is refused the same way */
		rq.dry_run = true;
		assert_int_equal(notice_create(&fx->x, &rq, &res), cases[i].rc);
		notice_result_clear(&res);
	}
	assert_int_equal(written(fx), 0);
}

static int asked;

static int
say(void *arg, const struct notice_plan *p, int64_t send_at)
{
	(void)send_at;
	asked++;
	assert_int_equal(p->recipients, 3);
	return *(int *)arg;
}

static void
test_create_confirm(void **state)
{
	struct fixture *fx = *state;
	const char *to[] = { "kind:farmer" };
	int no = -1, yes = 0;
	struct notice_req rq = { .to = to, .nto = 1, .text = "通知" };
	struct notice_result res;

	fx->cfg->notices.confirm_over = 2;
	assert_int_equal(notice_create(&fx->x, &rq, &res), ACTION_INVALID);
	assert_int_equal(res.fault, NOTICE_IN_CONFIRM);
	assert_string_equal(fx->x.err, "3 recipients is more than notices.confirm_over (2)");
	notice_result_clear(&res);
	rq.confirm = (struct notice_confirm){ .fn = say, .arg = &no };
	assert_int_equal(notice_create(&fx->x, &rq, &res), ACTION_INVALID);
	assert_int_equal(asked, 1);
	notice_result_clear(&res);
	/* a dry run asks nobody */
	rq.dry_run = true;
	assert_int_equal(notice_create(&fx->x, &rq, &res), ACTION_OK);
	assert_int_equal(asked, 1);
	notice_result_clear(&res);
	assert_int_equal(written(fx), 0);
	rq.dry_run = false;
	rq.confirm.arg = &yes;
	assert_int_equal(notice_create(&fx->x, &rq, &res), ACTION_OK);
	assert_int_equal(asked, 2);
	notice_result_clear(&res);
	rq.confirm = (struct notice_confirm){ .yes = true, .fn = say, .arg = &no };
	assert_int_equal(notice_create(&fx->x, &rq, &res), ACTION_OK);
	assert_int_equal(asked, 2);
	notice_result_clear(&res);
	/* waiting for approval, nothing is asked at creation */
	fx->cfg->notices.require_approval = true;
	rq.confirm.yes = false;
	assert_int_equal(notice_create(&fx->x, &rq, &res), ACTION_OK);
	assert_string_equal(res.status, "pending");
	assert_int_equal(asked, 2);
	notice_result_clear(&res);
	assert_int_equal(count(fx, "SELECT count(*) FROM notice"), 3);
}

static void
test_approve(void **state)
{
	struct fixture *fx = *state;
	const char *to[] = { "kind:farmer" };
	char *vars[] = { "date=12月15日" };
	struct notice_req rq = { .to = to, .nto = 1, .template_name = "training",
				 .title = "技能培训", .vars = vars, .nvars = 1 };
	struct notice_confirm c = { 0 };
	struct notice_result res;

	fx->cfg->notices.require_approval = true;
	fx->x.actor = "郑秀兰 (#5)";
	assert_int_equal(notice_create(&fx->x, &rq, &res), ACTION_OK);
	assert_string_equal(res.status, "pending");
	assert_int_equal(res.queued, 0);
	assert_int_equal(res.plan.recipients, 3);
	notice_result_clear(&res);
	assert_int_equal(count(fx, "SELECT count(*) FROM message"), 0);
	assert_int_equal(count(fx, "SELECT count(*) FROM event WHERE detail = 'pending: 3 recipients, "
				   "1 opted out'"),
			 1);

	assert_int_equal(notice_approve(&fx->x, 1, &c, &res), ACTION_INVALID);
	assert_non_null(strstr(fx->x.err, "cannot approve it too"));
	notice_result_clear(&res);
	assert_int_equal(notice_approve(&fx->x, 9, &c, &res), ACTION_NOTFOUND);
	notice_result_clear(&res);

	/* the audience as it is when approved: who opted out meanwhile is left out */
	assert_int_equal(store_person_set_optout(fx->st, fx->p[3], 1228870900), STORE_OK);
	fx->x.actor = "林志远 (#7)";
	assert_int_equal(notice_approve(&fx->x, 1, &c, &res), ACTION_OK);
	assert_int_equal(res.id, 1);
	assert_int_equal(res.queued, 2);
	assert_int_equal(res.plan.opted_out, 2);
	assert_string_equal(res.status, "queued");
	notice_result_clear(&res);
	assert_int_equal(count(fx, "SELECT count(*) " UNIT_MSG
				   "JOIN person p ON p.id = m.person "
				   "WHERE m.notice = 1 AND x.body = p.name || '您好：技能培训将于12月15日举办。'"),
			 2);
	assert_int_equal(count(fx, "SELECT count(*) FROM notice WHERE status = 'queued' "
				   "AND approved_by = '林志远 (#7)' AND recipients = 2"),
			 1);
	assert_int_equal(count(fx, "SELECT count(*) FROM event WHERE actor = '林志远 (#7)' AND "
				   "action = 'notice.approve' AND detail = 'queued: 2 recipients, 2 "
				   "opted out; created by 郑秀兰 (#5)'"),
			 1);
	assert_int_equal(notice_approve(&fx->x, 1, &c, &res), ACTION_INVALID);
	assert_non_null(strstr(fx->x.err, "not waiting for approval"));
	notice_result_clear(&res);

	/* over notices.confirm_over, approving asks too */
	fx->cfg->notices.confirm_over = 1;
	fx->x.actor = "郑秀兰 (#5)";
	assert_int_equal(notice_create(&fx->x, &rq, &res), ACTION_OK);
	notice_result_clear(&res);
	fx->x.actor = "林志远 (#7)";
	assert_int_equal(notice_approve(&fx->x, 2, &c, &res), ACTION_INVALID);
	assert_int_equal(res.fault, NOTICE_IN_CONFIRM);
	notice_result_clear(&res);
	assert_int_equal(count(fx, "SELECT count(*) FROM message WHERE notice = 2"), 0);
}

static void
test_cancel_resend_actions(void **state)
{
	struct fixture *fx = *state;
	const char *to[] = { "kind:farmer" };
	struct notice_req rq = { .to = to, .nto = 1, .text = "通知" };
	struct notice_result res;
	struct notice_cancelled k;
	int64_t queued, opted;

	assert_int_equal(notice_create(&fx->x, &rq, &res), ACTION_OK);
	notice_result_clear(&res);
	exec_sql(fx, "UPDATE message SET status = 'failed' WHERE person = 1");
	assert_int_equal(notice_resend(&fx->x, 1, &queued, &opted), ACTION_OK);
	assert_int_equal(queued, 1);
	assert_int_equal(count(fx, "SELECT count(*) FROM event WHERE action = 'notice.resend' "
				   "AND detail = '1 queued again, 0 opted out, 0 refused for good'"),
			 1);
	assert_int_equal(notice_cancel(&fx->x, 1, &k), ACTION_OK);
	assert_false(k.already);
	assert_false(k.was_pending);
	assert_int_equal(k.cancelled, 3);
	assert_int_equal(notice_cancel(&fx->x, 1, &k), ACTION_OK);
	assert_true(k.already);
	assert_int_equal(k.cancelled, 0);
	assert_int_equal(count(fx, "SELECT count(*) FROM event WHERE action = 'notice.cancel' "
				   "AND detail = '3 cancelled, 0 sent, 0 being sent'"),
			 1);
	assert_int_equal(notice_resend(&fx->x, 1, &queued, &opted), ACTION_INVALID);
	assert_non_null(strstr(fx->x.err, "is cancelled: nothing to resend"));
	assert_int_equal(notice_cancel(&fx->x, 5, &k), ACTION_NOTFOUND);

	fx->cfg->notices.require_approval = true;
	assert_int_equal(notice_create(&fx->x, &rq, &res), ACTION_OK);
	notice_result_clear(&res);
	assert_int_equal(notice_resend(&fx->x, 2, &queued, &opted), ACTION_INVALID);
	assert_int_equal(notice_cancel(&fx->x, 2, &k), ACTION_OK);
	assert_true(k.was_pending);
	assert_int_equal(count(fx, "SELECT count(*) FROM event"), 5);
}

/* An audit event that cannot be written takes the notice and its messages back. */
static void
test_actions_and_events_together(void **state)
{
	struct fixture *fx = *state;
	const char *to[] = { "kind:farmer" };
	struct notice_req rq = { .to = to, .nto = 1, .text = "通知" };
	struct notice_result res;
	struct notice_cancelled k;
	int64_t queued, opted;

	assert_int_equal(notice_create(&fx->x, &rq, &res), ACTION_OK);
	notice_result_clear(&res);
	exec_sql(fx, "UPDATE message SET status = 'failed' WHERE person = 1;"
		     "CREATE TRIGGER no_events BEFORE INSERT ON event "
		     "BEGIN SELECT RAISE(ABORT, 'the audit log is full'); END");
	assert_true(notice_create(&fx->x, &rq, &res) < 0);
	assert_int_equal(res.id, 0);
	notice_result_clear(&res);
	assert_true(notice_resend(&fx->x, 1, &queued, &opted) < 0);
	assert_true(notice_cancel(&fx->x, 1, &k) < 0);
	assert_int_equal(count(fx, "SELECT count(*) FROM notice"), 1);
	assert_int_equal(count(fx, "SELECT count(*) FROM message WHERE status = 'queued'"), 2);
	assert_int_equal(count(fx, "SELECT count(*) FROM message"), 3);
}

static void
test_shown_status(void **state)
{
	struct notice n = { .status = "queued", .send_at = 100 };
	struct notice_counts k = { 0 };

	(void)state;
	assert_string_equal(notice_shown_status(&n, &k, 50), "scheduled");
	assert_string_equal(notice_shown_status(&n, &k, 100), "done");
	k.sending = 1;
	assert_string_equal(notice_shown_status(&n, &k, 100), "queued");
	n.status = "pending";
	assert_string_equal(notice_shown_status(&n, &k, 50), "pending");
	n.status = "cancelled";
	assert_string_equal(notice_shown_status(&n, &k, 100), "cancelled");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_id),
		cmocka_unit_test(test_check),
		cmocka_unit_test_setup_teardown(test_audience_union, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audience_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan_and_queue_shared, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan_and_queue_personal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_and_resend, setup, teardown),
		cmocka_unit_test(test_shown_status),
		cmocka_unit_test_setup_teardown(test_create, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_confirm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_approve, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_resend_actions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_actions_and_events_together, setup, teardown),
	};

	if (time_set_zone("Asia/Shanghai") != 0)
		return 1;
	return cmocka_run_group_tests_name("notice", tests, NULL, NULL);
}
