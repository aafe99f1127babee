#!/bin/sh
# V1 (SKS) backups through restore: `restore verify --deep` opens every
# blob under the SMK the backup carries; after an SMK rollover the backup's
# SMK is no longer the partition's, so --add is refused (exit 3: the blobs
# under the current SMK would be lost) and leaves the partition as it was,
# while --replace, which empties the partition by definition, brings back
# exactly the backup (its SMK, its objects) and the old keys work. The
# backup's SMK was retired by the rollover, so taking it back needs
# --force: without it the restore is refused (exit 3) and changes nothing.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/sks.sh"
. "$here/helpers/backup.sh"

sks_hsm h
sks_part h p1 1
P="hsm:$T/h#p1"
hsm key generate "$P" --type aes --label k --count 40 --pin-file "$CO" >/dev/null
echo "before the backup" >"$T/m"
hsm key encrypt "$P" --label k-7 --in "$T/m" --out "$T/m.ct" --pin-file "$CO"
store_init s
name=$(backup_of h s)
smk() { hsm partition show "$P" --json | sed 's/.*"smk_id":"\([0-9a-f]*\)".*/\1/'; }
smk0=$(smk)

restore verify --deep --from "dir:$T/s" "$name" --to "$P" --pin-file "$CO" \
	--backup-pin-file "$BK" --json >"$T/deep.json"
json_has '"records":41' "$T/deep.json"

hsm sks rollover "$P" --pin-file "$CO" >/dev/null
[ "$(smk)" != "$smk0" ] || fail "the rollover kept the SMK"
hsm key generate "$P" --type aes --label after --pin-file "$CO" >/dev/null
before=$(hsm_state h)
expect_exit 3 restore_to h s "$name" add
[ "$(hsm_state h)" = "$before" ] || fail "a refused --add changed the partition"

expect_exit 3 restore_to h s "$name" replace
grep -q "was retired on partition 'p1'.*add --force" "$T/.err" ||
	{ cat "$T/.err" >&2; fail "a retired SMK is not refused by name"; }
[ "$(hsm_state h)" = "$before" ] || fail "a refused retired SMK changed the partition"
restore_to h s "$name" replace --force --json >"$T/r.json"
json_has '"written":40' "$T/r.json"
[ "$(smk)" = "$smk0" ] || fail "--replace did not bring the backup's SMK"
hsm key list "$P" --pin-file "$CO" | grep -q "^after " &&
	fail "--replace kept an object the backup does not hold"
hsm key decrypt "$P" --label k-7 --in "$T/m.ct" --out "$T/m.rt" --pin-file "$CO"
cmp -s "$T/m" "$T/m.rt" || fail "the old ciphertext does not decrypt"
echo "restore-v1: ok"
