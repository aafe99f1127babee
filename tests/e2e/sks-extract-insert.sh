#!/bin/sh
# SIM-style extract and insert on V1 partitions: selected objects under an
# authorization password go back in only with that password; a file made
# under another SMK, a tampered or a cut file is refused with exit 3 or 4
# and leaves both stores as they were; an existing --out is not overwritten
# without --force; a V0 partition has nothing to extract; a partition of
# another HSM takes the extract once an SMK-only clone gave it the SMK.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/sks.sh"
. "$here/helpers/backup.sh" # flip
AUTH=$(pinfile auth "extract-authorization-1")

sks_hsm h
sks_part h a 1
sks_part h b 1
sks_part h z 0
A="hsm:$T/h#a"
B="hsm:$T/h#b"
hsm key generate "$A" --type aes --label k --count 50 --pin-file "$CO" >/dev/null
hsm key generate "$A" --type rsa --label rsa --pin-file "$CO" >/dev/null
echo "signed" >"$T/m"
hsm key sign "$A" --label rsa --in "$T/m" --out "$T/m.sig" --pin-file "$CO"

# all, and a selection under a password
hsm sks extract "$A" --out "$T/all.sks" --pin-file "$CO" | grep -q "extracted 51 " ||
	fail "extract all"
hsm sks extract "$A" --out "$T/sel.sks" --object rsa --object k-7 \
	--auth-pin-file "$AUTH" --kdf test --pin-file "$CO" | grep -q "extracted 2 " ||
	fail "extract selection"
[ "$(stat -c %a "$T/sel.sks")" = 600 ] || fail "extract file mode"
expect_exit 1 hsm sks extract "$A" --out "$T/sel.sks" --pin-file "$CO"
grep -q "add --force" "$T/.err" || fail "overwrite message"
expect_exit 1 hsm sks extract "$A" --out "$T/x.sks" --object nope --pin-file "$CO"
[ ! -e "$T/x.sks" ] || fail "a refused extract left a file"
expect_exit 1 hsm sks extract "hsm:$T/h#z" --out "$T/z.sks" --pin-file "$CO"
grep -q "is V0" "$T/.err" || fail "V0 message"

snap() {
	sqlite3 "$T/h/sks.db" .dump | sha256sum
	sqlite3 "$T/h/hsm.db" ".dump partition role domain object smk" | sha256sum
}
hsm key delete "$A" --label rsa --pin-file "$CO" >/dev/null
hsm key delete "$A" --label k-7 --pin-file "$CO" >/dev/null
snap >"$T/s0"
# without, and with a wrong, password: refused, nothing written
expect_exit 3 hsm sks insert "$A" --in "$T/sel.sks" --pin-file "$CO"
grep -q "authorization password" "$T/.err" || fail "no-password message"
expect_exit 3 hsm sks insert "$A" --in "$T/sel.sks" --auth-pin-file "$BAD" --pin-file "$CO"
grep -q "wrong authorization password" "$T/.err" || fail "wrong-password message"
# another SMK: b
expect_exit 3 hsm sks insert "$B" --in "$T/all.sks" --pin-file "$CO"
grep -q "holds SMK" "$T/.err" || fail "other-SMK message"
# tampered (a byte in a blob) and cut files
cp "$T/sel.sks" "$T/bad.sks"
flip "$T/bad.sks" 300
expect_exit 4 hsm sks insert "$A" --in "$T/bad.sks" --auth-pin-file "$AUTH" --pin-file "$CO"
head -c 500 "$T/sel.sks" >"$T/cut.sks"
expect_exit 4 hsm sks insert "$A" --in "$T/cut.sks" --auth-pin-file "$AUTH" --pin-file "$CO"
grep -q "nothing was inserted" "$T/.err" || fail "cut-file message"
snap | cmp -s - "$T/s0" || fail "a refused insert changed a store"

# with the password: back, and the key is the same key
hsm sks insert "$A" --in "$T/sel.sks" --auth-pin-file "$AUTH" --pin-file "$CO" |
	grep -q "inserted 2 " || fail "insert"
hsm key verify "$A" --label rsa --in "$T/m" --signature "$T/m.sig" \
	--pin-file "$CO" >/dev/null
key_works "$A" k-7
# an M-of-N authorization: 2 of 3 share files, written with the extract
hsm sks extract "$A" --out "$T/mofn.sks" --object k-9 --auth-m 2 --auth-n 3 \
	--auth-shares-out "$T/authset" --pin-file "$CO" >"$T/mofn.out" 2>&1
[ "$(ls "$T/authset" | wc -l)" = 3 ] || { cat "$T/mofn.out"; fail "3 share files"; }
hsm key delete "$A" --label k-9 --pin-file "$CO" >/dev/null
expect_exit 3 hsm sks insert "$A" --in "$T/mofn.sks" --pin-file "$CO"
grep -q "M-of-N authorization" "$T/.err" || fail "M-of-N message"
expect_exit 3 hsm sks insert "$A" --in "$T/mofn.sks" --auth-pin-file "$AUTH" --pin-file "$CO"
expect_exit 3 hsm sks insert "$A" --in "$T/mofn.sks" \
	--auth-share "$T/authset/sks-auth-1-of-3.cshare" --pin-file "$CO"
hsm sks insert "$A" --in "$T/mofn.sks" --auth-share "$T/authset/sks-auth-1-of-3.cshare" \
	--auth-share "$T/authset/sks-auth-3-of-3.cshare" --pin-file "$CO" |
	grep -q "inserted 1 " || fail "insert with 2 of 3 shares"
key_works "$A" k-9
# everything again: a clash fails the whole insert, skip keeps ours
expect_exit 1 hsm sks insert "$A" --in "$T/all.sks" --pin-file "$CO"
grep -q "already exists" "$T/.err" || fail "conflict message"
hsm sks insert "$A" --in "$T/all.sks" --conflict skip --pin-file "$CO" |
	grep -q "51 skipped" || fail "skip"

# another HSM: the extract goes in once that partition holds the SMK,
# which an SMK-only clone brings (Luna's SMK clone, then SIM insert)
sks_hsm h2
sks_part h2 c 1
C="hsm:$T/h2#c"
expect_exit 3 hsm sks insert "$C" --in "$T/sel.sks" --auth-pin-file "$AUTH" --pin-file "$CO"
expect_exit 2 clone --from "hsm:$T/h#z" --to "$C" --smk-only \
	--from-pin-file "$CO" --to-pin-file "$CO"
clone --from "$A" --to "$C" --smk-only --from-pin-file "$CO" \
	--to-pin-file "$CO" --json >"$T/smk.json"
json_has '"sent":1' "$T/smk.json"
hsm partition show "$C" --json | grep -q '"objects":0' || fail "SMK-only clone sent objects"
hsm sks insert "$C" --in "$T/sel.sks" --auth-pin-file "$AUTH" --pin-file "$CO" |
	grep -q "inserted 2 " || fail "insert after the SMK clone"
hsm key verify "$C" --label rsa --in "$T/m" --signature "$T/m.sig" \
	--pin-file "$CO" >/dev/null
hsm audit verify "$T/h" >/dev/null
hsm audit verify "$T/h2" >/dev/null
echo "sks-extract-insert ok"
