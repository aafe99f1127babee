#!/bin/sh
# openssl signs through Coffer's PKCS#11 module with libp11's pkcs11 engine
# (Debian libengine-pkcs11-openssl), keys named by RFC 7512 pkcs11: URIs:
#   - keys made by `hsm key generate` (EC P-256 by label, RSA 2048 by
#     CKA_ID) sign with `openssl dgst -engine pkcs11 -keyform engine`;
#     openssl verifies under hsm's exported public key and so does hsm;
#   - ECDSA over a digest (openssl pkeyutl, CKM_ECDSA) verifies the same;
#   - RSA PKCS#1 v1.5 is deterministic: the engine's signature is hsm's;
#   - a wrong pin-source is refused and counted as hsm counts it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helpers/hsm.sh"
. "$(dirname "$0")/helpers/pkcs11.sh"
mod_setup pkcs11-openssl
eng_setup pkcs11-openssl
hsm_setup h
P="hsm:$T/h#p1"
mod_hsm "$T/h"
# libp11 reads a pin-source file whole: no newline
(umask 077 && printf '%s' "$(modpin "$CO")" >"$T/copin" &&
	printf '%s' "$(modpin "$BAD")" >"$T/badpin")

hsm key generate "$P" --type ec --size 256 --label ec --pin-file "$CO" >/dev/null
hsm key generate "$P" --type rsa --size 2048 --label rsa --id 0a \
	--pin-file "$CO" >/dev/null
for k in ec rsa; do
	hsm key export-public "$P" --label "$k" --out "$T/$k.pem" \
		--pin-file "$CO" >/dev/null
done
printf 'pay 100 EUR to account 42\n' >"$T/msg"
printf 'pay 900 EUR to account 42\n' >"$T/other"

# sign SIGFILE URI: openssl dgst -sha256 of msg through the engine
sign() {
	eng dgst -sha256 -engine pkcs11 -keyform engine -sign "$2" \
		-out "$1" "$T/msg" >"$T/ossl.log" 2>&1 ||
		{ cat "$T/ossl.log" >&2; fail "openssl could not sign with $2"; }
}

sign "$T/ec.sig" "pkcs11:token=p1;object=ec;type=private?pin-source=file:$T/copin"
openssl dgst -sha256 -verify "$T/ec.pem" -signature "$T/ec.sig" "$T/msg" \
	>/dev/null || fail "ECDSA through the engine does not verify"
! openssl dgst -sha256 -verify "$T/ec.pem" -signature "$T/ec.sig" \
	"$T/other" >/dev/null 2>&1 || fail "ECDSA signature fits another message"
hsm key verify "$P" --label ec --hash sha256 --in "$T/msg" \
	--signature "$T/ec.sig" --pin-file "$CO" >/dev/null ||
	fail "hsm rejects the engine's ECDSA signature"

sign "$T/rsa.sig" "pkcs11:token=p1;id=%0a;type=private?pin-source=file:$T/copin"
openssl dgst -sha256 -verify "$T/rsa.pem" -signature "$T/rsa.sig" "$T/msg" \
	>/dev/null || fail "RSA through the engine does not verify"
hsm key sign "$P" --label rsa --hash sha256 --in "$T/msg" \
	--out "$T/rsa.hsm" --pin-file "$CO" >/dev/null
cmp -s "$T/rsa.sig" "$T/rsa.hsm" || fail "the engine's RSA signature is not hsm's"

# CKM_ECDSA: openssl hashes, the module signs the digest
openssl dgst -sha256 -binary "$T/msg" >"$T/msg.dig"
eng pkeyutl -engine pkcs11 -keyform engine -sign \
	-inkey "pkcs11:token=p1;object=ec;type=private?pin-source=file:$T/copin" \
	-in "$T/msg.dig" -out "$T/dig.sig" >"$T/ossl.log" 2>&1 ||
	{ cat "$T/ossl.log" >&2; fail "pkeyutl could not sign"; }
openssl pkeyutl -verify -pubin -inkey "$T/ec.pem" -in "$T/msg.dig" \
	-sigfile "$T/dig.sig" >/dev/null || fail "pkeyutl's signature does not verify"

# a wrong PIN: refused, and counted on hsm's counter
if eng dgst -sha256 -engine pkcs11 -keyform engine -sign \
	"pkcs11:token=p1;object=ec;type=private?pin-source=file:$T/badpin" \
	-out "$T/bad.sig" "$T/msg" >"$T/ossl.log" 2>&1; then
	fail "a wrong PIN signed"
fi
grep -qi "PIN incorrect" "$T/ossl.log" || { cat "$T/ossl.log"; fail "not PIN incorrect"; }
hsm partition show "$P" | grep -q "Role co: *initialized, 1 failed login" ||
	fail "the engine's failed login is not counted"
hsm audit verify "$T/h" >/dev/null
echo "pkcs11-openssl: ok"
