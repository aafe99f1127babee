#!/bin/sh
# backupd copy: a backup partition of a Backup HSM into a dir: store as
# its sealed archive, and back into another Backup HSM, nothing decrypted;
# the same through an rbs:// store.
# Each copy has the original's name, lists, verifies and restores the same
# keys; the copy into a Backup HSM is in its audit chain. A name the target
# already holds, a full target and a damaged source are refused with
# nothing left in the target.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/backup.sh"
. "$here/helpers/rbs.sh"

bk_setup h 8
P="hsm:$T/h#p1"
echo "signed before" >"$T/msg"
hsm key sign "$P" --label sig --in "$T/msg" --out "$T/msg.sig" --pin-file "$CO"
bhsm_init b
store_init s
name=$(backupd backup --from "$P" --to "hsm:$T/b" --pin-file "$CO" \
	--backup-pin-file "$BK" --kdf test)

# Backup HSM -> dir: the same archive, byte for byte.
[ "$(backupd copy --from "hsm:$T/b" --to "dir:$T/s" "$name")" = "$name" ] ||
	fail "the copy does not keep its name"
cmp -s "$T/b/backup/$name" "$T/s/$name" || fail "the copy differs from its original"
restore verify --from "dir:$T/s" "$name" >/dev/null
restore verify --deep --from "dir:$T/s" "$name" --to "$P" --pin-file "$CO" \
	--backup-pin-file "$BK" >/dev/null

# dir -> another Backup HSM, audited there.
bhsm_init c 1
[ "$(backupd copy --from "dir:$T/s" --to "hsm:$T/c" "$name")" = "$name" ] ||
	fail "the copy back does not keep its name"
grep -q "\"event\":\"backup-partition-create\",\"result\":\"ok\",\"object\":\"$name\"" \
	"$T/c/audit.log" || fail "the copy is not in the Backup HSM's audit log"
hsm key delete "$P" --label sig --pin-file "$CO" >/dev/null
restore --from "hsm:$T/c" --backup "$name" --to "$P" --add --pin-file "$CO" \
	--backup-pin-file "$BK" >/dev/null 2>&1
hsm key verify "$P" --label sig --in "$T/msg" --signature "$T/msg.sig" \
	--pin-file "$CO" >/dev/null || fail "the copied backup's key is not the old key"

# Backup HSM -> rbs:// and back into a third Backup HSM: any two stores.
rbs_server srv r
rbs_start srv
rbs_client alice admin r
U=$(rbs_url r)
as alice backupd copy --from "hsm:$T/b" --to "$U" "$name" \
	--server-fingerprint "$SFP" >/dev/null
cmp -s "$T/b/backup/$name" "$T/r/$name" || fail "the rbs copy differs"
bhsm_init d
as alice backupd copy --from "$U" --to "hsm:$T/d" "$name" >/dev/null
cmp -s "$T/b/backup/$name" "$T/d/backup/$name" || fail "the copy from rbs differs"
rbs_stop

# Refusals leave the target as it was.
st=$(store_state s)
expect_exit 1 backupd copy --from "hsm:$T/b" --to "dir:$T/s" "$name"
grep -q "already" "$T/.err" || fail "message: name taken"
[ "$(store_state s)" = "$st" ] || fail "a refused copy changed the store"
sleep 1
other=$(backupd backup --from "$P" --to "hsm:$T/b" --pin-file "$CO" \
	--backup-pin-file "$BK" --kdf test)
ct=$(store_state c/backup)
expect_exit 1 backupd copy --from "hsm:$T/b" --to "hsm:$T/c" "$other"
grep -q "holds 1 of 1" "$T/.err" || fail "message: full target"
[ "$(store_state c/backup)" = "$ct" ] || fail "a refused copy changed the Backup HSM"
S=$(stat -c %s "$T/b/backup/$other")
flip "$T/b/backup/$other" $((S / 2))
expect_exit 4 backupd copy --from "hsm:$T/b" --to "dir:$T/s" "$other"
[ "$(store_state s)" = "$st" ] || fail "a damaged source left something behind"
[ ! -e "$T/s/$other" ] || fail "a damaged backup was copied"
echo "backuphsm-copy: ok"
