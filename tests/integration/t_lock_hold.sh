#!/bin/sh
# t_lock_hold.sh - another process holding the database's write lock (a
# sqlite3 shell, a backup, a CLI command) for longer than the provider's
# timeout never stalls `duban run`'s loop: replies already on their way
# are read as they come, so no request is counted as a timeout, nothing is
# sent twice and the provider's breaker stays closed.  Reminders come due
# during the hold, so the scheduler wants to write all along; it waits on
# a thread of its own and queues them once the lock is free.
. "$TOP/tests/integration/lib.sh"
setup
mkdir "$T/rules"
# One step, exactly a day before the deadline: the test moves a deadline
# to put that step a few seconds ahead, inside the hold.
cat >"$T/rules/default.cfg" <<'RULES'
default = {
  workdays_only = false;
  before = ( { offset = "1d"; to = [ "lead", "owner" ]; template = "reminder"; } );
};
RULES
sed -i "s|^rules_dir = .*|rules_dir = \"$T/rules\";|;
        s/^quiet_hours = .*/quiet_hours = { enabled = false; from = \"21:00\"; to = \"08:00\"; };/;
        s/^log = .*/log = { level = \"info\"; };/" "$DUBAN_CONFIG"

count() { sql "select count(*) from message where $1"; }
stat_of() { curl -s "$SIM_URL/_sim/stats" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
is() { [ "$(eval "$1")" = "$2" ]; }
ge() { [ "$(eval "$1")" -ge "$2" ]; }
alive() { kill -0 "$1" 2>/dev/null; }
# Is the write lock taken?  A BEGIN IMMEDIATE that does not wait fails.
locked() { ! sqlite3 -batch -cmd ".timeout 0" "$T/duban.db" "BEGIN IMMEDIATE; ROLLBACK;" 2>/dev/null; }

start_sim --delay-ms 20 || exit 1
cat >>"$DUBAN_CONFIG" <<CFG
providers = (
  { name = "sim"; type = "http"; url = "$SIM_URL/sms/send"; concurrency = 8; timeout_ms = 1000;
    retries = { max = 5; base_ms = 10; max_ms = 100; }; }
);
dispatcher = { batch = 3000; poll_ms = 100; };
CFG
# batch: the whole outbox is leased at once, so that there is sending to
# do all through the hold (leasing waits for the lock).
check "duban init" "$DUBAN" init
check "config check" "$DUBAN" config check
for i in 1 2 3 4 5 6; do
	"$DUBAN" person add --name "干部$i" --phone "1390000000$i" >/dev/null || notok "person $i"
done
check "task one" "$DUBAN" task add --title 梅岙塘农田改造 --deadline 2030-12-31 --lead 干部1 \
	--owner 干部2 --owner 干部3
check "task two" "$DUBAN" task add --title 庙峙村道路 --deadline 2030-12-31 --lead 干部4 \
	--owner 干部5 --owner 干部6
now=$(date +%s)
sql "INSERT INTO message_text (body) VALUES ('通知：春耕补贴申报截止3月底');
     WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
     INSERT INTO message (phone, text_id, encoding, parts, kind, priority, created_at, not_before)
     SELECT printf('+86158%08d', i), (SELECT max(id) FROM message_text), 'UCS-2', 1, 'notice', 30,
       $now, $now FROM n"

start_duban || exit 1
wait_for 30 ge "count \"status = 'sent'\"" 300 || notok "the daemon is sending"
# Both tasks' step comes due four seconds from now; the daemon plans it.
sql "UPDATE task SET deadline = CAST(strftime('%s', 'now') AS INTEGER) + 86400 + 4,
                     next_fire = CAST(strftime('%s', 'now') AS INTEGER)"
wait_for 10 is "sql \"select count(*) from task where next_fire > strftime('%s', 'now')\"" 2 ||
	notok "the scheduler planned the moved deadlines"

# ---- hold the write lock -----------------------------------------------------------------
mkfifo "$T/hold.fifo"
sqlite3 -batch "$T/duban.db" <"$T/hold.fifo" >"$T/hold.out" 2>&1 &
HPID=$!
PIDS="$PIDS $HPID"
exec 3>"$T/hold.fifo"
printf '.timeout 10000\nBEGIN IMMEDIATE;\n' >&3
wait_for 15 locked && ok "another process holds the write lock" || notok "the lock was taken"
held_at=$(count "status = 'sent'")
r0=$(stat_of requests)
expect_eq "the reminders were not due yet when the hold began" "$(count "kind = 'reminder'")" 0
# Released only once the scheduler has given up waiting for it (its busy
# timeout, many times the provider's timeout_ms).
wait_for 30 grep -q "scheduler: .*locked" "$T/daemon.log" &&
	ok "the scheduler wanted to write during the hold" ||
	notok "the scheduler never met the lock"
r1=$(stat_of requests)
printf 'COMMIT;\n.quit\n' >&3
exec 3>&-
wait_for 15 eval '! alive $HPID' || notok "the lock holder ended"

total=$((3000 + 6))
wait_for 60 is "count \"status = 'sent'\"" "$total" && ok "every row ends sent, reminders too" ||
	notok "$(count "status = 'sent'") of $total sent ($(count "status <> 'sent'") not)"
expect_eq "the reminders due during the hold were queued" "$(count "kind = 'reminder'")" 6
[ "$held_at" -lt 2000 ] && ok "the hold began mid-run ($held_at sent)" ||
	notok "$held_at of 3000 were sent before the hold"
[ $((r1 - r0)) -ge 1000 ] && ok "sending went on while the lock was held ($((r1 - r0)) requests)" ||
	notok "only $((r1 - r0)) requests while the lock was held"
expect_eq "no duplicates at the provider" "$(stat_of duplicates)" 0
expect_eq "every message reached it under its own id" "$(stat_of unique_ids)" "$total"
expect_eq "no attempt recorded as a timeout" \
	"$(sql "select count(*) from attempt where error like '%timed out%' or error like '%timeout%'")" 0
expect_eq "one attempt per message, all accepted" \
	"$(sql "select count(*), count(distinct message), count(*) filter (where result = 'accepted') from attempt")" \
	"$total|$total|$total"
if grep -q "failures in a row" "$T/daemon.log"; then
	notok "the breaker opened: $(grep "failures in a row" "$T/daemon.log" | head -1)"
else
	ok "the provider's breaker stayed closed"
fi
kill -TERM "$DPID"
wait "$DPID"
expect_eq "the daemon stops cleanly" "$?" 0
exit 0
