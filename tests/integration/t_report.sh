#!/bin/sh
# t_report.sh - the reports on a known dataset, whose every number is
# worked out by hand below: tasks done early and late, overdue by days and
# by hours, cancelled, not yet due; reminders and escalations sent; the
# latest reply; each lead's record for the year; delivery per kind and
# provider with a date window.  The CSV output is parsed back (python3's
# csv module, or awk when there is no python3) and compared cell by cell.
#
# The people, tasks, reminders (duban tick) and notices are made with the
# CLI.  Send results need a dispatcher and a provider, and replies the
# HTTP server (a later issue); those are set with sqlite3 on the message
# and inbound rows, as the dispatcher and the server would leave them.
. "${TOP:-.}/tests/integration/lib.sh"
setup
# One row per reminder, as counted by hand: the shipped rules without
# digests (digests are t_digest's).
mkdir "$T/rules"
sed 's/^  digest = true;$/  digest = false;/' "$TOP/rules/default.cfg" >"$T/rules/default.cfg"
sed -i "s|^rules_dir = .*|rules_dir = \"$T/rules\";|" "$DUBAN_CONFIG"

d() { DUBAN_NOW="$NOW" "$DUBAN" "$@"; }
# csv_rows FILE: the CSV's rows, cells joined with '|', after checking the BOM.
csv_rows() {
	if [ "$(head -c 3 "$1" | od -An -tx1 | tr -d ' ')" != efbbbf ]; then
		echo "no BOM"
		return
	fi
	if command -v python3 >/dev/null 2>&1; then
		python3 -c 'import csv, sys
for row in csv.reader(open(sys.argv[1], encoding="utf-8-sig", newline="")):
    print("|".join(row))' "$1"
	else # no quoted fields in these reports: a plain split is exact
		sed '1s/^\xEF\xBB\xBF//' "$1" | tr -d '\r' | tr ',' '|'
	fi
}
# expect_csv DESC FILE: FILE parsed back must equal $T/want
expect_csv() {
	csv_rows "$2" >"$T/got"
	if cmp -s "$T/want" "$T/got"; then ok "$1"; else
		notok "$1"; diff "$T/want" "$T/got" | sed 's/^/#   /'; fi
}

# ---- the dataset -----------------------------------------------------------------------

NOW="2008-12-01 09:00"
d init >/dev/null
d person add --name 郑秀兰 --phone 17768096319 --title 纪委书记 --org 小雄镇 --kind official >/dev/null
d person add --name 应国庆 --phone 13957605404 --title 人大主席团副主席 --org 小雄镇 --kind official >/dev/null
d person add --name 林志远 --phone 13957608911 --title 党委书记 --org 小雄镇 --kind official >/dev/null
d person add --name 王海斌 --phone 13805710828 --title 镇长 --org 小雄镇 --kind official >/dev/null
d task add --title 梅岙塘农田改造 --deadline 2008-12-10 --lead 郑秀兰 >/dev/null            # T1
d task add --title 村级财务公开 --deadline 2008-12-10 --lead 郑秀兰 >/dev/null              # T2
d task add --title 庙峙村道路硬化 --deadline 2008-12-15 --lead 应国庆 --supervisor 林志远 >/dev/null # T3
d task add --title 竹笋加工基地 --deadline 2008-12-31 --lead 应国庆 --owner 林志远 >/dev/null # T4
d task add --title 引进鞋业企业 --deadline 2008-12-18 --lead 王海斌 >/dev/null              # T5
d task add --title 税收征管方案 --deadline "2008-12-20 12:00" --lead 王海斌 >/dev/null      # T6
d task add --title 农民技能培训 --deadline 2009-01-15 --lead 郑秀兰 >/dev/null              # T7

