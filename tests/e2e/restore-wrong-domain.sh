#!/bin/sh
# A target partition that holds none of the backup's cloning domains is
# refused (exit 3) with a message that says so, and is left exactly as it
# was; so is a deep verify with the wrong domain password.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/backup.sh"

bk_setup h 5
store_init s
name=$(backup_of h s)

# Another HSM whose partition was made under another domain.
DOM=$(pinfile dom2 "another-domain-secret")
bk_setup h2 3
before=$(hsm_state h2)
expect_exit 3 restore_to h2 s "$name" replace
grep -q "holds none of the cloning domains" "$T/.err" || fail "message"
grep -q "target is unchanged" "$T/.err" || fail "message: unchanged"
[ "$(hsm_state h2)" = "$before" ] || fail "the target changed (replace)"
expect_exit 3 restore_to h2 s "$name" add
[ "$(hsm_state h2)" = "$before" ] || fail "the target changed (add)"

expect_exit 3 restore verify --deep --from "dir:$T/s" "$name" \
	--domain-pin-file "$DOM" --kdf test --backup-pin-file "$BK"
expect_exit 3 restore verify --deep --from "dir:$T/s" "$name" \
	--to "hsm:$T/h2#p1" --pin-file "$CO" --backup-pin-file "$BK"

# The right domain password opens it: the refusal was about the domain.
DOM=$T/dom
restore verify --deep --from "dir:$T/s" "$name" --domain-pin-file "$DOM" \
	--kdf test --backup-pin-file "$BK" >/dev/null
echo "restore-wrong-domain: ok"
