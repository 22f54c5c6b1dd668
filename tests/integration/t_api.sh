#!/bin/sh
# t_api.sh - the HTTP API of `duban run` over real HTTP (curl), against the
# real daemon and the provider simulator: tokens made by `duban token new`
# (none, bad, good, a token without the route), bodies over http.max_body
# (413, with and without Content-Length), malformed JSON and fields (400
# naming the field), unknown routes (404) and methods (405), a message
# queued twice with the same ref (one message; another body under it is a
# 409), numbers and names masked for a token without messages:numbers
# (t_attack_scope.sh has the scopes), a template message, a
# notice through the API that reaches the simulator (dry run, counts,
# cancel), tasks (add, list, close), the audit log with the token's name,
# /healthz, /metrics parsed as Prometheus text, and that every answer but
# /metrics is JSON.
. "$TOP/tests/integration/lib.sh"
setup

d() { "$DUBAN" "$@"; }
count() { sql "select count(*) from message where $1"; }
is() { [ "$(eval "$1")" = "$2" ]; }

# call METHOD PATH [BODY [TOKEN]]: the answer's status in CODE, its body in $T/resp.
# TOKEN "" sends none; the default is $TOKEN.  Every answer must be JSON.
NOTJSON=""
call() {
	_m=$1 _p=$2 _b=${3-} _t=${4-$TOKEN}
	set -- -s -o "$T/resp" -w '%{http_code}' -X "$_m"
	[ -n "$_t" ] && set -- "$@" -H "Authorization: Bearer $_t"
	[ -n "$_b" ] && set -- "$@" -H 'Content-Type: application/json' --data-binary "$_b"
	CODE=$(curl "$@" "$API$_p")
	jq -e . "$T/resp" >/dev/null 2>&1 || NOTJSON="$NOTJSON $_m:$_p:$CODE"
}
jf() { jq -r "$1" "$T/resp"; }
# expect_call DESC STATUS [FIELD]: CODE is STATUS (and the error names FIELD).
expect_call() {
	if [ "$CODE" = "$2" ] && { [ -z "${3-}" ] || [ "$(jf .field)" = "$3" ]; }; then ok "$1"; else
		notok "$1 (HTTP $CODE, wanted $2${3:+ naming $3})"; sed 's/^/#   /' "$T/resp" | head -5; fi
}

# ---- tokens and configuration ----------------------------------------------------------
expect_exit "token new" 0 d token new oa
cp "$T/last.out" "$T/oa.out"
TOKEN=$(sed -n 3p "$T/oa.out" | tr -d ' ')
OA_LINE=$(grep 'sha256 =' "$T/oa.out" | sed 's/^ *//')
expect_eq "the token looks like dbn_ and 43 characters" \
	"$(printf %s "$TOKEN" | grep -cE '^dbn_[A-Za-z0-9_-]{43}$')" 1
expect_eq "the config line holds the token's SHA-256" \
	"$(printf %s "$OA_LINE" | sed 's/.*sha256 = "\([0-9a-f]*\)".*/\1/')" \
	"$(printf %s "$TOKEN" | sha256sum | cut -d' ' -f1)"
expect_grep "all routes by default" 'routes = \[ "messages", "notices", "tasks" \]' "$T/oa.out"
d token new tasker --routes tasks >"$T/tasker.out"
TASKER=$(sed -n 3p "$T/tasker.out" | tr -d ' ')
TASKER_LINE=$(grep 'sha256 =' "$T/tasker.out" | sed 's/^ *//')
expect_exit "token new: an unknown route is refused" 2 d token new x --routes everything
expect_exit "token new: a bad name is refused" 2 d token new "O A"
[ "$(d token new again | sed -n 3p)" != "$(sed -n 3p "$T/oa.out")" ] &&
	ok "a second token differs" || notok "a second token differs"

start_sim || exit 1
sed -i 's/^log = .*/log = { level = "info"; };/; s/^quiet_hours = .*/quiet_hours = { enabled = false; from = "21:00"; to = "08:00"; };/' \
	"$DUBAN_CONFIG"
