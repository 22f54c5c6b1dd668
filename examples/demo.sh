#!/bin/sh
# make demo: the example town of 小雄镇 (examples/xiaoxiong) plays its story of
# December 2008 against the provider simulator.  A fresh database in a
# temporary directory; `duban run` (scheduler, dispatcher, HTTP server) is
# started once per simulated moment with DUBAN_NOW set to it, left to send
# what is due, and stopped; build/smsc-sim stands in for the SMS provider,
# and every message it receives is printed (masked number, name, text).
# Replies (TD, 完成T2) are injected through the simulator, which posts them
# to duban's callback URL like a real provider would.
#
#   BUILD=build examples/demo.sh        (what `make demo` runs)
#   DEMO_KEEP=1 examples/demo.sh        keep the database, logs and records
#   LANG=C examples/demo.sh             the story told in English
#
# The story is told in duban's language: Chinese under a Chinese locale or
# none at all, English under C, POSIX or another language.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
duban="$top/$BUILD/duban"
simbin="$top/$BUILD/smsc-sim"
for b in "$duban" "$simbin"; do
	[ -x "$b" ] || { echo "demo: $b is missing; run \"make demo\"" >&2; exit 1; }
done
for c in jq curl; do
	command -v "$c" >/dev/null 2>&1 || { echo "demo: $c is missing; run scripts/setup.sh" >&2; exit 1; }
done

cd "$top"
dir=$(mktemp -d "${TMPDIR:-/tmp}/duban-demo.XXXXXX")
SIM_PID=""
DAEMON_PID=""
cleanup() {
	rc=$?
	trap - EXIT INT TERM
	for p in $DAEMON_PID $SIM_PID; do kill "$p" 2>/dev/null || true; done
	for p in $DAEMON_PID $SIM_PID; do wait "$p" 2>/dev/null || true; done
	if [ "${DEMO_KEEP:-0}" = 1 ]; then
		printf '\nKept %s (database duban.db, daemon logs, sim.jsonl); look around with\n' "$dir"
		printf '    DUBAN_CONFIG=%s %s report tasks\n' "$DUBAN_CONFIG" "$duban"
	else
		rm -rf "$dir"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

export DUBAN_CONFIG="$dir/duban.cfg"
secret="demo-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
# write_cfg SIM_PORT HTTP_PORT
write_cfg() {
	cat >"$DUBAN_CONFIG" <<CFG
database = "$dir/duban.db";
timezone = "Asia/Shanghai";
signature = "小雄镇人民政府";
rules_dir = "$top/rules";
templates_dir = "$top/templates";
log = { level = "info"; };
providers = ( {
  name = "sim"; type = "http"; url = "http://127.0.0.1:$1/sms/send";
  callback_secret = "$secret"; concurrency = 4;
  retries = { max = 8; base_ms = 500; max_ms = 2000; jitter = "equal"; };
  breaker = { failures = 50; rest = "2s"; };
} );
dispatcher = { poll_ms = 100; commit_ms = 20; grace = "5s"; };
http = { listen = "127.0.0.1:$2"; };
console = { web_root = "$top/web"; };
CFG
}

# ---- helpers ----------------------------------------------------------------------------------

# The language of the story, by duban's own rule (base/i18n.c).
ZH=0
lang=${LC_ALL:-${LC_MESSAGES:-${LANG:-}}}
case "$lang" in
"" | zh*) ZH=1 ;;
C | C.* | POSIX) ZH=0 ;;
*) case "${LANGUAGE:-}" in zh*) ZH=1 ;; esac ;;
esac
# say EN ZH: a heading in the story's language.
say() { if [ "$ZH" = 1 ]; then printf '\n== %s\n' "$2"; else printf '\n== %s\n' "$1"; fi; }
# en LINE... / zh LINE...: a sentence or two for the newcomer, in one language.
en() { [ "$ZH" = 1 ] || printf '%s\n' "$@"; }
zh() { [ "$ZH" = 0 ] || printf '%s\n' "$@"; }
# tr_ EN ZH: a phrase in the story's language.
tr_() { if [ "$ZH" = 1 ]; then printf '%s' "$2"; else printf '%s' "$1"; fi; }
# run CMD...: show a duban command and its output, indented.
run() {
	printf '\n$ duban %s\n' "$*"
	rc=0
	"$duban" "$@" >"$dir/run.out" 2>&1 || rc=$?
	sed 's/^/    /' "$dir/run.out"
	[ "$rc" -eq 0 ] || { echo "demo: duban $* exited $rc" >&2; exit 1; }
}

