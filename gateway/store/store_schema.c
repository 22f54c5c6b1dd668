/*
 * store_schema.c - the database schema as forward-only migrations.  Entry
 * i takes a database from user_version i to i+1; a database is never
 * migrated backwards, and one written by a newer duban is refused.
 *
 * Times are INTEGER seconds since the epoch (UTC).  Status and kind columns
 * carry CHECK constraints so that a bug cannot write a state the rest of
 * duban does not know.  They are written as OR chains, not IN lists:
 * SQLite builds an ephemeral table for an IN list on every row it checks,
 * which made each outbox insert five times slower.
 */
#include "store/store_int.h"

static const char schema_v1[] =
	"CREATE TABLE person ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL,"
	"  phone TEXT NOT NULL UNIQUE,"
	"  title TEXT NOT NULL DEFAULT '',"
	"  org TEXT NOT NULL DEFAULT '',"
	"  kind TEXT NOT NULL DEFAULT 'other'"
	"    CHECK (kind = 'official' OR kind = 'farmer' OR kind = 'enterprise' OR kind = 'other'),"
	"  opted_out_at INTEGER,"
	"  created_at INTEGER NOT NULL);"
	"CREATE INDEX person_name ON person(name);"
	"CREATE INDEX person_org ON person(org);"
	"CREATE INDEX person_kind ON person(kind);"

	"CREATE TABLE grp ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  description TEXT NOT NULL DEFAULT '',"
	"  created_at INTEGER NOT NULL);"
	"CREATE TABLE member ("
	"  grp INTEGER NOT NULL REFERENCES grp(id) ON DELETE CASCADE,"
	"  person INTEGER NOT NULL REFERENCES person(id) ON DELETE CASCADE,"
	"  PRIMARY KEY (grp, person)) WITHOUT ROWID;"
	"CREATE INDEX member_person ON member(person);"

	/* next_fire: when the scheduler must look at the task again (NULL:
	 * never, e.g. done); indexed so a pass costs only what is due. */
	"CREATE TABLE task ("
	"  id INTEGER PRIMARY KEY,"
	"  code TEXT NOT NULL UNIQUE,"
	"  title TEXT NOT NULL,"
	"  detail TEXT NOT NULL DEFAULT '',"
	"  deadline INTEGER NOT NULL,"
	"  status TEXT NOT NULL DEFAULT 'open'"
	"    CHECK (status = 'open' OR status = 'done' OR status = 'cancelled'),"
	"  rule_set TEXT NOT NULL DEFAULT 'default',"
	"  team INTEGER REFERENCES grp(id) ON DELETE SET NULL,"
	"  next_fire INTEGER,"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  done_at INTEGER,"
	"  done_by INTEGER REFERENCES person(id) ON DELETE SET NULL);"
	"CREATE INDEX task_next_fire ON task(next_fire) WHERE next_fire IS NOT NULL;"
	"CREATE INDEX task_status ON task(status, deadline);"
	"CREATE TABLE assignment ("
	"  task INTEGER NOT NULL REFERENCES task(id) ON DELETE CASCADE,"
	"  person INTEGER NOT NULL REFERENCES person(id) ON DELETE RESTRICT,"
	"  role TEXT NOT NULL CHECK (role = 'lead' OR role = 'owner' OR role = 'member' OR role = 'supervisor'),"
	"  PRIMARY KEY (task, person, role)) WITHOUT ROWID;"
	"CREATE INDEX assignment_person ON assignment(person);"

	"CREATE TABLE notice ("
	"  id INTEGER PRIMARY KEY,"
	"  title TEXT NOT NULL DEFAULT '',"
	"  body TEXT NOT NULL,"
	"  template TEXT,"
	"  vars TEXT,"
	"  audience TEXT NOT NULL,"
	"  send_at INTEGER NOT NULL,"
	"  status TEXT NOT NULL DEFAULT 'queued'"
	"    CHECK (status = 'pending' OR status = 'scheduled' OR status = 'queued' OR status = 'cancelled'),"
	"  recipients INTEGER NOT NULL DEFAULT 0,"
	"  opted_out INTEGER NOT NULL DEFAULT 0,"
	"  created_by TEXT NOT NULL,"
	"  approved_by TEXT,"
	"  created_at INTEGER NOT NULL);"

	/* The outbox.  priority: lower goes first (0 urgent, 10 reminders and
	 * escalations, 20 manual, 30 notices).  dedupe_key makes the scheduler
	 * idempotent; ref is a client's idempotency reference. */
	"CREATE TABLE message ("
	"  id INTEGER PRIMARY KEY,"
	"  person INTEGER REFERENCES person(id) ON DELETE SET NULL,"
	"  phone TEXT NOT NULL,"
	"  body TEXT NOT NULL,"
	"  encoding TEXT NOT NULL CHECK (encoding = 'GSM-7' OR encoding = 'UCS-2'),"
	"  parts INTEGER NOT NULL,"
	"  kind TEXT NOT NULL"
	"    CHECK (kind = 'reminder' OR kind = 'escalation' OR kind = 'notice' OR kind = 'manual' OR kind = 'reply'),"
	"  task INTEGER REFERENCES task(id) ON DELETE SET NULL,"
	"  notice INTEGER REFERENCES notice(id) ON DELETE SET NULL,"
	"  step TEXT,"
	"  template TEXT,"
	"  ref TEXT,"
	"  dedupe_key TEXT UNIQUE,"
	"  priority INTEGER NOT NULL DEFAULT 20,"
	"  urgent INTEGER NOT NULL DEFAULT 0,"
	"  status TEXT NOT NULL DEFAULT 'queued'"
	"    CHECK (status = 'queued' OR status = 'sending' OR status = 'sent' OR status = 'delivered' OR status = 'failed' OR status = 'expired' OR status = 'cancelled' OR status = 'skipped'),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  created_at INTEGER NOT NULL,"
	"  not_before INTEGER NOT NULL,"
	"  expires_at INTEGER,"
	"  lease_until INTEGER,"
	"  sent_at INTEGER,"
	"  final_at INTEGER,"
	"  provider TEXT,"
	"  provider_ref TEXT,"
	"  last_error TEXT,"
	"  acked_at INTEGER);"
	"CREATE INDEX message_due ON message(priority, not_before) WHERE status = 'queued';"
	"CREATE INDEX message_lease ON message(lease_until) WHERE status = 'sending';"
	"CREATE INDEX message_task ON message(task, person) WHERE task IS NOT NULL;"
	"CREATE INDEX message_notice ON message(notice, status) WHERE notice IS NOT NULL;"
	"CREATE INDEX message_person ON message(person, created_at);"
	"CREATE INDEX message_provider_ref ON message(provider_ref) WHERE provider_ref IS NOT NULL;"
	"CREATE UNIQUE INDEX message_ref ON message(ref) WHERE ref IS NOT NULL;"
	/* no index on status alone: counts per status read a notice's or a task's rows */

	/* Every send attempt: time, provider, HTTP status, classification. */
	"CREATE TABLE attempt ("
	"  id INTEGER PRIMARY KEY,"
	"  message INTEGER NOT NULL REFERENCES message(id) ON DELETE CASCADE,"
	"  at INTEGER NOT NULL,"
	"  provider TEXT NOT NULL,"
	"  http_status INTEGER,"
	"  result TEXT NOT NULL CHECK (result = 'accepted' OR result = 'transient' OR result = 'permanent'),"
	"  error TEXT,"
	"  latency_ms INTEGER);"
	"CREATE INDEX attempt_message ON attempt(message);"

	/* Delivery reports, kept even when they arrive before the send's reply
	 * is recorded; (provider, provider_ref, status) makes them idempotent. */
	"CREATE TABLE dlr ("
	"  id INTEGER PRIMARY KEY,"
	"  provider TEXT NOT NULL,"
	"  provider_ref TEXT NOT NULL,"
	"  status TEXT NOT NULL,"
	"  error TEXT,"
	"  received_at INTEGER NOT NULL,"
	"  message INTEGER REFERENCES message(id) ON DELETE SET NULL,"
	"  UNIQUE (provider, provider_ref, status));"

	/* Replies (MO).  (provider, provider_ref) drops duplicates. */
	"CREATE TABLE inbound ("
	"  id INTEGER PRIMARY KEY,"
	"  provider TEXT NOT NULL,"
	"  provider_ref TEXT,"
	"  phone TEXT NOT NULL,"
	"  person INTEGER REFERENCES person(id) ON DELETE SET NULL,"
	"  text TEXT NOT NULL,"
	"  received_at INTEGER NOT NULL,"
	"  action TEXT,"
	"  status TEXT NOT NULL DEFAULT 'new' CHECK (status = 'new' OR status = 'handled' OR status = 'read'),"
	"  UNIQUE (provider, provider_ref));"

	/* The audit log: who did what, when. */
	"CREATE TABLE event ("
	"  id INTEGER PRIMARY KEY,"
	"  at INTEGER NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  action TEXT NOT NULL,"
	"  object TEXT,"
	"  detail TEXT);"
	"CREATE INDEX event_at ON event(at);"

	/* Small key/value facts about the database itself. */
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;";

