#!/bin/sh
# t_crash.sh - the daemon killed with SIGKILL in the middle of a run loses
# nothing: restarted, it takes back the leases the dead one left and sends
# every message, each with the same {{id}}, so that the only duplicates are
# messages that were in flight (the simulator counts them by id).  A second
# SIGTERM stops at once, and a restart finishes the job as well.
. "$TOP/tests/integration/lib.sh"
setup
# The daemon writes while we look: wait for its locks instead of failing.
sed -i 's/^quiet_hours = .*/quiet_hours = { enabled = false; from = "21:00"; to = "08:00"; };/;
        s/^log = .*/log = { level = "info"; };/' "$DUBAN_CONFIG"

is() { [ "$(eval "$1")" = "$2" ]; }
ge() { [ "$(eval "$1")" -ge "$2" ]; }
count() { sql "select count(*) from message where $1"; }
stat_of() { curl -s "$SIM_URL/_sim/stats" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
start_daemon() {
	"$DUBAN" run 2>>"$T/daemon.log" &
	DPID=$!
	PIDS="$PIDS $DPID"
}

start_sim --delay-ms 100 || exit 1
cat >>"$DUBAN_CONFIG" <<CFG
providers = (
  { name = "sim"; type = "http"; url = "$SIM_URL/sms/send"; concurrency = 8; timeout_ms = 1000;
    retries = { max = 10; base_ms = 10; max_ms = 100; }; }
);
dispatcher = { batch = 40; lease = "3s"; poll_ms = 100; };
CFG
check "duban init" "$DUBAN" init
awk 'BEGIN { for (i = 1; i <= 300; i++) printf "+86134%08d\tcrash test %d 第%d条\n", i, i, i }' >"$T/c.tsv"
check "queue 300" "$DUBAN" send --from-file "$T/c.tsv"

# ---- SIGKILL mid-run -------------------------------------------------------------
start_daemon
wait_for 20 ge "count \"status = 'sent'\"" 60 || notok "the daemon is sending"
kill -KILL "$DPID"
wait "$DPID" 2>/dev/null
sent=$(count "status = 'sent'")
left=$(count "status = 'sending'")
[ "$left" -gt 0 ] && ok "killed mid-run: $sent sent, $left left sending" ||
	notok "nothing was left sending ($sent sent)"
start_daemon
wait_for 30 is "count \"status = 'sent'\"" 300 && ok "restarted, it sends all 300" ||
	notok "restarted: $(count "status = 'sent'") of 300 sent"
expect_grep "it took back the dead daemon's leases" "took back [0-9]* messages whose lease ran out" "$T/daemon.log"
expect_eq "every message reached the provider under its own id" "$(stat_of unique_ids)" 300
dups=$(stat_of duplicates)
# At most what was in flight or accepted but not yet committed when it died.
[ "$dups" -le "$left" ] && ok "duplicates ($dups) only among the $left in flight" ||
	notok "$dups duplicates, more than the $left in flight"
expect_eq "one accepted attempt recorded per message" \
	"$(sql "select count(distinct message) from attempt where result = 'accepted'")" 300

# ---- a second SIGTERM stops at once --------------------------------------------------
kill -TERM "$DPID"
wait "$DPID"
expect_eq "the restarted daemon stops cleanly" "$?" 0
sed -i 's/timeout_ms = 1000;/timeout_ms = 3000;/; s/lease = "3s"/lease = "4s"/' "$DUBAN_CONFIG"
curl -s -X POST "$SIM_URL/_sim/config" -d 'delay_ms=2500' >/dev/null
: >"$T/daemon.log"
start_daemon
awk 'BEGIN { for (i = 1; i <= 20; i++) printf "+86133%08d\ttwice %d\n", i, i }' >"$T/t.tsv"
check "queue 20 behind a very slow provider" "$DUBAN" send --from-file "$T/t.tsv"
r0=$(stat_of requests)
wait_for 10 ge 'echo $(( $(stat_of requests) - r0 ))' 1 || notok "requests in flight"
t0=$(date +%s)
kill -TERM "$DPID"
wait_for 5 grep -q 'stopping: no more leasing' "$T/daemon.log" || notok "first SIGTERM seen"
kill -TERM "$DPID"
wait "$DPID"
rc=$?
[ "$rc" -ne 0 ] && [ $(( $(date +%s) - t0 )) -le 2 ] && ok "a second signal stops at once (exit $rc)" ||
	notok "second signal: exit $rc after $(( $(date +%s) - t0 )) s"
curl -s -X POST "$SIM_URL/_sim/config" -d 'delay_ms=0' >/dev/null
start_daemon
wait_for 30 is "count \"status = 'sent'\"" 320 && ok "restarted, the rest is sent" ||
	notok "restarted: $(count "status = 'sent'") of 320 sent"
kill -TERM "$DPID"
wait "$DPID"
expect_eq "and it stops cleanly" "$?" 0

# ---- a slow provider never lets held rows' leases run out ---------------------------------
# Rows wait in memory longer than the lease (20 at 4/s, lease 2 s): the
# dispatcher renews what it holds, so its own reclaim never hands them out
# again and nothing is sent twice.
sed -i 's/timeout_ms = 3000;/timeout_ms = 1000;/; s/lease = "4s"/lease = "2s"/; s/batch = 40;/batch = 20;/;
        s/concurrency = 8;/concurrency = 2;/' "$DUBAN_CONFIG"
curl -s -X POST "$SIM_URL/_sim/config" -d 'delay_ms=500' >/dev/null
u0=$(stat_of unique_ids)
d0=$(stat_of duplicates)
awk 'BEGIN { for (i = 1; i <= 20; i++) printf "+86132%08d\tslow %d\n", i, i }' >"$T/s.tsv"
check "queue 20 for a slow provider" "$DUBAN" send --from-file "$T/s.tsv"
check "dispatch them (5 s)" "$DUBAN" dispatch --until-empty
expect_eq "all 20 sent" "$(count "phone like '+86132%' and status = 'sent'")" 20
expect_eq "each reached the provider once" \
	"$(( $(stat_of unique_ids) - u0 ))|$(stat_of duplicates)" "20|$d0"
exit 0
