/*
 * store_lease.c - the dispatcher's part of the store: leasing due rows,
 * taking back leases a dead dispatcher left behind, renewing the leases it
 * holds, finding when the next row becomes due, recording send results
 * with their attempt rows in batched transactions, and counting what is
 * left to do.
 *
 * A lease is one SELECT and one UPDATE over the rows the partial index
 * message_due yields in (priority, not_before) order, so taking 500 rows is
 * two statements and one commit whatever the size of the outbox.  The index
 * is named (INDEXED BY): without statistics SQLite would rather scan
 * message_status and sort every queued row, which costs a second per lease
 * with a million rows queued.
 */
#include "store/store_int.h"
#include "base/log.h"

#include <stdlib.h>
#include <string.h>
#include <stdio.h>

/* The quiet-hours filter: held rows are neither leased nor waited for. */
#define NOT_HELD "(?4 = 0 OR urgent = 1 OR kind = 'reply')"
#define EXPIRED  "(expires_at IS NOT NULL AND expires_at <= ?1)"

static int record_all(struct store *st, const struct send_result *r, size_t n);

int
store_dispatch_tune(struct store *st)
{
	/* A bigger page cache keeps the outbox's hot index pages in memory
	 * (16 MiB: a lease of several thousand rows of a batched notice and
	 * their index pages fit; at 8 MiB bench/cn.sh ran at half the speed);
	 * checkpointing every 32 MiB of WAL instead of SQLite's 1,000 pages
	 * copies each hot page less often.  Both bounded: the daemon stays
	 * small, and the WAL below storage.wal_max's default. */
	sqlite3_stmt *s = store_stmt(st, "PRAGMA page_size");
	int page = 0;
	char sql[96];

	if (s != NULL && sqlite3_step(s) == SQLITE_ROW)
		page = sqlite3_column_int(s, 0);
	if (s != NULL)
		sqlite3_reset(s);
	if (page <= 0)
		return store_fail(st, "tuning the connection");
	snprintf(sql, sizeof(sql), "PRAGMA cache_size = -16384; PRAGMA wal_autocheckpoint = %d;",
		 (32 << 20) / page);
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return store_fail(st, "tuning the connection");
	return STORE_OK;
}

static struct lease_msg *
lease_row(sqlite3_stmt *s)
{
	const char *col[4] = { (const char *)sqlite3_column_text(s, 2),
			       (const char *)sqlite3_column_text(s, 3),
			       (const char *)sqlite3_column_text(s, 7),
			       (const char *)sqlite3_column_text(s, 8) };
	const char *enc = (const char *)sqlite3_column_text(s, 4);
	size_t len[4], total = 0, o = 0;
	const char *at[4];
	struct lease_msg *m;

	for (size_t i = 0; i < 4; i++)
		total += (len[i] = col[i] ? strlen(col[i]) : 0) + 1;
	if ((m = malloc(sizeof(*m) + total)) == NULL)
		return NULL;
	m->id = sqlite3_column_int64(s, 0);
	m->attempts = sqlite3_column_int(s, 5);
	m->priority = sqlite3_column_int(s, 6);
	m->ucs2 = enc && strcmp(enc, "UCS-2") == 0;
	for (size_t i = 0; i < 4; i++) {
		memcpy(m->data + o, col[i] ? col[i] : "", len[i] + 1);
		at[i] = m->data + o;
		o += len[i] + 1;
	}
	m->phone = at[0];
	m->body = at[1];
	m->template_name = col[2] ? at[2] : NULL;
	m->params = col[3] ? at[3] : NULL;
	return m;
}

/*
 * The columns lease_row reads, from LEASE_FROM: a row and its text (NULL
 * body: the text is gone); LEASE_NCOLS of them, the body at LEASE_BODY.
 */
#define LEASE_COLS \
	"m.id, m.status, m.phone, x.body, m.encoding, m.attempts, m.priority, m.template, x.params"
#define LEASE_NCOLS 9
#define LEASE_BODY  3
#define LEASE_FROM "FROM message m LEFT JOIN message_text x ON x.id = m.text_id "

/*
 * Fail the n rows of ids just leased whose text is gone (message_text
 * has no row for them): sent, they would be empty SMS.  Only a database
 * edited by hand gets here; each is logged.
 */
static int
fail_textless(struct store *st, const int64_t *ids, size_t n, int64_t now)
{
	static const char sql[] =
		"UPDATE message SET status = 'failed', final_at = ?2, lease_until = NULL, "
		"last_error = 'its text is missing from the database' WHERE id = ?1";
	sqlite3_stmt *s;

	for (size_t i = 0; i < n; i++) {
		if ((s = store_stmt(st, sql)) == NULL)
			return STORE_ERROR;
		sqlite3_bind_int64(s, 1, ids[i]);
		sqlite3_bind_int64(s, 2, now);
		if (store_step_done(st, s, "failing a message without its text") != STORE_OK)
			return STORE_ERROR;
		log_warnx("message #%lld: its text is missing from the database; failed, not sent",
			  (long long)ids[i]);
	}
	return STORE_OK;
}

