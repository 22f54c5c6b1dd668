#!/bin/sh
# t_cn_halt.sh - a provider that refuses everything (the simulator's
# balance switch: isv.AMOUNT_NOT_ENOUGH) is halted at once: no message
# burns a retry on it, its rows fail over to the next provider, the halt
# is in provider_state, /healthz, /metrics (duban_provider_halted) and
# `duban provider list`, and one SMS alert goes to alerts.to through the
# other provider.  `duban provider resume` reaches the running daemon;
# a trial request every halt_retry lifts a halt by itself once the
# provider answers again.
. "$TOP/tests/integration/lib.sh"
setup
sed -i 's/^quiet_hours = .*/quiet_hours = { enabled = false; from = "21:00"; to = "08:00"; };/;
        s/^log = .*/log = { level = "info"; };/' "$DUBAN_CONFIG"
count() { sql "select count(*) from message where $1"; }
is() { [ "$(eval "$1")" = "$2" ]; }

cat >"$T/templates" <<'EOF2'
sign 小雄镇人民政府
template SMS_200001 县政策性农业保险试点开始参保，保费有财政补贴。请于${deadline}前到村委会登记，咨询${contact}。回复TD退订
EOF2
ALIYUN_ACCESS_KEY_ID=LTAI5tSimKeyId ALIYUN_ACCESS_KEY_SECRET=SimKeySecret0123456789
export ALIYUN_ACCESS_KEY_ID ALIYUN_ACCESS_KEY_SECRET
start_sim --api aliyun --templates "$T/templates" --no-balance || exit 1
"$SIM" --listen 127.0.0.1:0 --port-file "$T/simb.port" --record "$T/simb.jsonl" --quiet 2>>"$T/simb.log" &
PIDS="$PIDS $!"
wait_for 10 test -s "$T/simb.port" || notok "second simulator started"
B_URL="http://127.0.0.1:$(cat "$T/simb.port")"
IT=+8613900000009

cat >>"$DUBAN_CONFIG" <<CFG
providers = (
  { name = "aliyun"; type = "aliyun";
    access_key_id = "{{env.ALIYUN_ACCESS_KEY_ID}}"; access_key_secret = "{{env.ALIYUN_ACCESS_KEY_SECRET}}";
    endpoint = "$SIM_URL"; sign_name = "小雄镇人民政府"; concurrency = 2; halt_retry = "10s";
    retries = { max = 2; base_ms = 10; max_ms = 100; };
    templates = {
      insurance = { code = "SMS_200001";
        text = "县政策性农业保险试点开始参保，保费有财政补贴。请于\${deadline}前到村委会登记，咨询\${contact}。回复TD退订";
        params = { deadline = "{{var.deadline}}"; contact = "{{var.contact}}"; }; };
    }; },
  { name = "b"; type = "http"; url = "$B_URL/sms/send"; concurrency = 2;
    retries = { max = 2; base_ms = 10; max_ms = 100; }; }
);
alerts = { to = [ "$IT" ]; };
dispatcher = { poll_ms = 100; };
http = { listen = "127.0.0.1:0"; };
CFG
check "duban init" "$DUBAN" init
now=$(date +%s)
sql "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30)
     INSERT INTO person (name, phone, kind, created_at)
     SELECT '农户' || i, printf('+86137%08d', i), 'farmer', $now FROM n;"
notice() {
	"$DUBAN" notice send --to kind:farmer --template insurance --var deadline="$1" \
		--var contact=村委会 --yes >/dev/null
}
check "a notice to 30 farmers" notice 12月20日
start_duban || exit 1

wait_for 20 is "count \"kind = 'notice' and status = 'sent'\"" 30 &&
	ok "all 30 sent although aliyun has no balance" || notok "sent: $(count "status = 'sent'")"
expect_eq "through b" "$(count "kind = 'notice' and provider = 'b' and status = 'sent'")" 30
expect_eq "no row burned a retry on aliyun (one accepted attempt each)" \
	"$(count "kind = 'notice' and attempts = 1")" 30
halted=$(sql "select count(*) from attempt where provider = 'aliyun' and result = 'halted'")
expect_eq "aliyun got only the request in flight when it halted: one attempt per row of it" \
	"$(sql "select count(distinct message) from attempt where provider = 'aliyun' and result = 'halted'")" "$halted"
expect_eq "those say the provider's code" \
	"$(sql "select count(*) from attempt where provider = 'aliyun' and result = 'halted' and error like 'isv.AMOUNT_NOT_ENOUGH%'")" "$halted"
expect_eq "provider_state: aliyun halted with the code" \
	"$(sql "select code from provider_state where provider = 'aliyun' and halted_at is not null")" isv.AMOUNT_NOT_ENOUGH
expect_grep "the log says so" "provider aliyun halted: isv.AMOUNT_NOT_ENOUGH" "$T/daemon.log"
alert() { [ "$(count "phone = '$IT' and kind = 'manual' and urgent = 1 and status = 'sent' and provider = 'b'")" = 1 ]; }
wait_for 10 alert && ok "one SMS alert to alerts.to went out through b" ||
	notok "alert: $(sql "select status, provider, x.body FROM message m JOIN message_text x ON x.id = m.text_id where phone = '$IT'")"