/*
 * v2: delivery reports that arrive before the send's reply is recorded.
 * A report is stored in dlr with message NULL when no sent message has
 * its provider reference yet; when the dispatcher records the reference
 * (the UPDATE that makes a row 'sent'), this trigger links the waiting
 * reports - by the provider's reference, or by duban's own "duban-ID"
 * when the provider reports that - and applies the first final one
 * (delivered or failed).  Keeping it in SQL means the dispatcher's commit
 * and the report's effect can never be split by a crash.  Also an index
 * for the replies a staff member reads (duban inbox list).
 */
static const char schema_v2[] =
	"CREATE INDEX dlr_message ON dlr(message) WHERE message IS NOT NULL;"
	"CREATE INDEX inbound_status ON inbound(status, received_at);"
	"CREATE INDEX inbound_person ON inbound(person, received_at);"
	"CREATE TRIGGER message_dlr_pending AFTER UPDATE OF provider_ref ON message "
	"WHEN NEW.provider_ref IS NOT NULL AND NEW.status = 'sent' "
	"BEGIN "
	"  UPDATE dlr SET message = NEW.id "
	"   WHERE message IS NULL AND provider = NEW.provider "
	"     AND (provider_ref = NEW.provider_ref OR provider_ref = 'duban-' || NEW.id);"
	"  UPDATE message SET "
	"    status = (SELECT d.status FROM dlr d WHERE d.message = NEW.id "
	"              AND (d.status = 'delivered' OR d.status = 'failed') ORDER BY d.id LIMIT 1),"
	"    final_at = (SELECT d.received_at FROM dlr d WHERE d.message = NEW.id "
	"              AND (d.status = 'delivered' OR d.status = 'failed') ORDER BY d.id LIMIT 1),"
	"    last_error = (SELECT d.error FROM dlr d WHERE d.message = NEW.id "
	"              AND (d.status = 'delivered' OR d.status = 'failed') ORDER BY d.id LIMIT 1) "
	"  WHERE id = NEW.id AND status = 'sent' AND EXISTS (SELECT 1 FROM dlr d "
	"    WHERE d.message = NEW.id AND (d.status = 'delivered' OR d.status = 'failed'));"
	"END;";