/*
 * What went to phone in the last hour and day before now: sends accepted
 * (sent_at) and rows being sent; *free_at the earliest time a held row
 * may try again (the oldest send of the full window ages out of it).
 */
static int
limit_check(struct store *st, const struct lease_opts *o, int per_hour, int per_day,
	    const char *phone, bool *held, int64_t *free_at, const char **why)
{
	static const char sql[] =
		"SELECT count(*) FILTER (WHERE sent_at IS NULL OR sent_at > ?2 - 3600),"
		"       count(*),"
		"       min(sent_at) FILTER (WHERE sent_at > ?2 - 3600),"
		"       min(sent_at) "
		"FROM message INDEXED BY message_phone "
		"WHERE phone = ?1 AND (sent_at > ?2 - 86400 OR status = 'sending')";
	sqlite3_stmt *s = store_stmt(st, sql);
	int64_t hour, day;
	int rc;

	*held = false;
	if (per_hour <= 0 && per_day <= 0)
		return STORE_OK;
	if (s == NULL)
		return STORE_ERROR;
	store_bind_text(s, 1, phone);
	sqlite3_bind_int64(s, 2, o->now);
	if ((rc = store_step_row(st, s, "counting what went to a number", NULL)) != STORE_OK) {
		sqlite3_reset(s);
		return rc;
	}
	hour = sqlite3_column_int64(s, 0);
	day = sqlite3_column_int64(s, 1);
	if (per_day > 0 && day >= per_day) {
		*held = true;
		*why = o->why_day;
		/* rows being sent have no sent_at yet: look again in a minute */
		*free_at = sqlite3_column_type(s, 3) == SQLITE_NULL ? o->now + 60
					: sqlite3_column_int64(s, 3) + 86400 + 1;
	} else if (per_hour > 0 && hour >= per_hour) {
		*held = true;
		*why = o->why_hour;
		*free_at = sqlite3_column_type(s, 2) == SQLITE_NULL ? o->now + 60
					: sqlite3_column_int64(s, 2) + 3600 + 1;
	}
	if (*held && *free_at <= o->now)
		*free_at = o->now + 60;
	sqlite3_reset(s);
	return STORE_OK;
}

/* Row id, just marked 'sending', into out[*got] with its text, or failed without one. */
static int
hand_out(struct store *st, int64_t id, int64_t now, struct lease_msg **out, size_t *got)
{
	static const char sql[] = "SELECT " LEASE_COLS " " LEASE_FROM "WHERE m.id = ?1";
	sqlite3_stmt *s = store_stmt(st, sql);
	bool textless = false;
	int rc = STORE_OK;

	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) != SQLITE_ROW)
		rc = store_fail(st, "leasing messages");
	else if ((textless = sqlite3_column_type(s, LEASE_BODY) == SQLITE_NULL))
		;
	else if ((out[*got] = lease_row(s)) == NULL)
		rc = store_fail(st, "leasing messages");
	else
		(*got)++;
	sqlite3_reset(s);
	return textless ? fail_textless(st, &id, 1, now) : rc;
}

/*
 * Lease under local per-number limits: the due rows in lease order, each
 * leased, expired or held (not_before moved to when its number's window
 * allows) one by one, so that a row leased counts against the next one to
 * the same number: the more urgent kinds (reminders before notices) take a
 * number's last slot.
 */
