/*
 * store_people.c - people, groups and membership.  A person is found by a
 * phone number, an exact name that only one person has, or "#ID"; any
 * other match is an error that says what was found.
 */
#include "store/store_int.h"
#include "base/i18n.h"

#include "base/phone.h"
#include "base/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
person_clear(struct person *p)
{
	if (p == NULL)
		return;
	free(p->name);
	free(p->phone);
	free(p->title);
	free(p->org);
	free(p->kind);
	free(p->groups);
	memset(p, 0, sizeof(*p));
}

void
group_clear(struct group *g)
{
	if (g == NULL)
		return;
	free(g->name);
	free(g->description);
	memset(g, 0, sizeof(*g));
}

int
store_person_row(sqlite3_stmt *s, struct person *p)
{
	memset(p, 0, sizeof(*p));
	p->id = sqlite3_column_int64(s, 0);
	p->name = store_col_str(s, 1);
	p->phone = store_col_str(s, 2);
	p->title = store_col_str(s, 3);
	p->org = store_col_str(s, 4);
	p->kind = store_col_str(s, 5);
	p->opted_out_at = sqlite3_column_int64(s, 6);
	p->created_at = sqlite3_column_int64(s, 7);
	if (!p->name || !p->phone || !p->title || !p->org || !p->kind) {
		person_clear(p);
		return STORE_ERROR;
	}
	return STORE_OK;
}

/* After a unique-key failure on phone: say who has it.  STORE_EXISTS. */
static int
phone_taken(struct store *st, const char *phone, const char *what)
{
	static const char who[] = "SELECT name, id FROM person WHERE phone = ?";
	sqlite3_stmt *s = store_stmt(st, who);

	if (s == NULL)
		return STORE_ERROR;
	store_bind_text(s, 1, phone);
	if (store_step_row(st, s, what, NULL) == STORE_OK)
		snprintf(st->err, sizeof(st->err), _("phone %s already belongs to %s (#%lld)"), phone,
			 (const char *)sqlite3_column_text(s, 0), (long long)sqlite3_column_int64(s, 1));
	sqlite3_reset(s);
	return STORE_EXISTS;
}

int
store_person_add(struct store *st, const struct person *p, int64_t *id)
{
	static const char sql[] =
		"INSERT INTO person (name, phone, title, org, kind, created_at) "
		"VALUES (?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	store_bind_text(s, 1, p->name);
	store_bind_text(s, 2, p->phone);
	store_bind_text(s, 3, p->title ? p->title : "");
	store_bind_text(s, 4, p->org ? p->org : "");
	store_bind_text(s, 5, p->kind ? p->kind : "other");
	sqlite3_bind_int64(s, 6, p->created_at ? p->created_at : time_now());
	if ((rc = store_step_insert(st, s, "adding a person", id)) == STORE_EXISTS)
		return phone_taken(st, p->phone, "adding a person");
	return rc;
}

int
store_person_get(struct store *st, int64_t id, struct person *out)
{
	static const char sql[] = "SELECT " PERSON_COLS " FROM person p WHERE p.id = ?";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, id);
	if ((rc = store_step_row(st, s, "reading a person", _("no person #%lld"), (long long)id)) ==
	    STORE_OK)
		rc = store_person_row(s, out);
	sqlite3_reset(s);
	return rc;
}

int
store_person_find(struct store *st, const char *who, struct person *out)
{
	static const char by_phone[] = "SELECT " PERSON_COLS " FROM person p WHERE p.phone = ?";
	static const char by_name[] =
		"SELECT " PERSON_COLS " FROM person p WHERE p.name = ? ORDER BY p.id LIMIT 6";
	sqlite3_stmt *s;
	int64_t id;
	int rc, n = 0;
	char list[300] = "", phone[PHONE_MAX];
	const char *reason;

	if ((id = store_ref_id(who, "#")) != 0)
		return store_person_get(st, id, out);
	if (who[0] != '#' && phone_normalize(who, phone, sizeof(phone), &reason) == 0) {
		if ((s = store_stmt(st, by_phone)) == NULL)
			return STORE_ERROR;
		store_bind_text(s, 1, phone);
		if ((rc = store_step_row(st, s, "finding a person", _("nobody has the phone number %s"),
					 phone)) == STORE_OK)
			rc = store_person_row(s, out);
		sqlite3_reset(s);
		return rc;
	}
	if ((s = store_stmt(st, by_name)) == NULL)
		return STORE_ERROR;
	store_bind_text(s, 1, who);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		size_t l = strlen(list);
		if (n == 0 && store_person_row(s, out) != STORE_OK) {
			sqlite3_reset(s);
			return STORE_ERROR;
		}
		snprintf(list + l, sizeof(list) - l, "%s#%lld %s", n ? ", " : "",
			 (long long)sqlite3_column_int64(s, 0), (const char *)sqlite3_column_text(s, 4));
		n++;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		if (n)
			person_clear(out);
		return store_fail(st, "finding a person");
	}
	if (n == 0)
		return store_notfound(st, _("nobody is called \"%s\" (give a name or a phone number)"), who);
	if (n > 1) {
		person_clear(out);
		snprintf(st->err, sizeof(st->err),
			 _("\"%s\" is ambiguous: %s; use a phone number or #ID"), who, list);
		return STORE_AMBIGUOUS;
	}
	return STORE_OK;
}

