#!/bin/sh
# backupd killed with SIGKILL at random moments, over several runs: a
# killed backup never lists; the store lists exactly the complete ones
# (every run that printed a name, and nothing that does not verify); what
# the killed runs left in .tmp/ is never listed nor counted, and gc
# removes it.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/backup.sh"

now_ms() { echo $(($(date +%s%N) / 1000000)); }
listed() { restore list --from "dir:$T/s" --json | grep -o '"name":"[^"]*"' |
	cut -d'"' -f4 | LC_ALL=C sort; }

bk_setup h 60000
store_init s
t0=$(now_ms)
backup_of h s >"$T/names"
dur=$(($(now_ms) - t0))
[ "$dur" -gt 0 ] || dur=1
sleep 1

kill_backups "dir:$T/s" 8

listed >"$T/listed"
# Every run that finished lists; nothing lists that is not whole.
LC_ALL=C sort "$T/names" | comm -23 - "$T/listed" | grep . &&
	fail "a finished backup does not list"
listed_open "dir:$T/s"
# The top level holds the listed backups and the store's own files only.
(cd "$T/s" && ls -A | grep -v -x -e store.conf -e .lock -e .tmp -e .trash \
	-e .verified | LC_ALL=C sort) | cmp -s - "$T/listed" ||
	fail "the store's top level holds more than the listed backups"
echo "$(wc -l <"$T/listed") backups listed, $(ls -A "$T/s/.tmp" | wc -l) temporaries"
backupd gc "dir:$T/s" >/dev/null
[ -z "$(ls -A "$T/s/.tmp")" ] || fail "gc left temporaries"
listed | cmp -s - "$T/listed" || fail "gc changed the listing"
echo "backup-sigkill: ok"
