#!/bin/sh
# t_cn_batch.sh - a 5,000-recipient notice through Alibaba Cloud (the
# simulator in aliyun mode) goes out in batches of up to `batch` numbers
# with one approved template and equal values; each recipient keeps its
# own row; two numbers that are no Chinese mobile make their batch refused
# (isv.MOBILE_NUMBER_ILLEGAL), and that batch goes again without them
# while those two fail with the provider's code; the simulator's SmsReport
# pushes (JSON arrays) are applied in one transaction each, so every row
# ends delivered or failed as the simulator reported; the same push twice
# changes nothing, and it is answered {"code":0,"msg":"接收成功"}; a reply
# pushed as an SmsUp array (TD) opts its sender out.
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
SECRET=cb-secret-0123456789
# The simulator pushes to duban's port, duban sends to the simulator's:
# duban first (on a port of the kernel's), then the simulator, then a reload.
write_cfg() {
	sed -i '/^# ---- providers/,$d' "$DUBAN_CONFIG"
	cat >>"$DUBAN_CONFIG" <<CFG
# ---- providers
providers = (
  { name = "aliyun"; type = "aliyun";
    access_key_id = "{{env.ALIYUN_ACCESS_KEY_ID}}"; access_key_secret = "{{env.ALIYUN_ACCESS_KEY_SECRET}}";
    endpoint = "${SIM_URL:-http://127.0.0.1:9}"; sign_name = "小雄镇人民政府"; callback_secret = "$SECRET";
    concurrency = 4; batch = 1000; retries = { max = 5; base_ms = 10; max_ms = 100; };
    templates = {
      insurance = { code = "SMS_200001";
        text = "县政策性农业保险试点开始参保，保费有财政补贴。请于\${deadline}前到村委会登记，咨询\${contact}。回复TD退订";
        params = { deadline = "{{var.deadline}}"; contact = "{{var.contact}}"; }; };
    }; }
);
dispatcher = { batch = 2000; poll_ms = 100; };
http = { listen = "127.0.0.1:${HTTP_PORT:-0}"; };
CFG
}
write_cfg
check "duban init" "$DUBAN" init
start_duban || exit 1
CB="$API/callbacks/dlr/aliyun/$SECRET"
start_sim --api aliyun --templates "$T/templates" --dlr-fail-rate 0.1 --push-batch 100 \
	--push-retry-ms 200 --dlr-url "$CB" --mo-url "$API/callbacks/mo/aliyun/$SECRET" || exit 1
write_cfg
kill -HUP "$DPID"
wait_for 10 grep -q 'configuration reloaded' "$T/daemon.log" && ok "reloaded with the simulator" ||
	notok "reloaded with the simulator"
now=$(date +%s)
sql "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
     INSERT INTO person (name, phone, kind, created_at)
     SELECT '农户' || i, printf('+86137%08d', i), 'farmer', $now FROM n;
     UPDATE person SET phone = '+86010555' || id WHERE id IN (1234, 3456);"
check "a notice to 5,000 farmers with an approved template" \
	"$DUBAN" notice send --to kind:farmer --template insurance --var deadline=12月20日 \
	--var contact=村委会王主任 --yes
expect_eq "5,000 rows queued, one each" "$(count "notice is not null and status = 'queued'")" 5000

wait_for 60 is "count \"status in ('queued', 'sending')\"" 0 &&
	ok "every row was sent or failed" || notok "rows left: $(count "status in ('queued','sending')")"
curl -s "$SIM_URL/_sim/stats" >"$T/stats.json"
expect_eq "the simulator saw requests of 1,000 numbers at most, and some of 1,000" \
	"$(jq .max_batch "$T/stats.json")" 1000
reqs=$(jq .requests "$T/stats.json")
[ "$reqs" -ge 5 ] && [ "$reqs" -le 12 ] && ok "in a handful of requests ($reqs), not 5,000" ||
	notok "5,000 numbers took $reqs requests"
expect_eq "it accepted 4,998 numbers" "$(jq .numbers_accepted "$T/stats.json")" 4998
expect_eq "the two numbers no Chinese mobile failed with the provider's code" \
	"$(sql "select count(*) from message m where m.person in (1234, 3456) and m.status = 'failed'
		and m.last_error like 'isv.MOBILE_NUMBER_ILLEGAL%'
		and exists (select 1 from attempt a where a.message = m.id and a.code = 'isv.MOBILE_NUMBER_ILLEGAL')")" 2
