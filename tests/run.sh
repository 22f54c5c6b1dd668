#!/bin/sh
# Run every unit test binary and every integration scenario, TAP style, and
# end with one line "N passed, N failed" (", N skipped" when any test
# skipped).  Exit 0 only when nothing failed.
#
#   BUILD=build tests/run.sh [FILTER...]
#
# With FILTERs, only the tests whose name holds one of them run.
# Unit tests are cmocka binaries (one per tests/unit/test_*.c) run with TAP
# output; integration scenarios are tests/integration/t_*.sh, each printing
# "ok - ..." / "not ok - ...".  The runner does not take silence for
# success: a unit binary that is missing, a test that exits non-zero without
# saying why, a scenario that checks nothing, and a FILTER that matches no
# test are each counted as a failure.  cmocka's skips ("# SKIP") are counted
# and printed as skips, never as passes.
#
# In a ThreadSanitizer build (make tsan) every process a test starts - the
# daemon, a command, the simulator - writes its reports to files of that
# test and stops at the first (exit 66); a test that leaves such a file
# fails, whatever its own checks said (tests/tsan.supp lists the reports
# that are not races, each with why).  Elsewhere TSAN_OPTIONS is unused.
set -u
# The tests assert duban's English; a test of the Chinese sets LANG itself.
export LANG=C.UTF-8
unset LC_ALL LC_MESSAGES LANGUAGE
BUILD=${BUILD:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
filters="$*"
user_tsan=${TSAN_OPTIONS:-}
log=$(mktemp -d "${TMPDIR:-/tmp}/duban-check.XXXXXX")
pass=0
fail=0
skipped=0
ran=0
ran_names=""

# count FILE NAME: add up the TAP lines of one test's output; prints the
# failures and skips with the test's name.  Sets $checks to what it counted.
count() {
	s=$(grep -cE '^(not )?ok [^#]*# SKIP' "$1")
	p=$(grep -E '^ok ' "$1" | grep -cvE '# SKIP')
	f=$(grep -E '^not ok ' "$1" | grep -cvE '# SKIP')
	pass=$((pass + p))
	fail=$((fail + f))
	skipped=$((skipped + s))
	checks=$((p + f + s))
	grep -E '^not ok ' "$1" | grep -vE '# SKIP' | sed "s|^|$2: |"
	grep -E '^(not )?ok [^#]*# SKIP' "$1" | sed "s|^|$2: skipped: |"
}

# broken NAME RC OUT LINES: a test that failed without a TAP line saying so.
broken() {
	fail=$((fail + 1))
	echo "not ok - $1 $2"
	tail -"$4" "$3"
}

# wanted NAME: does NAME hold one of the filters (or are there none)?
wanted() {
	[ -z "$filters" ] && return 0
	for f in $filters; do
		case "$1" in *"$f"*) return 0 ;; esac
	done
	return 1
}

# tsan_begin NAME / tsan_end NAME: ThreadSanitizer's reports of one test.
tsan_begin() {
	export TSAN_OPTIONS="halt_on_error=1 exitcode=66 log_path=$log/$1.tsan suppressions=$top/tests/tsan.supp $user_tsan"
}
tsan_end() {
	for r in "$log/$1".tsan.*; do
		[ -f "$r" ] || continue
		fail=$((fail + 1))
		echo "not ok - $1: ThreadSanitizer report ($r)"
		head -40 "$r" | sed 's/^/#   /'
	done
}

for src in "$top"/tests/unit/test_*.c; do
	[ -f "$src" ] || continue
	name=$(basename "$src" .c)
	wanted "$name" || continue
	ran=$((ran + 1))
	ran_names="$ran_names $name"
	t="$top/$BUILD/tests/$name"
	if [ ! -x "$t" ]; then
		fail=$((fail + 1))
		echo "not ok - $name: no binary $BUILD/tests/$name (build it with make check)"
		continue
	fi
	out="$log/$name.out"
	tsan_begin "$name"
	CMOCKA_MESSAGE_OUTPUT=TAP "$t" >"$out" 2>&1
	rc=$?
	count "$out" "$name"
	tsan_end "$name"
	if [ "$checks" -eq 0 ]; then
		broken "$name" "ran no test (exit $rc)" "$out" 5
	elif [ $rc -ne 0 ] && ! grep -qE '^not ok ' "$out"; then
		broken "$name" "exited $rc" "$out" 5
	fi
done

for s in "$top"/tests/integration/t_*.sh; do
	[ -f "$s" ] || continue
	name=$(basename "$s" .sh)
	wanted "$name" || continue
	ran=$((ran + 1))
	ran_names="$ran_names $name"
	out="$log/$name.out"
	echo "# $name"
	tsan_begin "$name"
	BUILD="$BUILD" TOP="$top" sh "$s" >"$out" 2>&1
	rc=$?
	count "$out" "$name"
	tsan_end "$name"
	if [ "$checks" -eq 0 ]; then
		broken "$name" "checked nothing (exit $rc)" "$out" 20
	elif [ $rc -ne 0 ] && ! grep -qE '^not ok ' "$out"; then
		broken "$name" "exited $rc" "$out" 20
	fi
done

if [ "$ran" -eq 0 ] && [ -z "$filters" ]; then
	fail=$((fail + 1))
	echo "not ok - no test found"
fi
for f in $filters; do
	case "$ran_names" in *"$f"*) continue ;; esac
	fail=$((fail + 1))
	echo "not ok - no test matches \"$f\""
done

[ $fail -ne 0 ] && echo "(logs kept in $log)" || rm -rf "$log"
if [ "$skipped" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skipped skipped"
else
	echo "$pass passed, $fail failed"
fi
[ $fail -eq 0 ]
