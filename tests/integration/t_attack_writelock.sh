#!/bin/sh
# t_attack_writelock.sh - one slow write does not hold up every request.
# Another process takes the database's write lock (a sqlite3 shell in
# BEGIN IMMEDIATE, waiting on a fifo the test controls); a POST that must
# write waits for it, as SQLite makes writers wait.  Meanwhile /healthz,
# /metrics and GET /v1/tasks answer within a second each (reads run on
# their own connections, on the last committed state); once the lock is
# released the POST completes.  A SIGHUP meanwhile applies to the requests
# that come after it at once, while the waiting POST keeps the
# configuration it began with (the reload waits for it).
. "$TOP/tests/integration/lib.sh"
setup

d() { "$DUBAN" "$@"; }
d token new oa >"$T/oa.out"
TOKEN=$(sed -n 3p "$T/oa.out" | tr -d ' ')
sed -i 's/^log = .*/log = { level = "info"; };/' "$DUBAN_CONFIG"
cat >>"$DUBAN_CONFIG" <<CFG
providers = ( { name = "sim"; type = "http"; url = "http://127.0.0.1:9/sms/send"; } );
http = { listen = "127.0.0.1:0"; tokens = ( $(grep 'sha256 =' "$T/oa.out") ); };
CFG
d init >/dev/null
d person add --name 郑秀兰 --phone 17768096319 --org 小雄镇 --kind official >/dev/null
start_duban || exit 1
# quick CODE-VAR PATH: a read that must answer within a second.
quick() { curl -s -m 1 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$API$1"; }

# The lock: held until something is written to the fifo.
mkfifo "$T/fifo"
{ echo "BEGIN IMMEDIATE;"; echo "SELECT 'locked';"; cat "$T/fifo"; echo "COMMIT;"; } |
	sqlite3 "$T/duban.db" >"$T/locker.out" 2>&1 &
LOCKER=$!
PIDS="$PIDS $LOCKER"
wait_for 10 grep -q locked "$T/locker.out" && ok "another process holds the write lock" ||
	notok "another process holds the write lock"

curl -s -m 30 -o "$T/post.out" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
	-H 'Content-Type: application/json' \
	-d '{"title": "梅岙塘农田改造工程", "deadline": "2030-12-31", "lead": "郑秀兰"}' \
	"$API/v1/tasks" >"$T/post.code" &
POST=$!
PIDS="$PIDS $POST"

# For three seconds of the POST's wait, every read answers at once.
end=$(( $(date +%s) + 3 ))
checks=0 slow=""
while [ "$(date +%s)" -lt "$end" ]; do
	for p in /healthz /metrics /v1/tasks; do
		code=$(quick "$p")
		checks=$((checks + 1))
		[ "$code" = 200 ] || slow="$slow $p:$code"
	done
done
expect_eq "/healthz, /metrics and GET /v1/tasks answered 200 within 1 s ($checks reads)" "$slow" ""
expect_eq "  while the POST waited for the lock" "$(cat "$T/post.code")" ""
expect_eq "  and the reads did not see it" "$(sql 'select count(*) from task')" 0

# A reload while the POST waits: requests from now on use the new
# configuration (the token revoked), the POST keeps the one it began with.
sed -i "s/^http = .*/http = { listen = \"127.0.0.1:$HTTP_PORT\"; };/" "$DUBAN_CONFIG"
kill -HUP "$DPID"
revoked() { [ "$(quick /v1/tasks)" = 401 ]; }
wait_for 10 revoked && ok "SIGHUP revoking the token: GET /v1/tasks is 401 at once" ||
	notok "SIGHUP revoking the token: GET /v1/tasks is 401 at once"
expect_eq "  /healthz still answers within 1 s" "$(quick /healthz)" 200
expect_eq "  the reload waits for the POST that began under the old one" \
	"$(grep -c 'configuration reloaded' "$T/daemon.log")" 0

echo "SELECT 'released';" >"$T/fifo"
wait "$LOCKER"
expect_eq "the lock is released" "$?" 0
wait "$POST"
expect_eq "the POST completes once the lock is released: 201 (its token was valid when it came)" \
	"$(cat "$T/post.code")" 201
wait_for 10 grep -q 'configuration reloaded' "$T/daemon.log" && ok "then the reload finishes" ||
	notok "then the reload finishes"
expect_eq "  and the task is there" "$(sql 'select title from task')" "梅岙塘农田改造工程"

kill -TERM "$DPID"
wait "$DPID"
expect_eq "duban run stops cleanly" "$?" 0
exit 0
