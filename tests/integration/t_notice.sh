#!/bin/sh
# t_notice.sh - policy notices through the real binary on a fresh database:
# the audience as a union of selectors (each person once, opted-out people
# left out and counted), a dry run that changes nothing, templates whose
# every variable must be given, a text per recipient, a notice scheduled
# with --at, the confirmation before a large send, cancel and resend,
# approval (required, recorded, never by the creator), opt-outs that do not
# block reminders, and --help.
#
# Send results (sent, delivered, failed) need a dispatcher and a provider;
# they are covered by the dispatcher's tests, so here they are set with
# sqlite3 UPDATEs on the message rows, as a dispatcher would leave them.
. "${TOP:-.}/tests/integration/lib.sh"
setup

# Templates: the shipped ones plus one that names each recipient.
mkdir "$T/tpl"
cp "$TOP"/templates/*.txt "$T/tpl/"
printf '{{person.name}}您好：{{notice.title}}将于{{var.date}}在镇文化中心举办，请准时参加。\n' \
	>"$T/tpl/training.txt"
sed -i "s|^templates_dir = .*|templates_dir = \"$T/tpl\";|" "$DUBAN_CONFIG"

export DUBAN_NOW="2008-12-10 09:00"
d() { "$DUBAN" "$@"; }
dump_hash() { sqlite3 "$T/duban.db" .dump | sha256sum | cut -d' ' -f1; }
# field NAME FILE: the value after "NAME:" in a dry run's output
field() { sed -n "s/^$1: *//p" "$2"; }

d init >/dev/null
d person add --name 郑秀兰 --phone 17768096319 --title 纪委书记 --org 小雄镇 --kind official >/dev/null
d person add --name 林志远 --phone 13957608911 --title 党委书记 --org 小雄镇 --kind official >/dev/null
d person add --name 陈宝根 --phone 15068766188 --org 小雄村 --kind farmer --group 农户-小雄村 >/dev/null
d person add --name 林阿昌 --phone 13957608929 --org 小雄村 --kind farmer --group 农户-小雄村 >/dev/null
d person add --name 陈彩芬 --phone 18657696481 --org 小雄村 --kind farmer --group 农户-小雄村 \
	--group 农户-庙峙村 >/dev/null
d person add --name 张阿满 --phone 13957601140 --org 庙峙村 --kind farmer --group 农户-庙峙村 >/dev/null
d person add --name 王素琴 --phone 13957603333 --org 庙峙村 --kind farmer --group 农户-庙峙村 >/dev/null
d person add --name 徐美娟 --phone 13857600001 --org 山场村 --kind farmer >/dev/null
d person add --name 叶建国 --phone 13857600002 --org 亚达科技 --kind enterprise >/dev/null
d group add 空组 >/dev/null
check "林阿昌 opts out" d person optout 林阿昌

# ---- the audience ---------------------------------------------------------------

d notice send --to group:农户-小雄村 --to group:农户-庙峙村 --to person:郑秀兰 --to person:陈彩芬 \
	--to "person:139 5760 1140" --text "村级财务公开：本月账目已张贴，欢迎监督。" --dry-run \
	>"$T/dry.out" 2>"$T/last.err"
expect_eq "two groups and two people: 5 recipients, each once" "$(field recipients "$T/dry.out")" 5
expect_eq "the opted-out farmer is left out and counted" \
	"$(field 'left out' "$T/dry.out")" "1 (opted out of notices)"
expect_eq "the dry run says what a message costs" "$(field parts "$T/dry.out")" "1 per message"
expect_eq "  and in total" "$(field 'total parts' "$T/dry.out")" 5
# 29 characters, and the 6 of the opt-out line free texts to farmers end with
expect_grep "  and the encoding with the length" "^encoding: *UCS-2 (35 characters" "$T/dry.out"
expect_grep "  and the text as sent, with the signature and the opt-out line" \
	"^【小雄镇人民政府】村级财务公开：本月账目已张贴，欢迎监督。回复TD退订$" "$T/dry.out"

d notice send --to kind:farmer --to org:亚达科技 --to org:山场村 --text x --dry-run >"$T/dry2.out"
expect_eq "kind:farmer + org: 6 farmers and the enterprise; the farmer of 山场村 once" \
	"$(field recipients "$T/dry2.out")" 6
