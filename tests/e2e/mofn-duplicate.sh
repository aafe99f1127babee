#!/bin/sh
# mofn: duplicates are interchangeable with the original; giving both is a
# duplicate-share error; a copy may change its PIN.
. "$(dirname "$0")/lib.sh"
umask 077 # the secrets and shares this test writes are private, as mofn insists

pin=$(pinfile pin 2468)
newpin=$(pinfile newpin 1357)
head -c 32 /dev/urandom >"$T/secret"
mofn split --m 2 --n 3 --secret-file "$T/secret" --out-dir "$T/s" \
    --pin-file "$pin" --kdf test 2>/dev/null
s1=$T/s/share-1-of-3.cshare
s2=$T/s/share-2-of-3.cshare

mofn duplicate "$s1" --pin-file "$pin" --out "$T/copy" 2>"$T/err"
grep -q "interchangeable" "$T/err" || fail "duplicate does not explain"
[ "$(stat -c %a "$T/copy")" = 600 ] || fail "copy not 0600"
mofn inspect "$T/copy" | grep -q "share #1 of set .*PIN-protected" ||
    fail "copy is not share #1 under a PIN"

# the copy stands in for the original
mofn combine --out "$T/out" --pin-file "$pin" --pin-file "$pin" \
    "$T/copy" "$s2" 2>/dev/null
cmp -s "$T/secret" "$T/out" || fail "copy + share 2 gave other bytes"

# but original and copy together are one share given twice
expect_exit 3 mofn combine --out "$T/out2" --pin-file "$pin" \
    --pin-file "$pin" "$s1" "$T/copy"
grep -q "the same share was given twice" "$T/.err" || fail "dup not named"

# a copy under a new PIN, and one as a share line
mofn duplicate "$s2" --pin-file "$pin" --new-pin-file "$newpin" \
    --kdf test --out "$T/copy2" 2>/dev/null
expect_exit 3 mofn verify --pin-file "$pin" --pin-file "$pin" "$s1" "$T/copy2"
grep -q "wrong PIN" "$T/.err" || fail "old PIN opened the re-pinned copy"
mofn verify --pin-file "$pin" --pin-file "$newpin" "$s1" "$T/copy2" \
    >/dev/null || fail "new PIN does not open the copy"
mofn duplicate "$s2" --pin-file "$pin" --text >"$T/line" 2>/dev/null
rm -f "$T/out"
mofn combine --out "$T/out" --pin-file "$pin" "$s1" "$T/line" 2>/dev/null
cmp -s "$T/secret" "$T/out" || fail "line copy gave other bytes"

# the copy never overwrites
expect_exit 1 mofn duplicate "$s2" --pin-file "$pin" --out "$T/copy"
grep -q "refusing to overwrite" "$T/.err" || fail "no refusal message"
echo ok
