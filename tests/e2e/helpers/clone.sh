# Sourced by clone-*.sh and domains-*.sh after lib.sh and helpers/hsm.sh
# (or with $SO $PO $CO $DOM set to pin files).
#   hsm_new DIR                  an HSM "DIR" in $T/DIR (test KDF), no partition
#   part_new DIR LABEL DOMFILE   partition LABEL of $T/DIR with PO $PO, CO $CO,
#                                first cloning domain = the password in DOMFILE
#   cl FROM TO [OPTS...]         clone hsm:$T/FROM -> hsm:$T/TO as the COs
#   pair_new [DOMFILE]           HSMs a, b with p1 each ($A, $B); see below
#   state DIR                    one hash of everything the HSM in $T/DIR holds:
#                                its file names, hsm.db and audit.log bytes, and
#                                a sqlite3 .dump (compare before/after)
DOM2=$(pinfile dom2 "domain-secret-2")
DOM3=$(pinfile dom3 "domain-secret-3")

hsm_new() {
	hsm init "$T/$1" --label "$1" --kdf test --pin-file "$SO" >/dev/null
}

part_new() {
	hsm partition create "hsm:$T/$1#$2" --pin-file "$SO" >/dev/null
	hsm partition init "hsm:$T/$1#$2" --new-pin-file "$PO" \
		--domain-pin-file "$3" --domain-string "$(domstr "$3")" --kdf test >/dev/null
	hsm role init "hsm:$T/$1#$2" --role co --pin-file "$PO" \
		--new-pin-file "$CO" >/dev/null
}

cl() {
	from=$1
	to=$2
	shift 2
	clone --from "hsm:$T/$from" --to "hsm:$T/$to" --from-pin-file "$CO" \
		--to-pin-file "$CO" "$@"
}

state() {
	{
		ls -A "$T/$1"
		sha256sum <"$T/$1/hsm.db"
		sha256sum <"$T/$1/audit.log"
		sqlite3 "$T/$1/hsm.db" .dump
	} | sha256sum
}

# pair_new [DOMFILE]: HSMs a and b, each with partition p1 ($A, $B); a's
# first domain is $DOM, b's DOMFILE (default $DOM, so the two share it).
pair_new() {
	hsm_new a
	part_new a p1 "$DOM"
	hsm_new b
	part_new b p1 "${1:-$DOM}"
	A="hsm:$T/a#p1"
	B="hsm:$T/b#p1"
}
