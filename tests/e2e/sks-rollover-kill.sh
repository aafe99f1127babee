#!/bin/sh
# An SMK rollover killed with SIGKILL at random moments, several runs in a
# row: after each, the partition is entirely before or after a rollover
# (one live SMK wrap, its generation moved by 0 or 1), every blob opens
# (`hsm sks verify` decrypts all of them), a sample of keys round-trips,
# the stores pass integrity_check and the audit chain verifies.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/sks.sh"

N=20000
sks_hsm h
sks_part h v1 1
U="hsm:$T/h#v1"
hsm key generate "$U" --type aes --label k --count $N --pin-file "$CO" >/dev/null
gen() {
	hsm sks show "$U" --json --pin-file "$CO" |
		sed 's/.*"smk_generation":\([0-9]*\).*/\1/'
}
# one timed rollover sets the window the kills fall in
t0=$(date +%s%N)
hsm sks rollover "$U" --pin-file "$CO" >/dev/null
window=$(( ($(date +%s%N) - t0) / 1000000 * 3 / 2 + 1 ))
last=$(gen)
runs=8
i=0
while [ $i -lt $runs ]; do
	i=$((i + 1))
	# before, during and after the re-sealing transaction
	ms=$(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % window ))
	hsm sks rollover "$U" --pin-file "$CO" >/dev/null 2>&1 &
	pid=$!
	sleep "$(printf '0.%03d' "$ms")"
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	out=$(hsm sks verify "$U" --pin-file "$CO") ||
		fail "run $i (kill after ${ms} ms): the partition does not verify"
	echo "$out" | grep -q "^$N blob(s) open" || fail "run $i: $out"
	g=$(gen)
	[ "$g" -eq "$last" ] || [ "$g" -eq $((last + 1)) ] ||
		fail "run $i: generation $last became $g"
	live=$(sqlite3 "$T/h/hsm.db" \
		"SELECT count(*) FROM smk WHERE wrap IS NOT NULL AND state != 0")
	[ "$live" = 1 ] || fail "run $i: $live live SMK wraps"
	[ "$(sqlite3 "$T/h/hsm.db" 'SELECT count(*) FROM smk WHERE state = 2 AND wrap IS NOT NULL')" = 0 ] ||
		fail "run $i: a retired SMK kept its wrap"
	echo "run $i: killed after ${ms} ms, generation $last -> $g"
	last=$g
done
for db in hsm.db sks.db; do
	[ "$(sqlite3 "$T/h/$db" 'PRAGMA integrity_check')" = ok ] ||
		fail "$db integrity_check"
done
keys_work "$U" k $N
# a last rollover completes
hsm sks rollover "$U" --pin-file "$CO" >/dev/null
[ "$(gen)" -eq $((last + 1)) ] || fail "final rollover"
hsm audit verify "$T/h" >/dev/null
echo "sks-rollover-kill ok"
