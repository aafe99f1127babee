#!/bin/sh
# backupd backups into a Backup HSM, killed with SIGKILL at random moments
# over several runs: a killed backup never leaves a backup partition. The
# Backup HSM lists exactly the backups that finished (each verifies and
# opens); its backup area holds nothing else at the top; what killed runs
# left in .tmp/ never lists nor counts and gc removes it; every finished
# backup partition is in the Backup HSM's audit log and its chain still
# verifies (a run killed inside the audit step leaves only an interrupted
# record, which the chain reports as a crash, not tampering). A run killed
# after its partition is renamed into place and before the Backup HSM's
# hsm.db commits (the crash hook there) leaves the partition whole and its
# record uncommitted: the next write keeps the record ("kept uncommitted
# record"), so the log still names every partition there is.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/backup.sh"

now_ms() { echo $(($(date +%s%N) / 1000000)); }
listed() { restore list --from "hsm:$T/b" --names | LC_ALL=C sort; }

bk_setup h 40000
bhsm_init b
t0=$(now_ms)
backupd backup --from "hsm:$T/h#p1" --to "hsm:$T/b" --pin-file "$CO" \
	--backup-pin-file "$BK" --kdf test >"$T/names"
dur=$(($(now_ms) - t0))
[ "$dur" -gt 0 ] || dur=1
sleep 1

# The kill between the rename and the commit, on purpose: the Nth commit
# of the process is the Backup HSM's once a partition appears.
i=1
while :; do
	set +e
	COFFER_TEST_CRASH_AT="before-commit#$i" backupd backup \
		--from "hsm:$T/h#p1" --to "hsm:$T/b" --pin-file "$CO" \
		--backup-pin-file "$BK" --kdf test >/dev/null 2>&1
	rc=$?
	set -e
	[ "$rc" -eq 137 ] || fail "commit $i: exit $rc, the crash hook did not fire"
	LC_ALL=C sort "$T/names" >"$T/names.sorted"
	late=$(listed | comm -13 "$T/names.sorted" -)
	[ -z "$late" ] || break
	i=$((i + 1))
	[ "$i" -le 6 ] || fail "no commit left a partition in place"
done
expect_exit 0 hsm audit verify "$T/b"
grep -q "backup-partition-create" "$T/.err" ||
	{ cat "$T/.err"; fail "verify does not name the uncommitted record"; }
# the next write (another backup) settles the tail
sleep 1
backupd backup --from "hsm:$T/h#p1" --to "hsm:$T/b" --pin-file "$CO" \
	--backup-pin-file "$BK" --kdf test >>"$T/names"
grep -q "kept uncommitted record [0-9]* (backup-partition-create $late)" \
	"$T/b/audit.log" || fail "the record of $late, in place, was not kept"
[ "$(grep -c "\"event\":\"backup-partition-create\".*\"object\":\"$late\"" \
	"$T/b/audit.log")" -eq 1 ] || fail "$late is not named once in the log"
hsm audit verify "$T/b" >/dev/null 2>"$T/verr" && [ ! -s "$T/verr" ] ||
	{ cat "$T/verr"; fail "the chain does not verify clean after keeping"; }
echo "$late" >>"$T/names"
sleep 1

kill_backups "hsm:$T/b" 8

listed >"$T/listed"
LC_ALL=C sort "$T/names" | cmp -s - "$T/listed" || {
	LC_ALL=C sort "$T/names" | diff - "$T/listed" >&2
	fail "the Backup HSM lists other than the finished backups"
}
listed_open "hsm:$T/b"
while read -r name; do
	grep -q "\"object\":\"$name\"" "$T/b/audit.log" ||
		fail "$name is not in the Backup HSM's audit log"
done <"$T/listed"
(cd "$T/b/backup" && ls -A | grep -v -x -e store.conf -e .lock -e .tmp \
	-e .trash -e .verified | LC_ALL=C sort) | cmp -s - "$T/listed" ||
	fail "the Backup HSM's backup area holds more than the listed backups"
[ -z "$(ls -A "$T/b/backup/.trash")" ] || fail "something went to the trash"
echo "$(wc -l <"$T/listed") backup partitions, $(ls -A "$T/b/backup/.tmp" | wc -l) temporaries"
backupd gc "hsm:$T/b" >/dev/null
[ -z "$(ls -A "$T/b/backup/.tmp")" ] || fail "gc left temporaries"
listed | cmp -s - "$T/listed" || fail "gc changed the listing"
hsm audit verify "$T/b" >/dev/null || fail "the Backup HSM's audit chain broke"
echo "backuphsm-sigkill: ok"
