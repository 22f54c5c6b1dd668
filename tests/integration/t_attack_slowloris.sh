#!/bin/sh
# t_attack_slowloris.sh - 300 connections from 127.0.0.1 that trickle
# their request headers a byte at a time (a slowloris, reconnecting when
# the server closes one) cannot take the HTTP server down: /healthz from
# the same address keeps answering within a second throughout.  The
# server gives an address at most http.connections_per_address
# connections, the one that waited longest making room for a new one,
# keeps a reserve of connections for new clients, and closes a
# connection that has not sent its whole header http.header_timeout
# after it opened, however steadily it trickles.  The attacker is perl
# (IO::Socket from perl-base): the shell has no sockets.
. "$TOP/tests/integration/lib.sh"
setup

N=300
sed -i 's/^log = .*/log = { level = "info"; };/' "$DUBAN_CONFIG"
cat >>"$DUBAN_CONFIG" <<CFG
providers = ( { name = "sim"; type = "http"; url = "http://127.0.0.1:9/sms/send"; } );
http = { listen = "127.0.0.1:0"; };
CFG
"$DUBAN" init >/dev/null
start_duban || exit 1

# The attacker: N connections, each sending one byte of a header every half
# second, reopened when the server closes it.  $T/loris holds "opened closed".
cat >"$T/loris.pl" <<'PERL'
use strict;
use IO::Socket::INET;
use IO::Select;
my ($port, $n, $stop, $out) = @ARGV;
my $hdr = "GET /healthz HTTP/1.1\r\nHost: x\r\n" . ("X-Slow: abcdefgh\r\n" x 10000);
my (@sock, @pos);
my ($opened, $closed) = (0, 0);
$SIG{PIPE} = 'IGNORE';
sub reopen {
	my $i = shift;
	$sock[$i] = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port", Timeout => 2);
	$pos[$i] = 0;
	$opened++ if $sock[$i];
}
reopen($_) for 0 .. $n - 1;
my $end = time + 120;
while (!-e $stop && time < $end) {
	for my $i (0 .. $n - 1) {
		my $s = $sock[$i];
		if (!$s) { reopen($i); next; }
		my $gone = IO::Select->new($s)->can_read(0);  # an answer or the end: closed
		if (!$gone) {
			my $w = syswrite($s, substr($hdr, $pos[$i], 1));
			$gone = !defined $w || $w != 1;
			$pos[$i]++;
		}
		if ($gone) { close $s; $closed++; reopen($i); }
	}
	open my $f, '>', "$out.tmp" or die; print $f "$opened $closed\n"; close $f;
	rename "$out.tmp", $out;
	select undef, undef, undef, 0.5;
}
PERL
perl "$T/loris.pl" "$HTTP_PORT" $N "$T/stop" "$T/loris" 2>"$T/loris.err" &
LORIS=$!
PIDS="$PIDS $LORIS"
opened() { [ -s "$T/loris" ] && [ "$(cut -d' ' -f1 "$T/loris")" -ge "$1" ]; }
wait_for 20 opened $N && ok "$N trickling connections opened" || notok "$N trickling connections opened"

# /healthz, again and again, for longer than http.header_timeout (10 s):
# each must answer 200 within a second.
end=$(( $(date +%s) + 15 ))
checks=0 slow=0
while [ "$(date +%s)" -lt "$end" ]; do
	code=$(curl -s -m 1 -o /dev/null -w '%{http_code}' "$API/healthz")
	checks=$((checks + 1))
	[ "$code" = 200 ] || { slow=$((slow + 1)); echo "# /healthz: $code"; }
done
expect_eq "/healthz answered 200 within 1 s every time during the attack ($checks checks)" "$slow" 0
closed=$(cut -d' ' -f2 "$T/loris")
[ "$closed" -ge $N ] && ok "the server closed trickling connections ($closed)" ||
	notok "the server closed trickling connections ($closed)"
: >"$T/stop"
wait "$LORIS"
code=$(curl -s -m 1 -o /dev/null -w '%{http_code}' "$API/healthz")
expect_eq "/healthz after the attack" "$code" 200

# One connection alone, a byte every half second: under every limit, but
# its header is not whole 10 s after it opened, so it is closed then -
# an idle timer would let it trickle for ever.
rm -f "$T/stop"
started=$(date +%s)
perl "$T/loris.pl" "$HTTP_PORT" 1 "$T/stop" "$T/lone" 2>>"$T/loris.err" &
PIDS="$PIDS $!"
lone_closed() { [ -s "$T/lone" ] && [ "$(cut -d' ' -f2 "$T/lone")" -ge 1 ]; }
wait_for 20 lone_closed && ok "a lone trickling connection is closed" ||
	notok "a lone trickling connection is closed"
took=$(( $(date +%s) - started ))
[ "$took" -ge 9 ] && [ "$took" -le 14 ] && ok "  about http.header_timeout (10 s) after it opened: ${took} s" ||
	notok "  about http.header_timeout (10 s) after it opened: ${took} s"
: >"$T/stop"
kill -TERM "$DPID"
wait "$DPID"
expect_eq "duban run stops cleanly" "$?" 0
exit 0
