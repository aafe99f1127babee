#!/bin/sh
# mofn: with more than M shares and one corrupt, the tool names it and the
# others still recover the secret; with exactly M, it refuses.
. "$(dirname "$0")/lib.sh"
umask 077 # the secrets and shares this test writes are private, as mofn insists

# forge FILE BYTE-FROM-END: change a payload byte and recompute the file
# checksum (SHA-384 of all but the last 32 bytes, first 32 bytes), as an
# attacker could: only the check value and the polynomial catch it
forge() {
	size=$(stat -c %s "$1")
	head -c $((size - 32)) "$1" >"$T/body"
	flip "$T/body" $((size - 32 - $2))
	openssl dgst -sha384 -binary "$T/body" | head -c 32 >"$T/sum"
	cat "$T/body" "$T/sum" >"$1"
}

head -c 32 /dev/urandom >"$T/secret"
mofn split --m 2 --n 4 --secret-file "$T/secret" --out-dir "$T/s" 2>/dev/null
forge "$T/s/share-3-of-4.cshare" 5
mofn inspect "$T/s/share-3-of-4.cshare" >/dev/null || fail "forged file unreadable"

# more than M: the forged share is named, the secret still comes back
mofn combine --out "$T/out" "$T"/s/*.cshare 2>"$T/err"
cmp -s "$T/secret" "$T/out" || fail "good shares did not recover the secret"
grep -q "share #3 from .*share-3-of-4.cshare is corrupt" "$T/err" ||
    fail "forged share not named"
expect_exit 3 mofn verify "$T"/s/*.cshare
grep -q "1 of the shares given is corrupt" "$T/.out" || fail "verify: count"
grep -q "share-3-of-4.cshare is corrupt" "$T/.err" || fail "verify: name"
mofn verify --json "$T/s/share-1-of-4.cshare" "$T/s/share-3-of-4.cshare" \
    "$T/s/share-4-of-4.cshare" >"$T/j" 2>/dev/null && fail "verify --json ok"
grep -q '"ok":false' "$T/j" || fail "json: ok"
grep -q '"index":3,"used":false,"corrupt":true' "$T/j" || fail "json: culprit"

# exactly M with one forged: refused, no wrong secret
expect_exit 3 mofn combine --out "$T/out2" "$T/s/share-1-of-4.cshare" \
    "$T/s/share-3-of-4.cshare"
grep -q "check value" "$T/.err" || fail "no check-value message"
[ ! -e "$T/out2" ] || fail "a wrong secret was written"

# a file damaged by accident fails its own checksum and is named directly
cp "$T/s/share-2-of-4.cshare" "$T/dmg"
flip "$T/dmg" 30
rm -f "$T/out"
mofn combine --out "$T/out" "$T/dmg" "$T/s/share-1-of-4.cshare" \
    "$T/s/share-4-of-4.cshare" 2>"$T/err"
cmp -s "$T/secret" "$T/out" || fail "damaged extra stopped recovery"
grep -q "dmg: a share is corrupt.*leaving it out" "$T/err" ||
    fail "damaged file not named"
expect_exit 3 mofn combine --out "$T/out3" "$T/dmg" "$T/s/share-1-of-4.cshare"
grep -q "left out as corrupt" "$T/.err" || fail "too few after damage"
echo ok