# wait_until SECONDS WHAT CMD...: poll CMD until it succeeds, at most SECONDS.
wait_until() {
	limit=$1 what=$2
	shift 2
	end=$(($(date +%s) + limit))
	until "$@" >/dev/null 2>&1; do
		if [ "$(date +%s)" -ge "$end" ]; then
			echo "demo: timed out after ${limit}s waiting for $what (kept $dir)" >&2
			DEMO_KEEP=1
			exit 1
		fi
		sleep 0.05
	done
}

sim_stat() { curl -fsS "$SIM/_sim/stats" | jq -r ".$1"; }
# The simulator has written every request to its record file, and posted
# the delivery report of every message it accepted.
sim_settled() {
	s=$(curl -fsS "$SIM/_sim/stats") || return 1
	[ "$(printf %s "$s" | jq '.accepted == .dlr_sent + .dlr_errors + .dlr_queue_drops')" = true ] &&
		[ "$(wc -l <"$dir/sim.jsonl")" -eq "$(printf %s "$s" | jq .requests)" ]
}
# Nothing that is due by LIMIT (local "YYYY-MM-DD HH:MM") is queued or
# being sent: retries wait a second or two, so LIMIT is a few minutes
# after the moment; later reminders of the day are not due.
outbox_idle() {
	[ "$("$duban" outbox list --format json | jq --arg lim "$1" \
		'[.[] | select(.status == "sending" or (.status == "queued" and .send_at <= $lim))] | length')" = 0 ]
}
ticked() { curl -fsS "$API/healthz" | jq -e '.scheduler.last_tick != null'; }
settle() { # LIMIT: wait for duban and the simulator to be done with what is due
	wait_until 30 "the outbox to empty" outbox_idle "$1"
	wait_until 10 "the simulator's records and delivery reports" sim_settled
}

# start_at "YYYY-MM-DD HH:MM": `duban run` with the clock at that moment;
# waits for its first scheduler pass and for what it queued to be sent.
start_at() {
	NOW=$1
	LIMIT=$(date -d "$NOW 10 minutes" '+%Y-%m-%d %H:%M')
	log="$dir/daemon-$(printf %s "$NOW" | tr -c '0-9\n' '-').log"
	DUBAN_NOW="$NOW" "$duban" run 2>>"$log" &
	DAEMON_PID=$!
	printf '\n$ DUBAN_NOW="%s" duban run &      (pid %s)\n' "$NOW" "$DAEMON_PID"
	wait_until 10 "duban run to start" grep -q 'running:' "$log"
	wait_until 10 "the scheduler's first pass" ticked
	settle "$LIMIT"
}
stop_daemon() {
	kill -TERM "$DAEMON_PID"
	rc=0
	wait "$DAEMON_PID" || rc=$?
	[ "$rc" -eq 0 ] || { echo "demo: duban run exited $rc" >&2; DEMO_KEEP=1; exit 1; }
	DAEMON_PID=""
}

