#!/bin/sh
# t_runner.sh - the test runner (tests/run.sh) tells the truth: it is run on
# a small fixture tree of fake unit tests and scenarios, and must count a
# cmocka skip as a skip (never a pass), fail on a missing unit binary, on a
# test that exits non-zero silently, on a scenario that checks nothing and
# on a filter that matches nothing, and end with "N passed, N failed".
. "$TOP/tests/integration/lib.sh"
setup

F="$T/tree"
mkdir -p "$F/tests/unit" "$F/tests/integration" "$F/build/tests"
cp "$TOP/tests/run.sh" "$F/tests/run.sh"

# unit NAME TAP-LINES EXIT: a fake cmocka binary printing its TAP lines.
unit() {
	: >"$F/tests/unit/$1.c"
	printf '#!/bin/sh\nprintf "%%b" "%s"\nexit %s\n' "$2" "$3" >"$F/build/tests/$1"
	chmod +x "$F/build/tests/$1"
}
# scenario NAME BODY: a fake integration script.
scenario() { printf '%s\n' "$2" >"$F/tests/integration/$1.sh"; }

# run [FILTER]: the fixture's runner; output in $T/run.out, exit in $rc.
run() { BUILD=build sh "$F/tests/run.sh" "$@" >"$T/run.out" 2>&1; rc=$?; }
last() { tail -1 "$T/run.out"; }

unit test_good '1..2\\nok 1 - a\\nok 2 - b\\n' 0
scenario t_good 'echo "ok - one"; echo "ok - two"'
run
expect_eq "passing tests: exit 0" "$rc" 0
expect_eq "and the last line counts them" "$(last)" "4 passed, 0 failed"

unit test_skip '1..2\\nnot ok 1 # SKIP a\\nok 2 - b\\n' 0
run
expect_eq "a cmocka skip is no failure" "$rc" 0
expect_eq "and is counted as a skip, not a pass" "$(last)" "5 passed, 0 failed, 1 skipped"
expect_grep "the skipped test is named" 'test_skip: skipped: not ok 1 # SKIP a' "$T/run.out"
rm -f "$F/tests/unit/test_skip.c" "$F/build/tests/test_skip"

: >"$F/tests/unit/test_gone.c"
run
expect_eq "a unit test without its binary fails the run" "$rc" 1
expect_grep "naming it" 'not ok - test_gone: no binary build/tests/test_gone' "$T/run.out"
expect_eq "counted as one failure" "$(last)" "4 passed, 1 failed"
rm -f "$F/tests/unit/test_gone.c"

unit test_crash '1..1\\n' 139
run
expect_eq "a unit test that crashes before any result fails" "$rc" 1
expect_grep "saying it ran nothing" 'not ok - test_crash ran no test (exit 139)' "$T/run.out"
unit test_crash '1..2\\nok 1 - a\\n' 134
run
expect_grep "one that dies after a pass fails too" 'not ok - test_crash exited 134' "$T/run.out"
rm -f "$F/tests/unit/test_crash.c" "$F/build/tests/test_crash"

scenario t_empty 'exit 0'
run
expect_eq "a scenario that checks nothing fails" "$rc" 1
expect_grep "saying so" 'not ok - t_empty checked nothing (exit 0)' "$T/run.out"
rm -f "$F/tests/integration/t_empty.sh"

scenario t_bad 'echo "ok - fine"; echo "not ok - broken"; exit 1'
run
expect_eq "a failing check fails the run" "$rc" 1
expect_grep "with the scenario's name" 't_bad: not ok - broken' "$T/run.out"
expect_eq "and the count" "$(last)" "5 passed, 1 failed"
rm -f "$F/tests/integration/t_bad.sh"

run test_good
expect_eq "a filter runs only what it matches" "$(last)" "2 passed, 0 failed"
run no_such_test
expect_eq "a filter that matches nothing fails" "$rc" 1
expect_grep "saying so" 'not ok - no test matches "no_such_test"' "$T/run.out"
expect_eq "never 0 passed, 0 failed" "$(last)" "0 passed, 1 failed"

[ "$FAILED" -eq 0 ]