static int
lease_limited(struct store *st, const struct lease_opts *o, struct lease_msg **out, size_t *got,
	      size_t *exp)
{
	static const char cand[] =
		"SELECT m.id, m.phone, (m.expires_at IS NOT NULL AND m.expires_at <= ?1), m.template, x.params "
		"FROM message m INDEXED BY message_due LEFT JOIN message_text x ON x.id = m.text_id "
		"WHERE m.status = 'queued' AND m.not_before <= ?1 AND " NOT_HELD " "
		"ORDER BY m.priority, m.not_before LIMIT ?3";
	static const char take[] =
		"UPDATE message SET status = 'sending', lease_until = ?2, wait_reason = NULL "
		"WHERE id = ?1";
	static const char expire[] =
		"UPDATE message SET status = 'expired', final_at = ?2, "
		"last_error = 'expired before it could be sent' WHERE id = ?1";
	static const char hold[] =
		"UPDATE message SET not_before = ?2, wait_reason = ?3 WHERE id = ?1";
	sqlite3_stmt *s;
	int64_t *ids;
	char **phones;
	bool *past;
	int (*lim)[2];
	size_t nc = 0;
	int rc = STORE_ERROR;

	ids = calloc(o->max, sizeof(*ids));
	phones = calloc(o->max, sizeof(*phones));
	past = calloc(o->max, sizeof(*past));
	lim = calloc(o->max, sizeof(*lim));
	if (ids == NULL || phones == NULL || past == NULL || lim == NULL) {
		snprintf(st->err, sizeof(st->err), "leasing messages: out of memory");
		goto out;
	}
	if ((s = store_stmt(st, cand)) == NULL)
		goto out;
	sqlite3_bind_int64(s, 1, o->now);
	sqlite3_bind_int64(s, 3, (int64_t)o->max);
	sqlite3_bind_int(s, 4, o->quiet);
	while (nc < o->max && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *ph = (const char *)sqlite3_column_text(s, 1);
		ids[nc] = sqlite3_column_int64(s, 0);
		past[nc] = sqlite3_column_int(s, 2) != 0;
		lim[nc][0] = o->per_hour;
		lim[nc][1] = o->per_day;
		if (o->limits_of)
			o->limits_of(o->limits_arg, (const char *)sqlite3_column_text(s, 3),
				     (const char *)sqlite3_column_text(s, 4), &lim[nc][0], &lim[nc][1]);
		if ((phones[nc] = strdup(ph ? ph : "")) == NULL) {
			rc = SQLITE_NOMEM;
			break;
		}
		nc++;
	}
	if ((rc = store_rows_end(st, s, nc == o->max ? SQLITE_DONE : rc, "leasing messages")) !=
	    STORE_OK)
		goto out;
	for (size_t i = 0; i < nc; i++) {
		bool held = false;
		int64_t at = 0;
		const char *why = NULL;
		if (!past[i] && (rc = limit_check(st, o, lim[i][0], lim[i][1], phones[i], &held, &at,
						  &why)) != STORE_OK)
			goto out;
		rc = STORE_ERROR;
		if ((s = store_stmt(st, past[i] ? expire : held ? hold : take)) == NULL)
			goto out;
		sqlite3_bind_int64(s, 1, ids[i]);
		sqlite3_bind_int64(s, 2, past[i] ? o->now : held ? at : o->lease_until);
		if (held)
			store_bind_text(s, 3, why);
		if (past[i] || held) {
			if ((rc = store_step_done(st, s, "leasing messages")) != STORE_OK)
				goto out;
			*exp += past[i];
			continue;
		}
		if ((rc = store_step_done(st, s, "leasing messages")) != STORE_OK ||
		    (rc = hand_out(st, ids[i], o->now, out, got)) != STORE_OK)
			goto out;
	}
	rc = STORE_OK;
out:
	for (size_t i = 0; phones && i < nc; i++)
		free(phones[i]);
	free(ids);
	free(phones);
	free(past);
	free(lim);
	return rc;
}

/* The due rows in lease order: what store_lease reads, then marks. */
#define DUE_ROWS \
	"FROM message INDEXED BY message_due " \
	"WHERE status = 'queued' AND not_before <= ?1 AND " NOT_HELD " " \
	"ORDER BY priority, not_before LIMIT ?3"

/*
 * The one-statement lease without limits, in two steps: read the due rows
 * (a streaming SELECT), then mark the same rows with an UPDATE over the
 * same subquery, in the same transaction, so the same rows.  An UPDATE ...
 * RETURNING buffers every returned row (body, params) in a temporary table
 * first: a third of the lease's time.  If the count marked is not the
 * count read, nothing is handed out and the transaction rolls back.  A
 * row whose text is gone is marked with the rest, then failed.
 */
