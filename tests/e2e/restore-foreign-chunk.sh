#!/bin/sh
# A chunk moved from another backup (same partition, same domain, same
# password) into this one, at its own index, with every unkeyed checksum
# recomputed (records.bin's size and hash in the manifest, the tar headers,
# the integrity entry): `restore verify` catches it with no secret (the
# chunk checksum binds the stream id) and restore refuses it (exit 4),
# leaving the target as it was. A rebuild without the move restores fine,
# so the refusal is the moved chunk's doing.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/backup.sh"

# u32 big-endian at OFFSET of FILE.
u32() {
	set -- $(od -An -tu1 -j "$2" -N4 "$1")
	echo $((($1 << 24) | ($2 << 16) | ($3 << 8) | $4))
}
# Chunk boundaries of a sealed record stream: "offset length" per chunk.
chunks() {
	off=0
	size=$(stat -c %s "$1")
	while [ "$off" -lt "$size" ]; do
		len=$((13 + $(u32 "$1" $((off + 9))) + 32))
		echo "$off $len"
		off=$((off + len))
	done
}

bk_setup h 4000
store_init s
a=$(backup_of h s)
sleep 1
b=$(backup_of h s)
mkdir "$T/a" "$T/b"
tar -xf "$T/s/$a" -C "$T/a"
tar -xf "$T/s/$b" -C "$T/b"
chunks "$T/a/records.bin" >"$T/a.chunks"
chunks "$T/b/records.bin" >"$T/b.chunks"
[ "$(wc -l <"$T/a.chunks")" -ge 3 ] || fail "want at least 3 chunks"

# The control: rebuilt unchanged, the backup verifies and restores.
rm -rf "$T/c"
cp -a "$T/s" "$T/c"
cbk_rebuild "$T/a" "$T/c/$a"
restore verify --from "dir:$T/c" "$a" >/dev/null ||
	fail "an unchanged rebuild does not verify: cbk_rebuild is wrong"

# Chunk 1 of b in place of chunk 1 of a.
set -- $(sed -n 1p "$T/a.chunks")
head -c $(($1 + $2)) "$T/a/records.bin" >"$T/moved"
set -- $(sed -n 2p "$T/b.chunks")
tail -c +$(($1 + 1)) "$T/b/records.bin" | head -c "$2" >>"$T/moved"
set -- $(sed -n 3p "$T/a.chunks")
tail -c +$(($1 + 1)) "$T/a/records.bin" >>"$T/moved"
cmp -s "$T/moved" "$T/a/records.bin" && fail "the chunks are identical"
mv "$T/moved" "$T/a/records.bin"
manifest_set_records "$T/a"
rm -rf "$T/f"
cp -a "$T/s" "$T/f"
cbk_rebuild "$T/a" "$T/f/$a"

hsm key delete "hsm:$T/h#p1" --label enc --pin-file "$CO" >/dev/null
before=$(hsm_state h)
expect_exit 4 restore verify --from "dir:$T/f" "$a"
grep -qi "chunk" "$T/.err" || fail "verify does not name the chunk"
for mode in replace add; do
	expect_exit 4 restore_to h f "$a" "$mode"
	[ "$(hsm_state h)" = "$before" ] || fail "the target changed ($mode)"
done
# The same move spliced in place, checksums left alone: caught as well.
rm -rf "$T/g"
cp -a "$T/s" "$T/g"
set -- $(sed -n 2p "$T/a.chunks")
aoff=$1 alen=$2
set -- $(sed -n 2p "$T/b.chunks")
n=$alen
[ "$2" -lt "$n" ] && n=$2
tail -c +$(($1 + 3072 + 1)) "$T/s/$b" | head -c "$n" |
	dd of="$T/g/$a" bs=1 seek=$((aoff + 3072)) conv=notrunc 2>/dev/null
expect_exit 4 restore verify --from "dir:$T/g" "$a"
expect_exit 4 restore_to h g "$a" replace
[ "$(hsm_state h)" = "$before" ] || fail "the target changed (in place)"
echo "restore-foreign-chunk: ok"
