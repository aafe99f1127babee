#!/bin/sh
# A Backup HSM's backup partitions open only with one of the source's
# cloning domains and the backup partition credential. Refused, each with
# exit 3 and nothing changed, neither the target partition nor the Backup
# HSM (hsm.db, every backup partition file byte for byte; its audit.log
# may only have grown by whole lines):
#   - a restore into a partition that holds none of the backup's domains;
#   - a restore and a deep verify with a wrong backup partition credential;
#   - a deep verify with the wrong domain password;
#   - a backup whose source credential is wrong, and one from a partition
#     whose cloning is off: no backup partition is created, not even an
#     empty one (Luna leaves one; Coffer does not).
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/backup.sh"

bk_setup h 5
bhsm_init b
B="hsm:$T/b"
name=$(backupd backup --from "hsm:$T/h#p1" --to "$B" --pin-file "$CO" \
	--backup-pin-file "$BK" --kdf test)

# The Backup HSM's state: hsm.db and every file of its backup area.
bhsm_db() { sqlite3 "$T/b/hsm.db" .dump | sha256sum | cut -c1-64; }
bhsm_files() { store_state b/backup; }
snapshot() {
	db0=$(bhsm_db)
	files0=$(bhsm_files)
	cp "$T/b/audit.log" "$T/audit0"
}
unchanged() {
	[ "$(bhsm_db)" = "$db0" ] || fail "$1: the Backup HSM's hsm.db changed"
	[ "$(bhsm_files)" = "$files0" ] ||
		fail "$1: the Backup HSM's backup partitions changed"
	n0=$(wc -c <"$T/audit0")
	head -c "$n0" "$T/b/audit.log" | cmp -s - "$T/audit0" ||
		fail "$1: the Backup HSM's audit log was rewritten"
	[ -z "$(tail -c 1 "$T/b/audit.log" | tr -d '\n')" ] ||
		fail "$1: the Backup HSM's audit log ends in a partial line"
}

# A target whose partition was made under another domain.
DOM=$(pinfile dom2 "another-domain-secret")
bk_setup t 3
DOM=$T/dom
target0=$(hsm_state t)
snapshot
expect_exit 3 restore --from "$B" --backup "$name" --to "hsm:$T/t#p1" \
	--pin-file "$CO" --backup-pin-file "$BK" --replace
grep -q "holds none of the cloning domains" "$T/.err" ||
	fail "message: the domain refusal does not say why"
[ "$(hsm_state t)" = "$target0" ] || fail "the target changed (replace)"
unchanged "wrong domain, replace"
expect_exit 3 restore --from "$B" --backup "$name" --to "hsm:$T/t#p1" \
	--pin-file "$CO" --backup-pin-file "$BK" --add
[ "$(hsm_state t)" = "$target0" ] || fail "the target changed (add)"
unchanged "wrong domain, add"
expect_exit 3 restore verify --deep --from "$B" "$name" \
	--domain-pin-file "$T/dom2" --kdf test --backup-pin-file "$BK"
unchanged "deep verify, wrong domain"

# The right domain with a wrong backup partition credential.
hsm key delete "hsm:$T/h#p1" --label sig --pin-file "$CO" >/dev/null
source0=$(hsm_state h)
expect_exit 3 restore --from "$B" --backup "$name" --to "hsm:$T/h#p1" \
	--pin-file "$CO" --backup-pin-file "$BAD" --replace
[ "$(hsm_state h)" = "$source0" ] || fail "the target changed (wrong credential)"
unchanged "wrong backup partition credential"
expect_exit 3 restore verify --deep --from "$B" "$name" --to "hsm:$T/h#p1" \
	--pin-file "$CO" --backup-pin-file "$BAD"
unchanged "deep verify, wrong backup partition credential"

# Backups refused at the source: no backup partition appears.
expect_exit 3 backupd backup --from "hsm:$T/h#p1" --to "$B" --pin-file "$BAD" \
	--backup-pin-file "$BK" --kdf test
grep -q "nothing was created" "$T/.err" || fail "message: wrong source credential"
unchanged "backup with a wrong source credential"
hsm partition policy set "hsm:$T/t#p1" allow-cloning 0 --force --pin-file "$PO" \
	>/dev/null
expect_exit 3 backupd backup --from "hsm:$T/t#p1" --to "$B" --pin-file "$CO" \
	--backup-pin-file "$BK" --kdf test
unchanged "backup of a partition whose cloning is off"
[ "$(restore list --from "$B" --names)" = "$name" ] ||
	fail "the Backup HSM lists more than the one backup partition"

# The right domain and credential open it: the refusals were about them.
restore --from "$B" --backup "$name" --to "hsm:$T/h#p1" --pin-file "$CO" \
	--backup-pin-file "$BK" --add >/dev/null 2>&1
hsm key list "hsm:$T/h#p1" --pin-file "$CO" --json | grep -q '"label":"sig"' ||
	fail "the right credential did not restore"
hsm audit verify "$T/b" >/dev/null
echo "backuphsm-domain-refused: ok"