expect_eq "  the opted-out farmer left out" "$(field 'left out' "$T/dry2.out")" "1 (opted out of notices)"
d notice send --to kind：official --text x --dry-run >"$T/dry3.out"
expect_eq "a full-width colon is read as well" "$(field recipients "$T/dry3.out")" 2

expect_exit "an unknown group is refused (2)" 2 d notice send --to group:没有 --text x --dry-run
expect_grep "  naming it" 'group:没有' "$T/last.err"
expect_exit "an empty group is refused" 2 d notice send --to group:空组 --text x --dry-run
expect_exit "an organisation nobody is in is refused" 2 d notice send --to org:火星 --text x --dry-run
expect_exit "an unknown kind is refused" 2 d notice send --to kind:boss --text x --dry-run
expect_exit "a selector without a type is refused" 2 d notice send --to 农户-小雄村 --text x
expect_exit "an unknown person is refused" 2 d notice send --to person:#99 --text x
expect_exit "an audience of only opted-out people sends nothing" 2 \
	d notice send --to person:林阿昌 --text x
expect_grep "  and says why" "opted out" "$T/last.err"
expect_exit "  and a dry run says so as well" 2 d notice send --to person:林阿昌 --text x --dry-run
expect_exit "no --to" 2 d notice send --text x
expect_exit "both --text and --template" 2 d notice send --to kind:farmer --text x --template insurance
expect_exit "--var with --text" 2 d notice send --to kind:farmer --text x --var a=b

# ---- a dry run changes nothing ----------------------------------------------------

before=$(dump_hash)
check "dry run of a template notice" d notice send --to kind:farmer --template insurance \
	--var deadline=12月20日 --var contact=13800138000 --dry-run
expect_eq "the database is unchanged after dry runs (sqlite3 .dump)" "$(dump_hash)" "$before"
expect_eq "  no notice, message or event was added" \
	"$(sql "SELECT (SELECT count(*) FROM notice) + (SELECT count(*) FROM message)")" 0

# ---- templates ---------------------------------------------------------------------

expect_exit "a template's missing variables are refused before anything is queued" 2 \
	d notice send --to kind:farmer --template insurance --var deadline=12月20日
expect_grep "  naming each one" "needs --var contact=" "$T/last.err"
expect_exit "an empty value is missing too" 2 \
	d notice send --to kind:farmer --template insurance --var deadline= --var contact=1
expect_exit "a reminder template cannot be a notice" 2 d notice send --to kind:farmer --template reminder
expect_exit "{{notice.title}} needs --title" 2 d notice send --to kind:farmer --template training \
	--var date=12月15日
expect_exit "an unknown template" 2 d notice send --to kind:farmer --template nosuch

check "send the insurance notice to the farmers" d notice send --to kind:farmer --template insurance \
	--var deadline=12月20日 --var contact=13800138000 --title 农业保险试点
expect_grep "  it says what was queued" "notice N1 queued now: 5 people, 5 SMS parts (1 opted out" \
	"$T/last.out"
expect_eq "one message per recipient, nobody twice" \
	"$(sql "SELECT count(*), count(DISTINCT person) FROM message WHERE notice = 1")" "5|5"
expect_eq "the opted-out farmer got nothing" \
	"$(sql "SELECT count(*) FROM message m JOIN person p ON p.id = m.person WHERE p.name = '林阿昌'")" 0
expect_eq "rows are notices at bulk priority, due now, keyed n:NOTICE:PERSON" \
	"$(sql "SELECT count(*) FROM message WHERE notice = 1 AND kind = 'notice' AND priority = 30
	        AND status = 'queued' AND not_before = strftime('%s', '2008-12-10 01:00')
	        AND dedupe_key = 'n:1:' || person AND template = 'insurance'")" 5
expect_eq "the variables are in the text, no blanks" \
	"$(sql "SELECT count(*) FROM message m JOIN message_text x ON x.id = m.text_id WHERE notice = 1 AND instr(x.body, '请于12月20日前') > 0
	        AND instr(x.body, '{{') = 0")" 5
expect_eq "the notice records its audience and counts" \
	"$(sql "SELECT title, audience, recipients, opted_out, status FROM notice WHERE id = 1")" \
	"农业保险试点|kind:farmer|5|1|queued"

check "a text per person" d notice send --to group:农户-庙峙村 --to person:郑秀兰 --template training \
	--title 技能培训 --var date=12月15日
