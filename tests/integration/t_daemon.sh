#!/bin/sh
# t_daemon.sh - `duban run`: rows another process queues are sent within
# a second or so; a reminder overtakes a running broadcast within one
# batch; quiet hours hold a message and release it when they end (urgent
# ones go at once); SIGHUP with a broken configuration keeps the old one and
# a valid one is taken; SIGTERM lets requests in flight finish, hands the
# rest back and exits 0.
. "$TOP/tests/integration/lib.sh"
setup
# The daemon writes while we look: wait for its locks instead of failing.
sed -i 's/^log = .*/log = { level = "info"; };/' "$DUBAN_CONFIG"
cp "$DUBAN_CONFIG" "$T/base.cfg"

stat_of() { curl -s "$SIM_URL/_sim/stats" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
sim_set() { curl -s -X POST "$SIM_URL/_sim/config" -d "$1" >/dev/null; }

# start_daemon: duban run in the background, logging to $T/daemon.log.
start_daemon() {
	: >"$T/daemon.log"
	"$DUBAN" run 2>>"$T/daemon.log" &
	DPID=$!
	PIDS="$PIDS $DPID"
	wait_for 10 grep -q 'running:' "$T/daemon.log" || { notok "daemon started"; cat "$T/daemon.log"; }
}
# stop_daemon: SIGTERM and wait; sets DRC to its exit status.
stop_daemon() {
	kill -TERM "$DPID" 2>/dev/null
	wait "$DPID"
	DRC=$?
}
count() { sql "select count(*) from message where $1"; }
# Predicates for wait_for: the command is evaluated on every poll.
is() { [ "$(eval "$1")" = "$2" ]; }
ge() { [ "$(eval "$1")" -ge "$2" ]; }

start_sim || exit 1
write_cfg() { # CONCURRENCY QUIET(on|off)
	cp "$T/base.cfg" "$DUBAN_CONFIG"
	[ "$2" = off ] && sed -i 's/^quiet_hours = .*/quiet_hours = { enabled = false; from = "21:00"; to = "08:00"; };/' \
		"$DUBAN_CONFIG"
	cat >>"$DUBAN_CONFIG" <<CFG
providers = (
  { name = "sim"; type = "http"; url = "$SIM_URL/sms/send"; concurrency = $1;
    timeout_ms = 5000; retries = { max = 5; base_ms = 10; max_ms = 100; }; }
);
dispatcher = { batch = 50; poll_ms = 100; grace = "10s"; };
CFG
}
write_cfg 2 off
check "duban init" "$DUBAN" init
start_daemon

# ---- rows from another process ---------------------------------------------------
t0=$(date +%s%N)
check "send while the daemon runs" "$DUBAN" send 13800138000 "请今天下班前提交材料"
if wait_for 5 is "count \"status = 'sent'\"" 1; then
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	[ "$ms" -lt 2000 ] && ok "sent ${ms} ms after it was queued" || notok "took ${ms} ms"
else
	notok "the daemon sent the new row"
fi

# ---- a reminder overtakes a broadcast ---------------------------------------------------
sim_set 'delay_ms=5'
now=$(date +%s)
sql "INSERT INTO message_text (body) VALUES ('通知：春耕补贴申报截止3月底');
     WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
     INSERT INTO message (phone, text_id, encoding, parts, kind, priority, created_at, not_before)
     SELECT printf('+86159%08d', i), (SELECT max(id) FROM message_text), 'UCS-2', 1, 'notice', 30,
       $now, $now FROM n"
wait_for 10 ge "stat_of requests" 200 || notok "the broadcast started"
n0=$(stat_of requests)
sql "INSERT INTO message_text (body) VALUES ('提醒：梅岙塘项目明天到期');
     INSERT INTO message (phone, text_id, encoding, parts, kind, priority, created_at, not_before)
     VALUES ('+8618800000000', last_insert_rowid(), 'UCS-2', 1, 'reminder', 10, $now, $now)"
wait_for 10 grep -q '"to":"+8618800000000"' "$T/sim.jsonl" || notok "the reminder was sent"
n1=$(sed -n 's/.*"n":\([0-9]*\).*"to":"+8618800000000".*/\1/p' "$T/sim.jsonl")
behind=$(( n1 - n0 ))
queued=$(count "kind = 'notice' and status = 'queued'")
# One batch (50) + in flight (2) + what went out before the poll saw it (100 ms).
[ "$behind" -le 120 ] && [ "$queued" -gt 500 ] &&
	ok "the reminder went out $behind requests after it was queued, $queued notices still waiting" ||
	notok "the reminder waited $behind requests ($queued notices still queued)"
sim_set 'delay_ms=0'
wait_for 30 is "count \"status = 'queued'\"" 0 && ok "the broadcast finished" ||
	notok "the broadcast finished"

# ---- SIGHUP --------------------------------------------------------------------------
cp "$DUBAN_CONFIG" "$T/good.cfg"
sed -i 's/concurrency = 2;/concurrency = 0;/' "$DUBAN_CONFIG"
kill -HUP "$DPID"
wait_for 5 grep -q 'configuration not reloaded' "$T/daemon.log" &&
	ok "SIGHUP with a broken configuration is refused" || notok "SIGHUP refused"
expect_grep "the log says where" "duban.cfg:[0-9]*: 'concurrency' must be between 1 and 1024" "$T/daemon.log"
kill -0 "$DPID" 2>/dev/null && ok "the daemon keeps running" || notok "the daemon died"
# (the CLI reads the configuration too: it uses the good copy)
check "send after the broken SIGHUP" env DUBAN_CONFIG="$T/good.cfg" "$DUBAN" send 13800138001 "still here"
wait_for 5 is "count \"phone = '+8613800138001' and status = 'sent'\"" 1 &&
	ok "sent on the old configuration" || notok "sent on the old configuration"
sed 's/concurrency = 2;/concurrency = 3;/' "$T/good.cfg" >"$DUBAN_CONFIG"
kill -HUP "$DPID"
wait_for 5 grep -q 'configuration reloaded' "$T/daemon.log" &&
	ok "SIGHUP with a valid configuration reloads" || notok "SIGHUP reload"
check "send after the reload" "$DUBAN" send 13800138002 "reloaded"
wait_for 5 is "count \"phone = '+8613800138002' and status = 'sent'\"" 1 &&
	ok "sent on the new configuration" || notok "sent on the new configuration"

# ---- SIGTERM drains -----------------------------------------------------------------------
sim_set 'delay_ms=1500'
r0=$(stat_of requests)
awk 'BEGIN { for (i = 1; i <= 20; i++) printf "+86177%08d\tdrain %d\n", i, i }' >"$T/drain.tsv"
check "queue 20 behind a slow provider" "$DUBAN" send --from-file "$T/drain.tsv"
wait_for 10 ge 'echo $(( $(stat_of requests) - r0 ))' 3 || notok "requests in flight"
stop_daemon
expect_eq "SIGTERM: exit status 0" "$DRC" 0
expect_grep "the log says it is stopping" "stopping: no more leasing" "$T/daemon.log"
expect_eq "nothing left sending" "$(count "status = 'sending'")" 0
expect_eq "the 3 in flight finished and were recorded" \
	"$(count "phone like '+86177%' and status = 'sent'")" 3
expect_eq "the rest handed back untried" \
	"$(sql "select count(*), sum(attempts) from message where phone like '+86177%' and status = 'queued'")" \
	"17|0"
sim_set 'delay_ms=0'

# ---- quiet hours hold and release -----------------------------------------------------
write_cfg 2 on      # the setup's quiet hours: 21:00-08:00
export DUBAN_NOW="2026-03-10 07:59:50"
check "send in quiet hours" "$DUBAN" send 13800138003 "早上好，今天的会议改到下午"
check "send an urgent one" "$DUBAN" send --urgent 13800138004 "紧急：防汛值班"
start_daemon
wait_for 4 is "count \"phone = '+8613800138004' and status = 'sent'\"" 1 &&
	ok "the urgent message goes at once" || notok "the urgent message goes at once"
expect_eq "the other one is held" "$(count "phone = '+8613800138003' and status = 'queued'")" 1
wait_for 25 is "count \"phone = '+8613800138003' and status = 'sent'\"" 1 &&
	ok "it is released when quiet hours end" || notok "released when quiet hours end"
eight=$(TZ=Asia/Shanghai date -d '2026-03-10 08:00:00' +%s)
expect_eq "not before 08:00" "$(sql "select sent_at >= $eight from message where phone = '+8613800138003'")" 1
stop_daemon
expect_eq "and stops cleanly" "$DRC" 0
unset DUBAN_NOW
exit 0
