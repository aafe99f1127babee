#!/bin/sh
# Signatures cross the boundary between Coffer and a real PKCS#11 token.
# The same private key (EC P-256, EC P-384, RSA 2048) goes into SoftHSM2
# (pkcs11-tool --write-object, private and public object) and into Coffer
# (hsm key import); then:
#   - both export the same SubjectPublicKeyInfo, byte for byte, equal to
#     the one openssl derives from the key file;
#   - a SoftHSM signature verifies with `hsm key verify`, a Coffer signature
#     with `pkcs11-tool --verify` and with openssl under SoftHSM's public key;
#   - RSA PKCS#1 v1.5 (SHA-256, SHA-384) is deterministic, so both
#     signatures are the same bytes;
#   - a generic secret made (extractable) in SoftHSM and imported into
#     Coffer gives the same HMAC-SHA-256/384 on both sides.
# ECDSA encodings: SoftHSM 2.6 offers CKM_ECDSA only (the caller hashes) and
# returns r||s as PKCS#11 says; Coffer writes the DER ECDSA-Sig-Value
# openssl uses unless told `--sig-format raw`. Both ways are crossed: DER
# (pkcs11-tool -f openssl) and raw (pkcs11-tool's default), and each format
# refuses the other (exit 4).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helpers/hsm.sh"
. "$(dirname "$0")/helpers/p11.sh"
p11_setup p11-sign-interop
hsm_setup h
P="hsm:$T/h#p1"
printf 'pay 100 EUR to account 42\n' >"$T/msg"
printf 'pay 900 EUR to account 42\n' >"$T/other"

# import_both LABEL ID TYPE KEYFILE: the key into both tokens; checks that
# the public keys agree
import_both() {
	openssl pkey -in "$4" -outform DER -out "$T/$1.p8"
	openssl pkey -in "$4" -pubout -outform DER -out "$T/$1.spki"
	p11 --write-object "$T/$1.p8" --type privkey --id "$2" --label "$1" \
		--usage-sign >/dev/null
	p11 --write-object "$T/$1.spki" --type pubkey --id "$2" --label "$1" \
		--usage-sign >/dev/null
	hsm key import "$P" --type "$3" --label "$1" --id "$2" \
		--in "$T/$1.p8" --pin-file "$CO" >/dev/null
	hsm key export-public "$P" --label "$1" --out "$T/$1.coffer.pem" \
		--pin-file "$CO" >/dev/null
	openssl pkey -pubin -in "$T/$1.coffer.pem" -outform DER \
		-out "$T/$1.coffer.spki"
	cmp -s "$T/$1.coffer.spki" "$T/$1.spki" ||
		fail "$1: Coffer's public key is not the key file's"
	if [ "$1" = ec384 ]; then
		# pkcs11-tool 0.23 cannot export a P-384 public key ("cannot
		# create EVP_PKEY"): compare the point SoftHSM holds instead.
		p11_object Public "$1" >"$T/$1.obj"
		spki=$(hexof "$T/$1.coffer.spki")
		point=$(echo "$spki" | tail -c 195)
		[ "$(p11_field EC_POINT "$T/$1.obj")" = "0461$point" ] ||
			fail "$1: SoftHSM's EC point is not Coffer's"
		cp "$T/$1.coffer.pem" "$T/$1.softhsm.pem"
		return
	fi
	p11 --read-object --type pubkey --id "$2" -o "$T/$1.softhsm.spki" \
		>/dev/null
	cmp -s "$T/$1.softhsm.spki" "$T/$1.coffer.spki" ||
		fail "$1: SoftHSM's public key is not Coffer's"
	openssl pkey -pubin -inform DER -in "$T/$1.softhsm.spki" \
		-out "$T/$1.softhsm.pem"
}