static int
lease_plain(struct store *st, const struct lease_opts *o, struct lease_msg **out, size_t *got,
	    size_t *exp)
{
	static const char sel[] =
		"SELECT " LEASE_COLS ", " EXPIRED " "
		"FROM message m INDEXED BY message_due LEFT JOIN message_text x ON x.id = m.text_id "
		"WHERE m.status = 'queued' AND m.not_before <= ?1 AND " NOT_HELD " "
		"ORDER BY m.priority, m.not_before LIMIT ?3";
	static const char upd[] =
		"UPDATE message SET "
		"  status = CASE WHEN " EXPIRED " THEN 'expired' ELSE 'sending' END,"
		"  lease_until = CASE WHEN " EXPIRED " THEN NULL ELSE ?2 END,"
		"  final_at = CASE WHEN " EXPIRED " THEN ?1 ELSE final_at END,"
		"  last_error = CASE WHEN " EXPIRED " THEN 'expired before it could be sent' "
		"               ELSE last_error END "
		"WHERE id IN (SELECT id " DUE_ROWS ")";
	sqlite3_stmt *s;
	size_t seen = 0, nbad = 0, capbad = 0;
	int64_t *bad = NULL;
	int rc = STORE_ERROR;

	if ((s = store_stmt(st, sel)) == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, o->now);
	sqlite3_bind_int64(s, 3, (int64_t)o->max);
	sqlite3_bind_int(s, 4, o->quiet);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		seen++;
		if (sqlite3_column_int(s, LEASE_NCOLS) != 0) {
			(*exp)++;
		} else if (sqlite3_column_type(s, LEASE_BODY) == SQLITE_NULL) {
			if (nbad == capbad) {
				int64_t *b = realloc(bad, (capbad ? 2 * capbad : 8) * sizeof(*bad));
				if (b == NULL)
					break;
				bad = b;
				capbad = capbad ? 2 * capbad : 8;
			}
			bad[nbad++] = sqlite3_column_int64(s, 0);
		} else if (*got == o->max || (out[*got] = lease_row(s)) == NULL) {
			break;
		} else {
			(*got)++;
		}
	}
	if (rc == SQLITE_ROW) {
		sqlite3_reset(s);
		snprintf(st->err, sizeof(st->err), "leasing messages: out of memory");
		rc = STORE_ERROR;
		goto out;
	}
	if ((rc = store_rows_end(st, s, rc, "leasing messages")) != STORE_OK || seen == 0)
		goto out;
	rc = STORE_ERROR;
	if ((s = store_stmt(st, upd)) == NULL)
		goto out;
	sqlite3_bind_int64(s, 1, o->now);
	sqlite3_bind_int64(s, 2, o->lease_until);
	sqlite3_bind_int64(s, 3, (int64_t)o->max);
	sqlite3_bind_int(s, 4, o->quiet);
	if (store_step_done(st, s, "leasing messages") != STORE_OK)
		goto out;
	if ((size_t)sqlite3_changes(st->db) != seen) {
		snprintf(st->err, sizeof(st->err), "leasing messages: %zu rows read, %d marked", seen,
			 sqlite3_changes(st->db));
		goto out;
	}
	rc = nbad > 0 ? fail_textless(st, bad, nbad, o->now) : STORE_OK;
out:
	free(bad);
	return rc;
}

int
store_lease(struct store *st, const struct lease_opts *o, const struct send_result *res,
	    size_t nres, struct lease_msg **out, size_t *n, size_t *expired)
{
	size_t got = 0, exp = 0;
	int rc;

	*n = 0;
	if (expired)
		*expired = 0;
	if (o->max == 0)
		return store_record_results(st, res, nres);
	if (store_begin(st) != STORE_OK)
		return STORE_ERROR;
	if (record_all(st, res, nres) != STORE_OK)
		goto fail;
	if (o->per_hour > 0 || o->per_day > 0 || o->limited)
		rc = lease_limited(st, o, out, &got, &exp);
	else
		rc = lease_plain(st, o, out, &got, &exp);
	if (rc != STORE_OK || store_commit(st) != STORE_OK)
		goto fail;
	*n = got;
	if (expired)
		*expired = exp;
	return STORE_OK;
fail:
	store_rollback(st);
	for (size_t i = 0; i < got; i++) {
		free(out[i]);
		out[i] = NULL;
	}
	return STORE_ERROR;
}

int
store_lease_reclaim(struct store *st, int64_t now, size_t *n)
{
	static const char sql[] =
		"UPDATE message SET status = 'queued', lease_until = NULL, not_before = ?1 "
		"WHERE status = 'sending' AND lease_until < ?1";
	sqlite3_stmt *s;
	int rc;

	if (n)
		*n = 0;
	if (store_begin(st) != STORE_OK)
		return STORE_ERROR;
	if ((s = store_stmt(st, sql)) == NULL) {
		store_rollback(st);
		return STORE_ERROR;
	}
	sqlite3_bind_int64(s, 1, now);
	if ((rc = store_step_done(st, s, "taking back expired leases")) != STORE_OK) {
		store_rollback(st);
		return rc;
	}
	if (n)
		*n = (size_t)sqlite3_changes(st->db);
	return store_commit(st);
}

int
store_lease_renew(struct store *st, const int64_t *ids, size_t n, int64_t lease_until)
{
	static const char sql[] =
		"UPDATE message SET lease_until = ?2 WHERE id = ?1 AND status = 'sending'";
	sqlite3_stmt *s;

	if (n == 0)
		return STORE_OK;
	if (store_begin(st) != STORE_OK)
		return STORE_ERROR;
	for (size_t i = 0; i < n; i++) {
		if ((s = store_stmt(st, sql)) == NULL)
			goto fail;
		sqlite3_bind_int64(s, 1, ids[i]);
		sqlite3_bind_int64(s, 2, lease_until);
		if (store_step_done(st, s, "renewing leases") != STORE_OK)
			goto fail;
	}
	return store_commit(st);
fail:
	store_rollback(st);
	return STORE_ERROR;
}

