#!/bin/sh
# A real PKCS#11 token backed up and restored (docs/pkcs11.md "BACKING UP
# A TOKEN"): a SoftHSM2 token with extractable AES-256, EC P-256 and RSA
# 2048 keys, two keys that may not leave it (CKA_EXTRACTABLE false), a
# certificate and a data object.
#   - `backupd backup --from pkcs11:...` names the two that cannot leave,
#     and only those, on stderr and in --json, and exits 0 with the rest
#     backed up; nothing is left on the token (no transport objects);
#   - the backup restores into a Coffer partition holding its password
#     domain, and onto a fresh SoftHSM2 token: there the restored keys
#     sign what verifies under the original public keys, and decrypt what
#     the original AES key encrypted; the non-extractable keys are absent;
#   - a wrong PIN is refused (exit 3, as every wrong credential), a token
#     that is not there and a URI naming one object are clear errors, and
#     two tokens of one label are two backup series.
# SoftHSM 2.6 offers CKM_ECDSA only (the caller hashes) and pkcs11-tool
# encrypts with AES-ECB/CBC only: Coffer's AES-GCM ciphertext is built
# from the original key's ECB blocks (helpers/gcm.sh), as in
# p11-aes-interop.sh.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helpers/hsm.sh"
. "$(dirname "$0")/helpers/p11.sh"
. "$(dirname "$0")/helpers/gcm.sh"
p11_setup softhsm-backup
hsm_setup h
P="hsm:$T/h#p1"
PIN=$(pinfile tokpin "$P11_PIN")
WRONG=$(pinfile wrongpin "not-the-pin-1")
BK=$(pinfile bk "backup-secret-1")
DS=$(domstr "$DOM")
S="dir:$T/store"
backupd init "$S" >/dev/null
SRC="pkcs11:token=coffer"

# tok LABEL ARGS...: pkcs11-tool on token LABEL as its user
tok() {
	_l=$1
	shift
	pkcs11-tool --module "$P11_MODULE" --token-label "$_l" --login \
		--pin "$P11_PIN" "$@" 2>"$T/p11.err" ||
		{ cat "$T/p11.err" >&2; fail "pkcs11-tool $*"; }
}

# the keys, before the backup
p11 --keygen --key-type AES:32 --label aes --id 01 --extractable \
	--sensitive >/dev/null
p11 --keypairgen --key-type EC:prime256v1 --label ec --id 02 \
	--extractable >/dev/null
p11 --keypairgen --key-type rsa:2048 --label rsa --id 03 \
	--extractable >/dev/null
p11 --keygen --key-type AES:32 --label locked-aes --id 04 >/dev/null
p11 --keypairgen --key-type EC:prime256v1 --label locked-ec --id 05 \
	>/dev/null
# a certificate and a data object leave by their attribute values
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$T/web.key" -subj /CN=web -days 2 -outform DER \
	-out "$T/web.der" 2>/dev/null
p11 --write-object "$T/web.der" --type cert --label web --id 06 >/dev/null
printf 'runbook notes\n' >"$T/notes"
p11 --write-object "$T/notes" --type data --label notes \
	--application-label app >/dev/null
p11 -O >"$T/before.lst"

# what the originals make: signatures, public keys, an AES-CBC and an
# AES-GCM ciphertext
printf 'pay 100 EUR to account 42\n' >"$T/msg"
openssl dgst -sha256 -binary "$T/msg" >"$T/msg.sha256"
p11 --sign -m ECDSA --id 02 -f openssl -i "$T/msg.sha256" \
	-o "$T/ec.sig" >/dev/null
p11 --sign -m SHA256-RSA-PKCS --id 03 -i "$T/msg" -o "$T/rsa.sig" >/dev/null
for k in ec:02 rsa:03; do
	p11 --read-object --type pubkey --id "${k#*:}" \
		-o "$T/${k%:*}.spki" >/dev/null
	openssl pkey -pubin -inform DER -in "$T/${k%:*}.spki" \
		-out "$T/${k%:*}.pem"
done
openssl pkeyutl -verify -pubin -inkey "$T/ec.pem" -in "$T/msg.sha256" \
	-sigfile "$T/ec.sig" >/dev/null || fail "the original EC signature"
