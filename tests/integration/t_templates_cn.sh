#!/bin/sh
# t_templates_cn.sh - Alibaba Cloud and Tencent Cloud carry only approved
# templates: config check refuses a binding with a missing or an extra
# value, to an unknown template, or with a value its template's kind has
# not, each at its line; free text is refused when only template providers
# exist, and nothing is queued; a value over max_param is refused when the
# message is queued, naming the task and the placeholder, and |max:N
# shortens it; template preview shows the text each provider's phones
# will show; the params stored for a notice with and without per-person
# values; and reminders through each backend reach the simulator (in its
# aliyun and tencent modes) with the approved text and the right values;
# the API refuses a text and queues a bound template; a reload with a bad
# binding is refused.
. "${TOP:-.}/tests/integration/lib.sh"
setup

export DUBAN_NOW="2008-12-24 09:00"
export ALIYUN_ACCESS_KEY_ID=LTAI5tTestKeyId ALIYUN_ACCESS_KEY_SECRET=test-aliyun-secret
export TENCENT_SECRET_ID=AKIDtestsecretid TENCENT_SECRET_KEY=test-tencent-key
export DUBAN_CB_SECRET=cb-secret-0123456789
d() { "$DUBAN" "$@"; }
base=$(cat "$DUBAN_CONFIG")

