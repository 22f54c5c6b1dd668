#!/bin/sh
# t_sim_tencent.sh - smsc-sim --api tencent plays Tencent Cloud SMS
# 2021-01-11: a signed SendSms gets one SendStatusSet row per number with its
# SerialNo and Fee; a wrong key, an unknown SecretId, a changed body and a
# timestamp over 5 minutes off are refused with the AuthFailure codes; the
# app id, signature and template are checked, a parameter count that does
# not match the template fails every row; 200 numbers pass and 201 do not; a
# bad number and the daily cap fail their own row only; no balance halts it;
# status reports are pushed as arrays with sid = SerialNo and pushed again,
# then given up, when the answer is not {"result":0,...}; replies are objects.
. "$TOP/tests/integration/lib.sh"
. "$TOP/tests/integration/cn_client.sh"
setup

jq_ok() { jq -e "$2" "$1" >/dev/null 2>&1; }
cat >"$T/templates" <<'EOF'
sign 小雄镇人民政府
template 100001 您牵头的“{1}”将于{2}到期，请抓紧办理。回复“完成{3}”办结。
EOF
"$SIM" --listen 127.0.0.1:0 --port-file "$T/sink.port" --record "$T/sink.jsonl" --quiet 2>>"$T/sink.log" &
PIDS="$PIDS $!"
wait_for 10 test -s "$T/sink.port" || { notok "the sink started"; exit 1; }
SINK="http://127.0.0.1:$(cat "$T/sink.port")/_sim/sink"

TC_ID=AKIDsimSecretId TC_KEY=simSecretKey0123
export TC_ID TC_KEY
start_sim --api tencent --templates "$T/templates" --secret-id "$TC_ID" --secret-key "$TC_KEY" \
	--sdk-app-id 1400000001 --per-number-day 1 --push-retries 2 --push-retry-ms 50 \
	--dlr-url "$SINK?answer=tencent&fail_first=1" --mo-url "$SINK?answer=tencent" || exit 1
ok "smsc-sim --api tencent starts"

# body NUMBERS-JSON [PARAMS-JSON [SIGN [TEMPLATE]]]
body() {
	printf '{"PhoneNumberSet":%s,"SmsSdkAppId":"1400000001","SignName":"%s","TemplateId":"%s","TemplateParamSet":%s,"SessionContext":"ctx-1"}' \
		"$1" "${3:-小雄镇人民政府}" "${4:-100001}" "${2:-[\"修路\",\"12月5日\",\"T12\"]}"
}
b=$(body '["+8613800138000","13900139000","+861234"]')
st=$(tc_call "$T/r1" "$b")
expect_eq "a signed SendSms gets 200" "$st" 200
check "one row per number: two Ok with SerialNo and Fee 1, the bad number its own code" jq_ok "$T/r1" '
	.Response.RequestId != null and (.Response.SendStatusSet | length) == 3 and
	(.Response.SendStatusSet[0] | .Code == "Ok" and .Message == "send success" and .Fee == 1 and
	 .PhoneNumber == "+8613800138000" and .SessionContext == "ctx-1" and .IsoCode == "CN" and
	 (.SerialNo | length) > 0) and .Response.SendStatusSet[1].Code == "Ok" and
	(.Response.SendStatusSet[2] | .Code == "InvalidParameterValue.IncorrectPhoneNumber" and .Fee == 0)'
