#!/bin/sh
# restore --replace killed with SIGKILL at random moments (the archive read
# on one thread, the records applied on another, inside one transaction):
# the partition's rows, V0 or V1, in hsm.db and sks.db are left as they
# were (the key written after the backup still there), or, killed after
# the commit, are exactly the backup's; the next runs are then checked
# against that. The rows are read with sqlite3, not through a login. A
# kill between the transaction's two audit lines (the target's login and
# the restore) and its commit leaves both past hsm.db's audit head: that is
# a crash, not an extended log, so the next restore drops them, records
# that it did, and goes on (it used to refuse every later write until an
# officer ran quarantine); the log verifies after every run.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/sks.sh"
. "$here/helpers/backup.sh"

now_ms() { echo $(($(date +%s%N) / 1000000)); }
rows() {
	sqlite3 "$T/h/hsm.db" ".dump object partition"
	[ ! -f "$T/h/sks.db" ] || sqlite3 "$T/h/sks.db" ".dump blob part"
}
# 1 when the partition holds the key made after the backup
after() {
	if [ "$1" = 1 ]; then
		sqlite3 "$T/h/sks.db" "SELECT count(*) FROM blob WHERE label = 'after'"
	else
		sqlite3 "$T/h/hsm.db" "SELECT count(*) FROM object WHERE label = 'after'"
	fi
}

for v in 0 1; do
	rm -rf "$T/h" "$T/c" "$T/s"
	sks_hsm h
	sks_part h p1 "$v"
	hsm key generate "hsm:$T/h#p1" --type aes --label k --count 20000 \
		--pin-file "$CO" >/dev/null
	store_init s
	name=$(backup_of h s)
	hsm key generate "hsm:$T/h#p1" --type aes --label after \
		--pin-file "$CO" >/dev/null
	# How long a whole restore takes, on a copy.
	cp -R "$T/h" "$T/c"
	t0=$(now_ms)
	restore_to c s "$name" replace >/dev/null
	dur=$(($(now_ms) - t0))
	rows | sha256sum >"$T/before"
	i=0
	while [ "$i" -lt 6 ]; do
		i=$((i + 1))
		restore --from "dir:$T/s" --backup "$name" --to "hsm:$T/h#p1" \
			--pin-file "$CO" --backup-pin-file "$BK" --replace \
			>/dev/null 2>"$T/err" &
		pid=$!
		ms=$(($(od -An -tu2 -N2 /dev/urandom) % (dur * 5 / 4 + 1)))
		sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
		kill -9 "$pid" 2>/dev/null || true
		rc=0
		wait "$pid" || rc=$?
		echo "V$v run $i: SIGKILL at $ms ms of ~$dur: exit $rc"
		[ "$rc" -eq 0 ] || [ "$rc" -eq 137 ] ||
			{ cat "$T/err" >&2; fail "exit $rc"; }
		hsm audit verify "$T/h" >/dev/null 2>"$T/verr" ||
			{ cat "$T/verr" >&2; fail "V$v: the log does not verify"; }
		if [ "$(after "$v")" = 0 ]; then
			# committed: the backup's 20000 keys, nothing else
			[ "$(rows | grep -c "'k-[0-9]*'")" -eq 20000 ] ||
				fail "V$v: a restore committed part of the backup"
			rows | sha256sum >"$T/before"
			continue
		fi
		rows | sha256sum | cmp -s - "$T/before" ||
			fail "V$v: a killed restore changed the partition"
	done
done
echo "restore-sigkill: ok"