mkdir "$T/tpl"
cp "$TOP"/templates/*.txt "$T/tpl/"
printf '{{person.name}}您好：{{notice.title}}将于{{var.date}}在镇文化中心举办。\n' >"$T/tpl/training.txt"

# write_cfg ALIYUN_URL TENCENT_URL [ALIYUN_PARAMS] [TENCENT_PARAMS]: the two
# providers of the issue, with a reminder binding each and two notices;
# Tencent first when TC_FIRST is set.
write_cfg() {
	ali_params=${3:-'task = "{{task.title}}"; deadline = "{{task.deadline|md}}"; code = "{{task.code}}";'}
	tc_params=${4:-'"{{task.title|max:12}}", "{{task.deadline|md}}", "{{task.code}}"'}
	ali=$(cat <<CFG
  { name = "aliyun"; type = "aliyun";
    access_key_id = "{{env.ALIYUN_ACCESS_KEY_ID}}";
    access_key_secret = "{{env.ALIYUN_ACCESS_KEY_SECRET}}";
    endpoint = "$1";
    sign_name = "小雄镇人民政府";
    callback_secret = "{{env.DUBAN_CB_SECRET}}";
    templates = {
      reminder = { code = "SMS_100001";
                   text = "您牵头的“\${task}”将于\${deadline}到期，请抓紧办理。回复“完成\${code}”办结。";
                   params = { $ali_params }; };
      insurance = { code = "SMS_100002";
                    text = "请于\${deadline}前到村委会登记参保，咨询\${contact}。";
                    params = { deadline = "{{var.deadline}}"; contact = "{{var.contact}}"; }; };
    }; }
CFG
)
	tc=$(cat <<CFG
  { name = "tencent"; type = "tencent";
    secret_id = "{{env.TENCENT_SECRET_ID}}"; secret_key = "{{env.TENCENT_SECRET_KEY}}";
    sdk_app_id = "1400000001"; region = "ap-guangzhou";
    endpoint = "$2";
    sign_name = "小雄镇人民政府";
    callback_secret = "{{env.DUBAN_CB_SECRET}}";
    templates = {
      reminder = { id = "100001"; text = "您牵头的“{1}”将于{2}到期，请抓紧办理。回复“完成{3}”办结。";
                   params = [ $tc_params ]; };
      training = { id = "100003"; text = "{1}您好：技能培训将于{2}举办。";
                   params = [ "{{person.name}}", "{{var.date}}" ]; };
    }; }
CFG
)
	printf '%s\n' "$base" | sed "s|^templates_dir = .*|templates_dir = \"$T/tpl\";|" >"$DUBAN_CONFIG"
	if [ -n "${TC_FIRST:-}" ]; then
		printf 'providers = (\n%s,\n%s\n);\n' "$tc" "$ali" >>"$DUBAN_CONFIG"
	else
		printf 'providers = (\n%s,\n%s\n);\n' "$ali" "$tc" >>"$DUBAN_CONFIG"
	fi
}
# line_of PATTERN: the line of the configuration holding PATTERN
line_of() { grep -n -- "$1" "$DUBAN_CONFIG" | head -1 | cut -d: -f1; }

# ---- config check ------------------------------------------------------------------

write_cfg http://127.0.0.1:9/ http://127.0.0.1:9/
check "the issue's configuration is valid" d config check

write_cfg http://127.0.0.1:9/ http://127.0.0.1:9/ 'task = "{{task.title}}"; deadline = "{{task.deadline|md}}";'
expect_exit "a placeholder without a value is refused" 1 d config check
expect_grep "  at the approved text's line, naming the placeholder" \
	"duban.cfg:$(line_of 'text = "您牵头的“${task}'):.*\${code} has no value" "$T/last.err"

write_cfg http://127.0.0.1:9/ http://127.0.0.1:9/ \
	'task = "{{task.title}}"; deadline = "{{task.deadline|md}}"; code = "{{task.code}}"; extra = "{{task.lead}}";'
expect_exit "a value without a placeholder is refused" 1 d config check
expect_grep "  naming it at its line" "duban.cfg:$(line_of 'extra = '):.*extra" "$T/last.err"

write_cfg http://127.0.0.1:9/ http://127.0.0.1:9/
sed -i 's/reminder = { code = "SMS_100001"/remindr = { code = "SMS_100001"/' "$DUBAN_CONFIG"
expect_exit "a binding to a template that does not exist is refused" 1 d config check
expect_grep "  at its line" \
	"duban.cfg:$(line_of 'remindr = '): provider aliyun: template \"remindr\" is bound, but there is no $T/tpl/remindr.txt" \
	"$T/last.err"

write_cfg http://127.0.0.1:9/ http://127.0.0.1:9/ \
	'task = "{{task.title}}"; deadline = "{{var.deadline}}"; code = "{{task.code}}";'
expect_exit "a value a reminder has not is refused" 1 d config check
expect_grep "  at the value's line, saying what a reminder has" \
	"duban.cfg:$(line_of 'deadline = "{{var.deadline}}"; code'): provider aliyun: template reminder: value of deadline uses {{var.deadline}}, which a message of template \"reminder\" does not have (it is a task's reminder: task.\*, person.\*, now, signature)" \
	"$T/last.err"
expect_exit "  and any other command refuses to run on it" 1 d outbox list

# ---- routing: free text has no way out ------------------------------------------------

write_cfg http://127.0.0.1:9/ http://127.0.0.1:9/
d init >/dev/null
d person add --name 郑秀兰 --phone 17768096319 --title 纪委书记 --org 小雄镇 --kind official >/dev/null
d person add --name 陈宝根 --phone 15068766188 --org 小雄村 --kind farmer --group 农户-小雄村 >/dev/null
d person add --name 张阿满 --phone 13957601140 --org 小雄村 --kind farmer --group 农户-小雄村 >/dev/null

expect_exit "duban send with a free text is refused" 2 d send 13800138000 "明天上午9点开会"
expect_grep "  saying why" "a free text cannot be sent: every configured provider (aliyun, tencent) takes only approved templates" "$T/last.err"
printf '13800138000\t明天上午9点开会\n' >"$T/list.tsv"
expect_exit "duban send --from-file is refused" 2 d send --from-file "$T/list.tsv"
expect_grep "  saying why" "list.tsv: nothing queued: a free text cannot be sent" "$T/last.err"
expect_exit "a notice with --text is refused" 2 d notice send --to group:农户-小雄村 --text "春耕补贴申报截止3月底。"
expect_grep "  saying why" "a free text cannot be sent" "$T/last.err"
expect_exit "a template no provider binds is refused" 2 \
	d notice send --to group:农户-小雄村 --template due_today
expect_eq "nothing was queued, no notice written" "$(sql 'SELECT (SELECT count(*) FROM message) + (SELECT count(*) FROM notice)')" 0

# ---- values when queued ------------------------------------------------------------------

d task add --title 梅岙塘农田改造工程 --deadline 2008-12-31 --lead 郑秀兰 >/dev/null
d task add --title "小雄镇梅岙塘村二〇〇八年度高标准农田改造暨水利设施配套建设工程第一期项目建设（续）" \
	--deadline 2008-12-31 --lead 郑秀兰 >/dev/null
expect_exit "duban tick queues T1's reminder and says one failed" 1 d tick
expect_eq "the reminder of T1 is queued" "$(sql "SELECT m.status FROM message m JOIN task t ON t.id = m.task WHERE t.code = 'T1'")" queued
expect_eq "  with both providers' values, canonical" \
	"$(sql "SELECT x.params FROM message m JOIN message_text x ON x.id = m.text_id JOIN task t ON t.id = m.task WHERE t.code = 'T1'")" \
	'{"aliyun":["梅岙塘农田改造工程","12月31日","T1"],"tencent":["梅岙塘农田改造工程","12月31日","T1"]}'
expect_eq "  and Aliyun's approved text as its body, one part" \
	"$(sql "SELECT x.body || '|' || parts FROM message m JOIN message_text x ON x.id = m.text_id
		JOIN task t ON t.id = m.task WHERE t.code = 'T1'")" \
	'您牵头的“梅岙塘农田改造工程”将于12月31日到期，请抓紧办理。回复“完成T1”办结。|1'
expect_eq "the reminder of T2 (a 41-character title) is failed, never cut" \
	"$(sql "SELECT m.status FROM message m JOIN task t ON t.id = m.task WHERE t.code = 'T2'")" failed
expect_eq "  naming the task and the placeholder, and how to shorten it" \
	"$(sql "SELECT last_error FROM message m JOIN task t ON t.id = m.task WHERE t.code = 'T2'")" \
	'task T2: template reminder: the value of task is 41 characters, over the limit of provider aliyun (35, max_param); shorten it with {{task.title|max:35}}'

# ---- template preview ---------------------------------------------------------------------

d template preview reminder --task T1 >"$T/preview.out" 2>"$T/last.err"
expect_eq "template preview succeeds" $? 0
expect_grep "  Aliyun: its approved template" "^aliyun (aliyun, approved template SMS_100001):" "$T/preview.out"
expect_grep "  the text its phones show" "^【小雄镇人民政府】您牵头的“梅岙塘农田改造工程”将于12月31日到期，请抓紧办理。回复“完成T1”办结。$" "$T/preview.out"
expect_grep "  with its parts" "^52 characters with the signature, UCS-2, 52 units, 1 part$" "$T/preview.out"
expect_grep "  Tencent too" "^tencent (tencent, approved template 100001):" "$T/preview.out"
d template preview reminder --task T2 >"$T/preview2.out" 2>"$T/last.err"
expect_eq "a preview exits 0 when one provider can carry it" $? 0
expect_grep "  and says why Aliyun cannot" "cannot carry it: this preview: template reminder: the value of task is 41 characters" "$T/preview2.out"
expect_grep "  while Tencent shortens it with |max:12" "^【小雄镇人民政府】您牵头的“小雄镇梅岙塘村二〇〇八…”将于" "$T/preview2.out"
d template preview due_today --task T1 >"$T/preview3.out"
expect_eq "a template no provider can carry: preview exits 1" $? 1
expect_grep "  each provider says why" "cannot carry it: template \"due_today\"" "$T/preview3.out"

d --format json template list >"$T/list.json"
check "template list names the providers able to carry each template" jq -e '
	(map(select(.name == "reminder"))[0] | .uses == "reminders" and .providers == "aliyun,tencent") and
	(map(select(.name == "training"))[0] | .uses == "notices" and .providers == "tencent") and
	(map(select(.name == "due_today"))[0] | .providers == "")' "$T/list.json"

# ---- notices: shared values, per-person values ----------------------------------------------------

d notice send --to group:农户-小雄村 --template insurance --var deadline=12月20日 --var contact=李明 \
	--dry-run >"$T/dry.out"
expect_grep "a notice's dry run shows the first provider's approved text" \
	"^【小雄镇人民政府】请于12月20日前到村委会登记参保，咨询李明。$" "$T/dry.out"
check "a notice whose values are shared" d notice send --to group:农户-小雄村 --template insurance \
	--var deadline=12月20日 --var contact=李明
expect_eq "  every row has the same params string" \
	"$(sql "SELECT count(*) || '/' || count(DISTINCT params) || '/' || min(params) FROM message m
		JOIN message_text x ON x.id = m.text_id WHERE kind = 'notice'")" \
	'2/1/{"aliyun":["12月20日","李明"]}'
check "a notice whose values are per person" d notice send --to group:农户-小雄村 --template training \
	--title 技能培训 --var date=12月15日
expect_eq "  each row its person's values" \
	"$(sql "SELECT group_concat(params, ' ') FROM (SELECT x.params FROM message m
		JOIN message_text x ON x.id = m.text_id WHERE notice = 2 ORDER BY person)")" \
	'{"tencent":["陈宝根","12月15日"]} {"tencent":["张阿满","12月15日"]}'
expect_exit "a notice with a value over the limit is refused" 2 d notice send --to group:农户-小雄村 \
	--template insurance --title 参保 --var deadline=12月20日 \
	--var contact=小雄镇农业综合服务中心政策性农业保险试点工作领导小组办公室李明同志（代办）
expect_grep "  naming the notice and the placeholder" \
	'notice "参保": template insurance: the value of contact is 37 characters, over the limit of provider aliyun (35, max_param)' \
	"$T/last.err"
expect_eq "  and nothing of it is queued" "$(sql 'SELECT count(*) FROM notice')" 2

# ---- through the simulators: the approved text and the values arrive ---------------------------

cat >"$T/approved.txt" <<'TPL'
sign 小雄镇人民政府
template SMS_100001 您牵头的“${task}”将于${deadline}到期，请抓紧办理。回复“完成${code}”办结。
template SMS_100002 请于${deadline}前到村委会登记参保，咨询${contact}。
template 100001 您牵头的“{1}”将于{2}到期，请抓紧办理。回复“完成{3}”办结。
template 100003 {1}您好：技能培训将于{2}举办。
TPL
start_sim --api aliyun --templates "$T/approved.txt" || exit 1
ALI_URL=$SIM_URL
ALI_REC="$T/sim.jsonl"
mv "$T/sim.port" "$T/ali.port"
"$SIM" --listen 127.0.0.1:0 --port-file "$T/tc.port" --record "$T/tc.jsonl" --quiet \
	--api tencent --templates "$T/approved.txt" --sdk-app-id 1400000001 2>>"$T/sim.log" &
PIDS="$PIDS $!"
wait_for 10 test -s "$T/tc.port" || notok "the Tencent simulator started"
TC_URL="http://127.0.0.1:$(cat "$T/tc.port")"

write_cfg "$ALI_URL" "$TC_URL"
check "duban dispatch sends what is queued" d dispatch --until-empty
ali_got() { jq -e -s "$1" "$ALI_REC" >/dev/null 2>&1; }
tc_got() { jq -e -s "$1" "$T/tc.jsonl" >/dev/null 2>&1; }
if ali_got 'map(select(.template == "SMS_100001"))[0] |
	.text == "【小雄镇人民政府】您牵头的“梅岙塘农田改造工程”将于12月31日到期，请抓紧办理。回复“完成T1”办结。"
	and .params == {"task": "梅岙塘农田改造工程", "deadline": "12月31日", "code": "T1"}
	and .sign == "小雄镇人民政府" and (.to | tostring | test("17768096319"))'; then
	ok "T1's reminder reached Aliyun with the approved template, the right values and text"
else
	notok "T1's reminder reached Aliyun with the approved template, the right values and text"
	sed 's/^/#   /' "$ALI_REC" | head -5
fi
expect_eq "  and the row is sent through aliyun" \
	"$(sql "SELECT m.status || ' ' || m.provider FROM message m JOIN task t ON t.id = m.task WHERE t.code = 'T1'")" \
	"sent aliyun"
if ali_got '[.[] | select(.template == "SMS_100002")] | length >= 1 and
	all(.text == "【小雄镇人民政府】请于12月20日前到村委会登记参保，咨询李明。")'; then
	ok "the shared notice reached Aliyun as its approved template"
else
	notok "the shared notice reached Aliyun as its approved template"; sed 's/^/#   /' "$ALI_REC" | head -5
fi
if ali_got '[.[] | select(.template == "SMS_100002") | .n] | length == 2 and (unique | length) == 1'; then
	ok "  both recipients in one request: equal params, one batch"
else
	notok "  both recipients in one request: equal params, one batch"; sed 's/^/#   /' "$ALI_REC" | head -5
fi
if tc_got '[.[] | select(.template == "100003") | .text] | sort ==
	["【小雄镇人民政府】张阿满您好：技能培训将于12月15日举办。", "【小雄镇人民政府】陈宝根您好：技能培训将于12月15日举办。"]'; then
	ok "the per-person notice reached Tencent, each with its own name"
else
	notok "the per-person notice reached Tencent, each with its own name"; sed 's/^/#   /' "$T/tc.jsonl" | head -5
fi

# Tencent first: a new reminder goes there, its title shortened by |max:12.
TC_FIRST=1 write_cfg "$ALI_URL" "$TC_URL"
d task add --title 庙峙村至山场村道路硬化及桥梁加固工程 --deadline 2008-12-31 --lead 郑秀兰 >/dev/null
check "duban tick queues T3's reminder" d tick
check "duban dispatch sends it" d dispatch --until-empty
if tc_got 'map(select(.template == "100001"))[0] |
	.text == "【小雄镇人民政府】您牵头的“庙峙村至山场村道路硬化…”将于12月31日到期，请抓紧办理。回复“完成T3”办结。"
	and .params == ["庙峙村至山场村道路硬化…", "12月31日", "T3"]'; then
	ok "T3's reminder reached Tencent with the approved template and the right values"
else
	notok "T3's reminder reached Tencent with the approved template and the right values"
	sed 's/^/#   /' "$T/tc.jsonl" | head -5
fi
expect_eq "  and the row is sent through tencent, with Tencent's text as its body" \
	"$(sql "SELECT m.status || ' ' || m.provider || ' ' || x.body FROM message m
		JOIN message_text x ON x.id = m.text_id JOIN task t ON t.id = m.task WHERE t.code = 'T3'")" \
	"sent tencent 您牵头的“庙峙村至山场村道路硬化…”将于12月31日到期，请抓紧办理。回复“完成T3”办结。"

# ---- the API: a text is refused, a template goes ---------------------------------------

d token new oa >"$T/oa.out"
TOKEN=$(sed -n 3p "$T/oa.out" | tr -d ' ')
OA_LINE=$(grep 'sha256 =' "$T/oa.out" | sed 's/^ *//')
sed -i 's/^log = .*/log = { level = "info"; };/' "$DUBAN_CONFIG"
printf 'http = { listen = "127.0.0.1:0"; tokens = ( %s ); };\n' "$OA_LINE" >>"$DUBAN_CONFIG"
start_duban || exit 1
post() { curl -s -o "$T/resp" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$API$1" -d "$2"; }
expect_eq "POST /v1/messages with a text is refused" \
	"$(post /v1/messages '{"to": "15068766188", "text": "请于今天下班前报送材料"}')" 400
check "  naming the field text, and why" \
	jq -e '.field == "text" and (.error | test("a free text cannot be sent"))' "$T/resp"
expect_eq "POST /v1/notices with a text is refused" \
	"$(post /v1/notices '{"audience": ["group:农户-小雄村"], "text": "春耕补贴申报截止3月底。"}')" 400
expect_eq "POST /v1/messages with a bound template is queued" \
	"$(post /v1/messages '{"to": "15068766188", "template": "insurance", "vars": {"deadline": "3月31日", "contact": "李明"}}')" 201
id=$(jq -r .id "$T/resp")
expect_eq "  with its params" "$(sql "SELECT x.params FROM message m JOIN message_text x ON x.id = m.text_id WHERE m.id = $id")" \
	'{"aliyun":["3月31日","李明"]}'

# ---- a reload with a bad binding is refused ----------------------------------------------------

cp "$DUBAN_CONFIG" "$T/good.cfg"
sed -i 's/deadline = "{{var.deadline}}"; contact/deadline = "{{task.deadline|md}}"; contact/' "$DUBAN_CONFIG"
kill -HUP "$DPID"
wait_for 10 grep -q "configuration not reloaded" "$T/daemon.log" &&
	ok "SIGHUP with a binding its template cannot fill: not reloaded" ||
	notok "SIGHUP with a binding its template cannot fill: not reloaded"
expect_grep "  the log names the value at its line" \
	"SIGHUP: .*duban.cfg:[0-9]*: provider aliyun: template insurance: value of deadline uses {{task.deadline}}" \
	"$T/daemon.log"
expect_eq "  and the API still queues through the previous configuration" \
	"$(post /v1/messages '{"to": "13957601140", "template": "insurance", "vars": {"deadline": "3月31日", "contact": "李明"}}')" 201

exit $FAILED
