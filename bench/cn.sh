#!/bin/sh
# bench/cn.sh - a 100,000-recipient notice through Alibaba Cloud (the
# simulator in aliyun mode: signed SendSms, the approved template, 1,000
# numbers per request) end to end: the rows queued in a real SQLite file as
# a notice with one set of values leaves them, `duban run` sending them in
# batches, the clock stopped when the database shows every row's final
# status committed.  Prints recipients/s, requests and the daemon's peak
# RSS (VmHWM).  Target: >= 100,000 recipients/s on the 2-core machine.
#
#   BUILD=build bench/cn.sh
#
# Environment: BENCH_CN_N (default 100000) recipients, BENCH_CN_BATCH
# (1000) numbers per request, BENCH_CN_CONCURRENCY (4) requests in flight;
# BENCH_PROFILE=1 prints where the daemon's time went (perf, as bench/dispatch.sh).
set -eu
TOP=${TOP:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${BUILD:-build}
DUBAN="$TOP/$BUILD/duban"
SIM="$TOP/$BUILD/smsc-sim"
N=${BENCH_CN_N:-100000}
BATCH=${BENCH_CN_BATCH:-1000}
CONC=${BENCH_CN_CONCURRENCY:-4}

for b in "$DUBAN" "$SIM"; do
	[ -x "$b" ] || { echo "bench/cn.sh: $b is not built (make $BUILD/duban $BUILD/smsc-sim)" >&2; exit 1; }
done
command -v sqlite3 >/dev/null || { echo "bench/cn.sh: needs the sqlite3 command" >&2; exit 1; }

W=$(mktemp -d "${TMPDIR:-/tmp}/duban-bench.XXXXXX")
SIM_PID=""
DPID=""
cleanup() {
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	[ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT INT TERM

poll() {
	lim=$(( $(date +%s) + $1 )); shift
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge "$lim" ] && return 1
		sleep 0.05
	done
}

cat >"$W/templates" <<'TPL'
sign 小雄镇人民政府
template SMS_200001 县政策性农业保险试点开始参保，保费有财政补贴。请于${deadline}前到村委会登记，咨询${contact}。回复TD退订
TPL
ALIYUN_ACCESS_KEY_ID=LTAI5tBenchKeyId ALIYUN_ACCESS_KEY_SECRET=BenchKeySecret0123456789
export ALIYUN_ACCESS_KEY_ID ALIYUN_ACCESS_KEY_SECRET
"$SIM" --api aliyun --templates "$W/templates" --listen 127.0.0.1:0 --port-file "$W/sim.port" \
	--quiet 2>"$W/sim.log" &
SIM_PID=$!
poll 10 test -s "$W/sim.port" || { echo "simulator did not start" >&2; exit 1; }
SIM_URL="http://127.0.0.1:$(cat "$W/sim.port")"

export DUBAN_CONFIG="$W/duban.cfg"
cat >"$DUBAN_CONFIG" <<CFG
database = "$W/duban.db";
signature = "小雄镇人民政府";
rules_dir = "$TOP/rules";
templates_dir = "$TOP/templates";
quiet_hours = { enabled = false; from = "21:00"; to = "08:00"; };
log = { level = "info"; };
providers = (
  { name = "aliyun"; type = "aliyun";
    access_key_id = "{{env.ALIYUN_ACCESS_KEY_ID}}"; access_key_secret = "{{env.ALIYUN_ACCESS_KEY_SECRET}}";
    endpoint = "$SIM_URL"; sign_name = "小雄镇人民政府"; concurrency = $CONC; batch = $BATCH;
    timeout_ms = 10000;
    templates = {
      insurance = { code = "SMS_200001";
        text = "县政策性农业保险试点开始参保，保费有财政补贴。请于\${deadline}前到村委会登记，咨询\${contact}。回复TD退订";
        params = { deadline = "{{var.deadline}}"; contact = "{{var.contact}}"; }; };
    }; }
);
dispatcher = { batch = $((BATCH * CONC * 2)); };
CFG

"$DUBAN" init >/dev/null
# N farmers in group 全体, queued as the clerk does it: `duban notice send`
# (one row per farmer with its person, notice and dedupe key; the shared
# values rendered once, the first provider's text), timed apart from the
# sending.
awk -v n="$N" 'BEGIN {
	print "name,phone,title,org,kind,groups"
	for (i = 1; i <= n; i++)
		printf "农户%d,138%08d,农户,小雄村,farmer,全体\n", i, i
}' >"$W/people.csv"
"$DUBAN" person import "$W/people.csv" >/dev/null
q0=$(date +%s%N)
"$DUBAN" notice send --yes --to group:全体 --template insurance --title 农业保险试点 \
	--var deadline=12月20日 --var contact=村委会王主任 >"$W/notice.out"
q1=$(date +%s%N)
queued=$(sqlite3 "$W/duban.db" "SELECT count(*) FROM message WHERE kind = 'notice' AND status = 'queued'")
[ "$queued" = "$N" ] || { echo "bench/cn.sh: $queued rows queued, wanted $N" >&2; cat "$W/notice.out" >&2; exit 1; }

# The clock stops when no row is queued or being sent, counted from the two
# partial indexes (their entries only, 18 ms at the start and less after: a
# count over the table took 55 ms every 50 ms, half a core taken from what
# it measures); then every row must have its final status.
unfinished() {
	sqlite3 "$W/duban.db" "SELECT (SELECT count(*) FROM message INDEXED BY message_due WHERE status = 'queued')
		+ (SELECT count(*) FROM message INDEXED BY message_lease WHERE status = 'sending')"
}
drained() { [ "$(unfinished)" = 0 ]; }
final() { [ "$(sqlite3 "$W/duban.db" "select count(*) from message where status in ('sent', 'failed', 'delivered')")" = "$N" ]; }
t0=$(date +%s%N)
"$DUBAN" run 2>>"$W/daemon.log" &
DPID=$!
PERF_PID=""
if [ "${BENCH_PROFILE:-0}" = 1 ] && command -v perf >/dev/null; then
	perf record -q -e cpu-clock -F 1999 -g -p "$DPID" -o "$W/perf.data" 2>>"$W/perf.log" &
	PERF_PID=$!
fi
poll 600 drained || { echo "bench/cn.sh: rows still queued after 600 s" >&2; tail -5 "$W/daemon.log" >&2; exit 1; }
t1=$(date +%s%N)
final || { echo "bench/cn.sh: not every row got its final status" >&2; tail -5 "$W/daemon.log" >&2; exit 1; }
if [ -n "$PERF_PID" ]; then
	kill -INT "$PERF_PID"
	wait "$PERF_PID" || true
fi
rss=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$DPID/status")
kill -TERM "$DPID"
wait "$DPID" || true
DPID=""
stats=$(curl -s "$SIM_URL/_sim/stats")
reqs=$(echo "$stats" | sed -n 's/.*"requests":\([0-9]*\).*/\1/p')
acc=$(echo "$stats" | sed -n 's/.*"numbers_accepted":\([0-9]*\).*/\1/p')
sent=$(sqlite3 "$W/duban.db" "select count(*) from message where status = 'sent'")
ms=$(( (t1 - t0) / 1000000 ))
[ "$ms" -gt 0 ] || ms=1
awk -v n="$N" -v q="$(( (q1 - q0) / 1000000 ))" 'BEGIN { printf "queued:    %9d recipients  %7.2f s  (duban notice send, not counted below)\n", n, q / 1000 }'
awk -v n="$N" -v ms="$ms" -v rss="$rss" -v r="$reqs" -v a="$acc" -v s="$sent" -v b="$BATCH" 'BEGIN {
	printf "aliyun:    %9d recipients  %7.2f s  %7d recipients/s  %d requests (batch %d)  %d accepted  %d sent  peak RSS %5.1f MB\n",
		n, ms / 1000, n * 1000 / ms, r, b, a, s, rss / 1024 }'
sed -n 's/.*stopped: .*; \(database .*\)/daemon: \1/p' "$W/daemon.log"
if [ -s "$W/perf.data" ]; then
	echo "profile (perf, cpu-clock, self time, top 25):"
	perf report -q -i "$W/perf.data" --no-children --sort dso,symbol --stdio -g none 2>/dev/null |
		sed 's/[[:space:]-]*$//' | grep -v '^$' | head -25
fi
