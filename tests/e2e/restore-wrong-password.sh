#!/bin/sh
# A wrong backup partition password is refused (exit 3) and leaves the
# target exactly as it was, in both modes; the right one then works.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/backup.sh"

bk_setup h 5
store_init s
name=$(backup_of h s)
hsm key delete "hsm:$T/h#p1" --label enc --pin-file "$CO" >/dev/null
before=$(hsm_state h)
store_before=$(store_state s)
for mode in replace add; do
	expect_exit 3 restore --from "dir:$T/s" --backup "$name" \
		--to "hsm:$T/h#p1" --pin-file "$CO" --backup-pin-file "$BAD" \
		"--$mode"
	grep -q "the backup password is wrong" "$T/.err" || fail "message"
	[ "$(hsm_state h)" = "$before" ] || fail "the target changed ($mode)"
done
expect_exit 3 restore verify --deep --from "dir:$T/s" "$name" \
	--to "hsm:$T/h#p1" --pin-file "$CO" --backup-pin-file "$BAD"
[ "$(store_state s)" = "$store_before" ] || fail "the store changed"
# The password from the environment (and never argv) works.
BKPW=backup-password-1 restore --from "dir:$T/s" --backup "$name" \
	--to "hsm:$T/h#p1" --pin-file "$CO" --backup-pin-env BKPW --add \
	>/dev/null 2>&1
labels_of h | grep -qx enc || fail "restore with the right password"
echo "restore-wrong-password: ok"
