#!/bin/sh
# t_cn_limits.sh - per-number limits.  The provider's (the simulator's
# per-number daily cap: isv.BUSINESS_LIMIT_CONTROL) holds a message instead
# of failing it: it waits, queued, until the window has passed, with no
# retry burned and the reason in `duban outbox list`.  duban's own
# (`limits = { per_number_hour; }`) holds a row before it costs a refused
# request, and a more urgent kind takes a number's last slot before a
# notice queued earlier.
. "$TOP/tests/integration/lib.sh"
setup
sed -i 's/^quiet_hours = .*/quiet_hours = { enabled = false; from = "21:00"; to = "08:00"; };/' "$DUBAN_CONFIG"
count() { sql "select count(*) from message where $1"; }

cat >"$T/templates" <<'EOF2'
sign 小雄镇人民政府
template SMS_200001 县政策性农业保险试点开始参保，保费有财政补贴。请于${deadline}前到村委会登记，咨询${contact}。回复TD退订
EOF2
ALIYUN_ACCESS_KEY_ID=LTAI5tSimKeyId ALIYUN_ACCESS_KEY_SECRET=SimKeySecret0123456789
export ALIYUN_ACCESS_KEY_ID ALIYUN_ACCESS_KEY_SECRET
start_sim --api aliyun --templates "$T/templates" --per-number-day 2 || exit 1
"$SIM" --listen 127.0.0.1:0 --port-file "$T/simb.port" --record "$T/simb.jsonl" --quiet 2>>"$T/simb.log" &
PIDS="$PIDS $!"
wait_for 10 test -s "$T/simb.port" || notok "second simulator started"
B_URL="http://127.0.0.1:$(cat "$T/simb.port")"

cat >>"$DUBAN_CONFIG" <<CFG
providers = (
  { name = "aliyun"; type = "aliyun";
    access_key_id = "{{env.ALIYUN_ACCESS_KEY_ID}}"; access_key_secret = "{{env.ALIYUN_ACCESS_KEY_SECRET}}";
    endpoint = "$SIM_URL"; sign_name = "小雄镇人民政府";
    batch = 1;
    templates = {
      insurance = { code = "SMS_200001";
        text = "县政策性农业保险试点开始参保，保费有财政补贴。请于\${deadline}前到村委会登记，咨询\${contact}。回复TD退订";
        params = { deadline = "{{var.deadline}}"; contact = "{{var.contact}}"; }; };
    }; },
  { name = "b"; type = "http"; url = "$B_URL/sms/send"; }
);
limits = { per_number_hour = 3; per_number_day = 10; };
CFG
check "duban init" "$DUBAN" init
now=$(date +%s)
sql "INSERT INTO person (name, phone, kind, created_at) VALUES
     ('王一', '+8613700000001', 'farmer', $now), ('王二', '+8613700000002', 'farmer', $now),
     ('王三', '+8613700000003', 'farmer', $now), ('王四', '+8613700000004', 'farmer', $now);"
notice() {
	"$DUBAN" notice send --to "person:$1" --template insurance --var deadline="$2" \
		--var contact=村委会 --yes >/dev/null
}

# ---- the provider's cap ----------------------------------------------------------------------
for k in 1 2 3; do
	notice '#1' "12月${k}日"
	"$DUBAN" dispatch --until-empty 2>>"$T/dispatch.log"
done
expect_eq "two notices to 王一 sent, the third waits" \
	"$(sql "select group_concat(status, ',') from (select status from message where person = 1 order by id)")" \
	"sent,sent,queued"
id=$(sql "select id from message where person = 1 and status = 'queued'")
expect_eq "no retry burned: attempts 0" "$(sql "select attempts from message where id = $id")" 0
expect_eq "its attempt is 'limited' with the provider's code" \
	"$(sql "select result, code from attempt where message = $id")" "limited|isv.BUSINESS_LIMIT_CONTROL"
later=$(sql "select not_before - $(date +%s) > 600 from message where id = $id")
expect_eq "it waits for the provider's day window (not a hot retry)" "$later" 1
"$DUBAN" outbox list --format csv | tr -d '\r' >"$T/outbox.csv"
expect_grep "outbox list says why it waits" "waiting: aliyun limits this number (isv.BUSINESS_LIMIT_CONTROL)" "$T/outbox.csv"
expect_eq "the simulator accepted two for 王一" \
	"$(jq -s '[.[] | select(.to == "13700000001" and .outcome == "accepted")] | length' "$T/sim.jsonl")" 2
