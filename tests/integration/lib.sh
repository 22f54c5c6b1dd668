# lib.sh - helpers for duban's integration scenarios (POSIX sh).
#
# A scenario sources this file, calls `setup`, then `ok`/`check`/`expect_*`
# for each assertion; each prints one TAP line "ok - ..." or "not ok - ...".
# Everything runs against the real build/duban, a real SQLite file in a fresh
# temporary directory, and (with start_sim) the real provider simulator on a
# loopback port chosen by the kernel.  Nothing waits with a fixed sleep:
# `wait_for` polls a condition with a deadline.

TOP=${TOP:-$(pwd)}
BUILD=${BUILD:-build}
DUBAN="$TOP/$BUILD/duban"
SIM="$TOP/$BUILD/smsc-sim"
FAILED=0

# A fresh directory with a configuration using the shipped rules/templates.
setup() {
	# Without its folder a scenario would write its files into / (T empty).
	T=$(mktemp -d "${TMPDIR:-/tmp}/duban-it.XXXXXX") && [ -n "$T" ] ||
		{ echo "not ok - a temporary folder under ${TMPDIR:-/tmp}"; exit 1; }
	export DUBAN_CONFIG="$T/duban.cfg"
	cat >"$DUBAN_CONFIG" <<CFG
database = "$T/duban.db";
timezone = "Asia/Shanghai";
signature = "小雄镇人民政府";
rules_dir = "$TOP/rules";
templates_dir = "$TOP/templates";
quiet_hours = { from = "21:00"; to = "08:00"; };
log = { level = "warn"; };
CFG
	unset DUBAN_NOW
	trap cleanup EXIT INT TERM
}

PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	if [ "$FAILED" -eq 0 ] && [ -n "${T:-}" ]; then rm -rf "$T"; fi
	[ "$FAILED" -ne 0 ] && [ -n "${T:-}" ] && echo "# kept $T"
}

ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; FAILED=1; }

# check DESC CMD...: the command must succeed.
check() {
	desc=$1; shift
	if "$@" >"$T/last.out" 2>"$T/last.err"; then ok "$desc"; else
		notok "$desc"; sed 's/^/#   /' "$T/last.err" | head -20; fi
}

# expect_exit DESC CODE CMD...: the command must exit with CODE.
expect_exit() {
	desc=$1; want=$2; shift 2
	"$@" >"$T/last.out" 2>"$T/last.err"; got=$?
	if [ "$got" -eq "$want" ]; then ok "$desc"; else
		notok "$desc (exit $got, wanted $want)"; sed 's/^/#   /' "$T/last.err" | head -20; fi
}

# expect_eq DESC GOT WANT
expect_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else
		notok "$1"; echo "#   got:  $2"; echo "#   want: $3"; fi
}

# expect_grep DESC PATTERN FILE
expect_grep() {
	if grep -q -- "$2" "$3"; then ok "$1"; else
		notok "$1 (no \"$2\" in $3)"; sed 's/^/#   /' "$3" | head -20; fi
}

# sql QUERY: run a query on the test database.
# (a busy timeout: the daemon may be writing at the same moment)
sql() { sqlite3 -batch -noheader -cmd ".timeout 10000" "$T/duban.db" "$1"; }

# wait_for SECONDS CMD...: poll until CMD succeeds; 1 when SECONDS pass
# first.  The only pause in the tests is this poll's interval between
# two looks at the condition.
POLL_INTERVAL=0.05
wait_for() {
	limit=$1; shift
	end=$(( $(date +%s) + limit ))
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge "$end" ] && return 1
		sleep "$POLL_INTERVAL"
	done
	return 0
}

# start_sim [ARGS...]: start the simulator on a free port; sets SIM_PORT,
# SIM_URL, SIM_PID and records requests to $T/sim.jsonl.
start_sim() {
	rm -f "$T/sim.port"
	"$SIM" --listen 127.0.0.1:0 --port-file "$T/sim.port" --record "$T/sim.jsonl" \
		--quiet "$@" 2>>"$T/sim.log" &
	SIM_PID=$!
	PIDS="$PIDS $SIM_PID"
	wait_for 10 test -s "$T/sim.port" || { notok "simulator started"; return 1; }
	SIM_PORT=$(cat "$T/sim.port")
	SIM_URL="http://127.0.0.1:$SIM_PORT"
}

# start_duban: `duban run` in the background (log level info or debug),
# logging to $T/daemon.log; waits for "running:".  With an http group in
# the configuration it sets HTTP_PORT and API (http://127.0.0.1:PORT) from
# the server's "http: listening on" line.
start_duban() {
	: >"$T/daemon.log"
	"$DUBAN" run 2>>"$T/daemon.log" &
	DPID=$!
	PIDS="$PIDS $DPID"
	wait_for 10 grep -q 'running:' "$T/daemon.log" ||
		{ notok "duban run started"; sed 's/^/#   /' "$T/daemon.log" | head -20; return 1; }
	HTTP_PORT=$(sed -n 's/.*http: listening on .*:\([0-9][0-9]*\)$/\1/p' "$T/daemon.log" | tail -1)
	API="http://127.0.0.1:${HTTP_PORT:-0}"
}

# start_sim_cn aliyun|tencent [ARGS...]: start_sim playing Alibaba Cloud or
# Tencent Cloud (docs/smsc-sim.md) with test keys, exported under the names
# a configuration reads with {{env.NAME}}: ALIYUN_ACCESS_KEY_ID,
# ALIYUN_ACCESS_KEY_SECRET, or TENCENT_SECRET_ID, TENCENT_SECRET_KEY and
# TENCENT_SDK_APP_ID (1400000001).  Its templates file $T/sim-templates
# registers the sign 小雄镇人民政府 and approves the lines of SIM_TEMPLATES
# ("template CODE TEXT"), by default the reminder SMS_100001 / 100001.
start_sim_cn() {
	api=$1; shift
	{
		echo "sign 小雄镇人民政府"
		if [ -n "${SIM_TEMPLATES:-}" ]; then printf '%s\n' "$SIM_TEMPLATES"
		elif [ "$api" = aliyun ]; then
			echo 'template SMS_100001 您牵头的“${task}”将于${deadline}到期，请抓紧办理。回复“完成${code}”办结。'
		else
			echo 'template 100001 您牵头的“{1}”将于{2}到期，请抓紧办理。回复“完成{3}”办结。'
		fi
	} >"$T/sim-templates"
	export ALIYUN_ACCESS_KEY_ID=LTAI5tSimTestKeyId ALIYUN_ACCESS_KEY_SECRET=SimTestKeySecret0123
	export TENCENT_SECRET_ID=AKIDSimTestSecretId TENCENT_SECRET_KEY=SimTestSecretKey0123
	export TENCENT_SDK_APP_ID=1400000001
	start_sim --api "$api" --templates "$T/sim-templates" "$@"
}
