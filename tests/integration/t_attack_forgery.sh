#!/bin/sh
# t_attack_forgery.sh - a provider's callbacks cannot be forged from one
# that was seen.  A signature that covered the body alone was the same
# for every GET (all have an empty body), so anyone who saw one signed
# GET could send any reply (TD opting an official out) or any delivery
# report.  Now the signature covers the timestamp, method, path, query
# and body: the observed one is refused for any other request, and for
# the same request once http.signature_window has passed.  A callback's
# fields come from one place (a GET's query, a POST's body).
. "$TOP/tests/integration/lib.sh"
setup

d() { "$DUBAN" "$@"; }
S1=sim-callback-secret-0123456789
# sign TS METHOD PATH QUERY BODY: the signature README tells a provider to make.
sign() {
	printf '%s\n%s\n%s\n%s\n%s' "$1" "$2" "$3" "$4" "$5" | openssl dgst -sha256 -hmac "$S1" |
		sed 's/.*= *//'
}
# get QUERY [TS [SIG]]: a signed GET /callbacks/mo/sim; status in CODE.
get() {
	_ts=${2:-$(date +%s)}
	_sig=${3:-$(sign "$_ts" GET /callbacks/mo/sim "$1" "")}
	CODE=$(curl -s -o "$T/resp" -w '%{http_code}' -H "X-Duban-Timestamp: $_ts" \
		-H "X-Duban-Signature: sha256=$_sig" "$API/callbacks/mo/sim?$1")
}
opted() { sql "select count(*) from person where opted_out_at is not null"; }

sed -i 's/^log = .*/log = { level = "info"; };/' "$DUBAN_CONFIG"
cat >>"$DUBAN_CONFIG" <<CFG
providers = ( { name = "sim"; type = "http"; url = "http://127.0.0.1:9/sms/send";
  callback_secret = "$S1"; } );
http = { listen = "127.0.0.1:0"; };
CFG
sed 's/listen = "127.0.0.1:0";/listen = "127.0.0.1:0"; signature_window = "1s";/' "$DUBAN_CONFIG" >"$T/bad.cfg"
expect_exit "signature_window below 10s is refused" 1 d -c "$T/bad.cfg" config check
expect_grep "  with its line" "bad.cfg:[0-9]*: 'signature_window' must be between 10s" "$T/last.err"
d init >/dev/null
d person add --name 林阿昌 --phone 13957608929 --org 小雄村 --kind farmer >/dev/null
d person add --name 郑秀兰 --phone 17768096319 --org 小雄镇 --kind official >/dev/null
now=$(date +%s)
sql "INSERT INTO message_text (body) VALUES ('提醒');
     INSERT INTO message (person, phone, text_id, encoding, parts, kind, status, created_at, not_before,
       sent_at, provider, provider_ref, dedupe_key)
     SELECT id, phone, (SELECT max(id) FROM message_text), 'UCS-2', 1, 'reminder', 'sent', $now, $now,
       $now, 'sim', 'sim-7', 'r7'
     FROM person WHERE name = '郑秀兰'"
start_duban || exit 1

# ---- the attack: one observed signature, any request -----------------------------------------
EMPTY=$(printf '' | openssl dgst -sha256 -hmac "$S1" | sed 's/.*= *//')
CODE=$(curl -s -o "$T/resp" -w '%{http_code}' -H "X-Duban-Signature: sha256=$EMPTY" \
	"$API/callbacks/mo/sim?from=%2B8617768096319&text=TD&id=forged-1")
expect_eq "a TD with the signature of an empty body (seen on any GET): 401" "$CODE" 401
CODE=$(curl -s -o "$T/resp" -w '%{http_code}' -H "X-Duban-Signature: sha256=$EMPTY" \
	"$API/callbacks/dlr/sim?msgid=sim-7&status=UNDELIV&err=001")
expect_eq "a delivery report with it: 401" "$CODE" 401
expect_eq "nobody opted out, the message is still sent" \
	"$(opted) $(sql "select status from message where provider_ref = 'sim-7'")" "0 sent"