# Two more at once: the first is refused, the second waits without a request.
notice '#1' "12月4日"
notice '#1' "12月5日"
"$DUBAN" dispatch --until-empty 2>>"$T/dispatch.log"
expect_eq "both wait" "$(count "person = 1 and status = 'queued'")" 3
wait_for 5 test "$(jq -s '[.[] | select(.to == "13700000001")] | length' "$T/sim.jsonl")" = 4 &&
	ok "but only the first asked the provider" ||
	notok "the simulator saw $(jq -s '[.[] | select(.to == "13700000001")] | length' "$T/sim.jsonl") requests for 王一"
expect_eq "the second has no attempt" \
	"$(sql "select count(*) from attempt where message = (select max(id) from message where person = 1)")" 0

# ---- duban's own limit: 3 an hour ---------------------------------------------------------------
for k in 1 2 3 4; do
	printf '+8613700000002\t第%d条\n' "$k"
done >"$T/four.tsv"
check "four messages to 王二" "$DUBAN" send --from-file "$T/four.tsv"
check "dispatch" "$DUBAN" dispatch --until-empty
expect_eq "three sent, the fourth held" \
	"$(sql "select group_concat(status, ',') from (select status from message where phone = '+8613700000002' order by id)")" \
	"sent,sent,sent,queued"
held=$(sql "select id from message where phone = '+8613700000002' and status = 'queued'")
expect_eq "held before any request: no attempt, attempts 0" \
	"$(sql "select attempts, (select count(*) from attempt where message = $held) from message where id = $held")" "0|0"
expect_eq "the provider never saw it" \
	"$(jq -s '[.[] | select(.to == "+8613700000002")] | length' "$T/simb.jsonl")" 3
# (leased with the three, it looks again in a minute: they had no sent_at yet)
expect_eq "it waits, at most until the first send is an hour old" \
	"$(sql "select not_before > $(date +%s) and not_before <= (select min(sent_at) from message where phone = '+8613700000002') + 3601 from message where id = $held")" 1
"$DUBAN" outbox list --format csv | tr -d '\r' >"$T/outbox2.csv"
expect_grep "outbox list says why" "waiting: this number had its limit of messages in the last hour (per_number_hour)" "$T/outbox2.csv"

# ---- a reminder-like message before a notice at a number's last slot ----------------------------
printf '+8613700000003\t一\n+8613700000003\t二\n' >"$T/two.tsv"
check "two messages to 王三" "$DUBAN" send --from-file "$T/two.tsv"
check "dispatch" "$DUBAN" dispatch --until-empty
notice '#3' "12月9日"
check "then a message of a more urgent kind" "$DUBAN" send 13700000003 "紧急：明早八点开会"
check "dispatch" "$DUBAN" dispatch --until-empty
expect_eq "the urgent kind took 王三's last slot, the notice queued before it waits" \
	"$(sql "select kind || ':' || status from message where phone = '+8613700000003' and id > (select max(id) - 2 from message) order by id")" \
	"$(printf 'notice:queued\nmanual:sent')"

# ---- a provider's own limits (its `limits` group) ------------------------------------------------
sed -i 's/endpoint = "\([^"]*\)"; sign_name = "小雄镇人民政府";/&\n    limits = { per_number_day = 1; };/' "$DUBAN_CONFIG"
expect_grep "aliyun now has limits of its own" "per_number_day = 1" "$DUBAN_CONFIG"
for k in 1 2; do
	notice '#4' "12月1${k}日"
	"$DUBAN" dispatch --until-empty 2>>"$T/dispatch.log"
done
expect_eq "王四: one notice a day through aliyun, the second held by aliyun's own limit" \
	"$(sql "select group_concat(status || ':' || coalesce(wait_reason, ''), ',') from (select status, wait_reason from message where person = 4 order by id)")" \
	"sent:,queued:waiting: this number had its limit of messages in the last day (per_number_day)"
exit 0
