#!/bin/sh
# When a backup does not open, the message names the secret that was wrong:
# the right domain password under the wrong --kdf profile is told apart
# from a wrong password (the backup's domains are listed with their
# profiles), and a wrong backup password is named as such when the domain
# is right. Nothing is marked verified by a failed try.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/backup.sh"

bk_setup h 2
store_init s
name=$(backup_of h s)

# The domain password of the backup, but under another profile.
expect_exit 3 restore verify --deep --from "dir:$T/s" "$name" \
	--domain-pin-file "$DOM" --kdf interactive --backup-pin-file "$BK"
grep -q "none of the cloning domains it was made under: 'default' (password, profile test)" \
	"$T/.err" || { cat "$T/.err" >&2; fail "the profile is not named"; }
grep -q "different domain under another KDF profile: check --kdf" "$T/.err" ||
	fail "no hint to check --kdf"

# The right profile opens it.
expect_exit 0 restore verify --deep --from "dir:$T/s" "$name" \
	--domain-pin-file "$DOM" --kdf test --backup-pin-file "$BK"

# Right domain, wrong backup password: named.
expect_exit 3 restore verify --deep --from "dir:$T/s" "$name" \
	--domain-pin-file "$DOM" --kdf test --backup-pin-file "$BAD"
grep -q "the backup password is wrong (the cloning domain 'default' is right)" \
	"$T/.err" || { cat "$T/.err" >&2; fail "a wrong backup password not named"; }

# The same for a restore into a partition that lacks the domain.
hsm init "$T/g" --label g --kdf test --pin-file "$SO" >/dev/null
hsm partition create "hsm:$T/g#p1" --pin-file "$SO" >/dev/null
hsm partition init "hsm:$T/g#p1" --kdf interactive --new-pin-file "$PO" \
	--domain-pin-file "$DOM" >/dev/null
hsm role init "hsm:$T/g#p1" --role co --pin-file "$PO" --new-pin-file "$CO" \
	>/dev/null
expect_exit 3 restore --from "dir:$T/s" --backup "$name" --to "hsm:$T/g#p1" \
	--replace --pin-file "$CO" --backup-pin-file "$BK"
grep -q "'default' (password, profile test)" "$T/.err" ||
	{ cat "$T/.err" >&2; fail "restore: the profile is not named"; }
echo "restore-kdf-named: ok"
