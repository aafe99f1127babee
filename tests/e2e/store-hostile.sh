#!/bin/sh
# A store that others can write to cannot be turned against the user who
# runs the tools, and odd files never hang a command (issue 11, item 6; and
# item 7's configuration cases):
# - a symbolic link planted as the store's .lock is refused; nothing is
#   created where it points;
# - `backupd init` on a directory anyone can write refuses, naming the
#   chmod; a store made so later is refused by every command the same way;
# - a FIFO as store.conf or as --config fails at once with what it is; a
#   directory as --config says so;
# - a configuration written with CRLF line ends reads as with LF.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/backup.sh"

bk_setup h 1
store_init s
S="dir:$T/s"
name=$(backup_of h s)

# a link planted as .lock
rm -f "$T/s/.lock"
ln -s "$T/victim" "$T/s/.lock"
expect_exit 1 backupd prune "$S" --keep-last 5
grep -q "lock" "$T/.err" || { cat "$T/.err"; fail "the refusal does not name the lock"; }
[ ! -e "$T/victim" ] || fail "the planted link made us create $T/victim"
rm "$T/s/.lock"

# a directory anyone can write
mkdir "$T/open"
chmod 0777 "$T/open"
expect_exit 3 backupd init "dir:$T/open"
grep -q "can be written by others (mode 0777).*chmod o-w $T/open" "$T/.err" ||
	{ cat "$T/.err"; fail "init does not name the fix"; }
[ ! -e "$T/open/store.conf" ] || fail "init wrote into the open directory"
chmod 0777 "$T/s"
expect_exit 3 restore list --from "$S"
grep -q "chmod o-w $T/s" "$T/.err" || fail "list does not name the fix"
expect_exit 3 backupd backup --from "hsm:$T/h#p1" --to "$S" --pin-file "$CO" \
	--backup-pin-file "$BK" --kdf test
chmod 0700 "$T/s"
restore list --from "$S" >/dev/null

# a FIFO as store.conf: no hang, named
mv "$T/s/store.conf" "$T/store.conf.real"
mkfifo "$T/s/store.conf"
expect_exit 1 timeout 10 restore list --from "$S"
grep -q "is a FIFO, not a regular file" "$T/.err" ||
	{ cat "$T/.err"; fail "a FIFO store.conf"; }
rm "$T/s/store.conf"
mv "$T/store.conf.real" "$T/s/store.conf"

# configurations: a FIFO, a directory, CRLF line ends
mkfifo "$T/fifo.conf"
expect_exit 1 timeout 10 backupd run --config "$T/fifo.conf" --once
grep -q "is a FIFO, not a regular file" "$T/.err" || { cat "$T/.err"; fail "FIFO config"; }
expect_exit 1 backupd run --config "$T" --once
grep -q "is a directory, not a regular file" "$T/.err" || { cat "$T/.err"; fail "directory config"; }
printf 'store %s\r\nkeep last 5\r\njob pay from=hsm:%s#p1 pin-file=%s backup-pin-file=%s kdf=test\r\n' \
	"$S" "$T/h" "$CO" "$BK" >"$T/crlf.conf"
sleep 1
backupd run --config "$T/crlf.conf" --once 2>"$T/crlf.err" ||
	{ cat "$T/crlf.err"; fail "a CRLF configuration is refused"; }
grep -q "job pay: p1_" "$T/crlf.err" || { cat "$T/crlf.err"; fail "the CRLF job did not run"; }
echo "store-hostile: ok"
