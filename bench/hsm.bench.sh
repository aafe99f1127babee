#!/bin/sh
# The emulated HSM's bulk paths: `hsm key generate --count N` (one
# transaction) and `hsm key list` over N AES-256 keys, objects per second and
# peak resident memory, beside AES-256-GCM records per second from
# `openssl speed` at the size of one stored object (about 200 bytes), measured
# in the same run. HSM_BENCH_SIZES chooses the object counts.
. "$(dirname "$0")/lib.sh"
sizes=${HSM_BENCH_SIZES:-"100000 1000000"}
rec=256
gcm_rps=$(gcm_records_per_sec $rec)
echo "openssl aes-256-gcm at $rec B: $gcm_rps records/s"

bench_pins
for n in $sizes; do
	d=$W/h$n
	bench_partition "$d"

	measure "$W/gen" hsm key generate "hsm:$d#p" --type aes --size 256 \
		--label k --count "$n" --pin-file "$W/co"
	read -r gs gm <"$W/gen"
	gps=$(per_sec "$n" "$gs")
	echo "generate $n AES-256 keys: ${gs}s, $gps objects/s, peak ${gm} KiB," \
		"ratio to openssl records/s $(ratio "$gps" "$gcm_rps")"

	measure "$W/list" hsm key list "hsm:$d#p" --json --pin-file "$W/co"
	read -r ls lm <"$W/list"
	lps=$(per_sec "$n" "$ls")
	echo "list $n keys (--json): ${ls}s, $lps objects/s, peak ${lm} KiB," \
		"ratio to openssl records/s $(ratio "$lps" "$gcm_rps")"
	echo "hsm.db for $n keys: $(du -k "$d/hsm.db" | cut -f1) KiB"
	rm -rf "$d"
done
