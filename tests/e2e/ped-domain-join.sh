#!/bin/sh
# A second PED HSM's partition joins the first one's PED cloning domain at
# `hsm partition init --domain-share` (no password anywhere); the two show
# the same fingerprint and clone with the source CO activated (challenge)
# and the target CO by shares. Domain shares of two sets, or too few, are
# refused before anything is written.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helpers/ped.sh"
ped_setup h
CH=$(pinfile ch "nightly-challenge-1")
hsm key generate "$P" --type aes --label k1 $(co 1 2) >/dev/null
hsm role activate "$P" --role co $(co 2 3) --challenge-file "$CH" >/dev/null

# a second PED HSM and its partition q1
Q="hsm:$T/h2#q1"
hsm init "$T/h2" --label ped2 --kdf test --ped --m 1 --n 1 --shares-out "$T/so2" >/dev/null 2>&1
hsm partition create "$Q" --share "$T/so2/so-1-of-1.cshare" >/dev/null

# refused before anything is written: domain shares mixed with another
# set's, too few of them, an existing domain and a new one at once
before=$(state_of h2)
expect_exit 3 hsm partition init "$Q" --m 2 --n 2 --shares-out "$T/qpo" \
	--domain-share "$T/dom/domain-1-of-3.cshare" --domain-share "$T/so/so-2-of-3.cshare"
grep -q "different share sets" "$T/.err" || fail "mixed domain shares"
expect_exit 3 hsm partition init "$Q" --m 2 --n 2 --shares-out "$T/qpo" \
	--domain-share "$T/dom/domain-1-of-3.cshare"
grep -q "too few shares" "$T/.err" || fail "too few domain shares"
expect_exit 2 hsm partition init "$Q" --m 2 --n 2 --shares-out "$T/qpo" \
	--domain-share "$T/dom/domain-1-of-3.cshare" --domain-share "$T/dom/domain-2-of-3.cshare" \
	--domain-shares-out "$T/qdom"
grep -q "not both" "$T/.err" || fail "existing and new domain at once"
[ ! -e "$T/qpo" ] || fail "PO shares of a refused init left behind"
[ "$(state_of h2)" = "$before" ] || fail "refused inits changed hsm.db"

# join the domain with two of its three shares
hsm partition init "$Q" --m 2 --n 2 --shares-out "$T/qpo" \
	--domain-share "$T/dom/domain-1-of-3.cshare" \
	--domain-share "$T/dom/domain-3-of-3.cshare" >/dev/null 2>&1
[ ! -e "$T/qdom" ] || fail "no new domain set when joining one"
qpo="--share $T/qpo/po-1-of-2.cshare --share $T/qpo/po-2-of-2.cshare"
hsm role init "$Q" --role co $qpo --m 1 --n 1 --shares-out "$T/qco" >/dev/null 2>&1
domains list "$P" $(po 1 2 3) --json >"$T/p.json"
domains list "$Q" $qpo --json >"$T/q.json"
fp=$(sed 's/.*"type":"ped","primary":true,"fingerprint":"\([^"]*\)".*/\1/' "$T/p.json")
[ -n "$fp" ] && json_has "\"fingerprint\":\"$fp\"" "$T/q.json"

# clone: the source CO by its challenge (no shares), the target by shares
clone --from "$P" --to "$Q" --from-challenge-file "$CH" \
	--to-share "$T/qco/co-1-of-1.cshare" --json >"$T/r.json"
json_has '"written":1' "$T/r.json"
hsm key list "$Q" --share "$T/qco/co-1-of-1.cshare" | grep -q "^k1 " || fail "k1 cloned"
hsm audit show "$T/h" >"$T/audit"
grep -q "login .*ok .*co .*p1 .*by activation challenge" "$T/audit" ||
	fail "the clone's challenge use is audited"
hsm audit verify "$T/h" >/dev/null
hsm audit verify "$T/h2" >/dev/null
echo "ped-domain-join: ok"
