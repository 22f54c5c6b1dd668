#!/bin/sh
# t_demo_zh.sh - the demo as the town's clerk sees it: under
# LANG=zh_CN.UTF-8 its story and everything duban prints in it are
# Chinese - the headings and narration, the import's summary, the task
# list's columns and statuses, the dry run, the reports - and it still
# runs to the end.  (t_demo checks what the story does, in English.)
. "${TOP:-.}/tests/integration/lib.sh"
setup

OUT="$T/demo.out"
LANG=zh_CN.UTF-8 TMPDIR="$T" BUILD="$BUILD" sh "$TOP/examples/demo.sh" >"$OUT" 2>"$T/demo.err"
expect_eq "the demo exits 0" "$?" 0
[ -s "$T/demo.err" ] && { echo "# stderr:"; sed 's/^/#   /' "$T/demo.err" | head -20; }
expect_grep "the headings are Chinese" "^== 1\. 2008-12-01 —— 小雄镇启用 duban$" "$OUT"
expect_grep "and the narration" "^duban 把一切都存在一个 SQLite 文件里" "$OUT"
expect_eq "no English heading is left" "$(grep -c '^== [0-9]*\. .*[a-z][a-z][a-z] ' "$OUT")" 0
expect_grep "the import says it in Chinese" "已从 .*people-gb18030.csv 导入 100 人" "$OUT"
expect_grep "the task list's columns" "^ *ID  *编号  *标题  *完成时限  *状态" "$OUT"
expect_grep "the dry run" "^ *收件人数： *[0-9]" "$OUT"
expect_grep "  naming the one who opted out, and why" "^ *.* 已退订 2008-12-24" "$OUT"
expect_grep "the replies" "回复 \"完成T2\"" "$OUT"
expect_grep "report tasks in Chinese" "^ *编号  *标题  *牵头领导  *完成时限  *状态" "$OUT"
expect_grep "  with the statuses" "已超期" "$OUT"
expect_grep "the end" "^== 结束$" "$OUT"
exit $FAILED
