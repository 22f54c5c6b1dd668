/*
 * store_notice.c - the SQL of policy notices: selecting their audience,
 * queuing them to tens of thousands of people with one INSERT ... SELECT,
 * counting where their messages are, cancelling and resending them.
 *
 * An audience is passed to SQLite as four JSON arrays (group names, person
 * ids, organisations, kinds) bound as parameters ?1..?4 and read with
 * json_each, so one fixed statement serves any union of selectors and a
 * person is selected once however many selectors name them.
 */
#include "store/store_int.h"
#include "base/i18n.h"
#include "base/clock.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/*
 * The people an audience (bound as ?1..?4) selects, as a condition on
 * person p.  Used with "FROM person p NOT INDEXED": one pass over person
 * in id order, each person tested on its own (group membership through
 * the member_person index), so that selecting 100,000 people keeps no
 * list of them - no row set to drop duplicates, no sorter - and the
 * memory stays the same whatever the audience's size.
 */
#define AUDIENCE_WHERE                                                                       \
	"(EXISTS (SELECT 1 FROM member mb JOIN grp g ON g.id = mb.grp "                     \
	"         WHERE mb.person = p.id AND g.name IN (SELECT value FROM json_each(?1))) "  \
	" OR p.id IN (SELECT value FROM json_each(?2)) "                                     \
	" OR p.org IN (SELECT value FROM json_each(?3)) "                                    \
	" OR p.kind IN (SELECT value FROM json_each(?4)))"

/* The latest message per person of notice ?1 (a resend supersedes its failed original). */
#define LATEST_OF_NOTICE                                                                     \
	"SELECT max(id) FROM message WHERE notice = ?1 GROUP BY coalesce(person, -id)"

void
notice_clear(struct notice *n)
{
	if (n == NULL)
		return;
	free(n->title);
	free(n->body);
	free(n->template_name);
	free(n->vars);
	free(n->audience);
	free(n->status);
	free(n->created_by);
	free(n->approved_by);
	memset(n, 0, sizeof(*n));
}

/* A JSON array of strings (or of integers when ids) as a malloc'd string; NULL: no memory. */
static char *
json_list(const char *const *s, const int64_t *ids, size_t n)
{
	json_t *a = json_array();
	char *out = NULL;

	if (a == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		json_t *v = ids ? json_integer((json_int_t)ids[i]) : json_string(s[i]);
		if (v == NULL || json_array_append_new(a, v) != 0)
			goto out;
	}
	out = json_dumps(a, JSON_COMPACT);
out:
	json_decref(a);
	return out;
}

/* Bind an audience as ?1..?4.  0, or STORE_ERROR (out of memory, or a string that is not UTF-8). */
static int
bind_audience(struct store *st, sqlite3_stmt *s, const struct audience *a)
{
	char *j[4];
	int rc = STORE_OK;

	j[0] = json_list(a->group, NULL, a->ngroup);
	j[1] = json_list(NULL, a->person, a->nperson);
	j[2] = json_list(a->org, NULL, a->norg);
	j[3] = json_list(a->kind, NULL, a->nkind);
	for (int i = 0; i < 4; i++) {
		if (j[i] == NULL) {
			snprintf(st->err, sizeof(st->err),
				 "audience: out of memory or a name that is not UTF-8");
			rc = STORE_ERROR;
			continue;
		}
		sqlite3_bind_text(s, i + 1, j[i], -1, SQLITE_TRANSIENT);
	}
	for (int i = 0; i < 4; i++)
		free(j[i]);
	return rc;
}