cp "$DUBAN_CONFIG" "$T/base.cfg"
cat >>"$DUBAN_CONFIG" <<CFG
providers = ( { name = "sim"; type = "http"; url = "$SIM_URL/sms/send"; timeout_ms = 5000;
                retries = { max = 3; base_ms = 10; max_ms = 100; }; } );
dispatcher = { poll_ms = 100; };
notices = { confirm_over = 3; };
http = {
  listen = "127.0.0.1:0";
  max_body = 2048;
  tokens = (
    $OA_LINE,
    $TASKER_LINE
  );
};
CFG
check "config check with an http group" d config check
cp "$DUBAN_CONFIG" "$T/good.cfg"
cat >>"$T/base.cfg" <<'CFG'
http = { listen = "127.0.0.1"; max_body = 10;
  tokens = ( { name = "oa"; sha256 = "abc"; routes = [ "all" ]; } ); colour = 1;
  threads = 0; connections_per_address = 1000; header_timeout = "1h"; signature_window = 5; };
CFG
expect_exit "a bad http group is refused" 1 d -c "$T/base.cfg" config check
for want in "'listen'" "'max_body' must be between" "'sha256' must be 64 hex digits" \
	'"all" is not' "unknown key 'colour'" "'threads' must be between" \
	"'connections_per_address' (1000) is more than 'connections' (256)" \
	"'header_timeout' must be between 1s and 300s" "'signature_window'"; do
	expect_grep "refused with its line: $want" "base.cfg:[0-9]*: .*$want" "$T/last.err"
done

d init >/dev/null
d person add --name 郑秀兰 --phone 17768096319 --title 纪委书记 --org 小雄镇 --kind official >/dev/null
d person add --name 陈宝根 --phone 15068766188 --org 小雄村 --kind farmer --group 农户-小雄村 >/dev/null
d person add --name 林阿昌 --phone 13957608929 --org 小雄村 --kind farmer --group 农户-小雄村 >/dev/null
d person add --name 陈彩芬 --phone 18657696481 --org 小雄村 --kind farmer --group 农户-小雄村 >/dev/null
d person add --name 张阿满 --phone 13957601140 --org 庙峙村 --kind farmer --group 农户-庙峙村 >/dev/null
d person optout 林阿昌 >/dev/null
start_duban || exit 1
[ -n "$HTTP_PORT" ] && [ "$HTTP_PORT" -gt 0 ] && ok "the server listens (port $HTTP_PORT)" ||
	notok "the server listens"

# ---- health ---------------------------------------------------------------------------------
call GET /healthz "" ""
expect_call "/healthz needs no token" 200
expect_eq "/healthz: ok, database, dispatcher, provider circuit" \
	"$(jf '[.status, .database.ok, .dispatcher.alive, .providers[0].name, .providers[0].circuit] | join(" ")')" \
	"ok true true sim closed"
expect_eq "  healthy: no reasons given" "$(jf '.reasons | length')" 0

# ---- authentication --------------------------------------------------------------------------
MSG='{"to":"138-0013-8000","text":"请于今天下班前报送材料"}'
call POST /v1/messages "$MSG" ""
expect_call "no token: 401" 401
curl -s -D "$T/hdr" -o /dev/null "$API/v1/tasks"
expect_grep "401 says how to authenticate" "WWW-Authenticate: Bearer" "$T/hdr"
call POST /v1/messages "$MSG" "dbn_notavalidtokennotavalidtokennotavalidtoken1"
expect_call "a bad token: 401" 401
call POST /v1/messages "$MSG" "$TASKER"
expect_call "a token without the messages route: 403" 403
call GET /v1/tasks "" "$TASKER"
expect_call "that token may list tasks" 200
call POST /v1/messages "$MSG"
expect_call "a good token: 201" 201
ID1=$(jf .id)
expect_eq "the message is queued as the CLI would (the number masked: no messages:numbers)" \
	"$(jf '[.to, .kind, .encoding, .parts] | join(" ")')" "138****8000 manual UCS-2 1"
expect_eq "  and stored whole" "$(sql "select phone from message where id = $ID1")" "+8613800138000"
expect_eq "the audit log names the token" \
	"$(sql "select actor || ' ' || action || ' ' || object from event where action = 'message.send'")" \
	"api:oa message.send #$ID1"
