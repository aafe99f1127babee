# Sourced by ped-*.sh scenarios after lib.sh: builds a test PED HSM.
#   ped_setup DIR   PED HSM "ped" in $T/DIR (test KDF) with a 2-of-3 SO set
#                   in $T/so, partition p1 with a 3-of-5 PO set in $T/po, a
#                   2-of-3 PED domain in $T/dom and a 2-of-3 CO set in $T/co;
#                   $P names the partition
#   so I..  po I..  co I..   print "--share FILE" for the given indexes
#   state_of DIR    a digest of hsm.db's content (rows, not pages)
#   json_has TEXT FILE       fail unless FILE contains TEXT
ped_setup() {
	P="hsm:$T/$1#p1"
	hsm init "$T/$1" --label ped --kdf test --ped --m 2 --n 3 \
		--shares-out "$T/so" >/dev/null 2>&1
	hsm partition create "$P" $(so 1 2) >/dev/null
	hsm partition init "$P" --m 3 --n 5 --shares-out "$T/po" \
		--domain-shares-out "$T/dom" --domain-m 2 --domain-n 3 \
		>/dev/null 2>&1
	hsm role init "$P" --role co $(po 1 2 3) --m 2 --n 3 \
		--shares-out "$T/co" >/dev/null 2>&1
}

_shares() {
	set="$1"
	n="$2"
	shift 2
	for i in "$@"; do
		printf -- '--share %s ' "$T/$set/$set-$i-of-$n.cshare"
	done
}
so() { _shares so 3 "$@"; }
po() { _shares po 5 "$@"; }
co() { _shares co 3 "$@"; }

state_of() {
	sqlite3 "$T/$1/hsm.db" .dump | sha256sum
}

json_has() {
	grep -q -F -- "$1" "$2" || { cat "$2" >&2; fail "expected '$1' in $2"; }
}
