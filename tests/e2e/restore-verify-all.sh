#!/bin/sh
# restore verify --all checks every backup of a store with no secret: a
# backup whose byte was flipped after a deep verify is named, exits 4 and
# loses its verified mark, the others pass and keep theirs (a deep mark
# stays deep); retention then protects the older good backup instead of the
# damaged one.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/backup.sh"

bk_setup h 30
store_init s
b1=$(backup_of h s)
b2=$(backup_of h s)
b3=$(backup_of h s)
[ "$b1" != "$b2" ] && [ "$b2" != "$b3" ] || fail "two backups share a name"
restore verify --from "dir:$T/s" "$b1" >/dev/null
restore verify --deep --from "dir:$T/s" "$b3" --to "hsm:$T/h#p1" \
	--pin-file "$CO" --backup-pin-file "$BK" >/dev/null

# All good: exit 0, three passes, and b3's deep mark is still deep.
restore verify --from "dir:$T/s" --all --json >"$T/all0"
jq -e '.ok and .checked == 3 and .passed == 3' "$T/all0" >/dev/null ||
	{ cat "$T/all0" >&2; fail "verify --all of a good store"; }
restore list --from "dir:$T/s" --json >"$T/l0"
jq -e ".backups[] | select(.name == \"$b3\") | .verified_how == \"deep\"" \
	"$T/l0" >/dev/null || fail "a structure pass downgraded a deep mark"

# b3 is flipped in the middle of its record stream after its deep verify.
size=$(stat -c %s "$T/s/$b3")
flip "$T/s/$b3" $((size / 2))
expect_exit 4 restore verify --from "dir:$T/s" --all
grep -q "^$b3: FAILED: " "$T/.out" || { cat "$T/.out" >&2; fail "b3 not named"; }
grep -q "^$b1: ok$" "$T/.out" || fail "b1 not ok"
grep -q "^$b2: ok$" "$T/.out" || fail "b2 not ok"
[ "$(grep -c FAILED "$T/.out")" -eq 1 ] || fail "want exactly one failure"
grep -q "1 of 3 backups failed" "$T/.err" || fail "no summary on stderr"
expect_exit 4 restore verify --from "dir:$T/s" --all --json
jq -e ".ok == false and .failed == 1 and
	([.backups[] | select(.ok == false) | .name] == [\"$b3\"])" \
	"$T/.out" >/dev/null || { cat "$T/.out" >&2; fail "--json report"; }
restore list --from "dir:$T/s" --json >"$T/l1"
jq -e ".backups[] | select(.name == \"$b3\") | .verified == false" \
	"$T/l1" >/dev/null || fail "the flipped backup still lists verified"

# Retention: keep last 1 keeps the newest (b3) by rule, and the newest
# backup that still verifies (b2) as the series' last good one; b1 goes.
backupd prune "dir:$T/s" --keep-last 1 --json >"$T/p"
jq -e ".pruned == [\"$b1\"]" "$T/p" >/dev/null ||
	{ cat "$T/p" >&2; fail "prune after verify --all"; }
echo "restore-verify-all: ok"
