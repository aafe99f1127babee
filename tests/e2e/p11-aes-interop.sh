#!/bin/sh
# The same AES key (128, 192 and 256 bits) in SoftHSM2 and in Coffer:
# Coffer's AES-GCM ciphertexts open with SoftHSM, and ciphertexts made with
# SoftHSM open in Coffer.
#
# Coffer's `hsm key encrypt` is AES-GCM only (nonce(12) | ciphertext |
# tag(16)); pkcs11-tool 0.23 encrypts with AES-ECB, AES-CBC and AES-CBC-PAD
# only (AES-CTR and AES-GCM abort: it cannot pass their parameters). So
# SoftHSM's CKM_AES_ECB serves as the block cipher and the rest of GCM
# (NIST SP 800-38D, 96-bit IV) is computed here in shell
# (helpers/gcm.sh, checked first against the GCM spec's test vectors):
#   H = AES_K(0^128), J0 = nonce || 1, counter blocks nonce || 2, 3, ...
#   C = P XOR AES_K(counters), tag = GHASH_H(A, C) XOR AES_K(J0).
# Every AES_K block comes from SoftHSM, so
#   - Coffer -> SoftHSM: the plaintext and the tag recomputed from
#     SoftHSM's blocks match Coffer's file, with associated data;
#   - SoftHSM -> Coffer: a GCM file assembled from SoftHSM's blocks
#     decrypts with `hsm key decrypt`, and one flipped tag bit is refused.
# pkcs11-tool 0.23 picks the key for --encrypt by --id only (with --label
# alone it takes whichever secret key SoftHSM lists first), hence --id.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helpers/hsm.sh"
. "$(dirname "$0")/helpers/p11.sh"
. "$(dirname "$0")/helpers/gcm.sh"
p11_setup p11-aes-interop
hsm_setup h
P="hsm:$T/h#p1"

# the shell GCM against "The Galois/Counter Mode of Operation" (McGrew,
# Viega), appendix B, test cases 2 and 4: GHASH and tag
[ "$(ghash 66e94bd4ef8a2c3b884cfa59ca342b2e \
	"0388dace60b6a392f328c2b971b2fe78$(len_block 0 16)")" = \
	f38cbb1ad69223dcc3457ae5b6b0f885 ] || fail "GHASH test case 2"
[ "$(xor_hex f38cbb1ad69223dcc3457ae5b6b0f885 \
	58e2fccefa7e3061367f1d57a4e7455a)" = \
	ab6e47d42cec13bdf53a67b21257bddf ] || fail "GCM tag test case 2"
tc4c=42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e
tc4c=${tc4c}21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091
[ "$(ghash b83b533708bf535d0aa6e52980d53b78 \
	"$(pad_hex feedfacedeadbeeffeedfacedeadbeefabaddad2)$(pad_hex \
	"$tc4c")$(len_block 20 60)")" = 698e57f70e6ecc7fd9463b7260a9ae5f ] ||
	fail "GHASH test case 4"

AAD="key-ceremony 2026-11-29"
aadhex=$(printf %s "$AAD" | od -An -v -tx1 | tr -d ' \n')
aadlen=$(printf %s "$AAD" | wc -c)
printf 'transfer 1000 EUR from 42 to 43; reference 7f3a; not a round size\n' \
	>"$T/msg"
printf 'made by SoftHSM, opened by Coffer\n' >"$T/msg2"

# blocks ID NONCEFILE NBYTES: SoftHSM's AES_K of 0^128, J0 and the counter
# blocks for NBYTES of data, as hex: sets $H, $EJ0 and $KS
blocks() {
	blk=00000000000000000000000000000000
	nonce=$(hexof "$2")
	i=1
	while [ $((16 * (i - 2))) -lt "$3" ]; do
		blk=$blk$nonce$(printf %08x "$i")
		i=$((i + 1))
	done
	hex_to_file "$blk" "$T/blocks.in"
	p11 --encrypt -m AES-ECB --id "$1" -i "$T/blocks.in" \
		-o "$T/blocks.out" >/dev/null
	all=$(hexof "$T/blocks.out")
	H=$(echo "$all" | cut -c 1-32)
	EJ0=$(echo "$all" | cut -c 33-64)
	KS=$(echo "$all" | cut -c 65-)
}