expect_eq "nothing was queued by refused requests" "$(count 1)" 1

# ---- bodies and fields ---------------------------------------------------------------------------
head -c 3000 /dev/zero | tr '\0' 'a' >"$T/big"
CODE=$(curl -s -o "$T/resp" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
	--data-binary @"$T/big" "$API/v1/messages")
expect_call "a body over max_body: 413" 413
CODE=$(curl -s -o "$T/resp" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
	-H 'Transfer-Encoding: chunked' --data-binary @"$T/big" "$API/v1/messages")
expect_call "a chunked body over max_body: 413" 413
expect_grep "413 says the limit" '2048 bytes' "$T/resp"
call POST /v1/messages '{"to": "13800138000", "text": '
expect_call "malformed JSON: 400" 400
expect_grep "400 says where" 'malformed JSON.*column' "$T/resp"
call POST /v1/messages '["13800138000"]'
expect_call "not an object: 400" 400
call POST /v1/messages '{"to": 13800138000, "text": "x"}'
expect_call "a number for to: 400 naming to" 400 to
call POST /v1/messages '{"text": "x"}'
expect_call "to missing: 400 naming to" 400 to
call POST /v1/messages '{"to": "12345", "text": "x"}'
expect_call "a bad number: 400 naming to" 400 to
call POST /v1/messages '{"to": "13800138000"}'
expect_call "neither text nor template: 400" 400 text
call POST /v1/messages '{"to": "13800138000", "text": "x", "colour": "red"}'
expect_call "an unknown field: 400 naming it" 400 colour
call POST /v1/messages '{"to": "13800138000", "text": "x", "urgent": "yes"}'
expect_call "urgent must be a boolean" 400 urgent
LONG=$(awk 'BEGIN { for (i = 0; i < 500; i++) printf "长" }')
call POST /v1/messages "{\"to\": \"13800138000\", \"text\": \"$LONG\"}"
expect_call "too many SMS parts: 400 naming text" 400 text
call POST /v1/messages '{"to": "13957608929", "text": "通知"}'
expect_call "someone who opted out: 400 naming to" 400 to
call POST /v1/messages '{"to": "13957608929", "text": "紧急：防汛值班", "urgent": true}'
expect_call "unless urgent" 201
call GET /v1/nothing
expect_call "an unknown route: 404" 404
call GET /nothing "" ""
expect_call "an unknown path: 404" 404
call GET /v1/messages/999999
expect_call "an unknown message: 404" 404
call DELETE /v1/messages/1
expect_call "a wrong method: 405" 405
expect_eq "still one row besides the urgent one" "$(count 1)" 2

# ---- idempotent refs --------------------------------------------------------------------------------
call POST /v1/messages '{"to": "15068766188", "text": "请明天上午到村委会领取补贴", "ref": "oa-2008-0001"}'
expect_call "with a ref: 201" 201
REF_ID=$(jf .id)
call POST /v1/messages '{"to": "15068766188", "text": "请明天上午到村委会领取补贴", "ref": "oa-2008-0001"}'
expect_call "the same ref again: 200" 200
expect_eq "the same message, marked duplicate" "$(jf '[.id, .duplicate] | join(" ")')" "$REF_ID true"
call POST /v1/messages '{"to": "13800138999", "text": "另一条", "ref": "oa-2008-0001"}'
expect_eq "the same ref with another body: 409 naming the first message" \
	"$CODE $(jf .id) $(jf .field)" "409 $REF_ID ref"
expect_eq "one row for the ref" "$(count "ref = 'oa-2008-0001'")" 1
wait_for 10 is "count \"id = $REF_ID and status = 'sent'\"" 1 && ok "it was sent" || notok "it was sent"
call GET "/v1/messages/$REF_ID"
expect_eq "GET shows the provider and its id" "$(jf '[.status, .provider, (.provider_ref | startswith("sim-")), .person] | join(" ")')" \
	"sent sim true 陈**"
wait_for 5 grep -q '"to":"+8615068766188"' "$T/sim.jsonl" &&
	expect_eq "sent once to the simulator" "$(grep -c '"to":"+8615068766188"' "$T/sim.jsonl")" 1

