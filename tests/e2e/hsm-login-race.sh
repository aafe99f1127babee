#!/bin/sh
# Lockout cannot be raced (issue 12): a login decides only on what holds
# inside the write transaction that records it.
# - a right CO login stopped after its KDF while 10 wrong ones lock the CO:
#   refused, exit 3, and it lists nothing;
# - a right PO login stopped after its KDF while 10 wrong ones zeroize the
#   partition: refused;
# - 24 wrong CO logins and a right one started together: in the audit log
#   no CO login succeeds after the lockout record.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"

hsm_setup h
P="hsm:$T/h#p1"
hsm key generate "$P" --type aes --label k --pin-file "$CO" >/dev/null
wrong() { # wrong ROLE N: N wrong logins of ROLE, one after another
	i=0
	while [ "$i" -lt "$2" ]; do
		hsm key list "$P" --role "$1" --pin-file "$BAD" >/dev/null 2>&1 || true
		i=$((i + 1))
	done
}

# 1. a right CO login paused while the CO is locked
paused right hsm key list "$P" --pin-file "$CO"
wrong co 10
go right
set +e
wait "$pid"
rc=$?
set -e
[ "$rc" -eq 3 ] || { cat "$T/right.out" "$T/right.err"; fail "the paused right login exited $rc after the lockout"; }
grep -q "locked out while this login ran" "$T/right.err" || fail "the refusal does not say why"
[ ! -s "$T/right.out" ] || fail "the refused login listed keys"
hsm partition show "$P" --json | jq -e '.roles[] | select(.role == "co") | .locked' \
	>/dev/null || fail "the CO is not locked"

# 2. a right PO login paused across the partition's zeroization
hsm_setup h2
P2="hsm:$T/h2#p1"
paused po hsm role login-check "$P2" --role po --pin-file "$PO"
i=0
while [ "$i" -lt 10 ]; do
	domains list "$P2" --role po --pin-file "$BAD" >/dev/null 2>&1 || true
	i=$((i + 1))
done
go po
set +e
wait "$pid"
rc=$?
set -e
[ "$rc" -eq 3 ] || { cat "$T/po.out" "$T/po.err"; fail "a PO login across the zeroization exited $rc"; }
grep -q "zeroized" "$T/po.err" || { cat "$T/po.err"; fail "the PO refusal does not say why"; }

# 3. 24 wrong and one right CO login at once
hsm_setup h3
P3="hsm:$T/h3#p1"
i=0
while [ "$i" -lt 24 ]; do
	hsm key list "$P3" --pin-file "$BAD" >/dev/null 2>&1 &
	i=$((i + 1))
	[ "$i" -eq 12 ] && { hsm key list "$P3" --pin-file "$CO" >/dev/null 2>&1 & }
done
wait
awk '/"event":"lockout".*"role":"co"/ { locked = 1 }
	locked && /"event":"login","result":"ok","role":"co"/ { bad = 1 }
	END { exit bad }' "$T/h3/audit.log" ||
	fail "a CO login succeeded after the lockout committed"
grep -q '"event":"lockout".*"role":"co"' "$T/h3/audit.log" || fail "24 wrong logins did not lock the CO"
hsm audit verify "$T/h3" >/dev/null
echo "hsm-login-race: ok"
