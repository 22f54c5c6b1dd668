#!/bin/sh
# t_install.sh - what the county's IT installs.  `make install` with
# DESTDIR into a temporary root puts every file in its FHS place with its
# mode (the secrets 0600, the state folder setgid); the installed
# configuration points at those places and passes `config check`; the man
# pages name every command and option of `duban --help` and every
# top-level key of etc/duban.cfg, and format without a warning; the unit
# passes `systemd-analyze verify`; `make deb` builds the package with
# debhelper and lintian reports no error (nor warning) on it; and the
# package installs, runs, upgrades and purges in a copy-on-write root.  setup.sh
# installs debhelper, lintian and systemd for make check.
. "$(dirname "$0")/lib.sh"
setup
R="$T/root"
mk() { make -s -C "$TOP" --no-print-directory BUILD="$BUILD" "$@"; }
check "make install DESTDIR=... PREFIX=/usr" mk install DESTDIR="$R" PREFIX=/usr
mode() { stat -c '%a' "$R$1" 2>/dev/null || echo missing; }
for f in /usr/bin/duban:755 /usr/share/man/man1/duban.1:644 /usr/share/man/man5/duban.cfg.5:644 \
	/usr/share/man/man5/duban-rules.5:644 /etc/duban/duban.cfg:640 /etc/duban/secrets:600 \
	/etc/duban/rules/default.cfg:644 /etc/duban/templates/reminder.txt:644 \
	/lib/systemd/system/duban.service:644 /etc/logrotate.d/duban:644 /var/lib/duban:2770; do
	expect_eq "installed: ${f%%:*} (${f##*:})" "$(mode "${f%%:*}")" "${f##*:}"
done
expect_eq "every template and rule file is installed" \
	"$(cd "$R/etc/duban" && find templates rules -type f | sort)" \
	"$(cd "$TOP" && find templates rules -type f | sort)"
expect_grep "the installed configuration names the FHS database" \
	'^database = "/var/lib/duban/duban.db";' "$R/etc/duban/duban.cfg"
expect_eq "the console's files are installed" \
	"$(cd "$R/usr/share/duban/web" && find . -type f | sort)" "$(cd "$TOP/web" && find . -type f | sort)"
expect_grep "  and the configuration points at them" \
	'^  web_root = "/usr/share/duban/web";' "$R/etc/duban/duban.cfg"
expect_grep "  and the installed calendar" \
	'^calendar = "/usr/share/duban/calendar/cn.cfg";' "$R/etc/duban/duban.cfg"
sed "s|^rules_dir = .*|rules_dir = \"$R/etc/duban/rules\";|; s|^templates_dir = .*|templates_dir = \"$R/etc/duban/templates\";|; s|^calendar = .*|calendar = \"$R/usr/share/duban/calendar/cn.cfg\";|" \
	"$R/etc/duban/duban.cfg" >"$T/installed.cfg"
check "  and passes config check with the installed rules and templates" \
	"$R/usr/bin/duban" -c "$T/installed.cfg" config check
expect_grep "the unit runs the installed binary on the installed configuration" \
	'^ExecStart=/usr/bin/duban -c /etc/duban/duban.cfg run$' "$R/lib/systemd/system/duban.service"
check "make uninstall removes the program" mk uninstall DESTDIR="$R" PREFIX=/usr
expect_eq "  but keeps the configuration and the state" \
	"$(mode /usr/bin/duban) $(mode /etc/duban/secrets) $(mode /var/lib/duban)" "missing 600 2770"

# ---- the man pages -----------------------------------------------------------------------
M="$TOP/man"
"$DUBAN" --help >"$T/help"
awk '/^Commands:/ { on = 1; next } /^$/ { on = 0 } on { print }' "$T/help" >"$T/commands"
missing=""
while read -r name summary; do
	head=$(grep -m1 "^\.B $name\( \|$\)" "$M/duban.1") || { missing="$missing $name"; continue; }
	# "people: add, list, show": every subcommand is in the page's heading of the command.
	list=$(printf '%s\n' "$summary" | sed -n 's/.*: \([a-z-]*\(, [a-z-]*\)*\)$/\1/p')
	for w in $(printf '%s' "$list" | tr -d ','); do
		case "$head" in *"$w"*) ;; *) missing="$missing $name:$w" ;; esac
	done
done <"$T/commands"
expect_eq "duban(1) has every command of --help, with its subcommands" "$missing" ""
expect_eq "  (there are commands to compare: $(wc -l <"$T/commands"))" "$(test "$(wc -l <"$T/commands")" -ge 15 && echo y)" y
missing=""
for o in $(grep -o -- '--[a-z][a-z-]*' "$T/help" | sort -u); do
	grep -q -- "$(printf '%s' "$o" | sed 's/-/\\\\-/g')" "$M/duban.1" || missing="$missing $o"
