#!/bin/sh
# A wrong credential is refused with exit 3 and counted; a good login resets
# the counter; the audit log records both.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helpers/hsm.sh"
hsm_setup h
P="hsm:$T/h#p1"
expect_exit 3 hsm role login-check "$P" --role co --pin-file "$BAD"
grep -q "wrong credential" "$T/.err" || fail "message names the cause"
grep -q "1 of 10" "$T/.err" || fail "message shows the counter"
expect_exit 3 hsm key list "$P" --pin-file "$BAD"
hsm partition show "$P" --json >"$T/s.json"
json_has '{"role":"co","initialized":true,"failed_logins":2,"locked":false}' "$T/s.json"
expect_exit 3 hsm role login-check "$P" --role cu --pin-file "$CO"
expect_exit 3 hsm role login-check "$P" --role po --pin-file "$BAD"
hsm partition show "$P" --json >"$T/s.json"
json_has '{"role":"po","initialized":true,"failed_logins":1' "$T/s.json"
json_has '{"role":"cu","initialized":true,"failed_logins":1' "$T/s.json"
# SO: wrong once, counted, then reset by a good login
expect_exit 3 hsm partition create "hsm:$T/h#p2" --pin-file "$BAD"
hsm show "$T/h" --json >"$T/h.json"
json_has '"so_failed_logins":1' "$T/h.json"
hsm partition create "hsm:$T/h#p2" --pin-file "$SO" >/dev/null
hsm show "$T/h" --json >"$T/h.json"
json_has '"so_failed_logins":0' "$T/h.json"
# a good CO login resets its counter
hsm role login-check "$P" --role co --pin-file "$CO" >/dev/null
hsm partition show "$P" --json >"$T/s.json"
json_has '{"role":"co","initialized":true,"failed_logins":0' "$T/s.json"
# a missing secret file is a clear usage/I-O error, not a login failure
expect_exit 1 hsm role login-check "$P" --role co --pin-file "$T/nonexistent"
hsm audit show "$T/h" --json >"$T/a.json"
json_has '"event":"login","result":"fail","role":"co"' "$T/a.json"
# credential change: old stops working, new works
NEW=$(pinfile new "co-secret-2")
hsm role change "$P" --role co --pin-file "$CO" --new-pin-file "$NEW" >/dev/null
expect_exit 3 hsm role login-check "$P" --role co --pin-file "$CO"
hsm role login-check "$P" --role co --pin-file "$NEW" >/dev/null
hsm audit verify "$T/h" >/dev/null
echo "hsm-wrong-credential: ok"
