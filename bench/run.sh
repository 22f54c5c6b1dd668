#!/bin/sh
# run.sh - `make bench`: run every bench/*.sh but this one, in name order,
# each on its own (a failing benchmark is reported and the others still
# run).  Exit 1 if any failed.
#
#   BUILD=build bench/run.sh
set -u
BUILD=${BUILD:-build}
export BUILD
here=$(cd "$(dirname "$0")" && pwd)
failed=0
for b in "$here"/*.sh; do
	[ "$(basename "$b")" = run.sh ] && continue
	[ -f "$b" ] || continue
	if ! sh "$b"; then
		echo "bench: $(basename "$b") failed" >&2
		failed=1
	fi
done
exit $failed
