#!/bin/sh
# t_install.sh - what the county's IT installs.  `make install` with
# DESTDIR into a temporary root puts every file in its FHS place with its
# mode (the secrets 0600, the state folder setgid); the installed
# configuration points at those places and passes `config check`; the man
# pages name every command and option of `duban --help` and every
# top-level key of etc/duban.cfg, and format without a warning; the unit
# passes `systemd-analyze verify`; `make deb` builds the package with
# debhelper and lintian reports no error (nor warning) on it.  setup.sh
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
sed "s|^rules_dir = .*|rules_dir = \"$R/etc/duban/rules\";|; s|^templates_dir = .*|templates_dir = \"$R/etc/duban/templates\";|" \
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
lintian "$DEB" >"$T/lintian" 2>&1
sed 's/^/# /' "$T/lintian"
expect_eq "lintian: no error" "$(grep -c '^E:' "$T/lintian")" 0
expect_eq "lintian: no warning" "$(grep -c '^W:' "$T/lintian")" 0
exit 0
