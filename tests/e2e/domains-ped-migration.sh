#!/bin/sh
# Migration between a PED partition and a password partition (docs/domains.md,
# domain migration): with no domain in common the clone is refused; the
# PED partition's PO (logging in with shares) adds the password domain, the
# clone runs (CO by shares on one side, by password on the other); then the
# password partition takes the PED domain from its share files, drops its
# password domain, and objects move back under the PED domain.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helpers/ped.sh"
# the password HSM's secrets (helpers/hsm.sh's names would clash with the
# PED share directories $T/so, $T/po, $T/co)
SO=$(pinfile so-pin "so-secret-1")
PO=$(pinfile po-pin "po-secret-1")
CO=$(pinfile co-pin "co-secret-1")
DOM=$(pinfile dom-pin "domain-secret-1")
. "$(dirname "$0")/helpers/clone.sh"
ped_setup h
hsm_new pw
part_new pw q1 "$DOM"
Q="hsm:$T/pw#q1"
from_co() { for i in "$@"; do printf -- '--from-share %s ' "$T/co/co-$i-of-3.cshare"; done; }
to_co() { for i in "$@"; do printf -- '--to-share %s ' "$T/co/co-$i-of-3.cshare"; done; }

hsm key generate "$P" --type ec --label ped-key $(co 1 2) >/dev/null
printf 'migrate\n' >"$T/msg"
hsm key sign "$P" --label ped-key --in "$T/msg" --out "$T/sig" $(co 2 3)

before=$(state pw)
expect_exit 3 clone --from "$P" --to "$Q" $(from_co 1 3) --to-pin-file "$CO"
grep -q "no cloning domain in common" "$T/.err" || fail "mismatch"
[ "$(state pw)" = "$before" ] || fail "target changed"
# a PED partition takes shares, not a password (usage, nothing read)
expect_exit 2 clone --from "$P" --to "$Q" --from-pin-file "$CO" --to-pin-file "$CO"

# the PED partition's PO adds the password partition's domain
domains add "$P" --label pw-link --domain-pin-file "$DOM" --domain-string "$(domstr "$DOM")" $(po 1 3 5) >/dev/null
domains list "$P" $(po 2 3 4) --json >"$T/h.json"
domains list "$Q" --pin-file "$PO" --json >"$T/q.json"
fp=$(sed 's/.*"label":"default","type":"password","primary":true,"fingerprint":"\([^"]*\)".*/\1/' "$T/q.json")
json_has "\"label\":\"pw-link\",\"type\":\"password\",\"primary\":false,\"fingerprint\":\"$fp\"" "$T/h.json"
clone --from "$P" --to "$Q" $(from_co 1 3) --to-pin-file "$CO" --json >"$T/r.json"
json_has '"domain":"pw-link"' "$T/r.json"
json_has '"written":1' "$T/r.json"
hsm key verify "$Q" --label ped-key --in "$T/msg" --signature "$T/sig" --pin-file "$CO" >/dev/null

# the password partition moves to the PED domain and retires its own
domains add "$Q" --label ped --primary --domain-share "$T/dom/domain-2-of-3.cshare" \
	--domain-share "$T/dom/domain-3-of-3.cshare" --pin-file "$PO" >/dev/null
domains remove "$Q" default --pin-file "$PO" >/dev/null
domains remove "$P" pw-link $(po 1 2 3) >/dev/null
hsm key generate "$Q" --type aes --label from-q --pin-file "$CO" >/dev/null
clone --from "$Q" --to "$P" --from-pin-file "$CO" $(to_co 2 3) --sync --json >"$T/back.json"
json_has '"domain":"ped"' "$T/back.json"
json_has '"sent":2,"written":1,"replaced":0,"skipped":1' "$T/back.json"
hsm key list "$P" $(co 1 3) | grep -q "^from-q " || fail "from-q on the PED partition"
hsm audit verify "$T/h" >/dev/null
hsm audit verify "$T/pw" >/dev/null
echo "domains-ped-migration: ok"
