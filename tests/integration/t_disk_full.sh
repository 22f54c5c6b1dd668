#!/bin/sh
# t_disk_full.sh - duban on a disk that fills up, a real small filesystem
# (a 24 MiB tmpfs mounted for the test; where the machine does not let
# the test mount one - not root, no CAP_SYS_ADMIN, a container - it says
# so and skips: test_store_disk's small-disk VFS covers the same path in
# every build).  A transaction that does not fit fails whole (SQLITE_FULL)
# and, until now, its frames kept the WAL - and so the disk - full for as
# long as the daemon held the database open.  Now the connection whose
# write failed checkpoints and truncates the WAL: the space is free again
# at once; /healthz is 503 while less than storage.min_free is free,
# saying so; and once the disk has room again the running daemon writes
# and sends as before, without a restart, with nothing lost.
. "$TOP/tests/integration/lib.sh"
setup

d() { "$DUBAN" "$@"; }
count() { sql "select count(*) from message where $1"; }
is() { [ "$(eval "$1")" = "$2" ]; }
hz() { CODE=$(curl -s -o "$T/resp" -w '%{http_code}' "$API/healthz"); }
jf() { jq -r "$1" "$T/resp"; }
avail() { df -B1 --output=avail "$MNT" | tail -1 | tr -d ' '; }
wal() { stat -c %s "$MNT/duban.db-wal" 2>/dev/null || echo 0; }
post() {
	CODE=$(curl -s -o "$T/resp" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
		-H 'Content-Type: application/json' -d "$1" "$API/v1/messages")
}

MNT="$T/disk"
mkdir "$MNT"
if ! mount -t tmpfs -o size=24m,mode=0700 duban-test "$MNT" 2>"$T/mount.err"; then
	why=$(head -1 "$T/mount.err")
	echo "ok - a full disk, on a tmpfs # SKIP cannot mount a tmpfs here${why:+ ($why)}; test_store_disk covers SQLITE_FULL with its small-disk VFS"
	exit 0
fi
# Unmount before lib.sh's cleanup removes $T (the daemon first: it holds the files).
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done; for p in $PIDS; do wait "$p" 2>/dev/null; done
	umount "$MNT" 2>/dev/null; cleanup' EXIT INT TERM
ok "a 24 MiB tmpfs for the database"

d token new t >"$T/token.out"
TOKEN=$(sed -n 3p "$T/token.out" | tr -d ' ')
start_sim || exit 1
sed -i 's/^log = .*/log = { level = "info"; };/; s/^quiet_hours = .*/quiet_hours = { enabled = false; from = "21:00"; to = "08:00"; };/' \
	"$DUBAN_CONFIG"
sed -i "s|^database = .*|database = \"$MNT/duban.db\";|" "$DUBAN_CONFIG"
cat >>"$DUBAN_CONFIG" <<CFG
providers = ( { name = "sim"; type = "http"; url = "$SIM_URL/sms/send"; } );
dispatcher = { poll_ms = 100; };
storage = { min_free = "4M"; };
http = { listen = "127.0.0.1:0"; tokens = ( $(grep 'sha256 =' "$T/token.out" | sed 's/^ *//') ); };
CFG
sql() { sqlite3 -batch -noheader -cmd ".timeout 10000" "$MNT/duban.db" "$1"; }
d init >/dev/null
start_duban || exit 1
printf '+8615900000%03d\t第%d号通知：请按时参加防汛演练\n' 1 1 2 2 3 3 4 4 5 5 6 6 7 7 8 8 9 9 10 10 >"$T/ten.tsv"
check "10 messages before the disk fills" d send --from-file "$T/ten.tsv"
wait_for 20 is "count \"status = 'sent'\"" 10 && ok "and they are sent" || notok "and they are sent"
hz
expect_eq "/healthz: ok, with the free space" "$CODE $(jf .status) $(jf '.disk.free_bytes > 4194304')" "200 ok true"

# ---- the disk fills ----------------------------------------------------------------------------------
sql "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
head -c $(($(avail) - 2 * 1024 * 1024)) /dev/zero >"$MNT/filler"
hz
expect_eq "2 MiB left, under storage.min_free: /healthz 503" "$CODE $(jf .status) $(jf .disk.ok)" "503 down false"
expect_grep "  saying why" "free on the database's filesystem, less than storage.min_free (4.0 MiB)" "$T/resp"
expect_eq "  and so do its reasons, in words" "$(jf '.reasons[0]' | grep -c 'less than storage.min_free')" 1
awk 'BEGIN { for (i = 1; i <= 20000; i++) printf "+86159%08d\t第%d号通知：明天上午九点在镇政府三楼会议室召开防汛工作会议\n", i, i }' >"$T/big.tsv"
expect_exit "20000 messages do not fit: refused" 1 d send --from-file "$T/big.tsv"
expect_grep "  because the disk is full" 'disk is full' "$T/last.err"
expect_eq "  nothing of it was queued, nothing before was lost" "$(count 1) $(count "status = 'sent'")" "10 10"
W=$(wal)
[ "$W" -lt 262144 ] && ok "the failed transaction does not keep the WAL full ($W bytes)" ||
	notok "the failed transaction does not keep the WAL full ($W bytes)"
A=$(avail)
[ "$A" -gt $((3 * 1024 * 1024 / 2)) ] && ok "its space is free again ($A bytes)" ||
	notok "its space is free again ($A bytes free)"
expect_grep "the connection says what it did" 'a write failed: the disk is full: the WAL is checkpointed and truncated' \
	"$T/last.err"

# ---- full to the last byte, then room again ----------------------------------------------------------
cat /dev/zero >"$MNT/filler2" 2>/dev/null
post '{"to": "13800138000", "text": "磁盘满时的消息"}'
expect_eq "a message queued through the API while the disk is full: refused (500)" "$CODE" 500
expect_grep "  saying the disk is full" 'disk is full' "$T/resp"
rm -f "$MNT/filler" "$MNT/filler2"
post '{"to": "13800138000", "text": "磁盘有空间后的消息"}'
expect_eq "room again: the running daemon queues it (201), no restart" "$CODE" 201
ID=$(jf .id)
wait_for 20 is "count \"id = $ID and status = 'sent'\"" 1 && ok "  and sends it" || notok "  and sends it"
expect_eq "nothing lost: the 10 before and the new one, all sent" "$(count "status = 'sent'") $(count 1)" "11 11"
hz
expect_eq "/healthz is ok again" "$CODE $(jf .status) $(jf .disk.ok)" "200 ok true"

kill -TERM "$DPID"
wait "$DPID"
expect_eq "duban run stops cleanly" "$?" 0
exit 0
