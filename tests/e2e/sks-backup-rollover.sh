#!/bin/sh
# A V1 backup racing an SMK rollover is never silently unrestorable (issue
# 11, item 1): over several runs, each backup is started and a rollover of
# the same partition is started while it runs. A backup that exits 0 must
# pass `restore verify --deep` and restore; one that fails must say the SMK
# changed under it, and leave nothing listed. The partition's keys work
# after every run.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/sks.sh"

N=3000
RUNS=6
sks_hsm h
sks_part h v1 1
U="hsm:$T/h#v1"
hsm key generate "$U" --type aes --label k --count $N --pin-file "$CO" >/dev/null
backupd init "dir:$T/s" --capacity 1000 >/dev/null
BK=$(pinfile bk "backup-secret-1")

ok=0
refused=0
run=1
while [ "$run" -le "$RUNS" ]; do
	set +e
	backupd backup --from "$U" --to "dir:$T/s" --pin-file "$CO" \
		--backup-pin-file "$BK" --kdf interactive >"$T/b.out" 2>"$T/b.err" &
	pid=$!
	# a different moment in each run: from at once to well into the read
	sleep "0.0$(( (run * 37) % 10 ))"
	hsm sks rollover "$U" --pin-file "$CO" >/dev/null 2>"$T/r.err"
	rr=$?
	wait "$pid"
	rc=$?
	set -e
	[ "$rr" -eq 0 ] || { cat "$T/r.err"; fail "run $run: the rollover failed"; }
	if [ "$rc" -eq 0 ]; then
		name=$(cat "$T/b.out")
		restore verify --deep --from "dir:$T/s" "$name" --to "$U" \
			--pin-file "$CO" --backup-pin-file "$BK" >/dev/null 2>"$T/v.err" ||
			{ cat "$T/v.err"; fail "run $run: backup $name exited 0 but does not verify"; }
		ok=$((ok + 1))
	else
		grep -q "changed while its blobs were read" "$T/b.err" ||
			{ cat "$T/b.err"; fail "run $run: backup failed without naming the rollover"; }
		refused=$((refused + 1))
	fi
	run=$((run + 1))
	sleep 1 # backup names are to the second
done
# every listed backup is one that exited 0
[ "$(restore list --from "dir:$T/s" --json | jq '.backups | length')" -eq "$ok" ] ||
	fail "a failed backup left something listed"
# the last good backup restores into a fresh V1 partition and its keys work
sks_part h r1 1
restore --from "dir:$T/s" --backup "$name" --to "hsm:$T/h#r1" --replace \
	--pin-file "$CO" --backup-pin-file "$BK" >/dev/null 2>"$T/rs.err" ||
	{ cat "$T/rs.err"; fail "the last backup does not restore"; }
keys_work "hsm:$T/h#r1" k "$N"
keys_work "$U" k "$N"
echo "sks-backup-rollover: ok ($ok verified backups, $refused refused)"
