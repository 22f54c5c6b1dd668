#!/bin/sh
# t_cli_args.sh - the words and streams of what every command shares: help
# on stdout with exit 0 when asked, on stderr with exit 2 after a wrong
# argument; a refused --format in its two wordings (people and groups name
# the value); "CMD: unexpected argument"; the import subcommands' usage,
# summaries and refused file; --deadline; the database not there yet; and
# a list whose walk over the store fails.  Each is asserted byte for byte,
# on the stream it must go to, with its exit code.
. "${TOP:-.}/tests/integration/lib.sh"
setup
EX="$TOP/examples/xiaoxiong"
export DUBAN_NOW="2008-11-20 10:00"

# run CMD...: $T/out, $T/err and $rc hold what CMD did.
run() { "$@" >"$T/out" 2>"$T/err" </dev/null; rc=$?; }

# said DESC CODE STDERR CMD...: exit CODE, exactly STDERR on stderr, nothing on stdout.
said() {
	desc=$1; want=$2; text=$3; shift 3
	run "$@"
	if [ "$rc" -eq "$want" ] && [ "$(cat "$T/err")" = "$text" ] && [ ! -s "$T/out" ]; then
		ok "$desc"
	else
		notok "$desc (exit $rc, wanted $want)"
		echo "#   want stderr: $text"
		sed 's/^/#   got stderr:  /' "$T/err" | head -5
		sed 's/^/#   got stdout:  /' "$T/out" | head -5
	fi
}

# passed DESC CODE LINES ERE CMD...: exit CODE, nothing on stdout, LINES lines on
# stderr, the last matching ERE: for sentences that the store or core/ words
# and the command passes on as "duban: ...".
passed() {
	desc=$1; want=$2; lines=$3; re=$4; shift 4
	run "$@"
	if [ "$rc" -eq "$want" ] && [ ! -s "$T/out" ] && [ "$(wc -l <"$T/err")" -eq "$lines" ] &&
		tail -1 "$T/err" | grep -Eq -- "$re"; then
		ok "$desc"
	else
		notok "$desc (exit $rc, wanted $want)"
		sed 's/^/#   got stderr:  /' "$T/err" | head -5
	fi
}

# printed DESC CODE STDOUT CMD...: exit CODE, exactly STDOUT on stdout, nothing on stderr.
printed() {
	desc=$1; want=$2; text=$3; shift 3
	run "$@"
	if [ "$rc" -eq "$want" ] && [ "$(cat "$T/out")" = "$text" ] && [ ! -s "$T/err" ]; then
		ok "$desc"
	else
		notok "$desc (exit $rc, wanted $want)"
		echo "#   want stdout: $text"
		sed 's/^/#   got stdout:  /' "$T/out" | head -5
		sed 's/^/#   got stderr:  /' "$T/err" | head -5
	fi
}

# ---- before duban init ------------------------------------------------------------

nodb="^duban: $T/duban.db: "
passed "an action without a database says why and exits 1" 1 1 "$nodb" "$DUBAN" person remove 李明
passed "so does a list" 1 1 "$nodb" "$DUBAN" task list
passed "and send" 1 1 "$nodb" "$DUBAN" send 13800138000 hi

check "init" "$DUBAN" init
printed "person import --dry-run says what it would import" 0 \
	"would import 100 people from $EX/people.csv (24 groups)" \
	"$DUBAN" person import "$EX/people.csv" --dry-run
printed "person import says what it imported" 0 \
	"imported 100 people from $EX/people.csv (24 groups)" "$DUBAN" person import "$EX/people.csv"
# The seed's long titles: besides what it imported, only the warnings that
# those tasks' reminders will need two SMS parts (task import's length check).
run "$DUBAN" task import "$EX/tasks.csv"
if [ "$rc" -eq 0 ] && [ "$(cat "$T/out")" = "imported 14 tasks from $EX/tasks.csv" ] &&
	grep -q . "$T/err" && ! grep -qv '^duban: warning: T[0-9]*: its "[a-z_]*" reminders need [0-9]* SMS parts' "$T/err"; then
	ok "task import says what it imported, and warns of two-part reminders only"
else
	notok "task import says what it imported, and warns of two-part reminders only (exit $rc)"
	sed 's/^/#   got stdout:  /' "$T/out" | head -5
	sed 's/^/#   got stderr:  /' "$T/err" | head -5
fi

# ---- help: asked for, or shown after a mistake ---------------------------------------

for cmd in "task list" "outbox list" "person add" "report tasks" "notice approve" "send"; do
	# shellcheck disable=SC2086 # $cmd is split into words on purpose
	run "$DUBAN" $cmd --help
	cp "$T/out" "$T/help.out"
	if [ "$rc" -eq 0 ] && [ ! -s "$T/err" ] && head -1 "$T/help.out" | grep -q "^usage: duban $cmd"; then
		ok "duban $cmd --help: the help on stdout, exit 0"
	else
		notok "duban $cmd --help: the help on stdout, exit 0 (exit $rc)"
	fi
	# shellcheck disable=SC2086
	run "$DUBAN" $cmd --frobnicate
	if [ "$rc" -eq 2 ] && [ ! -s "$T/out" ] && tail -n +2 "$T/err" | cmp -s - "$T/help.out"; then
		ok "duban $cmd --frobnicate: getopt's complaint, then the same help on stderr, exit 2"
	else
		notok "duban $cmd --frobnicate: the help on stderr, exit 2 (exit $rc)"
		head -3 "$T/err" | sed 's/^/#   /'
	fi
