#!/bin/sh
# t_i18n.sh - the language a person reads: Chinese under LANG=zh_CN.UTF-8
# (on a machine that has no generated zh_CN locale: glibc's C.UTF-8 and
# the catalogue beside the binary are enough), and with no locale set at
# all; English under LANG=C; the configuration's language = "zh"|"en"
# wins over the locale; --format json the same bytes in both; CSV headers
# and kinds follow the language, and the importer reads both back.
. "${TOP:-.}/tests/integration/lib.sh"
setup
EX="$TOP/examples/xiaoxiong"
ZH="env LANG=zh_CN.UTF-8"
EN="env LANG=C"

check "init" $EN "$DUBAN" init
check "import the example town" $EN "$DUBAN" person import "$EX/people.csv"
check "and its tasks" $EN "$DUBAN" task import "$EX/tasks.csv"

$ZH "$DUBAN" --help >"$T/zh.help" 2>&1
expect_grep "LANG=zh_CN.UTF-8: --help is Chinese" "^用法：duban" "$T/zh.help"
expect_grep "the commands' summaries too" "督办事项：add" "$T/zh.help"
$EN "$DUBAN" --help >"$T/en.help" 2>&1
expect_grep "LANG=C: --help is English" "^usage: duban" "$T/en.help"
env -u LANG -u LC_ALL -u LC_MESSAGES -u LANGUAGE "$DUBAN" --help >"$T/none.help" 2>&1
expect_grep "no locale at all: Chinese, the town's language" "^用法：duban" "$T/none.help"
env LANG=en_US.UTF-8 "$DUBAN" --help >"$T/us.help" 2>&1
expect_grep "LANG=en_US.UTF-8: English" "^usage: duban" "$T/us.help"
$ZH "$DUBAN" person import --help >"$T/zh.imp" 2>&1
expect_grep "a subcommand's --help is Chinese" "^用法：duban person import" "$T/zh.imp"

# Every command and subcommand that --help names has its --help in Chinese:
# one whose text is missing from the catalogue (or only fuzzy there, which
# gettext does not use) shows its English usage line.
$EN "$DUBAN" --help | sed -n '/^Commands:/,$p' | awk 'NR > 1 && /^  [a-z]/ { print $1 }' >"$T/cmds"
n=0 english=""
for c in $(cat "$T/cmds"); do
	subs=$($EN "$DUBAN" "$c" --help 2>&1 | grep -o "duban $c [a-z][a-z-]*" | sort -u | cut -d' ' -f3)
	for s in "" $subs; do
		n=$((n + 1))
		# shellcheck disable=SC2086
		first=$($ZH "$DUBAN" "$c" $s --help 2>&1 | head -n 1)
		case "$first" in 用法：*) ;; *) english="$english; $c $s: $first" ;; esac
	done
done
if [ "$n" -gt 40 ] && [ -z "$english" ]; then
	ok "all $n --help texts of the commands and subcommands are Chinese"
else
	notok "--help not Chinese ($n checked)$english"
fi

# The providers and their states read as the clerk says them; JSON keeps its words.
cp "$DUBAN_CONFIG" "$T/prov.cfg"
cat >>"$T/prov.cfg" <<'CFG'
providers = ( { name = "sim"; type = "http"; url = "http://127.0.0.1:9/send"; method = "POST";
  body = "json"; params = { to = "{{phone}}"; text = "{{text}}"; }; } );
CFG
$ZH "$DUBAN" -c "$T/prov.cfg" provider list >"$T/zh.prov" 2>&1
expect_grep "provider list: Chinese headers" "^名称  *类型  *仅模板  *每批号码  *状态" "$T/zh.prov"
expect_grep "and states" "^sim  *http  *否  *1  *正常" "$T/zh.prov"
$ZH "$DUBAN" -c "$T/prov.cfg" provider list --format json >"$T/zh.json" 2>&1
$EN "$DUBAN" -c "$T/prov.cfg" provider list --format json >"$T/en.json" 2>&1
expect_grep "provider list --format json keeps yes/no and ok" '"templated": "no"' "$T/zh.json"
expect_eq "provider list --format json: the same bytes in both languages" \
	"$(cmp -s "$T/zh.json" "$T/en.json" && echo same)" same

