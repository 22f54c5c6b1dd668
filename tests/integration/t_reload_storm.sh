#!/bin/sh
# t_reload_storm.sh - fifty SIGHUPs into a busy daemon.  While it sends a
# few thousand messages through the simulator, which posts a delivery
# report back for each, and a client keeps the HTTP server answering (API
# messages, /healthz, refused callbacks that the HTTP thread logs), the
# configuration is reloaded fifty times, each time switching the log file,
# the log level and the provider's concurrency.  Nothing is lost (every
# message delivered, every report taken, every refused callback's log line
# in one of the log files, every line whole), nothing is sent twice (the
# simulator counts ids), the daemon answers every request throughout and
# stops cleanly.  Under make tsan, a report from ThreadSanitizer fails it.
. "$TOP/tests/integration/lib.sh"
setup

N=4000      # messages queued by the command line
HUPS=50
S=storm-callback-secret-0123456789
count() { sql "select count(*) from message where $1"; }
is() { [ "$(eval "$1")" = "$2" ]; }
ge() { [ "$(eval "$1")" -ge "$2" ]; }
stat_of() { curl -s "$SIM_URL/_sim/stats" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
logs() { cat "$T/a.log" "$T/b.log" 2>/dev/null; }
reloads() { logs | grep -c 'configuration reloaded'; }

"$DUBAN" token new storm >"$T/token.out" || notok "token new"
TOKEN=$(sed -n 3p "$T/token.out" | tr -d ' ')
TOKEN_LINE=$(grep 'sha256 =' "$T/token.out" | sed 's/^ *//')
sed -i '/^log = /d; s/^quiet_hours = .*/quiet_hours = { enabled = false; from = "21:00"; to = "08:00"; };/' \
	"$DUBAN_CONFIG"
cp "$DUBAN_CONFIG" "$T/base.cfg"
# write_cfg LOGFILE LEVEL CONCURRENCY
write_cfg() {
	cp "$T/base.cfg" "$DUBAN_CONFIG"
	cat >>"$DUBAN_CONFIG" <<CFG
log = { level = "$2"; file = "$T/$1"; };
providers = ( { name = "sim"; type = "http"; url = "${SIM_URL:-http://127.0.0.1:9}/sms/send";
  concurrency = $3; timeout_ms = 10000; callback_secret = "$S";
  retries = { max = 3; base_ms = 10; max_ms = 100; }; } );
dispatcher = { batch = 100; poll_ms = 100; grace = "10s"; };
http = { listen = "127.0.0.1:${HTTP_PORT:-0}"; tokens = ( $TOKEN_LINE ); };
CFG
}

# The server's port is needed by the simulator, the simulator's by the
# provider: start duban first, then the simulator, then reload.
write_cfg a.log info 4
check "duban init" "$DUBAN" init
"$DUBAN" run 2>>"$T/stderr.log" &
DPID=$!
PIDS="$PIDS $DPID"
wait_for 20 grep -q 'running:' "$T/a.log" || { notok "duban run started"; cat "$T/stderr.log"; exit 1; }
HTTP_PORT=$(sed -n 's/.*http: listening on .*:\([0-9][0-9]*\)$/\1/p' "$T/a.log" | tail -1)
API="http://127.0.0.1:${HTTP_PORT:-0}"
start_sim --delay-ms 10 --dlr-url "$API/callbacks/dlr/sim/$S" --dlr-threads 2 || exit 1
write_cfg a.log info 4
kill -HUP "$DPID"
wait_for 20 is reloads 1 && ok "reloaded with the simulator" || notok "reloaded with the simulator"

awk -v n=$N 'BEGIN { for (i = 1; i <= n; i++) printf "+86159%08d\t第%d号通知：明天上午九点防汛演练\n", i, i }' \
	>"$T/storm.tsv"
check "queue $N messages" "$DUBAN" send --from-file "$T/storm.tsv"
wait_for 30 ge "count \"status = 'delivered'\"" 100 || notok "the daemon is sending"

# Two clients.  One sends rounds of an API message and a /healthz; the
# other refused callbacks, twenty to a connection, which the HTTP thread
# logs while touching nothing the daemon's loop shares with it.
client() {
	i=0
	while [ ! -e "$T/stop" ]; do
		i=$((i + 1))
		c1=$(curl -s -m 20 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
			-H 'Content-Type: application/json' \
			--data-binary "{\"to\":\"+86136$(printf %08d $i)\",\"text\":\"暴雨预警第${i}号\",\"ref\":\"storm-$i\"}" \
			"$API/v1/messages")
		c2=$(curl -s -m 20 -o /dev/null -w '%{http_code}' "$API/healthz")
		echo "$i $c1 $c2" >>"$T/client.log"
	done
}
refused() {
	while [ ! -e "$T/stop" ]; do
		curl -s -m 20 -o /dev/null -w '%{http_code}\n' -d '{}' "$API/callbacks/dlr/sim/wrong-[1-20]"
	done >"$T/refused.log"
}
client &
CPID=$!
refused &
RPID=$!
PIDS="$PIDS $CPID $RPID"

# ---- the storm: each SIGHUP switches the log file, its level and the concurrency --------
sent0=$(count "status in ('sent', 'delivered')")
hup=0
while [ $hup -lt $HUPS ]; do
	hup=$((hup + 1))
	if [ $((hup % 2)) -eq 1 ]; then write_cfg b.log debug 3; else write_cfg a.log info 4; fi
	kill -HUP "$DPID"
	wait_for 30 is reloads $((hup + 1)) || break
done
alive=no
kill -0 "$DPID" 2>/dev/null && alive=yes
sent1=$(count "status in ('sent', 'delivered')")
: >"$T/stop"
wait "$CPID" "$RPID"
expect_eq "$HUPS SIGHUPs, each one a reload" "$(reloads)" $((HUPS + 1))
expect_eq "the daemon lived through them" "$alive" yes
[ "$sent1" -gt "$sent0" ] && ok "it kept sending meanwhile ($((sent1 - sent0)) messages)" ||
	notok "nothing was sent during the storm"

# ---- the daemon answered throughout ---------------------------------------------------------
rounds=$(wc -l <"$T/client.log")
[ "$rounds" -ge $HUPS ] && ok "the client made $rounds rounds of requests" ||
	notok "the client made only $rounds rounds"
expect_eq "every API message answered 201" "$(awk '$2 != 201' "$T/client.log" | head -3)" ""
expect_eq "every /healthz answered 200" "$(awk '$3 != 200' "$T/client.log" | head -3)" ""
refused=$(grep -c . "$T/refused.log")
[ "$refused" -ge $HUPS ] && ok "the other made $refused refused callbacks" ||
	notok "the other made only $refused refused callbacks"
expect_eq "every refused callback answered 401" "$(grep -v '^401$' "$T/refused.log" | head -3)" ""
api=$(awk '$2 == 201' "$T/client.log" | wc -l)

# ---- nothing lost, nothing twice ---------------------------------------------------------------
total=$((N + api))
wait_for 60 is "count \"status = 'delivered'\"" $total &&
	ok "all $total messages delivered" ||
	notok "delivered: $(sql "select group_concat(status || '=' || n) from (select status, count(*) n from message group by 1)") of $total"
expect_eq "each message queued once" "$(count 1)" $total
expect_eq "the simulator saw each id once" "$(stat_of unique_ids) $(stat_of duplicates)" "$total 0"
expect_eq "one accepted attempt per message" \
	"$(sql "select count(*), count(distinct message) from attempt where result = 'accepted'")" \
	"$total|$total"
expect_eq "every report was taken" "$(stat_of dlr_sent) $(stat_of dlr_errors)" "$total 0"

# ---- the log ------------------------------------------------------------------------------------
expect_eq "every refused callback is in the log" \
	"$(logs | grep -c 'http: dlr callback for sim refused: wrong secret')" "$(grep -c '^401$' "$T/refused.log")"
expect_eq "every line of the log is whole" \
	"$(logs | grep -cvE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[+-][0-9]{2}:[0-9]{2} duban (error|warn|info|debug): ')" 0
grep -q 'sent via sim' "$T/b.log" && ok "debug lines went to the second file" ||
	notok "no debug line in b.log"

kill -TERM "$DPID"
wait "$DPID"
expect_eq "SIGTERM: exit status 0" "$?" 0
expect_eq "nothing on standard error" "$(cat "$T/stderr.log")" ""
exit 0
