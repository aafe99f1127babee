#!/bin/sh
# The disaster-recovery runbook, run exactly as written: an HSM with a
# partition and keys, a reference signature and ciphertext, a backup; the
# HSM zeroized by a tamper event; then every ```sh block of
# docs/runbooks/disaster-recovery.md, extracted from the document and run in
# order. Afterwards the partition holds the same objects as before and the
# old signature and ciphertext check with the restored keys.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/backup.sh"

runbook="$here/../../docs/runbooks/disaster-recovery.md"
[ -f "$runbook" ] || fail "no runbook at $runbook"

# Before the disaster.
bk_setup h 50
P="hsm:$T/h#p1"
dr_proof_make h
store_init s
backup_of h s >/dev/null
# The inventory's record of the partition's serial.
SOURCE_SERIAL=$(hsm partition show "$P" --json | jq -r .serial)
sleep 1 # the runbook ends with a new backup: a new second, a new name

# The disaster.
hsm zeroize "$T/h" --tamper >/dev/null
expect_exit 3 hsm key list "$P" --pin-file "$CO"

dr_creds

# Exactly the runbook's commands.
runbook_script "$runbook"
HSM_DIR="$T/h" HSM_LABEL=e2e PARTITION=p1 DOMAIN_LABEL=default KDF=test \
	DOMAIN_STRING="$(domstr "$DOM")" \
	SOURCE_SERIAL="$SOURCE_SERIAL" \
	STORE="$T/s" CRED="$T/cred" PROOF_DIR="$T/proof" SIGN_KEY=sig \
	ENC_KEY=enc sh -eu "$T/runbook.sh" >"$T/runbook.out" 2>&1 || {
	tail -20 "$T/runbook.out" >&2
	fail "the runbook failed"
}
grep -q "proof: the restored keys are the keys of p1_" "$T/runbook.out" ||
	fail "the runbook did not prove the keys"

# The proof again, from outside the runbook.
dr_proved h
# The runbook shredded its credential files and took a fresh backup.
[ -z "$(ls -A "$T/cred")" ] || fail "credential files left behind"
[ "$(restore list --from "dir:$T/s" --json | grep -o '"name"' | wc -l)" -eq 2 ] ||
	fail "no fresh backup after the recovery"
hsm audit verify "$T/h" >/dev/null
echo "dr-runbook: ok"