# The system's own words (strerror) come in UTF-8, never as "???".
$ZH "$DUBAN" -c "$T/none/duban.cfg" config check >"$T/out" 2>"$T/zh.noent"
expect_grep "a missing file is named" "none/duban.cfg" "$T/zh.noent"
expect_eq "and the system's reason is not question marks" "$(grep -c '???' "$T/zh.noent")" 0

$ZH "$DUBAN" person add --name 某人 --phone 12345 >"$T/zh.out" 2>"$T/zh.err"
expect_grep "an error is Chinese" "^duban: --phone \"12345\"：" "$T/zh.err"
DUBAN_NOW="2008-12-01 09:00" $ZH "$DUBAN" task list >"$T/zh.tasks" 2>&1
expect_grep "table headers are Chinese" "^ID  *编号  *标题  *完成时限  *状态" "$T/zh.tasks"
expect_grep "and statuses: open" "进行中" "$T/zh.tasks"
expect_grep "and overdue" "已超期" "$T/zh.tasks"
DUBAN_NOW="2008-12-30 09:00" $ZH "$DUBAN" report people >"$T/zh.report" 2>&1
expect_grep "a report's columns are Chinese" "牵头事项  *按时完成" "$T/zh.report"
DUBAN_NOW="2008-12-30 09:00" $EN "$DUBAN" report people >"$T/en.report" 2>&1
expect_grep "and English under LANG=C" "tasks_led  *done_on_time" "$T/en.report"

# A configuration file's problem keeps FILE:LINE: in both languages.
printf 'timezone = "Mars/Olympus";\n' >"$T/bad.cfg"
$ZH "$DUBAN" -c "$T/bad.cfg" config check >"$T/out" 2>"$T/zh.cfg"
expect_grep "FILE:LINE: stays in front of the Chinese" "^$T/bad.cfg:1: 不认识的时区\"Mars/Olympus\"" "$T/zh.cfg"
$EN "$DUBAN" -c "$T/bad.cfg" config check >"$T/out" 2>"$T/en.cfg"
expect_grep "and of the English" "^$T/bad.cfg:1: unknown time zone \"Mars/Olympus\"" "$T/en.cfg"

for cmd in "person list" "task list" "group list" "outbox list" "notice list" "person show 林志远" \
	"task show T1" "group show 镇领导班子" "report tasks" "report people" "report delivery" \
	"template list"; do
	# shellcheck disable=SC2086
	$ZH "$DUBAN" $cmd --format json >"$T/zh.json" 2>&1
	# shellcheck disable=SC2086
	$EN "$DUBAN" $cmd --format json >"$T/en.json" 2>&1
	if cmp -s "$T/zh.json" "$T/en.json" && [ -s "$T/en.json" ]; then
		ok "$cmd --format json: the same bytes in both languages"
	else
		notok "$cmd --format json: the same bytes in both languages"
		diff "$T/zh.json" "$T/en.json" | head -5 | sed 's/^/#   /'
	fi
done
$ZH "$DUBAN" person list --format json >"$T/zh.json"
expect_grep "json keeps English identifiers" '"kind": "official"' "$T/zh.json"

# The configuration's language wins over the locale, both ways.
cp "$DUBAN_CONFIG" "$T/en.cfg"
echo 'language = "en";' >>"$T/en.cfg"
$ZH "$DUBAN" -c "$T/en.cfg" task list >"$T/out" 2>&1
expect_grep "language = \"en\" under LANG=zh_CN.UTF-8: English" "^id  *code  *title" "$T/out"
cp "$DUBAN_CONFIG" "$T/zh.cfg"
echo 'language = "zh";' >>"$T/zh.cfg"
$EN "$DUBAN" -c "$T/zh.cfg" task list >"$T/out" 2>&1
expect_grep "language = \"zh\" under LANG=C: Chinese" "^ID  *编号" "$T/out"
cp "$DUBAN_CONFIG" "$T/fr.cfg"
echo 'language = "fr";' >>"$T/fr.cfg"
expect_exit "language = \"fr\" is refused" 1 $EN "$DUBAN" -c "$T/fr.cfg" config check
expect_grep "naming its line" "fr.cfg:[0-9]*: 'language' must be" "$T/last.err"

