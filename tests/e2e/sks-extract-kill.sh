#!/bin/sh
# A killed `hsm sks extract` leaves nothing behind (issue 11, item 7): the
# extract file has no name until it is complete, so kills at several
# moments leave no OUT.tmp.<pid> (15 kills used to leave 85 MB); an extract
# that finishes is whole and inserts.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/sks.sh"

sks_hsm h
sks_part h v1 1
U="hsm:$T/h#v1"
hsm key generate "$U" --type aes --label k --count 4000 --pin-file "$CO" >/dev/null
mkdir "$T/out"
i=1
while [ "$i" -le 6 ]; do
	hsm sks extract "$U" --out "$T/out/x.ext" --pin-file "$CO" >/dev/null 2>&1 &
	pid=$!
	sleep "0.0$(( (i * 17) % 10 ))"
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	for f in "$T/out"/*; do
		[ -e "$f" ] || continue
		[ "$f" = "$T/out/x.ext" ] || fail "run $i left $(basename "$f")"
	done
	rm -f "$T/out/x.ext" # a run that finished before the kill
	i=$((i + 1))
done
hsm sks extract "$U" --out "$T/out/x.ext" --pin-file "$CO" >/dev/null
[ "$(ls "$T/out")" = x.ext ] || fail "a finished extract left more than its file"
[ "$(stat -c %a "$T/out/x.ext")" = 600 ] || fail "the extract file is not 0600"
expect_exit 1 hsm sks extract "$U" --out "$T/out/x.ext" --pin-file "$CO"
grep -q "exists" "$T/.err" || fail "an existing extract file is not refused"
hsm sks extract "$U" --out "$T/out/x.ext" --pin-file "$CO" --force >/dev/null
hsm sks insert "$U" --in "$T/out/x.ext" --conflict replace --pin-file "$CO" >/dev/null
echo "sks-extract-kill: ok"
