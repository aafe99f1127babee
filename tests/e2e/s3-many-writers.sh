#!/bin/sh
# Many writers into one bucket at once: 50 `backupd backup` processes
# started together from 10 emulated HSMs (five each of the same partition,
# so they also contend for names within one second) into one s3:// store.
# All 50 land under their own names, each series (partition serial) holds
# exactly its five, every backup verifies, and `restore list --source`
# picks each HSM's out of the one bucket.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/backup.sh"
. "$here/helpers/s3.sh"
s3_start s3-many-writers
S=s3://coffer-many/fleet
backupd init "$S" --capacity 1000 >/dev/null
i=0
while [ $i -lt 10 ]; do
	bk_setup "h$i"
	i=$((i + 1))
done

i=0
while [ $i -lt 10 ]; do
	for j in 1 2 3 4 5; do
		backupd backup --from "hsm:$T/h$i#p1" --to "$S" --pin-file "$CO" \
			--backup-pin-file "$BK" --kdf test \
			>"$T/out.$i.$j" 2>"$T/err.$i.$j" &
		pids="${pids:-} $!"
	done
	i=$((i + 1))
done
failed=0
for pid in $pids; do
	wait "$pid" || failed=$((failed + 1))
done
[ "$failed" -eq 0 ] || { cat "$T"/err.* >&2; fail "$failed of 50 backups failed"; }
cat "$T"/out.* | LC_ALL=C sort >"$T/made"
[ "$(wc -l <"$T/made")" -eq 50 ] || { head -3 "$T/made"; cat "$T"/err.* | head; fail "not 50 names: $(wc -l <"$T/made")"; }
[ "$(uniq "$T/made" | wc -l)" -eq 50 ] || fail "two writers got one name"

restore list --from "$S" --names | LC_ALL=C sort >"$T/listed"
cmp -s "$T/made" "$T/listed" || fail "restore list is not the 50 backups"
# Read 7 manifests at a time (the default is 1024): the same listing, in
# the same order, across batch boundaries, and --latest the same backup.
restore list --from "$S" --json >"$T/all.json"
COFFER_S3_LIST_BATCH=7 restore list --from "$S" --json >"$T/b7.json"
cmp -s "$T/all.json" "$T/b7.json" || fail "a batched listing differs"
serial=$(hsm partition show "hsm:$T/h3#p1" --json | jq -r .serial)
[ "$(COFFER_S3_LIST_BATCH=7 restore list --from "$S" --source "$serial" \
	--latest)" = "$(restore list --from "$S" --source "$serial" --names |
	head -1)" ] || fail "--latest in batches is not the newest of its series"
i=0
while [ $i -lt 10 ]; do
	serial=$(hsm partition show "hsm:$T/h$i#p1" --json | jq -r .serial)
	[ "$(grep -c "^p1_${serial}_" "$T/listed")" -eq 5 ] ||
		fail "series $serial does not hold its five backups"
	restore list --from "$S" --source "$serial" --names >"$T/src"
	[ "$(wc -l <"$T/src")" -eq 5 ] || fail "--source $serial: not five"
	! grep -v "^p1_${serial}_" "$T/src" || fail "--source $serial: others"
	i=$((i + 1))
done
while read -r n; do
	restore verify --from "$S" "$n" >/dev/null || fail "$n does not verify"
done <"$T/listed"
echo "s3-many-writers: ok"
