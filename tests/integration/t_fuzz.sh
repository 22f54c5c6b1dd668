#!/bin/sh
# t_fuzz.sh - every fuzz harness of tests/fuzz/ replays its committed corpus
# and every input that ever crashed it (tests/fuzz/crashes/NAME/) through
# the plain driver, so a fixed crash stays fixed whatever compiler builds
# the tests.  `make fuzz` is where new inputs are found (clang, libFuzzer).
. "$TOP/tests/integration/lib.sh"
setup
# Under make asan the replay finds leaks too; tests/fuzz/lsan.supp names the
# ones inside Debian's libraries.
export LSAN_OPTIONS="suppressions=$TOP/tests/fuzz/lsan.supp"

n=0
for src in "$TOP"/tests/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	name=${name#fuzz_}
	n=$((n + 1))
	bin="$TOP/$BUILD/fuzz/replay_$name"
	if [ ! -x "$bin" ]; then
		notok "$name: replay driver built ($BUILD/fuzz/replay_$name)"
		continue
	fi
	if [ ! -d "$TOP/tests/fuzz/corpus/$name" ]; then
		notok "$name: has a corpus (tests/fuzz/corpus/$name)"
		continue
	fi
	set -- "$TOP/tests/fuzz/corpus/$name"
	[ -d "$TOP/tests/fuzz/crashes/$name" ] && set -- "$@" "$TOP/tests/fuzz/crashes/$name"
	"$bin" "$name" "$@" >"$T/$name.out" 2>&1
	rc=$?
	if [ $rc -eq 0 ] && grep -q "^ok - $name: [1-9][0-9]* inputs replayed" "$T/$name.out"; then
		ok "$name: $(sed -n "s/^ok - $name: //p" "$T/$name.out")"
	else
		notok "$name: corpus and crashes replay cleanly (exit $rc)"
		sed 's/^/#   /' "$T/$name.out" | tail -20
	fi
done
[ $n -ge 4 ] && ok "$n harnesses found" || notok "the harnesses are there (found $n)"
[ "$FAILED" -eq 0 ]
