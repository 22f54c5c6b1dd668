#!/bin/sh
# t_demo.sh - `make demo` (examples/demo.sh) runs to the end and tells the
# story it promises: the 7-day reminders to the 纪委书记 (T1) and the
# 人大副主席 (T2); the insurance notice to the farmers of three villages,
# one of whom replied TD and is left out, with 503s from the simulator
# retried until every notice was accepted, each farmer once; T2 closed by
# 应国庆's 完成T2 with no T2 reminder after it; T1 overdue and escalated to
# 林志远; the reports saying so; under a minute, with nothing left running
# and its temporary directory gone.
. "${TOP:-.}/tests/integration/lib.sh"
setup

OUT="$T/demo.out"
start=$(date +%s)
TMPDIR="$T" BUILD="$BUILD" sh "$TOP/examples/demo.sh" >"$OUT" 2>"$T/demo.err"
rc=$?
took=$(($(date +%s) - start))
expect_eq "the demo exits 0" "$rc" 0
[ -s "$T/demo.err" ] && { echo "# stderr:"; sed 's/^/#   /' "$T/demo.err" | head -20; }
[ "$took" -lt 60 ] && ok "it takes under a minute (${took}s)" || notok "it takes under a minute (${took}s)"

# lines BETWEEN-PATTERN AND-PATTERN: the output from one line to the next match.
section() { sed -n "/$1/,/$2/p" "$OUT"; }
count() { grep -c -- "$1" || true; }
# re TEXT: TEXT as a literal in a basic regular expression (masked numbers have *s)
re() { printf %s "$1" | sed 's/[]*.^$[\\/]/\\&/g'; }

# ---- reminders a week before ------------------------------------------------------------------
section '^== 2\. ' '^== 3\. ' >"$T/s2"
expect_grep "the 7-day reminder to 郑秀兰 (纪委书记) for T1" \
	'← 177\*\*\*\*6319 郑秀兰 .*督办事项：.*T1[ “][^；]*7天后到期' "$T/s2"
expect_grep "the 7-day reminder to 应国庆 (人大副主席) for T2" \
	'← 139\*\*\*\*5404 应国庆 .*庙峙村内道路硬化（三个自然村）工程”将于12月31日到期，还有7天' "$T/s2"
expect_grep "the other tasks' reminders are summarised" '+ [0-9]* reminders about [0-9]* other tasks' "$T/s2"

# ---- the notice -------------------------------------------------------------------------------
# The farmers of the three villages, from the CSV: masked as the demo shows them.
awk -F, 'NR > 1 && $NF ~ /(^|;)农户-(小雄村|五支岙村|山场村)(;|$)/ {
		p = $2; gsub(/[^0-9]/, "", p); sub(/^86/, "", p)
		print substr(p, 1, 3) "****" substr(p, 8, 4) }' "$TOP/examples/xiaoxiong/people.csv" |
	sort >"$T/farmers"
FARMERS=$(wc -l <"$T/farmers")
N=$((FARMERS - 1))
section '^== 3\. ' '^== 4\. ' >"$T/s3"
TD=$(sed -n 's/^  → \([0-9*]*\) .*replies "TD"$/\1/p' "$T/s3")
[ -n "$TD" ] && grep -qxF "$TD" "$T/farmers" && ok "a farmer of the three villages replies TD ($TD)" ||
	notok "a farmer of the three villages replies TD ($TD)"
expect_grep "and is told he opted out" "← $(re "$TD") .*您已退订" "$T/s3"
expect_eq "the dry run: $N recipients, 1 left out (from $FARMERS farmers)" \
	"$(sed -n 's/^ *recipients: *//p; s/^ *left out: *\([0-9]*\).*/\1/p' "$T/s3" | head -2 | tr '\n' ' ')" "$N 1 "
expect_grep "the dry run shows the parts it costs" "total parts: *$N\$" "$T/s3"
grep '← .*县政策性农业保险试点' "$T/s3" | awk '{ print $2 }' | sort >"$T/got"
grep -vxF "$TD" "$T/farmers" >"$T/want"
expect_eq "the notice reached the $N farmers who did not opt out, each once" \
	"$(tr '\n' ' ' <"$T/got")" "$(tr '\n' ' ' <"$T/want")"
grep '✗ 503 ' "$T/s3" | awk '{ print $3 }' >"$T/failed"
F=$(wc -l <"$T/failed")
[ "$F" -ge 1 ] && ok "$F sends refused with 503 are shown" || notok "sends refused with 503 are shown"
late=0
while read -r m; do
	sed -n "/✗ 503 $(re "$m") /,\$p" "$T/s3" | grep -q "← $(re "$m") .*县政策性农业保险试点" ||
		late=$((late + 1))
