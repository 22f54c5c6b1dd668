#!/bin/sh
# t_cn_tencent.sh - a 500-recipient notice through Tencent Cloud (the
# simulator in tencent mode) goes out in requests of up to 200 numbers;
# Tencent answers per number, so a number that is no Chinese mobile fails
# alone (InvalidParameterValue.IncorrectPhoneNumber) while the others of
# its request are sent; each accepted row keeps its SerialNo as its ref and
# its Fee as the parts billed; the status pushes (JSON arrays) end every
# row delivered or failed as the simulator reported, each answered
# {"result":0,"errmsg":"OK"}.
. "$TOP/tests/integration/lib.sh"
setup
sed -i 's/^quiet_hours = .*/quiet_hours = { enabled = false; from = "21:00"; to = "08:00"; };/;
        s/^log = .*/log = { level = "info"; };/' "$DUBAN_CONFIG"
count() { sql "select count(*) from message where $1"; }
is() { [ "$(eval "$1")" = "$2" ]; }

cat >"$T/templates" <<'EOF2'
sign 小雄镇人民政府
template 200001 县政策性农业保险试点开始参保，保费有财政补贴。请于{1}前到村委会登记，咨询{2}。回复TD退订
EOF2
TENCENT_SECRET_ID=AKIDSimSecretId TENCENT_SECRET_KEY=SimSecretKey0123456789
export TENCENT_SECRET_ID TENCENT_SECRET_KEY
SECRET=cb-secret-tencent-0123
write_cfg() {
	sed -i '/^# ---- providers/,$d' "$DUBAN_CONFIG"
	cat >>"$DUBAN_CONFIG" <<CFG
# ---- providers
providers = (
  { name = "tencent"; type = "tencent";
    secret_id = "{{env.TENCENT_SECRET_ID}}"; secret_key = "{{env.TENCENT_SECRET_KEY}}";
    sdk_app_id = "1400000001"; region = "ap-guangzhou";
    endpoint = "${SIM_URL:-http://127.0.0.1:9}"; sign_name = "小雄镇人民政府"; callback_secret = "$SECRET";
    concurrency = 2; retries = { max = 5; base_ms = 10; max_ms = 100; };
    templates = {
      insurance = { id = "200001";
        text = "县政策性农业保险试点开始参保，保费有财政补贴。请于{1}前到村委会登记，咨询{2}。回复TD退订";
        params = [ "{{var.deadline}}", "{{var.contact}}" ]; };
    }; }
);
dispatcher = { batch = 1000; poll_ms = 100; };
http = { listen = "127.0.0.1:${HTTP_PORT:-0}"; };
CFG
}
write_cfg
check "duban init" "$DUBAN" init
start_duban || exit 1
start_sim --api tencent --templates "$T/templates" --sdk-app-id 1400000001 --dlr-fail-rate 0.2 \
	--push-retry-ms 200 --dlr-url "$API/callbacks/dlr/tencent/$SECRET" || exit 1
write_cfg
kill -HUP "$DPID"
wait_for 10 grep -q 'configuration reloaded' "$T/daemon.log" && ok "reloaded with the simulator" ||
	notok "reloaded with the simulator"
now=$(date +%s)
sql "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500)
     INSERT INTO person (name, phone, kind, created_at)
     SELECT '农户' || i, printf('+86137%08d', i), 'farmer', $now FROM n;
     UPDATE person SET phone = '+86010555' || id WHERE id = 123;"
check "a notice to 500 farmers" "$DUBAN" notice send --to kind:farmer --template insurance \
	--var deadline=12月20日 --var contact=村委会王主任 --yes
wait_for 30 is "count \"status in ('queued', 'sending')\"" 0 && ok "every row was sent or failed" ||
	notok "rows left: $(count "status in ('queued','sending')")"
curl -s "$SIM_URL/_sim/stats" >"$T/stats.json"
expect_eq "requests of 200 numbers at most, some of 200" "$(jq .max_batch "$T/stats.json")" 200
expect_eq "in three requests" "$(jq .requests "$T/stats.json")" 3
expect_eq "the bad number failed alone, with Tencent's code" \
	"$(sql "select count(*) from message where status = 'failed' and last_error like 'InvalidParameterValue.IncorrectPhoneNumber%'")|$(sql "select person from message where last_error like 'InvalidParameterValue%'")" "1|123"
expect_eq "every other row accepted once, its SerialNo its ref, its Fee billed" \
	"$(sql "select count(*) from message m join attempt a on a.message = m.id and a.result = 'accepted'
		where m.attempts = 1 and m.provider_ref != '' and a.billed = 1 and a.parts = 1")" 499
pushed() { [ "$(curl -s "$SIM_URL/_sim/stats" | jq '.dlr_sent + .push_given_up')" -ge 499 ]; }
wait_for 30 pushed && ok "every status was pushed" || notok "pushed: $(curl -s "$SIM_URL/_sim/stats")"
wait_for 10 is "count \"status = 'sent'\"" 0 && ok "no row is left 'sent'" || notok "sent: $(count "status = 'sent'")"
expect_eq "no push given up: each answered as Tencent expects" "$(curl -s "$SIM_URL/_sim/stats" | jq .push_given_up)" 0
expect_eq "delivered + failed by report = accepted" \
	"$(( $(count "status = 'delivered'") + $(count "status = 'failed' and last_error like 'delivery report:%'") ))" 499
answer=$(curl -s -X POST -H 'Content-Type: application/json' --data-binary '[]' "$API/callbacks/dlr/tencent/$SECRET")
expect_eq "the answer is Tencent's" "$answer" '{"result":0,"errmsg":"OK"}'
kill -TERM "$DPID"
wait "$DPID"
expect_eq "the daemon stops cleanly" "$?" 0
exit 0
