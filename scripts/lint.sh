#!/bin/sh
# Project lint (STYLE.md, HACKING.md): the layering rule of gateway/, banned
# string functions, file sizes and function sizes.  Prints every finding and
# exits 1 when there is any.
#
#   scripts/lint.sh [DIR]     DIR: the tree to check (default: the checkout)
#
# Layers, lowest first.  A file may include headers of its own layer and of
# the layers it builds on, never one above:
#
#   base      nothing of duban
#   store     base                       (providers sit beside the store:
#   provider  base                        neither includes the other)
#   core      base store provider
#   server    base store provider core
#   cli       everything
#
# Every duban header is included by its layer path ("store/store.h"); a bare
# "x.h" is refused too, since it would hide which layer it comes from.
set -u
top=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$top" || exit 2
rc=0

allowed() { # layer -> the layers it may include
	case "$1" in
	base) echo "base" ;;
	store) echo "base store" ;;
	provider) echo "base provider" ;;
	core) echo "base store provider core" ;;
	server) echo "base store provider core server" ;;
	cli) echo "base store provider core server cli" ;;
	*) echo "" ;;
	esac
}

layers=""
for f in gateway/*/*.c gateway/*/*.h; do
	[ -f "$f" ] || continue
	layer=${f#gateway/}
	layer=${layer%%/*}
	ok=$(allowed "$layer")
	if [ -z "$ok" ]; then
		layers="$layers
  $f: gateway/$layer/ is not a layer (base, store, provider, core, server, cli)"
		continue
	fi
	# "#include "x/y.h"" lines: the layer x must be one this file may use.
	out=$(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" |
		sed 's/^\([0-9]*\):[^"]*"\([^"]*\)".*/\1 \2/' |
		while read -r line inc; do
			case "$inc" in
			*/*) il=${inc%%/*} ;;
			*) echo "  $f:$line: includes \"$inc\" without its layer (write \"LAYER/$inc\")"; continue ;;
			esac
			case " $ok " in
			*" $il "*) ;;
			*) echo "  $f:$line: $layer includes \"$inc\" from $il, a layer above it" ;;
			esac
		done)
	[ -n "$out" ] && layers="$layers
$out"
done
if [ -n "$layers" ]; then
	echo "lint: includes that break the layering rule (HACKING.md):$layers"
	rc=1
fi

# Comment lines (optional blanks, then "/*", "//", or "*" with a blank, "/" or
# the line's end after it) are skipped: prose such as "the block gets (...)" is
# not a call.  "*p = atoi(s);" is still code.
banned=$(grep -nE '(^|[^_a-zA-Z0-9])(sprintf|vsprintf|strcpy|strcat|strtok|atoi|atol|gets)[[:space:]]*\(' \
	gateway/*/*.c gateway/*/*.h tools/*.c tools/*.h bench/*.c tests/unit/*.c tests/fuzz/*.c 2>/dev/null |
	grep -vE '^[^:]+:[0-9]+:[[:space:]]*(/\*|//|\*([[:space:]/]|$))')
if [ -n "$banned" ]; then
	echo "lint: banned functions (use snprintf, memcpy with lengths, strtok_r, strtol):"
	echo "$banned"
	rc=1
fi

big=$(wc -l gateway/*/*.c tools/*.c 2>/dev/null | awk '$2 != "total" && $1 > 1500 {print "  " $2 " (" $1 " lines)"}')
if [ -n "$big" ]; then
	echo "lint: files over 1,500 lines (split by concern):"
	echo "$big"
	rc=1
fi

# Functions are written with the name at the start of a line and the braces
# of the body alone at the start of theirs (the house style), so a body is
# the lines between "{" and "}" in column one.
long=$(for f in gateway/*/*.c tools/*.c; do
	[ -f "$f" ] || continue
	awk -v F="$f" '
		/^[A-Za-z_][A-Za-z0-9_]*\(/ { name = $0; sub(/\(.*/, "", name) }
		/^\{/ { start = NR }
		/^\}/ { if (start && NR - start - 1 > 100) printf "  %s:%d: %s() has %d lines\n", F, start, name, NR - start - 1; start = 0 }
	' "$f"
done)
if [ -n "$long" ]; then
	echo "lint: functions over 100 lines (split them):"
	echo "$long"
	rc=1
fi

[ $rc -eq 0 ] && echo "lint: ok"
exit $rc
