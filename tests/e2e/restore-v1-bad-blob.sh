#!/bin/sh
# A V1 backup's blobs are stored as they come, but each is checked first
# (restore checks them on its reading thread, while the other thread
# inserts): a blob whose tag no longer verifies (edited in the source's
# sks.db before the backup) stops restore --replace (exit 4, the blob
# named), and the partition, half way through being emptied and refilled
# on the other thread, is left as it was.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/sks.sh"
. "$here/helpers/backup.sh"

sks_hsm h
sks_part h p1 1
P="hsm:$T/h#p1"
hsm key generate "$P" --type aes --label k --count 3000 --pin-file "$CO" \
	>/dev/null
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
