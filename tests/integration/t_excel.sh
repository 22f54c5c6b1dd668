#!/bin/sh
# t_excel.sh - the town's people and tasks as the clerk's Excel saves them:
# GB18030, CRLF, Chinese headers under their other names (手机号码, 所在单位,
# 人员类别, 督办事项, 完成时限), an extra 序号 and 备注 column, Chinese and
# mixed-case English kinds, groups separated by 、 and ；, dates as
# 2008/12/31, 2008年12月20日 and Excel's serial numbers, trailing empty
# rows.  Every field is checked in the database.  A bad file reports each
# distinct problem once with its rows; --update changes people in place.
. "${TOP:-.}/tests/integration/lib.sh"
setup
check "init" "$DUBAN" init

# to_excel IN OUT: UTF-8 text to GB18030 with CRLF line ends, as Excel saves it.
to_excel() { sed 's/$/\r/' "$1" | iconv -f UTF-8 -t GB18030 >"$2"; }

cat >"$T/people.txt" <<'CSV'
序号,姓名,手机号码,职务,所在单位,人员类别,分组,备注
1,林志远,139 5760 8911,党委书记,小雄镇,干部,镇领导班子、个私经济服务站,
2,邵长发,13957605501,村主任,梅岙塘村,村干部,村两委-梅岙塘村；镇领导班子,老主任
3,陈阿土,13857600001,,梅岙塘村,农户,农户-梅岙塘村,
4,雄峰竹制品厂,13857600002,厂长,小雄镇,Enterprise,企业,
5,张三,13857600003,,小雄村,FARMER,,
,,,,,,,
,,,,,,,
CSV
to_excel "$T/people.txt" "$T/people.csv"

check "the Excel export imports" "$DUBAN" person import "$T/people.csv"
expect_grep "it says how many" "imported 5 people" "$T/last.out"
expect_grep "and names the columns it ignored, once" "^ignored columns: 序号, 备注$" "$T/last.out"
expect_eq "five people, the empty rows skipped" "$(sql 'SELECT count(*) FROM person')" 5
expect_eq "every field of 林志远" \
	"$(sql "SELECT phone||'|'||title||'|'||org||'|'||kind FROM person WHERE name='林志远'")" \
	"+8613957608911|党委书记|小雄镇|official"
expect_eq "村干部 is an official, 农户 a farmer" \
	"$(sql "SELECT group_concat(kind, ',') FROM (SELECT kind FROM person WHERE name IN ('邵长发','陈阿土') ORDER BY name)")" \
	"official,farmer"
expect_eq "Enterprise and FARMER in any case" \
	"$(sql "SELECT group_concat(kind, ',') FROM (SELECT kind FROM person WHERE name IN ('雄峰竹制品厂','张三') ORDER BY phone)")" \
	"enterprise,farmer"
expect_eq "an empty title stays empty" "$(sql "SELECT title FROM person WHERE name='陈阿土'")" ""
groups_of() {
	sql "SELECT group_concat(name, ',') FROM (SELECT g.name FROM grp g JOIN member m ON m.grp = g.id
	     JOIN person p ON p.id = m.person WHERE p.name = '$1' ORDER BY g.name)"
}
expect_eq "、 separates groups" "$(groups_of 林志远)" "个私经济服务站,镇领导班子"
expect_eq "； separates groups" "$(groups_of 邵长发)" "村两委-梅岙塘村,镇领导班子"
expect_eq "no group named with the separator" \
	"$(sql "SELECT count(*) FROM grp WHERE name LIKE '%、%' OR name LIKE '%；%'")" 0

