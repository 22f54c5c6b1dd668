#!/bin/sh
# notice.sh - how long `duban notice send` takes to queue a notice to
# 100,000 people (the target of issue 5: under 3 seconds) and how much
# memory it needs (constant: the audience is streamed, never loaded).
#
#   BUILD=build bench/notice.sh [PEOPLE]
#
# A fresh database gets PEOPLE people (default 100,000) in group 全体, the
# first half also in group 一半; 1% have opted out.  Four notices are
# queued, each timed with /usr/bin/time (wall time and peak RSS): a shared
# text (one INSERT ... SELECT) and a template naming each recipient
# (rendered person by person), each to half of the people and to everyone.
#
# Memory: SQLite's page cache (16 MB, store.c) fills up during the first
# tens of thousands of rows and then stays full; everything else is the
# same for any audience.  So the peak RSS for everyone must equal the one
# for half of them (within 4 MB, i.e. less than 40 bytes per extra
# recipient).  Exits 1 if that fails, or if queuing to everyone takes 3 s
# or more.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
DUBAN="$top/$BUILD/duban"
rows=${1:-100000}
dir=$(mktemp -d "${TMPDIR:-/tmp}/duban-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT INT TERM

mkdir "$dir/templates"
cp "$top"/templates/*.txt "$dir/templates/"
printf '{{person.name}}您好：{{notice.title}}将于{{var.date}}在镇文化中心举办，请准时参加。回复TD退订\n' \
	>"$dir/templates/training.txt"
cat >"$dir/duban.cfg" <<CFG
database = "$dir/duban.db";
signature = "小雄镇人民政府";
rules_dir = "$top/rules";
templates_dir = "$dir/templates";
log = { level = "warn"; };
CFG
export DUBAN_CONFIG="$dir/duban.cfg"
unset DUBAN_NOW

awk -v n="$rows" 'BEGIN {
	split("王 李 张 刘 陈 杨 黄 赵 吴 周", sur, " ")
	split("海 建 国 秀 志 明 永 福 美 德", mid, " ")
	split("斌 兰 远 庆 芳 梅 良 胜 娟 法", end, " ")
	print "name,phone,title,org,kind,groups"
	for (i = 0; i < n; i++)
		printf "%s%s%s,139%08d,农户,小雄村,farmer,全体%s\n", sur[i % 10 + 1],
			mid[int(i / 10) % 10 + 1], end[int(i / 100) % 10 + 1], i,
			i < n / 2 ? ";一半" : ""
}' >"$dir/people.csv"
"$DUBAN" init >/dev/null
"$DUBAN" person import "$dir/people.csv" >/dev/null
# 1% opted out, left out of every notice
sqlite3 -batch "$dir/duban.db" "UPDATE person SET opted_out_at = 1 WHERE id % 100 = 0"

# run NAME ARGS...: time one notice send; sets SECS and KB.
run() {
	name=$1; shift
	/usr/bin/time -f '%e %M' -o "$dir/time" "$DUBAN" notice send --yes "$@" \
		>"$dir/out" 2>"$dir/err" || { echo "notice: $name FAILED"; cat "$dir/err" >&2; exit 1; }
	SECS=$(cut -d' ' -f1 "$dir/time")
	KB=$(cut -d' ' -f2 "$dir/time")
	queued=$(sed -n 's/.*: \([0-9]*\) people.*/\1/p' "$dir/out")
	printf 'notice: %-28s %7s recipients in %5.2f s, peak RSS %5.1f MB\n' "$name" "$queued" \
		"$SECS" "$(echo "$KB" | awk '{ print $1 / 1024 }')"
}

run "text, half" --to group:一半 --text "县政策性农业保险试点开始参保，保费有财政补贴。回复TD退订"
small_text=$KB
run "text, everyone" --to group:全体 --text "县政策性农业保险试点开始参保，保费有财政补贴。回复TD退订"
big_text=$KB
big_secs=$SECS
run "template per person, half" --to group:一半 --template training --title 技能培训 \
	--var date=12月15日
small_tmpl=$KB
run "template per person, everyone" --to group:全体 --template training --title 技能培训 \
	--var date=12月15日
big_tmpl=$KB
big_tmpl_secs=$SECS

total=$(sqlite3 -batch -noheader "$dir/duban.db" "SELECT count(*) FROM message")
want=$(( (rows - rows / 100 + rows / 2 - rows / 200) * 2 ))
[ "$total" -eq "$want" ] || { echo "notice: $total messages queued, wanted $want"; exit 1; }
awk -v s1="$big_secs" -v s2="$big_tmpl_secs" -v a="$small_text" -v b="$big_text" \
	-v c="$small_tmpl" -v d="$big_tmpl" 'BEGIN {
	bad = 0
	if (s1 >= 3 || s2 >= 3) { print "notice: slower than 3 s"; bad = 1 }
	if (b - a > 4096 || d - c > 4096) { print "notice: memory grows with the audience"; bad = 1 }
	exit bad }'