int
store_audience_count(struct store *st, const struct audience *a, int64_t *selected,
		     int64_t *opted_out)
{
	static const char sql[] =
		"SELECT count(*), coalesce(sum(p.opted_out_at IS NOT NULL), 0) FROM person p NOT INDEXED "
		"WHERE " AUDIENCE_WHERE;
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	if (bind_audience(st, s, a) != STORE_OK)
		return STORE_ERROR;
	if ((rc = store_step_row(st, s, "counting a notice's audience", NULL)) == STORE_OK) {
		*selected = sqlite3_column_int64(s, 0);
		*opted_out = sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	return rc;
}

/* Walk the people of an audience the statement s selects (bound here): the
 * columns id, name, phone, title, org, kind[, opted_out_at]. */
static int
audience_walk(struct store *st, sqlite3_stmt *s, const struct audience *a,
	      int (*fn)(void *arg, const struct person *p), void *arg)
{
	struct person p = { 0 };
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	if (bind_audience(st, s, a) != STORE_OK)
		return STORE_ERROR;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		/* Borrowed column text: valid until the next step, no copies per person. */
		p.id = sqlite3_column_int64(s, 0);
		p.name = (char *)sqlite3_column_text(s, 1);
		p.phone = (char *)sqlite3_column_text(s, 2);
		p.title = (char *)sqlite3_column_text(s, 3);
		p.org = (char *)sqlite3_column_text(s, 4);
		p.kind = (char *)sqlite3_column_text(s, 5);
		p.opted_out_at = sqlite3_column_count(s) > 6 ? sqlite3_column_int64(s, 6) : 0;
		if (fn(arg, &p) != 0) {
			sqlite3_reset(s);
			return STORE_INVALID;
		}
	}
	return store_rows_end(st, s, rc, "reading a notice's audience");
}

int
store_audience_each(struct store *st, const struct audience *a,
		    int (*fn)(void *arg, const struct person *p), void *arg)
{
	static const char sql[] =
		"SELECT p.id, p.name, p.phone, p.title, p.org, p.kind FROM person p NOT INDEXED "
		"WHERE p.opted_out_at IS NULL AND " AUDIENCE_WHERE " ORDER BY p.id";

	return audience_walk(st, store_stmt(st, sql), a, fn, arg);
}

int
store_audience_left_out_each(struct store *st, const struct audience *a,
			     int (*fn)(void *arg, const struct person *p), void *arg)
{
	static const char sql[] =
		"SELECT p.id, p.name, p.phone, p.title, p.org, p.kind, p.opted_out_at "
		"FROM person p NOT INDEXED "
		"WHERE p.opted_out_at IS NOT NULL AND " AUDIENCE_WHERE " ORDER BY p.id";

	return audience_walk(st, store_stmt(st, sql), a, fn, arg);
}

int
store_notice_add(struct store *st, const struct notice *n, int64_t *id)
{
	static const char sql[] =
		"INSERT INTO notice (title, body, template, vars, audience, send_at, status, "
		"  recipients, opted_out, created_by, approved_by, created_at) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";
	sqlite3_stmt *s = store_stmt(st, sql);

	if (s == NULL)
		return STORE_ERROR;
	store_bind_text(s, 1, n->title ? n->title : "");
	store_bind_text(s, 2, n->body);
	store_bind_text(s, 3, n->template_name);
	store_bind_text(s, 4, n->vars);
	store_bind_text(s, 5, n->audience);
	sqlite3_bind_int64(s, 6, n->send_at);
	store_bind_text(s, 7, n->status ? n->status : "queued");
	sqlite3_bind_int64(s, 8, n->recipients);
	sqlite3_bind_int64(s, 9, n->opted_out);
	store_bind_text(s, 10, n->created_by);
	store_bind_text(s, 11, n->approved_by);
	sqlite3_bind_int64(s, 12, n->created_at ? n->created_at : time_now());
	return store_step_insert(st, s, "adding a notice", id);
}

#define NOTICE_COLS                                                                           \
	"n.id, n.title, n.body, n.template, n.vars, n.audience, n.send_at, n.status, "         \
	"n.recipients, n.opted_out, n.created_by, n.approved_by, n.created_at"

static int
notice_row(sqlite3_stmt *s, struct notice *n)
{
	memset(n, 0, sizeof(*n));
	n->id = sqlite3_column_int64(s, 0);
	n->title = store_col_str(s, 1);
	n->body = store_col_str(s, 2);
	n->template_name = store_col_opt(s, 3);
	n->vars = store_col_opt(s, 4);
	n->audience = store_col_str(s, 5);
	n->send_at = sqlite3_column_int64(s, 6);
	n->status = store_col_str(s, 7);
	n->recipients = sqlite3_column_int64(s, 8);
	n->opted_out = sqlite3_column_int64(s, 9);
	n->created_by = store_col_str(s, 10);
	n->approved_by = store_col_opt(s, 11);
	n->created_at = sqlite3_column_int64(s, 12);
	if (!n->title || !n->body || !n->audience || !n->status || !n->created_by) {
		notice_clear(n);
		return STORE_ERROR;
	}
	return STORE_OK;
}

