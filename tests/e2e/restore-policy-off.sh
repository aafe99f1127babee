#!/bin/sh
# Restore answers to the cloning policies exactly as clone and backupd do
# (issue 11, item 4): with the target partition's allow-cloning off, or its
# HSM's policy 7 off, every restore mode is refused with exit 3 before any
# credential is read, naming the policy, and the HSM is byte for byte as it
# was; with the policy back on the same restore works.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/backup.sh"

bk_setup h 3
store_init s
P="hsm:$T/h#p1"
name=$(backup_of h s)

refused() { # refused TEXT: every mode refused, naming TEXT, nothing changed
	before=$(hsm_state h)
	for mode in replace add "add --object sig"; do
		# no --pin-file and no terminal: refused before a credential is read
		# shellcheck disable=SC2086
		expect_exit 3 restore --from "dir:$T/s" --backup "$name" --to "$P" \
			--$mode --backup-pin-file "$BK" </dev/null
		grep -q "$1" "$T/.err" || { cat "$T/.err"; fail "$mode: names $1"; }
		grep -q -- "--force" "$T/.err" || fail "$mode: says how to turn it on"
	done
	expect_exit 3 restore_to h s "$name" replace --json
	jq -e '.ok == false and .error.code == "policy" and .error.exit == 3' \
		"$T/.out" >/dev/null || fail "json error document"
	[ "$(hsm_state h)" = "$before" ] || fail "a refused restore changed the HSM"
}

# the target partition's own policy (destructive: its objects go)
hsm partition policy set "$P" allow-cloning 0 --force --pin-file "$PO" >/dev/null
refused "partition policy allow-cloning"
hsm partition policy set "$P" allow-cloning 1 --force --pin-file "$PO" >/dev/null

# the target HSM's policy 7, inherited by every partition
hsm policy set "$T/h" allow-cloning 0 --force --pin-file "$SO" >/dev/null
refused "HSM policy 7"
hsm policy set "$T/h" allow-cloning 1 --force --pin-file "$SO" >/dev/null

# policies on again: the same restore goes through and the keys are back
restore_to h s "$name" replace >/dev/null
[ "$(labels_of h | wc -l)" -eq 5 ] || fail "restore after the policy came back"
echo "restore-policy-off: ok"
