#!/bin/sh
# The same AES key (128, 192 and 256 bits) in SoftHSM2 and in Coffer
# computes the same block cipher.
#
# Why not "encrypt in one, decrypt in the other": Coffer's `hsm key
# encrypt` is AES-GCM only (nonce(12) | ciphertext | tag(16)), and
# pkcs11-tool 0.23 encrypts with AES-ECB, AES-CBC and AES-CBC-PAD only
# (AES-CTR and AES-GCM abort: it has no way to pass their parameters), so
# no mechanism is common to both. What still crosses the boundary:
#   - GCM encrypts with AES-CTR: ciphertext block i is plaintext block i
#     XOR AES_K(nonce || counter i+1), counters from 2 (NIST SP 800-38D,
#     96-bit IV). So Coffer's GCM encryption of zero bytes is its keystream,
#     and SoftHSM's CKM_AES_ECB of those counter blocks must give the same
#     bytes: the key SoftHSM holds is the key Coffer encrypts with.
#   - Coffer's ciphertext of a real message decrypts with openssl's
#     AES-CTR from the counter block nonce || 2 under the key bytes: Coffer's
#     file layout is standard GCM.
#   - SoftHSM's CKM_AES_CBC_PAD output decrypts with openssl's AES-CBC
#     under the same key bytes (PKCS#7 padding), and Coffer decrypts its
#     own GCM file.
# The GCM tag is not recomputed here: it needs GHASH, which neither
# pkcs11-tool nor the openssl command line offers; `hsm key decrypt`
# checks it (tests/unit, and the tampering case below).
# The key bytes are per-run random test keys; openssl takes them as -K.
# pkcs11-tool 0.23 picks the key for --encrypt by --id only (with --label
# alone it takes whichever secret key SoftHSM lists first), hence --id.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helpers/hsm.sh"
. "$(dirname "$0")/helpers/p11.sh"
p11_setup p11-aes-interop
hsm_setup h
P="hsm:$T/h#p1"
head -c 64 /dev/zero >"$T/zero"
printf 'a message that spans several AES blocks, 16 bytes each: %s\n' \
	"0123456789" >"$T/msg"

# counters NONCEFILE FIRST LAST: the 16-byte counter blocks nonce || i
counters() {
	i=$2
	while [ "$i" -le "$3" ]; do
		cat "$1"
		printf "\\000\\000\\000\\$(printf %03o "$i")"
		i=$((i + 1))
	done
}

for bytes in 16 24 32; do
	k=aes$bytes
	keybytes "$bytes" "$T/$k.key"
	id=$bytes
	p11 --write-object "$T/$k.key" --type secrkey --key-type "AES:$bytes" \
		--id "$id" --label "$k" --sensitive >/dev/null
	hsm key import "$P" --type aes --label "$k" --in "$T/$k.key" \
		--pin-file "$CO" >/dev/null
	hex=$(hexof "$T/$k.key")
	cipher=aes-$((bytes * 8))

	# Coffer's keystream = SoftHSM's AES-ECB of the counter blocks
	hsm key encrypt "$P" --label "$k" --in "$T/zero" --out "$T/$k.gcm0" \
		--pin-file "$CO" >/dev/null
	[ "$(wc -c <"$T/$k.gcm0")" -eq $((12 + 64 + 16)) ] ||
		fail "$k: GCM file is not nonce | ciphertext | tag"
	head -c 12 "$T/$k.gcm0" >"$T/$k.nonce"
	tail -c +13 "$T/$k.gcm0" | head -c 64 >"$T/$k.coffer.ks"
	counters "$T/$k.nonce" 2 5 >"$T/$k.ctr"
	p11 --encrypt -m AES-ECB --id "$id" -i "$T/$k.ctr" \
		-o "$T/$k.softhsm.ks" >/dev/null
	cmp -s "$T/$k.coffer.ks" "$T/$k.softhsm.ks" ||
		fail "$k: Coffer's GCM keystream is not SoftHSM's AES-ECB output"

	# a real message: Coffer GCM -> openssl AES-CTR with the key bytes
	hsm key encrypt "$P" --label "$k" --in "$T/msg" --out "$T/$k.gcm" \
		--pin-file "$CO" >/dev/null
	n=$(wc -c <"$T/msg")
	iv=$(head -c 12 "$T/$k.gcm" | od -An -v -tx1 | tr -d ' \n')00000002
	tail -c +13 "$T/$k.gcm" | head -c "$n" |
		openssl enc -d "-$cipher-ctr" -K "$hex" -iv "$iv" >"$T/$k.ctr.out"
	cmp -s "$T/$k.ctr.out" "$T/msg" ||
		fail "$k: openssl AES-CTR does not decrypt Coffer's GCM ciphertext"
	hsm key decrypt "$P" --label "$k" --in "$T/$k.gcm" --out "$T/$k.dec" \
		--pin-file "$CO" >/dev/null
	cmp -s "$T/$k.dec" "$T/msg" || fail "$k: Coffer does not decrypt its own"
	# the tag is checked: one flipped ciphertext bit is refused
	{ head -c 20 "$T/$k.gcm"; tail -c +21 "$T/$k.gcm" | head -c 1 |
		tr '\000-\377' '\001-\377\000'; tail -c +22 "$T/$k.gcm"; } \
		>"$T/$k.bad"
	expect_exit 4 hsm key decrypt "$P" --label "$k" --in "$T/$k.bad" \
		--out "$T/$k.bad.dec" --pin-file "$CO"
	[ ! -e "$T/$k.bad.dec" ] || fail "$k: a rejected decryption left output"

	# SoftHSM AES-CBC-PAD -> openssl AES-CBC with the key bytes
	p11 --encrypt -m AES-CBC-PAD --id "$id" \
		--iv 000102030405060708090a0b0c0d0e0f -i "$T/msg" \
		-o "$T/$k.cbc" >/dev/null
	openssl enc -d "-$cipher-cbc" -K "$hex" \
		-iv 000102030405060708090a0b0c0d0e0f -in "$T/$k.cbc" \
		-out "$T/$k.cbc.out"
	cmp -s "$T/$k.cbc.out" "$T/msg" ||
		fail "$k: openssl does not decrypt SoftHSM's AES-CBC-PAD"
done
hsm audit verify "$T/h" >/dev/null
echo "p11-aes-interop: ok"
