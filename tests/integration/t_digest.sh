#!/bin/sh
# t_digest.sh - a village party secretary's December: he leads five tasks
# due in the same week; duban ticks every 30 minutes (DUBAN_NOW) and sends
# through the simulator, and he replies by SMS (posted to the callback as
# a provider would).  At most reminders.per_person_day (3) reminder SMS
# reach him on any day; several tasks due together come as one digest
# whose every listed step is recorded with its own dedupe key; 收到 after
# a digest acknowledges all it listed, stops their overdue repeats and is
# confirmed; 完成 T3 T4 closes both and is confirmed; an unknown code is
# answered with what to send instead.
. "$TOP/tests/integration/lib.sh"
setup

SECRET=digest-callback-secret-0123456789
sed -i 's/^log = .*/log = { level = "info"; };/' "$DUBAN_CONFIG"
start_sim || exit 1
cat >>"$DUBAN_CONFIG" <<CFG
providers = ( { name = "sim"; type = "http"; url = "$SIM_URL/sms/send";
  callback_secret = "$SECRET"; retries = { max = 3; base_ms = 10; max_ms = 100; }; } );
dispatcher = { poll_ms = 100; commit_ms = 20; };
http = { listen = "127.0.0.1:0"; };
CFG
d() { DUBAN_NOW="$NOW" "$DUBAN" "$@"; }

NOW="2008-11-30 10:00"
d init >/dev/null
d person add --name 邵长发 --phone 17768091854 --title 村党支部书记 >/dev/null
d person add --name 梅国强 --phone 18657698551 --title 村委会主任 >/dev/null
d person add --name 林志远 --phone 13957608911 --title 党委书记 >/dev/null
for t in "梅岙塘村道路硬化:2008-12-26" "村级财务公开:2008-12-29" "农田水利冬修:2008-12-30" \
	"农村低保复核:2008-12-31" "年终工作总结:2008-12-31"; do
	d task add --title "${t%%:*}" --deadline "${t#*:}" --lead 邵长发 --owner 梅国强 \
		--supervisor 林志远 >/dev/null
done

# walk FROM TO: a tick and a dispatch every 30 minutes
walk() {
	t=$(TZ=Asia/Shanghai date -d "$1" +%s)
	end=$(TZ=Asia/Shanghai date -d "$2" +%s)
	while [ "$t" -le "$end" ]; do
		NOW=$(TZ=Asia/Shanghai date -d "@$t" "+%Y-%m-%d %H:%M")
		d tick --quiet || echo "tick failed at $NOW" >&2
		[ "$(sql "select count(*) from message where status = 'queued'
			and not_before <= strftime('%s', '$NOW', '-8 hours')")" = 0 ] ||
			d dispatch >/dev/null 2>&1 || echo "dispatch failed at $NOW" >&2
		t=$((t + 1800))
	done
}
answered() {
	[ "$(sql "select count(*) from message m join inbound i on m.dedupe_key = 'reply:ans:' || i.id
		where i.provider_ref = '$1' and m.status = 'sent'")" = 1 ]
}
# reply AT TEXT ID: the daemon runs at AT, a reply arrives as the provider posts it
reply() {
	NOW=$1
	export DUBAN_NOW="$NOW"
	start_duban || return 1
	unset DUBAN_NOW
	curl -s -o /dev/null -X POST "$API/callbacks/mo/sim/$SECRET" -H 'Content-Type: application/json' \
		-d "{\"from\":\"+8617768091854\",\"to\":\"106900\",\"text\":\"$2\",\"id\":\"$3\"}"
	wait_for 10 answered "$3" || notok "reply $3 answered in time"
	kill "$DPID"
	wait "$DPID" 2>/dev/null
}
answer_to() { sql "select x.body from message m join message_text x on x.id = m.text_id join inbound i on m.dedupe_key = 'reply:ans:' || i.id
	where i.provider_ref = '$1'"; }
SHAO="(select id from person where name = '邵长发')"

walk "2008-12-01 00:00" "2008-12-24 12:00"
reply "2008-12-24 12:00" "收到" mo-1
LAST=$(sql "select id from message where person = $SHAO and kind = 'reminder' and status = 'sent' order by sent_at desc, id desc limit 1")
expect_eq "收到 acknowledges the digest he got last (12-24 09:00: T4 and T5), every task it listed" \
	"$(answer_to mo-1) $(sql "select step from message where id = $LAST")" "已确认收到T4、T5的督办提醒。 digest"
expect_eq "  (each of its steps is marked acknowledged)" \
	"$(sql "select count(*) from digest_item di join message m on m.id = di.item
		where di.digest = $LAST and m.acked_at is not null")" 2

walk "2008-12-24 12:30" "2008-12-28 10:00"
reply "2008-12-28 10:00" "完成 T3 T4" mo-2
expect_eq "完成 T3 T4 closes both" "$(sql "select group_concat(code || ' ' || status, ', ') from task where code in ('T3', 'T4')")" \
	"T3 done, T4 done"
expect_eq "  and is confirmed" "$(answer_to mo-2)" "已收到：T3、T4已标记为办结，相关提醒停止。"
reply "2008-12-28 10:30" "完成T9" mo-3
expect_eq "an unknown code is answered with what to send instead" "$(answer_to mo-3)" \
	"未找到事项T9，请回复“完成”加事项编号，如“完成T1”。"

walk "2008-12-28 10:30" "2009-01-01 10:00"
reply "2009-01-01 10:00" "收到" mo-4
ACKED=$(answer_to mo-4)
case "$ACKED" in 已确认收到T*的督办提醒。) ok "收到 after an overdue digest is confirmed ($ACKED)" ;;
	*) notok "收到 after an overdue digest is confirmed (got \"$ACKED\")" ;; esac
