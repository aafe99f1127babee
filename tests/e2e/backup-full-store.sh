#!/bin/sh
# A store at its capacity refuses a new backup before anything is created:
# the store's files are exactly as before, nothing in .tmp/, the message
# says how to make room; and so do the other preconditions (a partition
# that may not clone, an unknown object, a wrong credential, no store).
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/backup.sh"

bk_setup h 5
store_init s 2
backup_of h s >/dev/null
sleep 1
backup_of h s >/dev/null
sleep 1
before=$(store_state s)
expect_exit 1 backup_of h s
grep -q "holds 2 of 2 backup partitions" "$T/.err" || fail "message"
grep -q "prune old backups or raise 'capacity'" "$T/.err" || fail "hint"
[ "$(store_state s)" = "$before" ] || fail "a refused backup changed the store"
[ -z "$(ls -A "$T/s/.tmp")" ] || fail "a refused backup left a temporary"
[ "$(restore list --from "dir:$T/s" --json | grep -o '"name"' | wc -l)" -eq 2 ] ||
	fail "the store does not list exactly 2 backups"
grep -q '"event":"backup".*"result":"fail"' "$T/h/audit.log" ||
	fail "the refusal is not in the audit log"

# Other refusals, each before the store is touched.
store_init s2
before=$(store_state s2)
expect_exit 1 backupd backup --from "hsm:$T/h#p1" --to "dir:$T/s2" \
	--pin-file "$CO" --backup-pin-file "$BK" --kdf test --object nope
grep -q "object 'nope' is not in partition 'p1'" "$T/.err" || fail "message"
expect_exit 3 backupd backup --from "hsm:$T/h#p1" --to "dir:$T/s2" \
	--pin-file "$BAD" --backup-pin-file "$BK" --kdf test
hsm partition policy set "hsm:$T/h#p1" allow-cloning 0 --force \
	--pin-file "$PO" >/dev/null
expect_exit 3 backup_of h s2
grep -q "allow-cloning" "$T/.err" || fail "message: cloning"
[ "$(store_state s2)" = "$before" ] || fail "a refused backup changed the store"
mkdir "$T/none"
expect_exit 1 backupd backup --from "hsm:$T/h#p1" --to "dir:$T/none" \
	--pin-file "$CO" --backup-pin-file "$BK"
grep -q "is not a backup store" "$T/.err" || fail "message: no store"
[ -z "$(ls -A "$T/none")" ] || fail "files appeared in a directory not a store"
echo "backup-full-store: ok"
