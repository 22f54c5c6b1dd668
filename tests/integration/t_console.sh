#!/bin/sh
# t_console.sh - the staff console's HTTP side, with curl against the real
# duban run: staff accounts on the command line (the password never stored
# or printed in clear), the login (cookie HttpOnly, SameSite=Strict, Path=/;
# Secure only when a trusted proxy says HTTPS), the lockout answered 429
# with how long, the security headers, static files with their types and
# ETags (304), nothing outside the web root, pages sending a browser without
# a session to the login page with its target, the session on /v1/ with its
# CSRF token and roles, API tokens unchanged, and logout.
. "$TOP/tests/integration/lib.sh"
setup

start_sim || exit 1
cat >>"$DUBAN_CONFIG" <<CFG
providers = ( { name = "sim"; type = "http"; url = "$SIM_URL/sms/send"; } );
console = { web_root = "$TOP/web"; };
CFG
"$DUBAN" init >/dev/null
"$DUBAN" person import "$TOP/examples/xiaoxiong/people.csv" >/dev/null
sed -i 's/^log = .*/log = { level = "info"; };/' "$DUBAN_CONFIG"

# ---- accounts ------------------------------------------------------------------------
echo "clerk-password" | "$DUBAN" staff add wangfang --name 王芳 --role clerk --password-stdin >"$T/add.out"
expect_grep "staff add: the account" 'added wangfang (王芳, clerk)' "$T/add.out"
expect_exit "staff add: made-up password printed once" 0 "$DUBAN" staff add chenxia --name 陈霞 --role viewer
VPASS=$(sed -n 's/^password (shown this once): //p' "$T/last.out")
expect_eq "the made-up password is 16 characters" "${#VPASS}" 16
expect_exit "staff add: a taken login" 2 sh -c 'echo other-password | "$0" staff add wangfang --name x --role clerk --password-stdin' "$DUBAN"
expect_exit "staff add: a short password" 2 sh -c 'echo short | "$0" staff add li --name 李 --role clerk --password-stdin' "$DUBAN"
expect_exit "staff add: an unknown role" 2 "$DUBAN" staff add li --name 李 --role boss
expect_eq "passwords are stored as PBKDF2 only" \
	"$(sql "select count(*) from staff where pw_hash like 'pbkdf2-sha256\$600000\$%' and pw_hash not like '%clerk-password%'")" 2
expect_eq "the audit log says who added them" "$(sql "select count(*) from event where action = 'staff.add' and actor = 'cli'")" 2
"$DUBAN" staff list --format json >"$T/list.json"
expect_eq "staff list: logins and roles" "$(jq -r '[.[] | .login + ":" + .role] | join(",")' "$T/list.json")" \
	"chenxia:viewer,wangfang:clerk"

cat >>"$DUBAN_CONFIG" <<CFG
http = { listen = "127.0.0.1:0"; };
CFG
start_duban || exit 1

# ---- static files, headers -------------------------------------------------------------
hdr() { curl -s -D "$T/h" -o "$T/b" "$@"; }
hv() { sed -n "s/^$1: //Ip" "$T/h" | tr -d '\r'; }
hdr "$API/"
expect_eq "/ without a session: 303" "$(sed -n 1p "$T/h" | cut -d' ' -f2)" 303
expect_eq "to the login page, keeping the target" "$(hv Location)" "/login.html?next=/"
hdr "$API/tasks.html?status=open"
expect_eq "a page's target keeps its query" "$(hv Location)" "/login.html?next=/tasks.html%3Fstatus%3Dopen"
hdr "$API/login.html"
expect_eq "the login page: 200" "$(sed -n 1p "$T/h" | cut -d' ' -f2)" 200
expect_eq "as HTML" "$(hv Content-Type)" "text/html; charset=utf-8"
expect_eq "a strict CSP" "$(hv Content-Security-Policy)" \
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
expect_eq "nosniff" "$(hv X-Content-Type-Options)" nosniff
expect_eq "no referrer" "$(hv Referrer-Policy)" no-referrer
expect_eq "pages are not cached" "$(hv Cache-Control)" no-store
expect_eq "no inline script in any page" "$(grep -l '<script>' "$TOP"/web/*.html | wc -l)" 0
hdr "$API/js/app.js"
expect_eq "scripts as JavaScript" "$(hv Content-Type)" "text/javascript; charset=utf-8"
ETAG=$(hv ETag)
expect_eq "with an ETag" "$(printf %s "$ETAG" | grep -cE '^"[0-9a-f]{24}"$')" 1
expect_eq "the file as it is" "$(sha256sum <"$T/b")" "$(sha256sum <"$TOP/web/js/app.js")"
hdr -H "If-None-Match: $ETAG" "$API/js/app.js"
expect_eq "the same ETag again: 304" "$(sed -n 1p "$T/h" | cut -d' ' -f2)" 304
hdr "$API/style.css"
expect_eq "styles as CSS" "$(hv Content-Type)" "text/css; charset=utf-8"
for p in "/../duban.cfg" "/%2e%2e/duban.cfg" "/js/../../README.md" "/.hidden.js" "/nothing.html"; do
	CODE=$(curl -s -o /dev/null -w '%{http_code}' --path-as-is "$API$p")
	expect_eq "nothing outside the web root: $p" "$CODE" 404