# The ticks queue (messages 1..19; "skipped": passed while no tick ran):
#  12-08 09:00  T1, T2: b3d (b7d skipped); T3: b7d               #1-5
#  12-12 09:00  T2: o2 (b1d, b0d, o1 skipped); T5: b7d; T3: b3d   #6-11
#  12-14 09:00  T6: b7d; T3: b1d                                  #12-13
#  12-17 09:30  T3: o2 (o1, b0d skipped), escalation to 应国庆 and
#               林志远; T6: b3d                                     #14-19
# Marking T1, T2 done and cancelling T5 cancels their unsent reminders.
NOW="2008-12-08 09:00"; d tick --quiet
NOW="2008-12-08 10:00"; d task done T1 >/dev/null      # 2 days early
NOW="2008-12-12 09:00"; d tick --quiet
NOW="2008-12-13 09:00"; d task done T2 >/dev/null      # 3 days late
NOW="2008-12-14 09:00"; d tick --quiet
NOW="2008-12-16 10:00"; d task cancel T5 >/dev/null
NOW="2008-12-17 09:30"; d tick --quiet

# T3's reminders: 4 queued (b7d b3d b1d o2; b0d and o1 passed unsent and
# were skipped), 2 escalations.
expect_eq "the scheduler queued T3's reminders and escalations" \
	"$(sql "SELECT kind, count(*) FROM message WHERE task = 3 AND status = 'queued' GROUP BY kind ORDER BY kind" | tr '\n' ' ')" \
	"escalation|2 reminder|4 "
# As the dispatcher would leave them: of T3's reminders 2 sent, 1
# delivered, 1 failed -> 3 sent; the escalation to 林志远 sent -> 1.
sql "UPDATE message SET status = 'sent', provider = 'simA', sent_at = 1
       WHERE id IN (SELECT id FROM message WHERE task = 3 AND kind = 'reminder' ORDER BY id LIMIT 2);
     UPDATE message SET status = 'delivered', provider = 'simA', sent_at = 1
       WHERE id = (SELECT id FROM message WHERE task = 3 AND kind = 'reminder' ORDER BY id LIMIT 1 OFFSET 2);
     UPDATE message SET status = 'failed', provider = 'simA', final_at = 1, last_error = 'timeout'
       WHERE id = (SELECT id FROM message WHERE task = 3 AND kind = 'reminder' ORDER BY id LIMIT 1 OFFSET 3);
     UPDATE message SET status = 'sent', provider = 'simB', sent_at = 1
       WHERE task = 3 AND kind = 'escalation' AND person = 3;"
# Replies, as the HTTP server will store them: 应国庆 names T3 (the
# latest about T3, linked to it as a reply that acted on it), then writes
# about a T30 (not T3); 王海斌 acknowledges his T6 reminder.
sql "INSERT INTO inbound (provider, provider_ref, phone, person, text, received_at, status)
     VALUES ('simA', 'r1', '+8613957605404', 2, '庙峙村道路基本完工', CAST(strftime('%s', '2008-12-18 01:00') AS INTEGER), 'read'),
            ('simA', 'r2', '+8613957605404', 2, '完成 t3', CAST(strftime('%s', '2008-12-18 02:00') AS INTEGER), 'handled'),
            ('simA', 'r3', '+8613957605404', 2, '收到T30', CAST(strftime('%s', '2008-12-19 02:00') AS INTEGER), 'read');
     INSERT INTO reply_task (inbound, task) SELECT id, 3 FROM inbound WHERE provider_ref = 'r2';
     UPDATE message SET acked_at = CAST(strftime('%s', '2008-12-19 00:00') AS INTEGER)
       WHERE id = (SELECT min(id) FROM message WHERE task = 6);"

# ---- report tasks ---------------------------------------------------------------------------

