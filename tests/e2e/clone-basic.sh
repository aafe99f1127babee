#!/bin/sh
# Clone between two HSM directories sharing a domain: every object arrives
# with its attributes and value; keys give the same results after the clone
# (an RSA and an EC signature made on the source verify on the target and
# with openssl against the target's public key; an AES-GCM ciphertext made
# before decrypts on the target; the HMAC matches); both audit logs say so.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helpers/hsm.sh"
. "$(dirname "$0")/helpers/clone.sh"
pair_new
for spec in aes:256 generic:256 rsa:2048 ec:256 ec:384; do
	hsm key generate "$A" --type "${spec%%:*}" --size "${spec#*:}" \
		--label "${spec%%:*}-${spec#*:}" --pin-file "$CO" >/dev/null
done
printf 'the message\n' >"$T/msg"
hsm key import "$A" --type data --label note --in "$T/msg" --pin-file "$CO" >/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$T/ck.pem" -out "$T/cert.pem" -subj /CN=clone -days 2 2>/dev/null
hsm key import "$A" --type cert --label cert1 --in "$T/cert.pem" --pin-file "$CO" >/dev/null

# made before the clone, on the source
for k in rsa-2048 ec-256 ec-384; do
	hsm key sign "$A" --label "$k" --in "$T/msg" --out "$T/$k.sig" --pin-file "$CO"
done
hsm key sign "$A" --label generic-256 --in "$T/msg" --out "$T/hmac.a" --pin-file "$CO"
hsm key encrypt "$A" --label aes-256 --aad ctx --in "$T/msg" --out "$T/ct" --pin-file "$CO"

cl a#p1 b#p1 --json >"$T/r.json"
json_has '"result":"ok"' "$T/r.json"
json_has '"sent":7,"written":7,"replaced":0,"skipped":0' "$T/r.json"
json_has '"domain":"default"' "$T/r.json"

# every object, with every attribute (handles aside)
for l in aes-256 generic-256 rsa-2048 ec-256 ec-384 note cert1; do
	hsm key show "$A" --label "$l" --pin-file "$CO" | sed 1d >"$T/a.$l"
	hsm key show "$B" --label "$l" --pin-file "$CO" | sed 1d >"$T/b.$l"
	cmp -s "$T/a.$l" "$T/b.$l" || fail "$l differs after the clone"
done
hsm partition show "$B" --json >"$T/p.json"
json_has '"objects":7' "$T/p.json"

# the keys work the same
for k in rsa-2048 ec-256 ec-384; do
	hsm key verify "$B" --label "$k" --in "$T/msg" --signature "$T/$k.sig" \
		--pin-file "$CO" >/dev/null || fail "$k signature on the target"
	hsm key export-public "$B" --label "$k" --out "$T/$k.pem" --pin-file "$CO"
	openssl dgst -sha256 -verify "$T/$k.pem" -signature "$T/$k.sig" "$T/msg" \
		>/dev/null || fail "openssl and the target's $k public key"
done
hsm key decrypt "$B" --label aes-256 --aad ctx --in "$T/ct" --out "$T/pt" --pin-file "$CO"
cmp "$T/msg" "$T/pt" || fail "ciphertext made before the clone"
hsm key sign "$B" --label generic-256 --in "$T/msg" --out "$T/hmac.b" --pin-file "$CO"
cmp "$T/hmac.a" "$T/hmac.b" || fail "HMAC differs"
# a signature made on the target verifies on the source (one key, two places)
hsm key sign "$B" --label ec-256 --in "$T/msg" --out "$T/b.sig" --pin-file "$CO"
hsm key verify "$A" --label ec-256 --in "$T/msg" --signature "$T/b.sig" \
	--pin-file "$CO" >/dev/null

# both HSMs log the clone, and their chains verify
hsm audit show "$T/a" --json >"$T/a.audit"
json_has '"event":"clone","result":"ok","role":"co","partition":"p1"' "$T/a.audit"
grep -q "to hsm:$T/b#p1" "$T/a.audit" || fail "source audit names the target"
hsm audit show "$T/b" --json >"$T/b.audit"
json_has '"event":"clone","result":"ok"' "$T/b.audit"
grep -q "from hsm:$T/a#p1" "$T/b.audit" || fail "target audit names the source"
hsm audit verify "$T/a" >/dev/null
hsm audit verify "$T/b" >/dev/null

# the human report
hsm key generate "$A" --type aes --label late --pin-file "$CO" >/dev/null
cl a#p1 b#p1 --object late >"$T/r.txt"
grep -q "sent 1, written 1, replaced 0, skipped 0" "$T/r.txt" || fail "human counts"
echo "clone-basic: ok"
