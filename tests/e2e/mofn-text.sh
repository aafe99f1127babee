#!/bin/sh
# mofn: share lines for paper round trip (file, stdin, lower case) and a
# mistyped symbol is caught by the line's checksum.
. "$(dirname "$0")/lib.sh"
umask 077 # the secrets and shares this test writes are private, as mofn insists

printf 'correct horse battery staple' >"$T/secret"
mofn split --m 2 --n 3 --secret-file "$T/secret" --text >"$T/lines" 2>/dev/null
[ "$(wc -l <"$T/lines")" -eq 3 ] || fail "expected 3 lines"
grep -q "^CS1 .* 2/3 #1 " "$T/lines" || fail "line layout"

for pair in "1 2" "1 3" "2 3"; do
	set -- $pair
	sed -n "${1}p;${2}p" "$T/lines" >"$T/two"
	rm -f "$T/out"
	mofn combine --out "$T/out" "$T/two" 2>/dev/null
	cmp -s "$T/secret" "$T/out" || fail "lines $pair gave other bytes"
done

# typed in on standard input, in lower case, one line per share file
rm -f "$T/out"
sed -n '3p;1p' "$T/lines" | tr 'A-Z' 'a-z' |
    mofn combine --out "$T/out" - 2>/dev/null
cmp -s "$T/secret" "$T/out" || fail "stdin lower-case lines"
sed -n 1p "$T/lines" >"$T/l1"
sed -n 2p "$T/lines" >"$T/l2"
rm -f "$T/out"
mofn combine --out "$T/out" "$T/l1" "$T/l2" 2>/dev/null
cmp -s "$T/secret" "$T/out" || fail "one line per file"

# one symbol of the body mistyped: caught before combining
body=$(sed -n 2p "$T/lines" | cut -d' ' -f5)
sym=$(printf '%s' "$body" | cut -c7)
if [ "$sym" = 7 ]; then new=8; else new=7; fi
sed -n 2p "$T/lines" | sed "s/$body/$(printf '%s' "$body" |
    sed "s/^\(......\)./\1$new/")/" >"$T/typo"
cmp -s "$T/typo" "$T/l2" && fail "typo not made"
expect_exit 3 mofn combine --out "$T/out2" "$T/l1" "$T/typo"
grep -q "mistyped" "$T/.err" || fail "typo not reported as such"
grep -q "typo:1" "$T/.err" || fail "the mistyped line not named"
[ ! -e "$T/out2" ] || fail "secret written despite a typo"
expect_exit 3 mofn inspect "$T/typo"

# with a third good line the typo is left out and named, the rest combine
cat "$T/l1" "$T/typo" >"$T/mixed"
sed -n 3p "$T/lines" >>"$T/mixed"
rm -f "$T/out"
mofn combine --out "$T/out" "$T/mixed" 2>"$T/err"
cmp -s "$T/secret" "$T/out" || fail "good lines did not combine"
grep -q "mixed:2.*leaving it out" "$T/err" || fail "typo line not named"

# a line that is not a share
echo "hello" >"$T/junk"
expect_exit 1 mofn combine --out "$T/out3" "$T/junk"
grep -q "not a Coffer share line" "$T/.err" || fail "junk not explained"
echo ok
