#!/bin/sh
# t_callbacks.sh - what providers tell duban, end to end over real HTTP:
# the simulator's delivery reports for every message of a run (most of
# them arriving before the dispatcher has recorded the send, some sent
# again by hand) leave every row delivered or failed as reported; Kannel's
# dlr-url works the same; callbacks need the provider's secret (in the
# path, or an HMAC signature of the request: the simulator signs every
# report and reply it pushes, the test signs with the openssl command);
# a callback's fields come from its query (GET) or its body (POST), never
# both; and replies injected through the simulator
# act: 完成 T1 from the lead closes the task (not from a member), 收到 / １
# acknowledge the latest reminder, ＴＤ / 退订 opt out with one confirmation,
# anything else waits in `duban inbox` and goes to the clerk's phone.
. "$TOP/tests/integration/lib.sh"
setup

d() { "$DUBAN" "$@"; }
count() { sql "select count(*) from message where $1"; }
is() { [ "$(eval "$1")" = "$2" ]; }
ge() { [ "$(eval "$1")" -ge "$2" ]; }
stat_of() { curl -s "$SIM_URL/_sim/stats" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }

S1=sim-callback-secret-0123456789
S2=kannel-callback-secret-98765
CLERK=13800138000
sed -i 's/^log = .*/log = { level = "info"; };/; s/^quiet_hours = .*/quiet_hours = { enabled = false; from = "21:00"; to = "08:00"; };/' \
	"$DUBAN_CONFIG"
cp "$DUBAN_CONFIG" "$T/base.cfg"
# write_cfg PROVIDERS: the base, the providers given, the dispatcher and the server.
write_cfg() {
	cp "$T/base.cfg" "$DUBAN_CONFIG"
	cat >>"$DUBAN_CONFIG" <<CFG
providers = ( $1 );
# results wait up to a second for their commit: reports overtake them
dispatcher = { batch = 1000; commit_ms = 1000; poll_ms = 100; };
http = { listen = "127.0.0.1:${HTTP_PORT:-0}"; forward_to = "$CLERK"; };
CFG
}
SIM_P() { echo "{ name = \"sim\"; type = \"http\"; url = \"${SIM_URL:-http://127.0.0.1:9}/sms/send\";
  callback_secret = \"$S1\"; concurrency = 16; retries = { max = 3; base_ms = 10; max_ms = 100; }; }"; }
KANNEL_P() { echo "{ name = \"kannel\"; type = \"kannel\"; url = \"$SIM_URL/cgi-bin/sendsms\";
  username = \"u\"; password = \"p\"; dlr_mask = 3; callback_secret = \"$S2\";
  dlr_url = \"$API/callbacks/dlr/kannel/$S2?ref={{id}}&type=%d\"; }"; }

# The server's port is needed by the simulator, the simulator's by the
# provider: start duban first, then the simulator, then reload.
write_cfg "$(SIM_P)"
d init >/dev/null
start_duban || exit 1
# The simulator signs what it pushes (no secret in its URLs).
start_sim --dlr-url "$API/callbacks/dlr/sim" --mo-url "$API/callbacks/mo/sim" --sign-secret "$S1" \
	--dlr-fail-rate 0.2 --dlr-threads 4 || exit 1
write_cfg "$(SIM_P)"
kill -HUP "$DPID"
wait_for 10 grep -q 'configuration reloaded' "$T/daemon.log" && ok "reloaded with the simulator" ||
	notok "reloaded with the simulator"

# ---- delivery reports for a whole run ---------------------------------------------------------
N=300
awk -v n=$N 'BEGIN { for (i = 1; i <= n; i++) printf "+86159%08d\t第%d号通知：请按时参加防汛演练\n", i, i }' >"$T/run.tsv"
check "queue $N messages" d send --from-file "$T/run.tsv"
wait_for 60 is "count \"status in ('delivered', 'failed')\"" $N &&
	ok "every message ended delivered or failed" ||
	notok "every message ended delivered or failed ($(sql "select group_concat(status || '=' || n) from (select status, count(*) n from message group by 1)"))"
