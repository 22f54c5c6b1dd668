#!/bin/sh
# t_disk_wal.sh - the WAL stays bounded and /healthz tells how much room
# the database has.  SQLite's own checkpoints never shrink the WAL file:
# one big transaction (a file of 20,000 messages) left it at its size for
# as long as the daemon kept the database open.  Now a commit that leaves
# it past storage.wal_max checkpoints and truncates it; /healthz reports
# the free space of the database's filesystem, the database's and the
# WAL's size, and is 503 below storage.min_free, saying why.  The full
# disk itself is t_disk_full.sh's (a tmpfs) and test_store_disk's.
. "$TOP/tests/integration/lib.sh"
setup

d() { "$DUBAN" "$@"; }
hz() { CODE=$(curl -s -o "$T/resp" -w '%{http_code}' "$API/healthz"); }
jf() { jq -r "$1" "$T/resp"; }
wal() { stat -c %s "$T/duban.db-wal" 2>/dev/null || echo 0; }

# A night in quiet hours: what is queued stays queued, so only the test writes.
export DUBAN_NOW="2030-06-01 23:00"
sed -i 's/^log = .*/log = { level = "info"; };/' "$DUBAN_CONFIG"
cat >>"$DUBAN_CONFIG" <<CFG
providers = ( { name = "sim"; type = "http"; url = "http://127.0.0.1:9/sms/send"; } );
http = { listen = "127.0.0.1:0"; };
CFG
cp "$DUBAN_CONFIG" "$T/base.cfg"
echo 'storage = { wal_max = "1M"; min_free = "100T"; };' >>"$DUBAN_CONFIG"
check "storage.wal_max and min_free are valid" d config check
d init >/dev/null
start_duban || exit 1

# ---- /healthz and the floor ----------------------------------------------------------------------
hz
expect_eq "less free space than storage.min_free: 503, down" "$CODE $(jf .status) $(jf .disk.ok)" "503 down false"
expect_eq "  saying why" "$(jf .disk.error | sed 's/^[0-9.]* [KMGT]*i*B /N /')" \
	"N free on the database's filesystem, less than storage.min_free (100.0 TiB)"
expect_eq "  while the database itself answers" "$(jf .database.ok)" true
FREE=$(jf .disk.free_bytes)
[ "$FREE" -gt 0 ] 2>/dev/null && ok "the free bytes ($FREE)" || notok "the free bytes ($FREE)"
expect_eq "the database's size and the WAL's, and the bounds" \
	"$(jf '[(.disk.database_bytes > 0), (.disk.wal_bytes >= 0), .disk.wal_max_bytes, .disk.min_free_bytes] | join(" ")')" \
	"true true 1048576 109951162777600"
cp "$T/base.cfg" "$DUBAN_CONFIG"
echo 'storage = { wal_max = "1M"; min_free = "1M"; };' >>"$DUBAN_CONFIG"
kill -HUP "$DPID"
wait_for 10 grep -q 'configuration reloaded' "$T/daemon.log" && ok "reloaded" || notok "reloaded"
hz
expect_eq "above the floor: 200, ok" "$CODE $(jf .status) $(jf .disk.ok) $(jf .disk.error)" "200 ok true null"

# ---- one big transaction ----------------------------------------------------------------------------
awk 'BEGIN { for (i = 1; i <= 20000; i++) printf "+86159%08d\t第%d号通知：明天上午九点在镇政府三楼会议室召开防汛工作会议，请准时参加\n", i, i }' >"$T/big.tsv"
check "20000 messages in one transaction" d send --from-file "$T/big.tsv"
expect_eq "  all there" "$(sql 'select count(*) from message')" 20000
W=$(wal)
[ "$W" -le 1048576 ] && ok "the WAL is back within storage.wal_max ($W bytes)" ||
	notok "the WAL is back within storage.wal_max ($W bytes, more than 1048576)"
curl -s "$API/metrics" >"$T/metrics"
expect_grep "/metrics: the free space" '^duban_disk_free_bytes [1-9][0-9]*$' "$T/metrics"
expect_grep "/metrics: the WAL" "^duban_wal_bytes $(wal)\$" "$T/metrics"
expect_grep "/metrics: the database" '^duban_database_bytes [1-9][0-9]*$' "$T/metrics"

kill -TERM "$DPID"
wait "$DPID"
expect_eq "duban run stops cleanly" "$?" 0
exit 0
