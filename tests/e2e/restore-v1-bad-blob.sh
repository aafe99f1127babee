#!/bin/sh
# A V1 backup's blobs are stored as they come, but each is checked first
# (restore checks them on its reading thread, while the other thread
# inserts): a blob whose tag no longer verifies (edited in the source's
# sks.db before the backup) stops restore --replace (exit 4, the blob
# named), and the partition, half way through being emptied and refilled
# on the other thread, is left as it was. `restore verify --deep` opens
# blobs on two threads too (the reading one every other blob, the
# checking one the rest): a bad blob is found on either (neighbours k-20
# and k-21), exit 4, said why, and the backup is no longer listed as
# verified; the same backup without the edit verifies.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/sks.sh"
. "$here/helpers/backup.sh"

sks_hsm h
sks_part h p1 1
P="hsm:$T/h#p1"
hsm key generate "$P" --type aes --label k --count 3000 --pin-file "$CO" \
	>/dev/null
deep() {
	restore verify --deep --from "dir:$T/$1" "$2" --to "$P" \
		--pin-file "$CO" --backup-pin-file "$BK"
}
store_init good
good=$(backup_of h good)
deep good "$good" >"$T/good.out" || fail "the unedited backup does not verify"
grep -q "deep: 3001 records" "$T/good.out" || fail "record count"
for label in k-20 k-21; do
	rm -rf "$T/h2"
	cp -a "$T/h" "$T/h2"
	sqlite3 "$T/h2/sks.db" "UPDATE blob SET blob = CAST(substr(blob, 1,
		length(blob) - 16) || zeroblob(16) AS BLOB) WHERE label = '$label'"
	store_init "s-$label"
	name=$(backup_of h2 "s-$label")
	restore verify --from "dir:$T/s-$label" "$name" >/dev/null ||
		fail "$label: the archive itself is sound and should verify"
	expect_exit 4 deep "s-$label" "$name"
	grep -q "does not open under the backup's SMK" "$T/.err" ||
		{ cat "$T/.err"; fail "$label: the refusal does not say why"; }
	restore list --from "dir:$T/s-$label" --json |
		grep -q '"verified":true' &&
		fail "$label: a backup that failed --deep lists as verified"
done
rm -rf "$T/h2"

sqlite3 "$T/h/sks.db" "UPDATE blob SET blob = CAST(substr(blob, 1,
	length(blob) - 16) || zeroblob(16) AS BLOB) WHERE label = 'k-2999'"
store_init s
name=$(backup_of h s)
hsm key generate "$P" --type aes --label after --pin-file "$CO" >/dev/null
snap() {
	sqlite3 "$T/h/sks.db" .dump | sha256sum
	hsm_state h
}
snap >"$T/s0"
expect_exit 4 restore_to h s "$name" replace
grep -q "blob 'k-2999' fails its integrity check" "$T/.err" ||
	{ cat "$T/.err"; fail "the refusal does not name the bad blob"; }
snap | cmp -s - "$T/s0" || fail "a refused restore changed the partition"
hsm key list "$P" --pin-file "$CO" | grep -q "^after " ||
	fail "the partition lost an object"
echo "restore-v1-bad-blob: ok"