expect_eq "each recipient's text names them" \
	"$(sql "SELECT count(*) FROM message m JOIN message_text x ON x.id = m.text_id
	        JOIN person p ON p.id = m.person WHERE m.notice = 2 AND x.body = p.name || '您好：技能培训将于12月15日在镇文化中心举办，请准时参加。'")" 4

# ---- a scheduled notice --------------------------------------------------------------

check "a notice at a later time" d notice send --to group:农户-小雄村 --text "技能培训报名开始" \
	--at "2008-12-15 09:00"
expect_grep "  it says when" "scheduled for 2008-12-15 09:00" "$T/last.out"
expect_eq "its rows are not to be sent before that time" \
	"$(sql "SELECT count(*), min(not_before) = CAST(strftime('%s', '2008-12-15 01:00') AS INTEGER),
	        max(not_before) = CAST(strftime('%s', '2008-12-15 01:00') AS INTEGER)
	        FROM message WHERE notice = 3")" "2|1|1"
d outbox list --status queued --format csv >"$T/q.csv"
expect_eq "outbox list --status queued shows them with that send time" \
	"$(grep -c '^[0-9]*,2008-12-15 09:00,.*,notice,N3,' "$T/q.csv")" 2
d notice list --format json >"$T/list.json"
expect_eq "notice list: scheduled" "$(jq -r '.[] | select(.id == 3) | .status' "$T/list.json")" scheduled
expect_exit "--at in the past is refused" 2 d notice send --to kind:farmer --text x --at "2008-12-01 09:00"
expect_exit "--at not a time is refused" 2 d notice send --to kind:farmer --text x --at "tomorrow"

# ---- cancel and resend -----------------------------------------------------------------

# As a dispatcher would leave them: two sent (one delivered since), one
# failed for a wrong number, one being sent; one still queued.
sql "UPDATE message SET status = 'sent', provider = 'sim', sent_at = 1 WHERE notice = 1 AND id IN (1, 2);
     UPDATE message SET status = 'delivered', provider = 'sim', sent_at = 1 WHERE id = 3;
     UPDATE message SET status = 'failed', provider = 'sim', attempts = 1, final_at = 1,
            last_error = '号码无效 (permanent)' WHERE id = 4;
     UPDATE message SET status = 'sending' WHERE id = 5;"
d notice show N1 --format json >"$T/show.json"
# sent: accepted by the provider, the one delivered since included (as notice list says)
expect_eq "notice show counts per status" \
	"$(jq -c '.[0] | [.queued, .sending, .sent, .delivered, .failed, .opted_out, .parts_sent]' "$T/show.json")" \
	"[0,1,3,1,1,1,3]"
check "notice show as a table" d notice show 1
expect_grep "  names its audience" "audience    kind:farmer" "$T/last.out"
d notice show 1 --failed --format csv >"$T/failed.csv"
failed_phone=$(sql "SELECT phone FROM message WHERE id = 4")
expect_grep "--failed lists the full number with the reason" "$failed_phone,[^,]*,号码无效 (permanent)" "$T/failed.csv"
expect_grep "  and the person's org and groups" "^王素琴,庙峙村,农户-庙峙村,$failed_phone," "$T/failed.csv"

check "resend the failed one" d notice resend N1 --failed
expect_grep "  one queued again" "1 failed messages queued again" "$T/last.out"
expect_eq "  as a new row keyed :r1, to the same person" \
	"$(sql "SELECT count(*) FROM message WHERE dedupe_key = 'n:1:' || (SELECT person FROM message WHERE id = 4) || ':r1' AND status = 'queued'")" 1
check "resend again" d notice resend N1 --failed
expect_eq "  queues nothing more" "$(sql "SELECT count(*) FROM message WHERE notice = 1")" 6
expect_eq "the failure counts no more once resent" "$(d notice show 1 --format json | jq '.[0] | [.failed, .queued, .resent]' -c)" "[0,1,1]"
sql "UPDATE message SET status = 'failed', last_error = 'again' WHERE dedupe_key LIKE 'n:1:%:r1'"
check "a failed resend" d notice resend 1 --failed
expect_eq "  is resent once more, as :r2" "$(sql "SELECT count(*) FROM message WHERE dedupe_key LIKE 'n:1:%:r2'")" 1
sql "UPDATE message SET status = 'failed' WHERE dedupe_key LIKE 'n:1:%:r2'"
d person optout "#$(sql "SELECT person FROM message WHERE id = 4")" >/dev/null
check "resend after the person opted out" d notice resend 1 --failed
expect_grep "  leaves them out" "no failed messages\|opted out since" "$T/last.out"
expect_eq "  and queues nothing" "$(sql "SELECT count(*) FROM message WHERE notice = 1")" 7
expect_exit "resend needs --failed" 2 d notice resend 1
d person optin 王素琴 >/dev/null