int
store_notice_get(struct store *st, int64_t id, struct notice *out)
{
	static const char sql[] = "SELECT " NOTICE_COLS " FROM notice n WHERE n.id = ?";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, id);
	rc = store_step_row(st, s, "reading a notice", _("no notice N%lld"), (long long)id);
	if (rc == STORE_OK && (rc = notice_row(s, out)) != STORE_OK)
		snprintf(st->err, sizeof(st->err), "reading a notice: out of memory");
	sqlite3_reset(s);
	return rc;
}

int
store_notice_update(struct store *st, int64_t id, const char *status, const char *approved_by,
		    int64_t recipients, int64_t opted_out)
{
	static const char sql[] =
		"UPDATE notice SET status = ?2, approved_by = coalesce(?3, approved_by), "
		"recipients = ?4, opted_out = ?5 WHERE id = ?1";
	sqlite3_stmt *s = store_stmt(st, sql);

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, id);
	store_bind_text(s, 2, status);
	store_bind_text(s, 3, approved_by);
	sqlite3_bind_int64(s, 4, recipients);
	sqlite3_bind_int64(s, 5, opted_out);
	return store_step_done(st, s, "updating a notice");
}

int
store_notice_queue_all(struct store *st, int64_t notice, const struct audience *a,
		       const struct message *m, int64_t *queued)
{
	static const char sql[] =
		"INSERT INTO message (person, phone, text_id, encoding, parts, kind, notice, template, "
		"  dedupe_key, priority, status, created_at, not_before) "
		"SELECT p.id, p.phone, ?5, ?6, ?7, 'notice', ?8, ?9, 'n:' || ?8 || ':' || p.id, ?10, "
		"  'queued', ?11, ?12 "
		"FROM person p NOT INDEXED WHERE p.opted_out_at IS NULL AND " AUDIENCE_WHERE
		" ORDER BY p.id";
	sqlite3_stmt *s;
	int64_t now = time_now(), text;
	int rc;

	/* one text for every recipient: the values are the same */
	if ((rc = store_text_add(st, m->body, m->params, &text)) != STORE_OK)
		return rc;
	if ((s = store_stmt(st, sql)) == NULL)
		return STORE_ERROR;
	if (bind_audience(st, s, a) != STORE_OK)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 5, text);
	store_bind_text(s, 6, m->encoding);
	sqlite3_bind_int(s, 7, m->parts);
	sqlite3_bind_int64(s, 8, notice);
	store_bind_text(s, 9, m->template_name);
	sqlite3_bind_int(s, 10, PRIO_NOTICE);
	sqlite3_bind_int64(s, 11, m->created_at ? m->created_at : now);
	sqlite3_bind_int64(s, 12, m->not_before ? m->not_before : now);
	if ((rc = store_step_done(st, s, "queuing a notice")) != STORE_OK)
		return rc;
	*queued = sqlite3_changes64(st->db);
	return *queued > 0 ? STORE_OK : store_text_drop(st, text);
}

/* Fill c from the rows of a counting statement: (status, count, resent, parts). */
static int
counts_rows(struct store *st, sqlite3_stmt *s, struct notice_counts *c)
{
	int rc;

	memset(c, 0, sizeof(*c));
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *status = (const char *)sqlite3_column_text(s, 0);
		int64_t n = sqlite3_column_int64(s, 1);
		if (status == NULL)
			continue;
		if (strcmp(status, "queued") == 0)
			c->queued += n;
		else if (strcmp(status, "sending") == 0)
			c->sending += n;
		else if (strcmp(status, "sent") == 0)
			c->sent += n;
		else if (strcmp(status, "delivered") == 0)
			c->delivered += n;
		else if (strcmp(status, "failed") == 0)
			c->failed += n;
		else if (strcmp(status, "expired") == 0)
			c->expired += n;
		else
			c->cancelled += n; /* cancelled, or skipped (never used for notices) */
	}
	return store_rows_end(st, s, rc, "counting a notice's messages");
}

