#!/bin/sh
# t_sim_aliyun.sh - smsc-sim --api aliyun plays Alibaba Cloud dysmsapi: a
# signed SendSms is accepted with the approved text; a wrong secret, an
# unknown key, a changed parameter, a stale x-acs-date and a reused nonce are
# refused with the service's codes; signatures, templates and parameters are
# checked; SendSms takes 1000 numbers and SendBatchSms 100; a bad number
# refuses the request; the per-number daily cap and the balance switch give
# their codes; SmsReport pushes are arrays of the documented fields, split
# by --push-batch and pushed again when the answer is not exactly
# {"code":0,"msg":"接收成功"}; replies posted as an array are one SmsUp push.
. "$TOP/tests/integration/lib.sh"
. "$TOP/tests/integration/cn_client.sh"
setup

jq_ok() { jq -e "$2" "$1" >/dev/null 2>&1; }
SIGN=小雄镇人民政府
cat >"$T/templates" <<'EOF'
# registered signatures and approved templates
sign 小雄镇人民政府
template SMS_100001 您牵头的“${task}”将于${deadline}到期，请抓紧办理。回复“完成${code}”办结。
template SMS_100002 ${name}您好，请于今天下午三点到镇政府开会。
EOF

# The sink: a second simulator standing in for duban's callback URL.
"$SIM" --listen 127.0.0.1:0 --port-file "$T/sink.port" --record "$T/sink.jsonl" --quiet 2>>"$T/sink.log" &
PIDS="$PIDS $!"
wait_for 10 test -s "$T/sink.port" || { notok "the sink started"; exit 1; }
SINK="http://127.0.0.1:$(cat "$T/sink.port")/_sim/sink"

ALI_ID=LTAI5tSimKeyId ALI_SECRET=SimKeySecret0123456789
export ALI_ID ALI_SECRET
start_sim --api aliyun --templates "$T/templates" --access-key-id "$ALI_ID" \
	--access-key-secret "$ALI_SECRET" --per-number-day 2 --push-batch 100 --push-retry-ms 100 \
	--dlr-url "$SINK?answer=aliyun&fail_first=1" || exit 1
ok "smsc-sim --api aliyun starts"

params='{"task":"修路","deadline":"12月5日","code":"T12"}'
q=$(ali_q OutId o-1 PhoneNumbers 13800138000 SignName "$SIGN" TemplateCode SMS_100001 TemplateParam "$params")
st=$(ali_call "$T/a1" SendSms "$q")
expect_eq "a signed SendSms gets 200" "$st" 200
check "with Code OK and a BizId" jq_ok "$T/a1" '.Code == "OK" and .Message == "OK" and
	(.BizId | test("^[0-9]+\\^0$")) and (.RequestId | length) > 0'
