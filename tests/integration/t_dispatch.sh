#!/bin/sh
# t_dispatch.sh - the dispatcher against the real simulator: 1,000 messages
# through 20% 503s and some 429s all end sent and none is accepted twice;
# permanent failures fail with the provider's reason; expired rows are not
# sent; outbox retry and cancel; Kannel's sendsms; headers with secrets from
# the environment; provider configuration errors with their line.
. "$TOP/tests/integration/lib.sh"
setup
# The daemon writes while we look: wait for its locks instead of failing.

# No quiet hours here (t_daemon.sh tests them), info logs.
sed -i 's/^quiet_hours = .*/quiet_hours = { enabled = false; from = "21:00"; to = "08:00"; };/;
        s/^log = .*/log = { level = "info"; };/' "$DUBAN_CONFIG"
cp "$DUBAN_CONFIG" "$T/base.cfg"

# provider_cfg NAME URL [EXTRA]: a providers block for one http provider.
use_provider() {
	cp "$T/base.cfg" "$DUBAN_CONFIG"
	cat >>"$DUBAN_CONFIG" <<CFG
providers = (
  { name = "sim"; type = "http"; url = "$1"; concurrency = 16; timeout_ms = 3000;
    retries = { max = 12; base_ms = 10; max_ms = 200; };
    breaker = { failures = 1000; rest = "1s"; }; $2 }
);
dispatcher = { batch = 200; lease = "10s"; };
CFG
}

stat_of() { # KEY: a counter of the simulator
	curl -s "$SIM_URL/_sim/stats" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"
}

start_sim --fail-rate 0.2 --fail-status 503 --rate-429 0.05 --retry-after 1 --reject '^\+86139' \
	--kannel-user duban --kannel-pass 'p&w' --require-header 'X-Token: t0k3n' || exit 1
export SIM_TOKEN=t0k3n
use_provider "$SIM_URL/sms/send" 'headers = { X-Token = "{{env.SIM_TOKEN}}"; };'
check "duban init" "$DUBAN" init
check "config with a provider is valid" "$DUBAN" config check

# ---- sending one message ----------------------------------------------------
check "send queues a message" "$DUBAN" send "138-0013-8000" "会议通知：明天上午9点开会"
expect_grep "send masks the number" "138\*\*\*\*8000" "$T/last.out"
expect_eq "stored normalized, UCS-2, manual" \
	"$(sql "select phone, encoding, kind, priority, status from message")" \
	"+8613800138000|UCS-2|manual|20|queued"
expect_exit "a bad number is refused" 2 "$DUBAN" send "12345" "hi"
long=$(awk 'BEGIN { for (i = 0; i < 420; i++) printf "镇" }')
expect_exit "a text over sms.max_parts is refused" 2 "$DUBAN" send 13800138000 "$long"
expect_grep "the refusal gives the number of parts" "needs 7 SMS parts" "$T/last.err"

# ---- 1,000 messages through 503s and 429s -----------------------------------
awk 'BEGIN { for (i = 1; i <= 999; i++)
	printf "+86137%08d\t您好，请于12月31日前上报梅岙塘项目进度 No.%d & \"quoted\"\n", i, i }' >"$T/bulk.tsv"
check "send --from-file queues 999 more" "$DUBAN" send --from-file "$T/bulk.tsv"
expect_eq "1,000 queued" "$(sql "select count(*) from message where status = 'queued'")" 1000
check "dispatch --until-empty" "$DUBAN" dispatch --until-empty
sed 's/^/# /' "$T/last.out"
expect_eq "all 1,000 sent" "$(sql "select status, count(*) from message group by status")" "sent|1000"
expect_eq "the simulator accepted 1,000" "$(stat_of accepted)" 1000
expect_eq "no message accepted twice" "$(stat_of duplicates)" 0
expect_eq "1,000 distinct ids" "$(stat_of unique_ids)" 1000
fails=$(stat_of failed)
[ "$fails" -gt 100 ] && ok "there were failures to retry ($fails)" || notok "only $fails failures"
expect_eq "every attempt recorded" \
	"$(sql "select count(*) from attempt")" "$(stat_of requests)"
