#!/bin/sh
# t_reload_log.sh - the log file of `duban run`: created 0600 whatever the
# umask lets through; reopened on SIGHUP after logrotate moved it, also
# when the new configuration is refused; an existing file others may read
# narrowed to 0640, saying so in it; switched to another file, or back to
# standard error, by a reload; a file that cannot be opened at a reload
# leaves the log where it was, and at start-up stops duban run.
. "$TOP/tests/integration/lib.sh"
setup

umask 022
mode() { stat -c %a "$1"; }
has() { grep -q -- "$2" "$T/$1" 2>/dev/null; }
lines() { grep -c -- "$2" "$T/$1" 2>/dev/null; }
reloaded() { [ "$(lines "$1" 'configuration reloaded')" -ge "$2" ]; }
status_is() { [ "$(sql "select status from message")" = "$1" ]; }

start_sim || exit 1
sed -i '/^log = /d; s/^quiet_hours = .*/quiet_hours = { enabled = false; from = "21:00"; to = "08:00"; };/' \
	"$DUBAN_CONFIG"
cat >>"$DUBAN_CONFIG" <<CFG
providers = ( { name = "sim"; type = "http"; url = "$SIM_URL/sms/send"; } );
dispatcher = { poll_ms = 100; };
CFG
cp "$DUBAN_CONFIG" "$T/base.cfg"
# write_cfg [LOGFILE]: the base and the log group (none: standard error).
write_cfg() {
	cp "$T/base.cfg" "$DUBAN_CONFIG"
	if [ -n "${1-}" ]; then
		echo "log = { level = \"info\"; file = \"$1\"; };" >>"$DUBAN_CONFIG"
	else
		echo 'log = { level = "info"; };' >>"$DUBAN_CONFIG"
	fi
}
hup() { kill -HUP "$DPID"; }

write_cfg "$T/duban.log"
check "duban init" "$DUBAN" init
"$DUBAN" run 2>>"$T/stderr.log" &
DPID=$!
PIDS="$PIDS $DPID"
wait_for 10 has duban.log 'running:' && ok "duban run logs to log.file" ||
	{ notok "duban run logs to log.file"; cat "$T/stderr.log"; exit 1; }
expect_eq "the log file is created 0600 (umask 022)" "$(mode "$T/duban.log")" 600

# ---- logrotate: move the file, then SIGHUP --------------------------------------------------
mv "$T/duban.log" "$T/duban.log.1"
hup
wait_for 10 reloaded duban.log 1 && ok "after SIGHUP the log goes to a new file" ||
	notok "after SIGHUP the log goes to a new file"
expect_eq "the new file is 0600 too" "$(mode "$T/duban.log")" 600
expect_eq "nothing more in the moved one" "$(lines duban.log.1 'configuration reloaded')" 0

# The configuration on disk is broken at the moment logrotate sends SIGHUP.
mv "$T/duban.log" "$T/duban.log.2"
sed 's/type = "http"/type = "carrier-pigeon"/' "$T/base.cfg" >"$DUBAN_CONFIG"
echo "log = { level = \"info\"; file = \"$T/duban.log\"; };" >>"$DUBAN_CONFIG"
hup
wait_for 10 has duban.log 'configuration not reloaded' &&
	ok "a refused configuration still reopens the log" ||
	notok "a refused configuration still reopens the log"
expect_eq "it is 0600" "$(mode "$T/duban.log" 2>/dev/null)" 600
expect_eq "and the refusal is not in the moved file" "$(lines duban.log.2 'not reloaded')" 0

# ---- an existing file others may read -----------------------------------------------------
write_cfg "$T/duban.log"
chmod 0644 "$T/duban.log"
hup
wait_for 10 reloaded duban.log 1 || notok "reloaded with a 0644 log file"
expect_eq "a 0644 log file is narrowed to 0640" "$(mode "$T/duban.log")" 640
expect_grep "and the log says so" "duban.log had mode 0644; narrowed to 0640" "$T/duban.log"
chmod 0600 "$T/duban.log"

# ---- another file, a file that cannot be opened, standard error ------------------------------
write_cfg "$T/other.log"
hup
wait_for 10 reloaded other.log 1 && ok "a reload switches to another log file" ||
	notok "a reload switches to another log file"
expect_eq "created 0600" "$(mode "$T/other.log")" 600
before=$(lines duban.log .)
write_cfg "$T/no-such-dir/duban.log"
hup
wait_for 10 reloaded other.log 2 && ok "a log file that cannot be opened does not stop a reload" ||
	notok "a log file that cannot be opened does not stop a reload"
expect_grep "the reason is logged where the log was" \
	"log file $T/no-such-dir/duban.log: No such file or directory; still logging where it did before" \
	"$T/other.log"
expect_eq "nothing went to the first file meanwhile" "$(lines duban.log .)" "$before"
write_cfg
hup
wait_for 10 reloaded stderr.log 1 && ok "without log.file a reload logs to standard error" ||
	notok "without log.file a reload logs to standard error"
expect_eq "and no longer to the file" "$(lines other.log 'configuration reloaded')" 2
kill -0 "$DPID" 2>/dev/null && ok "the daemon ran through all of it" || notok "the daemon died"
check "a message still goes out" "$DUBAN" send 13800138000 "日志测试"
wait_for 10 status_is sent && ok "and is sent" || notok "and is sent"
kill -TERM "$DPID"
wait "$DPID"
expect_eq "SIGTERM: exit status 0" "$?" 0

# ---- at start-up ---------------------------------------------------------------------------------
write_cfg "$T/no-such-dir/duban.log"
expect_exit "duban run refuses a log file it cannot open" 1 "$DUBAN" run
expect_grep "naming it" "no-such-dir/duban.log: cannot open the log file" "$T/last.err"
exit 0
