#!/bin/sh
# Every tool refuses a secret file (PIN, share, challenge) that group or
# others can read, exit 3, naming the file and the chmod that fixes it, and
# says so plainly when the path is a directory or a FIFO, not a file; after
# the chmod the same command works (issue 13; issue 11 item 7).
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/backup.sh"

bk_setup h 1
store_init s
P="hsm:$T/h#p1"
name=$(backup_of h s)
cp "$CO" "$T/open.pin"
chmod 0644 "$T/open.pin"
OPEN=$T/open.pin

refused() { # refused CMD...: exit 3 naming the file and the fix
	expect_exit 3 "$@"
	grep -q "secret file '$OPEN' can be read by its group and others (mode 0644)" "$T/.err" ||
		{ cat "$T/.err"; fail "$1: does not name the file and its mode"; }
	grep -q "chmod 600 $OPEN" "$T/.err" || fail "$1: does not name the fix"
}
refused hsm key list "$P" --pin-file "$OPEN"
hsm partition create "hsm:$T/h#p2" --pin-file "$SO" >/dev/null
refused hsm partition init "hsm:$T/h#p2" --new-pin-file "$PO" --domain-pin-file "$OPEN" --new-domain
refused domains list "$P" --role po --pin-file "$OPEN"
hsm_setup h2
refused clone --from "$P" --to "hsm:$T/h2#p1" --from-pin-file "$OPEN" --to-pin-file "$CO"
refused backupd backup --from "$P" --to "dir:$T/s" --pin-file "$OPEN" \
	--backup-pin-file "$BK" --kdf test
refused restore --from "dir:$T/s" --backup "$name" --to "$P" --add \
	--pin-file "$CO" --backup-pin-file "$OPEN"
refused mofn split --m 1 --n 1 --secret-file "$OPEN" --out-dir "$T/sh1"
# a share file readable by others
mofn split --m 2 --n 2 --random 32 --out-dir "$T/sh" >/dev/null 2>&1
chmod 0644 "$T/sh/share-1-of-2.cshare"
expect_exit 3 mofn verify "$T/sh/share-1-of-2.cshare" "$T/sh/share-2-of-2.cshare"
grep -q "chmod 600 $T/sh/share-1-of-2.cshare" "$T/.err" ||
	{ cat "$T/.err"; fail "mofn: a share file readable by others"; }
chmod 0600 "$T/sh/share-1-of-2.cshare"
mofn verify "$T/sh/share-1-of-2.cshare" "$T/sh/share-2-of-2.cshare" >/dev/null

# group-readable is refused too, and named as such
chmod 0640 "$OPEN"
expect_exit 3 hsm key list "$P" --pin-file "$OPEN"
grep -q "can be read by its group (mode 0640)" "$T/.err" || fail "group mode"

# a directory or a FIFO where the PIN file should be: said so, no hang
expect_exit 1 hsm key list "$P" --pin-file "$T"
grep -q "is a directory, not a regular file" "$T/.err" ||
	{ cat "$T/.err"; fail "a directory as a PIN file"; }
mkfifo "$T/fifo"
chmod 0600 "$T/fifo"
expect_exit 1 timeout 10 hsm key list "$P" --pin-file "$T/fifo"
grep -q "is a FIFO, not a regular file" "$T/.err" ||
	{ cat "$T/.err"; fail "a FIFO as a PIN file"; }

# the fix named works
chmod 600 "$OPEN"
hsm key list "$P" --pin-file "$OPEN" >/dev/null
echo "pin-file-modes: ok"
