#!/bin/sh
# An unattended job never burns a credential: `backupd run` with a wrong PIN
# file and `interval 1s` runs for 30 seconds. The partition sees exactly one
# failed login, the job is disabled on disk (log at error priority under
# journald, metric 1), the CU still logs in, a restart keeps the job
# disabled and spends nothing; after the PIN file is fixed, `backupd enable`
# brings the job back and its backup lands. A changed job line re-enables
# it too.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/backup.sh"

bk_setup h 3
P="hsm:$T/h#p1"
store_init s
mkdir -m 700 "$T/state"
PIN=$(pinfile jobpin "not-the-co-password")
cat >"$T/conf" <<CONF
store dir:$T/s
interval 1s
state $T/state
metrics $T/m.prom
job nightly from=hsm:$T/h#p1 pin-file=$PIN backup-pin-file=$BK kdf=test
CONF
failed_co() {
	hsm partition show "$P" --json |
		jq '.roles[] | select(.role == "co") | .failed_logins'
}

# 30 seconds of a 1-second schedule, as the journal would see it.
JOURNAL_STREAM=8:1234 backupd run --config "$T/conf" 2>"$T/run.err" &
pid=$!
sleep 30
kill -TERM "$pid"
wait "$pid" || fail "backupd run did not stop cleanly on SIGTERM"
[ "$(failed_co)" -eq 1 ] ||
	{ cat "$T/run.err" >&2; fail "want exactly 1 failed CO login, got $(failed_co)"; }
grep -q '^<3>backupd: job nightly: DISABLED' "$T/run.err" ||
	{ cat "$T/run.err" >&2; fail "no error-priority line for the disabled job"; }
grep -q "backupd enable nightly --config $T/conf" "$T/run.err" ||
	fail "the log does not say how to enable the job"
[ -f "$T/state/nightly.disabled" ] || fail "the disabled state is not on disk"
[ "$(stat -c %a "$T/state/nightly.disabled")" = 600 ] || fail "state mode"
grep -q '^coffer_backup_job_disabled{job="nightly"} 1.000$' "$T/m.prom" ||
	fail "metrics: the job is not shown disabled"
[ "$(restore list --from "dir:$T/s" --json | jq '.backups | length')" -eq 0 ] ||
	fail "a backup landed with a wrong credential"

# The application's own roles still work.
hsm key list "$P" --role cu --pin-file "$CU" >/dev/null ||
	fail "the CU no longer logs in"

# A restart keeps it disabled: exit 3 for --once, no login spent.
expect_exit 3 backupd run --config "$T/conf" --once
grep -q "DISABLED" "$T/.err" || fail "restart: not reported disabled"
[ "$(failed_co)" -eq 1 ] || fail "the restart spent a login"

# Fixed PIN file; enabled by the operator; the backup lands.
cp "$CO" "$PIN"
backupd enable nightly --config "$T/conf" 2>/dev/null
[ ! -e "$T/state/nightly.disabled" ] || fail "enable left the mark"
expect_exit 1 backupd enable nightly --config "$T/conf"
grep -q "not disabled" "$T/.err" || fail "enable of an enabled job"
expect_exit 0 backupd run --config "$T/conf" --once
[ "$(restore list --from "dir:$T/s" --json | jq '.backups | length')" -eq 1 ] ||
	fail "no backup after enable"
grep -q '^coffer_backup_job_disabled{job="nightly"} 0.000$' "$T/m.prom" ||
	fail "metrics: still shown disabled"

# Disabled again by a wrong PIN, then re-enabled by a change of its line.
cp "$BAD" "$PIN"
expect_exit 3 backupd run --config "$T/conf" --once
[ -f "$T/state/nightly.disabled" ] || fail "not disabled the second time"
cp "$CO" "$T/co2"
sed -i "s|pin-file=$PIN |pin-file=$T/co2 |" "$T/conf"
expect_exit 0 backupd run --config "$T/conf" --once
grep -q "configuration changed since it was disabled" "$T/.err" ||
	fail "a changed job line did not re-enable the job"
[ "$(failed_co)" -eq 0 ] || fail "the successful login did not reset the counter"
echo "backupd-refused-credential: ok"
