#!/bin/sh
# CKM_AES_KEY_WRAP_PAD between Coffer's module and SoftHSM2, sharing one
# key-encryption key (KEK) imported into both; driven by pkcs11-tool, and by
# $BIN/p11drv (tests/e2e/helpers/p11drv.c) where OpenSC 0.23's pkcs11-tool
# cannot: it wraps secret keys only and sets no CKA_WRAP_WITH_TRUSTED:
# - an extractable AES key and an extractable EC key made by Coffer, wrapped
#   by the module, unwrap in SoftHSM and still work: SoftHSM's copy of the
#   AES key wraps to the very bytes Coffer's did (RFC 5649 is deterministic),
#   a key SoftHSM wraps under its copy unwraps in Coffer under Coffer's, and
#   SoftHSM's ECDSA signature verifies with Coffer's public key;
# - SoftHSM's extractable AES and EC keys, wrapped by SoftHSM, unwrap in
#   Coffer (hsm lists them, not local), Coffer wraps the AES key to SoftHSM's
#   bytes and signs with the EC key what SoftHSM's public key verifies;
# - a key made not extractable (Coffer's default) is CKR_KEY_UNEXTRACTABLE,
#   an unwrap under a key without CKA_UNWRAP CKR_KEY_FUNCTION_NOT_PERMITTED,
#   a damaged wrapping CKR_WRAPPED_KEY_INVALID;
# - a key with CKA_WRAP_WITH_TRUSTED is CKR_KEY_NOT_WRAPPABLE under a KEK
#   until the CO sets the KEK's CKA_TRUSTED; CKA_EXTRACTABLE goes from true
#   to false only (CKR_ATTRIBUTE_READ_ONLY), CKA_WRAP_WITH_TRUSTED from false
#   to true only;
# - every key written is one key-create audit record, every change of an
#   attribute one key-modify record, every key wrapped out one key-wrap
#   record naming the KEK (a refused wrap none).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helpers/hsm.sh"
. "$(dirname "$0")/helpers/pkcs11.sh"
mod_setup pkcs11-wrap
SH=/usr/lib/softhsm/libsofthsm2.so
if [ ! -f "$SH" ] || ! command -v softhsm2-util >/dev/null; then
	echo "pkcs11-wrap: skipped: needs SoftHSM2 ($SH, softhsm2-util)"
	exit 0
fi
hsm_setup h
P="hsm:$T/h#p1"
mod_hsm "$T/h"
KWP=0x210A
[ -x "$BIN/p11drv" ] || fail "no $BIN/p11drv: run make"

# SoftHSM2 with its own configuration and token directory
mkdir -p "$T/softhsm"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
	"$T/softhsm" >"$T/softhsm.conf"
SOFTHSM2_CONF=$T/softhsm.conf
export SOFTHSM2_CONF
SHPIN=softhsm-pin-1
softhsm2-util --init-token --free --label sh --pin "$SHPIN" \
	--so-pin "$SHPIN-so" >/dev/null
