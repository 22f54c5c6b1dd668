#!/bin/sh
# t_people.sh - people, groups and tasks through the real binary on a fresh
# database: init (0600), importing the example town (UTF-8 and GB18030 give
# the same people), a bad CSV refused with every bad row as FILE:LINE and
# the database left byte-for-byte as it was, duplicate phone numbers named,
# phone normalization, groups, tasks (deadline 23:59, overdue, done,
# reopen, cancel, show), removal refused while assigned, CSV with a BOM,
# --help everywhere, exit codes, and `config check` on a bad file.
. "${TOP:-.}/tests/integration/lib.sh"
setup
EX="$TOP/examples/xiaoxiong"

# first_line_of FILE PATTERN: the first line matching PATTERN, or "".
first_line_of() { grep -m1 -- "$2" "$1"; }
hash_db() { sha256sum "$1" | cut -d' ' -f1; }

# ---- init and the example town -----------------------------------------------

check "init creates the database" "$DUBAN" init
expect_eq "database is mode 0600" "$(stat -c %a "$T/duban.db")" 600
check "init again is harmless" "$DUBAN" init
expect_grep "init tells the schema version" "schema version" "$T/last.out"

check "import the example people" "$DUBAN" person import "$EX/people.csv"
check "import the example tasks" "$DUBAN" task import "$EX/tasks.csv"
ntasks=$(awk -F, 'NR > 1 && NF' "$EX/tasks.csv" | wc -l)
expect_grep "task import says how many" "imported $ntasks tasks" "$T/last.out"

"$DUBAN" person list --format json >"$T/people.json" 2>"$T/last.err"
npeople=$(awk -F, 'NR > 1 && NF' "$EX/people.csv" | wc -l)
expect_eq "person list is JSON with one object per CSV row" \
	"$(jq 'length' "$T/people.json" 2>&1)" "$npeople"
expect_eq "every phone is stored as +86 and 11 digits" \
	"$(jq '[.[] | select(.phone | test("^\\+86[0-9]{11}$") | not)] | length' "$T/people.json")" 0

# A row the CSV writes as 138-0571-xxxx comes out normalized.
row=$(first_line_of "$EX/people.csv" ',138-0571-')
pname=${row%%,*}
praw=$(echo "$row" | cut -d, -f2)
pphone="+86$(echo "$praw" | tr -cd 0-9)"
expect_eq "\"$praw\" ($pname) is stored as $pphone" \
	"$(jq -r --arg n "$pname" '.[] | select(.name == $n) | .phone' "$T/people.json")" "$pphone"
expect_eq "the example tasks are in" "$(sql 'SELECT count(*) FROM task')" "$ntasks"

# The GB18030 variant (other column order, CRLF) gives the same people.
sed "s|$T/duban.db|$T/gb.db|" "$DUBAN_CONFIG" >"$T/gb.cfg"
check "init a second database" "$DUBAN" -c "$T/gb.cfg" init
check "import the GB18030 people" "$DUBAN" -c "$T/gb.cfg" person import "$EX/people-gb18030.csv"
"$DUBAN" -c "$T/gb.cfg" person list --format json >"$T/people-gb.json" 2>"$T/last.err"
if cmp -s "$T/people.json" "$T/people-gb.json"; then
	ok "GB18030 and UTF-8 imports list identically"
else
	notok "GB18030 and UTF-8 imports list identically"
	diff "$T/people.json" "$T/people-gb.json" | head -10 | sed 's/^/#   /'
fi

# ---- a bad CSV changes nothing ----------------------------------------------------

cat >"$T/bad.csv" <<'CSV'
name,phone,title,org,kind,groups
测试甲,135 1111 0001,村会计,小雄村,official,测试组
测试乙,12345,村会计,小雄村,official,
测试丙,13511110003,农户,小雄村,farmer,
测试丁,13511110004,农户,小雄村,boss,
测试戊,135-1111-0001,农户,小雄村,farmer,
CSV
before=$(hash_db "$T/duban.db")
expect_exit "a bad CSV is refused with exit 2" 2 "$DUBAN" person import "$T/bad.csv"
expect_grep "bad phone reported on line 3" "^$T/bad.csv:3: phone \"12345\"" "$T/last.err"
expect_grep "unknown kind reported on line 5" "^$T/bad.csv:5: kind .*boss" "$T/last.err"
expect_grep "phone of line 2 repeated on line 6" \
	"^$T/bad.csv:6: phone +8613511110001 is also on line 2" "$T/last.err"