# (the simulator flushes its record within 50 ms of the request)
wait_for 5 grep -q "aliyun 已停止发送（isv.AMOUNT_NOT_ENOUGH）" "$T/simb.jsonl" &&
	ok "it names the provider and the code" || notok "the alert's text: $(grep 13900000009 "$T/simb.jsonl")"

curl -s "$API/healthz" >"$T/health.json"
expect_eq "/healthz: degraded, aliyun halted with its code" \
	"$(jq -c '[.status, (.providers[] | select(.name == "aliyun") | [.halted, .halt.code])]' "$T/health.json")" \
	'["degraded",[true,"isv.AMOUNT_NOT_ENOUGH"]]'
curl -s "$API/metrics" >"$T/metrics"
expect_grep "/metrics: duban_provider_halted 1 for aliyun" \
	'^duban_provider_halted{provider="aliyun",reason="isv.AMOUNT_NOT_ENOUGH"} 1$' "$T/metrics"
expect_grep "/metrics: 0 for b" '^duban_provider_halted{provider="b",reason=""} 0$' "$T/metrics"
"$DUBAN" provider list --format csv | tr -d '\r' | sed 's/^\xef\xbb\xbf//' >"$T/list.csv"
expect_grep "provider list shows the halt" '^aliyun,aliyun,yes,1000,halted,.*,isv.AMOUNT_NOT_ENOUGH,' "$T/list.csv"

# A second notice while halted: straight to b, no second alert.
check "a second notice while halted" notice 12月21日
wait_for 20 is "count \"kind = 'notice' and status = 'sent'\"" 60 && ok "it went through b" ||
	notok "sent: $(count "kind = 'notice' and status = 'sent'")"
expect_eq "no request went to aliyun meanwhile" \
	"$(sql "select count(*) from attempt where provider = 'aliyun'")" "$halted"
expect_eq "still one alert" "$(count "phone = '$IT'")" 1

# Topped up and resumed: the running daemon sends through aliyun again.
curl -s -X POST "$SIM_URL/_sim/balance?ok=1" >/dev/null
expect_exit "provider resume of an unknown name is refused" 2 "$DUBAN" provider resume nosuch
check "duban provider resume aliyun" "$DUBAN" provider resume aliyun
expect_grep "it says so" "provider aliyun resumed" "$T/last.out"
wait_for 10 grep -q "provider aliyun resumed (duban provider resume)" "$T/daemon.log" &&
	ok "the daemon read the resume" || notok "the daemon read the resume"
check "a third notice" notice 12月22日
wait_for 20 is "count \"kind = 'notice' and provider = 'aliyun' and status = 'sent'\"" 30 &&
	ok "it went through aliyun" || notok "via aliyun: $(count "provider = 'aliyun' and status = 'sent'")"
expect_eq "the resume is in the audit log" \
	"$(sql "select actor from event where action = 'provider.resume' and object = 'aliyun'")" cli
curl -s "$API/metrics" >"$T/metrics2"
expect_grep "/metrics: 0 again" '^duban_provider_halted{provider="aliyun",reason=""} 0$' "$T/metrics2"

# Halted again; the trial request (halt_retry 10 s) lifts it once it goes through.
curl -s -X POST "$SIM_URL/_sim/error?code=isv.OUT_OF_SERVICE&message=业务停机" >/dev/null
check "a fourth notice" notice 12月23日
wait_for 20 is "count \"kind = 'notice' and status = 'sent'\"" 120 && ok "through b while halted again" ||
	notok "sent: $(count "kind = 'notice' and status = 'sent'")"
wait_for 10 is "count \"phone = '$IT'\"" 2
expect_eq "a new halt, a new alert" "$(count "phone = '$IT'")" 2
curl -s -X POST "$SIM_URL/_sim/error" >/dev/null
# One message at a time until one goes through aliyun: the trial, after halt_retry.
k=0
one_more() {
	k=$((k + 1))
	"$DUBAN" notice send --to person:#1 --template insurance --var deadline="12月$k日" \
		--var contact=村委会 --yes >/dev/null
	grep -q "provider aliyun resumed: a trial request went through" "$T/daemon.log"
}
POLL_INTERVAL=1
wait_for 30 one_more && ok "a trial request lifted the halt" || notok "no trial request lifted the halt"
POLL_INTERVAL=0.05
expect_eq "provider_state: resumed by the trial" \
	"$(sql "select halted_at is null, resumed_by from provider_state where provider = 'aliyun'")" "1|trial"
wait_for 20 is "count \"status != 'sent'\"" 0 && ok "nothing lost" ||
	notok "sent: $(count "kind = 'notice' and status = 'sent'")"
kill -TERM "$DPID"
wait "$DPID"
expect_eq "the daemon stops cleanly" "$?" 0
exit 0
