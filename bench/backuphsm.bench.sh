#!/bin/sh
# Backup and restore of a V0 partition of N AES-256 keys to an emulated
# Backup HSM (hsm:DIR, hsm init --backup) beside the same to a dir: store,
# in the same run and from the same partition: seconds, objects per second,
# peak resident memory (/usr/bin/time) and size on disk (du of the store
# directory, or of the whole Backup HSM directory: hsm.db, audit.log and
# the backup partitions). Two rounds in opposite orders (dir then hsm, hsm
# then dir), each into fresh stores with the HSM's files read into the page
# cache first, so neither kind always pays for a cold cache; the ratio is
# the Backup HSM's best seconds over the dir: store's. BHSM_BENCH_SIZES
# chooses N (default 100000; add 1000000 for the million).
. "$(dirname "$0")/lib.sh"
sizes=${BHSM_BENCH_SIZES:-100000}

# one KIND N: a backup of $P into a fresh store of KIND, then a restore of
# it over the partition; prints the figures, leaves "SECS SECS" in $W/r.KIND.
one() {
	kind=$1 n=$2
	rm -rf "$W/s" "$W/b"
	if [ "$kind" = dir ]; then
		backupd init "dir:$W/s" >/dev/null
		U="dir:$W/s" area=$W/s top=$W/s
	else
		hsm init "$W/b" --backup --label bench-bhsm --kdf test \
			--pin-file "$W/so" >/dev/null
		U="hsm:$W/b" area=$W/b/backup top=$W/b
	fi
	cat "$d"/hsm.db* >/dev/null
	measure "$W/t.bk" backupd backup --from "$P" --to "$U" \
		--pin-file "$W/co" --backup-pin-file "$W/bk" --kdf test
	read -r bs bm <"$W/t.bk"
	name=$(ls "$area" | grep '\.cbk$')
	echo "$kind: backupd backup $n objects: ${bs}s," \
		"$(per_sec "$n" "$bs") objects/s, peak ${bm} KiB," \
		"backup $(($(stat -c %s "$area/$name") / 1024)) KiB," \
		"on disk $(du -sk "$top" | cut -f1) KiB"
	measure "$W/t.rs" restore --from "$U" --backup "$name" --to "$P" \
		--replace --pin-file "$W/co" --backup-pin-file "$W/bk"
	read -r rs rm <"$W/t.rs"
	echo "$kind: restore --replace $n objects: ${rs}s," \
		"$(per_sec "$n" "$rs") objects/s, peak ${rm} KiB"
	if [ -f "$W/r.$kind" ]; then
		read -r ob or <"$W/r.$kind"
		bs=$(awk -v a="$bs" -v b="$ob" 'BEGIN { print (a < b ? a : b) }')
		rs=$(awk -v a="$rs" -v b="$or" 'BEGIN { print (a < b ? a : b) }')
	fi
	echo "$bs $rs" >"$W/r.$kind"
}

bench_pins
for n in $sizes; do
	echo "-- V0, $n objects"
	d=$W/h$n
	P="hsm:$d#p"
	bench_keys "$d" "$n"
	rm -f "$W/r.dir" "$W/r.hsm"
	for kind in dir hsm hsm dir; do
		one "$kind" "$n"
	done
	read -r bd rd <"$W/r.dir"
	read -r bh rh <"$W/r.hsm"
	echo "best of two: dir backup ${bd}s restore ${rd}s;" \
		"hsm backup ${bh}s restore ${rh}s;" \
		"hsm/dir time ratio: backup $(ratio "$bh" "$bd")," \
		"restore $(ratio "$rh" "$rd")"
	rm -rf "$d" "$W/s" "$W/b"
done
