# Sourced by sks-*.sh scenarios after lib.sh and helpers/hsm.sh.
#   sks_hsm DIR                 HSM "e2e" in $T/DIR (test KDF, SO pin $SO)
#   sks_part DIR LABEL VER [DOMPIN]
#                               partition LABEL, V0 or V1, initialized with
#                               PO/CO/CU ($PO $CO $CU), domain $DOM or DOMPIN
#   keys_work URI PREFIX N      every AES key PREFIX-1..N encrypts and
#                               decrypts (a sample of at most 25)
sks_hsm() {
	hsm init "$T/$1" --label e2e --kdf test --pin-file "$SO" >/dev/null
}

sks_part() {
	hsm partition create "hsm:$T/$1#$2" --version "$3" --pin-file "$SO" \
		>/dev/null
	hsm partition init "hsm:$T/$1#$2" --new-pin-file "$PO" \
		--domain-pin-file "${4:-$DOM}" --domain-string "$(domstr "${4:-$DOM}")" >/dev/null
	hsm role init "hsm:$T/$1#$2" --role co --pin-file "$PO" \
		--new-pin-file "$CO" >/dev/null
	hsm role init "hsm:$T/$1#$2" --role cu --pin-file "$CO" \
		--new-pin-file "$CU" >/dev/null
}

# Encrypts and decrypts with a key; fails unless the round trip holds.
key_works() {
	printf 'coffer %s\n' "$2" >"$T/.pt"
	hsm key encrypt "$1" --label "$2" --in "$T/.pt" --out "$T/.ct" \
		--pin-file "$CO" >/dev/null || fail "encrypt with $2 on $1"
	hsm key decrypt "$1" --label "$2" --in "$T/.ct" --out "$T/.rt" \
		--pin-file "$CO" >/dev/null || fail "decrypt with $2 on $1"
	cmp -s "$T/.pt" "$T/.rt" || fail "round trip with $2 on $1"
}

keys_work() {
	step=$(( $3 / 25 ))
	[ "$step" -ge 1 ] || step=1
	i=1
	while [ "$i" -le "$3" ]; do
		key_works "$1" "$2-$i"
		i=$((i + step))
	done
	key_works "$1" "$2-$3"
}
