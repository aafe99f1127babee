#!/bin/sh
# Ten failed PO logins zeroize the partition: objects, domains and
# credentials are gone; the PO can initialize it again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helpers/hsm.sh"
hsm_setup h
P="hsm:$T/h#p1"
hsm key generate "$P" --type aes --label k1 --pin-file "$CO" >/dev/null
i=1
while [ $i -lt 10 ]; do
	expect_exit 3 hsm role login-check "$P" --role po --pin-file "$BAD"
	i=$((i + 1))
done
hsm partition show "$P" --json >"$T/s.json"
json_has '"state":"initialized"' "$T/s.json"
json_has '"failed_logins":9' "$T/s.json"
expect_exit 3 hsm role login-check "$P" --role po --pin-file "$BAD"
grep -q "zeroized" "$T/.err" || fail "the tenth failure says the partition was zeroized"
hsm partition show "$P" --json >"$T/s.json"
json_has '"state":"created"' "$T/s.json"
json_has '"objects":0' "$T/s.json"
json_has '"domains":0' "$T/s.json"
expect_exit 3 hsm key list "$P" --pin-file "$CO"
# the PO starts over
hsm partition init "$P" --new-pin-file "$PO" --domain-pin-file "$DOM" --domain-string "$(domstr "$DOM")" >/dev/null
hsm role login-check "$P" --role po --pin-file "$PO" >/dev/null
hsm audit show "$T/h" >"$T/audit"
grep -q "partition-zeroize.*PO login failure limit" "$T/audit" || fail "audit records the zeroization"
hsm audit verify "$T/h" >/dev/null
echo "hsm-po-lockout: ok"
