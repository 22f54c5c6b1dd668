#!/bin/sh
# t_attack_scope.sh - what an API token may read and write of the
# outbox.  Any "messages" token used to read every message with the
# whole number and the holder's name (GET /v1/messages/1, /2, ...: the
# town's phone book), and a client reusing a ref with another number or
# text was told 200, its message silently not queued.  Now messages:read
# and messages:write are apart ("messages" is both, as existing
# configurations have it), what either shows masks the number
# (138****8000) and the name (陈**) unless the token also has
# messages:numbers, and another message under a ref is a 409 naming the
# first one.
. "$TOP/tests/integration/lib.sh"
setup

d() { "$DUBAN" "$@"; }
# call METHOD PATH TOKEN [BODY]: the status in CODE, the body in $T/resp.
call() {
	set -- "$1" "$2" "$3" "${4-}"
	CODE=$(curl -s -o "$T/resp" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $3" \
		${4:+-H 'Content-Type: application/json' --data-binary "$4"} "$API$2")
}
jf() { jq -r "$1" "$T/resp"; }
# token NAME ROUTES: a new token in $TOK, its configuration line appended to $T/tokens.
token() {
	d token new "$1" --routes "$2" >"$T/$1.out" || return 1
	TOK=$(sed -n 3p "$T/$1.out" | tr -d ' ')
	grep 'sha256 =' "$T/$1.out" | sed 's/^ *//; s/$/,/' >>"$T/tokens"
}

: >"$T/tokens"
token writer messages:write && WRITER=$TOK
token reader messages:read && READER=$TOK
token both messages && BOTH=$TOK
token whole messages:read,messages:numbers && WHOLE=$TOK
token tasks tasks && TASKS=$TOK
expect_grep "token new takes the scopes" 'routes = \[ "messages:read", "messages:numbers" \]' "$T/whole.out"
expect_grep "  and \"messages\" stays what it was" 'routes = \[ "messages" \]' "$T/both.out"
expect_exit "messages:numbers alone is refused" 2 d token new x --routes messages:numbers
expect_grep "  saying why" 'messages:numbers only widens' "$T/last.err"
expect_exit "an unknown scope is refused" 2 d token new x --routes messages:delete
d token new --help >"$T/help"
for s in messages:read messages:write messages:numbers; do
	expect_grep "token new --help names $s" "$s" "$T/help"
done

sed -i 's/^log = .*/log = { level = "info"; };/; s/^quiet_hours = .*/quiet_hours = { enabled = false; from = "21:00"; to = "08:00"; };/' "$DUBAN_CONFIG"
cat >>"$DUBAN_CONFIG" <<CFG
providers = ( { name = "sim"; type = "http"; url = "http://127.0.0.1:9/sms/send"; } );
http = { listen = "127.0.0.1:0"; tokens = ( $(sed '$ s/,$//' "$T/tokens") ); };
CFG
check "the configuration with scoped tokens is valid" d config check
d init >/dev/null
d person add --name 陈宝根 --phone 15068766188 --org 小雄村 --kind farmer >/dev/null
start_duban || exit 1

# ---- the attack: a "messages" token reads the phone book ------------------------------------------
call POST /v1/messages "$BOTH" '{"to": "15068766188", "text": "村委会通知：周五开会"}'
expect_eq "a \"messages\" token queues: 201, answered masked" "$CODE $(jf '[.to, .person] | join(" ")')" \
	"201 150****6188 陈**"
call GET "/v1/messages/$(jf .id)" "$BOTH"
expect_eq "  and reads, masked: no whole number, no name" "$CODE $(jf '[.to, .person] | join(" ")')" \
	"200 150****6188 陈**"

# ---- writing and reading are apart ----------------------------------------------------------------
MSG='{"to": "150-6876-6188", "text": "请明天上午到村委会领取补贴", "ref": "oa-1"}'
call POST /v1/messages "$READER" "$MSG"
expect_eq "a read token cannot queue: 403 naming the scope" "$CODE $(jf .error)" \
	"403 this token may not write /v1/messages (it needs messages:write)"
call POST /v1/messages "$WRITER" "$MSG"
expect_eq "a write token queues: 201" "$CODE" 201
ID=$(jf .id)
expect_eq "  and is answered with the number and name masked" "$(jf '[.to, .person] | join(" ")')" \
	"150****6188 陈**"
call GET "/v1/messages/$ID" "$WRITER"
expect_eq "a write token cannot read: 403" "$CODE $(jf .error)" \
	"403 this token may not read /v1/messages (it needs messages:read)"
call GET "/v1/messages/$ID" "$TASKS"
expect_eq "a token without the route at all: 403" "$CODE" 403
call GET "/v1/messages/$ID" "$READER"
expect_eq "a read token reads, masked" "$CODE $(jf '[.to, .person, .text] | join(" ")')" \
	"200 150****6188 陈** 请明天上午到村委会领取补贴"
call GET "/v1/messages/$ID" "$BOTH"
expect_eq "\"messages\" reads and is masked too" "$CODE $(jf '[.to, .person] | join(" ")')" \
	"200 150****6188 陈**"
call GET "/v1/messages/$ID" "$WHOLE"
expect_eq "messages:numbers shows the number and name" "$CODE $(jf '[.to, .person] | join(" ")')" \
	"200 +8615068766188 陈宝根"

# ---- one ref, one message ----------------------------------------------------------------------------
call POST /v1/messages "$BOTH" "$MSG"
expect_eq "the same request again: 200, the first message" "$CODE $(jf .id) $(jf .duplicate)" \
	"200 $ID true"
call POST /v1/messages "$BOTH" '{"to": "15068766188", "text": "请明天上午到村委会领取补贴", "ref": "oa-1"}'
expect_eq "the same number written another way is the same request" "$CODE $(jf .id)" "200 $ID"
call POST /v1/messages "$BOTH" '{"to": "13800138000", "text": "请明天上午到村委会领取补贴", "ref": "oa-1"}'
expect_eq "another number under the ref: 409 naming the first message" \
	"$CODE $(jf .id) $(jf .field)" "409 $ID ref"
expect_eq "  saying what was wrong" "$(jf .error)" \
	"ref \"oa-1\" is message #$ID, which went to another number: a ref names one message (use a new ref for a new message)"
call POST /v1/messages "$BOTH" '{"to": "15068766188", "text": "改到后天", "ref": "oa-1"}'
expect_eq "another text under the ref: 409" "$CODE $(jf .id)" "409 $ID"
expect_eq "  saying so" "$(jf .error | grep -c 'which went to another text')" 1
expect_eq "one message for the ref, one audit event" \
	"$(sql "select count(*) from message where ref = 'oa-1'") $(sql "select count(*) from event where action = 'message.send' and object = '#$ID'")" \
	"1 1"

kill -TERM "$DPID"
wait "$DPID"
expect_eq "duban run stops cleanly" "$?" 0
exit 0
