# Sourced by pkcs11-*.sh after lib.sh and helpers/hsm.sh: Coffer's own
# PKCS#11 module, bin/libcoffer-pkcs11.so, driven by OpenSC's pkcs11-tool.
#   mod_setup NAME      skip (exit 0, saying why) when pkcs11-tool is
#                       missing or the module was built with ASan (a host
#                       program without libasan cannot load it); otherwise
#                       $MOD is the module and COFFER_PKCS11_CONF points at
#                       $T/pkcs11.conf, empty until mod_hsm adds to it
#   mod_hsm DIR         adds the HSM directory DIR to the configuration
#   modpin FILE         the PIN in a pin file, for pkcs11-tool's --pin (its
#                       only way to take one; Coffer's own tools read files)
#   mod ARGS...         pkcs11-tool on the module, not logged in; fails
#                       the scenario when it fails
#   mod_co ARGS...      the same logged in as the CO (CKU_USER) of the
#                       token labelled $MOD_TOKEN (default p1)
MOD=$BIN/libcoffer-pkcs11.so
MOD_TOKEN=p1

mod_setup() {
	if ! command -v pkcs11-tool >/dev/null; then
		echo "$1: skipped: needs OpenSC's pkcs11-tool (scripts/deps.sh)"
		exit 0
	fi
	[ -f "$MOD" ] || fail "no module $MOD: run make"
	if nm -D "$MOD" 2>/dev/null | grep -q "__asan_init"; then
		echo "$1: skipped: $MOD is an ASan build; pkcs11-tool would" \
			"need LD_PRELOAD of libasan to load it. The normal build" \
			"runs this scenario."
		exit 0
	fi
	: >"$T/pkcs11.conf"
	COFFER_PKCS11_CONF=$T/pkcs11.conf
	export COFFER_PKCS11_CONF
}

mod_hsm() {
	echo "hsm $1" >>"$T/pkcs11.conf"
}

modpin() {
	head -n 1 "$1"
}

mod() {
	pkcs11-tool --module "$MOD" "$@" 2>"$T/mod.err" ||
		{ cat "$T/mod.err" >&2; fail "pkcs11-tool $*"; }
}

mod_co() {
	mod --token-label "$MOD_TOKEN" --login --pin "$(modpin "$CO")" "$@"
}