biz=$(jq -r .BizId "$T/a1")
sent() { jq -e -s --arg ref "$biz:13800138000" 'map(select(.msgid == $ref))[0] |
	.text == "【小雄镇人民政府】您牵头的“修路”将于12月5日到期，请抓紧办理。回复“完成T12”办结。" and
	.template == "SMS_100001" and .params.task == "修路" and .id == "o-1" and .parts == 1 and
	.outcome == "accepted"' "$T/sim.jsonl"; }
check "the record holds the approved text with the values, ref BizId:number" wait_for 10 sent

# The signature: wrong secret, unknown key, a parameter changed after signing.
st=$(ALI_SECRET=wrong ali_call "$T/a2" SendSms "$q")
check "a wrong secret is 400 SignatureDoesNotMatch" \
	test "$st" = 400 -a "$(jq -r .Code "$T/a2")" = SignatureDoesNotMatch
st=$(ALI_ID=LTAI5tOther ali_call "$T/a3" SendSms "$q")
check "an unknown key id is 404 InvalidAccessKeyId.NotFound" \
	test "$st" = 404 -a "$(jq -r .Code "$T/a3")" = InvalidAccessKeyId.NotFound
q2=$(ali_q OutId o-1 PhoneNumbers 13900139000 SignName "$SIGN" TemplateCode SMS_100001 TemplateParam "$params")
st=$(ALI_SENT_Q=$q2 ali_call "$T/a4" SendSms "$q")
check "a number changed after signing is SignatureDoesNotMatch" \
	test "$st" = 400 -a "$(jq -r .Code "$T/a4")" = SignatureDoesNotMatch

# Time and nonce.
st=$(ALI_DATE=$(date -u -d '-20 min' +%Y-%m-%dT%H:%M:%SZ) ali_call "$T/a5" SendSms "$q2")
check "an x-acs-date 20 minutes old is InvalidTimeStamp.Expired" \
	test "$st" = 400 -a "$(jq -r .Code "$T/a5")" = InvalidTimeStamp.Expired
st=$(ALI_DATE=$(date -u -d '-10 min' +%Y-%m-%dT%H:%M:%SZ) ALI_NONCE=nonce-once ali_call "$T/a6" SendSms "$q2")
check "10 minutes old is still accepted" test "$st" = 200 -a "$(jq -r .Code "$T/a6")" = OK
st=$(ALI_NONCE=nonce-once ali_call "$T/a7" SendSms "$q2")
check "the same nonce again is SignatureNonceUsed" \
	test "$st" = 400 -a "$(jq -r .Code "$T/a7")" = SignatureNonceUsed

# Signatures, templates, parameters.
code_of() { # QUERY -> the Code of a signed SendSms (or SendBatchSms with $2)
	ali_call "$T/c" "${2:-SendSms}" "$1" >/dev/null; jq -r .Code "$T/c"; }
expect_eq "an unregistered sign is isv.SMS_SIGNATURE_ILLEGAL" \
	"$(code_of "$(ali_q PhoneNumbers 13700137000 SignName 别的镇 TemplateCode SMS_100001 TemplateParam "$params")")" \
	isv.SMS_SIGNATURE_ILLEGAL
expect_eq "an unapproved template is isv.SMS_TEMPLATE_ILLEGAL" \
	"$(code_of "$(ali_q PhoneNumbers 13700137000 SignName "$SIGN" TemplateCode SMS_999 TemplateParam "$params")")" \
	isv.SMS_TEMPLATE_ILLEGAL
expect_eq "a missing value is isv.TEMPLATE_MISSING_PARAMETERS" \
	"$(code_of "$(ali_q PhoneNumbers 13700137000 SignName "$SIGN" TemplateCode SMS_100001 TemplateParam '{"task":"修路","code":"T1"}')")" \
	isv.TEMPLATE_MISSING_PARAMETERS
long=一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三四五六
expect_eq "a 36-character value is isv.PARAM_LENGTH_LIMIT" \
	"$(code_of "$(ali_q PhoneNumbers 13700137000 SignName "$SIGN" TemplateCode SMS_100001 TemplateParam "{\"task\":\"$long\",\"deadline\":\"d\",\"code\":\"c\"}")")" \
	isv.PARAM_LENGTH_LIMIT
expect_eq "a bad number refuses the request: isv.MOBILE_NUMBER_ILLEGAL" \
	"$(code_of "$(ali_q PhoneNumbers 13700137000,1234567 SignName "$SIGN" TemplateCode SMS_100001 TemplateParam "$params")")" \
	isv.MOBILE_NUMBER_ILLEGAL

# Batch limits: 1000 numbers per SendSms, 100 per SendBatchSms.
nums() { seq "$1" "$2" | sed 's/^/150/' | paste -sd, -; }
expect_eq "SendSms with 1000 numbers is OK" \
	"$(code_of "$(ali_q PhoneNumbers "$(nums 10000000 10000999)" SignName "$SIGN" TemplateCode SMS_100001 TemplateParam "$params")")" OK
expect_eq "1001 numbers is isv.MOBILE_COUNT_OVER_LIMIT" \
	"$(code_of "$(ali_q PhoneNumbers "$(nums 10001000 10002000)" SignName "$SIGN" TemplateCode SMS_100001 TemplateParam "$params")")" \
	isv.MOBILE_COUNT_OVER_LIMIT
curl -s "$SIM_URL/_sim/stats" >"$T/st1"
check "stats: the largest request seen had 1001 numbers; one of 201-1000, one over" jq_ok "$T/st1" \
	'.max_batch == 1001 and .batches["201-1000"] == 1 and .batches.over_1000 == 1'
bq=$(ali_q PhoneNumberJson '["13600136001","13600136002"]' SignNameJson "[\"$SIGN\",\"$SIGN\"]" \
	TemplateCode SMS_100002 TemplateParamJson '[{"name":"张三"},{"name":"李四"}]')
expect_eq "SendBatchSms with one value per number is OK" "$(code_of "$bq" SendBatchSms)" OK
batch_texts() { jq -e -s 'map(select(.action == "SendBatchSms" and .outcome == "accepted")) |
	(map(.text) | sort) == ["【小雄镇人民政府】张三您好，请于今天下午三点到镇政府开会。",
	                        "【小雄镇人民政府】李四您好，请于今天下午三点到镇政府开会。"]' "$T/sim.jsonl"; }
check "each number of the batch got its own text" wait_for 10 batch_texts
j101=$(seq 10000 10100 | sed 's/^/"136001/; s/$/"/' | paste -sd, -)
s101=$(seq 10000 10100 | sed "s/.*/\"$SIGN\"/" | paste -sd, -)
p101=$(seq 10000 10100 | sed 's/.*/{"name":"王"}/' | paste -sd, -)
expect_eq "SendBatchSms with 101 numbers is isv.MOBILE_COUNT_OVER_LIMIT" \
	"$(code_of "$(ali_q PhoneNumberJson "[$j101]" SignNameJson "[$s101]" TemplateCode SMS_100002 TemplateParamJson "[$p101]")" SendBatchSms)" \
	isv.MOBILE_COUNT_OVER_LIMIT

# The per-number daily cap (2): the first number had 1 message already.
cq() { ali_q PhoneNumbers 13800138000 SignName "$SIGN" TemplateCode SMS_100002 TemplateParam "{\"name\":\"$1\"}"; }
expect_eq "the second message of the day to a number is OK" "$(code_of "$(cq 二)")" OK
expect_eq "the third is isv.BUSINESS_LIMIT_CONTROL" "$(code_of "$(cq 三)")" isv.BUSINESS_LIMIT_CONTROL
expect_eq "naming the day window" "$(jq -r .Message "$T/c")" "触发天级流控Permits:2"
mq=$(ali_q PhoneNumbers 13800138000,13300133000 SignName "$SIGN" TemplateCode SMS_100002 TemplateParam '{"name":"五"}')
expect_eq "in a request of several the capped number does not refuse the others" "$(code_of "$mq")" OK
mbiz=$(jq -r .BizId "$T/c")

# The balance.
curl -s -X POST "$SIM_URL/_sim/balance?ok=0" >"$T/b0"
check "/_sim/balance?ok=0 says balance false" jq_ok "$T/b0" '.balance == false'
expect_eq "without balance a send is isv.AMOUNT_NOT_ENOUGH" "$(code_of "$(cq 四 | sed 's/13800138000/13500135000/')")" isv.AMOUNT_NOT_ENOUGH
curl -s -X POST "$SIM_URL/_sim/balance?ok=1" >/dev/null
expect_eq "refilled, it is OK again" "$(code_of "$(cq 四 | sed 's/13800138000/13500135000/')")" OK

# Reports: the sink refused the first push ({"code":1}); every report arrives.
# Accepted numbers: 1 + 1 + 1000 + 2 + 1 + 1 + 1 = 1007, and the capped one's.
pushed() { curl -s "$SIM_URL/_sim/stats" | jq -e '.dlr_sent == 1008 and .numbers_accepted == 1007 and .push_retries >= 1 and
	.push_bad_answers >= 1 and .max_push_batch == 100 and .push_given_up == 0'; }
check "all 1008 reports are pushed, the refused push again, at most 100 per push" wait_for 20 pushed
report_ok() { jq -e -s --arg biz "$biz" '[.[] | select(.api == "sink") | .body[] |
	select(.biz_id == $biz)] | length == 2 and (.[0] | .phone_number == "13800138000" and
	.success == true and .err_code == "DELIVERED" and .sms_size == "1" and .out_id == "o-1" and
	(.send_time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$")) and
	has("report_time") and has("err_msg"))' "$T/sink.jsonl"; }
check "the first report arrived twice (refused once) with the documented fields" wait_for 10 report_ok
check "the capped number's report fails with the cap's code and window, the other's is delivered" \
	wait_for 10 jq -e -s --arg biz "$mbiz" '[.[] | select(.api == "sink") | .body[] | select(.biz_id == $biz)] |
	(map(select(.phone_number == "13800138000"))[0] | .success == false and
	 .err_code == "isv.BUSINESS_LIMIT_CONTROL" and .err_msg == "触发天级流控Permits:2") and
	(map(select(.phone_number == "13300133000"))[0].success == true)' "$T/sink.jsonl"
check "every push is a JSON array" wait_for 10 jq -e -s '[.[] | select(.api == "sink") | .body | type] | unique == ["array"]' "$T/sink.jsonl"

# Replies (SmsUp) go to --mo-url as an array of one.
kill "$SIM_PID" 2>/dev/null
wait "$SIM_PID" 2>/dev/null
start_sim_cn aliyun --per-number-hour 1 --mo-url "$SINK?answer=aliyun" || exit 1
ALI_ID=$ALIYUN_ACCESS_KEY_ID ALI_SECRET=$ALIYUN_ACCESS_KEY_SECRET
hq=$(ali_q PhoneNumbers 13800138000 SignName "$SIGN" TemplateCode SMS_100001 TemplateParam "$params")
expect_eq "with --per-number-hour 1 the first message is OK" "$(code_of "$hq")" OK
expect_eq "the second in the hour is isv.BUSINESS_LIMIT_CONTROL" "$(code_of "$hq")" isv.BUSINESS_LIMIT_CONTROL
expect_eq "naming the hour window" "$(jq -r .Message "$T/c")" "触发小时级流控Permits:1"
curl -s -H 'Content-Type: application/json' -d '{"from":"+8613800138000","text":"完成T12","to":"01"}' \
	"$SIM_URL/_sim/mo" >"$T/mo"
check "/_sim/mo posts and duban's answer is the expected one" jq_ok "$T/mo" '.posted and .status == 200 and .accepted'
check "the SmsUp item has phone_number, content, send_time, dest_code, sequence_id" wait_for 10 jq -e -s \
	'[.[] | select(.api == "sink") | .body | select(type == "array") | .[] | select(.content == "完成T12")][0] |
	 .phone_number == "13800138000" and .dest_code == "01" and (.sequence_id | type) == "number" and
	 .sign_name == "小雄镇人民政府" and has("send_time")' "$T/sink.jsonl"

# Several replies posted as an array go out as one SmsUp array, a sequence_id each.
curl -s -H 'Content-Type: application/json' \
	-d '[{"from":"+8613800138000","text":"甲"},{"from":"+8613900139000","text":"乙"}]' \
	"$SIM_URL/_sim/mo" >"$T/mo-arr"
check "an array posted to /_sim/mo is one push, answered as expected" jq_ok "$T/mo-arr" '.posted and .accepted'
check "its SmsUp array holds both, in order, with distinct sequence_ids" wait_for 10 jq -e -s \
	'[.[] | select(.api == "sink") | .body | select(type == "array" and length == 2 and (.[0] | has("content")))][0] |
	 [.[].content] == ["甲", "乙"] and [.[].phone_number] == ["13800138000", "13900139000"] and
	 .[0].sequence_id != .[1].sequence_id' "$T/sink.jsonl"
curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
	-d '[{"from":"+8613800138000","text":"甲"},{"text":"乙"}]' "$SIM_URL/_sim/mo" >"$T/mo-bad"
expect_eq "an array with an element without from is refused (400)" "$(cat "$T/mo-bad")" 400

kill "$SIM_PID" 2>/dev/null
wait "$SIM_PID" 2>/dev/null
start_sim_cn aliyun --push-retries 0 --mo-url "$SINK?answer=near" || exit 1
curl -s -H 'Content-Type: application/json' -d '{"from":"+8613800138000","text":"收到"}' "$SIM_URL/_sim/mo" >"$T/mo2"
check 'the near miss {"code":0,"msg":"OK"} is not the expected answer' jq_ok "$T/mo2" '.posted and .status == 200 and (.accepted | not)'

expect_exit "--api aliyun without keys is a usage error" 2 env -u ALIYUN_ACCESS_KEY_ID -u ALIYUN_ACCESS_KEY_SECRET \
	"$SIM" --api aliyun --templates "$T/templates"
printf 'template SMS_1\n' >"$T/bad.tpl"
expect_exit "a bad templates file stops it (exit 1)" 1 "$SIM" --api aliyun --templates "$T/bad.tpl" \
	--access-key-id a --access-key-secret b --listen 127.0.0.1:0
expect_grep "naming the file and line" "bad.tpl:1:" "$T/last.err"