done

# ---- logging in -----------------------------------------------------------------------
login() { curl -s -D "$T/h" -o "$T/b" -c "$T/jar.$1" -H 'Content-Type: application/json' \
	-d "{\"login\": \"$1\", \"password\": \"$2\"}" ${3:+-H "$3"} "$API/v1/session"; }
code() { sed -n 1p "$T/h" | cut -d' ' -f2; }
login wangfang clerk-password "Origin: http://evil.example"
expect_eq "a login posted from another site: 403" "$(code)" 403
login wangfang wrong-password
expect_eq "a wrong password: 401" "$(code)" 401
expect_eq "no cookie then" "$(hv Set-Cookie)" ""
login nobody clerk-password
expect_eq "an unknown login: 401, in the same words" "$(jq -r .error "$T/b")" "wrong login or password"
login wangfang clerk-password
expect_eq "the right one: 200" "$(code)" 200
COOKIE=$(hv Set-Cookie)
expect_eq "the session cookie: HttpOnly, SameSite=Strict, Path=/, not Secure over HTTP" \
	"$(printf %s "$COOKIE" | sed 's/=[A-Za-z0-9_-]\{43\};/=TOKEN;/')" \
	"duban_session=TOKEN; HttpOnly; SameSite=Strict; Path=/; Max-Age=43200"
expect_eq "who logged in" "$(jq -r '.name + " " + .role' "$T/b")" "王芳 clerk"
CSRF=$(jq -r .csrf "$T/b")
TOKEN=$(printf %s "$COOKIE" | sed 's/^duban_session=\([^;]*\);.*/\1/')
expect_eq "the session is stored only as its SHA-256" \
	"$(sql "select lower(hex(hash)) from staff_session")" "$(printf %s "$TOKEN" | sha256sum | cut -d' ' -f1)"
expect_eq "the login is in the audit log as staff:wangfang" \
	"$(sql "select actor from event where action = 'staff.login'")" "staff:wangfang"

# ---- the session on /v1/ ---------------------------------------------------------------
s() { _m=$1 _p=$2; shift 2
	CODE=$(curl -s -o "$T/b" -w '%{http_code}' -b "$T/jar.wangfang" -X "$_m" "$@" "$API$_p"); }
