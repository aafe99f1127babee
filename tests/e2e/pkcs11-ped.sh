#!/bin/sh
# The module on a PED HSM: no PIN stands in for the CO's M shares, so the
# PIN is the challenge secret of an activated CO, as on a Luna PED
# partition. Before activation the challenge is refused (CKR_PIN_INCORRECT,
# not counted); once activated it logs in, makes a key hsm then uses with
# the same challenge, and a wrong challenge counts a failure as hsm does.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helpers/ped.sh"
. "$(dirname "$0")/helpers/pkcs11.sh"
mod_setup pkcs11-ped
ped_setup h
mod_hsm "$T/h"
CH=$(pinfile ch "nightly-challenge-1")
BADCH=$(pinfile badch "not-the-challenge")

# login FILE: pkcs11-tool's output of a CO login with the PIN in FILE
login() {
	pkcs11-tool --module "$MOD" --token-label p1 --login \
		--pin "$(modpin "$1")" -O >"$T/login" 2>&1 || true
}
failures() {
	hsm partition show "$P" --json | sed -n \
		's/.*"role":"co","initialized":true,"failed_logins":\([0-9]*\).*/\1/p'
}

login "$CH"
grep -q CKR_PIN_INCORRECT "$T/login" || { cat "$T/login"; fail "not activated: not refused"; }
[ "$(failures)" -eq 0 ] || fail "a login before activation counted"

hsm role activate "$P" --role co $(co 1 2) --challenge-file "$CH" >/dev/null
pkcs11-tool --module "$MOD" --token-label p1 --login --pin "$(modpin "$CH")" \
	--keygen --key-type AES:32 --label k1 >"$T/gen" 2>&1 ||
	{ cat "$T/gen"; fail "the challenge does not log in"; }
printf 'hello ped\n' >"$T/msg"
hsm key encrypt "$P" --label k1 --in "$T/msg" --out "$T/ct" \
	--challenge-file "$CH" >/dev/null
hsm key decrypt "$P" --label k1 --in "$T/ct" $(co 2 3) | grep -q "hello ped" ||
	fail "hsm cannot use the module's key"

login "$BADCH"
grep -q CKR_PIN_INCORRECT "$T/login" || { cat "$T/login"; fail "a wrong challenge logged in"; }
[ "$(failures)" -eq 1 ] || fail "a wrong challenge is not counted ($(failures))"
hsm audit verify "$T/h" >/dev/null
echo "pkcs11-ped: ok"
