#!/bin/sh
# t_lease_commit.sh - a dispatcher never takes back rows it holds itself.
# Another process holds the write lock far longer than dispatcher.lease
# while results wait in memory to be committed (accepted ones and refused
# ones alike) and rows wait in the heap behind a slow provider.  When the
# lock is released the dispatcher's reclaim comes due; it must keep those
# rows, so every message reaches the provider once and ends with exactly
# one attempt: one accepted, or one permanent failure.
. "$TOP/tests/integration/lib.sh"
setup
sed -i 's/^quiet_hours = .*/quiet_hours = { enabled = false; from = "21:00"; to = "08:00"; };/;
        s/^log = .*/log = { level = "info"; };/' "$DUBAN_CONFIG"

count() { sql "select count(*) from message where $1"; }
stat_of() { curl -s "$SIM_URL/_sim/stats" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
ge() { [ "$(eval "$1")" -ge "$2" ]; }
alive() { kill -0 "$1" 2>/dev/null; }
# Is the write lock taken?  A BEGIN IMMEDIATE that does not wait fails.
locked() { ! sqlite3 -batch -cmd ".timeout 0" "$T/duban.db" "BEGIN IMMEDIATE; ROLLBACK;" 2>/dev/null; }

# Numbers ending in 7 are refused (HTTP 400): permanent failures whose
# results wait for the commit like the accepted ones.
start_sim --delay-ms 100 --reject '7$' || exit 1
cat >>"$DUBAN_CONFIG" <<CFG
providers = (
  { name = "sim"; type = "http"; url = "$SIM_URL/sms/send"; concurrency = 2; timeout_ms = 1000;
    retries = { max = 5; base_ms = 10; max_ms = 100; }; }
);
dispatcher = { batch = 20; lease = "2s"; poll_ms = 100; };
CFG
check "duban init" "$DUBAN" init
awk 'BEGIN { for (i = 1; i <= 120; i++) printf "+86135%08d\tlease test %d\n", i, i }' >"$T/l.tsv"
check "queue 120" "$DUBAN" send --from-file "$T/l.tsv"
refused=$(count "phone like '%7'")

"$DUBAN" dispatch --until-empty >"$T/dispatch.out" 2>"$T/dispatch.log" &
DPID=$!
PIDS="$PIDS $DPID"
wait_for 20 ge "count \"status = 'sent'\"" 20 || notok "the dispatcher is sending"

# ---- hold the write lock past the lease ---------------------------------------------
mkfifo "$T/hold.fifo"
sqlite3 -batch "$T/duban.db" <"$T/hold.fifo" >"$T/hold.out" 2>&1 &
HPID=$!
PIDS="$PIDS $HPID"
exec 3>"$T/hold.fifo"
printf '.timeout 10000\nBEGIN IMMEDIATE;\n' >&3
wait_for 15 locked && ok "another process holds the write lock" || notok "the lock was taken"
# The dispatcher gives up on this commit only after its busy timeout,
# several leases long: its results and its heap waited all that time.
wait_for 30 grep -q "send results: .*locked" "$T/dispatch.log" &&
	ok "the dispatcher's commit waited longer than its lease" ||
	notok "the dispatcher never found the lock ($(sed -n 1,5p "$T/dispatch.log"))"
printf 'COMMIT;\n.quit\n' >&3
exec 3>&-
wait_for 15 eval '! alive $HPID' || notok "the lock holder ended"

wait_for 60 eval '! alive $DPID' && ok "dispatch --until-empty finished" ||
	notok "dispatch --until-empty still running"
wait "$DPID"
expect_eq "it exits 0" "$?" 0
expect_eq "every row ended sent or failed" \
	"$(count "status = 'sent'")|$(count "status = 'failed'")" "$((120 - refused))|$refused"
expect_eq "no message reached the provider twice" \
	"$(sed -n 's/.*"id":"\([^"]*\)".*/\1/p' "$T/sim.jsonl" | sort | uniq -d | wc -l)" 0
expect_eq "the simulator counted no duplicate" "$(stat_of duplicates)" 0
expect_eq "each message has exactly one attempt" \
	"$(sql "select count(*) from attempt")|$(sql "select count(distinct message) from attempt")" \
	"120|120"
expect_eq "each sent message has exactly one accepted attempt" \
	"$(sql "select count(*) from message m where status = 'sent' and
	        (select count(*) from attempt a where a.message = m.id and a.result = 'accepted') = 1")" \
	"$((120 - refused))"
expect_eq "each refused message failed once, permanently" \
	"$(sql "select count(*) from message m where status = 'failed' and
	        (select count(*) from attempt a where a.message = m.id and a.result = 'permanent') = 1")" \
	"$refused"
if grep -q "took back" "$T/dispatch.log"; then
	notok "the dispatcher took back rows of its own: $(grep "took back" "$T/dispatch.log" | head -2)"
else
	ok "the dispatcher took back nothing"
fi
exit 0
