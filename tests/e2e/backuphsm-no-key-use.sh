#!/bin/sh
# A Backup HSM holds backup partitions only: it has no partition of its
# own and offers no key use. Every command that would open a partition on
# it or use a key there - create or init a partition, generate, import,
# list, show, sign, verify, encrypt, decrypt, export, delete keys, SKS
# extract and insert, roles, domains, clone from or to it, back up from it,
# restore into it - is refused with exit 3 and a message naming the Backup
# HSM, by name of a backup partition it holds too. Its backup partitions
# are untouched. The same commands work on an ordinary HSM.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/backup.sh"

bk_setup h 2
bhsm_init b
name=$(backupd backup --from "hsm:$T/h#p1" --to "hsm:$T/b" --pin-file "$CO" \
	--backup-pin-file "$BK" --kdf test)
files0=$(store_state b/backup)
echo "a message" >"$T/msg"
hsm key sign "hsm:$T/h#p1" --label sig --in "$T/msg" --out "$T/msg.sig" \
	--pin-file "$CO"
hsm key encrypt "hsm:$T/h#p1" --label enc --in "$T/msg" --out "$T/msg.enc" \
	--pin-file "$CO"
head -c 32 /dev/urandom >"$T/aes.key"

refused() {
	expect_exit 3 "$@"
	grep -q "is a Backup HSM" "$T/.err" ||
		{ cat "$T/.err" >&2; fail "no Backup HSM message: $*"; }
	n=$((n + 1))
}

n=0
# Partitions: p1, as on the source, and the backup partition's own name.
for label in p1 "${name%.cbk}"; do
	Q="hsm:$T/b#$label"
	refused hsm partition create "$Q" --pin-file "$BSO"
	refused hsm partition init "$Q" --new-pin-file "$PO" --domain-pin-file "$DOM"
	refused hsm partition show "$Q"
	refused hsm partition policy show "$Q"
	refused hsm role init "$Q" --role co --pin-file "$PO" --new-pin-file "$CO"
	refused hsm role login-check "$Q" --role co --pin-file "$CO"
	refused hsm key generate "$Q" --type aes --label k --pin-file "$CO"
	refused hsm key import "$Q" --type aes --label k --in "$T/aes.key" --pin-file "$CO"
	refused hsm key list "$Q" --pin-file "$CO"
	refused hsm key show "$Q" --label sig --pin-file "$CO"
	refused hsm key sign "$Q" --label sig --in "$T/msg" --out "$T/x" --pin-file "$CO"
	refused hsm key verify "$Q" --label sig --in "$T/msg" --signature "$T/msg.sig" \
		--pin-file "$CO"
	refused hsm key encrypt "$Q" --label enc --in "$T/msg" --out "$T/x" --pin-file "$CO"
	refused hsm key decrypt "$Q" --label enc --in "$T/msg.enc" --out "$T/x" \
		--pin-file "$CO"
	refused hsm key export-public "$Q" --label sig --out "$T/x.pem" --pin-file "$CO"
	refused hsm key delete "$Q" --label sig --pin-file "$CO"
	refused hsm sks show "$Q" --pin-file "$CO"
	refused hsm sks extract "$Q" --out "$T/x.sks" --auth-pin-file "$BK" --kdf test \
		--pin-file "$CO"
	refused domains list "$Q" --role co --pin-file "$CO"
	refused clone --from "hsm:$T/h#p1" --to "$Q" --from-pin-file "$CO" \
		--to-pin-file "$CO"
	refused clone --from "$Q" --to "hsm:$T/h#p1" --from-pin-file "$CO" \
		--to-pin-file "$CO"
	refused backupd backup --from "$Q" --to "hsm:$T/b" --pin-file "$CO" \
		--backup-pin-file "$BK" --kdf test
	refused restore --from "hsm:$T/b" --backup "$name" --to "$Q" --pin-file "$CO" \
		--backup-pin-file "$BK" --replace
done
[ ! -e "$T/x" ] && [ ! -e "$T/x.pem" ] && [ ! -e "$T/x.sks" ] ||
	fail "a refused command wrote its output"
[ "$(store_state b/backup)" = "$files0" ] ||
	fail "a refused command changed the Backup HSM's backup partitions"
hsm partition list "$T/b" --json | grep -q '"label"' &&
	fail "the Backup HSM lists a partition"
hsm show "$T/b" | grep -q "Kind: *Backup HSM" || fail "hsm show does not say Backup HSM"

# The same commands on an ordinary HSM do their work.
hsm key sign "hsm:$T/h#p1" --label sig --in "$T/msg" --out "$T/ok.sig" \
	--pin-file "$CO"
hsm key decrypt "hsm:$T/h#p1" --label enc --in "$T/msg.enc" --out "$T/ok.dec" \
	--pin-file "$CO"
cmp -s "$T/msg" "$T/ok.dec" || fail "the ordinary HSM does not decrypt"
hsm partition create "hsm:$T/h#p2" --pin-file "$SO" >/dev/null
hsm audit verify "$T/b" >/dev/null
echo "backuphsm-no-key-use: ok ($n commands refused)"