NOW="2008-12-20 15:00"
check "report tasks as CSV" d report tasks --format csv
cp "$T/last.out" "$T/tasks.csv"
cat >"$T/want" <<'EOF'
code|title|lead|deadline|status|done_at|days_overdue|days_early|reminders_sent|escalations_sent|last_reply
T1|梅岙塘农田改造|郑秀兰|2008-12-10 23:59|done|2008-12-08 10:00||2|0|0|
T2|村级财务公开|郑秀兰|2008-12-10 23:59|done|2008-12-13 09:00|3||0|0|
T3|庙峙村道路硬化|应国庆|2008-12-15 23:59|overdue||5||3|1|2008-12-18 10:00 应国庆: 完成 t3
T5|引进鞋业企业|王海斌|2008-12-18 23:59|cancelled||||0|0|
T6|税收征管方案|王海斌|2008-12-20 12:00|overdue||1||0|0|2008-12-19 08:00 王海斌: acknowledged
T4|竹笋加工基地|应国庆|2008-12-31 23:59|open||||0|0|
T7|农民技能培训|郑秀兰|2009-01-15 23:59|open||||0|0|
EOF
expect_csv "report tasks: every number as worked out by hand (CSV parsed back)" "$T/tasks.csv"

check "report tasks as a table" d report tasks
expect_grep "  with the Chinese titles aligned" "^T3    庙峙村道路硬化" "$T/last.out"
d report tasks --format json >"$T/tasks.json"
expect_eq "report tasks as JSON: numbers are numbers, blanks are null" \
	"$(jq -c '[.[] | select(.code == "T1" or .code == "T2") | [.days_overdue, .days_early]]' "$T/tasks.json")" \
	"[[null,2],[3,null]]"

# ---- report overdue ----------------------------------------------------------------------------

check "report overdue as CSV" d report overdue --format csv
cp "$T/last.out" "$T/overdue.csv"
cat >"$T/want" <<'EOF'
code|title|lead|supervisor|deadline|days_overdue|reminders_sent|escalations_sent|last_reply
T3|庙峙村道路硬化|应国庆|林志远|2008-12-15 23:59|5|3|1|2008-12-18 10:00 应国庆: 完成 t3
T6|税收征管方案|王海斌||2008-12-20 12:00|1|0|0|2008-12-19 08:00 王海斌: acknowledged
EOF
expect_csv "report overdue: T3 five days, T6 a few hours (one day)" "$T/overdue.csv"
NOW="2008-12-20 11:00"
d report overdue --format csv >"$T/overdue2.csv"
expect_eq "  before T6's deadline hour only T3 is overdue" "$(csv_rows "$T/overdue2.csv" | cut -d'|' -f1 | tr '\n' ' ')" "code T3 "

# ---- report people -------------------------------------------------------------------------------

NOW="2008-12-20 15:00"
check "report people as CSV" d report people --format csv
cp "$T/last.out" "$T/people.csv"
cat >"$T/want" <<'EOF'
name|title|org|tasks_led|done_on_time|done_late|open|overdue|tasks_owned|owned_on_time|owned_late|owned_open|owned_overdue
郑秀兰|纪委书记|小雄镇|2|1|1|0|0|0|0|0|0|0
应国庆|人大主席团副主席|小雄镇|2|0|0|1|1|0|0|0|0|0
林志远|党委书记|小雄镇|0|0|0|0|0|1|0|0|1|0
王海斌|镇长|小雄镇|1|0|0|0|1|0|0|0|0|0
EOF
expect_csv "report people: this year's (2008) led and owned, on time, late, open, overdue (cancelled left out)" "$T/people.csv"
d report people --year 2009 --format csv >"$T/people2009.csv"
cat >"$T/want" <<'EOF'
name|title|org|tasks_led|done_on_time|done_late|open|overdue|tasks_owned|owned_on_time|owned_late|owned_open|owned_overdue
郑秀兰|纪委书记|小雄镇|1|0|0|1|0|0|0|0|0|0
EOF
expect_csv "report people --year 2009: only tasks due in 2009" "$T/people2009.csv"
expect_eq "report people as JSON" \
	"$(d report people --format json | jq -c '[.[] | .tasks_led] | add')" 5
expect_eq "  owners counted apart from leads" \
	"$(d report people --format json | jq -c '[.[] | .tasks_owned] | add')" 1

# ---- report delivery ---------------------------------------------------------------------------

