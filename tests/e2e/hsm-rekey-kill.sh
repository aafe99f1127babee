#!/bin/sh
# hsm partition rekey killed at random moments (SIGKILL), on a V0 and a V1
# partition, and stopped at each of its commit points: after every run the
# partition is wholly under the old or the new partition key (generation
# moved by 0 or 1), every role logs in, a signature made before verifies
# and a new one is made, a sample of keys round-trips, a V1 partition's
# blobs all open, the stores pass integrity_check and the audit chain
# verifies. A last rekey runs to the end (it opens every object).
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/sks.sh"

N=${REKEY_KILL_N:-3000}
echo "signed before any rekey" >"$T/m"

gen() { sqlite3 "$T/h$1/hsm.db" "SELECT psk_gen FROM partition"; }

# Everything opens; the generation moved by 0 or 1 from $last.
check() {  # V WHAT
	U="hsm:$T/h$1#p"
	hsm key verify "$U" --label sig --in "$T/m" --signature "$T/m$1.sig" \
		--pin-file "$CO" >/dev/null || fail "V$1 $2: old signature"
	hsm key sign "$U" --label sig --in "$T/m" --out "$T/n.sig" --role cu \
		--pin-file "$CU" >/dev/null || fail "V$1 $2: CU cannot sign"
	hsm role login-check "$U" --role po --pin-file "$PO" >/dev/null ||
		fail "V$1 $2: PO login"
	key_works "$U" k-$(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % N + 1 ))
	if [ "$1" = 1 ]; then
		hsm sks verify "$U" --pin-file "$CO" | grep -q "^$((N + 1)) blob(s) open" ||
			fail "V1 $2: sks verify"
		[ "$(sqlite3 "$T/h1/hsm.db" "SELECT count(*) FROM partition WHERE psk_prev IS NOT NULL")" = 0 ] ||
			fail "V1 $2: the old PSK outlived the next session"
	fi
	g=$(gen "$1")
	[ "$g" -eq "$last" ] || [ "$g" -eq $((last + 1)) ] ||
		fail "V$1 $2: generation $last became $g"
	for db in hsm.db sks.db; do
		[ -f "$T/h$1/$db" ] || continue
		[ "$(sqlite3 "$T/h$1/$db" 'PRAGMA integrity_check')" = ok ] ||
			fail "V$1 $2: $db integrity_check"
	done
	hsm audit verify "$T/h$1" >/dev/null || fail "V$1 $2: audit chain"
	smk=
	[ "$1" = 0 ] || smk=", SMK generation $(sqlite3 "$T/h1/sks.db" 'SELECT gen FROM part')"
	echo "V$1 $2: generation $last -> $g$smk"
	last=$g
}

for v in 0 1; do
	sks_hsm h$v
	sks_part h$v p $v
	U="hsm:$T/h$v#p"
	hsm key generate "$U" --type aes --label k --count $N --pin-file "$CO" \
		>/dev/null
	hsm key generate "$U" --type ec --label sig --pin-file "$CO" >/dev/null
	hsm key sign "$U" --label sig --in "$T/m" --out "$T/m$v.sig" \
		--pin-file "$CO" >/dev/null
	last=$(gen $v)

	# stopped at each commit point (the Nth pass of "between-commits",
	# hsm.db committed and sks.db not, covers every transaction of it)
	for at in before-commit#1 before-commit#2 before-commit#3 \
	    before-commit#4 between-commits#1 between-commits#2 \
	    between-commits#3 between-commits#4 between-commits#5 \
	    rekey-rolled-over rekey-committed; do
		set +e
		COFFER_TEST_CRASH_AT=$at hsm partition rekey "$U" \
			--pin-file "$CO" >/dev/null 2>&1
		set -e
		check $v "stopped at $at"
	done

	# killed at random moments of a timed rekey's window
	t0=$(date +%s%N)
	hsm partition rekey "$U" --pin-file "$CO" >/dev/null
	window=$(( ($(date +%s%N) - t0) / 1000000 * 3 / 2 + 1 ))
	last=$(gen $v)
	i=0
	while [ $i -lt 6 ]; do
		i=$((i + 1))
		# past the login's first fifth, where the work is
		ms=$(( window / 5 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') %
		    (window - window / 5) ))
		hsm partition rekey "$U" --pin-file "$CO" >/dev/null 2>&1 &
		pid=$!
		sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		check $v "run $i, killed after ${ms} ms"
	done
	# a last rekey completes: it opens every object
	hsm partition rekey "$U" --pin-file "$CO" >/dev/null
	check $v "last rekey"
	keys_work "$U" k $N
done
echo "hsm-rekey-kill ok"
