#!/bin/sh
# t_roundtrip.sh - the town moves to a new database: person list --format
# csv writes exactly what person import reads (no ids; opt-outs and their
# time included), and task list --format csv what task import reads (the
# people by role, team, rules, status and when it was closed), in English
# and in Chinese headers and words; imported into a fresh database, the
# people, their groups and opt-outs, the tasks and who holds which role
# compare equal to the original.
. "${TOP:-.}/tests/integration/lib.sh"
setup
EX="$TOP/examples/xiaoxiong"
check "init" "$DUBAN" init
check "import the example town" "$DUBAN" person import "$EX/people.csv"
check "and its tasks" "$DUBAN" task import "$EX/tasks.csv"
check "one is done" env DUBAN_NOW="2008-12-28 09:10" "$DUBAN" task done T2
check "one cancelled" env DUBAN_NOW="2008-12-29 11:00" "$DUBAN" task cancel T5
check "someone opts out" env DUBAN_NOW="2008-12-20 10:30" "$DUBAN" person optout "$(sql "SELECT phone FROM person ORDER BY id LIMIT 1 OFFSET 3")"

# what a person is, without the database's own id
people() { "$DUBAN" -c "$1" person list --format json | jq -c 'map(del(.id)) | sort_by(.phone)'; }
people "$DUBAN_CONFIG" >"$T/before.json"
# a task without its id, with everyone named on it by role
tasks() {
	for code in $("$DUBAN" -c "$1" task list --format json | jq -r '.[].code' | sort); do
		"$DUBAN" -c "$1" task show "$code" --format json |
			jq -c '.[0] | del(.id, .messages) | .people |= (map(.role + ":" + .name) | sort)'
	done
}
tasks "$DUBAN_CONFIG" >"$T/tasks-before.json"

for lang in C.UTF-8 zh_CN.UTF-8; do
	LANG=$lang "$DUBAN" person list --format csv >"$T/export-$lang.csv"
	head -1 "$T/export-$lang.csv" | sed 's/^\xef\xbb\xbf//; s/\r$//' >"$T/header-$lang"
	sed "s|$T/duban.db|$T/new-$lang.db|" "$DUBAN_CONFIG" >"$T/new-$lang.cfg"
	check "$lang: init a new database" "$DUBAN" -c "$T/new-$lang.cfg" init
	check "$lang: the export imports as it is" "$DUBAN" -c "$T/new-$lang.cfg" person import "$T/export-$lang.csv"
	expect_eq "$lang: and nothing of it is ignored" "$(grep -c 'ignored' "$T/last.out")" 0
	LANG=$lang "$DUBAN" task list --format csv >"$T/tasks-$lang.csv"
	check "$lang: the task export imports as it is" "$DUBAN" -c "$T/new-$lang.cfg" task import "$T/tasks-$lang.csv"
	expect_eq "$lang: and nothing of it is ignored" "$(grep -c 'ignored' "$T/last.out")" 0
	tasks "$T/new-$lang.cfg" >"$T/tasks-after-$lang.json"
	if cmp -s "$T/tasks-before.json" "$T/tasks-after-$lang.json" && [ -s "$T/tasks-before.json" ]; then
		ok "$lang: tasks, their people by role, status and closing compare equal"
	else
		notok "$lang: tasks, their people by role, status and closing compare equal"
		diff "$T/tasks-before.json" "$T/tasks-after-$lang.json" | head -6 | sed 's/^/#   /'
	fi
	people "$T/new-$lang.cfg" >"$T/after-$lang.json"
	if cmp -s "$T/before.json" "$T/after-$lang.json"; then
		ok "$lang: people, groups and opt-outs compare equal"
	else
		notok "$lang: people, groups and opt-outs compare equal"
		diff "$T/before.json" "$T/after-$lang.json" | head -5 | sed 's/^/#   /'
	fi
done
expect_eq "the English header is the import's own names" "$(cat "$T/header-C.UTF-8")" \
	"name,phone,title,org,kind,groups,opted_out"
expect_eq "the Chinese header too" "$(cat "$T/header-zh_CN.UTF-8")" "姓名,手机,职务,单位,类别,分组,退订"
expect_eq "the opt-out kept its time" \
	"$(sqlite3 "$T/new-zh_CN.UTF-8.db" "SELECT datetime(opted_out_at, 'unixepoch', '+8 hours') FROM person WHERE opted_out_at IS NOT NULL")" \
	"2008-12-20 10:30:00"

exit $FAILED