cat >"$T/tasks.txt" <<'CSV'
序号,督办事项,完成时限,牵头领导,责任人,督办领导,备注
1,梅岙塘农田改造工程,2008/12/31,邵长发,陈阿土、张三,林志远,
2,山场小学宿舍楼扩建工程,2008年12月20日,林志远,,,
3,拖欠民工工资纠纷处理,39782,林志远,邵长发,,
4,庙峙村道路硬化,2008.11.15 14:30,邵长发,,,
,,,,,,
CSV
to_excel "$T/tasks.txt" "$T/tasks.csv"
check "the Excel task sheet imports" "$DUBAN" task import "$T/tasks.csv"
expect_grep "four tasks" "imported 4 tasks" "$T/last.out"
expect_grep "序号 and 备注 ignored" "^ignored columns: 序号, 备注$" "$T/last.out"
deadline_of() {
	sql "SELECT strftime('%Y-%m-%d %H:%M', deadline, 'unixepoch', '+8 hours') FROM task WHERE title = '$1'"
}
expect_eq "2008/12/31 is the end of that day" "$(deadline_of 梅岙塘农田改造工程)" "2008-12-31 23:59"
expect_eq "2008年12月20日 too" "$(deadline_of 山场小学宿舍楼扩建工程)" "2008-12-20 23:59"
expect_eq "Excel's 39782 is 2008-11-30" "$(deadline_of 拖欠民工工资纠纷处理)" "2008-11-30 23:59"
expect_eq "2008.11.15 14:30 keeps its time" "$(deadline_of 庙峙村道路硬化)" "2008-11-15 14:30"
roles_of() {
	sql "SELECT group_concat(r, ',') FROM (SELECT a.role||':'||p.name AS r FROM assignment a
	     JOIN person p ON p.id = a.person JOIN task t ON t.id = a.task WHERE t.title = '$1' ORDER BY r)"
}
expect_eq "lead, owners separated by 、 and the supervisor" "$(roles_of 梅岙塘农田改造工程)" \
	"lead:邵长发,owner:张三,owner:陈阿土,supervisor:林志远"

# ---- a bad file: each distinct problem once, with its rows -------------------------

cat >"$T/bad.txt" <<'CSV'
序号,姓名,联系电话,类别
1,甲,13500000001,干事
2,乙,13500000002,农户
3,丙,13500000003,干事
4,丁,12345,农户
5,戊,13500000005,干事
CSV
to_excel "$T/bad.txt" "$T/bad.csv"
before=$(sqlite3 "$T/duban.db" 'SELECT count(*) FROM person')
expect_exit "a file with an unknown kind on three rows is refused" 2 \
	"$DUBAN" person import "$T/bad.csv"
expect_eq "the kind is reported once" "$(grep -c '干事' "$T/last.err")" 1
expect_grep "with its rows, at the first one's line" "^$T/bad.csv:2: rows 2, 4, 6: kind .*干事" "$T/last.err"
expect_grep "the bad phone on its own line" "^$T/bad.csv:5: phone \"12345\"" "$T/last.err"
expect_grep "two problems, nothing imported" "2 problems; nothing imported" "$T/last.err"
expect_eq "nothing imported" "$(sql 'SELECT count(*) FROM person')" "$before"

LANG=zh_CN.UTF-8 "$DUBAN" person import "$T/bad.csv" >"$T/zh.out" 2>"$T/zh.err"
expect_grep "in Chinese: 第2、4、6行" "^$T/bad.csv:2: 第2、4、6行：类别" "$T/zh.err"

cat >"$T/nohead.csv" <<'CSV'
姓名,备注
甲,x
CSV
expect_exit "a sheet without a phone column is refused" 2 "$DUBAN" person import "$T/nohead.csv"
expect_grep "naming the column" "missing column \"phone\"" "$T/last.err"

# ---- person import --update ----------------------------------------------------------

sid=$(sql "SELECT id FROM person WHERE name='邵长发'")
cat >"$T/update.txt" <<'CSV'
姓名,手机,职务,单位,类别
邵长发,13957605599,村支书,梅岙塘村,干部
林志远,139 5760 8911,党委书记,小雄镇,干部
新来的,13857600099,,小雄村,农户
CSV
to_excel "$T/update.txt" "$T/update.csv"
expect_exit "without --update a known phone is refused" 2 "$DUBAN" person import "$T/update.csv"
check "with --update" "$DUBAN" person import --update "$T/update.csv"
expect_grep "added, updated, unchanged" "3 people from $T/update.csv: 1 added, 1 updated, 1 unchanged" \
	"$T/last.out"
expect_eq "邵长发 matched by name and org keeps his id with the new phone and title" \
	"$(sql "SELECT id||'|'||phone||'|'||title FROM person WHERE name='邵长发'")" \
	"$sid|+8613957605599|村支书"
expect_eq "and still leads his task" "$(roles_of 梅岙塘农田改造工程)" \
	"lead:邵长发,owner:张三,owner:陈阿土,supervisor:林志远"
expect_eq "no second 邵长发" "$(sql "SELECT count(*) FROM person WHERE name='邵长发'")" 1

exit $FAILED
