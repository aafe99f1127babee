#!/bin/sh
# The disaster-recovery runbook brings the whole partition back, not only
# its keys: a partition with three cloning domains (two password domains and
# a PED domain), non-default policies and an HA peer on another HSM is lost
# to a tamper; after every ```sh block of the runbook, run as written,
# `hsm partition show` and `domains list` match the old ones apart from
# the serials, the runbook's own `clone --sync` rejoined the peer, and a
# later sync to the peer works both ways.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/backup.sh"

runbook="$here/../../docs/runbooks/disaster-recovery.md"

# Before the disaster: p1 with three domains and its own policies...
bk_setup h 20
P="hsm:$T/h#p1"
D2=$(pinfile d2 "second-site-domain")
domains add "$P" --label site-b --domain-pin-file "$D2" --domain-string "$(domstr "$D2")" \
	--pin-file "$PO" >/dev/null
domains create --type ped --m 2 --n 3 --out-dir "$T/pedset" >/dev/null 2>&1
domains add "$P" --label vault-ped \
	--domain-share "$T/pedset/domain-1-of-3.cshare" \
	--domain-share "$T/pedset/domain-3-of-3.cshare" \
	--pin-file "$PO" >/dev/null
hsm partition policy set "$P" lockout 4 --pin-file "$PO" >/dev/null
hsm partition policy set "$P" storage-size 3000000 --pin-file "$PO" >/dev/null

# ...and an HA peer on HSM g sharing the second domain only.
hsm init "$T/g" --label peer --kdf test --pin-file "$SO" >/dev/null
PEER="hsm:$T/g#p1"
hsm partition create "$PEER" --pin-file "$SO" >/dev/null
hsm partition init "$PEER" --new-pin-file "$PO" --domain-label site-b \
	--domain-pin-file "$D2" --domain-string "$(domstr "$D2")" >/dev/null
hsm role init "$PEER" --role co --pin-file "$PO" --new-pin-file "$CO" \
	>/dev/null
clone --from "$P" --to "$PEER" --sync --from-pin-file "$CO" \
	--to-pin-file "$CO" >/dev/null

mkdir "$T/proof"
echo "signed before the disaster" >"$T/proof/message"
hsm key sign "$P" --label sig --in "$T/proof/message" \
	--out "$T/proof/message.sig" --pin-file "$CO"
hsm key encrypt "$P" --label enc --in "$T/proof/message" \
	--out "$T/proof/message.enc" --pin-file "$CO"
show_of() { # the partition's facts without its serial
	hsm partition show "$1" --json | jq -S 'del(.serial, .created,
		.initialized, .roles, .used, .id)'
}
show_of "$P" >"$T/show.before"
domains list "$P" --role co --pin-file "$CO" --json |
	jq -S '[.domains[] | {label: .label, type: .type, fingerprint: .fingerprint, primary: .primary}]' >"$T/doms.before"
[ "$(jq length "$T/doms.before")" -eq 3 ] || fail "setup: want 3 domains"
store_init s
backup_of h s >/dev/null
SOURCE_SERIAL=$(hsm partition show "$P" --json | jq -r .serial)

# The disaster.
hsm zeroize "$T/h" --tamper >/dev/null

# Step 2's files, as the holders would write them: the further domains in
# $CRED/domains (a password file, and M share files of the PED domain).
mkdir -m 700 "$T/cred" "$T/cred/domains" "$T/cred/domains/vault-ped"
for f in so po co cu dom:domain bk:backup co:peer-co; do
	cp "$T/${f%%:*}" "$T/cred/${f#*:}.pin"
done
cp "$D2" "$T/cred/domains/site-b.pin"
cp "$T/pedset/domain-2-of-3.cshare" "$T/pedset/domain-3-of-3.cshare" \
	"$T/cred/domains/vault-ped/"
chmod 600 "$T/cred"/*.pin "$T/cred/domains/site-b.pin" \
	"$T/cred/domains/vault-ped"/*

# A key made on the peer while the partition was down comes back by sync.
hsm key generate "$PEER" --type aes --label made-on-peer --pin-file "$CO" \
	>/dev/null

runbook_script "$runbook"
HSM_DIR="$T/h" HSM_LABEL=e2e PARTITION=p1 DOMAIN_LABEL=default KDF=test \
	DOMAIN_STRING="$(domstr "$DOM")" \
	SOURCE_SERIAL="$SOURCE_SERIAL" HA_PEER="$PEER" \
	STORE="$T/s" CRED="$T/cred" PROOF_DIR="$T/proof" SIGN_KEY=sig \
	ENC_KEY=enc sh -eu "$T/runbook.sh" >"$T/runbook.out" 2>&1 || {
	tail -30 "$T/runbook.out" >&2
	fail "the runbook failed"
}
grep -q "serial $SOURCE_SERIAL before, [0-9]* now" "$T/runbook.out" ||
	fail "the runbook did not report the serial change"

# Everything but the serials is as it was.
hsm key delete "$P" --label made-on-peer --pin-file "$CO" >/dev/null
show_of "$P" >"$T/show.after"
diff "$T/show.before" "$T/show.after" >&2 ||
	fail "hsm partition show differs from before the disaster"
domains list "$P" --role co --pin-file "$CO" --json |
	jq -S '[.domains[] | {label: .label, type: .type, fingerprint: .fingerprint, primary: .primary}]' >"$T/doms.after"
diff "$T/doms.before" "$T/doms.after" >&2 || fail "the domains differ"
[ "$(hsm partition show "$P" --json | jq -r .serial)" != "$SOURCE_SERIAL" ] ||
	fail "the rebuilt partition kept the old serial"

# The runbook's sync brought the peer's new key over; a sync to the peer
# works (identical objects, nothing written).
clone --from "$PEER" --to "$P" --sync --from-pin-file "$CO" \
	--to-pin-file "$CO" --json >"$T/sync1"
jq -e '.written == 1' "$T/sync1" >/dev/null ||
	{ cat "$T/sync1" >&2; fail "sync from the peer after DR"; }
clone --from "$P" --to "$PEER" --sync --from-pin-file "$CO" \
	--to-pin-file "$CO" --json >"$T/sync2"
jq -e '.written == 0 and .result == "ok"' "$T/sync2" >/dev/null ||
	{ cat "$T/sync2" >&2; fail "sync to the peer after DR"; }
echo "dr-runbook-complete: ok"