expect_eq "good lines 2 and 4 are not reported" \
	"$(grep -c "^$T/bad.csv:[24]:" "$T/last.err")" 0
expect_grep "it says nothing was imported" "nothing imported" "$T/last.err"
expect_eq "the database is byte-for-byte unchanged" "$(hash_db "$T/duban.db")" "$before"

# Rows that are fine on their own but clash with the database: same.
first=$(awk -F, 'NR == 2' "$EX/people.csv")
cat >"$T/clash.csv" <<CSV
name,phone
新人,13511110009
重号,$(echo "$first" | cut -d, -f2)
CSV
expect_exit "a CSV clashing with the database is refused" 2 \
	"$DUBAN" person import "$T/clash.csv"
expect_grep "the clash names the holder, on its line" "^$T/clash.csv:3: .*${first%%,*}" "$T/last.err"
expect_eq "the database is still byte-for-byte unchanged" "$(hash_db "$T/duban.db")" "$before"
expect_eq "the good row of that file is not in" \
	"$(sql "SELECT count(*) FROM person WHERE phone = '+8613511110009'")" 0

# ---- person add ------------------------------------------------------------------

expect_exit "a duplicate phone via person add exits 2" 2 \
	"$DUBAN" person add --name 冒名 --phone "+86 $(echo "$praw" | tr -cd 0-9)"
expect_grep "and names who has it" "$pname" "$T/last.err"
expect_eq "nothing added" "$(sql "SELECT count(*) FROM person WHERE name = '冒名'")" 0

check "person add with +86 138 0013 8000" \
	"$DUBAN" person add --name 李明 --phone "+86 138 0013 8000" --title 村会计 \
	--org 小雄村 --kind official --group 村两委-小雄村
expect_eq "stored as +8613800138000" \
	"$(sql "SELECT phone FROM person WHERE name = '李明'")" "+8613800138000"
expect_exit "a bad phone via person add exits 2" 2 \
	"$DUBAN" person add --name 错号 --phone 1380013
expect_exit "a bad kind via person add exits 2" 2 \
	"$DUBAN" person add --name 错类 --phone 13511110010 --kind boss
check "person show by phone in another form" "$DUBAN" person show "138-0013-8000"
expect_grep "shows the person" "李明" "$T/last.out"
expect_grep "with the group" "村两委-小雄村" "$T/last.out"

# ---- groups --------------------------------------------------------------------

check "group add" "$DUBAN" group add 测试组 --description "integration test"
expect_exit "group add twice exits 2" 2 "$DUBAN" group add 测试组
check "group add-member two people" "$DUBAN" group add-member 测试组 李明 "$pphone"
expect_eq "the group has both" \
	"$("$DUBAN" group show 测试组 --format json | jq -r '[.[].name] | sort | join(",")')" \
	"$(printf '%s\n' 李明 "$pname" | sort | paste -sd,)"
check "group remove-member" "$DUBAN" group remove-member 测试组 李明
expect_eq "one member left" \
	"$("$DUBAN" group show 测试组 --format json | jq -r '[.[].phone] | join(",")')" "$pphone"
expect_exit "add-member of nobody exits 2" 2 "$DUBAN" group add-member 测试组 查无此人
expect_exit "add-member to no group exits 2" 2 "$DUBAN" group add-member 无此组 李明

# ---- tasks ------------------------------------------------------------------------

check "task add with a date alone" \
	"$DUBAN" task add --title 测试到期 --deadline 2008-12-24 --lead 李明 --supervisor "$pphone"
expect_grep "the deadline is the end of that day" "(deadline 2008-12-24 23:59)" "$T/last.out"
day=$(sed -n 's/^added \([^:]*\):.*/\1/p' "$T/last.out")
check "task add with a time" \
	"$DUBAN" task add --title 测试逾期 --deadline "2008-12-20 17:00" --lead 李明 --team 测试组
late=$(sed -n 's/^added \([^:]*\):.*/\1/p' "$T/last.out")
expect_eq "codes are T<n> after the imported ones" "$day $late" \
	"T$((ntasks + 1)) T$((ntasks + 2))"
expect_exit "task add with a bad deadline exits 2" 2 \
	"$DUBAN" task add --title 坏 --deadline 2008-13-01 --lead 李明
