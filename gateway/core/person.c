/*
 * person.c - the actions on people, groups and membership.  The rules a
 * person's record keeps (a phone number stored normalized and held by one
 * person only, a kind from a short list, nobody removed while a task still
 * names them) are checked here or by the store in the same transaction as
 * the change and its audit event.
 */
#include "core/person.h"
#include "base/i18n.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/phone.h"
#include "base/array.h"
#include "base/str.h"
#include "base/clock.h"

const char *
person_kind_canon(const char *kind)
{
	static const char *const kinds[][6] = {
		{ "official", "干部", "村干部", "镇干部", "官员", NULL },
		{ "farmer", "农户", "村民", "农民", NULL },
		{ "enterprise", "企业", "个体户", "个体工商户", NULL },
		{ "other", "其他", "其它", NULL },
	};
	char k[64];
	size_t n;

	if (kind == NULL || strlcpy_checked(k, kind, sizeof(k)) != 0)
		return NULL;
	str_trim(k);
	n = strlen(k);
	for (size_t i = 0; i < ARRAY_LEN(kinds); i++) {
		if (strlen(kinds[i][0]) == n && strncasecmp(k, kinds[i][0], n) == 0)
			return kinds[i][0];
		for (size_t j = 1; kinds[i][j]; j++)
			if (strcmp(k, kinds[i][j]) == 0)
				return kinds[i][0];
	}
	return NULL;
}

bool
person_kind_valid(const char *kind)
{
	return person_kind_canon(kind) != NULL;
}

/* A phone as typed into out (PHONE_MAX), or ACTION_INVALID saying why. */
static int
normalize(struct duban_ctx *x, const char *raw, char *out)
{
	const char *reason;

	if (phone_normalize(raw, out, PHONE_MAX, &reason) != 0)
		return action_refuse(x, ACTION_INVALID, _("phone \"%s\": %s"), raw, reason);
	return ACTION_OK;
}

static int
check_kind(struct duban_ctx *x, const char *kind)
{
	if (kind && !person_kind_valid(kind))
		return action_refuse(x, ACTION_INVALID, _("kind must be %s, not \"%s\""),
				     _(PERSON_KINDS), kind);
	return ACTION_OK;
}

struct same_name {
	const char *name;
	struct person first;
	int n;
};

static int
same_name_fn(void *arg, const struct person *p)
{
	struct same_name *s = arg;

	if (strcmp(p->name, s->name) != 0)
		return 0;
	if (s->n++ == 0) {
		s->first.id = p->id;
		s->first.phone = strdup(p->phone);
		s->first.org = strdup(p->org);
	}
	return 0;
}

/* ACTION_EXISTS naming who has name already (inside the transaction), else ACTION_OK. */
static int
check_name_free(struct duban_ctx *x, const char *name)
{
	struct person_filter f = { .search = name };
	struct same_name s = { .name = name };
	char masked[PHONE_MAX];
	int rc = store_person_each(x->st, &f, same_name_fn, &s);

	if (rc != STORE_OK)
		rc = action_fail(x, rc);
	else if (s.n)
		rc = action_refuse(x, ACTION_EXISTS,
				   _("%s is already in the list (#%lld, %s, %s): change them with "
				     "\"duban person update\", or add a second %s with --force"),
				   name, (long long)s.first.id,
				   phone_mask(s.first.phone ? s.first.phone : "", masked, sizeof(masked)),
				   s.first.org ? s.first.org : "", name);
	person_clear(&s.first);
	return rc;
}

/* Take person out of each group of names; one they are not in is ACTION_INVALID. */
static int
leave_groups(struct duban_ctx *x, int64_t person, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct group g = { 0 };
		bool removed = false;
		int rc = store_group_find(x->st, names[i], false, &g);
		if (rc == STORE_OK)
			rc = store_member_remove(x->st, g.id, person, &removed);
		group_clear(&g);
		if (rc != STORE_OK)
			return action_fail(x, rc);
		if (!removed)
			return action_refuse(x, ACTION_INVALID, _("#%lld is not in group %s"),
					     (long long)person, names[i]);
	}
	return ACTION_OK;
}

