#!/bin/sh
# The Backup HSM path of the disaster-recovery runbook: a partition backed
# up into an emulated Backup HSM (hsm init --backup) as a dated backup
# partition named <label>_<partition serial>_<time>, listed, verified and
# opened there; the source HSM zeroized; then every ```sh block of
# docs/runbooks/disaster-recovery.md run with STORE_URI=hsm:DIR. The keys
# come back from the Backup HSM and prove themselves, and the Backup HSM's
# own audit chain records each backup partition it took.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/backup.sh"

runbook="$here/../../docs/runbooks/disaster-recovery.md"
bk_setup h 30
P="hsm:$T/h#p1"
dr_proof_make h
SOURCE_SERIAL=$(hsm partition show "$P" --json | jq -r .serial)

bhsm_init b
hsm show "$T/b" --json >"$T/b.json"
json_has '"kind":"backup"' "$T/b.json"
B="hsm:$T/b"
name=$(backupd backup --from "$P" --to "$B" --pin-file "$CO" \
	--backup-pin-file "$BK" --kdf test)
case "$name" in
"p1_${SOURCE_SERIAL}_"[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9]Z.cbk) ;;
*) fail "backup partition '$name' (want p1_${SOURCE_SERIAL}_<time>.cbk)" ;;
esac
[ -f "$T/b/backup/$name" ] || fail "the backup partition is not in the Backup HSM"
grep -q "\"event\":\"backup-partition-create\",\"result\":\"ok\",\"object\":\"$name\"" \
	"$T/b/audit.log" || fail "the Backup HSM's audit log lacks the backup partition"
restore list --from "$B" --json >"$T/list"
json_has "\"name\":\"$name\"" "$T/list"
json_has '"objects":32' "$T/list"
restore show --from "$B" "$name" | grep -q '^objects: *32$' ||
	fail "show does not count 32 objects"
restore verify --from "$B" "$name" >/dev/null
restore verify --from "$B" --all >/dev/null
restore verify --deep --from "$B" "$name" --to "$P" --pin-file "$CO" \
	--backup-pin-file "$BK" >/dev/null
restore list --from "$B" --json | grep -q '"verified":true' ||
	fail "the verified backup partition does not list as verified"
sleep 1 # the runbook ends with a new backup partition: a new name

# The disaster.
hsm zeroize "$T/h" --tamper >/dev/null
expect_exit 3 hsm key list "$P" --pin-file "$CO"

dr_creds
runbook_script "$runbook"
HSM_DIR="$T/h" HSM_LABEL=e2e PARTITION=p1 DOMAIN_LABEL=default KDF=test \
	DOMAIN_STRING="$(domstr "$DOM")" \
	SOURCE_SERIAL="$SOURCE_SERIAL" STORE=/nonexistent STORE_URI="$B" \
	CRED="$T/cred" PROOF_DIR="$T/proof" SIGN_KEY=sig \
	ENC_KEY=enc sh -eu "$T/runbook.sh" >"$T/runbook.out" 2>&1 || {
	tail -20 "$T/runbook.out" >&2
	fail "the runbook failed on the Backup HSM path"
}
grep -q "proof: the restored keys are the keys of $name" "$T/runbook.out" ||
	fail "the runbook did not prove the keys from the Backup HSM"

dr_proved h
# The runbook's closing backup is a second backup partition, of the new series.
[ "$(restore list --from "$B" --json | grep -o '"name"' | wc -l)" -eq 2 ] ||
	fail "no fresh backup partition after the recovery"
[ "$(grep -c '"event":"backup-partition-create","result":"ok"' "$T/b/audit.log")" -eq 2 ] ||
	fail "the Backup HSM did not audit both backup partitions"
hsm audit verify "$T/b" >/dev/null
hsm audit verify "$T/h" >/dev/null

# A zeroized Backup HSM serves nothing until it is a Backup HSM again; its
# backup partitions (ciphertext) survive, as docs/backup-hsm.md says.
hsm zeroize "$T/b" --tamper >/dev/null
expect_exit 3 restore list --from "$B"
grep -q "zeroized" "$T/.err" || fail "message: zeroized Backup HSM"
bhsm_init b
[ "$(restore list --from "$B" --names | wc -l)" -eq 2 ] ||
	fail "the re-initialized Backup HSM lost its backup partitions"
echo "backuphsm-basic: ok"
