#!/bin/sh
# t_notice_people.sh - a notice names its people: the dry run lists every
# recipient (name, org, masked number) and everyone left out with why;
# --format csv lists all; after a real send through the simulator, which
# refuses some numbers for good, notice show --failed has their org and
# groups and the reason in the clerk's words beside the provider's, and
# resend --failed leaves the refused-for-good out unless --all; "sent" is
# the same number in notice list, notice show and report delivery.
. "${TOP:-.}/tests/integration/lib.sh"
setup
sed -i 's/^quiet_hours = .*/quiet_hours = { enabled = false; from = "21:00"; to = "08:00"; };/' "$DUBAN_CONFIG"
start_sim --reject '^\+86137' || exit 1
cat >>"$DUBAN_CONFIG" <<CFG
providers = ( { name = "sim"; type = "http"; url = "$SIM_URL/sms/send"; } );
CFG
check "init" "$DUBAN" init
cat >"$T/people.csv" <<'CSV'
姓名,手机,单位,类别,分组
陈阿土,13857600001,梅岙塘村,农户,农户-梅岙塘村
陈阿水,13757600002,梅岙塘村,农户,农户-梅岙塘村
陈阿木,13857600003,梅岙塘村,农户,农户-梅岙塘村
陈阿金,13857600004,梅岙塘村,农户,农户-梅岙塘村
CSV
check "import four farmers" "$DUBAN" person import "$T/people.csv"
check "one opts out" "$DUBAN" person optout 陈阿金

check "notice send --dry-run" "$DUBAN" notice send --to group:农户-梅岙塘村 --text "春耕补贴本周发放，请带身份证到村委会领取。" --dry-run
expect_grep "it names the recipients, masked" "陈阿土  梅岙塘村  138\*\*\*\*0001" "$T/last.out"
expect_grep "and the one left out, with why" "陈阿金  梅岙塘村  138\*\*\*\*0004  opted_out" "$T/last.out"
expect_eq "nothing queued" "$(sql 'SELECT count(*) FROM message')" 0
check "--format csv lists everyone" "$DUBAN" notice send --to group:农户-梅岙塘村 --text "春耕补贴本周发放，请带身份证到村委会领取。" --dry-run --format csv
expect_eq "four rows after the header" "$(sed 1d "$T/last.out" | wc -l)" 4
expect_grep "the left out marked so" "^陈阿金,梅岙塘村,138\*\*\*\*0004,left_out,opted_out," "$T/last.out"
LANG=zh_CN.UTF-8 "$DUBAN" notice send --to group:农户-梅岙塘村 --text "春耕补贴本周发放，请带身份证到村委会领取。" --dry-run >"$T/zh.out" 2>&1
expect_grep "in Chinese the reason is 已退订" "陈阿金  梅岙塘村  138\*\*\*\*0004  已退订" "$T/zh.out"

check "send it" "$DUBAN" notice send --to group:农户-梅岙塘村 --text "春耕补贴本周发放，请带身份证到村委会领取。" --yes
check "dispatch" "$DUBAN" dispatch --until-empty
expect_eq "the simulator refused 137... for good" \
	"$(sql "SELECT m.status||'/'||a.result FROM message m JOIN attempt a ON a.message=m.id WHERE m.phone='+8613757600002'")" \
	"failed/permanent"
check "notice show --failed" "$DUBAN" notice show N1 --failed --format csv
expect_grep "the failed one with org, groups and the full number" "^陈阿水,梅岙塘村,农户-梅岙塘村,+8613757600002," "$T/last.out"
LANG=zh_CN.UTF-8 "$DUBAN" notice show N1 --failed >"$T/zh.failed" 2>&1
expect_grep "the reason in Chinese beside the provider's" "陈阿水.*号码无效  *HTTP 400" "$T/zh.failed"

check "resend --failed" "$DUBAN" notice resend N1 --failed
expect_grep "leaves the refused-for-good out and says so" "0 failed messages queued again (1 refused for good" "$T/last.out"
expect_eq "nothing new queued" "$(sql "SELECT count(*) FROM message WHERE status='queued'")" 0
check "resend --failed --all" "$DUBAN" notice resend N1 --failed --all
expect_eq "--all queues it again" "$(sql "SELECT count(*) FROM message WHERE status='queued'")" 1
check "dispatch again" "$DUBAN" dispatch --until-empty

sql "UPDATE message SET status='delivered' WHERE phone='+8613857600001'"
list_sent=$("$DUBAN" notice list --format json | jq '.[0].sent')
show_sent=$("$DUBAN" notice show N1 --format json | jq '.[0].sent')
report_sent=$("$DUBAN" report delivery --format json | jq '[.[] | select(.kind == "notice")][0].sent')
expect_eq "notice list says sent 2 (one of them delivered since)" "$list_sent" 2
expect_eq "notice show says the same" "$show_sent" "$list_sent"
expect_eq "and report delivery too" "$report_sent" "$list_sent"

exit $FAILED
