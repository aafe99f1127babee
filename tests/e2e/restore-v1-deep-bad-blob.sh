#!/bin/sh
# `restore verify --deep` of a V1 backup opens every blob under the
# backup's SMK, on two threads (the reading one opens every other blob,
# the checking one the rest). A blob whose tag no longer verifies (edited
# in the source's sks.db before the backup, which carries blobs as
# stored) is found wherever it falls, on either thread: exit 4, the blob
# named by its place in the stream, and the backup no longer listed as
# verified. The same backup without the edit verifies.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/sks.sh"
. "$here/helpers/backup.sh"

sks_hsm h
sks_part h p1 1
hsm key generate "hsm:$T/h#p1" --type aes --label k --count 40 \
	--pin-file "$CO" >/dev/null
store_init s
good=$(backup_of h s)
deep() {
	restore verify --deep --from "dir:$T/$1" "$2" --to "hsm:$T/h#p1" \
		--pin-file "$CO" --backup-pin-file "$BK"
}
deep s "$good" >"$T/good.out" || fail "the unedited backup does not verify"
grep -q "deep: 41 records" "$T/good.out" || fail "record count"

# Two neighbours in the stream: one on each thread.
for label in k-20 k-21; do
	rm -rf "$T/h2"
	cp -a "$T/h" "$T/h2"
	sqlite3 "$T/h2/sks.db" "UPDATE blob SET blob = CAST(substr(blob, 1,
		length(blob) - 16) || zeroblob(16) AS BLOB) WHERE label = '$label'"
	store_init "s-$label"
	name=$(backupd backup --from "hsm:$T/h2#p1" --to "dir:$T/s-$label" \
		--pin-file "$CO" --backup-pin-file "$BK" --kdf test)
	restore verify --from "dir:$T/s-$label" "$name" >/dev/null ||
		fail "$label: the archive itself is sound and should verify"
	expect_exit 4 deep "s-$label" "$name"
	grep -q "does not open under the backup's SMK" "$T/.err" ||
		{ cat "$T/.err"; fail "$label: the refusal does not say why"; }
	restore list --from "dir:$T/s-$label" --json | grep -q '"verified":true' &&
		fail "$label: a backup that failed --deep lists as verified"
done
echo "restore-v1-deep-bad-blob: ok"