openssl dgst -sha256 -verify "$T/rsa.pem" -signature "$T/rsa.sig" \
	"$T/msg" >/dev/null || fail "the original RSA signature"
IV=000102030405060708090a0b0c0d0e0f
p11 --encrypt -m AES-CBC-PAD --iv "$IV" --id 01 -i "$T/msg" \
	-o "$T/msg.cbc" >/dev/null
printf 'sixteen bytes!!\n' >"$T/gcm.msg"
hex_to_file 0a0b0c0d0e0f101112131415 "$T/gcm.nonce"
nonce=$(hexof "$T/gcm.nonce")
hex_to_file "00000000000000000000000000000000${nonce}00000001${nonce}00000002" \
	"$T/blocks.in"
p11 --encrypt -m AES-ECB --id 01 -i "$T/blocks.in" -o "$T/blocks.out" \
	>/dev/null
all=$(hexof "$T/blocks.out")
H=$(echo "$all" | cut -c 1-32)
EJ0=$(echo "$all" | cut -c 33-64)
c=$(xor_hex "$(hexof "$T/gcm.msg")" "$(echo "$all" | cut -c 65-96)")
tag=$(xor_hex "$(ghash "$H" "$c$(len_block 0 16)")" "$EJ0")
hex_to_file "$nonce$c$tag" "$T/msg.gcm"

# failures first: each is refused before anything is made
expect_exit 3 backupd backup --from "$SRC" --module "$P11_MODULE" --to "$S" \
	--domain-string "$DS" --domain-pin-file "$DOM" --pin-file "$WRONG" \
	--backup-pin-file "$BK" --kdf test
grep -q "PIN of token 'coffer'.*is wrong" "$T/.err" ||
	{ cat "$T/.err"; fail "a wrong PIN is not named"; }
expect_exit 1 backupd backup --from "pkcs11:token=nothere" \
	--module "$P11_MODULE" --to "$S" --domain-string "$DS" \
	--domain-pin-file "$DOM" --pin-file "$PIN" --backup-pin-file "$BK" \
	--kdf test
grep -q "no token of .* matches the URI; its tokens: 'coffer'" "$T/.err" ||
	{ cat "$T/.err"; fail "a missing token is not named"; }
expect_exit 2 backupd backup --from "pkcs11:token=coffer;object=aes" \
	--module "$P11_MODULE" --to "$S" --domain-string "$DS" \
	--domain-pin-file "$DOM" --pin-file "$PIN" --backup-pin-file "$BK"
grep -q "whole token" "$T/.err" || fail "object= is not refused clearly"
expect_exit 1 backupd backup --from "$SRC" --module "$T/no-such-module.so" \
	--to "$S" --domain-string "$DS" --domain-pin-file "$DOM" \
	--pin-file "$PIN" --backup-pin-file "$BK"
[ -z "$(restore list --from "$S" --names)" ] ||
	fail "a refused backup left a backup"

# the backup
backupd backup --from "$SRC" --module "$P11_MODULE" --to "$S" \
	--domain-string "$DS" --domain-pin-file "$DOM" --pin-file "$PIN" \
	--backup-pin-file "$BK" --kdf test --json >"$T/bk.json" 2>"$T/bk.err" ||
	{ cat "$T/bk.err"; fail "the token backup failed"; }
NAME=$(sed -n 's/.*"name":"\([^"]*\)".*/\1/p' "$T/bk.json")
[ -n "$NAME" ] || fail "no backup name in --json"
# aes, ec and rsa (each pair one record), locked-ec's public half (a
# public key leaves by its attributes), the certificate and the data object
json_has '"objects":6' "$T/bk.json"
json_has '"not_exported_count":2' "$T/bk.json"
sed 's/.*"not_exported":\[//' "$T/bk.json" |
	grep -o '"label":"[^"]*"' | sort >"$T/stuck.json"
printf '%s\n' '"label":"locked-aes"' '"label":"locked-ec"' >"$T/stuck.want"
cmp -s "$T/stuck.json" "$T/stuck.want" ||
	{ cat "$T/bk.json"; fail "--json does not name exactly the two keys"; }