expect_eq "the simulator sent a signed report for each, all answered 2xx" \
	"$(stat_of dlr_sent) $(stat_of dlr_errors)" "$N 0"
early=$(grep -c 'no sent message has this reference (yet)' "$T/daemon.log")
[ "$early" -gt 0 ] && ok "$early reports arrived before the send was recorded" ||
	notok "reports arrived before the send was recorded"
expect_eq "every report is linked to its message" "$(sql 'select count(*) from dlr where message is null')" 0
expect_eq "one report per message" "$(sql 'select count(distinct message) from dlr')" $N
expect_eq "delivered as reported" "$(count "status = 'delivered'")" \
	"$(sql "select count(*) from dlr where status = 'delivered'")"
FAILED=$(count "status = 'failed'")
[ "$FAILED" -gt 0 ] && [ "$FAILED" -lt $N ] && ok "$FAILED failed as reported" || notok "failed as reported ($FAILED)"
expect_eq "failed with the report's reason" "$(count "status = 'failed' and last_error = 'delivery report: UNDELIV 001'")" "$FAILED"
expect_eq "a final time for each" "$(count 'final_at is null')" 0

# The same reports again, as a provider retrying would send them.
state() { sql "select group_concat(id || status || final_at || coalesce(last_error, ''), ',') from message"; }
before=$(state)
dups=0
for ref in $(sql "select provider_ref from message order by id limit 20"); do
	st=$(sql "select case status when 'delivered' then 'DELIVRD' else 'UNDELIV' end from message where provider_ref = '$ref'")
	r=$(curl -s -H 'Content-Type: application/json' \
		-d "{\"msgid\":\"$ref\",\"id\":null,\"to\":\"x\",\"status\":\"$st\",\"err\":\"000\",\"time\":1}" \
		"$API/callbacks/dlr/sim/$S1")
	[ "$(printf %s "$r" | jq -r .duplicate)" = true ] && dups=$((dups + 1))
done
expect_eq "20 reports sent twice: each answered as a duplicate" "$dups" 20
expect_eq "and nothing changed" "$(state)" "$before"
ref=$(sql "select provider_ref from message where status = 'failed' limit 1")
curl -s -d "{\"msgid\":\"$ref\",\"status\":\"DELIVRD\"}" "$API/callbacks/dlr/sim/$S1" >"$T/resp"
expect_eq "a contradicting later report is kept, the first final one stands" \
	"$(jq -r .applied "$T/resp") $(count "provider_ref = '$ref' and status = 'failed'")" "false 1"
expect_eq "the report rows: one per state" "$(sql "select count(*) from dlr where provider_ref = '$ref'")" 2

# ---- authentication, unknown ids, formats ------------------------------------------------------------
CODE=$(curl -s -o "$T/resp" -w '%{http_code}' -d '{"msgid":"sim-1","status":"DELIVRD"}' \
	"$API/callbacks/dlr/sim/wrong-secret-wrong-secret")
expect_eq "a wrong secret: 401" "$CODE" 401
CODE=$(curl -s -o "$T/resp" -w '%{http_code}' -d '{"msgid":"sim-1","status":"DELIVRD"}' \
	"$API/callbacks/dlr/sim")
expect_eq "no secret and no signature: 401" "$CODE" 401
CODE=$(curl -s -o "$T/resp" -w '%{http_code}' -H "Authorization: Bearer $S1" \
	-d '{"msgid":"sim-1","status":"DELIVRD"}' "$API/callbacks/dlr/sim")
