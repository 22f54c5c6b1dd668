#!/bin/sh
# run.sh - `make bench`: run every bench/*.sh but this one, in name order,
# each on its own (a failing benchmark is reported and the others still
# run), then print duban's dispatch figure beside Kannel's from this same
# run, on this same machine.  Exit 1 if any failed.
#
#   BUILD=build bench/run.sh
set -u
BUILD=${BUILD:-build}
export BUILD
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp "${TMPDIR:-/tmp}/duban-bench.XXXXXX")
trap 'rm -f "$out"' EXIT
failed=0
for b in "$here"/*.sh; do
	[ "$(basename "$b")" = run.sh ] && continue
	[ -f "$b" ] || continue
	if ! sh "$b" | tee -a "$out"; then
		echo "bench: $(basename "$b") failed" >&2
		failed=1
	fi
done
duban=$(sed -n 's/^throughput .* \([0-9][0-9]*\) msg\/s .*/\1/p' "$out" | head -1)
kannel=$(sed -n 's/^kannel: [0-9]* msgs via .* = \([0-9][0-9]*\) msg\/s .*/\1/p' "$out" | head -1)
if [ -n "$duban" ] && [ -n "$kannel" ] && [ "$kannel" -gt 0 ]; then
	awk -v d="$duban" -v k="$kannel" 'BEGIN {
		printf "bench: duban %d msg/s (every status committed) vs Kannel %d msg/s (in memory), this run: %.1fx\n", d, k, d / k }'
fi
exit $failed
