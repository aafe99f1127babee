#!/bin/sh
# The runbook's last step, "reconnect the applications", with a real
# application: openssl signs through Coffer's PKCS#11 module (libp11's
# engine, an RFC 7512 pkcs11: URI) before the disaster; the HSM is zeroized
# and recovered by docs/runbooks/disaster-recovery.md run as written; then
# the same URI, unchanged, signs again. Both signatures verify under the
# public key exported before the disaster, and a signature made after the
# recovery does not fit another message.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/backup.sh"
. "$here/helpers/pkcs11.sh"
mod_setup dr-pkcs11
eng_setup dr-pkcs11

bk_setup h
P="hsm:$T/h#p1"
mod_hsm "$T/h"
(umask 077 && printf '%s' "$(modpin "$CO")" >"$T/copin")
URI="pkcs11:token=p1;object=app;type=private?pin-source=file:$T/copin"

# The application's key, made through the module as an application would.
pkcs11-tool --module "$MOD" --token-label p1 --login --pin "$(modpin "$CO")" \
	--keypairgen --key-type EC:prime256v1 --label app --id 0b >/dev/null ||
	fail "the module did not make the application's key"
hsm key export-public "$P" --label app --out "$T/app.pem" \
	--pin-file "$CO" >/dev/null
printf 'invoice 2026-117, 4200 EUR\n' >"$T/msg"
printf 'invoice 2026-117, 9200 EUR\n' >"$T/other"
sign() {
	eng dgst -sha256 -engine pkcs11 -keyform engine -sign "$URI" \
		-out "$1" "$T/msg" >"$T/ossl.log" 2>&1 ||
		{ cat "$T/ossl.log" >&2; fail "openssl could not sign: $2"; }
}
sign "$T/before.sig" "before the disaster"
openssl dgst -sha256 -verify "$T/app.pem" -signature "$T/before.sig" \
	"$T/msg" >/dev/null || fail "the first signature does not verify"

dr_proof_make h
store_init s
backup_of h s >/dev/null
SOURCE_SERIAL=$(hsm partition show "$P" --json | jq -r .serial)
sleep 1

# The disaster: the application's URI no longer signs.
hsm zeroize "$T/h" --tamper >/dev/null
if eng dgst -sha256 -engine pkcs11 -keyform engine -sign "$URI" \
	-out "$T/none.sig" "$T/msg" >/dev/null 2>&1; then
	fail "a zeroized HSM still signed through the module"
fi

dr_creds
runbook_script "$here/../../docs/runbooks/disaster-recovery.md"
HSM_DIR="$T/h" HSM_LABEL=e2e PARTITION=p1 DOMAIN_LABEL=default KDF=test \
	DOMAIN_STRING="$(domstr "$DOM")" SOURCE_SERIAL="$SOURCE_SERIAL" \
	STORE="$T/s" CRED="$T/cred" PROOF_DIR="$T/proof" SIGN_KEY=sig \
	ENC_KEY=enc sh -eu "$T/runbook.sh" >"$T/runbook.out" 2>&1 || {
	tail -20 "$T/runbook.out" >&2
	fail "the runbook failed"
}

# Reconnected: the same URI, the same public key.
sign "$T/after.sig" "after the recovery"
openssl dgst -sha256 -verify "$T/app.pem" -signature "$T/after.sig" \
	"$T/msg" >/dev/null || fail "the recovered key's signature does not verify"
openssl dgst -sha256 -verify "$T/app.pem" -signature "$T/before.sig" \
	"$T/msg" >/dev/null || fail "the old signature no longer verifies"
! openssl dgst -sha256 -verify "$T/app.pem" -signature "$T/after.sig" \
	"$T/other" >/dev/null 2>&1 || fail "the signature fits another message"
echo "dr-pkcs11: ok"
