#!/bin/sh
# V1 backups carry the SMK (sealed like every record) and the blobs as they
# are: a V1 partition backed up, zeroized and re-initialized (a new SMK)
# comes back whole with --replace (it takes the backup's SMK), and the same
# backup restores into a V0 partition (the target re-encrypts); the keys
# work in both.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/sks.sh"
BK=$(pinfile bk "backup-password-1")

sks_hsm h
sks_part h p1 1
sks_part h v0 0
P="hsm:$T/h#p1"
hsm key generate "$P" --type aes --label k --count 300 --pin-file "$CO" >/dev/null
hsm key generate "$P" --type rsa --label rsa --pin-file "$CO" >/dev/null
echo "before the backup" >"$T/m"
hsm key sign "$P" --label rsa --in "$T/m" --out "$T/m.sig" --pin-file "$CO"
hsm key encrypt "$P" --label k-150 --in "$T/m" --out "$T/m.ct" --pin-file "$CO"
smk() { hsm partition show "$1" --json | sed 's/.*"smk_id":"\([0-9a-f]*\)".*/\1/'; }
smk0=$(smk "$P")

backupd init "dir:$T/s" >/dev/null
name=$(backupd backup --from "$P" --to "dir:$T/s" --pin-file "$CO" \
	--backup-pin-file "$BK" --kdf test)
restore list --from "dir:$T/s" --json >"$T/list"
json_has '"partition_version":"V1"' "$T/list"
json_has '"objects":301' "$T/list"
restore verify --from "dir:$T/s" "$name" >/dev/null
# no blob key material in the store: the SMK id is not even there
grep -rq "$smk0" "$T/s" && fail "the store names the SMK"

# disaster: the partition is zeroized and initialized again (a new SMK)
hsm partition zeroize "$P" --pin-file "$SO" >/dev/null
sks_part_init() {
	hsm partition init "$P" --new-pin-file "$PO" --domain-pin-file "$DOM" --domain-string "$(domstr "$DOM")" >/dev/null
	hsm role init "$P" --role co --pin-file "$PO" --new-pin-file "$CO" >/dev/null
}
sks_part_init
[ "$(smk "$P")" != "$smk0" ] || fail "re-initialization kept the SMK"
restore --from "dir:$T/s" --backup "$name" --to "$P" --pin-file "$CO" \
	--backup-pin-file "$BK" --replace >/dev/null
[ "$(smk "$P")" = "$smk0" ] || fail "the restored partition lacks the backup's SMK"
hsm sks verify "$P" --pin-file "$CO" | grep -q "^301 blob(s) open" || fail "verify"
hsm key verify "$P" --label rsa --in "$T/m" --signature "$T/m.sig" \
	--pin-file "$CO" >/dev/null
hsm key decrypt "$P" --label k-150 --in "$T/m.ct" --out "$T/m.rt" --pin-file "$CO"
cmp -s "$T/m" "$T/m.rt" || fail "ciphertext from before the backup"

# the same backup into a V0 partition, a selection of it
restore --from "dir:$T/s" --backup "$name" --to "hsm:$T/h#v0" --pin-file "$CO" \
	--backup-pin-file "$BK" --add --object rsa --object k-150 >/dev/null
hsm partition show "hsm:$T/h#v0" --json | grep -q '"objects":2' || fail "V0 count"
hsm key decrypt "hsm:$T/h#v0" --label k-150 --in "$T/m.ct" --out "$T/m.rt2" \
	--pin-file "$CO"
cmp -s "$T/m" "$T/m.rt2" || fail "ciphertext on the V0 partition"
hsm audit verify "$T/h" >/dev/null
echo "sks-backup ok"
