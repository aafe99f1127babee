#!/bin/sh
# V0 clone throughput: `clone` of N AES-256 keys between two HSM directories
# that share a domain (source read and decrypt, transfer protocol, target
# re-encrypt and insert in one transaction), objects per second and peak
# resident memory, then a --sync pass over the same N (every object already
# there: decoded and compared, nothing written). The baseline is AES-256-GCM
# records per second from `openssl speed` at 256 bytes, the size of one
# AES-256 key's record, measured in the same run. CLONE_BENCH_SIZES chooses N.
. "$(dirname "$0")/lib.sh"
sizes=${CLONE_BENCH_SIZES:-"10000 100000"}
rec=256
gcm_rps=$(gcm_records_per_sec $rec)
echo "openssl aes-256-gcm at $rec B: $gcm_rps records/s"

bench_pins
for n in $sizes; do
	bench_partition "$W/a$n"
	bench_partition "$W/b$n"
	hsm key generate "hsm:$W/a$n#p" --type aes --size 256 --label k \
		--count "$n" --pin-file "$W/co" >/dev/null
	measure "$W/t" clone --from "hsm:$W/a$n#p" --to "hsm:$W/b$n#p" \
		--from-pin-file "$W/co" --to-pin-file "$W/co" --json
	read -r cs cm <"$W/t"
	cps=$(per_sec "$n" "$cs")
	echo "clone $n AES-256 keys: ${cs}s, $cps objects/s, peak ${cm} KiB," \
		"ratio to openssl records/s $(ratio "$cps" "$gcm_rps")"
	measure "$W/t" clone --from "hsm:$W/a$n#p" --to "hsm:$W/b$n#p" \
		--from-pin-file "$W/co" --to-pin-file "$W/co" --sync --json
	read -r ss sm <"$W/t"
	sps=$(per_sec "$n" "$ss")
	echo "sync $n (all present): ${ss}s, $sps objects/s, peak ${sm} KiB," \
		"ratio to openssl records/s $(ratio "$sps" "$gcm_rps")"
	rm -rf "$W/a$n" "$W/b$n"
done
