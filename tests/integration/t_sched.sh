#!/bin/sh
# The scheduler, walked hour by hour with DUBAN_NOW: one task of the town
# from eight days before its deadline to a week after it; marking it done
# midway; moving its deadline; and a gap of days without ticks.
. "$TOP/tests/integration/lib.sh"
setup

d() { DUBAN_NOW="$NOW" "$DUBAN" "$@"; }

# people: lead, owner, a team of two (member), a supervisor
town() {
	NOW="2008-12-01 10:00"
	d init >/dev/null
	d person add --name 郑秀兰 --phone 17768096319 --title 纪委书记 --kind official >/dev/null
	d person add --name 邵长发 --phone 17768091854 --title 村党支部书记 --kind official >/dev/null
	d person add --name 梅国强 --phone 18657698551 --title 村委会主任 --group 班子 >/dev/null
	d person add --name 邵玉兰 --phone 13957600002 --title 村会计 --group 班子 >/dev/null
	d person add --name 林志远 --phone 13957608911 --title 党委书记 >/dev/null
	d task add --title 梅岙塘农田改造工程 --deadline 2008-12-31 --lead 郑秀兰 \
		--owner 邵长发 --team 班子 --supervisor 林志远 >/dev/null
}

# tick every hour from $1 to $2 (local times)
walk() {
	t=$(TZ=Asia/Shanghai date -d "$1" +%s)
	end=$(TZ=Asia/Shanghai date -d "$2" +%s)
	while [ "$t" -le "$end" ]; do
		NOW=$(TZ=Asia/Shanghai date -d "@$t" "+%Y-%m-%d %H:%M")
		d tick --quiet || echo "tick failed at $NOW" >&2
		t=$((t + 3600))
	done
}

# what was queued: send time, step, template, who - in queue order
queued() {
	sql "SELECT strftime('%m-%d %H:%M', m.not_before, 'unixepoch', '+8 hours'), m.step,
	        m.template, p.name, m.status
	     FROM message m JOIN person p ON p.id = m.person ORDER BY m.id" | tr '|' ' '
}

# 1. the whole walk
town
walk "2008-12-23 00:00" "2009-01-07 23:00"
cat >"$T/want" <<'EOF2'
12-24 09:00 b7d reminder 郑秀兰 queued
12-24 09:00 b7d reminder 邵长发 queued
12-28 09:00 b3d reminder 郑秀兰 queued
12-28 09:00 b3d reminder 邵长发 queued
12-28 09:00 b3d reminder 梅国强 queued
12-28 09:00 b3d reminder 邵玉兰 queued
12-30 09:00 b1d reminder 郑秀兰 queued
12-30 09:00 b1d reminder 邵长发 queued
12-30 09:00 b1d reminder 梅国强 queued
12-30 09:00 b1d reminder 邵玉兰 queued
12-31 08:00 b0d due_today 郑秀兰 queued
12-31 08:00 b0d due_today 邵长发 queued
12-31 08:00 b0d due_today 梅国强 queued
12-31 08:00 b0d due_today 邵玉兰 queued
01-01 09:00 o1 overdue 郑秀兰 queued
01-01 09:00 o1 overdue 邵长发 queued
01-02 09:00 o2 overdue 郑秀兰 queued
01-02 09:00 o2 overdue 邵长发 queued
01-02 09:30 e escalation_lead 郑秀兰 queued
01-02 09:30 e escalation 林志远 queued
01-03 09:00 o3 overdue 郑秀兰 queued
01-03 09:00 o3 overdue 邵长发 queued
01-04 09:00 o4 overdue 郑秀兰 queued
01-04 09:00 o4 overdue 邵长发 queued
01-05 09:00 o5 overdue 郑秀兰 queued
01-05 09:00 o5 overdue 邵长发 queued
EOF2
queued >"$T/got"
if cmp -s "$T/want" "$T/got"; then ok "hourly walk queues the exact sequence"; else
	notok "hourly walk queues the exact sequence"; diff "$T/want" "$T/got" | sed 's/^/#   /'; fi
expect_eq "each reminder queued when its time came (09:30 escalation at the 10:00 tick)" \
	"$(sql "SELECT count(*) FROM message WHERE created_at - not_before NOT BETWEEN 0 AND 3599")" 0
expect_eq "nothing queued twice" \
	"$(sql "SELECT count(*) FROM (SELECT person, step FROM message GROUP BY person, step HAVING count(*) > 1)")" 0
expect_eq "reminders carry an expiry after their send time" \
	"$(sql "SELECT count(*) FROM message WHERE expires_at IS NULL OR expires_at <= not_before")" 0
expect_grep "the text is rendered in Chinese with the reply instruction" '回复“完成T1”办结' \
	"$(sql "SELECT x.body FROM message m JOIN message_text x ON x.id = m.text_id WHERE step='b7d' LIMIT 1" >"$T/body"; echo "$T/body")"
expect_eq "days left rendered for the 7-day step" \
	"$(sql "SELECT instr(x.body, '还有7天') > 0 FROM message m JOIN message_text x ON x.id = m.text_id WHERE step='b7d' LIMIT 1")" 1
expect_eq "no more work planned after the last step" "$(sql "SELECT next_fire IS NULL FROM task")" 1
NOW="2009-01-07 23:00"
check "a second pass at the same time is harmless" d tick
expect_eq "  and queues nothing" "$(sql "SELECT count(*) FROM message")" 26