sid=$(jq -r '.Response.SendStatusSet[0].SerialNo' "$T/r1")
text_ok() { jq -e -s --arg sid "$sid" 'map(select(.msgid == $sid))[0] |
	.text == "【小雄镇人民政府】您牵头的“修路”将于12月5日到期，请抓紧办理。回复“完成T12”办结。" and
	.params == ["修路","12月5日","T12"] and .template == "100001"' "$T/sim.jsonl"; }
check "the record holds the approved text with {1}..{3} filled" wait_for 10 text_ok

err_of() { jq -r '.Response.Error.Code' "$1"; }
tc_call "$T/r2" "$(body '["+8613700137000"]')" >/dev/null
expect_eq "the per-number cap does not touch another number" "$(jq -r '.Response.SendStatusSet[0].Code' "$T/r2")" Ok
TC_KEY=wrong tc_call "$T/r3" "$b" >/dev/null
expect_eq "a wrong key is AuthFailure.SignatureFailure" "$(err_of "$T/r3")" AuthFailure.SignatureFailure
TC_ID=AKIDother tc_call "$T/r4" "$b" >/dev/null
expect_eq "an unknown SecretId is AuthFailure.SecretIdNotFound" "$(err_of "$T/r4")" AuthFailure.SecretIdNotFound
TC_SENT_BODY=$(body '["+8613600136000"]') tc_call "$T/r5" "$b" >/dev/null
expect_eq "a body changed after signing is AuthFailure.SignatureFailure" "$(err_of "$T/r5")" AuthFailure.SignatureFailure
TC_TS=$(( $(date +%s) - 400 )) tc_call "$T/r6" "$(body '["+8613600136001"]')" >/dev/null
expect_eq "a timestamp 400 s old is AuthFailure.SignatureExpire" "$(err_of "$T/r6")" AuthFailure.SignatureExpire
TC_TS=$(( $(date +%s) - 200 )) tc_call "$T/r7" "$(body '["+8613600136002"]')" >/dev/null
expect_eq "200 s old is still accepted" "$(jq -r '.Response.SendStatusSet[0].Code' "$T/r7")" Ok

tc_call "$T/r8" "$(body '["+8613600136003"]' '["修路","12月5日","T12"]' 别的镇)" >/dev/null
expect_eq "an unapproved sign is FailedOperation.SignatureIncorrectOrUnapproved" "$(err_of "$T/r8")" \
	FailedOperation.SignatureIncorrectOrUnapproved
tc_call "$T/r9" "$(body '["+8613600136003"]' '["修路","12月5日","T12"]' 小雄镇人民政府 999)" >/dev/null
expect_eq "an unapproved template is FailedOperation.TemplateIncorrectOrUnapproved" "$(err_of "$T/r9")" \
	FailedOperation.TemplateIncorrectOrUnapproved
tc_call "$T/r10" "$(body '["+8613600136003","+8613600136004"]' '["修路","12月5日"]')" >/dev/null
check "two values for three placeholders fail every row" jq_ok "$T/r10" \
	'[.Response.SendStatusSet[].Code] == ["FailedOperation.TemplateParamSetNotMatchApprovedTemplate",
	  "FailedOperation.TemplateParamSetNotMatchApprovedTemplate"]'
tc_call "$T/r11" "$(printf '{"PhoneNumberSet":["+8613600136005"],"SmsSdkAppId":"1400000009","SignName":"小雄镇人民政府","TemplateId":"100001","TemplateParamSet":["a","b","c"]}')" >/dev/null
expect_eq "another app id is InvalidParameterValue.SdkAppIdNotExist" "$(err_of "$T/r11")" InvalidParameterValue.SdkAppIdNotExist

# 200 numbers pass, 201 do not.
set200=$(seq 10000000 10000199 | sed 's/^/"+86151/; s/$/"/' | paste -sd, -)
tc_call "$T/r12" "$(body "[$set200]")" >/dev/null
check "200 numbers: 200 Ok rows" jq_ok "$T/r12" '[.Response.SendStatusSet[] | select(.Code == "Ok")] | length == 200'
tc_call "$T/r13" "$(body "[$set200,\"+8615200000000\"]")" >/dev/null
expect_eq "201 numbers is LimitExceeded.PhoneNumberCountLimit" "$(err_of "$T/r13")" LimitExceeded.PhoneNumberCountLimit

# The daily cap (1) fails the number's own row; Fee counts 70/67 with the sign.
long=一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三四五
tc_call "$T/r14" "$(body '["+8613800138000","+8613500135000"]' "[\"$long\",\"12月5日\",\"T12\"]")" >/dev/null
check "a second message today is LimitExceeded.PhoneNumberDailyLimit for that row only" jq_ok "$T/r14" \
	'.Response.SendStatusSet[0].Code == "LimitExceeded.PhoneNumberDailyLimit" and
	 .Response.SendStatusSet[1].Code == "Ok"'
