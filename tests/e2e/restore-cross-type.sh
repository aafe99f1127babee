#!/bin/sh
# Restore across partition types (extended domains make it a
# supported path): a backup of a password partition restores into a PED
# partition once that partition holds the password domain as an extra
# domain, and not before (exit 3, the target unchanged). The restored key
# verifies a signature made before the backup. Then the PED partition is
# backed up by an activated Crypto Officer (the challenge alone, as an
# unattended backupd would), and that backup restores into the password
# partition through the same shared domain.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/ped.sh"
# The password HSM's secrets under names that do not clash with the PED
# share directories ($T/so, $T/po, $T/co).
SO=$(pinfile so-pin "so-secret-1")
PO=$(pinfile po-pin "po-secret-1")
CO=$(pinfile co-pin "co-secret-1")
CU=$(pinfile cu-pin "cu-secret-1")
DOM=$(pinfile dom-pin "domain-secret-1")
BK=$(pinfile bk-pin "backup-password-1")
CH=$(pinfile challenge "a long enough challenge secret")
hsm_setup() {
	hsm init "$T/$1" --label pw --kdf test --pin-file "$SO" >/dev/null
	hsm partition create "hsm:$T/$1#p1" --pin-file "$SO" >/dev/null
	hsm partition init "hsm:$T/$1#p1" --new-pin-file "$PO" \
		--domain-pin-file "$DOM" --domain-string "$(domstr "$DOM")" >/dev/null
	hsm role init "hsm:$T/$1#p1" --role co --pin-file "$PO" \
		--new-pin-file "$CO" >/dev/null
}

# A password partition with a signing key, and its backup.
hsm_setup pw
Q="hsm:$T/pw#p1"
hsm key generate "$Q" --type ec --label signer --pin-file "$CO" >/dev/null
hsm key generate "$Q" --type aes --label wrapper --pin-file "$CO" >/dev/null
echo "signed on the password partition" >"$T/msg"
hsm key sign "$Q" --label signer --in "$T/msg" --out "$T/sig" --pin-file "$CO"
backupd init "dir:$T/s" >/dev/null
name=$(backupd backup --from "$Q" --to "dir:$T/s" --pin-file "$CO" \
	--backup-pin-file "$BK" --kdf test)

# A PED partition (its own PED domain only): refused, unchanged.
ped_setup h
before=$(state_of h)
expect_exit 3 restore --from "dir:$T/s" --backup "$name" --to "$P" \
	$(co 1 2) --backup-pin-file "$BK" --replace
grep -q "holds none of the cloning domains" "$T/.err" || fail "message"
[ "$(state_of h)" = "$before" ] || fail "the refused restore changed the target"
# A PED partition takes shares, not a password.
expect_exit 2 restore --from "dir:$T/s" --backup "$name" --to "$P" \
	--pin-file "$CO" --backup-pin-file "$BK" --replace

# Its PO (with shares) adds the password domain as an extra domain.
domains add "$P" --label pw-link --domain-pin-file "$DOM" --domain-string "$(domstr "$DOM")" \
	$(po 1 3 5) >/dev/null
restore --from "dir:$T/s" --backup "$name" --to "$P" $(co 1 3) \
	--backup-pin-file "$BK" --replace --json >"$T/r.json"
json_has '"domain":"pw-link"' "$T/r.json"
json_has '"written":2' "$T/r.json"
hsm key verify "$P" --label signer --in "$T/msg" --signature "$T/sig" \
	$(co 2 3) >/dev/null || fail "the restored key does not verify"

# Back the other way: an activated CO backs the PED partition up with the
# challenge alone; the backup is sealed under both of its domains, so the
# password partition (sharing pw-link) restores it.
hsm role activate "$P" --role co $(co 1 2) --challenge-file "$CH" >/dev/null
hsm key generate "$P" --type aes --label ped-made --challenge-file "$CH" \
	>/dev/null
sleep 1 # a new second for a new backup name of the same label
name2=$(backupd backup --from "$P" --to "dir:$T/s" --challenge-file "$CH" \
	--backup-pin-file "$BK" --kdf test)
restore --from "dir:$T/s" --backup "$name2" --to "$Q" --pin-file "$CO" \
	--backup-pin-file "$BK" --add >/dev/null 2>&1
hsm key list "$Q" --pin-file "$CO" | grep -q "^ped-made " ||
	fail "the PED partition's backup did not restore into the password one"
echo "restore-cross-type: ok"
