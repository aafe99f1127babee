#!/bin/sh
# Two HSMs, each with a partition labelled `payments`, back up into one
# store: a backup names its source by partition serial, so both series land
# side by side; `backupd run` retention (keep last 1) keeps one backup per
# series and never touches a backup made by hand under another label; and
# `restore list --source` picks the right HSM's backup; after HSM b is
# lost, the disaster-recovery runbook, run as written, restores b's backup
# although a's backup of the same label is newer: b's keys prove
# themselves, a's are not there.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/backup.sh"

# payments_on DIR KEY: HSM DIR with a partition "payments" holding key KEY.
payments_on() {
	hsm_setup "$1"
	hsm partition create "hsm:$T/$1#payments" --pin-file "$SO" >/dev/null
	hsm partition init "hsm:$T/$1#payments" --new-pin-file "$PO" \
		--domain-pin-file "$DOM" --domain-string "$(domstr "$DOM")" >/dev/null
	hsm role init "hsm:$T/$1#payments" --role co --pin-file "$PO" \
		--new-pin-file "$CO" >/dev/null
	hsm key generate "hsm:$T/$1#payments" --type aes --label "$2" \
		--pin-file "$CO" >/dev/null
	hsm key generate "hsm:$T/$1#payments" --type ec --label sig \
		--pin-file "$CO" >/dev/null
	hsm key generate "hsm:$T/$1#payments" --type aes --label enc \
		--pin-file "$CO" >/dev/null
}
serial_of() {
	hsm partition show "hsm:$T/$1#payments" --json | jq -r .serial
}

payments_on a key-of-a
payments_on b key-of-b
sa=$(serial_of a)
sb=$(serial_of b)
[ "$sa" != "$sb" ] || fail "two partitions share serial $sa"
ha=$(hsm show "$T/a" --json | jq -r .serial)
store_init s

# A backup by hand of another partition (p1 of HSM a): no job's series.
hand=$(backup_of a s)

cat >"$T/conf" <<CONF
store dir:$T/s
interval 1s
keep last 1
job pay-a from=hsm:$T/a#payments pin-file=$CO backup-pin-file=$BK kdf=test
job pay-b from=hsm:$T/b#payments pin-file=$CO backup-pin-file=$BK kdf=test
CONF
for run in 1 2 3; do
	expect_exit 0 backupd run --config "$T/conf" --once
done

# One backup per series is left (keep last 1), and the hand-made one.
restore list --from "dir:$T/s" --json >"$T/list"
[ "$(jq '.backups | length' "$T/list")" -eq 3 ] ||
	{ jq . "$T/list" >&2; fail "want 3 backups: one per series and p1's"; }
[ "$(jq "[.backups[] | select(.serial == \"$sa\")] | length" "$T/list")" \
	-eq 1 ] || fail "series of HSM a: want exactly one backup"
[ "$(jq "[.backups[] | select(.serial == \"$sb\")] | length" "$T/list")" \
	-eq 1 ] || fail "series of HSM b: want exactly one backup"
jq -e ".backups[] | select(.name == \"$hand\")" "$T/list" >/dev/null ||
	fail "the jobs' retention removed a backup of another label"
# Four were soft-deleted: two per series, none of p1.
[ "$(backupd trash "dir:$T/s" --json | jq '.trash | length')" -eq 4 ] ||
	fail "want 4 backups in the trash"
backupd trash "dir:$T/s" --json | jq -r '.trash[].name' | grep -q '^p1_' &&
	fail "a backup of p1 went to the trash"

# Names and the manifest say which source a backup is of.
na=$(restore list --from "dir:$T/s" --source "$sa" --latest)
nb=$(restore list --from "dir:$T/s" --source "$sb" --latest)
case "$na" in "payments_${sa}_"*.cbk) ;; *) fail "name of a's backup: $na" ;; esac
case "$nb" in "payments_${sb}_"*.cbk) ;; *) fail "name of b's backup: $nb" ;; esac
restore show --from "dir:$T/s" "$na" --json >"$T/show"
[ "$(jq -r .hsm_serial "$T/show")" = "$ha" ] || fail "show: the source HSM"
[ "$(jq -r '.domains[0].label' "$T/show")" = default ] || fail "show: domains"
# --source also takes the HSM serial; --label filters by partition label.
restore list --from "dir:$T/s" --source "$ha" --json |
	jq -e ".backups | length == 2" >/dev/null ||
	fail "--source HSM-SERIAL: want a's two backups (payments and p1)"
restore list --from "dir:$T/s" --label payments --json |
	jq -e ".backups | length == 2" >/dev/null || fail "--label payments"
expect_exit 1 restore list --from "dir:$T/s" --source 999 --latest
grep -q "no backup .* matches" "$T/.err" || fail "--latest without a match"

# HSM b's proof material, then a newer backup of a's payments (by hand):
# the newest backup labelled payments is now a's.
mkdir "$T/proof"
echo "signed by HSM b before the disaster" >"$T/proof/message"
hsm key sign "hsm:$T/b#payments" --label sig --in "$T/proof/message" \
	--out "$T/proof/message.sig" --pin-file "$CO"
hsm key encrypt "hsm:$T/b#payments" --label enc --in "$T/proof/message" \
	--out "$T/proof/message.enc" --pin-file "$CO"
# (a second later at least: backups of one second order by name)
sleep 1
backupd backup --from "hsm:$T/a#payments" --to "dir:$T/s" --pin-file "$CO" \
	--backup-pin-file "$BK" --kdf test >/dev/null
[ "$(restore list --from "dir:$T/s" --label payments --latest)" != "$nb" ] ||
	fail "setup: b's backup is still the newest of the label"

# HSM b is lost; the runbook brings its partition back from b's series.
hsm zeroize "$T/b" --tamper >/dev/null
mkdir -m 700 "$T/cred"
for f in so po co cu dom:domain bk:backup; do
	cp "$T/${f%%:*}" "$T/cred/${f#*:}.pin"
done
chmod 600 "$T/cred"/*.pin
runbook_script "$here/../../docs/runbooks/disaster-recovery.md"
HSM_DIR="$T/b" HSM_LABEL=e2e PARTITION=payments SOURCE_SERIAL="$sb" \
	DOMAIN_LABEL=default KDF=test STORE="$T/s" CRED="$T/cred" \
	DOMAIN_STRING="$(domstr "$DOM")" \
	PROOF_DIR="$T/proof" SIGN_KEY=sig ENC_KEY=enc \
	sh -eu "$T/runbook.sh" >"$T/runbook.out" 2>&1 || {
	tail -20 "$T/runbook.out" >&2
	fail "the runbook failed"
}
grep -q "proof: the restored keys are the keys of $nb" "$T/runbook.out" ||
	fail "the runbook did not restore b's backup $nb"
hsm key list "hsm:$T/b#payments" --pin-file "$CO" --json >"$T/keys"
jq -e '[.objects[].label] | sort == ["enc", "key-of-b", "sig"]' "$T/keys" \
	>/dev/null || { cat "$T/keys" >&2; fail "the rebuilt partition is not b's"; }
echo "backup-two-sources: ok"