for bytes in 16 24 32; do
	k=aes$bytes
	id=$bytes
	keybytes "$bytes" "$T/$k.key"
	p11 --write-object "$T/$k.key" --type secrkey --key-type "AES:$bytes" \
		--id "$id" --label "$k" --sensitive --private >/dev/null
	hsm key import "$P" --type aes --label "$k" --in "$T/$k.key" \
		--id "$id" --pin-file "$CO" >/dev/null

	# Coffer -> SoftHSM
	hsm key encrypt "$P" --label "$k" --aad "$AAD" --in "$T/msg" \
		--out "$T/$k.gcm" --pin-file "$CO" >/dev/null
	n=$(wc -c <"$T/msg")
	[ "$(wc -c <"$T/$k.gcm")" -eq $((12 + n + 16)) ] ||
		fail "$k: Coffer's GCM file is not nonce | ciphertext | tag"
	head -c 12 "$T/$k.gcm" >"$T/$k.nonce"
	gcm=$(hexof "$T/$k.gcm")
	c=$(echo "$gcm" | cut -c 25-$((24 + 2 * n)))
	tag=$(echo "$gcm" | cut -c $((25 + 2 * n))-)
	blocks "$id" "$T/$k.nonce" "$n"
	[ "$(xor_hex "$c" "$KS")" = "$(hexof "$T/msg")" ] ||
		fail "$k: SoftHSM's keystream does not decrypt Coffer's GCM"
	s=$(ghash "$H" "$(pad_hex "$aadhex")$(pad_hex "$c")$(len_block \
		"$aadlen" "$n")")
	[ "$(xor_hex "$s" "$EJ0")" = "$tag" ] ||
		fail "$k: the tag from SoftHSM's H and J0 is not Coffer's tag"

	# SoftHSM -> Coffer
	openssl rand 12 >"$T/$k.nonce2"
	n=$(wc -c <"$T/msg2")
	blocks "$id" "$T/$k.nonce2" "$n"
	c=$(xor_hex "$(hexof "$T/msg2")" "$KS")
	s=$(ghash "$H" "$(pad_hex "$aadhex")$(pad_hex "$c")$(len_block \
		"$aadlen" "$n")")
	tag=$(xor_hex "$s" "$EJ0")
	hex_to_file "$(hexof "$T/$k.nonce2")$c$tag" "$T/$k.softhsm.gcm"
	hsm key decrypt "$P" --label "$k" --aad "$AAD" \
		--in "$T/$k.softhsm.gcm" --out "$T/$k.dec" --pin-file "$CO" \
		>/dev/null || fail "$k: Coffer does not open SoftHSM's GCM"
	cmp -s "$T/$k.dec" "$T/msg2" ||
		fail "$k: Coffer decrypts SoftHSM's GCM to something else"
	# one tag bit flipped, or other associated data: refused
	badtag=$(xor_hex "$tag" 00000000000000000000000000000001)
	hex_to_file "$(hexof "$T/$k.nonce2")$c$badtag" "$T/$k.bad.gcm"
	expect_exit 4 hsm key decrypt "$P" --label "$k" --aad "$AAD" \
		--in "$T/$k.bad.gcm" --out "$T/$k.bad" --pin-file "$CO"
	expect_exit 4 hsm key decrypt "$P" --label "$k" --aad "other" \
		--in "$T/$k.softhsm.gcm" --out "$T/$k.bad" --pin-file "$CO"
	[ ! -e "$T/$k.bad" ] || fail "$k: a refused decryption left output"
done
hsm audit verify "$T/h" >/dev/null
echo "p11-aes-interop: ok"
