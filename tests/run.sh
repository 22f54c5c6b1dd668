#!/bin/sh
# Run every unit test binary and every integration scenario, TAP style, and
# end with one line "N passed, N failed".  Exit 0 only when nothing failed.
#
#   BUILD=build tests/run.sh [FILTER]
#
# Unit tests are cmocka binaries run with TAP output; integration scenarios
# are tests/integration/*.sh, each printing "ok - ..." / "not ok - ...".
set -u
BUILD=${BUILD:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
filter=${1:-}
log=$(mktemp -d "${TMPDIR:-/tmp}/duban-check.XXXXXX")
pass=0
fail=0
broken=""

count() { # file name
	p=$(grep -c '^ok ' "$1")
	f=$(grep -c '^not ok ' "$1")
	pass=$((pass + p))
	fail=$((fail + f))
}

for t in "$top/$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	case "$name" in *"$filter"*) ;; *) continue ;; esac
	out="$log/$name.out"
	CMOCKA_MESSAGE_OUTPUT=TAP "$t" >"$out" 2>&1
	rc=$?
	count "$out"
	grep '^not ok ' "$out" | sed "s|^|$name: |"
	if [ $rc -ne 0 ] && ! grep -q '^not ok ' "$out"; then
		fail=$((fail + 1)); broken="$broken $name"
		echo "not ok - $name exited $rc"; tail -5 "$out"
	fi
done

for s in "$top"/tests/integration/t_*.sh; do
	[ -f "$s" ] || continue
	name=$(basename "$s" .sh)
	case "$name" in *"$filter"*) ;; *) continue ;; esac
	out="$log/$name.out"
	echo "# $name"
	BUILD="$BUILD" TOP="$top" sh "$s" >"$out" 2>&1
	rc=$?
	count "$out"
	grep '^not ok ' "$out" | sed "s|^|$name: |"
	if [ $rc -ne 0 ] && ! grep -q '^not ok ' "$out"; then
		fail=$((fail + 1)); broken="$broken $name"
		echo "not ok - $name exited $rc"; tail -20 "$out"
	fi
done

[ $fail -ne 0 ] && echo "(logs kept in $log)" || rm -rf "$log"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
