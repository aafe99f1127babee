#!/bin/sh
# A crash never reads as tampering, and nothing committed is ever dropped
# (issue 11, items 2 and 3):
# - a command killed after its audit line is durable and before hsm.db
#   commits leaves one uncommitted record: `hsm audit verify` exits 0 with
#   a warning naming it (read-only commands leave it there), and the next
#   write drops it and records the drop;
# - a sweep of logins killed at random moments: verify exits 0 after each;
# - a restore killed the same way leaves two: its target's login and the
#   restore share one transaction; both are named, and dropped as one;
# - an older hsm.db under a newer audit.log (two records behind, failed
#   logins, so not a login and its operation): verify exits 4, every write
#   is refused with the log untouched, and `hsm audit quarantine` moves the
#   extra records into a file of their own and records that it did.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/backup.sh"

hsm_setup h
P="hsm:$T/h#p1"
hsm key generate "$P" --type aes --label k --pin-file "$CO" >/dev/null
lines() { wc -l <"$T/h/audit.log"; }

# 1. killed between the audit line and the commit
n0=$(lines)
set +e
COFFER_TEST_CRASH_AT=before-commit hsm key list "$P" --pin-file "$CO" \
	>/dev/null 2>&1
rc=$?
set -e
[ "$rc" -eq 137 ] || fail "the crash hook did not fire (exit $rc)"
[ "$(lines)" -eq $((n0 + 1)) ] || fail "no uncommitted record was left"
expect_exit 0 hsm audit verify "$T/h"
grep -q "was never committed: a command was interrupted" "$T/.err" ||
	fail "verify does not name the interrupted record"
expect_exit 0 hsm audit verify "$T/h" --json
jq -e '.ok and .crash_tail and .tail_event == "login"' "$T/.out" >/dev/null ||
	{ cat "$T/.out"; fail "verify --json"; }
hsm show "$T/h" >/dev/null
hsm partition show "$P" >/dev/null
expect_exit 0 hsm audit verify "$T/h"
grep -q "interrupted" "$T/.err" || fail "a read-only command changed the log"
# the next write drops it and says so
hsm key list "$P" --pin-file "$CO" >/dev/null
expect_exit 0 hsm audit verify "$T/h"
[ ! -s "$T/.err" ] || { cat "$T/.err"; fail "still warns after recovery"; }
hsm audit show "$T/h" --json >"$T/a.json"
jq -e '[.records[] | select(.event == "audit-recover" and
	(.detail | test("dropped uncommitted record [0-9]+ \\(login\\)")))] |
	length == 1' "$T/a.json" >/dev/null || fail "the drop is not recorded"

# 1b. a restore killed between its two audit lines and the commit
store_init s
name=$(backup_of h s)
n0=$(lines)
set +e
COFFER_TEST_CRASH_AT=before-commit restore --from "dir:$T/s" --backup "$name" \
	--to "$P" --replace --pin-file "$CO" --backup-pin-file "$BK" >/dev/null 2>&1
rc=$?
set -e
[ "$rc" -eq 137 ] || fail "the crash hook did not fire in restore (exit $rc)"
[ "$(lines)" -eq $((n0 + 2)) ] || fail "the restore did not leave two records"
expect_exit 0 hsm audit verify "$T/h" --json
jq -e '.ok and .crash_tail and .tail_records == 2 and
	.tail_event == "login, restore"' "$T/.out" >/dev/null ||
	{ cat "$T/.out" "$T/.err"; fail "verify --json of two records"; }
hsm key generate "$P" --type aes --label k2 --pin-file "$CO" >/dev/null
expect_exit 0 hsm audit verify "$T/h"
[ ! -s "$T/.err" ] || { cat "$T/.err"; fail "still warns after the drop"; }
hsm audit show "$T/h" --json | jq -e '[.records[] | select(.event ==
	"audit-recover" and (.detail | test("dropped uncommitted records " +
	"[0-9]+ and [0-9]+ \\(login, restore\\)")))] | length == 1' \
	>/dev/null || fail "the drop of two records is not recorded"

# 2. a sweep: logins killed at random moments, verify passes after each
i=1
while [ "$i" -le 8 ]; do
	hsm key list "$P" --pin-file "$CO" >/dev/null 2>&1 &
	pid=$!
	sleep "0.00$(( (i * 3) % 10 ))"
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	expect_exit 0 hsm audit verify "$T/h"
	i=$((i + 1))
done
hsm key list "$P" --pin-file "$CO" >/dev/null
expect_exit 0 hsm audit verify "$T/h"
[ ! -s "$T/.err" ] || { cat "$T/.err"; fail "the sweep left a tail"; }

# 3. an older hsm.db under a newer audit.log
sqlite3 "$T/h/hsm.db" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
cp "$T/h/hsm.db" "$T/old.db"
for x in 1 2; do
	expect_exit 3 hsm key list "$P" --pin-file "$BAD"
done
sqlite3 "$T/h/hsm.db" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
cp "$T/old.db" "$T/h/hsm.db"
rm -f "$T/h/hsm.db-wal" "$T/h/hsm.db-shm"
expect_exit 4 hsm audit verify "$T/h"
grep -q "hsm audit quarantine" "$T/.err" || fail "verify does not say what to do"
cp "$T/h/audit.log" "$T/log.before"
expect_exit 4 hsm key list "$P" --pin-file "$CO"
grep -q "every write is refused until an officer acts" "$T/.err" ||
	fail "the refused login does not say why"
cmp -s "$T/h/audit.log" "$T/log.before" ||
	fail "a login after the rollback changed audit.log"
hsm audit quarantine "$T/h" >"$T/q.out"
q=$(sed -n 's/.* to \(.*\); the move.*/\1/p' "$T/q.out")
[ -f "$q" ] || fail "no quarantine file: $(cat "$T/q.out")"
[ "$(grep -c '"event":"login","result":"fail"' "$q")" -eq 2 ] ||
	fail "the two failed logins are not in $q"
[ "$(stat -c %a "$q")" = 600 ] || fail "the quarantine file is not 0600"
expect_exit 0 hsm audit verify "$T/h"
hsm audit show "$T/h" --json | jq -e '.records[-1].event == "audit-quarantine"' \
	>/dev/null || fail "the quarantine is not recorded"
hsm key list "$P" --pin-file "$CO" >/dev/null
expect_exit 0 hsm audit verify "$T/h"
echo "hsm-audit-crash: ok"
