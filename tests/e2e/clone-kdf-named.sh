#!/bin/sh
# A clone between partitions that hold "the same" domain, one password
# under two KDF profiles (so two domains), names the cause: the domain,
# both profiles and the 'domains add --kdf' that fixes it; nothing is
# written. With the domain added under the source's profile the clone goes.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"

hsm_setup h
hsm key generate "hsm:$T/h#p1" --type aes --label k --pin-file "$CO" >/dev/null
hsm init "$T/g" --label g --kdf test --pin-file "$SO" >/dev/null
G="hsm:$T/g#p1"
hsm partition create "$G" --pin-file "$SO" >/dev/null
hsm partition init "$G" --kdf interactive --new-pin-file "$PO" \
	--domain-pin-file "$DOM" --domain-string "$(domstr "$DOM" interactive)" >/dev/null
hsm role init "$G" --role co --pin-file "$PO" --new-pin-file "$CO" >/dev/null

expect_exit 3 clone --from "hsm:$T/h#p1" --to "$G" --from-pin-file "$CO" \
	--to-pin-file "$CO"
grep -q "domain 'default' is under KDF profile test on the source and interactive on the target" \
	"$T/.err" || { cat "$T/.err" >&2; fail "the profiles are not named"; }
grep -q -- "domains add --domain-string $(domstr "$DOM")" "$T/.err" ||
	fail "the fix (the source's domain string) is not named"
hsm key list "$G" --pin-file "$CO" --json | jq -e '.objects == []' >/dev/null ||
	fail "the refused clone wrote something"

domains add "$G" --label src --domain-pin-file "$DOM" --domain-string "$(domstr "$DOM")" \
	--pin-file "$PO" >/dev/null
clone --from "hsm:$T/h#p1" --to "$G" --from-pin-file "$CO" --to-pin-file "$CO" \
	>/dev/null || fail "the clone with the domain under the right profile"
echo "clone-kdf-named: ok"
