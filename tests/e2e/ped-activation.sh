#!/bin/sh
# An activated CO (or CU) logs in with the challenge secret alone; after
# deactivation it needs its shares again; the PO is never activated;
# credential changes need the shares.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helpers/ped.sh"
ped_setup h
CH=$(pinfile ch "nightly-challenge-1")
CU_CH=$(pinfile cuch "cu-challenge-22")
BADCH=$(pinfile badch "not-the-challenge")
hsm key generate "$P" --type aes --label k1 $(co 1 2) >/dev/null

# not activated yet: the challenge alone is refused
expect_exit 3 hsm key list "$P" --challenge-file "$CH"
grep -q "not activated: log in with its shares" "$T/.err" || fail "not activated hint"

# the PO can never be activated (refused before any share is read)
before=$(state_of h)
expect_exit 3 hsm role activate "$P" --role po $(po 1 2 3) --challenge-file "$CH"
grep -q "partition SO can never be activated" "$T/.err" || fail "PO refusal"
[ "$(state_of h)" = "$before" ] || fail "PO activation changed hsm.db"

# a challenge shorter than 8 characters is refused
short=$(pinfile short "abc")
expect_exit 1 hsm role activate "$P" --role co $(co 1 2) --challenge-file "$short"
grep -q "at least 8" "$T/.err" || fail "short challenge"

# activate the CO with two of its shares
hsm role activate "$P" --role co $(co 2 3) --challenge-file "$CH" >/dev/null
hsm partition show "$P" --json >"$T/p.json"
json_has '"role":"co","initialized":true,"failed_logins":0,"locked":false,"activated":true' "$T/p.json"
# the challenge secret alone logs in: keys are made and used
hsm key generate "$P" --type aes --label k2 --challenge-file "$CH" >/dev/null
hsm key list "$P" --challenge-file "$CH" >"$T/list"
grep -q "^k1 " "$T/list" && grep -q "^k2 " "$T/list" || fail "challenge session sees keys"
printf 'hello' >"$T/msg"
hsm key encrypt "$P" --label k1 --in "$T/msg" --out "$T/ct" --challenge-env XCH 2>/dev/null &&
	fail "an unset variable must not log in"
XCH=nightly-challenge-1 hsm key encrypt "$P" --label k1 --in "$T/msg" --out "$T/ct" --challenge-env XCH
hsm key decrypt "$P" --label k1 --in "$T/ct" $(co 1 3) | grep -q hello || fail "round trip"
# a wrong challenge is a counted failed login
expect_exit 3 hsm key list "$P" --challenge-file "$BADCH"
grep -q "wrong challenge secret (1 of 10" "$T/.err" || fail "wrong challenge counted"
hsm key list "$P" --challenge-file "$CH" >/dev/null
hsm partition show "$P" --json >"$T/p.json"
json_has '"role":"co","initialized":true,"failed_logins":0' "$T/p.json"
# shares and a challenge together are a usage error
expect_exit 2 hsm key list "$P" --challenge-file "$CH" $(co 1 2)

# whoever holds the challenge cannot take the credential from the holders
expect_exit 3 hsm role change "$P" --role co --challenge-file "$CH" --m 2 --n 3 --shares-out "$T/co2"
grep -q "needs the co's shares, not the activation challenge" "$T/.err" || fail "change via challenge"
[ ! -e "$T/co2/co-1-of-3.cshare" ] || fail "share files of a refused change left behind"

# the CU too, under its own challenge
hsm role init "$P" --role cu $(co 1 2) --m 1 --n 1 --shares-out "$T/cu" >/dev/null 2>&1
hsm role activate "$P" --role cu --share "$T/cu/cu-1-of-1.cshare" --challenge-file "$CU_CH" >/dev/null
hsm key list "$P" --role cu --challenge-file "$CU_CH" | grep -q "^k2 " || fail "CU by challenge"
expect_exit 3 hsm key list "$P" --role cu --challenge-file "$CH"  # counted: 1 of 10