json_has '"reason":"not extractable (CKA_EXTRACTABLE false)"' "$T/bk.json"
grep "not backed up" "$T/bk.err" | sed "s/.*key '\([^']*\)'.*/\1/" |
	sort >"$T/stuck.err"
printf '%s\n' locked-aes locked-ec >"$T/stuck.want"
cmp -s "$T/stuck.err" "$T/stuck.want" ||
	{ cat "$T/bk.err"; fail "stderr does not name exactly the two keys"; }
grep -q "2 objects of token 'coffer' .* could not leave it" "$T/bk.err" ||
	fail "no summary warning"
# nothing left behind on the token: the same objects as before
p11 -O >"$T/after.lst"
cmp -s "$T/before.lst" "$T/after.lst" ||
	{ diff "$T/before.lst" "$T/after.lst" >&2; fail "the token changed"; }
grep -q coffer-transport "$T/after.lst" && fail "a transport key is left"
restore verify --from "$S" "$NAME" >/dev/null

# into a Coffer partition that holds the backup's password domain
restore --from "$S" --backup "$NAME" --to "$P" --replace --pin-file "$CO" \
	--backup-pin-file "$BK" >/dev/null
hsm key list "$P" --pin-file "$CO" >"$T/coffer.lst"
for k in aes ec rsa; do
	grep -q "^$k " "$T/coffer.lst" || fail "$k is not in the partition"
done
grep -q "^web  *Certificate" "$T/coffer.lst" || fail "no certificate"
grep -q "^notes  *Data" "$T/coffer.lst" || fail "no data object"
grep -q "^locked-aes " "$T/coffer.lst" && fail "locked-aes left the token"
grep -q "^locked-ec  *EC Public" "$T/coffer.lst" ||
	fail "locked-ec's public key is not in the partition"
hsm key sign "$P" --label ec --in "$T/msg" --out "$T/ec.coffer.sig" \
	--pin-file "$CO" >/dev/null
openssl dgst -sha256 -verify "$T/ec.pem" -signature "$T/ec.coffer.sig" \
	"$T/msg" >/dev/null || fail "Coffer's restored EC key signs otherwise"
hsm key sign "$P" --label rsa --in "$T/msg" --out "$T/rsa.coffer.sig" \
	--pin-file "$CO" >/dev/null
cmp -s "$T/rsa.coffer.sig" "$T/rsa.sig" ||
	fail "Coffer's restored RSA key signs otherwise (PKCS#1 v1.5 is "\
"deterministic)"
hsm key verify "$P" --label ec --in "$T/msg" --signature "$T/ec.sig" \
	--pin-file "$CO" >/dev/null || fail "the original EC signature, in Coffer"
hsm key decrypt "$P" --label aes --in "$T/msg.gcm" --out "$T/gcm.dec" \
	--pin-file "$CO" >/dev/null || fail "Coffer does not open the GCM"
cmp -s "$T/gcm.dec" "$T/gcm.msg" || fail "Coffer decrypts otherwise"

# onto a fresh SoftHSM2 token
softhsm2-util --init-token --free --label fresh --so-pin "$P11_SO_PIN" \
	--pin "$P11_PIN" >/dev/null
expect_exit 2 restore --from "$S" --backup "$NAME" --to "pkcs11:token=fresh" \
	--module "$P11_MODULE" --replace --pin-file "$PIN" \
	--domain-pin-file "$DOM" --backup-pin-file "$BK"
expect_exit 3 restore --from "$S" --backup "$NAME" --to "pkcs11:token=fresh" \
	--module "$P11_MODULE" --add --pin-file "$PIN" \
	--domain-pin-file "$WRONG" --backup-pin-file "$BK"
restore --from "$S" --backup "$NAME" --to "pkcs11:token=fresh" \
	--module "$P11_MODULE" --add --pin-file "$PIN" --domain-pin-file "$DOM" \
	--backup-pin-file "$BK" --json >"$T/rs.json"
json_has '"written":6' "$T/rs.json"
tok fresh -O >"$T/fresh.lst"
grep -q locked-aes "$T/fresh.lst" && fail "locked-aes reached the token"
p11_block Private locked-ec "$T/fresh.lst" >/dev/null &&
	fail "locked-ec's private key reached the token"
