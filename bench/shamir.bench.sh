#!/bin/sh
# Shamir split/combine through lib/share (bench/shamir_bench.c) on a
# 32-byte credential: sets per second, combines of exactly M shares, and
# the worst case a holder can cause (all N given, share #1 corrupt, so the
# subset search tries every M-subset holding it first), beside HMAC-SHA-384
# (OpenSSL) per second in the same process. Needs the library built.
. "$(dirname "$0")/lib.sh"
lib=$top/build/default/libcoffer.a
[ -f "$lib" ] || { echo "shamir: build the library first (make all)"; exit 0; }
cc -O2 -std=c11 -D_GNU_SOURCE -I"$top/lib" -o "$W/shamir_bench" \
	"$top/bench/shamir_bench.c" "$lib" -lssl -lcrypto -lsodium
"$W/shamir_bench" "${SHAMIR_BENCH_SECONDS:-0.5}"
