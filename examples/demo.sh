#!/bin/sh
# make demo: the example town of 小雄镇 (examples/xiaoxiong) in a fresh
# database - import its people and tasks, list them, and step the clock
# (DUBAN_NOW) through December 2008 to show the reminders the scheduler
# queues for the 纪委书记's 梅岙塘 farmland project (T1).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
duban="$top/$BUILD/duban"
dir=$(mktemp -d "${TMPDIR:-/tmp}/duban-demo.XXXXXX")
trap 'rm -rf "$dir"' EXIT INT TERM
cat >"$dir/duban.cfg" <<CFG
database = "$dir/duban.db";
timezone = "Asia/Shanghai";
signature = "小雄镇人民政府";
rules_dir = "$top/rules";
templates_dir = "$top/templates";
log = { level = "warn"; };
CFG
export DUBAN_CONFIG="$dir/duban.cfg"
say() { printf '\n== %s\n' "$*"; }

say "duban init"
DUBAN_NOW="2008-12-01 08:00" "$duban" init
say "duban person import examples/xiaoxiong/people-gb18030.csv  (GB18030, as Excel saves it)"
DUBAN_NOW="2008-12-01 08:00" "$duban" person import "$top/examples/xiaoxiong/people-gb18030.csv"
say "duban task import examples/xiaoxiong/tasks.csv"
DUBAN_NOW="2008-12-01 08:00" "$duban" task import "$top/examples/xiaoxiong/tasks.csv"
say "duban group show 镇领导班子"
"$duban" group show 镇领导班子
say "duban task list   (on 2008-12-01)"
DUBAN_NOW="2008-12-01 08:00" "$duban" task list
for now in "2008-12-24 09:00" "2008-12-28 09:00" "2008-12-30 09:00" "2008-12-31 08:00" \
	   "2009-01-01 09:00" "2009-01-02 09:30"; do
	say "DUBAN_NOW=\"$now\" duban tick"
	DUBAN_NOW="$now" "$duban" tick
done
say "duban outbox list --task T1   (the 梅岙塘 project of the 纪委书记)"
"$duban" outbox list --task T1
say "duban template preview reminder --task T2   (the 人大副主席's road project)"
DUBAN_NOW="2008-12-24 09:00" "$duban" template preview reminder --task T2
printf '\nThe demo database was %s (removed).\n' "$dir/duban.db"
