#!/bin/sh
# When a backup does not open, the message names the secret that was wrong:
# a domain password is tried under each password domain the backup records
# (its profile and salt come from the manifest, so --kdf cannot be wrong),
# a password of none of them is named as such, a wrong backup password is
# named when the domain is right, and a restore into a partition whose
# domain of the same password is under another profile names the profiles.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/backup.sh"

bk_setup h 2
store_init s
name=$(backup_of h s)

# The domain password of the backup opens it whatever --kdf says: the
# manifest names each domain's profile and salt.
expect_exit 0 restore verify --deep --from "dir:$T/s" "$name" \
	--domain-pin-file "$DOM" --kdf interactive --backup-pin-file "$BK"
# A password of none of its domains is named as such, before any backup
# password is tried.
expect_exit 3 restore verify --deep --from "dir:$T/s" "$name" \
	--domain-pin-file "$BAD" --backup-pin-file "$BK"
grep -q "the domain password is none of the backup's password domains" \
	"$T/.err" || { cat "$T/.err" >&2; fail "a wrong domain password not named"; }

# Right domain, wrong backup password: named.
expect_exit 3 restore verify --deep --from "dir:$T/s" "$name" \
	--domain-pin-file "$DOM" --kdf test --backup-pin-file "$BAD"
grep -q "the backup password is wrong (the cloning domain 'default' is right)" \
	"$T/.err" || { cat "$T/.err" >&2; fail "a wrong backup password not named"; }

# The same for a restore into a partition that lacks the domain.
hsm init "$T/g" --label g --kdf test --pin-file "$SO" >/dev/null
hsm partition create "hsm:$T/g#p1" --pin-file "$SO" >/dev/null
hsm partition init "hsm:$T/g#p1" --kdf interactive --new-pin-file "$PO" \
	--domain-pin-file "$DOM" --domain-string "$(domstr "$DOM" interactive)" >/dev/null
hsm role init "hsm:$T/g#p1" --role co --pin-file "$PO" --new-pin-file "$CO" \
	>/dev/null
expect_exit 3 restore --from "dir:$T/s" --backup "$name" --to "hsm:$T/g#p1" \
	--replace --pin-file "$CO" --backup-pin-file "$BK"
grep -q "'default' (password, profile test)" "$T/.err" ||
	{ cat "$T/.err" >&2; fail "restore: the profile is not named"; }
echo "restore-kdf-named: ok"