done <"$T/failed"
expect_eq "each of them accepted on a retry" "$late" 0
expect_grep "the outbox: every notice accepted" "$N of $N notices accepted by the provider" "$T/s3"
expect_grep "some at the 2nd attempt" "at the 2nd attempt" "$T/s3"
expect_eq "notice show: none queued, sending or failed; none sent twice" \
	"$(sed -n 's/^ *\(queued\|sending\|failed\|resent\) *\([0-9]*\)$/\1=\2/p' "$T/s3" | tr '\n' ' ')" \
	"queued=0 sending=0 failed=0 resent=0 "

# ---- T2 done by SMS ---------------------------------------------------------------------------
expect_grep "3-day reminders (T1's team too)" '← .*梅岙塘农田改造工程”将于12月31日到期，还有3天' "$OUT"
expect_grep "应国庆 replies 完成T2" '→ 139\*\*\*\*5404 应国庆  replies "完成T2"' "$OUT"
sed -n '/^  → .*replies "完成T2"$/,$p' "$OUT" >"$T/after"
expect_grep "duban confirms T2 done" '← 139\*\*\*\*5404 应国庆 .*已收到：T2“庙峙村内道路硬化（三个自然村）工程”已标记为办结' \
	"$T/after"
expect_grep "T2's status is done" '^ *status: *done$' "$T/after"
expect_eq "no T2 reminder after the reply" "$(count '完成T2”办结' <"$T/after")" 0
B=$(sed -n '/^  → .*replies "完成T2"$/q; p' "$OUT" | count '完成T2”办结')
[ "$B" -ge 2 ] && ok "T2 had $B reminders before it" || notok "T2 had reminders before it ($B)"

# ---- T1 late ---------------------------------------------------------------------------------
section '^== 5\. ' '^== 6\. ' >"$T/s5"
expect_grep "T1: the day before" '← 177\*\*\*\*6319 郑秀兰 .*督办事项：.*T1[ “][^；]*明天到期' "$T/s5"
expect_grep "T1: on the day" '← 177\*\*\*\*6319 郑秀兰 .*督办事项：.*T1[ “][^；]*今天到期' "$T/s5"
expect_grep "T1: overdue" '← 177\*\*\*\*6319 郑秀兰 .*督办事项：.*T1[ “][^；]*已超期1天' "$T/s5"
expect_grep "T1 escalates to 林志远 (党委书记)" \
	'← 139\*\*\*\*8911 林志远 .*督办事项：.*T1[ “][^；]*郑秀兰牵头，已超期2天' "$T/s5"
expect_grep "and the lead is told it was reported, not in the supervisor's words" '← 177\*\*\*\*6319 郑秀兰 .*督办事项：.*T1[ “][^；]*已超期2天，已上报督办' "$T/s5"

# ---- reports ---------------------------------------------------------------------------------
section '^\$ duban report tasks' '^\$ duban report delivery' >"$T/rt"
expect_grep "report tasks: T2 done" '^ *T2  .* done  *2008-12-28 ' "$T/rt"
expect_grep "report tasks: T1 overdue" '^ *T1  .* overdue ' "$T/rt"
section '^\$ duban report delivery' '^== The end' >"$T/rd"
expect_grep "report delivery: the notices delivered" "^ *notice  *sim  *$N  *0  *$N  *$N  *0 " "$T/rd"

# ---- nothing left behind ----------------------------------------------------------------------
PIDS_SEEN=$(grep -o '(pid [0-9]*)' "$OUT" | tr -dc '0-9\n')
NP=$(printf '%s\n' "$PIDS_SEEN" | grep -c .)
[ "$NP" -ge 8 ] && ok "the demo names the simulator and its $((NP - 1)) duban runs" ||
	notok "the demo names the simulator and its duban runs ($NP pids)"
alive=""
for p in $PIDS_SEEN; do
	if kill -0 "$p" 2>/dev/null && grep -qa 'duban\|smsc-sim' "/proc/$p/cmdline" 2>/dev/null; then
		alive="$alive $p"
	fi
done
expect_eq "none of them is still running" "$alive" ""
DEMO_DIR=$(sed -n 's|^ *\(/.*\)/duban.db: schema version.*|\1|p' "$OUT")
[ -n "$DEMO_DIR" ] && [ ! -e "$DEMO_DIR" ] && ok "its temporary directory is gone" ||
	notok "its temporary directory is gone ($DEMO_DIR)"
expect_grep "the demo ends by saying how to open the staff console" \
	'duban staff add wangfang --name 王芳 --role clerk' "$OUT"
expect_grep "and where" '^and open http://127\.0\.0\.1:[0-9][0-9]*/ ' "$OUT"
exit 0
