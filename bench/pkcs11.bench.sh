#!/bin/sh
# PKCS#11 through Coffer's module (bin/libcoffer-pkcs11.so) beside SoftHSM2
# on the same machine in the same run, both driven by bench/p11_bench.c the
# way an application drives a token: ECDSA P-256 signatures (CKM_ECDSA over
# a 32-byte digest) and AES-256-GCM encryptions of 4 KiB per second, on 1
# and 2 threads (one session each), and the mean C_Login latency. The keys
# are made through each module with pkcs11-tool. Coffer's HSM uses the
# `test` KDF profile here (lib.sh), so its C_Login figure is the module's
# own cost; with a real profile a login costs one Argon2id run on purpose.
# P11_BENCH_SECONDS sets each measurement's length (default 3).
. "$(dirname "$0")/lib.sh"
secs=${P11_BENCH_SECONDS:-3}
softhsm=/usr/lib/softhsm/libsofthsm2.so
coffer=$BIN/libcoffer-pkcs11.so
for t in pkcs11-tool softhsm2-util; do
	command -v "$t" >/dev/null || { echo "skipped: needs $t (scripts/deps.sh)"; exit 0; }
done
[ -f "$softhsm" ] || { echo "skipped: no $softhsm"; exit 0; }
cc -O2 -std=c11 -D_GNU_SOURCE $(pkg-config --cflags p11-kit-1) \
	-o "$W/p11_bench" "$top/bench/p11_bench.c" -ldl -lpthread

bench_pins
pin=$(head -n 1 "$W/co")

# Coffer: one HSM, partition p, its CO's PIN is the co file.
bench_partition "$W/h"
echo "hsm $W/h" >"$W/pkcs11.conf"
export COFFER_PKCS11_CONF="$W/pkcs11.conf"

# SoftHSM2: one token "p" with the same user PIN, its store under $W.
mkdir -p "$W/softhsm"
printf 'directories.tokendir = %s\nobjectstore.backend = file\n' \
	"$W/softhsm" >"$W/softhsm2.conf"
export SOFTHSM2_CONF="$W/softhsm2.conf"
softhsm2-util --init-token --free --label p --so-pin "$pin" \
	--pin "$pin" >/dev/null

for m in "$coffer" "$softhsm"; do
	pkcs11-tool --module "$m" --token-label p --login --pin "$pin" \
		--keypairgen --key-type EC:prime256v1 --label bench-ec \
		--id 01 >/dev/null
	pkcs11-tool --module "$m" --token-label p --login --pin "$pin" \
		--keygen --key-type AES:32 --label bench-aes --id 02 >/dev/null
done

run() {
	"$W/p11_bench" "$1" p "$W/co" "$secs" "$2"
}
for th in 1 2; do
	run "$coffer" $th >"$W/c$th"
	run "$softhsm" $th >"$W/s$th"
	for k in ecdsa_p256_per_s aes_gcm_4k_per_s; do
		c=$(awk -v k=$k '$1 == k { print $2 }' "$W/c$th")
		s=$(awk -v k=$k '$1 == k { print $2 }' "$W/s$th")
		echo "$k, $th thread(s): coffer $c, softhsm2 $s," \
			"ratio coffer/softhsm2 $(ratio "$c" "$s")"
	done
done
c=$(awk '$1 == "login_ms" { print $2 }' "$W/c1")
s=$(awk '$1 == "login_ms" { print $2 }' "$W/s1")
echo "C_Login: coffer ${c} ms, softhsm2 ${s} ms, ratio $(ratio "$c" "$s")"
