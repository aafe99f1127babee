#!/bin/sh
# Two HSMs, each with a partition labelled `payments`, back up into one
# store: a backup names its source by partition serial, so both series land
# side by side; `backupd run` retention (keep last 1) keeps one backup per
# series and never touches a backup made by hand under another label; and
# `restore list --source` picks the right HSM's backup, which restores that
# HSM's keys and not the other's.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/backup.sh"

# payments_on DIR KEY: HSM DIR with a partition "payments" holding key KEY.
payments_on() {
	hsm_setup "$1"
	hsm partition create "hsm:$T/$1#payments" --pin-file "$SO" >/dev/null
	hsm partition init "hsm:$T/$1#payments" --new-pin-file "$PO" \
		--domain-pin-file "$DOM" >/dev/null
	hsm role init "hsm:$T/$1#payments" --role co --pin-file "$PO" \
		--new-pin-file "$CO" >/dev/null
	hsm key generate "hsm:$T/$1#payments" --type aes --label "$2" \
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

# HSM b is lost: its partition is rebuilt empty and restored from b's backup,
# picked by source serial although a's backup of the same label is newer or
# older: b's key comes back, a's does not.
hsm zeroize "$T/b" --tamper >/dev/null
rm -rf "$T/b"
payments_on b placeholder
hsm key delete "hsm:$T/b#payments" --label placeholder --pin-file "$CO" \
	>/dev/null
restore --from "dir:$T/s" --backup "$nb" --to "hsm:$T/b#payments" \
	--pin-file "$CO" --backup-pin-file "$BK" --replace >/dev/null
hsm key list "hsm:$T/b#payments" --pin-file "$CO" --json >"$T/keys"
jq -e '[.objects[].label] == ["key-of-b"]' "$T/keys" >/dev/null ||
	{ cat "$T/keys" >&2; fail "the rebuilt partition does not hold b's key"; }
echo "backup-two-sources: ok"