# ecdsa LABEL ID BITS HASH
ecdsa() {
	openssl genpkey -algorithm EC -pkeyopt "ec_paramgen_curve:P-$3" \
		-out "$T/$1.pem" 2>/dev/null
	import_both "$1" "$2" ec "$T/$1.pem"
	openssl dgst "-$4" -binary "$T/msg" >"$T/$1.dig"
	openssl dgst "-$4" -binary "$T/other" >"$T/$1.otherdig"
	# SoftHSM signs, Coffer verifies (DER) and refuses raw r||s
	p11 --sign -m ECDSA --id "$2" -i "$T/$1.dig" -f openssl \
		-o "$T/$1.softhsm.sig" >/dev/null
	p11 --sign -m ECDSA --id "$2" -i "$T/$1.dig" -o "$T/$1.softhsm.rs" \
		>/dev/null
	[ "$(wc -c <"$T/$1.softhsm.rs")" -eq $(($3 / 4)) ] ||
		fail "$1: raw ECDSA signature is not r||s"
	hsm key verify "$P" --label "$1" --hash "$4" --in "$T/msg" \
		--signature "$T/$1.softhsm.sig" --pin-file "$CO" >/dev/null ||
		fail "$1: Coffer rejects SoftHSM's signature"
	expect_exit 4 hsm key verify "$P" --label "$1" --hash "$4" \
		--in "$T/other" --signature "$T/$1.softhsm.sig" --pin-file "$CO"
	expect_exit 4 hsm key verify "$P" --label "$1" --hash "$4" \
		--in "$T/msg" --signature "$T/$1.softhsm.rs" --pin-file "$CO"
	hsm key verify "$P" --label "$1" --hash "$4" --sig-format raw \
		--in "$T/msg" --signature "$T/$1.softhsm.rs" --pin-file "$CO" \
		>/dev/null || fail "$1: Coffer rejects SoftHSM's raw signature"
	expect_exit 4 hsm key verify "$P" --label "$1" --hash "$4" \
		--sig-format raw --in "$T/other" \
		--signature "$T/$1.softhsm.rs" --pin-file "$CO"
	expect_exit 4 hsm key verify "$P" --label "$1" --hash "$4" \
		--sig-format raw --in "$T/msg" \
		--signature "$T/$1.softhsm.sig" --pin-file "$CO"
	# Coffer signs, SoftHSM and openssl (SoftHSM's public key) verify
	hsm key sign "$P" --label "$1" --hash "$4" --in "$T/msg" \
		--out "$T/$1.coffer.sig" --pin-file "$CO" >/dev/null
	openssl asn1parse -inform DER -in "$T/$1.coffer.sig" >/dev/null ||
		fail "$1: Coffer's ECDSA signature is not DER"
	p11 --verify -m ECDSA --id "$2" -i "$T/$1.dig" -f openssl \
		--signature-file "$T/$1.coffer.sig" >"$T/$1.v" 2>&1
	p11_verified "$T/$1.v"
	p11 --verify -m ECDSA --id "$2" -i "$T/$1.otherdig" -f openssl \
		--signature-file "$T/$1.coffer.sig" >"$T/$1.v" 2>&1
	! grep -q '^Signature is valid' "$T/$1.v" ||
		fail "$1: SoftHSM accepts Coffer's signature for another message"
	openssl dgst "-$4" -verify "$T/$1.softhsm.pem" \
		-signature "$T/$1.coffer.sig" "$T/msg" >/dev/null ||
		fail "$1: openssl rejects Coffer's signature"
	# Coffer signs r||s, SoftHSM verifies it as CKM_ECDSA output
	hsm key sign "$P" --label "$1" --hash "$4" --sig-format raw \
		--in "$T/msg" --out "$T/$1.coffer.rs" --pin-file "$CO" >/dev/null
	[ "$(wc -c <"$T/$1.coffer.rs")" -eq $(($3 / 4)) ] ||
		fail "$1: Coffer's raw ECDSA signature is not r||s"
	p11 --verify -m ECDSA --id "$2" -i "$T/$1.dig" \
		--signature-file "$T/$1.coffer.rs" >"$T/$1.v" 2>&1
	p11_verified "$T/$1.v"
}