expect_eq "every other row was accepted once, with BizId:number as its ref" \
	"$(sql "select count(*) from message where attempts = 1 and provider_ref like '%^0:137%'
		and provider_ref = substr(provider_ref, 1, instr(provider_ref, ':')) || substr(phone, 4)")" 4998
expect_eq "each accepted attempt holds the text the phone showed and its parts" \
	"$(sql "select count(*) from attempt where result = 'accepted' and parts = 1 and text =
		'【小雄镇人民政府】县政策性农业保险试点开始参保，保费有财政补贴。请于12月20日前到村委会登记，咨询村委会王主任。回复TD退订'")" 4998

# Every report pushed: the rows end as the simulator said.
pushed() { [ "$(curl -s "$SIM_URL/_sim/stats" | jq '.dlr_sent + .push_given_up')" -ge 4998 ]; }
wait_for 60 pushed && ok "the simulator pushed every report" || notok "reports pushed: $(curl -s "$SIM_URL/_sim/stats")"
wait_for 10 is "count \"status = 'sent'\"" 0 && ok "no row is left 'sent'" || notok "sent: $(count "status = 'sent'")"
curl -s "$SIM_URL/_sim/stats" >"$T/stats2.json"
expect_eq "no push was given up (each answered as Aliyun expects)" "$(jq .push_given_up "$T/stats2.json")" 0
fails=$(count "status = 'failed' and last_error like 'delivery report:%'")
expect_eq "delivered + failed by report = what the simulator accepted" \
	"$(( $(count "status = 'delivered'") + fails ))" 4998
[ "$fails" -gt 250 ] && [ "$fails" -lt 750 ] && ok "about a tenth failed by report ($fails)" ||
	notok "$fails failed by report, with --dlr-fail-rate 0.1"
expect_eq "each report's sms_size is the accepted attempt's billed parts" \
	"$(sql "select count(*) from attempt where result = 'accepted' and billed = 1")" 4998
"$DUBAN" report delivery --format csv | tr -d '\r' | sed 's/^\xef\xbb\xbf//' >"$T/report.csv"
expect_grep "report delivery shows the parts billed per provider" "^notice,aliyun,5000,0,[0-9]*,[0-9]*,[0-9]*,0,0,[0-9]*,4998$" "$T/report.csv"

# The same push again (as a provider does when unsure) changes nothing.
sql "select json_group_array(json_object('phone_number', substr(phone, 4), 'biz_id',
	substr(provider_ref, 1, instr(provider_ref, ':') - 1), 'success', json('false'),
	'err_code', 'MN:0001', 'err_msg', '空号', 'sms_size', '2', 'out_id', '', 'send_time', '',
	'report_time', '')) from (select * from message where status = 'delivered' limit 3)" >"$T/again.json"
before=$(sql "select count(*) from dlr")
for i in 1 2; do
	curl -s -X POST -H 'Content-Type: application/json' --data-binary @"$T/again.json" \
		"$CB" >"$T/answer$i.json"
done
expect_eq "answered as Aliyun expects" "$(cat "$T/answer2.json")" '{"code":0,"msg":"接收成功"}'
expect_eq "the array was recorded once: 3 reports, not 6" "$(( $(sql "select count(*) from dlr") - before ))" 3
expect_eq "nor a report's second word its billed parts" \
	"$(sql "select count(*) from attempt where result = 'accepted' and billed = 1")" 4998
expect_eq "a late 'failed' does not undo 'delivered'" "$(count "status = 'delivered' and id in
	(select message from dlr where error like '%MN:0001%' and status = 'failed' and received_at >= $now)")" \
	"$(sql "select count(distinct message) from dlr where status = 'failed' and message in (select id from message where status = 'delivered')")"
printf '[{"phone_number":"13700000001","biz_id":"x","success":true}, 7]' >"$T/bad.json"
code=$(curl -s -o "$T/bad.out" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
	--data-binary @"$T/bad.json" "$CB")
expect_eq "an array with a bad element is refused whole (400)" "$code" 400
# A reply pushed as an SmsUp array of one: TD opts the farmer out, answered as Aliyun expects.
curl -s -X POST -H 'Content-Type: application/json' --data '{"from":"+8613700000007","text":"TD"}' \
	"$SIM_URL/_sim/mo" >"$T/mo.json"
expect_eq "the SmsUp push was accepted with Aliyun's answer" "$(jq -c '[.posted, .accepted]' "$T/mo.json")" '[true,true]'
expect_eq "and TD opted the farmer out" "$(sql "select opted_out_at is not null from person where id = 7")" 1
kill -TERM "$DPID"
wait "$DPID"
expect_eq "the daemon stops cleanly" "$?" 0
exit 0
