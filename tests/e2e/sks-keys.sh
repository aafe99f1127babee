#!/bin/sh
# Every `hsm key` command works on a V1 partition: the hsm-lifecycle
# scenario (every key type generated, listed and used, signatures checked
# by openssl on exported public keys, AES and HMAC round trips, data and
# certificate imports by CO and CU, role rules, unique labels, the object
# count) run as it is against a V1 (SKS) partition, whose objects are then
# SKS blobs in sks.db and none in hsm.db.
. "$(dirname "$0")/lib.sh"
HSM_E2E_VERSION=1 TMPDIR="$T" sh "$here/hsm-lifecycle.sh" >"$T/out" ||
	{ cat "$T/out"; fail "hsm-lifecycle on a V1 partition"; }
grep -q "hsm-lifecycle: ok" "$T/out" || fail "hsm-lifecycle did not finish"

# the same partition kind, kept this time: where the objects went
. "$here/helpers/hsm.sh"
HSM_E2E_VERSION=1 hsm_setup h
P="hsm:$T/h#p1"
hsm partition show "$P" --json | grep -q '"partition_version":"V1"' || fail "p1 is not V1"
hsm key generate "$P" --type rsa --label r --pin-file "$CO" >/dev/null
printf '0123456789abcdef0123456789abcdef' >"$T/k"
hsm key import "$P" --type aes --label imported --in "$T/k" --pin-file "$CO" >/dev/null
[ "$(sqlite3 "$T/h/hsm.db" 'SELECT count(*) FROM object')" = 0 ] ||
	fail "V1 objects landed in hsm.db"
[ "$(sqlite3 "$T/h/sks.db" "SELECT label FROM blob ORDER BY id" | tr '\n' ,)" = "r,imported," ] ||
	fail "the blobs are not in sks.db"
# the imported key bytes appear nowhere in clear
for f in "$T/h"/*; do
	grep -q "0123456789abcdef0123456789abcdef" "$f" && fail "key bytes in clear in $f"
done
echo "sks-keys ok"
