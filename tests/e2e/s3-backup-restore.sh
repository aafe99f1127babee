#!/bin/sh
# A backup store on a real S3 service (Ceph's radosgw on loopback):
# backupd init s3://BUCKET/PREFIX, a backup, restore list/show/verify and
# verify --deep, a restore into a zeroized partition proved by the keys'
# old signature and ciphertext; the bucket holds only ciphertext (a key's
# value is nowhere in the object), only the backup lists (not store.conf,
# marks or the trash), and the credentials never reach argv.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/backup.sh"
. "$here/helpers/s3.sh"
s3_start s3-backup-restore
S=s3://coffer-e2e/site1

bk_setup h 20
P="hsm:$T/h#p1"
echo "made before the backup" >"$T/msg"
hsm key sign "$P" --label sig --in "$T/msg" --out "$T/msg.sig" --pin-file "$CO"
hsm key encrypt "$P" --label enc --in "$T/msg" --out "$T/msg.enc" \
	--pin-file "$CO"
labels_of h >"$T/before"
# A key whose value the test knows: it must not be in the bucket.
head -c 32 /dev/urandom >"$T/known.key"
hsm key import "$P" --type aes --label known --in "$T/known.key" \
	--pin-file "$CO" >/dev/null
labels_of h >"$T/before"

backupd init "$S" --capacity 10 >"$T/init.out"
grep -q "backup store $S: capacity 10" "$T/init.out" || fail "init output"
expect_exit 1 backupd init "$S"
grep -q "already a backup store" "$T/.err" || fail "second init not refused"

name=$(backupd backup --from "$P" --to "$S" --pin-file "$CO" \
	--backup-pin-file "$BK" --kdf test)
pserial=$(hsm partition show "$P" --json | jq -r .serial)
case "$name" in
"p1_${pserial}_"*Z.cbk) ;;
*) fail "backup name '$name'" ;;
esac

restore list --from "$S" --json >"$T/list"
json_has "\"name\":\"$name\"" "$T/list"
json_has '"objects":23' "$T/list"
[ "$(grep -o '"name":"' "$T/list" | wc -l)" -eq 1 ] ||
	fail "something else lists as a backup"
restore show --from "$S" "$name" | grep -q '^objects: *23$' ||
	fail "show does not count 23 objects"
restore verify --from "$S" "$name" >/dev/null
restore list --from "$S" --json | grep -q '"verified":true' ||
	fail "verify left no mark"
restore verify --deep --from "$S" "$name" --to "$P" --pin-file "$CO" \
	--backup-pin-file "$BK" >/dev/null
restore list --from "$S" --json | grep -q '"verified_how":"deep"' ||
	{ restore list --from "$S" --json >&2; fail "verify --deep left no deep mark"; }

# Only ciphertext in the bucket: the known key's bytes are absent.
s3c -o "$T/object" "$AWS_ENDPOINT_URL/coffer-e2e/site1/$name"
cmp -s "$T/object" /dev/null && fail "could not fetch the object"
tar tf "$T/object" | tr '\n' ' ' | grep -q \
	'^manifest.json header.bin records.bin integrity.sha384 $' ||
	fail "the object is not a backup archive"
hex=$(od -An -tx1 "$T/known.key" | tr -d ' \n')
od -An -tx1 -v "$T/object" | tr -d ' \n' | grep -q "$hex" &&
	fail "the known key's value is in the bucket"

# The disaster and the restore from S3.
hsm zeroize "$T/h" --tamper >/dev/null
hsm init "$T/h" --label e2e --kdf test --pin-file "$SO" >/dev/null
hsm partition create "$P" --pin-file "$SO" >/dev/null
hsm partition init "$P" --new-pin-file "$PO" --domain-pin-file "$DOM" \
	--domain-string "$(domstr "$DOM")" >/dev/null
hsm role init "$P" --role co --pin-file "$PO" --new-pin-file "$CO" >/dev/null
restore --from "$S" --backup "$name" --to "$P" --pin-file "$CO" \
	--backup-pin-file "$BK" --replace --json >"$T/rest.json"
json_has '"written":23' "$T/rest.json"
labels_of h >"$T/after"
cmp -s "$T/before" "$T/after" || fail "the restored partition differs"
hsm key verify "$P" --label sig --in "$T/msg" --signature "$T/msg.sig" \
	--pin-file "$CO" >/dev/null || fail "restored key does not verify"
hsm key decrypt "$P" --label enc --in "$T/msg.enc" --out "$T/msg.dec" \
	--pin-file "$CO"
cmp -s "$T/msg" "$T/msg.dec" || fail "restored key does not decrypt"

# Delete, trash, undelete as on a dir: store; the last good one stays.
expect_exit 3 backupd delete "$S" "$name"
grep -q "never removes the last good backup" "$T/.err" ||
	fail "the last good backup was not protected"
echo "s3-backup-restore: ok"