int
store_next_due(struct store *st, int64_t now, bool quiet, int64_t *next)
{
	/* One seek per distinct priority (there are a handful) instead of a
	 * scan of the whole queue for min(not_before). */
	static const char prio_sql[] =
		"SELECT priority FROM message INDEXED BY message_due "
		"WHERE status = 'queued' AND priority > ?1 "
		"ORDER BY priority LIMIT 1";
	static const char due_sql[] =
		"SELECT not_before FROM message INDEXED BY message_due "
		"WHERE status = 'queued' AND priority = ?2 "
		"AND not_before > ?1 AND " NOT_HELD " ORDER BY not_before LIMIT 1";
	int64_t prio = INT64_MIN, best = 0;
	sqlite3_stmt *s;
	int rc;

	for (;;) {
		if ((s = store_stmt(st, prio_sql)) == NULL)
			return STORE_ERROR;
		sqlite3_bind_int64(s, 1, prio);
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW)
			prio = sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
		if (rc == SQLITE_DONE)
			break;
		if (rc != SQLITE_ROW)
			return store_fail(st, "finding the next due message");
		if ((s = store_stmt(st, due_sql)) == NULL)
			return STORE_ERROR;
		sqlite3_bind_int64(s, 1, now);
		sqlite3_bind_int64(s, 2, prio);
		sqlite3_bind_int(s, 4, quiet);
		if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			int64_t t = sqlite3_column_int64(s, 0);
			if (best == 0 || t < best)
				best = t;
		}
		if (store_rows_end(st, s, rc, "finding the next due message") != STORE_OK)
			return STORE_ERROR;
	}
	*next = best;
	return STORE_OK;
}

/* The attempt row of r (none when r->attempt is NULL). */
static int
record_attempt(struct store *st, const struct send_result *r)
{
	static const char attempt[] =
		"INSERT INTO attempt (message, at, provider, http_status, result, error, latency_ms, "
		"  code, text, parts, billed) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
	sqlite3_stmt *s;
	int rc;

	if (r->attempt == NULL)
		return STORE_OK;
	if ((s = store_stmt(st, attempt)) == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, r->id);
	sqlite3_bind_int64(s, 2, r->at);
	store_bind_text(s, 3, r->provider[0] ? r->provider : "-");
	store_bind_opt_i64(s, 4, r->http_status, r->http_status != 0);
	store_bind_text(s, 5, r->attempt);
	store_bind_text(s, 6, r->error[0] ? r->error : NULL);
	sqlite3_bind_int64(s, 7, r->latency_ms);
	store_bind_text(s, 8, r->code[0] ? r->code : NULL);
	store_bind_text(s, 9, r->text);
	store_bind_opt_i64(s, 10, r->parts, r->parts > 0);
	store_bind_opt_i64(s, 11, r->billed, r->billed > 0);
	rc = store_step_done(st, s, "recording an attempt");
	/* A message deleted meanwhile (its attempt has nothing to belong to). */
	return rc == STORE_EXISTS ? STORE_OK : rc;
}

/*
 * One statement of match_waiting, with its parameters: ?1 the JSON list of
 * ids, ?2..?3 their range, ?4 how many; *v (when not NULL) the integer
 * it yields.
 */
static int
match_step(struct store *st, const char *sql, const char *ids, int64_t lo, int64_t hi, size_t n,
	   int64_t *v)
{
	sqlite3_stmt *s = store_stmt(st, sql);
	int np, rc;

	if (s == NULL)
		return STORE_ERROR;
	np = sqlite3_bind_parameter_count(s);
	if (np >= 1)
		sqlite3_bind_text(s, 1, ids, -1, SQLITE_STATIC);
	if (np >= 3) {
		sqlite3_bind_int64(s, 2, lo);
		sqlite3_bind_int64(s, 3, hi);
	}
	if (np >= 4)
		sqlite3_bind_int64(s, 4, (int64_t)n);
	if (v == NULL)
		return store_step_done(st, s, "matching reports that came early");
	if ((rc = store_step_row(st, s, "matching reports that came early", NULL)) == STORE_OK)
		*v = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return rc;
}