expect_eq "an API-style token is no way in: 401" "$CODE" 401
CODE=$(curl -s -o "$T/resp" -w '%{http_code}' -d '{}' "$API/callbacks/dlr/nobody/$S1")
expect_eq "an unknown provider: 404" "$CODE" 404
# sign METHOD PATH QUERY BODY: the signature of a request signed at $TS,
# as README tells a provider to make it.
sign() {
	printf '%s\n%s\n%s\n%s\n%s' "$TS" "$1" "$2" "$3" "$4" | openssl dgst -sha256 -hmac "$S1" |
		sed 's/.*= *//'
}
BODY='{"msgid":"sim-never","status":"DELIVRD","err":"000"}'
TS=$(date +%s)
SIG=$(sign POST /callbacks/dlr/sim "" "$BODY")
CODE=$(curl -s -o "$T/resp" -w '%{http_code}' -H "X-Duban-Signature: sha256=$SIG" -H "X-Duban-Timestamp: $TS" \
	-H 'Content-Type: application/json' --data-binary "$BODY" "$API/callbacks/dlr/sim")
expect_eq "a valid HMAC signature instead of the secret: 200" "$CODE" 200
expect_eq "an unknown id is answered 200 with no message" "$(jq -r '.ok, .message' "$T/resp" | tr '\n' ' ')" "true null "
expect_grep "and logged" 'dlr sim sim-never delivered: no sent message' "$T/daemon.log"
CODE=$(curl -s -o "$T/resp" -w '%{http_code}' -H "X-Duban-Signature: sha256=$SIG" -H "X-Duban-Timestamp: $TS" \
	--data-binary '{"msgid":"sim-never","status":"UNDELIV"}' "$API/callbacks/dlr/sim")
expect_eq "a signature of another body: 401" "$CODE" 401
OLD=$(printf %s "$BODY" | openssl dgst -sha256 -hmac "$S1" | sed 's/.*= *//')
CODE=$(curl -s -o "$T/resp" -w '%{http_code}' -H "X-Duban-Signature: sha256=$OLD" \
	-H 'Content-Type: application/json' --data-binary "$BODY" "$API/callbacks/dlr/sim")
expect_eq "a signature of the body alone (no timestamp, method, path, query): 401" "$CODE" 401
CODE=$(curl -s -o "$T/resp" -w '%{http_code}' -d '{"msgid":"sim-never","status":"DELIVRD"}' \
	"$API/callbacks/dlr/sim/$S1?status=UNDELIV")
expect_eq "a POST with fields in its query too: 400" "$CODE" 400
CODE=$(curl -s -o "$T/resp" -w '%{http_code}' -X GET -d '{"msgid":"sim-never","status":"DELIVRD"}' \
	"$API/callbacks/dlr/sim/$S1?msgid=sim-never&status=DELIVRD")
expect_eq "a GET with a body too: 400" "$CODE" 400
CODE=$(curl -s -o "$T/resp" -w '%{http_code}' -d '{"msgid":"sim-1"}' "$API/callbacks/dlr/sim/$S1")
expect_eq "a report without its status: 400" "$CODE" 400
expect_eq "naming the field" "$(jq -r .field "$T/resp")" status
CODE=$(curl -s -o "$T/resp" -w '%{http_code}' "$API/callbacks/dlr/sim/$S1?msgid=sim-never&status=DELIVRD")
expect_eq "a report as query parameters, again: 200 duplicate" "$CODE $(jq -r .duplicate "$T/resp")" "200 true"

# ---- Kannel's dlr-url ----------------------------------------------------------------------------------
write_cfg "$(KANNEL_P), $(SIM_P)"
kill -HUP "$DPID"
wait_for 10 is "grep -c 'configuration reloaded' '$T/daemon.log'" 2 && ok "reloaded with kannel first" ||
	notok "reloaded with kannel first"
awk 'BEGIN { for (i = 1; i <= 40; i++) printf "+86137%08d\t村干部会议改到周五下午%d点\n", i, i % 5 + 1 }' >"$T/k.tsv"
check "queue 40 messages through kannel" d send --from-file "$T/k.tsv"
wait_for 30 is "count \"provider = 'kannel' and status in ('delivered', 'failed')\"" 40 &&
	ok "Kannel's reports (dlr-url with %d) ended every message" ||
	notok "Kannel's reports ended every message ($(count "provider = 'kannel'") sent through kannel)"
