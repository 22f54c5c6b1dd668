/*
 * store_metrics.c - the counts /metrics exports: the outbox by status and
 * kind, each provider's attempts with their latency histogram, delivery
 * reports and replies.  Read only, straight from the database, so the
 * figures survive restarts and include what other processes did.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

const long store_latency_bounds_ms[STORE_LATENCY_BUCKETS] = {
	25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000,
};

/* Rows (text, text, count) of a GROUP BY query sql (a static string), to fn. */
static int
each_pair_count(struct store *st, const char *sql, const char *what,
		int (*fn)(void *arg, const char *a, const char *b, int64_t n), void *arg)
{
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (fn(arg, (const char *)sqlite3_column_text(s, 0),
		       (const char *)sqlite3_column_text(s, 1), sqlite3_column_int64(s, 2)) != 0)
			break;
	return store_rows_end(st, s, rc, what);
}

int
store_metrics_messages(struct store *st,
		       int (*fn)(void *arg, const char *status, const char *kind, int64_t n),
		       void *arg)
{
	static const char sql[] =
		"SELECT status, kind, count(*) FROM message GROUP BY status, kind ORDER BY 1, 2";

	return each_pair_count(st, sql, "counting messages", fn, arg);
}

int
store_metrics_providers(struct store *st, int (*fn)(void *arg, const struct provider_totals *t),
			void *arg)
{
	/* One pass over attempt; the bounds are store_latency_bounds_ms. */
	static const char sql[] =
		"WITH a AS ("
		"  SELECT provider,"
		"    count(*) FILTER (WHERE result = 'accepted') AS sent,"
		"    count(*) FILTER (WHERE result = 'transient') AS retried,"
		"    count(*) FILTER (WHERE result = 'permanent') AS rejected,"
		"    count(*) FILTER (WHERE latency_ms <= 25), count(*) FILTER (WHERE latency_ms "
		"<= 50),"
		"    count(*) FILTER (WHERE latency_ms <= 100), count(*) FILTER (WHERE latency_ms "
		"<= 250),"
		"    count(*) FILTER (WHERE latency_ms <= 500), count(*) FILTER (WHERE latency_ms "
		"<= 1000),"
		"    count(*) FILTER (WHERE latency_ms <= 2500), count(*) FILTER (WHERE latency_ms "
		"<= 5000),"
		"    count(*) FILTER (WHERE latency_ms <= 10000), count(*) FILTER (WHERE "
		"latency_ms <= 30000),"
		"    count(latency_ms) AS n, coalesce(sum(latency_ms), 0) AS total"
		"  FROM attempt GROUP BY provider),"
		"m AS (SELECT provider, count(*) FILTER (WHERE status = 'failed') AS failed,"
		"        count(*) FILTER (WHERE status = 'delivered') AS delivered"
		"      FROM message WHERE provider IS NOT NULL "
		"        AND (status = 'failed' OR status = 'delivered') GROUP BY provider) "
		"SELECT a.*, coalesce(m.failed, 0), coalesce(m.delivered, 0) "
		"FROM a LEFT JOIN m ON m.provider = a.provider ORDER BY a.provider";
	sqlite3_stmt *s = store_stmt(st, sql);
	struct provider_totals t;
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int c = 0;
		memset(&t, 0, sizeof(t));
		t.provider = (const char *)sqlite3_column_text(s, c++);
		t.sent = sqlite3_column_int64(s, c++);
		t.retried = sqlite3_column_int64(s, c++);
		t.rejected = sqlite3_column_int64(s, c++);
		for (int i = 0; i < STORE_LATENCY_BUCKETS; i++)
			t.le[i] = sqlite3_column_int64(s, c++);
		t.count = sqlite3_column_int64(s, c++);
		t.sum_ms = sqlite3_column_int64(s, c++);
		t.failed = sqlite3_column_int64(s, c++);
		t.delivered = sqlite3_column_int64(s, c++);
		if (fn(arg, &t) != 0)
			break;
	}
	return store_rows_end(st, s, rc, "counting attempts");
}

int
store_metrics_dlr(struct store *st,
		  int (*fn)(void *arg, const char *provider, const char *status, int64_t n),
		  void *arg)
{
	static const char sql[] = "SELECT provider, status, count(*) FROM dlr GROUP BY provider, "
				  "status ORDER BY 1, 2";

	return each_pair_count(st, sql, "counting delivery reports", fn, arg);
}

int
store_metrics_inbound(struct store *st,
		      int (*fn)(void *arg, const char *action, const char *status, int64_t n),
		      void *arg)
{
	static const char sql[] = "SELECT coalesce(action, ''), status, count(*) FROM inbound "
				  "GROUP BY 1, 2 ORDER BY 1, 2";

	return each_pair_count(st, sql, "counting replies", fn, arg);
}

int
store_metrics_oldest_queued(struct store *st, int64_t now, int64_t *age)
{
	/* The partial index message_due holds exactly the queued rows. */
	static const char sql[] =
		"SELECT min(not_before) FROM message WHERE status = 'queued' AND not_before <= ?";
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	*age = 0;
	if (s == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, now);
	if ((rc = store_step_row(st, s, "the oldest queued message", NULL)) == STORE_OK &&
	    sqlite3_column_type(s, 0) != SQLITE_NULL)
		*age = now - sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return rc;
}
