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
rand() { echo $(($(od -An -tu2 -N2 /dev/urandom) % $1)); }
listed() { restore list --from "dir:$T/s" --json | grep -o '"name":"[^"]*"' |
	cut -d'"' -f4 | LC_ALL=C sort; }

bk_setup h 60000
store_init s
t0=$(now_ms)
backup_of h s >"$T/names"
dur=$(($(now_ms) - t0))
[ "$dur" -gt 0 ] || dur=1
sleep 1

runs=8
i=0
while [ "$i" -lt "$runs" ]; do
	i=$((i + 1))
	n0=$(listed | wc -l)
	# backupd itself, not a subshell around it, is what gets the signal.
	backupd backup --from "hsm:$T/h#p1" --to "dir:$T/s" --pin-file "$CO" \
		--backup-pin-file "$BK" --kdf test >"$T/out" 2>"$T/err" &
	pid=$!
	# A moment between the start and a little past the usual end.
	ms=$(rand $((dur * 5 / 4 + 1)))
	sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
	kill -9 "$pid" 2>/dev/null || true
	rc=0
	wait "$pid" || rc=$?
	if [ "$rc" -eq 0 ]; then
		cat "$T/out" >>"$T/names"
	elif [ "$rc" -ne 137 ]; then
		cat "$T/err" >&2
		fail "run $i: exit $rc, neither done nor killed"
	fi
	echo "run $i: SIGKILL at ${ms} ms of ~${dur}: exit $rc; $(listed | tr "\n" " ")"
	# A new second for the next name when this run got its backup in.
	[ "$(listed | wc -l)" -gt "$n0" ] && sleep 1
done

listed >"$T/listed"
# Every run that finished lists; nothing lists that is not whole.
LC_ALL=C sort "$T/names" | comm -23 - "$T/listed" | grep . &&
	fail "a finished backup does not list"
while read -r name; do
	restore verify --from "dir:$T/s" "$name" >/dev/null ||
		fail "$name lists but does not verify"
	restore verify --deep --from "dir:$T/s" "$name" --to "hsm:$T/h#p1" \
		--pin-file "$CO" --backup-pin-file "$BK" >/dev/null ||
		fail "$name lists but does not open"
done <"$T/listed"
# The top level holds the listed backups and the store's own files only.
(cd "$T/s" && ls -A | grep -v -x -e store.conf -e .lock -e .tmp -e .trash \
	-e .verified | LC_ALL=C sort) | cmp -s - "$T/listed" ||
	fail "the store's top level holds more than the listed backups"
echo "$(wc -l <"$T/listed") backups listed, $(ls -A "$T/s/.tmp" | wc -l) temporaries"
backupd gc "dir:$T/s" >/dev/null
[ -z "$(ls -A "$T/s/.tmp")" ] || fail "gc left temporaries"
listed | cmp -s - "$T/listed" || fail "gc changed the listing"
echo "backup-sigkill: ok"
