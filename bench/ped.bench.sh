#!/bin/sh
# What a PED login costs next to a password login on the same HSM build,
# all under the `interactive` KDF profile (the default, 64 MiB Argon2id):
# a password partition's CO login is the baseline; then a PED CO login with
# 2 of 3 plain share files, with 3 of 5 PIN-protected share files (each
# PIN is one more Argon2id), and an activated CO's challenge login (two
# Argon2id: the challenge, then the credential). PED_BENCH_ROUNDS logins each.
. "$(dirname "$0")/lib.sh"
rounds=${PED_BENCH_ROUNDS:-5}
umask 077
printf 'bench-password-1\n' >"$W/pw"
printf 'bench-share-pin\n' >"$W/pin"
printf 'bench-challenge-1\n' >"$W/ch"

# password HSM: SO, PO, CO all "bench-password-1"
hsm init "$W/pwh" --label pw --pin-file "$W/pw" >/dev/null
hsm partition create "hsm:$W/pwh#p" --pin-file "$W/pw" >/dev/null
hsm partition init "hsm:$W/pwh#p" --new-pin-file "$W/pw" --domain-pin-file "$W/pw" --domain-string "$(domstr "$W/pw")" >/dev/null
hsm role init "hsm:$W/pwh#p" --role co --pin-file "$W/pw" --new-pin-file "$W/pw" >/dev/null

# PED HSM: 2-of-3 SO, 3-of-5 PO under PINs, 2-of-3 CO, CO activated
P="hsm:$W/ped#p"
hsm init "$W/ped" --label ped --ped --m 2 --n 3 --shares-out "$W/so" >/dev/null 2>&1
hsm partition create "$P" --share "$W/so/so-1-of-3.cshare" --share "$W/so/so-2-of-3.cshare" >/dev/null
hsm partition init "$P" --m 3 --n 5 --shares-out "$W/po" --domain-shares-out "$W/dom" \
	--new-share-pin-file "$W/pin" >/dev/null 2>&1
po="--share $W/po/po-1-of-5.cshare --share $W/po/po-3-of-5.cshare --share $W/po/po-5-of-5.cshare"
pins="--share-pin-file $W/pin --share-pin-file $W/pin --share-pin-file $W/pin"
hsm role init "$P" --role co $po $pins --m 2 --n 3 --shares-out "$W/co" >/dev/null 2>&1
co="--share $W/co/co-1-of-3.cshare --share $W/co/co-3-of-3.cshare"
hsm role activate "$P" --role co $co --challenge-file "$W/ch" >/dev/null

# run NAME CMD...: ROUNDS runs, prints seconds per login, sets $last
run() {
	name=$1
	shift
	start=$(date +%s.%N)
	i=0
	while [ "$i" -lt "$rounds" ]; do
		"$@" >/dev/null
		i=$((i + 1))
	done
	end=$(date +%s.%N)
	last=$(awk -v a="$start" -v b="$end" -v n="$rounds" 'BEGIN { printf "%.4f\n", (b - a) / n }')
	printf '%-44s %8s s/login' "$name" "$last"
}

run "password CO login (baseline)" hsm role login-check "hsm:$W/pwh#p" --role co --pin-file "$W/pw"
base=$last
echo
run "PED CO login, 2 of 3 shares" hsm role login-check "$P" --role co $co
echo "   ratio $(ratio "$last" "$base")"
run "PED PO login, 3 of 5 shares under PINs" hsm role login-check "$P" --role po $po $pins
echo "   ratio $(ratio "$last" "$base")"
run "activated CO login, challenge only" hsm role login-check "$P" --role co --challenge-file "$W/ch"
echo "   ratio $(ratio "$last" "$base")"