int
store_person_each(struct store *st, const struct person_filter *f,
		  int (*fn)(void *arg, const struct person *p), void *arg)
{
	static const char sql[] =
		"SELECT " PERSON_COLS ", "
		"  (SELECT group_concat(name, ';') FROM (SELECT g.name FROM member m "
		"     JOIN grp g ON g.id = m.grp WHERE m.person = p.id ORDER BY g.name)) "
		"FROM person p "
		"WHERE (?1 IS NULL OR EXISTS (SELECT 1 FROM member m JOIN grp g ON g.id = m.grp "
		"                             WHERE m.person = p.id AND g.name = ?1)) "
		"  AND (?2 IS NULL OR p.org = ?2) AND (?3 IS NULL OR p.kind = ?3) "
		"  AND (?4 IS NULL OR instr(p.name, ?4) OR instr(p.title, ?4) OR instr(p.org, ?4)) "
		"  AND (?5 IS NULL OR p.id = ?5) "
		"ORDER BY p.id";
	sqlite3_stmt *s = store_stmt(st, sql);
	struct person p;
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	if (f) {
		store_bind_text(s, 1, f->group);
		store_bind_text(s, 2, f->org);
		store_bind_text(s, 3, f->kind);
		store_bind_text(s, 4, f->search);
		store_bind_opt_i64(s, 5, f->id, f->id != 0);
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (store_person_row(s, &p) != STORE_OK) {
			rc = SQLITE_NOMEM;
			break;
		}
		p.groups = store_col_str(s, 8);
		int stop = fn(arg, &p);
		person_clear(&p);
		if (stop)
			break;
	}
	return store_rows_end(st, s, rc, "listing people");
}

int
store_person_remove(struct store *st, int64_t id)
{
	static const char tasks[] =
		"SELECT group_concat(t.code || ' (' || a.role || ')', ', ') FROM assignment a "
		"JOIN task t ON t.id = a.task WHERE a.person = ?";
	static const char del[] = "DELETE FROM person WHERE id = ?";
	sqlite3_stmt *s = store_stmt(st, tasks);

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
		snprintf(st->err, sizeof(st->err),
			 _("#%lld is assigned to tasks %s: reassign them first (duban task update)"),
			 (long long)id, (const char *)sqlite3_column_text(s, 0));
		sqlite3_reset(s);
		return STORE_INVALID;
	}
	sqlite3_reset(s);
	if ((s = store_stmt(st, del)) == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, id);
	return store_step_update(st, s, "removing a person", _("no person #%lld"), (long long)id);
}

int
store_person_set_optout(struct store *st, int64_t id, int64_t at)
{
	static const char sql[] = "UPDATE person SET opted_out_at = ? WHERE id = ?";
	sqlite3_stmt *s = store_stmt(st, sql);

	if (s == NULL)
		return STORE_ERROR;
	store_bind_opt_i64(s, 1, at, at != 0);
	sqlite3_bind_int64(s, 2, id);
	return store_step_done(st, s, "changing an opt-out");
}

int
store_person_update(struct store *st, int64_t id, const struct person *p)
{
	static const char sql[] =
		"UPDATE person SET name = coalesce(?1, name), phone = coalesce(?2, phone), "
		"title = coalesce(?3, title), org = coalesce(?4, org), kind = coalesce(?5, kind) "
		"WHERE id = ?6";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	store_bind_text(s, 1, p->name);
	store_bind_text(s, 2, p->phone);
	store_bind_text(s, 3, p->title);
	store_bind_text(s, 4, p->org);
	store_bind_text(s, 5, p->kind);
	sqlite3_bind_int64(s, 6, id);
	rc = store_step_update(st, s, "updating a person", _("no person #%lld"), (long long)id);
	if (rc == STORE_EXISTS) /* a constraint: the phone's, unless no phone was given */
		return p->phone ? phone_taken(st, p->phone, "updating a person") : STORE_ERROR;
	return rc;
}

