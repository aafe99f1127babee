#!/bin/sh
# Coffer's PKCS#11 module (bin/libcoffer-pkcs11.so, docs/pkcs11.md) driven
# end to end by OpenSC's pkcs11-tool:
#   - every partition of every configured HSM is a slot, its token labelled
#     with the partition, model Coffer, serial the partition's serial;
#   - without a login no object shows; a wrong PIN is CKR_PIN_INCORRECT;
#   - EC P-256/P-384 and RSA 2048 key pairs and an AES-256 key made through
#     the module are `hsm key list` objects, each with its audit record;
#   - the public key pkcs11-tool reads is the one `hsm key export-public`
#     writes, and verifies with openssl: ECDSA-SHA256 (DER and raw r||s),
#     ECDSA over a digest, SHA256-RSA-PKCS and raw RSA-PKCS; a changed
#     message fails; HMAC-SHA256/384 with a generic secret equals hsm's;
#   - C_CreateObject stores a certificate, a data object, a secret key
#     given by value and EC/RSA private keys by their components, read
#     back or used as given; a public key is matched to its pair;
#   - listing and deleting objects; C_SetPIN changes the CO's password for
#     hsm too; and the chain still verifies.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helpers/hsm.sh"
. "$(dirname "$0")/helpers/pkcs11.sh"
mod_setup pkcs11-tool-suite
hsm_setup h
P="hsm:$T/h#p1"
# a second HSM with one partition: its slot comes after the first HSM's
SO2=$(pinfile so2 "so-secret-2")
PO2=$(pinfile po2 "po-secret-2")
hsm init "$T/h2" --label other --kdf test --pin-file "$SO2" >/dev/null
hsm partition create "hsm:$T/h2#q1" --pin-file "$SO2" >/dev/null
hsm partition init "hsm:$T/h2#q1" --new-pin-file "$PO2" \
	--domain-pin-file "$DOM" --domain-string "$(domstr "$DOM")" >/dev/null
mod_hsm "$T/h"
mod_hsm "$T/h2"

# slots and tokens
mod -L >"$T/slots"
[ "$(grep -c '^Slot ' "$T/slots")" -eq 2 ] || { cat "$T/slots"; fail "two slots"; }
serial=$(hsm partition show "$P" | sed -n 's/^Serial: *//p')
awk '/^Slot 0/,/^Slot 1/' "$T/slots" >"$T/slot0"
grep -q "token label *: p1$" "$T/slot0" || fail "slot 0 is not partition p1"
grep -q "token model *: Coffer$" "$T/slot0" || fail "token model"
grep -q "serial num *: $serial$" "$T/slot0" || fail "token serial is not $serial"
grep -q "PIN initialized" "$T/slot0" || fail "the CO is initialized"
sed -n '/^Slot 1/,$p' "$T/slots" >"$T/slot1"
grep -q "token label *: q1$" "$T/slot1" || fail "slot 1 is not h2's q1"
# q1 has no CO yet: its user PIN is not initialized
! grep -q "PIN initialized" "$T/slot1" || fail "q1 claims an initialized CO"
mod --token-label p1 -M >"$T/mechs"
for m in ECDSA-KEY-PAIR-GEN RSA-PKCS-KEY-PAIR-GEN AES-KEY-GEN ECDSA \
	ECDSA-SHA256 RSA-PKCS SHA256-RSA-PKCS RSA-PKCS-PSS SHA256-RSA-PKCS-PSS \
	SHA384-RSA-PKCS-PSS AES-GCM SHA256-HMAC; do
	grep -q "^  $m," "$T/mechs" || fail "mechanism $m not listed"
done

# login
if pkcs11-tool --module "$MOD" --token-label p1 --login \
	--pin "$(modpin "$BAD")" -O >"$T/bad" 2>&1; then
	fail "a wrong PIN logged in"
fi
grep -q CKR_PIN_INCORRECT "$T/bad" || { cat "$T/bad"; fail "not CKR_PIN_INCORRECT"; }
hsm partition show "$P" | grep -q "Role co: *initialized, 1 failed login" ||
	fail "the module's failed login is not counted"

