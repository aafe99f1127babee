#!/bin/sh
# The rollover is online: while `hsm sks rollover` re-seals 20 000 blobs,
# other processes keep using keys (a CU decrypting and a CO signing in
# loops, each opening the SMK that is current when it starts, reloading it
# when it meets a blob under the new one); every operation succeeds and
# gives the right answer, before, during and after the switch.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/sks.sh"

N=20000
sks_hsm h
sks_part h v1 1
U="hsm:$T/h#v1"
hsm key generate "$U" --type aes --label k --count $N --pin-file "$CO" >/dev/null
hsm key generate "$U" --type ec --label sig --pin-file "$CO" >/dev/null
echo "online" >"$T/m"
hsm key encrypt "$U" --label k-777 --in "$T/m" --out "$T/m.ct" --pin-file "$CO"

user() { # $1: name; loops until $T/stop exists, counts successes
	i=0
	while [ ! -e "$T/stop" ]; do
		if [ "$1" = cu ]; then
			hsm key decrypt "$U" --role cu --label k-777 --in "$T/m.ct" \
				--out "$T/$1.rt" --pin-file "$CU" >/dev/null 2>"$T/$1.err" &&
				cmp -s "$T/m" "$T/$1.rt" || { echo fail >"$T/$1.failed"; break; }
		else
			hsm key sign "$U" --label sig --in "$T/m" --out "$T/$1.sig" \
				--pin-file "$CO" 2>"$T/$1.err" &&
				hsm key verify "$U" --label sig --in "$T/m" \
				--signature "$T/$1.sig" --pin-file "$CO" >/dev/null 2>&1 ||
				{ echo fail >"$T/$1.failed"; break; }
		fi
		i=$((i + 1))
		echo "$i" >"$T/$1.count"
	done
	echo "$i" >"$T/$1.count"
}
ops() { cat "$T/$1.count" 2>/dev/null || echo 0; }
user cu &
p1=$!
user co &
p2=$!
sleep 0.2
hsm sks rollover "$U" --pin-file "$CO" >/dev/null
hsm sks rollover "$U" --pin-file "$CO" >/dev/null
# On a loaded machine a loop may have done little so far: let each do a
# few operations under the new SMK too (at most two minutes).
i=0
while { [ "$(ops cu)" -lt 3 ] || [ "$(ops co)" -lt 3 ]; } && [ $i -lt 600 ]; do
	[ -e "$T/cu.failed" ] || [ -e "$T/co.failed" ] && break
	sleep 0.2
	i=$((i + 1))
done
touch "$T/stop"
wait "$p1" "$p2"
for r in cu co; do
	[ ! -e "$T/$r.failed" ] || { cat "$T/$r.err"; fail "a $r operation failed during the rollover"; }
	[ "$(cat "$T/$r.count")" -gt 2 ] || fail "the $r loop hardly ran"
	echo "$r: $(cat "$T/$r.count") operations during and after two rollovers"
done
hsm sks show "$U" --json --pin-file "$CO" | grep -q '"smk_generation":3' ||
	fail "two rollovers should make generation 3"
hsm sks verify "$U" --pin-file "$CO" | grep -q "^$((N + 1)) blob(s) open" ||
	fail "verify"
hsm audit verify "$T/h" >/dev/null
echo "sks-rollover-online ok"