# show: print what the simulator received since the last call, in the
# order it received it.  Messages about T1, T2 (digests listing them too),
# notices and replies in full; the reminders about the town's other tasks
# as a count.
SEEN=0
show() {
	total=$(wc -l <"$dir/sim.jsonl")
	[ "$total" -gt "$SEEN" ] || { echo "  $(tr_ "(nothing sent)" "（没有发出短信）")"; return 0; }
	"$duban" person list --format json >"$dir/people.json"
	"$duban" outbox list --format json >"$dir/outbox.json"
	sed -n "$((SEEN + 1)),${total}p" "$dir/sim.jsonl" | jq -rs --arg zh "$ZH" \
		--slurpfile people "$dir/people.json" --slurpfile box "$dir/outbox.json" '
		def mask: ltrimstr("+86") | .[0:3] + "****" + .[-4:];
		def pad: if length < 3 then . + "　" else . end;
		($people[0] | map({key: .phone, value: .name}) | from_entries) as $name
		| ($box[0] | map({key: ("duban-" + (.id | tostring)), value: .}) | from_entries) as $msg
		| sort_by(.n)
		| map(. + {m: ($msg[.id // ""] // {}), who: ($name[.to] // "?")})
		| map(. + {full: (.m.kind == "notice" or .m.kind == "reply" or .m.kind == "manual"
				  or .m.ref == "T1" or .m.ref == "T2"
				  or (.m.step == "digest" and (.text | test("T[12][“ ]"))))})
		| (.[] | select(.full)
		   | if .outcome == "accepted"
		     then "  ← \(.to | mask) \(.who | pad)  \(if .sign then "【\(.sign)】" else "" end)\(.text)"
		     else "  ✗ \(.status) \(.to | mask) \(.who | pad)  " +
		          (if $zh == "1" then "通道忙：duban 会重试" else "the provider is busy: duban will retry" end) end),
		  ([.[] | select((.full | not) and .outcome == "accepted")] as $o
		   | ($o | map(.m.ref) | unique | sort_by(ltrimstr("T") | tonumber? // 0)) as $t
		   | if ($o | length) == 0 then empty
		     elif $zh == "1" then "  + 另有 \($t | length) 项事项的提醒 \($o | length) 条（\($t | join(" "))）"
		     else "  + \($o | length) reminders about \($t | length) other tasks (\($t | join(" ")))" end)'
	SEEN=$total
}
# mo PHONE TEXT: a reply from PHONE, through the simulator to duban.
mo() {
	r=$(curl -fsS -X POST "$SIM/_sim/mo" -H 'Content-Type: application/json' \
		-d "{\"from\":\"$1\",\"text\":\"$2\"}")
	[ "$(printf %s "$r" | jq -r .status)" = 200 ] ||
		{ echo "demo: duban did not take the reply: $r" >&2; exit 1; }
}
phone_of() { "$duban" person show "$1" --format json | jq -r '.[0].phone'; }
masked() { printf %s "$1" | sed 's/^+86//; s/^\(...\)....\(....\)$/\1****\2/'; }

# ---- 1 ----------------------------------------------------------------------------------------

say "1. 2008-12-01 — the town of 小雄镇 (Xiaoxiong) moves in" "1. 2008-12-01 —— 小雄镇启用 duban"
en "duban keeps everything in one SQLite file.  We create it, import the town's" \
	"100 people from a CSV as a Chinese Excel saves it (GB18030), and its 14" \
	"supervised tasks (督办事项).  Watch two of them, both due 2008-12-31:" \
	"T1 梅岙塘农田改造工程, led by the 纪委书记 郑秀兰 (supervisor: 林志远, 党委书记)," \
	"and T2 庙峙村内道路硬化, led by the 人大副主席 应国庆."
zh "duban 把一切都存在一个 SQLite 文件里。我们创建它，导入全镇 100 人（国内 Excel" \
	"保存的 GB18030 编码 CSV）和 14 项督办事项。请留意其中两项，完成时限都是" \
	"2008-12-31：T1 梅岙塘农田改造工程，由纪委书记郑秀兰牵头（督办领导：党委书记" \
	"林志远）；T2 庙峙村内道路硬化，由人大副主席应国庆牵头。"
export DUBAN_NOW="2008-12-01 08:00"
write_cfg 9 0
run init
run person import examples/xiaoxiong/people-gb18030.csv
run task import examples/xiaoxiong/tasks.csv
run task list
unset DUBAN_NOW

# Choose the HTTP port once: start duban's server on a free port (on the
# empty town, nothing to send), note the port, stop it; every later run
# listens there, and the simulator posts replies and delivery reports to it.
start_probe() {
	log="$dir/daemon-probe.log"
	DUBAN_NOW="2008-12-01 08:00" "$duban" run 2>>"$log" &
	DAEMON_PID=$!
	wait_until 10 "duban run to start" grep -q 'running:' "$log"
	PORT=$(sed -n 's/.*http: listening on .*:\([0-9][0-9]*\)$/\1/p' "$log" | tail -1)
	stop_daemon
}
start_probe
API="http://127.0.0.1:$PORT"
"$simbin" --listen 127.0.0.1:0 --port-file "$dir/sim.port" --record "$dir/sim.jsonl" \
	--mo-url "$API/callbacks/mo/sim/$secret" --dlr-url "$API/callbacks/dlr/sim/$secret" \
	--quiet 2>>"$dir/sim.log" &
SIM_PID=$!
wait_until 10 "the simulator to start" test -s "$dir/sim.port"
SIM="http://127.0.0.1:$(cat "$dir/sim.port")"
: >>"$dir/sim.jsonl"
write_cfg "$(cat "$dir/sim.port")" "$PORT"

say "The provider simulator" "短信通道模拟器"
en "build/smsc-sim (pid $SIM_PID) plays the SMS provider: duban sends to it over HTTP," \
	"it answers, sends delivery reports back and can fail on purpose.  Every message" \
	"it receives is shown like this:  ← number (masked) name  text.  The daemon" \
	"\`duban run\` (scheduler + dispatcher + HTTP server on $API) is started" \
	"once per moment of the story with the clock DUBAN_NOW set, and stopped."
zh "build/smsc-sim（pid $SIM_PID）扮演短信通道：duban 通过 HTTP 发给它，它应答、" \
	"回送送达回执，也可以故意出错。它收到的每条短信显示为：← 号码（打码） 姓名  内容。" \
	"守护进程 \`duban run\`（调度器 + 发送器 + $API 上的 HTTP 服务）在故事的每个" \
	"时刻用 DUBAN_NOW 设好时钟启动一次，然后停止。"

# ---- 2 ----------------------------------------------------------------------------------------

say "2. 2008-12-24 09:00 — a week before the deadline" "2. 2008-12-24 09:00 —— 距完成时限还有一周"
en "The scheduler queues the 7-day reminders (rules/default.cfg: to the lead and" \
	"the owners) and the dispatcher sends them: to the 纪委书记 郑秀兰 for T1 and" \
	"the 人大副主席 应国庆 for T2, and to everyone with another task due."
zh "调度器把提前 7 天的提醒排队（rules/default.cfg：发给牵头领导和责任人），发送器" \
	"把它们发出：T1 发给纪委书记郑秀兰，T2 发给人大副主席应国庆，其他到期事项的" \
	"负责人也各有一条。"
start_at "2008-12-24 09:00"
stop_daemon
show

# ---- 3 ----------------------------------------------------------------------------------------

say "3. 2008-12-24 10:30 — a notice to the farmers of three villages" "3. 2008-12-24 10:30 —— 给三个村的农户发通知"
en "The agricultural-insurance pilot (政策性农业保险试点) is announced by SMS to" \
	"the farmers of 小雄村, 五支岙村 and 山场村.  First a farmer who does not want" \
	"notices replies TD; duban opts him out and confirms."
zh "政策性农业保险试点要用短信通知小雄村、五支岙村和山场村的农户。先有一位不想" \
	"收通知的农户回复 TD：duban 为他退订并回复确认。"
start_at "2008-12-24 10:30"
OPT=$("$duban" person list --group 农户-五支岙村 --format json | jq -r '.[0].name')
OPT_PHONE=$(phone_of "$OPT")
printf '\n  → %s %s  %s "TD"\n' "$(masked "$OPT_PHONE")" "$OPT" "$(tr_ replies 回复)"
mo "$OPT_PHONE" TD
settle "$LIMIT"
show
en "" "A dry run shows who would get what, and what it costs (SMS parts), changing nothing:"
zh "" "试运行显示谁会收到什么、要花多少（短信条数），什么都不改："
set -- --to group:农户-小雄村 --to group:农户-五支岙村 --to group:农户-山场村 \
	--template insurance --var deadline=1月15日 --var contact=0576-83331234
export DUBAN_NOW="$NOW"
run notice send "$@" --dry-run
en "" "Now for real.  The simulator is told to refuse about 30% of the sends with" \
	"503 (busy) meanwhile: duban retries them with a growing, jittered wait."
zh "" "这次真发。同时让模拟器以 503（忙）拒收约 30% 的发送：duban 会以逐渐加长、" \
	"带随机抖动的间隔重试。"
curl -fsS -X POST "$SIM/_sim/config?fail_rate=0.3&fail_status=503" >/dev/null
run notice send "$@" --yes
unset DUBAN_NOW
settle "$LIMIT"
curl -fsS -X POST "$SIM/_sim/config?fail_rate=0" >/dev/null
stop_daemon
show
"$duban" outbox list --kind notice --format json | jq -r --arg zh "$ZH" '
	def nth: if . == 1 then "1st" elif . == 2 then "2nd" elif . == 3 then "3rd" else "\(.)th" end;
	(map(select(.status == "sent" or .status == "delivered")) | length) as $ok
	| if $zh == "1" then
	    "", "  发件箱（duban outbox list --kind notice）：\(length) 条通知中 \($ok) 条已被通道接收，",
	    "  " + (group_by(.attempts) | map("\(length) 条在第 \(.[0].attempts) 次尝试") | join("，")) + "。"
	  else
	    "", "  The outbox (duban outbox list --kind notice): \($ok) of \(length) notices accepted by the provider,",
	    "  " + (group_by(.attempts) | map("\(length) at the \(.[0].attempts | nth) attempt") | join(", ")) + "."
	  end'
run notice show "N$("$duban" notice list --format json | jq -r '.[-1].id')"

# ---- 4 ----------------------------------------------------------------------------------------

say "4. 2008-12-28 09:00 — three days to go; T2 is finished" "4. 2008-12-28 09:00 —— 还有三天；T2 已完成"
en "The 3-day reminders go to the leads, owners and the villages' teams.  Then the" \
	"人大副主席 应国庆 replies \"完成T2\" from his phone: duban checks that he leads T2," \
	"marks it done, stops its reminders and confirms."
zh "提前 3 天的提醒发给牵头领导、责任人和各村班子。接着人大副主席应国庆用手机回复" \
	"\"完成T2\"：duban 核对他是 T2 的牵头领导，把 T2 标记为办结，停止其提醒并回复确认。"
start_at "2008-12-28 09:00"
show
YING_PHONE=$(phone_of 应国庆)
printf '\n  → %s 应国庆  %s "完成T2"\n' "$(masked "$YING_PHONE")" "$(tr_ replies 回复)"
mo "$YING_PHONE" 完成T2
settle "$LIMIT"
stop_daemon
show
printf '\n$ duban task show T2 | head -3\n'
"$duban" task show T2 | head -3 | sed 's/^/    /'

# ---- 5 ----------------------------------------------------------------------------------------

say "5. 2008-12-30 to 2009-01-02 — T1 runs late" "5. 2008-12-30 至 2009-01-02 —— T1 超期"
en "T1's reminders go on (T2's have stopped): the day before, on the day, then" \
	"daily once overdue; two days after the deadline duban escalates to the" \
	"supervisor, 党委书记 林志远 (and tells the lead)."
zh "T1 的提醒继续（T2 的已经停止）：前一天、当天，超期后每天一次；超期两天后 duban" \
	"向督办领导党委书记林志远督办（并告知牵头领导）。"
for now in "2008-12-30 09:00" "2008-12-31 08:00" "2009-01-01 09:00" "2009-01-02 09:30"; do
	start_at "$now"
	stop_daemon
	show
done

# ---- 6 ----------------------------------------------------------------------------------------

say "6. The reports" "6. 报表"
en "How the deadlines were kept (T2 done early by SMS, T1 overdue), and what was" \
	"sent and delivered (the simulator's delivery reports came back to duban)." \
	"The \"cancelled\" rows are reminders whose time passed while no duban was" \
	"running (between the moments of this story): rather than flood people after" \
	"downtime, duban sends only the latest step per task and person."
zh "各事项完成时限的落实情况（T2 通过短信提前办结，T1 超期），以及发送和送达情况" \
	"（模拟器的送达回执已回到 duban）。\"已取消\"的几行是在没有 duban 运行时（故事的" \
	"各时刻之间）时间已过的提醒：停机之后 duban 不会一下子发一大堆，每个事项每个人" \
	"只发最近的一步。"
export DUBAN_NOW="2009-01-02 10:00"
run report tasks
run report delivery
unset DUBAN_NOW

say "The end" "结束"
kill -TERM "$SIM_PID"
wait "$SIM_PID" || true
if [ "$ZH" = 1 ]; then
	printf '模拟器（pid %s）已停止；每个 duban run 都在其时刻之后停止。\n' "$SIM_PID"
else
	printf 'Stopped the simulator (pid %s); every duban run was stopped after its moment.\n' "$SIM_PID"
fi
SIM_PID=""
en "Try it yourself: README.md (\"A tour\"), and \`duban --help\` / \`duban COMMAND --help\`."
zh "自己试试：README.md（\"A tour\"），以及 \`duban --help\` / \`duban 命令 --help\`。"
say "The staff console" "工作人员网页控制台"
en "The town office works in a browser: duban run serves the console (in Chinese)" \
	"at / of its HTTP server.  To open it on this demo's town, run the demo with" \
	"DEMO_KEEP=1 make demo, then:"
zh "镇党政办在浏览器里工作：duban run 在其 HTTP 服务的 / 提供中文控制台。" \
	"要在本演示的小镇上打开它，用 DEMO_KEEP=1 make demo 运行演示，然后："
printf '%s\n' "" \
	"    export DUBAN_CONFIG=$DUBAN_CONFIG PATH=$top/build:\$PATH" \
	"    duban staff add wangfang --name 王芳 --role clerk    # prints her password" \
	"    duban run" \
	""
en "and open http://127.0.0.1:$PORT/ (README.md, \"The staff console\")."
zh "然后打开 http://127.0.0.1:$PORT/（见 README.md 的 \"The staff console\"）。"
