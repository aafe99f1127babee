#!/bin/sh
# A share set the HSM does not know is refused before any login and counts
# nothing: a complete forged set (here 32 random bytes split 2 of 3, as an
# attacker with share files of their own would make) given for the CO
# twelve times, and for the HSM SO three times, moves no failure counter,
# locks nothing and zeroizes nothing; the genuine sets still log in. The
# set is known from the moment the credential is made, and a credential
# change makes the new set the known one.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helpers/ped.sh"
ped_setup h
failed() {
	hsm partition show "$P" --json |
		jq ".roles[] | select(.role == \"$1\") | .failed_logins"
}

mofn split --m 2 --n 3 --random 32 --out-dir "$T/forged" 2>/dev/null
forged="--share $T/forged/share-1-of-3.cshare --share $T/forged/share-2-of-3.cshare"
i=0
while [ $i -lt 12 ]; do
	# shellcheck disable=SC2086
	expect_exit 3 hsm key list "$P" $forged
	i=$((i + 1))
done
grep -q "not of the share set that holds this credential.*no login was attempted" \
	"$T/.err" || { cat "$T/.err" >&2; fail "the refusal does not say why"; }
[ "$(failed co)" -eq 0 ] || fail "a forged set counted: $(failed co) failures"
hsm partition show "$P" --json |
	jq -e '.roles[] | select(.role == "co") | .locked == false' >/dev/null ||
	fail "the CO is locked"
hsm key list "$P" $(co 1 3) >/dev/null || fail "the genuine CO set no longer logs in"

# Three forged SO sets would zeroize the HSM if they counted.
i=0
while [ $i -lt 3 ]; do
	# shellcheck disable=SC2086
	expect_exit 3 hsm policy set "$T/h" so-reset-pin 0 $forged
	i=$((i + 1))
done
hsm show "$T/h" --json | jq -e '.state == "initialized" and .so_failed_logins == 0' \
	>/dev/null || { hsm show "$T/h" --json >&2; fail "forged SO sets counted"; }
hsm policy set "$T/h" so-reset-pin 0 $(so 1 2) >/dev/null ||
	fail "the genuine SO set no longer logs in"

# A credential change: the new set logs in, the old one is now foreign.
hsm role change "$P" --role co $(co 1 2) --m 2 --n 3 --shares-out "$T/co2" \
	>/dev/null 2>&1
hsm key list "$P" --share "$T/co2/co-1-of-3.cshare" \
	--share "$T/co2/co-3-of-3.cshare" >/dev/null || fail "the new CO set"
expect_exit 3 hsm key list "$P" $(co 1 2)
[ "$(failed co)" -eq 0 ] || fail "the old set counted after the change"
echo "ped-forged-set: ok"
