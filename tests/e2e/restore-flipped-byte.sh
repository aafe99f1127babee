#!/bin/sh
# One flipped byte anywhere in a backup (tar headers, manifest, sealed
# header, record stream, integrity entry, end blocks): `restore verify`
# catches it with no secret (exit 4) and so does restore (exit 4), which
# leaves the target exactly as it was.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/backup.sh"

bk_damage_setup

# Entry headers at 0, 1536, 2560 (the manifest's data takes two blocks),
# records.bin's data from 3072; the integrity entry's header at D - 512.
for off in 0 148 700 1600 2100 2600 3072 $(((3072 + D) / 2)) $((D - 600)) \
	$((D - 300)) $((D + 40)) $((D + 200)) $((S - 1)); do
	rm -rf "$T/f"
	cp -a "$T/s" "$T/f"
	flip "$T/f/$name" "$off"
	expect_exit 4 restore verify --from "dir:$T/f" "$name"
	for mode in replace add; do
		expect_exit 4 restore_to h f "$name" "$mode"
		grep -q "target is unchanged" "$T/.err" || fail "message at $off"
		[ "$(hsm_state h)" = "$before" ] ||
			fail "byte $off: the target changed ($mode)"
	done
	restore list --from "dir:$T/f" --json | grep -q '"verified":true' &&
		fail "byte $off: a damaged backup lists as verified"
done
# The original still restores.
restore_to h s "$name" add >/dev/null 2>&1
echo "restore-flipped-byte: ok"
