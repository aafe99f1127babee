# Sourced by tests/e2e/lib.sh and bench/lib.sh.
#   domstr FILE [PROFILE]   the domain string of the password domain whose
#                           password is in FILE, under PROFILE (default
#                           test): made once by `domains create` and kept
#                           beside FILE, so every partition given it joins
#                           the same domain, as partitions given one string
#                           from the credential inventory do.
domstr() {
	_ds="$1.${2:-test}.str"
	if [ ! -s "$_ds" ]; then
		domains create --kdf "${2:-test}" --domain-pin-file "$1" --json |
			sed -n 's/.*"domain_string":"\([^"]*\)".*/\1/p' >"$_ds"
	fi
	cat "$_ds"
}