p11_block Public locked-ec "$T/fresh.lst" >/dev/null ||
	fail "locked-ec's public key is not on the token"
grep -q coffer-transport "$T/fresh.lst" && fail "a transport key is left"
for k in Secret:aes Private:ec Public:ec Private:rsa Public:rsa; do
	p11_block "${k%:*}" "${k#*:}" "$T/fresh.lst" >"$T/blk" ||
		fail "no ${k%:*} key '${k#*:}' on the fresh token"
	case $k in
	Private*|Secret*)
		grep -q "sensitive, extractable" "$T/blk" ||
			fail "${k#*:} lost its flags"
	esac
done
tok fresh --sign -m ECDSA --id 02 -f openssl -i "$T/msg.sha256" \
	-o "$T/ec.fresh.sig" >/dev/null
openssl pkeyutl -verify -pubin -inkey "$T/ec.pem" -in "$T/msg.sha256" \
	-sigfile "$T/ec.fresh.sig" >/dev/null ||
	fail "the restored EC key signs otherwise"
tok fresh --sign -m SHA256-RSA-PKCS --id 03 -i "$T/msg" \
	-o "$T/rsa.fresh.sig" >/dev/null
cmp -s "$T/rsa.fresh.sig" "$T/rsa.sig" ||
	fail "the restored RSA key signs otherwise"
tok fresh --decrypt -m AES-CBC-PAD --iv "$IV" --id 01 -i "$T/msg.cbc" \
	-o "$T/cbc.dec" >/dev/null
cmp -s "$T/cbc.dec" "$T/msg" || fail "the restored AES key decrypts otherwise"
tok fresh --read-object --type pubkey --id 03 -o "$T/rsa.fresh.spki" \
	>/dev/null
cmp -s "$T/rsa.fresh.spki" "$T/rsa.spki" ||
	fail "the restored RSA public key differs"
tok fresh --read-object --type cert --label web -o "$T/web.fresh.der" \
	>/dev/null
cmp -s "$T/web.fresh.der" "$T/web.der" || fail "the certificate differs"
tok fresh --read-object --type data --label notes -o "$T/notes.fresh" \
	>/dev/null
cmp -s "$T/notes.fresh" "$T/notes" || fail "the data object differs"
# a second restore keeps what is there and names it
restore --from "$S" --backup "$NAME" --to "pkcs11:token=fresh" \
	--module "$P11_MODULE" --add --pin-file "$PIN" --domain-pin-file "$DOM" \
	--backup-pin-file "$BK" >"$T/rs2.out" 2>"$T/rs2.err"
grep -q "0 written, 6 kept" "$T/rs2.out" || fail "a second restore wrote"
[ "$(grep -c "kept '" "$T/rs2.err")" -eq 6 ] || fail "kept objects unnamed"

# two tokens with one label are two series, told apart by serial
softhsm2-util --init-token --free --label twin --so-pin "$P11_SO_PIN" \
	--pin "$P11_PIN" >/dev/null
softhsm2-util --init-token --free --label twin --so-pin "$P11_SO_PIN" \
	--pin "$P11_PIN" >/dev/null
expect_exit 2 backupd backup --from "pkcs11:token=twin" \
	--module "$P11_MODULE" --to "$S" --domain-string "$DS" \
	--domain-pin-file "$DOM" --pin-file "$PIN" --backup-pin-file "$BK"
grep -q "several tokens .* match the URI: name one by serial=" "$T/.err" ||
	fail "two tokens of one label are not told apart"
for serial in $(softhsm2-util --show-slots |
	awk '/Serial number:/ { s = $3 } /Label: *twin *$/ { print s }'); do
	backupd backup --from "pkcs11:token=twin;serial=$serial" \
		--module "$P11_MODULE" --to "$S" --domain-string "$DS" \
		--domain-pin-file "$DOM" --pin-file "$PIN" \
		--backup-pin-file "$BK" --kdf test >/dev/null
done
[ "$(restore list --from "$S" --label twin --names | sed 's/_[^_]*$//' |
	sort -u | wc -l)" -eq 2 ] || fail "two twins are not two series"
echo "softhsm-backup: ok"