ecdsa ec256 01 256 sha256
ecdsa ec384 02 384 sha384

# RSA 2048, CKM_SHA256_RSA_PKCS and CKM_SHA384_RSA_PKCS: deterministic, so
# the same bytes
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	-out "$T/rsa.pem" 2>/dev/null
import_both rsa 03 rsa "$T/rsa.pem"
for h in sha256 sha384; do
	H=$(echo "$h" | tr a-z A-Z)
	p11 --sign -m "$H-RSA-PKCS" --id 03 -i "$T/msg" \
		-o "$T/rsa.softhsm.$h" >/dev/null
	hsm key sign "$P" --label rsa --hash "$h" --in "$T/msg" \
		--out "$T/rsa.coffer.$h" --pin-file "$CO" >/dev/null
	cmp -s "$T/rsa.softhsm.$h" "$T/rsa.coffer.$h" ||
		fail "rsa: SoftHSM and Coffer $H PKCS#1 v1.5 signatures differ"
	hsm key verify "$P" --label rsa --hash "$h" --in "$T/msg" \
		--signature "$T/rsa.softhsm.$h" --pin-file "$CO" >/dev/null ||
		fail "rsa: Coffer rejects SoftHSM's $H signature"
	expect_exit 4 hsm key verify "$P" --label rsa --hash "$h" \
		--in "$T/other" --signature "$T/rsa.softhsm.$h" --pin-file "$CO"
	p11 --verify -m "$H-RSA-PKCS" --id 03 -i "$T/msg" \
		--signature-file "$T/rsa.coffer.$h" >"$T/rsa.v" 2>&1
	p11_verified "$T/rsa.v"
	openssl dgst "-$h" -verify "$T/rsa.softhsm.pem" \
		-signature "$T/rsa.coffer.$h" "$T/msg" >/dev/null ||
		fail "rsa: openssl rejects Coffer's $H signature"
done

# Generic secret: made in SoftHSM (extractable, so it can leave), read out,
# imported into Coffer; HMAC is deterministic.
p11 --keygen --key-type GENERIC:64 --id 04 --label mac --extractable \
	--usage-sign >/dev/null
(umask 077 && p11 --read-object --type secrkey --id 04 -o "$T/mac.key" \
	>/dev/null)
[ "$(wc -c <"$T/mac.key")" -eq 64 ] || fail "mac: SoftHSM key is not 64 bytes"
hsm key import "$P" --type generic --label mac --in "$T/mac.key" \
	--pin-file "$CO" >/dev/null
for h in sha256 sha384; do
	H=$(echo "$h" | tr a-z A-Z)
	p11 --sign -m "$H-HMAC" --id 04 -i "$T/msg" -o "$T/mac.softhsm.$h" \
		>/dev/null
	hsm key sign "$P" --label mac --hash "$h" --in "$T/msg" \
		--out "$T/mac.coffer.$h" --pin-file "$CO" >/dev/null
	cmp -s "$T/mac.softhsm.$h" "$T/mac.coffer.$h" ||
		fail "mac: HMAC-$H differs between SoftHSM and Coffer"
	hsm key verify "$P" --label mac --hash "$h" --in "$T/msg" \
		--signature "$T/mac.softhsm.$h" --pin-file "$CO" >/dev/null ||
		fail "mac: Coffer rejects SoftHSM's HMAC-$H"
done
expect_exit 2 hsm key sign "$P" --label ec256 --sig-format p1363 \
	--in "$T/msg" --pin-file "$CO"
grep -q "der or raw" "$T/.err" || fail "a bad --sig-format is not explained"
hsm audit verify "$T/h" >/dev/null
echo "p11-sign-interop: ok"