# (not through the ASan build's wrapper: our module is not loaded there,
# and pkcs11-tool 0.23 reading an EC public key frees memory it still uses)
sh11() {
	PATH=${PATH#"$T/asan-wrap:"} pkcs11-tool --module "$SH" --token-label sh \
		--login --pin "$SHPIN" "$@" 2>"$T/sh.err" ||
		{ cat "$T/sh.err" >&2; fail "softhsm: $*"; }
}
printf '%s\n' "$SHPIN" >"$T/shpin"
# codrv / shdrv ARGS...: p11drv on Coffer's token p1 / SoftHSM's token sh
# (SoftHSM's own allocations are not ours to judge: no leak detection)
codrv() {
	"$BIN/p11drv" "$MOD" p1 "$CO" "$@" 2>"$T/drv.err" ||
		{ cat "$T/drv.err" >&2; fail "p11drv coffer: $*"; }
}
shdrv() {
	ASAN_OPTIONS=detect_leaks=0 "$BIN/p11drv" "$SH" sh "$T/shpin" "$@" \
		2>"$T/drv.err" || { cat "$T/drv.err" >&2; fail "p11drv softhsm: $*"; }
}
# codrv_refused RV ARGS...: p11drv on Coffer fails with return value RV
codrv_refused() {
	want=$1
	shift
	if "$BIN/p11drv" "$MOD" p1 "$CO" "$@" >"$T/out" 2>&1; then
		fail "the module did: $*"
	fi
	grep -q "rv $want\$" "$T/out" || { cat "$T/out"; fail "not $want: $*"; }
}
# co_refused CKR ARGS...: the module refuses with CKR
co_refused() {
	want=$1
	shift
	if pkcs11-tool --module "$MOD" --token-label p1 --login \
		--pin "$(modpin "$CO")" "$@" >"$T/out" 2>&1; then
		fail "the module did: $*"
	fi
	grep -q "$want" "$T/out" || { cat "$T/out"; fail "not $want: $*"; }
}

# access: the Access line of the object labelled $1 in pkcs11-tool -O
access() {
	mod_co -O | grep -A4 "label: *$1\$" | grep -m1 "Access:"
}

# the shared KEK, imported into both (Coffer gives AES keys wrap and unwrap)
head -c 32 /dev/urandom >"$T/kek.bin"
mod_co --write-object "$T/kek.bin" --type secrkey --key-type AES:32 \
	--label kek --id 01 >/dev/null
sh11 --write-object "$T/kek.bin" --type secrkey --key-type AES:32 \
	--label kek --id 01 --usage-wrap >/dev/null
n0=$(grep -c '"key-create"' "$T/h/audit.log")

# --- Coffer to SoftHSM ------------------------------------------------------
mod_co --keygen --key-type AES:32 --label aes --id 02 --extractable >/dev/null
mod_co --keypairgen --key-type EC:prime256v1 --label ec --id 03 \
	--extractable >/dev/null
access aes >"$T/attrs"
grep -q "extractable" "$T/attrs" && ! grep -q "never extractable" \
	"$T/attrs" || { cat "$T/attrs"; fail "aes: not extractable"; }
mod_co --wrap -m $KWP --id 01 --application-id 02 -o "$T/aes.coffer" >/dev/null
[ "$(wc -c <"$T/aes.coffer")" -eq 40 ] || fail "a 32-byte key wraps to 40 bytes"
# a key that leaves is audited: its label and the KEK's
grep '"event":"key-wrap"' "$T/h/audit.log" | grep '"object":"aes"' |
	grep -q "wrapped under 'kek'" || fail "no key-wrap audit record for aes"
codrv wrap 01 03 "$T/ec.coffer"
sh11 --unwrap -m $KWP --id 01 -i "$T/aes.coffer" --key-type AES: \
	--application-id 12 --application-label aes --extractable >/dev/null
shdrv unwrap 01 "$T/ec.coffer" ec ec 13
# SoftHSM's copy of the AES key is Coffer's: it wraps to the same bytes
sh11 --wrap -m $KWP --id 01 --application-id 12 -o "$T/aes.sh" >/dev/null
cmp -s "$T/aes.coffer" "$T/aes.sh" || fail "SoftHSM's copy of aes differs"
# ... and what SoftHSM wraps under it, Coffer unwraps under its own
sh11 --keygen --key-type AES:16 --label x --id 20 --extractable >/dev/null
sh11 --wrap -m $KWP --id 12 --application-id 20 -o "$T/x.under-aes" >/dev/null
mod_co --unwrap -m $KWP --id 02 -i "$T/x.under-aes" --key-type AES: \
	--application-id 21 --application-label x --extractable >/dev/null
mod_co --wrap -m $KWP --id 01 --application-id 21 -o "$T/x.coffer" >/dev/null
sh11 --wrap -m $KWP --id 01 --application-id 20 -o "$T/x.sh" >/dev/null
cmp -s "$T/x.coffer" "$T/x.sh" || fail "x unwrapped under Coffer's aes differs"
# SoftHSM signs with its copy of the EC key; Coffer's public key verifies
# (SoftHSM 2.6 has CKM_ECDSA only: it signs the SHA-256 digest)
printf 'pay 100 EUR to account 42\n' >"$T/msg"
openssl dgst -sha256 -binary -out "$T/msg.sha256" "$T/msg"
sh11 --sign -m ECDSA --id 13 -i "$T/msg.sha256" -f openssl \
	-o "$T/ec.sig" >/dev/null
hsm key export-public "$P" --label ec --out "$T/ec.pem" --pin-file "$CO" \
	>/dev/null
openssl dgst -sha256 -verify "$T/ec.pem" -signature "$T/ec.sig" "$T/msg" \
	>/dev/null || fail "SoftHSM's signature with Coffer's EC key"

# --- SoftHSM to Coffer ------------------------------------------------------
sh11 --keygen --key-type AES:24 --label s-aes --id 30 --extractable >/dev/null
sh11 --keypairgen --key-type EC:prime256v1 --label s-ec --id 31 \
	--extractable >/dev/null
sh11 --wrap -m $KWP --id 01 --application-id 30 -o "$T/s-aes.sh" >/dev/null
shdrv wrap 01 31 "$T/s-ec.sh"
mod_co --unwrap -m $KWP --id 01 -i "$T/s-aes.sh" --key-type AES: \
	--application-id 30 --application-label s-aes --extractable >/dev/null
codrv unwrap 01 "$T/s-ec.sh" ec s-ec 31
hsm key list "$P" --pin-file "$CO" >"$T/list"
grep -q "^s-aes " "$T/list" && grep -q "^s-ec " "$T/list" ||
	{ cat "$T/list"; fail "hsm lists no unwrapped keys"; }
access s-ec >"$T/attrs"
grep -q "sensitive" "$T/attrs" || fail "no Access line for s-ec"
grep -q "local\|always sensitive\|never extractable" "$T/attrs" &&
	fail "an unwrapped key is local, always sensitive or never extractable"
mod_co --wrap -m $KWP --id 01 --application-id 30 -o "$T/s-aes.coffer" >/dev/null
cmp -s "$T/s-aes.coffer" "$T/s-aes.sh" || fail "Coffer's copy of s-aes differs"
hsm key encrypt "$P" --label s-aes --in "$T/msg" --out "$T/ct" \
	--pin-file "$CO" >/dev/null
hsm key decrypt "$P" --label s-aes --in "$T/ct" --out "$T/pt" \
	--pin-file "$CO" >/dev/null
cmp -s "$T/msg" "$T/pt" || fail "s-aes: GCM round trip"
# the EC key unwrapped is not extractable (the template said nothing)
nw=$(grep -c '"event":"key-wrap"' "$T/h/audit.log")
codrv_refused 0x6a wrap 01 31 "$T/no"
[ "$(grep -c '"event":"key-wrap"' "$T/h/audit.log")" -eq "$nw" ] ||
	fail "a refused wrap wrote a key-wrap record"
mod_co --sign -m ECDSA-SHA256 --id 31 -i "$T/msg" -f openssl \
	-o "$T/s-ec.sig" >/dev/null
sh11 --read-object --type pubkey --id 31 -o "$T/s-ec.der" >/dev/null
openssl pkey -pubin -inform DER -in "$T/s-ec.der" -out "$T/s-ec.pem"
openssl dgst -sha256 -verify "$T/s-ec.pem" -signature "$T/s-ec.sig" \
	"$T/msg" >/dev/null || fail "Coffer's signature with SoftHSM's EC key"

# --- refusals ---------------------------------------------------------------
mod_co --keypairgen --key-type EC:prime256v1 --label stay --id 40 >/dev/null
codrv_refused 0x6a wrap 01 40 "$T/no"
mod_co --keygen --key-type AES:32 --label stay-aes --id 41 >/dev/null
co_refused CKR_KEY_UNEXTRACTABLE --wrap -m $KWP --id 01 --application-id 41 \
	-o "$T/no"
[ ! -s "$T/no" ] || fail "a refused wrap wrote something"
# an EC key does not wrap or unwrap; an AES key with no wrap... is the unit's
co_refused CKR_KEY_FUNCTION_NOT_PERMITTED --unwrap -m $KWP --id 40 \
	-i "$T/s-aes.sh" --key-type AES: --application-label nope
# a damaged wrapping is refused and stores nothing (one bit flipped: an
# 'X' written over byte 5 left the file as it was when that byte was 'X')
cp "$T/s-aes.sh" "$T/bad"
flip "$T/bad" 5
cmp -s "$T/bad" "$T/s-aes.sh" && fail "the damage changed nothing"
co_refused CKR_WRAPPED_KEY_INVALID --unwrap -m $KWP --id 01 -i "$T/bad" \
	--key-type AES: --application-label nope
hsm key list "$P" --pin-file "$CO" >"$T/list"
! grep -q "^nope " "$T/list" || fail "a refused unwrap stored a key"

# CKA_WRAP_WITH_TRUSTED: only under a KEK the CO made CKA_TRUSTED
mod_co --keygen --key-type AES:16 --label wwt --id 50 --extractable >/dev/null
codrv set 50 wwt 1
codrv_refused 0x69 wrap 01 50 "$T/no"
codrv_refused 0x10 set 50 wwt 0
codrv set 01 trusted 1
codrv wrap 01 50 "$T/wwt.coffer"
[ "$(wc -c <"$T/wwt.coffer")" -eq 24 ] || fail "a 16-byte key wraps to 24"
# CKA_EXTRACTABLE: true to false, never back
codrv_refused 0x10 set 40 extractable 1
codrv set 50 extractable 0
codrv_refused 0x6a wrap 01 50 "$T/no"
codrv_refused 0x10 set 50 extractable 1
access wwt >"$T/attrs"
grep -q "never extractable" "$T/attrs" && fail "wwt was extractable once"
access stay >"$T/attrs"
grep -q "never extractable" "$T/attrs" || fail "stay: not never extractable"
# the object kept its handle and its value: it still encrypts
hsm key encrypt "$P" --label wwt --in "$T/msg" --out "$T/ct" \
	--pin-file "$CO" >/dev/null

# aes, ec, x, s-aes, s-ec, stay, stay-aes, wwt: one key-create each; and
# one key-modify per change (wwt, kek, wwt)
n1=$(grep -c '"key-create"' "$T/h/audit.log")
[ $((n1 - n0)) -eq 8 ] || fail "$((n1 - n0)) key-create records, not 8"
[ "$(grep -c '"event":"key-modify"' "$T/h/audit.log")" -eq 3 ] ||
	fail "three key-modify records"
hsm audit verify "$T/h" >/dev/null
echo "pkcs11-wrap: ok"
