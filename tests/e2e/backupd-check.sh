#!/bin/sh
# backupd check validates a configuration without touching a partition: a
# good one passes (exit 0) and no login happens; a PIN file readable by
# others is exit 3 naming the file and the chmod that fixes it; a missing
# file and a store that is not there are each named with their fix (exit
# 1), and a schedule that does not parse with its line number.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/backup.sh"

bk_setup h 1
store_init s
mkdir -m 700 "$T/state"
conf() {
	cat >"$T/conf" <<CONF
store dir:$T/$1
interval ${2:-1d}
state $T/state
metrics $T/m.prom
job nightly from=hsm:$T/h#p1 pin-file=$3 backup-pin-file=$BK kdf=test
CONF
}
audit_lines() { wc -l <"$T/h/audit.log"; }
before=$(audit_lines)

conf s 1d "$CO"
expect_exit 0 backupd check --config "$T/conf"
grep -q "1 job, every file and the store in order" "$T/.out" ||
	fail "good config not reported"
backupd check --config "$T/conf" --json | jq -e '.ok and .problems == []' \
	>/dev/null || fail "good config: --json"

# A PIN file readable by group and others: exit 3, the file and the fix.
cp "$CO" "$T/co644"
chmod 644 "$T/co644"
conf s 1d "$T/co644"
expect_exit 3 backupd check --config "$T/conf"
grep -q "pin-file=$T/co644" "$T/.out" || fail "the loose file is not named"
grep -q "fix: chmod 600 $T/co644" "$T/.out" || fail "the chmod is not named"
backupd check --config "$T/conf" --json >"$T/j" 2>/dev/null || true
jq -e '.ok == false and .error.exit == 3 and
	(.problems[0].fix | startswith("chmod 600"))' "$T/j" >/dev/null ||
	{ cat "$T/j" >&2; fail "loose file: --json"; }

# A missing file, and a store that does not exist: exit 1, each named.
conf nostore 1d "$T/missing.pin"
expect_exit 1 backupd check --config "$T/conf"
grep -q "pin-file=$T/missing.pin" "$T/.out" || fail "missing file not named"
grep -q "^store: " "$T/.out" || fail "missing store not named"
grep -q "fix: make it with 'backupd init STORE'" "$T/.out" ||
	fail "no fix for the store"

# A schedule that does not parse: exit 1 (as `backupd run`) with the line.
conf s 3x "$CO"
expect_exit 1 backupd check --config "$T/conf"
grep -q "line 2 is not valid: expected 'interval" "$T/.err" ||
	{ cat "$T/.err" >&2; fail "bad interval not named"; }

# None of it logged in anywhere.
[ "$(audit_lines)" -eq "$before" ] || fail "check touched the partition"
echo "backupd-check: ok"
