#!/bin/sh
# xfer and sealed stream throughput (bench/xfer_bench.c) at 256-byte
# records, with AES-256-GCM from `openssl speed` at the same size measured
# in the same run. Needs the library built (make all).
. "$(dirname "$0")/lib.sh"
lib=$top/build/default/libcoffer.a
[ -f "$lib" ] || { echo "xfer: build the library first (make all)"; exit 0; }
cc -O2 -std=c11 -D_GNU_SOURCE -I"$top/lib" -o "$W/xfer_bench" \
	"$top/bench/xfer_bench.c" "$lib" \
	-lssl -lcrypto -lsodium -lzstd -lpthread
size=256
gcm=$(openssl_gcm_bps $size)
for n in 10000 100000; do
	out=$("$W/xfer_bench" $n $size)
	echo "$out"
	mbps=$(echo "$out" | awk '/^xfer push/ { print $(NF-1) }')
	echo "xfer push vs openssl aes-256-gcm at $size B: $(ratio "$mbps" "$(awk -v b="$gcm" 'BEGIN { printf "%.1f", b / 1e6 }')") ($mbps MB/s vs $(awk -v b="$gcm" 'BEGIN { printf "%.1f", b / 1e6 }') MB/s)"
done