done
run "$DUBAN" person
if [ "$rc" -eq 2 ] && [ ! -s "$T/out" ] && head -1 "$T/err" | grep -q '^usage: duban person add'; then
	ok "a group without a subcommand: its help on stderr, exit 2"
else
	notok "a group without a subcommand: its help on stderr, exit 2 (exit $rc)"
fi
run "$DUBAN" person help
if [ "$rc" -eq 0 ] && [ ! -s "$T/err" ] && head -1 "$T/out" | grep -q '^usage: duban person add'; then
	ok "duban person help: the group's help on stdout, exit 0"
else
	notok "duban person help: the group's help on stdout, exit 0 (exit $rc)"
fi
run "$DUBAN" task show --help
if [ "$rc" -eq 0 ] && [ ! -s "$T/err" ] && head -1 "$T/out" | grep -q '^usage: duban task show CODE'; then
	ok "a hand-read show command answers --help on stdout"
else
	notok "a hand-read show command answers --help on stdout (exit $rc)"
fi
run "$DUBAN" outbox retry x
if [ "$rc" -eq 2 ] && [ ! -s "$T/out" ] && head -1 "$T/err" | grep -q '^usage: duban outbox retry ID'; then
	ok "outbox retry with no message ID: its help on stderr, exit 2"
else
	notok "outbox retry with no message ID: its help on stderr, exit 2 (exit $rc)"
fi

# ---- --format ---------------------------------------------------------------------

plain='duban: --format must be table, csv or json'
named='duban: --format must be table, csv or json, not "xml"'
said "the global --format refused" 2 "$plain" "$DUBAN" --format xml task list
said "task list --format refused" 2 "$plain" "$DUBAN" task list --format xml
said "task show --format refused" 2 "$plain" "$DUBAN" task show T1 --format xml
said "template list --format refused" 2 "$plain" "$DUBAN" template list --format xml
said "notice list --format refused" 2 "$plain" "$DUBAN" notice list --format xml
said "report tasks --format refused" 2 "$plain" "$DUBAN" report tasks --format xml
said "person list names the refused value" 2 "$named" "$DUBAN" person list --format xml
said "group list names it too" 2 "$named" "$DUBAN" group list --format xml
said "and group show" 2 "$named" "$DUBAN" group show 镇领导班子 --format xml

# ---- operands -----------------------------------------------------------------------

said "group list takes no operand" 2 'duban: group list: unexpected argument "x"' \
	"$DUBAN" group list x
said "group show takes one" 2 'duban: group show: unexpected argument "b"' \
	"$DUBAN" group show a b
said "group show needs one" 2 'duban: usage: duban group show NAME' "$DUBAN" group show
said "task show takes one" 2 'duban: task show: unexpected argument "T2"' \
	"$DUBAN" task show T1 T2
said "template list takes none" 2 'duban: template list: unexpected argument "x"' \
	"$DUBAN" template list x
said "task list takes none" 2 'duban: task list: unexpected argument "x"' "$DUBAN" task list x
said "person import needs one FILE" 2 'duban: usage: duban person import FILE' \
	"$DUBAN" person import
said "task import takes only one" 2 'duban: usage: duban task import FILE' \
	"$DUBAN" task import a b
said "task done needs its CODE" 2 'duban: usage: duban task done CODE' "$DUBAN" task "done"
said "person optin needs WHO" 2 'duban: usage: duban person optin WHO' "$DUBAN" person optin

# ---- refusals -------------------------------------------------------------------------

printf 'name,phone\nx,123\n' >"$T/bad.csv"
passed "a refused import: its bad row as FILE:LINE, then why, exit 2" 2 2 "^duban: $T/bad.csv: " \
	"$DUBAN" person import "$T/bad.csv"
expect_grep "the bad row first" "^$T/bad.csv:2: phone \"123\"" "$T/err"
dl='duban: --deadline "2008-13-01": expected "YYYY-MM-DD" or "YYYY-MM-DD HH:MM"'
said "task add refuses a bad --deadline" 2 "$dl" \
	"$DUBAN" task add --title x --deadline 2008-13-01 --lead 林志远
said "task update in the same words" 2 "$dl" "$DUBAN" task update T1 --deadline 2008-13-01
passed "a task that is not there: the store's sentence, exit 2" 2 1 '^duban: .*"T99"' \
	"$DUBAN" task show T99
passed "an action's refusal: its sentence, exit 2" 2 1 '^duban: .*"T99"' "$DUBAN" task "done" T99

# ---- a list whose walk over the store fails ------------------------------------------------

sql 'ALTER TABLE task RENAME TO task_gone'
passed "a failed walk prints the store's message and no table, exit 1" 1 1 '^duban: .*task' \
	"$DUBAN" task list
sql 'ALTER TABLE task_gone RENAME TO task'
check "and the list works again" "$DUBAN" task list

exit "$FAILED"