/*
 * What a row made 'sent' takes from reports that came before the send was
 * recorded (store_dlr_record keeps them): reports waiting unlinked with its
 * provider and reference, if they came no earlier than its first request,
 * are linked to it; the first report billing parts sets the parts billed of
 * its last accepted attempt; the first final report (delivered or failed)
 * becomes its status.  ids is the JSON list of the n message ids just
 * recorded, lo..hi their range; rows that are not 'sent' now are left
 * alone.  In the same transaction as the 'sent', so a crash never splits
 * the two.
 *
 * Nearly always nothing waits, and finding that out must not cost a seek
 * per row (a trigger did, a tenth of a batched notice's time): the
 * waiting reports are counted up to n (dlr_unmatched), and linked from
 * their side when they are fewer than the rows, from the rows' side when
 * not (10,000 planted reports must not cost 10,000 seeks per request);
 * then one seek of dlr_message over lo..hi says whether a report is linked
 * to any of them (linked now, or before: duban's own "duban-ID" is linked
 * as it comes), and only then do the other two statements run.
 */
static int
match_waiting(struct store *st, const char *ids, size_t n, int64_t lo, int64_t hi)
{
	static const char waiting[] =
		"SELECT count(*) FROM (SELECT 1 FROM dlr WHERE message IS NULL LIMIT ?4)";
	static const char linked[] =
		"SELECT EXISTS (SELECT 1 FROM dlr WHERE message BETWEEN ?2 AND ?3)";
#define LINK_IF "dlr.message IS NULL AND dlr.provider = m.provider " \
		"AND dlr.provider_ref = m.provider_ref AND m.status = 'sent' " \
		"AND dlr.received_at >= coalesce((SELECT min(a.at) FROM attempt a " \
		"                                 WHERE a.message = m.id), m.sent_at)"
	static const char *const link[2] = {
		/* from the reports' side: dlr_unmatched, then message_provider_ref
		 * (named, and +m.id: else SQLite walks lo..hi of message) */
		"UPDATE dlr INDEXED BY dlr_unmatched SET message = m.id, keep_until = NULL "
		"FROM message m WHERE " LINK_IF " AND +m.id BETWEEN ?2 AND ?3",
		/* from the rows' side */
		"UPDATE dlr SET message = m.id, keep_until = NULL "
		"FROM json_each(?1) j JOIN message m ON m.id = j.value WHERE " LINK_IF,
	};
#undef LINK_IF
#define SENT_ROWS "json_each(?1) j JOIN message m ON m.id = j.value " \
		  "WHERE m.status = 'sent' AND m.provider_ref IS NOT NULL"
#define FINAL_DLR(col) "(SELECT d." col " FROM dlr d WHERE d.message = message.id " \
		       "AND d.provider = message.provider " \
		       "AND (d.status = 'delivered' OR d.status = 'failed') ORDER BY d.id LIMIT 1)"
	static const char *const apply[] = {
		"UPDATE attempt SET billed = (SELECT d.parts FROM dlr d JOIN message m "
		"    ON m.id = attempt.message AND d.provider = m.provider "
		"  WHERE d.message = attempt.message AND d.parts IS NOT NULL ORDER BY d.id LIMIT 1) "
		"WHERE id IN (SELECT (SELECT max(a.id) FROM attempt a "
		"                     WHERE a.message = m.id AND a.result = 'accepted') "
		"  FROM " SENT_ROWS " AND EXISTS (SELECT 1 FROM dlr d WHERE d.message = m.id "
		"    AND d.provider = m.provider AND d.parts IS NOT NULL))",
		"UPDATE message SET status = " FINAL_DLR("status") ", final_at = " FINAL_DLR("received_at")
		", last_error = " FINAL_DLR("error") " "
		"WHERE id IN (SELECT value FROM json_each(?1)) AND status = 'sent' "
		"  AND provider_ref IS NOT NULL AND EXISTS (SELECT 1 FROM dlr d "
		"    WHERE d.message = message.id AND d.provider = message.provider "
		"      AND (d.status = 'delivered' OR d.status = 'failed'))",
	};
#undef SENT_ROWS
#undef FINAL_DLR
	int64_t count;
	int rc;

	if ((rc = match_step(st, waiting, ids, lo, hi, n, &count)) != STORE_OK)
		return rc;
	if (count > 0 &&
	    (rc = match_step(st, link[(size_t)count >= n], ids, lo, hi, n, NULL)) != STORE_OK)
		return rc;
	if ((rc = match_step(st, linked, ids, lo, hi, n, &count)) != STORE_OK)
		return rc;
	for (size_t i = 0; count > 0 && i < sizeof(apply) / sizeof(apply[0]); i++)
		if ((rc = match_step(st, apply[i], ids, lo, hi, n, NULL)) != STORE_OK)
			return rc;
	return STORE_OK;
}

