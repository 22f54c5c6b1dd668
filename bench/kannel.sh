#!/bin/sh
# bench/kannel.sh - Kannel's throughput on this machine against the same
# provider simulator, to read next to bench/dispatch.sh's figure for duban.
#
#   BUILD=build bench/kannel.sh          (N=20000 by default)
#
# Kannel 1.4.5 (Debian's kannel package; installed here when missing and
# running as root, else the benchmark is skipped and exits 0) is configured
# in a temporary directory: a bearerbox with one HTTP SMSC of the generic
# type whose send-url is the simulator's GET /sms/send, and an smsbox with
# a sendsms-user.  build/smsc-sim, bearerbox and smsbox listen on free
# loopback ports and are stopped (SIGTERM, then SIGKILL after 15 s) when
# the script exits.  N messages, each with its own number and text, are
# posted to smsbox's /cgi-bin/sendsms by curl --parallel (keep-alive,
# KANNEL_CONC requests in flight, default 10); the clock runs from the
# first submission until the simulator's /_sim/stats counts N accepted
# sends.  Prints that, the bearerbox's and smsbox's peak RSS (VmHWM), how
# long the submissions alone took and the CPU time of each process.
#
# What is comparable with bench/dispatch.sh and what is not:
# - Same machine, same simulator binary, same loopback, one HTTP request
#   per message to the provider, requests in flight bounded the same way
#   (duban's provider concurrency 64, Kannel's max-pending-submits 64), no
#   throughput limit, logs at warning level, no delivery reports.
# - duban's clock starts with the rows already queued in its database (one
#   INSERT, like a broadcast) and stops when every row's final status is
#   committed (synchronous = FULL): each message costs SQLite work and
#   survives a crash.  Kannel's starts with the first HTTP submission: each
#   message also crosses smsbox's HTTP server and the smsbox-bearerbox
#   link, but Kannel keeps its queue in memory only (no store-type; with a
#   store file it would write every message too) and records no per-message
#   result.  So the figure includes accepting the messages, which duban's
#   does not, and excludes durability, which duban's includes.  The
#   injection alone is reported for that reason: when it takes nearly the
#   whole time, Kannel relays as fast as smsbox accepts.  (It can end a few
#   milliseconds after the simulator counted the last message: smsbox
#   answers a submission once bearerbox has queued it, and bearerbox may
#   have relayed it by the time the answer reaches curl.)
# - Only 10 submissions are in flight by default because Kannel's HTTP
#   server listens with a backlog of 10: 16 or more connections opened at
#   once overflow it now and then, and a connection whose SYN was dropped
#   waits a second for the retransmission, which measures TCP, not Kannel.
# - The injector (curl) shares the CPUs with Kannel and the simulator, as
#   the simulator shares them with duban; its CPU time is printed.
# - Texts are ASCII (one GSM 7-bit part: a longer or Chinese text would be
#   split into parts by Kannel, one request per part, or sent as raw UCS-2
#   bytes by %b); duban's bench sends a 52-character Chinese text as one
#   JSON POST.  Kannel's request is a GET with two parameters.
#
# Environment: N (messages, default 20000), KANNEL_CONC (submissions in
# flight, default 10), KANNEL_PENDING (max-pending-submits, default 64).
set -eu
TOP=${TOP:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${BUILD:-build}
SIM="$TOP/$BUILD/smsc-sim"
N=${N:-20000}
CONC=${KANNEL_CONC:-10}
PENDING=${KANNEL_PENDING:-64}
# Every wait is bounded: start-up, the run (a minute plus 10 ms a message,
# i.e. at least 100 msg/s) and the shutdown.
DEADLINE=$((60 + N / 100))

# find_box NAME: the path of a Kannel program (it lives in /usr/sbin, which
# a user's PATH may not have), or nothing.
find_box() {
	command -v "$1" 2>/dev/null && return 0
	[ -x "/usr/sbin/$1" ] && echo "/usr/sbin/$1"
	return 0
}

BEARERBOX=$(find_box bearerbox)
SMSBOX=$(find_box smsbox)
if [ -z "$BEARERBOX" ] || [ -z "$SMSBOX" ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "kannel: installing Debian's kannel package" >&2
		export DEBIAN_FRONTEND=noninteractive
		if ! apt-get install -y kannel >/dev/null 2>&1; then
			apt-get update >/dev/null 2>&1 || true
			apt-get install -y kannel >/dev/null 2>&1 || true
		fi
		# The package's init script may have started the system's own
		# Kannel (/etc/kannel/kannel.conf): we caused it, we stop it.
		if [ -x /etc/init.d/kannel ] && command -v invoke-rc.d >/dev/null 2>&1; then
			invoke-rc.d kannel stop >/dev/null 2>&1 || true
		fi
		BEARERBOX=$(find_box bearerbox)
		SMSBOX=$(find_box smsbox)
	fi
fi
if [ -z "$BEARERBOX" ] || [ -z "$SMSBOX" ]; then
	echo "kannel: not installed (apt-get install kannel), skipped"
	exit 0
fi
[ -x "$SIM" ] || { echo "bench/kannel.sh: $SIM is not built (make $BUILD/smsc-sim)" >&2; exit 1; }
curl --help all 2>/dev/null | grep -q -- '--parallel-max' ||
	{ echo "bench/kannel.sh: needs curl 7.66 or later (--parallel)" >&2; exit 1; }

W=$(mktemp -d "${TMPDIR:-/tmp}/duban-bench.XXXXXX")
SIM_PID=""
BB_PID=""
SB_PID=""
INJ_PID=""

# alive PID: the process exists and is not a zombie waiting for us.
alive() {
	st=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ]
}

# stop PID: SIGTERM, at most 15 s to exit, then SIGKILL; reaps it.
stop() {
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null || true
	lim=$(( $(date +%s) + 15 ))
	while alive "$1" && [ "$(date +%s)" -lt "$lim" ]; do sleep 0.05; done
	if alive "$1"; then kill -KILL "$1" 2>/dev/null || true; fi
	wait "$1" 2>/dev/null || true
}

cleanup() {
	if [ -s "$W/curl.pid" ]; then stop "$(cat "$W/curl.pid")"; fi
	stop "$INJ_PID"; INJ_PID=""
	stop "$SB_PID"; SB_PID=""
	stop "$BB_PID"; BB_PID=""
	stop "$SIM_PID"; SIM_PID=""
	rm -rf "$W"
}
trap cleanup EXIT
trap 'cleanup; exit 1' INT TERM

# poll SECONDS CMD...: until CMD succeeds (never a fixed sleep of the run).
poll() {
	plim=$(( $(date +%s) + $1 )); shift
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge "$plim" ] && return 1
		sleep 0.05
	done
}

