#!/bin/sh
# V0 -> V1 -> V0 migration by clone: every object and every attribute
# survives both trips (compared as `hsm key show --json` of each object),
# and the keys work at the end (a signature and ciphertext made on the V0
# source verify and decrypt on the final V0 partition).
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/sks.sh"

sks_hsm h
sks_part h v0 0
sks_part h v1 1
sks_part h back 0
S="hsm:$T/h#v0"
M="hsm:$T/h#v1"
E="hsm:$T/h#back"
hsm key generate "$S" --type aes --label aes --pin-file "$CO" >/dev/null
hsm key generate "$S" --type generic --size 512 --label hmac --pin-file "$CO" >/dev/null
hsm key generate "$S" --type rsa --label rsa --pin-file "$CO" >/dev/null
hsm key generate "$S" --type ec --size 384 --label ec --pin-file "$CO" >/dev/null
hsm key generate "$S" --type aes --label bulk --count 50 --pin-file "$CO" >/dev/null
echo "a data object" >"$T/data"
hsm key import "$S" --type data --label note --in "$T/data" --public \
	--application e2e --pin-file "$CO" >/dev/null
echo "migrate me" >"$T/m"
hsm key sign "$S" --label rsa --in "$T/m" --out "$T/m.sig" --pin-file "$CO"
hsm key encrypt "$S" --label aes --in "$T/m" --out "$T/m.ct" --pin-file "$CO"

clone --from "$S" --to "$M" --from-pin-file "$CO" --to-pin-file "$CO" >/dev/null
clone --from "$M" --to "$E" --from-pin-file "$CO" --to-pin-file "$CO" >/dev/null

show_all() {
	hsm key list "$1" --json --pin-file "$CO" |
		tr ',' '\n' | sed -n 's/.*"label":"\([^"]*\)".*/\1/p' | sort |
		while read -r l; do
			hsm key show "$1" --label "$l" --json --pin-file "$CO" |
				sed 's/"handle":[0-9]*,//'
		done
}
show_all "$S" >"$T/s.attrs"
show_all "$M" >"$T/m.attrs"
show_all "$E" >"$T/e.attrs"
[ "$(wc -l <"$T/s.attrs")" -eq 55 ] || fail "expected 55 objects on the source"
cmp -s "$T/s.attrs" "$T/m.attrs" || { diff "$T/s.attrs" "$T/m.attrs" | head; fail "V0 -> V1 changed an object"; }
cmp -s "$T/s.attrs" "$T/e.attrs" || { diff "$T/s.attrs" "$T/e.attrs" | head; fail "V1 -> V0 changed an object"; }
hsm partition show "$M" --json | grep -q '"partition_version":"V1"' || fail "middle is not V1"
hsm partition show "$E" --json | grep -q '"objects":55' || fail "object count"

hsm key verify "$E" --label rsa --in "$T/m" --signature "$T/m.sig" \
	--pin-file "$CO" >/dev/null
hsm key decrypt "$E" --label aes --in "$T/m.ct" --out "$T/m.rt" --pin-file "$CO"
cmp -s "$T/m" "$T/m.rt" || fail "ciphertext from the source does not decrypt at the end"
hsm key export-public "$E" --label ec --out "$T/e.pem" --pin-file "$CO"
hsm key export-public "$S" --label ec --out "$T/s.pem" --pin-file "$CO"
cmp -s "$T/e.pem" "$T/s.pem" || fail "the EC public key changed"
echo "sks-migrate ok"
