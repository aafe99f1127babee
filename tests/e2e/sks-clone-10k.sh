#!/bin/sh
# A V1 partition with 10 000 objects cloned to a V1 partition of another
# HSM sharing the domain: the target takes the SMK (same id), holds every
# blob byte for byte as the source does, and its keys work (ciphertext
# made on the source decrypts on the target, every blob opens there); a
# sync afterwards copies what is missing and tells identical blobs from
# a different key under the same label.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/sks.sh"

N=10000
sks_hsm src
sks_hsm dst
sks_part src a 1
sks_part dst b 1
A="hsm:$T/src#a"
B="hsm:$T/dst#b"
hsm key generate "$A" --type aes --label k --count $N --pin-file "$CO" >/dev/null
hsm key generate "$A" --type rsa --label rsa --pin-file "$CO" >/dev/null
echo "made on the source" >"$T/m"
hsm key encrypt "$A" --label k-4242 --in "$T/m" --out "$T/m.ct" --pin-file "$CO"
hsm key sign "$A" --label rsa --in "$T/m" --out "$T/m.sig" --pin-file "$CO"

clone --from "$A" --to "$B" --from-pin-file "$CO" --to-pin-file "$CO" \
	--json >"$T/clone.json"
json_has '"written":10001' "$T/clone.json"

smk() { hsm partition show "$1" --json | sed 's/.*"smk_id":"\([0-9a-f]*\)".*/\1/'; }
[ "$(smk "$A")" = "$(smk "$B")" ] || fail "the target does not hold the source's SMK"
# the blobs travelled untouched
q="SELECT label, hex(blob) FROM blob ORDER BY label"
sqlite3 "$T/src/sks.db" "$q" | sha256sum >"$T/src.blobs"
sqlite3 "$T/dst/sks.db" "$q" | sha256sum | cmp -s - "$T/src.blobs" ||
	fail "the target's blobs differ from the source's"
# keys work on the target
hsm key decrypt "$B" --label k-4242 --in "$T/m.ct" --out "$T/m.rt" --pin-file "$CO"
cmp -s "$T/m" "$T/m.rt" || fail "source ciphertext does not decrypt on the target"
hsm key verify "$B" --label rsa --in "$T/m" --signature "$T/m.sig" \
	--pin-file "$CO" >/dev/null
hsm sks verify "$B" --pin-file "$CO" | grep -q "^10001 blob(s) open" ||
	fail "not every blob opens on the target"
keys_work "$B" k $N
# sync: k-6 is missing on the target (copied), k-5 is another key there
# (kept, reported as different, exit 1), the rest identical blob for blob
hsm key delete "$B" --label k-6 --pin-file "$CO" >/dev/null
hsm key delete "$B" --label k-5 --pin-file "$CO" >/dev/null
hsm key generate "$B" --type aes --label k-5 --pin-file "$CO" >/dev/null
expect_exit 1 clone --from "$A" --to "$B" --sync --from-pin-file "$CO" \
	--to-pin-file "$CO" --json
cp "$T/.out" "$T/sync.json"
json_has '"written":1' "$T/sync.json"
json_has '{"label":"k-5","reason":"label exists on the target with different' "$T/sync.json"
json_has '"identical":9999' "$T/sync.json"
grep -q '"label":"k-4"' "$T/sync.json" && fail "an identical blob listed as not transferred"
key_works "$B" k-6
hsm audit verify "$T/dst" >/dev/null
echo "sks-clone-10k ok"
