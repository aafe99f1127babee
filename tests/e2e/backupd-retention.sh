#!/bin/sh
# Retention by hand: prune --dry-run names what prune then soft-deletes;
# the newest verified backup is never removed (delete refuses it); a
# soft-deleted backup lists in the trash with its purge time and comes
# back with undelete; purge with a zero grace period removes the trash for
# good; the store keeps listing exactly what it holds.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/backup.sh"

listed() { restore list --from "dir:$T/s" --json | grep -o '"name":"[^"]*"' |
	cut -d'"' -f4; }

bk_setup h 3
backupd init "dir:$T/s" --grace-days 0 >/dev/null
for i in 1 2 3 4; do
	backup_of h s >>"$T/names"
	sleep 1
done
newest=$(tail -1 "$T/names")
oldest=$(head -1 "$T/names")

# Verify the second oldest only: it is the newest verified, so protected.
second=$(sed -n 2p "$T/names")
restore verify --from "dir:$T/s" "$second" >/dev/null
expect_exit 3 backupd delete "dir:$T/s" "$second"
grep -q "never removes the last good backup" "$T/.err" || fail "message"

# keep-last 1: a dry run names two (the newest stays, the verified too).
backupd prune "dir:$T/s" --keep-last 1 --dry-run --json >"$T/dry.json"
json_has '"dry_run":true' "$T/dry.json"
[ "$(listed | wc -l)" -eq 4 ] || fail "a dry run deleted something"
grep -q "$newest" "$T/dry.json" && fail "the newest would be deleted"
grep -q "$second" "$T/dry.json" && fail "the newest verified would be deleted"
backupd prune "dir:$T/s" --keep-last 1 --json >"$T/prune.json"
[ "$(listed | wc -l)" -eq 2 ] || fail "prune should leave 2"
listed | grep -qx "$newest" && listed | grep -qx "$second" ||
	fail "prune removed the wrong backups"

# The trash lists them; undelete brings one back.
backupd trash "dir:$T/s" --json >"$T/trash.json"
json_has "\"name\":\"$oldest\"" "$T/trash.json"
backupd undelete "dir:$T/s" "$oldest" >/dev/null
listed | grep -qx "$oldest" || fail "undelete did not bring it back"
restore verify --from "dir:$T/s" "$oldest" >/dev/null

# Purge (grace 0): the trash is emptied for good, the store unchanged.
before=$(listed)
backupd purge "dir:$T/s" >"$T/purge.out"
grep -q "purged 1 backup" "$T/purge.out" || fail "purge count"
[ -z "$(ls -A "$T/s/.trash")" ] || fail "purge left the trash"
[ "$(listed)" = "$before" ] || fail "purge changed the store"
expect_exit 2 backupd delete "dir:$T/s" ../store.conf
expect_exit 2 backupd prune "dir:$T/s" --keep-last x
echo "backupd-retention: ok"