/*
 * v3: early delivery reports decide nothing they should not.  Under v2 a
 * report for "duban-ID" was kept for ever and applied, by the trigger, to
 * whichever message later got that id: anyone who could post a report
 * decided the fate of messages not yet queued.  Now a report naming
 * duban's own reference is kept only when its message exists and a
 * request for it has gone out, and is linked to it at once (store_dlr.c);
 * only a report keyed by the provider's own id waits unlinked, until
 * keep_until (dlr.keep_unmatched after it arrived), and the trigger links
 * it only when it arrived after the message's first request was sent (the
 * attempts recorded before this one, else this one): a report cannot
 * answer a request that had not been made.  The
 * unlinked reports v2 kept for duban's references are linked when their
 * message was sent and dropped when not (they were planted or are
 * stale); the others get a day.
 */
static const char schema_v3[] =
	"ALTER TABLE dlr ADD COLUMN keep_until INTEGER;"
	"UPDATE dlr SET message = CAST(substr(provider_ref, 7) AS INTEGER) "
	" WHERE message IS NULL AND provider_ref GLOB 'duban-[1-9]*' AND EXISTS ("
	"   SELECT 1 FROM message m WHERE 'duban-' || m.id = dlr.provider_ref "
	"     AND (m.status = 'sending' OR m.attempts > 0));"
	"DELETE FROM dlr WHERE message IS NULL AND provider_ref GLOB 'duban-[1-9]*' "
	"  AND provider_ref = 'duban-' || CAST(substr(provider_ref, 7) AS INTEGER);"
	"UPDATE dlr SET keep_until = received_at + 86400 WHERE message IS NULL;"
	"CREATE INDEX dlr_unmatched ON dlr(received_at) WHERE message IS NULL;"
	"DROP TRIGGER message_dlr_pending;"
	"CREATE TRIGGER message_dlr_pending AFTER UPDATE OF provider_ref ON message "
	"WHEN NEW.provider_ref IS NOT NULL AND NEW.status = 'sent' "
	"BEGIN "
	"  UPDATE dlr SET message = NEW.id, keep_until = NULL "
	"   WHERE message IS NULL AND provider = NEW.provider AND provider_ref = NEW.provider_ref "
	"     AND received_at >= coalesce((SELECT min(a.at) FROM attempt a WHERE a.message = NEW.id),"
	"                                 NEW.sent_at);"
	"  UPDATE message SET "
	"    status = (SELECT d.status FROM dlr d WHERE d.message = NEW.id AND d.provider = NEW.provider "
	"              AND (d.status = 'delivered' OR d.status = 'failed') ORDER BY d.id LIMIT 1),"
	"    final_at = (SELECT d.received_at FROM dlr d WHERE d.message = NEW.id AND d.provider = NEW.provider "
	"              AND (d.status = 'delivered' OR d.status = 'failed') ORDER BY d.id LIMIT 1),"
	"    last_error = (SELECT d.error FROM dlr d WHERE d.message = NEW.id AND d.provider = NEW.provider "
	"              AND (d.status = 'delivered' OR d.status = 'failed') ORDER BY d.id LIMIT 1) "
	"  WHERE id = NEW.id AND status = 'sent' AND EXISTS (SELECT 1 FROM dlr d "
	"    WHERE d.message = NEW.id AND d.provider = NEW.provider "
	"      AND (d.status = 'delivered' OR d.status = 'failed'));"
	"END;";

