# Sourced by p11-*.sh after lib.sh and helpers/hsm.sh: a real PKCS#11 token
# (SoftHSM2) beside the emulated HSM, driven with OpenSC's pkcs11-tool.
#   p11_setup NAME     skip (exit 0, saying why) when SoftHSM2 or pkcs11-tool
#                      is missing; otherwise a fresh SoftHSM token "coffer"
#                      in $T/softhsm (SOFTHSM2_CONF points there, nothing
#                      outside $T is touched)
#   p11 ARGS...        pkcs11-tool on that token, logged in as its user
#   p11_pub ARGS...    pkcs11-tool on that token without logging in
#   p11_verified FILE  fail unless a pkcs11-tool --verify output in FILE says
#                      the signature is valid (pkcs11-tool 0.23 exits 0 on an
#                      invalid signature, so its exit code proves nothing)
#   p11_object KIND LABEL   the `--list-objects` block of the object of
#                      KIND (Private, Public, Secret) labelled LABEL, to
#                      stdout; fails when there is not exactly one
#   p11_block KIND LABEL LISTFILE   the same from a saved listing; exit 1
#                      when there is not exactly one
#   p11_field NAME BLOCKFILE   the value of "NAME:" in such a block
#   hexof FILE         FILE as lowercase hex on one line
#   keybytes N FILE    N random bytes into FILE (0600)
# SoftHSM's PINs are the third-party tool's own interface (--pin); Coffer's
# secrets still go through pin files only.
P11_MODULE=${SOFTHSM2_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
P11_PIN=p11-user-1234
P11_SO_PIN=p11-so-5678

p11_setup() {
	if [ ! -r "$P11_MODULE" ] || ! command -v pkcs11-tool >/dev/null ||
		! command -v softhsm2-util >/dev/null; then
		echo "$1: skipped: needs SoftHSM2 ($P11_MODULE, softhsm2-util)" \
			"and OpenSC's pkcs11-tool; scripts/deps.sh installs both"
		exit 0
	fi
	mkdir -p "$T/softhsm/tokens"
	printf '%s\n' "directories.tokendir = $T/softhsm/tokens" \
		"objectstore.backend = file" "log.level = ERROR" \
		>"$T/softhsm/softhsm2.conf"
	SOFTHSM2_CONF=$T/softhsm/softhsm2.conf
	export SOFTHSM2_CONF
	softhsm2-util --init-token --free --label coffer \
		--so-pin "$P11_SO_PIN" --pin "$P11_PIN" >/dev/null
}

p11() {
	pkcs11-tool --module "$P11_MODULE" --token-label coffer --login \
		--pin "$P11_PIN" "$@" 2>"$T/p11.err" ||
		{ cat "$T/p11.err" >&2; fail "pkcs11-tool $*"; }
}

p11_pub() {
	pkcs11-tool --module "$P11_MODULE" --token-label coffer "$@" \
		2>"$T/p11.err" || { cat "$T/p11.err" >&2; fail "pkcs11-tool $*"; }
}

p11_verified() {
	grep -q '^Signature is valid' "$1" ||
		{ cat "$1" >&2; fail "pkcs11-tool did not find the signature valid"; }
}

keybytes() {
	(umask 077 && openssl rand "$1" >"$2")
}

p11_object() {
	p11 --list-objects >"$T/p11.list"
	p11_block "$1" "$2" "$T/p11.list" ||
		{ cat "$T/p11.list" >&2; fail "no single $1 key '$2' in SoftHSM"; }
}

p11_block() {
	awk -v kind="$1 Key Object;" -v label="$2" '
		function flush() { if (keep && hit) { printf "%s", blk; n++ } }
		/^[A-Z][A-Za-z ]* Object;/ { flush(); blk = ""; hit = 0
			keep = index($0, kind) == 1 }
		{ blk = blk $0 "\n" }
		$1 == "label:" { l = $0; sub(/^ *label: */, "", l)
			if (l == label) hit = 1 }
		END { flush(); exit n == 1 ? 0 : 1 }' "$3"
}

p11_field() {
	sed -n "s/^  $1: *//p" "$2"
}

hexof() {
	od -An -v -tx1 "$1" | tr -d ' \n'
}