static int
record_one(struct store *st, const struct send_result *r)
{
	static const char sent[] =
		"UPDATE message SET status = 'sent', attempts = attempts + 1, sent_at = ?2, "
		"provider = ?3, provider_ref = ?4, lease_until = NULL, last_error = NULL, "
		"wait_reason = NULL "
		"WHERE id = ?1 AND status IN ('sending', 'queued')";
	static const char retry[] =
		"UPDATE message SET status = 'queued', attempts = attempts + 1, not_before = ?2, "
		"provider = ?3, last_error = ?4, lease_until = NULL, wait_reason = NULL "
		"WHERE id = ?1 AND status = 'sending'";
	static const char failed[] =
		"UPDATE message SET status = 'failed', attempts = attempts + 1, final_at = ?2, "
		"provider = ?3, last_error = ?4, lease_until = NULL "
		"WHERE id = ?1 AND status = 'sending'";
	static const char release[] =
		"UPDATE message SET status = 'queued', lease_until = NULL "
		"WHERE id = ?1 AND status = 'sending'";
	static const char wait[] =
		"UPDATE message SET status = 'queued', not_before = ?2, provider = ?3, "
		"wait_reason = ?4, lease_until = NULL "
		"WHERE id = ?1 AND status = 'sending'";
	const char *sql = r->outcome == SEND_SENT     ? sent
			  : r->outcome == SEND_RETRY  ? retry
			  : r->outcome == SEND_FAILED ? failed
			  : r->outcome == SEND_WAIT   ? wait
						      : release;
	sqlite3_stmt *s;
	int rc;

	/* The attempt first: match_waiting reads it (the parts a report that
	 * came early billed). */
	if ((rc = record_attempt(st, r)) != STORE_OK || r->outcome == SEND_NOTE)
		return rc;
	if ((s = store_stmt(st, sql)) == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, r->id);
	if (r->outcome != SEND_RELEASE) {
		sqlite3_bind_int64(s, 2, r->outcome == SEND_RETRY || r->outcome == SEND_WAIT
						 ? r->not_before
						 : r->at);
		store_bind_text(s, 3, r->provider[0] ? r->provider : NULL);
		if (r->outcome == SEND_SENT)
			store_bind_text(s, 4, r->provider_ref[0] ? r->provider_ref : NULL);
		else
			store_bind_text(s, 4, r->error);
	}
	if ((rc = store_step_done(st, s, "recording a send result")) != STORE_OK ||
	    r->outcome != SEND_SENT || r->provider_ref[0] == '\0')
		return rc;
	char ids[32];
	snprintf(ids, sizeof(ids), "[%lld]", (long long)r->id);
	return match_waiting(st, ids, 1, r->id, r->id);
}

/* Do a and b differ only in their message (id, provider_ref)? */
static bool
same_attempt(const struct send_result *a, const struct send_result *b)
{
	return a->outcome == SEND_SENT && b->outcome == SEND_SENT && a->attempt && b->attempt &&
	       strcmp(a->attempt, b->attempt) == 0 && a->at == b->at &&
	       a->http_status == b->http_status && a->latency_ms == b->latency_ms &&
	       a->parts == b->parts && a->billed == b->billed &&
	       strcmp(a->provider, b->provider) == 0 && strcmp(a->code, b->code) == 0 &&
	       (a->text == b->text || (a->text && b->text && strcmp(a->text, b->text) == 0));
}

/*
 * [[id,"ref"],...] of r[0..n-1] into *pairs and [id,...] into *ids; -1
 * when out of memory.
 */
static int
ids_refs_json(const struct send_result *r, size_t n, char **pairs, char **ids)
{
	size_t cap = n * (24 + 2 * sizeof(r->provider_ref)) + 4, fcap = n * 22 + 3, o = 0, io = 0;
	char *b = malloc(cap), *f = malloc(fcap);

	if (b == NULL || f == NULL) {
		free(b);
		free(f);
		return -1;
	}
	b[o++] = '[';
	f[io++] = '[';
	for (size_t i = 0; i < n; i++) {
		o += (size_t)snprintf(b + o, cap - o, "%s[%lld,", i ? "," : "", (long long)r[i].id);
		io += (size_t)snprintf(f + io, fcap - io, "%s%lld", i ? "," : "", (long long)r[i].id);
		if (r[i].provider_ref[0] == '\0') {
			memcpy(b + o, "null]", 5);
			o += 5;
			continue;
		}
		b[o++] = '"';
		for (const unsigned char *c = (const unsigned char *)r[i].provider_ref; *c; c++) {
			if (*c == '"' || *c == '\\') {
				b[o++] = '\\';
				b[o++] = (char)*c;
			} else if (*c < 0x20) {
				o += (size_t)snprintf(b + o, cap - o, "\\u%04x", *c);
			} else {
				b[o++] = (char)*c;
			}
		}
		b[o++] = '"';
		b[o++] = ']';
	}
	b[o++] = ']';
	b[o] = '\0';
	f[io++] = ']';
	f[io] = '\0';
	*pairs = b;
	*ids = f;
	return 0;
}