# deactivation: the challenge stops working, the shares still do
hsm role deactivate "$P" --role co --challenge-file "$CH" | grep -q "deactivated" || fail "deactivate"
expect_exit 3 hsm key list "$P" --challenge-file "$CH"
grep -q "not activated" "$T/.err" || fail "challenge after deactivation"
hsm key list "$P" $(co 1 3) | grep -q "^k2 " || fail "shares after deactivation"
hsm role deactivate "$P" --role co $(co 1 2) | grep -q "was not activated" || fail "second deactivate"
hsm partition show "$P" --json >"$T/p.json"
json_has '"role":"co","initialized":true,"failed_logins":0,"locked":false,"activated":false' "$T/p.json"
json_has '"role":"cu","initialized":true,"failed_logins":1,"locked":false,"activated":true' "$T/p.json"

# the PO may deactivate a role with its own shares (a leaked challenge);
# the CU may not deactivate the CO
hsm role activate "$P" --role co $(co 1 2) --challenge-file "$CH" >/dev/null
expect_exit 3 hsm role deactivate "$P" --role co --by cu --challenge-file "$CU_CH"
grep -q "the co itself or the PO deactivates it" "$T/.err" || fail "CU deactivating the CO"
hsm role deactivate "$P" --role co --by po $(po 2 4 5) | grep -q "co deactivated" ||
	fail "PO deactivates the CO"
expect_exit 3 hsm key list "$P" --challenge-file "$CH"

# the PO's activation policy: off drops every activation and refuses new
# ones; on again, the shares activate again
hsm role activate "$P" --role co $(co 1 2) --challenge-file "$CH" >/dev/null
hsm partition policy set "$P" activation off $(po 1 2 3) >/dev/null
expect_exit 3 hsm key list "$P" --challenge-file "$CH"
grep -q "does not allow activation" "$T/.err" || fail "policy off refuses the challenge"
expect_exit 3 hsm key list "$P" --role cu --challenge-file "$CU_CH"
expect_exit 3 hsm role activate "$P" --role co $(co 1 2) --challenge-file "$CH"
grep -q "activation' partition policy" "$T/.err" || fail "policy off refuses activation"
hsm partition policy show "$P" --json >"$T/pol.json"
json_has '"name":"activation","value":0' "$T/pol.json"
hsm partition policy set "$P" activation on $(po 1 2 3) >/dev/null
expect_exit 3 hsm key list "$P" --challenge-file "$CH"
grep -q "not activated" "$T/.err" || fail "turning the policy on brings nothing back"
hsm role activate "$P" --role cu --share "$T/cu/cu-1-of-1.cshare" --challenge-file "$CU_CH" >/dev/null

# a credential change by the share holders drops the CU's activation
hsm role change "$P" --role cu --share "$T/cu/cu-1-of-1.cshare" --m 2 --n 2 --shares-out "$T/cu2" >/dev/null 2>&1
expect_exit 3 hsm key list "$P" --role cu --challenge-file "$CU_CH"
hsm key list "$P" --role cu --share "$T/cu2/cu-1-of-2.cshare" --share "$T/cu2/cu-2-of-2.cshare" >/dev/null

# every step is in the audit log, and the chain holds
hsm audit show "$T/h" >"$T/audit"
grep -q "activate .*co .*key-use cache under a challenge" "$T/audit" || fail "audit: activate"
grep -q "login .*ok .*co .*by activation challenge" "$T/audit" || fail "audit: challenge login"
grep -q "deactivate .*co .*deactivated by the co" "$T/audit" || fail "audit: deactivate"
grep -q "deactivate .*co .*deactivated by the po" "$T/audit" || fail "audit: PO deactivates"
grep -q "deactivate .*cu .*credential changed" "$T/audit" || fail "audit: drop on change"
grep -q "deactivate .*co .*partition policy activation turned off" "$T/audit" ||
	fail "audit: drop by policy"
hsm audit verify "$T/h" >/dev/null
# the challenge secrets are nowhere in the HSM directory
for s in nightly-challenge-1 cu-challenge-22; do
	! grep -r -q -F "$s" "$T/h" || fail "challenge '$s' stored in clear"
done

# a password HSM has nothing to activate
pw=$(pinfile pwfile "password-1")
hsm init "$T/pw" --label pw --kdf test --pin-file "$pw" >/dev/null
expect_exit 1 hsm role activate "hsm:$T/pw#x" --role co --challenge-file "$CH"
grep -q "activation is for PED HSMs" "$T/.err" || fail "password HSM activation"
echo "ped-activation: ok"