/* Put person into each group of names, making the groups that are missing. */
static int
join_groups(struct duban_ctx *x, int64_t person, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct group g = { 0 };
		int rc = store_group_find(x->st, names[i], true, &g);
		if (rc == STORE_OK)
			rc = store_member_add(x->st, g.id, person, NULL);
		group_clear(&g);
		if (rc != STORE_OK)
			return action_fail(x, rc);
	}
	return ACTION_OK;
}

int
person_add(struct duban_ctx *x, const struct person_new *n, int64_t *id, char *phone)
{
	struct person p = { 0 };
	char number[PHONE_MAX], *name = NULL;
	int rc;

	*id = 0;
	if (n->name == NULL)
		return action_refuse(x, ACTION_INVALID, _("a person needs a name"));
	if ((name = strdup(n->name)) == NULL)
		return action_refuse(x, ACTION_ERROR, _("out of memory"));
	if (*str_trim(name) == '\0') {
		rc = action_refuse(x, ACTION_INVALID, _("a person needs a name"));
		goto out;
	}
	if (n->phone == NULL) {
		rc = action_refuse(x, ACTION_INVALID, _("a person needs a phone number"));
		goto out;
	}
	if ((rc = normalize(x, n->phone, number)) != ACTION_OK ||
	    (rc = check_kind(x, n->kind)) != ACTION_OK)
		goto out;
	p.name = name;
	p.phone = number;
	p.title = (char *)n->title;
	p.org = (char *)n->org;
	p.kind = (char *)(n->kind ? person_kind_canon(n->kind) : NULL);
	if ((rc = store_begin(x->st)) != STORE_OK) {
		rc = action_fail(x, rc);
		goto out;
	}
	if (!n->force && (rc = check_name_free(x, name)) != ACTION_OK)
		; /* refused, or the database failed: rc says which */
	else if ((rc = store_person_add(x->st, &p, id)) != STORE_OK)
		rc = action_fail(x, rc);
	else if ((rc = join_groups(x, *id, n->groups, n->ngroups)) == ACTION_OK &&
		 (rc = store_event(x->st, x->actor, "person.add", number, name)) != STORE_OK)
		rc = action_fail(x, rc);
	if ((rc = action_finish(x, rc)) != ACTION_OK)
		*id = 0;
	else if (phone)
		memcpy(phone, number, strlen(number) + 1);
out:
	free(name);
	return rc;
}

/* Find WHO inside the transaction. */
static int
find(struct duban_ctx *x, const char *who, struct person *p)
{
	int rc = store_person_find(x->st, who, p);
	return rc == STORE_OK ? ACTION_OK : action_fail(x, rc);
}

/* Hand p to out (when not NULL) or free it. */
static void
give(struct person *p, struct person *out)
{
	if (out)
		*out = *p;
	else
		person_clear(p);
	memset(p, 0, sizeof(*p));
}

int
person_update(struct duban_ctx *x, const char *who, const struct person_edit *e,
	      struct person *out)
{
	struct person p = { 0 }, now = { 0 };
	char number[PHONE_MAX], *name = NULL;
	int rc;