# ---- templates ------------------------------------------------------------------------------------------
call POST /v1/messages '{"to": "15068766188", "template": "insurance", "vars": {"deadline": "12月20日", "contact": "13800138000"}}'
expect_call "a template message: 201" 201
expect_grep "rendered with its vars" '请于12月20日前到村委会登记，咨询13800138000' "$T/resp"
call POST /v1/messages '{"to": "15068766188", "template": "insurance", "vars": {"deadline": "12月20日"}}'
expect_call "a missing var: 400 naming vars" 400 vars
call POST /v1/messages '{"to": "15068766188", "template": "reminder"}'
expect_call "a task template alone: 400" 400 template
call POST /v1/messages '{"to": "15068766188", "template": "nope"}'
expect_call "an unknown template: 400" 400 template

# ---- notices -------------------------------------------------------------------------------------------------
NOTICE='{"audience": ["group:农户-小雄村", "org:庙峙村"], "text": "春耕补贴申报截止3月底，请到村委会登记。", "title": "春耕补贴"'
call POST /v1/notices "$NOTICE, \"dry_run\": true}"
expect_call "a dry run: 200" 200
expect_eq "the dry run counts, leaving out who opted out" \
	"$(jf '[.recipients, .opted_out, .total_parts, .encoding] | join(" ")')" "3 1 3 UCS-2"
expect_eq "a dry run queues nothing" "$(sql 'select count(*) from notice')" 0
call POST /v1/notices "$NOTICE}"
expect_call "3 people is fine (confirm_over = 3)" 201
N1=$(jf .id)
expect_eq "the notice's reference and recipients" "$(jf '[.ref, .recipients, .opted_out, .created_by] | join(" ")')" \
	"N$N1 3 1 api:oa"
wait_for 10 is "count \"notice = $N1 and status = 'sent'\"" 3 && ok "the notice reached the simulator" ||
	notok "the notice reached the simulator"
wait_for 5 is "grep -c '春耕补贴申报截止3月底' '$T/sim.jsonl'" 3 &&
	ok "the simulator got it for each recipient" || notok "the simulator got it for each recipient"
expect_eq "not for the one who opted out" "$(grep -c '"to":"+8613957608929".*春耕' "$T/sim.jsonl")" 0
call GET "/v1/notices/N$N1"
expect_eq "GET counts per status" "$(jf '[.status, .counts.sent, .counts.queued, .counts.failed] | join(" ")')" \
	"done 3 0 0"
call POST /v1/notices '{"audience": ["kind:farmer", "kind:official"], "text": "全镇大会"}'
expect_call "over confirm_over without confirm: 400 naming confirm" 400 confirm
call POST /v1/notices '{"audience": ["group:没有这个组"], "text": "x"}'
expect_call "an unknown group: 400 naming audience" 400 audience
call POST /v1/notices '{"audience": ["person:林阿昌"], "text": "x", "dry_run": true}'
expect_call "a dry run to people who all opted out is refused, as sending would be" 400 audience
call POST /v1/notices '{"audience": ["org:庙峙村"], "text": "x", "send_at": "2008-01-01 09:00"}'
expect_call "a send_at that has passed: 400 naming send_at" 400 send_at
call POST /v1/notices '{"audience": "group:农户-小雄村", "text": "x"}'
expect_call "audience must be a list" 400 audience
call POST /v1/notices '{"audience": ["org:庙峙村"], "text": "x", "send_at": "明天"}'
expect_call "a bad send_at: 400" 400 send_at
call POST /v1/notices '{"audience": ["org:庙峙村"], "template": "insurance"}'
expect_call "a template without its vars: 400" 400 vars
LATER=$(TZ=Asia/Shanghai date -d '+2 days' '+%Y-%m-%d 09:00')
call POST /v1/notices "{\"audience\": [\"org:庙峙村\"], \"template\": \"insurance\", \"vars\": {\"deadline\": \"12月20日\", \"contact\": \"13800138000\"}, \"send_at\": \"$LATER\"}"
expect_call "a scheduled notice" 201
N2=$(jf .id)
expect_eq "it is scheduled" "$(jf .status)" scheduled
call POST "/v1/notices/$N2/cancel"
expect_call "cancel it" 200
expect_eq "its unsent message is cancelled" "$(jf '[.status, .counts.cancelled, .cancelled_now.cancelled] | join(" ")')" \
	"cancelled 1 1"