s GET /v1/dashboard
expect_eq "GET with the session: 200" "$CODE" 200
s GET /
expect_eq "and the pages open" "$CODE" 200
s POST /v1/tasks -H 'Content-Type: application/json' -d '{"title": "无令牌", "deadline": "2030-01-01", "lead": "郑秀兰"}'
expect_eq "a POST without the CSRF token: 403" "$CODE" 403
s POST /v1/tasks -H "X-CSRF-Token: x$CSRF" -d '{"title": "错令牌", "deadline": "2030-01-01", "lead": "郑秀兰"}'
expect_eq "with a wrong one: 403" "$CODE" 403
s POST /v1/tasks -H "X-CSRF-Token: $CSRF" -H "Origin: http://evil.example" -d '{"title": "外站", "deadline": "2030-01-01", "lead": "郑秀兰"}'
expect_eq "with the token but from another origin: 403" "$CODE" 403
expect_eq "none of them added a task" "$(sql "select count(*) from task")" 0
s POST /v1/tasks -H "X-CSRF-Token: $CSRF" -d '{"title": "梅岙塘农田改造工程", "deadline": "2030-01-01", "lead": "郑秀兰"}'
expect_eq "with it: 201" "$CODE" 201
expect_eq "the audit log says staff:wangfang" "$(sql "select actor from event where action = 'task.add'")" "staff:wangfang"
s GET /v1/people -G --data-urlencode q=郑秀兰
expect_eq "a clerk sees whole numbers" "$(jq -r '.people[0].phone' "$T/b")" "+8617768096319"

# ---- a task's timeline -----------------------------------------------------------------
# T1 (2030-01-01, the default rule set): every step still to come, in time order.
s GET /v1/tasks/T1/timeline
expect_eq "the timeline: 200" "$CODE" 200
expect_eq "every step of the default rule set is planned, in time order" \
	"$(jq -r '[.events[] | select(.type == "planned") | .at[0:16] + " " + .step] | join(",")' "$T/b")" \
	"2029-12-25T09:00 b7d,2029-12-29T09:00 b3d,2029-12-31T09:00 b1d,2030-01-01T08:00 b0d,2030-01-02T09:00 o1,2030-01-03T09:00 o2,2030-01-03T09:30 e,2030-01-04T09:00 o3,2030-01-05T09:00 o4,2030-01-06T09:00 o5"
expect_eq "each with its kind, its people and its template" \
	"$(jq -r '[.events[] | select(.step == "b7d" or .step == "e") | .kind + ":" + (.roles | join("+")) + ":" + .template] | join(",")' "$T/b")" \
	"reminder:lead+owner:reminder,escalation:lead+supervisor:escalation"
expect_eq "the route's earlier fields stay" "$(jq -r '[.code, (.messages | type), (.last_reply | type), .status] | join(" ")' "$T/b")" \
	"T1 array null open"
s POST /v1/tasks/T1/done -H "X-CSRF-Token: $CSRF" -d '{"on": "2029-12-31"}'
expect_eq "done on a day in the future: 400 naming on" "$CODE $(jq -r .field "$T/b")" "400 on"
s POST /v1/tasks/T1/done -H "X-CSRF-Token: $CSRF" -d '{"on": "31.12.2008"}'
expect_eq "done on no date: 400 naming on" "$CODE $(jq -r .field "$T/b")" "400 on"
s POST /v1/tasks/T1/done -H "X-CSRF-Token: $CSRF" -d '{"when": "2008-12-29"}'
expect_eq "an unknown field: 400" "$CODE $(jq -r .field "$T/b")" "400 when"
expect_eq "none of them closed T1" "$(sql "select status from task where code = 'T1'")" open
s POST /v1/tasks/T1/done -H "X-CSRF-Token: $CSRF" -d '{"on": "2008-12-29"}'
expect_eq "done on 2008-12-29 (as task done --on)" "$CODE $(jq -r '.status + " " + .done_at' "$T/b")" \
	"200 done 2008-12-29T00:00:00+08:00"
s GET /v1/tasks/T1/timeline
expect_eq "a done task: that date, nothing more planned" \
	"$(jq -r '[.done_at, ([.events[] | select(.type == "planned")] | length | tostring)] | join(" ")' "$T/b")" \
	"2008-12-29T00:00:00+08:00 0"
s POST /v1/tasks/T1/reopen -H "X-CSRF-Token: $CSRF"
expect_eq "reopened, its steps are planned again" \
	"$CODE $(curl -s -b "$T/jar.wangfang" "$API/v1/tasks/T1/timeline" | jq '[.events[] | select(.type == "planned")] | length')" "200 10"

login chenxia "$VPASS"
VCSRF=$(jq -r .csrf "$T/b")
v() { _m=$1 _p=$2; shift 2
	CODE=$(curl -s -o "$T/b" -w '%{http_code}' -b "$T/jar.chenxia" -X "$_m" "$@" "$API$_p"); }
