#!/bin/sh
# The verify job of `backupd run` (`verify every N`): each run checks every
# backup of the store without a secret; a damaged one is logged at error
# priority by name, loses its verified mark, sets the exit status of --once
# to 4 and shows in the metrics.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/backup.sh"

bk_setup h 5
store_init s
old=$(backup_of h s)
restore verify --from "dir:$T/s" "$old" >/dev/null
cat >"$T/conf" <<CONF
store dir:$T/s
interval 1h
verify every 1d
metrics $T/m.prom
job nightly from=hsm:$T/h#p1 pin-file=$CO backup-pin-file=$BK kdf=test
CONF
expect_exit 0 backupd run --config "$T/conf" --once
grep -q "verify: 2 of 2 backups passed" "$T/.err" || fail "verify job: all good"
grep -q '^coffer_backup_verify_failed 0$' "$T/m.prom" || fail "metrics: 0 failed"

flip "$T/s/$old" 2000
JOURNAL_STREAM=8:1 expect_exit 4 backupd run --config "$T/conf" --once
grep -q "^<3>backupd: verify: $old FAILED: " "$T/.err" ||
	{ cat "$T/.err" >&2; fail "the damaged backup is not named at error"; }
grep -q '^coffer_backup_verify_failed 1$' "$T/m.prom" || fail "metrics: 1 failed"
restore list --from "dir:$T/s" --json |
	jq -e ".backups[] | select(.name == \"$old\") | .verified == false" \
	>/dev/null || fail "the damaged backup still lists verified"
# Every metric the example alert rules use is one backupd writes.
rules="$here/../../scripts/monitoring/coffer-alerts.rules.yml"
for m in $(grep -o 'coffer_[a-z_]*' "$rules" | sort -u); do
	grep -q "^$m[{ ]" "$T/m.prom" || fail "the alert rules use $m, which backupd does not write"
done
echo "backupd-verify-job: ok"
