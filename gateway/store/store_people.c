/*
 * store_people.c - people, groups and membership.  A person is found by a
 * phone number, an exact name that only one person has, or "#ID"; any
 * other match is an error that says what was found.
 */
#include "store/store_int.h"

#include "base/phone.h"
#include "base/str.h"
#include "base/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PERSON_COLS "p.id, p.name, p.phone, p.title, p.org, p.kind, p.opted_out_at, p.created_at"

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

static int
person_row(sqlite3_stmt *s, struct person *p)
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
	if (sqlite3_step(s) == SQLITE_ROW)
		snprintf(st->err, sizeof(st->err), "phone %s already belongs to %s (#%lld)", phone,
			 (const char *)sqlite3_column_text(s, 0), (long long)sqlite3_column_int64(s, 1));
	else
		store_fail(st, what);
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
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc == SQLITE_DONE) {
		if (id)
			*id = sqlite3_last_insert_rowid(st->db);
		return STORE_OK;
	}
	if ((rc & 0xff) != SQLITE_CONSTRAINT)
		return store_fail(st, "adding a person");
	return phone_taken(st, p->phone, "adding a person");
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
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		rc = person_row(s, out);
	else if (rc == SQLITE_DONE) {
		snprintf(st->err, sizeof(st->err), "no person #%lld", (long long)id);
		rc = STORE_NOTFOUND;
	} else
		rc = store_fail(st, "reading a person");
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
	long v;
	int rc, n = 0;
	char list[300] = "", phone[PHONE_MAX];
	const char *reason;

	if (who[0] == '#' && parse_long(who + 1, 1, INT32_MAX, &v) == 0)
		return store_person_get(st, v, out);
	if (who[0] != '#' && phone_normalize(who, phone, sizeof(phone), &reason) == 0) {
		if ((s = store_stmt(st, by_phone)) == NULL)
			return STORE_ERROR;
		store_bind_text(s, 1, phone);
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW)
			rc = person_row(s, out);
		else if (rc == SQLITE_DONE) {
			snprintf(st->err, sizeof(st->err), "nobody has the phone number %s", phone);
			rc = STORE_NOTFOUND;
		} else
			rc = store_fail(st, "finding a person");
		sqlite3_reset(s);
		return rc;
	}
	if ((s = store_stmt(st, by_name)) == NULL)
		return STORE_ERROR;
	store_bind_text(s, 1, who);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		size_t l = strlen(list);
		if (n == 0 && person_row(s, out) != STORE_OK) {
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
	if (n == 0) {
		snprintf(st->err, sizeof(st->err), "nobody is called \"%s\" (give a name or a phone number)", who);
		return STORE_NOTFOUND;
	}
	if (n > 1) {
		person_clear(out);
		snprintf(st->err, sizeof(st->err),
			 "\"%s\" is ambiguous: %s; use a phone number or #ID", who, list);
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
		if (person_row(s, &p) != STORE_OK) {
			rc = SQLITE_NOMEM;
			break;
		}
		p.groups = store_col_str(s, 8);
		int stop = fn(arg, &p);
		person_clear(&p);
		if (stop) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? STORE_OK : store_fail(st, "listing people");
}

int
store_person_remove(struct store *st, int64_t id)
{
	static const char tasks[] =
		"SELECT group_concat(t.code || ' (' || a.role || ')', ', ') FROM assignment a "
		"JOIN task t ON t.id = a.task WHERE a.person = ?";
	static const char del[] = "DELETE FROM person WHERE id = ?";
	sqlite3_stmt *s = store_stmt(st, tasks);
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
		snprintf(st->err, sizeof(st->err),
			 "#%lld is assigned to tasks %s: reassign them first (duban task update)",
			 (long long)id, (const char *)sqlite3_column_text(s, 0));
		sqlite3_reset(s);
		return STORE_INVALID;
	}
	sqlite3_reset(s);
	if ((s = store_stmt(st, del)) == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, id);
	rc = store_step_done(st, s, "removing a person");
	if (rc == STORE_OK && sqlite3_changes(st->db) == 0) {
		snprintf(st->err, sizeof(st->err), "no person #%lld", (long long)id);
		return STORE_NOTFOUND;
	}
	return rc;
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
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc == SQLITE_DONE) {
		if (sqlite3_changes(st->db) > 0)
			return STORE_OK;
		snprintf(st->err, sizeof(st->err), "no person #%lld", (long long)id);
		return STORE_NOTFOUND;
	}
	if ((rc & 0xff) == SQLITE_CONSTRAINT && p->phone)
		return phone_taken(st, p->phone, "updating a person");
	return store_fail(st, "updating a person");
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
	rc = store_step_done(st, s, "adding a group");
	if (rc == STORE_EXISTS)
		snprintf(st->err, sizeof(st->err), "a group called \"%s\" already exists", name);
	else if (rc == STORE_OK && id)
		*id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

int
store_group_find(struct store *st, const char *name, bool create, struct group *out)
{
	static const char sql[] =
		"SELECT g.id, g.name, g.description, (SELECT count(*) FROM member m WHERE m.grp = g.id) "
		"FROM grp g WHERE g.name = ?";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;
	int64_t id;

	if (s == NULL)
		return STORE_ERROR;
	store_bind_text(s, 1, name);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->id = sqlite3_column_int64(s, 0);
		out->name = store_col_str(s, 1);
		out->description = store_col_str(s, 2);
		out->members = sqlite3_column_int64(s, 3);
		sqlite3_reset(s);
		return STORE_OK;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, "finding a group");
	if (!create) {
		snprintf(st->err, sizeof(st->err), "no group called \"%s\"", name);
		return STORE_NOTFOUND;
	}
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
	static const char sql[] =
		"SELECT g.id, g.name, g.description, (SELECT count(*) FROM member m WHERE m.grp = g.id) "
		"FROM grp g ORDER BY g.name";
	sqlite3_stmt *s = store_stmt(st, sql);
	struct group g;
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		g.id = sqlite3_column_int64(s, 0);
		g.name = store_col_str(s, 1);
		g.description = store_col_str(s, 2);
		g.members = sqlite3_column_int64(s, 3);
		int stop = fn(arg, &g);
		group_clear(&g);
		if (stop) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? STORE_OK : store_fail(st, "listing groups");
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

int
store_member_add(struct store *st, int64_t grp, int64_t person, bool *added)
{
	static const char sql[] = "INSERT OR IGNORE INTO member (grp, person) VALUES (?, ?)";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, grp);
	sqlite3_bind_int64(s, 2, person);
	rc = store_step_done(st, s, "adding a member");
	if (added)
		*added = rc == STORE_OK && sqlite3_changes(st->db) > 0;
	return rc;
}

int
store_member_remove(struct store *st, int64_t grp, int64_t person, bool *removed)
{
	static const char sql[] = "DELETE FROM member WHERE grp = ? AND person = ?";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, grp);
	sqlite3_bind_int64(s, 2, person);
	rc = store_step_done(st, s, "removing a member");
	if (removed)
		*removed = rc == STORE_OK && sqlite3_changes(st->db) > 0;
	return rc;
}
