#!/bin/sh
# A PED Backup HSM: its SO is a share set, and so is each backup
# partition's credential (a set made by 'mofn split', given as M
# --backup-share files). A typed backup password is refused before any
# login with nothing created; the share set opens the backup partition for
# verify --deep and restore, also after a copy to a dir: store; too few
# shares or another set are refused (exit 3) with the target unchanged;
# deleting needs the SO's shares; scheduled jobs, which cannot present a
# share set, are refused at start.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/backup.sh"

bk_setup h 4
P="hsm:$T/h#p1"
hsm init "$T/pb" --backup --label pbh --kdf test --ped --m 2 --n 3 \
	--shares-out "$T/sos" >/dev/null 2>&1
B="hsm:$T/pb"
mofn split --m 2 --n 3 --random 32 --out-dir "$T/bps" >/dev/null 2>&1
mofn split --m 2 --n 3 --random 32 --out-dir "$T/other" >/dev/null 2>&1
bs() { for i in "$@"; do printf -- '--backup-share %s ' "$T/bps/share-$i-of-3.cshare"; done; }

# A password where a share set is due: refused, nothing created, no login.
src0=$(hsm_state h)
expect_exit 2 backupd backup --from "$P" --to "$B" --pin-file "$CO" \
	--backup-pin-file "$BK" --kdf test
grep -q "PED Backup HSM" "$T/.err" || fail "message: PED Backup HSM"
[ "$(hsm_state h)" = "$src0" ] || fail "the refused backup logged in"
[ -z "$(restore list --from "$B" --names)" ] || fail "a refused backup was created"

# shellcheck disable=SC2046
name=$(backupd backup --from "$P" --to "$B" --pin-file "$CO" $(bs 1 3) --kdf test)
[ -n "$name" ] || fail "no backup partition"
# shellcheck disable=SC2046
restore verify --deep --from "$B" "$name" --to "$P" --pin-file "$CO" \
	$(bs 2 3) >/dev/null
hsm key delete "$P" --label sig --pin-file "$CO" >/dev/null
before=$(hsm_state h)
# shellcheck disable=SC2046
expect_exit 3 restore --from "$B" --backup "$name" --to "$P" --pin-file "$CO" \
	$(bs 2) --replace
[ "$(hsm_state h)" = "$before" ] || fail "too few shares changed the target"
expect_exit 3 restore --from "$B" --backup "$name" --to "$P" --pin-file "$CO" \
	--backup-share "$T/other/share-1-of-3.cshare" \
	--backup-share "$T/other/share-2-of-3.cshare" --replace
[ "$(hsm_state h)" = "$before" ] || fail "another set changed the target"
expect_exit 3 restore --from "$B" --backup "$name" --to "$P" --pin-file "$CO" \
	--backup-pin-file "$BK" --replace
[ "$(hsm_state h)" = "$before" ] || fail "a password changed the target"
# shellcheck disable=SC2046
restore --from "$B" --backup "$name" --to "$P" --pin-file "$CO" $(bs 1 2) \
	--replace >/dev/null
hsm key list "$P" --pin-file "$CO" --json | grep -q '"label":"sig"' ||
	fail "the share set did not restore the key"

# Copied to a dir: store it opens with the same share set.
store_init s
backupd copy --from "$B" --to "dir:$T/s" "$name" >/dev/null
# shellcheck disable=SC2046
restore verify --deep --from "dir:$T/s" "$name" --to "$P" --pin-file "$CO" \
	$(bs 1 3) >/dev/null

# Deleting takes the SO's shares (and keeps the last good backup).
expect_exit 3 backupd delete "$B" "$name" --share "$T/sos/so-1-of-3.cshare"
grep -q "too few shares" "$T/.err" || fail "message: one SO share"

# Scheduled jobs cannot present a share set.
cat >"$T/conf" <<CONF
store $B
job pay from=$P pin-file=$CO backup-pin-file=$BK kdf=test
CONF
expect_exit 1 backupd check --config "$T/conf"
grep -q "PED Backup HSM" "$T/.out" || fail "check: PED Backup HSM"
expect_exit 1 backupd run --config "$T/conf" --once
grep -q "PED Backup HSM" "$T/.err" || fail "message: run to a PED Backup HSM"
[ "$(restore list --from "$B" --names)" = "$name" ] ||
	fail "the refused run made a backup partition"
hsm audit verify "$T/pb" >/dev/null
echo "backuphsm-ped: ok"