expect_exit "task add with an unknown lead exits 2" 2 \
	"$DUBAN" task add --title 坏 --deadline 2008-12-01 --lead 查无此人

check "task show" "$DUBAN" task show "$day"
expect_grep "show has the deadline at 23:59" "deadline: 2008-12-24 23:59" "$T/last.out"
expect_grep "show has the lead" "lead .*李明" "$T/last.out"
expect_grep "show has the supervisor" "supervisor .*$pname" "$T/last.out"
expect_eq "task show --format json" \
	"$("$DUBAN" task show "$late" --format json | jq -r '.[0] | .title + "|" + .deadline + "|" + .team')" \
	"测试逾期|2008-12-20 17:00|测试组"

now="2008-12-24 09:00"
want_overdue=$(awk -F, -v now="$now" 'NR > 1 && NF {
	d = $3; if (length(d) == 10) d = d " 23:59"; if (d < now) print $1 }' "$EX/tasks.csv" |
	sort | paste -sd' ')
DUBAN_NOW="$now" "$DUBAN" task list --status overdue --format json >"$T/overdue.json"
expect_eq "overdue at $now: the example's and $late, not $day" \
	"$(jq -r '[.[].code] | sort | join(" ")' "$T/overdue.json")" \
	"$(printf '%s\n' $want_overdue "$late" | sort | paste -sd' ')"
expect_eq "all of them shown as overdue" \
	"$(jq -r '[.[].status] | unique | join(",")' "$T/overdue.json")" overdue
DUBAN_NOW="2008-12-25 00:00" "$DUBAN" task list --status overdue --format json >"$T/overdue.json"
expect_eq "a minute past 23:59 the date-only task is overdue" \
	"$(jq --arg c "$day" '[.[] | select(.code == $c)] | length' "$T/overdue.json")" 1

check "task done" "$DUBAN" task done "$late"
expect_eq "status done" "$(sql "SELECT status FROM task WHERE code = '$late'")" done
expect_eq "done tasks are not overdue" \
	"$(DUBAN_NOW="$now" "$DUBAN" task list --status overdue --format json |
	   jq --arg c "$late" '[.[] | select(.code == $c)] | length')" 0
expect_eq "done_at is recorded" "$(sql "SELECT done_at IS NOT NULL FROM task WHERE code = '$late'")" 1
check "task done twice is harmless" "$DUBAN" task done "$late"
expect_grep "and says so" "already done" "$T/last.out"
check "task reopen" "$DUBAN" task reopen "$late"
expect_eq "status open again, planning reset" \
	"$(sql "SELECT status || ',' || next_fire || ',' || (done_at IS NULL) FROM task WHERE code = '$late'")" \
	"open,0,1"
check "task cancel" "$DUBAN" task cancel "$day"
expect_eq "status cancelled, nothing to plan" \
	"$(sql "SELECT status || ',' || (next_fire IS NULL) FROM task WHERE code = '$day'")" "cancelled,1"
expect_eq "task list --status cancelled has it" \
	"$("$DUBAN" task list --status cancelled --format json | jq -r '[.[].code] | join(" ")')" "$day"
expect_exit "a cancelled task cannot be marked done: exit 2" 2 "$DUBAN" task done "$day"
expect_grep "  saying what to do" "$day is cancelled: reopen it first to mark it done" "$T/last.err"
expect_eq "  it stays cancelled, no event" \
	"$(sql "SELECT status || ',' || (SELECT count(*) FROM event WHERE action = 'task.done' AND object = '$day') FROM task WHERE code = '$day'")" \
	"cancelled,0"
check "task done $late, then cancel it" "$DUBAN" task done "$late"
expect_exit "a done task cannot be cancelled: exit 2" 2 "$DUBAN" task cancel "$late"
expect_grep "  saying what to do" "$late is done: reopen it first to cancel it" "$T/last.err"
check "reopen it" "$DUBAN" task reopen "$late"
check "task reopen twice is harmless" "$DUBAN" task reopen "$late"
expect_grep "  and says so" "already open" "$T/last.out"
expect_eq "the audit log has each change once" \
	"$(sql "SELECT group_concat(action, ' ') FROM (SELECT action FROM event WHERE object = '$late' ORDER BY id)")" \
	"task.add task.done task.reopen task.done task.reopen"
expect_exit "task done of no such task exits 2" 2 "$DUBAN" task done T9999
expect_exit "task list --status bogus exits 2" 2 "$DUBAN" task list --status bogus