/*
 * A message's values for the providers that take only approved templates
 * (Alibaba Cloud, Tencent Cloud), rendered when it is queued so that the
 * dispatcher - first try and failover alike - sends exactly what was
 * checked.  params is NULL when no such provider carries the message (a
 * free text, or no binding for its template); otherwise a JSON object
 * written only by core/route.c, in one canonical form: no spaces, the
 * providers in the configured order, each an array of its binding's
 * values in the binding's order, strings with only '"', '\\' and control
 * characters escaped (UTF-8 kept).  Equal values are equal strings, so a
 * notice's rows that can go in one batch are those with the same
 * (template, params), found by comparing the text.  The key "*" (never a
 * provider name) holds the free text a free-text provider later in the
 * failover order sends, when body holds a template provider's text: body
 * and parts are always the text (without 【signature】) and the parts of
 * the first provider able to carry the message.
 */
static const char schema_params[] = "ALTER TABLE message ADD COLUMN params TEXT;";

/*
 * What the Chinese cloud providers need of the send side.  An
 * attempt may also be 'limited' (the provider refuses this number for a
 * while: it waits, no retry burned) or 'halted' (the provider refuses
 * everything: the row goes elsewhere, no retry burned), and records the
 * text the phone showed, its parts, the provider's error code and the
 * parts the provider billed (Tencent's Fee at once, Aliyun's sms_size
 * with the report; dlr.parts keeps a report's until its send is
 * recorded).  SQLite cannot change a CHECK, so attempt is rebuilt; the
 * trigger of v3 reads attempt and is made again around it.
 * provider_state: a provider halted (why, since when, whether its alert
 * went out); `duban provider resume` clears it and the daemon reads it.
 * message_phone finds what went to a number (local per-number limits;
 * on the number alone, so that recording a send touches no index of it),
 * wait_reason says why a queued row waits.  The trigger now runs only
 * when a report waits for the row (one or two index seeks per send
 * instead of its three statements).
 */
