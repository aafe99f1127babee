#!/bin/sh
# Three failed HSM SO logins zeroize the HSM; it can be initialized again
# and its audit chain continues.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helpers/hsm.sh"
hsm_setup h
hsm key generate "hsm:$T/h#p1" --type aes --label k1 --pin-file "$CO" >/dev/null
expect_exit 3 hsm partition create "hsm:$T/h#p2" --pin-file "$BAD"
expect_exit 3 hsm policy set "$T/h" 15 1 --pin-file "$BAD"
hsm show "$T/h" --json >"$T/s.json"
json_has '"state":"initialized"' "$T/s.json"
expect_exit 3 hsm zeroize "$T/h" --pin-file "$BAD"
grep -q "HSM was zeroized" "$T/.err" || fail "third failure says the HSM was zeroized"
hsm show "$T/h" --json >"$T/s.json"
json_has '"state":"zeroized"' "$T/s.json"
json_has '"partitions":0' "$T/s.json"
expect_exit 3 hsm partition create "hsm:$T/h#p2" --pin-file "$SO"
expect_exit 3 hsm key list "hsm:$T/h#p1" --pin-file "$CO"
# re-initialize (the DR path), chain intact across the zeroization
hsm init "$T/h" --label e2e-again --kdf test --pin-file "$SO" >/dev/null
hsm partition create "hsm:$T/h#p1" --pin-file "$SO" >/dev/null
expect_exit 1 hsm init "$T/h" --label twice --kdf test --pin-file "$SO"
hsm audit verify "$T/h" >/dev/null
hsm audit show "$T/h" >"$T/audit"
grep -q "zeroize .*SO login failure limit" "$T/audit" || fail "audit records the zeroization"
# an explicit zeroize by the SO, and a simulated tamper event
hsm zeroize "$T/h" --pin-file "$SO" >/dev/null
hsm init "$T/h" --label e2e-3 --kdf test --pin-file "$SO" >/dev/null
hsm zeroize "$T/h" --tamper >/dev/null
hsm show "$T/h" --json >"$T/s.json"
json_has '"state":"zeroized"' "$T/s.json"
hsm audit verify "$T/h" >/dev/null
echo "hsm-so-lockout: ok"
