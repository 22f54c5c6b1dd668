/*
 * notice.c - policy notices: parsing and resolving audience selectors,
 * checking a notice's text or template before anything is queued, working
 * out what it will cost, and queuing it; and the actions a clerk takes on
 * a notice (create, approve, cancel, resend), each writing its rows with
 * its audit event in one transaction.  The audience is never held in
 * memory: a shared text goes to the store as one INSERT ... SELECT, and a
 * text that names its recipient is rendered person by person while the
 * store streams the audience past.  All SQL is in store_notice.c.
 */
#include "core/notice.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/phone.h"
#include "core/config.h"
#include "core/person.h"
#include "core/route.h"
#include "core/sched.h"
#include "base/i18n.h"
#include "base/buf.h"
#include "base/str.h"
#include "base/utf8.h"
#include "base/clock.h"

#define AUDIENCE_TEXT_MAX (64 * 1024)

/* ---- the audience ---------------------------------------------------------- */

/* Add a copy of s to list (n entries, at most NOTICE_SELECTORS_MAX) unless it is there. */
static int
list_add(char **list, size_t *n, const char *s, const char *sel, char *err, size_t errlen)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp(list[i], s) == 0)
			return STORE_OK;
	if (*n == NOTICE_SELECTORS_MAX) {
		snprintf(err, errlen, "%s: at most %d selectors of one kind", sel,
			 NOTICE_SELECTORS_MAX);
		return STORE_INVALID;
	}
	if ((list[*n] = strdup(s)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", sel);
		return STORE_ERROR;
	}
	(*n)++;
	return STORE_OK;
}

/* Split "type:value" (or the full-width colon "type：value") into its parts. */
static int
split_selector(const char *sel, char *type, size_t typelen, const char **value)
{
	const char *colon = strchr(sel, ':');
	const char *wide = strstr(sel, "\xEF\xBC\x9A"); /* ： */
	size_t n;

	if (wide && (colon == NULL || wide < colon)) {
		n = (size_t)(wide - sel);
		*value = wide + 3;
	} else if (colon) {
		n = (size_t)(colon - sel);
		*value = colon + 1;
	} else {
		return -1;
	}
	if (n == 0 || n >= typelen)
		return -1;
	memcpy(type, sel, n);
	type[n] = '\0';
	return 0;
}

/* How many people one selector picks (for "selects nobody"). */
static int
count_one(struct store *st, const char *type, const char *value, int64_t *n)
{
	const char *const v[1] = { value };
	struct audience a = { 0 };
	int64_t opted;

	if (strcmp(type, "org") == 0) {
		a.org = v;
		a.norg = 1;
	} else {
		a.kind = v;
		a.nkind = 1;
	}
	return store_audience_count(st, &a, n, &opted);
}

static int
add_person(struct notice_audience *a, struct store *st, const char *who, const char *sel,
	   char *err, size_t errlen)
{
	struct person p = { 0 };
	int rc;

	rc = store_person_find(st, who, &p);
	if (rc != STORE_OK) {
		snprintf(err, errlen, "%s: %s", sel, store_errmsg(st));
		return rc;
	}
	for (size_t i = 0; i < a->nperson; i++)
		if (a->person[i] == p.id)
			goto out;
	if (a->nperson == NOTICE_SELECTORS_MAX) {
		snprintf(err, errlen, "%s: at most %d people named one by one (use a group)", sel,
			 NOTICE_SELECTORS_MAX);
		rc = STORE_INVALID;
		goto out;
	}
	a->person[a->nperson++] = p.id;
out:
	person_clear(&p);
	return rc;
}

static int
add_group(struct notice_audience *a, struct store *st, const char *name, bool nonempty,
	  const char *sel, char *err, size_t errlen)
{
	struct group g = { 0 };
	int rc = store_group_find(st, name, false, &g);

	if (rc != STORE_OK) {
		snprintf(err, errlen, "%s: %s", sel, store_errmsg(st));
		return rc;
	}
	if (nonempty && g.members == 0) {
		snprintf(err, errlen, "%s: the group has no members", sel);
		rc = STORE_INVALID;
	} else {
		rc = list_add(a->group, &a->ngroup, g.name, sel, err, errlen);
	}
	group_clear(&g);
	return rc;
}