static const char schema_send[] =
	"DROP TRIGGER message_dlr_pending;"
	"CREATE TABLE attempt_v4 ("
	"  id INTEGER PRIMARY KEY,"
	"  message INTEGER NOT NULL REFERENCES message(id) ON DELETE CASCADE,"
	"  at INTEGER NOT NULL,"
	"  provider TEXT NOT NULL,"
	"  http_status INTEGER,"
	"  result TEXT NOT NULL CHECK (result = 'accepted' OR result = 'transient' OR result = 'permanent'"
	"    OR result = 'limited' OR result = 'halted'),"
	"  error TEXT,"
	"  latency_ms INTEGER,"
	"  code TEXT,"
	"  text TEXT,"
	"  parts INTEGER,"
	"  billed INTEGER);"
	"INSERT INTO attempt_v4 (id, message, at, provider, http_status, result, error, latency_ms) "
	"  SELECT id, message, at, provider, http_status, result, error, latency_ms FROM attempt;"
	"DROP TABLE attempt;"
	"ALTER TABLE attempt_v4 RENAME TO attempt;"
	"CREATE INDEX attempt_message ON attempt(message);"
	"CREATE INDEX attempt_billed ON attempt(provider) WHERE billed IS NOT NULL;"
	"ALTER TABLE dlr ADD COLUMN parts INTEGER;"
	"ALTER TABLE message ADD COLUMN wait_reason TEXT;"
	"CREATE INDEX message_phone ON message(phone);"
	"CREATE TABLE provider_state ("
	"  provider TEXT PRIMARY KEY,"
	"  halted_at INTEGER,"
	"  code TEXT,"
	"  reason TEXT,"
	"  alerted_at INTEGER,"
	"  resumed_at INTEGER,"
	"  resumed_by TEXT) WITHOUT ROWID;"
	"CREATE TRIGGER message_dlr_pending AFTER UPDATE OF provider_ref ON message "
	"WHEN NEW.provider_ref IS NOT NULL AND NEW.status = 'sent' "
	"  AND (EXISTS (SELECT 1 FROM dlr WHERE message = NEW.id) "
	"    OR EXISTS (SELECT 1 FROM dlr WHERE message IS NULL AND provider = NEW.provider "
	"               AND provider_ref = NEW.provider_ref)) "
	"BEGIN "
	"  UPDATE dlr SET message = NEW.id, keep_until = NULL "
	"   WHERE message IS NULL AND provider = NEW.provider AND provider_ref = NEW.provider_ref "
	"     AND received_at >= coalesce((SELECT min(a.at) FROM attempt a WHERE a.message = NEW.id),"
	"                                 NEW.sent_at);"
	"  UPDATE attempt SET billed = (SELECT d.parts FROM dlr d WHERE d.message = NEW.id "
	"      AND d.provider = NEW.provider AND d.parts IS NOT NULL ORDER BY d.id LIMIT 1) "
	"   WHERE id = (SELECT max(a.id) FROM attempt a WHERE a.message = NEW.id AND a.result = 'accepted') "
	"     AND EXISTS (SELECT 1 FROM dlr d WHERE d.message = NEW.id AND d.provider = NEW.provider "
	"                 AND d.parts IS NOT NULL);"
	"  UPDATE message SET "
	"    status = (SELECT d.status FROM dlr d WHERE d.message = NEW.id AND d.provider = NEW.provider "
	"              AND (d.status = 'delivered' OR d.status = 'failed') ORDER BY d.id LIMIT 1),"
	"    final_at = (SELECT d.received_at FROM dlr d WHERE d.message = NEW.id AND d.provider = NEW.provider "
	"              AND (d.status = 'delivered' OR d.status = 'failed') ORDER BY d.id LIMIT 1),"
	"    last_error = (SELECT d.error FROM dlr d WHERE d.message = NEW.id AND d.provider = NEW.provider "
	"              AND (d.status = 'delivered' OR d.status = 'failed') ORDER BY d.id LIMIT 1) "
	"  WHERE id = NEW.id AND status = 'sent' AND EXISTS (SELECT 1 FROM dlr d "
	"    WHERE d.message = NEW.id AND d.provider = NEW.provider "
	"      AND (d.status = 'delivered' OR d.status = 'failed'));"
	"END;";

