#!/bin/sh
# t_notify.sh - duban run under systemd's Type=notify: it tells systemd
# READY=1 once it runs (with its PID and a STATUS), RELOADING=1 and READY=1
# again around an accepted SIGHUP, nothing for a refused one (here: a
# provider secret missing from the daemon's environment), and
# STOPPING=1 on SIGTERM.  systemd's side is a Unix datagram socket named
# by NOTIFY_SOCKET; here perl reads it and writes each message on a line.
. "$(dirname "$0")/lib.sh"
setup
start_sim || exit 1
cat >>"$DUBAN_CONFIG" <<CFG
providers = ( { name = "sim"; type = "http"; url = "$SIM_URL/sms/send"; } );
CFG
sed -i 's/^log = { level = "warn"; };$/log = { level = "info"; };/' "$DUBAN_CONFIG"
check "duban init" "$DUBAN" init
perl -MIO::Socket::UNIX -e '
	$| = 1;
	my $s = IO::Socket::UNIX->new(Type => SOCK_DGRAM(), Local => $ARGV[0]) or die "socket: $!";
	open(my $ready, ">", "$ARGV[0].up") or die; close($ready);
	while (defined $s->recv(my $m, 4096)) { $m =~ s/\n/ /g; print "$m\n"; }
' "$T/notify.sock" >"$T/notify.log" 2>"$T/notify.err" &
PIDS="$PIDS $!"
wait_for 10 test -e "$T/notify.sock.up" || notok "the notify socket listens"
has() { grep -q "$1" "$T/notify.log"; }
: >"$T/daemon.log"
NOTIFY_SOCKET="$T/notify.sock" "$DUBAN" run 2>>"$T/daemon.log" &
DPID=$!
PIDS="$PIDS $DPID"
wait_for 10 has 'READY=1' && ok "READY=1 once it runs" || notok "no READY=1"
expect_grep "  with its PID and a status" "READY=1 STATUS=running: 1 providers MAINPID=$DPID" "$T/notify.log"
wait_for 10 grep -q 'running:' "$T/daemon.log" && ok "  and its log says running" || notok "running"
kill -HUP "$DPID"
wait_for 10 has 'STATUS=configuration reloaded' && ok "an accepted SIGHUP: READY=1 again when reloaded" ||
	notok "no READY after the reload"
expect_eq "  after RELOADING=1" "$(grep -c '^RELOADING=1' "$T/notify.log")" 1
# A provider secret the daemon's environment lacks: what sends needs it, so the reload is refused.
sed -i "s|url = \"$SIM_URL/sms/send\"; }|url = \"$SIM_URL/sms/send\"; headers = { X-Token = \"{{env.DUBAN_T_NOTIFY_UNSET}}\"; }; }|" "$DUBAN_CONFIG"
unset DUBAN_T_NOTIFY_UNSET
kill -HUP "$DPID"
wait_for 10 grep -q 'configuration not reloaded' "$T/daemon.log" &&
	ok "a SIGHUP whose providers lack a secret is refused" || notok "refused"
expect_grep "  naming the variable" "SIGHUP: .*environment variable DUBAN_T_NOTIFY_UNSET is not set" "$T/daemon.log"
kill -0 "$DPID" && ok "  and the daemon runs on" || notok "the daemon died"
expect_eq "  sends no RELOADING=1" "$(grep -c '^RELOADING=1' "$T/notify.log")" 1
kill -TERM "$DPID"
wait "$DPID"
expect_eq "SIGTERM: exit 0" "$?" 0
expect_grep "  after STOPPING=1" '^STOPPING=1' "$T/notify.log"
exit 0