int
notice_audience_add(struct notice_audience *a, struct store *st, const char *selector,
		    bool nonempty, char *err, size_t errlen)
{
	char type[16], value[256];
	const char *v;
	int64_t n;
	int rc;

	if (split_selector(selector, type, sizeof(type), &v) != 0) {
		snprintf(err, errlen,
			 "\"%s\": a selector is group:NAME, person:WHO, org:NAME or kind:KIND", selector);
		return STORE_INVALID;
	}
	if (strlcpy_checked(value, v, sizeof(value)) != 0) {
		snprintf(err, errlen, "\"%s\": longer than %zu bytes", selector, sizeof(value) - 1);
		return STORE_INVALID;
	}
	str_trim(value);
	if (*value == '\0' || strchr(value, '\n') || !utf8_valid(value, strlen(value))) {
		snprintf(err, errlen, "\"%s\": the %s must be a non-empty line of UTF-8 text", selector,
			 strcmp(type, "person") == 0 ? "person" : "name");
		return STORE_INVALID;
	}
	if (strcmp(type, "group") == 0)
		return add_group(a, st, value, nonempty, selector, err, errlen);
	if (strcmp(type, "person") == 0)
		return add_person(a, st, value, selector, err, errlen);
	if (strcmp(type, "kind") == 0 && !person_kind_valid(value)) {
		snprintf(err, errlen, "%s: the kind is official, farmer, enterprise or other", selector);
		return STORE_INVALID;
	}
	if (strcmp(type, "org") != 0 && strcmp(type, "kind") != 0) {
		snprintf(err, errlen, "\"%s\": unknown selector \"%s\" (group, person, org or kind)",
			 selector, type);
		return STORE_INVALID;
	}
	if (nonempty) {
		if ((rc = count_one(st, type, value, &n)) != STORE_OK) {
			snprintf(err, errlen, "%s: %s", selector, store_errmsg(st));
			return rc;
		}
		if (n == 0) {
			snprintf(err, errlen, "%s: nobody is %s %s", selector,
				 strcmp(type, "org") == 0 ? "in the organisation" : "of the kind", value);
			return STORE_INVALID;
		}
	}
	if (strcmp(type, "org") == 0)
		return list_add(a->org, &a->norg, value, selector, err, errlen);
	return list_add(a->kind, &a->nkind, value, selector, err, errlen);
}

char *
notice_audience_text(const struct notice_audience *a)
{
	struct buf b;
	int rc = 0;

	buf_init(&b, AUDIENCE_TEXT_MAX);
	for (size_t i = 0; i < a->ngroup; i++)
		rc |= buf_printf(&b, "group:%s\n", a->group[i]);
	for (size_t i = 0; i < a->nperson; i++)
		rc |= buf_printf(&b, "person:#%lld\n", (long long)a->person[i]);
	for (size_t i = 0; i < a->norg; i++)
		rc |= buf_printf(&b, "org:%s\n", a->org[i]);
	for (size_t i = 0; i < a->nkind; i++)
		rc |= buf_printf(&b, "kind:%s\n", a->kind[i]);
	if (rc != 0 || b.len == 0) {
		buf_free(&b);
		return NULL;
	}
	b.data[--b.len] = '\0'; /* no trailing newline */
	return buf_steal(&b);
}

int
notice_audience_parse(struct notice_audience *a, struct store *st, const char *text, char *err,
		      size_t errlen)
{
	char *copy = strdup(text), *save = NULL, *line;
	int rc = STORE_OK;

	if (copy == NULL) {
		snprintf(err, errlen, "out of memory");
		return STORE_ERROR;
	}
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if ((rc = notice_audience_add(a, st, line, false, err, errlen)) != STORE_OK)
			break;
	free(copy);
	return rc;
}

void
notice_audience_view(const struct notice_audience *a, struct audience *out)
{
	out->group = (const char *const *)a->group;
	out->ngroup = a->ngroup;
	out->person = a->person;
	out->nperson = a->nperson;
	out->org = (const char *const *)a->org;
	out->norg = a->norg;
	out->kind = (const char *const *)a->kind;
	out->nkind = a->nkind;
}

void
notice_audience_free(struct notice_audience *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < a->ngroup; i++)
		free(a->group[i]);
	for (size_t i = 0; i < a->norg; i++)
		free(a->org[i]);
	for (size_t i = 0; i < a->nkind; i++)
		free(a->kind[i]);
	memset(a, 0, sizeof(*a));
}

/* ---- the content ---------------------------------------------------------------- */

/* A var value from "key=value" strings; NULL when absent. */
static const char *
var_value(const struct notice_content *nc, const char *key)
{
	size_t n = strlen(key);

	for (size_t i = 0; i < nc->nvars; i++)
		if (strncmp(nc->vars[i], key, n) == 0 && nc->vars[i][n] == '=')
			return nc->vars[i] + n + 1;
	return NULL;
}

struct missing {
	const struct notice_content *nc;
	struct buf names;
	size_t n;
};

static void
check_var(void *arg, const char *name)
{
	struct missing *m = arg;
	const char *v = var_value(m->nc, name + 4);

	if (v != NULL && *v != '\0')
		return;
	buf_printf(&m->names, "%s--var %s=...", m->n ? ", " : "", name + 4);
	m->n++;
}

