#!/bin/sh
# --sync for HA members: copies only what the target lacks, never deletes
# and never overwrites; an object the target holds in a different version
# is reported (exit 1); identical ones are counted, not flagged.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helpers/hsm.sh"
. "$(dirname "$0")/helpers/clone.sh"
pair_new
hsm key generate "$A" --type aes --label k --count 6 --pin-file "$CO" >/dev/null

cl a#p1 b#p1 --sync --json >"$T/1.json"
json_has '"mode":"sync","result":"ok","exit":0' "$T/1.json"
json_has '"written":6' "$T/1.json"

# the source gains two keys, the target gains its own; a re-sync copies the
# two and keeps the target's
hsm key generate "$A" --type aes --label new --count 2 --pin-file "$CO" >/dev/null
hsm key generate "$B" --type ec --label only-on-b --pin-file "$CO" >/dev/null
cl a#p1 b#p1 --sync >"$T/2.txt"
grep -q "sent 8, written 2, replaced 0, skipped 6" "$T/2.txt" || { cat "$T/2.txt"; fail "counts"; }
grep -q "6 already on the target, identical" "$T/2.txt" || fail "identical count"
hsm key list "$B" --pin-file "$CO" >"$T/l"
grep -q "^only-on-b " "$T/l" || fail "sync deleted the target's own key"
grep -q "^new-2 " "$T/l" || fail "new-2 missing"

# in sync: nothing to do, exit 0, nothing written
cl a#p1 b#p1 --sync --json >"$T/3.json"
json_has '"written":0,"replaced":0,"skipped":8' "$T/3.json"

# the target's k-1 is a different key now: sync keeps it and says so
hsm key delete "$B" --label k-1 --pin-file "$CO" >/dev/null
hsm key generate "$B" --type aes --label k-1 --pin-file "$CO" >/dev/null
printf 'secret\n' >"$T/msg"
hsm key encrypt "$B" --label k-1 --in "$T/msg" --out "$T/ct" --pin-file "$CO"
expect_exit 1 cl a#p1 b#p1 --sync --json
json_has '"result":"partial"' "$T/.out"
json_has '{"label":"k-1","reason":"label exists on the target with different' "$T/.out"
hsm key decrypt "$B" --label k-1 --in "$T/ct" --out "$T/pt" --pin-file "$CO"
cmp "$T/msg" "$T/pt" || fail "sync overwrote k-1"
# a source key deleted is not deleted on the target
hsm key delete "$A" --label k-2 --pin-file "$CO" >/dev/null
expect_exit 1 cl a#p1 b#p1 --sync
grep -q "not transferred, the target's copy differs (1):" "$T/.out" || fail "differs listed"
grep -q "1 object differs on the target" "$T/.err" || fail "stderr names the divergence"
hsm key list "$B" --pin-file "$CO" >"$T/l"
grep -q "^k-2 " "$T/l" || fail "sync deleted k-2 on the target"
echo "clone-sync: ok"