# key generation, through the library: hsm sees the keys and the audit log
# has their records
mod_co --keypairgen --key-type EC:prime256v1 --label ec256 --id 01 >/dev/null
mod_co --keypairgen --key-type EC:secp384r1 --label ec384 --id 02 >/dev/null
mod_co --keypairgen --key-type rsa:2048 --label rsa --id 03 >/dev/null
mod_co --keygen --key-type AES:32 --label aes --id 04 >/dev/null
hsm key list "$P" --pin-file "$CO" >"$T/list"
grep -q "^ec256  *EC Private P-256 " "$T/list" || fail "ec256 not in hsm"
grep -q "^ec384  *EC Private P-384 " "$T/list" || fail "ec384 not in hsm"
grep -q "^rsa  *RSA Private  *2048" "$T/list" || fail "rsa not in hsm"
grep -q "^aes  *AES  *256" "$T/list" || fail "aes not in hsm"
[ "$(grep -c '"event":"key-create"' "$T/h/audit.log")" -eq 4 ] ||
	fail "four key-create audit records"
# a label in use is refused, and nothing is added
! pkcs11-tool --module "$MOD" --token-label p1 --login \
	--pin "$(modpin "$CO")" --keygen --key-type AES:16 --label aes \
	>/dev/null 2>&1 || fail "a second 'aes' was made"
grep -q "^4 objects" "$T/list" || fail "four objects"

# listing: nothing without a login; with it, each key pair is a private
# and a public object
mod --token-label p1 -O >"$T/pubonly"
! grep -q "Object;" "$T/pubonly" || fail "objects visible without a login"
mod_co -O >"$T/objs"
[ "$(grep -c '^Private Key Object' "$T/objs")" -eq 3 ] || fail "3 private keys"
[ "$(grep -c '^Public Key Object' "$T/objs")" -eq 3 ] || fail "3 public keys"
[ "$(grep -c '^Secret Key Object; AES length 32' "$T/objs")" -eq 1 ] ||
	fail "1 AES key"
# a template with CKA_CLASS (CKA_ID selects the keys below, --id)
mod_co -O --type privkey >"$T/priv"
[ "$(grep -c 'Object;' "$T/priv")" -eq 3 ] &&
	[ "$(grep -c '^Private Key Object' "$T/priv")" -eq 3 ] ||
	fail "a CKA_CLASS template does not select the private keys"
if pkcs11-tool --module "$MOD" --token-label p1 --login \
	--pin "$(modpin "$CO")" --read-object --type secrkey --id 04 \
	-o "$T/aes.bin" >/dev/null 2>&1 && [ -s "$T/aes.bin" ]; then
	fail "an AES key's value left the HSM"
fi