int
notice_check(const struct notice_content *nc, char *err, size_t errlen)
{
	struct missing m = { .nc = nc };
	const char *name;

	if (nc->tmpl == NULL) {
		if (nc->text == NULL || *nc->text == '\0') {
			snprintf(err, errlen, "the notice has no text");
			return -1;
		}
		if (!utf8_valid(nc->text, strlen(nc->text))) {
			snprintf(err, errlen, "the text is not valid UTF-8");
			return -1;
		}
		if (strlen(nc->text) > NOTICE_BODY_MAX) {
			snprintf(err, errlen, "the text is longer than %d bytes", NOTICE_BODY_MAX);
			return -1;
		}
		return 0;
	}
	name = tmpl_name(nc->tmpl);
	if (tmpl_uses_prefix(nc->tmpl, "task.")) {
		snprintf(err, errlen,
			 "template \"%s\" is a reminder: it uses %s, which a notice has not", name,
			 tmpl_find_prefix(nc->tmpl, "task."));
		return -1;
	}
	buf_init(&m.names, 1024);
	tmpl_each_var(nc->tmpl, check_var, &m);
	if (tmpl_uses_prefix(nc->tmpl, "notice.title") && (nc->title == NULL || *nc->title == '\0')) {
		buf_printf(&m.names, "%s--title TITLE", m.n ? ", " : "");
		m.n++;
	}
	if (m.n) {
		snprintf(err, errlen, "template \"%s\" needs %s", name,
			 m.names.data ? m.names.data : "more values");
		buf_free(&m.names);
		return -1;
	}
	buf_free(&m.names);
	return 0;
}

bool
notice_is_personal(const struct notice_content *nc)
{
	return (nc->tmpl != NULL && tmpl_uses_prefix(nc->tmpl, "person.")) ||
	       (nc->route != NULL && route_personal(nc->route));
}

/* Render the content for p (NULL: shared) into out (emptied first). */
static int
render(const struct notice_content *nc, const struct person *p, struct buf *out, char *err,
       size_t errlen)
{
	out->len = 0;
	if (out->data)
		out->data[0] = '\0';
	if (nc->tmpl == NULL) {
		if (buf_adds(out, nc->text) == 0)
			return 0;
		snprintf(err, errlen, "the text is longer than %zu bytes", out->max);
		return -1;
	}
	struct msg_vars mv = { .person = p, .signature = nc->signature, .now = nc->now,
			       .notice_title = nc->title, .vars = nc->vars, .nvars = nc->nvars };
	return tmpl_render(nc->tmpl, msg_vars_lookup, &mv, out, err, errlen);
}

/* Measure text and refuse it over max_parts; who names the recipient (NULL: everyone). */
static int
measure(const struct notice_content *nc, const char *text, const struct person *who,
	struct sms_info *info, char *err, size_t errlen)
{
	if (sms_measure(text, nc->signature, info, err, errlen) != 0)
		return -1;
	if (info->parts > nc->max_parts) {
		if (who)
			snprintf(err, errlen,
				 "the text for %s (#%lld) is %u SMS parts, over sms.max_parts (%u)",
				 who->name, (long long)who->id, info->parts, nc->max_parts);
		else
			snprintf(err, errlen, "the text is %u SMS parts, over sms.max_parts (%u)",
				 info->parts, nc->max_parts);
		return -1;
	}
	return 0;
}

/* How errors name the notice (and its recipient p, NULL: everyone). */
static void
notice_what(const struct notice_content *nc, const struct person *p, char *out, size_t outlen)
{
	int n;

	if (nc->id)
		n = snprintf(out, outlen, _("notice N%lld"), (long long)nc->id);
	else if (nc->title)
		n = snprintf(out, outlen, _("notice \"%s\""), nc->title);
	else
		n = snprintf(out, outlen, "%s", _("the notice"));
	if (p && n > 0 && (size_t)n < outlen)
		snprintf(out + n, outlen - (size_t)n, _(" for %s (#%lld)"), p->name, (long long)p->id);
}

/*
 * The message of nc for p (NULL: shared): rendered into body and measured,
 * then routed when nc has a route.  *text and *info are what the first
 * provider able to carry it sends (body's text, or ro->body), ro has the
 * template providers' values (cleared by the caller).  0 or -1 with err.
 */
static int
compose(const struct notice_content *nc, const struct person *p, struct buf *body,
	struct route_out *ro, const char **text, struct sms_info *info, char *err, size_t errlen)
{
	char what[256];

	memset(ro, 0, sizeof(*ro));
	if (render(nc, p, body, err, errlen) != 0 || measure(nc, body->data, p, info, err, errlen) != 0)
		return -1;
	*text = body->data;
	if (nc->route == NULL)
		return 0;
	struct msg_vars mv = { .person = p, .signature = nc->signature, .now = nc->now,
			       .notice_title = nc->title, .vars = nc->vars, .nvars = nc->nvars };
	notice_what(nc, p, what, sizeof(what));
	if (route_render(nc->route, &mv, body->data, nc->max_parts, what, ro, err, errlen) != 0)
		return -1;
	*text = ro->body;
	*info = ro->info;
	return 0;
}

void
notice_plan_clear(struct notice_plan *p)
{
	if (p == NULL)
		return;
	free(p->text);
	free(p->text_for);
	free(p->params);
	memset(p, 0, sizeof(*p));
}