/*
 * The staff console.  staff: the town office's accounts (a login, a
 * name, a role, the password as its PBKDF2 string - never the password);
 * staff_session: open console sessions, keyed by the SHA-256 of the
 * session token (the cookie's value is never stored), with the CSRF token
 * the session's forms send back, and when it began and was last used (for
 * the absolute and idle expiry); login_attempt: failed logins, by account
 * ("login:NAME") and by client address ("addr:IP"), so that guessing is
 * slowed whatever the account or address.
 */
static const char schema_staff[] =
	"CREATE TABLE staff ("
	"  id INTEGER PRIMARY KEY,"
	"  login TEXT NOT NULL UNIQUE,"
	"  name TEXT NOT NULL,"
	"  role TEXT NOT NULL CHECK (role IN ('viewer','clerk','approver','admin')),"
	"  pw_hash TEXT NOT NULL,"
	"  disabled_at INTEGER,"
	"  created_at INTEGER NOT NULL);"
	"CREATE TABLE staff_session ("
	"  hash BLOB PRIMARY KEY,"
	"  staff INTEGER NOT NULL REFERENCES staff(id) ON DELETE CASCADE,"
	"  csrf TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  last_seen INTEGER NOT NULL);"
	"CREATE INDEX staff_session_staff ON staff_session(staff);"
	"CREATE TABLE login_attempt ("
	"  id INTEGER PRIMARY KEY,"
	"  key TEXT NOT NULL,"
	"  at INTEGER NOT NULL);"
	"CREATE INDEX login_attempt_key ON login_attempt(key, at);";

/*
 * Reminders: the town's own calendar days (calendar_day: a local
 * festival it rests on, a weekend day it works), over the State Council's
 * days shipped in calendar/cn.cfg; which tasks an SMS reply acted on
 * (reply_task: the reports' last reply is a reply that did something to
 * the task, not any text that happens to hold its code; the replies that
 * closed a task before are linked by that old reading); and dated progress
 * notes (task_note: "进展 T3 已完成土方"); and digests (digest_item: the
 * step rows one SMS listing several tasks carried, each kept with its
 * dedupe key); and recurring tasks (task_series: "每月5日前报送", each
 * occurrence a task of its own, T12-2008-12, with task.series).
 */
