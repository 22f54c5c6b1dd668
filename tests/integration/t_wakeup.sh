#!/bin/sh
# t_wakeup.sh - the daemon's one event loop, woken by the work it is
# given rather than polling for it.  With dispatcher.poll_ms at its
# longest (1000 ms) and the daemon idle, a message posted to the HTTP API
# is at the provider within 100 ms of the 201, five times over (the
# simulator's recorded arrival against the moment curl returned); a task
# posted through the API has its due reminder at the provider as fast (the
# scheduler runs at once); a SIGHUP that changes a rule set plans again at
# once; a rule set with more reminder times than the scheduler can plan is
# refused by `duban config check`, naming it, and by SIGHUP, and the
# daemon keeps running on the rules it had.
. "$TOP/tests/integration/lib.sh"
setup

d() { "$DUBAN" "$@"; }
count() { sql "select count(*) from message where $1"; }
is() { [ "$(eval "$1")" = "$2" ]; }
now_ms() { date +%s%3N; }
# post PATH BODY: POST to the API; prints the status (the body goes to $T/resp).
post() {
	curl -s -o "$T/resp" -w '%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" \
		-H 'Content-Type: application/json' --data-binary "$2" "$API$1"
}
arrived() { grep -q "\"to\":\"$1\"" "$T/sim.jsonl" 2>/dev/null; }
# sim_t TO: when (ms) the simulator received the first message to TO.
sim_t() { grep "\"to\":\"$1\"" "$T/sim.jsonl" | head -1 | sed 's/.*"t":\([0-9]*\),.*/\1/'; }
# within DESC TO T0 LIMIT_MS: a message to TO reached the simulator less than LIMIT_MS after T0.
within() {
	if wait_for 10 arrived "$2"; then
		lat=$(( $(sim_t "$2") - $3 ))
		[ "$lat" -lt "$4" ] && ok "$1: at the provider $lat ms later" ||
			notok "$1: at the provider $lat ms later, not within $4 ms"
	else
		notok "$1: nothing reached the provider"
	fi
}
# A rule file of one set: NAME and its before-step's offset.
rule_file() {
	cat >"$T/rules/wk.cfg" <<CFG
now = { before = ( { offset = "30d"; to = [ "lead" ]; template = "reminder"; } ); };
flip = { before = ( { offset = "$1"; to = [ "lead" ]; template = "reminder"; } ); };
CFG
}

d token new wk >"$T/token.out"
TOKEN=$(sed -n 3p "$T/token.out" | tr -d ' ')
TOKEN_LINE=$(grep 'sha256 =' "$T/token.out" | sed 's/^ *//')
start_sim || exit 1
mkdir "$T/rules"
cp "$TOP/rules/"*.cfg "$T/rules/"
rule_file 1h
sed -i "s|^rules_dir = .*|rules_dir = \"$T/rules\";|; s/^log = .*/log = { level = \"info\"; };/" \
	"$DUBAN_CONFIG"
sed -i 's/^quiet_hours = .*/quiet_hours = { enabled = false; from = "21:00"; to = "08:00"; };/' \
	"$DUBAN_CONFIG"
cat >>"$DUBAN_CONFIG" <<CFG
providers = ( { name = "sim"; type = "http"; url = "$SIM_URL/sms/send"; timeout_ms = 5000; } );
dispatcher = { poll_ms = 1000; };
http = { listen = "127.0.0.1:0"; tokens = ( $TOKEN_LINE ); };
CFG
check "duban init" d init
# People first: what the daemon then sees is only what the API gives it.
check "a lead" d person add --name 郑秀兰 --phone 17768096319 --title 纪委书记 --org 小雄镇 --kind official
check "another lead" d person add --name 陈宝根 --phone 15068766188 --title 村主任 --org 小雄村 --kind official
start_duban || exit 1

# ---- a message posted to the API goes out at once -----------------------------------------
for i in 1 2 3 4 5; do
	wait_for 10 is "count \"status <> 'sent'\"" 0 || notok "idle before round $i"
	code=$(post /v1/messages "{\"to\":\"1390000000$i\",\"text\":\"第${i}次：请今天下班前报送材料\"}")
	t0=$(now_ms)
	expect_eq "round $i: 201" "$code" 201
	within "round $i: POST /v1/messages" "+861390000000$i" "$t0" 100
done

# ---- a task posted to the API: its due reminder goes out at once --------------------------------
DEADLINE=$(TZ=Asia/Shanghai date -d tomorrow +%F)
wait_for 10 is "count \"status <> 'sent'\"" 0 || notok "idle before the task"
code=$(post /v1/tasks "{\"title\":\"梅岙塘农田改造工程\",\"deadline\":\"$DEADLINE\",\"lead\":\"郑秀兰\",\"rules\":\"now\"}")
t0=$(now_ms)
expect_eq "POST /v1/tasks: 201" "$code" 201
within "the task's reminder" "+8617768096319" "$t0" 100

# ---- SIGHUP with a changed rule set plans again at once -----------------------------------------
code=$(post /v1/tasks "{\"title\":\"庙峙村道路硬化\",\"deadline\":\"$DEADLINE\",\"lead\":\"陈宝根\",\"rules\":\"flip\"}")
expect_eq "a task whose reminder is not due yet: 201" "$code" 201
wait_for 10 is "sql \"select next_fire > strftime('%s', 'now') from task where title = '庙峙村道路硬化'\"" 1 ||
	notok "the scheduler planned the second task"
expect_eq "nothing due for it yet" "$(count "phone = '+8615068766188'")" 0
rule_file 30d
t0=$(now_ms)
kill -HUP "$DPID"
within "SIGHUP: the changed rule's reminder" "+8615068766188" "$t0" 1000
expect_grep "the configuration was reloaded" "configuration reloaded" "$T/daemon.log"

# ---- a rule set longer than a plan can be -------------------------------------------------------
awk 'BEGIN {
	print "big = {"
	print "  before = ("
	for (i = 157; i >= 1; i--)
		printf "    { offset = \"%dh\"; to = [ \"lead\" ]; template = \"reminder\"; }%s\n", i, (i > 1 ? "," : "")
	print "  );"
	print "  overdue = { every = \"1d\"; max = 100; to = [ \"lead\" ]; template = \"overdue\"; };"
	print "};"
}' >"$T/rules/big.cfg"
expect_exit "config check refuses it" 1 d config check
expect_grep "naming the file, line and set" \
	"big.cfg:1: rule set \"big\": 257 reminder times per task (157 before the deadline, 100 overdue repeats, 0 escalation), more than 256" \
	"$T/last.err"
kill -HUP "$DPID"
wait_for 10 grep -q 'configuration not reloaded' "$T/daemon.log" &&
	ok "SIGHUP refuses it" || notok "SIGHUP refuses it"
expect_grep "the log names it" "SIGHUP: .*big.cfg:1: rule set \"big\": .* more than 256" "$T/daemon.log"
rm "$T/rules/big.cfg"
code=$(post /v1/messages '{"to":"13900000009","text":"还在运行"}')
t0=$(now_ms)
expect_eq "the daemon still takes messages: 201" "$code" 201
within "still running on the previous rules" "+8613900000009" "$t0" 100

kill -TERM "$DPID"
wait "$DPID"
expect_eq "SIGTERM: exit status 0" "$?" 0
exit 0
