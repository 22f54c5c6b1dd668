#!/bin/sh
# t_failover.sh - two providers in order: while the first is down its
# circuit breaker opens and every message goes through the second; when it
# is back it gets the traffic again after its rest.  Transport errors
# (connections closed unanswered) are transient: nothing is lost.
. "$TOP/tests/integration/lib.sh"
setup
# The daemon writes while we look: wait for its locks instead of failing.
sed -i 's/^quiet_hours = .*/quiet_hours = { enabled = false; from = "21:00"; to = "08:00"; };/;
        s/^log = .*/log = { level = "info"; };/' "$DUBAN_CONFIG"

is() { [ "$(eval "$1")" = "$2" ]; }
ge() { [ "$(eval "$1")" -ge "$2" ]; }
count() { sql "select count(*) from message where $1"; }

# Two simulators: A (start_sim) and B (by hand, its own files).
start_sim || exit 1
A_URL=$SIM_URL
"$SIM" --listen 127.0.0.1:0 --port-file "$T/simb.port" --record "$T/simb.jsonl" --quiet 2>>"$T/simb.log" &
PIDS="$PIDS $!"
wait_for 10 test -s "$T/simb.port" || notok "second simulator started"
B_URL="http://127.0.0.1:$(cat "$T/simb.port")"

cat >>"$DUBAN_CONFIG" <<CFG
providers = (
  { name = "a"; type = "http"; url = "$A_URL/sms/send"; concurrency = 4; timeout_ms = 2000;
    retries = { max = 10; base_ms = 10; max_ms = 100; };
    breaker = { failures = 3; rest = "2s"; }; },
  { name = "b"; type = "http"; url = "$B_URL/sms/send"; concurrency = 4; timeout_ms = 2000;
    retries = { max = 10; base_ms = 10; max_ms = 100; }; }
);
dispatcher = { batch = 20; poll_ms = 100; };
CFG
check "duban init" "$DUBAN" init

curl -s -X POST "$A_URL/_sim/down" >/dev/null
awk 'BEGIN { for (i = 1; i <= 40; i++) printf "+86135%08d\tfailover %d\n", i, i }' >"$T/f.tsv"
check "queue 40" "$DUBAN" send --from-file "$T/f.tsv"
"$DUBAN" run 2>>"$T/daemon.log" &
DPID=$!
PIDS="$PIDS $DPID"
wait_for 20 is "count \"status = 'sent'\"" 40 && ok "all 40 sent while provider a is down" ||
	notok "all 40 sent while a is down ($(count "status = 'sent'") sent)"
expect_eq "through b" "$(count "provider = 'b' and status = 'sent'")" 40
expect_grep "a's breaker opened" "provider a: 3 failures in a row; resting 2 s" "$T/daemon.log"
fails=$(sql "select count(*) from attempt where provider = 'a' and result = 'transient'")
[ "$fails" -ge 3 ] && [ "$fails" -le 12 ] && ok "a was tried only until its breaker opened ($fails)" ||
	notok "a was tried $fails times"
expect_eq "those attempts say why" \
	"$(sql "select count(*) from attempt where provider = 'a' and http_status is null and error != ''")" "$fails"

# Provider a is back: after its rest a trial message goes to it, then traffic.
curl -s -X POST "$A_URL/_sim/up" >/dev/null
send_and_see_a() {
	"$DUBAN" send 13500000000 "back?" >/dev/null 2>&1
	[ "$(count "provider = 'a' and status = 'sent'")" -ge 3 ]
}
wait_for 20 send_and_see_a && ok "provider a takes traffic again" || notok "provider a comes back"
expect_grep "the log says so" "provider a is answering again" "$T/daemon.log"
wait_for 10 is "count \"status != 'sent'\"" 0 && ok "nothing lost" || notok "nothing lost"
dups=$(curl -s "$B_URL/_sim/stats" | sed -n 's/.*"duplicates":\([0-9]*\).*/\1/p')
expect_eq "b accepted nothing twice" "$dups" 0
kill -TERM "$DPID"
wait "$DPID"
expect_eq "the daemon stops cleanly" "$?" 0
exit 0
