#!/bin/sh
# t_outbox_show.sh - seeing what an official was sent: messages go through
# the real simulator, then outbox show ID has the whole text with the
# signature, the parts, the provider, every attempt, the delivery report
# and the reply; outbox list filters by person, task, time and text and
# shows the text; person show lists the person's latest messages; task
# show and person show --format json hold the people, tasks and messages;
# numbers are masked unless --full.
. "${TOP:-.}/tests/integration/lib.sh"
setup
EX="$TOP/examples/xiaoxiong"
sed -i 's/^quiet_hours = .*/quiet_hours = { enabled = false; from = "21:00"; to = "08:00"; };/' "$DUBAN_CONFIG"
start_sim || exit 1
cat >>"$DUBAN_CONFIG" <<CFG
providers = ( { name = "sim"; type = "http"; url = "$SIM_URL/sms/send"; } );
CFG
check "init" "$DUBAN" init
check "import the example town" "$DUBAN" person import "$EX/people.csv"
check "and its tasks" "$DUBAN" task import "$EX/tasks.csv"

phone=$(sql "SELECT phone FROM person WHERE name='林志远'")
check "a message to 林志远" "$DUBAN" send "$phone" "林书记：梅岙塘农田改造工程12月31日到期，请督促。"
check "another to 王海斌" "$DUBAN" send "$(sql "SELECT phone FROM person WHERE name='王海斌'")" "王镇长：明天上午9点开会。"
check "dispatch sends them" "$DUBAN" dispatch --until-empty
id=$(sql "SELECT m.id FROM message m JOIN message_text x ON x.id = m.text_id WHERE x.body LIKE '林书记%'")
ref=$(sql "SELECT provider_ref FROM message WHERE id=$id")
now=$(date +%s)
sql "INSERT INTO dlr (provider, provider_ref, status, received_at, message) VALUES ('sim', '$ref', 'DELIVRD', $now, $id);
     INSERT INTO inbound (provider, provider_ref, phone, person, text, received_at, action, status)
     VALUES ('sim', 'mo-1', '$phone', (SELECT id FROM person WHERE name='林志远'), '收到', $now + 5, 'ack', 'handled');"

check "outbox show ID" "$DUBAN" outbox show "$id"
expect_grep "the whole text as the phone showed it" "^【小雄镇人民政府】林书记：梅岙塘农田改造工程12月31日到期，请督促。$" "$T/last.out"
expect_grep "the number masked" "林志远 139\*\*\*\*8911" "$T/last.out"
expect_grep "the parts and encoding" "parts: *1 (UCS-2)" "$T/last.out"
expect_grep "the provider and its reference" "provider: *sim $ref" "$T/last.out"
expect_grep "the attempt, accepted" "sim .*HTTP 200 *accepted" "$T/last.out"
expect_grep "the delivery report" "sim *DELIVRD" "$T/last.out"
expect_grep "the reply" "#[0-9]* *收到" "$T/last.out"
check "outbox show --full" "$DUBAN" outbox show "$id" --full
expect_grep "--full: the whole number" "林志远 $phone" "$T/last.out"
"$DUBAN" outbox show "$id" --format json >"$T/show.json"
expect_eq "json: every part" \
	"$(jq -r '[.id, .name, .phone, .status, .parts, .provider, (.attempts | length), .attempts[0].result, .reports[0].status, .replies[0].text] | map(tostring) | join("|")' "$T/show.json")" \
	"$id|林志远|139****8911|sent|1|sim|1|accepted|DELIVRD|收到"
expect_exit "outbox show of no message exits 2" 2 "$DUBAN" outbox show 99999

check "outbox list --person" "$DUBAN" outbox list --person 林志远 --format json
expect_eq "only his message, with its text" "$(jq -r '[.[] | .text] | join("/")' "$T/last.out")" \
	"林书记：梅岙塘农田改造工程12月31日到期，请督促。"
check "outbox list --text" "$DUBAN" outbox list --text 开会 --format json
expect_eq "the message holding the text" "$(jq -r '.[].name' "$T/last.out")" 王海斌
check "outbox list --from tomorrow" "$DUBAN" outbox list --from "$(TZ=Asia/Shanghai date -d tomorrow +%Y-%m-%d)" --format json
expect_eq "nothing queued from tomorrow" "$(jq length "$T/last.out")" 0
check "outbox list --to today" "$DUBAN" outbox list --to "$(TZ=Asia/Shanghai date +%Y-%m-%d)" --format json
expect_eq "both queued up to today" "$(jq length "$T/last.out")" 2
check "outbox list --limit 1" "$DUBAN" outbox list --limit 1 --format json
expect_eq "the newest one" "$(jq -r '.[0].name' "$T/last.out")" 王海斌
check "outbox list as a table" "$DUBAN" outbox list
expect_grep "the table has a text column, cut to fit" "林书记：梅岙塘.*…" "$T/last.out"

check "person show" "$DUBAN" person show 林志远
expect_grep "lists his latest messages" "#$id .*林书记：梅岙塘农田改造工程" "$T/last.out"
"$DUBAN" person show 林志远 --format json >"$T/p.json"
expect_eq "person show json: tasks and messages" \
	"$(jq -r '.[0] | [.name, (.tasks | map(.code) | sort | join(",")), (.messages | length)] | map(tostring) | join("|")' "$T/p.json")" \
	"林志远|$(sql "SELECT group_concat(code, ',') FROM (SELECT DISTINCT t.code FROM task t JOIN assignment a ON a.task=t.id JOIN person p ON p.id=a.person WHERE p.name='林志远' ORDER BY t.code)")|1"
"$DUBAN" task show T1 --format json >"$T/t.json"
expect_eq "task show json: its people with roles (the team's members too)" \
	"$(jq -r '.[0].people | map(select(.role != "member") | .role + ":" + .name) | sort | join(",")' "$T/t.json")" \
	"$(sql "SELECT group_concat(x, ',') FROM (SELECT a.role||':'||p.name AS x FROM assignment a JOIN person p ON p.id=a.person JOIN task t ON t.id=a.task WHERE t.code='T1' ORDER BY x)")"
expect_eq "the team's members as members" \
	"$(jq -r '[.[0].people[] | select(.role == "member")] | length' "$T/t.json")" \
	"$(sql "SELECT count(*) FROM member m JOIN task t ON t.team = m.grp WHERE t.code='T1'")"
expect_eq "and a messages array" "$(jq -r '.[0].messages | type' "$T/t.json")" array

exit $FAILED