check "cancel the notice" d notice cancel N1
expect_grep "  says what happened" "0 unsent messages cancelled, 3 already sent stay sent, 1 being sent now" "$T/last.out"
check "cancel the personal notice (all unsent)" d notice cancel 2
expect_eq "  its 4 queued rows are cancelled" \
	"$(sql "SELECT group_concat(DISTINCT status), count(*) FROM message WHERE notice = 2")" "cancelled|4"
expect_eq "sent and delivered rows stay as they were" \
	"$(sql "SELECT group_concat(status, ',') FROM (SELECT status FROM message WHERE id IN (1, 2, 3, 5) ORDER BY id)")" \
	"sent,sent,delivered,sending"
check "cancelling twice is harmless" d notice cancel 2
expect_grep "  and says so" "already cancelled" "$T/last.out"
expect_exit "a cancelled notice is not resent" 2 d notice resend 2 --failed
expect_exit "an unknown notice" 2 d notice show 99
expect_exit "not a notice id" 2 d notice show x1

# ---- confirmation before a large send -----------------------------------------------------

sed "s|^log = .*|&\nnotices = { confirm_over = 3; };|" "$DUBAN_CONFIG" >"$T/confirm.cfg"
n_before=$(sql "SELECT count(*) FROM message")
expect_exit "over confirm_over without a terminal and without --yes: refused" 2 \
	env DUBAN_CONFIG="$T/confirm.cfg" "$DUBAN" notice send --to kind:farmer --text "通知" </dev/null
expect_grep "  telling how to go on" "add --yes" "$T/last.err"
expect_eq "  nothing queued" "$(sql "SELECT count(*) FROM message")" "$n_before"
printf 'n\n' | DUBAN_CONFIG="$T/confirm.cfg" script -qec \
	"'$DUBAN' notice send --to kind:farmer --text 通知" /dev/null >"$T/tty.out" 2>&1
expect_grep "on a terminal it asks" "send to 5 people? \[y/N\]" "$T/tty.out"
expect_eq "  and 'n' sends nothing" "$(sql "SELECT count(*) FROM message")" "$n_before"
printf 'y\n' | DUBAN_CONFIG="$T/confirm.cfg" script -qec \
	"'$DUBAN' notice send --to kind:farmer --text 通知" /dev/null >"$T/tty.out" 2>&1
expect_eq "  and 'y' sends" "$(sql "SELECT count(*) FROM message")" "$((n_before + 5))"
check "--yes does not ask" env DUBAN_CONFIG="$T/confirm.cfg" "$DUBAN" notice send --to kind:farmer \
	--text "通知" --yes </dev/null
check "at or under the threshold it does not ask" env DUBAN_CONFIG="$T/confirm.cfg" "$DUBAN" \
	notice send --to group:农户-庙峙村 --text "通知" </dev/null

# ---- approval --------------------------------------------------------------------------------

sed "s|^log = .*|&\nnotices = { require_approval = true; confirm_over = 100; };|" "$DUBAN_CONFIG" \
	>"$T/approve.cfg"
a() { DUBAN_CONFIG="$T/approve.cfg" "$DUBAN" "$@"; }
check "with require_approval a notice is created" a notice send --to group:农户-庙峙村 \
	--text "庙峙村道路硬化工程开工，请注意安全。" --at "2008-12-12 09:00" --by 郑秀兰
id=$(sed -n 's/^notice N\([0-9]*\) waits for approval.*/\1/p' "$T/last.out")
expect_grep "  waiting for approval" "waits for approval: 3 people" "$T/last.out"
expect_eq "  pending, with nothing queued" \
	"$(sql "SELECT status, (SELECT count(*) FROM message WHERE notice = $id) FROM notice WHERE id = $id")" \
	"pending|0"
