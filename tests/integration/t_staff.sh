#!/bin/sh
# t_staff.sh - staff use the command line beside the service, as the
# Debian package sets them up: the daemon runs as its own user, the
# database lives in a setgid folder of group "duban" (here a group made
# for the test), and a clerk in that group - without any of the
# providers' secrets in the environment - adds people and tasks, lists
# them and queues a message the daemon then sends.  The database and its
# -wal and -shm files are 0660 of the group, whoever created them; a
# command that sends tells the clerk which secret is missing; someone
# outside the group cannot read the database.  Users and group are made
# with useradd/groupadd and removed at the end, so it needs root (CI runs
# as root); elsewhere it says so and skips.
. "$(dirname "$0")/lib.sh"
setup
if [ "$(id -u)" -ne 0 ] || ! command -v useradd >/dev/null || ! command -v runuser >/dev/null ||
	! command -v setpriv >/dev/null; then
	echo "ok - staff in group duban use the CLI # SKIP needs root, useradd, runuser and setpriv"
	exit 0
fi
# Names unique to this run: other tests may run beside it.
G="dbg$$"; UD="dbd$$"; UC="dbc$$"; UO="dbo$$"
# A world-traversable copy of what the users run: $T and the checkout may be private.
W=$(mktemp -d /tmp/duban-staff.XXXXXX)
gone() {
	for u in "$UD" "$UC" "$UO"; do userdel "$u" 2>/dev/null; done
	groupdel "$G" 2>/dev/null
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	rm -rf "$W"
	cleanup
}
trap gone EXIT INT TERM
groupadd --system "$G" && useradd --system --no-create-home --gid "$G" --shell /usr/sbin/nologin "$UD" &&
	useradd --system --no-create-home --user-group --groups "$G" "$UC" &&
	useradd --system --no-create-home --user-group "$UO" &&
	ok "the daemon's user, a clerk in its group, someone outside it" || { notok "useradd"; exit 1; }
chmod 0755 "$W"
mkdir "$W/bin" "$W/state"
cp "$DUBAN" "$W/bin/duban"
cp -R "$TOP/rules" "$TOP/templates" "$W/"
chown "$UD:$G" "$W/state"
chmod 2770 "$W/state"
start_sim --require-header 'X-Token: s3cret' || exit 1
cat >"$W/duban.cfg" <<CFG
database = "$W/state/duban.db";
timezone = "Asia/Shanghai";
rules_dir = "rules";
templates_dir = "templates";
quiet_hours = { enabled = false; };
log = { level = "info"; };
providers = ( { name = "sim"; type = "http"; url = "$SIM_URL/sms/send";
                headers = { X-Token = "{{env.DUBAN_SIM_SECRET}}"; }; } );
CFG
chmod 0644 "$W/duban.cfg"
unset DUBAN_CONFIG DUBAN_SIM_SECRET
# as USER CMD...: a command of duban as USER, with no provider secret in the environment.
as() { u=$1; shift; env -u DUBAN_SIM_SECRET runuser -u "$u" -- "$W/bin/duban" -c "$W/duban.cfg" "$@"; }
mode() { stat -c '%a %G' "$1"; }

# ---- the daemon's user creates the database and runs the daemon, with the secret ----
check "the daemon's user runs duban init" as "$UD" init
expect_eq "the database is 0660, group $G (the setgid folder)" "$(mode "$W/state/duban.db")" "660 $G"
: >"$T/daemon.log"
# setpriv execs the daemon itself (runuser would stand between it and SIGTERM).
DUBAN_SIM_SECRET=s3cret setpriv --reuid="$UD" --regid="$G" --init-groups \
	"$W/bin/duban" -c "$W/duban.cfg" run 2>>"$T/daemon.log" &
DPID=$!
PIDS="$PIDS $DPID"
wait_for 10 grep -q 'running:' "$T/daemon.log" || { notok "the daemon runs"; sed 's/^/#   /' "$T/daemon.log"; }
expect_eq "its -wal is 0660 of the group" "$(mode "$W/state/duban.db-wal")" "660 $G"
expect_eq "its -shm is 0660 of the group" "$(mode "$W/state/duban.db-shm")" "660 $G"

# ---- the clerk, without the secret ---------------------------------------------------
check "the clerk adds a person" as "$UC" person add --name 李明 --phone "138 0013 8000" --kind official
check "  and a task" as "$UC" task add --title 梅岙塘农田改造工程 --deadline 2030-12-31 --lead 李明
check "  lists them" as "$UC" task list
expect_grep "  (the task is there)" '梅岙塘农田改造工程' "$T/last.out"
check "  reads a report" as "$UC" report tasks
check "  queues a message" as "$UC" send 13800138000 "明天上午9点开会"
sent() { [ "$(sql "SELECT count(*) FROM message WHERE status = 'sent'")" -ge 1 ]; }
sql() { sqlite3 -batch -noheader -cmd ".timeout 10000" "$W/state/duban.db" "$1"; }
wait_for 20 sent && ok "the daemon sends what the clerk queued (with its secret)" ||
	notok "the clerk's message was not sent"
# the simulator writes its record file in batches: wait for the line
wait_for 10 grep -q '"to":"+8613800138000"' "$T/sim.jsonl"
expect_eq "  the provider saw the secret header and the number" \
	"$(grep -c '"to":"+8613800138000"' "$T/sim.jsonl")" 1
expect_exit "config check without the secret: fine, with a note" 0 as "$UC" config check
expect_grep "  the note names the variable" "environment variable DUBAN_SIM_SECRET is not set" "$T/last.out"
expect_exit "config check --providers without the secret: exit 1" 1 as "$UC" config check --providers
expect_exit "duban dispatch without the secret: exit 1" 1 as "$UC" dispatch
expect_grep "  naming the variable and its line" "duban.cfg:8: header 'X-Token': environment variable DUBAN_SIM_SECRET is not set" "$T/last.err"
expect_exit "someone outside the group cannot read the database" 1 as "$UO" person list

# ---- the daemon stopped: the clerk creates the WAL, the daemon's user still works ----
kill -TERM "$DPID"
wait "$DPID"
expect_eq "the daemon stops cleanly" "$?" 0
expect_eq "  and its WAL is gone (SQLite removes it at the last close)" \
	"$(ls "$W/state" | grep -c -- '-wal$')" 0
check "the clerk works with the daemon stopped (creating the WAL in the setgid folder)" \
	as "$UC" person add --name 王芳 --phone 13900139000
expect_eq "  the database stays 0660 of the group" "$(mode "$W/state/duban.db")" "660 $G"
check "the daemon's user works on files the clerk created" as "$UD" tick
exit 0
