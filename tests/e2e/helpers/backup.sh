# Sourced by backup/restore scenarios after lib.sh and helpers/hsm.sh.
#   bk_setup DIR [N]   hsm_setup DIR, then keys 'sig' (EC P-256), 'enc'
#                      (AES-256) and N bulk AES keys 'k-1'.. in p1; pin
#                      file $BK (the backup password)
#   store_init NAME [capacity]   a backup store at $T/NAME
#   bhsm_init NAME [capacity]    a Backup HSM at $T/NAME (SO: $BSO)
#   backup_of DIR STORE          backupd backup of p1, prints the name
#   hsm_state DIR      a digest of DIR's whole hsm.db (every table, the
#                      audit head included) and of its audit.log
#   store_state STORE  a digest of every file in a store (names and bytes)
#   restore_to DIR STORE NAME MODE [...]   restore NAME into p1 of DIR
#   runbook_script FILE  the ```sh blocks of FILE (a runbook), in order, into
#                      $T/runbook.sh
#   bk_damage_setup    for the damaged-archive scenarios: HSM h with 300
#                      keys backed up into store s as $name ($S bytes; the
#                      integrity entry's data starts at $D), then 'sig'
#                      deleted so a restore would change the target;
#                      $before is the target's state
BK=$(pinfile bk "backup-password-1")

bk_setup() {
	hsm_setup "$1"
	hsm key generate "hsm:$T/$1#p1" --type ec --label sig --pin-file "$CO" \
		>/dev/null
	hsm key generate "hsm:$T/$1#p1" --type aes --label enc --pin-file "$CO" \
		>/dev/null
	if [ "${2:-0}" -gt 0 ]; then
		hsm key generate "hsm:$T/$1#p1" --type aes --label k \
			--count "$2" --pin-file "$CO" >/dev/null
	fi
}

store_init() {
	backupd init "dir:$T/$1" ${2:+--capacity "$2"} >/dev/null
}

BSO=$(pinfile bso "backup-hsm-so-1")

bhsm_init() {
	hsm init "$T/$1" --backup --label "bhsm-$1" --kdf test \
		${2:+--capacity "$2"} --pin-file "$BSO" >/dev/null
}

backup_of() {
	backupd backup --from "hsm:$T/$1#p1" --to "dir:$T/$2" --pin-file "$CO" \
		--backup-pin-file "$BK" --kdf test
}

hsm_state() {
	{ sqlite3 "$T/$1/hsm.db" .dump; cat "$T/$1/audit.log"; } |
		sha256sum | cut -c1-64
}

store_state() {
	(cd "$T/$1" && find . -type f | LC_ALL=C sort | while read -r f; do
		printf '%s %s\n' "$f" "$(sha256sum <"$f" | cut -c1-64)"
	done) | sha256sum | cut -c1-64
}

restore_to() {
	d=$1 s=$2 n=$3 m=$4
	shift 4
	restore --from "dir:$T/$s" --backup "$n" --to "hsm:$T/$d#p1" \
		--pin-file "$CO" --backup-pin-file "$BK" "--$m" "$@"
}

# The labels in p1 of DIR, one per line, sorted.
labels_of() {
	hsm key list "hsm:$T/$1#p1" --pin-file "$CO" --json |
		grep -o '"label":"[^"]*"' | cut -d'"' -f4 | LC_ALL=C sort
}

# cbk_rebuild DIR OUT: archives DIR's manifest.json, header.bin and
# records.bin into OUT as docs/formats.md 7.2/7.4 lay a backup out, with a
# fresh integrity entry: every unkeyed checksum is right again, as an
# attacker who can write the store would make it.
cbk_rebuild() {
	created=$(grep '"created"' "$1/manifest.json" | cut -d'"' -f4)
	head -c 154 /dev/zero >"$1/integrity.sha384"
	(cd "$1" && tar --format=ustar -b1 --owner=0 --group=0 --numeric-owner \
		--mode=0400 --mtime="$created" -cf "$2" manifest.json header.bin \
		records.bin integrity.sha384)
	cbk_reseal "$2"
}

# cbk_reseal OUT: OUT's integrity entry made right for its bytes as they are.
cbk_reseal() {
	D=$(($(stat -c %s "$1") - 1536))
	sha=$(head -c "$D" "$1" | sha384sum | cut -c1-96)
	printf 'coffer-cbk-integrity 1\nbytes %020d\nsha384 %s\n' "$D" "$sha" |
		dd of="$1" bs=1 seek="$D" conv=notrunc 2>/dev/null
}

# manifest_set_records DIR: records.bin's size and SHA-384 in DIR's
# manifest.json made those of DIR/records.bin.
manifest_set_records() {
	size=$(stat -c %s "$1/records.bin")
	sha=$(sha384sum <"$1/records.bin" | cut -c1-96)
	awk -v size="$size" -v sha="$sha" '
		/"records.bin"/ { rec = 1 }
		rec && /"size"/ { sub(/[0-9]+/, size) }
		rec && /"sha384"/ { sub(/"[0-9a-f]+"/, "\"" sha "\""); rec = 0 }
		{ print }' "$1/manifest.json" >"$1/m.tmp"
	mv "$1/m.tmp" "$1/manifest.json"
}

bk_damage_setup() {
	bk_setup h 300
	store_init s
	name=$(backup_of h s)
	S=$(stat -c %s "$T/s/$name")
	D=$((S - 1536))
	hsm key delete "hsm:$T/h#p1" --label sig --pin-file "$CO" >/dev/null
	before=$(hsm_state h)
}

# header_set_byte DIR OFFSET OCTAL: header.bin's byte at OFFSET set to the
# octal value, its trailing SHA-384 checksum and the manifest's hash of it
# made right again (as an attacker who can write the store would); then
# cbk_rebuild DIR OUT makes the archive.
header_set_byte() {
	printf "\\$3" | dd of="$1/header.bin" bs=1 seek="$2" conv=notrunc 2>/dev/null
	hl=$(stat -c %s "$1/header.bin")
	head -c $((hl - 16)) "$1/header.bin" >"$1/h.tmp" # SEALED_CHECK_LEN
	sha384sum <"$1/h.tmp" | cut -c1-32 | sed 's/../& /g' | tr ' ' '\n' |
		while read -r b; do
			if [ -n "$b" ]; then printf "\\$(printf %03o "0x$b")"; fi
		done >>"$1/h.tmp"
	mv "$1/h.tmp" "$1/header.bin"
	hsha=$(sha384sum <"$1/header.bin" | cut -c1-96)
	awk -v sha="$hsha" '/"header.bin"/ { h = 1 }
		h && /"sha384"/ { sub(/"[0-9a-f]+"/, "\"" sha "\""); h = 0 }
		{ print }' "$1/manifest.json" >"$1/m.tmp"
	mv "$1/m.tmp" "$1/manifest.json"
}

runbook_script() {
	awk '/^```sh$/ { on = 1; next } /^```/ { on = 0 } on' "$1" \
		>"$T/runbook.sh"
	[ "$(grep -c . "$T/runbook.sh")" -gt 30 ] ||
		fail "too few commands in $1"
}
