#!/bin/sh
# Install the Debian packages duban needs to build and test, but only those
# pkg-config (or the shell) cannot find.  As root it runs apt-get itself;
# otherwise it prints the exact command and fails.
#
# With --check it installs nothing, as root or not: it names what is
# missing and fails.  Plain `make` runs that (a build on a server must not
# call apt-get); `make setup`, `make check` and `make demo` install.
set -eu

check_only=false
[ "${1:-}" = "--check" ] && check_only=true

need=""
want_pc() {  # pkg-config module -> Debian package
	pkg-config --exists "$1" 2>/dev/null || need="$need $2"
}
want_cmd() { # command -> Debian package
	command -v "$1" >/dev/null 2>&1 || need="$need $2"
}

command -v pkg-config >/dev/null 2>&1 || need="$need pkg-config"
want_pc libcurl       libcurl4-openssl-dev
want_pc sqlite3       libsqlite3-dev
want_pc libconfig     libconfig-dev
want_pc libmicrohttpd libmicrohttpd-dev
want_pc jansson       libjansson-dev
want_pc libcrypto     libssl-dev
want_pc libsystemd    libsystemd-dev  # sd_notify: readiness and reloads under systemd
want_cmd cc           gcc
want_cmd make         make
want_cmd msgfmt       gettext   # builds the message catalogues (po/*.po)
$check_only || {  # what the tests need, beyond the build
want_pc cmocka        libcmocka-dev
want_cmd sqlite3      sqlite3   # tests read the database directly
want_cmd jq           jq        # tests read JSON output
want_cmd curl         curl      # tests call the HTTP API
want_cmd iconv        libc-bin
want_cmd openssl      openssl   # tests sign callbacks (HMAC-SHA256)
# The packaging tests: make deb, lintian, systemd-analyze verify, man pages.
want_cmd dh              debhelper
want_cmd dpkg-buildpackage dpkg-dev
want_cmd fakeroot        fakeroot
want_cmd lintian         lintian
want_cmd systemd-analyze systemd
want_cmd groff           groff-base
want_cmd setpriv         util-linux  # t_staff runs commands as other users
# bench/notice.sh measures peak memory with GNU time (not the shell's keyword)
[ -x /usr/bin/time ] || need="$need time"
[ -e /usr/share/zoneinfo/Asia/Shanghai ] || need="$need tzdata"
# the staff console's browser tests (tests/browser): headless Chromium,
# its WebDriver, selenium for Debian's python3, and a Chinese font for
# the screenshots
[ -x /usr/bin/chromium ] || need="$need chromium"
[ -x /usr/bin/chromedriver ] || need="$need chromium-driver"
/usr/bin/python3 -c 'import selenium' 2>/dev/null || need="$need python3-selenium"
[ -e /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] || need="$need fonts-wqy-zenhei"
}

[ -z "$need" ] && exit 0

cmd="apt-get install -y --no-install-recommends$need"
if $check_only; then
	echo "duban: missing packages:$need" >&2
	echo "duban: install them with \"make setup\" as root, or:  apt-get update && $cmd" >&2
	exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "duban: missing packages:$need" >&2
	echo "duban: run as root:  apt-get update && $cmd" >&2
	exit 1
fi
echo "duban: installing$need" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || true
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $need >&2