v GET /v1/tasks
expect_eq "a viewer reads" "$CODE" 200
v POST /v1/tasks/T1/done -H "X-CSRF-Token: $VCSRF"
expect_eq "but changes nothing: 403" "$CODE" 403
v GET /v1/people -G --data-urlencode q=郑秀兰
expect_eq "and sees numbers masked" "$(jq -r '.people[0].phone' "$T/b")" "177****6319"

# ---- tokens as before ------------------------------------------------------------------
"$DUBAN" token new oa >"$T/oa.out"
APITOKEN=$(sed -n 3p "$T/oa.out" | tr -d ' ')
LINE=$(grep 'sha256 =' "$T/oa.out" | sed 's/^ *//')
sed -i "s|^http = .*|http = { listen = \"127.0.0.1:$HTTP_PORT\"; tokens = ( $LINE ); };|" "$DUBAN_CONFIG"
kill -HUP "$DPID"
wait_for 10 sh -c "curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer $APITOKEN' $API/v1/tasks | grep -q 200" &&
	ok "an API token works as before" || notok "an API token works as before"
CODE=$(curl -s -o "$T/b" -w '%{http_code}' -H "Authorization: Bearer $APITOKEN" "$API/v1/dashboard")
expect_eq "but not on the console's own routes: 403" "$CODE" 403
CODE=$(curl -s -o /dev/null -w '%{http_code}' -b "duban_session=$TOKEN" "$API/v1/dashboard")
expect_eq "a bare session cookie still works" "$CODE" 200

# ---- lockout, logout -------------------------------------------------------------------
for i in 1 2 3 4 5; do login chenxia "wrong-$i"; done
login chenxia "$VPASS"
expect_eq "after five failures the right password: 429" "$(code)" 429
expect_eq "saying for how long" "$(jq -r '.code + " " + (.locked_for > 800 and .locked_for <= 900 | tostring)' "$T/b")" "locked true"
"$DUBAN" staff passwd chenxia --password-stdin <<PW >/dev/null
viewer-password-2
PW
login chenxia viewer-password-2
expect_eq "a new password unlocks it" "$(code)" 200
s DELETE /v1/session
expect_eq "logout needs the CSRF token" "$CODE" 403
s DELETE /v1/session -H "X-CSRF-Token: $CSRF"
expect_eq "logout" "$CODE" 200
s GET /v1/dashboard
expect_eq "the session is over" "$CODE" 401
"$DUBAN" staff disable chenxia >/dev/null
v GET /v1/tasks
expect_eq "a disabled account's session is over" "$CODE" 401
login chenxia viewer-password-2
expect_eq "and it cannot log in" "$(code)" 401

# ---- behind a trusted proxy -------------------------------------------------------------
sed -i 's|^console = .*|console = { web_root = "'"$TOP"'/web"; trust_proxy = true; };|' "$DUBAN_CONFIG"
kill -HUP "$DPID"
wait_for 10 sh -c "curl -s -D - -o /dev/null -H 'Content-Type: application/json' -H 'X-Forwarded-Proto: https' \
	-d '{\"login\": \"wangfang\", \"password\": \"clerk-password\"}' $API/v1/session | grep -qi '^Set-Cookie:.*; Secure'" &&
	ok "the cookie is Secure when a trusted proxy says HTTPS" ||
	notok "the cookie is Secure when a trusted proxy says HTTPS"

# ---- staff accounts in the console: an admin's only ---------------------------------------
echo "admin-password" | "$DUBAN" staff add it --name 县信息中心 --role admin --password-stdin >/dev/null
login it admin-password
ACSRF=$(jq -r .csrf "$T/b")
a() { _m=$1 _p=$2; shift 2
	CODE=$(curl -s -o "$T/b" -w '%{http_code}' -b "$T/jar.it" -X "$_m" "$@" "$API$_p"); }
