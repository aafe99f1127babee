#!/bin/sh
# backupd's unattended and retention commands on an S3 store (a real
# radosgw on loopback), as on a dir: store:
#   - `backupd run` with a wrong PIN file spends exactly one login, disables
#     the job and lands nothing in the bucket; a second run spends nothing;
#     once the PIN is fixed and the job enabled, its backup lands, and after
#     a `restore verify` the next run's metrics carry the series' verified
#     time (read from the marks' listing, not from every manifest);
#   - prune never removes the newest verified backup; the trash lists what
#     prune moved; undelete brings one back whole (it verifies); purge with
#     a zero grace period empties the trash for good and leaves the
#     backups as they were; the bucket holds no trash object afterwards.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/backup.sh"
. "$here/helpers/s3.sh"
s3_start s3-run
S=s3://coffer-run/site

listed() { restore list --from "$S" --json | jq -r '.backups[].name'; }
failed_co() {
	hsm partition show "$P" --json |
		jq '.roles[] | select(.role == "co") | .failed_logins'
}
keys_under() {
	s3c "$AWS_ENDPOINT_URL/coffer-run?list-type=2&prefix=$1" |
		grep -o '<Key>[^<]*</Key>' | wc -l
}

bk_setup h 3
P="hsm:$T/h#p1"
backupd init "$S" --grace-days 0 >/dev/null
mkdir -m 700 "$T/state"
PIN=$(pinfile jobpin "not-the-co-password")
cat >"$T/conf" <<CONF
store $S
interval 1h
state $T/state
metrics $T/m.prom
job nightly from=$P pin-file=$PIN backup-pin-file=$BK kdf=test
CONF

# A refused login disables the job at once; nothing lands, nothing retries.
expect_exit 3 backupd run --config "$T/conf" --once
grep -q "DISABLED" "$T/.err" || fail "the job is not reported disabled"
[ "$(failed_co)" -eq 1 ] || fail "want 1 failed CO login, got $(failed_co)"
[ -z "$(listed)" ] || fail "a backup landed with a wrong credential"
expect_exit 3 backupd run --config "$T/conf" --once
[ "$(failed_co)" -eq 1 ] || fail "the second run spent a login"

# Fixed and enabled: the backup lands in the bucket.
cp "$CO" "$PIN"
backupd enable nightly --config "$T/conf" 2>/dev/null
expect_exit 0 backupd run --config "$T/conf" --once
first=$(listed)
[ "$(echo "$first" | wc -l)" -eq 1 ] || fail "no backup after enable"
grep -q '^coffer_backup_last_verified_timestamp_seconds{job="nightly"} 0.000$' \
	"$T/m.prom" || fail "metrics: a verified time before any verify"

# Verified, the next run reports the series' verified time.
restore verify --from "$S" "$first" >/dev/null
sleep 1
expect_exit 0 backupd run --config "$T/conf" --once
at=$(sed -n 's/^coffer_backup_last_verified_timestamp_seconds{job="nightly"} \([0-9]*\)\..*/\1/p' \
	"$T/m.prom")
now=$(date +%s)
[ -n "$at" ] && [ "$at" -gt $((now - 120)) ] && [ "$at" -le "$now" ] ||
	{ cat "$T/m.prom" >&2; fail "metrics: verified time '$at' is not the verify's"; }

# Two more backups; prune keeps the newest and the newest verified.
for i in 1 2; do
	sleep 1
	backupd backup --from "$P" --to "$S" --pin-file "$CO" \
		--backup-pin-file "$BK" --kdf test >/dev/null
done
newest=$(listed | head -1)
[ "$(listed | wc -l)" -eq 4 ] || fail "want 4 backups, got $(listed | wc -l)"
expect_exit 3 backupd delete "$S" "$first"
grep -q "never removes the last good backup" "$T/.err" ||
	fail "delete of the only verified backup: message"
backupd prune "$S" --keep-last 1 --json >"$T/prune.json"
[ "$(listed | wc -l)" -eq 2 ] || fail "prune should leave 2, left $(listed | wc -l)"
listed | grep -qx "$newest" && listed | grep -qx "$first" ||
	fail "prune removed the newest or the verified backup"
gone=$(jq -r '.. | strings' "$T/prune.json" | grep '\.cbk$' | head -1)
[ -n "$gone" ] || { cat "$T/prune.json" >&2; fail "prune named nothing"; }

# The trash lists it; undelete brings it back whole.
backupd trash "$S" --json >"$T/trash.json"
json_has "\"name\":\"$gone\"" "$T/trash.json"
backupd undelete "$S" "$gone" >/dev/null
listed | grep -qx "$gone" || fail "undelete did not bring it back"
restore verify --deep --from "$S" "$gone" --to "$P" --pin-file "$CO" \
	--backup-pin-file "$BK" >/dev/null ||
	fail "the undeleted backup does not verify"

# Purge (grace 0): the trash is emptied for good, the backups unchanged.
before=$(listed)
backupd purge "$S" >"$T/purge.out"
grep -q "purged 1 backup" "$T/purge.out" || fail "purge count"
[ "$(keys_under site%2F.trash%2F)" -eq 0 ] || fail "purge left the trash"
[ "$(listed)" = "$before" ] || fail "purge changed the store"
backupd trash "$S" --json >"$T/trash.json"
[ "$(jq '.trash | length' "$T/trash.json")" -eq 0 ] ||
	{ cat "$T/trash.json" >&2; fail "the trash still lists something"; }
echo "s3-run: ok"
