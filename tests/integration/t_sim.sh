#!/bin/sh
# t_sim.sh - smoke test of the provider simulator (tools/smsc-sim.c): start it
# on a free port, then check the JSON API, the Kannel API, the record file,
# the failure knobs, the counters, down/up and a clean SIGTERM.
. "$TOP/tests/integration/lib.sh"
setup

if [ ! -x "$SIM" ]; then
	notok "smsc-sim is built ($SIM)"
	exit 1
fi
start_sim --reject '^\+999' || exit 1
ok "the simulator starts and writes its port file"

# call FILE CURL-ARGS...: the body goes to FILE, the status code to stdout.
call() {
	out=$1; shift
	curl -s --max-time 10 -o "$out" -w '%{http_code}' "$@"
}
# jq_ok FILE FILTER: the filter is true of the JSON in FILE.
jq_ok() { jq -e "$2" "$1" >/dev/null 2>&1; }
json='Content-Type: application/json'

st=$(call "$T/b1" -H "$json" -d '{"to":"+8613800138000","text":"hello","id":"t-1"}' "$SIM_URL/sms/send")
expect_eq "a JSON send gets 200" "$st" 200
check "with code 0 and a sim- msgid" jq_ok "$T/b1" '.code == 0 and (.msgid | startswith("sim-"))'

st=$(call "$T/b2" -H "$json" -d '{"to":"+99912345678","text":"hello"}' "$SIM_URL/sms/send")
expect_eq "a number matching --reject gets 400" "$st" 400
check "saying invalid number" jq_ok "$T/b2" '.code == 40 and .error == "invalid number"'

# 小雄镇通知, URL-encoded UTF-8, as duban's kannel backend sends it.
text='%E5%B0%8F%E9%9B%84%E9%95%87%E9%80%9A%E7%9F%A5'
st=$(call "$T/b3" "$SIM_URL/cgi-bin/sendsms?username=u&password=p&from=10690000&to=%2B8613800138001&text=$text&charset=UTF-8&coding=2")
expect_eq "Kannel sendsms gets 202" "$st" 202
expect_eq "with Kannel's body" "$(cat "$T/b3")" "0: Accepted for delivery"

kannel_recorded() {
	jq -e -s 'map(select(.api == "kannel"))[0] | .text == "小雄镇通知" and
		.to == "+8613800138001" and .status == 202 and .outcome == "accepted"' "$T/sim.jsonl"
}
check "the record file holds the Kannel text decoded" wait_for 10 kannel_recorded

st=$(call "$T/b4" -X POST "$SIM_URL/_sim/config?fail_rate=1")
expect_eq "/_sim/config fail_rate=1 gets 200" "$st" 200
check "and reports the new rate" jq_ok "$T/b4" '.fail_rate == 1'
st=$(call "$T/b5" -H "$json" -d '{"to":"+8613800138000","text":"hello","id":"t-2"}' "$SIM_URL/sms/send")
expect_eq "with fail_rate=1 a send gets 503" "$st" 503
check "saying busy" jq_ok "$T/b5" '.code == 53 and .error == "busy"'
call /dev/null -X POST "$SIM_URL/_sim/config?fail_rate=0" >/dev/null

st=$(call "$T/b6" "$SIM_URL/_sim/stats")
expect_eq "/_sim/stats gets 200" "$st" 200
check "stats count 4 requests: 2 accepted, 1 rejected, 1 failed, 1 id" jq_ok "$T/b6" \
	'.requests == 4 and .accepted == 2 and .rejected == 1 and .failed == 1 and
	 .dropped == 0 and .unique_ids == 1 and .duplicates == 0'

expect_eq "an unknown path gets 404" "$(call /dev/null "$SIM_URL/no/such/path")" 404

call /dev/null -X POST "$SIM_URL/_sim/down" >/dev/null
st=$(call /dev/null -H "$json" -d '{"to":"+8613800138000","text":"x"}' "$SIM_URL/sms/send")
expect_eq "while down a send's connection is closed without a reply" "$st" 000
call /dev/null -X POST "$SIM_URL/_sim/up" >/dev/null
st=$(call /dev/null -H "$json" -d '{"to":"+8613800138000","text":"x"}' "$SIM_URL/sms/send")
expect_eq "after /_sim/up sends are accepted again" "$st" 200

kill -TERM "$SIM_PID"
wait "$SIM_PID"
expect_eq "SIGTERM stops the simulator with status 0" "$?" 0
expect_eq "every send request is in the record file" "$(wc -l <"$T/sim.jsonl" | tr -d ' ')" 6