static const char schema_reminders[] =
	"CREATE TABLE calendar_day ("
	"  date TEXT PRIMARY KEY CHECK (date GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]'),"
	"  kind TEXT NOT NULL CHECK (kind IN ('holiday', 'workday')),"
	"  name TEXT NOT NULL DEFAULT '',"
	"  created_at INTEGER NOT NULL"
	");"
	"CREATE TABLE reply_task ("
	"  inbound INTEGER NOT NULL REFERENCES inbound(id) ON DELETE CASCADE,"
	"  task INTEGER NOT NULL REFERENCES task(id) ON DELETE CASCADE,"
	"  PRIMARY KEY (inbound, task)) WITHOUT ROWID;"
	"CREATE INDEX reply_task_task ON reply_task(task);"
	"INSERT OR IGNORE INTO reply_task (inbound, task) "
	"  SELECT i.id, t.id FROM inbound i JOIN task t ON i.action = 'done' "
	"   AND i.person IN (SELECT a.person FROM assignment a WHERE a.task = t.id) "
	"   AND (upper(replace(i.text, ' ', '')) GLOB '*' || upper(t.code) || '[^0-9]*' "
	"        OR upper(replace(i.text, ' ', '')) GLOB '*' || upper(t.code));"
	"CREATE TABLE task_note ("
	"  id INTEGER PRIMARY KEY,"
	"  task INTEGER NOT NULL REFERENCES task(id) ON DELETE CASCADE,"
	"  person INTEGER REFERENCES person(id) ON DELETE SET NULL,"
	"  inbound INTEGER REFERENCES inbound(id) ON DELETE SET NULL,"
	"  at INTEGER NOT NULL,"
	"  text TEXT NOT NULL);"
	"CREATE INDEX task_note_task ON task_note(task, at);"
	"CREATE TABLE digest_item ("
	"  item INTEGER PRIMARY KEY REFERENCES message(id) ON DELETE CASCADE,"
	"  digest INTEGER NOT NULL REFERENCES message(id) ON DELETE CASCADE);"
	"CREATE INDEX digest_item_digest ON digest_item(digest);"
	"CREATE TABLE task_series ("
	"  id INTEGER PRIMARY KEY,"
	"  code TEXT NOT NULL UNIQUE,"
	"  every TEXT NOT NULL CHECK (every IN ('week', 'month', 'quarter', 'year')),"
	"  day INTEGER NOT NULL CHECK (day BETWEEN 1 AND 28),"
	"  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'stopped')),"
	"  created_at INTEGER NOT NULL);"
	"ALTER TABLE task ADD COLUMN series INTEGER REFERENCES task_series(id) ON DELETE SET NULL;"
	"CREATE INDEX task_series_of ON task(series, deadline) WHERE series IS NOT NULL;";

/* API tokens made in the console or by `duban token new --store` (configured ones stay in duban.cfg). */
static const char schema_api_token[] =
	"CREATE TABLE api_token ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  sha256 TEXT NOT NULL UNIQUE,"
	"  routes TEXT NOT NULL,"
	"  created_by TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  revoked_at INTEGER);";

/*
 * v9: reports that came early are matched by the dispatcher's own
 * statements (store_lease.c, match_waiting), once per recorded request and
 * in the same transaction as its 'sent', instead of by a trigger whose
 * WHEN ran a sub-program for every row made 'sent': a tenth of a batched
 * notice's time, with no report waiting at all.
 */
static const char schema_match[] = "DROP TRIGGER message_dlr_pending;";

/*
 * v10: a message's text and values (body, params) live in message_text,
 * shared by every row queued with them (a notice with one set of values:
 * one text for all its recipients), and the outbox row names its text by
 * text_id.  A row is rewritten two or three times on its way out (lease,
 * result, report) and its text never changes: without it each rewrite
 * copies a third of the bytes (bench/cn.sh: 30 % less database time).
 * message_notice is on the notice alone: on (notice, status) every change
 * of a notice row's status moved its index entry, twice per recipient on
 * the way out, and what reads it (a notice's counts, cancel, resend) reads
 * the rows anyway.  No foreign key on text_id: removing a text that a
 * dedupe key made useless would then scan the outbox; the store writes
 * both in one transaction, and the lease fails a row whose text is gone.
 */
static const char schema_text[] =
	"CREATE TABLE message_text ("
	"  id INTEGER PRIMARY KEY,"
	"  body TEXT NOT NULL,"
	"  params TEXT);"
	"ALTER TABLE message ADD COLUMN text_id INTEGER;"
	"INSERT INTO message_text (id, body, params) SELECT id, body, params FROM message;"
	"UPDATE message SET text_id = id;"
	"ALTER TABLE message DROP COLUMN body;"
	"ALTER TABLE message DROP COLUMN params;"
	"DROP INDEX message_notice;"
	"CREATE INDEX message_notice ON message(notice) WHERE notice IS NOT NULL;";

const char *const store_migrations[] = {
	schema_v1,
	schema_v2,
	schema_v3,
	schema_params,
	schema_send,
	schema_staff,
	schema_reminders,
	schema_api_token,
	schema_match,
	schema_text,
};
const int store_schema_version = (int)(sizeof(store_migrations) / sizeof(store_migrations[0]));
