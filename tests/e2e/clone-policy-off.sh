#!/bin/sh
# Cloning switched off by policy - the target's partition policy, the
# target's HSM policy 7, the source's partition policy - refuses with one
# message naming the policy and how to turn it on, exit 3, before any
# credential is read, and leaves both HSMs byte for byte as they were.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helpers/hsm.sh"
. "$(dirname "$0")/helpers/clone.sh"
pair_new
hsm key generate "hsm:$T/a#p1" --type aes --label k --count 5 --pin-file "$CO" >/dev/null

refused() {
	sa=$(state a)
	sb=$(state b)
	# no credential is needed to be refused: none is read
	expect_exit 3 clone --from "hsm:$T/a#p1" --to "hsm:$T/b#p1" </dev/null
	[ "$(grep -c . "$T/.err")" -eq 1 ] || { cat "$T/.err"; fail "one message"; }
	grep -q "$1" "$T/.err" || { cat "$T/.err"; fail "names $1"; }
	grep -q -- "--force" "$T/.err" || fail "says how to turn it on"
	grep -q "nothing was written" "$T/.err" || fail "says nothing was written"
	expect_exit 3 cl a#p1 b#p1 --json
	json_has '"step":"checking the cloning policies"' "$T/.out"
	[ "$(state a)" = "$sa" ] || fail "source changed"
	[ "$(state b)" = "$sb" ] || fail "target changed"
}

# the target partition's own policy
hsm partition policy set "hsm:$T/b#p1" allow-cloning 0 --force --pin-file "$PO" >/dev/null
refused "partition policy allow-cloning"
grep -q "partition 'p1' in $T/b" "$T/.err" || fail "names the partition"
hsm partition policy set "hsm:$T/b#p1" allow-cloning 1 --force --pin-file "$PO" >/dev/null

# the target HSM's policy 7 (inherited by every partition)
hsm policy set "$T/b" allow-cloning 0 --force --pin-file "$SO" >/dev/null
refused "HSM policy 7"
hsm policy set "$T/b" allow-cloning 1 --force --pin-file "$SO" >/dev/null

# the source side
hsm partition policy set "hsm:$T/a#p1" allow-cloning 0 --force --pin-file "$PO" >/dev/null
refused "partition policy allow-cloning"
grep -q "$T/a" "$T/.err" || fail "names the source"

# back on: the clone runs (the policy change erased the source's objects)
hsm partition policy set "hsm:$T/a#p1" allow-cloning 1 --force --pin-file "$PO" >/dev/null
hsm key generate "hsm:$T/a#p1" --type aes --label again --pin-file "$CO" >/dev/null
cl a#p1 b#p1 >/dev/null
hsm partition show "hsm:$T/b#p1" --json >"$T/p.json"
json_has '"objects":1' "$T/p.json"
echo "clone-policy-off: ok"
