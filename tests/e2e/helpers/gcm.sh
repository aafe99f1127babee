# Sourced by p11-aes-interop.sh: the GCM arithmetic of NIST SP 800-38D in
# POSIX shell, so that a GCM tag can be computed from AES blocks a PKCS#11
# token made (CKM_AES_ECB) without trusting any other AES implementation.
# Values are lowercase hex strings; 128-bit blocks are 32 hex digits.
#   gf_mul X Y        X . Y in GF(2^128) with GCM's bit order (6.3)
#   ghash H DATA      GHASH_H over DATA, a whole number of blocks (6.4)
#   xor_hex A B       A XOR B, over the length of A (B at least as long)
#   pad_hex DATA      DATA with zero bytes up to a whole block
#   len_block A C     [8 * A bytes]64 || [8 * C bytes]64
#   hex_to_file HEX FILE   the bytes HEX into FILE
# Shell arithmetic is at least 64 bits wide; every word here is 32 bits,
# so nothing ever reaches the sign bit.

# words HEX: HEX split into 8-digit words, separated by spaces
words() {
	echo "$1" | sed 's/......../& /g'
}

gf_mul() {
	set -- $(words "$1") $(words "$2")
	x0=$((0x$1)) x1=$((0x$2)) x2=$((0x$3)) x3=$((0x$4))
	v0=$((0x$5)) v1=$((0x$6)) v2=$((0x$7)) v3=$((0x$8))
	z0=0 z1=0 z2=0 z3=0
	for x in $x0 $x1 $x2 $x3; do
		b=31
		while [ $b -ge 0 ]; do
			if [ $(((x >> b) & 1)) -eq 1 ]; then
				z0=$((z0 ^ v0)) z1=$((z1 ^ v1))
				z2=$((z2 ^ v2)) z3=$((z3 ^ v3))
			fi
			lsb=$((v3 & 1))
			v3=$(((v3 >> 1) | ((v2 & 1) << 31)))
			v2=$(((v2 >> 1) | ((v1 & 1) << 31)))
			v1=$(((v1 >> 1) | ((v0 & 1) << 31)))
			v0=$((v0 >> 1))
			[ $lsb -eq 0 ] || v0=$((v0 ^ 0xe1000000))
			b=$((b - 1))
		done
	done
	printf '%08x%08x%08x%08x\n' $z0 $z1 $z2 $z3
}

ghash() {
	y=00000000000000000000000000000000
	for blk in $(echo "$2" | sed 's/.\{32\}/& /g'); do
		y=$(gf_mul "$(xor_hex "$y" "$blk")" "$1")
	done
	echo "$y"
}

xor_hex() {
	a_all=$1
	out=""
	set -- $(words "$2")
	for a in $(words "$a_all"); do
		n=${#a}
		b=$(printf %s "$1" | cut -c 1-"$n")
		out=$out$(printf "%0${n}x" $((0x$a ^ 0x$b)))
		shift
	done
	echo "$out"
}

pad_hex() {
	p=$1
	while [ $((${#p} % 32)) -ne 0 ]; do
		p=${p}00
	done
	echo "$p"
}

len_block() {
	printf '%016x%016x\n' $(($1 * 8)) $(($2 * 8))
}

hex_to_file() {
	: >"$2"
	for pair in $(echo "$1" | sed 's/../& /g'); do
		printf "\\$(printf %03o $((0x$pair)))" >>"$2"
	done
}