/* State of a streaming walk over the audience (planning or queuing). */
struct walk {
	const struct notice_content *nc;
	struct notice_plan *plan;
	struct store *st;
	struct message m;  /* queuing: the row being added; NULL st: planning only */
	struct buf body;
	int64_t count;
	char *err;
	size_t errlen;
};

static void
plan_add(struct notice_plan *p, const struct sms_info *info, bool first)
{
	if (first) {
		p->parts_min = p->parts_max = info->parts;
		p->encoding = info->encoding;
		p->chars = info->chars;
	}
	if (info->parts < p->parts_min)
		p->parts_min = info->parts;
	if (info->parts > p->parts_max)
		p->parts_max = info->parts;
	if (info->encoding != p->encoding)
		p->mixed_encoding = true;
	p->total_parts += info->parts;
}

static int
plan_person(void *arg, const struct person *p)
{
	struct walk *w = arg;
	struct sms_info info;
	struct route_out ro;
	const char *text;

	if (compose(w->nc, p, &w->body, &ro, &text, &info, w->err, w->errlen) != 0)
		return -1;
	if (w->count == 0) {
		w->plan->text = strdup(text);
		w->plan->text_for = strdup(p->name);
		w->plan->provider = ro.provider;
		w->plan->signature = ro.signature;
		if (w->plan->text == NULL || w->plan->text_for == NULL) {
			route_out_clear(&ro);
			snprintf(w->err, w->errlen, "out of memory");
			return -1;
		}
	}
	route_out_clear(&ro);
	plan_add(w->plan, &info, w->count == 0);
	w->count++;
	return 0;
}

int
notice_plan(struct store *st, const struct notice_audience *a, const struct notice_content *nc,
	    struct notice_plan *out, char *err, size_t errlen)
{
	struct audience view;
	struct sms_info info;
	struct walk w = { .nc = nc, .plan = out, .err = err, .errlen = errlen };
	int64_t selected, opted;
	int rc;

	memset(out, 0, sizeof(*out));
	notice_audience_view(a, &view);
	if ((rc = store_audience_count(st, &view, &selected, &opted)) != STORE_OK) {
		snprintf(err, errlen, "%s", store_errmsg(st));
		return rc;
	}
	out->recipients = selected - opted;
	out->opted_out = opted;
	out->personal = notice_is_personal(nc);
	buf_init(&w.body, NOTICE_BODY_MAX);
	if (!out->personal) {
		struct route_out ro;
		const char *text;
		rc = STORE_INVALID;
		if (compose(nc, NULL, &w.body, &ro, &text, &info, err, errlen) != 0)
			goto out;
		out->text = strdup(text);
		out->params = ro.params;
		out->provider = ro.provider;
		out->signature = ro.signature;
		ro.params = NULL;
		route_out_clear(&ro);
		if (out->text == NULL) {
			snprintf(err, errlen, "out of memory");
			rc = STORE_ERROR;
			goto out;
		}
		plan_add(out, &info, true);
		out->total_parts = (int64_t)info.parts * out->recipients;
		rc = STORE_OK;
		goto out;
	}
	/* A text per person: render each one, so that every count is exact
	 * and a text too long for one recipient is found before queuing. */
	rc = store_audience_each(st, &view, plan_person, &w);
	if (rc == STORE_ERROR)
		snprintf(err, errlen, "%s", store_errmsg(st));
	out->recipients = w.count; /* what was rendered, should the audience have moved */
out:
	buf_free(&w.body);
	if (rc != STORE_OK)
		notice_plan_clear(out);
	return rc;
}

/* ---- queuing ---------------------------------------------------------------------- */

static int
queue_person(void *arg, const struct person *p)
{
	struct walk *w = arg;
	struct sms_info info;
	struct route_out ro;
	const char *text;
	char key[64];
	int rc;

	if (compose(w->nc, p, &w->body, &ro, &text, &info, w->err, w->errlen) != 0)
		return -1;
	snprintf(key, sizeof(key), "n:%lld:%lld", (long long)w->m.notice, (long long)p->id);
	w->m.person = p->id;
	w->m.phone = p->phone;
	w->m.body = (char *)text;
	w->m.encoding = (char *)sms_encoding_name(info.encoding);
	w->m.parts = (int)info.parts;
	w->m.dedupe_key = key;
	w->m.params = ro.params;
	rc = store_msg_add(w->st, &w->m, NULL);
	w->m.params = NULL;
	w->m.body = NULL;
	route_out_clear(&ro);
	if (rc == STORE_EXISTS) /* already queued for this notice: once is enough */
		return 0;
	if (rc != STORE_OK) {
		snprintf(w->err, w->errlen, "%s", store_errmsg(w->st));
		return -1;
	}
	w->count++;
	return 0;
}

