#!/bin/sh
# t_lint.sh - the layering rule and the code limits are checked: the tree as
# it is passes scripts/lint.sh, and a fixture tree with an upward include, a
# bare include, a banned function, an overlong function and a file in no
# layer fails it, each finding named with its file and line.
. "$TOP/tests/integration/lib.sh"
setup

sh "$TOP/scripts/lint.sh" >"$T/tree.out" 2>&1
rc=$?
expect_eq "the tree passes lint" "$rc" 0
[ "$rc" -eq 0 ] || sed 's/^/#   /' "$T/tree.out" | head -20

F="$T/fixture"
mkdir -p "$F/gateway/base" "$F/gateway/store" "$F/gateway/core" "$F/gateway/server" \
	"$F/gateway/cli" "$F/gateway/provider"
printf '#include "base/a.h"\nint a(void);\n' >"$F/gateway/base/a.h"
printf '#include "base/a.h"\n#include "core/c.h"\n' >"$F/gateway/store/s.c"
printf '#include "store/store.h"\n#include "cli/cli.h"\n' >"$F/gateway/core/c.c"
printf '#include "store/store.h"\n' >"$F/gateway/provider/p.c"
printf '#include "core/c.h"\n#include "cli/cli.h"\n#include "base/a.h"\n' >"$F/gateway/cli/main.c"
printf '#include "util.h"\n' >"$F/gateway/server/h.c"

sh "$TOP/scripts/lint.sh" "$F" >"$T/up.out" 2>&1
expect_eq "upward includes fail lint" "$?" 1
expect_grep "store including core is named with its line" \
	'gateway/store/s.c:2: store includes "core/c.h" from core, a layer above it' "$T/up.out"
expect_grep "core including cli is named" \
	'gateway/core/c.c:2: core includes "cli/cli.h" from cli' "$T/up.out"
expect_grep "provider including store is refused (they sit side by side)" \
	'gateway/provider/p.c:1: provider includes "store/store.h" from store' "$T/up.out"
expect_grep "an include without its layer is refused" \
	'gateway/server/h.c:1: includes "util.h" without its layer' "$T/up.out"
if grep -q 'gateway/cli/main.c' "$T/up.out" || grep -q 'gateway/base/a.h' "$T/up.out"; then
	notok "downward and same-layer includes pass"
else
	ok "downward and same-layer includes pass"
fi

# Only the upward includes: fix them, then try the other limits one by one.
printf '#include "base/a.h"\n' >"$F/gateway/store/s.c"
printf '#include "store/store.h"\n' >"$F/gateway/core/c.c"
rm "$F/gateway/provider/p.c" "$F/gateway/server/h.c"
sh "$TOP/scripts/lint.sh" "$F" >"$T/clean.out" 2>&1
expect_eq "the mended fixture passes" "$?" 0

printf 'void\nf(char *d)\n{\n\tstrcpy(d, "x");\n}\n' >"$F/gateway/core/bad.c"
sh "$TOP/scripts/lint.sh" "$F" >"$T/ban.out" 2>&1
expect_eq "a banned function fails lint" "$?" 1
expect_grep "with its place" 'gateway/core/bad.c:4:' "$T/ban.out"
rm "$F/gateway/core/bad.c"

{ printf 'int\nlong_one(void)\n{\n'; i=0; while [ $i -lt 101 ]; do echo '	;'; i=$((i + 1)); done; printf '}\n'; } \
	>"$F/gateway/core/long.c"
sh "$TOP/scripts/lint.sh" "$F" >"$T/long.out" 2>&1
expect_eq "a function over 100 lines fails lint" "$?" 1
expect_grep "named with its length" 'gateway/core/long.c:3: long_one() has 101 lines' "$T/long.out"
rm "$F/gateway/core/long.c"

mkdir -p "$F/gateway/misc"
printf 'int x;\n' >"$F/gateway/misc/m.c"
sh "$TOP/scripts/lint.sh" "$F" >"$T/layer.out" 2>&1
expect_eq "a folder that is no layer fails lint" "$?" 1
expect_grep "saying so" 'gateway/misc/ is not a layer' "$T/layer.out"

[ "$FAILED" -eq 0 ]
