#!/bin/sh
# t_person_edit.sh - editing people without losing them: person update
# changes a phone and the person keeps their id, tasks and messages;
# person add of a known name is refused (naming who has it) unless
# --force; person merge of the duplicate moves every task role, group,
# message and reply to the original and removes it; each is in the audit
# log.
. "${TOP:-.}/tests/integration/lib.sh"
setup
EX="$TOP/examples/xiaoxiong"
check "init" "$DUBAN" init
check "import the example town" "$DUBAN" person import "$EX/people.csv"
check "and its tasks" "$DUBAN" task import "$EX/tasks.csv"

id=$(sql "SELECT id FROM person WHERE name='邵长发'")
old=$(sql "SELECT phone FROM person WHERE name='邵长发'")
tasks_of() { sql "SELECT group_concat(x, ',') FROM (SELECT t.code||':'||a.role AS x FROM assignment a JOIN task t ON t.id=a.task WHERE a.person=$1 ORDER BY x)"; }
tasks_before=$(tasks_of "$id")
check "a message to him" "$DUBAN" send "$old" "邵主任您好，请于周五前报送梅岙塘进度。"
msg=$(sql "SELECT id FROM message WHERE person=$id")
expect_eq "the message is his" "$(sql "SELECT count(*) FROM message WHERE person=$id")" 1

# ---- update ------------------------------------------------------------------------
check "person update changes his phone" "$DUBAN" person update 邵长发 --phone "139-5760-5599" --title 村支书 --group +个私经济服务站
expect_grep "it says who, with the new number" "#$id 邵长发 +8613957605599" "$T/last.out"
expect_eq "same id, new phone and title" \
	"$(sql "SELECT id||'|'||phone||'|'||title FROM person WHERE name='邵长发'")" "$id|+8613957605599|村支书"
expect_eq "his tasks are still his" "$(tasks_of "$id")" "$tasks_before"
expect_eq "and his message" "$(sql "SELECT person FROM message WHERE id=$msg")" "$id"
expect_eq "he joined the group" \
	"$(sql "SELECT count(*) FROM member m JOIN grp g ON g.id=m.grp WHERE g.name='个私经济服务站' AND m.person=$id")" 1
check "--group -G leaves it" "$DUBAN" person update "#$id" --group -个私经济服务站
expect_eq "he left it" \
	"$(sql "SELECT count(*) FROM member m JOIN grp g ON g.id=m.grp WHERE g.name='个私经济服务站' AND m.person=$id")" 0
expect_exit "leaving a group he is not in is refused" 2 "$DUBAN" person update "#$id" --group -个私经济服务站
other=$(sql "SELECT phone FROM person WHERE name='林志远'")
expect_exit "a number someone else has is refused" 2 "$DUBAN" person update 邵长发 --phone "$other"
expect_grep "naming them" "林志远" "$T/last.err"
expect_exit "--group without + or - is usage" 2 "$DUBAN" person update 邵长发 --group 镇领导班子
expect_eq "the audit log has the update" \
	"$(sql "SELECT count(*) FROM event WHERE action='person.update' AND object='+8613957605599'")" 2

# ---- add of a known name -----------------------------------------------------------
expect_exit "person add with a known name and a new number is refused" 2 \
	"$DUBAN" person add --name 邵长发 --phone 13957600000
expect_grep "naming who has the name" "#$id" "$T/last.err"
expect_grep "and saying how to go on" "person update" "$T/last.err"
expect_eq "no second 邵长发" "$(sql "SELECT count(*) FROM person WHERE name='邵长发'")" 1
check "--force adds the second" "$DUBAN" person add --name 邵长发 --phone 13957600000 --force
dup=$(sql "SELECT id FROM person WHERE phone='+8613957600000'")

# ---- merge -------------------------------------------------------------------------
check "the duplicate gets a role on T2" "$DUBAN" task update T2 --owner "#$dup"
check "a message to the duplicate" "$DUBAN" send 13957600000 "请核对梅岙塘村名单。"
check "and he joins a group" "$DUBAN" group add-member 个私经济服务站 "#$dup"
dmsg=$(sql "SELECT id FROM message WHERE person=$dup")
expect_exit "the name is now ambiguous" 2 "$DUBAN" person show 邵长发
check "person merge the duplicate into him" "$DUBAN" person merge "#$dup" "#$id"
expect_grep "it says who went where" "merged #$dup 邵长发 +8613957600000 into #$id" "$T/last.out"
expect_eq "the duplicate is gone" "$(sql "SELECT count(*) FROM person WHERE id=$dup")" 0
expect_eq "he has the T2 role as well as his own" "$(tasks_of "$id")" \
	"$(printf '%s\n' $(echo "$tasks_before" | tr , ' ') T2:owner | sort | paste -sd,)"
expect_eq "both messages are his" "$(sql "SELECT count(*) FROM message WHERE person=$id AND id IN ($msg, $dmsg)")" 2
expect_eq "and the group" \
	"$(sql "SELECT count(*) FROM member m JOIN grp g ON g.id=m.grp WHERE g.name='个私经济服务站' AND m.person=$id")" 1
check "the name is one person again" "$DUBAN" person show 邵长发
expect_eq "the audit log has the merge" "$(sql "SELECT count(*) FROM event WHERE action='person.merge'")" 1

# A reminder the duplicate had is his now, and is not sent to him again
# when the task is planned anew (its dedupe key names the person).
check "a second duplicate" "$DUBAN" person add --name 邵长发 --phone 13957600001 --force
dup2=$(sql "SELECT id FROM person WHERE phone='+8613957600001'")
check "  owns T2" "$DUBAN" task update T2 --owner "#$dup2"
check "  and gets T2's 7-days-before reminder" env DUBAN_NOW="2008-12-24 09:30" "$DUBAN" tick
t2=$(sql "SELECT id FROM task WHERE code='T2'")
expect_eq "  one reminder of that step to him" \
	"$(sql "SELECT count(*) FROM message WHERE task=$t2 AND step='b7d' AND person=$dup2")" 1
check "merge him" "$DUBAN" person merge "#$dup2" "#$id"
check "the task is planned anew" env DUBAN_NOW="2008-12-24 09:40" "$DUBAN" task update T2 --detail 请于月底前完成
check "a pass of the scheduler" env DUBAN_NOW="2008-12-24 09:41" "$DUBAN" tick
expect_eq "  the kept person has that step once, not twice" \
	"$(sql "SELECT count(*) FROM message WHERE task=$t2 AND step='b7d' AND person=$id")" 1
expect_eq "  under a key that names him" \
	"$(sql "SELECT dedupe_key FROM message WHERE task=$t2 AND step='b7d' AND person=$id")" \
	"r:$t2:$(sql "SELECT deadline FROM task WHERE id=$t2"):b7d:$id"
expect_exit "merging a person into himself is refused" 2 "$DUBAN" person merge "#$id" 邵长发

exit $FAILED
