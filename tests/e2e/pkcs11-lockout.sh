#!/bin/sh
# Failed logins through the PKCS#11 module count toward the CO's lockout as
# `hsm`'s do, on the same counter: wrong PINs give CKR_PIN_INCORRECT, a good
# login resets the count, failures through the module and through `hsm`
# add up, and once the CO is locked the right PIN is refused with
# CKR_PIN_LOCKED (token flag "user PIN locked") by the module and by hsm.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helpers/hsm.sh"
. "$(dirname "$0")/helpers/pkcs11.sh"
mod_setup pkcs11-lockout
hsm_setup h
P="hsm:$T/h#p1"
mod_hsm "$T/h"

# login PIN: pkcs11-tool's output of a login with it (it exits non-zero on
# a refused login; the output says why)
login() {
	pkcs11-tool --module "$MOD" --token-label p1 --login \
		--pin "$(modpin "$1")" -O >"$T/login" 2>&1 || true
}
failures() {
	hsm partition show "$P" | sed -n 's/^Role co: *initialized, \([0-9]*\) failed.*/\1/p'
}

login "$BAD"
grep -q CKR_PIN_INCORRECT "$T/login" || { cat "$T/login"; fail "wrong PIN: not CKR_PIN_INCORRECT"; }
login "$BAD"
[ "$(failures)" -eq 2 ] || fail "two failures counted, not $(failures)"
login "$CO"
grep -q CKR_PIN "$T/login" && fail "the right PIN is refused"
[ "$(failures)" -eq 0 ] || fail "a good login through the module resets the count"

# nine wrong PINs through the module, the tenth through hsm: locked
i=0
while [ $i -lt 9 ]; do
	login "$BAD"
	grep -q CKR_PIN_INCORRECT "$T/login" || { cat "$T/login"; fail "failure $i"; }
	i=$((i + 1))
done
[ "$(failures)" -eq 9 ] || fail "nine failures counted, not $(failures)"
mod -L >"$T/slots"
grep -q "final user PIN try" "$T/slots" || { cat "$T/slots"; fail "final try not flagged"; }
expect_exit 3 hsm role login-check "$P" --role co --pin-file "$BAD"
grep -q "locked" "$T/.err" || fail "the tenth failure, through hsm, locks the CO"
login "$CO"
grep -q CKR_PIN_LOCKED "$T/login" || { cat "$T/login"; fail "locked CO: not CKR_PIN_LOCKED"; }
mod -L >"$T/slots"
grep -q "user PIN locked" "$T/slots" || { cat "$T/slots"; fail "lock not flagged"; }
expect_exit 3 hsm role login-check "$P" --role co --pin-file "$CO"

# the other way round, on a lockout threshold of 3 set by the PO: three
# wrong PINs through the module lock the CO for hsm too
hsm policy set "$T/h" so-reset-pin 1 --pin-file "$SO" >/dev/null
hsm role unlock "$P" --role co --pin-file "$PO" >/dev/null
hsm partition policy set "$P" lockout 3 --pin-file "$PO" >/dev/null
for i in 1 2 3; do
	login "$BAD"
done
grep -q CKR_PIN_LOCKED "$T/login" || grep -q CKR_PIN_INCORRECT "$T/login" ||
	{ cat "$T/login"; fail "third failure"; }
expect_exit 3 hsm role login-check "$P" --role co --pin-file "$CO"
grep -q "locked out" "$T/.err" || fail "hsm does not see the module's lockout"
login "$CO"
grep -q CKR_PIN_LOCKED "$T/login" || { cat "$T/login"; fail "not CKR_PIN_LOCKED after 3"; }
hsm audit verify "$T/h" >/dev/null
echo "pkcs11-lockout: ok"
