#!/bin/sh
# Scheduled backups to a Backup HSM beside a dir: store: two 'backupd run
# --once' configurations with the same jobs, one writing to hsm:DIR, one to
# dir:PATH, run side by side twice. Each store gets one backup partition
# per job and run, named by the source's label and serial; retention (keep
# last 1) soft-deletes the older ones in both - on the Backup HSM with its
# SO, logged in once from 'officer-pin-file', every create and delete in
# its audit chain. A Backup HSM configuration with retention and no
# officer-pin-file, or a wrong one, is refused before any job runs.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/backup.sh"

bk_setup h 10
p2_setup h
s1=$(hsm partition show "hsm:$T/h#p1" --json | jq -r .serial)
s2=$(hsm partition show "hsm:$T/h#p2" --json | jq -r .serial)
bhsm_init b
store_init s

conf() { # conf FILE STORE [extra line]
	cat >"$1" <<CONF
store $2
interval 1d
keep last 1
metrics $1.prom
state $T
${3:-}
job pay   from=hsm:$T/h#p1 pin-file=$CO backup-pin-file=$BK kdf=test
job other from=hsm:$T/h#p2 pin-file=$CO backup-pin-file=$BK kdf=test
CONF
}
conf "$T/hsm.conf" "hsm:$T/b" "officer-pin-file $BSO"
conf "$T/dir.conf" "dir:$T/s"

# Retention on a Backup HSM needs its SO: 'check' says so, and run
# refuses before any job.
backupd check --config "$T/hsm.conf" >/dev/null
conf "$T/noso.conf" "hsm:$T/b"
expect_exit 3 backupd check --config "$T/noso.conf"
grep -q "officer-pin-file" "$T/.out" || fail "check: no officer-pin-file"
expect_exit 3 backupd run --config "$T/noso.conf" --once
grep -q "officer-pin-file" "$T/.err" || fail "message: no officer-pin-file"
conf "$T/badso.conf" "hsm:$T/b" "officer-pin-file $BAD"
expect_exit 3 backupd run --config "$T/badso.conf" --once
[ -z "$(restore list --from "hsm:$T/b" --names)" ] ||
	fail "a refused configuration ran a job"

both() {
	backupd run --config "$T/hsm.conf" --once 2>"$T/hsm.err" &
	p1=$!
	backupd run --config "$T/dir.conf" --once 2>"$T/dir.err" &
	p2=$!
	rc1=0 rc2=0
	wait "$p1" || rc1=$?
	wait "$p2" || rc2=$?
	[ "$rc1" -eq 0 ] || { cat "$T/hsm.err" >&2; fail "hsm: run exit $rc1"; }
	[ "$rc2" -eq 0 ] || { cat "$T/dir.err" >&2; fail "dir: run exit $rc2"; }
}
both
for u in "hsm:$T/b" "dir:$T/s"; do
	restore list --from "$u" --names >"$T/names"
	[ "$(wc -l <"$T/names")" -eq 2 ] || fail "$u: want 2 backup partitions"
	grep -q "^p1_${s1}_.*Z\.cbk$" "$T/names" || fail "$u: no backup of p1"
	grep -q "^p2_${s2}_.*Z\.cbk$" "$T/names" || fail "$u: no backup of p2"
done
grep -q "job pay: p1_${s1}_.*: 12 objects" "$T/hsm.err" || fail "job pay not logged"
grep -q '^coffer_backup_store_backups 2$' "$T/hsm.conf.prom" ||
	fail "metrics: the Backup HSM's backup partitions"
sleep 1
both
for u in "hsm:$T/b" "dir:$T/s"; do
	[ "$(restore list --from "$u" --names | wc -l)" -eq 2 ] ||
		fail "$u: retention did not keep one per job"
	[ "$(backupd trash "$u" --json | grep -o '"name"' | wc -l)" -eq 2 ] ||
		fail "$u: retention did not soft-delete the older two"
done
grep -q "retention: soft-deleted p1_${s1}_" "$T/hsm.err" || fail "no retention logged"
restore list --from "hsm:$T/b" --names | LC_ALL=C sort | comm -12 - "$T/names" |
	grep -q . && fail "the Backup HSM kept a backup partition of the first run"
[ "$(grep -c '"event":"backup-partition-create","result":"ok"' "$T/b/audit.log")" -eq 4 ] ||
	fail "the Backup HSM's audit log lacks a create"
[ "$(grep -c '"event":"backup-partition-delete","result":"ok"' "$T/b/audit.log")" -eq 2 ] ||
	fail "the Backup HSM's audit log lacks retention's deletes"
grep -q '"event":"login","result":"fail","role":"so"' "$T/b/audit.log" ||
	fail "the wrong officer credential was not audited"
hsm audit verify "$T/b" >/dev/null
echo "backuphsm-scheduled: ok"