expect_eq "one accepted attempt per message" \
	"$(sql "select count(*), count(distinct message) from attempt where result = 'accepted'")" "1000|1000"
expect_eq "429s and 503s recorded as transient" \
	"$(sql "select count(*) from attempt where result = 'transient' and http_status in (429, 503)")" "$fails"
expect_eq "provider and its message id stored" \
	"$(sql "select count(*) from message where provider = 'sim' and provider_ref like 'sim-%' and sent_at > 0")" 1000
expect_eq "attempts counted" \
	"$(sql "select sum(attempts) from message")" "$(stat_of requests)"
grep -q '"text":"您好，请于12月31日前上报梅岙塘项目进度 No.5 & \\"quoted\\""' "$T/sim.jsonl" &&
	ok "Chinese text and quotes arrive intact" || notok "text mangled in transit"
grep -q '"id":"duban-1",' "$T/sim.jsonl" && ok "the message reference is duban-<id>" ||
	notok "no duban-1 reference"
grep -q '"sign":"小雄镇人民政府"' "$T/sim.jsonl" && ok "the signature is sent" || notok "no signature"

# ---- permanent failures, expiry, retry, cancel -----------------------------------
curl -s -X POST "$SIM_URL/_sim/config" -d 'fail_rate=0&rate_429=0' >/dev/null
check "send to a number the provider rejects" "$DUBAN" send 13900139000 "to a bad number"
bad=$(sql "select max(id) from message")
now=$(date +%s)
sql "insert into message_text (body) values ('too late');
	insert into message (phone, text_id, encoding, parts, kind, priority, status, created_at,
	not_before, expires_at) values ('+8615000000001', last_insert_rowid(), 'GSM-7', 1, 'notice', 30,
	'queued', $now - 100, $now - 100, $now - 10)"
late=$(sql "select max(id) from message")
check "send one to cancel" "$DUBAN" send 15000000002 "never to be sent"
cancel=$(sql "select max(id) from message")
check "outbox cancel" "$DUBAN" outbox cancel "$cancel"
expect_exit "cancelling twice is refused" 2 "$DUBAN" outbox cancel "$cancel"
expect_grep "saying why" "is cancelled: cannot cancel it" "$T/last.err"
check "dispatch" "$DUBAN" dispatch
expect_eq "permanent failure fails at once with the reason" \
	"$(sql "select status, attempts, last_error from message where id = $bad")" \
	"failed|1|HTTP 400: invalid number"
expect_eq "the expired row is expired" \
	"$(sql "select status, attempts, last_error from message where id = $late")" \
	"expired|0|expired before it could be sent"
grep -q '"to":"+8615000000001"' "$T/sim.jsonl" && notok "the expired row reached the provider" ||
	ok "the expired row never reached the provider"
expect_eq "the cancelled row stays cancelled" "$(sql "select status from message where id = $cancel")" cancelled
grep -q '"to":"+8615000000002"' "$T/sim.jsonl" && notok "the cancelled row was sent" ||
	ok "the cancelled row never reached the provider"
expect_exit "retrying a sent message is refused" 2 "$DUBAN" outbox retry 1
check "outbox retry of the expired row" "$DUBAN" outbox retry "$late"
check "dispatch again" "$DUBAN" dispatch
expect_eq "the retried row is sent" "$(sql "select status from message where id = $late")" sent
expect_eq "each outbox action is in the audit log, the refused ones not" \
	"$(sql "select group_concat(action || ' ' || object || ' ' || coalesce(detail, '-'), '; ')
	        from (select action, object, detail from event
	              where action in ('message.retry', 'message.cancel') order by id)")" \
	"message.cancel #$cancel -; message.retry #$late expired"
