#!/bin/sh
# A Backup HSM holds 100 backup partitions unless its capacity is set at
# init. The 101st is refused before any work: exit 1 with "holds 100 of
# 100" and where to raise it, nothing in the Backup HSM's backup area, not
# even a temporary, and no change to the Backup HSM but one audit line
# that records the refusal (the source records the attempt too). A
# capacity set at init (--capacity 2) holds likewise, and a slot freed by
# the Backup HSM's SO takes the next backup.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/backup.sh"

bk_setup h 3
P="hsm:$T/h#p1"
bhsm_init b
B="hsm:$T/b"
restore list --from "$B" 2>&1 | grep -q "0 of 100 backup partitions" ||
	fail "a Backup HSM does not hold 100 by default"
first=$(backupd backup --from "$P" --to "$B" --pin-file "$CO" \
	--backup-pin-file "$BK" --kdf test)
# 99 more backup partitions: copies of the first under other dated names.
# Each lists (flagged as disagreeing with its manifest) and takes a slot.
stem=${first%_*}
i=1
while [ "$i" -le 99 ]; do
	cp -p "$T/b/backup/$first" \
		"$T/b/backup/${stem}_2001$(printf '%02d' $((i % 12 + 1)))$(printf '%02d' $((i % 28 + 1)))T00$(printf '%02d' $((i / 60)))$(printf '%02d' $((i % 60)))Z.cbk"
	i=$((i + 1))
done
[ "$(restore list --from "$B" --names | wc -l)" -eq 100 ] ||
	fail "the Backup HSM does not list 100 backup partitions"
hsm show "$T/b" | grep -q "^Backup partitions: 100 of 100$" ||
	fail "hsm show does not count 100 of 100"

# The Backup HSM's state but for its audit chain: every row of hsm.db
# except the audit head, and every file of its backup area.
bhsm_state() {
	{ sqlite3 "$T/b/hsm.db" "SELECT state, label, serial, auth, kdf,
		hex(so_salt), hex(so_check), so_fail, allow_cloning, created
		FROM hsm; SELECT * FROM meta; SELECT count(*) FROM partition;"
	  store_state b/backup; } | sha256sum
}
b0=$(bhsm_state)
lines0=$(wc -l <"$T/b/audit.log")
expect_exit 1 backupd backup --from "$P" --to "$B" --pin-file "$CO" \
	--backup-pin-file "$BK" --kdf test
grep -q "holds 100 of 100 backup partitions" "$T/.err" ||
	fail "message: the 101st is not refused for the capacity"
grep -q "raise 'capacity' in $T/b/backup/store.conf" "$T/.err" ||
	fail "message: where the capacity is raised"
grep -q "nothing was created" "$T/.err" || fail "message: nothing created"
[ "$(bhsm_state)" = "$b0" ] || fail "the refused 101st changed the Backup HSM"
[ -z "$(ls -A "$T/b/backup/.tmp")" ] || fail "a temporary was left"
[ "$(wc -l <"$T/b/audit.log")" -eq $((lines0 + 1)) ] ||
	fail "the refusal is not one audit line of the Backup HSM"
tail -1 "$T/b/audit.log" | grep -q '"event":"backup-partition-create","result":"fail"' ||
	fail "the Backup HSM's audit line is not the refusal"
# The attempt is in the source's audit log, as every attempt is.
tail -1 "$T/h/audit.log" | grep '"event":"backup","result":"fail"' >"$T/src.line" ||
	fail "the source did not record the refused attempt"
grep -q "full" "$T/src.line" || fail "the source does not say the store was full"
hsm audit verify "$T/b" >/dev/null

# Capacity set at init.
bhsm_init c 2
C="hsm:$T/c"
backupd backup --from "$P" --to "$C" --pin-file "$CO" --backup-pin-file "$BK" \
	--kdf test >/dev/null
sleep 1
backupd backup --from "$P" --to "$C" --pin-file "$CO" --backup-pin-file "$BK" \
	--kdf test >/dev/null
ct=$(store_state c/backup)
expect_exit 1 backupd backup --from "$P" --to "$C" --pin-file "$CO" \
	--backup-pin-file "$BK" --kdf test
grep -q "holds 2 of 2 backup partitions" "$T/.err" || fail "message: capacity 2"
[ "$(store_state c/backup)" = "$ct" ] || fail "the refused 3rd changed the Backup HSM"
# The Backup HSM's SO frees a slot (the older; the newer is protected).
old=$(restore list --from "$C" --names | tail -1)
backupd delete "$C" "$old" --pin-file "$BSO" >/dev/null
sleep 1
backupd backup --from "$P" --to "$C" --pin-file "$CO" --backup-pin-file "$BK" \
	--kdf test >/dev/null
[ "$(restore list --from "$C" --names | wc -l)" -eq 2 ] ||
	fail "a freed slot did not take the next backup"
# The trash: it lists the deleted one, which cannot come back into a full
# Backup HSM; purging needs the SO and keeps it within the grace period.
backupd trash "$C" --json | grep -q "\"name\":\"$old\"" || fail "trash: not listed"
expect_exit 1 backupd undelete "$C" "$old"
grep -q "full" "$T/.err" || fail "message: undelete into a full Backup HSM"
expect_exit 3 backupd purge "$C" --pin-file "$BAD"
backupd purge "$C" --pin-file "$BSO" --json | grep -q '"purged":0' ||
	fail "purge removed a backup partition within its grace period"
backupd prune "$C" --keep-last 1 --dry-run --json | grep -q '"pruned":\[' ||
	fail "prune --dry-run needs no SO"
# A PED Backup HSM (capacity 1) is full after one backup partition. Its
# SO logs in with 2 of its 3 shares (one share is refused and deletes
# nothing), and even then its last good backup partition stays.
hsm init "$T/pb" --backup --capacity 1 --label pbh --kdf test --ped \
	--m 2 --n 3 --shares-out "$T/sos" >/dev/null 2>&1
mofn split --m 1 --n 1 --random 32 --out-dir "$T/bps" >/dev/null 2>&1
pn=$(backupd backup --from "$P" --to "hsm:$T/pb" --pin-file "$CO" \
	--backup-share "$T/bps/share-1-of-1.cshare" --kdf test)
expect_exit 1 backupd backup --from "$P" --to "hsm:$T/pb" --pin-file "$CO" \
	--backup-share "$T/bps/share-1-of-1.cshare" --kdf test
grep -q "holds 1 of 1" "$T/.err" || fail "message: PED Backup HSM full"
expect_exit 3 backupd delete "hsm:$T/pb" "$pn" --share "$T/sos/so-1-of-3.cshare"
backupd undelete "hsm:$T/pb" "$pn" >/dev/null 2>&1 && fail "undeleted what was never deleted"
[ "$(restore list --from "hsm:$T/pb" --names)" = "$pn" ] ||
	fail "one share deleted a backup partition"
expect_exit 3 backupd delete "hsm:$T/pb" "$pn" --share "$T/sos/so-1-of-3.cshare" \
	--share "$T/sos/so-3-of-3.cshare"
grep -q "never removes the last good backup" "$T/.err" ||
	fail "the PED SO removed the last good backup"

expect_exit 2 hsm init "$T/d" --backup --capacity 100001 --label d --kdf test \
	--pin-file "$BSO"
expect_exit 2 hsm init "$T/d" --backup --capacity 0 --label d --kdf test \
	--pin-file "$BSO"
expect_exit 2 hsm init "$T/d" --capacity 5 --label d --kdf test --pin-file "$BSO"
echo "backuphsm-capacity: ok"
