#!/bin/sh
# bench/dispatch.sh - dispatcher throughput and memory, end to end: rows
# queued in a real SQLite file, `duban run` sending them through the real
# simulator on loopback, the clock stopped when the database shows every
# row sent (every final status committed).  Prints msg/s and the daemon's
# peak RSS (VmHWM) for a small and a large outbox.
#
#   BUILD=build bench/dispatch.sh
#
# Environment: BENCH_N (default 100000) rows for the throughput run,
# BENCH_SMALL (1000) and BENCH_LARGE (1000000) for the memory comparison
# (BENCH_LARGE=0 skips it), BENCH_CONCURRENCY (64) requests in flight,
# BENCH_PROFILE=1 samples the daemon with perf (cpu-clock) during the
# throughput run and prints where its time went (needs linux-perf).
# Rows are queued with one INSERT ... SELECT (what a broadcast to that many
# farmers would leave in the outbox), not through `duban send`, so that
# queuing a million rows takes seconds.
set -eu
TOP=${TOP:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${BUILD:-build}
DUBAN="$TOP/$BUILD/duban"
SIM="$TOP/$BUILD/smsc-sim"
N=${BENCH_N:-100000}
SMALL=${BENCH_SMALL:-1000}
LARGE=${BENCH_LARGE:-1000000}
CONC=${BENCH_CONCURRENCY:-64}

for b in "$DUBAN" "$SIM"; do
	[ -x "$b" ] || { echo "bench/dispatch.sh: $b is not built (make $BUILD/duban $BUILD/smsc-sim)" >&2; exit 1; }
done
command -v sqlite3 >/dev/null || { echo "bench/dispatch.sh: needs the sqlite3 command" >&2; exit 1; }

W=$(mktemp -d "${TMPDIR:-/tmp}/duban-bench.XXXXXX")
SIM_PID=""
DPID=""
cleanup() {
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	[ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT INT TERM

# poll SECONDS CMD...: until CMD succeeds (never a fixed sleep of the run).
poll() {
	lim=$(( $(date +%s) + $1 )); shift
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge "$lim" ] && return 1
		sleep 0.05
	done
}

"$SIM" --listen 127.0.0.1:0 --port-file "$W/sim.port" --quiet 2>"$W/sim.log" &
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
log = { level = "warn"; };
providers = (
  { name = "sim"; type = "http"; url = "$SIM_URL/sms/send"; concurrency = $CONC;
    timeout_ms = 10000; }
);
dispatcher = { batch = 1000; };
CFG

accepted() { curl -s "$SIM_URL/_sim/stats" | sed -n 's/.*"accepted":\([0-9]*\).*/\1/p'; }
all_sent() { [ "$(sqlite3 "$W/duban.db" "select count(*) from message where status = 'sent'")" = "$1" ]; }
sim_has() { [ "$(accepted)" -ge "$1" ]; }

# queue N: N notices, one INSERT, like a broadcast.
queue() {
	rm -f "$W"/duban.db*
	"$DUBAN" init >/dev/null
	now=$(date +%s)
	sqlite3 "$W/duban.db" "BEGIN;
		WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
		INSERT INTO message_text (id, body)
		SELECT i, '【春耕通知】各村农户：2008年春耕补贴申报工作已经开始，请于3月31日前到村委会登记。第' || i || '号' FROM n;
		WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
		INSERT INTO message (phone, text_id, encoding, parts, kind, priority, created_at, not_before)
		SELECT printf('+86138%08d', i), i, 'UCS-2', 2, 'notice', 30, $now, $now FROM n;
		COMMIT;"
}

# run N LABEL: the daemon sends N queued rows; prints the figures.
run() {
	n=$1
	queue "$n"
	base=$(accepted)
	t0=$(date +%s%N)
	"$DUBAN" run 2>>"$W/daemon.log" &
	DPID=$!
	PERF_PID=""
	if [ "${BENCH_PROFILE:-0}" = 1 ] && [ "$2" = throughput ] && command -v perf >/dev/null; then
		perf record -q -e cpu-clock -F 1999 -g -p "$DPID" -o "$W/perf.data" 2>>"$W/perf.log" &
		PERF_PID=$!
	fi
	poll 3600 sim_has $(( base + n )) || { echo "timed out" >&2; exit 1; }
	poll 60 all_sent "$n" || { echo "not all committed" >&2; exit 1; }
	t1=$(date +%s%N)
	if [ -n "$PERF_PID" ]; then
		kill -INT "$PERF_PID"
		wait "$PERF_PID" || true
	fi
	rss=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$DPID/status")
	kill -TERM "$DPID"
	wait "$DPID" || true
	DPID=""
	ms=$(( (t1 - t0) / 1000000 ))
	[ "$ms" -gt 0 ] || ms=1
	awk -v l="$2" -v n="$n" -v ms="$ms" -v rss="$rss" 'BEGIN {
		printf "%-10s %9d msgs  %7.2f s  %7d msg/s  peak RSS %5.1f MB\n", l, n, ms / 1000,
			n * 1000 / ms, rss / 1024 }'
}

echo "dispatcher: duban run -> smsc-sim on loopback, concurrency $CONC, $(nproc) CPUs"
run "$N" throughput
run "$SMALL" small
if [ "$LARGE" -gt 0 ]; then
	run "$LARGE" large
fi
if [ -s "$W/perf.data" ]; then
	echo "profile of the throughput run (perf, cpu-clock, self time, top 25):"
	perf report -q -i "$W/perf.data" --no-children --sort dso,symbol --stdio -g none 2>/dev/null |
		sed 's/[[:space:]-]*$//' | grep -v '^$' | head -25
fi