# 2. marked done midway: reminders stop, unsent ones are cancelled
rm -f "$T/duban.db"*
town
walk "2008-12-23 00:00" "2008-12-29 12:00"
NOW="2008-12-29 12:00"
check "task done midway" d task done T1
walk "2008-12-29 13:00" "2009-01-07 23:00"
expect_eq "no reminders after done" \
	"$(sql "SELECT count(*) FROM message WHERE created_at > strftime('%s','2008-12-29 04:00')")" 0
expect_eq "unsent reminders of the done task are cancelled" \
	"$(sql "SELECT group_concat(DISTINCT status) FROM message")" "cancelled"
NOW="2009-01-03 10:00"
check "reopened" d task reopen T1
d tick --quiet
expect_eq "a reopened task resumes: the latest repeat (o3) to lead and owner, nothing older" \
	"$(sql "SELECT group_concat(step || '/' || person, ' ') FROM message WHERE status = 'queued'")" "o3/1 o3/2"
expect_eq "  the escalation, past its expiry, is recorded as skipped, not sent" \
	"$(sql "SELECT count(*) FROM message WHERE step = 'e' AND status = 'skipped'")" 2
walk "2009-01-03 11:00" "2009-01-07 23:00"
expect_eq "  and the repeats go on to the maximum" \
	"$(sql "SELECT group_concat(step, ' ') FROM (SELECT DISTINCT step FROM message WHERE status = 'queued' ORDER BY step)")" "o3 o4 o5"

# 3. the deadline moves: the plan follows, sent steps stay sent
rm -f "$T/duban.db"*
town
walk "2008-12-23 00:00" "2008-12-25 12:00"
NOW="2008-12-25 12:00"
check "deadline moved to 2009-01-10" d task update T1 --deadline 2009-01-10
expect_eq "the queued reminders for the old deadline are cancelled" \
	"$(sql "SELECT count(*) FROM message WHERE status = 'cancelled' AND step = 'b7d'")" 2
walk "2008-12-25 13:00" "2009-01-07 23:00"
queued | grep -v cancelled >"$T/got"
cat >"$T/want" <<'EOF2'
01-03 09:00 b7d reminder 郑秀兰 queued
01-03 09:00 b7d reminder 邵长发 queued
01-07 09:00 b3d reminder 郑秀兰 queued
01-07 09:00 b3d reminder 邵长发 queued
01-07 09:00 b3d reminder 梅国强 queued
01-07 09:00 b3d reminder 邵玉兰 queued
EOF2
if cmp -s "$T/want" "$T/got"; then ok "the plan follows the new deadline"; else
	notok "the plan follows the new deadline"; diff "$T/want" "$T/got" | sed 's/^/#   /'; fi

# 4. three days without ticks: one catch-up message, not three
rm -f "$T/duban.db"*
town
walk "2008-12-23 00:00" "2008-12-27 23:00"
NOW="2008-12-31 10:00"
d tick --quiet
expect_eq "after the gap, one message per person is queued" \
	"$(sql "SELECT count(*) FROM message WHERE status = 'queued' AND step != 'b7d'")" 4
expect_eq "  and it is the latest step (due today)" \
	"$(sql "SELECT group_concat(DISTINCT step) FROM message WHERE status = 'queued' AND step != 'b7d'")" "b0d"
expect_eq "  the older steps are recorded as skipped" \
	"$(sql "SELECT count(*) FROM message WHERE status = 'skipped'")" 8
check "skipped steps are visible in the outbox" d outbox list --status skipped
expect_grep "  with the reason" "superseded by a later step" "$T/last.out"

# 5. two ticks racing never queue twice
rm -f "$T/duban.db"*
town
NOW="2008-12-24 09:00"
d tick --quiet & p1=$!
d tick --quiet & p2=$!
wait $p1; wait $p2
expect_eq "two racing passes queue each reminder once" \
	"$(sql "SELECT count(*) FROM message")" 2

# 6. quiet hours: a step inside them fires at their end
rm -f "$T/duban.db"*
town
NOW="2008-12-01 10:00"
d task add --title 夜间事项 --deadline "2008-12-20 23:00" --lead 郑秀兰 --rules urgent >/dev/null
walk "2008-12-20 17:00" "2008-12-21 09:00"
expect_eq "the 4h-before step of a 23:00 deadline (19:00) is not moved" \
	"$(sql "SELECT strftime('%H:%M', not_before, 'unixepoch', '+8 hours') FROM message WHERE step = 'b4h'")" "19:00"
NOW="2008-12-01 10:00"
d task add --title 凌晨事项 --deadline "2008-12-22 03:00" --lead 郑秀兰 --rules urgent >/dev/null
walk "2008-12-21 20:00" "2008-12-22 09:00"
expect_eq "a step due at 23:00 (quiet hours) is sent at 08:00" \
	"$(sql "SELECT strftime('%m-%d %H:%M', not_before, 'unixepoch', '+8 hours') FROM message m JOIN task t ON t.id = m.task WHERE t.title = '凌晨事项' AND step = 'b4h'")" "12-22 08:00"
expect_eq "nothing was queued during the quiet hours" \
	"$(sql "SELECT count(*) FROM message WHERE CAST(strftime('%H', created_at, 'unixepoch', '+8 hours') AS INTEGER) NOT BETWEEN 8 AND 20")" 0