# ---- what a provider signs now -------------------------------------------------------------------
TS=$(date +%s)
SEEN=$(sign "$TS" GET /callbacks/mo/sim "from=%2B8613957608929&text=TD&id=mo-1" "")
get "from=%2B8613957608929&text=TD&id=mo-1" "$TS" "$SEEN"
expect_eq "a signed TD from the farmer: 200, opted out" "$CODE $(jq -r .action "$T/resp") $(opted)" \
	"200 optout 1"
get "from=%2B8617768096319&text=TD&id=mo-1" "$TS" "$SEEN"
expect_eq "its signature over another sender: 401" "$CODE" 401
get "from=%2B8613957608929&text=TD&id=mo-2" "$TS" "$SEEN"
expect_eq "over another id: 401" "$CODE" 401
CODE=$(curl -s -o "$T/resp" -w '%{http_code}' -H "X-Duban-Timestamp: $TS" \
	-H "X-Duban-Signature: sha256=$SEEN" "$API/callbacks/dlr/sim?from=%2B8613957608929&text=TD&id=mo-1")
expect_eq "on another path: 401" "$CODE" 401
CODE=$(curl -s -o "$T/resp" -w '%{http_code}' -H "X-Duban-Timestamp: $((TS + 1))" \
	-H "X-Duban-Signature: sha256=$SEEN" "$API/callbacks/mo/sim?from=%2B8613957608929&text=TD&id=mo-1")
expect_eq "with a later timestamp: 401" "$CODE" 401
expect_eq "the official is still not opted out" "$(opted)" 1

# ---- replays after the window ----------------------------------------------------------------------
sed -i "s/^http = { listen = \"127.0.0.1:0\";/http = { listen = \"127.0.0.1:$HTTP_PORT\"; signature_window = \"1m\";/" \
	"$DUBAN_CONFIG"
kill -HUP "$DPID"
wait_for 10 grep -q 'configuration reloaded' "$T/daemon.log" && ok "reloaded with signature_window = 1m" ||
	notok "reloaded with signature_window = 1m"
OLD=$(( $(date +%s) - 90 ))
get "from=%2B8617768096319&text=TD&id=mo-3" "$OLD"
expect_eq "a request signed 90 s ago (window 1m): 401" "$CODE" 401
expect_grep "  refused with the reason" 'mo callback for sim refused: X-Duban-Timestamp is outside' "$T/daemon.log"
get "from=%2B8617768096319&text=TD&id=mo-4" $(( $(date +%s) + 90 ))
expect_eq "one signed 90 s ahead: 401" "$CODE" 401
get "from=%2B8617768096319&text=%E6%94%B6%E5%88%B0&id=mo-5" $(( $(date +%s) - 30 ))
expect_eq "one signed 30 s ago: 200" "$CODE" 200

# ---- a delivery report, signed, as a POST --------------------------------------------------------------
BODY='{"msgid":"sim-7","status":"DELIVRD","err":"000"}'
TS=$(date +%s)
SIG=$(sign "$TS" POST /callbacks/dlr/sim "" "$BODY")
CODE=$(curl -s -o "$T/resp" -w '%{http_code}' -H "X-Duban-Timestamp: $TS" -H "X-Duban-Signature: sha256=$SIG" \
	-H 'Content-Type: application/json' --data-binary "$BODY" "$API/callbacks/dlr/sim")
expect_eq "a signed POST report: 200, delivered" \
	"$CODE $(sql "select status from message where provider_ref = 'sim-7'")" "200 delivered"
SIG=$(sign "$TS" POST /callbacks/dlr/sim "status=UNDELIV" "$BODY")
CODE=$(curl -s -o "$T/resp" -w '%{http_code}' -H "X-Duban-Timestamp: $TS" -H "X-Duban-Signature: sha256=$SIG" \
	-H 'Content-Type: application/json' --data-binary "$BODY" "$API/callbacks/dlr/sim?status=UNDELIV")
expect_eq "a signed POST with fields in its query as well: 400" "$CODE" 400

kill -TERM "$DPID"
wait "$DPID"
expect_eq "duban run stops cleanly" "$?" 0
exit 0
