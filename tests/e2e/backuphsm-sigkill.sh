#!/bin/sh
# backupd backups into a Backup HSM, killed with SIGKILL at random moments
# over several runs: a killed backup never leaves a backup partition. The
# Backup HSM lists exactly the backups that finished (each verifies and
# opens); its backup area holds nothing else at the top; what killed runs
# left in .tmp/ never lists nor counts and gc removes it; every finished
# backup partition is in the Backup HSM's audit log and its chain still
# verifies (a run killed inside the audit step leaves only an interrupted
# record, which the chain reports as a crash, not tampering).
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
