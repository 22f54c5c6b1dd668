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
CFG
}

# ---- helpers ----------------------------------------------------------------------------------

say() { printf '\n== %s\n' "$*"; }
# tell TEXT: a sentence or two for the newcomer, wrapped by the caller.
tell() { printf '%s\n' "$@"; }
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
	[ "$total" -gt "$SEEN" ] || { echo "  (nothing sent)"; return 0; }
	"$duban" person list --format json >"$dir/people.json"
	"$duban" outbox list --format json >"$dir/outbox.json"
	sed -n "$((SEEN + 1)),${total}p" "$dir/sim.jsonl" | jq -rs \
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
		     else "  ✗ \(.status) \(.to | mask) \(.who | pad)  the provider is busy: duban will retry" end),
		  ([.[] | select((.full | not) and .outcome == "accepted")] as $o
		   | ($o | map(.m.ref) | unique | sort_by(ltrimstr("T") | tonumber? // 0)) as $t
		   | if ($o | length) == 0 then empty
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
phone_of() { "$duban" person show "$1" | sed -n 's/^ *phone: *//p'; }
masked() { printf %s "$1" | sed 's/^+86//; s/^\(...\)....\(....\)$/\1****\2/'; }

# ---- 1 ----------------------------------------------------------------------------------------

say "1. 2008-12-01 — the town of 小雄镇 (Xiaoxiong) moves in"
tell "duban keeps everything in one SQLite file.  We create it, import the town's" \
	"100 people from a CSV as a Chinese Excel saves it (GB18030), and its 14" \
	"supervised tasks (督办事项).  Watch two of them, both due 2008-12-31:" \
	"T1 梅岙塘农田改造工程, led by the 纪委书记 郑秀兰 (supervisor: 林志远, 党委书记)," \
	"and T2 庙峙村内道路硬化, led by the 人大副主席 应国庆."
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

say "The provider simulator"
tell "build/smsc-sim (pid $SIM_PID) plays the SMS provider: duban sends to it over HTTP," \
	"it answers, sends delivery reports back and can fail on purpose.  Every message" \
	"it receives is shown like this:  ← number (masked) name  text.  The daemon" \
	"\`duban run\` (scheduler + dispatcher + HTTP server on $API) is started" \
	"once per moment of the story with the clock DUBAN_NOW set, and stopped."

# ---- 2 ----------------------------------------------------------------------------------------

say "2. 2008-12-24 09:00 — a week before the deadline"
tell "The scheduler queues the 7-day reminders (rules/default.cfg: to the lead and" \
	"the owners) and the dispatcher sends them: to the 纪委书记 郑秀兰 for T1 and" \
	"the 人大副主席 应国庆 for T2, and to everyone with another task due."
start_at "2008-12-24 09:00"
stop_daemon
show

# ---- 3 ----------------------------------------------------------------------------------------

say "3. 2008-12-24 10:30 — a notice to the farmers of three villages"
tell "The agricultural-insurance pilot (政策性农业保险试点) is announced by SMS to" \
	"the farmers of 小雄村, 五支岙村 and 山场村.  First a farmer who does not want" \
	"notices replies TD; duban opts him out and confirms."
start_at "2008-12-24 10:30"
OPT=$("$duban" person list --group 农户-五支岙村 --format json | jq -r '.[0].name')
OPT_PHONE=$(phone_of "$OPT")
printf '\n  → %s %s  replies "TD"\n' "$(masked "$OPT_PHONE")" "$OPT"
mo "$OPT_PHONE" TD
settle "$LIMIT"
show
tell "" "A dry run shows who would get what, and what it costs (SMS parts), changing nothing:"
set -- --to group:农户-小雄村 --to group:农户-五支岙村 --to group:农户-山场村 \
	--template insurance --var deadline=1月15日 --var contact=0576-83331234
export DUBAN_NOW="$NOW"
run notice send "$@" --dry-run
tell "" "Now for real.  The simulator is told to refuse about 30% of the sends with" \
	"503 (busy) meanwhile: duban retries them with a growing, jittered wait."
curl -fsS -X POST "$SIM/_sim/config?fail_rate=0.3&fail_status=503" >/dev/null
run notice send "$@" --yes
unset DUBAN_NOW
settle "$LIMIT"
curl -fsS -X POST "$SIM/_sim/config?fail_rate=0" >/dev/null
stop_daemon
show
"$duban" outbox list --kind notice --format json | jq -r '
	def nth: if . == 1 then "1st" elif . == 2 then "2nd" elif . == 3 then "3rd" else "\(.)th" end;
	"", "  The outbox (duban outbox list --kind notice): \(map(select(.status == "sent" or
	    .status == "delivered")) | length) of \(length) notices accepted by the provider,",
	"  " + (group_by(.attempts) | map("\(length) at the \(.[0].attempts | nth) attempt") | join(", ")) + "."'
run notice show "N$("$duban" notice list --format json | jq -r '.[-1].id')"

# ---- 4 ----------------------------------------------------------------------------------------

say "4. 2008-12-28 09:00 — three days to go; T2 is finished"
tell "The 3-day reminders go to the leads, owners and the villages' teams.  Then the" \
	"人大副主席 应国庆 replies \"完成T2\" from his phone: duban checks that he leads T2," \
	"marks it done, stops its reminders and confirms."
start_at "2008-12-28 09:00"
show
YING_PHONE=$(phone_of 应国庆)
printf '\n  → %s 应国庆  replies "完成T2"\n' "$(masked "$YING_PHONE")"
mo "$YING_PHONE" 完成T2
settle "$LIMIT"
stop_daemon
show
printf '\n$ duban task show T2 | head -3\n'
"$duban" task show T2 | head -3 | sed 's/^/    /'

# ---- 5 ----------------------------------------------------------------------------------------

say "5. 2008-12-30 to 2009-01-02 — T1 runs late"
tell "T1's reminders go on (T2's have stopped): the day before, on the day, then" \
	"daily once overdue; two days after the deadline duban escalates to the" \
	"supervisor, 党委书记 林志远 (and tells the lead)."
for now in "2008-12-30 09:00" "2008-12-31 08:00" "2009-01-01 09:00" "2009-01-02 09:30"; do
	start_at "$now"
	stop_daemon
	show
done

# ---- 6 ----------------------------------------------------------------------------------------

say "6. The reports"
tell "How the deadlines were kept (T2 done early by SMS, T1 overdue), and what was" \
	"sent and delivered (the simulator's delivery reports came back to duban)." \
	"The \"cancelled\" rows are reminders whose time passed while no duban was" \
	"running (between the moments of this story): rather than flood people after" \
	"downtime, duban sends only the latest step per task and person."
export DUBAN_NOW="2009-01-02 10:00"
run report tasks
run report delivery
unset DUBAN_NOW

say "The end"
kill -TERM "$SIM_PID"
wait "$SIM_PID" || true
printf 'Stopped the simulator (pid %s); every duban run was stopped after its moment.\n' "$SIM_PID"
SIM_PID=""
tell "Try it yourself: README.md (\"A tour\"), and \`duban --help\` / \`duban COMMAND --help\`."
