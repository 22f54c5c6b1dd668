#!/bin/sh
# t_browser.sh - the staff console in a real browser: headless Chromium
# (Debian's chromium and chromium-driver, driven by python3-selenium)
# against the real duban run, a real database and the simulator.  The
# scenarios are tests/browser/console.py; each prints one TAP line, and a
# failing one saves a screenshot under $T and prints its path.
. "$TOP/tests/integration/lib.sh"
setup

PY=/usr/bin/python3
if ! [ -x /usr/bin/chromium ] || ! [ -x /usr/bin/chromedriver ] ||
   ! "$PY" -c 'import selenium' 2>/dev/null; then
	notok "chromium, chromium-driver and python3-selenium are installed (scripts/setup.sh)"
	exit 1
fi

# 卢金水's number is refused by the provider: the notice has a failed number.
start_sim --reject '^\+?(86)?17768094605$' || exit 1
cat >>"$DUBAN_CONFIG" <<CFG
providers = ( { name = "sim"; type = "http"; url = "$SIM_URL/sms/send"; callback_secret = "browser-mo-secret"; } );
http = { listen = "127.0.0.1:0"; };
console = { web_root = "$TOP/web"; };
notices = { require_approval = true; };
CFG
sed -i 's/^quiet_hours = .*/quiet_hours = { enabled = false; from = "21:00"; to = "08:00"; };/; s/^log = .*/log = { level = "info"; };/' \
	"$DUBAN_CONFIG"
"$DUBAN" init >/dev/null
"$DUBAN" person import "$TOP/examples/xiaoxiong/people.csv" >/dev/null
for a in "wangfang 王芳 clerk" "linzy 林志远 approver" "chenxia 陈霞 viewer" "zhoujie 周杰 clerk"; do
	set -- $a
	echo "console-pass-$1" | "$DUBAN" staff add "$1" --name "$2" --role "$3" --password-stdin >/dev/null ||
		notok "staff add $1"
done
start_duban || exit 1
# Replies by SMS ("进展 T2 ..."): a second simulator, which knows duban's port,
# signs them as the provider would and posts them to duban's callback.
"$SIM" --listen 127.0.0.1:0 --port-file "$T/mo.port" --record "$T/mo.jsonl" --quiet \
	--mo-url "$API/callbacks/mo/sim" --sign-secret browser-mo-secret 2>>"$T/mo.log" &
PIDS="$PIDS $!"
wait_for 10 test -s "$T/mo.port" || { notok "the reply simulator started"; exit 1; }
MO_URL="http://127.0.0.1:$(cat "$T/mo.port")"

TOP="$TOP" T="$T" URL="$API" DB="$T/duban.db" MO_URL="$MO_URL" "$PY" "$TOP/tests/browser/console.py"
rc=$?
[ $rc -eq 0 ] || FAILED=1
