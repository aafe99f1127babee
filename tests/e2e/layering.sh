#!/bin/sh
# lib/'s calls point down (docs/architecture.md "Layers"): the checker passes
# on the real library, and it does fail on an upward call and on a stale
# allowance, so a pass means something.
. "$(dirname "$0")/lib.sh"
top=$(cd "$here/../.." && pwd)
case "$BIN" in
*/build/asan/bin) objs=$top/build/asan/lib ;;
*) objs=$top/build/default/lib ;;
esac
sh "$top/scripts/layers.sh" "$objs" "$top/docs/architecture.md" ||
	fail "lib/ has an upward call"

# The checker on a two-file library: low.c defines low_fn, high.c calls it.
mkdir "$T/o"
printf 'int low_fn(void);\nint low_fn(void) { return 1; }\n' >"$T/low.c"
printf 'int low_fn(void);\nint high_fn(void);\nint high_fn(void) { return low_fn(); }\n' \
	>"$T/high.c"
cc -c -o "$T/o/low.o" "$T/low.c"
cc -c -o "$T/o/high.o" "$T/high.c"
table() { # table FIRST SECOND [ALLOW-ROW]
	cat <<EOT
<!-- layers:begin -->
| layer | family | files |
|---|---|---|
| one | $1 | $1 |
| two | $2 | $2 |
<!-- layers:end -->
<!-- layers:allow:begin -->
| file | calls |
|---|---|
${3:-}
<!-- layers:allow:end -->
EOT
}
table low high >"$T/down.md"
sh "$top/scripts/layers.sh" "$T/o" "$T/down.md" >/dev/null 2>&1 ||
	fail "a downward call was refused"
table high low >"$T/up.md"
expect_exit 1 sh "$top/scripts/layers.sh" "$T/o" "$T/up.md"
grep -q 'lib/high.c (high, one) calls low_fn of lib/low.c (low, two)' "$T/.err" ||
	fail "the upward call is not named: $(cat "$T/.err")"
table high low '| high | low_fn |' >"$T/allowed.md"
sh "$top/scripts/layers.sh" "$T/o" "$T/allowed.md" >/dev/null 2>&1 ||
	fail "a known upward call was refused"
table low high '| high | low_fn |' >"$T/stale.md"
expect_exit 1 sh "$top/scripts/layers.sh" "$T/o" "$T/stale.md"
grep -q 'no longer calls low_fn upward' "$T/.err" ||
	fail "a stale allowance is not named"
table low other >"$T/missing.md"
expect_exit 1 sh "$top/scripts/layers.sh" "$T/o" "$T/missing.md"
grep -q 'lib/high.c is in no family' "$T/.err" || fail "an unlisted file passes"
echo "layering: ok"
