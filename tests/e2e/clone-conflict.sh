#!/bin/sh
# A label the target already holds: fail (default) refuses the whole clone
# before anything is kept and lists every clashing label; skip keeps the
# target's object, writes the rest, lists what it left out and exits 1;
# replace overwrites. Also: a selection naming a missing object, and usage.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helpers/hsm.sh"
. "$(dirname "$0")/helpers/clone.sh"
pair_new
hsm key generate "$A" --type aes --label k --count 4 --pin-file "$CO" >/dev/null
hsm key generate "$A" --type ec --label shared --pin-file "$CO" >/dev/null
hsm key generate "$B" --type ec --label shared --pin-file "$CO" >/dev/null
hsm key generate "$B" --type aes --label k-3 --pin-file "$CO" >/dev/null
hsm key export-public "$A" --label shared --out "$T/a.pem" --pin-file "$CO"
hsm key export-public "$B" --label shared --out "$T/b.pem" --pin-file "$CO"
cmp -s "$T/a.pem" "$T/b.pem" && fail "two different keys expected"

# fail: nothing is kept, every clash is named
before=$(state b)
expect_exit 1 cl a#p1 b#p1
grep -q "exists on the target: shared" "$T/.err" || fail "lists shared"
grep -q "exists on the target: k-3" "$T/.err" || fail "lists k-3"
grep -q -- "--on-conflict skip" "$T/.err" || fail "names the choices"
[ "$(state b)" = "$before" ] || fail "fail mode changed the target"
expect_exit 1 cl a#p1 b#p1 --json --on-conflict fail
json_has '"exists_on_target":["k-3","shared"]' "$T/.out"

# skip: the rest arrives, the target's two are kept as asked: exit 0 (as
# restore --add), and the kept ones are listed
expect_exit 0 cl a#p1 b#p1 --on-conflict skip --json
json_has '"ok":true' "$T/.out"
json_has '"result":"ok","exit":0' "$T/.out"
json_has '"sent":5,"written":3,"replaced":0,"skipped":2' "$T/.out"
json_has '{"label":"shared","reason":"label exists on the target (kept the target' "$T/.out"
hsm key export-public "$B" --label shared --out "$T/b2.pem" --pin-file "$CO"
cmp -s "$T/b.pem" "$T/b2.pem" || fail "skip replaced the target's key"
expect_exit 0 cl a#p1 b#p1 --on-conflict skip
grep -q "kept on the target (5):" "$T/.out" || fail "human list"
grep -q "labels already on the target were kept" "$T/.out" || fail "summary"
grep -q "through cloning domain 'default'" "$T/.out" || fail "domain named"

# replace: the source's key now sits on the target
cl a#p1 b#p1 --on-conflict replace --object shared --object k-3 --json >"$T/r.json"
json_has '"sent":2,"written":0,"replaced":2' "$T/r.json"
hsm key export-public "$B" --label shared --out "$T/b3.pem" --pin-file "$CO"
cmp -s "$T/a.pem" "$T/b3.pem" || fail "replace did not replace"
hsm partition show "$B" --json >"$T/p.json"
json_has '"objects":5' "$T/p.json"

# a selection naming objects the source lacks: refused, all of them named
before=$(state b)
expect_exit 1 cl a#p1 b#p1 --object k-1 --object nope --object gone --on-conflict replace
grep -q "not on the source: nope" "$T/.err" || fail "names nope"
grep -q "not on the source: gone" "$T/.err" || fail "names gone"
[ "$(state b)" = "$before" ] || fail "target changed"

# the target's storage size cannot hold the transfer: refused, nothing kept
hsm key generate "$A" --type aes --label bulk --count 400 --pin-file "$CO" >/dev/null
hsm partition policy set "$B" storage-size 64K --pin-file "$PO" >/dev/null
before=$(state b)
expect_exit 1 cl a#p1 b#p1 --on-conflict skip
grep -q "full" "$T/.err" || fail "capacity refusal named"
[ "$(state b)" = "$before" ] || fail "a partial transfer was kept"

# usage
expect_exit 2 clone --from "$A" --to "$B" --on-conflict overwrite
expect_exit 2 clone --from "$A" --to "$B" --sync --on-conflict skip
expect_exit 2 clone --from "$A"
expect_exit 2 clone --from "$A" --to "$A" --from-pin-file "$CO" --to-pin-file "$CO"
expect_exit 2 clone --from "$T/a#p1" --to "$B"
echo "clone-conflict: ok"
