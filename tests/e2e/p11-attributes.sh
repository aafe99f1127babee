#!/bin/sh
# The attributes Coffer reports (`hsm key show --json`) mean what a real
# PKCS#11 token (SoftHSM2, read with `pkcs11-tool --list-objects`) reports
# for the same objects: class, key type, label, CKA_PRIVATE, the size
# (CKA_VALUE_LEN in bytes for AES and generic secrets, modulus bits for RSA,
# the DER curve OID of CKA_EC_PARAMS for EC) and the access flags
# (CKA_SENSITIVE, CKA_ALWAYS_SENSITIVE, CKA_EXTRACTABLE,
# CKA_NEVER_EXTRACTABLE, CKA_LOCAL), for AES-128/192/256, generic secrets,
# RSA 2048 and EC P-256/P-384:
#   - imported keys: the same key bytes go into both (the generic secret is
#     made in SoftHSM, since pkcs11-tool 0.23 cannot write one, so only its
#     class, type and size are compared);
#   - generated keys: made on each side, they must carry the same flags
#     (local, always sensitive, never extractable);
#   - CKA_ID (`--id` on both sides) is the same;
#   - after `clone` to another HSM every attribute is unchanged.
# Compared through SoftHSM's public key objects, because pkcs11-tool shows
# no size for private keys: the RSA modulus bits and EC params. Coffer
# keeps both on its one private-key object (docs/hsm.md, "PKCS#11
# interoperability"). Usage flags (CKA_SIGN, ...) are each tool's template
# choice and are not compared; p11-sign-interop and p11-aes-interop show the
# keys work.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helpers/hsm.sh"
. "$(dirname "$0")/helpers/clone.sh"
. "$(dirname "$0")/helpers/p11.sh"
p11_setup p11-attributes
pair_new
P=$A

# coffer_desc PARTITION LABEL: one normalized line from `hsm key show --json`
coffer_desc() {
	hsm key show "$1" --label "$2" --json --pin-file "$CO" >"$T/show.json"
	get() {
		sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" "$T/show.json"
	}
	case $(get CKA_CLASS) in
	3) cls=private ;;
	4) cls=secret ;;
	*) fail "$2: unexpected CKA_CLASS $(get CKA_CLASS)" ;;
	esac
	case $(get CKA_KEY_TYPE) in
	0) kt=RSA size=$(get CKA_MODULUS_BITS) ;;
	3) kt=EC size=$(get CKA_EC_PARAMS) ;;
	16) kt=GENERIC size=$(get CKA_VALUE_LEN) ;;
	31) kt=AES size=$(get CKA_VALUE_LEN) ;;
	*) fail "$2: unexpected CKA_KEY_TYPE $(get CKA_KEY_TYPE)" ;;
	esac
	acc=""
	for f in SENSITIVE:sensitive ALWAYS_SENSITIVE:always_sensitive \
		EXTRACTABLE:extractable NEVER_EXTRACTABLE:never_extractable \
		LOCAL:local; do
		[ "$(get "CKA_${f%%:*}")" = true ] && acc="$acc${acc:+,}${f#*:}"
	done
	echo "label=$(get CKA_LABEL) id=$(get CKA_ID)" \
		"private=$(get CKA_PRIVATE) class=$cls type=$kt size=$size" \
		"access=${acc:-none}"
}

# softhsm_desc KIND LABEL: the same line from `pkcs11-tool --list-objects`
softhsm_desc() {
	p11_object "$1" "$2" >"$T/obj"
	head=$(head -n 1 "$T/obj")
	case $head in
	"Secret Key Object; AES length "*)
		cls=secret kt=AES size=${head##* } ;;
	"Secret Key Object; Generic secret length "*)
		cls=secret kt=GENERIC size=${head##* } ;;
	"Private Key Object; RSA"*)
		cls=private kt=RSA
		p11_object Public "$2" >"$T/pub"
		size=$(head -n 1 "$T/pub" | sed -n 's/.*RSA \([0-9]*\) bits.*/\1/p') ;;
	"Private Key Object; EC"*)
		cls=private kt=EC
		p11_object Public "$2" >"$T/pub"
		size=$(p11_field EC_PARAMS "$T/pub") ;;
	*) fail "$2: unexpected SoftHSM object: $head" ;;
	esac
	# a CKA_PRIVATE object is invisible before login
	p11_pub --list-objects >"$T/public.list"
	if p11_block "$1" "$2" "$T/public.list" >/dev/null; then
		priv=false
	else
		priv=true
	fi
	acc=$(p11_field Access "$T/obj" | sed 's/, /,/g;
		s/always sensitive/always_sensitive/
		s/never extractable/never_extractable/')
	echo "label=$(p11_field label "$T/obj") id=$(p11_field ID "$T/obj")" \
		"private=$priv class=$cls type=$kt size=$size access=$acc"
}

# same KIND LABEL [PARTITION]
same() {
	c=$(coffer_desc "${3:-$P}" "$2")
	s=$(softhsm_desc "$1" "$2")
	[ "$c" = "$s" ] || fail "$2 differs:
  coffer:  $c
  softhsm: $s"
	echo "$c" >>"$T/compared"
}

# --- imported: the same key bytes in both ---------------------------------
for bytes in 16 24 32; do
	keybytes "$bytes" "$T/aes$bytes.key"
	p11 --write-object "$T/aes$bytes.key" --type secrkey \
		--key-type "AES:$bytes" --label "aes$bytes" --id "0a$bytes" \
		--sensitive --private >/dev/null
	hsm key import "$P" --type aes --label "aes$bytes" --id "0a$bytes" \
		--in "$T/aes$bytes.key" --pin-file "$CO" >/dev/null
	same Secret "aes$bytes"
