#!/bin/sh
# t_attack_dlr.sh - delivery reports planted for messages duban has not
# sent decide nothing.  Message ids are predictable (duban-1, duban-2 ...),
# and so are many providers' (the simulator's sim-1, sim-2 ...); a report
# for such an id used to be kept for ever and applied, by the database's
# trigger, to the message that got the id later - anyone who could post
# one report failed (or "delivered") messages not yet written.  Now a
# report naming duban's id of a message duban sent no request for is
# ignored, and one naming a provider id applies only to a send whose
# request went out before the report came; waiting reports are capped
# (dlr.max_unmatched, the oldest dropped and logged).  The legitimate
# race - a report overtaking the dispatcher's commit - is t_callbacks'.
. "$TOP/tests/integration/lib.sh"
setup

d() { "$DUBAN" "$@"; }
count() { sql "select count(*) from message where $1"; }
is() { [ "$(eval "$1")" = "$2" ]; }
S1=sim-callback-secret-0123456789
# report REF STATUS: post a delivery report as the provider would; answer in $T/resp.
report() {
	CODE=$(curl -s -o "$T/resp" -w '%{http_code}' -H 'Content-Type: application/json' \
		-d "{\"msgid\":\"$1\",\"status\":\"$2\",\"err\":\"001\"}" "$API/callbacks/dlr/sim/$S1")
}

sed -i 's/^log = .*/log = { level = "info"; };/; s/^quiet_hours = .*/quiet_hours = { enabled = false; from = "21:00"; to = "08:00"; };/' \
	"$DUBAN_CONFIG"
start_sim || exit 1
cp "$DUBAN_CONFIG" "$T/base.cfg"
cat >>"$DUBAN_CONFIG" <<CFG
providers = ( { name = "sim"; type = "http"; url = "$SIM_URL/sms/send"; callback_secret = "$S1"; } );
dispatcher = { poll_ms = 100; };
http = { listen = "127.0.0.1:0"; };
CFG
d init >/dev/null
start_duban || exit 1

# ---- the attack: reports for the next ids, before anything is queued -----------------------
planted=0 ignored=0
for i in 1 2 3 4 5; do
	report "duban-$i" UNDELIV
	[ "$CODE" = 200 ] && planted=$((planted + 1))
	[ "$(jq -r .ignored "$T/resp")" = true ] && ignored=$((ignored + 1))
	report "sim-$i" DELIVRD
	[ "$CODE" = 200 ] && planted=$((planted + 1))
done
expect_eq "10 planted reports, each answered 200 (a provider must not retry them)" "$planted" 10
expect_eq "the 5 for duban's ids of messages not queued are ignored" "$ignored" 5
expect_eq "  and not even stored" "$(sql "select count(*) from dlr where provider_ref like 'duban-%'")" 0
expect_grep "  and logged" 'dlr sim duban-1 failed: duban sent no request for this message: ignored' \
	"$T/daemon.log"

# Times are whole seconds: a report "came before the request" when it came
# in an earlier second.  A plant is made ahead of time; let the clock
# pass the second it was made in.
PLANTED_AT=$(date +%s)
wait_for 3 test "$(date +%s)" -gt "$PLANTED_AT"
printf '+8615900000%03d\t第%d号通知：请按时参加防汛演练\n' 1 1 2 2 3 3 4 4 5 5 >"$T/run.tsv"
check "then 5 messages are queued" d send --from-file "$T/run.tsv"
expect_eq "  and get the planted ids" "$(sql "select group_concat(id) from message")" "1,2,3,4,5"
wait_for 20 is "count \"sent_at is not null\"" 5 && ok "all 5 are sent" || notok "all 5 are sent"
expect_eq "they got the simulator's planted ids too" \
	"$(sql "select group_concat(provider_ref) from (select provider_ref from message order by provider_ref)")" \
	"sim-1,sim-2,sim-3,sim-4,sim-5"
expect_eq "and every one is sent: no planted report decided one" \
	"$(sql "select group_concat(status) from message")" "sent,sent,sent,sent,sent"
expect_eq "the planted provider-id reports are linked to nothing" \
	"$(sql "select count(*) from dlr where message is not null")" 0

# ---- the real reports still apply, by either id ----------------------------------------------
report sim-1 DELIVRD
expect_eq "a report after the send, the provider's id: applied" \
	"$(jq -r '[.applied, .duplicate] | join(" ")' "$T/resp")" "true false"
OTHER=$(sql "select min(id) from message where provider_ref <> 'sim-1'")
report "duban-$OTHER" UNDELIV
expect_eq "a report after the send, duban's id: applied" "$(jq -r .applied "$T/resp")" true
expect_eq "so sim-1's message is delivered, message $OTHER failed, the rest still sent" \
	"$(count "provider_ref = 'sim-1' and status = 'delivered'") $(count "id = $OTHER and status = 'failed'") $(count "status = 'sent'")" \
	"1 1 3"

# ---- waiting reports are capped ----------------------------------------------------------------
cp "$DUBAN_CONFIG" "$T/run.cfg"
echo 'dlr = { keep_unmatched = "1h"; max_unmatched = 3; };' >>"$DUBAN_CONFIG"
check "dlr.max_unmatched and keep_unmatched are valid" d config check
kill -HUP "$DPID"
wait_for 10 grep -q 'configuration reloaded' "$T/daemon.log" && ok "reloaded" || notok "reloaded"
for i in 1 2 3 4 5 6; do report "sim-future-$i" DELIVRD; done
expect_eq "a flood of reports for ids nobody has: only the newest 3 wait" \
	"$(sql "select group_concat(provider_ref) from (select provider_ref from dlr where message is null order by id)")" \
	"sim-future-4,sim-future-5,sim-future-6"
expect_grep "the dropped ones are logged" 'waiting report.* dropped, oldest first: more than dlr.max_unmatched (3)' \
	"$T/daemon.log"
echo 'dlr = { keep_unmatched = "10s"; };' >>"$T/run.cfg"
expect_exit "keep_unmatched under a minute is refused" 1 d -c "$T/run.cfg" config check
expect_grep "  with its line" "run.cfg:[0-9]*: 'keep_unmatched' must be between 1m and 30d" "$T/last.err"

kill -TERM "$DPID"
wait "$DPID"
expect_eq "duban run stops cleanly" "$?" 0
exit 0
