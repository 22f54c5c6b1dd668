#!/bin/sh
# Project lint: banned string functions (STYLE.md) and file sizes.
# Exit 1 when anything is found.
set -u
cd "$(dirname "$0")/.."
rc=0
# Comment lines (optional blanks, then "/*", "//", or "*" with a blank, "/" or
# the line's end after it) are skipped: prose such as "the block gets (...)" is
# not a call.  "*p = atoi(s);" is still code.  Line-based: a call after a
# comment's text on a line that starts one is not seen.
banned=$(grep -nE '(^|[^_a-zA-Z0-9])(sprintf|vsprintf|strcpy|strcat|strtok|atoi|atol|gets)[[:space:]]*\(' \
	gateway/*.c gateway/*.h tools/*.c tools/*.h bench/*.c tests/unit/*.c 2>/dev/null |
	grep -vE '^[^:]+:[0-9]+:[[:space:]]*(/\*|//|\*([[:space:]/]|$))')
if [ -n "$banned" ]; then
	echo "lint: banned functions (use snprintf, memcpy with lengths, strtok_r, strtol):"
	echo "$banned"
	rc=1
fi
big=$(wc -l gateway/*.c tools/*.c 2>/dev/null | awk '$2 != "total" && $1 > 1500 {print "  " $2 " (" $1 " lines)"}')
if [ -n "$big" ]; then
	echo "lint: files over 1,500 lines (split by concern):"
	echo "$big"
	rc=1
fi
[ $rc -eq 0 ] && echo "lint: ok"
exit $rc