# A notice on 12-20 to the four officials, two SMS parts each; as the
# dispatcher would leave it: 2 sent through simA (one delivered), 1 failed
# through simB, 1 still queued.
NOW="2008-12-20 15:00"
long="镇政府定于十二月二十二日上午九时在镇政府三楼会议室召开年度项目落实责任考核会议，请各位领导准时参加，不得缺席，无法参加者请提前向党政办请假。"
check "a two-part notice to the officials" d notice send --to kind:official --text "$long" --title 考核会议
sql "UPDATE message SET status = 'sent', provider = 'simA', sent_at = 1 WHERE notice = 1 AND person IN (1, 2);
     UPDATE message SET status = 'delivered' WHERE notice = 1 AND person = 2;
     UPDATE message SET status = 'failed', provider = 'simB', final_at = 1 WHERE notice = 1 AND person = 3;"
expect_eq "  (two parts each)" "$(sql "SELECT DISTINCT parts FROM message WHERE notice = 1")" 2
# Reminders, by the dataset above: of T3's, 3 sent or delivered and 1
# failed through simA; its escalation to 林志远 sent through simB, the one
# to 应国庆 queued; the 13 other reminders never tried: T6's two queued,
# 11 cancelled or skipped.  The parts of a reminder are whatever its text
# measured (tested in t_sched and the unit tests); the sums are tested here.
rparts=$(sql "SELECT sum(parts) FROM message WHERE task = 3 AND kind = 'reminder' AND status IN ('sent', 'delivered')")
eparts=$(sql "SELECT parts FROM message WHERE task = 3 AND kind = 'escalation' AND status = 'sent'")
check "report delivery as CSV" d report delivery --format csv
cp "$T/last.out" "$T/delivery.csv"
cat >"$T/want" <<EOF
kind|provider|messages|waiting|sent|delivered|failed|expired|cancelled|parts_sent|parts_billed
escalation||1|1|0|0|0|0|0|0|0
escalation|simB|1|0|1|0|0|0|0|$eparts|0
notice||1|1|0|0|0|0|0|0|0
notice|simA|2|0|2|1|0|0|0|4|0
notice|simB|1|0|0|0|1|0|0|0|0
reminder||13|2|0|0|0|0|11|0|0
reminder|simA|4|0|3|1|1|0|0|$rparts|0
total||23|4|6|2|2|0|11|$((rparts + eparts + 4))|0
EOF
expect_csv "report delivery per kind and provider, with a total" "$T/delivery.csv"
d report delivery --from 2008-12-20 --to 2008-12-20 --format csv >"$T/window.csv"
cat >"$T/want" <<'EOF'
kind|provider|messages|waiting|sent|delivered|failed|expired|cancelled|parts_sent|parts_billed
notice||1|1|0|0|0|0|0|0|0
notice|simA|2|0|2|1|0|0|0|4|0
notice|simB|1|0|0|0|1|0|0|0|0
total||4|1|2|1|1|0|0|4|0
EOF
expect_csv "report delivery --from/--to: only what was queued on 12-20" "$T/window.csv"
d report delivery --to "2008-12-12 09:00" --format csv >"$T/window2.csv"
expect_eq "  --to with a time ends before it: the first tick's 5 rows only" \
	"$(csv_rows "$T/window2.csv" | tail -1)" "total||5|0|1|0|0|0|4|$(sql "SELECT parts FROM message WHERE id = 5")|0"
expect_exit "--to before --from is refused" 2 d report delivery --from 2008-12-20 --to 2008-12-01
expect_exit "a bad date is refused" 2 d report delivery --from 20.12.2008
expect_exit "--year is for report people only" 2 d report tasks --year 2008

# ---- help ------------------------------------------------------------------------------------------

for r in tasks overdue people delivery; do
	check "report $r --help" d report "$r" --help
done
d report tasks --help >"$T/help.out"
expect_grep "report tasks --help says what days_overdue means" "days_overdue" "$T/help.out"
expect_exit "report without a subcommand" 2 d report
expect_exit "an unknown report" 2 d report nosuch

exit $FAILED