expect_eq "a 78-character SMS is billed 2" "$(jq '.Response.SendStatusSet[1].Fee' "$T/r14")" 2

curl -s -X POST "$SIM_URL/_sim/balance?ok=0" >/dev/null
tc_call "$T/r15" "$(body '["+8613500135001"]')" >/dev/null
expect_eq "no balance is FailedOperation.InsufficientBalanceInSmsPackage" "$(err_of "$T/r15")" \
	FailedOperation.InsufficientBalanceInSmsPackage
curl -s -X POST "$SIM_URL/_sim/balance?ok=1" >/dev/null

curl -s -X POST "$SIM_URL/_sim/error?code=InternalError.Timeout&count=1" >/dev/null
tc_call "$T/r16" "$(body '["+8613500135002"]')" >/dev/null
expect_eq "/_sim/error forces a code for the next request" "$(err_of "$T/r16")" InternalError.Timeout
tc_call "$T/r17" "$(body '["+8613500135002"]')" >/dev/null
expect_eq "and only for count requests" "$(jq -r '.Response.SendStatusSet[0].Code' "$T/r17")" Ok

# Reports: Ok rows 2 + 1 + 1 + 200 + 1 + 1 = 206; the first push was refused once.
pushed() { curl -s "$SIM_URL/_sim/stats" | jq -e '.dlr_sent == 206 and .push_retries >= 1 and .push_given_up == 0'; }
check "all 206 status reports are pushed, the refused push again" wait_for 20 pushed
check "a report has mobile, report_status, errmsg, description, sid = SerialNo, user_receive_time" \
	wait_for 10 jq -e -s --arg sid "$sid" '[.[] | select(.api == "sink") | .body | select(type == "array") | .[] |
	select(.sid == $sid)][0] | .mobile == "13800138000" and .report_status == "SUCCESS" and
	.errmsg == "DELIVRD" and has("description") and has("user_receive_time") and .nationcode == "86"' "$T/sink.jsonl"

curl -s -H 'Content-Type: application/json' -d '{"from":"+8613800138000","text":"收到"}' "$SIM_URL/_sim/mo" >"$T/mo"
check "/_sim/mo: duban's answer is the expected one" jq_ok "$T/mo" '.posted and .accepted'
check "the reply is one object: mobile, text, time, sign, extend" wait_for 10 jq -e -s \
	'[.[] | select(.api == "sink") | .body | select(type == "object")][0] | .mobile == "13800138000" and
	 .text == "收到" and .sign == "小雄镇人民政府" and (.time | type) == "number" and .extend == ""' "$T/sink.jsonl"

# A callback URL that answers the Aliyun way is wrong for Tencent: pushed 1 + 2 times, then given up.
kill "$SIM_PID" 2>/dev/null
wait "$SIM_PID" 2>/dev/null
start_sim_cn tencent --per-number-hour 1 --push-retries 2 --push-retry-ms 20 --dlr-url "$SINK?answer=aliyun" || exit 1
TC_ID=$TENCENT_SECRET_ID TC_KEY=$TENCENT_SECRET_KEY
tc_call "$T/r18" "$(body '["+8613400134000"]')" >/dev/null
tc_call "$T/r19" "$(body '["+8613400134000"]')" >/dev/null
expect_eq "with --per-number-hour 1 the second in the hour is LimitExceeded.PhoneNumberOneHourLimit" \
	"$(jq -r '.Response.SendStatusSet[0].Code' "$T/r19")" LimitExceeded.PhoneNumberOneHourLimit
given_up() { curl -s "$SIM_URL/_sim/stats" | jq -e '.push_given_up == 1 and .pushes == 3 and
	.push_retries == 2 and .dlr_sent == 0 and .dlr_errors == 3'; }
check "a wrong answer is pushed again twice, then given up" wait_for 20 given_up