call POST "/v1/notices/$N2/cancel"
expect_call "cancelling twice is harmless" 200
call GET /v1/notices/N999
expect_call "an unknown notice: 404" 404

# ---- tasks --------------------------------------------------------------------------------------------------------
call POST /v1/tasks '{"title": "梅岙塘农田改造工程", "deadline": "2030-12-31", "lead": "郑秀兰", "owners": ["15068766188"], "team": "农户-小雄村"}'
expect_call "add a task: 201" 201
TCODE=$(jf .code)
expect_eq "its code, lead and deadline (end of the day, local time)" \
	"$(jf '[.code, .lead, .deadline, .status] | join(" ")')" "T1 郑秀兰 2030-12-31T23:59:00+08:00 open"
call POST /v1/tasks '{"title": "x", "deadline": "2030-12-31", "lead": "没有这个人"}'
expect_call "an unknown lead: 400 naming lead" 400 lead
call POST /v1/tasks '{"title": "x", "deadline": "年底", "lead": "郑秀兰"}'
expect_call "a bad deadline: 400 naming deadline" 400 deadline
call POST /v1/tasks '{"title": "x", "deadline": "2030-12-31", "lead": "郑秀兰", "rules": "nope"}'
expect_call "an unknown rule set: 400 naming rules" 400 rules
call POST /v1/tasks '{"title": "x", "deadline": "2030-12-31", "lead": "郑秀兰", "code": "T1"}'
expect_call "a code in use: 409" 409 code
call GET "/v1/tasks?status=open"
expect_eq "GET /v1/tasks?status=open lists it" "$(jf '[.tasks[].code] | join(" ")')" "$TCODE"
call GET "/v1/tasks?status=later"
expect_call "an unknown status: 400 naming status" 400 status
call POST "/v1/tasks/$TCODE/done" "" "$TASKER"
expect_call "close it (the tasks token)" 200
expect_eq "it is done" "$(jf .status)" done
call POST "/v1/tasks/$TCODE/done" "" "$TASKER"
expect_eq "closing twice says so" "$(jf .already) $CODE" "true 200"
call GET "/v1/tasks?status=done"
expect_eq "listed as done" "$(jf '[.tasks[].code] | join(" ")')" "$TCODE"
call POST /v1/tasks/T99/done "" "$TASKER"
expect_call "an unknown task: 404" 404
expect_eq "the audit log has every write with the token's name" \
	"$(sql "select group_concat(actor || ':' || action, ' ') from (select actor, action from event where actor like 'api:%' group by actor, action order by actor, action)")" \
	"api:oa:message.send api:oa:notice.cancel api:oa:notice.create api:oa:task.add api:tasker:task.done"

# One transition table for every front-end: closed tasks go through open.
call POST "/v1/tasks/$TCODE/cancel" "" "$TASKER"
expect_call "a done task cannot be cancelled: 409" 409
expect_eq "  saying what to do" "$(jf .error)" "$TCODE is done: reopen it first to cancel it"
call POST "/v1/tasks/$TCODE/reopen" "" "$TASKER"
expect_call "reopen it" 200
expect_eq "  open again, not overdue (the deadline is ahead)" "$(jf '[.status, .overdue, .done_at] | join(" ")')" "open false "
call POST "/v1/tasks/$TCODE/reopen" "" "$TASKER"
expect_eq "  reopening twice says so" "$(jf .already) $CODE" "true 200"
call POST "/v1/tasks/$TCODE/cancel" "" "$TASKER"
expect_call "cancel it" 200
expect_eq "  cancelled" "$(jf .status)" cancelled
call POST "/v1/tasks/$TCODE/done" "" "$TASKER"
expect_call "a cancelled task cannot be marked done: 409" 409
expect_eq "  saying what to do" "$(jf .error)" "$TCODE is cancelled: reopen it first to mark it done"
expect_eq "  and it stays cancelled, with no event" \
	"$(sql "select status from task where code = '$TCODE'") $(sql "select count(*) from event where action = 'task.done'")" \
	"cancelled 1"
