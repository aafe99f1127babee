#!/bin/sh
# Several applications use the module on one partition at once, beside
# `hsm`: four pkcs11-tool processes each make and use their own keys while
# hsm generates keys too. Every key made is there afterwards, each with
# its audit record, every signature verifies, and the chain verifies:
# processes share the HSM through its store, as `hsm` processes do.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helpers/hsm.sh"
. "$(dirname "$0")/helpers/pkcs11.sh"
mod_setup pkcs11-concurrent
hsm_setup h
P="hsm:$T/h#p1"
mod_hsm "$T/h"
printf 'concurrent message\n' >"$T/msg"

# worker N: three EC keys, each signing once (status in $T/wN.rc)
worker() {
	rc=0
	for j in 1 2 3; do
		pkcs11-tool --module "$MOD" --token-label p1 --login \
			--pin "$(modpin "$CO")" --keypairgen \
			--key-type EC:prime256v1 --label "w$1-$j" \
			--id "$1$j" >/dev/null 2>"$T/w$1-$j.err" || rc=1
		pkcs11-tool --module "$MOD" --token-label p1 --login \
			--pin "$(modpin "$CO")" --sign -m ECDSA-SHA256 \
			--id "$1$j" -f openssl -i "$T/msg" -o "$T/w$1-$j.sig" \
			>/dev/null 2>>"$T/w$1-$j.err" || rc=1
	done
	echo "$rc" >"$T/w$1.rc"
}
hsmworker() {
	rc=0
	for j in 1 2 3 4 5 6; do
		hsm key generate "$P" --type aes --label "h-$j" \
			--pin-file "$CO" >/dev/null 2>"$T/h-$j.err" || rc=1
	done
	echo "$rc" >"$T/h.rc"
}
for n in 1 2 3 4; do
	worker "$n" &
done
hsmworker &
wait
for n in 1 2 3 4 ""; do
	f=$T/w$n.rc
	[ -z "$n" ] && f=$T/h.rc
	[ "$(cat "$f")" = 0 ] || { cat "$T"/*.err >&2; fail "worker ${n:-hsm} failed"; }
done
hsm key list "$P" --pin-file "$CO" >"$T/list"
grep -q "^18 objects" "$T/list" || { cat "$T/list"; fail "18 objects"; }
[ "$(grep -c '"event":"key-create"' "$T/h/audit.log")" -eq 18 ] ||
	fail "18 key-create audit records"
for n in 1 2 3 4; do
	for j in 1 2 3; do
		hsm key export-public "$P" --label "w$n-$j" --out "$T/w$n-$j.pem" \
			--pin-file "$CO" >/dev/null
		openssl dgst -sha256 -verify "$T/w$n-$j.pem" \
			-signature "$T/w$n-$j.sig" "$T/msg" >/dev/null ||
			fail "w$n-$j: the signature does not verify"
	done
done
hsm audit verify "$T/h" >/dev/null
echo "pkcs11-concurrent: ok"
