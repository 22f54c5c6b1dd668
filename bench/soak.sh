#!/bin/sh
# bench/soak.sh - the worst days, end to end: `duban run` sending a
# broadcast through the real simulator is killed with SIGKILL at random
# moments, restarted each time, and then the provider goes down for a
# minute while more is queued.  Prints what was lost (must be 0), the
# duplicates the provider saw against the bound README promises (per kill:
# the requests in flight plus the results awaiting their commit), and the
# daemon's CPU while the provider is down (it must wait, not spin).
#
#   BUILD=build bench/soak.sh
#
# Environment: SOAK_N (100000) rows, SOAK_KILLS (20), SOAK_OUTAGE (60)
# seconds down, SOAK_OUTAGE_N (20000) rows queued for the outage,
# SOAK_SEED (1) for the kill moments, BENCH_CONCURRENCY (64).
set -eu
TOP=${TOP:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${BUILD:-build}
DUBAN="$TOP/$BUILD/duban"
SIM="$TOP/$BUILD/smsc-sim"
N=${SOAK_N:-100000}
KILLS=${SOAK_KILLS:-20}
OUTAGE=${SOAK_OUTAGE:-60}
OUTAGE_N=${SOAK_OUTAGE_N:-20000}
SEED=${SOAK_SEED:-1}
CONC=${BENCH_CONCURRENCY:-64}
BATCH=1000

for b in "$DUBAN" "$SIM"; do
	[ -x "$b" ] || { echo "bench/soak.sh: $b is not built" >&2; exit 1; }
done

W=$(mktemp -d "${TMPDIR:-/tmp}/duban-soak.XXXXXX")
SIM_PID=""
DPID=""
cleanup() {
	[ -n "$DPID" ] && kill -KILL "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
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

"$SIM" --listen 127.0.0.1:0 --port-file "$W/sim.port" --quiet --delay-ms 2 2>"$W/sim.log" &
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
    timeout_ms = 2000; retries = { max = 100; base_ms = 100; max_ms = 5000; };
    breaker = { failures = 5; rest = "2s"; }; }
);
dispatcher = { batch = $BATCH; lease = "5s"; poll_ms = 200; };
CFG

stat_of() { curl -s "$SIM_URL/_sim/stats" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
count() { sqlite3 -cmd ".timeout 10000" "$W/duban.db" "select count(*) from message where $1"; }
ge() { [ "$(eval "$1")" -ge "$2" ]; }
is() { [ "$(eval "$1")" = "$2" ]; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# queue N FROM: N notices numbered from FROM, one INSERT, like a broadcast.
queue() {
	now=$(date +%s)
	sqlite3 -cmd ".timeout 10000" "$W/duban.db" "BEGIN IMMEDIATE;
		WITH RECURSIVE n(i) AS (SELECT $2 UNION ALL SELECT i + 1 FROM n WHERE i < $2 + $1 - 1)
		INSERT INTO message_text (id, body)
		SELECT i, '【春耕通知】各村农户：春耕补贴申报工作已经开始，请到村委会登记。第' || i || '号' FROM n;
		WITH RECURSIVE n(i) AS (SELECT $2 UNION ALL SELECT i + 1 FROM n WHERE i < $2 + $1 - 1)
		INSERT INTO message (phone, text_id, encoding, parts, kind, priority, created_at, not_before)
		SELECT printf('+86138%08d', i), i, 'UCS-2', 2, 'notice', 30, $now, $now FROM n;
		COMMIT;"
}
start() {
	"$DUBAN" run 2>>"$W/daemon.log" &
	DPID=$!
}

"$DUBAN" init >/dev/null
queue "$N" 1
echo "soak: $N messages, $KILLS kill -9 at random moments, then the provider down for $OUTAGE s; $(nproc) CPUs"

# The kill moments: after a random number of further rows were sent.
t0=$(date +%s)
awk -v n="$N" -v k="$KILLS" -v seed="$SEED" 'BEGIN { srand(seed);
	for (i = 1; i <= k; i++) print int(n * (i - 1 + rand()) / (k + 1)) }' >"$W/moments"
kills=0
while read -r at; do
	start
	poll 600 ge "count \"status = 'sent'\"" "$at" || { echo "soak: stuck before kill $((kills + 1))" >&2; exit 1; }
	kill -KILL "$DPID"
	wait "$DPID" 2>/dev/null || true
	DPID=""
	kills=$((kills + 1))
done <"$W/moments"
start
poll 1200 is "count \"status = 'sent'\"" "$N" || { echo "soak: not all sent after the kills" >&2; exit 1; }
t1=$(date +%s)
unique=$(stat_of unique_ids)
dups=$(stat_of duplicates)
lost=$((N - unique))
bound=$((kills * (CONC + BATCH)))
printf 'soak: kills    %d kill -9, %d messages in %d s: lost %d, duplicates %d (bound %d = %d x (in flight %d + batch %d))\n' \
	"$kills" "$N" "$((t1 - t0))" "$lost" "$dups" "$bound" "$kills" "$CONC" "$BATCH"

# The outage: the provider refuses every connection for OUTAGE seconds.
curl -s -X POST "$SIM_URL/_sim/down?seconds=$OUTAGE" >/dev/null
queue "$OUTAGE_N" $((N + 1))
c0=$(cpu_ticks "$DPID")
w0=$(date +%s)
outage_over() { [ $(( $(date +%s) - w0 )) -ge "$OUTAGE" ]; }
poll $((OUTAGE + 5)) outage_over || true
c1=$(cpu_ticks "$DPID")
sent_down=$(count "status = 'sent' and id > $N")
poll 600 is "count \"status = 'sent'\"" $((N + OUTAGE_N)) || { echo "soak: not all sent after the outage" >&2; exit 1; }
t2=$(date +%s)
hz=$(getconf CLK_TCK)
unique=$(stat_of unique_ids)
lost=$((N + OUTAGE_N - unique))
awk -v c="$((c1 - c0))" -v hz="$hz" -v s="$OUTAGE" -v n="$OUTAGE_N" -v sd="$sent_down" \
	-v back="$((t2 - w0 - OUTAGE))" -v lost="$lost" 'BEGIN {
	printf "soak: outage   %d s down with %d queued: daemon CPU %.2f s (%.1f%% of one core), %d sent while down; all sent %d s after it came back; lost %d\n",
		s, n, c / hz, 100 * c / hz / s, sd, back, lost }'
kill -TERM "$DPID"
wait "$DPID" || true
DPID=""
[ "$lost" -eq 0 ] && [ "$dups" -le "$bound" ]
