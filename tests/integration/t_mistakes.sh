#!/bin/sh
# t_mistakes.sh - mistakes caught before they go out: {{...}} in a free
# text is refused (use --template); a free-text notice to farmers ends with
# notices.optout_footer, counted in its parts, but not one to officials
# and not twice; an argument that is not UTF-8 (a GBK terminal) is refused
# naming the option, and nothing is stored; outbox retry of yesterday's
# reminder is refused instead of sending a count of days that is no longer
# true.
. "${TOP:-.}/tests/integration/lib.sh"
setup
EX="$TOP/examples/xiaoxiong"
check "init" "$DUBAN" init
check "import the example town" "$DUBAN" person import "$EX/people.csv"
check "and its tasks" "$DUBAN" task import "$EX/tasks.csv"

expect_exit "a free text with {{person.name}} is refused" 2 \
	"$DUBAN" notice send --to kind:farmer --text "{{person.name}}您好，请领取补贴。" --dry-run
expect_grep "naming the braces and what to use" "{{person.name}}.*--template" "$T/last.err"

check "a free text to farmers" "$DUBAN" notice send --to kind:farmer --text "春耕补贴本周发放。" --dry-run
expect_grep "ends with the opt-out line" "^【小雄镇人民政府】春耕补贴本周发放。回复TD退订$" "$T/last.out"
expect_grep "counted in its length" "(24 characters" "$T/last.out"
check "a free text to officials" "$DUBAN" notice send --to kind:official --text "明天上午9点开会。" --dry-run
expect_grep "has no opt-out line" "^【小雄镇人民政府】明天上午9点开会。$" "$T/last.out"
check "a text that says it already" "$DUBAN" notice send --to kind:farmer --text "春耕补贴本周发放。退订回T" --dry-run
expect_grep "gets no second one" "^【小雄镇人民政府】春耕补贴本周发放。退订回T$" "$T/last.out"
sed 's/^log = .*/&\nnotices = { optout_footer = "（回复TD不再接收）"; };/' "$DUBAN_CONFIG" >"$T/footer.cfg"
check "notices.optout_footer sets the line" "$DUBAN" -c "$T/footer.cfg" notice send --to kind:farmer --text "春耕补贴本周发放。" --dry-run
expect_grep "  that line is used" "^【小雄镇人民政府】春耕补贴本周发放。（回复TD不再接收）$" "$T/last.out"
check "the queued notice has it too" "$DUBAN" notice send --to kind:farmer --text "春耕补贴本周发放。" --yes
expect_eq "every message ends with it" \
	"$(sql "SELECT count(*) FROM message m JOIN message_text x ON x.id = m.text_id WHERE kind='notice' AND x.body NOT LIKE '%回复TD退订'")" 0

gbk=$(printf '\300\356\303\367') # 李明 in GBK
expect_exit "a GBK name is refused" 2 "$DUBAN" person add --name "$gbk" --phone 13800138000
expect_grep "naming the option" "value of --name is not valid UTF-8" "$T/last.err"
expect_exit "--name=VALUE too" 2 "$DUBAN" person add "--name=$gbk" --phone 13800138000
expect_grep "  naming it" "value of --name is not valid UTF-8" "$T/last.err"
expect_eq "nothing stored" "$(sql "SELECT count(*) FROM person WHERE phone='+8613800138000'")" 0
check "person list --format json still prints" "$DUBAN" person list --format json
expect_eq "  every person" "$(jq length "$T/last.out")" "$(sql 'SELECT count(*) FROM person')"

# A reminder queued yesterday that failed: sent today it would count days wrong.
DUBAN_NOW="2008-12-28 09:00" "$DUBAN" tick >/dev/null 2>&1
rid=$(sql "SELECT id FROM message WHERE kind='reminder' ORDER BY id LIMIT 1")
expect_eq "the scheduler queued a reminder" "$([ -n "$rid" ] && echo yes)" yes
sql "UPDATE message SET status='failed', final_at=created_at WHERE id=$rid"
expect_exit "retrying it the next day is refused" 2 env DUBAN_NOW="2008-12-29 10:00" "$DUBAN" outbox retry "$rid"
expect_grep "saying why and what to do" "duban tick" "$T/last.err"
expect_eq "it stays failed" "$(sql "SELECT status FROM message WHERE id=$rid")" failed
check "the same day it is queued again" env DUBAN_NOW="2008-12-28 11:00" "$DUBAN" outbox retry "$rid"
expect_eq "queued" "$(sql "SELECT status FROM message WHERE id=$rid")" queued

exit $FAILED
