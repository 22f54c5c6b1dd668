#!/bin/sh
# t_attack_nul.sh - a NUL byte cannot cut a value short.  "TD%00junk"
# read as "TD" (a reply that opts its sender out), "open%00x" as "open",
# and a NUL after a bearer token left the token valid (libmicrohttpd ends
# a header line at a NUL and drops the rest).  Now a NUL in a query or
# form field is a 400 naming the field, one in the request header (after
# the token, or anywhere) a 401 for the API and a 400 elsewhere; the same
# requests without the NUL still work.  Raw requests go through perl's
# IO::Socket (perl-base), since curl cannot put a NUL in a header.
. "$TOP/tests/integration/lib.sh"
setup

d() { "$DUBAN" "$@"; }
S1=sim-callback-secret-0123456789
# raw REQUEST: send REQUEST (printf escapes; \0 is a NUL) as is; the status in CODE.
raw() {
	CODE=$(perl -MIO::Socket::INET -e '
		my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$ARGV[0]", Timeout => 5) or exit 1;
		my $req = $ARGV[1];
		$req =~ s/\\0/\0/g; $req =~ s/\\r/\r/g; $req =~ s/\\n/\n/g;
		print $s $req;
		my $line = <$s>;
		print((split / /, $line // "")[1] // "none");' "$HTTP_PORT" "$1")
}
call() { CODE=$(curl -s -o "$T/resp" -w '%{http_code}' "$@"); }

d token new oa >"$T/oa.out"
TOKEN=$(sed -n 3p "$T/oa.out" | tr -d ' ')
sed -i 's/^log = .*/log = { level = "info"; };/' "$DUBAN_CONFIG"
cat >>"$DUBAN_CONFIG" <<CFG
providers = ( { name = "sim"; type = "http"; url = "http://127.0.0.1:9/sms/send";
  callback_secret = "$S1"; } );
http = { listen = "127.0.0.1:0"; tokens = ( $(grep 'sha256 =' "$T/oa.out") ); };
CFG
d init >/dev/null
d person add --name 林阿昌 --phone 13957608929 --org 小雄村 --kind farmer >/dev/null
start_duban || exit 1
opted() { sql "select count(*) from person where opted_out_at is not null"; }
H="Host: x\r\nConnection: close\r\n"

# ---- the token ------------------------------------------------------------------------------------
raw "GET /v1/tasks HTTP/1.1\r\n${H}Authorization: Bearer $TOKEN\r\n\r\n"
expect_eq "a raw request with the token: 200" "$CODE" 200
raw "GET /v1/tasks HTTP/1.1\nHost:x\nConnection:close\nAuthorization:Bearer $TOKEN\n\n"
expect_eq "  and one written tersely (LF, no spaces): 200" "$CODE" 200
raw "GET /v1/tasks HTTP/1.1\r\n${H}Authorization: Bearer $TOKEN\0junk\r\n\r\n"
expect_eq "the token with a NUL and more after it: 401" "$CODE" 401
raw "GET /v1/tasks HTTP/1.1\r\n${H}Authorization: Bearer $TOKEN\0\r\n\r\n"
expect_eq "the token with a NUL after it: 401" "$CODE" 401
raw "GET /v1/tasks HTTP/1.1\r\nAuthorization: Bearer $TOKEN\r\nX-Note: a\0b\r\n${H}\r\n"
expect_eq "a NUL in another header of an API request: 401" "$CODE" 401
raw "GET /healthz HTTP/1.1\r\n${H}X-Note: a\0b\r\n\r\n"
expect_eq "a NUL in a header of /healthz: 400" "$CODE" 400

# ---- query strings and forms ---------------------------------------------------------------------
call -H "Authorization: Bearer $TOKEN" "$API/v1/tasks?status=open"
expect_eq "GET /v1/tasks?status=open: 200" "$CODE" 200
call -H "Authorization: Bearer $TOKEN" "$API/v1/tasks?status=open%00junk"
expect_eq "status=open%00junk: 400 naming status" "$CODE $(jq -r .field "$T/resp")" "400 status"
call "$API/callbacks/mo/sim/$S1?from=%2B8613957608929&text=TD%00junk&id=mo-1"
expect_eq "a reply TD%00junk (query): 400 naming text" "$CODE $(jq -r .field "$T/resp")" "400 text"
call -d 'from=%2B8613957608929&text=TD%00junk&id=mo-2' "$API/callbacks/mo/sim/$S1"
expect_eq "a reply TD%00junk (form body): 400 naming text" "$CODE $(jq -r .field "$T/resp")" "400 text"
call -H 'Content-Type: application/json' -d '{"from":"+8613957608929","text":"TD\u0000junk","id":"mo-3"}' \
	"$API/callbacks/mo/sim/$S1"
expect_eq "a reply TD\\u0000junk (JSON): 400" "$CODE" 400
expect_eq "and nobody opted out" "$(opted)" 0
raw "GET /callbacks/mo/sim/$S1?from=%2B8613957608929&text=TD\0junk&id=mo-4 HTTP/1.1\r\n${H}\r\n"
expect_eq "a raw NUL in the query: 400" "$CODE" 400
expect_eq "still nobody opted out" "$(opted)" 0
call "$API/callbacks/mo/sim/$S1?from=%2B8613957608929&text=TD&id=mo-5"
expect_eq "the same reply without the NUL: 200, opted out" "$CODE $(opted)" "200 1"

kill -TERM "$DPID"
wait "$DPID"
expect_eq "duban run stops cleanly" "$?" 0
exit 0
