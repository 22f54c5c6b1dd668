#!/bin/sh
# t_backup.sh - backups and the instance lock, against a daemon that is
# sending.  `duban backup` while `duban run` dispatches 6,000 messages at
# 1,000 a second: the copy passes integrity_check, is 0600, holds every
# row committed before it began (all 6,000 messages, at least the sent
# ones counted before) and is one consistent state (every sent message
# has its accepted attempt).  A second `duban run` on the same database
# refuses, exit 1, naming the host and PID that hold it; `duban init` and
# `duban restore` refuse while it runs.  After kill -9 the next `duban
# run` takes the lock over and says so.  Stopped, `restore` puts the copy
# back and keeps the database as it was beside it.  Under systemd
# (JOURNAL_STREAM naming its standard error) the log carries <N>
# priorities instead of timestamps; elsewhere local time with its offset.
. "$(dirname "$0")/lib.sh"
setup
start_sim || exit 1
cat >>"$DUBAN_CONFIG" <<CFG
providers = ( { name = "sim"; type = "http"; url = "$SIM_URL/sms/send"; rate = 1000.0; burst = 10.0; } );
log = { level = "info"; };
quiet_hours = { enabled = false; };
CFG
sed -i '/^log = { level = "warn"; };$/d; /^quiet_hours = { from/d' "$DUBAN_CONFIG"
count() { sql "SELECT count(*) FROM message WHERE $1"; }
sent_at_least() { [ "$(count "status = 'sent'")" -ge "$1" ]; }
check "duban init" "$DUBAN" init
N=6000
awk -v n=$N 'BEGIN { for (i = 1; i <= n; i++) printf "+86139%08d\t第%d号通知：明天上午九点开会\n", i, i }' >"$T/list.tsv"
check "queue $N messages" "$DUBAN" send --from-file "$T/list.tsv"

# ---- the daemon, as systemd would start it: stderr is the journal's stream ----------
: >"$T/daemon.log"
JOURNAL_STREAM=$(stat -c '%d:%i' "$T/daemon.log") "$DUBAN" run 2>>"$T/daemon.log" &
DPID=$!
PIDS="$PIDS $DPID"
wait_for 10 grep -q 'running:' "$T/daemon.log" || notok "duban run started"
expect_grep "under the journal: a priority, no timestamp" '^<6>duban info: running: database' "$T/daemon.log"
expect_grep "the lock names the host and the PID" "duban run on host $(hostname), pid $DPID, since" "$T/duban.db.lock"

# ---- a second daemon, init and restore refuse -----------------------------------------
expect_exit "a second duban run on the same database: exit 1" 1 "$DUBAN" run
expect_grep "  naming the holder" "in use by another daemon (duban run on host $(hostname), pid $DPID" "$T/last.err"
expect_exit "duban init refuses while the daemon runs" 1 "$DUBAN" init
expect_grep "  saying why" "not migrating: .* in use by another daemon" "$T/last.err"

# ---- backup while it dispatches --------------------------------------------------------
wait_for 30 sent_at_least 500 || notok "the daemon sends"
before=$(count "status = 'sent'")
check "duban backup while the daemon dispatches" "$DUBAN" backup "$T/copy.db"
expect_grep "  says what it copied" "copy.db: backup of $T/duban.db (schema [0-9]*, [0-9]* bytes, integrity ok)" "$T/last.out"
after=$(count "status = 'sent'")
expect_eq "the copy is 0600" "$(stat -c %a "$T/copy.db")" 600
expect_eq "the copy passes integrity_check" "$(sqlite3 "$T/copy.db" 'PRAGMA integrity_check')" ok
csent=$(sqlite3 "$T/copy.db" "SELECT count(*) FROM message WHERE status = 'sent'")
expect_eq "the copy holds every message queued before it" \
	"$(sqlite3 "$T/copy.db" 'SELECT count(*) FROM message')" "$N"
[ "$csent" -ge "$before" ] && [ "$csent" -le "$after" ] &&
	ok "the copy holds the $before sent before it began, and no more than the $after after ($csent)" ||
	notok "sent in the copy: $csent, before $before, after $after"
[ "$csent" -lt "$N" ] && ok "it was taken mid-dispatch ($csent of $N sent)" ||
	notok "the daemon had finished before the backup ($csent of $N)"
expect_eq "the copy is one consistent state: every sent message has its accepted attempt" \
	"$(sqlite3 "$T/copy.db" "SELECT count(*) FROM message m WHERE m.status = 'sent' AND NOT EXISTS
		(SELECT 1 FROM attempt a WHERE a.message = m.id AND a.result = 'accepted')")" 0
expect_exit "duban restore refuses while the daemon runs" 1 "$DUBAN" restore "$T/copy.db"
expect_grep "  naming it" "not restoring: .* in use by another daemon (duban run on host $(hostname), pid $DPID" "$T/last.err"
expect_eq "  and the database is untouched" "$(count 1)" "$N"

# ---- kill -9: the lock is taken over ----------------------------------------------------
kill -KILL "$DPID"
wait "$DPID" 2>/dev/null
start_duban || exit 1
expect_grep "after kill -9 the next duban run takes the lock over" \
	"taken over from a daemon that did not stop cleanly (duban run on host $(hostname), pid [0-9]*" "$T/daemon.log"
expect_grep "  and names itself in it" "pid $DPID," "$T/duban.db.lock"
expect_grep "log lines are local time with the offset" \
	'^[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]+08:00 duban info: running' "$T/daemon.log"
wait_for 60 sent_at_least "$N" && ok "all $N sent" || notok "all sent"
kill -TERM "$DPID"
wait "$DPID"
expect_eq "it stops cleanly" "$?" 0
expect_eq "  and empties the lock" "$(wc -c <"$T/duban.db.lock")" 0

# ---- restore, stopped -------------------------------------------------------------------
check "duban restore, the daemon stopped" "$DUBAN" restore "$T/copy.db"
expect_eq "the database is the copy again" "$(count "status = 'sent'")" "$csent"
saved=$(sed -n 's/.* as it was is saved as \(.*\)$/\1/p' "$T/last.out")
[ -n "$saved" ] && [ -f "$saved" ] && ok "the database as it was is kept beside it" ||
	notok "no saved copy ($saved)"
expect_eq "  with everything sent" "$(sqlite3 "$saved" "SELECT count(*) FROM message WHERE status = 'sent'")" "$N"
expect_eq "  0600" "$(stat -c %a "$saved")" 600
printf 'not a database' >"$T/junk.db"
expect_exit "a file that is not a database is refused" 2 "$DUBAN" restore "$T/junk.db"
expect_eq "  and the database is untouched" "$(count "status = 'sent'")" "$csent"
start_duban || exit 1
wait_for 60 sent_at_least "$N" && ok "the restored database sends the rest" ||
	notok "the restored database sends the rest"
exit 0
