#!/bin/sh
# A backup restores in both modes: --add brings back only what is missing and
# keeps what the target has; --replace makes the partition exactly the
# backup again; --object restores a selection. Keys restored are the same
# keys: a signature and a ciphertext made before the backup still check.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/backup.sh"

bk_setup h 20
store_init s
P="hsm:$T/h#p1"
echo "made before the backup" >"$T/msg"
hsm key sign "$P" --label sig --in "$T/msg" --out "$T/msg.sig" --pin-file "$CO"
hsm key encrypt "$P" --label enc --in "$T/msg" --out "$T/msg.enc" \
	--pin-file "$CO"
labels_of h >"$T/before"

name=$(backup_of h s)
pserial=$(hsm partition show "hsm:$T/h#p1" --json | jq -r .serial)
case "$name" in
"p1_${pserial}_"[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9]Z.cbk) ;;
*) fail "backup name '$name' (want p1_${pserial}_<time>.cbk)" ;;
esac
grep -q "\"event\":\"backup\",\"result\":\"ok\".*$name" "$T/h/audit.log" ||
	fail "the backup is not in the source HSM's audit log"
restore list --from "dir:$T/s" --json >"$T/list"
json_has "\"name\":\"$name\"" "$T/list"
json_has '"objects":22' "$T/list"
json_has '"partition_version":"V0"' "$T/list"
restore show --from "dir:$T/s" "$name" | grep -q '^objects: *22$' ||
	fail "show does not count 22 objects"
restore verify --from "dir:$T/s" "$name" >/dev/null
tar tf "$T/s/$name" | tr '\n' ' ' | grep -q \
	'^manifest.json header.bin records.bin integrity.sha384 $' ||
	fail "tar does not list the four entries"

# The partition changes: two keys go, one arrives.
hsm key delete "$P" --label enc --pin-file "$CO" >/dev/null
hsm key delete "$P" --label k-1 --pin-file "$CO" >/dev/null
hsm key generate "$P" --type aes --label extra --pin-file "$CO" >/dev/null

# --add: enc and k-1 come back, the others are kept (and named), extra stays.
restore_to h s "$name" add --json >"$T/add.json" 2>"$T/add.err"
json_has '"written":2' "$T/add.json"
json_has '"skipped":20' "$T/add.json"
grep -q "kept 'sig': label exists" "$T/add.err" || fail "kept objects not named"
{ cat "$T/before"; echo extra; } | LC_ALL=C sort >"$T/want"
labels_of h >"$T/got"
cmp -s "$T/want" "$T/got" || fail "add mode: wrong set of objects"
hsm key decrypt "$P" --label enc --in "$T/msg.enc" --out "$T/msg.dec" \
	--pin-file "$CO"
cmp -s "$T/msg" "$T/msg.dec" || fail "restored key does not decrypt"

# --replace: exactly the backup's objects, extra is gone.
restore_to h s "$name" replace --json >"$T/rep.json"
json_has '"written":22' "$T/rep.json"
labels_of h >"$T/got"
cmp -s "$T/before" "$T/got" || fail "replace mode: not the backup's objects"
hsm key verify "$P" --label sig --in "$T/msg" --signature "$T/msg.sig" \
	--pin-file "$CO" >/dev/null || fail "restored key does not verify"

# --object: a selection; with --replace only that object is replaced.
hsm key delete "$P" --label sig --pin-file "$CO" >/dev/null
restore_to h s "$name" replace --object sig --json >"$T/sel.json"
json_has '"written":1' "$T/sel.json"
labels_of h >"$T/got"
cmp -s "$T/before" "$T/got" || fail "selection: wrong set of objects"

# A selected label the backup does not hold: refused, nothing written.
before=$(hsm_state h)
expect_exit 1 restore_to h s "$name" add --object nope
grep -q "object 'nope' is not in the backup" "$T/.err" || fail "message"
[ "$(hsm_state h)" = "$before" ] || fail "refused restore changed the target"

# A name that is not a backup's (a path, a typo): usage, nothing opened.
expect_exit 2 restore show --from "dir:$T/s" ../../etc/passwd
grep -q "is not a backup name" "$T/.err" || fail "message: bad name"
expect_exit 2 restore_to h s "p1.cbk" add
expect_exit 1 restore_to h s "p1_20000101T000000Z.cbk" add
grep -q "no backup 'p1_20000101T000000Z.cbk'" "$T/.err" || fail "message: none"

# Neither or both modes: usage.
expect_exit 2 restore --from "dir:$T/s" --backup "$name" --to "$P" \
	--pin-file "$CO" --backup-pin-file "$BK"
expect_exit 2 restore_to h s "$name" add --replace
echo "backup-restore-basic: ok"
