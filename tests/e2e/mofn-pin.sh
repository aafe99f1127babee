#!/bin/sh
# mofn: share files under their own PINs; a wrong PIN is a wrong PIN
# (exit 3), a damaged file is a damaged file, and inspect needs no PIN.
. "$(dirname "$0")/lib.sh"
umask 077 # the secrets and shares this test writes are private, as mofn insists

p1=$(pinfile p1 one-1111)
p2=$(pinfile p2 two-2222)
p3=$(pinfile p3 three-3333)
bad=$(pinfile bad nope)
head -c 32 /dev/urandom >"$T/secret"
mofn split --m 2 --n 3 --secret-file "$T/secret" --out-dir "$T/s" \
    --pin-file "$p1" --pin-file "$p2" --pin-file "$p3" --kdf test 2>/dev/null
expect_exit 2 mofn split --m 2 --n 3 --random 8 --out-dir "$T/x" \
    --pin-file "$p1" --pin-file "$p2"

mofn inspect "$T/s/share-2-of-3.cshare" >"$T/i" </dev/null
grep -q "PIN-protected (kdf test)" "$T/i" || fail "inspect: no PIN shown"
mofn inspect --json "$T/s/share-3-of-3.cshare" | grep -q '"pin_protected":true' ||
    fail "inspect --json: no pin_protected"

mofn combine --out "$T/out" --pin-file "$p2" --pin-file "$p3" \
    "$T/s/share-2-of-3.cshare" "$T/s/share-3-of-3.cshare" 2>/dev/null
cmp -s "$T/secret" "$T/out" || fail "PIN-protected shares gave other bytes"

expect_exit 3 mofn combine --out "$T/out2" --pin-file "$p1" --pin-file "$bad" \
    "$T/s/share-1-of-3.cshare" "$T/s/share-2-of-3.cshare"
grep -q "wrong PIN" "$T/.err" || fail "wrong PIN not reported as such"
grep -q "share-2-of-3" "$T/.err" || fail "file with the wrong PIN not named"
[ ! -e "$T/out2" ] || fail "secret written with a wrong PIN"

# no PIN and no terminal (setsid: none even when run from one): a usage
# error that says how to give one
expect_exit 2 setsid -w mofn verify "$T/s/share-1-of-3.cshare" "$T/s/share-2-of-3.cshare"
grep -q -- "--pin-file" "$T/.err" || fail "no hint about --pin-file"

# one flipped byte in the ciphertext: corrupt, not a wrong PIN
cp "$T/s/share-1-of-3.cshare" "$T/flip"
size=$(stat -c %s "$T/flip")
flip "$T/flip" $((size - 60))
cmp -s "$T/flip" "$T/s/share-1-of-3.cshare" && fail "byte not changed"
expect_exit 3 mofn verify --pin-file "$p1" --pin-file "$p2" "$T/flip" \
    "$T/s/share-2-of-3.cshare"
grep -q "corrupt" "$T/.err" || fail "damage not reported as corrupt"
grep -q "wrong PIN" "$T/.err" && fail "damage reported as a wrong PIN"
echo ok
