#!/bin/sh
# A partition label that starts with '-' or '.' gives a backup name every
# tool takes as a name, not an option, nor a hidden file (issue 11, item 7):
# list, show, verify and restore work on it as written, with no `--`.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/backup.sh"

hsm_setup h
hsm partition create "hsm:$T/h#-pay" --pin-file "$SO" >/dev/null
hsm partition init "hsm:$T/h#-pay" --new-pin-file "$PO" --domain-pin-file "$DOM" --domain-string "$(domstr "$DOM")" >/dev/null
hsm role init "hsm:$T/h#-pay" --role co --pin-file "$PO" --new-pin-file "$CO" >/dev/null
hsm key generate "hsm:$T/h#-pay" --type aes --label k --pin-file "$CO" >/dev/null
store_init s
name=$(backupd backup --from "hsm:$T/h#-pay" --to "dir:$T/s" --pin-file "$CO" \
	--backup-pin-file "$BK" --kdf test)
case "$name" in
_pay_*.cbk) ;;
*) fail "backup name '$name' for label -pay" ;;
esac
restore show --from "dir:$T/s" "$name" --json | jq -e '.label == "-pay"' >/dev/null ||
	fail "show: the manifest keeps the real label"
restore verify --from "dir:$T/s" "$name" >/dev/null
restore --from "dir:$T/s" --backup "$name" --to "hsm:$T/h#-pay" --replace \
	--pin-file "$CO" --backup-pin-file "$BK" >/dev/null
echo "backup-odd-labels: ok"