fail() {
	echo "bench/kannel.sh: $*" >&2
	for f in "$W"/bearerbox.log "$W"/smsbox.log "$W"/*.out "$W"/sim.log "$W"/curl.err; do
		[ -s "$f" ] || continue
		echo "--- $(basename "$f") (last lines)" >&2
		tail -n 5 "$f" >&2
	done
	exit 1
}

# free_ports K: K distinct TCP ports in 20000-32767 (below Linux's
# ephemeral range) on which nothing listens now.  Another program may
# still take one before Kannel binds it: start-up is then tried again.
free_ports() {
	cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk -v k="$1" -v seed="$$$(date +%N)" '
	function hex(s,   i, v) {
		v = 0
		for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789ABCDEF", toupper(substr(s, i, 1))) - 1
		return v
	}
	$4 == "0A" { n = split($2, a, ":"); used[hex(a[n])] = 1 }
	END {
		srand(seed % 2147483647)
		for (got = 0; got < k; ) {
			p = 20000 + int(rand() * 12768)
			if (!(p in used)) { used[p] = 1; printf "%s%d", (got ? " " : ""), p; got++ }
		}
		print ""
	}'
}

stat_of() { curl -s --max-time 5 "$SIM_URL/_sim/stats" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
sim_has() { a=$(stat_of accepted); [ -n "$a" ] && [ "$a" -ge "$1" ]; }
bb_ready() { curl -s --max-time 2 "http://127.0.0.1:$ADMIN/status.txt?password=bench" | grep -q 'smsbox:'; }
sb_ready() { curl -s --max-time 2 -o /dev/null "http://127.0.0.1:$SEND/cgi-bin/sendsms"; }
vmhwm() { sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

"$SIM" --listen 127.0.0.1:0 --port-file "$W/sim.port" --quiet 2>"$W/sim.log" &
SIM_PID=$!
poll 10 test -s "$W/sim.port" || fail "the simulator did not start"
SIM_URL="http://127.0.0.1:$(cat "$W/sim.port")"

# kannel_conf: the whole configuration, for the ports in ADMIN BOXP SEND.
# In a send-url the escape codes are those of a message Kannel sends: %p
# is the receiver, %P the sender, %b the text URL-encoded as it is
# (Kannel's own example: "from=%P&to=%p&text=%b").  The generic type
# ignores the HTTP status and needs status-success-regex; the simulator
# accepts with 200 {"code":0,"msgid":"sim-N"}.  No 'port': no MO listener.
# No throughput: no limit.
kannel_conf() {
	cat <<CFG
group = core
admin-port = $ADMIN
admin-interface = 127.0.0.1
admin-password = bench
status-password = bench
admin-allow-ip = "127.0.0.1"
smsbox-port = $BOXP
smsbox-interface = 127.0.0.1
box-allow-ip = "127.0.0.1"
log-file = "$W/bearerbox.log"
log-level = 2

group = smsc
smsc = http
smsc-id = sim
system-type = generic
send-url = "$SIM_URL/sms/send?to=%p&text=%b"
status-success-regex = "code.:0,"
status-permfail-regex = "code.:4"
max-pending-submits = $PENDING

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = $BOXP
sendsms-port = $SEND
sendsms-interface = 127.0.0.1
log-file = "$W/smsbox.log"
log-level = 2

group = sendsms-user
username = bench
password = bench
max-messages = 1
CFG
}

# Start-up, three tries in case a port was taken meanwhile.
started=0
for _ in 1 2 3; do
	read -r ADMIN BOXP SEND <<PORTS
$(free_ports 3)
PORTS
	kannel_conf >"$W/kannel.conf"
	# -v 4: only panics on stderr (the default is every debug line).
	"$BEARERBOX" -v 4 "$W/kannel.conf" >"$W/bearerbox.out" 2>&1 &
	BB_PID=$!
	if ! poll 10 curl -s --max-time 2 -o /dev/null "http://127.0.0.1:$ADMIN/status.txt?password=bench" ||
		! alive "$BB_PID"; then
		stop "$BB_PID"; BB_PID=""
		continue
	fi
	"$SMSBOX" -v 4 "$W/kannel.conf" >"$W/smsbox.out" 2>&1 &
	SB_PID=$!
	if poll 10 bb_ready && poll 10 sb_ready && alive "$SB_PID"; then
		started=1
		break
	fi
	stop "$SB_PID"; SB_PID=""
	stop "$BB_PID"; BB_PID=""
done
[ "$started" = 1 ] || fail "Kannel did not start"

# curl's configuration: one url (its own number and text) per message.
awk -v n="$N" -v url="http://127.0.0.1:$SEND/cgi-bin/sendsms" 'BEGIN {
	for (i = 1; i <= n; i++)
		printf "url = \"%s?username=bench&password=bench&from=10690000&to=%%2B86138%08d&text=Spring+sowing+subsidy%%3A+register+at+the+village+committee+by+31+March.+No.+%d\"\noutput = \"/dev/null\"\n", url, i, i
}' >"$W/urls.cfg"

base=$(stat_of accepted)
[ -n "$base" ] || fail "no /_sim/stats"
t0=$(date +%s%N)
(
	sh -c 'echo $$ >"$1"; shift; exec "$@"' sh "$W/curl.pid" \
		curl -s --no-progress-meter --parallel --parallel-max "$CONC" --max-time 30 \
		-K "$W/urls.cfg" -w '%{http_code}\n' >"$W/codes" 2>"$W/curl.err" || true
	date +%s%N >"$W/injected.t"
	times >"$W/times"	# 2nd line: the children's (curl's) user and system time
	mv "$W/injected.t" "$W/injected"
) &
INJ_PID=$!
poll "$DEADLINE" sim_has $((base + N)) ||
	fail "timed out: the simulator accepted $(( $(stat_of accepted) - base )) of $N in ${DEADLINE}s ($(grep -c '^202$' "$W/codes" 2>/dev/null || echo 0) submissions accepted)"
t1=$(date +%s%N)
poll 30 test -s "$W/injected" || fail "the injection did not finish"
wait "$INJ_PID" 2>/dev/null || true
INJ_PID=""
ti=$(cat "$W/injected")
ok=$(grep -c '^202$' "$W/codes" || true)
[ "$ok" = "$N" ] || fail "smsbox accepted $ok of $N submissions"

hz=$(getconf CLK_TCK)
bb_rss=$(vmhwm "$BB_PID")
sb_rss=$(vmhwm "$SB_PID")
bb_cpu=$(cpu_ticks "$BB_PID")
sb_cpu=$(cpu_ticks "$SB_PID")
sim_cpu=$(cpu_ticks "$SIM_PID")
# "0m0.58s 0m0.22s": minutes and seconds, user then system.
curl_cpu=$(sed -n 2p "$W/times" | awk '{ t = 0
	for (i = 1; i <= 2; i++) { split($i, a, "m"); sub("s", "", a[2]); t += a[1] * 60 + a[2] }
	printf "%.1f", t }')
extra=$(( $(stat_of accepted) - base - N ))

awk -v n="$N" -v t0="$t0" -v t1="$t1" -v ti="$ti" -v bb="$bb_rss" -v sb="$sb_rss" \
	-v bbc="$bb_cpu" -v sbc="$sb_cpu" -v simc="$sim_cpu" -v curlc="$curl_cpu" -v hz="$hz" -v conc="$CONC" \
	-v cpus="$(nproc)" -v extra="$extra" 'BEGIN {
	s = (t1 - t0) / 1e9; si = (ti - t0) / 1e9
	if (s <= 0) s = 0.001
	if (si <= 0) si = 0.001
	printf "kannel: %d msgs via sendsms -> bearerbox -> http smsc -> smsc-sim in %.2f s = %d msg/s (bearerbox peak RSS %.1f MB, smsbox %.1f MB)\n",
		n, s, n / s, bb / 1024, sb / 1024
	printf "kannel: the submissions alone (curl --parallel-max %d, keep-alive) took %.2f s = %d msg/s; CPU bearerbox %.1f s, smsbox %.1f s, smsc-sim %.1f s, curl %s s; %d CPUs%s\n",
		conc, si, n / si, bbc / hz, sbc / hz, simc / hz, curlc, cpus, (extra > 0 ? sprintf("; %d sent twice", extra) : "")
}'
