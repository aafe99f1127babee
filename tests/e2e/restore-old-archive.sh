#!/bin/sh
# Archives made by an earlier build still verify and restore: the backups
# in tests/fixtures/archives were made by the build named in made-by.txt
# (before the performance work of issue 19; tests/fixtures/make-archives.sh
# says how), one of a V0 and one of a V1 partition, each holding an
# AES-256 key of known bytes, an EC P-256 key and a data object.
#   - `restore verify` and `verify --deep` pass on both;
#   - each restores (--replace) into a new partition of its version that
#     holds the fixture's cloning domain;
#   - the restored AES key decrypts the ciphertext the earlier build made,
#     the restored EC key signs what the earlier build's public key
#     verifies (openssl), and the data object comes back;
#   - a flipped byte in a copy of an old archive is still found.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
F=$here/../fixtures/archives
BK=$(pinfile bk "backup-password-1")
S="dir:$T/store"
backupd init "$S" >/dev/null
cp "$F"/*.cbk "$T/store/"
hsm init "$T/h" --label new --kdf test --pin-file "$SO" >/dev/null

for v in 0 1; do
	P="hsm:$T/h#p$v"
	hsm partition create "$P" --version "$v" --pin-file "$SO" >/dev/null
	hsm partition init "$P" --new-pin-file "$PO" --domain-pin-file "$DOM" \
		--domain-string "$(cat "$F/domain.str")" >/dev/null
	hsm role init "$P" --role co --pin-file "$PO" \
		--new-pin-file "$CO" >/dev/null
	name=$(cd "$F" && ls "p${v}_"*.cbk)

	restore verify --from "$S" "$name" >"$T/v.out" ||
		fail "V$v: the old archive does not verify"
	restore verify --deep --from "$S" "$name" --to "$P" --pin-file "$CO" \
		--backup-pin-file "$BK" >"$T/d.out" ||
		fail "V$v: the old archive does not verify --deep"
	# V0: the three objects; V1: the SMK record, then a blob each
	grep -q "deep: $((3 + v)) records" "$T/d.out" ||
		{ cat "$T/d.out" >&2; fail "V$v: record count"; }
	restore --from "$S" --backup "$name" --to "$P" --replace \
		--pin-file "$CO" --backup-pin-file "$BK" >/dev/null ||
		fail "V$v: the old archive does not restore"

	hsm key decrypt "$P" --label aes --in "$F/p$v.ct" --out "$T/pt$v" \
		--pin-file "$CO" >/dev/null
	cmp -s "$T/pt$v" "$F/plain.txt" ||
		fail "V$v: the restored AES key does not decrypt the old ciphertext"
	hsm key sign "$P" --label ec --in "$F/plain.txt" --out "$T/sig$v" \
		--hash sha256 --pin-file "$CO" >/dev/null
	openssl dgst -sha256 -verify "$F/p$v-ec.pem" -signature "$T/sig$v" \
		"$F/plain.txt" >/dev/null ||
		fail "V$v: the restored EC key's signature does not verify"
	hsm key list "$P" --json --pin-file "$CO" >"$T/list$v.json"
	json_has '"label":"data"' "$T/list$v.json"
done

# Damage in an old archive is still damage.
name=$(cd "$F" && ls p0_*.cbk)
flip "$T/store/$name" 3100 # in records.bin
expect_exit 4 restore verify --from "$S" "$name"
expect_exit 4 restore --from "$S" --backup "$name" --to "hsm:$T/h#p0" \
	--replace --pin-file "$CO" --backup-pin-file "$BK"
hsm key decrypt "hsm:$T/h#p0" --label aes --in "$F/p0.ct" --out "$T/again" \
	--pin-file "$CO" >/dev/null
cmp -s "$T/again" "$F/plain.txt" || fail "a refused restore changed p0"
echo "restore-old-archive: ok"