done
expect_eq "  and every option of --help" "$missing" ""
missing=""
for k in $(sed -n 's/^\([a-z_]*\) = .*/\1/p' "$TOP/etc/duban.cfg"); do
	grep -q "$k" "$M/duban.cfg.5" || missing="$missing $k"
done
expect_eq "duban.cfg(5) has every top-level key of etc/duban.cfg" "$missing" ""
for p in duban.1 duban.cfg.5 duban-rules.5; do
	expect_eq "$p formats without a warning" \
		"$(LC_ALL=C.UTF-8 groff -k -man -Tutf8 -ww -z "$M/$p" 2>&1 | head -3)" ""
done

# ---- the unit ----------------------------------------------------------------------------
mk install DESTDIR="$R" PREFIX=/usr >/dev/null
# verify looks for ExecStart's binary on this machine: point it at the one installed in $R.
sed "s|/usr/bin/duban|$R/usr/bin/duban|" "$R/lib/systemd/system/duban.service" >"$T/duban.service"
check "systemd-analyze verify passes on the unit" systemd-analyze verify --man=no "$T/duban.service"
systemd-analyze security --offline=yes "$T/duban.service" >"$T/security" 2>&1
expect_grep "systemd-analyze security rates it OK or better" 'Overall exposure level for duban.service: [0-2]\.[0-9] \(OK\|SAFE\)' "$T/security"
grep 'Overall' "$T/security" | sed 's/^/# /'

# ---- the Debian package ------------------------------------------------------------------
check "make deb builds the package" mk deb
DEB=$(ls "$TOP"/build-deb/duban_*_*.deb 2>/dev/null | head -1)
[ -n "$DEB" ] && ok "  a .deb: ${DEB##*/}" || { notok "no .deb"; exit 1; }
dpkg-deb -c "$DEB" >"$T/contents"
for f in ./usr/bin/duban ./lib/systemd/system/duban.service ./etc/duban/duban.cfg ./etc/duban/secrets \
	./usr/share/man/man1/duban.1.gz ./usr/share/man/man5/duban.cfg.5.gz ./etc/logrotate.d/duban; do
	expect_grep "  it holds $f" " $f\$" "$T/contents"
done
expect_grep "  the secrets file is 0600 in it" '^-rw------- root/root .* ./etc/duban/secrets$' "$T/contents"
dpkg-deb -f "$DEB" Depends >"$T/depends"
for l in libcurl4 libsqlite3-0 libconfig9 libmicrohttpd12 libjansson4 libssl3 libsystemd0 adduser; do
	expect_grep "  it depends on $l" "$l" "$T/depends"
done
dpkg-deb -e "$DEB" "$T/control"
for m in postinst postrm; do
	check "  its $m is valid sh" sh -n "$T/control/$m"