call GET "/v1/tasks/$TCODE/close" "" "$TASKER"
expect_call "an unknown verb: 404" 404
call GET "/v1/tasks/$TCODE/done" "" "$TASKER"
expect_call "done with GET: 405" 405

# ---- metrics ---------------------------------------------------------------------------------------------------
curl -s -D "$T/mhdr" -o "$T/metrics" "$API/metrics"
expect_grep "/metrics is Prometheus text" 'Content-Type: text/plain; version=0.0.4' "$T/mhdr"
bad=$(grep -v '^#' "$T/metrics" |
	grep -cvE '^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*"(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*")*\})? -?[0-9]+(\.[0-9]+)?$')
expect_eq "every sample line is NAME{LABELS} VALUE" "$bad" 0
expect_eq "every family has HELP and TYPE before its samples" "$(awk '
	/^# HELP / { help[$3] = 1; next }
	/^# TYPE / { type[$3] = $4; next }
	/^#/ { next }
	{ name = $1; sub(/\{.*/, "", name); base = name
	  if (!(name in type)) sub(/_(bucket|sum|count)$/, "", base)
	  if (!(base in type) || !(base in help)) bad++ }
	END { print bad + 0 }' "$T/metrics")" 0
expect_eq "no family is declared twice" "$(grep '^# TYPE' "$T/metrics" | awk '{print $3}' | sort | uniq -d | wc -l)" 0
expect_grep "the outbox by status and kind" '^duban_messages{status="sent",kind="notice"} 3$' "$T/metrics"
expect_eq "a series for every status and kind, zeros too (8 x 5)" \
	"$(grep -c '^duban_messages{status="[a-z]*",kind="[a-z]*"} [0-9]*$' "$T/metrics")" 40
expect_grep "  a pair that never happened is 0" '^duban_messages{status="expired",kind="escalation"} 0$' "$T/metrics"
expect_grep "the build's version" "^duban_build_info{version=\"$("$DUBAN" --version | awk '{print $2}')\"} 1\$" "$T/metrics"
expect_grep "the age of the oldest due message" '^duban_oldest_queued_seconds [0-9][0-9]*$' "$T/metrics"
SENT=$(count "provider = 'sim' and status in ('sent', 'delivered')")
expect_grep "sent per provider" "^duban_sent_total{provider=\"sim\"} $SENT\$" "$T/metrics"
expect_grep "retried per provider" '^duban_retried_total{provider="sim"} 0$' "$T/metrics"
expect_grep "the latency histogram" '^# TYPE duban_send_latency_seconds histogram$' "$T/metrics"
expect_eq "the +Inf bucket is the count, buckets never decrease" "$(awk '
	/^duban_send_latency_seconds_bucket/ { v = $2 + 0; if (v < last) bad++; last = v; inf = v }
	/^duban_send_latency_seconds_count/ { if ($2 + 0 != inf) bad++; n++ }
	END { print (n > 0 ? bad + 0 : "none") }' "$T/metrics")" 0
expect_grep "the last tick" '^duban_scheduler_last_tick_timestamp_seconds [1-9][0-9]*$' "$T/metrics"
expect_grep "the HTTP server's requests" '^duban_http_requests_total{class="4xx"} [1-9]' "$T/metrics"
expect_eq "every answer but /metrics was JSON" "$NOTJSON" ""

# ---- reload keeps the server ------------------------------------------------------------------------------------
sed 's/max_body = 2048;/max_body = 8192;/' "$T/good.cfg" >"$DUBAN_CONFIG"
kill -HUP "$DPID"
wait_for 10 grep -q 'configuration reloaded' "$T/daemon.log" && ok "SIGHUP reloads" || notok "SIGHUP reloads"
CODE=$(curl -s -o "$T/resp" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
	--data-binary @"$T/big" "$API/v1/messages")
expect_call "the new max_body holds (3000 bytes is now malformed, not too big)" 400
kill -TERM "$DPID"
wait "$DPID"
expect_eq "duban run stops cleanly with the server" "$?" 0
curl -s -o /dev/null "$API/healthz" && notok "the server stopped" || ok "the server stopped"
exit 0