int
store_person_merge(struct store *st, int64_t from, int64_t into)
{
	/* Roles and memberships both already have are dropped, not doubled.
	 * A reminder's dedupe key ends in its person's id (core/sched.c,
	 * "r:TASK:DEADLINE:STEP:PERSON"): the moved ones are renamed to the
	 * person they now belong to, else a pass that plans the task again
	 * would send that step a second time; one both already had keeps
	 * its key (OR IGNORE), and neither is sent again. */
	static const char *const sql[] = {
		"UPDATE OR IGNORE message SET dedupe_key = "
		"  substr(dedupe_key, 1, length(dedupe_key) - length(':' || ?1)) || ':' || ?2 "
		"WHERE person = ?1 AND dedupe_key GLOB 'r:*' "
		"  AND substr(dedupe_key, -length(':' || ?1)) = ':' || ?1",
		"INSERT OR IGNORE INTO assignment (task, person, role) "
		"SELECT task, ?2, role FROM assignment WHERE person = ?1",
		"DELETE FROM assignment WHERE person = ?1",
		"INSERT OR IGNORE INTO member (grp, person) SELECT grp, ?2 FROM member WHERE person = ?1",
		"UPDATE message SET person = ?2 WHERE person = ?1",
		"UPDATE inbound SET person = ?2 WHERE person = ?1",
		"UPDATE task SET done_by = ?2 WHERE done_by = ?1",
		"UPDATE person SET opted_out_at = coalesce(opted_out_at, "
		"(SELECT opted_out_at FROM person WHERE id = ?1)) WHERE id = ?2",
	};
	static const char del[] = "DELETE FROM person WHERE id = ?";
	sqlite3_stmt *s;
	int rc;

	if (from == into) {
		snprintf(st->err, sizeof(st->err), _("#%lld cannot be merged into itself"),
			 (long long)from);
		return STORE_INVALID;
	}
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		if ((s = store_stmt(st, sql[i])) == NULL)
			return STORE_ERROR;
		sqlite3_bind_int64(s, 1, from);
		sqlite3_bind_int64(s, 2, into);
		if ((rc = store_step_done(st, s, "merging people")) != STORE_OK)
			return rc == STORE_EXISTS ? STORE_ERROR : rc;
	}
	if ((s = store_stmt(st, del)) == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, from);
	return store_step_update(st, s, "merging people", _("no person #%lld"), (long long)from);
}

/* ---- groups ------------------------------------------------------------- */

int
store_group_add(struct store *st, const char *name, const char *description, int64_t *id)
{
	static const char sql[] = "INSERT INTO grp (name, description, created_at) VALUES (?, ?, ?)";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	store_bind_text(s, 1, name);
	store_bind_text(s, 2, description ? description : "");
	sqlite3_bind_int64(s, 3, time_now());
	rc = store_step_insert(st, s, "adding a group", id);
	if (rc == STORE_EXISTS)
		snprintf(st->err, sizeof(st->err), _("a group called \"%s\" already exists"), name);
	return rc;
}

/* What group_row reads: a group with its number of members. */
#define GROUP_SELECT                                                                          \
	"SELECT g.id, g.name, g.description, (SELECT count(*) FROM member m WHERE m.grp = g.id) " \
	"FROM grp g "

/* Fill *g from a row of GROUP_SELECT. */
static void
group_row(sqlite3_stmt *s, struct group *g)
{
	g->id = sqlite3_column_int64(s, 0);
	g->name = store_col_str(s, 1);
	g->description = store_col_str(s, 2);
	g->members = sqlite3_column_int64(s, 3);
}

int
store_group_find(struct store *st, const char *name, bool create, struct group *out)
{
	static const char sql[] = GROUP_SELECT "WHERE g.name = ?";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;
	int64_t id;

	if (s == NULL)
		return STORE_ERROR;
	store_bind_text(s, 1, name);
	if ((rc = store_step_row(st, s, "finding a group", _("no group called \"%s\""), name)) ==
	    STORE_OK)
		group_row(s, out);
	sqlite3_reset(s);
	if (rc != STORE_NOTFOUND || !create)
		return rc;
	if ((rc = store_group_add(st, name, "", &id)) != STORE_OK)
		return rc;
	out->id = id;
	out->name = strdup(name);
	out->description = strdup("");
	out->members = 0;
	return STORE_OK;
}

int
store_group_each(struct store *st, int (*fn)(void *arg, const struct group *g), void *arg)
{
	static const char sql[] = GROUP_SELECT "ORDER BY g.name";
	sqlite3_stmt *s = store_stmt(st, sql);
	struct group g;
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		group_row(s, &g);
		int stop = fn(arg, &g);
		group_clear(&g);
		if (stop)
			break;
	}
	return store_rows_end(st, s, rc, "listing groups");
}

int
store_group_remove(struct store *st, int64_t id)
{
	static const char sql[] = "DELETE FROM grp WHERE id = ?";
	sqlite3_stmt *s = store_stmt(st, sql);

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, id);
	return store_step_done(st, s, "removing a group");
}

/* Run sql, which adds or removes the membership (?1 grp, ?2 person), as store_step_changed. */
static int
member_change(struct store *st, const char *sql, int64_t grp, int64_t person, const char *what,
	      bool *changed)
{
	sqlite3_stmt *s = store_stmt(st, sql);

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, grp);
	sqlite3_bind_int64(s, 2, person);
	return store_step_changed(st, s, what, changed);
}

int
store_member_add(struct store *st, int64_t grp, int64_t person, bool *added)
{
	static const char sql[] = "INSERT OR IGNORE INTO member (grp, person) VALUES (?, ?)";

	return member_change(st, sql, grp, person, "adding a member", added);
}

int
store_member_remove(struct store *st, int64_t grp, int64_t person, bool *removed)
{
	static const char sql[] = "DELETE FROM member WHERE grp = ? AND person = ?";

	return member_change(st, sql, grp, person, "removing a member", removed);
}
