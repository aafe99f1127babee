# Sourced by hsm-audit-*.sh after lib.sh and helpers/hsm.sh: the audit
# chain's arithmetic (docs/formats.md section 3) with openssl, apart from
# lib/audit.c, and a thief who rewrites the log with what is on disk.
#   hex_to_file HEX FILE         the bytes HEX into FILE
#   hmac384 KEYHEX FILE          HMAC-SHA-384 of FILE's bytes, hex
#   sha384 FILE                  SHA-384 of FILE's bytes, hex
#   ratchet KEYHEX               the next key of the ratchet, hex
#   rechain LOG KEYHEX FROM OUT  LOG with records FROM.. re-MACed under
#                                KEYHEX and re-chained, into OUT; prints
#                                "MAC DIGEST SIZE" of the result's head
#   db_hex DIR SQL               a hex column of DIR's hsm.db
#   audit_setup                  hsm_setup h, P its partition, and one
#                                failed CO login in the log
#   check_ratchet LOG FROM KEYHEX   fails unless records FROM.. of LOG are
#                                MACed under KEYHEX and its successors;
#                                prints the key after the last

hex_to_file() {
	: >"$2"
	for pair in $(echo "$1" | sed 's/../& /g'); do
		# shellcheck disable=SC2059
		printf "\\$(printf %03o $((0x$pair)))" >>"$2"
	done
}

hmac384() {
	openssl dgst -sha384 -mac HMAC -macopt "hexkey:$1" -r "$2" | cut -d' ' -f1
}

sha384() {
	openssl dgst -sha384 -r "$1" | cut -d' ' -f1
}

ratchet() {
	printf 'coffer-audit-ratchet-v1\001' >"$T/.ratchet"
	hmac384 "$1" "$T/.ratchet"
}

db_hex() {
	sqlite3 "$1/hsm.db" "$2" | tr 'A-F' 'a-f'
}

# prev || text into FILE
cat_hex_text() {
	hex_to_file "$1" "$3"
	printf '%s' "$2" >>"$3"
}

rechain() {
	prev=000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
	dig=$prev
	n=0
	: >"$4"
	while IFS= read -r line; do
		n=$((n + 1))
		if [ "$n" -ge "$3" ]; then
			body=${line%%,\"mac\":\"*}
			cat_hex_text "$prev" "$body" "$T/.mac-in"
			prev=$(hmac384 "$2" "$T/.mac-in")
			line="$body,\"mac\":\"$prev\"}"
		else
			prev=${line##*\"mac\":\"}
			prev=${prev%\"\}}
		fi
		cat_hex_text "$dig" "$line" "$T/.dig-in"
		dig=$(sha384 "$T/.dig-in")
		printf '%s\n' "$line" >>"$4"
	done <"$1"
	echo "$prev $dig $(wc -c <"$4" | tr -d ' ')"
}

audit_setup() {
	hsm_setup h
	P="hsm:$T/h#p1"
	expect_exit 3 hsm role login-check "$P" --role co --pin-file "$BAD"
}

check_ratchet() {
	key=$3
	i=$2
	last=$(wc -l <"$1")
	while [ "$i" -le "$last" ]; do
		prev=$(sed -n "$((i - 1))p" "$1")
		prev=${prev##*\"mac\":\"}
		prev=${prev%\"\}}
		line=$(sed -n "${i}p" "$1")
		cat_hex_text "$prev" "${line%%,\"mac\":\"*}" "$T/.in"
		[ "$(hmac384 "$key" "$T/.in")" = "$(echo "$line" |
			sed 's/.*"mac":"\([0-9a-f]*\)"}$/\1/')" ] ||
			fail "record $i is not MACed under the ratchet's key"
		key=$(ratchet "$key")
		i=$((i + 1))
	done
	echo "$key"
}