done
expect_grep "  postinst creates the system user duban" 'adduser --system .*duban' "$T/control/postinst"
expect_grep "  and the setgid state folder" 'install -d -o duban -g duban -m 2770 /var/lib/duban' "$T/control/postinst"
expect_grep "  and enables the service (Debian's default)" "deb-systemd-helper enable 'duban.service'" "$T/control/postinst"
# ---- the package installed: a copy-on-write root in namespaces of its own --------------
# An overlay of / in a private mount namespace with its own network (only
# loopback), chrooted: dpkg -i runs the real maintainer scripts there
# (adduser, the state folder, duban init as duban), the daemon runs as
# duban, a clerk added to the group works without secrets, and purge
# removes the user and the data - none of it touching this machine.
pkg_root() {
	O="$T/ovl"
	mkdir -p "$O/upper" "$O/work" "$O/root" "$O/out"
	cp "$DEB" "$O/out/duban.deb"
	cp "$TOP/tests/integration/lib.sh" "$O/out/lib.sh" # wait_for, inside the root too
	cat >"$O/inside.sh" <<'INSIDE'
set -u
. /mnt/lib.sh
r() { echo "$1=$(sh -c "$2" 2>&1 | tr '\n' ' ' | sed 's/ *$//')" >>/mnt/results; }
unset DUBAN_CONFIG DUBAN_NOW
ip link set lo up
r install 'dpkg -i /mnt/duban.deb >/mnt/dpkg.log 2>&1; echo $?'
r user 'id -un duban; id -gn duban'
r state 'stat -c "%a %U %G" /var/lib/duban'
r db 'stat -c "%a %U %G" /var/lib/duban/duban.db'
r secrets 'stat -c "%a %U" /etc/duban/secrets'
r enabled 'readlink /etc/systemd/system/multi-user.target.wants/duban.service'
runuser -u duban -- /usr/bin/duban -c /etc/duban/duban.cfg run 2>/mnt/run.log &
wait_for 10 grep -q running: /mnt/run.log
r running 'grep -c "running: database /var/lib/duban/duban.db" /mnt/run.log'
r lock 'sed "s/ pid [0-9]*.*//" /var/lib/duban/duban.db.lock'
useradd --no-create-home --groups duban clerk
r clerk 'runuser -u clerk -- duban person add --name 李明 --phone 13800138000 >/dev/null; echo $?'
r clerk_list 'runuser -u clerk -- duban person list --format csv | grep -c 李明'
pkill_pid=$(cat /proc/*/stat 2>/dev/null | awk "\$2 == \"(duban)\" { print \$1 }" | head -1)
kill -TERM "$pkill_pid"
stopped() { ! grep -q running: /mnt/run.log || grep -q stopped: /mnt/run.log; }
wait_for 10 stopped
r stopped 'grep -c "duban info: stopped:" /mnt/run.log'
r reinstall 'dpkg -i /mnt/duban.deb >>/mnt/dpkg.log 2>&1; echo $?'
r kept 'runuser -u clerk -- duban person list --format csv | grep -c 李明'
userdel clerk
r purge 'dpkg --purge duban >>/mnt/dpkg.log 2>&1; echo $?'
r gone 'id duban >/dev/null 2>&1 && echo user; test -e /var/lib/duban && echo data; test -e /usr/bin/duban && echo bin; echo none'
INSIDE
	cat >"$O/outside.sh" <<OUTSIDE
set -e
mount -t overlay overlay -o lowerdir=/,upperdir=$O/upper,workdir=$O/work $O/root
mount -t proc proc $O/root/proc
mount --rbind /dev $O/root/dev
mount -t tmpfs tmpfs $O/root/tmp
mount --bind $O/out $O/root/mnt
cp $O/inside.sh $O/out/inside.sh
chroot $O/root /bin/sh /mnt/inside.sh
OUTSIDE
	unshare --mount --net --pid --fork --propagation private sh "$O/outside.sh" >"$T/ovl.log" 2>&1
}
res() { sed -n "s/^$1=//p" "$T/ovl/out/results"; }
if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null ||
	! unshare --mount --net --propagation private sh -c "mkdir -p '$T/probe/u' '$T/probe/w' '$T/probe/m' &&
		mount -t overlay overlay -o lowerdir=/,upperdir='$T/probe/u',workdir='$T/probe/w' '$T/probe/m'" 2>"$T/probe.err"; then
	echo "ok - the package installed, run and purged # SKIP needs root and an overlay mount in a namespace ($(head -1 "$T/probe.err" 2>/dev/null))"
else
	pkg_root
	sed 's/^/# /' "$T/ovl.log" | head -20
	expect_eq "dpkg -i installs the package" "$(res install)" 0
	expect_eq "  it created the system user and group duban" "$(res user)" "duban duban"
	expect_eq "  /var/lib/duban: setgid, group duban" "$(res state)" "2770 duban duban"
	expect_eq "  the database, created by duban init as duban" "$(res db)" "660 duban duban"
	expect_eq "  the secrets file: root's" "$(res secrets)" "600 root"
	expect_eq "  the service is enabled" "$(res enabled)" "/lib/systemd/system/duban.service"
	expect_eq "the daemon runs as duban on the installed configuration" "$(res running)" 1
	expect_eq "  holding the instance lock" "$(res lock)" "duban run on host $(hostname),"
	expect_eq "a clerk added to group duban writes, without secrets" "$(res clerk) $(res clerk_list)" "0 1"
	expect_eq "  and SIGTERM stops the daemon" "$(res stopped)" 1
	expect_eq "dpkg -i again (an upgrade's scripts) keeps the data" "$(res reinstall) $(res kept)" "0 1"
	expect_eq "dpkg --purge removes the user, the data and the program" "$(res purge) $(res gone)" "0 none"
fi

lintian "$DEB" >"$T/lintian" 2>&1
sed 's/^/# /' "$T/lintian"
expect_eq "lintian: no error" "$(grep -c '^E:' "$T/lintian")" 0
expect_eq "lintian: no warning" "$(grep -c '^W:' "$T/lintian")" 0
exit 0