int
notice_queue(struct store *st, int64_t id, const struct notice_audience *a,
	     const struct notice_content *nc, const struct notice_plan *plan,
	     const char *template_name, int64_t not_before, int64_t *queued, char *err,
	     size_t errlen)
{
	struct audience view;
	struct walk w = { .nc = nc, .plan = NULL, .st = st, .err = err, .errlen = errlen };
	int rc;

	notice_audience_view(a, &view);
	w.m.kind = "notice";
	w.m.notice = id;
	w.m.template_name = (char *)template_name;
	w.m.priority = PRIO_NOTICE;
	w.m.not_before = not_before;
	w.m.created_at = nc->now;
	if (!plan->personal) {
		if (plan->text == NULL) {
			snprintf(err, errlen, "the notice has no text");
			return STORE_INVALID;
		}
		w.m.body = plan->text;
		w.m.params = plan->params;
		w.m.encoding = (char *)sms_encoding_name(plan->encoding);
		w.m.parts = (int)plan->parts_max;
		rc = store_notice_queue_all(st, id, &view, &w.m, queued);
		if (rc != STORE_OK)
			snprintf(err, errlen, "%s", store_errmsg(st));
		return rc;
	}
	buf_init(&w.body, NOTICE_BODY_MAX);
	rc = store_audience_each(st, &view, queue_person, &w);
	if (rc == STORE_ERROR)
		snprintf(err, errlen, "%s", store_errmsg(st));
	buf_free(&w.body);
	*queued = w.count;
	return rc;
}

int
notice_parse_id(const char *s, int64_t *id)
{
	long v;

	if (*s == 'N' || *s == 'n' || *s == '#')
		s++;
	if (parse_long(s, 1, INT32_MAX, &v) != 0)
		return -1;
	*id = v;
	return 0;
}

const char *
notice_shown_status(const struct notice *n, const struct notice_counts *k, int64_t now)
{
	if (strcmp(n->status, "pending") == 0 || strcmp(n->status, "cancelled") == 0)
		return n->status;
	if (n->send_at > now)
		return "scheduled";
	return k->queued + k->sending > 0 ? "queued" : "done";
}

/* ---- the actions ------------------------------------------------------------------ */

#define TITLE_MAX 128    /* a default title: 20 characters and "…" */
#define VARS_TEXT_MAX (16 * 1024)

void
notice_result_clear(struct notice_result *r)
{
	if (r == NULL)
		return;
	notice_plan_clear(&r->plan);
	memset(r, 0, sizeof(*r));
}

/* Someone to send to, and a go-ahead over notices.confirm_over when ask is set
 * (send_at, 0 for now, is what c->fn is shown). */
static int
check_plan(struct duban_ctx *x, const struct notice_plan *p, int64_t send_at, bool ask,
	   const struct notice_confirm *c, enum notice_input *fault)
{
	if (p->recipients == 0) {
		*fault = NOTICE_IN_AUDIENCE;
		return action_refuse(x, ACTION_INVALID, "nobody to send to: all %" PRId64
					" people selected opted out", p->opted_out);
	}
	if (!ask || c->yes || p->recipients <= (int64_t)x->cfg->notices.confirm_over)
		return ACTION_OK;
	if (c->fn && c->fn(c->arg, p, send_at) == 0)
		return ACTION_OK;
	*fault = NOTICE_IN_CONFIRM;
	return action_refuse(x, ACTION_INVALID,
			     "%" PRId64 " recipients is more than notices.confirm_over (%lu)",
			     p->recipients, x->cfg->notices.confirm_over);
}

/* A default title: the template's name, or the text's first 20 characters. */
static void
default_title(const struct notice_req *rq, char *out, size_t outlen)
{
	size_t n = 0, chars = 0;
	const char *s = rq->text;

	if (rq->template_name) {
		snprintf(out, outlen, "%s", rq->template_name);
		return;
	}
	while (s[n] && s[n] != '\n' && chars < 20) {
		size_t len = 1;
		while ((s[n + len] & 0xC0) == 0x80)
			len++;
		if (n + len + 4 >= outlen)
			break;
		n += len;
		chars++;
	}
	memcpy(out, s, n);
	snprintf(out + n, outlen - n, "%s", s[n] && s[n] != '\n' ? "…" : "");
}

/* vars as "k=v" lines for the notice's record; malloc'd, or NULL when none (or no memory). */
static char *
vars_text(char *const *vars, size_t n)
{
	struct buf b;

	if (n == 0)
		return NULL;
	buf_init(&b, VARS_TEXT_MAX);
	for (size_t i = 0; i < n; i++)
		if (buf_printf(&b, "%s%s", i ? "\n" : "", vars[i]) != 0) {
			buf_free(&b);
			return NULL;
		}
	return buf_steal(&b);
}