	if (out)
		memset(out, 0, sizeof(*out));
	if (e->name && (name = strdup(e->name)) == NULL)
		return action_refuse(x, ACTION_ERROR, _("out of memory"));
	if (name && *str_trim(name) == '\0') {
		free(name);
		return action_refuse(x, ACTION_INVALID, _("a person needs a name"));
	}
	if ((e->phone && (rc = normalize(x, e->phone, number)) != ACTION_OK) ||
	    (rc = check_kind(x, e->kind)) != ACTION_OK) {
		free(name);
		return rc;
	}
	if ((rc = store_begin(x->st)) != STORE_OK) {
		free(name);
		return action_fail(x, rc);
	}
	if ((rc = find(x, who, &p)) != ACTION_OK)
		goto out;
	now.name = name;
	now.phone = e->phone ? number : NULL;
	now.title = (char *)e->title;
	now.org = (char *)e->org;
	now.kind = (char *)(e->kind ? person_kind_canon(e->kind) : NULL);
	if ((rc = store_person_update(x->st, p.id, &now)) != STORE_OK) {
		rc = action_fail(x, rc);
		goto out;
	}
	if ((rc = join_groups(x, p.id, e->join, e->njoin)) != ACTION_OK ||
	    (rc = leave_groups(x, p.id, e->leave, e->nleave)) != ACTION_OK)
		goto out;
	{
		int64_t id = p.id;
		person_clear(&p);
		if ((rc = store_person_get(x->st, id, &p)) != STORE_OK ||
		    (rc = store_event(x->st, x->actor, "person.update", p.phone, p.name)) != STORE_OK)
			rc = action_fail(x, rc);
	}
out:
	free(name);
	if ((rc = action_finish(x, rc)) == ACTION_OK)
		give(&p, out);
	person_clear(&p);
	return rc;
}

int
person_merge(struct duban_ctx *x, const char *who, const char *into, struct person *out_into,
	     struct person *out_from)
{
	struct person from = { 0 }, to = { 0 };
	char detail[256];
	int rc;

	if (out_into)
		memset(out_into, 0, sizeof(*out_into));
	if (out_from)
		memset(out_from, 0, sizeof(*out_from));
	if ((rc = store_begin(x->st)) != STORE_OK)
		return action_fail(x, rc);
	if ((rc = find(x, who, &from)) != ACTION_OK || (rc = find(x, into, &to)) != ACTION_OK)
		goto out;
	if (from.id == to.id) {
		rc = action_refuse(x, ACTION_INVALID, _("%s and %s are the same person (#%lld)"), who,
				   into, (long long)to.id);
		goto out;
	}
	snprintf(detail, sizeof(detail), "#%lld %s %s", (long long)from.id, from.name, from.phone);
	if ((rc = store_person_merge(x->st, from.id, to.id)) != STORE_OK ||
	    (rc = store_event(x->st, x->actor, "person.merge", to.phone, detail)) != STORE_OK) {
		rc = action_fail(x, rc);
		goto out;
	}
	int64_t id = to.id;
	person_clear(&to);
	if ((rc = store_person_get(x->st, id, &to)) != STORE_OK)
		rc = action_fail(x, rc);
out:
	if ((rc = action_finish(x, rc)) == ACTION_OK) {
		give(&to, out_into);
		give(&from, out_from);
	}
	person_clear(&to);
	person_clear(&from);
	return rc;
}

int
person_remove(struct duban_ctx *x, const char *who, struct person *out)
{
	struct person p = { 0 };
	int rc;

	if (out)
		memset(out, 0, sizeof(*out));
	if ((rc = store_begin(x->st)) != STORE_OK)
		return action_fail(x, rc);
	if ((rc = find(x, who, &p)) == ACTION_OK &&
	    ((rc = store_person_remove(x->st, p.id)) != STORE_OK ||
	     (rc = store_event(x->st, x->actor, "person.remove", p.phone, p.name)) != STORE_OK))
		rc = action_fail(x, rc);
	if ((rc = action_finish(x, rc)) == ACTION_OK)
		give(&p, out);
	person_clear(&p);
	return rc;
}

int
person_set_optout(struct duban_ctx *x, struct person *p, bool out, const char *note,
		  bool *changed)
{
	int64_t at = out ? time_now() : 0;
	int rc;

	*changed = false;
	if ((p->opted_out_at != 0) == out)
		return ACTION_OK;
	if ((rc = store_person_set_optout(x->st, p->id, at)) != STORE_OK ||
	    (rc = store_event(x->st, x->actor, out ? "person.optout" : "person.optin", p->phone,
			      note ? note : p->name)) != STORE_OK)
		return action_fail(x, rc);
	p->opted_out_at = at;
	*changed = true;
	return ACTION_OK;
}