a POST /v1/staff -H "X-CSRF-Token: $ACSRF" -d '{"login": "zhaolei", "name": "赵磊", "role": "clerk"}'
expect_eq "an admin adds an account: 201" "$CODE" 201
NEWPW=$(jq -r .password "$T/b")
expect_eq "with a made-up password shown once" "${#NEWPW}" 16
login zhaolei "$NEWPW"
expect_eq "which logs in" "$(code)" 200
ZCSRF=$(jq -r .csrf "$T/b")
CODE=$(curl -s -o "$T/b" -w '%{http_code}' -b "$T/jar.zhaolei" "$API/v1/staff")
expect_eq "a clerk may not list the accounts: 403" "$CODE" 403
CODE=$(curl -s -o "$T/b" -w '%{http_code}' -b "$T/jar.zhaolei" -H "X-CSRF-Token: $ZCSRF" -X POST \
	-d '{"login": "x", "name": "x", "role": "admin"}' "$API/v1/staff")
expect_eq "nor add one: 403" "$CODE" 403
a POST /v1/staff/zhaolei/disable -H "X-CSRF-Token: $ACSRF"
expect_eq "an admin disables one" "$CODE" 200
expect_eq "the audit log says who" "$(sql "select actor from event where action = 'staff.disable' and object = 'zhaolei'")" "staff:it"
CODE=$(curl -s -o /dev/null -w '%{http_code}' -b "$T/jar.zhaolei" "$API/v1/tasks")
expect_eq "whose session is over" "$CODE" 401
CODE=$(curl -s -o "$T/b" -w '%{http_code}' -b "$T/jar.it" -G --data-urlencode 'q=177-6809-6319' "$API/v1/people")
expect_eq "people are found by a number as a clerk types it" "$(jq -r '[.people[].name] | join(",")' "$T/b")" "郑秀兰"
CODE=$(curl -s -o "$T/b" -w '%{http_code}' -b "$T/jar.it" -G --data-urlencode 'q=塔坑村' "$API/v1/people")
expect_eq "and by organisation" "$(jq -r '.people | length' "$T/b")" 9

# ---- API tokens in the console: an admin's only ------------------------------------------
a POST /v1/tokens -H "X-CSRF-Token: $ACSRF" -d '{"name": "wechat", "routes": "tasks"}'
expect_eq "an admin makes an API token: 201" "$CODE" 201
DBTOKEN=$(jq -r .token "$T/b")
expect_eq "answered once, as a new token" "$(printf %s "$DBTOKEN" | cut -c1-4) ${#DBTOKEN}" "dbn_ 47"
CODE=$(curl -s -o "$T/b" -w '%{http_code}' -H "Authorization: Bearer $DBTOKEN" "$API/v1/tasks")
expect_eq "it works at once, without a reload, within its routes" "$CODE $(jq -r '.tasks | length > 0' "$T/b")" "200 true"
CODE=$(curl -s -o "$T/b" -w '%{http_code}' -H "Authorization: Bearer $DBTOKEN" -H 'Content-Type: application/json' \
	-d '{"to": "+8613800138000", "text": "x"}' "$API/v1/messages")
expect_eq "and is refused outside them: 403" "$CODE" 403
CODE=$(curl -s -o "$T/b" -w '%{http_code}' -X POST -H "Authorization: Bearer $DBTOKEN" -H 'Content-Type: application/json' \
	-d '{"code": "WX1", "title": "微信来的事项", "deadline": "2031-01-01", "lead": "郑秀兰"}' "$API/v1/tasks")
expect_eq "what it does is audited as api:NAME" "$CODE $(sql "select actor from event where object = 'WX1' limit 1")" "201 api:wechat"
a POST /v1/tokens -H "X-CSRF-Token: $ACSRF" -d '{"name": "wechat"}'
expect_eq "a name is taken once: 409" "$CODE" 409
a POST /v1/tokens -H "X-CSRF-Token: $ACSRF" -d '{"name": "oa"}'
expect_eq "also by a configured token: 409" "$CODE" 409
a POST /v1/tokens -H "X-CSRF-Token: $ACSRF" -d '{"name": "bad", "routes": "everything"}'
expect_eq "unknown routes: 400" "$CODE $(jq -r '.error | test("everything")' "$T/b")" "400 true"
a GET /v1/tokens
expect_eq "the list shows both kinds" "$CODE $(jq -r '[.tokens[] | .name + ":" + .source + ":" + (.routes | join("+"))] | join(",")' "$T/b")" \
	"200 oa:config:messages+notices+tasks,wechat:database:tasks"