/* The content of rq, checked; the fault names the input a refusal is about. */
static int
request_content(struct duban_ctx *x, const struct notice_req *rq, int64_t now,
		struct notice_content *nc, struct route **route, enum notice_input *fault)
{
	*nc = (struct notice_content){ .text = rq->text, .title = rq->title, .vars = rq->vars,
				       .nvars = rq->nvars, .signature = x->cfg->signature,
				       .max_parts = x->cfg->max_parts, .now = now };
	if ((rq->text == NULL) == (rq->template_name == NULL)) {
		*fault = NOTICE_IN_TEXT;
		return action_refuse(x, ACTION_INVALID,
				     "a notice has a text or a template (one of them)");
	}
	if (rq->template_name &&
	    (x->tmpls == NULL || (nc->tmpl = tmpl_set_get(x->tmpls, rq->template_name)) == NULL)) {
		*fault = NOTICE_IN_TEMPLATE;
		return action_refuse(x, ACTION_NOTFOUND, "no template \"%s\" in %s",
				     rq->template_name, x->cfg->templates_dir);
	}
	if (route_open(x->cfg, nc->tmpl, route, x->err, sizeof(x->err)) != 0) {
		*fault = rq->template_name ? NOTICE_IN_TEMPLATE : NOTICE_IN_TEXT;
		return ACTION_INVALID;
	}
	nc->route = *route;
	if (notice_check(nc, x->err, sizeof(x->err)) != 0) {
		/* vars given, or one missing: the vars are at fault; else the template */
		if (rq->template_name == NULL)
			*fault = NOTICE_IN_TEXT;
		else if (rq->nvars || strstr(x->err, "--var "))
			*fault = NOTICE_IN_VARS;
		else
			*fault = NOTICE_IN_TEMPLATE;
		return ACTION_INVALID;
	}
	if (rq->send_at && rq->send_at + 60 <= now) {
		*fault = NOTICE_IN_SEND_AT;
		return action_refuse(x, ACTION_INVALID, "that time has passed");
	}
	return ACTION_OK;
}

/* Resolve every selector of rq into aud. */
static int
request_audience(struct duban_ctx *x, const struct notice_req *rq, struct notice_audience *aud,
		 enum notice_input *fault)
{
	int rc;

	for (size_t i = 0; i < rq->nto; i++)
		if ((rc = notice_audience_add(aud, x->st, rq->to[i], true, x->err,
					      sizeof(x->err))) != STORE_OK) {
			*fault = NOTICE_IN_SELECTOR;
			return rc;
		}
	return ACTION_OK;
}

/* Write notice nt, its messages unless pending, and its event: one transaction. */
static int
create_write(struct duban_ctx *x, const struct notice *nt, const struct notice_audience *aud,
	     const struct notice_content *nc, struct notice_result *out)
{
	const struct notice_plan *plan = &out->plan;
	bool pending = strcmp(nt->status, "pending") == 0;
	char obj[32], detail[160];
	int rc;

	if ((rc = store_begin(x->st)) != STORE_OK ||
	    (rc = store_notice_add(x->st, nt, &out->id)) != STORE_OK)
		return action_abort(x, rc);
	if (!pending) {
		if ((rc = notice_queue(x->st, out->id, aud, nc, plan, nt->template_name, nt->send_at,
				       &out->queued, x->err, sizeof(x->err))) != STORE_OK) {
			store_rollback(x->st);
			return rc;
		}
		if ((rc = store_notice_update(x->st, out->id, nt->status, NULL, out->queued,
					      plan->opted_out)) != STORE_OK)
			return action_abort(x, rc);
	}
	snprintf(obj, sizeof(obj), "N%" PRId64, out->id);
	snprintf(detail, sizeof(detail), "%s: %" PRId64 " recipients, %" PRId64 " opted out",
		 nt->status, pending ? plan->recipients : out->queued, plan->opted_out);
	return action_commit(x, "notice.create", obj, detail);
}

int
notice_create(struct duban_ctx *x, const struct notice_req *rq, struct notice_result *out)
{
	struct notice_audience aud = { 0 };
	struct notice_content nc;
	struct notice nt = { 0 };
	struct route *route = NULL;
	char title[TITLE_MAX];
	int64_t now = time_now();
	bool approval = x->cfg->notices.require_approval;
	int rc;

	memset(out, 0, sizeof(*out));
	out->send_at = rq->send_at ? rq->send_at : now;
	out->status = approval ? "pending" : out->send_at > now ? "scheduled" : "queued";
	if ((rc = request_content(x, rq, now, &nc, &route, &out->fault)) != ACTION_OK ||
	    (rc = request_audience(x, rq, &aud, &out->fault)) != ACTION_OK)
		goto out;
	if ((rc = notice_plan(x->st, &aud, &nc, &out->plan, x->err, sizeof(x->err))) != STORE_OK) {
		out->fault = rq->text ? NOTICE_IN_TEXT : NOTICE_IN_TEMPLATE;
		goto out;
	}
	if ((rc = check_plan(x, &out->plan, rq->send_at, !approval && !rq->dry_run, &rq->confirm,
			     &out->fault)) != ACTION_OK || rq->dry_run)
		goto out;
	if (rq->title == NULL)
		default_title(rq, title, sizeof(title));
	nt = (struct notice){ .title = (char *)(rq->title ? rq->title : title),
			      .body = out->plan.text,
			      .template_name = (char *)rq->template_name,
			      .vars = vars_text(rq->vars, rq->nvars),
			      .audience = notice_audience_text(&aud),
			      .send_at = out->send_at,
			      .status = (char *)out->status,
			      .recipients = out->plan.recipients,
			      .opted_out = out->plan.opted_out,
			      .created_by = (char *)x->actor,
			      .created_at = now };
	if (nt.body == NULL || nt.audience == NULL || (rq->nvars && nt.vars == NULL))
		rc = action_refuse(x, ACTION_ERROR, "out of memory");
	else
		rc = create_write(x, &nt, &aud, &nc, out);
out:
	free(nt.vars);
	free(nt.audience);
	notice_audience_free(&aud);
	route_free(route);
	if (rc != ACTION_OK)
		out->id = out->queued = 0;
	return rc;
}

