#!/bin/sh
# The PED variant of the disaster-recovery runbook, run as written: a PED
# HSM whose partition holds keys in a PED cloning domain is backed up and
# zeroized; every ```sh block of docs/runbooks/disaster-recovery-ped.md is
# extracted and run with only the domain custodians' shares and the backup
# password at hand. The HSM, PO, CO and CU come back as new share sets, the
# old keys prove themselves, and the old CO shares open nothing.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/ped.sh"
. "$here/helpers/backup.sh"

runbook="$here/../../docs/runbooks/disaster-recovery-ped.md"
[ -f "$runbook" ] || fail "no runbook at $runbook"

ped_setup h
hsm key generate "$P" --type ec --label sig $(co 1 2) >/dev/null
hsm key generate "$P" --type aes --label enc $(co 1 2) >/dev/null
hsm key generate "$P" --type aes --label k --count 20 $(co 1 2) >/dev/null
mkdir "$T/proof"
echo "signed before the disaster" >"$T/proof/message"
hsm key sign "$P" --label sig --in "$T/proof/message" \
	--out "$T/proof/message.sig" $(co 2 3)
hsm key encrypt "$P" --label enc --in "$T/proof/message" \
	--out "$T/proof/message.enc" $(co 2 3)
store_init s
backupd backup --from "$P" --to "dir:$T/s" $(co 1 3) --backup-pin-file "$BK" \
	--kdf test >/dev/null
SOURCE_SERIAL=$(hsm partition show "$P" --json | jq -r .serial)

hsm zeroize "$T/h" --tamper >/dev/null

# Step 2: two of the three domain custodians bring their shares.
mkdir -m 700 "$T/cred" "$T/cred/domain"
cp "$T/dom/domain-1-of-3.cshare" "$T/dom/domain-3-of-3.cshare" "$T/cred/domain/"
cp "$BK" "$T/cred/backup.pin"
chmod 600 "$T/cred/backup.pin"

runbook_script "$runbook"
HSM_DIR="$T/h" HSM_LABEL=ped PARTITION=p1 SOURCE_SERIAL="$SOURCE_SERIAL" \
	KDF=test SET_M=2 SET_N=3 STORE="$T/s" CRED="$T/cred" \
	PROOF_DIR="$T/proof" SIGN_KEY=sig ENC_KEY=enc \
	sh -eu "$T/runbook.sh" >"$T/runbook.out" 2>&1 || {
	tail -30 "$T/runbook.out" >&2
	fail "the PED runbook failed"
}
grep -q "proof: the restored keys are the keys of p1_${SOURCE_SERIAL}_" \
	"$T/runbook.out" || fail "the runbook did not prove the keys"
grep -q "serial $SOURCE_SERIAL before, [0-9]* now" "$T/runbook.out" ||
	fail "the runbook did not report the serial change"
hsm show "$T/h" --json | jq -e '.auth == "ped"' >/dev/null ||
	fail "the HSM is not a PED HSM again"
hsm partition show "$P" --json | jq -e '.objects == 22' >/dev/null ||
	fail "want the 22 objects back"
# The old CO set opens nothing: the CO is a new set now.
expect_exit 3 hsm key list "$P" $(co 1 2)
# A fresh backup of the new series; every credential file shredded.
restore list --from "dir:$T/s" --json |
	jq -e "[.backups[] | select(.serial != \"$SOURCE_SERIAL\")] | length == 1" \
	>/dev/null || fail "no backup of the rebuilt partition"
[ -z "$(find "$T/cred" -type f)" ] || fail "credential files left behind"
hsm audit verify "$T/h" >/dev/null
echo "dr-runbook-ped: ok"
