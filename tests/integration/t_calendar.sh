#!/bin/sh
# The holiday calendar: the shipped State Council days listed, the town's
# own days added and removed, workdays_only reminders walked hour by hour
# around 元旦 2009 (1-3 January off, Sunday 4 January worked), a town
# holiday moving a reminder, and config check's warning when the
# calendar ends before a deadline.
. "$TOP/tests/integration/lib.sh"
setup

d() { DUBAN_NOW="$NOW" "$DUBAN" "$@"; }

mkdir "$T/rules" "$T/templates"
cp "$TOP"/templates/*.txt "$T/templates/"
printf '%s\n' '{{task.code}}还有{{task.workdays_left}}个工作日到期。' >"$T/templates/wd_left.txt"
cat >"$T/rules/wd.cfg" <<'EOF2'
default = { before = ( { offset = "0d"; at = "08:00"; to = [ "lead" ]; template = "due_today"; } ); };
wd = {
  workdays_only = true;
  before = ( { offset = "1d"; at = "09:00"; to = [ "lead" ]; template = "wd_left"; } );
  overdue = { every = "1d"; at = "09:00"; max = 2; to = [ "lead" ]; template = "overdue"; };
};
EOF2
sed -i "s|^rules_dir = .*|rules_dir = \"$T/rules\";|; s|^templates_dir = .*|templates_dir = \"$T/templates\";|" "$DUBAN_CONFIG"
echo "calendar = \"$TOP/calendar/cn.cfg\";" >>"$DUBAN_CONFIG"

NOW="2008-12-29 10:00"
d init >/dev/null
d person add --name 郑秀兰 --phone 17768096319 --title 纪委书记 >/dev/null

# 1. listing
expect_exit "calendar list --year 2009" 0 d calendar list --year 2009 --format csv
tr -d '\r' <"$T/last.out" >"$T/list.csv"; cp "$T/list.csv" "$T/last.out"
expect_grep "2009-01-04 is a 调休 working Sunday" '^2009-01-04,Sun,workday,元旦,state$' "$T/last.out"
expect_grep "2009-01-01 is 元旦" '^2009-01-01,Thu,holiday,元旦,state$' "$T/last.out"
expect_eq "2009 lists 27 days off and 6 worked weekend days" \
	"$(grep -c ',holiday,' "$T/last.out") $(grep -c ',workday,' "$T/last.out")" "27 6"
d calendar list --format json >"$T/now.json"
expect_eq "without --year: this year (DUBAN_NOW 2008)" \
	"$(jq -r '.[0].date' "$T/now.json")" "2008-01-01"
expect_exit "a year that is no number is refused" 2 d calendar list --year 20x9

# 2. workdays_only around 元旦: due Friday 2009-01-02, itself a holiday
d task add --title 年终总结报送 --deadline 2009-01-02 --lead 郑秀兰 --rules wd >/dev/null
walk() {
	t=$(TZ=Asia/Shanghai date -d "$1" +%s)
	end=$(TZ=Asia/Shanghai date -d "$2" +%s)
	while [ "$t" -le "$end" ]; do
		NOW=$(TZ=Asia/Shanghai date -d "@$t" "+%Y-%m-%d %H:%M")
		d tick --quiet || echo "tick failed at $NOW" >&2
		t=$((t + 3600))
	done
}
queued() {
	sql "SELECT strftime('%m-%d %H:%M', not_before, 'unixepoch', '+8 hours'), step, status
	     FROM message WHERE task = $1 ORDER BY id" | tr '|' ' '
}
walk "2008-12-30 00:00" "2009-01-05 12:00"
cat >"$T/want" <<'EOF2'
12-31 09:00 b1d queued
01-04 09:00 o1 skipped
01-04 09:00 o2 queued
EOF2
queued 1 >"$T/got"
if cmp -s "$T/want" "$T/got"; then ok "the day-before reminder skips 元旦, the repeats wait for the 调休 Sunday"; else
	notok "the day-before reminder skips 元旦, the repeats wait for the 调休 Sunday"
	diff "$T/want" "$T/got" | sed 's/^/#   /'; fi
expect_eq "workdays_left counts the 调休 Sunday, not 元旦 (12-31 to 01-02: none left but 01-02 itself is off)" \
	"$(sql "SELECT x.body FROM message m JOIN message_text x ON x.id = m.text_id WHERE task = 1 AND step = 'b1d'")" "T1还有0个工作日到期。"

# 3. the town's own holiday: 庙会 on Monday 2009-01-12
NOW="2009-01-05 12:00"
expect_exit "calendar add a town holiday" 0 d calendar add 2009-01-12 holiday --name 庙会
expect_exit "a bad kind is refused" 2 d calendar add 2009-01-13 weekday
expect_exit "a date that does not exist is refused" 2 d calendar add 2009-02-29 holiday
d calendar list --year 2009 --format csv | tr -d '\r' >"$T/list.csv"
expect_grep "the town's day is listed as the town's" '^2009-01-12,Mon,holiday,庙会,town$' "$T/list.csv"
LANG=zh_CN.UTF-8 d calendar list --year 2009 >"$T/list.txt"
expect_grep "  a table says its weekday in Chinese" '^2009-01-12 *一 *放假 *庙会' "$T/list.txt"
d calendar list --year 2009 >"$T/list-en.txt"
expect_grep "  and in English under English" '^2009-01-12 *Mon *holiday *庙会' "$T/list-en.txt"
d task add --title 庙会安全检查 --deadline 2009-01-13 --lead 郑秀兰 --rules wd >/dev/null
walk "2009-01-08 00:00" "2009-01-12 12:00"
expect_eq "the reminder due on the town's holiday comes the Friday before" \
	"$(queued 2 | head -1)" "01-09 09:00 b1d queued"
expect_eq "workdays_left skips the weekend and the town's holiday" \
	"$(sql "SELECT x.body FROM message m JOIN message_text x ON x.id = m.text_id WHERE task = 2 AND step = 'b1d'")" "T2还有1个工作日到期。"
expect_exit "removing it with the wrong kind is refused" 2 d calendar remove 2009-01-12 workday
expect_exit "calendar remove" 0 d calendar remove 2009-01-12 holiday
expect_eq "both recorded in the audit log" \
	"$(sql "SELECT group_concat(action || ' ' || object, ', ') FROM event WHERE action LIKE 'calendar.%'")" \
	"calendar.add 2009-01-12, calendar.remove 2009-01-12"

# 4. config check: the calendar ends with its last block
NOW="2009-01-05 12:00"
d task add --title 远期规划 --deadline 2030-06-30 --lead 郑秀兰 >/dev/null
expect_exit "config check still passes" 0 d config check
expect_grep "and warns that the calendar ends before the deadline" \
	"the calendar ends with 20[0-9][0-9], but task T3 is due 2030-06-30" "$T/last.err"
sed -i '/^calendar = /d' "$DUBAN_CONFIG"
expect_exit "without a calendar config check passes" 0 d config check
expect_grep "and warns that workdays_only knows weekends only" "rule set 'wd' has workdays_only but no calendar" "$T/last.err"
printf 'calendar = "%s/nowhere.cfg";\n' "$T" >>"$DUBAN_CONFIG"
expect_exit "a missing calendar file is a configuration error" 1 d config check
expect_grep "naming the file" "nowhere.cfg" "$T/last.err"

exit "$FAILED"