walk "2009-01-01 10:30" "2009-01-05 23:30"

# ---- what he got -----------------------------------------------------------------------------
sql "select date(sent_at, 'unixepoch', '+8 hours'), count(*) from message
     where person = $SHAO and kind in ('reminder', 'escalation') and status in ('sent', 'delivered')
     group by 1 order by 2 desc limit 1" >"$T/maxday"
MAX=$(cut -d'|' -f2 "$T/maxday")
[ -n "$MAX" ] && [ "$MAX" -le 3 ] && ok "at most 3 reminder SMS to him on any day (most: $(tr '|' ' ' <"$T/maxday"))" ||
	notok "at most 3 reminder SMS to him on any day (most: $(cat "$T/maxday"))"
expect_eq "every reminder SMS he got was sent (none left queued, failed or expired)" \
	"$(sql "select count(*) from message where person = $SHAO and kind in ('reminder', 'escalation')
		and status not in ('sent', 'delivered', 'skipped')")" 0
DIGESTS=$(sql "select count(*) from message where person = $SHAO and step = 'digest' and status = 'sent'")
[ "$DIGESTS" -ge 3 ] && ok "several tasks due together came as digests ($DIGESTS)" ||
	notok "several tasks due together came as digests ($DIGESTS)"
expect_eq "each step a digest listed is recorded with its own key, as sent in that digest" \
	"$(sql "select count(*) from digest_item di join message m on m.id = di.item
		where m.dedupe_key not like 'r:%' or m.last_error != 'in digest #' || di.digest or m.task is null")" 0
expect_eq "  and no step was sent twice" \
	"$(sql "select count(*) from (select dedupe_key from message where dedupe_key is not null group by 1 having count(*) > 1)")" 0
expect_eq "the digests name every task they list (shortest form or with titles)" \
	"$(sql "select count(*) from digest_item di join message m on m.id = di.item join task t on t.id = m.task
		join message d on d.id = di.digest join message_text dx on dx.id = d.text_id
		where instr(dx.body, t.code) = 0")" 0
expect_eq "no repeats of T1 or T2 after the 01-01 收到: each recorded with why" \
	"$(sql "select count(*) from message m join task t on t.id = m.task where m.person = $SHAO
		and t.code in ('T1', 'T2') and m.step like 'o%' and m.not_before > strftime('%s', '2009-01-01 02:00')
		and (m.status != 'skipped' or m.last_error not like 'acknowledged%')")" 0
expect_eq "  while some were due and recorded" \
	"$(sql "select count(*) > 0 from message m where m.person = $SHAO and m.last_error like 'acknowledged%'")" 1
expect_eq "he never got the supervisor's words about himself" \
	"$(sql "select count(*) from message m join message_text x on x.id = m.text_id where person = $SHAO
		and (body like '%督办提醒：%' or body like '%邵长发牵头%')")" 0
expect_eq "  but was told when a task of his was reported" \
	"$(sql "select count(*) > 0 from message m join message_text x on x.id = m.text_id where person = $SHAO
		and status = 'sent' and body like '%已上报督办%'")" 1
expect_eq "closed tasks got nothing after 完成" \
	"$(sql "select count(*) from message m join task t on t.id = m.task where t.code in ('T3', 'T4')
		and m.created_at > t.done_at")" 0
expect_eq "the supervisor never got more than 3 a day either" \
	"$(sql "select coalesce(max(n), 0) <= 3 from (select count(*) n from message where person = (select id from person where name = '林志远')
		and kind in ('reminder', 'escalation') and status = 'sent' group by date(sent_at, 'unixepoch', '+8 hours'))")" 1
expect_eq "the answers to his replies are SMS sent to him" \
	"$(sql "select count(*) from message where kind = 'reply' and phone = '+8617768091854' and status = 'sent'")" 4
NOW="2009-01-06 09:00"
d task list --status overdue --format json >"$T/overdue.json"
last_of() {
	sql "select strftime('%Y-%m-%d %H:%M', max(t), 'unixepoch', '+8 hours') from (
		select m.sent_at t from message m where m.task = 1 and m.kind = '$1' and m.status = 'sent'
		union all select d.sent_at from message d join digest_item di on di.digest = d.id
		join message m on m.id = di.item where m.task = 1 and m.kind = '$1' and d.status = 'sent')"
}
expect_eq "task list --status overdue: T1's last reminder and escalation, on their own or in digests" \
	"$(jq -r '.[] | select(.code == "T1") | .last_reminder + " / " + .last_escalation' "$T/overdue.json")" \
	"$(last_of reminder) / $(last_of escalation)"
expect_eq "  (and they are there)" "$(jq -r '[.[] | select(.code == "T1") | .last_reminder, .last_escalation | length > 0] | all' "$T/overdue.json")" true
sql "select m.id, date(m.not_before, 'unixepoch', '+8 hours') || ' ' || time(m.not_before, 'unixepoch', '+8 hours'), m.step, m.status, x.body
     from message m join message_text x on x.id = m.text_id where m.person = $SHAO and m.status != 'skipped' order by m.id" | sed 's/^/# /'
exit "$FAILED"
