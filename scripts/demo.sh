#!/bin/sh
# make demo: the disaster-recovery story, narrated, on the emulated HSM
# (no hardware needed). An HSM and a partition with keys; a signature and a
# ciphertext made; a backup to a local store; the HSM zeroized; the runbook
# (docs/runbooks/disaster-recovery.md) followed, its commands extracted
# from the document; the old signature verified and the old ciphertext
# decrypted with the restored keys. Leaves its work in a temporary
# directory it names at the end (KEEP=1) or removes it.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
BIN=${COFFER_BIN:-$top/bin}
export PATH="$BIN:$PATH"
# The demo runs in seconds under the 'test' KDF profile, which the tools
# refuse without this switch; production uses interactive or stronger.
export COFFER_TEST_KDF=1
for t in hsm backupd restore; do
	[ -x "$BIN/$t" ] || { echo "demo: $BIN/$t is missing; run 'make demo'" >&2; exit 1; }
done
W=$(mktemp -d "${TMPDIR:-/tmp}/coffer-demo.XXXXXX")
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$W"' EXIT
start=$(date +%s)

if [ -t 1 ]; then B=$(printf '\033[1m') N=$(printf '\033[0m'); else B= N=; fi
say() { printf '\n%s%s%s\n' "$B" "$*" "$N"; }
note() { printf '  %s\n' "$*"; }
# Shows a command and its output, indented; stops the demo if it fails.
run() {
	printf '  $ %s\n' "$*"
	rc=0
	"$@" >"$W/.out" 2>&1 || rc=$?
	sed 's/^/    /' "$W/.out"
	[ "$rc" -eq 0 ] || { echo "demo: that command failed (exit $rc)" >&2; exit 1; }
}

say "Coffer: a backup taken today restores tomorrow onto a rebuilt HSM."
note "Work directory: $W"
note "Every credential is a random password in a 0600 file (--pin-file), as the"
note "holders in the runbook's credential inventory would write them; never argv."
note "KDF profile 'test' (Argon2id, 64 KiB, one pass) so the demo runs in"
note "seconds; a real HSM uses 'interactive' or stronger (docs/hsm.md)."

umask 077
cd "$W" # short relative paths in what the demo shows
mkdir "cred" "proof"
for f in so po co cu domain backup; do
	openssl rand -hex 16 >"cred/$f.pin"
done
# Copies the demo keeps: the runbook shreds its credential files at the end.
cp -a "cred" "keep"
H=hsm
P="hsm:$H#payments"
S="dir:store"
CO="keep/co.pin"

say "1. An HSM, a partition 'payments' and its keys"
run hsm init "$H" --label demo-hsm --kdf test --new-pin-file "cred/so.pin"
run hsm partition create "$P" --pin-file "cred/so.pin"
run hsm partition init "$P" --kdf test --domain-label default \
	--new-pin-file "cred/po.pin" --domain-pin-file "cred/domain.pin" \
	--new-domain
# The new domain's string goes to the inventory (the runbook needs it).
DOMAIN_STRING=$(sed -n 's/^new password domain //p' "$W/.out")
run hsm role init "$P" --role co --pin-file "cred/po.pin" \
	--new-pin-file "cred/co.pin"
run hsm role init "$P" --role cu --pin-file "cred/co.pin" \
	--new-pin-file "cred/cu.pin"
run hsm key generate "$P" --type ec --size 384 --label sign-key --pin-file "$CO"
run hsm key generate "$P" --type aes --label enc-key --pin-file "$CO"
run hsm key generate "$P" --type aes --label card --count 1000 --pin-file "$CO"

say "2. The applications use them: a signature and a ciphertext"
echo "Pay 100 EUR to ACME, invoice 2025-0042" >"proof/message"
run hsm key sign "$P" --label sign-key --in "proof/message" \
	--out "proof/message.sig" --pin-file "$CO"
run hsm key encrypt "$P" --label enc-key --in "proof/message" \
	--out "proof/message.enc" --pin-file "$CO"
run hsm key export-public "$P" --label sign-key --out "proof/sign-key.pem" \
	--pin-file "$CO"
note "message.sig and message.enc are kept beside the runbook as the reference."

say "3. A backup to a local store"
run backupd init "$S"
run backupd backup --from "$P" --to "$S" --pin-file "$CO" \
	--backup-pin-file "cred/backup.pin" --kdf test
run restore list --from "$S"
name=$(ls store | grep '\.cbk$')
run restore verify --from "$S" "$name"
run tar tvf "store/$name"
note "The store holds ciphertext only: the records are sealed under the"
note "cloning domain AND the backup password; anyone may verify, nobody"
note "without both can read it."
if grep -q -a "Pay 100 EUR" "store/$name"; then
	echo "demo: plaintext found in the backup" >&2
	exit 1
fi
# The inventory records the partition's serial: backups are found by it.
SERIAL=$(hsm partition show "$P" --json | jq -r .serial)
note "The inventory notes the partition's serial, $SERIAL: the runbook finds"
note "this partition's backups by it, never by label."

say "4. Disaster: a tamper event zeroizes the HSM"
run hsm zeroize "$H" --tamper
printf '  $ hsm key list %s\n' "$P"
if hsm key list "$P" --pin-file "$CO" >"out" 2>&1; then
	echo "demo: the zeroized HSM still lists keys" >&2
	exit 1
fi
sed 's/^/    /' "out"
note "The keys are gone. Only the backup and the people holding the"
note "credentials can bring them back."

say "5. The runbook, followed to the letter (docs/runbooks/disaster-recovery.md)"
note "Its sh blocks are extracted from the document and run as they stand."
awk '/^## / { printf "printf \"\\n  -- %s\\n\"\n", substr($0, 4) }
	/^```sh$/ { on = 1; next } /^```/ { on = 0 } on' \
	"$top/docs/runbooks/disaster-recovery.md" >"runbook.sh"
HSM_DIR="$H" HSM_LABEL=demo-hsm PARTITION=payments DOMAIN_LABEL=default \
	DOMAIN_STRING="$DOMAIN_STRING" \
	SOURCE_SERIAL="$SERIAL" KDF=test STORE="store" CRED="cred" PROOF_DIR="proof" \
	SIGN_KEY=sign-key ENC_KEY=enc-key run sh -eu "runbook.sh"

say "6. The old signature and the old ciphertext, with the restored keys"
run hsm key verify "$P" --label sign-key --in "proof/message" \
	--signature "proof/message.sig" --pin-file "$CO"
note "And independently of Coffer, with OpenSSL and the public key exported"
note "before the disaster:"
run openssl dgst -sha256 -verify "proof/sign-key.pem" \
	-signature "proof/message.sig" "proof/message"
run hsm key decrypt "$P" --label enc-key --in "proof/message.enc" \
	--out "decrypted" --pin-file "$CO"
printf '  decrypted: %s\n' "$(cat "decrypted")"
cmp -s "proof/message" "decrypted"

say "Done in $(($(date +%s) - start)) s: the keys made before the disaster are back."
[ "${KEEP:-0}" = 1 ] && note "Kept: $W" || true
