#!/bin/sh
# A V0 backup opens each object on its sealing thread, away from the
# reading one. An object whose sealed value was altered in hsm.db behind
# the HSM's back stops the backup there: exit 4, the object's id and
# "hsm.db was altered" in the message, nothing added to the store, and the
# failure in the audit log. The untouched partition then backs up fine.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/backup.sh"

bk_setup h 2000
store_init s
before=$(store_state s)
id=$(sqlite3 "$T/h/hsm.db" "SELECT id FROM object WHERE label = 'k-1500'")
[ -n "$id" ] || fail "no object k-1500"
good=$(sqlite3 "$T/h/hsm.db" "SELECT hex(value) FROM object WHERE id = $id")
# one byte of the sealed value flipped (the tag is the last 16 bytes)
sqlite3 "$T/h/hsm.db" "UPDATE object SET value = substr(value, 1, 14) ||
	CASE WHEN substr(value, 15, 1) = X'00' THEN X'01' ELSE X'00' END ||
	substr(value, 16) WHERE id = $id"
expect_exit 4 backup_of h s
grep -q "object id $id fails its integrity check: hsm.db was altered" \
	"$T/.err" || fail "message: $(cat "$T/.err")"
[ "$(store_state s)" = "$before" ] || fail "a failed backup changed the store"
[ -z "$(ls -A "$T/s/.tmp" 2>/dev/null)" ] || fail "a temporary was left"
grep -q '"event":"backup".*"result":"fail"' "$T/h/audit.log" ||
	fail "the failure is not in the audit log"

# the row put back as it was: the same partition backs up and verifies
sqlite3 "$T/h/hsm.db" "UPDATE object SET value = X'$good' WHERE id = $id"
backup_of h s >/dev/null
name=$(ls "$T/s" | grep '\.cbk$')
restore verify --deep --from "dir:$T/s" "$name" --to "hsm:$T/h#p1" \
	--pin-file "$CO" --backup-pin-file "$BK" >/dev/null ||
	fail "the backup after the repair does not verify"
echo "backup-altered-row: ok"