/* The resends and accepted parts of notice id, over all its rows. */
static int
counts_totals(struct store *st, int64_t id, struct notice_counts *c)
{
	static const char sql[] =
		"SELECT coalesce(sum(dedupe_key GLOB 'n:*:*:r*'), 0), "
		"  coalesce(sum(CASE WHEN status IN ('sent', 'delivered') THEN parts END), 0) "
		"FROM message WHERE notice = ?1";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, id);
	if ((rc = store_step_row(st, s, "counting a notice's messages", NULL)) == STORE_OK) {
		c->resent = sqlite3_column_int64(s, 0);
		c->parts = sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	return rc;
}

int
store_notice_counts(struct store *st, int64_t id, struct notice_counts *out)
{
	static const char sql[] =
		"SELECT status, count(*) FROM message WHERE id IN (" LATEST_OF_NOTICE ") "
		"GROUP BY status";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, id);
	if ((rc = counts_rows(st, s, out)) != STORE_OK)
		return rc;
	return counts_totals(st, id, out);
}

int
store_notice_each(struct store *st,
		  int (*fn)(void *arg, const struct notice *n, const struct notice_counts *c),
		  void *arg)
{
	static const char sql[] = "SELECT " NOTICE_COLS " FROM notice n WHERE n.id > ?1 "
				  "ORDER BY n.id LIMIT 1";
	struct notice n;
	struct notice_counts c;
	int64_t last = 0;
	int rc;

	/* One notice at a time, so that counting (other statements) never
	 * runs while this one is stepping. */
	for (;;) {
		sqlite3_stmt *s = store_stmt(st, sql);
		if (s == NULL)
			return STORE_ERROR;
		sqlite3_bind_int64(s, 1, last);
		rc = store_step_row(st, s, "listing notices", _("no notice after N%lld"), (long long)last);
		if (rc == STORE_OK && (rc = notice_row(s, &n)) != STORE_OK)
			snprintf(st->err, sizeof(st->err), "listing notices: out of memory");
		sqlite3_reset(s);
		if (rc != STORE_OK)
			return rc == STORE_NOTFOUND ? STORE_OK : rc; /* no more notices */
		last = n.id;
		rc = store_notice_counts(st, n.id, &c);
		if (rc == STORE_OK && fn(arg, &n, &c) != 0)
			rc = STORE_INVALID;
		notice_clear(&n);
		if (rc != STORE_OK)
			return rc == STORE_INVALID ? STORE_OK : rc;
	}
}

int
store_notice_failed_each(struct store *st, int64_t id,
			 int (*fn)(void *arg, const struct message *m), void *arg)
{
	static const char sql[] =
		"SELECT m.id, coalesce(m.person, 0), m.phone, p.name, m.status, m.attempts, "
		"  coalesce(m.final_at, 0), m.provider, m.last_error "
		"FROM message m LEFT JOIN person p ON p.id = m.person "
		"WHERE m.id IN (" LATEST_OF_NOTICE ") AND m.status = 'failed' ORDER BY m.id";
	sqlite3_stmt *s = store_stmt(st, sql);
	struct message m;
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&m, 0, sizeof(m));
		m.id = sqlite3_column_int64(s, 0);
		m.person = sqlite3_column_int64(s, 1);
		m.phone = (char *)sqlite3_column_text(s, 2);
		m.person_name = (char *)sqlite3_column_text(s, 3);
		m.status = (char *)sqlite3_column_text(s, 4);
		m.attempts = sqlite3_column_int(s, 5);
		m.final_at = sqlite3_column_int64(s, 6);
		m.provider = (char *)sqlite3_column_text(s, 7);
		m.last_error = (char *)sqlite3_column_text(s, 8);
		if (fn(arg, &m) != 0)
			break;
	}
	return store_rows_end(st, s, rc, "listing a notice's failed messages");
}

