#!/bin/sh
# hsm partition rekey on a PED HSM: the CO rekeys with its shares (an
# activation challenge is refused), the activations of the CO and CU are
# dropped (a cached secret is a credential) and made again from the
# shares; keys work for every role. And a login caught in its KDF while a
# rekey commits is refused (it read the old wrap), never answered with the
# old partition key.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helpers/ped.sh"
ped_setup h
CH=$(pinfile ch "nightly-challenge-1")
hsm role init "$P" --role cu $(co 1 2) --m 1 --n 1 --shares-out "$T/cu" \
	>/dev/null 2>&1
CUS="--share $T/cu/cu-1-of-1.cshare"
hsm key generate "$P" --type ec --label sig $(co 1 2) >/dev/null
printf 'hello' >"$T/m"
hsm key sign "$P" --label sig --in "$T/m" --out "$T/m.sig" $(co 1 2) >/dev/null
hsm role activate "$P" --role co $(co 2 3) --challenge-file "$CH" >/dev/null

# the challenge alone may not rekey
expect_exit 3 hsm partition rekey "$P" --challenge-file "$CH"
grep -q "shares, not the activation challenge" "$T/.err" || fail "challenge rekey"
hsm partition rekey "$P" $(co 1 3) >"$T/out"
grep -q "key generation 2" "$T/out" || fail "rekey: $(cat "$T/out")"
hsm audit show "$T/h" --json | grep '"deactivate"' | grep -q "partition rekeyed" ||
	fail "no deactivate line naming the rekey"
expect_exit 3 hsm key list "$P" --challenge-file "$CH"
grep -q "not activated" "$T/.err" || fail "activation survived the rekey"
hsm key verify "$P" --label sig --in "$T/m" --signature "$T/m.sig" \
	--role cu $CUS >/dev/null || fail "CU after the rekey"
hsm role activate "$P" --role co $(co 1 2) --challenge-file "$CH" >/dev/null
hsm key sign "$P" --label sig --in "$T/m" --out "$T/n.sig" \
	--challenge-file "$CH" >/dev/null || fail "challenge after re-activation"
hsm role login-check "$P" --role po $(po 1 2 3) >/dev/null

# a CU login paused after its KDF while the CO rekeys: refused, not stale
paused race hsm key sign "$P" --label sig --in "$T/m" --out "$T/r.sig" \
	--role cu $CUS
hsm partition rekey "$P" $(co 2 3) >/dev/null
go race
set +e
wait $pid
rc=$?
set -e
[ $rc -ne 0 ] || fail "a login from before the rekey signed"
grep -q "changed while this login ran" "$T/race.err" ||
	{ cat "$T/race.err"; fail "race message"; }
hsm key sign "$P" --label sig --in "$T/m" --out "$T/r.sig" --role cu $CUS \
	>/dev/null || fail "CU after the second rekey"
hsm audit verify "$T/h" >/dev/null
echo "hsm-rekey-ped ok"