/*
 * The n rows of one accepted batch request (same_attempt): their attempt
 * rows and their 'sent' in two statements instead of two per row, the
 * attempts over a JSON list of ids, the 'sent' over a list of (id, ref).
 * What record_one does for each, no more.  The attempts join the list to
 * message (a row deleted meanwhile gets none) with the ids as integers:
 * reading them out of the pairs (->>, EXISTS) took two and a half times
 * as long.
 */
static int
record_batch(struct store *st, const struct send_result *r, size_t n)
{
	static const char ins[] =
		"INSERT INTO attempt (message, at, provider, http_status, result, error, latency_ms, "
		"  code, text, parts, billed) "
		"SELECT m.id, ?2, ?3, ?4, ?5, NULL, ?6, ?7, ?8, ?9, ?10 "
		"FROM json_each(?1) j JOIN message m ON m.id = j.value";
	static const char upd[] =
		"UPDATE message SET status = 'sent', attempts = attempts + 1, sent_at = ?2, "
		"provider = ?3, provider_ref = j.value ->> 1, lease_until = NULL, last_error = NULL, "
		"wait_reason = NULL "
		"FROM json_each(?1) j WHERE message.id = j.value ->> 0 "
		"AND message.status IN ('sending', 'queued')";
	sqlite3_stmt *s;
	char *json = NULL, *ids = NULL;
	int rc = STORE_ERROR;

	if (ids_refs_json(r, n, &json, &ids) != 0) {
		snprintf(st->err, sizeof(st->err), "recording send results: out of memory");
		return STORE_ERROR;
	}
	if ((s = store_stmt(st, ins)) == NULL)
		goto out;
	sqlite3_bind_text(s, 1, ids, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, r->at);
	store_bind_text(s, 3, r->provider[0] ? r->provider : "-");
	store_bind_opt_i64(s, 4, r->http_status, r->http_status != 0);
	store_bind_text(s, 5, r->attempt);
	sqlite3_bind_int64(s, 6, r->latency_ms);
	store_bind_text(s, 7, r->code[0] ? r->code : NULL);
	store_bind_text(s, 8, r->text);
	store_bind_opt_i64(s, 9, r->parts, r->parts > 0);
	store_bind_opt_i64(s, 10, r->billed, r->billed > 0);
	if ((rc = store_step_done(st, s, "recording attempts")) != STORE_OK)
		goto out;
	if ((s = store_stmt(st, upd)) == NULL) {
		rc = STORE_ERROR;
		goto out;
	}
	sqlite3_bind_text(s, 1, json, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, r->at);
	store_bind_text(s, 3, r->provider[0] ? r->provider : NULL);
	if ((rc = store_step_done(st, s, "recording send results")) == STORE_OK) {
		int64_t lo = r[0].id, hi = r[0].id;
		for (size_t i = 1; i < n; i++) {
			lo = r[i].id < lo ? r[i].id : lo;
			hi = r[i].id > hi ? r[i].id : hi;
		}
		rc = match_waiting(st, ids, n, lo, hi);
	}
out:
	free(json);
	free(ids);
	return rc;
}

/* Every result of r, runs of one accepted batch request together. */
static int
record_all(struct store *st, const struct send_result *r, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && same_attempt(&r[i], &r[j]))
			j++;
		if (j - i >= 8) {
			if (record_batch(st, r + i, j - i) != STORE_OK)
				return STORE_ERROR;
		} else {
			for (size_t k = i; k < j; k++)
				if (record_one(st, &r[k]) != STORE_OK)
					return STORE_ERROR;
		}
		i = j;
	}
	return STORE_OK;
}

int
store_record_results(struct store *st, const struct send_result *r, size_t n)
{
	if (n == 0)
		return STORE_OK;
	if (store_begin(st) != STORE_OK)
		return STORE_ERROR;
	if (record_all(st, r, n) != STORE_OK) {
		store_rollback(st);
		return STORE_ERROR;
	}
	return store_commit(st);
}

int
store_outbox_pending(struct store *st, int64_t now, bool quiet, struct outbox_pending *p)
{
	static const char sql[] =
		"SELECT "
		"  count(*) FILTER (WHERE status = 'queued' AND not_before <= ?1 AND " NOT_HELD "),"
		"  count(*) FILTER (WHERE status = 'queued' AND attempts > 0 AND not_before > ?1),"
		"  count(*) FILTER (WHERE status = 'sending') "
		"FROM message WHERE status IN ('queued', 'sending')";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	memset(p, 0, sizeof(*p));
	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int(s, 4, quiet);
	if ((rc = store_step_row(st, s, "counting the outbox", NULL)) == STORE_OK) {
		p->due = sqlite3_column_int64(s, 0);
		p->retrying = sqlite3_column_int64(s, 1);
		p->sending = sqlite3_column_int64(s, 2);
	}
	sqlite3_reset(s);
	return rc;
}