expect_eq "matched by duban's own reference" \
	"$(sql "select count(*) from dlr d join message m on m.id = d.message where d.provider = 'kannel' and d.provider_ref = 'duban-' || m.id")" 40
expect_eq "kannel's failures carry its type" \
	"$(count "provider = 'kannel' and status = 'failed' and last_error not like 'delivery report: kannel type 2%'")" 0

# ---- replies -----------------------------------------------------------------------------------------------
d person add --name 郑秀兰 --phone 17768096319 --title 纪委书记 --org 小雄镇 --kind official >/dev/null
d person add --name 陈宝根 --phone 15068766188 --org 梅岙塘村 --kind official >/dev/null
d person add --name 林阿昌 --phone 13957608929 --org 小雄村 --kind farmer >/dev/null
d person add --name 张阿满 --phone 13957601140 --org 庙峙村 --kind farmer >/dev/null
d task add --title 梅岙塘农田改造工程 --deadline 2030-12-31 --lead 郑秀兰 --member 陈宝根 >/dev/null
now=$(date +%s)
# the reminders a dispatcher sent them (the lead's latest is #R2)
for r in "1 17768096319 100" "2 17768096319 50" "3 15068766188 100"; do
	set -- $r
	sql "INSERT INTO message_text (body) VALUES ('提醒');
	     INSERT INTO message (person, phone, text_id, encoding, parts, kind, task, status, created_at,
	       not_before, sent_at, provider, provider_ref, dedupe_key)
	     SELECT p.id, p.phone, (SELECT max(id) FROM message_text), 'UCS-2', 1, 'reminder', 1, 'sent',
	       $now, $now, $now - $3,
	       'sim', 'old-$1', 'test-r$1' FROM person p WHERE p.phone = '+86$2'"
done
R2=$(sql "select id from message where dedupe_key = 'test-r2'")
R3=$(sql "select id from message where dedupe_key = 'test-r3'")

# mo FROM TEXT [ID]: inject a reply through the simulator; duban's status in MO.
mo() {
	MO=$(curl -s -X POST "$SIM_URL/_sim/mo" \
		-d "{\"from\":\"$1\",\"text\":\"$2\"${3:+,\"id\":\"$3\"}}" | jq -r .status)
}
inbound() { sql "select action || ' ' || status from inbound where provider_ref = '$1'"; }
sent_to() { grep "\"to\":\"+86$1\"" "$T/sim.jsonl" | grep -c -- "$2"; }

mo 15068766188 "完成 T1" mo-1
expect_eq "完成 T1 from a member: answered 200" "$MO" 200
expect_eq "the task stays open, the reply waits for staff" "$(sql "select status from task where code = 'T1'") $(inbound mo-1)" \
	"open done-refused new"
wait_for 10 ge "sent_to $CLERK '陈宝根(+8615068766188)回复：完成 T1'" 1 &&
	ok "and it went to the clerk" || notok "and it went to the clerk"

mo 17768096319 "收到" mo-2
expect_eq "收到 from the lead acknowledges her latest reminder" \
	"$(inbound mo-2) $(sql "select group_concat(id) from message where acked_at is not null")" "ack handled $R2"
mo 15068766188 "１" mo-3
expect_eq "１ (full-width) acknowledges too" "$(inbound mo-3) $(count "id = $R3 and acked_at is not null")" "ack handled 1"

mo 17768096319 "完成　Ｔ１" mo-4
expect_eq "完成　Ｔ１ from the lead closes the task" \
	"$(inbound mo-4) $(sql "select t.status || ' ' || p.name from task t join person p on p.id = t.done_by")" \
	"done handled done 郑秀兰"
wait_for 10 ge "sent_to 17768096319 '已收到：T1“梅岙塘农田改造工程”已标记为办结'" 1 &&
	ok "with a confirmation" || notok "with a confirmation"