done
n=0
for k in ec:P-256 ec:P-384 rsa:2048; do
	n=$((n + 1))
	t=${k%%:*}
	l=$t-${k#*:}
	if [ "$t" = ec ]; then
		openssl genpkey -algorithm EC -pkeyopt "ec_paramgen_curve:${k#*:}" \
			-outform DER -out "$T/$l.p8"
	else
		openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:${k#*:}" \
			-outform DER -out "$T/$l.p8" 2>/dev/null
	fi
	openssl pkey -inform DER -in "$T/$l.p8" -pubout -outform DER \
		-out "$T/$l.spki"
	p11 --write-object "$T/$l.p8" --type privkey --label "$l" \
		--id "c0ffee0$n" >/dev/null
	p11 --write-object "$T/$l.spki" --type pubkey --label "$l" \
		--id "c0ffee0$n" >/dev/null
	hsm key import "$P" --type "$t" --label "$l" --in "$T/$l.p8" \
		--id "C0FFEE0$n" --pin-file "$CO" >/dev/null
	same Private "$l"
done
grep -q 'label=ec-P-256 id=c0ffee01 .* size=06082a8648ce3d030107 ' \
	"$T/compared" ||
	fail "P-256 CKA_EC_PARAMS is not the DER OID 1.2.840.10045.3.1.7"
grep -q 'label=ec-P-384 .* size=06052b81040022 ' "$T/compared" ||
	fail "P-384 CKA_EC_PARAMS is not the DER OID 1.3.132.0.34"
grep -q 'label=aes16 .* size=16 access=sensitive$' "$T/compared" ||
	fail "AES-128 CKA_VALUE_LEN is not 16 bytes, or imported flags differ"
# the generic secret leaves SoftHSM (extractable) to enter Coffer
p11 --keygen --key-type GENERIC:48 --id 48 --label gen48 --extractable \
	--private >/dev/null
(umask 077 && p11 --read-object --type secrkey --id 48 \
	-o "$T/gen48.key" >/dev/null)
hsm key import "$P" --type generic --label gen48 --in "$T/gen48.key" \
	--id 48 --pin-file "$CO" >/dev/null
c=$(coffer_desc "$P" gen48 | sed 's/ access=.*//')
s=$(softhsm_desc Secret gen48 | sed 's/ access=.*//')
[ "$c" = "$s" ] || fail "gen48 differs: coffer '$c', softhsm '$s'"
softhsm_desc Secret gen48 | grep -q 'access=extractable,local$' ||
	fail "SoftHSM's generated extractable key is not extractable and local"
coffer_desc "$P" gen48 | grep -q 'access=sensitive$' ||
	fail "Coffer's imported generic secret is not sensitive-only"

# a bad --id is a usage error that leaves the HSM as it was
before=$(state a)
expect_exit 2 hsm key import "$P" --type aes --label bad --id 0g \
	--in "$T/aes16.key" --pin-file "$CO"
grep -q "CKA_ID" "$T/.err" || fail "a bad --id is not explained"
expect_exit 2 hsm key generate "$P" --type aes --label bad --id 01 --count 2 \
	--pin-file "$CO"
[ "$(state a)" = "$before" ] || fail "a refused --id changed the HSM"

# --- generated on each side: the same flags ------------------------------
hsm key generate "$P" --type aes --size 256 --label aes-gen \
	--id 10 --pin-file "$CO" >/dev/null
p11 --keygen --key-type AES:32 --label aes-gen --id 10 --sensitive --private \
	>/dev/null
same Secret aes-gen
hsm key generate "$P" --type generic --size 256 --label gen-gen \
	--id 11 --pin-file "$CO" >/dev/null
p11 --keygen --key-type GENERIC:32 --label gen-gen --id 11 --sensitive \
	--private >/dev/null
same Secret gen-gen
hsm key generate "$P" --type ec --size 256 --label ec-gen \
	--id 12 --pin-file "$CO" >/dev/null
p11 --keypairgen --key-type EC:prime256v1 --label ec-gen --id 12 >/dev/null
same Private ec-gen
hsm key generate "$P" --type ec --size 384 --label ec384-gen \
	--id 13 --pin-file "$CO" >/dev/null
p11 --keypairgen --key-type EC:secp384r1 --label ec384-gen --id 13 >/dev/null
same Private ec384-gen
hsm key generate "$P" --type rsa --size 2048 --label rsa-gen \
	--id 14 --pin-file "$CO" >/dev/null
p11 --keypairgen --key-type rsa:2048 --label rsa-gen --id 14 >/dev/null
same Private rsa-gen
grep -q 'label=aes-gen .*access=sensitive,always_sensitive,never_extractable,local$'\
	"$T/compared" || fail "generated keys are not local and never extractable"

# --- after a clone: unchanged attributes, still matching SoftHSM ----------
cl "a#p1" "b#p1" >/dev/null
n=0
while read -r line; do
	l=${line#label=}
	l=${l%% *}
	for p in "$A" "$B"; do
		hsm key show "$p" --label "$l" --json --pin-file "$CO" |
			sed 's/"handle":[0-9]*,//' >"$T/show.$n.${p##*/}"
	done
	cmp -s "$T/show.$n.a#p1" "$T/show.$n.b#p1" ||
		fail "$l: attributes changed in the clone"
	[ "$(coffer_desc "$B" "$l")" = "$line" ] || fail "$l: clone differs"
	n=$((n + 1))
done <"$T/compared"
[ "$n" -eq 11 ] || fail "compared $n objects, expected 11"
echo "p11-attributes: ok ($n objects)"