int
store_notice_cancel(struct store *st, int64_t id, int64_t now, int64_t *cancelled, int64_t *sent,
		    int64_t *sending)
{
	static const char cancel[] =
		"UPDATE message SET status = 'cancelled', final_at = ?2, "
		"last_error = 'notice cancelled', lease_until = NULL "
		"WHERE notice = ?1 AND status = 'queued'";
	static const char left[] =
		"SELECT coalesce(sum(status IN ('sent', 'delivered')), 0), "
		"  coalesce(sum(status = 'sending'), 0) FROM message WHERE notice = ?1";
	static const char mark[] = "UPDATE notice SET status = 'cancelled' WHERE id = ?1";
	sqlite3_stmt *s = store_stmt(st, cancel);
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, now);
	if ((rc = store_step_done(st, s, "cancelling a notice")) != STORE_OK)
		return rc;
	*cancelled = sqlite3_changes64(st->db);
	if ((s = store_stmt(st, left)) == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, id);
	if ((rc = store_step_row(st, s, "cancelling a notice", NULL)) == STORE_OK) {
		*sent = sqlite3_column_int64(s, 0);
		*sending = sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	if (rc != STORE_OK)
		return rc;
	if ((s = store_stmt(st, mark)) == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, id);
	return store_step_done(st, s, "cancelling a notice");
}

/* A message a provider refused for good (its number, its text): sending it again fails again. */
#define PERMANENT_FAILURE \
	"EXISTS (SELECT 1 FROM attempt a WHERE a.message = m.id AND a.result = 'permanent')"

int
store_notice_resend(struct store *st, int64_t id, int64_t now, int64_t *queued,
		    int64_t *opted_out)
{
	int64_t permanent;

	return store_notice_resend_some(st, id, now, true, queued, opted_out, &permanent);
}

int
store_notice_resend_some(struct store *st, int64_t id, int64_t now, bool all, int64_t *queued,
			 int64_t *opted_out, int64_t *permanent)
{
	/* The Kth row of a person is their (K-1)th resend: "n:N:P:rK-1". */
	static const char sql[] =
		"INSERT INTO message (person, phone, text_id, encoding, parts, kind, notice, template, "
		"  dedupe_key, priority, status, created_at, not_before) "
		"SELECT m.person, p.phone, m.text_id, m.encoding, m.parts, 'notice', m.notice, m.template, "
		"  'n:' || m.notice || ':' || m.person || ':r' || "
		"    (SELECT count(*) FROM message o WHERE o.notice = m.notice AND o.person = m.person), "
		"  ?3, 'queued', ?2, ?2 "
		"FROM message m JOIN person p ON p.id = m.person "
		"WHERE m.id IN (" LATEST_OF_NOTICE ") AND m.status = 'failed' "
		"  AND p.opted_out_at IS NULL AND (?4 OR NOT " PERMANENT_FAILURE ") ORDER BY m.id";
	static const char perm[] =
		"SELECT count(*) FROM message m JOIN person p ON p.id = m.person "
		"WHERE m.id IN (" LATEST_OF_NOTICE ") AND m.status = 'failed' "
		"  AND p.opted_out_at IS NULL AND " PERMANENT_FAILURE;
	static const char left_out[] =
		"SELECT count(*) FROM message m JOIN person p ON p.id = m.person "
		"WHERE m.id IN (" LATEST_OF_NOTICE ") AND m.status = 'failed' "
		"  AND p.opted_out_at IS NOT NULL";
	sqlite3_stmt *s = store_stmt(st, left_out);
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, id);
	rc = store_step_row(st, s, "resending a notice", NULL);
	*opted_out = rc == STORE_OK ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	if (rc != STORE_OK)
		return rc;
	*permanent = 0;
	if (!all) {
		if ((s = store_stmt(st, perm)) == NULL)
			return STORE_ERROR;
		sqlite3_bind_int64(s, 1, id);
		rc = store_step_row(st, s, "resending a notice", NULL);
		*permanent = rc == STORE_OK ? sqlite3_column_int64(s, 0) : 0;
		sqlite3_reset(s);
		if (rc != STORE_OK)
			return rc;
	}
	if ((s = store_stmt(st, sql)) == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, now);
	sqlite3_bind_int(s, 3, PRIO_NOTICE);
	sqlite3_bind_int(s, 4, all);
	if ((rc = store_step_done(st, s, "resending a notice")) != STORE_OK)
		return rc;
	*queued = sqlite3_changes64(st->db);
	return STORE_OK;
}