static int
optinout(struct duban_ctx *x, const char *who, bool out, struct person *res, bool *changed)
{
	struct person p = { 0 };
	int rc;

	*changed = false;
	if (res)
		memset(res, 0, sizeof(*res));
	if ((rc = store_begin(x->st)) != STORE_OK)
		return action_fail(x, rc);
	if ((rc = find(x, who, &p)) == ACTION_OK)
		rc = person_set_optout(x, &p, out, NULL, changed);
	if (rc == ACTION_OK && !*changed)
		store_rollback(x->st);
	else if ((rc = action_finish(x, rc)) != ACTION_OK)
		*changed = false;
	if (rc == ACTION_OK)
		give(&p, res);
	person_clear(&p);
	return rc;
}

int
person_optout(struct duban_ctx *x, const char *who, struct person *out, bool *changed)
{
	return optinout(x, who, true, out, changed);
}

int
person_optin(struct duban_ctx *x, const char *who, struct person *out, bool *changed)
{
	return optinout(x, who, false, out, changed);
}

/* ---- groups ---------------------------------------------------------------------- */

int
group_add(struct duban_ctx *x, const char *name, const char *description, int64_t *id)
{
	int rc;

	*id = 0;
	if (name == NULL || *name == '\0')
		return action_refuse(x, ACTION_INVALID, _("a group needs a name"));
	if ((rc = store_begin(x->st)) != STORE_OK)
		return action_fail(x, rc);
	if ((rc = store_group_add(x->st, name, description, id)) != STORE_OK ||
	    (rc = store_event(x->st, x->actor, "group.add", name, NULL)) != STORE_OK)
		rc = action_fail(x, rc);
	if ((rc = action_finish(x, rc)) != ACTION_OK)
		*id = 0;
	return rc;
}

int
group_remove(struct duban_ctx *x, const char *name, struct group *out)
{
	struct group g = { 0 };
	int rc;

	if (out)
		memset(out, 0, sizeof(*out));
	if ((rc = store_begin(x->st)) != STORE_OK)
		return action_fail(x, rc);
	if ((rc = store_group_find(x->st, name, false, &g)) != STORE_OK ||
	    (rc = store_group_remove(x->st, g.id)) != STORE_OK ||
	    (rc = store_event(x->st, x->actor, "group.remove", g.name, NULL)) != STORE_OK)
		rc = action_fail(x, rc);
	if ((rc = action_finish(x, rc)) == ACTION_OK && out) {
		*out = g;
		return rc;
	}
	group_clear(&g);
	return rc;
}

int
group_members(struct duban_ctx *x, const char *name, const char *const *who, size_t n, bool add,
	      void (*fn)(void *arg, const struct person *p, bool changed), void *arg,
	      size_t *changed)
{
	struct group g = { 0 };
	int rc;

	*changed = 0;
	if ((rc = store_begin(x->st)) != STORE_OK)
		return action_fail(x, rc);
	if ((rc = store_group_find(x->st, name, false, &g)) != STORE_OK) {
		rc = action_fail(x, rc);
		goto out;
	}
	for (size_t i = 0; i < n && rc == ACTION_OK; i++) {
		struct person p = { 0 };
		bool did = false;
		if ((rc = find(x, who[i], &p)) != ACTION_OK)
			break;
		rc = add ? store_member_add(x->st, g.id, p.id, &did)
			 : store_member_remove(x->st, g.id, p.id, &did);
		if (rc != STORE_OK)
			rc = action_fail(x, rc);
		else if (fn)
			fn(arg, &p, did);
		*changed += did;
		person_clear(&p);
	}
	if (rc == ACTION_OK &&
	    (rc = store_event(x->st, x->actor, add ? "group.add-member" : "group.remove-member",
			      g.name, NULL)) != STORE_OK)
		rc = action_fail(x, rc);
out:
	group_clear(&g);
	if ((rc = action_finish(x, rc)) != ACTION_OK)
		*changed = 0;
	return rc;
}
