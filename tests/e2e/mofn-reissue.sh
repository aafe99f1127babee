#!/bin/sh
# mofn: reissue makes a new set (new id, new M and N) of the same secret
# from M old shares, says the old set must be destroyed; old and new shares
# do not mix.
. "$(dirname "$0")/lib.sh"
umask 077 # the secrets and shares this test writes are private, as mofn insists

head -c 40 /dev/urandom >"$T/secret"
mofn split --m 2 --n 3 --secret-file "$T/secret" --out-dir "$T/old" 2>/dev/null
oldid=$(mofn inspect --json "$T/old/share-1-of-3.cshare" |
    sed 's/.*"set_id":"\([^"]*\)".*/\1/')

expect_exit 3 mofn reissue --m 3 --n 5 --out-dir "$T/new" \
    "$T/old/share-2-of-3.cshare"
grep -q "too few shares" "$T/.err" || fail "reissue from 1 share not refused"
[ ! -e "$T/new" ] || [ -z "$(ls "$T/new")" ] || fail "new set from too few"

mofn reissue --m 3 --n 5 --out-dir "$T/new" "$T/old/share-1-of-3.cshare" \
    "$T/old/share-3-of-3.cshare" 2>"$T/err"
grep -q "no longer needed" "$T/err" || fail "reissue does not retire old set"
grep -q "destroy" "$T/err" || fail "reissue does not say destroy"
grep -q "$oldid" "$T/err" || fail "old set id not named"
[ "$(ls "$T/new" | wc -l)" -eq 5 ] || fail "expected 5 new shares"
newid=$(mofn inspect --json "$T/new/share-1-of-5.cshare" |
    sed 's/.*"set_id":"\([^"]*\)".*/\1/')
[ "$newid" != "$oldid" ] || fail "new set kept the old id"
mofn inspect "$T/new/share-4-of-5.cshare" | grep -q "3 of 5" ||
    fail "new set is not 3 of 5"

mofn combine --out "$T/out" "$T"/new/share-[245]-of-5.cshare 2>/dev/null
cmp -s "$T/secret" "$T/out" || fail "new set gave other bytes"
expect_exit 3 mofn combine --out "$T/out2" "$T/new/share-1-of-5.cshare" \
    "$T/new/share-2-of-5.cshare"
expect_exit 3 mofn combine --out "$T/out2" "$T/old/share-1-of-3.cshare" \
    "$T/new/share-1-of-5.cshare" "$T/new/share-2-of-5.cshare"
grep -q "different share sets" "$T/.err" || fail "mixed sets not named"

# reissue as share lines works too
mofn reissue --m 1 --n 2 --text "$T"/new/share-[123]-of-5.cshare \
    >"$T/lines" 2>/dev/null
rm -f "$T/out"
sed -n 2p "$T/lines" | mofn combine --out "$T/out" - 2>/dev/null
cmp -s "$T/secret" "$T/out" || fail "1-of-2 line set gave other bytes"
echo ok
