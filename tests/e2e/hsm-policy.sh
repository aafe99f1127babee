#!/bin/sh
# Policies: changing allow-cloning is destructive (needs --force, erases the
# objects); the HSM policy is inherited; storage size refuses a new object
# past it with a clear message; policy show lists them.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helpers/hsm.sh"
hsm_setup h
P="hsm:$T/h#p1"
hsm key generate "$P" --type aes --label k1 --pin-file "$CO" >/dev/null
hsm partition policy show "$P" --json >"$T/p.json"
json_has '"name":"allow-cloning","value":1,"effective":1' "$T/p.json"
json_has '"name":"storage-size","value":33554432' "$T/p.json"
expect_exit 3 hsm partition policy set "$P" allow-cloning 0 --pin-file "$PO"
grep -q -- "--force" "$T/.err" || fail "destructive change asks for --force"
hsm partition show "$P" --json >"$T/s.json"
json_has '"objects":1' "$T/s.json"
hsm partition policy set "$P" allow-cloning 0 --force --pin-file "$PO" >/dev/null
hsm partition show "$P" --json >"$T/s.json"
json_has '"objects":0' "$T/s.json"
json_has '"cloning":false' "$T/s.json"
# only the PO sets partition policies
expect_exit 3 hsm partition policy set "$P" lockout 5 --role co --pin-file "$CO"
# HSM policy 7 off: inherited by every partition
hsm partition policy set "$P" allow-cloning 1 --force --pin-file "$PO" >/dev/null
hsm policy set "$T/h" allow-cloning 0 --force --pin-file "$SO" >/dev/null
hsm partition show "$P" --json >"$T/s.json"
json_has '"allow_cloning":true,"cloning":false' "$T/s.json"
hsm policy show "$T/h" --json >"$T/h.json"
json_has '"code":7,"name":"allow-cloning","value":0' "$T/h.json"
# storage size: the smallest allowed, then fill it
hsm partition policy set "$P" storage-size 64K --pin-file "$PO" >/dev/null
expect_exit 1 hsm key generate "$P" --type aes --label many --count 2000 --pin-file "$CO"
grep -q "full" "$T/.err" || fail "capacity refusal is named"
hsm partition show "$P" --json >"$T/s.json"
json_has '"objects":0' "$T/s.json"
hsm key generate "$P" --type aes --label few --count 50 --pin-file "$CO" >/dev/null
expect_exit 1 hsm partition policy set "$P" storage-size 1K --pin-file "$PO"
hsm audit verify "$T/h" >/dev/null
echo "hsm-policy: ok"
