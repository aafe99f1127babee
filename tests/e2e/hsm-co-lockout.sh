#!/bin/sh
# Ten failed CO logins lock the CO and the CU; the PO may unlock only while
# HSM policy 15 is on.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helpers/hsm.sh"
hsm_setup h
P="hsm:$T/h#p1"
hsm key generate "$P" --type aes --label k1 --pin-file "$CO" >/dev/null
i=0
while [ $i -lt 10 ]; do
	expect_exit 3 hsm role login-check "$P" --role co --pin-file "$BAD"
	i=$((i + 1))
done
grep -q "locked" "$T/.err" || fail "tenth failure says CO and CU are locked"
# the right credential no longer opens the CO nor the CU
expect_exit 3 hsm role login-check "$P" --role co --pin-file "$CO"
grep -q "locked out" "$T/.err" || fail "locked message"
expect_exit 3 hsm role login-check "$P" --role cu --pin-file "$CU"
hsm partition show "$P" --json >"$T/s.json"
json_has '{"role":"co","initialized":true,"failed_logins":10,"locked":true}' "$T/s.json"
json_has '"objects":1' "$T/s.json"
# policy 15 off: the PO may not unlock
expect_exit 3 hsm role unlock "$P" --role co --pin-file "$PO"
grep -q "policy 15" "$T/.err" || fail "refusal names policy 15"
# the SO turns policy 15 on; now the PO unlocks
hsm policy set "$T/h" so-reset-pin 1 --pin-file "$SO" >/dev/null
hsm role unlock "$P" --role co --pin-file "$PO" >/dev/null
hsm role login-check "$P" --role co --pin-file "$CO" >/dev/null
hsm role login-check "$P" --role cu --pin-file "$CU" >/dev/null
hsm key list "$P" --pin-file "$CU" --role cu | grep -q "^k1 " || fail "keys survive a lockout"
# lockout threshold is a partition policy (3..10)
hsm partition policy set "$P" lockout 3 --pin-file "$PO" >/dev/null
for i in 1 2 3; do
	expect_exit 3 hsm role login-check "$P" --role cu --pin-file "$BAD"
done
expect_exit 3 hsm role login-check "$P" --role cu --pin-file "$CU"
hsm role login-check "$P" --role co --pin-file "$CO" >/dev/null
hsm role unlock "$P" --role cu --pin-file "$PO" >/dev/null
hsm role login-check "$P" --role cu --pin-file "$CU" >/dev/null
expect_exit 1 hsm partition policy set "$P" lockout 11 --pin-file "$PO"
hsm audit verify "$T/h" >/dev/null
echo "hsm-co-lockout: ok"