expect_eq "the audit log says who, by SMS" "$(sql "select actor from event where action = 'task.done'")" "sms:郑秀兰"
mo 17768096319 "办结 T1" mo-5
expect_eq "办结 T1 again: closed once, and told so" \
	"$(inbound mo-5) $(sql "select count(*) from event where action = 'task.done'") $(sql "select x.body FROM message m JOIN message_text x ON x.id = m.text_id where kind = 'reply' order by m.id desc limit 1")" \
	"done-already handled 1 T1此前已办结，无需再回复。"

mo 13957608929 "ＴＤ" mo-6
expect_eq "ＴＤ opts out" "$(inbound mo-6) $(sql "select opted_out_at > 0 from person where name = '林阿昌'")" \
	"optout handled 1"
wait_for 10 ge "sent_to 13957608929 '您已退订'" 1 && ok "with a confirmation" || notok "with a confirmation"
mo 13957608929 "退订。" mo-7
mo 13957608929 "T" mo-8
expect_eq "退订 and T after that: opted out already, each answered" \
	"$(inbound mo-7), $(inbound mo-8), $(count "kind = 'reply' and phone = '+8613957608929'")" \
	"optout-again handled, optout-again handled, 3"
check "duban person optout after TD" d person optout 13957608929
expect_grep "  is the same action: already opted out" "already opted out" "$T/last.out"
expect_eq "  one opt-out in the audit log, by SMS" \
	"$(sql "select group_concat(actor, ' ') from event where action = 'person.optout' and object = '+8613957608929'")" \
	"sms:林阿昌"
mo 13957608929 "ＴＤ" mo-6
expect_eq "the same reply twice (same id): stored once" "$MO $(sql "select count(*) from inbound where provider_ref = 'mo-6'")" "200 1"
mo 13912345678 "n" mo-9
expect_eq "N from a number duban does not know: kept for staff" "$(inbound mo-9)" "optout-unknown new"

mo 15068766188 "请问补贴什么时候发？水渠的事也想问一下" mo-10
expect_eq "anything else: the inbox" "$(inbound mo-10)" "inbox new"
wait_for 10 ge "sent_to $CLERK '请问补贴什么时候发'" 1 && ok "forwarded to the clerk" || notok "forwarded to the clerk"
check "duban inbox list" d inbox list
expect_grep "shows what waits" '请问补贴什么时候发' "$T/last.out"
expect_eq "only what waits" "$(grep -c 'handled' "$T/last.out")" 0
ID10=$(sql "select id from inbound where provider_ref = 'mo-10'")
check "duban inbox read" d inbox read "$ID10"
d inbox list >"$T/inbox.out"
expect_eq "read replies leave the list" "$(grep -c '请问补贴' "$T/inbox.out")" 0
d inbox list --all --format csv >"$T/inbox.csv"
expect_grep "--all shows the handled ones" 'done,handled' "$T/inbox.csv"

# Kannel's get-url: a form of query parameters, URL-encoded UTF-8
CODE=$(curl -s -o "$T/resp" -w '%{http_code}' \
	"$API/callbacks/mo/kannel/$S2?from=%2B8613957601140&to=10690000&text=%E9%80%80%E8%AE%A2&id=k-1")
expect_eq "退订 through Kannel's get-url" "$CODE $(inbound k-1)" "200 optout handled"
CODE=$(curl -s -o /dev/null -w '%{http_code}' "$API/callbacks/mo/kannel/$S1?from=1&text=x")
expect_eq "another provider's secret: 401" "$CODE" 401

curl -s "$API/metrics" >"$T/metrics"
expect_grep "/metrics counts the replies" '^duban_replies_total{action="optout",status="handled"} 2$' "$T/metrics"
expect_grep "/metrics counts the reports" "^duban_delivery_reports_total{provider=\"kannel\",status=\"delivered\"} [1-9]" "$T/metrics"
expect_grep "/metrics: delivered per provider" "^duban_delivered_total{provider=\"sim\"} $(count "provider = 'sim' and status = 'delivered'")\$" "$T/metrics"

kill -TERM "$DPID"
wait "$DPID"
expect_eq "duban run stops cleanly" "$?" 0
exit 0
