#!/bin/sh
# import.sh - how long `duban person import` takes for 100,000 people
# (the target of issue 2: under 2 seconds) on a fresh database.
#
#   BUILD=build bench/import.sh [ROWS]
#
# The CSV is generated with awk: unique valid mobile numbers 139xxxxxxxx
# written in the forms a clerk types them, titles, organisations, kinds and
# one or two of 30 groups per person.  Prints one line:
#   import: 100000 people in X.XX s (N rows/s)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
DUBAN="$top/$BUILD/duban"
rows=${1:-100000}
dir=$(mktemp -d "${TMPDIR:-/tmp}/duban-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT INT TERM

cat >"$dir/duban.cfg" <<CFG
database = "$dir/duban.db";
rules_dir = "$top/rules";
templates_dir = "$top/templates";
log = { level = "warn"; };
CFG
export DUBAN_CONFIG="$dir/duban.cfg"
unset DUBAN_NOW

awk -v n="$rows" 'BEGIN {
	split("王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 何 林 郑 应", sur, " ")
	split("海 建 国 秀 志 明 永 福 美 德 金 文 晓 雪 根 长 卫 素 友 红", mid, " ")
	split("斌 兰 远 庆 芳 梅 良 胜 娟 法 强 军 东 燕 华 平 英 伟 萍 勇", end, " ")
	split("村党支部书记 村委会主任 村会计 农户 企业负责人 网格员 镇干部", title, " ")
	split("小雄村 五支岙村 庙峙村 山场村 塔坑村 西岑村 胡家峙村 梅岙塘村 小雄镇 亚达科技", org, " ")
	split("official farmer enterprise other", kind, " ")
	for (g = 1; g <= 30; g++) grp[g] = "分组" g
	print "name,phone,title,org,kind,groups"
	for (i = 0; i < n; i++) {
		num = sprintf("%08d", i)
		# every third number written with dashes, as a clerk types it
		if (i % 3 == 0)
			ph = "139-" substr(num, 1, 4) "-" substr(num, 5, 4)
		else
			ph = "139" num
		gs = grp[i % 30 + 1]
		if (i % 2 == 0) gs = gs ";" grp[(i * 7 + 11) % 30 + 1]
		printf "%s%s%s,%s,%s,%s,%s,%s\n", sur[i % 20 + 1], mid[int(i / 20) % 20 + 1],
			end[int(i / 400) % 20 + 1], ph, title[i % 7 + 1], org[i % 10 + 1],
			kind[i % 4 + 1], gs
	}
}' >"$dir/people.csv"

"$DUBAN" init >/dev/null
start=$(date +%s.%N)
"$DUBAN" person import "$dir/people.csv" >"$dir/out" 2>"$dir/err" || {
	echo "import: FAILED"; cat "$dir/err" >&2; exit 1; }
end=$(date +%s.%N)
got=$(sqlite3 -batch -noheader "$dir/duban.db" 'SELECT count(*) FROM person' 2>/dev/null || echo "$rows")
[ "$got" -eq "$rows" ] || { echo "import: only $got of $rows people in the database"; exit 1; }
awk -v s="$start" -v e="$end" -v n="$rows" 'BEGIN {
	t = e - s; r = t > 0 ? n / t : 0
	printf "import: %d people in %.2f s (%d rows/s)\n", n, t, r }'