/* What approving a stored notice works from: its audience and content, read back. */
struct stored {
	struct notice n;
	struct notice_audience aud;
	struct notice_content nc;
	struct route *route;
	char *vars_buf;
	char *vars[NOTICE_VARS_MAX];
};

static void
stored_clear(struct stored *s)
{
	free(s->vars_buf);
	route_free(s->route);
	notice_audience_free(&s->aud);
	notice_clear(&s->n);
}

/*
 * The content of notice s->n: its text as reviewed, or its template again
 * when the text is per person ("k=v" lines of its vars split in place).
 */
static int
stored_content(struct duban_ctx *x, struct stored *s, int64_t now)
{
	const struct notice *n = &s->n;
	const struct tmpl *tp;
	char *save = NULL, *line;
	size_t nv = 0;

	s->nc = (struct notice_content){ .text = n->body, .title = n->title, .id = n->id,
					 .signature = x->cfg->signature,
					 .max_parts = x->cfg->max_parts, .now = now };
	if (n->template_name == NULL) {
		if (route_open(x->cfg, NULL, &s->route, x->err, sizeof(x->err)) != 0)
			return ACTION_INVALID;
		s->nc.route = s->route;
		return ACTION_OK;
	}
	tp = x->tmpls ? tmpl_set_get(x->tmpls, n->template_name) : NULL;
	if (tp == NULL) /* the installation lost it: a failure, not the request's fault */
		return action_refuse(x, ACTION_ERROR, "template \"%s\" of notice N%" PRId64
				     " is no longer in %s", n->template_name, n->id,
				     x->cfg->templates_dir);
	if (n->vars && (s->vars_buf = strdup(n->vars)) == NULL)
		return action_refuse(x, ACTION_ERROR, "out of memory");
	for (line = s->vars_buf ? strtok_r(s->vars_buf, "\n", &save) : NULL;
	     line && nv < NOTICE_VARS_MAX; line = strtok_r(NULL, "\n", &save))
		s->vars[nv++] = line;
	s->nc.vars = s->vars;
	s->nc.nvars = nv;
	s->nc.tmpl = tp;
	if (route_open(x->cfg, tp, &s->route, x->err, sizeof(x->err)) != 0)
		return ACTION_INVALID;
	s->nc.route = s->route;
	/* The text the creator saw is the text that goes - unless it differs
	 * per person, or template providers need it rendered again: their
	 * values come from the template's variables, and the text stored for
	 * the notice is the first provider's. */
	if (!notice_is_personal(&s->nc) && !route_templated(s->route))
		s->nc.tmpl = NULL;
	return ACTION_OK;
}

/* Read notice id back for approval and check that x->actor may approve it. */
static int
approve_read(struct duban_ctx *x, int64_t id, struct stored *s, int64_t now)
{
	int rc;

	if ((rc = store_notice_get(x->st, id, &s->n)) != STORE_OK)
		return action_abort(x, rc);
	if (strcmp(s->n.status, "pending") != 0)
		return action_refuse(x, ACTION_INVALID,
				     "notice N%" PRId64 " is %s, not waiting for approval", id,
				     s->n.status);
	if (strcmp(s->n.created_by, x->actor) == 0)
		return action_refuse(x, ACTION_INVALID,
				     "%s created notice N%" PRId64 " and cannot approve it too",
				     x->actor, id);
	if ((rc = notice_audience_parse(&s->aud, x->st, s->n.audience, x->err,
					sizeof(x->err))) != STORE_OK) {
		char why[ACTION_ERR_MAX];

		snprintf(why, sizeof(why), "%s", x->err);
		return action_refuse(x, rc, "notice N%" PRId64 ": its audience %s", id, why);
	}
	return stored_content(x, s, now);
}

