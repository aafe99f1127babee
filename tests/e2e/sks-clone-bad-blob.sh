#!/bin/sh
# A V1 to V1 clone stores the source's blobs as they come, but checks each
# one first: a blob whose tag no longer verifies (edited in the source's
# sks.db) stops the clone (exit 4, the blob named) and the target is left
# as it was, instead of receiving a key that can never be used.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/sks.sh"

sks_hsm h
sks_hsm g
sks_part h a 1
sks_part g b 1
A="hsm:$T/h#a"
B="hsm:$T/g#b"
hsm key generate "$A" --type aes --label k --count 5 --pin-file "$CO" >/dev/null
sqlite3 "$T/h/sks.db" "UPDATE blob SET blob = CAST(substr(blob, 1,
	length(blob) - 16) || zeroblob(16) AS BLOB) WHERE label = 'k-3'"
snap() {
	sqlite3 "$T/g/sks.db" .dump | sha256sum
	sqlite3 "$T/g/hsm.db" ".dump partition role domain object smk" | sha256sum
}
snap >"$T/s0"
expect_exit 4 clone --from "$A" --to "$B" --from-pin-file "$CO" --to-pin-file "$CO"
grep -q "blob 'k-3' fails its integrity check" "$T/.err" ||
	{ cat "$T/.err"; fail "the refusal does not name the bad blob"; }
snap | cmp -s - "$T/s0" || fail "a refused clone changed the target"
[ -z "$(hsm key list "$B" --pin-file "$CO" | grep '^k-')" ] ||
	fail "the target holds objects"
echo "sks-clone-bad-blob: ok"
