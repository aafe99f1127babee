#!/bin/sh
# init -> partition -> PO/CO/CU -> every key type generated, listed, used:
# signatures verify with openssl on the exported public keys, AES
# ciphertexts decrypt, HMAC verifies; data objects and certificates import.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helpers/hsm.sh"
hsm_setup h
P="hsm:$T/h#p1"

for spec in aes:128 aes:192 aes:256 generic:256 rsa:2048 rsa:3072 ec:256 ec:384; do
	t=${spec%%:*}
	s=${spec#*:}
	hsm key generate "$P" --type "$t" --size "$s" --label "$t-$s" \
		--pin-file "$CO" >/dev/null
done
hsm key list "$P" --pin-file "$CO" >"$T/list"
for l in aes-128 aes-192 aes-256 generic-256 rsa-2048 rsa-3072 ec-256 ec-384; do
	grep -q "^$l " "$T/list" || fail "$l missing from key list"
done
grep -q "^rsa-3072 .*RSA Private *3072$" "$T/list" || fail "list shows type and size"
grep -q "^ec-384 .*EC Private P-384 *384$" "$T/list" || fail "EC P-384 row"
hsm key list "$P" --pin-file "$CU" --role cu --json >"$T/list.json"
json_has '"label":"aes-192","type":"AES"' "$T/list.json"
json_has '"bits":3072' "$T/list.json"

printf 'the message to sign\n' >"$T/msg"
for k in rsa-2048 rsa-3072 ec-256 ec-384; do
	hsm key sign "$P" --label "$k" --in "$T/msg" --out "$T/$k.sig" \
		--pin-file "$CU" --role cu
	hsm key export-public "$P" --label "$k" --out "$T/$k.pem" --pin-file "$CU" --role cu
	openssl dgst -sha256 -verify "$T/$k.pem" -signature "$T/$k.sig" "$T/msg" \
		>/dev/null || fail "openssl does not verify the $k signature"
	hsm key verify "$P" --label "$k" --in "$T/msg" --signature "$T/$k.sig" \
		--pin-file "$CO" >/dev/null
done
# a signature over other data does not verify (exit 4)
printf 'another message\n' >"$T/msg2"
expect_exit 4 hsm key verify "$P" --label ec-256 --in "$T/msg2" \
	--signature "$T/ec-256.sig" --pin-file "$CO"
# sha384
hsm key sign "$P" --label ec-384 --hash sha384 --in "$T/msg" --out "$T/s384" --pin-file "$CO"
openssl dgst -sha384 -verify "$T/ec-384.pem" -signature "$T/s384" "$T/msg" >/dev/null

for k in aes-128 aes-192 aes-256; do
	hsm key encrypt "$P" --label "$k" --aad ctx --in "$T/msg" --out "$T/$k.ct" --pin-file "$CO"
	hsm key decrypt "$P" --label "$k" --aad ctx --in "$T/$k.ct" --out "$T/$k.pt" \
		--pin-file "$CU" --role cu
	cmp "$T/msg" "$T/$k.pt" || fail "$k round trip"
done
# wrong AAD and another key both fail (exit 4)
expect_exit 4 hsm key decrypt "$P" --label aes-256 --aad other --in "$T/aes-256.ct" --pin-file "$CO"
expect_exit 4 hsm key decrypt "$P" --label aes-128 --aad ctx --in "$T/aes-256.ct" --pin-file "$CO"
# HMAC with the generic secret
hsm key sign "$P" --label generic-256 --in "$T/msg" --out "$T/hmac" --pin-file "$CO"
hsm key verify "$P" --label generic-256 --in "$T/msg" --signature "$T/hmac" --pin-file "$CO" >/dev/null

# data objects and certificates
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$T/ck.pem" -out "$T/cert.pem" -subj /CN=coffer-e2e -days 2 2>/dev/null
hsm key import "$P" --type cert --label cert1 --in "$T/cert.pem" --pin-file "$CU" --role cu >/dev/null
hsm key import "$P" --type data --label note --in "$T/msg" --public --pin-file "$CU" --role cu >/dev/null
hsm key import "$P" --type data --label secret-note --in "$T/msg" --application app --pin-file "$CO" >/dev/null
hsm key import "$P" --type ec --label imported-ec --in "$T/ck.pem" --pin-file "$CO" >/dev/null
hsm key show "$P" --label cert1 --pin-file "$CO" >"$T/show"
grep -q "CKA_CERTIFICATE_TYPE" "$T/show" || fail "certificate attributes"
hsm key show "$P" --label imported-ec --pin-file "$CO" --json >"$T/show.json"
json_has '"CKA_LOCAL":"false"' "$T/show.json"
# the CU creates public objects only and generates nothing
expect_exit 3 hsm key import "$P" --type data --label cu-private --in "$T/msg" --pin-file "$CU" --role cu
expect_exit 3 hsm key generate "$P" --type aes --label cu-key --pin-file "$CU" --role cu
expect_exit 3 hsm key delete "$P" --label note --pin-file "$CU" --role cu
# labels are unique per partition
expect_exit 1 hsm key generate "$P" --type aes --label aes-128 --pin-file "$CO"
grep -q "already in use" "$T/.err" || fail "duplicate label message"

hsm key delete "$P" --label note --pin-file "$CO" >/dev/null
hsm partition show "hsm:$T/h#p1" --json >"$T/p.json"
json_has '"objects":11' "$T/p.json"
hsm audit verify "$T/h" >/dev/null
echo "hsm-lifecycle: ok"
