#!/bin/sh
# t_series.sh - a monthly report (每月5日前报送) walked through three
# months with a pass every morning: each occurrence is a task of its own
# (T1-2008-12, T1-2009-01, ...) with its own reminders; the next appears
# when one passes its deadline or is done; the day can change; stopping the
# series ends it, the open occurrence staying.  (Replies name an occurrence
# by its code, "完成T1-2009-01": test_reply's grammar table.)
. "$TOP/tests/integration/lib.sh"
setup

d() { DUBAN_NOW="$NOW" "$DUBAN" "$@"; }
NOW="2008-11-20 10:00"
d init >/dev/null
d person add --name 邵长发 --phone 17768091854 --title 村党支部书记 >/dev/null
d person add --name 林志远 --phone 13957608911 --title 党委书记 >/dev/null
expect_exit "task add --every month --day 5" 0 \
	d task add --title 村级财务月报 --every month --day 5 --lead 邵长发 --supervisor 林志远
expect_grep "  the first occurrence is this month's, coded by its month" \
	"added T1-2008-12: 村级财务月报 (deadline 2008-12-05 23:59; every month on day 5)" "$T/last.out"
expect_exit "--every without --day is refused" 2 d task add --title x --every month --lead 邵长发
expect_exit "--day 31 is refused (not every month has it)" 2 d task add --title x --every month --day 31 --lead 邵长发
expect_exit "--every fortnight is refused" 2 d task add --title x --every fortnight --day 5 --lead 邵长发

day() {
	t=$(TZ=Asia/Shanghai date -d "$1" +%s)
	end=$(TZ=Asia/Shanghai date -d "$2" +%s)
	while [ "$t" -le "$end" ]; do
		NOW=$(TZ=Asia/Shanghai date -d "@$t" "+%Y-%m-%d 09:30")
		d tick --quiet || echo "tick failed at $NOW" >&2
		t=$((t + 86400))
	done
}
day "2008-11-21" "2008-12-31"
expect_eq "December's passed its deadline: January's was added" \
	"$(sql "select group_concat(code || ' ' || status || ' ' || date(deadline, 'unixepoch', '+8 hours'), ', ') from task order by id")" \
	"T1-2008-12 open 2008-12-05, T1-2009-01 open 2009-01-05"
expect_eq "  with the same people" "$(sql "select count(*) from assignment where task = 2")" 2
expect_eq "  each occurrence has its own reminders: December's four, January's first (12-29)" \
	"$(sql "select task || ':' || group_concat(step, ' ') from (select task, step from message
		where person = 1 and step like 'b%' order by id) group by task order by task" | tr '\n' ' ')" \
	"1:b7d b3d b1d b0d 2:b7d "
NOW="2009-01-03 10:00"
expect_exit "January's done early (task done)" 0 d task done T1-2009-01
day "2009-01-04" "2009-02-02"
expect_eq "done: February's was added at the next pass" \
	"$(sql "select code || ' ' || date(deadline, 'unixepoch', '+8 hours') from task where id = 3")" "T1-2009-02 2009-02-05"
expect_eq "  and no reminder of January's after it was done" \
	"$(sql "select count(*) from message where task = 2 and created_at > strftime('%s', '2009-01-03 02:00') and status != 'cancelled'")" 0
check "task series change T1 --day 10" d task series change T1 --day 10
day "2009-02-03" "2009-02-28"
expect_eq "February's passed: March's, on the new day" \
	"$(sql "select code || ' ' || date(deadline, 'unixepoch', '+8 hours') from task where id = 4")" "T1-2009-03 2009-03-10"
d task series list --format csv | tr -d '\r' >"$T/series.csv"
expect_grep "task series list shows the latest" "^T1,month,10,active,T1-2009-03,2009-03-10 23:59,open$" "$T/series.csv"
check "task series stop T1" d task series stop T1
day "2009-03-01" "2009-04-15"
expect_eq "stopped: no April, the open March stays" \
	"$(sql "select count(*) || ' ' || (select status from task where code = 'T1-2009-03') from task")" "4 open"
expect_eq "the audit log has the series' story" \
	"$(sql "select group_concat(action, ' ') from (select action from event where action like 'series.%' or (action = 'task.add' and actor = 'scheduler') order by id)")" \
	"series.start task.add task.add series.change task.add series.stop"
d report tasks --format csv | tr -d '\r' >"$T/report.csv"
expect_eq "each occurrence is a task of its own in the reports" "$(grep -c '^T1-20' "$T/report.csv")" 4
NOW="2009-01-01 10:00"
d person add --name 王素琴 --phone 13957608929 >/dev/null
expect_exit "the next plain task still gets a code of its own" 0 d task add --title 其他 --deadline 2009-05-01 --lead 王素琴
expect_grep "  (T2, not the series' T1)" "added T2:" "$T/last.out"
exit "$FAILED"