# ---- removing people ----------------------------------------------------------------

expect_exit "person remove refused while assigned" 2 "$DUBAN" person remove 李明
expect_grep "it names the tasks" "$late" "$T/last.err"
expect_eq "still there" "$(sql "SELECT count(*) FROM person WHERE name = '李明'")" 1
check "person add someone unassigned" "$DUBAN" person add --name 临时 --phone 13511110011 --group 测试组
check "person remove of someone unassigned" "$DUBAN" person remove 13511110011
expect_eq "gone, with their membership" \
	"$(sql "SELECT (SELECT count(*) FROM person WHERE name = '临时') + (SELECT count(*) FROM member m JOIN grp g ON g.id = m.grp WHERE g.name = '测试组')")" 1
expect_exit "person remove of nobody exits 2" 2 "$DUBAN" person remove 查无此人

# ---- output formats ---------------------------------------------------------------

"$DUBAN" person list --format csv >"$T/people.csv" 2>"$T/last.err"
expect_eq "--format csv starts with a UTF-8 BOM" "$(head -c 3 "$T/people.csv" | od -An -tx1 | tr -d ' ')" efbbbf
expect_eq "then the header, the columns person import reads" "$(head -1 "$T/people.csv" | tail -c +4 | cut -d, -f1-3)" "name,phone,title"
"$DUBAN" --format csv task list >"$T/tasks.csv" 2>"$T/last.err"
expect_eq "the global --format csv too" "$(head -c 3 "$T/tasks.csv" | od -An -tx1 | tr -d ' ')" efbbbf
check "person list as a table" "$DUBAN" person list --kind official
expect_grep "the table has a header" "^ *id *name *phone" "$T/last.out"

# ---- help, unknown commands, config check --------------------------------------------

helpok=0
for cmd in "" init config person group task tick outbox template \
	"person add" "person list" "person show" "person remove" "person import" \
	"person optout" "person optin" \
	"group add" "group list" "group show" "group remove" "group add-member" \
	"group remove-member" \
	"task add" "task list" "task show" "task done" "task cancel" "task reopen" \
	"task update" "task import" \
	"outbox list" "template list" "template preview"; do
	# shellcheck disable=SC2086 # $cmd is split into words on purpose
	if "$DUBAN" $cmd --help >"$T/help.out" 2>"$T/last.err" && grep -qi usage "$T/help.out"; then
		:
	else
		notok "duban $cmd --help exits 0 with a usage"
		helpok=1
	fi
done
[ $helpok -eq 0 ] && ok "--help on every command and subcommand exits 0 with a usage"

expect_exit "an unknown command exits 2" 2 "$DUBAN" frobnicate
expect_grep "and says so" 'unknown command "frobnicate"' "$T/last.err"
expect_exit "an unknown person subcommand exits 2" 2 "$DUBAN" person frobnicate
expect_exit "an unknown task subcommand exits 2" 2 "$DUBAN" task frobnicate
expect_exit "an unknown option exits 2" 2 "$DUBAN" person list --frobnicate

check "config check on the good configuration" "$DUBAN" config check
expect_grep "says ok" "ok" "$T/last.out"
cat >"$T/bad.cfg" <<CFG
database = "$T/duban.db";
timezone = "Asia/Nowhere";
rules_dir = "$TOP/rules";
templates_dir = "$TOP/templates";
quiet_hours = { from = "25:00"; to = "08:00"; };
log = { level = "loud"; colour = true; };
CFG
expect_exit "config check on a bad configuration exits 1" 1 "$DUBAN" -c "$T/bad.cfg" config check
expect_grep "bad time zone as FILE:LINE" "^$T/bad.cfg:2: .*Asia/Nowhere" "$T/last.err"
expect_grep "bad quiet hours as FILE:LINE" "^$T/bad.cfg:5: .*25:00" "$T/last.err"
expect_grep "bad log level as FILE:LINE" "^$T/bad.cfg:6: .*loud" "$T/last.err"
expect_grep "unknown key as FILE:LINE" "^$T/bad.cfg:6: unknown key 'colour'" "$T/last.err"
expect_exit "any command refuses to start on it" 1 "$DUBAN" -c "$T/bad.cfg" person list
expect_exit "a missing -c file exits 1" 1 "$DUBAN" -c "$T/nothing.cfg" config check
expect_grep "naming it" "$T/nothing.cfg" "$T/last.err"

exit "$FAILED"
