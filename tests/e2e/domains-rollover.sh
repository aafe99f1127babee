#!/bin/sh
# The documented rollover path (docs/domains.md), here also a migration
# from a password domain to a PED one: add the new domain as primary on
# every member, re-clone, remove the old. Afterwards clones run under the
# new domain and a partition that still holds only the old one is refused.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helpers/hsm.sh"
. "$(dirname "$0")/helpers/clone.sh"
pair_new
part_new b stale "$DOM"     # a member nobody rolled over
hsm key generate "hsm:$T/a#p1" --type aes --label k --count 5 --pin-file "$CO" >/dev/null
cl a#p1 b#p1 >/dev/null

# 1. the new domain, kept as a 2-of-3 share set
domains create --type ped --m 2 --n 3 --out-dir "$T/new" >/dev/null
# 2. on every member, as primary
for p in a#p1 b#p1; do
	domains add "hsm:$T/$p" --label new --primary --domain-share "$T/new/domain-1-of-3.cshare" \
		--domain-share "$T/new/domain-2-of-3.cshare" --pin-file "$PO" >/dev/null
done
# 3. re-clone: the session now runs under the new domain
hsm key generate "hsm:$T/a#p1" --type ec --label after --pin-file "$CO" >/dev/null
cl a#p1 b#p1 --sync --json >"$T/r.json"
json_has '"domain":"new"' "$T/r.json"
json_has '"written":1' "$T/r.json"
# 4. remove the old domain everywhere it was rolled over
for p in a#p1 b#p1; do
	domains remove "hsm:$T/$p" default --pin-file "$PO" >/dev/null
	domains list "hsm:$T/$p" --pin-file "$PO" --json >"$T/l.json"
	json_has '"label":"new","type":"ped","primary":true' "$T/l.json"
	grep -q '"default"' "$T/l.json" && fail "old domain still on $p"
done
cl a#p1 b#p1 --sync --json >"$T/r2.json"
json_has '"domain":"new"' "$T/r2.json"
# the member still on the old domain can no longer receive
before=$(state b)
expect_exit 3 cl a#p1 b#stale
grep -q "no cloning domain in common" "$T/.err" || fail "old domain retired"
[ "$(state b)" = "$before" ] || fail "stale member changed"
# ... until its PO rolls it over too (any two shares of the set)
domains add "hsm:$T/b#stale" --label new --domain-share "$T/new/domain-3-of-3.cshare" \
	--domain-share "$T/new/domain-1-of-3.cshare" --pin-file "$PO" >/dev/null
cl a#p1 b#stale --json >"$T/r3.json"
json_has '"written":6' "$T/r3.json"
echo "domains-rollover: ok"