expect_eq "a file of messages is one event" \
	"$(sql "select count(*), max(detail) from event where action = 'message.send-file'")" \
	"1|999 messages"
expect_eq "each message sent alone is one event, its number masked" \
	"$(sql "select count(*), sum(detail like '%****%') from event where action = 'message.send'")" \
	"3|3"

# ---- Kannel's sendsms ------------------------------------------------------------
cp "$T/base.cfg" "$DUBAN_CONFIG"
export KPASS='p&w'
cat >>"$DUBAN_CONFIG" <<CFG
providers = (
  { name = "kannel"; type = "kannel"; url = "$SIM_URL/cgi-bin/sendsms";
    username = "duban"; password = "{{env.KPASS}}"; from = "10690000";
    dlr_mask = 3; dlr_url = "http://127.0.0.1:9/dlr?id={{id}}&s=%d"; }
);
CFG
check "send for kannel" "$DUBAN" send 13600136000 "收到请回复"
kid=$(sql "select max(id) from message")
check "dispatch through kannel" "$DUBAN" dispatch
expect_eq "sent through kannel with our reference" \
	"$(sql "select status, provider, provider_ref from message where id = $kid")" \
	"sent|kannel|duban-$kid"
grep '"api":"kannel"' "$T/sim.jsonl" | grep -q '"text":"【小雄镇人民政府】收到请回复"' &&
	ok "kannel got the signed UTF-8 text" || notok "kannel text wrong"
sed -i 's/password = "{{env.KPASS}}"/password = "wrong"/' "$DUBAN_CONFIG"
check "send with a wrong kannel password" "$DUBAN" send 13600136001 "x"
check "dispatch" "$DUBAN" dispatch
expect_eq "kannel's 403 is a permanent failure" \
	"$(sql "select status, last_error from message where phone = '+8613600136001'")" \
	"failed|HTTP 403: Authorization failed for sendsms"

# ---- rate limit ----------------------------------------------------------------------
use_provider "$SIM_URL/sms/send" 'headers = { X-Token = "t0k3n"; }; rate = 50.0;'
awk 'BEGIN { for (i = 1; i <= 100; i++) printf "+86131%08d\trate %d\n", i, i }' >"$T/rate.tsv"
check "queue 100 for a provider limited to 50/s" "$DUBAN" send --from-file "$T/rate.tsv"
t0=$(date +%s%N)
check "dispatch them" "$DUBAN" dispatch --until-empty
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
expect_eq "all 100 sent" "$(sql "select count(*) from message where phone like '+86131%' and status = 'sent'")" 100
# 100 at 50/s with a burst of 5 cannot take less than (100 - 5) / 50 s.
[ "$ms" -ge 1850 ] && ok "the token bucket held 50/s ($ms ms for 100)" || notok "100 sent in $ms ms at 50/s"

# ---- configuration errors ------------------------------------------------------------
cp "$T/base.cfg" "$DUBAN_CONFIG"
unset SIM_TOKEN
cat >>"$DUBAN_CONFIG" <<CFG
providers = (
  { name = "sim"; type = "http"; url = "$SIM_URL/sms/send";
    headers = { X-Token = "{{env.SIM_TOKEN}}"; };
    body = "xml"; }
);
dispatcher = { batch = 0; };
CFG
expect_exit "a bad provider block is refused" 1 "$DUBAN" config check
expect_grep "naming the missing environment variable" \
	"duban.cfg:1[0-9]: header 'X-Token': environment variable SIM_TOKEN is not set" "$T/last.err"
expect_grep "and the bad body" "'body' must be \"query\", \"form\" or \"json\"" "$T/last.err"
expect_grep "and the bad batch" "'batch' must be between 1 and 10000" "$T/last.err"
cp "$T/base.cfg" "$DUBAN_CONFIG"
expect_exit "dispatch without providers says so" 1 "$DUBAN" dispatch
expect_grep "no providers" "no providers configured" "$T/last.err"
exit 0