printf 'pay 100 EUR to account 42\n' >"$T/msg"
printf 'pay 900 EUR to account 42\n' >"$T/other"
for k in ec256:01:sha256 ec384:02:sha384 rsa:03:sha256; do
	l=${k%%:*}
	id=$(echo "$k" | cut -d: -f2)
	h=${k##*:}
	hsm key export-public "$P" --label "$l" --out "$T/$l.pem" \
		--pin-file "$CO" >/dev/null
	openssl pkey -pubin -in "$T/$l.pem" -outform DER -out "$T/$l.hsm.der"
	if [ "$l" != rsa ]; then
		# pkcs11-tool 0.23 exports EC public keys through a buffer it
		# has freed (ASan sees it; P-384 fails outright, "cannot
		# create EVP_PKEY"): compare the CKA_EC_POINT it lists, the
		# DER OCTET STRING of the point that ends hsm's SPKI
		n=65
		[ "$l" = ec384 ] && n=97
		spki=$(od -An -v -tx1 "$T/$l.hsm.der" | tr -d ' \n')
		point=04$(printf '%02x' "$n")$(echo "$spki" | tail -c $((2 * n + 1)))
		grep -A3 "^Public Key Object; EC" "$T/objs" |
			grep -q "EC_POINT: *$point$" ||
			fail "$l: the module's EC point is not hsm's"
		continue
	fi
	mod_co --read-object --type pubkey --id "$id" -o "$T/$l.der" >/dev/null
	cmp -s "$T/$l.der" "$T/$l.hsm.der" ||
		fail "$l: the module's public key is not hsm's"
done

# ECDSA-SHA256 and -SHA384: DER for openssl, raw r||s for PKCS#11
mod_co --sign -m ECDSA-SHA256 --id 01 -i "$T/msg" -f openssl \
	-o "$T/ec256.sig" >/dev/null
openssl dgst -sha256 -verify "$T/ec256.pem" -signature "$T/ec256.sig" \
	"$T/msg" >/dev/null || fail "openssl rejects the module's ECDSA-SHA256"
! openssl dgst -sha256 -verify "$T/ec256.pem" -signature "$T/ec256.sig" \
	"$T/other" >/dev/null 2>&1 || fail "ECDSA signature fits another message"
mod_co --sign -m ECDSA-SHA384 --id 02 -i "$T/msg" -f openssl \
	-o "$T/ec384.sig" >/dev/null
openssl dgst -sha384 -verify "$T/ec384.pem" -signature "$T/ec384.sig" \
	"$T/msg" >/dev/null || fail "openssl rejects the module's ECDSA-SHA384"
mod_co --sign -m ECDSA-SHA256 --id 01 -i "$T/msg" -o "$T/ec256.rs" >/dev/null
[ "$(wc -c <"$T/ec256.rs")" -eq 64 ] || fail "ECDSA-SHA256 is not r||s"
mod_co --verify -m ECDSA-SHA256 --id 01 -i "$T/msg" \
	--signature-file "$T/ec256.rs" >"$T/v" 2>&1
grep -q '^Signature is valid' "$T/v" || fail "the module rejects its own signature"
pkcs11-tool --module "$MOD" --token-label p1 --login --pin "$(modpin "$CO")" \
	--verify -m ECDSA-SHA256 --id 01 -i "$T/other" \
	--signature-file "$T/ec256.rs" >"$T/v" 2>&1 || true
grep -q '^Invalid signature' "$T/v" && ! grep -q '^Signature is valid' "$T/v" ||
	{ cat "$T/v"; fail "a signature of another message is valid"; }
# CKM_ECDSA: the caller hashes; hsm verifies the raw signature
openssl dgst -sha256 -binary "$T/msg" >"$T/msg.dig"
mod_co --sign -m ECDSA --id 01 -i "$T/msg.dig" -o "$T/ecdsa.rs" >/dev/null
hsm key verify "$P" --label ec256 --hash sha256 --sig-format raw \
	--in "$T/msg" --signature "$T/ecdsa.rs" --pin-file "$CO" >/dev/null ||
	fail "hsm rejects the module's CKM_ECDSA signature"

# RSA: SHA256-RSA-PKCS is deterministic, so hsm signs the same bytes
mod_co --sign -m SHA256-RSA-PKCS --id 03 -i "$T/msg" -o "$T/rsa.sig" >/dev/null
openssl dgst -sha256 -verify "$T/rsa.pem" -signature "$T/rsa.sig" \
	"$T/msg" >/dev/null || fail "openssl rejects SHA256-RSA-PKCS"
hsm key sign "$P" --label rsa --hash sha256 --in "$T/msg" \
	--out "$T/rsa.hsm.sig" --pin-file "$CO" >/dev/null
cmp -s "$T/rsa.sig" "$T/rsa.hsm.sig" || fail "module and hsm RSA signatures differ"
# CKM_RSA_PKCS pads what it is given: openssl recovers it
mod_co --sign -m RSA-PKCS --id 03 -i "$T/msg" -o "$T/rsa.raw" >/dev/null
openssl pkeyutl -verifyrecover -pubin -inkey "$T/rsa.pem" -in "$T/rsa.raw" \
	-out "$T/rsa.rec" 2>/dev/null
cmp -s "$T/rsa.rec" "$T/msg" || fail "RSA-PKCS did not sign the bytes given"
# RSA-PSS (salt as long as the hash, MGF1 with it): openssl verifies, a
# changed message fails, other parameters are refused
for h in sha256 sha384; do
	H=$(echo "$h" | tr a-z A-Z)
	n=32; [ $h = sha384 ] && n=48
	mod_co --sign -m "$H-RSA-PKCS-PSS" --id 03 -i "$T/msg" \
		-o "$T/pss.$h" >/dev/null
	openssl dgst -"$h" -verify "$T/rsa.pem" -sigopt rsa_padding_mode:pss \
		-sigopt rsa_pss_saltlen:$n -signature "$T/pss.$h" "$T/msg" \
		>/dev/null || fail "openssl rejects $H-RSA-PKCS-PSS"
	! openssl dgst -"$h" -verify "$T/rsa.pem" -sigopt rsa_padding_mode:pss \
		-sigopt rsa_pss_saltlen:$n -signature "$T/pss.$h" "$T/other" \
		>/dev/null 2>&1 || fail "$H-RSA-PKCS-PSS fits another message"
	openssl dgst -"$h" -binary "$T/msg" >"$T/msg.$h"
	mod_co --sign -m RSA-PKCS-PSS --hash-algorithm "$H" --mgf "MGF1-$H" \
		--id 03 -i "$T/msg.$h" -o "$T/pssraw.$h" >/dev/null
	openssl dgst -"$h" -verify "$T/rsa.pem" -sigopt rsa_padding_mode:pss \
		-sigopt rsa_pss_saltlen:$n -signature "$T/pssraw.$h" "$T/msg" \
		>/dev/null || fail "openssl rejects RSA-PKCS-PSS over $h"
	mod_co --verify -m "$H-RSA-PKCS-PSS" --id 03 -i "$T/msg" \
		--signature-file "$T/pss.$h" >/dev/null
done
if pkcs11-tool --module "$MOD" --token-label p1 --login --pin "$(modpin "$CO")" \
	--sign -m SHA256-RSA-PKCS-PSS --salt-len 20 --id 03 -i "$T/msg" \
	-o "$T/pss.bad" >"$T/pss.err" 2>&1; then
	fail "a 20-byte PSS salt was taken"
fi
grep -q CKR_MECHANISM_PARAM_INVALID "$T/pss.err" || { cat "$T/pss.err"; fail "not CKR_MECHANISM_PARAM_INVALID"; }

# HMAC with a generic secret: the module's is hsm's, byte for byte
mod_co --keygen --key-type GENERIC:32 --label mac --id 05 >/dev/null
for h in sha256 sha384; do
	H=$(echo "$h" | tr a-z A-Z)
	mod_co --sign -m "$H-HMAC" --id 05 -i "$T/msg" -o "$T/mac.$h" >/dev/null
	hsm key sign "$P" --label mac --hash "$h" --in "$T/msg" \
		--out "$T/mac.hsm.$h" --pin-file "$CO" >/dev/null
	cmp -s "$T/mac.$h" "$T/mac.hsm.$h" || fail "HMAC-$H differs from hsm's"
done

# C_CreateObject: a certificate with a CKA_ID, a data object, and an AES
# key given by value
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$T/ck.pem" -subj /CN=coffer-e2e -days 1 -outform DER \
	-out "$T/cert.der" 2>/dev/null
mod_co --write-object "$T/cert.der" --type cert --id 01 --label cert >/dev/null
printf 'some data\n' >"$T/data"
mod_co --write-object "$T/data" --type data --label data \
	--application-label e2e >/dev/null
(umask 077 && openssl rand -out "$T/aes.key" 32)
mod_co --write-object "$T/aes.key" --type secrkey --key-type AES:32 \
	--label imported --id 06 >/dev/null
hsm key list "$P" --pin-file "$CO" >"$T/list"
grep -q "^cert  *Certificate " "$T/list" || fail "the certificate is not in hsm"
grep -q "^data  *Data " "$T/list" || fail "the data object is not in hsm"
grep -q "^imported " "$T/list" || fail "the imported key is not in hsm"
mod_co --read-object --type cert --id 01 -o "$T/cert.out" >/dev/null
cmp -s "$T/cert.der" "$T/cert.out" || fail "the certificate read back differs"
mod_co --read-object --type data --label data -o "$T/data.out" >/dev/null
cmp -s "$T/data" "$T/data.out" || fail "the data object read back differs"
# the same bytes imported by hsm open what the module's key sealed
hsm key import "$P" --type aes --label same --in "$T/aes.key" \
	--pin-file "$CO" >/dev/null
hsm key encrypt "$P" --label imported --in "$T/msg" --out "$T/imp.ct" \
	--pin-file "$CO" >/dev/null
hsm key decrypt "$P" --label same --in "$T/imp.ct" --pin-file "$CO" \
	>"$T/imp.pt" || fail "the imported key is not the key given"
cmp -s "$T/imp.pt" "$T/msg" || fail "the imported key decrypts wrongly"

# private keys by their components (pkcs11-tool reads a PEM key and sends
# them): hsm holds the very key, and the public half written after it is
# matched to the pair, not stored; a public key of another key is refused
for k in ip256:EC:ec_paramgen_curve:P-256:31 irsa:RSA:rsa_keygen_bits:2048:32; do
	l=${k%%:*}
	id=${k##*:}
	alg=$(echo "$k" | cut -d: -f2)
	opt=$(echo "$k" | cut -d: -f3-4)
	openssl genpkey -algorithm "$alg" -pkeyopt "$opt" -out "$T/$l.key" \
		2>/dev/null
	openssl pkey -in "$T/$l.key" -pubout -out "$T/$l.pub"
	mod_co --write-object "$T/$l.key" --type privkey --label "$l" \
		--id "$id" >/dev/null
	mod_co --write-object "$T/$l.pub" --type pubkey --label "$l" \
		--id "$id" >/dev/null
	hsm key export-public "$P" --label "$l" --out "$T/$l.hsm.pub" \
		--pin-file "$CO" >/dev/null
	cmp -s "$T/$l.pub" "$T/$l.hsm.pub" || fail "$l: hsm holds another key"
done
if pkcs11-tool --module "$MOD" --token-label p1 --login \
	--pin "$(modpin "$CO")" --write-object "$T/irsa.pub" --type pubkey \
	--label ip256 --id 31 >"$T/wrongpub" 2>&1; then
	fail "another key's public key was taken as ip256's"
fi
grep -q CKR_ATTRIBUTE_VALUE_INVALID "$T/wrongpub" || fail "wrong public key: $(cat "$T/wrongpub")"
mod_co --sign -m ECDSA-SHA256 --id 31 -f openssl -i "$T/msg" -o "$T/ip.sig" \
	>/dev/null
openssl dgst -sha256 -verify "$T/ip256.pub" -signature "$T/ip.sig" "$T/msg" \
	>/dev/null || fail "the imported EC key does not sign as itself"
mod_co --sign -m SHA256-RSA-PKCS --id 32 -i "$T/msg" -o "$T/ir.sig" >/dev/null
openssl dgst -sha256 -sign "$T/irsa.key" -out "$T/ir.ossl" "$T/msg"
cmp -s "$T/ir.sig" "$T/ir.ossl" || fail "the imported RSA key does not sign as itself"
[ "$(hsm key list "$P" --pin-file "$CO" | grep -c '^i[pr]')" -eq 2 ] ||
	fail "a public key was stored beside its pair"

# random bytes, and deleting: the key is gone from hsm as well
mod --token-label p1 --generate-random 32 -o "$T/rnd" >/dev/null
[ "$(wc -c <"$T/rnd")" -eq 32 ] || fail "32 random bytes"
mod_co --delete-object --type privkey --id 02 >/dev/null
hsm key list "$P" --pin-file "$CO" >"$T/list"
! grep -q "^ec384 " "$T/list" || fail "ec384 survives its deletion"
grep -q '"event":"key-delete"' "$T/h/audit.log" || fail "no key-delete record"

# pkcs11-tool's own self-test passes on what the module claims (RSA
# keys verify through it, the RNG, sessions, objects), and GnuTLS's p11tool
# sees the token as pkcs11-tool does
mod_co --test >"$T/selftest" 2>&1 || { cat "$T/selftest"; fail "pkcs11-tool --test"; }
grep -q "^No errors" "$T/selftest" || { cat "$T/selftest"; fail "self-test errors"; }
grep -q "RSA-PKCS: OK" "$T/selftest" || { cat "$T/selftest"; fail "self-test verified no RSA"; }
if command -v p11tool >/dev/null; then
	p11tool --provider "$MOD" --list-tokens >"$T/p11tool" 2>&1 ||
		{ cat "$T/p11tool"; fail "p11tool --list-tokens"; }
	grep -q "token=p1" "$T/p11tool" || { cat "$T/p11tool"; fail "p11tool lists no p1"; }
	grep -q "Serial: $serial$" "$T/p11tool" || fail "p11tool shows another serial"
fi

# C_SetPIN is `hsm role change`: hsm logs in with the new PIN only
CO2=$(pinfile co2 "co-secret-2")
mod_co --change-pin --new-pin "$(modpin "$CO2")" >/dev/null
hsm role login-check "$P" --role co --pin-file "$CO2" >/dev/null ||
	fail "hsm refuses the PIN set through the module"
expect_exit 3 hsm role login-check "$P" --role co --pin-file "$CO"
grep -q '"event":"credential-change"' "$T/h/audit.log" ||
	fail "no credential-change record"
hsm audit verify "$T/h" >/dev/null
echo "pkcs11-tool-suite: ok"