expect_exit "its creator cannot approve it" 2 a notice approve "$id" --by 郑秀兰
expect_exit "approve needs --by" 2 a notice approve "$id"
expect_exit "the approver must be a person" 2 a notice approve "$id" --by 无名氏
DUBAN_NOW="2008-12-11 10:00" a notice approve "N$id" --by 林志远 >"$T/approve.out" 2>"$T/last.err"
expect_eq "approved by another official" "$?" 0
expect_eq "  now scheduled, its 3 rows due at its --at time" \
	"$(sql "SELECT n.status, n.approved_by, count(m.id),
	        min(m.not_before) = CAST(strftime('%s', '2008-12-12 01:00') AS INTEGER)
	        FROM notice n JOIN message m ON m.notice = n.id WHERE n.id = $id")" "scheduled|林志远 (#2)|3|1"
expect_eq "the audit log records who created it and who approved it" \
	"$(sql "SELECT group_concat(actor || ' ' || action, '; ') FROM (SELECT actor, action FROM event
	        WHERE object = 'N$id' ORDER BY id)")" "郑秀兰 (#1) notice.create; 林志远 (#2) notice.approve"
expect_exit "approving twice is refused" 2 a notice approve "$id" --by 林志远
a notice send --to kind:farmer --template insurance --var deadline=12月20日 --var contact=1380013 \
	>/dev/null
id2=$(sql "SELECT max(id) FROM notice")
expect_eq "a notice created without --by is recorded as the login" \
	"$(sql "SELECT created_by LIKE 'cli:%' FROM notice WHERE id = $id2")" 1
d person optout 陈彩芬 >/dev/null
check "approving queues to the audience as it is then" a notice approve "$id2" --by 林志远
expect_eq "  (who opted out meanwhile is left out)" \
	"$(sql "SELECT recipients, opted_out, (SELECT count(*) FROM message WHERE notice = $id2) FROM notice WHERE id = $id2")" \
	"4|2|4"
a notice send --to kind:official --text "x" >/dev/null
id3=$(sql "SELECT max(id) FROM notice")
check "a pending notice can be cancelled" a notice cancel "$id3"
expect_exit "  and is then not approved" 2 a notice approve "$id3" --by 林志远

# ---- opt-outs do not block reminders -----------------------------------------------------------

check "the lead opts out" d person optout 郑秀兰
d task add --title 梅岙塘农田改造工程 --deadline 2008-12-31 --lead 郑秀兰 >/dev/null
DUBAN_NOW="2008-12-24 09:00" d tick --quiet
expect_eq "an opted-out official still gets the reminder of their own task" \
	"$(sql "SELECT count(*) FROM message m JOIN person p ON p.id = m.person
	        WHERE p.name = '郑秀兰' AND m.kind = 'reminder' AND m.status = 'queued'")" 1
check "person optout --help says so" d person optout --help
expect_grep "  in its words" "NOT blocked" "$T/last.out"

# ---- the notices group of the configuration ------------------------------------------------------

sed "s|^log = .*|&\nnotices = {\n  require_approval = \"yes\";\n  confirm_over = -1;\n  approvers = 2;\n};|" \
	"$DUBAN_CONFIG" >"$T/bad.cfg"
expect_exit "a bad notices group is refused whole" 1 "$DUBAN" -c "$T/bad.cfg" config check
expect_grep "  a wrong type, with its line" "bad.cfg:9:.*require_approval" "$T/last.err"
expect_grep "  a value out of range" "bad.cfg:10:.*confirm_over" "$T/last.err"
expect_grep "  an unknown key" "bad.cfg:11:.*approvers" "$T/last.err"
check "etc/duban.cfg with its notices group is valid" "$DUBAN" -c "$TOP/etc/duban.cfg" config check

# ---- help ----------------------------------------------------------------------------------------

for sub in send list show cancel resend approve; do
	check "notice $sub --help" d notice "$sub" --help
done
d notice send --help >"$T/help.out"
expect_grep "send --help explains the confirmation without a terminal" "unless --yes" "$T/help.out"
expect_grep "  and every selector" "kind:KIND" "$T/help.out"
check "notice list as CSV" d notice list --format csv
expect_eq "  starts with a BOM" "$(head -c 3 "$T/last.out" | od -An -tx1 | tr -d ' ')" "efbbbf"
expect_exit "notice without a subcommand" 2 d notice
d --help >"$T/help.out"
expect_grep "duban --help lists notice" "^  notice " "$T/help.out"

exit $FAILED