/* Queue an approved notice, if it is still pending, with its event: one transaction. */
static int
approve_write(struct duban_ctx *x, const struct stored *s, struct notice_result *out)
{
	const struct notice *n = &s->n;
	struct notice again = { 0 };
	char obj[32], detail[ACTION_ERR_MAX];
	int rc;

	if ((rc = store_begin(x->st)) != STORE_OK ||
	    (rc = store_notice_get(x->st, n->id, &again)) != STORE_OK) {
		rc = action_abort(x, rc);
		goto out;
	}
	if (strcmp(again.status, "pending") != 0) {
		store_rollback(x->st);
		rc = action_refuse(x, ACTION_INVALID, "notice N%" PRId64 " is %s now, not pending",
				   n->id, again.status);
		goto out;
	}
	if ((rc = notice_queue(x->st, n->id, &s->aud, &s->nc, &out->plan, n->template_name,
			       n->send_at, &out->queued, x->err, sizeof(x->err))) != STORE_OK) {
		store_rollback(x->st);
		goto out;
	}
	snprintf(obj, sizeof(obj), "N%" PRId64, n->id);
	snprintf(detail, sizeof(detail),
		 "%s: %" PRId64 " recipients, %" PRId64 " opted out; created by %s", out->status,
		 out->queued, out->plan.opted_out, n->created_by);
	if ((rc = store_notice_update(x->st, n->id, out->status, x->actor, out->queued,
				      out->plan.opted_out)) != STORE_OK)
		rc = action_abort(x, rc);
	else
		rc = action_commit(x, "notice.approve", obj, detail);
out:
	notice_clear(&again);
	return rc;
}

int
notice_approve(struct duban_ctx *x, int64_t id, const struct notice_confirm *c,
	       struct notice_result *out)
{
	struct stored s = { 0 };
	int64_t now = time_now();
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = approve_read(x, id, &s, now)) != ACTION_OK)
		goto out;
	out->send_at = s.n.send_at;
	out->status = s.n.send_at > now ? "scheduled" : "queued";
	if ((rc = notice_plan(x->st, &s.aud, &s.nc, &out->plan, x->err, sizeof(x->err))) !=
		    STORE_OK ||
	    (rc = check_plan(x, &out->plan, s.n.send_at > now ? s.n.send_at : 0, true, c,
			     &out->fault)) != ACTION_OK)
		goto out;
	if ((rc = approve_write(x, &s, out)) == ACTION_OK)
		out->id = id;
out:
	if (rc != ACTION_OK)
		out->queued = 0;
	stored_clear(&s);
	return rc;
}

int
notice_cancel(struct duban_ctx *x, int64_t id, struct notice_cancelled *out)
{
	struct notice n = { 0 };
	char obj[32], detail[128];
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = store_begin(x->st)) != STORE_OK ||
	    (rc = store_notice_get(x->st, id, &n)) != STORE_OK) {
		rc = action_abort(x, rc);
		goto out;
	}
	out->was_pending = strcmp(n.status, "pending") == 0;
	if (strcmp(n.status, "cancelled") == 0) {
		store_rollback(x->st);
		out->already = true;
		goto out;
	}
	if ((rc = store_notice_cancel(x->st, id, time_now(), &out->cancelled, &out->sent,
				      &out->sending)) != STORE_OK) {
		rc = action_abort(x, rc);
		goto out;
	}
	snprintf(obj, sizeof(obj), "N%" PRId64, id);
	snprintf(detail, sizeof(detail),
		 "%" PRId64 " cancelled, %" PRId64 " sent, %" PRId64 " being sent", out->cancelled,
		 out->sent, out->sending);
	rc = action_commit(x, "notice.cancel", obj, detail);
out:
	if (rc != ACTION_OK)
		memset(out, 0, sizeof(*out));
	notice_clear(&n);
	return rc;
}

int
notice_resend(struct duban_ctx *x, int64_t id, int64_t *queued, int64_t *opted_out)
{
	struct notice n = { 0 };
	char obj[32], detail[128];
	int rc;

	*queued = *opted_out = 0;
	if ((rc = store_begin(x->st)) != STORE_OK ||
	    (rc = store_notice_get(x->st, id, &n)) != STORE_OK) {
		rc = action_abort(x, rc);
		goto out;
	}
	if (strcmp(n.status, "pending") == 0 || strcmp(n.status, "cancelled") == 0) {
		store_rollback(x->st);
		rc = action_refuse(x, ACTION_INVALID, "notice N%" PRId64 " is %s: nothing to resend",
				   id, n.status);
		goto out;
	}
	if ((rc = store_notice_resend(x->st, id, time_now(), queued, opted_out)) != STORE_OK) {
		rc = action_abort(x, rc);
		goto out;
	}
	snprintf(obj, sizeof(obj), "N%" PRId64, id);
	snprintf(detail, sizeof(detail), "%" PRId64 " queued again, %" PRId64 " opted out", *queued,
		 *opted_out);
	rc = action_commit(x, "notice.resend", obj, detail);
out:
	if (rc != ACTION_OK)
		*queued = *opted_out = 0;
	notice_clear(&n);
	return rc;
}