# CSV follows the language, and the importer reads the Chinese back.
$ZH "$DUBAN" person list --format csv >"$T/zh.csv"
expect_grep "Chinese CSV headers" "姓名,手机,职务,单位,类别,分组" "$T/zh.csv"
expect_grep "Chinese kinds" ",干部," "$T/zh.csv"
sed "s|$T/duban.db|$T/copy.db|" "$DUBAN_CONFIG" >"$T/copy.cfg"
check "init a second database" $EN "$DUBAN" -c "$T/copy.cfg" init
check "the Chinese CSV imports" $EN "$DUBAN" -c "$T/copy.cfg" person import "$T/zh.csv"
expect_eq "with the same kinds" \
	"$(sqlite3 "$T/copy.db" 'SELECT kind, count(*) FROM person GROUP BY kind ORDER BY kind')" \
	"$(sql 'SELECT kind, count(*) FROM person GROUP BY kind ORDER BY kind')"


# The holiday calendar, recurring tasks and the console's accounts read in
# Chinese too (their values as well), and their JSON stays the same bytes.
$ZH "$DUBAN" calendar add 2008-12-27 workday --name 调休 >"$T/zh.cal" 2>&1
expect_grep "calendar add says it in Chinese" "^2008-12-27 已登记为本镇上班日：调休" "$T/zh.cal"
$ZH "$DUBAN" calendar list --year 2008 >"$T/zh.cal" 2>&1
expect_grep "calendar list: Chinese headers" "^日期  *星期  *类别  *名称  *来源" "$T/zh.cal"
expect_grep "and kinds and sources" "^2008-12-27  *六  *上班  *调休  *本镇" "$T/zh.cal"
DUBAN_NOW="2008-12-01 09:00" $ZH "$DUBAN" task add --title 每月报送 --every month --day 5 \
	--lead 林志远 >"$T/zh.add" 2>&1
expect_grep "task add --every: the period in Chinese" "^已添加 T[0-9]*-2008-12：每月报送（完成时限 2008-12-05 23:59；每月第 5 天）" "$T/zh.add"
$ZH "$DUBAN" task series list >"$T/zh.series" 2>&1
expect_grep "task series list: Chinese headers" "^编号  *周期  *日  *状态  *最近一期  *完成时限  *最近一期状态" "$T/zh.series"
expect_grep "and values" "  每月  *5  *启用  *T[0-9]*-2008-12  .*进行中" "$T/zh.series"
$ZH "$DUBAN" staff add wangfang --name 王芳 --role clerk >"$T/zh.staff" 2>&1
expect_grep "staff add: Chinese" "^已添加 wangfang（王芳，clerk）" "$T/zh.staff"
expect_grep "and the password shown once" "^密码（只显示这一次）：" "$T/zh.staff"
$ZH "$DUBAN" staff list >"$T/zh.staff" 2>&1
expect_grep "staff list: Chinese headers and states" "^ID  *登录名  *姓名  *角色  *状态  *创建时间" "$T/zh.staff"
expect_grep "and the account's state" "wangfang  *王芳  *clerk  *启用" "$T/zh.staff"
for cmd in "calendar list --year 2008" "task series list" "staff list"; do
	# shellcheck disable=SC2086
	$ZH "$DUBAN" $cmd --format json >"$T/zh.json" 2>&1
	# shellcheck disable=SC2086
	$EN "$DUBAN" $cmd --format json >"$T/en.json" 2>&1
	if cmp -s "$T/zh.json" "$T/en.json" && grep -q '"' "$T/en.json"; then
		ok "$cmd --format json: the same bytes in both languages"
	else
		notok "$cmd --format json: the same bytes in both languages"
		diff "$T/zh.json" "$T/en.json" | head -5 | sed 's/^/#   /'
	fi
done

exit $FAILED
