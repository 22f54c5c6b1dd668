#!/bin/sh
# t_downtime.sh - no daemon runs from 12-01 to 12-24: the overdue
# repeats and escalations of four open tasks all fall due (and go stale)
# meanwhile.  The first pass after must still bring each task's current
# state to its lead and the due escalations to the supervisor - once, and
# without a flood: one SMS per person, the tasks of one person in one
# digest - and nothing for a task closed during the downtime.
. "$TOP/tests/integration/lib.sh"
setup

d() { DUBAN_NOW="$NOW" "$DUBAN" "$@"; }
NOW="2008-11-20 10:00"
d init >/dev/null
d person add --name 邵长发 --phone 17768091854 --title 村党支部书记 >/dev/null
d person add --name 梅国强 --phone 18657698551 --title 村委会主任 >/dev/null
d person add --name 郑秀兰 --phone 17768096319 --title 纪委书记 >/dev/null
d person add --name 林志远 --phone 13957608911 --title 党委书记 >/dev/null
add() { d task add --title "$1" --deadline "$2" --lead "$3" --supervisor 林志远 >/dev/null; }
add 梅岙塘村道路硬化 2008-11-27 邵长发
add 村级财务公开 2008-11-28 邵长发
add 农田水利冬修 2008-11-29 邵长发
add 农村低保复核 2008-11-30 梅国强
add 年终工作总结 2008-11-28 郑秀兰

# daily passes until the end of November, then nothing until 12-24
for day in 20 21 22 23 24 25 26 27 28 29 30; do
	NOW="2008-11-$day 10:00"
	d tick --quiet
done
NOW="2008-12-10 15:00"
# the clerk enters it two days late: the work was done on the 8th
check "task done --on" d task done T5 --on 2008-12-08
expect_eq "  records when it was really done" \
	"$(sql "select datetime(done_at, 'unixepoch', '+8 hours') from task where code = 'T5'")" "2008-12-08 00:00:00"
expect_exit "  but never in the future" 2 d task done T4 --on 2008-12-11
expect_exit "  nor a date that is none" 2 d task done T4 --on 2008-12-32
before=$(sql "select max(id) from message")
NOW="2008-12-24 10:00"
check "the first pass after the downtime" d tick
new() { sql "select count(*) from message m join message_text x on x.id = m.text_id where m.id > $before and $1"; }
person() { echo "(select id from person where name = '$1')"; }

# what each person got: SMS to send now (own rows and digests), and the tasks they carry
sent_to() { new "person = $(person "$1") and status = 'queued'"; }
expect_eq "邵长发, lead of three overdue tasks: one SMS" "$(sent_to 邵长发)" 1
expect_eq "  a digest listing all three" \
	"$(sql "select group_concat(t.code, ' ') from (select distinct t.code from message d
		join digest_item di on di.digest = d.id join message m on m.id = di.item join task t on t.id = m.task
		where d.id > $before and d.person = $(person 邵长发) order by t.code) t")" "T1 T2 T3"
expect_eq "  in his words: overdue and reported, not the supervisor's" \
	"$(sql "select (body like '%T3 已超期25天，已上报督办%') || (body like '%牵头%') from message m
		join message_text x on x.id = m.text_id where m.id > $before and person = $(person 邵长发) and status = 'queued'")" "10"
expect_eq "梅国强, lead of one: one SMS, that it was reported (the repeat recorded with it)" \
	"$(sent_to 梅国强) $(new "person = $(person 梅国强) and status = 'queued' and template = 'escalation_lead'") $(new "person = $(person 梅国强) and status = 'skipped' and last_error = 'sent with a later step of the same task'")" \
	"1 1 1"
expect_eq "林志远, the supervisor: one SMS" "$(sent_to 林志远)" 1
expect_eq "  escalating the two whose escalation came due in the downtime (T3 12-01, T4 12-02), each once" \
	"$(sql "select group_concat(t.code, ' ') from digest_item di join message m on m.id = di.item join task t on t.id = m.task
		join message d on d.id = di.digest where d.id > $before and d.person = $(person 林志远) and m.step = 'e'")" "T3 T4"
expect_eq "  so that every open task has been escalated to him once" \
	"$(sql "select count(distinct task) || ' ' || count(*) from message where person = $(person 林志远) and step = 'e'
		and task in (select id from task where status = 'open')")" "4 4"
expect_eq "  in the supervisor's words" \
	"$(new "person = $(person 林志远) and status = 'queued' and body like '%邵长发牵头，已超期%' and body like '%梅国强牵头，已超期%'")" 1
expect_eq "郑秀兰's task was closed meanwhile: nothing" "$(new "person = $(person 郑秀兰)")" 0
expect_eq "every open overdue task reaches its lead" \
	"$(sql "select count(*) from task t where t.status = 'open' and not exists (
		select 1 from message m join assignment a on a.task = t.id and a.role = 'lead' and a.person = m.person
		where m.task = t.id and m.id > $before and (m.status = 'queued' or exists (
			select 1 from digest_item di join message d on d.id = di.digest where di.item = m.id and d.status = 'queued')))")" 0
[ "$(new "status = 'skipped' and last_error = 'superseded by a later step'")" -gt 0 ] &&
	ok "  (superseded repeats: $(new "status = 'skipped' and last_error = 'superseded by a later step'"))" ||
	notok "older steps of the downtime are recorded as superseded"
NOW="2008-12-24 10:30"
d tick --quiet
expect_eq "a second pass sends nothing more" "$(sql "select count(*) from message where id > $before and created_at > strftime('%s', '2008-12-24 02:00')")" 0
NOW="2009-01-10 10:00"
d tick --quiet
expect_eq "overdue, its repeats run out: the reason is recorded, once per task" \
	"$(sql "select group_concat(object, ' ') from (select object from event where action = 'task.reminders_done' order by object)")" \
	"T1 T2 T3 T4"

# ---- length warnings when a task is added -------------------------------------------------------
expect_exit "task add with a long title" 0 d task add --title 梅岙塘村至庙峙村道路硬化及沿线排水沟渠整治和村庄环境卫生综合治理工程 \
	--deadline 2009-03-31 --lead 邵长发
expect_grep "  warns that its reminders need two SMS parts, naming the template" \
	'warning: T6: its "reminder" reminders need 2 SMS parts each' "$T/last.err"
expect_exit "task add with a short title" 0 d task add --title 春耕备耕 --deadline 2009-03-31 --lead 邵长发
expect_eq "  warns of nothing" "$(cat "$T/last.err")" ""
printf 'title,deadline,lead\n梅岙塘村至庙峙村道路硬化及沿线排水沟渠整治和村庄环境卫生综合治理二期工程,2009-04-30,邵长发\n短标题,2009-04-30,邵长发\n' >"$T/tasks.csv"
expect_exit "task import" 0 d task import "$T/tasks.csv"
expect_grep "  warns of the imported task whose reminders need two parts" 'warning: T8: its "reminder" reminders need 2 SMS parts' "$T/last.err"
expect_eq "  and of nothing else" "$(grep -c warning "$T/last.err")" 5
exit "$FAILED"
