#!/bin/sh
# The module on a V1 (SKS) partition, whose objects are SKS blobs under the
# partition's SMK (docs/sks.md): keys made through the module are blobs
# hsm lists and `hsm sks verify` accepts, an ECDSA signature verifies with
# openssl, and a key deleted through the module is gone.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helpers/hsm.sh"
. "$(dirname "$0")/helpers/pkcs11.sh"
mod_setup pkcs11-v1
HSM_E2E_VERSION=1 hsm_setup h
P="hsm:$T/h#p1"
mod_hsm "$T/h"
mod_co --keypairgen --key-type EC:prime256v1 --label ec --id 01 >/dev/null
mod_co --keypairgen --key-type rsa:2048 --label rsa --id 02 >/dev/null
mod_co --keygen --key-type AES:16 --label aes --id 03 >/dev/null
hsm key list "$P" --pin-file "$CO" >"$T/list"
grep -q "^3 objects" "$T/list" || { cat "$T/list"; fail "three objects"; }
hsm sks show "$P" --pin-file "$CO" >"$T/sks" 2>&1 ||
	{ cat "$T/sks"; fail "hsm sks show"; }
hsm sks verify "$P" --pin-file "$CO" >"$T/verify" 2>&1 ||
	{ cat "$T/verify"; fail "the module's blobs do not verify"; }
printf 'pay 100 EUR to account 42\n' >"$T/msg"
for k in ec:01 rsa:02; do
	l=${k%%:*}
	m=ECDSA-SHA256
	[ "$l" = rsa ] && m=SHA256-RSA-PKCS
	mod_co --sign -m "$m" --id "${k#*:}" -i "$T/msg" -f openssl \
		-o "$T/$l.sig" >/dev/null
	hsm key export-public "$P" --label "$l" --out "$T/$l.pem" \
		--pin-file "$CO" >/dev/null
	openssl dgst -sha256 -verify "$T/$l.pem" -signature "$T/$l.sig" \
		"$T/msg" >/dev/null || fail "$l: openssl rejects the signature"
done
mod_co --delete-object --type secrkey --id 03 >/dev/null
hsm key list "$P" --pin-file "$CO" >"$T/list"
! grep -q "^aes " "$T/list" || fail "aes survives its deletion"
grep -q "^2 objects" "$T/list" || fail "two objects left"
hsm audit verify "$T/h" >/dev/null
echo "pkcs11-v1: ok"
