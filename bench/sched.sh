#!/bin/sh
# Scheduler scale: 100,000 open tasks.
#   1. a pass that plans them all (first sight of the tasks);
#   2. a pass with nothing due (must cost milliseconds: next_fire is indexed);
#   3. a pass that queues 100,000 reminders (the 7-day step of every task).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
duban="$top/$BUILD/duban"
N=${N:-100000}
KEEP=${KEEP:-}
dir=$(mktemp -d "${TMPDIR:-/tmp}/duban-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT INT TERM
cat >"$dir/duban.cfg" <<CFG
database = "$dir/duban.db";
rules_dir = "$top/rules";
templates_dir = "$top/templates";
signature = "小雄镇人民政府";
log = { level = "warn"; };
CFG
export DUBAN_CONFIG="$dir/duban.cfg"

awk 'BEGIN { print "name,phone,title,org,kind"
	for (i = 0; i < 1000; i++) printf "干部%04d,139%08d,村党支部书记,村%03d,official\n", i, i, i % 29 }' \
	>"$dir/people.csv"
# SPREAD=1: every task a deadline of its own minute on 2008-12-31 (the
# scheduler cannot reuse one plan for the next task); else all 23:59, as
# a town's year-end tasks mostly are.
tasks() { # spread
	awk -v n="$N" -v spread="$1" 'BEGIN { print "code,title,deadline,lead"
	for (i = 1; i <= n; i++) {
		dl = spread ? sprintf("2008-12-31 %02d:%02d", 10 + int(i % 600 / 60), i % 60) : "2008-12-31"
		printf "B%d,督办事项%d,%s,干部%04d\n", i, i, dl, i % 1000 } }' >"$dir/tasks.csv"
}
export DUBAN_NOW="2008-12-01 10:00"
fresh() { # spread
	rm -f "$dir"/duban.db*
	tasks "$1"
	"$duban" init >/dev/null
	"$duban" person import "$dir/people.csv" >/dev/null
	"$duban" task import "$dir/tasks.csv" >/dev/null
}

ms() { date +%s%N | cut -c1-13; }
run() { # label, DUBAN_NOW
	t0=$(ms)
	out=$(DUBAN_NOW="$2" "$duban" tick)
	t1=$(ms)
	printf 'sched: %-40s %6d ms   (%s)\n' "$1" $((t1 - t0)) "$out"
}
fresh 0
run "plan $N new tasks" "2008-12-01 10:00"
run "pass over $N tasks, nothing due" "2008-12-10 10:00"
run "pass queuing $N reminders" "2008-12-24 09:00"
fresh 1
run "plan $N tasks, 600 deadlines" "2008-12-01 10:00"
run "queuing $N reminders, 600 deadlines" "2008-12-24 09:00"
