#!/bin/sh
# A truncated backup, cut anywhere (inside the record stream, at an entry
# boundary, in the integrity entry, one byte short, empty): `restore verify`
# catches it with no secret (exit 4) and so does restore (exit 4), which
# leaves the target exactly as it was.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/backup.sh"

bk_damage_setup

for len in 0 100 1536 3072 $(((3072 + D) / 2)) $((D - 512)) $D $((D + 154)) \
	$((S - 1024)) $((S - 1)); do
	rm -rf "$T/f"
	cp -a "$T/s" "$T/f"
	truncate -s "$len" "$T/f/$name"
	expect_exit 4 restore verify --from "dir:$T/f" "$name"
	for mode in replace add; do
		expect_exit 4 restore_to h f "$name" "$mode"
		[ "$(hsm_state h)" = "$before" ] ||
			fail "cut at $len: the target changed ($mode)"
	done
done
# One byte appended is refused the same way.
rm -rf "$T/f"
cp -a "$T/s" "$T/f"
printf '\0' >>"$T/f/$name"
expect_exit 4 restore verify --from "dir:$T/f" "$name"
expect_exit 4 restore_to h f "$name" replace
[ "$(hsm_state h)" = "$before" ] || fail "appended byte: the target changed"
echo "restore-truncated: ok"