expect_eq "and never a token or its hash" "$(grep -c -e "$DBTOKEN" -e "$(sql "select sha256 from api_token")" -e sha256 -e '"token"' "$T/b")" 0
expect_eq "the database keeps only the SHA-256" "$(sql "select count(*) from api_token where sha256 = '$(printf %s "$DBTOKEN" | sha256sum | cut -c1-64)'")" 1
echo "clerk-password" | "$DUBAN" staff add liuyang --name 刘洋 --role clerk --password-stdin >/dev/null
login liuyang clerk-password
LCSRF=$(jq -r .csrf "$T/b")
CODE=$(curl -s -o "$T/b" -w '%{http_code}' -b "$T/jar.liuyang" "$API/v1/tokens")
expect_eq "a clerk may not list API tokens: 403" "$CODE" 403
CODE=$(curl -s -o "$T/b" -w '%{http_code}' -b "$T/jar.liuyang" -H "X-CSRF-Token: $LCSRF" -X POST \
	-d '{"name": "mine"}' "$API/v1/tokens")
expect_eq "nor make one: 403" "$CODE" 403
CODE=$(curl -s -o "$T/b" -w '%{http_code}' -b "$T/jar.liuyang" -H "X-CSRF-Token: $LCSRF" -X POST "$API/v1/tokens/wechat/revoke")
expect_eq "nor revoke one: 403" "$CODE" 403
CODE=$(curl -s -o "$T/b" -w '%{http_code}' -H "Authorization: Bearer $APITOKEN" "$API/v1/tokens")
expect_eq "nor may an API token: 403" "$CODE" 403
a POST /v1/tokens/wechat/revoke -H "X-CSRF-Token: $ACSRF"
expect_eq "an admin revokes it" "$CODE" 200
CODE=$(curl -s -o "$T/b" -w '%{http_code}' -H "Authorization: Bearer $DBTOKEN" "$API/v1/tasks")
expect_eq "which is refused at once, as any wrong token" "$CODE $(jq -r .error "$T/b")" "401 invalid token"
expect_eq "the audit log says who made and revoked it" \
	"$(sql "select group_concat(action || ' ' || actor, ',') from event where object = 'wechat'")" "token.new staff:it,token.revoke staff:it"
a POST /v1/tokens/wechat/revoke -H "X-CSRF-Token: $ACSRF"
expect_eq "revoking it again: 404" "$CODE" 404
CODE=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $APITOKEN" "$API/v1/tasks")
expect_eq "the configured token still works" "$CODE" 200

# ---- API tokens on the command line --------------------------------------------------------
"$DUBAN" token new erp --routes messages:read --store >"$T/erp.out"
CLITOKEN=$(sed -n 3p "$T/erp.out" | tr -d ' ')
CODE=$(curl -s -o "$T/b" -w '%{http_code}' -H "Authorization: Bearer $CLITOKEN" "$API/v1/messages/1")
expect_eq "token new --store: works without a reload" "$(test "$CODE" != 401 && test "$CODE" != 403 && echo yes)" yes
expect_eq "token list: both kinds, the revoked one marked" \
	"$("$DUBAN" token list --format json | jq -r '[.[] | .name + ":" + .source + ":" + .routes + ":" + (if .revoked then "revoked" else "" end)] | join(",")')" \
	"oa:config:messages,notices,tasks:,erp:database:messages:read:,wechat:database:tasks:revoked"
expect_eq "and never a token or its hash" "$("$DUBAN" token list | grep -c -e "$CLITOKEN" -e "$(sql "select sha256 from api_token where name = 'erp'")")" 0
"$DUBAN" token revoke erp >/dev/null
CODE=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $CLITOKEN" "$API/v1/messages/1")
expect_eq "token revoke: refused at once" "$CODE" 401
expect_exit "token revoke: no such token" 2 "$DUBAN" token revoke nothing
